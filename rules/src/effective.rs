//! The effective autoscaler configuration: for every option, the value the operator
//! will use and where it came from (its key, a deprecated alias, an old-prefix key,
//! or the default), resolved in Flink's order (`ConfigOption`): current key, then the
//! fallback keys in declared order, then the deprecated keys.

use crate::config::{Entry, FlinkConfig};
use crate::options::{self, KeyRole, OptionSpec};
use crate::table_hash::TableMap;
use crate::values::{self, Value};
use serde::Serialize;
use std::borrow::Cow;
use std::sync::LazyLock;
use std::time::Duration;

/// Where an effective value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    Explicit,
    DeprecatedAlias,
    OldPrefix,
    Default,
    /// Not set and no default: the option is off / unbounded.
    Unset,
}

impl From<KeyRole> for Origin {
    fn from(role: KeyRole) -> Self {
        match role {
            KeyRole::Current => Origin::Explicit,
            KeyRole::DeprecatedAlias => Origin::DeprecatedAlias,
            KeyRole::OldPrefix => Origin::OldPrefix,
        }
    }
}

/// One option's effective value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Setting {
    /// The option's current key.
    pub option: &'static str,
    /// The key the value was read from (the option's key for defaults). Borrowed
    /// from the options table, so resolving every option allocates only for the
    /// values written.
    pub key: Cow<'static, str>,
    /// The value as written, or the default as Flink prints it.
    pub raw: Option<Cow<'static, str>>,
    /// The parsed value; `None` when it does not parse or the option is unset.
    #[serde(skip)]
    pub value: Option<Value>,
    pub origin: Origin,
}

impl Setting {
    /// Where to point a finding about this setting.
    pub fn path(&self) -> String {
        crate::config::config_path(&self.key)
    }

    pub fn is_set(&self) -> bool {
        matches!(
            self.origin,
            Origin::Explicit | Origin::DeprecatedAlias | Origin::OldPrefix
        )
    }
}

/// Every non-templated option's effective value. Only the options the configuration
/// writes are resolved per object; the others share one table of defaults, built
/// once (a review used to build all 70 settings, 7 KB, and free them again).
#[derive(Debug, Clone, Default)]
pub struct EffectiveConfig {
    /// The written options' settings with their slots in [`resolvable`], by slot.
    written: Vec<(usize, Setting)>,
}

impl Serialize for EffectiveConfig {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        struct All<'e>(&'e EffectiveConfig);
        impl Serialize for All<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_seq(self.0.settings())
            }
        }
        let mut st = serializer.serialize_struct("EffectiveConfig", 1)?;
        st.serialize_field("settings", &All(self))?;
        st.end()
    }
}

impl EffectiveConfig {
    pub fn resolve(cfg: &FlinkConfig) -> EffectiveConfig {
        let mut written_options: Vec<(usize, Setting)> = Vec::new();
        // `written` is by slot and, within a slot, in Flink's order of the keys: the
        // first of the option's keys wins.
        for w in written(cfg) {
            if written_options
                .last()
                .is_some_and(|(slot, _)| *slot == w.slot)
            {
                continue;
            }
            written_options.push((
                w.slot,
                resolve_option(w.slot, w.option(), Some((w.key, w.entry, w.role))),
            ));
        }
        EffectiveConfig {
            written: written_options,
        }
    }

    /// Every resolvable option's setting, in table order.
    pub fn settings(&self) -> impl Iterator<Item = &Setting> + '_ {
        let mut written = self.written.iter().peekable();
        default_settings()
            .iter()
            .enumerate()
            .map(
                move |(slot, default)| match written.next_if(|(s, _)| *s == slot) {
                    Some((_, setting)) => setting,
                    None => default,
                },
            )
    }

    /// The setting of the option with this current key.
    pub fn get(&self, option: &str) -> Option<&Setting> {
        let slot = *slots().get(option)?;
        match self.written.binary_search_by_key(&slot, |(s, _)| *s) {
            Ok(i) => Some(&self.written[i].1),
            Err(_) => default_settings().get(slot),
        }
    }

    pub fn value(&self, option: &str) -> Option<&Value> {
        self.get(option).and_then(|s| s.value.as_ref())
    }

    pub fn bool(&self, option: &str) -> Option<bool> {
        self.value(option).and_then(Value::as_bool)
    }

    pub fn f64(&self, option: &str) -> Option<f64> {
        self.value(option).and_then(Value::as_f64)
    }

    pub fn i64(&self, option: &str) -> Option<i64> {
        self.value(option).and_then(Value::as_i64)
    }

    pub fn duration(&self, option: &str) -> Option<Duration> {
        self.value(option).and_then(Value::as_duration)
    }

    /// The effective value, or the table's default when the written value does not
    /// parse (the rules report that value; the operator would fail on it, so what it
    /// means is best shown as the default). `None` only for options without default.
    pub fn value_or_default(&self, option: &str) -> Option<Value> {
        self.value(option)
            .cloned()
            .or_else(|| options::default_value(option))
    }

    pub fn bool_or_default(&self, option: &str) -> Option<bool> {
        self.value_or_default(option)?.as_bool()
    }

    pub fn f64_or_default(&self, option: &str) -> Option<f64> {
        self.value_or_default(option)?.as_f64()
    }

    pub fn i64_or_default(&self, option: &str) -> Option<i64> {
        self.value_or_default(option)?.as_i64()
    }

    pub fn duration_or_default(&self, option: &str) -> Option<Duration> {
        self.value_or_default(option)?.as_duration()
    }

    /// Whether the option was set by any of its keys.
    pub fn is_set(&self, option: &str) -> bool {
        self.get(option).is_some_and(Setting::is_set)
    }
}

/// The keys of an option in Flink's precedence order, with their roles: the current
/// key, the fallback keys as declared, then the deprecated keys (`withFallbackKeys`
/// prepends, `withDeprecatedKeys` appends).
pub fn keys_in_order(option: &'static OptionSpec) -> impl Iterator<Item = (&'static str, KeyRole)> {
    std::iter::once((option.key, KeyRole::Current))
        .chain(
            option
                .fallback_keys
                .iter()
                .map(|k| (*k, KeyRole::OldPrefix)),
        )
        .chain(
            option
                .deprecated_keys
                .iter()
                .map(|k| (*k, KeyRole::DeprecatedAlias)),
        )
}

/// The options [`EffectiveConfig::resolve`] resolves, in table order: all but the
/// templated ones.
fn resolvable() -> &'static [&'static OptionSpec] {
    static RESOLVABLE: LazyLock<Vec<&'static OptionSpec>> = LazyLock::new(|| {
        options::all()
            .iter()
            .filter(|o| !o.key.contains('<'))
            .collect()
    });
    &RESOLVABLE
}

/// Each option's slot in [`resolvable`], by current key.
fn slots() -> &'static TableMap<usize> {
    static SLOTS: LazyLock<TableMap<usize>> = LazyLock::new(|| {
        resolvable()
            .iter()
            .enumerate()
            .map(|(i, o)| (o.key, i))
            .collect()
    });
    &SLOTS
}

/// For every literal key, the options that read it: (slot in [`resolvable`],
/// position in the option's [`keys_in_order`], the key as the table spells it, role).
fn key_uses() -> &'static TableMap<Vec<KeyUse>> {
    static USES: LazyLock<TableMap<Vec<KeyUse>>> = LazyLock::new(|| {
        let mut uses = TableMap::<Vec<KeyUse>>::default();
        for (slot, option) in resolvable().iter().enumerate() {
            for (position, (key, role)) in keys_in_order(option).enumerate() {
                uses.entry(key).or_default().push(KeyUse {
                    slot,
                    position,
                    key,
                    role,
                });
            }
        }
        uses
    });
    &USES
}

/// One key of one option (see [`key_uses`]).
#[derive(Debug, Clone, Copy)]
struct KeyUse {
    slot: usize,
    position: usize,
    key: &'static str,
    role: KeyRole,
}

/// A configuration entry setting an option through one of its keys.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Written<'c> {
    /// The option's slot in [`resolvable`].
    slot: usize,
    position: usize,
    /// The key as the options table spells it (equal to `entry.key`).
    pub(crate) key: &'static str,
    pub(crate) role: KeyRole,
    /// The key's first entry (as `FlinkConfig::get`).
    pub(crate) entry: &'c Entry<'c>,
}

impl Written<'_> {
    pub(crate) fn option(&self) -> &'static OptionSpec {
        resolvable()[self.slot]
    }
}

/// Every (option, key) the configuration writes, by option in table order and,
/// within an option, in Flink's order of its keys: each entry is looked up once,
/// by hash, not each option's keys searched in the configuration.
pub(crate) fn written<'c>(cfg: &'c FlinkConfig<'c>) -> Vec<Written<'c>> {
    let mut written = Vec::new();
    for (i, entry) in cfg.entries.iter().enumerate() {
        let Some(uses) = key_uses().get(&*entry.key) else {
            continue;
        };
        if cfg.entries[..i].iter().any(|e| e.key == entry.key) {
            continue;
        }
        written.extend(uses.iter().map(|u| Written {
            slot: u.slot,
            position: u.position,
            key: u.key,
            role: u.role,
            entry,
        }));
    }
    written.sort_unstable_by_key(|w| (w.slot, w.position));
    written
}

/// Each resolvable option's default parsed as its type, by slot: most options of
/// every review resolve to their default.
fn defaults() -> &'static [Option<Value>] {
    static DEFAULTS: LazyLock<Vec<Option<Value>>> = LazyLock::new(|| {
        resolvable()
            .iter()
            .map(|o| o.default.and_then(|raw| values::parse(o.kind, raw).ok()))
            .collect()
    });
    &DEFAULTS
}

/// Each resolvable option's setting when the configuration does not write it, by
/// slot.
fn default_settings() -> &'static [Setting] {
    static DEFAULT_SETTINGS: LazyLock<Vec<Setting>> = LazyLock::new(|| {
        resolvable()
            .iter()
            .enumerate()
            .map(|(slot, option)| resolve_option(slot, option, None))
            .collect()
    });
    &DEFAULT_SETTINGS
}

/// An option's setting from the key it was found under (the key as the table
/// spells it, its entry, its role), or from its default.
fn resolve_option(
    slot: usize,
    option: &'static OptionSpec,
    found: Option<(&'static str, &Entry, KeyRole)>,
) -> Setting {
    match found {
        Some((key, entry, role)) => Setting {
            option: option.key,
            key: Cow::Borrowed(key),
            raw: entry.raw.as_deref().map(|r| Cow::Owned(r.to_string())),
            value: entry
                .raw
                .as_deref()
                .and_then(|raw| values::parse(option.kind, raw).ok()),
            origin: role.into(),
        },
        None => Setting {
            option: option.key,
            key: Cow::Borrowed(option.key),
            raw: option.default.map(Cow::Borrowed),
            value: defaults().get(slot).cloned().flatten(),
            origin: if option.default.is_some() {
                Origin::Default
            } else {
                Origin::Unset
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Flink's order by definition: for each option, its keys in order, the first
    /// one the configuration has, and that key's first entry.
    fn resolve_by_scan(cfg: &FlinkConfig) -> Vec<Setting> {
        resolvable()
            .iter()
            .enumerate()
            .map(|(slot, o)| {
                let found = keys_in_order(o).find_map(|(k, r)| cfg.get(k).map(|e| (k, e, r)));
                resolve_option(slot, o, found)
            })
            .collect()
    }

    #[test]
    fn cached_defaults_are_the_parsed_table_defaults() {
        assert_eq!(resolvable().len(), defaults().len());
        for (option, cached) in resolvable().iter().zip(defaults()) {
            let parsed = option
                .default
                .and_then(|raw| values::parse(option.kind, raw).ok());
            assert_eq!(cached, &parsed, "{}", option.key);
        }
    }

    #[test]
    fn resolve_agrees_with_the_scan_for_every_key_combination() {
        for option in options::all().iter().filter(|o| !o.key.contains('<')) {
            let keys: Vec<&str> = keys_in_order(option).map(|(k, _)| k).collect();
            // Every subset of the option's keys, written in reverse order and twice,
            // among keys of other options.
            for mask in 1u32..(1 << keys.len().min(6)) {
                let mut map = serde_json::Map::new();
                map.insert("job.autoscaler.enabled".into(), json!("true"));
                for (i, key) in keys.iter().enumerate().rev() {
                    if mask & (1 << i) != 0 {
                        map.insert((*key).to_string(), json!(format!("v{i}")));
                    }
                }
                map.insert("pipeline.max-parallelism".into(), json!("12"));
                let value = serde_json::Value::Object(map);
                let mut cfg = FlinkConfig::from_json(Some(&value)).expect("map");
                let twice = cfg.entries.clone();
                cfg.entries.extend(twice.into_iter().map(|mut e| {
                    e.raw = Some("second".into());
                    e
                }));
                let eff = EffectiveConfig::resolve(&cfg);
                assert_eq!(
                    eff.settings().cloned().collect::<Vec<_>>(),
                    resolve_by_scan(&cfg),
                    "{}: {mask:b}",
                    option.key
                );
                for s in eff.settings() {
                    assert_eq!(eff.get(s.option), Some(s));
                }
            }
        }
    }

    fn effective(v: serde_json::Value) -> EffectiveConfig {
        EffectiveConfig::resolve(&FlinkConfig::from_json(Some(&v)).expect("map"))
    }

    #[test]
    fn origin_tells_key_alias_old_prefix_and_default() {
        let eff = effective(json!({
            "job.autoscaler.enabled": "true",
            "job.autoscaler.target.utilization": "0.6",
            "kubernetes.operator.job.autoscaler.metrics.window": "10m",
        }));
        let s = |k| eff.get(k).cloned().expect(k);
        assert_eq!(s("job.autoscaler.enabled").origin, Origin::Explicit);
        let target = s("job.autoscaler.utilization.target");
        assert_eq!(target.origin, Origin::DeprecatedAlias);
        assert_eq!(target.key, "job.autoscaler.target.utilization");
        let window = s("job.autoscaler.metrics.window");
        assert_eq!(window.origin, Origin::OldPrefix);
        assert_eq!(window.raw.as_deref(), Some("10m"));
        let boundary = s("job.autoscaler.target.utilization.boundary");
        assert_eq!(boundary.origin, Origin::Default);
        assert_eq!(boundary.raw.as_deref(), Some("0.3"));
        assert_eq!(s("job.autoscaler.utilization.max").origin, Origin::Unset);
    }

    /// Flink reads the current key, then fallbacks in declared order, then deprecated
    /// keys (`ConfigOption.withFallbackKeys` / `withDeprecatedKeys`; for
    /// `utilization.target` the fallbacks are `kubernetes.operator.job.autoscaler.
    /// utilization.target` and `...target.utilization`, the deprecated key
    /// `job.autoscaler.target.utilization`).
    #[test]
    fn current_key_wins_then_fallbacks_then_deprecated_keys() {
        let eff = effective(json!({
            "kubernetes.operator.job.autoscaler.utilization.target": "0.5",
            "job.autoscaler.target.utilization": "0.6",
            "job.autoscaler.utilization.target": "0.8",
        }));
        let t = eff
            .get("job.autoscaler.utilization.target")
            .expect("target");
        assert_eq!(
            (t.origin, t.raw.as_deref()),
            (Origin::Explicit, Some("0.8"))
        );
        let eff = effective(json!({
            "kubernetes.operator.job.autoscaler.utilization.target": "0.5",
            "job.autoscaler.target.utilization": "0.6",
        }));
        let t = eff
            .get("job.autoscaler.utilization.target")
            .expect("target");
        assert_eq!(
            (t.origin, t.raw.as_deref()),
            (Origin::OldPrefix, Some("0.5"))
        );
        // Between two fallbacks, the first declared wins.
        let eff = effective(json!({
            "kubernetes.operator.job.autoscaler.target.utilization": "0.4",
            "kubernetes.operator.job.autoscaler.utilization.target": "0.5",
            "job.autoscaler.target.utilization": "0.6",
        }));
        let t = eff
            .get("job.autoscaler.utilization.target")
            .expect("target");
        assert_eq!(
            t.key,
            "kubernetes.operator.job.autoscaler.utilization.target"
        );
        // The deprecated alias is read only when no fallback is set.
        let eff = effective(json!({"job.autoscaler.target.utilization": "0.6"}));
        let t = eff
            .get("job.autoscaler.utilization.target")
            .expect("target");
        assert_eq!(
            (t.origin, t.raw.as_deref()),
            (Origin::DeprecatedAlias, Some("0.6"))
        );
    }

    #[test]
    fn unwritten_options_share_the_default_table_and_serialize_in_table_order() {
        let eff = effective(json!({"job.autoscaler.metrics.window": "5m"}));
        let all: Vec<&Setting> = eff.settings().collect();
        assert_eq!(all.len(), resolvable().len());
        let window = eff.get("job.autoscaler.metrics.window").expect("window");
        assert_eq!(
            (window.origin, window.raw.as_deref()),
            (Origin::Explicit, Some("5m"))
        );
        // An option not written: the shared default, the same one an empty
        // configuration (or `Default`) gives.
        let target = eff
            .get("job.autoscaler.utilization.target")
            .expect("target");
        assert_eq!(target.origin, Origin::Default);
        assert!(std::ptr::eq(
            target,
            EffectiveConfig::default()
                .get("job.autoscaler.utilization.target")
                .expect("default")
        ));
        assert_eq!(eff.get("job.autoscaler.no-such-option"), None);
        let json = serde_json::to_value(&eff).expect("serializes");
        let listed = json["settings"].as_array().expect("settings");
        assert_eq!(listed.len(), all.len());
        for (s, j) in all.iter().zip(listed) {
            assert_eq!(j["option"], s.option);
            assert_eq!(j["key"], s.key.as_ref());
        }
        assert!(
            listed
                .iter()
                .any(|j| j["option"] == "job.autoscaler.metrics.window"
                    && j["raw"] == "5m"
                    && j["origin"] == "explicit")
        );
    }

    #[test]
    fn templated_options_are_not_in_the_effective_view() {
        let eff = effective(json!({}));
        assert!(eff.settings().all(|s| !s.option.contains('<')));
        assert!(eff.get("job.autoscaler.metrics.window").is_some());
    }

    #[test]
    fn typed_values_fall_back_to_the_tables_default() {
        use crate::options::keys::{METRICS_WINDOW, TARGET, UTIL_MAX, VERTEX_MAX};
        let eff = effective(json!({"job.autoscaler.utilization.target": "high",
                                   "job.autoscaler.vertex.max-parallelism": "12"}));
        // Unparsable: the default, as the table writes it (0.7).
        assert_eq!(eff.f64(TARGET), None);
        assert_eq!(eff.f64_or_default(TARGET), Some(0.7));
        assert_eq!(eff.i64_or_default(VERTEX_MAX), Some(12));
        assert_eq!(
            eff.duration_or_default(METRICS_WINDOW),
            Some(Duration::from_secs(15 * 60))
        );
        // No default in the table: nothing.
        assert_eq!(eff.f64_or_default(UTIL_MAX), None);
    }
}

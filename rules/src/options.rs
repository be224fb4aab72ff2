//! Every Flink autoscaler option, read at compile time from the options table
//! (`data/autoscaler-options.tsv`, a copy of the operator's `AutoScalerOptions`).

use crate::table_hash::TableMap;
use crate::values::ValueKind;
use std::sync::LazyLock;

pub mod keys;

const TABLE: &str = include_str!("../data/autoscaler-options.tsv");
const VERSIONS: &str = include_str!("../data/option-versions.tsv");

/// The current prefix of autoscaler keys.
pub const PREFIX: &str = "job.autoscaler.";
/// The old prefix, still read as a fallback by the operator.
pub const OLD_PREFIX: &str = "kubernetes.operator.job.autoscaler.";

/// One option of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionSpec {
    /// The current key, e.g. `job.autoscaler.metrics.window`; templated keys keep
    /// their `<name>` / `<parameter>` placeholders.
    pub key: &'static str,
    pub kind: ValueKind,
    /// The default as Flink prints it (empty when the option has none).
    pub default: Option<&'static str>,
    /// The option itself is deprecated (`@Deprecated` in `AutoScalerOptions`);
    /// `replacement` names what to use instead.
    pub deprecated: bool,
    pub replacement: Option<&'static str>,
    /// Deprecated alias keys (`withDeprecatedKeys`): read after every fallback key.
    pub deprecated_keys: Vec<&'static str>,
    /// Fallback keys (`withFallbackKeys`, the old `kubernetes.operator.` prefix), in
    /// declared order: read right after the current key.
    pub fallback_keys: Vec<&'static str>,
    pub description: &'static str,
}

/// How a key relates to its option. The order of the variants is Flink's precedence
/// (`ConfigOption`: `withFallbackKeys` puts fallbacks first, `withDeprecatedKeys` puts
/// deprecated keys last).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyRole {
    /// The option's current key.
    Current,
    /// An old `kubernetes.operator.job.autoscaler.*` fallback key.
    OldPrefix,
    /// A deprecated alias.
    DeprecatedAlias,
}

/// Enum constants of the enum-typed options, as the autoscaler's Java enums spell them.
const ENUMS: &[(&str, &[&str])] = &[
    ("MetricAggregator", &["AVG", "MAX", "MIN"]),
    (
        "KeyGroupOrPartitionsAdjustMode",
        &["EVENLY_SPREAD", "MAXIMIZE_UTILISATION"],
    ),
];

/// All options, in table order.
pub fn all() -> &'static [OptionSpec] {
    static OPTIONS: LazyLock<Vec<OptionSpec>> = LazyLock::new(|| parse_table(TABLE));
    &OPTIONS
}

/// The option with this current key.
pub fn get(key: &str) -> Option<&'static OptionSpec> {
    position(key).map(|i| &all()[i])
}

/// The position in [`all`] of the option with this current key.
fn position(key: &str) -> Option<usize> {
    static BY_KEY: LazyLock<TableMap<usize>> = LazyLock::new(|| {
        let mut by_key = TableMap::default();
        for (i, o) in all().iter().enumerate() {
            by_key.entry(o.key).or_insert(i);
        }
        by_key
    });
    BY_KEY.get(key).copied()
}

/// The default of the option with this current key, parsed as its type: the one
/// place defaults come from (no copy of them as literals elsewhere). `None` when the
/// option has no default or is unknown.
pub fn default_value(key: &str) -> Option<crate::values::Value> {
    let option = get(key)?;
    crate::values::parse(option.kind, option.default?).ok()
}

/// The option a key sets, and in which role; templated keys match any `<name>`.
/// The first match in table order wins (an option's current key, then its fallbacks,
/// then its deprecated aliases, then the next option).
pub fn lookup(key: &str) -> Option<(&'static OptionSpec, KeyRole)> {
    let index = key_index();
    let literal = index.literal.get(key).copied();
    // A templated key earlier in table order than the literal match takes precedence.
    let template = index
        .templates
        .iter()
        .take_while(|t| literal.is_none_or(|(first, ..)| t.rank < first))
        // The literal head first: most keys of a configuration are not templated
        // autoscaler keys, and this turns them away without splitting them.
        .find(|t| key.starts_with(t.head) && matches_key(t.pattern, key))
        .map(|t| (t.rank, t.option, t.role));
    template
        .or(literal)
        .map(|(_, option, role)| (&all()[option], role))
}

/// An operator release, `1.11` as `(1, 11)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OperatorVersion(pub u32, pub u32);

impl OperatorVersion {
    /// Reads `1.11`, `1.11.0` or `v1.11.2` (the patch level does not change options).
    pub fn parse(text: &str) -> Option<OperatorVersion> {
        let text = text.trim().strip_prefix(['v', 'V']).unwrap_or(text.trim());
        let mut parts = text.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        match parts.next() {
            Some(patch) if patch.parse::<u32>().is_err() => return None,
            _ => {}
        }
        parts
            .next()
            .is_none()
            .then_some(OperatorVersion(major, minor))
    }
}

impl std::fmt::Display for OperatorVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

/// The operator release that first knew `key` (a literal key or a template pattern
/// as the table writes it), from `data/option-versions.tsv`.
pub fn since(key: &str) -> Option<OperatorVersion> {
    static SINCE: LazyLock<TableMap<OperatorVersion>> = LazyLock::new(|| {
        VERSIONS
            .lines()
            .filter(|l| !l.starts_with('#'))
            .skip(1)
            .filter_map(|l| {
                let (key, version) = l.split_once('\t')?;
                Some((key, OperatorVersion::parse(version)?))
            })
            .collect()
    });
    SINCE.get(key).copied().or_else(|| {
        // A templated key: the version of the pattern it matches.
        SINCE
            .iter()
            .filter(|(pattern, _)| pattern.contains('<') && matches_key(pattern, key))
            .map(|(_, v)| *v)
            .min()
    })
}

/// Every key pattern in table order, split into literal keys (looked up by hash: a
/// review looks up every key of its configuration) and templated ones (a few,
/// matched in turn). Each entry keeps its rank in table order.
struct KeyIndex {
    literal: TableMap<(usize, usize, KeyRole)>,
    templates: Vec<Template>,
}

/// A templated key pattern with its rank in table order.
struct Template {
    rank: usize,
    pattern: &'static str,
    /// What every matching key starts with: the pattern up to its first `<`.
    head: &'static str,
    option: usize,
    role: KeyRole,
}

fn key_index() -> &'static KeyIndex {
    static INDEX: LazyLock<KeyIndex> = LazyLock::new(|| {
        let mut index = KeyIndex {
            literal: TableMap::default(),
            templates: Vec::new(),
        };
        let patterns = all().iter().enumerate().flat_map(|(i, o)| {
            std::iter::once((o.key, i, KeyRole::Current))
                .chain(
                    o.fallback_keys
                        .iter()
                        .map(move |k| (*k, i, KeyRole::OldPrefix)),
                )
                .chain(
                    o.deprecated_keys
                        .iter()
                        .map(move |k| (*k, i, KeyRole::DeprecatedAlias)),
                )
        });
        for (rank, (pattern, option, role)) in patterns.enumerate() {
            if let Some(at) = pattern.find('<') {
                index.templates.push(Template {
                    rank,
                    pattern,
                    head: &pattern[..at],
                    option,
                    role,
                });
            } else {
                index.literal.entry(pattern).or_insert((rank, option, role));
            }
        }
        index
    });
    &INDEX
}

/// The first match in table order by trying every pattern: what [`lookup`] must
/// agree with.
#[cfg(test)]
fn lookup_by_scan(key: &str) -> Option<(&'static OptionSpec, KeyRole)> {
    for option in all() {
        if matches_key(option.key, key) {
            return Some((option, KeyRole::Current));
        }
        if option.fallback_keys.iter().any(|k| matches_key(k, key)) {
            return Some((option, KeyRole::OldPrefix));
        }
        if option.deprecated_keys.iter().any(|k| matches_key(k, key)) {
            return Some((option, KeyRole::DeprecatedAlias));
        }
    }
    None
}

/// Every literal key of every option (current, aliases, fallbacks), for typo hints.
pub fn all_keys() -> impl Iterator<Item = (&'static str, &'static OptionSpec)> {
    all().iter().flat_map(|o| {
        std::iter::once(o.key)
            .chain(o.deprecated_keys.iter().copied())
            .chain(o.fallback_keys.iter().copied())
            .map(move |k| (k, o))
    })
}

/// Whether `key` is an instance of `pattern`: `<name>` stands for one non-empty
/// segment without dots, `<parameter>` for the non-empty rest of the key.
fn matches_key(pattern: &str, key: &str) -> bool {
    if !pattern.contains('<') {
        return pattern == key;
    }
    let mut rest = key;
    let mut segments = pattern.split('.').peekable();
    while let Some(seg) = segments.next() {
        let last = segments.peek().is_none();
        if seg == "<parameter>" && last {
            return !rest.is_empty();
        }
        let (head, tail) = match rest.split_once('.') {
            Some((h, t)) => (h, Some(t)),
            None => (rest, None),
        };
        let ok = if seg == "<name>" {
            !head.is_empty()
        } else {
            seg == head
        };
        if !ok {
            return false;
        }
        match (last, tail) {
            (true, None) => return true,
            (true, Some(_)) | (false, None) => return false,
            (false, Some(t)) => rest = t,
        }
    }
    false
}

fn parse_kind(type_name: &'static str) -> ValueKind {
    match type_name {
        "boolean" => ValueKind::Boolean,
        "int" | "integer" => ValueKind::Int,
        "double" | "float" => ValueKind::Double,
        "duration" => ValueKind::Duration,
        "memory" => ValueKind::Memory,
        "list<string>" => ValueKind::List,
        t => match t.strip_prefix("enum:") {
            Some(name) => match ENUMS.iter().find(|(n, _)| *n == name) {
                Some((n, constants)) => ValueKind::Enum(n, constants),
                None => ValueKind::String,
            },
            None => ValueKind::String,
        },
    }
}

/// Turns Flink's printed defaults into values our parsers read: `100000.` is a Java
/// double literal, `MetricAggregator.MAX` an enum constant, `X.name()` a constant's name.
fn normalise_default(raw: &'static str) -> Option<&'static str> {
    if raw.is_empty() {
        return None;
    }
    let raw = raw.strip_suffix(".name()").unwrap_or(raw);
    if let Some((_, constant)) = raw.rsplit_once('.')
        && !constant.is_empty()
        && constant.chars().all(|c| c.is_ascii_uppercase() || c == '_')
    {
        return Some(constant);
    }
    Some(raw)
}

fn split_keys(cell: &'static str) -> Vec<&'static str> {
    cell.split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .collect()
}

fn parse_table(table: &'static str) -> Vec<OptionSpec> {
    table
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .skip(1) // header
        .filter_map(|line| {
            let cols: Vec<&'static str> = line.split('\t').collect();
            let col = |i: usize| cols.get(i).copied().unwrap_or("");
            let key = col(0);
            if key.is_empty() {
                return None;
            }
            let description = col(6);
            let marked = col(3).trim();
            let deprecated = !marked.is_empty() || description.starts_with("Deprecated");
            let replacement = Some(marked)
                .filter(|m| m.starts_with(PREFIX))
                .or_else(|| {
                    description
                        .strip_prefix("Deprecated, use ")
                        .and_then(|rest| rest.split_whitespace().next())
                })
                .map(|k| {
                    if k.starts_with(PREFIX) {
                        k
                    } else {
                        // The table names the replacement without prefix.
                        all_static_key(k)
                    }
                });
            Some(OptionSpec {
                key,
                kind: parse_kind(col(1)),
                default: normalise_default(col(2)),
                deprecated,
                replacement,
                deprecated_keys: split_keys(col(4)),
                fallback_keys: split_keys(col(5)),
                description,
            })
        })
        .collect()
}

/// `job.autoscaler.` + `suffix` as a `'static` str, found in the table itself.
fn all_static_key(suffix: &'static str) -> &'static str {
    TABLE
        .lines()
        .filter_map(|l| l.split('\t').next())
        .find(|k| k.strip_prefix(PREFIX) == Some(suffix))
        .unwrap_or(suffix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_every_option_of_the_fixture() {
        // 47 options in the operator's table plus the two custom-executor templates.
        assert!(all().len() >= 47, "only {} options", all().len());
        assert!(all().iter().all(|o| o.key.starts_with(PREFIX)));
    }

    #[test]
    fn types_and_defaults_are_read() {
        let w = get("job.autoscaler.metrics.window").expect("metrics.window");
        assert_eq!(w.kind, ValueKind::Duration);
        assert_eq!(w.default, Some("15 min"));
        let up = get("job.autoscaler.scale-up.max-factor").expect("scale-up");
        assert_eq!(up.default, Some("100000."));
        let agg = get("job.autoscaler.metrics.busy-time.aggregator").expect("aggregator");
        assert!(matches!(agg.kind, ValueKind::Enum("MetricAggregator", _)));
        assert_eq!(agg.default, Some("MAX"));
        let align = get("job.autoscaler.scaling.parallelism-alignment.mode").expect("align");
        assert_eq!(align.default, Some("BALANCED"));
    }

    #[test]
    fn aliases_and_fallbacks_resolve_to_their_option() {
        let (o, role) = lookup("job.autoscaler.target.utilization").expect("alias");
        assert_eq!(o.key, "job.autoscaler.utilization.target");
        assert_eq!(role, KeyRole::DeprecatedAlias);
        let (o, role) =
            lookup("kubernetes.operator.job.autoscaler.scale-up.grace-period").expect("fallback");
        assert_eq!(o.key, "job.autoscaler.scale-down.interval");
        assert_eq!(role, KeyRole::OldPrefix);
        assert!(lookup("job.autoscaler.no-such-option").is_none());
    }

    #[test]
    fn deprecated_option_names_its_replacement() {
        let o = get("job.autoscaler.scaling.key-group.partitions.adjust.mode").expect("o");
        assert!(o.deprecated);
        assert_eq!(
            o.replacement,
            Some("job.autoscaler.scaling.parallelism-alignment.mode")
        );
    }

    #[test]
    fn templated_keys_match_any_name() {
        let (o, _) = lookup("job.autoscaler.metrics.custom-evaluator.lag.class").expect("class");
        assert_eq!(
            o.key,
            "job.autoscaler.metrics.custom-evaluator.<name>.class"
        );
        let (o, _) =
            lookup("job.autoscaler.metrics.custom-evaluator.lag.window.size").expect("param");
        assert_eq!(
            o.key,
            "job.autoscaler.metrics.custom-evaluator.<name>.<parameter>"
        );
        assert!(lookup("job.autoscaler.metrics.custom-evaluator.").is_none());
        assert!(lookup("job.autoscaler.metrics.custom-evaluator.lag").is_none());
    }

    #[test]
    fn the_key_index_agrees_with_a_scan_of_the_table() {
        let mut keys: Vec<String> = all_keys().map(|(k, _)| k.to_string()).collect();
        for (k, _) in all_keys() {
            keys.push(k.replace("<name>", "source").replace("<parameter>", "a.b"));
            keys.push(format!("{k}.extra"));
            keys.push(k.trim_end_matches(|c| c != '.').to_string());
        }
        keys.extend(
            [
                "",
                ".",
                "job.autoscaler.",
                "kubernetes.operator.job.autoscaler.x",
            ]
            .map(String::from),
        );
        for key in &keys {
            assert_eq!(
                lookup(key).map(|(o, r)| (o.key, r)),
                lookup_by_scan(key).map(|(o, r)| (o.key, r)),
                "{key:?}"
            );
        }
    }

    #[test]
    fn alignment_mode_templates_and_the_adjust_mode_fallback_are_known() {
        // AutoScalerOptions.ALIGNMENT_MODE_CLASS_TEMPLATE / _PARAMETER_TEMPLATE.
        let (o, role) = lookup("job.autoscaler.scaling.parallelism-alignment.mode.mine.class")
            .expect("class template");
        assert_eq!(
            (o.key, role),
            (
                "job.autoscaler.scaling.parallelism-alignment.mode.<name>.class",
                KeyRole::Current
            )
        );
        let (o, role) = lookup(
            "kubernetes.operator.job.autoscaler.scaling.parallelism-alignment.mode.mine.step",
        )
        .expect("parameter template");
        assert_eq!(
            (o.key, role),
            (
                "job.autoscaler.scaling.parallelism-alignment.mode.<name>.<parameter>",
                KeyRole::OldPrefix
            )
        );
        // The mode itself is still its own option.
        let (o, _) = lookup("job.autoscaler.scaling.parallelism-alignment.mode").expect("mode");
        assert_eq!(o.key, "job.autoscaler.scaling.parallelism-alignment.mode");
        let (o, role) =
            lookup("kubernetes.operator.job.autoscaler.scaling.key-group.partitions.adjust.mode")
                .expect("fallback");
        assert_eq!(
            (o.key, role),
            (
                "job.autoscaler.scaling.key-group.partitions.adjust.mode",
                KeyRole::OldPrefix
            )
        );
    }

    #[test]
    fn the_deprecated_boundary_option_names_what_replaces_it() {
        let o = get("job.autoscaler.target.utilization.boundary").expect("boundary");
        assert!(o.deprecated);
        assert_eq!(
            o.replacement,
            Some("job.autoscaler.utilization.min and job.autoscaler.utilization.max")
        );
        assert!(
            !get("job.autoscaler.utilization.target")
                .expect("target")
                .deprecated
        );
    }

    #[test]
    fn every_key_of_the_table_has_the_release_that_introduced_it() {
        for (key, _) in all_keys() {
            assert!(since(key).is_some(), "{key} has no version");
        }
        let v = |s| OperatorVersion::parse(s).expect(s);
        // Read off the release tags: utilization.target from 1.11, scale-down.interval
        // from 1.10, the old-prefix enabled key from 1.4 (the first autoscaler).
        assert_eq!(since("job.autoscaler.utilization.target"), Some(v("1.11")));
        assert_eq!(since("job.autoscaler.scale-down.interval"), Some(v("1.10")));
        assert_eq!(
            since("kubernetes.operator.job.autoscaler.enabled"),
            Some(v("1.4"))
        );
        assert_eq!(since("job.autoscaler.enabled"), Some(v("1.7")));
        assert_eq!(
            since("job.autoscaler.metrics.custom-evaluator.lag.class"),
            Some(v("1.16"))
        );
        assert_eq!(since("job.autoscaler.no-such"), None);
    }

    #[test]
    fn operator_versions_parse_like_release_names() {
        assert_eq!(OperatorVersion::parse("1.11"), Some(OperatorVersion(1, 11)));
        assert_eq!(
            OperatorVersion::parse("v1.9.2"),
            Some(OperatorVersion(1, 9))
        );
        assert!(OperatorVersion(1, 9) < OperatorVersion(1, 10));
        for bad in ["", "1", "1.x", "one.two", "1.2.3.4", "1.2.x"] {
            assert_eq!(OperatorVersion::parse(bad), None, "{bad:?}");
        }
    }
}

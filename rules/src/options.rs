//! Every Flink autoscaler option, read at compile time from the options table
//! (`data/autoscaler-options.tsv`, a copy of the operator's `AutoScalerOptions`).

use crate::values::ValueKind;
use std::sync::LazyLock;

const TABLE: &str = include_str!("../data/autoscaler-options.tsv");

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
    /// The option itself is deprecated; `replacement` names what to use instead.
    pub deprecated: bool,
    pub replacement: Option<&'static str>,
    /// Deprecated alias keys (current prefix).
    pub deprecated_keys: Vec<&'static str>,
    /// Old-prefix fallback keys.
    pub fallback_keys: Vec<&'static str>,
    pub description: &'static str,
}

/// How a key relates to its option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyRole {
    /// The option's current key.
    Current,
    /// A deprecated alias.
    DeprecatedAlias,
    /// An old `kubernetes.operator.job.autoscaler.*` fallback key.
    OldPrefix,
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
    all().iter().find(|o| o.key == key)
}

/// The option a key sets, and in which role; templated keys match any `<name>`.
/// The first match in table order wins (an option's current key, then its aliases,
/// then its fallbacks, then the next option).
pub fn lookup(key: &str) -> Option<(&'static OptionSpec, KeyRole)> {
    let index = key_index();
    let literal = index.literal.get(key).copied();
    // A templated key earlier in table order than the literal match takes precedence.
    let template = index
        .templates
        .iter()
        .take_while(|(rank, ..)| literal.is_none_or(|(first, ..)| *rank < first))
        .find(|(_, pattern, ..)| matches_key(pattern, key))
        .map(|&(rank, _, option, role)| (rank, option, role));
    template
        .or(literal)
        .map(|(_, option, role)| (&all()[option], role))
}

/// Every key pattern in table order, split into literal keys (looked up by hash: a
/// review looks up every key of its configuration) and templated ones (a few,
/// matched in turn). Each entry keeps its rank in table order.
struct KeyIndex {
    literal: std::collections::HashMap<&'static str, (usize, usize, KeyRole)>,
    templates: Vec<(usize, &'static str, usize, KeyRole)>,
}

fn key_index() -> &'static KeyIndex {
    static INDEX: LazyLock<KeyIndex> = LazyLock::new(|| {
        let mut index = KeyIndex {
            literal: std::collections::HashMap::new(),
            templates: Vec::new(),
        };
        let patterns = all().iter().enumerate().flat_map(|(i, o)| {
            std::iter::once((o.key, i, KeyRole::Current))
                .chain(
                    o.deprecated_keys
                        .iter()
                        .map(move |k| (*k, i, KeyRole::DeprecatedAlias)),
                )
                .chain(
                    o.fallback_keys
                        .iter()
                        .map(move |k| (*k, i, KeyRole::OldPrefix)),
                )
        });
        for (rank, (pattern, option, role)) in patterns.enumerate() {
            if pattern.contains('<') {
                index.templates.push((rank, pattern, option, role));
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
        if option.deprecated_keys.iter().any(|k| matches_key(k, key)) {
            return Some((option, KeyRole::DeprecatedAlias));
        }
        if option.fallback_keys.iter().any(|k| matches_key(k, key)) {
            return Some((option, KeyRole::OldPrefix));
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
            let deprecated = !col(3).trim().is_empty() || description.starts_with("Deprecated");
            let replacement = description
                .strip_prefix("Deprecated, use ")
                .and_then(|rest| rest.split_whitespace().next())
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
}

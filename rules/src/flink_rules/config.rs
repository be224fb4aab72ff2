//! `config.*`: how the keys are written (parse, unknown, deprecated, conflicting).
//! These apply whenever the keys are present, whether or not the autoscaler is on.

use crate::catalogue::RuleId;
use crate::config::{Entry, FlinkConfig};
use crate::effective::{self, keys_in_order};
use crate::finding::{Finding, Severity};
use crate::options::keys::flink::{
    CHECKPOINT_INTERVAL, PIPELINE_MAX_PARALLELISM, RECONCILE_INTERVAL,
    RECONCILE_INTERVAL_DEPRECATED, TASK_SLOTS,
};
use crate::options::{self, KeyRole, OLD_PREFIX, OperatorVersion, PREFIX};
use crate::text::edit_distance;
use crate::values::{self, ValueKind};
use std::sync::LazyLock;

/// Flink options outside the autoscaler's table whose values `config.parse` checks.
pub(super) const RELATED: &[(&str, ValueKind)] = &[
    (PIPELINE_MAX_PARALLELISM, ValueKind::Int),
    (TASK_SLOTS, ValueKind::Int),
    (CHECKPOINT_INTERVAL, ValueKind::Duration),
    (RECONCILE_INTERVAL, ValueKind::Duration),
    (RECONCILE_INTERVAL_DEPRECATED, ValueKind::Duration),
];

pub(super) fn config_rules(
    cfg: &FlinkConfig,
    version: Option<OperatorVersion>,
    out: &mut Vec<Finding>,
) {
    for entry in &cfg.entries {
        let key = &*entry.key;
        match options::lookup(key) {
            Some((option, _)) if version.is_some_and(|v| !known_in(key, v)) => {
                newer_key_rule(entry, option, version.unwrap_or(OperatorVersion(1, 0)), out);
            }
            Some((option, role)) => {
                parse_rule(key, option.kind, entry, out);
                deprecated_rule(key, option, role, entry, version, out);
            }
            None if is_autoscaler_key(key) => unknown_key_rule(entry, out),
            None => {
                if let Some((_, kind)) = RELATED.iter().find(|(k, _)| *k == key) {
                    parse_rule(key, *kind, entry, out);
                }
            }
        }
    }
    conflict_rule(cfg, out);
}

fn is_autoscaler_key(key: &str) -> bool {
    key.starts_with(PREFIX)
        || key.starts_with(OLD_PREFIX)
        || key == PREFIX.trim_end_matches('.')
        || key == OLD_PREFIX.trim_end_matches('.')
}

fn parse_rule(key: &str, kind: ValueKind, entry: &Entry, out: &mut Vec<Finding>) {
    let Some(raw) = entry.raw.as_deref() else {
        out.push(Finding::new(
            RuleId::ConfigParse,
            Severity::Deny,
            entry.path(),
            Some("null".into()),
            format!("{key} has no value"),
            format!("give it a {kind} value or remove the key"),
        ));
        return;
    };
    if entry.dropped_elements > 0 {
        out.push(Finding::new(
            RuleId::ConfigParse,
            Severity::Deny,
            entry.path(),
            Some(raw.to_string()),
            format!(
                "{} element{} of this list {} a map or a list, which the operator's flattening \
                 (ConfigObjectNode) drops without a word: the setting is silently lost; refused \
                 here, stricter than the operator",
                entry.dropped_elements,
                if entry.dropped_elements == 1 { "" } else { "s" },
                if entry.dropped_elements == 1 {
                    "is"
                } else {
                    "are"
                },
            ),
            "write each element as a string, e.g. - \"9:00-10:00\"",
        ));
        return;
    }
    if let Err(e) = values::parse(kind, raw) {
        let mut reason = e.to_string();
        if entry.scalar == crate::config::Scalar::List && kind != ValueKind::List {
            // The operator joins a YAML list with `;`; a one-element list of a valid
            // value is accepted (ConfigObjectNode.flattenHelper).
            reason = format!("a YAML list is joined with ';' into {raw:?}, which is {reason}");
        }
        // The parsers often give an example or a fix already; one is enough.
        let fix = if reason.contains("e.g.") || reason.contains(';') {
            String::new()
        } else {
            example_for(kind)
        };
        out.push(Finding::new(
            RuleId::ConfigParse,
            Severity::Deny,
            entry.path(),
            Some(raw.to_string()),
            reason,
            fix,
        ));
    }
}

fn example_for(kind: ValueKind) -> String {
    match kind {
        ValueKind::Boolean => "use true or false".into(),
        ValueKind::Int => "use a whole number, e.g. 4".into(),
        ValueKind::Double => "use a decimal number, e.g. 0.7".into(),
        ValueKind::Duration => "use a Flink duration, e.g. 30s, 5min, 1h".into(),
        ValueKind::Memory => "use a Flink memory size, e.g. 512m, 2g".into(),
        ValueKind::Enum(_, constants) => format!("use one of {}", constants.join(", ")),
        ValueKind::List | ValueKind::String => String::new(),
    }
}

/// Whether operator release `version` reads `key` (a key it does not know is
/// silently ignored).
fn known_in(key: &str, version: OperatorVersion) -> bool {
    options::since(key).is_none_or(|since| since <= version)
}

/// A key of the table that the operator release given with `--operator-version` does
/// not know yet: it would be ignored. Points at a spelling that release reads, if any.
fn newer_key_rule(
    entry: &Entry,
    option: &'static options::OptionSpec,
    version: OperatorVersion,
    out: &mut Vec<Finding>,
) {
    let key = &*entry.key;
    let since = options::since(key)
        .map(|v| v.to_string())
        .unwrap_or_default();
    // A key of the current prefix if that release has one, else an old-prefix one.
    let known: Vec<&str> = keys_in_order(option)
        .map(|(k, _)| k)
        .filter(|k| !k.contains('<') && known_in(k, version))
        .collect();
    let older = known
        .iter()
        .find(|k| k.starts_with(PREFIX))
        .or_else(|| known.first())
        .copied();
    let fix = match older {
        Some(k) => {
            format!("on operator {version} write {k}, or upgrade the operator to {since} or later")
        }
        None => format!("upgrade the operator to {since} or later, or remove it"),
    };
    out.push(Finding::new(
        RuleId::ConfigUnknownKey,
        Severity::Deny,
        entry.path(),
        entry.raw_string(),
        format!("{key} is not known to operator {version} (added in {since}): it would be ignored"),
        fix,
    ));
}

fn deprecated_rule(
    key: &str,
    option: &'static options::OptionSpec,
    role: KeyRole,
    entry: &Entry,
    version: Option<OperatorVersion>,
    out: &mut Vec<Finding>,
) {
    if role == KeyRole::Current && !option.deprecated {
        return;
    }
    let current = current_spelling(option.key, key);
    // Renaming advice must fit the operator the user runs: an older one ignores the
    // new key, so following the advice would drop the setting.
    let since = options::since(&current);
    if let (Some(v), Some(since)) = (version, since)
        && since > v
    {
        return;
    }
    let works_from = match (version, since) {
        (None, Some(since)) => {
            format!(" (read by operator {since} and later; older ones ignore it)")
        }
        _ => String::new(),
    };
    let (problem, fix) = match role {
        KeyRole::OldPrefix => (
            "old-prefix key, read only as a fallback".to_string(),
            format!("rename it to {current}{works_from}"),
        ),
        KeyRole::DeprecatedAlias => (
            "deprecated alias".to_string(),
            format!("rename it to {current}{works_from}"),
        ),
        KeyRole::Current if option.deprecated => (
            "deprecated option".to_string(),
            match option.replacement {
                Some(r) => format!("use {r} instead"),
                None => "remove it".to_string(),
            },
        ),
        KeyRole::Current => return,
    };
    out.push(Finding::new(
        RuleId::ConfigDeprecatedKey,
        Severity::Warn,
        entry.path(),
        entry.raw_string(),
        problem,
        fix,
    ));
}

/// The current key for a (possibly templated) option, with the user's `<name>`
/// segments filled in from the key they wrote.
fn current_spelling(option_key: &str, written: &str) -> String {
    if !option_key.contains('<') {
        return option_key.to_string();
    }
    let rest = written
        .strip_prefix(OLD_PREFIX)
        .or_else(|| written.strip_prefix(PREFIX))
        .unwrap_or(written);
    format!("{PREFIX}{rest}")
}

/// The option whose current key shares the most words with `key`, when every word of
/// `key` (after the prefix) is one of its words: `parallelism.min` ->
/// `vertex.min-parallelism`. Catches keys far apart by characters but close by words.
fn nearest_by_words(key: &str) -> Option<&'static options::OptionSpec> {
    let wanted = words(key);
    if wanted.is_empty() {
        return None;
    }
    // The options' words are split once, not for every unknown key of every review.
    static OPTION_WORDS: LazyLock<Vec<(Vec<String>, &'static options::OptionSpec)>> =
        LazyLock::new(|| {
            options::all()
                .iter()
                .filter(|o| !o.key.contains('<') && !o.deprecated)
                .map(|o| (words(o.key), o))
                .collect()
        });
    OPTION_WORDS
        .iter()
        .filter(|(have, _)| wanted.iter().all(|w| have.contains(w)))
        .map(|(have, o)| (have.len().saturating_sub(wanted.len()), *o))
        .min_by_key(|(extra, _)| *extra)
        .filter(|(extra, _)| *extra <= 2)
        .map(|(_, o)| o)
}

/// The words of a key after the autoscaler prefix, lower case, sorted, once each.
fn words(k: &str) -> Vec<String> {
    let rest = k
        .strip_prefix(OLD_PREFIX)
        .or_else(|| k.strip_prefix(PREFIX))
        .unwrap_or(k);
    let mut w: Vec<String> = rest
        .split(['.', '-', '_'])
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    w.sort();
    w.dedup();
    w
}

/// The option an unknown key most likely means: the first literal key within two
/// edits, else the nearest by words.
fn nearest_option(key: &str) -> Option<&'static options::OptionSpec> {
    // The literal keys, listed once rather than filtered for every unknown key.
    static LITERAL_KEYS: LazyLock<Vec<(&'static str, &'static options::OptionSpec)>> =
        LazyLock::new(|| {
            options::all_keys()
                .filter(|(k, _)| !k.contains('<'))
                .collect()
        });
    // The option keys are ASCII: for an ASCII key, lengths further apart than the
    // limit are a distance over it, and most keys are ruled out without comparing.
    let ascii = key.is_ascii();
    LITERAL_KEYS
        .iter()
        .filter(|(k, _)| !ascii || k.len().abs_diff(key.len()) <= 2)
        .map(|&(k, o)| (edit_distance(key, k, 2), o))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, o)| o)
        .or_else(|| nearest_by_words(key))
}

fn unknown_key_rule(entry: &Entry, out: &mut Vec<Finding>) {
    let key = &*entry.key;
    let nearest = nearest_option(key);
    match nearest {
        Some(option) => out.push(Finding::new(
            RuleId::ConfigUnknownKey,
            Severity::Deny,
            entry.path(),
            entry.raw_string(),
            format!("{key} is not an autoscaler option, the operator would ignore it"),
            format!("did you mean {}?", option.key),
        )),
        None => out.push(Finding::new(
            RuleId::ConfigUnknownKey,
            Severity::Warn,
            entry.path(),
            entry.raw_string(),
            format!("{key} is not an autoscaler option, the operator ignores it"),
            "remove it, or check the key against the operator's autoscaler options",
        )),
    }
}

fn conflict_rule(cfg: &FlinkConfig, out: &mut Vec<Finding>) {
    // One key written twice (flat and nested): the operator flattens the map in field
    // order and keeps one of them, so with different values what Flink applies is not
    // what a reader sees. Any key, not only autoscaler options.
    for (i, entry) in cfg.entries.iter().enumerate() {
        let key = &*entry.key;
        let earlier = &cfg.entries[..i];
        let later = &cfg.entries[i + 1..];
        if earlier.iter().any(|e| e.key == key) || !later.iter().any(|e| e.key == key) {
            continue;
        }
        let kind = options::lookup(key).map(|(o, _)| o.kind).or_else(|| {
            RELATED
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, kind)| *kind)
        });
        let mut written = cfg.all(key);
        let Some(first) = written.next() else {
            continue;
        };
        for other in written.filter(|o| !same_value(kind, first, o)) {
            out.push(Finding::new(
                RuleId::ConfigConflictingKeys,
                Severity::Deny,
                other.path(),
                other.raw_string(),
                format!(
                    "{key} is written twice, flat and nested, with different values ({} and {}): \
                     the operator keeps only one of them, depending on field order",
                    first.shown(),
                    other.shown()
                ),
                format!("write {key} once"),
            ));
        }
    }
    // One option through two of its keys (current, fallback, deprecated alias).
    let written = effective::written(cfg);
    for by_option in written.chunk_by(|a, b| std::ptr::eq(a.option(), b.option())) {
        let Some((winner, others)) = by_option.split_first() else {
            continue;
        };
        let option = winner.option();
        let winner = winner.entry;
        for other in others
            .iter()
            .map(|w| w.entry)
            .filter(|o| !same_value(Some(option.kind), winner, o))
        {
            out.push(Finding::new(
                RuleId::ConfigConflictingKeys,
                Severity::Deny,
                other.path(),
                other.raw_string(),
                format!(
                    "{} and {} both set {}, with different values ({} and {}): Flink reads {} \
                     and ignores this one",
                    winner.key,
                    other.key,
                    option.key,
                    winner.shown(),
                    other.shown(),
                    winner.key
                ),
                format!("keep only {}", option.key),
            ));
        }
    }
}

/// Two spellings agree when they parse to the same value (`5min` and `300s`), or, for
/// keys of unknown type, when they are the same text.
fn same_value(kind: Option<ValueKind>, a: &Entry, b: &Entry) -> bool {
    match (a.raw.as_deref(), b.raw.as_deref()) {
        (Some(x), Some(y)) => match kind.map(|k| (values::parse(k, x), values::parse(k, y))) {
            Some((Ok(px), Ok(py))) => px == py,
            _ => x == y,
        },
        (None, None) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use crate::flink_rules::tests::*;

    #[test]
    fn config_parse_reports_every_bad_value() {
        let fs = findings(&deployment(json!({
            "job.autoscaler.metrics.window": "5 mins",
            "job.autoscaler.utilization.target": "high",
            "job.autoscaler.scaling.enabled": "yes",
            "job.autoscaler.vertex.min-parallelism": "1.5",
            "job.autoscaler.quota.memory": "lots",
            "job.autoscaler.metrics.busy-time.aggregator": "median",
            "pipeline.max-parallelism": "many",
        })));
        let parse = of_rule(&fs, RuleId::ConfigParse);
        for key in [
            "job.autoscaler.metrics.window",
            "job.autoscaler.utilization.target",
            "job.autoscaler.scaling.enabled",
            "job.autoscaler.vertex.min-parallelism",
            "job.autoscaler.quota.memory",
            "job.autoscaler.metrics.busy-time.aggregator",
            "pipeline.max-parallelism",
        ] {
            assert!(
                parse.contains(&(Severity::Deny, path(key))),
                "no parse finding for {key}: {parse:?}"
            );
        }
        let window = fs
            .iter()
            .find(|f| f.path == path("job.autoscaler.metrics.window"))
            .expect("window finding");
        assert_eq!(window.value.as_deref(), Some("5 mins"));
        assert!(window.message.contains("5min"), "{}", window.message);
        let agg = fs
            .iter()
            .find(|f| f.path == path("job.autoscaler.metrics.busy-time.aggregator"))
            .expect("aggregator finding");
        assert!(agg.message.contains("AVG, MAX, MIN"), "{}", agg.message);
    }

    #[test]
    fn config_parse_accepts_typed_nested_scalars() {
        let object = json!({
            "apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
            "metadata": {"name": "x"},
            "spec": {"flinkConfiguration": {
                "job.autoscaler": {"enabled": true, "metrics.window": "3m",
                                   "utilization.max": 0.8,
                                   "vertex.max-parallelism": 12},
                "execution.checkpointing.interval": "1m"
            }, "job": {"upgradeMode": "savepoint"}}
        });
        assert_eq!(findings(&object), vec![]);
    }

    #[test]
    fn config_parse_refuses_null_and_lists_for_scalars() {
        let fs = findings(&deployment(json!({
            "job.autoscaler.restart.time": null,
            "job.autoscaler.metrics.window": ["1m", "2m"],
            "job.autoscaler.vertex.exclude.ids": ["a1", "b2"],
        })));
        let parse = of_rule(&fs, RuleId::ConfigParse);
        assert_eq!(
            parse,
            vec![
                (Severity::Deny, path("job.autoscaler.metrics.window")),
                (Severity::Deny, path("job.autoscaler.restart.time")),
            ]
        );
    }

    #[test]
    fn flink_configuration_that_is_not_a_map_is_refused() {
        let mut object = deployment(json!({}));
        object["spec"]["flinkConfiguration"] = json!("job.autoscaler.enabled=true");
        let fs = findings(&object);
        assert_eq!(
            of_rule(&fs, RuleId::ConfigParse),
            vec![(Severity::Deny, "spec.flinkConfiguration".into())]
        );
    }

    #[test]
    fn unknown_keys_near_a_real_one_are_typos() {
        let fs = findings(&deployment(json!({
            "job.autoscaler.metric.window": "5m",
            "job.autoscaler": {"enable": true},
            "kubernetes.operator.job.autoscaler.stabilisation.interval": "1m",
            "job.autoscaler.some.future.option": "x",
            "high-availability.type": "kubernetes",
        })));
        let unknown = of_rule(&fs, RuleId::ConfigUnknownKey);
        assert!(unknown.contains(&(Severity::Deny, path("job.autoscaler.metric.window"))));
        assert!(unknown.contains(&(Severity::Deny, path("job.autoscaler.enable"))));
        assert!(unknown.contains(&(
            Severity::Deny,
            path("kubernetes.operator.job.autoscaler.stabilisation.interval")
        )));
        assert!(unknown.contains(&(Severity::Warn, path("job.autoscaler.some.future.option"))));
        assert_eq!(unknown.len(), 4, "{unknown:?}");
        let hint = fs
            .iter()
            .find(|f| f.path == path("job.autoscaler.metric.window"))
            .expect("typo");
        assert!(
            hint.message
                .contains("did you mean job.autoscaler.metrics.window?")
        );
        let old = fs
            .iter()
            .find(|f| f.path.contains("stabilisation"))
            .expect("old typo");
        assert!(
            old.message
                .contains("job.autoscaler.stabilization.interval"),
            "{}",
            old.message
        );
    }

    #[test]
    fn templated_custom_evaluator_keys_are_known() {
        let fs = findings(&deployment(json!({
            "job.autoscaler.metrics.custom-evaluators": "lag",
            "job.autoscaler.metrics.custom-evaluator.lag.class": "com.example.LagEvaluator",
            "job.autoscaler.metrics.custom-evaluator.lag.threshold.ms": "500",
            "job.autoscaler.scaling.custom-executor.gate.class": "com.example.Gate",
        })));
        assert_eq!(fs, vec![]);
    }

    #[test]
    fn deprecated_keys_name_the_current_key() {
        let fs = findings(&deployment(json!({
            "job.autoscaler.target.utilization": "0.6",
            "kubernetes.operator.job.autoscaler.metrics.window": "10m",
            "job.autoscaler.scaling.key-group.partitions.adjust.mode": "EVENLY_SPREAD",
            "kubernetes.operator.job.autoscaler.metrics.custom-evaluator.lag.class": "com.example.L",
        })));
        let dep: Vec<_> = fs
            .iter()
            .filter(|f| f.rule == RuleId::ConfigDeprecatedKey)
            .collect();
        assert_eq!(dep.len(), 4, "{dep:?}");
        assert!(dep.iter().all(|f| f.severity == Severity::Warn));
        let msg = |k: &str| {
            dep.iter()
                .find(|f| f.path == path(k))
                .map(|f| f.message.clone())
                .unwrap_or_default()
        };
        assert!(
            msg("job.autoscaler.target.utilization")
                .contains("rename it to job.autoscaler.utilization.target")
        );
        assert!(
            msg("kubernetes.operator.job.autoscaler.metrics.window")
                .contains("job.autoscaler.metrics.window")
        );
        assert!(
            msg("job.autoscaler.scaling.key-group.partitions.adjust.mode")
                .contains("job.autoscaler.scaling.parallelism-alignment.mode")
        );
        assert!(
            msg("kubernetes.operator.job.autoscaler.metrics.custom-evaluator.lag.class")
                .contains("job.autoscaler.metrics.custom-evaluator.lag.class")
        );
        // Deprecated spellings still count as set, so nothing else fires.
        assert!(
            fs.iter().all(|f| f.rule == RuleId::ConfigDeprecatedKey),
            "{fs:?}"
        );
    }

    #[test]
    fn one_option_through_two_keys_must_agree() {
        let agree = findings(&deployment(json!({
            "job.autoscaler.metrics.window": "5m",
            "kubernetes.operator.job.autoscaler.metrics.window": "300s",
        })));
        assert!(of_rule(&agree, RuleId::ConfigConflictingKeys).is_empty());
        let disagree = findings(&deployment(json!({
            "job.autoscaler.utilization.target": "0.7",
            "job.autoscaler.target.utilization": "0.5",
        })));
        assert_eq!(
            of_rule(&disagree, RuleId::ConfigConflictingKeys),
            vec![(Severity::Deny, path("job.autoscaler.target.utilization"))]
        );
        let twice = findings(&deployment(json!({
            "job.autoscaler.scaling.enabled": "false",
            "job.autoscaler": {"scaling.enabled": true},
        })));
        assert_eq!(of_rule(&twice, RuleId::ConfigConflictingKeys).len(), 1);
        // Any key written flat and nested with different values, not only autoscaler options:
        // the operator applies one of them depending on field order.
        let twice = findings(&deployment(json!({
            "kubernetes.operator.reconcile.interval": "10min",
            "kubernetes.operator": {"reconcile.interval": "10s"},
            "pipeline.max-parallelism": "64",
            "pipeline": {"max-parallelism": 64},
            "jobmanager.scheduler": "adaptive",
            "jobmanager": {"scheduler": "default"},
        })));
        let mut hits = of_rule(&twice, RuleId::ConfigConflictingKeys);
        hits.sort();
        assert_eq!(
            hits,
            vec![
                (Severity::Deny, path("jobmanager.scheduler")),
                (
                    Severity::Deny,
                    path("kubernetes.operator.reconcile.interval")
                ),
            ]
        );
        // The message reads as what happens, never "sets X like X does".
        let disagree = findings(&deployment(json!({
            "job.autoscaler.utilization.target": "0.7",
            "kubernetes.operator.job.autoscaler.utilization.target": "0.5",
        })));
        let f = disagree
            .iter()
            .find(|f| f.rule == RuleId::ConfigConflictingKeys)
            .expect("conflict");
        assert_eq!(
            f.message,
            "job.autoscaler.utilization.target and kubernetes.operator.job.autoscaler.utilization.target \
             both set job.autoscaler.utilization.target, with different values (0.7 and 0.5): Flink \
             reads job.autoscaler.utilization.target and ignores this one; keep only \
             job.autoscaler.utilization.target"
        );
    }
    #[test]
    fn keys_close_by_words_get_a_suggestion() {
        let fs = findings(&deployment(json!({
            "job.autoscaler.parallelism.min": "2",
            "job.autoscaler.window.metrics": "10m",
        })));
        let hint = |key: &str| {
            fs.iter()
                .find(|f| f.path == path(key))
                .map(|f| (f.severity, f.message.clone()))
                .expect(key)
        };
        let (severity, message) = hint("job.autoscaler.parallelism.min");
        assert_eq!(severity, Severity::Deny);
        assert!(
            message.ends_with("did you mean job.autoscaler.vertex.min-parallelism?"),
            "{message}"
        );
        let (_, message) = hint("job.autoscaler.window.metrics");
        assert!(
            message.ends_with("did you mean job.autoscaler.metrics.window?"),
            "{message}"
        );
    }

    fn findings_for(object: &Value, version: &str) -> Vec<Finding> {
        let settings = RuleSettings {
            operator_version: crate::options::OperatorVersion::parse(version),
            ..RuleSettings::default()
        };
        let input = ReviewInput {
            object,
            namespace: "flink",
            cluster: None,
        };
        review(&input, &settings).findings
    }

    /// `utilization.target` exists from operator 1.11 (read off the release tags), its
    /// deprecated alias `target.utilization` before.
    #[test]
    fn advice_fits_the_operator_version() {
        let alias = deployment(json!({"job.autoscaler.target.utilization": "0.6"}));
        // Without a version the advice says from which release the new key works.
        let f = findings(&alias)
            .into_iter()
            .find(|f| f.rule == RuleId::ConfigDeprecatedKey)
            .expect("deprecated alias");
        assert!(
            f.message.ends_with(
                "rename it to job.autoscaler.utilization.target (read by operator 1.11 and later; \
                 older ones ignore it)"
            ),
            "{}",
            f.message
        );
        // On 1.10 the alias is the right key: no renaming advice.
        assert!(of_rule(&findings_for(&alias, "1.10"), RuleId::ConfigDeprecatedKey).is_empty());
        assert_eq!(
            of_rule(&findings_for(&alias, "1.11"), RuleId::ConfigDeprecatedKey).len(),
            1
        );
        // The new key on 1.10 would be ignored: denied, pointing at the key 1.10 reads.
        let new = deployment(json!({"job.autoscaler.utilization.target": "0.6"}));
        let fs = findings_for(&new, "1.10");
        let f = fs
            .iter()
            .find(|f| f.rule == RuleId::ConfigUnknownKey)
            .expect("unknown on 1.10");
        assert_eq!(f.severity, Severity::Deny);
        assert_eq!(
            f.message,
            "job.autoscaler.utilization.target is not known to operator 1.10 (added in 1.11): it \
             would be ignored; on operator 1.10 write job.autoscaler.target.utilization, or upgrade \
             the operator to 1.11 or later"
        );
        assert!(of_rule(&findings_for(&new, "1.11"), RuleId::ConfigUnknownKey).is_empty());
    }

    /// `ConfigObjectNode.flattenHelper` joins a YAML list's scalars with `;` and drops maps
    /// inside it: `[0.5]` is the double 0.5, `[{daily: ...}]` an empty list.
    #[test]
    fn lists_are_read_as_the_operator_flattens_them() {
        let one = findings(&deployment(
            json!({"job.autoscaler": {"utilization.target": [0.5]}}),
        ));
        assert!(of_rule(&one, RuleId::ConfigParse).is_empty(), "{one:?}");
        let two = findings(&deployment(
            json!({"job.autoscaler": {"utilization.target": [0.5, 0.6]}}),
        ));
        let f = two
            .iter()
            .find(|f| f.rule == RuleId::ConfigParse)
            .expect("two doubles");
        assert!(
            f.message
                .starts_with("a YAML list is joined with ';' into \"0.5;0.6\""),
            "{}",
            f.message
        );
        let map = findings(&deployment(
            json!({"job.autoscaler": {"excluded": {"periods": [{"daily": "9:00-10:00"}]}}}),
        ));
        let f = map
            .iter()
            .find(|f| f.rule == RuleId::ConfigParse)
            .expect("map in list");
        assert_eq!(f.severity, Severity::Deny);
        assert!(f.message.contains("silently lost"), "{}", f.message);
    }
}

#[cfg(test)]
mod nearest_tests {
    use super::*;
    use proptest::prelude::*;

    /// The definition: every literal key compared, the first nearest within two edits.
    fn nearest_by_scan(key: &str) -> Option<&'static options::OptionSpec> {
        options::all_keys()
            .filter(|(k, _)| !k.contains('<'))
            .map(|(k, o)| (edit_distance(key, k, 2), o))
            .filter(|(d, _)| *d <= 2)
            .min_by_key(|(d, _)| *d)
            .map(|(_, o)| o)
            .or_else(|| nearest_by_words(key))
    }

    fn key_near_a_real_one() -> impl Strategy<Value = String> {
        let keys: Vec<&'static str> = options::all_keys()
            .map(|(k, _)| k)
            .filter(|k| !k.contains('<'))
            .collect();
        (
            proptest::sample::select(keys),
            proptest::collection::vec((0usize..80, 0u8..4, prop::char::any()), 0..4),
        )
            .prop_map(|(key, edits)| {
                let mut chars: Vec<char> = key.chars().collect();
                for (at, how, c) in edits {
                    let at = at % (chars.len() + 1);
                    match how {
                        0 if at < chars.len() => {
                            chars.remove(at);
                        }
                        1 => chars.insert(at, c),
                        2 if at < chars.len() => chars[at] = c,
                        _ => chars.insert(at, (b'a' + (at % 26) as u8) as char),
                    }
                }
                chars.into_iter().collect()
            })
    }

    proptest! {
        #[test]
        fn nearest_option_is_the_scan_of_every_key(key in key_near_a_real_one()) {
            prop_assert_eq!(
                nearest_option(&key).map(|o| o.key),
                nearest_by_scan(&key).map(|o| o.key)
            );
        }
    }
}

//! The rule catalogue for FlinkDeployments and FlinkSessionJobs (DESIGN.md, "Rules for
//! FlinkDeployment"). Every rule sees the whole configuration and reports every
//! problem it finds; none stops at the first.

use crate::cluster::ClusterState;
use crate::config::{FlinkConfig, config_path};
use crate::effective::{EffectiveConfig, Setting, keys_in_order};
use crate::finding::{Finding, Severity};
use crate::object::{self, Kind};
use crate::options::{self, KeyRole, OLD_PREFIX, OperatorVersion, PREFIX};
use crate::ownership::{self, Reach};
use crate::review::{ReviewInput, RuleSettings};
use crate::text::{edit_distance, num};
use crate::values::{self, Value as FlinkValue, ValueKind, format_duration};
use serde_json::Value;
use std::time::Duration;

const ENABLED: &str = "job.autoscaler.enabled";
const SCALING_ENABLED: &str = "job.autoscaler.scaling.enabled";
const TARGET: &str = "job.autoscaler.utilization.target";
const BOUNDARY: &str = "job.autoscaler.target.utilization.boundary";
const UTIL_MAX: &str = "job.autoscaler.utilization.max";
const UTIL_MIN: &str = "job.autoscaler.utilization.min";
const MIN_PAR: &str = "job.autoscaler.vertex.min-parallelism";
const MAX_PAR: &str = "job.autoscaler.vertex.max-parallelism";
const DOWN_FACTOR: &str = "job.autoscaler.scale-down.max-factor";
const UP_FACTOR: &str = "job.autoscaler.scale-up.max-factor";
const WINDOW: &str = "job.autoscaler.metrics.window";
const MEMORY_TUNING: &str = "job.autoscaler.memory.tuning.enabled";

/// Flink options outside the autoscaler's table that the rules read.
const PIPELINE_MAX_PAR: &str = "pipeline.max-parallelism";
const CHECKPOINT_INTERVAL: &str = "execution.checkpointing.interval";
const SCHEDULER: &str = "jobmanager.scheduler";
const RECONCILE_INTERVAL: &str = "kubernetes.operator.reconcile.interval";
/// `KubernetesOperatorConfigOptions.OPERATOR_RECONCILE_INTERVAL`'s deprecated key, read
/// when the current one is absent.
const RECONCILE_INTERVAL_DEPRECATED: &str = "kubernetes.operator.reconciler.reschedule.interval";
const RELATED: &[(&str, ValueKind)] = &[
    (PIPELINE_MAX_PAR, ValueKind::Int),
    ("taskmanager.numberOfTaskSlots", ValueKind::Int),
    (CHECKPOINT_INTERVAL, ValueKind::Duration),
    (RECONCILE_INTERVAL, ValueKind::Duration),
    (RECONCILE_INTERVAL_DEPRECATED, ValueKind::Duration),
];

/// Rule ids, stable: they appear in JSON output and metric labels.
pub mod ids {
    pub const PARSE: &str = "config.parse";
    pub const UNKNOWN_KEY: &str = "config.unknown-key";
    pub const DEPRECATED_KEY: &str = "config.deprecated-key";
    pub const CONFLICTING_KEYS: &str = "config.conflicting-keys";
    pub const UTILIZATION_RANGE: &str = "autoscaler.utilization-range";
    pub const BOUNDARY_DISABLES_SCALING: &str = "autoscaler.boundary-disables-scaling";
    pub const PARALLELISM_BOUNDS: &str = "autoscaler.parallelism-bounds";
    pub const FACTORS: &str = "autoscaler.factors";
    pub const THRESHOLDS: &str = "autoscaler.thresholds";
    pub const DURATIONS: &str = "autoscaler.durations";
    pub const STATELESS_UPGRADE: &str = "autoscaler.stateless-upgrade";
    pub const NO_CHECKPOINTING: &str = "autoscaler.no-checkpointing";
    pub const UNBOUNDED: &str = "autoscaler.unbounded";
    pub const HPA_CONFLICT: &str = "autoscaler.hpa-conflict";
    pub const MEMORY_TUNING_VPA_CONFLICT: &str = "autoscaler.memory-tuning-vpa-conflict";
}

/// What the rules know about the object under review.
struct Subject<'a> {
    namespace: &'a str,
    /// The configuration Flink will see (for a session job: merged with its cluster's).
    config: FlinkConfig,
    effective: EffectiveConfig,
    /// An application (`spec.job` present) rather than a session cluster.
    has_job: bool,
    upgrade_mode: Option<&'a str>,
    /// `spec.flinkVersion` (of the session cluster for a session job), e.g. `v1_20`.
    flink_version: Option<String>,
    /// The FlinkDeployment whose TaskManagers run the job.
    cluster_name: Option<String>,
    cluster: Option<&'a dyn ClusterState>,
}

/// Runs every FlinkDeployment/FlinkSessionJob rule.
pub fn check(input: &ReviewInput<'_>, settings: &RuleSettings) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(subject) = subject(input, &mut out) else {
        return out;
    };
    // config.* rules judge what this object itself wrote.
    let own = own_config(input.object);
    config_rules(&own, settings.operator_version, &mut out);

    if settings.operator_rules {
        crate::operator_spec::check(input, &subject.config, &mut out);
    }
    let eff = &subject.effective;
    if eff.bool(ENABLED) != Some(true) {
        return out;
    }
    utilization_rules(eff, &mut out);
    crate::periods::check(eff, &mut out);
    parallelism_rules(&subject, &mut out);
    factor_rules(eff, &mut out);
    threshold_rules(eff, &mut out);
    duration_rules(&subject, settings, &mut out);
    if subject.has_job {
        job_rules(&subject, &mut out);
    }
    if let Some(cluster) = subject.cluster {
        cluster_rules(&subject, cluster, &mut out);
    }
    out
}

fn own_config(object: &Value) -> FlinkConfig {
    FlinkConfig::from_json(object.pointer("/spec/flinkConfiguration")).unwrap_or_default()
}

fn subject<'a>(input: &ReviewInput<'a>, out: &mut Vec<Finding>) -> Option<Subject<'a>> {
    let object = input.object;
    let kind = Kind::of_object(object);
    let own = match FlinkConfig::from_json(object.pointer("/spec/flinkConfiguration")) {
        Ok(cfg) => cfg,
        Err(e) => {
            let shown = object
                .pointer("/spec/flinkConfiguration")
                .map(|v| v.to_string());
            out.push(Finding::new(
                ids::PARSE,
                Severity::Deny,
                "spec.flinkConfiguration",
                shown,
                e.to_string(),
                "write it as `key: value` pairs, e.g. `job.autoscaler.enabled: \"true\"`",
            ));
            return None;
        }
    };
    let spec = object.get("spec");
    let job = spec.and_then(|s| s.get("job")).filter(|j| !j.is_null());
    let upgrade_mode = job
        .and_then(|j| j.get("upgradeMode"))
        .and_then(Value::as_str);
    let mut flink_version = spec
        .and_then(|s| s.get("flinkVersion"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let mut config = own;
    let mut cluster_name = Some(object::name(object).to_string());
    if kind == Kind::FlinkSessionJob {
        cluster_name = spec
            .and_then(|s| s.get("deploymentName"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let session = match (input.cluster, cluster_name.as_deref()) {
            (Some(cluster), Some(dep)) => cluster.flink_deployment(input.namespace, dep),
            _ => None,
        };
        if let Some(session) = session {
            let base = own_config(&session);
            config = config.overlaid_on(&base);
            flink_version = session
                .pointer("/spec/flinkVersion")
                .and_then(Value::as_str)
                .map(str::to_string);
        }
    }
    let effective = EffectiveConfig::resolve(&config);
    Some(Subject {
        namespace: input.namespace,
        config,
        effective,
        has_job: job.is_some(),
        upgrade_mode,
        flink_version,
        cluster_name,
        cluster: input.cluster,
    })
}

// ---------------------------------------------------------------------------------
// config.*: apply whenever the keys are present.

fn config_rules(cfg: &FlinkConfig, version: Option<OperatorVersion>, out: &mut Vec<Finding>) {
    for entry in &cfg.entries {
        let key = entry.key.as_str();
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

fn parse_rule(key: &str, kind: ValueKind, entry: &crate::config::Entry, out: &mut Vec<Finding>) {
    let Some(raw) = entry.raw.as_deref() else {
        out.push(Finding::new(
            ids::PARSE,
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
            ids::PARSE,
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
            ids::PARSE,
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
    entry: &crate::config::Entry,
    option: &'static options::OptionSpec,
    version: OperatorVersion,
    out: &mut Vec<Finding>,
) {
    let key = entry.key.as_str();
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
        ids::UNKNOWN_KEY,
        Severity::Deny,
        entry.path(),
        entry.raw.clone(),
        format!("{key} is not known to operator {version} (added in {since}): it would be ignored"),
        fix,
    ));
}

fn deprecated_rule(
    key: &str,
    option: &'static options::OptionSpec,
    role: KeyRole,
    entry: &crate::config::Entry,
    version: Option<OperatorVersion>,
    out: &mut Vec<Finding>,
) {
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
        ids::DEPRECATED_KEY,
        Severity::Warn,
        entry.path(),
        entry.raw.clone(),
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
    let words = |k: &str| -> Vec<String> {
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
    };
    let wanted = words(key);
    if wanted.is_empty() {
        return None;
    }
    options::all()
        .iter()
        .filter(|o| !o.key.contains('<') && !o.deprecated)
        .filter_map(|o| {
            let have = words(o.key);
            wanted
                .iter()
                .all(|w| have.contains(w))
                .then(|| (have.len().saturating_sub(wanted.len()), o))
        })
        .min_by_key(|(extra, _)| *extra)
        .filter(|(extra, _)| *extra <= 2)
        .map(|(_, o)| o)
}

fn unknown_key_rule(entry: &crate::config::Entry, out: &mut Vec<Finding>) {
    let key = entry.key.as_str();
    let nearest = options::all_keys()
        .filter(|(k, _)| !k.contains('<'))
        .map(|(k, o)| (edit_distance(key, k, 2), o))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .or_else(|| nearest_by_words(key).map(|o| (0, o)));
    match nearest {
        Some((_, option)) => out.push(Finding::new(
            ids::UNKNOWN_KEY,
            Severity::Deny,
            entry.path(),
            entry.raw.clone(),
            format!("{key} is not an autoscaler option, the operator would ignore it"),
            format!("did you mean {}?", option.key),
        )),
        None => out.push(Finding::new(
            ids::UNKNOWN_KEY,
            Severity::Warn,
            entry.path(),
            entry.raw.clone(),
            format!("{key} is not an autoscaler option, the operator ignores it"),
            "remove it, or check the key against the operator's autoscaler options",
        )),
    }
}

fn conflict_rule(cfg: &FlinkConfig, out: &mut Vec<Finding>) {
    // One key written twice (flat and nested): the operator flattens the map in field
    // order and keeps one of them, so with different values what Flink applies is not
    // what a reader sees. Any key, not only autoscaler options.
    let mut seen: Vec<&str> = Vec::new();
    for entry in &cfg.entries {
        let key = entry.key.as_str();
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
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
                ids::CONFLICTING_KEYS,
                Severity::Deny,
                other.path(),
                other.raw.clone(),
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
    for option in options::all().iter().filter(|o| !o.key.contains('<')) {
        let written: Vec<_> = keys_in_order(option)
            .filter_map(|(key, _)| cfg.get(key))
            .collect();
        let Some((winner, others)) = written.split_first() else {
            continue;
        };
        for other in others
            .iter()
            .filter(|o| !same_value(Some(option.kind), winner, o))
        {
            out.push(Finding::new(
                ids::CONFLICTING_KEYS,
                Severity::Deny,
                other.path(),
                other.raw.clone(),
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
fn same_value(kind: Option<ValueKind>, a: &crate::config::Entry, b: &crate::config::Entry) -> bool {
    match (a.raw.as_deref(), b.raw.as_deref()) {
        (Some(x), Some(y)) => match kind.map(|k| (values::parse(k, x), values::parse(k, y))) {
            Some((Ok(px), Ok(py))) => px == py,
            _ => x == y,
        },
        (None, None) => true,
        _ => false,
    }
}

// ---------------------------------------------------------------------------------
// autoscaler.*: apply when the autoscaler is enabled.

fn deny(
    rule: &'static str,
    s: &Setting,
    problem: impl AsRef<str>,
    fix: impl AsRef<str>,
) -> Finding {
    Finding::new(
        rule,
        Severity::Deny,
        s.path(),
        s.raw.clone(),
        origin_suffix(s, problem),
        fix,
    )
}

fn warn(
    rule: &'static str,
    s: &Setting,
    problem: impl AsRef<str>,
    fix: impl AsRef<str>,
) -> Finding {
    Finding::new(
        rule,
        Severity::Warn,
        s.path(),
        s.raw.clone(),
        origin_suffix(s, problem),
        fix,
    )
}

/// Findings on a default value say so: the user never wrote it.
fn origin_suffix(s: &Setting, problem: impl AsRef<str>) -> String {
    if s.is_set() {
        problem.as_ref().to_string()
    } else {
        format!("{} (the default)", problem.as_ref())
    }
}

/// A setting together with its parsed number, when it parsed.
fn number<'a>(eff: &'a EffectiveConfig, option: &str) -> Option<(&'a Setting, f64)> {
    let s = eff.get(option)?;
    let v = s.value.as_ref().and_then(FlinkValue::as_f64)?;
    Some((s, v))
}

/// Why NaN is refused though the operator's `AutoscalerValidator.validateNumber` lets it
/// through (every comparison with NaN is false): the autoscaler would then compute with
/// NaN. Said in every such message, since here we are stricter than the operator.
const NAN_STRICTER: &str = "NaN passes the operator's range check (comparisons with NaN are \
     false) but makes the autoscaler compute with NaN; refused here, stricter than the operator";

/// `lo < x <= hi` style checks that treat NaN as out of range.
fn within(x: f64, lo: f64, lo_open: bool, hi: f64, hi_open: bool) -> bool {
    let above = if lo_open { x > lo } else { x >= lo };
    let below = if hi_open { x < hi } else { x <= hi };
    above && below
}

fn utilization_rules(eff: &EffectiveConfig, out: &mut Vec<Finding>) {
    let target = number(eff, TARGET);
    let mut target_ok = None;
    // AutoscalerValidator.validateAutoscalerOptions: utilization.target in [0, 1].
    if let Some((s, t)) = target {
        if t.is_nan() {
            out.push(deny(
                ids::UTILIZATION_RANGE,
                s,
                NAN_STRICTER,
                "set a fraction such as 0.7",
            ));
        } else if !within(t, 0.0, false, 1.0, false) {
            out.push(deny(
                ids::UTILIZATION_RANGE,
                s,
                "must be in [0, 1] (AutoscalerValidator): the share of time a vertex should be busy",
                "set a fraction such as 0.7",
            ));
        } else {
            if t == 0.0 {
                out.push(warn(
                    ids::UTILIZATION_RANGE,
                    s,
                    "0 is accepted by the operator but asks for vertices that are never busy: \
                     every vertex is scaled up to its maximum parallelism",
                    "set a fraction such as 0.7",
                ));
            }
            target_ok = Some(t);
        }
    }
    let t = target_ok;
    let max = number(eff, UTIL_MAX);
    if let Some((s, m)) = max {
        let lo = t.unwrap_or(0.0);
        if m.is_nan() {
            out.push(deny(
                ids::UTILIZATION_RANGE,
                s,
                NAN_STRICTER,
                "raise it to at least the target, at most 1",
            ));
        } else if !within(m, lo, false, 1.0, false) {
            out.push(deny(
                ids::UTILIZATION_RANGE,
                s,
                format!("must be in [utilization.target, 1] = [{}, 1]", num(lo)),
                "raise it to at least the target, at most 1",
            ));
        }
    }
    let min = number(eff, UTIL_MIN);
    if let Some((s, m)) = min {
        let hi = t.unwrap_or(1.0);
        if m.is_nan() {
            out.push(deny(
                ids::UTILIZATION_RANGE,
                s,
                NAN_STRICTER,
                "lower it to at most the target",
            ));
        } else if !within(m, 0.0, false, hi, false) {
            out.push(deny(
                ids::UTILIZATION_RANGE,
                s,
                format!("must be in [0, utilization.target] = [0, {}]", num(hi)),
                "lower it to at most the target",
            ));
        }
    }
    let boundary = number(eff, BOUNDARY);
    let mut boundary_ok = None;
    if let Some((s, b)) = boundary {
        if b.is_nan() {
            out.push(deny(
                ids::UTILIZATION_RANGE,
                s,
                NAN_STRICTER,
                "set the tolerated distance from the target, e.g. 0.1",
            ));
        } else if b >= 0.0 {
            boundary_ok = Some((s, b));
        } else {
            out.push(deny(
                ids::UTILIZATION_RANGE,
                s,
                "must be >= 0 (AutoscalerValidator)",
                "set the tolerated distance from the target, e.g. 0.1",
            ));
        }
    }
    // What the boundary implies, when the explicit min/max do not override it.
    let (Some(t), Some((bs, b))) = (t, boundary_ok) else {
        return;
    };
    if max.is_none() && t + b > 1.0 {
        out.push(warn(
            ids::BOUNDARY_DISABLES_SCALING,
            bs,
            format!(
                "target + boundary = {} + {} = {} > 1: a vertex would have to be busier than 100%, \
                 so load alone triggers a scale-up only while a source works off backlog \
                 (then the operator's upper bound is 100%)",
                num(t),
                num(b),
                num(t + b)
            ),
            format!(
                "keep target + boundary <= 1, e.g. boundary {}",
                num((1.0 - t).max(0.0))
            ),
        ));
    }
    if min.is_none() && t - b <= 0.0 {
        out.push(warn(
            ids::BOUNDARY_DISABLES_SCALING,
            bs,
            format!(
                "target - boundary = {} - {} = {} <= 0: utilization never falls below it, \
                 so the job never scales down",
                num(t),
                num(b),
                num(t - b)
            ),
            format!("keep target - boundary > 0, e.g. boundary {}", num(t / 2.0)),
        ));
    }
}

fn parallelism_rules(subject: &Subject<'_>, out: &mut Vec<Finding>) {
    let eff = &subject.effective;
    let min = eff
        .get(MIN_PAR)
        .and_then(|s| Some((s, s.value.as_ref()?.as_i64()?)));
    let max = eff
        .get(MAX_PAR)
        .and_then(|s| Some((s, s.value.as_ref()?.as_i64()?)));
    if let Some((s, m)) = min
        && m < 1
    {
        // The operator accepts it; JobVertexScaler then bounds parallelism below by
        // min(current, this), i.e. not at all.
        out.push(warn(
            ids::PARALLELISM_BOUNDS,
            s,
            format!(
                "{m} is accepted by the operator but removes the lower bound: a vertex without \
                 load may be scaled down to a parallelism of {m}"
            ),
            "use 1 (the default) or more",
        ));
    }
    // The operator accepts any bounds; JobVertexScaler.computeScaleTargetParallelism
    // keeps a vertex between min(current, min-parallelism) and max(current,
    // max-parallelism), so bounds that contradict each other silently stop working.
    if let Some((s, hi)) = max
        && hi < 1
    {
        out.push(warn(
            ids::PARALLELISM_BOUNDS,
            s,
            format!(
                "{hi} is accepted by the operator but forbids any scale-up: a vertex is never \
                 raised above its current parallelism"
            ),
            "set the largest parallelism a vertex may get, e.g. 24",
        ));
    } else if let (Some((smin, lo)), Some((smax, hi))) = (min, max)
        && lo > hi
    {
        let s = if smin.is_set() { smin } else { smax };
        out.push(warn(
            ids::PARALLELISM_BOUNDS,
            s,
            format!(
                "vertex.min-parallelism {lo} is above vertex.max-parallelism {hi}: the operator \
                 accepts it, but then bounds each vertex by min(current, {lo}) and max(current, \
                 {hi}), so neither bound works as written"
            ),
            "make min-parallelism <= max-parallelism",
        ));
    }
    let pipeline_max = subject
        .config
        .get(PIPELINE_MAX_PAR)
        .and_then(|e| values::parse_int(e.raw.as_deref()?).ok());
    if let (Some((s, hi)), Some(pmax)) = (max, pipeline_max)
        && s.is_set()
        && hi > i64::from(pmax)
    {
        out.push(warn(
            ids::PARALLELISM_BOUNDS,
            s,
            format!(
                "above pipeline.max-parallelism {pmax}: key groups cap every vertex at {pmax}, \
                 so this bound is never reached"
            ),
            format!("lower it to {pmax} or raise pipeline.max-parallelism (changing it breaks savepoint compatibility)"),
        ));
    }
}

fn factor_rules(eff: &EffectiveConfig, out: &mut Vec<Finding>) {
    // AutoscalerValidator: both factors >= 0. JobVertexScaler.computeScaleTargetParallelism
    // takes 1 - scale-down.max-factor as the smallest scale factor and 1 + scale-up.max-factor
    // as the largest.
    if let Some((s, f)) = number(eff, DOWN_FACTOR) {
        if f.is_nan() {
            out.push(deny(
                ids::FACTORS,
                s,
                NAN_STRICTER,
                "use e.g. 0.6 (1 means no limit)",
            ));
        } else if f < 0.0 {
            out.push(deny(
                ids::FACTORS,
                s,
                "must be >= 0 (AutoscalerValidator): the largest share of parallelism one scale-down may remove",
                "use e.g. 0.6 (1 means no limit)",
            ));
        } else if f == 0.0 {
            out.push(warn(
                ids::FACTORS,
                s,
                "0 is accepted by the operator but forbids any scale-down: the autoscaler never lowers parallelism",
                "use e.g. 0.6 unless that is intended",
            ));
        } else if f > 1.0 {
            out.push(warn(
                ids::FACTORS,
                s,
                "above 1 acts exactly as 1 (no limit on scale-down): a scale factor cannot go below 0",
                "use 1 for no limit, or a fraction such as 0.6",
            ));
        }
    }
    if let Some((s, f)) = number(eff, UP_FACTOR) {
        if f.is_nan() {
            out.push(deny(
                ids::FACTORS,
                s,
                NAN_STRICTER,
                "use e.g. 2.0, or remove it for no limit",
            ));
        } else if f < 0.0 {
            out.push(deny(
                ids::FACTORS,
                s,
                "must be >= 0 (AutoscalerValidator): how much one scale-up may add to parallelism",
                "use e.g. 2.0, or remove it for no limit",
            ));
        } else if f == 0.0 {
            out.push(warn(
                ids::FACTORS,
                s,
                "0 is accepted by the operator but forbids any scale-up: the autoscaler never raises parallelism",
                "use e.g. 2.0, or remove it for no limit",
            ));
        }
    }
}

fn threshold_rules(eff: &EffectiveConfig, out: &mut Vec<Finding>) {
    let fraction = |option: &str, what: &str, out: &mut Vec<Finding>| {
        if let Some((s, v)) = number(eff, option)
            && !within(v, 0.0, false, 1.0, false)
        {
            let problem = if v.is_nan() {
                NAN_STRICTER.to_string()
            } else {
                format!("must be in [0, 1] (AutoscalerValidator): {what}")
            };
            out.push(deny(
                ids::THRESHOLDS,
                s,
                problem,
                "use a fraction, e.g. 0.9",
            ));
        }
    };
    fraction(
        "job.autoscaler.memory.gc-pressure.threshold",
        "the share of time spent in GC above which scaling pauses",
        out,
    );
    fraction(
        "job.autoscaler.memory.heap-usage.threshold",
        "the heap usage ratio above which scaling pauses",
        out,
    );
    if eff.bool(MEMORY_TUNING) == Some(true) {
        fraction(
            "job.autoscaler.memory.tuning.overhead",
            "the spare memory added to tuning decisions",
            out,
        );
    }
    if eff.bool("job.autoscaler.scaling.effectiveness.detection.enabled") == Some(true) {
        fraction(
            "job.autoscaler.scaling.effectiveness.threshold",
            "the share of the expected gain below which a scale-up counts as ineffective",
            out,
        );
    }
    if eff.bool("job.autoscaler.observed-scalability.enabled") == Some(true)
        && let Some((s, v)) = number(eff, "job.autoscaler.observed-scalability.coefficient-min")
        && !within(v, 0.01, false, 1.0, false)
    {
        let problem = if v.is_nan() {
            NAN_STRICTER
        } else {
            "must be in [0.01, 1] (AutoscalerValidator): the lowest scalability coefficient the autoscaler assumes"
        };
        out.push(deny(ids::THRESHOLDS, s, problem, "use e.g. 0.5"));
    }
}

fn duration_rules(subject: &Subject<'_>, settings: &RuleSettings, out: &mut Vec<Finding>) {
    let eff = &subject.effective;
    let reconcile = [RECONCILE_INTERVAL, RECONCILE_INTERVAL_DEPRECATED]
        .iter()
        .find_map(|key| subject.config.get(key))
        .and_then(|e| values::parse_duration(e.raw.as_deref()?).ok())
        .unwrap_or(settings.reconcile_interval);
    let setting = |option: &str| -> Option<(&Setting, Duration)> {
        let s = eff.get(option)?;
        Some((s, s.value.as_ref()?.as_duration()?))
    };
    if let Some((s, w)) = setting(WINDOW) {
        if w.is_zero() {
            out.push(deny(
                ids::DURATIONS,
                s,
                "must be > 0: metrics are averaged over this window",
                "use e.g. 10min",
            ));
        } else if w < reconcile {
            out.push(deny(
                ids::DURATIONS,
                s,
                format!(
                    "is shorter than the operator's reconcile interval ({}): the window never \
                     holds more than one sample (DefaultValidator.validateMetricsWindow)",
                    format_duration(reconcile)
                ),
                format!(
                    "use at least {}, better several times it",
                    format_duration(reconcile)
                ),
            ));
        }
    }
    if let Some((s, d)) = setting("job.autoscaler.restart.time")
        && d.is_zero()
    {
        out.push(warn(
            ids::DURATIONS,
            s,
            "0 is accepted by the operator but plans every scale-up as if restarts were free: \
             the backlog built up while the job restarts is not added to the target capacity",
            "use the job's real restart time, e.g. 1min, or turn on restart.time-tracking.enabled",
        ));
    }
    if let Some((s, d)) = setting("job.autoscaler.catch-up.duration")
        && d.is_zero()
    {
        out.push(warn(
            ids::DURATIONS,
            s,
            "0 turns off backlog-based scaling: lag no longer drives scale-ups",
            "use e.g. 30min unless that is intended",
        ));
    }
}

fn job_rules(subject: &Subject<'_>, out: &mut Vec<Finding>) {
    let eff = &subject.effective;
    let executes = eff.bool(SCALING_ENABLED) != Some(false);
    // spec.job.upgradeMode defaults to stateless in the CRD.
    let mode = subject.upgrade_mode.unwrap_or("stateless");
    if executes && mode == "stateless" && !rescales_in_place(subject) {
        let field = if subject.upgrade_mode.is_some() {
            "spec.job.upgradeMode"
        } else {
            "spec.job.upgradeMode (unset: stateless)"
        };
        out.push(Finding::new(
            ids::STATELESS_UPGRADE,
            Severity::Warn,
            field,
            Some(mode.to_string()),
            "with the autoscaler on, every rescale is a stateless upgrade that drops the job's state",
            "use upgradeMode last-state or savepoint, or jobmanager.scheduler: adaptive on Flink >= 1.18",
        ));
    }
    if !subject.config.contains(CHECKPOINT_INTERVAL) {
        out.push(Finding::new(
            ids::NO_CHECKPOINTING,
            Severity::Warn,
            config_path(CHECKPOINT_INTERVAL),
            None,
            "checkpointing is off: each rescale restarts from the last savepoint or from scratch",
            "set execution.checkpointing.interval, e.g. 1min",
        ));
    }
    if !eff.is_set(MAX_PAR) && !subject.config.contains(PIPELINE_MAX_PAR) {
        out.push(Finding::new(
            ids::UNBOUNDED,
            Severity::Warn,
            config_path(MAX_PAR),
            None,
            "no cap set (vertex or pipeline max-parallelism): a vertex may scale to the smaller \
             of 200 and its key groups (Flink's default: 128 for small jobs)",
            "set job.autoscaler.vertex.max-parallelism",
        ));
    }
}

/// Flink >= 1.18 with the adaptive scheduler rescales in place (no upgrade). Unknown
/// versions (a session job whose cluster is not known) get the benefit of the doubt.
fn rescales_in_place(subject: &Subject<'_>) -> bool {
    let adaptive = subject
        .config
        .get(SCHEDULER)
        .and_then(|e| e.raw.as_deref())
        .is_some_and(|s| s.trim().eq_ignore_ascii_case("adaptive"));
    if !adaptive {
        return false;
    }
    match subject
        .flink_version
        .as_deref()
        .and_then(parse_flink_version)
    {
        Some(v) => v >= (1, 18),
        None => true,
    }
}

/// `v1_20` → (1, 20).
fn parse_flink_version(v: &str) -> Option<(u32, u32)> {
    let rest = v.strip_prefix('v')?;
    let (major, minor) = rest.split_once('_')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

fn cluster_rules(subject: &Subject<'_>, cluster: &dyn ClusterState, out: &mut Vec<Finding>) {
    let Some(fd_name) = subject.cluster_name.as_deref() else {
        return;
    };
    let eff = &subject.effective;
    let Some(enabled) = eff.get(ENABLED) else {
        return;
    };
    let ns = subject.namespace;
    for hpa in ownership::targeting_taskmanagers(fd_name, |k, n| cluster.hpas_targeting(ns, k, n)) {
        let target = ownership::hpa_target(&hpa);
        if let Some(reach) = ownership::reach(target, fd_name)
            && reach != Reach::JobManagerDeployment
        {
            out.push(Finding::new(
                ids::HPA_CONFLICT,
                Severity::Deny,
                enabled.path(),
                enabled.raw.clone(),
                format!(
                    "HorizontalPodAutoscaler {}/{} scales {} while the Flink autoscaler owns \
                     parallelism and TaskManager replicas",
                    subject.namespace,
                    object::name(&hpa),
                    ownership::target_label(target)
                ),
                "delete the HPA, or turn the Flink autoscaler off",
            ));
        }
    }
    // A VPA that sizes TaskManager cpu fights the autoscaler once it is switched on.
    let vpas = ownership::targeting_taskmanagers(fd_name, |k, n| cluster.vpas_targeting(ns, k, n));
    for vpa in &vpas {
        let target = ownership::vpa_target(vpa);
        let reaches_tm = matches!(
            ownership::reach(target, fd_name),
            Some(Reach::FlinkDeployment | Reach::TaskManagerDeployment)
        );
        let cpu = ownership::vpa_controlled_resources(vpa)
            .iter()
            .any(|r| r == "cpu");
        if reaches_tm && cpu && ownership::vpa_update_mode(vpa) != "Off" {
            out.push(Finding::new(
                crate::vpa_rules::ids::CONTROLS_CPU,
                Severity::Deny,
                enabled.path(),
                enabled.raw.clone(),
                format!(
                    "VerticalPodAutoscaler {}/{} controls TaskManager cpu (target {}), which \
                     fights the Flink autoscaler's parallelism decisions",
                    subject.namespace,
                    object::name(vpa),
                    ownership::target_label(target)
                ),
                "set the VPA's controlledResources to [memory] first",
            ));
        }
    }
    if eff.bool(MEMORY_TUNING) == Some(true)
        && let Some(tuning) = eff.get(MEMORY_TUNING)
    {
        for vpa in &vpas {
            let target = ownership::vpa_target(vpa);
            let reaches_tm = matches!(
                ownership::reach(target, fd_name),
                Some(Reach::FlinkDeployment | Reach::TaskManagerDeployment)
            );
            if reaches_tm && ownership::vpa_controls_memory(vpa) {
                out.push(Finding::new(
                    ids::MEMORY_TUNING_VPA_CONFLICT,
                    Severity::Deny,
                    tuning.path(),
                    tuning.raw.clone(),
                    format!(
                        "memory tuning owns TaskManager memory, but VerticalPodAutoscaler {}/{} \
                         also controls it (target {})",
                        subject.namespace,
                        object::name(vpa),
                        ownership::target_label(target)
                    ),
                    "turn memory tuning off, or set the VPA's controlledResources to [] / mode Off \
                     for flink-main-container",
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests;

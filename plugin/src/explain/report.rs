//! Assembles the explanation from what was fetched. Pure: no I/O, no clock (the
//! caller passes `now`), so every part is tested from plain JSON objects.

use super::events::{self, Event};
use super::fetch::{Fetched, Inputs};
use super::history::{self, TimedLimited, TimedReport};
use super::knobs::{self, Knobs};
use super::model::{
    Availability, ConfigRow, Decision, DeploymentSummary, FindingRow, Outcome, Point, Report,
    VertexSeries, WarningRow,
};
use super::periods;
use super::state::{self, AutoscalerState};
use super::text;
use super::verdict::{self, Advice, Blocking, RecentWarning, RunningSince, Situation, VertexNow};
use flink_autoscale_rules::config::FlinkConfig;
use flink_autoscale_rules::effective::{EffectiveConfig, Origin};
use flink_autoscale_rules::{
    ObjectSet, ReviewInput, RuleId, RuleSettings, Severity, object, ownership, review,
};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// The rules whose denials mean another autoscaler fights this one.
pub const CONFLICT_RULES: &[RuleId] = &[
    RuleId::HpaConflict,
    RuleId::MemoryTuningVpaConflict,
    RuleId::HpaAutoscalerConflict,
    RuleId::VpaControlsCpu,
    RuleId::VpaMemoryTuningConflict,
];

/// The operator's reconcile interval: how often it collects and evaluates.
pub const RECONCILE_INTERVAL: &str = "kubernetes.operator.reconcile.interval";

/// How long after `--now` an Event still belongs to the reconcile at `now`.
pub const EVENT_GRACE: Duration = Duration::from_secs(60);

/// What the caller decides: the clock, the window, the vertex, where it ran.
#[derive(Debug, Clone)]
pub struct Options {
    pub now: jiff::Timestamp,
    pub since: Duration,
    /// A vertex id or a prefix of one.
    pub vertex: Option<String>,
    pub context: String,
    pub server: String,
    /// `--set`: recompute every vertex with these settings.
    pub what_if: Vec<super::whatif::Setting>,
}

fn str_at<'a>(o: &'a Value, pointer: &str) -> Option<&'a str> {
    o.pointer(pointer).and_then(Value::as_str)
}

/// `status.jobStatus.startTime`: epoch milliseconds, as a string or a number.
fn start_time(fd: &Value) -> Option<jiff::Timestamp> {
    let raw = fd.pointer("/status/jobStatus/startTime")?;
    let millis = match raw {
        Value::String(s) => s.trim().parse::<i64>().ok()?,
        Value::Number(n) => n.as_i64()?,
        _ => return None,
    };
    jiff::Timestamp::from_millisecond(millis).ok()
}

fn origin_words(origin: Origin, key: &str) -> String {
    match origin {
        Origin::Explicit => "explicit".into(),
        Origin::DeprecatedAlias => format!("deprecated key {key}"),
        Origin::OldPrefix => format!("old prefix {key}"),
        Origin::Default => "default".into(),
        Origin::Unset => "unset".into(),
    }
}

pub fn build(inputs: &Inputs, o: &Options) -> Report {
    let fd = &inputs.deployment;
    let name = object::name(fd).to_string();
    let namespace = object::namespace_or(fd, "default").to_string();
    let mut notes = Vec::new();
    let config =
        FlinkConfig::from_json(fd.pointer("/spec/flinkConfiguration")).unwrap_or_else(|e| {
            notes.push(format!("spec.flinkConfiguration: {e}; read as empty"));
            FlinkConfig::default()
        });
    let effective = EffectiveConfig::resolve(&config);
    let knobs = Knobs::new(&effective, &config);
    let session = fd.pointer("/spec/job").is_none_or(Value::is_null);
    let mode = flink_autoscale_rules::AutoscalerState::of(&effective).mode;
    // The window starts no earlier than the deployment: before it existed there was
    // no parallelism to chart.
    let created = str_at(fd, "/metadata/creationTimestamp").and_then(|t| t.parse().ok());
    let since = match created {
        Some(c) if c > text::minus(o.now, o.since) && c <= o.now => c,
        _ => text::minus(o.now, o.since),
    };
    let prefix = o.vertex.as_ref().map(|v| v.trim().to_ascii_lowercase());
    let wanted = |v: &str| {
        prefix
            .as_ref()
            .is_none_or(|p| v.to_ascii_lowercase().starts_with(p))
    };

    // The ConfigMap.
    let cm_name = crate::cluster::autoscaler_configmap::config_map_name(&name);
    let (state, cm_availability) = match &inputs.config_map {
        Fetched::Found(cm) => (state::read(cm), Availability::Found),
        Fetched::Missing => {
            notes.push(format!(
                "no autoscaler state yet: ConfigMap {cm_name} not found (the autoscaler writes it on its first evaluation)"
            ));
            (AutoscalerState::default(), Availability::None)
        }
        Fetched::Unavailable(why) => {
            notes.push(format!("cannot read ConfigMap {cm_name}: {why}"));
            (AutoscalerState::default(), Availability::Unavailable)
        }
    };
    notes.extend(
        state
            .notes
            .iter()
            .map(|n| format!("ConfigMap {cm_name}: {n}")),
    );

    // The events.
    // Only this incarnation's events: a deployment deleted and created again under
    // the same name keeps the old one's events until they expire.
    let uid = fd.pointer("/metadata/uid").and_then(Value::as_str);
    let raw_events: Vec<Event> = match &inputs.events {
        Fetched::Found(items) => items
            .iter()
            .map(Event::from_json)
            .filter(|e| match (uid, e.uid.as_deref()) {
                (Some(mine), Some(theirs)) => mine == theirs,
                _ => true,
            })
            // With `--now` in the past: what had not happened yet is not known then
            // (the operator stamps an evaluation's events a moment after its instant:
            // those of the reconcile at `now` count).
            .filter(|e| {
                e.first
                    .is_none_or(|first| first <= text::plus(o.now, EVENT_GRACE))
            })
            .collect(),
        Fetched::Missing => Vec::new(),
        Fetched::Unavailable(why) => {
            notes.push(format!("cannot list events: {why}"));
            Vec::new()
        }
    };
    let mut reports = Vec::new();
    let mut limited = Vec::new();
    for e in &raw_events {
        let Some(at) = e.at else { continue };
        if e.reason == events::SCALING_REPORT {
            match events::parse_scaling_report(&e.message) {
                Ok(report) => reports.push(TimedReport { at, report }),
                Err(why) => notes.push(format!(
                    "a ScalingReport event at {} is not in the operator's format ({why}); ignored",
                    text::instant(at)
                )),
            }
        } else if e.reason == events::SCALING_LIMITED
            && let Some(l) = events::parse_scaling_limited(&e.message)
        {
            limited.push(TimedLimited {
                at,
                first: e.first.unwrap_or(at),
                limited: l,
                message: e.message.clone(),
            });
        }
    }

    let (all_decisions, _) =
        history::decisions(&state.history, &reports, &limited, &knobs, &state.records);
    let history: Vec<Decision> = all_decisions
        .iter()
        .filter(|d| d.at >= since)
        .filter_map(|d| {
            let mut d = d.clone();
            d.vertices.retain(|v| wanted(&v.id));
            (!d.vertices.is_empty()).then_some(d)
        })
        .collect();

    // Warnings in the window, and the recent blocking ones for the verdict.
    let mut warnings: Vec<WarningRow> = raw_events
        .iter()
        .filter(|e| {
            events::BLOCKING_REASONS.contains(&e.reason.as_str())
                || e.reason == events::SCALING_LIMITED
        })
        .filter(|e| e.at.is_none_or(|at| at >= since))
        .filter(|e| {
            prefix.is_none()
                || e.reason != events::SCALING_LIMITED
                || events::parse_scaling_limited(&e.message).is_none_or(|l| wanted(&l.vertex))
        })
        .map(|e| WarningRow {
            reason: e.reason.clone(),
            kind: e.kind.clone(),
            time: e.at.map(text::instant),
            count: e.count,
            message: e.message.clone(),
        })
        .collect();
    warnings.sort_by(|a, b| a.time.cmp(&b.time));
    let recent_from = text::minus(o.now, knobs.event_interval + Duration::from_secs(5 * 60));
    let recent: Vec<RecentWarning> = raw_events
        .iter()
        .filter(|e| events::BLOCKING_REASONS.contains(&e.reason.as_str()))
        .filter(|e| !(e.reason == "IneffectiveScaling" && e.message.contains("is disabled")))
        .filter_map(|e| {
            let at = e.at?;
            (at >= recent_from).then(|| RecentWarning {
                reason: e.reason.clone(),
                at,
                count: e.count,
                message: e.message.clone(),
            })
        })
        .collect();

    // Since when the job runs.
    let start = start_time(fd);
    let running_since = match state.records.last() {
        Some(r) if start.is_none_or(|s| r.at > s) => match r.restart {
            Some(d) => RunningSince::Since(r.at.checked_add(d).unwrap_or(r.at)),
            None if o.now < text::plus(r.at, knobs.restart) => RunningSince::RestartingAfter(r.at),
            None => RunningSince::Since(text::plus(r.at, knobs.restart)),
        },
        _ => {
            let last_scaled = state.history.last().map(|c| c.at);
            match (start, last_scaled) {
                (Some(s), Some(l)) => RunningSince::Since(s.max(l)),
                (Some(s), None) => RunningSince::Since(s),
                (None, Some(l)) => RunningSince::Since(l),
                (None, None) => RunningSince::Unknown,
            }
        }
    };

    // Excluded periods.
    let (periods, period_errors) = periods::parse_all(&knobs.excluded_periods);
    for e in period_errors {
        notes.push(format!("{}: {e}; not evaluated", knobs::EXCLUDED_PERIODS));
    }
    let excluded = periods::inside(&periods, o.now);

    // The vertices as they run now.
    let mut unknown_vertex = None;
    let current = current_parallelism(&state, &all_decisions);
    let mut vertex_ids: BTreeSet<String> = current.keys().cloned().collect();
    vertex_ids.extend(state.delayed.iter().map(|d| d.vertex.clone()));
    vertex_ids.extend(
        history
            .iter()
            .flat_map(|d| d.vertices.iter().map(|v| v.id.clone())),
    );
    let vertices: Vec<VertexNow> = vertex_ids
        .iter()
        .map(|id| VertexNow {
            id: id.clone(),
            parallelism: current.get(id).copied(),
            recorded_max: recorded_max(&state, id),
        })
        .collect();
    if let Some(p) = &prefix {
        let in_samples = state
            .samples
            .iter()
            .any(|s| s.load.keys().any(|v| wanted(v)));
        if !vertex_ids.iter().any(|v| wanted(v)) && !in_samples {
            notes.push(format!(
                "no vertex whose id starts with \"{p}\" in the overrides, the history, the events or the collected metrics"
            ));
            let mut known: BTreeSet<String> = vertex_ids.clone();
            known.extend(state.samples.iter().flat_map(|s| s.load.keys().cloned()));
            unknown_vertex = Some(known.into_iter().collect());
        }
    }

    // Advisor mode's newest recommendation.
    let advice = reports
        .iter()
        .filter(|r| {
            r.report
                .disabled_by
                .as_ref()
                .is_some_and(|(k, _)| k == knobs::SCALING_ENABLED)
        })
        .max_by_key(|r| r.at)
        .map(|r| Advice {
            at: r.at,
            changes: r
                .report
                .vertices
                .iter()
                .map(|v| (v.id.clone(), v.from, v.to))
                .collect(),
        });

    // The rules, with the namespace's VPAs and HPAs as the cluster view.
    let (findings, blocking, scalers) = judge_rules(fd, &namespace, inputs, &mut notes);

    let enabled = effective.get(knobs::ENABLED);
    let enabled_setting = enabled.map_or_else(
        || "unset".to_string(),
        |s| {
            format!(
                "{} ({})",
                s.raw.as_deref().unwrap_or("unset"),
                origin_words(s.origin, &s.key)
            )
        },
    );
    let reconcile = config
        .get(RECONCILE_INTERVAL)
        .and_then(|e| flink_autoscale_rules::values::parse_duration(e.raw.as_deref()?).ok())
        .filter(|d| !d.is_zero())
        .unwrap_or(Duration::from_secs(60));
    let situation = Situation {
        now: o.now,
        next_evaluation: verdict::next_evaluation(&state.samples, o.now, reconcile),
        reconcile,
        mode,
        session,
        enabled_setting,
        job_state: str_at(fd, "/status/jobStatus/state").map(str::to_string),
        lifecycle_state: str_at(fd, "/status/lifecycleState").map(str::to_string),
        config_map_name: cm_name.clone(),
        config_map_found: cm_availability == Availability::Found,
        blocking,
        scalers,
        running_since,
        knobs: &knobs,
        samples: &state.samples,
        excluded,
        warnings: recent,
        delayed: &state.delayed,
        vertices,
        advice,
        vertex_filter: Some(&wanted),
    };
    let mut conditions = verdict::judge(&situation).into_iter();
    let verdict = conditions
        .next()
        .unwrap_or_else(|| super::model::Condition {
            kind: super::model::VerdictKind::Unknown,
            summary: "no verdict".into(),
            time_left_seconds: None,
            until: None,
            details: Vec::new(),
        });
    let also = conditions.collect();

    let mut configuration: Vec<ConfigRow> = knobs::SHOWN
        .iter()
        .filter_map(|option| effective.get(option))
        .map(|s| ConfigRow {
            option: s.option.to_string(),
            key: s.key.to_string(),
            // A default as the user would write it (`1h`, not the table's `1 h`;
            // `100000`, not Java's `100000.`); a set value as written.
            value: match (&s.origin, &s.value) {
                // The deprecated adjust mode applies only when set: its table default
                // is not in effect (`ParallelismAligner#resolve`).
                (Origin::Default, _) if s.option == knobs::ADJUST_MODE => None,
                (Origin::Default, Some(v)) => Some(flink_syntax(v)),
                _ => s.raw.as_deref().map(str::to_string),
            },
            origin: if s.option == knobs::ADJUST_MODE && s.origin == Origin::Default {
                Origin::Unset
            } else {
                s.origin
            },
        })
        .collect();
    configuration.push(match config.get(knobs::PIPELINE_MAX) {
        Some(e) => ConfigRow {
            option: knobs::PIPELINE_MAX.into(),
            key: e.key.to_string(),
            value: e.raw_string(),
            origin: Origin::Explicit,
        },
        None => ConfigRow {
            option: knobs::PIPELINE_MAX.into(),
            key: knobs::PIPELINE_MAX.into(),
            value: None,
            origin: Origin::Unset,
        },
    });

    let parallelism = series(&all_decisions, &current, &vertex_ids, since, o.now, &wanted);
    let what_if = (!o.what_if.is_empty())
        .then(|| super::whatif::evaluate(&state, &current, (&config, &knobs), &o.what_if, &wanted));

    Report {
        kind: Report::KIND,
        version: Report::VERSION,
        context: o.context.clone(),
        server: o.server.clone(),
        namespace,
        name,
        now: text::instant(o.now),
        since: text::instant(since),
        window: text::flink(o.since),
        vertex: o.vertex.clone(),
        unknown_vertex,
        deployment: DeploymentSummary {
            autoscaler: mode,
            session,
            job_state: situation.job_state.clone(),
            lifecycle_state: situation.lifecycle_state.clone(),
            config_map: cm_name,
            config_map_availability: cm_availability,
        },
        verdict,
        also,
        history,
        parallelism,
        configuration,
        autoscaler_overrides: state.config_overrides.clone(),
        autoscaler_removals: state.config_removals.clone(),
        warnings,
        findings,
        notes,
        what_if,
    }
}

/// A value in Flink's configuration syntax.
pub fn flink_syntax(v: &flink_autoscale_rules::values::Value) -> String {
    use flink_autoscale_rules::values::{Value as V, format_duration, format_memory};
    match v {
        V::Duration(d) => format_duration(*d),
        V::Memory(m) => format_memory(*m),
        V::Double(x) => format!("{x}"),
        other => other.to_string(),
    }
}

/// The parallelism of each vertex now: the autoscaler's overrides, else the newest
/// executed change, else the parallelism the newest report started from (in advisor
/// mode, the only record of it).
fn current_parallelism(state: &AutoscalerState, decisions: &[Decision]) -> BTreeMap<String, i64> {
    let mut out: BTreeMap<String, i64> = BTreeMap::new();
    // Decisions are in time order: each one tells the parallelism after it (executed)
    // or at it (reported, recommended).
    for d in decisions {
        for v in &d.vertices {
            let now = if d.outcome == Outcome::Scaled {
                v.to
            } else {
                v.from
            };
            if let Some(p) = now {
                out.insert(v.id.clone(), p);
            }
        }
    }
    for o in &state.overrides {
        out.insert(o.id.clone(), i64::from(o.parallelism));
    }
    out
}

/// The vertex's own max parallelism as the newest history entry recorded it: the
/// source's partitions when it has them, else its key groups.
fn recorded_max(state: &AutoscalerState, vertex: &str) -> Option<(i64, &'static str)> {
    let newest = state.history.iter().rev().find(|c| c.vertex == vertex)?;
    let whole = |m: &str| {
        newest
            .summary
            .current(m)
            .filter(|v| v.is_finite() && *v > 0.0)
            .map(|v| v.round() as i64)
    };
    match (whole("NUM_SOURCE_PARTITIONS"), whole("MAX_PARALLELISM")) {
        (Some(p), Some(m)) if p <= m => Some((p, "source partitions")),
        (_, Some(m)) => Some((m, "key groups")),
        (Some(p), None) => Some((p, "source partitions")),
        (None, None) => None,
    }
}

/// Each vertex's parallelism over the window, from the executed changes.
fn series(
    decisions: &[Decision],
    current: &BTreeMap<String, i64>,
    vertices: &BTreeSet<String>,
    since: jiff::Timestamp,
    now: jiff::Timestamp,
    wanted: &dyn Fn(&str) -> bool,
) -> Vec<VertexSeries> {
    let mut out = Vec::new();
    for id in vertices.iter().filter(|v| wanted(v)) {
        let changes: Vec<(jiff::Timestamp, Option<i64>, i64)> = decisions
            .iter()
            .filter(|d| d.outcome == Outcome::Scaled)
            .flat_map(|d| {
                d.vertices
                    .iter()
                    .filter(|v| &v.id == id)
                    .filter_map(move |v| Some((d.at, v.from, v.to?)))
            })
            .collect();
        let before = changes
            .iter()
            .rev()
            .find(|(at, _, _)| *at < since)
            .map(|c| c.2);
        let first_in = changes
            .iter()
            .find(|(at, _, _)| *at >= since)
            .and_then(|c| c.1);
        let now_value = current.get(id).copied();
        let Some(initial) = before.or(first_in).or(now_value) else {
            continue;
        };
        let mut points = vec![Point {
            time: text::instant(since),
            at: since,
            parallelism: initial,
        }];
        for (at, _, to) in changes.iter().filter(|(at, _, _)| *at >= since) {
            points.push(Point {
                time: text::instant(*at),
                at: *at,
                parallelism: *to,
            });
        }
        let last = points.last().map(|p| p.parallelism);
        if let Some(n) = now_value
            && last != Some(n)
        {
            points.push(Point {
                time: text::instant(now),
                at: now,
                parallelism: n,
            });
        }
        out.push(VertexSeries {
            id: id.clone(),
            current: now_value.or(last),
            points,
        });
    }
    out
}

/// The rules on the deployment and on the VPAs and HPAs aimed at it.
fn judge_rules(
    fd: &Value,
    namespace: &str,
    inputs: &Inputs,
    notes: &mut Vec<String>,
) -> (Vec<FindingRow>, Vec<Blocking>, Vec<String>) {
    let mut cluster = vec![fd.clone()];
    for (what, fetched) in [
        ("verticalpodautoscalers", &inputs.vpas),
        ("horizontalpodautoscalers", &inputs.hpas),
    ] {
        match fetched {
            Fetched::Found(items) => cluster.extend(items.iter().cloned()),
            Fetched::Missing => {}
            Fetched::Unavailable(why) => notes.push(format!(
                "cannot list {what}: {why}; conflicts with them are not checked"
            )),
        }
    }
    let view = ObjectSet::new(cluster.clone(), namespace);
    let name = object::name(fd);
    let aimed: Vec<&Value> = cluster
        .iter()
        .skip(1)
        .filter(|o| {
            let target = ownership::vpa_target(o).or_else(|| ownership::hpa_target(o));
            ownership::flink_target(target, namespace, Some(&view))
                .is_some_and(|t| t.fd_name == name)
        })
        .collect();
    // What else changes this deployment's replicas, named whether or not the
    // autoscaler is on (with it off, no rule speaks of them).
    let scalers: Vec<String> = aimed
        .iter()
        .filter(|o| o.get("kind").and_then(Value::as_str) == Some("HorizontalPodAutoscaler"))
        .map(|o| format!("HorizontalPodAutoscaler/{}", object::name(o)))
        .collect();
    // Objects in the cluster were already accepted by the operator (with its own
    // default configuration, which may set what operator.* asks for): its
    // validator's rules would only repeat a verdict that has been given.
    let settings = RuleSettings {
        operator_rules: false,
        ..RuleSettings::default()
    };
    let mut findings = Vec::new();
    let mut blocking = Vec::new();
    for obj in std::iter::once(fd).chain(aimed) {
        let verdict = review(
            &ReviewInput {
                object: obj,
                namespace,
                cluster: Some(&view),
            },
            &settings,
        );
        let kind = obj.get("kind").and_then(Value::as_str).unwrap_or_default();
        for f in verdict.findings {
            if f.severity == Severity::Deny && CONFLICT_RULES.contains(&f.rule) {
                let block = Blocking {
                    object: format!("{kind}/{}", object::name(obj)),
                    rule: f.rule.as_str(),
                    message: f.message.clone(),
                };
                if !blocking.contains(&block) {
                    blocking.push(block);
                }
            }
            let row = FindingRow {
                kind: kind.to_string(),
                name: object::name(obj).to_string(),
                rule: f.rule,
                severity: f.severity,
                path: f.path,
                value: f.value,
                message: f.message,
                problem: f.problem,
                fix: f.fix,
            };
            // An object that reaches the deployment two ways (a VPA on the
            // FlinkDeployment and one on its TaskManagers, listed twice) must not
            // say the same thing twice: each finding once.
            if !findings.contains(&row) {
                findings.push(row);
            }
        }
    }
    // A conflict is found from both of its sides (the FlinkDeployment's rule and the
    // HPA's or VPA's); the other object's finding names what fights the autoscaler,
    // so the deployment's own copy is not said again.
    let own = format!("FlinkDeployment/{name}");
    if blocking.iter().any(|b| b.object != own) {
        blocking.retain(|b| b.object != own);
    }
    (findings, blocking, scalers)
}

#[cfg(test)]
mod tests;

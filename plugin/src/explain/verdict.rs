//! "Now": why the autoscaler does (or does not) scale at this moment, as one verdict
//! and the further conditions that also hold. Pure: everything comes in through
//! [`Situation`], the clock included.
//!
//! Conditions are checked in this order, the first one that holds is the verdict:
//! autoscaler off, advisor mode, job not running, blocked by a conflict, stabilizing,
//! metrics window filling, excluded period, recent warnings, scale-down delayed, at max
//! parallelism, scaling due, within bounds (else unknown). The order follows the
//! operator: it does nothing while off; in advisor mode it only reports; it evaluates
//! only running jobs; it collects nothing while stabilizing and decides nothing
//! before the metrics window is full; then a decision is held back by an excluded
//! period, by memory pressure, quota or a veto, by the scale-down interval, or by the
//! parallelism bounds.

use super::knobs::{self, Knobs};
use super::model::{Condition, Mode, VerdictKind};
use super::periods::Inside;
use super::state::{DelayedVertex, Sample};
use super::text::{self, flink, pct};
use crate::term;
use std::collections::BTreeMap;

/// Since when the job has been running, for the stabilization interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RunningSince {
    Since(jiff::Timestamp),
    /// The autoscaler rescaled at this instant and the job has not been seen running
    /// since (no restart duration recorded yet).
    RestartingAfter(jiff::Timestamp),
    Unknown,
}

/// A finding that blocks the autoscaler's work (an HPA or VPA that fights it).
#[derive(Debug, Clone, PartialEq)]
pub struct Blocking {
    pub object: String,
    pub rule: &'static str,
    pub message: String,
}

/// A recent event that means the autoscaler held back.
#[derive(Debug, Clone, PartialEq)]
pub struct RecentWarning {
    pub reason: String,
    pub at: jiff::Timestamp,
    pub count: i64,
    pub message: String,
}

/// A vertex as it runs now.
#[derive(Debug, Clone, PartialEq)]
pub struct VertexNow {
    pub id: String,
    pub parallelism: Option<i64>,
    /// The vertex's own max parallelism (key groups, or source partitions) as the
    /// newest history entry recorded it, and what it is.
    pub recorded_max: Option<(i64, &'static str)>,
}

/// The newest recommendation of advisor mode.
#[derive(Debug, Clone, PartialEq)]
pub struct Advice {
    pub at: jiff::Timestamp,
    /// `(vertex, from, to)`.
    pub changes: Vec<(String, i64, i64)>,
}

pub struct Situation<'a> {
    pub now: jiff::Timestamp,
    /// When the operator evaluates next: its reconcile after the newest collected
    /// sample (see [`next_evaluation`]); the verdict is what it will find then.
    pub next_evaluation: jiff::Timestamp,
    /// The operator's reconcile interval (`kubernetes.operator.reconcile.interval`).
    pub reconcile: std::time::Duration,
    pub mode: Mode,
    pub session: bool,
    /// `job.autoscaler.enabled` as written (or its default) and where it came from.
    pub enabled_setting: String,
    pub job_state: Option<String>,
    pub lifecycle_state: Option<String>,
    pub config_map_name: String,
    pub config_map_found: bool,
    pub blocking: Vec<Blocking>,
    /// HPAs that change this deployment's replicas (`HorizontalPodAutoscaler/x`).
    pub scalers: Vec<String>,
    pub running_since: RunningSince,
    pub knobs: &'a Knobs,
    pub samples: &'a [Sample],
    pub excluded: Option<Inside>,
    pub warnings: Vec<RecentWarning>,
    pub delayed: &'a [DelayedVertex],
    pub vertices: Vec<VertexNow>,
    pub advice: Option<Advice>,
    /// `--vertex`: only these vertices count.
    pub vertex_filter: Option<&'a dyn Fn(&str) -> bool>,
}

impl Situation<'_> {
    fn wanted(&self, vertex: &str) -> bool {
        self.vertex_filter.is_none_or(|f| f(vertex))
    }
}

fn condition(kind: VerdictKind, summary: String) -> Condition {
    Condition {
        kind,
        summary,
        time_left_seconds: None,
        until: None,
        details: Vec::new(),
    }
}

fn until(mut c: Condition, now: jiff::Timestamp, end: jiff::Timestamp) -> Condition {
    c.time_left_seconds = Some(text::seconds_between(now, end).max(0));
    c.until = Some(text::instant(end));
    c
}

/// Every condition that holds, the verdict first.
pub fn judge(s: &Situation<'_>) -> Vec<Condition> {
    let mut out = Vec::new();
    if s.session {
        out.push(condition(
            VerdictKind::AutoscalerOff,
            "a session cluster (no spec.job): the autoscaler scales application deployments only"
                .into(),
        ));
        return out;
    }
    if s.mode == Mode::Off {
        // "Nothing scales it" would be wrong when an HPA does: name it instead.
        let summary = if s.scalers.is_empty() {
            format!(
                "{} is {}: the autoscaler neither evaluates nor scales this deployment",
                knobs::ENABLED,
                s.enabled_setting
            )
        } else {
            format!(
                "{} is {}: the Flink autoscaler does not scale this deployment; {} {} its replicas",
                knobs::ENABLED,
                s.enabled_setting,
                s.scalers.join(" and "),
                if s.scalers.len() == 1 {
                    "scales"
                } else {
                    "scale"
                }
            )
        };
        out.push(condition(VerdictKind::AutoscalerOff, summary));
        return out;
    }
    if s.mode == Mode::Advisor {
        out.push(advisor(s));
    }
    let running = s.job_state.as_deref() == Some("RUNNING");
    if !running {
        out.push(condition(
            VerdictKind::JobNotRunning,
            match (&s.job_state, &s.lifecycle_state) {
                (Some(state), Some(lc)) => format!(
                    "the job is {state} (lifecycle {lc}): the autoscaler evaluates running jobs only"
                ),
                (Some(state), None) => {
                    format!("the job is {state}: the autoscaler evaluates running jobs only")
                }
                (None, _) => "the operator has reported no job state yet: the autoscaler evaluates running jobs only".into(),
            },
        ));
    }
    if !s.blocking.is_empty() {
        let mut c = condition(
            VerdictKind::BlockedByConflict,
            format!(
                "{} fights the autoscaler ({})",
                s.blocking[0].object, s.blocking[0].rule
            ),
        );
        c.details = s
            .blocking
            .iter()
            .map(|b| format!("{} [{}]: {}", b.object, b.rule, b.message))
            .collect();
        out.push(c);
    }
    if running {
        let stable_at = stabilization(s, &mut out);
        if let Some(stable_at) = stable_at {
            metrics_window(s, stable_at, &mut out);
        }
    }
    if let Some(inside) = &s.excluded {
        let summary = format!(
            "inside the excluded period \"{}\" ({}, read in UTC): the autoscaler reports but does not scale",
            inside.expression,
            knobs::EXCLUDED_PERIODS
        );
        let c = condition(VerdictKind::ExcludedPeriod, summary);
        out.push(match inside.until {
            Some(end) => until(c, s.now, end),
            None => c,
        });
    }
    if !s.warnings.is_empty() {
        let mut reasons: Vec<String> = Vec::new();
        for w in &s.warnings {
            if !reasons.contains(&w.reason) {
                reasons.push(w.reason.clone());
            }
        }
        let newest = s.warnings.iter().map(|w| w.at).max().unwrap_or(s.now);
        let mut c = condition(
            VerdictKind::RecentWarnings,
            format!(
                "the autoscaler held back: {} (newest {} ago)",
                reasons.join(", "),
                term::duration(text::seconds_between(newest, s.now))
            ),
        );
        c.details = s
            .warnings
            .iter()
            .map(|w| {
                format!(
                    "{} at {}{}: {}",
                    w.reason,
                    text::instant(w.at),
                    if w.count > 1 {
                        format!(" (x{})", w.count)
                    } else {
                        String::new()
                    },
                    w.message
                )
            })
            .collect();
        out.push(c);
    }
    if running
        && s.mode == Mode::On
        && let Some(c) = delayed_scale_down(s)
    {
        out.push(c);
    }
    // While the job stabilizes or the window fills the operator does not evaluate,
    // and after a restart it clears the samples of the job that ran before.
    let evaluating = !out.iter().any(|c| {
        matches!(
            c.kind,
            VerdictKind::Stabilizing | VerdictKind::MetricsWindowFilling
        )
    });
    if running && evaluating {
        bounds(s, &mut out);
    }
    if out.is_empty() {
        out.push(condition(
            VerdictKind::Unknown,
            "nothing the operator recorded explains the current state".into(),
        ));
    }
    out
}

fn advisor(s: &Situation<'_>) -> Condition {
    let mut c = condition(
        VerdictKind::AdvisorMode,
        format!(
            "{} is false: the autoscaler evaluates and reports, but does not rescale",
            knobs::SCALING_ENABLED
        ),
    );
    match &s.advice {
        Some(advice) => {
            let changes: Vec<_> = advice
                .changes
                .iter()
                .filter(|(v, _, _)| s.wanted(v))
                .collect();
            c.summary.push_str(&format!(
                "; it recommends {} ({} ago)",
                if changes.is_empty() {
                    "no change for the selected vertex".into()
                } else {
                    format!("changing {}", text::vertices(changes.len()))
                },
                term::duration(text::seconds_between(advice.at, s.now))
            ));
            c.details = changes
                .iter()
                .map(|(v, from, to)| {
                    format!(
                        "recommended at {}: {v} parallelism {from} -> {to}",
                        text::instant(advice.at)
                    )
                })
                .collect();
        }
        None => c
            .summary
            .push_str("; no recommendation reported yet (no ScalingReport event)"),
    }
    c
}

/// Pushes the stabilization condition when it holds; returns when the job is (or
/// will be) stable, if known.
fn stabilization(s: &Situation<'_>, out: &mut Vec<Condition>) -> Option<jiff::Timestamp> {
    let interval = s.knobs.stabilization;
    match s.running_since {
        RunningSince::Since(t) => {
            let stable = text::plus(t, interval);
            if s.now < stable {
                let c = condition(
                    VerdictKind::Stabilizing,
                    format!(
                        "the job runs since {}; within {} ({}) the autoscaler collects no metrics",
                        text::instant(t),
                        knobs::STABILIZATION,
                        flink(interval)
                    ),
                );
                out.push(until(c, s.now, stable));
            }
            Some(stable)
        }
        RunningSince::RestartingAfter(t) => {
            let stable = text::plus(t, interval);
            let mut c = condition(
                VerdictKind::Stabilizing,
                format!(
                    "the job restarts after the rescale at {}; {} ({}) runs from when it runs again",
                    text::instant(t),
                    knobs::STABILIZATION,
                    flink(interval)
                ),
            );
            c.details.push(
                "the time left is a lower bound: the restart's end is not recorded yet".into(),
            );
            out.push(until(c, s.now, stable.max(s.now)));
            None
        }
        RunningSince::Unknown => s.samples.first().and_then(|x| x.at),
    }
}

fn metrics_window(s: &Situation<'_>, stable_at: jiff::Timestamp, out: &mut Vec<Condition>) {
    if out.iter().any(|c| c.kind == VerdictKind::Stabilizing) {
        return;
    }
    let window = s.knobs.window;
    let first = s
        .samples
        .iter()
        .filter_map(|x| x.at)
        .find(|at| *at >= stable_at);
    match first {
        Some(first) => {
            let full = text::plus(first, window);
            // The operator trims the samples to one window once it is full, so the
            // first stored sample can be just inside it: what counts is whether the
            // window is full at the next reconcile, not now.
            if s.next_evaluation < full {
                let c = condition(
                    VerdictKind::MetricsWindowFilling,
                    format!(
                        "metrics are collected since {}; the autoscaler decides once {} ({}) is full",
                        text::instant(first),
                        knobs::METRICS_WINDOW,
                        flink(window)
                    ),
                );
                out.push(until(c, s.now, full));
            }
        }
        None => {
            let summary = if s.config_map_found {
                format!(
                    "no metrics collected since the job became stable; {} ({}) fills from the first collection",
                    knobs::METRICS_WINDOW,
                    flink(window)
                )
            } else {
                format!(
                    "no autoscaler state yet (ConfigMap {} not found): {} ({}) fills from the autoscaler's first collection",
                    s.config_map_name,
                    knobs::METRICS_WINDOW,
                    flink(window)
                )
            };
            let mut c = condition(VerdictKind::MetricsWindowFilling, summary);
            c.details.push(
                "the time left is a lower bound: the first collection has not happened yet".into(),
            );
            out.push(until(c, s.now, text::plus(s.now, window)));
        }
    }
}

fn delayed_scale_down(s: &Situation<'_>) -> Option<Condition> {
    let interval = s.knobs.scale_down_interval;
    if interval.is_zero() {
        return None;
    }
    let current: BTreeMap<&str, i64> = s
        .vertices
        .iter()
        .filter_map(|v| Some((v.id.as_str(), v.parallelism?)))
        .collect();
    let mut details = Vec::new();
    let mut due_first: Option<jiff::Timestamp> = None;
    for d in s.delayed.iter().filter(|d| s.wanted(&d.vertex)) {
        let due = text::plus(d.first_trigger, interval);
        // `DelayedScaleDown#getMaxRecommendedParallelism` at the reconcile that applies
        // it: entries triggered before (that reconcile - interval) are evicted, the
        // first remaining one is the highest.
        // The first reconcile at or after the due time and after an excluded period
        // that holds now (inside it the operator only reports).
        let mut not_before = due;
        if let Some(end) = s.excluded.as_ref().and_then(|i| i.until) {
            not_before = not_before.max(end);
        }
        let applied_at = reconcile_at_or_after(s.next_evaluation, not_before, s.reconcile);
        let window_start = text::minus(applied_at, interval);
        let recommended = d
            .recommendations
            .iter()
            .find(|(t, _)| *t >= window_start)
            .or(d.recommendations.last())
            .map(|(_, p)| *p);
        let change = match (current.get(d.vertex.as_str()), recommended) {
            (Some(c), Some(r)) => format!("parallelism {c} -> {r}"),
            (None, Some(r)) => format!("to parallelism {r}"),
            _ => "scale-down".into(),
        };
        let mut when = if due > s.now {
            format!(
                "due at {} ({} left)",
                text::instant(due),
                term::duration(text::seconds_between(s.now, due))
            )
        } else {
            "due at the next evaluation".into()
        };
        if s.excluded.is_some() && applied_at > s.next_evaluation && applied_at > due {
            when.push_str(&format!(
                "; inside the excluded period the operator only reports it: applied at its first reconcile after the period, {}",
                text::instant(applied_at)
            ));
        }
        details.push(format!(
            "{}: {change}, first recommended at {}, {when}",
            d.vertex,
            text::instant(d.first_trigger)
        ));
        due_first = Some(due_first.map_or(applied_at, |f: jiff::Timestamp| f.min(applied_at)));
    }
    let due_first = due_first?;
    let n = details.len();
    let mut c = condition(
        VerdictKind::ScaleDownDelayed,
        format!(
            "the scale-down of {} waits for {} ({}) to pass since it was first recommended",
            text::vertices(n),
            knobs::SCALE_DOWN_INTERVAL,
            flink(interval)
        ),
    );
    c.details = details;
    Some(until(c, s.now, due_first.max(s.now)))
}

/// The first reconcile (every `interval` from `next`) at or after `t`.
fn reconcile_at_or_after(
    next: jiff::Timestamp,
    t: jiff::Timestamp,
    interval: std::time::Duration,
) -> jiff::Timestamp {
    if t <= next {
        return next;
    }
    let step = i64::try_from(interval.as_secs()).unwrap_or(60).max(1);
    let k = (text::seconds_between(next, t) + step - 1) / step;
    text::plus(
        next,
        std::time::Duration::from_secs((k * step).unsigned_abs()),
    )
}

/// When the operator evaluates next: the first reconcile (every `interval`, counted
/// from the newest collected sample) after the newest sample that is not before `now`.
pub fn next_evaluation(
    samples: &[Sample],
    now: jiff::Timestamp,
    interval: std::time::Duration,
) -> jiff::Timestamp {
    let step = i64::try_from(interval.as_secs()).unwrap_or(60).max(1);
    match samples.iter().filter_map(|x| x.at).max() {
        Some(last) if last <= now => {
            let k = text::seconds_between(last, now) / step + 1;
            text::plus(
                last,
                std::time::Duration::from_secs((k * step).unsigned_abs()),
            )
        }
        _ => now,
    }
}

/// Average busy-time load per vertex over the samples of the last metrics window.
pub fn loads(
    samples: &[Sample],
    now: jiff::Timestamp,
    window: std::time::Duration,
) -> BTreeMap<String, f64> {
    let start = text::minus(now, window);
    let mut sums: BTreeMap<String, (f64, u32)> = BTreeMap::new();
    for sample in samples.iter().filter(|x| x.at.is_none_or(|at| at >= start)) {
        for (v, load) in &sample.load {
            let e = sums.entry(v.clone()).or_insert((0.0, 0));
            e.0 += load;
            e.1 += 1;
        }
    }
    sums.into_iter()
        .map(|(v, (sum, n))| (v, sum / f64::from(n)))
        .collect()
}

/// A difference of utilizations in percentage points: `15`, `2.5`.
fn points(v: f64) -> String {
    pct(v).trim_end_matches('%').to_string()
}

/// At max parallelism, scaling due, or within bounds, from the busy-time load of the
/// last window against the utilization bounds.
fn bounds(s: &Situation<'_>, out: &mut Vec<Condition>) {
    let loads = loads(s.samples, s.next_evaluation, s.knobs.window);
    let upper = s.knobs.upper();
    let lower = s.knobs.lower();
    let (config_max, config_max_key) = s.knobs.max_parallelism();
    let mut at_max = Vec::new();
    for v in s.vertices.iter().filter(|v| s.wanted(&v.id)) {
        let Some(p) = v.parallelism else { continue };
        let (bound, what) = match v.recorded_max {
            Some((m, what)) if m < config_max => (m, what),
            _ => (config_max, config_max_key),
        };
        let load = loads.get(&v.id).copied();
        if p >= bound && load.is_none_or(|l| l > upper.value) {
            at_max.push(format!(
                "{}: parallelism {p} is at its max {bound} ({what}){}",
                v.id,
                load.map(|l| format!(
                    ", utilization {} above the upper bound {}",
                    pct(l),
                    pct(upper.value)
                ))
                .unwrap_or_default()
            ));
        }
    }
    if !at_max.is_empty() {
        let summary = format!(
            "{} at max parallelism while busier than the upper bound {}: the autoscaler cannot scale {} up any further",
            if at_max.len() == 1 {
                "1 vertex is".to_string()
            } else {
                format!("{} vertices are", at_max.len())
            },
            pct(upper.value),
            if at_max.len() == 1 { "it" } else { "them" }
        );
        let mut c = condition(VerdictKind::AtMaxParallelism, summary);
        c.details = at_max;
        out.push(c);
    }
    // Vertices already explained (at their max, or with a scale-down waiting for the
    // interval) are left out of the bounds check.
    let explained = |v: &str| {
        out.iter().any(|c| {
            matches!(
                c.kind,
                VerdictKind::AtMaxParallelism | VerdictKind::ScaleDownDelayed
            ) && c.details.iter().any(|d| d.starts_with(v))
        })
    };
    let set_aside = loads.keys().filter(|v| s.wanted(v) && explained(v)).count();
    let considered: Vec<(&String, f64)> = loads
        .iter()
        .filter(|(v, _)| s.wanted(v) && !explained(v))
        .map(|(v, l)| (v, *l))
        .collect();
    let outside: Vec<String> = considered
        .iter()
        .filter_map(|(v, l)| {
            if *l > upper.value {
                Some(format!(
                    "{v}: utilization {} is above the upper bound {}: a scale-up is due",
                    pct(*l),
                    pct(upper.value)
                ))
            } else if *l < lower.value {
                Some(format!(
                    "{v}: utilization {} is below the lower bound {}: a scale-down is due",
                    pct(*l),
                    pct(lower.value)
                ))
            } else {
                None
            }
        })
        .collect();
    if !outside.is_empty() {
        let mut c = condition(
            VerdictKind::ScalingDue,
            format!(
                "{} outside the bounds {}-{} ({}); {}",
                text::vertices(outside.len()),
                pct(lower.value),
                pct(upper.value),
                s.knobs.bounds_from(),
                if s.mode == Mode::Advisor {
                    "in advisor mode the autoscaler only recommends a change"
                } else {
                    "the autoscaler acts at its next evaluation"
                }
            ),
        );
        c.details = outside;
        out.push(c);
    } else if !considered.is_empty() {
        // The vertex closest to a bound.
        let (closest, load, margin, side) = considered
            .iter()
            .map(|(v, l)| {
                let up = upper.value - l;
                let down = l - lower.value;
                if up <= down {
                    (*v, *l, up, "upper")
                } else {
                    (*v, *l, down, "lower")
                }
            })
            .min_by(|a, b| a.2.total_cmp(&b.2))
            .unwrap_or((considered[0].0, considered[0].1, 0.0, "upper"));
        let mut c = condition(
            VerdictKind::WithinBounds,
            format!(
                "every {}vertex is within its bounds {}-{} ({}); the closest is {closest} at {}, {} points from the {side} bound",
                if set_aside > 0 { "other " } else { "" },
                pct(lower.value),
                pct(upper.value),
                s.knobs.bounds_from(),
                pct(load),
                points(margin)
            ),
        );
        c.details = considered
            .iter()
            .map(|(v, l)| {
                format!(
                    "{v}: utilization {} (busy time over the last {}), {} points below the upper bound, {} above the lower",
                    pct(*l),
                    flink(s.knobs.window),
                    points(upper.value - l),
                    points(l - lower.value)
                )
            })
            .collect();
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flink_autoscale_rules::config::FlinkConfig;
    use flink_autoscale_rules::effective::EffectiveConfig;
    use serde_json::json;

    const V1: &str = "bc764cd8ddf7a0cff126f51c16239658";
    const V2: &str = "0a448493b4782967b150582570326227";
    const NOW: &str = "2026-07-01T12:00:00Z";

    fn at(s: &str) -> jiff::Timestamp {
        s.parse().unwrap()
    }

    fn knobs(v: serde_json::Value) -> Knobs {
        let config = FlinkConfig::from_json(Some(&v)).unwrap();
        Knobs::new(&EffectiveConfig::resolve(&config), &config)
    }

    fn sample(t: &str, loads: &[(&str, f64)]) -> Sample {
        Sample {
            at: Some(at(t)),
            load: loads.iter().map(|(v, l)| ((*v).to_string(), *l)).collect(),
            lag: BTreeMap::new(),
            metrics: BTreeMap::new(),
        }
    }

    fn situation<'a>(
        k: &'a Knobs,
        samples: &'a [Sample],
        delayed: &'a [DelayedVertex],
    ) -> Situation<'a> {
        Situation {
            now: at(NOW),
            next_evaluation: at(NOW),
            reconcile: std::time::Duration::from_secs(60),
            mode: Mode::On,
            session: false,
            enabled_setting: "true (explicit)".into(),
            job_state: Some("RUNNING".into()),
            lifecycle_state: Some("STABLE".into()),
            config_map_name: "autoscaler-x".into(),
            config_map_found: true,
            blocking: Vec::new(),
            scalers: Vec::new(),
            running_since: RunningSince::Since(at("2026-07-01T09:00:00Z")),
            knobs: k,
            samples,
            excluded: None,
            warnings: Vec::new(),
            delayed,
            vertices: vec![
                VertexNow {
                    id: V1.into(),
                    parallelism: Some(4),
                    recorded_max: None,
                },
                VertexNow {
                    id: V2.into(),
                    parallelism: Some(2),
                    recorded_max: None,
                },
            ],
            advice: None,
            vertex_filter: None,
        }
    }

    fn kinds(c: &[Condition]) -> Vec<VerdictKind> {
        c.iter().map(|c| c.kind).collect()
    }

    /// Samples since 11:00 (the window is full); loads in the last 15 minutes.
    fn window(loads: &[(&str, f64)]) -> Vec<Sample> {
        vec![
            sample("2026-07-01T11:00:00Z", &[]),
            sample("2026-07-01T11:50:00Z", loads),
        ]
    }

    fn full_window() -> Vec<Sample> {
        vec![
            sample("2026-07-01T11:00:00Z", &[(V1, 0.1), (V2, 0.1)]),
            sample("2026-07-01T11:48:00Z", &[(V1, 0.7), (V2, 0.5)]),
            sample("2026-07-01T11:55:00Z", &[(V1, 0.8), (V2, 0.6)]),
        ]
    }

    #[test]
    fn within_bounds_with_the_margin() {
        let k = knobs(json!({"job.autoscaler.enabled": true}));
        let samples = full_window();
        let c = judge(&situation(&k, &samples, &[]));
        assert_eq!(kinds(&c), [VerdictKind::WithinBounds]);
        assert_eq!(
            c[0].summary,
            "every vertex is within its bounds 40%-100% (target 0.7 +/- boundary 0.3); the closest is 0a448493b4782967b150582570326227 at 55%, 15 points from the lower bound"
        );
    }

    #[test]
    fn off_and_session_say_only_that() {
        let k = knobs(json!({}));
        let samples = full_window();
        let mut s = situation(&k, &samples, &[]);
        s.mode = Mode::Off;
        s.enabled_setting = "false (default)".into();
        let c = judge(&s);
        assert_eq!(kinds(&c), [VerdictKind::AutoscalerOff]);
        assert_eq!(
            c[0].summary,
            "job.autoscaler.enabled is false (default): the autoscaler neither evaluates nor scales this deployment"
        );
        s.session = true;
        assert!(judge(&s)[0].summary.starts_with("a session cluster"));
    }

    #[test]
    fn advisor_lists_its_recommendations() {
        let k = knobs(json!({}));
        let samples = full_window();
        let mut s = situation(&k, &samples, &[]);
        s.mode = Mode::Advisor;
        s.advice = Some(Advice {
            at: at("2026-07-01T11:55:00Z"),
            changes: vec![(V1.into(), 4, 6)],
        });
        let c = judge(&s);
        assert_eq!(
            kinds(&c),
            [VerdictKind::AdvisorMode, VerdictKind::WithinBounds]
        );
        assert_eq!(
            c[0].summary,
            "job.autoscaler.scaling.enabled is false: the autoscaler evaluates and reports, but does not rescale; it recommends changing 1 vertex (5m ago)"
        );
        assert_eq!(
            c[0].details,
            [format!(
                "recommended at 2026-07-01T11:55:00Z: {V1} parallelism 4 -> 6"
            )]
        );
    }

    #[test]
    fn job_not_running() {
        let k = knobs(json!({}));
        let mut s = situation(&k, &[], &[]);
        s.job_state = Some("FAILED".into());
        s.lifecycle_state = Some("FAILED".into());
        let c = judge(&s);
        assert_eq!(kinds(&c), [VerdictKind::JobNotRunning]);
        assert_eq!(
            c[0].summary,
            "the job is FAILED (lifecycle FAILED): the autoscaler evaluates running jobs only"
        );
    }

    #[test]
    fn stabilizing_then_filling() {
        let k = knobs(json!({}));
        let mut s = situation(&k, &[], &[]);
        s.running_since = RunningSince::Since(at("2026-07-01T11:58:00Z"));
        let c = judge(&s);
        assert_eq!(kinds(&c), [VerdictKind::Stabilizing]);
        assert_eq!(c[0].time_left_seconds, Some(180));
        assert_eq!(c[0].until.as_deref(), Some("2026-07-01T12:03:00Z"));

        let samples = [sample("2026-07-01T11:55:00Z", &[(V1, 0.9)])];
        let mut s = situation(&k, &samples, &[]);
        s.running_since = RunningSince::Since(at("2026-07-01T11:50:00Z"));
        let c = judge(&s);
        assert_eq!(kinds(&c)[0], VerdictKind::MetricsWindowFilling);
        // Stable at 11:55, first sample 11:55, window 15 min: full at 12:10.
        assert_eq!(c[0].time_left_seconds, Some(600));

        let mut s = situation(&k, &[], &[]);
        s.config_map_found = false;
        let c = judge(&s);
        assert_eq!(kinds(&c), [VerdictKind::MetricsWindowFilling]);
        assert!(
            c[0].summary
                .starts_with("no autoscaler state yet (ConfigMap autoscaler-x not found)")
        );
        assert_eq!(c[0].time_left_seconds, Some(900));
    }

    #[test]
    fn restarting_after_a_rescale() {
        let k = knobs(json!({}));
        let mut s = situation(&k, &[], &[]);
        s.running_since = RunningSince::RestartingAfter(at("2026-07-01T11:58:00Z"));
        let c = judge(&s);
        assert_eq!(kinds(&c), [VerdictKind::Stabilizing]);
        assert_eq!(c[0].time_left_seconds, Some(180));
    }

    #[test]
    fn delayed_scale_down_tells_the_time_left() {
        let k = knobs(json!({}));
        let samples = full_window();
        let delayed = [DelayedVertex {
            vertex: V1.into(),
            first_trigger: at("2026-07-01T11:25:00Z"),
            recommendations: vec![
                (at("2026-07-01T11:25:00Z"), 3),
                (at("2026-07-01T11:50:00Z"), 2),
            ],
        }];
        let c = judge(&situation(&k, &samples, &delayed));
        assert_eq!(
            kinds(&c),
            [VerdictKind::ScaleDownDelayed, VerdictKind::WithinBounds]
        );
        assert_eq!(c[0].time_left_seconds, Some(25 * 60));
        assert_eq!(c[0].until.as_deref(), Some("2026-07-01T12:25:00Z"));
        assert_eq!(
            c[0].details,
            [format!(
                "{V1}: parallelism 4 -> 3, first recommended at 2026-07-01T11:25:00Z, due at 2026-07-01T12:25:00Z (25m left)"
            )]
        );
    }

    #[test]
    fn at_max_parallelism_names_the_bound() {
        let k = knobs(json!({"job.autoscaler.vertex.max-parallelism": 4,
                             "job.autoscaler.utilization.max": 0.9}));
        let samples = window(&[(V1, 0.97), (V2, 0.5)]);
        let c = judge(&situation(&k, &samples, &[]));
        assert_eq!(
            kinds(&c),
            [VerdictKind::AtMaxParallelism, VerdictKind::WithinBounds]
        );
        assert_eq!(
            c[0].summary,
            "1 vertex is at max parallelism while busier than the upper bound 90%: the autoscaler cannot scale it up any further"
        );
        assert_eq!(
            c[0].details,
            [format!(
                "{V1}: parallelism 4 is at its max 4 (job.autoscaler.vertex.max-parallelism), utilization 97% above the upper bound 90%"
            )]
        );

        let k = knobs(json!({"job.autoscaler.utilization.max": 0.9}));
        let mut s = situation(&k, &samples, &[]);
        s.vertices[0].recorded_max = Some((4, "key groups"));
        let c = judge(&s);
        assert!(
            c[0].details[0].contains("at its max 4 (key groups)"),
            "{}",
            c[0].summary
        );
    }

    #[test]
    fn scaling_due_when_outside_the_bounds() {
        let k = knobs(json!({"job.autoscaler.utilization.max": 0.8}));
        let samples = window(&[(V1, 0.9), (V2, 0.5)]);
        let c = judge(&situation(&k, &samples, &[]));
        assert_eq!(kinds(&c), [VerdictKind::ScalingDue]);
        assert_eq!(
            c[0].details,
            [format!(
                "{V1}: utilization 90% is above the upper bound 80%: a scale-up is due"
            )]
        );
    }

    #[test]
    fn excluded_periods_warnings_and_conflicts_in_order() {
        let k = knobs(json!({}));
        let samples = full_window();
        let mut s = situation(&k, &samples, &[]);
        s.excluded = Some(Inside {
            expression: "09:00-17:00".into(),
            until: Some(at("2026-07-01T17:00:01Z")),
        });
        s.warnings = vec![RecentWarning {
            reason: "MemoryPressure".into(),
            at: at("2026-07-01T11:50:00Z"),
            count: 2,
            message: "GC Pressure 0.5 is above the allowed limit".into(),
        }];
        s.blocking = vec![Blocking {
            object: "HorizontalPodAutoscaler/x".into(),
            rule: "hpa.autoscaler-conflict",
            message: "fights".into(),
        }];
        let c = judge(&s);
        assert_eq!(
            kinds(&c),
            [
                VerdictKind::BlockedByConflict,
                VerdictKind::ExcludedPeriod,
                VerdictKind::RecentWarnings,
                VerdictKind::WithinBounds
            ]
        );
        assert_eq!(c[1].time_left_seconds, Some(5 * 3600 + 1));
        assert_eq!(
            c[2].summary,
            "the autoscaler held back: MemoryPressure (newest 10m ago)"
        );
        assert_eq!(
            c[2].details,
            [
                "MemoryPressure at 2026-07-01T11:50:00Z (x2): GC Pressure 0.5 is above the allowed limit"
            ]
        );
    }

    #[test]
    fn the_vertex_filter_narrows_every_list() {
        let k = knobs(json!({}));
        let samples = full_window();
        let filter = |v: &str| v == V1;
        let mut s = situation(&k, &samples, &[]);
        s.vertex_filter = Some(&filter);
        let c = judge(&s);
        assert!(c[0].summary.contains(V1), "{}", c[0].summary);
        assert_eq!(c[0].details.len(), 1);
    }

    #[test]
    fn the_next_reconcile_follows_the_newest_sample() {
        let sample = |t: &str| Sample {
            at: Some(at(t)),
            ..Sample::default()
        };
        let minute = std::time::Duration::from_secs(60);
        let samples = [
            sample("2026-07-01T08:13:00Z"),
            sample("2026-07-01T08:14:00Z"),
        ];
        // At the sample's own instant the operator has evaluated: the next is a minute on.
        assert_eq!(
            next_evaluation(&samples, at("2026-07-01T08:14:00Z"), minute),
            at("2026-07-01T08:15:00Z")
        );
        assert_eq!(
            next_evaluation(&samples, at("2026-07-01T08:16:30Z"), minute),
            at("2026-07-01T08:17:00Z")
        );
        assert_eq!(next_evaluation(&[], at(NOW), minute), at(NOW));
        assert_eq!(
            reconcile_at_or_after(
                at("2026-07-01T11:11:00Z"),
                at("2026-07-01T11:20:01Z"),
                minute
            ),
            at("2026-07-01T11:21:00Z")
        );
        assert_eq!(
            reconcile_at_or_after(
                at("2026-07-01T11:11:00Z"),
                at("2026-07-01T11:00:00Z"),
                minute
            ),
            at("2026-07-01T11:11:00Z")
        );
    }
}

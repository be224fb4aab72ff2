//! The scaling decisions: the ConfigMap's history (what the operator executed) and
//! the ScalingReport events (what it reported, including recommendations it did not
//! execute) merged into one list, each change recomputed with the operator's own
//! algorithm ([`super::scaler`]) from the inputs it recorded, step by step.
//!
//! A report and a history entry are the same decision when they name the same
//! vertex, the same parallelism change, and lie within [`SAME_DECISION`] of each other:
//! the operator posts the report and stores the history in the same evaluation, and
//! its event recorder keeps the newest occurrence of a report in `lastTimestamp`.
//! A `ScalingLimited` event belongs to the decision of its vertex whose instant lies
//! just before it ([`LIMITED_AFTER`]): the aligner posts it while computing, and the
//! history is stored under the cycle's start instant, about a second earlier.

use super::events::{ReportedVertex, ScalingLimited, ScalingReport};
use super::knobs::{self, Knobs};
use super::model::{
    Decision, Direction, Limit, LimitKind, Outcome, Rates, Source, Utilization, VertexDecision,
};
use super::scaler::{self, Computation, Inputs, Step, StepKind};
use super::state::{RecordedChange, ScalingRecord, Summary};
use super::text::{self, count, factor, flink, pct, rate};
use std::collections::BTreeMap;
use std::time::Duration;

/// How far apart a report and a history entry of the same decision may be.
pub const SAME_DECISION: i64 = 10 * 60;

/// How long after a decision's instant its ScalingLimited event may come, in seconds.
pub const LIMITED_AFTER: i64 = 2 * 60;
/// How long before (clocks of the operator and the API server differ slightly).
pub const LIMITED_BEFORE: i64 = 5;

/// A ScalingReport event, parsed, with its newest occurrence.
#[derive(Debug, Clone)]
pub struct TimedReport {
    pub at: jiff::Timestamp,
    pub report: ScalingReport,
}

/// A ScalingLimited event, parsed, with its first and newest occurrence.
#[derive(Debug, Clone)]
pub struct TimedLimited {
    pub at: jiff::Timestamp,
    pub first: jiff::Timestamp,
    pub limited: ScalingLimited,
    /// The event's message, as the operator wrote it.
    pub message: String,
}

impl TimedLimited {
    /// `ScalingLimited at <newest> (first <first>): <message>`.
    fn describe(&self) -> String {
        let mut s = format!("ScalingLimited at {}", text::instant(self.at));
        if self.first != self.at {
            s.push_str(&format!(" (first {})", text::instant(self.first)));
        }
        format!("{s}: {}", self.message)
    }

    /// Whether the event was posted by the evaluation at `decision`. Only its newest
    /// occurrence counts: the operator updates one Event in place, so the message
    /// (the numbers) is the newest occurrence's.
    fn belongs_to(&self, decision: jiff::Timestamp) -> bool {
        (-LIMITED_BEFORE..=LIMITED_AFTER).contains(&text::seconds_between(decision, self.at))
    }
}

/// Merges history and reports into decisions, oldest first, every vertex explained.
/// Returns the decisions and the ScalingLimited events no decision claimed.
pub fn decisions(
    history: &[RecordedChange],
    reports: &[TimedReport],
    limited: &[TimedLimited],
    knobs: &Knobs,
    records: &[ScalingRecord],
) -> (Vec<Decision>, Vec<usize>) {
    // The ConfigMap's entries, grouped by instant.
    let mut by_instant: BTreeMap<jiff::Timestamp, Vec<&RecordedChange>> = BTreeMap::new();
    for change in history {
        by_instant.entry(change.at).or_default().push(change);
    }
    let mut recorded: Vec<(jiff::Timestamp, Vec<&RecordedChange>, bool)> = by_instant
        .into_iter()
        .map(|(at, changes)| (at, changes, false))
        .collect();

    // Reports not in the history become decisions of their own.
    let mut reported: Vec<(jiff::Timestamp, &ScalingReport, Vec<&ReportedVertex>)> = Vec::new();
    for r in reports {
        let mut unmatched = Vec::new();
        for v in &r.report.vertices {
            let same = r.report.disabled_by.is_none().then(|| {
                recorded
                    .iter_mut()
                    .filter(|(at, changes, _)| {
                        text::seconds_between(*at, r.at).abs() <= SAME_DECISION
                            && changes.iter().any(|c| {
                                c.vertex == v.id
                                    && c.summary.current_parallelism == Some(v.from)
                                    && c.summary.new_parallelism == Some(v.to)
                            })
                    })
                    .min_by_key(|(at, _, _)| text::seconds_between(*at, r.at).abs())
            });
            match same.flatten() {
                Some(entry) => entry.2 = true,
                None => unmatched.push(v),
            }
        }
        if !unmatched.is_empty() {
            reported.push((r.at, &r.report, unmatched));
        }
    }

    let keyed = keyed_by_vertex(history, knobs, records);
    let mut claimed = vec![false; limited.len()];
    let mut claim = |vertex: &str, at: jiff::Timestamp| {
        let found = limited
            .iter()
            .enumerate()
            .find(|(i, l)| !claimed[*i] && l.limited.vertex == vertex && l.belongs_to(at));
        found.map(|(i, l)| {
            claimed[i] = true;
            l
        })
    };

    let mut out = Vec::new();
    for (at, changes, with_event) in recorded {
        let vertices = changes
            .iter()
            .map(|c| {
                let limited = claim(&c.vertex, at);
                let restart = (
                    restart_at(records, at, knobs),
                    restart_source(records, at, knobs),
                );
                let coefficient = coefficient_at(history, &c.vertex, at, knobs);
                recorded_vertex(c, knobs, (&keyed, coefficient), restart, limited)
            })
            .collect();
        let mut sources = vec![Source::ConfigMap];
        if with_event {
            sources.push(Source::Event);
        }
        out.push(Decision {
            time: text::instant(at),
            at,
            outcome: Outcome::Scaled,
            disabled_by: None,
            sources,
            vertices,
        });
    }
    for (at, report, unmatched) in reported {
        let vertices = unmatched
            .iter()
            .map(|v| {
                let limited = claim(&v.id, at);
                reported_vertex(v, knobs, limited)
            })
            .collect();
        out.push(Decision {
            time: text::instant(at),
            at,
            outcome: if report.disabled_by.is_some() {
                Outcome::Recommended
            } else {
                Outcome::Reported
            },
            disabled_by: report.disabled_by.as_ref().map(|(k, v)| format!("{k}:{v}")),
            sources: vec![Source::Event],
            vertices,
        });
    }
    // A ScalingLimited that kept a vertex where it was leaves no history for it: show
    // it with the decision of that evaluation, or as a decision of its own.
    for (i, l) in limited.iter().enumerate() {
        if claimed[i] {
            continue;
        }
        claimed[i] = true;
        let vertex = held_vertex(l);
        match out
            .iter_mut()
            .filter(|d| l.belongs_to(d.at))
            .min_by_key(|d| text::seconds_between(d.at, l.at).abs())
        {
            Some(d) => d.vertices.push(vertex),
            None => out.push(Decision {
                time: text::instant(l.at),
                at: l.at,
                outcome: Outcome::Held,
                disabled_by: None,
                sources: vec![Source::Event],
                vertices: vec![vertex],
            }),
        }
    }
    out.sort_by_key(|d| (d.at, d.outcome));
    let unclaimed = claimed
        .iter()
        .enumerate()
        .filter(|(_, c)| !**c)
        .map(|(i, _)| i)
        .collect();
    (out, unclaimed)
}

/// The restart time the operator used at `at`: the scaling records it had then.
pub fn restart_at(records: &[ScalingRecord], at: jiff::Timestamp, knobs: &Knobs) -> Duration {
    scaler::restart_time(
        tracked_before(records, at),
        knobs.tracking_enabled,
        knobs.restart,
        knobs.tracking_limit,
    )
}

fn tracked_before(
    records: &[ScalingRecord],
    at: jiff::Timestamp,
) -> impl Iterator<Item = Duration> + '_ {
    records
        .iter()
        .filter(move |r| r.at < at)
        .filter_map(|r| Duration::try_from(r.restart?).ok())
}

/// With `observed-scalability.enabled`, the coefficient the operator fitted at `at`
/// to the vertex's history before it; 1 otherwise.
pub fn coefficient_at(
    history: &[RecordedChange],
    vertex: &str,
    at: jiff::Timestamp,
    knobs: &Knobs,
) -> f64 {
    if !knobs.observed_scalability {
        return 1.0;
    }
    let points: Vec<(f64, f64)> = history
        .iter()
        .filter(|c| c.vertex == vertex && c.at < at)
        .map(|c| {
            #[allow(clippy::cast_precision_loss)]
            let p = c.summary.current_parallelism.unwrap_or(0) as f64;
            (
                p,
                c.summary
                    .average("TRUE_PROCESSING_RATE")
                    .unwrap_or(f64::NAN),
            )
        })
        .collect();
    scaler::observed_scaling_coefficient(
        &points,
        knobs.observed_min_observations,
        knobs.observed_coefficient_min,
    )
}

/// Where the restart time at `at` comes from, in words.
fn restart_source(records: &[ScalingRecord], at: jiff::Timestamp, knobs: &Knobs) -> String {
    if !knobs.tracking_enabled {
        return knobs::RESTART.to_string();
    }
    match tracked_before(records, at).count() {
        0 => format!("{}, nothing tracked yet", knobs::RESTART),
        n => format!(
            "the longest tracked restart of {}, {}",
            if n == 1 {
                "1 record".to_string()
            } else {
                format!("{n} records")
            },
            knobs::TRACKING_ENABLED
        ),
    }
}

fn finite(v: Option<f64>) -> Option<f64> {
    v.filter(|v| !v.is_nan())
}

#[allow(clippy::cast_possible_truncation)]
fn whole(v: Option<f64>) -> Option<i64> {
    v.filter(|v| v.is_finite() && *v >= 0.0)
        .map(|v| v.round() as i64)
}

/// The rates a ScalingSummary recorded (NaN as absent).
pub fn rates_of(s: &Summary) -> Rates {
    Rates {
        true_processing_rate: finite(s.average("TRUE_PROCESSING_RATE")),
        target_data_rate: finite(s.average("TARGET_DATA_RATE")),
        catch_up_data_rate: finite(s.current("CATCH_UP_DATA_RATE")),
        lag: finite(s.current("LAG")),
        expected_processing_rate: finite(s.current("EXPECTED_PROCESSING_RATE")),
        scale_up_threshold: finite(s.current("SCALE_UP_RATE_THRESHOLD")),
        scale_down_threshold: finite(s.current("SCALE_DOWN_RATE_THRESHOLD")),
        max_parallelism: whole(s.current("MAX_PARALLELISM")),
        source_partitions: whole(s.current("NUM_SOURCE_PARTITIONS")).filter(|p| *p > 0),
    }
}

fn rates_of_report(v: &ReportedVertex) -> Rates {
    let known = |x: f64| (!x.is_nan()).then_some(x);
    Rates {
        true_processing_rate: known(v.processing_rate),
        target_data_rate: known(v.target_rate),
        expected_processing_rate: known(v.expected_rate),
        ..Rates::default()
    }
}

/// The operator's inputs for a vertex, from what a ScalingSummary recorded, or `None`
/// when a rate it needs is missing. Whether a source processed backlog is read off
/// the recorded scale-down threshold (infinite only at the 0% lower bound the backlog
/// sets, unless `utilization.min` is 0); whether the vertex has a keyBy input is not
/// recorded: not assumed here ([`keyed_by_vertex`] infers it from the decisions).
pub fn inputs_of(rates: &Rates, current: i64, knobs: &Knobs, restart: Duration) -> Option<Inputs> {
    let partitions = rates.source_partitions.unwrap_or(0);
    let lower = scaler::utilization_bounds(&knobs.scaler(), false).1;
    let backlog = lower > 0.0
        && rates
            .scale_down_threshold
            .is_some_and(|t| t == f64::INFINITY);
    Some(Inputs {
        current,
        true_processing_rate: rates.true_processing_rate?,
        target_data_rate: rates.target_data_rate?,
        catch_up_data_rate: rates.catch_up_data_rate?,
        max_parallelism: rates
            .max_parallelism
            .filter(|m| *m > 0)
            .or(knobs.pipeline_max)
            .unwrap_or(i64::from(i32::MAX)),
        source_partitions: partitions,
        keyed: false,
        backlog,
        restart,
        scaling_coefficient: 1.0,
    })
}

/// Whether each vertex has a keyBy input, as far as its recorded changes tell: the
/// operator does not record the job graph, so for every vertex that is not a source
/// both answers are tried on all its changes and the one that reproduces more of
/// them wins (first exact results, then changes that are changes at all); a tie means
/// alignment never changed a number: not keyed, as far as anyone can tell.
pub fn keyed_by_vertex(
    history: &[RecordedChange],
    knobs: &Knobs,
    records: &[ScalingRecord],
) -> BTreeMap<String, bool> {
    let settings = knobs.scaler();
    let mut score: BTreeMap<&str, [(usize, usize); 2]> = BTreeMap::new();
    let mut default: BTreeMap<&str, bool> = BTreeMap::new();
    for c in history {
        let rates = rates_of(&c.summary);
        let (Some(from), Some(to)) = (c.summary.current_parallelism, c.summary.new_parallelism)
        else {
            continue;
        };
        let Some(inputs) = inputs_of(&rates, from, knobs, restart_at(records, c.at, knobs)) else {
            continue;
        };
        let inputs = Inputs {
            scaling_coefficient: coefficient_at(history, &c.vertex, c.at, knobs),
            ..inputs
        };
        default.insert(&c.vertex, inputs.keyed);
        let entry = score.entry(&c.vertex).or_default();
        for (i, keyed) in [true, false].into_iter().enumerate() {
            if let Some(r) = scaler::compute(&Inputs { keyed, ..inputs }, &settings) {
                entry[i].0 += usize::from(r.parallelism == to);
                entry[i].1 += usize::from(r.parallelism != from);
            }
        }
    }
    score
        .into_iter()
        .map(|(v, [yes, no])| {
            let keyed = match yes.cmp(&no) {
                std::cmp::Ordering::Greater => true,
                std::cmp::Ordering::Less => false,
                std::cmp::Ordering::Equal => default.get(v).copied().unwrap_or(true),
            };
            (v.to_string(), keyed)
        })
        .collect()
}

fn direction_of(from: Option<i64>, to: Option<i64>) -> Direction {
    match (from, to) {
        (Some(f), Some(t)) if t > f => Direction::Up,
        (Some(f), Some(t)) if t < f => Direction::Down,
        _ => Direction::Unchanged,
    }
}

fn recorded_vertex(
    c: &RecordedChange,
    knobs: &Knobs,
    (keyed, coefficient): (&BTreeMap<String, bool>, f64),
    (restart, restart_from): (Duration, String),
    limited: Option<&TimedLimited>,
) -> VertexDecision {
    let s = &c.summary;
    let from = s
        .current_parallelism
        .or_else(|| whole(s.current("PARALLELISM")));
    let to = s.new_parallelism;
    let rates = rates_of(s);
    let computation = from
        .and_then(|f| inputs_of(&rates, f, knobs, restart))
        .and_then(|i| {
            let keyed = keyed.get(&c.vertex).copied().unwrap_or(i.keyed);
            scaler::compute(
                &Inputs {
                    keyed,
                    scaling_coefficient: coefficient,
                    ..i
                },
                &knobs.scaler(),
            )
        });
    vertex_decision(
        &c.vertex,
        (from, to),
        rates,
        knobs,
        (computation, &restart_from),
        limited,
    )
}

fn reported_vertex(
    v: &ReportedVertex,
    knobs: &Knobs,
    limited: Option<&TimedLimited>,
) -> VertexDecision {
    let mut d = vertex_decision(
        &v.id,
        (Some(v.from), Some(v.to)),
        rates_of_report(v),
        knobs,
        (None, ""),
        limited,
    );
    d.reasons.push(
        "The event carries no catch-up rate, thresholds or key groups: the steps are not recomputed."
            .into(),
    );
    d
}

/// A vertex a ScalingLimited event kept at its parallelism.
fn held_vertex(timed: &TimedLimited) -> VertexDecision {
    let l = &timed.limited;
    // Only the deprecated blocking modes post ScalingLimited.
    let key = knobs::ADJUST_MODE;
    let step = Step {
        what: StepKind::ScalingLimited,
        #[allow(clippy::cast_precision_loss)]
        from: l.expected as f64,
        #[allow(clippy::cast_precision_loss)]
        to: l.actual as f64,
        option: Some(key.to_string()),
    };
    VertexDecision {
        id: l.vertex.clone(),
        from: Some(l.actual),
        to: Some(l.actual),
        direction: Direction::Unchanged,
        rates: Rates::default(),
        utilization: None,
        ideal_parallelism: Some(l.expected),
        reasons: vec![format!(
            "The operator computed {} but kept {}: no parallelism within its limits divides the {} key groups or partitions, and {key} blocks the rescale.",
            l.expected,
            l.actual,
            l.key_groups_or_partitions
                .map_or_else(|| "?".to_string(), |n| n.to_string()),
        )],
        limits: vec![limited_limit(l)],
        computation: None,
        steps: vec![step],
        events: vec![timed.describe()],
    }
}

fn limited_limit(l: &ScalingLimited) -> Limit {
    let mut message = format!(
        "ScalingLimited event: expected parallelism {}, actual {}",
        l.expected, l.actual
    );
    let mut extra = Vec::new();
    if let Some(n) = l.key_groups_or_partitions {
        extra.push(format!("key groups or partitions {n}"));
    }
    if let Some(u) = l.upper_bound {
        extra.push(format!("upper bound {u}"));
    }
    if let Some(low) = l.lower_limit {
        extra.push(format!("lower limit {low}"));
    }
    if !extra.is_empty() {
        message.push_str(&format!(" ({})", extra.join(", ")));
    }
    Limit {
        kind: LimitKind::ScalingLimited,
        message,
    }
}

/// A number of the computation as the steps show it: whole when whole.
fn num(v: f64) -> String {
    if v.is_finite() && (v - v.round()).abs() < 1e-9 {
        count(v)
    } else if v.is_finite() {
        text::ratio((v * 100.0).round() / 100.0)
    } else {
        rate(v)
    }
}

/// What a step did, in words, with the option that caused it.
pub fn step_limit(step: &Step, knobs: &Knobs, rates: &Rates) -> Limit {
    let option = step.option.clone().unwrap_or_default();
    let (from, to) = (num(step.from), num(step.to));
    let (kind, message) = match step.what {
        StepKind::ScaleUpMaxFactor => (
            LimitKind::ScaleUpMaxFactor,
            format!(
                "{option} {}: the scale factor was capped at {}, {from} became {to}",
                text::ratio(knobs.up_factor),
                factor(1.0 + knobs.up_factor),
            ),
        ),
        StepKind::ScaleDownMaxFactor => (
            LimitKind::ScaleDownMaxFactor,
            format!(
                "{option} {}: the scale factor was raised to {}, {from} became {to}",
                text::ratio(knobs.down_factor),
                factor(1.0 - knobs.down_factor),
            ),
        ),
        // `JobVertexScaler` widens the limits to the current parallelism.
        StepKind::MinParallelism if num(step.to) == knobs.vertex_min.to_string() => (
            LimitKind::MinParallelism,
            format!("raised from {from} to {option} {to}"),
        ),
        StepKind::MinParallelism => (
            LimitKind::MinParallelism,
            format!(
                "raised from {from} to {to}: {option} {}, lowered to the current parallelism",
                knobs.vertex_min
            ),
        ),
        StepKind::MaxParallelism if num(step.to) == knobs.vertex_max.to_string() => (
            LimitKind::MaxParallelism,
            format!("capped from {from} at {option} {to}"),
        ),
        StepKind::MaxParallelism => (
            LimitKind::MaxParallelism,
            format!(
                "capped from {from} at {to}: {option} {}, raised to the current parallelism",
                knobs.vertex_max
            ),
        ),
        StepKind::KeyGroupsCap => (
            LimitKind::KeyGroups,
            format!(
                "capped from {from} at the vertex's max parallelism {to} (its key groups, {option})"
            ),
        ),
        StepKind::KeyGroupAlignment => (
            LimitKind::KeyGroupAlignment,
            format!(
                "aligned from {from} to {to} for its {} key groups ({option}: {})",
                rates
                    .max_parallelism
                    .map_or_else(|| "?".into(), |n| n.to_string()),
                knobs.alignment.setting().1
            ),
        ),
        StepKind::SourcePartitionAlignment => (
            LimitKind::SourcePartitionAlignment,
            format!(
                "aligned from {from} to {to} for its {} source partitions ({option}: {})",
                rates
                    .source_partitions
                    .map_or_else(|| "?".into(), |n| n.to_string()),
                knobs.alignment.setting().1
            ),
        ),
        StepKind::ScalingLimited => (
            LimitKind::ScalingLimited,
            format!(
                "no parallelism in range divides its key groups or partitions: kept at {to} instead of {from} ({option}: {})",
                knobs.alignment.setting().1
            ),
        ),
        StepKind::ObservedScalability => (
            LimitKind::ObservedScalability,
            format!(
                "{option}: the scale factor divided by the scaling coefficient fitted to the history, {from} became {to}"
            ),
        ),
        StepKind::WithinBounds => (
            LimitKind::WithinBounds,
            format!(
                "not applied, kept at {to}: no vertex of the job is outside its utilization bounds"
            ),
        ),
        StepKind::ScaleDownInterval => (
            LimitKind::ScaleDownInterval,
            format!(
                "{option} ({}): the highest parallelism recommended within the interval, {to}, applied instead of {from}",
                flink(knobs.scale_down_interval)
            ),
        ),
    };
    Limit { kind, message }
}

/// Explains one vertex's change: the rates, the bounds in effect, the target capacity,
/// the scale factor, and every step that changed the number.
#[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
pub fn vertex_decision(
    id: &str,
    (from, to): (Option<i64>, Option<i64>),
    rates: Rates,
    knobs: &Knobs,
    (computation, restart_from): (Option<Computation>, &str),
    limited: Option<&TimedLimited>,
) -> VertexDecision {
    let direction = direction_of(from, to);
    let mut reasons = Vec::new();
    let mut utilization = None;
    let tpr = rates.true_processing_rate;
    let catch = rates.catch_up_data_rate.unwrap_or(0.0);
    if let (Some(tpr), Some(target)) = (tpr, rates.target_data_rate) {
        let value = target / tpr;
        let with_catch_up = (catch > 0.0).then(|| (target + catch) / tpr);
        let mut sentence = format!(
            "Processing capacity {} rec/s against a target data rate of {} rec/s",
            rate(tpr),
            rate(target)
        );
        if catch > 0.0 {
            sentence.push_str(&format!(" plus {} rec/s to catch up", rate(catch)));
            if let Some(lag) = rates.lag.filter(|l| *l > 0.0) {
                sentence.push_str(&format!(" on a lag of {} records", count(lag)));
            }
            sentence.push_str(&format!(
                " within {} ({})",
                knobs::CATCH_UP,
                flink(knobs.catch_up)
            ));
        }
        sentence.push_str(&format!(": utilization {}", pct(value)));
        if let Some(w) = with_catch_up {
            sentence.push_str(&format!(", {} with the catch-up", pct(w)));
        }
        sentence.push('.');
        reasons.push(sentence);
        let (min, max, bounds_from) = match &computation {
            Some(c)
                if c.lower_utilization == 0.0
                    && c.upper_utilization == 1.0
                    && knobs.lower().value > 0.0 =>
            {
                (
                    0.0,
                    1.0,
                    format!("processing backlog: lag above {}", knobs::BACKLOG_THRESHOLD),
                )
            }
            _ => (
                knobs.lower().value,
                knobs.upper().value,
                knobs.bounds_from(),
            ),
        };
        utilization = Some(Utilization {
            value,
            with_catch_up,
            target: knobs.target,
            min,
            max,
            bounds_from,
        });
    } else if direction != Direction::Unchanged {
        reasons.push(
            "The operator recorded no processing or target data rate for this change.".into(),
        );
    }
    let mut steps = Vec::new();
    let mut ideal = None;
    if let (Some(c), Some(tpr)) = (&computation, tpr) {
        if c.lower_utilization == 0.0 && c.upper_utilization == 1.0 && knobs.lower().value > 0.0 {
            reasons.push(format!(
                "A source processes backlog (lag above {}, {}): the operator takes 100% as the upper bound and does not scale down; thresholds: scale up below {} rec/s, scale down above {} rec/s.",
                knobs::BACKLOG_THRESHOLD,
                flink(knobs.backlog_threshold),
                rate(c.scale_up_threshold),
                rate(c.scale_down_threshold)
            ));
        } else {
            reasons.push(format!(
                "Bounds {}..{} ({}): scale up below {} rec/s, scale down above {} rec/s of capacity; it is {} them.",
                pct(c.lower_utilization),
                pct(c.upper_utilization),
                knobs.bounds_from(),
                rate(c.scale_up_threshold),
                rate(c.scale_down_threshold),
                if c.outside_bounds { "outside" } else { "within" }
            ));
        }
        reasons.push(format!(
            "Target capacity at {} {}: {} + {} x {}s / {}s + {} / {} = {} rec/s (restart time {}s: {restart_from}).",
            knobs::TARGET,
            text::ratio(knobs.target),
            rate(catch),
            rate(rates.target_data_rate.unwrap_or(f64::NAN)),
            c.restart_seconds,
            knobs.catch_up.as_secs(),
            rate(rates.target_data_rate.unwrap_or(f64::NAN)),
            text::ratio(knobs.target.clamp(0.0, 1.0)),
            rate(c.target_capacity),
            c.restart_seconds,
        ));
        let from_p = from.unwrap_or(0);
        let uncapped = (c.scale_factor * from_p as f64).ceil();
        ideal = (uncapped.is_finite() && uncapped < 1e9).then_some(uncapped as i64);
        reasons.push(format!(
            "Scale factor {} / {} = {}: parallelism ceil({} x {from_p}) = {}.",
            rate(c.target_capacity),
            rate(tpr),
            text::ratio((c.scale_factor * 10_000.0).round() / 10_000.0),
            text::ratio((c.capped_scale_factor * 10_000.0).round() / 10_000.0),
            c.raw_parallelism
        ));
        steps.clone_from(&c.steps);
        if let Some(to) = to
            && to != c.parallelism
        {
            if direction == Direction::Down
                && to > c.parallelism
                && !knobs.scale_down_interval.is_zero()
            {
                steps.push(Step {
                    what: StepKind::ScaleDownInterval,
                    from: c.parallelism as f64,
                    to: to as f64,
                    option: Some(knobs::SCALE_DOWN_INTERVAL.into()),
                });
            } else {
                reasons.push(format!(
                    "The operator applied {to}; recomputed from what it recorded, the algorithm gives {}: a setting changed since, or an input it does not record (the job's keyBy edges) differs.",
                    c.parallelism
                ));
            }
        }
    }
    let mut limits: Vec<Limit> = steps.iter().map(|s| step_limit(s, knobs, &rates)).collect();
    let mut events = Vec::new();
    if let Some(l) = limited {
        limits.push(limited_limit(&l.limited));
        events.push(l.describe());
    }
    VertexDecision {
        id: id.to_string(),
        from,
        to,
        direction,
        rates,
        utilization,
        ideal_parallelism: ideal,
        reasons,
        limits,
        computation,
        steps,
        events,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explain::events::parse_scaling_limited;
    use crate::explain::state::{Double, MetricValue};
    use flink_autoscale_rules::config::FlinkConfig;
    use flink_autoscale_rules::effective::EffectiveConfig;
    use serde_json::json;

    const SOURCE: &str = "bc764cd8ddf7a0cff126f51c16239658";
    const WINDOW: &str = "0a448493b4782967b150582570326227";

    fn knobs(v: serde_json::Value) -> Knobs {
        let config = FlinkConfig::from_json(Some(&v)).unwrap();
        Knobs::new(&EffectiveConfig::resolve(&config), &config)
    }

    fn scenario_knobs() -> Knobs {
        knobs(json!({
            "job.autoscaler.enabled": "true",
            "job.autoscaler.utilization.target": "0.7",
            "job.autoscaler.utilization.max": "0.8",
            "job.autoscaler.utilization.min": "0.5",
            "job.autoscaler.restart.time-tracking.enabled": "true",
            "job.autoscaler.scale-down.max-factor": "0.5",
            "job.autoscaler.vertex.max-parallelism": "32",
            "job.autoscaler.scaling.key-group.partitions.adjust.mode": "EVENLY_SPREAD",
        }))
    }

    fn at(s: &str) -> jiff::Timestamp {
        s.parse().unwrap()
    }

    fn change(vertex: &str, t: &str, from: i64, to: i64, m: &[(&str, f64, f64)]) -> RecordedChange {
        RecordedChange {
            vertex: vertex.into(),
            at: at(t),
            summary: Summary {
                current_parallelism: Some(from),
                new_parallelism: Some(to),
                metrics: m
                    .iter()
                    .map(|(n, c, a)| {
                        (
                            (*n).to_string(),
                            MetricValue {
                                current: Double(*c),
                                average: Double(*a),
                            },
                        )
                    })
                    .collect(),
            },
        }
    }

    /// The window-aggregate vertex of the operator-produced scenario at 08:15 (backlog,
    /// restart.time 5 min): capacity 38778 rec/s, factor 1.19, 11 aligned to 12 for
    /// its 720 key groups; figures from `reference.json`.
    fn backlog_scale_up() -> RecordedChange {
        change(
            WINDOW,
            "2026-07-01T08:15:00Z",
            9,
            12,
            &[
                ("TRUE_PROCESSING_RATE", f64::NAN, 32_486.34),
                ("TARGET_DATA_RATE", f64::NAN, 20_000.0),
                ("CATCH_UP_DATA_RATE", 6_872.889, f64::NAN),
                ("MAX_PARALLELISM", 720.0, f64::NAN),
                ("NUM_SOURCE_PARTITIONS", 0.0, f64::NAN),
                ("SCALE_DOWN_RATE_THRESHOLD", f64::INFINITY, f64::NAN),
            ],
        )
    }

    fn limited_event(first: &str) -> TimedLimited {
        let message = "Scaling limited detected for bc764cd8ddf7a0cff126f51c16239658 (expected parallelism: 25, actual parallelism 18). Scaling limited due to numKeyGroupsOrPartitions : 36\u{ff0c}upperBoundForAlignment(maxParallelism or parallelismUpperLimit): 32, parallelismLowerLimit: 1.";
        TimedLimited {
            at: at(first),
            first: at(first),
            limited: parse_scaling_limited(message).unwrap(),
            message: message.into(),
        }
    }

    #[test]
    fn a_backlog_scale_up_recomputed_step_by_step() {
        let k = scenario_knobs();
        let (d, unclaimed) = decisions(&[backlog_scale_up()], &[], &[], &k, &[]);
        assert!(unclaimed.is_empty());
        let v = &d[0].vertices[0];
        let c = v.computation.as_ref().expect("recomputed");
        assert_eq!(c.target_capacity, 38_778.0);
        assert_eq!((c.before_alignment, c.parallelism), (11, 12));
        assert_eq!((c.upper_utilization, c.lower_utilization), (1.0, 0.0));
        assert_eq!(v.steps.len(), 1);
        assert_eq!(v.steps[0].what, StepKind::KeyGroupAlignment);
        assert_eq!(v.steps[0].option.as_deref(), Some(knobs::ADJUST_MODE));
        assert!(
            v.reasons.iter().any(|r| r.contains("processes backlog")),
            "{:#?}",
            v.reasons
        );
        assert_eq!(v.utilization.as_ref().map(|u| u.max), Some(1.0));
    }

    /// The ScalingLimited event comes a second after the decision's instant: it belongs
    /// to that decision, and the vertex it kept is shown there as held.
    #[test]
    fn scaling_limited_is_tied_to_its_decision() {
        let k = scenario_knobs();
        let (d, unclaimed) = decisions(
            &[backlog_scale_up()],
            &[],
            &[limited_event("2026-07-01T08:15:01Z")],
            &k,
            &[],
        );
        assert!(unclaimed.is_empty());
        assert_eq!(d.len(), 1);
        let held = d[0].vertices.iter().find(|v| v.id == SOURCE).unwrap();
        assert_eq!(
            (held.from, held.to, held.ideal_parallelism),
            (Some(18), Some(18), Some(25))
        );
        assert_eq!(held.steps[0].what, StepKind::ScalingLimited);
        assert_eq!((held.steps[0].from, held.steps[0].to), (25.0, 18.0));
        assert_eq!(held.events.len(), 1);
        // An hour later it belongs to no decision: a held decision of its own.
        let (d, _) = decisions(
            &[backlog_scale_up()],
            &[],
            &[limited_event("2026-07-01T09:15:01Z")],
            &k,
            &[],
        );
        assert_eq!(d.len(), 2);
        assert_eq!(d[1].outcome, Outcome::Held);
    }

    #[test]
    fn tracked_restart_times_before_the_decision_count() {
        let k = scenario_knobs();
        let records = [
            ScalingRecord {
                at: at("2026-07-01T08:15:00Z"),
                restart: Some(jiff::SignedDuration::from_secs(52)),
            },
            ScalingRecord {
                at: at("2026-07-01T09:36:00Z"),
                restart: Some(jiff::SignedDuration::from_secs(61)),
            },
        ];
        assert_eq!(
            restart_at(&records, at("2026-07-01T08:15:00Z"), &k).as_secs(),
            300
        );
        assert_eq!(
            restart_at(&records, at("2026-07-01T09:36:00Z"), &k).as_secs(),
            52
        );
        assert_eq!(
            restart_at(&records, at("2026-07-01T12:21:00Z"), &k).as_secs(),
            61
        );
        let untracked = knobs(json!({"job.autoscaler.restart.time": "2 min"}));
        assert_eq!(
            restart_at(&records, at("2026-07-01T12:21:00Z"), &untracked).as_secs(),
            120
        );
    }
}

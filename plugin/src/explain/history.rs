//! The scaling decisions: the ConfigMap's history (what the operator executed) and
//! the ScalingReport events (what it reported, including recommendations it did not
//! execute) merged into one list, each change explained in words.
//!
//! A report and a history entry are the same decision when they name the same
//! vertex, the same parallelism change, and lie within [`SAME_DECISION`] of each other:
//! the operator posts the report and stores the history in the same evaluation, and
//! its event recorder keeps the newest occurrence of a report in `lastTimestamp`.

use super::events::{ReportedVertex, ScalingLimited, ScalingReport};
use super::knobs::{self, Knobs};
use super::model::{
    Decision, Direction, Limit, LimitKind, Outcome, Rates, Source, Utilization, VertexDecision,
};
use super::state::{RecordedChange, Summary};
use super::text::{self, count, factor, flink, pct, rate};
use std::collections::BTreeMap;

/// How far apart a report and a history entry of the same decision may be.
pub const SAME_DECISION: i64 = 10 * 60;

/// A ScalingReport event, parsed, with its newest occurrence.
#[derive(Debug, Clone)]
pub struct TimedReport {
    pub at: jiff::Timestamp,
    pub report: ScalingReport,
}

/// A ScalingLimited event, parsed.
#[derive(Debug, Clone)]
pub struct TimedLimited {
    pub at: jiff::Timestamp,
    pub limited: ScalingLimited,
}

/// Merges history and reports into decisions, oldest first, every vertex explained.
/// Returns the decisions and the ScalingLimited events no decision claimed.
pub fn decisions(
    history: &[RecordedChange],
    reports: &[TimedReport],
    limited: &[TimedLimited],
    knobs: &Knobs,
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

    let mut claimed = vec![false; limited.len()];
    let mut claim = |vertex: &str, to: Option<i64>, at: jiff::Timestamp| {
        let found = limited.iter().enumerate().find(|(i, l)| {
            let age = text::seconds_between(l.at, at);
            !claimed[*i]
                && l.limited.vertex == vertex
                && Some(l.limited.actual) == to
                && (-5 * 60..=knobs.event_interval.as_secs() as i64 + 5 * 60).contains(&age)
        });
        found.map(|(i, l)| {
            claimed[i] = true;
            &l.limited
        })
    };

    let mut out = Vec::new();
    for (at, changes, with_event) in recorded {
        let vertices = changes
            .iter()
            .map(|c| {
                let limited = claim(&c.vertex, c.summary.new_parallelism, at);
                explain(
                    &c.vertex,
                    c.summary.current_parallelism,
                    c.summary.new_parallelism,
                    rates_of(&c.summary),
                    knobs,
                    limited,
                )
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
                let limited = claim(&v.id, Some(v.to), at);
                explain(
                    &v.id,
                    Some(v.from),
                    Some(v.to),
                    rates_of_report(v),
                    knobs,
                    limited,
                )
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
    out.sort_by_key(|d| (d.at, d.outcome));
    let unclaimed = claimed
        .iter()
        .enumerate()
        .filter(|(_, c)| !**c)
        .map(|(i, _)| i)
        .collect();
    (out, unclaimed)
}

fn finite(v: Option<f64>) -> Option<f64> {
    v.filter(|v| !v.is_nan())
}

#[allow(clippy::cast_possible_truncation)]
fn whole(v: Option<f64>) -> Option<i64> {
    v.filter(|v| v.is_finite() && *v >= 0.0)
        .map(|v| v.round() as i64)
}

fn rates_of(s: &Summary) -> Rates {
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

/// The extra rate to catch up on the input missed while restarting
/// (`restart.time` worth of it within `catch-up.duration`), as the operator adds it.
fn restart_catch_up(target: f64, knobs: &Knobs) -> f64 {
    let catch_up_secs = knobs.catch_up.as_secs_f64();
    if catch_up_secs > 0.0 {
        target * knobs.restart.as_secs_f64() / catch_up_secs
    } else {
        0.0
    }
}

/// `a` compared with `b`, in words.
fn compared(a: f64, b: f64) -> &'static str {
    if a < b {
        "below"
    } else if a > b {
        "above"
    } else {
        "at"
    }
}

/// Explains one vertex's change: the rates, the utilization against the bounds, the
/// parallelism the capacity factor gives, and what moved the outcome away from it.
#[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
pub fn explain(
    id: &str,
    from: Option<i64>,
    to: Option<i64>,
    rates: Rates,
    knobs: &Knobs,
    limited: Option<&ScalingLimited>,
) -> VertexDecision {
    let direction = match (from, to) {
        (Some(f), Some(t)) if t > f => Direction::Up,
        (Some(f), Some(t)) if t < f => Direction::Down,
        _ => Direction::Unchanged,
    };
    let upper = knobs.upper();
    let lower = knobs.lower();
    let mut reasons = Vec::new();
    let mut utilization = None;
    let tpr = rates
        .true_processing_rate
        .filter(|v| v.is_finite() && *v > 0.0);
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
        // What the operator compared: the capacity with the threshold for the bound.
        let (bound, threshold, recorded, which) = match direction {
            Direction::Down => (
                &lower,
                rates.scale_down_threshold,
                rates.scale_down_threshold.is_some(),
                "scale-down",
            ),
            _ => (
                &upper,
                rates.scale_up_threshold,
                rates.scale_up_threshold.is_some(),
                "scale-up",
            ),
        };
        if direction != Direction::Unchanged {
            // As the operator computes them: the scale-down threshold also counts the
            // rate to catch up on a restart (`withRestart`), the scale-up one does not.
            let threshold = threshold.unwrap_or_else(|| {
                let restart = if direction == Direction::Down {
                    restart_catch_up(target, knobs)
                } else {
                    0.0
                };
                if bound.value > 0.0 {
                    (catch + restart + target / bound.value).round()
                } else {
                    f64::INFINITY
                }
            });
            reasons.push(format!(
                "The capacity is {} the {which} threshold of {} rec/s{} for the {} bound {} ({}).",
                compared(tpr, threshold),
                rate(threshold),
                if recorded {
                    ""
                } else {
                    " (computed from the bounds)"
                },
                if direction == Direction::Down {
                    "lower"
                } else {
                    "upper"
                },
                pct(bound.value),
                bound.from,
            ));
        }
        utilization = Some(Utilization {
            value,
            with_catch_up,
            target: knobs.target,
            min: lower.value,
            max: upper.value,
            bounds_from: knobs.bounds_from(),
        });
    } else if direction != Direction::Unchanged {
        reasons.push(
            "The operator recorded no processing or target data rate for this change.".into(),
        );
    }

    // The capacity factor and the parallelism it gives.
    let capacity_factor = match (tpr, rates.expected_processing_rate) {
        (Some(tpr), Some(expected)) if expected.is_finite() => Some(expected / tpr),
        _ => None,
    };
    let ideal = match (capacity_factor, from) {
        (Some(f), Some(from)) => {
            let p = (f * from as f64 - 1e-9).ceil();
            (p.is_finite() && p < 1e9).then_some((p as i64).max(1))
        }
        _ => None,
    };
    if let (Some(f), Some(expected), Some(from), Some(ideal)) =
        (capacity_factor, rates.expected_processing_rate, from, ideal)
    {
        reasons.push(format!(
            "At the target utilization {} it needs {} rec/s, {} the capacity: parallelism {from} x {} = {ideal}.",
            pct(knobs.target),
            rate(expected),
            factor(f),
            factor(f).trim_end_matches('x'),
        ));
    }

    let limits = limits(
        from,
        to,
        direction,
        &rates,
        ideal,
        capacity_factor,
        knobs,
        limited,
    );
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
    }
}

/// What moved the outcome away from the ideal parallelism, as the operator's
/// `JobVertexScaler` applies it: the max scale factors, the parallelism bounds (the
/// configured ones, and the vertex's max parallelism: key groups or source
/// partitions), the alignment to key groups or partitions, and the scale-down
/// interval's highest recommendation.
#[allow(clippy::too_many_arguments, clippy::cast_precision_loss)]
fn limits(
    from: Option<i64>,
    to: Option<i64>,
    direction: Direction,
    rates: &Rates,
    ideal: Option<i64>,
    capacity_factor: Option<f64>,
    knobs: &Knobs,
    limited: Option<&ScalingLimited>,
) -> Vec<Limit> {
    let mut out = Vec::new();
    let (Some(from), Some(to)) = (from, to) else {
        return out;
    };
    // The factor the rates call for, before the max factors cap it.
    if let (Some(f), Some(tpr), Some(target)) = (
        capacity_factor,
        rates
            .true_processing_rate
            .filter(|t| t.is_finite() && *t > 0.0),
        rates.target_data_rate,
    ) {
        let needed = (rates.catch_up_data_rate.unwrap_or(0.0)
            + restart_catch_up(target, knobs)
            + target / knobs.target.clamp(f64::MIN_POSITIVE, 1.0))
        .round();
        let uncapped = needed / tpr;
        let down_cap = 1.0 - knobs.down_factor;
        let up_cap = 1.0 + knobs.up_factor;
        if direction == Direction::Down
            && uncapped < down_cap - 0.005
            && (f - down_cap).abs() < 0.01
        {
            out.push(Limit {
                kind: LimitKind::ScaleDownMaxFactor,
                message: format!(
                    "{} {}: the capacity factor {} was raised to {}",
                    knobs::DOWN_FACTOR,
                    text::ratio(knobs.down_factor),
                    factor(uncapped),
                    factor(down_cap)
                ),
            });
        }
        if direction == Direction::Up && uncapped > up_cap + 0.005 && (f - up_cap).abs() < 0.01 {
            out.push(Limit {
                kind: LimitKind::ScaleUpMaxFactor,
                message: format!(
                    "{} {}: the capacity factor {} was capped at {}",
                    knobs::UP_FACTOR,
                    text::ratio(knobs.up_factor),
                    factor(uncapped),
                    factor(up_cap)
                ),
            });
        }
    }

    let upper_limit = from.max(knobs.vertex_max);
    let lower_limit = from.min(knobs.vertex_min);
    let key_groups = rates.max_parallelism.or(knobs.pipeline_max);
    let partitions = rates.source_partitions;
    let upper = key_groups.map_or(upper_limit, |k| k.min(upper_limit));
    let cap_message = |cap: i64| {
        if key_groups.is_some_and(|k| k <= upper_limit && k == cap) {
            if partitions == Some(cap) {
                Limit {
                    kind: LimitKind::SourcePartitions,
                    message: format!("capped at the source's {cap} partitions"),
                }
            } else {
                Limit {
                    kind: LimitKind::KeyGroups,
                    message: format!(
                        "capped at the vertex's max parallelism {cap} (its key groups, {})",
                        knobs::PIPELINE_MAX
                    ),
                }
            }
        } else {
            Limit {
                kind: LimitKind::MaxParallelism,
                message: format!("capped at {} {cap}", knobs::VERTEX_MAX),
            }
        }
    };
    match ideal {
        Some(ideal) => {
            let clamped = if lower_limit <= upper {
                ideal.clamp(lower_limit, upper)
            } else {
                ideal
            };
            if ideal > upper && to == upper {
                out.push(cap_message(upper));
            }
            if ideal < lower_limit && to == lower_limit {
                out.push(Limit {
                    kind: LimitKind::MinParallelism,
                    message: format!(
                        "raised to {} {lower_limit} (computed {ideal})",
                        knobs::VERTEX_MIN
                    ),
                });
            }
            if to != clamped {
                let aligned_to = partitions.or(key_groups).filter(|n| *n > 0 && n % to == 0);
                if let Some(n) = aligned_to {
                    let what = if partitions.is_some() {
                        (LimitKind::SourcePartitions, "source partitions")
                    } else {
                        (LimitKind::KeyGroups, "key groups")
                    };
                    out.push(Limit {
                        kind: what.0,
                        message: format!(
                            "aligned from {clamped} to {to} so that its {n} {} spread evenly",
                            what.1
                        ),
                    });
                } else if direction == Direction::Down
                    && to > clamped
                    && !knobs.scale_down_interval.is_zero()
                {
                    out.push(Limit {
                        kind: LimitKind::ScaleDownInterval,
                        message: format!(
                            "{} ({}): the highest parallelism recommended within the interval was applied (computed {clamped})",
                            knobs::SCALE_DOWN_INTERVAL,
                            flink(knobs.scale_down_interval)
                        ),
                    });
                } else {
                    out.push(Limit {
                        kind: LimitKind::Adjusted,
                        message: format!("adjusted from the computed {clamped} to {to}"),
                    });
                }
            }
        }
        None => {
            if direction == Direction::Up && to == upper {
                out.push(cap_message(upper));
            }
        }
    }
    if let Some(l) = limited {
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
        out.push(Limit {
            kind: LimitKind::ScalingLimited,
            message,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explain::events::{ReportedVertex, ScalingReport};
    use crate::explain::state::Double;
    use crate::explain::state::MetricValue;
    use flink_autoscale_rules::config::FlinkConfig;
    use flink_autoscale_rules::effective::EffectiveConfig;
    use serde_json::json;

    const V1: &str = "bc764cd8ddf7a0cff126f51c16239658";
    const V2: &str = "0a448493b4782967b150582570326227";

    fn knobs(v: serde_json::Value) -> Knobs {
        let config = FlinkConfig::from_json(Some(&v)).unwrap();
        Knobs::new(&EffectiveConfig::resolve(&config), &config)
    }

    fn at(s: &str) -> jiff::Timestamp {
        s.parse().unwrap()
    }

    fn metric(current: f64, average: f64) -> MetricValue {
        MetricValue {
            current: Double(current),
            average: Double(average),
        }
    }

    fn change(
        vertex: &str,
        t: &str,
        from: i64,
        to: i64,
        metrics: &[(&str, f64, f64)],
    ) -> RecordedChange {
        RecordedChange {
            vertex: vertex.into(),
            at: at(t),
            summary: Summary {
                current_parallelism: Some(from),
                new_parallelism: Some(to),
                metrics: metrics
                    .iter()
                    .map(|(n, c, a)| ((*n).to_string(), metric(*c, *a)))
                    .collect(),
            },
        }
    }

    /// A scale-up on lag: capacity 1000 rec/s, input 1000 rec/s and 500 rec/s to catch
    /// up; at 70% it needs 1000/0.7 + 500 = 1929 rec/s (the catch-up rate counts
    /// fully), 1.929x: 2 -> 4 (ceil 3.86).
    fn scale_up_on_lag() -> RecordedChange {
        change(
            V1,
            "2026-07-01T10:00:00Z",
            2,
            4,
            &[
                ("TRUE_PROCESSING_RATE", f64::NAN, 1000.0),
                ("TARGET_DATA_RATE", f64::NAN, 1000.0),
                ("CATCH_UP_DATA_RATE", 500.0, f64::NAN),
                ("LAG", 900_000.0, f64::NAN),
                ("EXPECTED_PROCESSING_RATE", 1929.0, f64::NAN),
                ("SCALE_UP_RATE_THRESHOLD", 1500.0, f64::NAN),
                ("SCALE_DOWN_RATE_THRESHOLD", 3500.0, f64::NAN),
                ("MAX_PARALLELISM", 128.0, f64::NAN),
                ("NUM_SOURCE_PARTITIONS", 0.0, f64::NAN),
            ],
        )
    }

    #[test]
    fn a_scale_up_on_lag_in_words() {
        let k = knobs(json!({"job.autoscaler.enabled": "true"}));
        let (decisions, unclaimed) = decisions(&[scale_up_on_lag()], &[], &[], &k);
        assert!(unclaimed.is_empty());
        assert_eq!(decisions.len(), 1);
        let v = &decisions[0].vertices[0];
        assert_eq!(v.direction, Direction::Up);
        assert_eq!(v.ideal_parallelism, Some(4));
        assert_eq!(
            v.reasons,
            [
                "Processing capacity 1000.00 rec/s against a target data rate of 1000.00 rec/s plus 500.00 rec/s to catch up on a lag of 900000 records within job.autoscaler.catch-up.duration (30min): utilization 100%, 150% with the catch-up.",
                "The capacity is below the scale-up threshold of 1500.00 rec/s for the upper bound 100% (target 0.7 + boundary 0.3).",
                "At the target utilization 70% it needs 1929.00 rec/s, 1.93x the capacity: parallelism 2 x 1.93 = 4.",
            ]
        );
        assert_eq!(v.limits, []);
        let u = v.utilization.as_ref().unwrap();
        assert_eq!((u.value, u.with_catch_up), (1.0, Some(1.5)));
    }

    #[test]
    fn capped_at_max_parallelism_and_by_key_groups() {
        let k = knobs(json!({"job.autoscaler.vertex.max-parallelism": "6"}));
        let mut c = scale_up_on_lag();
        c.summary.new_parallelism = Some(6);
        c.summary
            .metrics
            .insert("EXPECTED_PROCESSING_RATE".into(), metric(4000.0, f64::NAN));
        let v = explain(V1, Some(2), Some(6), rates_of(&c.summary), &k, None);
        assert_eq!(v.ideal_parallelism, Some(8));
        assert_eq!(
            v.limits,
            [Limit {
                kind: LimitKind::MaxParallelism,
                message: "capped at job.autoscaler.vertex.max-parallelism 6".into()
            }]
        );

        let k = knobs(json!({}));
        c.summary
            .metrics
            .insert("MAX_PARALLELISM".into(), metric(6.0, f64::NAN));
        let v = explain(V1, Some(2), Some(6), rates_of(&c.summary), &k, None);
        assert_eq!(v.limits[0].kind, LimitKind::KeyGroups);
        assert_eq!(
            v.limits[0].message,
            "capped at the vertex's max parallelism 6 (its key groups, pipeline.max-parallelism)"
        );
    }

    #[test]
    fn scale_down_capped_by_the_max_factor() {
        // Capacity 1000 rec/s, input 100 rec/s: at 70% plus restart catch-up it needs
        // 100/0.7 + 100*300/1800 = 160 rec/s, 0.16x; the factor 0.6 keeps it at 0.4x:
        // 10 -> 4.
        let k = knobs(json!({}));
        let c = change(
            V2,
            "2026-07-01T11:00:00Z",
            10,
            4,
            &[
                ("TRUE_PROCESSING_RATE", f64::NAN, 1000.0),
                ("TARGET_DATA_RATE", f64::NAN, 100.0),
                ("CATCH_UP_DATA_RATE", 0.0, f64::NAN),
                ("EXPECTED_PROCESSING_RATE", 400.0, f64::NAN),
                ("SCALE_DOWN_RATE_THRESHOLD", 267.0, f64::NAN),
            ],
        );
        let v = explain(V2, Some(10), Some(4), rates_of(&c.summary), &k, None);
        assert_eq!(v.direction, Direction::Down);
        assert_eq!(
            v.reasons[1],
            "The capacity is above the scale-down threshold of 267.00 rec/s for the lower bound 40% (target 0.7 - boundary 0.3)."
        );
        assert_eq!(
            v.limits,
            [Limit {
                kind: LimitKind::ScaleDownMaxFactor,
                message: "job.autoscaler.scale-down.max-factor 0.6: the capacity factor 0.16x was raised to 0.4x".into()
            }]
        );
    }

    #[test]
    fn alignment_to_partitions_and_scaling_limited_events() {
        let k = knobs(json!({}));
        let rates = Rates {
            true_processing_rate: Some(100.0),
            target_data_rate: Some(250.0),
            expected_processing_rate: Some(357.0),
            source_partitions: Some(12),
            max_parallelism: Some(12),
            ..Rates::default()
        };
        let limited = ScalingLimited {
            vertex: V1.into(),
            expected: 8,
            actual: 12,
            key_groups_or_partitions: Some(12),
            upper_bound: Some(12),
            lower_limit: Some(1),
        };
        // 2 x 3.57 = 8 (ceil 7.14), aligned up to 12, a divisor of 12 partitions.
        let v = explain(V1, Some(2), Some(12), rates, &k, Some(&limited));
        assert_eq!(v.ideal_parallelism, Some(8));
        let kinds: Vec<LimitKind> = v.limits.iter().map(|l| l.kind).collect();
        assert_eq!(
            kinds,
            [LimitKind::SourcePartitions, LimitKind::ScalingLimited]
        );
        assert_eq!(
            v.limits[0].message,
            "aligned from 8 to 12 so that its 12 source partitions spread evenly"
        );
        assert_eq!(
            v.limits[1].message,
            "ScalingLimited event: expected parallelism 8, actual 12 (key groups or partitions 12, upper bound 12, lower limit 1)"
        );
    }

    #[test]
    fn reports_and_history_merge_without_duplicates() {
        let k = knobs(json!({}));
        let history = [scale_up_on_lag()];
        let same = TimedReport {
            at: at("2026-07-01T10:00:02Z"),
            report: ScalingReport {
                disabled_by: None,
                vertices: vec![ReportedVertex {
                    id: V1.into(),
                    from: 2,
                    to: 4,
                    processing_rate: 1000.0,
                    expected_rate: 1929.0,
                    target_rate: 1000.0,
                }],
            },
        };
        let advice = TimedReport {
            at: at("2026-07-01T11:00:00Z"),
            report: ScalingReport {
                disabled_by: Some(("job.autoscaler.scaling.enabled".into(), "false".into())),
                vertices: vec![ReportedVertex {
                    id: V2.into(),
                    from: 4,
                    to: 2,
                    processing_rate: 1000.0,
                    expected_rate: 500.0,
                    target_rate: 200.0,
                }],
            },
        };
        let stray = TimedLimited {
            at: at("2026-07-01T09:00:00Z"),
            limited: ScalingLimited {
                vertex: V2.into(),
                expected: 3,
                actual: 2,
                key_groups_or_partitions: None,
                upper_bound: None,
                lower_limit: None,
            },
        };
        let (d, unclaimed) = decisions(&history, &[advice, same], &[stray], &k);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].sources, [Source::ConfigMap, Source::Event]);
        assert_eq!(d[0].outcome, Outcome::Scaled);
        assert_eq!(d[1].outcome, Outcome::Recommended);
        assert_eq!(
            d[1].disabled_by.as_deref(),
            Some("job.autoscaler.scaling.enabled:false")
        );
        assert_eq!(d[1].vertices[0].ideal_parallelism, Some(2));
        // Two hours before the recommendation: too old to belong to it.
        assert_eq!(unclaimed, [0]);
    }

    #[test]
    fn a_report_far_from_the_history_entry_is_its_own_decision() {
        let k = knobs(json!({}));
        let far = TimedReport {
            at: at("2026-07-01T10:30:00Z"),
            report: ScalingReport {
                disabled_by: None,
                vertices: vec![ReportedVertex {
                    id: V1.into(),
                    from: 2,
                    to: 4,
                    processing_rate: 1.0,
                    expected_rate: 2.0,
                    target_rate: 1.0,
                }],
            },
        };
        let (d, _) = decisions(&[scale_up_on_lag()], &[far], &[], &k);
        assert_eq!(d.len(), 2);
        assert_eq!(d[1].outcome, Outcome::Reported);
    }

    #[test]
    fn missing_rates_are_said_plainly() {
        let k = knobs(json!({}));
        let v = explain(V1, Some(2), Some(200), Rates::default(), &k, None);
        assert_eq!(
            v.reasons,
            ["The operator recorded no processing or target data rate for this change."]
        );
        assert_eq!(v.limits[0].kind, LimitKind::MaxParallelism);
        assert!(v.utilization.is_none() && v.ideal_parallelism.is_none());
    }
}

//! `explain --set KEY=VALUE`: what every vertex would get under changed autoscaler
//! settings, recomputed with the operator's algorithm ([`super::scaler`]) from the
//! newest metrics the operator evaluated and stored for the vertex (its latest
//! `scalingHistory` entry: the evaluated rates, key groups and partitions of that
//! evaluation). Side by side: what the current settings give from the same inputs
//! (the operator's own decision then), and what the changed ones would give, with
//! the steps, and the TaskManagers that implies.
//!
//! The settings are checked by the rules crate before anything runs
//! ([`parse_set`]): an unknown option or a value its type refuses is a usage error.

use super::history::{self, inputs_of, keyed_by_vertex, restart_at};
use super::knobs::{self, Knobs};
use super::model::{SetRow, WhatIf, WhatIfVertex};
use super::scaler::{self, Computation, Inputs, Step};
use super::state::AutoscalerState;
use flink_autoscale_rules::config::{Entry, FlinkConfig};
use flink_autoscale_rules::effective::EffectiveConfig;
use flink_autoscale_rules::{options, values};
use std::collections::BTreeMap;

/// One `--set`, checked: the option's current key and the value as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The key as the user wrote it.
    pub key: String,
    /// The option it sets (its current key).
    pub option: String,
    pub value: String,
}

/// Parses and checks `KEY=VALUE` with the rules crate; the error is a field error
/// with the rule id, as `check` reports it.
pub fn parse_set(raw: &str) -> Result<Setting, String> {
    let Some((key, value)) = raw.split_once('=') else {
        return Err(format!(
            "--set: Invalid value: \"{raw}\": must be KEY=VALUE, e.g. job.autoscaler.utilization.target=0.8"
        ));
    };
    let key = key.trim();
    if key == knobs::SLOTS || key == knobs::PIPELINE_MAX {
        values::parse_int(value)
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| {
                format!(
                    "--set {key}: Invalid value: \"{value}\": must be a positive integer [config.parse]"
                )
            })?;
        return Ok(Setting {
            key: key.into(),
            option: key.into(),
            value: value.into(),
        });
    }
    let Some((spec, _)) = options::lookup(key) else {
        return Err(format!(
            "--set {key}: Unsupported value: \"{key}\": not an autoscaler option (job.autoscaler.*), nor {} or {} [config.unknown-key]",
            knobs::SLOTS,
            knobs::PIPELINE_MAX
        ));
    };
    values::parse(spec.kind, value).map_err(|e| {
        format!(
            "--set {key}: Invalid value: \"{value}\": {e}; a value of type {} [config.parse]",
            spec.kind
        )
    })?;
    Ok(Setting {
        key: key.into(),
        option: spec.key.into(),
        value: value.into(),
    })
}

/// The configuration with the settings applied: each replaces every key of its
/// option (current, alias, old prefix), so that it is the one the operator reads.
pub fn apply<'a>(base: &FlinkConfig<'a>, settings: &[Setting]) -> FlinkConfig<'a> {
    let same_option = |key: &str, option: &str| {
        key == option || options::lookup(key).is_some_and(|(spec, _)| spec.key == option)
    };
    let mut entries: Vec<Entry<'a>> = base
        .entries
        .iter()
        .filter(|e| !settings.iter().any(|s| same_option(&e.key, &s.option)))
        .cloned()
        .collect();
    let overlay = serde_json::Value::Object(
        settings
            .iter()
            .map(|s| (s.option.clone(), serde_json::Value::String(s.value.clone())))
            .collect(),
    );
    if let Ok(extra) = FlinkConfig::from_json(Some(&overlay)) {
        entries.extend(extra.into_owned().entries);
    }
    FlinkConfig { entries }
}

/// Recomputes every vertex with the newest stored inputs, under both settings.
pub fn evaluate(
    state: &AutoscalerState,
    current: &BTreeMap<String, i64>,
    base: (&FlinkConfig, &Knobs),
    settings: &[Setting],
    wanted: &dyn Fn(&str) -> bool,
) -> WhatIf {
    let (base_config, base_knobs) = base;
    let changed_config = apply(base_config, settings);
    let changed_effective = EffectiveConfig::resolve(&changed_config);
    let changed = Knobs::new(&changed_effective, &changed_config);
    let base_effective = EffectiveConfig::resolve(base_config);
    let rows = settings
        .iter()
        .map(|s| SetRow {
            key: s.key.clone(),
            option: s.option.clone(),
            value: s.value.clone(),
            was: base_effective
                .get(&s.option)
                .and_then(|e| e.raw.as_deref().map(str::to_string))
                .or_else(|| base_config.get(&s.option).and_then(|e| e.raw_string())),
        })
        .collect();
    let keyed = keyed_by_vertex(&state.history, base_knobs, &state.records);
    let mut newest: BTreeMap<&str, &super::state::RecordedChange> = BTreeMap::new();
    for c in &state.history {
        newest.insert(&c.vertex, c);
    }
    let mut notes = Vec::new();
    let mut vertices = Vec::new();
    for (id, c) in newest.into_iter().filter(|(id, _)| wanted(id)) {
        let rates = history::rates_of(&c.summary);
        let from = c.summary.current_parallelism;
        let compute = |k: &Knobs| -> Option<Computation> {
            let restart = restart_at(&state.records, c.at, k);
            // CATCH_UP_DATA_RATE is the lag over `catch-up.duration` (summed along
            // the edges for other vertices): it scales with the duration's inverse.
            let mut rates = rates.clone();
            let (was, now) = (base_knobs.catch_up.as_secs(), k.catch_up.as_secs());
            if was != now {
                #[allow(clippy::cast_precision_loss)]
                let scale = if now == 0 {
                    0.0
                } else {
                    was as f64 / now as f64
                };
                rates.catch_up_data_rate = rates.catch_up_data_rate.map(|r| r * scale);
            }
            let i: Inputs = inputs_of(&rates, from?, k, restart)?;
            let keyed = keyed.get(id).copied().unwrap_or(i.keyed);
            let scaling_coefficient = history::coefficient_at(&state.history, id, c.at, k);
            scaler::compute(
                &Inputs {
                    keyed,
                    scaling_coefficient,
                    ..i
                },
                &k.scaler(),
            )
        };
        let with_current = compute(base_knobs);
        let would_be = compute(&changed);
        if would_be.is_none() {
            notes.push(format!(
                "{id}: the operator recorded no processing, target or catch-up rate at {}: not recomputed",
                super::text::instant(c.at)
            ));
        }
        vertices.push(WhatIfVertex {
            id: id.to_string(),
            inputs_from: super::text::instant(c.at),
            current: current.get(id).copied(),
            evaluated_parallelism: from,
            with_current_settings: with_current,
            would_be_parallelism: would_be.as_ref().map(|w| w.parallelism),
            steps: would_be
                .as_ref()
                .map(|w| w.steps.clone())
                .unwrap_or_default(),
            would_be,
            limits: Vec::new(),
            rates,
        });
    }
    // `ScalingExecutor#computeScalingSummary`: nothing is applied unless a vertex that
    // changes is outside its utilization bounds.
    let any_outside = vertices.iter().any(|v| {
        matches!((&v.would_be, v.evaluated_parallelism), (Some(w), Some(p)) if w.parallelism != p && w.outside_bounds)
    });
    let would_scale = any_outside && changed.scaling_enabled;
    if !any_outside {
        notes.push("No vertex that would change is outside its utilization bounds: the operator would apply nothing.".into());
    } else if !changed.scaling_enabled {
        notes.push(format!(
            "{} is false: the operator would only report the change.",
            knobs::SCALING_ENABLED
        ));
    }
    for v in &mut vertices {
        if let (Some(w), Some(p)) = (&v.would_be, v.evaluated_parallelism)
            && !any_outside
            && w.parallelism != p
        {
            #[allow(clippy::cast_precision_loss)]
            v.steps.push(Step {
                what: scaler::StepKind::WithinBounds,
                from: w.parallelism as f64,
                to: p as f64,
                option: Some(knobs::UTIL_MAX.into()),
            });
            v.would_be_parallelism = Some(p);
        }
        v.limits = v
            .steps
            .iter()
            .map(|s| history::step_limit(s, &changed, &v.rates))
            .collect();
    }
    for id in current.keys().filter(|id| wanted(id)) {
        if !vertices.iter().any(|v| &v.id == id) {
            notes.push(format!(
                "{id}: no scaling history entry, so no evaluated metrics stored: kept at its current parallelism"
            ));
        }
    }
    notes.push(
        "A scale-down waits for scale-down.interval from its first recommendation (not simulated here); backlog is as the operator found it then.".into(),
    );
    let slots = changed.slots.max(1);
    let tms = |ps: &mut dyn Iterator<Item = i64>| ps.max().map(|p| (p + slots - 1) / slots);
    let task_managers = tms(&mut current.values().copied());
    let task_managers_would_be = tms(&mut current.iter().map(|(id, p)| {
        vertices
            .iter()
            .find(|v| &v.id == id)
            .and_then(|v| v.would_be_parallelism)
            .unwrap_or(*p)
    }));
    WhatIf {
        settings: rows,
        vertices,
        slots_per_task_manager: slots,
        task_managers,
        task_managers_would_be,
        would_scale,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked_by_the_rules() {
        let ok = parse_set("job.autoscaler.utilization.target=0.8").unwrap();
        assert_eq!(ok.option, "job.autoscaler.utilization.target");
        let old = parse_set("kubernetes.operator.job.autoscaler.target.utilization=0.8").unwrap();
        assert_eq!(old.option, "job.autoscaler.utilization.target");
        assert_eq!(
            parse_set("taskmanager.numberOfTaskSlots=2").unwrap().value,
            "2"
        );
        let e = parse_set("job.autoscaler.utilization.target=high").unwrap_err();
        assert!(
            e.starts_with("--set job.autoscaler.utilization.target: Invalid value: \"high\": ")
                && e.ends_with("[config.parse]"),
            "{e}"
        );
        let e = parse_set("job.autoscaler.utilisation.target=0.8").unwrap_err();
        assert!(e.ends_with("[config.unknown-key]"), "{e}");
        assert!(parse_set("job.autoscaler.metrics.window").is_err());
        assert!(parse_set("taskmanager.numberOfTaskSlots=0").is_err());
    }

    #[test]
    fn a_setting_replaces_every_key_of_its_option() {
        let base = FlinkConfig::from_json(Some(&serde_json::json!({
            "kubernetes.operator.job.autoscaler.target.utilization": "0.6",
            "job.autoscaler.enabled": "true",
        })))
        .map(FlinkConfig::into_owned)
        .unwrap();
        let set = [parse_set("job.autoscaler.utilization.target=0.8").unwrap()];
        let changed = apply(&base, &set);
        let effective = EffectiveConfig::resolve(&changed);
        assert_eq!(
            effective.f64("job.autoscaler.utilization.target"),
            Some(0.8)
        );
        assert_eq!(effective.bool("job.autoscaler.enabled"), Some(true));
    }
}

//! Rule `vpa.spec` (deny, some warn): for the VPAs we guard, what the VPA admission
//! controller's own validation refuses (`validateVPASpec` and its helpers in
//! vertical-pod-autoscaler/pkg/admission-controller/resource/vpa/validation.go, and
//! the enums of the VPA CRD), in the VPA's own wording followed by a fix. Fields
//! behind the admission controller's feature gates (`InPlace`, `PerVPAConfig`,
//! `CPUStartupBoost`) are denied as the default VPA denies them: every gate is off
//! by default.
//!
//! Two of VPA's checks live in `vpa_rules` already (`vpa.bounds-order`: maxAllowed
//! below minAllowed, and quantities that do not parse) and are not repeated here.

use crate::catalogue::RuleId;
use crate::finding::{Finding, Severity};
use crate::object::Pointer;
use crate::quantity::Quantity;
use serde_json::Value;

/// `vpa_types.GetUpdateModes()` (Auto is deprecated but accepted, with a warning).
const UPDATE_MODES: &[&str] = &[
    "Off",
    "Initial",
    "Recreate",
    "Auto",
    "InPlaceOrRecreate",
    "InPlace",
];
/// What VPA lists as supported (`GetUpdateModesList`: sorted, without Auto).
const UPDATE_MODES_LIST: &str =
    "\"InPlace\", \"InPlaceOrRecreate\", \"Initial\", \"Off\", \"Recreate\"";
const SCALING_MODES: &[&str] = &["Auto", "Off"];
const CONTROLLED_VALUES: &[&str] = &["RequestsAndLimits", "RequestsOnly"];

/// Whether the VPA admission controller (or the CRD schema) would refuse the VPA:
/// the mutation leaves such objects alone so that it never hides nor adds an error.
pub fn is_invalid(vpa: &Value) -> bool {
    let mut out = Vec::new();
    check(vpa, &mut out);
    out.iter().any(|f| f.severity == Severity::Deny)
}

/// Every problem `validateVPASpec` reports, all at once as VPA does.
pub fn check(vpa: &Value, out: &mut Vec<Finding>) {
    let Some(spec) = vpa.get("spec") else {
        return;
    };
    if let Some(policy) = spec.get("updatePolicy").filter(|p| !p.is_null()) {
        update_policy(policy, out);
    }
    if let Some(policies) = spec
        .at("/resourcePolicy/containerPolicies")
        .and_then(Value::as_array)
    {
        for (i, p) in policies.iter().enumerate() {
            container_policy(i, p, out);
        }
    }
    if spec.get("startupBoost").is_some_and(|b| !b.is_null()) {
        out.push(gated(
            "spec.startupBoost",
            "startupBoost",
            "CPUStartupBoost",
        ));
    }
    if let Some(recommenders) = spec.get("recommenders").and_then(Value::as_array)
        && recommenders.len() > 1
    {
        out.push(deny(
            "spec.recommenders",
            Some(recommenders.len().to_string()),
            "Too many: must have at most 1 item (validateVPASpec)",
            "name one recommender, or remove recommenders to use the default one",
        ));
    }
}

fn update_policy(policy: &Value, out: &mut Vec<Finding>) {
    match policy.get("updateMode").filter(|m| !m.is_null()) {
        None => out.push(deny(
            "spec.updatePolicy.updateMode",
            None,
            "Required value: updateMode is required if UpdatePolicy is used (validateVPASpecUpdatePolicy)",
            "set updateMode: Initial, or remove updatePolicy (VPA then sets Recreate)",
        )),
        Some(mode) => {
            let shown = text(mode);
            if !mode.as_str().is_some_and(|m| UPDATE_MODES.contains(&m)) {
                let fix = case_fix(
                    mode,
                    UPDATE_MODES,
                    "use Initial for Flink TaskManagers (no evictions)",
                );
                out.push(deny(
                    "spec.updatePolicy.updateMode",
                    Some(shown),
                    format!("Unsupported value: supported values: {UPDATE_MODES_LIST}"),
                    fix,
                ));
            } else if shown == "InPlace" {
                out.push(gated(
                    "spec.updatePolicy.updateMode",
                    "UpdateMode InPlace",
                    "InPlace",
                ));
            }
        }
    }
    if let Some(min) = policy.get("minReplicas").filter(|m| !m.is_null())
        && min.as_i64().is_none_or(|m| m <= 0)
    {
        out.push(deny(
            "spec.updatePolicy.minReplicas",
            Some(text(min)),
            "minReplicas has to be positive (validateVPASpecUpdatePolicy)",
            "set minReplicas: 1 or more, or remove it",
        ));
    }
    per_vpa_number(
        policy,
        "evictAfterOOMSeconds",
        "spec.updatePolicy",
        1.0,
        "must be greater than or equal to 1",
        out,
    );
}

fn container_policy(i: usize, p: &Value, out: &mut Vec<Finding>) {
    let base = format!("spec.resourcePolicy.containerPolicies[{i}]");
    if p.get("containerName")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        out.push(deny(
            format!("{base}.containerName"),
            None,
            "Required value (validateVPASpecResourcePolicy)",
            "name the container, e.g. containerName: flink-main-container, or \"*\" for all",
        ));
    }
    let mode = p.get("mode").filter(|m| !m.is_null());
    if let Some(m) = mode
        && !m.as_str().is_some_and(|m| SCALING_MODES.contains(&m))
    {
        out.push(deny(
            format!("{base}.mode"),
            Some(text(m)),
            "Unsupported value: supported values: \"Auto\", \"Off\"",
            case_fix(
                m,
                SCALING_MODES,
                "use Auto, or \"Off\" to leave the container alone",
            ),
        ));
    }
    let values = p.get("controlledValues").filter(|v| !v.is_null());
    if let Some(v) = values
        && !v.as_str().is_some_and(|v| CONTROLLED_VALUES.contains(&v))
    {
        out.push(deny(
            format!("{base}.controlledValues"),
            Some(text(v)),
            "Unsupported value: supported values: \"RequestsAndLimits\", \"RequestsOnly\" (the VPA CRD's enum)",
            case_fix(v, CONTROLLED_VALUES, "use RequestsOnly or RequestsAndLimits"),
        ));
    }
    if mode.and_then(Value::as_str) == Some("Off")
        && values.and_then(Value::as_str) == Some("RequestsAndLimits")
    {
        out.push(deny(
            format!("{base}.controlledValues"),
            Some("RequestsAndLimits".into()),
            "Forbidden: controlledValues shouldn't be specified if container scaling mode is off",
            "remove controlledValues from this policy",
        ));
    }
    if let Some(resources) = p.get("controlledResources").and_then(Value::as_array) {
        for (j, r) in resources.iter().enumerate() {
            if !matches!(r.as_str(), Some("cpu" | "memory")) {
                out.push(deny(
                    format!("{base}.controlledResources[{j}]"),
                    Some(text(r)),
                    "Unsupported value: supported values: \"cpu\", \"memory\" (VPA allows others only on objects that already had them)",
                    "use memory for Flink TaskManagers",
                ));
            }
        }
    }
    for field in ["minAllowed", "maxAllowed"] {
        let Some(bounds) = p.get(field).and_then(Value::as_object) else {
            continue;
        };
        for (resource, v) in bounds {
            // Quantities that do not parse are vpa.bounds-order's finding.
            let Ok(q) = Quantity::parse(&text(v)) else {
                continue;
            };
            let path = format!("{base}.{field}[{resource}]");
            match resource.as_str() {
                "cpu" if !q.is_whole_milli() => out.push(deny(
                    path,
                    Some(text(v)),
                    "must be a whole number of milli CPUs (validateCPUResolution)",
                    "round it to whole millicores, e.g. 250m",
                )),
                "memory" if !q.is_whole_units() => out.push(deny(
                    path,
                    Some(text(v)),
                    "must be a whole number of bytes (validateMemoryResolution; 'm' is milli, not mega)",
                    format!("write it in bytes with a binary suffix, e.g. {}", memory_fix(&text(v))),
                )),
                _ => {}
            }
        }
    }
    per_vpa_number(
        p,
        "oomBumpUpRatio",
        &base,
        1.0,
        "must be greater than or equal to 1.0",
        out,
    );
    per_vpa_number(
        p,
        "oomMinBumpUp",
        &base,
        0.0,
        "must be greater than or equal to 0",
        out,
    );
    for field in [
        "memoryAggregationIntervalSeconds",
        "memoryAggregationIntervalCount",
    ] {
        per_vpa_number(
            p,
            field,
            &base,
            1.0,
            "must be greater than or equal to 1",
            out,
        );
    }
    if p.get("startupBoost").is_some_and(|b| !b.is_null()) {
        out.push(gated(
            &format!("{base}.startupBoost"),
            "startupBoost",
            "CPUStartupBoost",
        ));
    }
}

/// Per-VPA settings behind the `PerVPAConfig` gate: a value below the minimum is
/// refused whatever the gate; a valid one is refused while the gate is off.
fn per_vpa_number(
    obj: &Value,
    field: &str,
    base: &str,
    min: f64,
    wording: &str,
    out: &mut Vec<Finding>,
) {
    let Some(v) = obj.get(field).filter(|v| !v.is_null()) else {
        return;
    };
    let path = format!("{base}.{field}");
    let number = v.as_f64().or_else(|| text(v).parse::<f64>().ok());
    if number.is_some_and(|n| n < min) {
        out.push(deny(
            path,
            Some(text(v)),
            wording,
            format!("set it to {min} or more, or remove it"),
        ));
    } else {
        out.push(gated(&path, field, "PerVPAConfig"));
    }
}

/// Refused by the VPA admission controller unless it runs with the feature gate,
/// and every gate is off by default (versioned_features.go), so this denies as
/// the default VPA does.
fn gated(path: &str, what: &str, gate: &str) -> Finding {
    Finding::new(
        RuleId::VpaSpec,
        Severity::Deny,
        path,
        None,
        format!(
            "Forbidden: in order to use {what}, you must enable feature gate {gate} in the admission-controller args (off by default)"
        ),
        format!(
            "remove it; if your VPA admission controller runs with --feature-gates={gate}=true, check with --enforcement warn"
        ),
    )
}

fn deny(
    path: impl Into<String>,
    value: Option<String>,
    problem: impl Into<String>,
    fix: impl Into<String>,
) -> Finding {
    Finding::new(RuleId::VpaSpec, Severity::Deny, path, value, problem, fix)
}

/// The fix for a value outside an enum: the right spelling when only the case is
/// wrong, and quotes when YAML read an unquoted `Off` as the boolean false.
fn case_fix(v: &Value, allowed: &[&str], otherwise: &str) -> String {
    if v.as_bool() == Some(false) && allowed.contains(&"Off") {
        return "YAML reads an unquoted Off as false: write \"Off\" in quotes".to_string();
    }
    let shown = text(v);
    match allowed.iter().find(|a| a.eq_ignore_ascii_case(&shown)) {
        Some(right) => format!("values are case-sensitive: write {right}"),
        None => otherwise.to_string(),
    }
}

/// `2048m` written for 2 GiB (Flink's spelling) reads as 2.048 bytes here.
fn memory_fix(shown: &str) -> String {
    match shown.strip_suffix('m').and_then(|n| n.parse::<u64>().ok()) {
        Some(n) if n > 0 => format!("{n}Mi (if you meant {n} MiB)"),
        _ => "512Mi or 2Gi".into(),
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests;

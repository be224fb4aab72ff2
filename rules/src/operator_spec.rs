//! Rules `operator.*`: what the Flink Kubernetes Operator's own `DefaultValidator`
//! (flink-kubernetes-operator/.../validation/DefaultValidator.java, tested by
//! `DefaultValidatorTest`) refuses outside the autoscaler, so that `check` catches in
//! CI what the operator would refuse at apply time. Each finding names the Java method
//! whose check it mirrors and quotes the operator's message.
//!
//! The operator validates the object's configuration laid over its own default
//! configuration (`FlinkConfigManager.getDefaultConfig`), which is not visible here;
//! where an operator-wide default could satisfy a check (checkpoint and savepoint
//! directories, HA, memory in the Flink configuration), the message says so. The
//! webhook can switch these rules off (`--operator-rules off`) when the operator's
//! own webhook runs too.

use crate::catalogue::RuleId;
use crate::config::{FlinkConfig, config_path};
use crate::finding::{Finding, Severity};
use crate::input::ReviewInput;
use crate::object::Pointer;
use crate::object::{self, Kind};
use crate::quantity::Quantity;
use crate::values;
use serde_json::Value;
use std::borrow::Cow;

/// `FlinkVersion` constants: refused (no longer supported since operator 1.7) and
/// supported (`FlinkVersion.isSupported`: v1_15 or newer). v1_15 to v1_18 are
/// `@Deprecated` in the enum but accepted without a word, so no finding here either.
const UNSUPPORTED_VERSIONS: &[&str] = &["v1_13", "v1_14"];
const SUPPORTED_VERSIONS: &[&str] = &[
    "v1_15", "v1_16", "v1_17", "v1_18", "v1_19", "v1_20", "v2_0", "v2_1", "v2_2", "v2_3", "v2_4",
];
const UPGRADE_MODES: &[&str] = &["stateless", "savepoint", "last-state"];
/// `FORBIDDEN_CONF_KEYS`: the operator sets these itself.
const FORBIDDEN_KEYS: &[&str] = &[
    "kubernetes.namespace",
    "kubernetes.cluster-id",
    "high-availability.cluster-id",
];
/// `ALLOWED_LOG_CONF_KEYS`.
const LOG_KEYS: &[&str] = &["log4j-console.properties", "logback-console.xml"];
/// `CheckpointingOptions.CHECKPOINTS_DIRECTORY` / `SAVEPOINT_DIRECTORY` (Flink 1.20,
/// the operator's Flink dependency): current key, then the deprecated one.
const CHECKPOINT_DIR: &[&str] = &["execution.checkpointing.dir", "state.checkpoints.dir"];
const SAVEPOINT_DIR: &[&str] = &[
    "execution.checkpointing.savepoint-dir",
    "state.savepoints.dir",
];
/// `HighAvailabilityOptions.HA_MODE`.
const HA_MODE: &[&str] = &["high-availability.type", "high-availability"];
const PERIODIC_SAVEPOINT: &str = "kubernetes.operator.periodic.savepoint.interval";
const CHECKPOINT_MAX_AGE: &str =
    "kubernetes.operator.job.upgrade.last-state.max.allowed.checkpoint.age";
const ROLLBACK: &str = "kubernetes.operator.deployment.rollback.enabled";
const HEALTH_CHECK: &str = "kubernetes.operator.cluster.health-check.enabled";
const JM_RECOVERY: &[&str] = &[
    "kubernetes.operator.jm-deployment-recovery.enabled",
    "kubernetes.operator.reconciler.jm-deployment-recovery.enabled",
];

/// Runs the `operator.*` rules on a FlinkDeployment or FlinkSessionJob. `config` is
/// the configuration the rules see (for a session job: laid over its session
/// cluster's when that is known).
pub(crate) fn check(input: &ReviewInput<'_>, config: &FlinkConfig, out: &mut Vec<Finding>) {
    let object = input.object;
    if is_canary(object) {
        return;
    }
    let spec = object.get("spec").unwrap_or(&Value::Null);
    match Kind::of_object(object) {
        Kind::FlinkDeployment => {
            name_rule("metadata.name", object::name(object), out);
            flink_version(spec, out);
            config_rules(config, out);
            if let Some(logs) = spec.get("logConfiguration").and_then(Value::as_object) {
                for key in logs.keys().filter(|k| !LOG_KEYS.contains(&k.as_str())) {
                    out.push(deny(
                        RuleId::OperatorConfig,
                        format!("spec.logConfiguration[{key}]"),
                        None,
                        format!(
                            "Invalid log config key: {key}. Allowed keys are [log4j-console.properties, logback-console.xml] (DefaultValidator.validateLogConfig)"
                        ),
                        "rename it to log4j-console.properties (or logback-console.xml)",
                    ));
                }
            }
            if let Some(ingress) = spec.get("ingress").filter(|i| !i.is_null()) {
                ingress_rule(ingress, out);
            }
            if let Some(job) = spec.get("job").filter(|j| !j.is_null()) {
                job_rules(job, spec.get("taskManager"), config, out);
            }
            memory_rules("JobManager", "jobManager", spec, config, out);
            memory_rules("TaskManager", "taskManager", spec, config, out);
            replicas_rules(spec, config, out);
            if spec.get("serviceAccount").is_none_or(Value::is_null) {
                out.push(deny(
                    RuleId::OperatorServiceAccount,
                    "spec.serviceAccount",
                    None,
                    "spec.serviceAccount must be defined. If you use helm, its value should be the same with the name of jobServiceAccount (DefaultValidator.validateServiceAccount)",
                    "set serviceAccount: flink (the operator chart's default job service account)",
                ));
            }
        }
        Kind::FlinkSessionJob => {
            let deployment = spec.get("deploymentName").and_then(Value::as_str);
            match deployment {
                Some(d) => name_rule("spec.deploymentName", d, out),
                // validateDeploymentName(null) throws: the operator's webhook fails.
                None => out.push(deny(
                    RuleId::OperatorName,
                    "spec.deploymentName",
                    None,
                    "Required value: the session cluster's name (DefaultValidator.validateDeploymentName fails without it)",
                    "name the FlinkDeployment that runs the session cluster",
                )),
            }
            let Some(job) = spec.get("job").filter(|j| !j.is_null()) else {
                out.push(deny(
                    RuleId::OperatorJob,
                    "spec.job",
                    None,
                    "The job spec should not be empty (DefaultValidator.validateJobNotEmpty)",
                    "give the session job a job: {jarURI: https://..., parallelism: 1}",
                ));
                return;
            };
            jar_uri(job, out);
            // The operator checks the job against the session cluster's configuration
            // only when it finds the cluster; offline, the directories are unknown.
            let session = match (input.cluster, deployment) {
                (Some(c), Some(d)) => c.flink_deployment(input.namespace, d),
                _ => None,
            };
            if let Some(session) = session {
                if session.at("/spec/job").is_some_and(|j| !j.is_null()) {
                    out.push(deny(
                        RuleId::OperatorJob,
                        "spec.deploymentName",
                        deployment.map(str::to_string),
                        "Can not submit session job to application cluster (DefaultValidator.validateNotApplicationCluster)",
                        "name a FlinkDeployment without spec.job (a session cluster)",
                    ));
                }
                job_rules(job, None, config, out);
            }
        }
        _ => {}
    }
}

/// The operator's health-check canaries (label `flink.apache.org/canary: "true"`,
/// any case) are not validated: `FlinkValidator.validate` returns first for
/// `CanaryResourceManager.isCanaryResource`.
fn is_canary(object: &Value) -> bool {
    object
        .at("/metadata/labels/flink.apache.org~1canary")
        .and_then(Value::as_str)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

fn deny(
    rule: RuleId,
    path: impl Into<String>,
    value: Option<String>,
    problem: impl Into<String>,
    fix: impl Into<String>,
) -> Finding {
    Finding::new(rule, Severity::Deny, path, value, problem, fix)
}

fn text(v: &Value) -> String {
    text_ref(v).into_owned()
}

/// [`text`] without a copy for strings, for values only looked at.
fn text_ref(v: &Value) -> Cow<'_, str> {
    match v {
        Value::String(s) => Cow::Borrowed(s),
        other => Cow::Owned(other.to_string()),
    }
}

/// `DEPLOYMENT_NAME_PATTERN`: `[a-z]([-a-z\d]{0,43}[a-z\d])?`.
fn valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    let inner = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-';
    !b.is_empty()
        && b.len() <= 45
        && b[0].is_ascii_lowercase()
        && b.iter().all(inner)
        && b.last()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

/// `DefaultValidator.validateDeploymentName`.
fn name_rule(path: &str, name: &str, out: &mut Vec<Finding>) {
    if !valid_name(name) {
        out.push(deny(
            RuleId::OperatorName,
            path,
            Some(name.to_string()),
            "must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character, and the length must be no more than 45 characters (DefaultValidator.validateDeploymentName)",
            "e.g. my-name or abc-123",
        ));
    }
}

/// `DefaultValidator.validateFlinkVersion` and `FlinkVersion.isSupported`.
fn flink_version(spec: &Value, out: &mut Vec<Finding>) {
    let path = "spec.flinkVersion";
    let fix = "use a supported version such as v1_20 or v2_2 (and the matching image)";
    let Some(v) = spec.get("flinkVersion").filter(|v| !v.is_null()) else {
        out.push(deny(
            RuleId::OperatorFlinkVersion,
            path,
            None,
            "Flink Version must be defined (DefaultValidator.validateFlinkVersion)",
            fix,
        ));
        return;
    };
    let s = v.as_str().unwrap_or("");
    if UNSUPPORTED_VERSIONS.contains(&s) {
        out.push(deny(
            RuleId::OperatorFlinkVersion,
            path,
            Some(text(v)),
            format!(
                "Flink version {s} is not supported by this operator version (FlinkVersion.isSupported: v1_15 or newer; {s} was dropped in operator 1.7)"
            ),
            fix,
        ));
    } else if !SUPPORTED_VERSIONS.contains(&s) {
        out.push(deny(
            RuleId::OperatorFlinkVersion,
            path,
            Some(text(v)),
            format!(
                "not a FlinkVersion the operator knows (it fails to read the object); known: {}",
                SUPPORTED_VERSIONS.join(", ")
            ),
            fix,
        ));
    }
}

/// The first of `keys` present in `config`, with its value.
fn first_set<'a>(
    config: &'a FlinkConfig,
    keys: &[&'static str],
) -> Option<(&'static str, &'a str)> {
    keys.iter().find_map(|k| {
        config
            .get(k)
            .and_then(|e| e.raw.as_deref())
            .map(|raw| (*k, raw))
    })
}

fn bool_set(config: &FlinkConfig, keys: &[&'static str], default: bool) -> bool {
    first_set(config, keys)
        .and_then(|(_, raw)| values::parse_bool(raw).ok())
        .unwrap_or(default)
}

fn blank(raw: Option<(&str, &str)>) -> bool {
    raw.is_none_or(|(_, v)| v.trim().is_empty())
}

/// `HighAvailabilityMode.isHighAvailabilityModeActivated`: anything but unset,
/// `NONE` or `standalone` (any case) activates HA.
fn ha_active(config: &FlinkConfig) -> bool {
    first_set(config, HA_MODE).is_some_and(|(_, v)| {
        !v.eq_ignore_ascii_case("none") && !v.eq_ignore_ascii_case("standalone")
    })
}

/// `DefaultValidator.validateIngress`: a template is required, and
/// `IngressUtils.getIngressUrl` must make a URL of it (`http://` is prepended unless
/// it starts with `http://` or `https://`); a port that is not a number is what
/// `java.net.URL` refuses in practice.
fn ingress_rule(ingress: &Value, out: &mut Vec<Finding>) {
    let Some(template) = ingress.get("template").filter(|t| !t.is_null()).map(text) else {
        out.push(deny(
            RuleId::OperatorConfig,
            "spec.ingress.template",
            None,
            "Ingress template must be defined (DefaultValidator.validateIngress)",
            "e.g. template: \"{{name}}.{{namespace}}.flink.example.com\", or remove ingress",
        ));
        return;
    };
    let lower = template.to_ascii_lowercase();
    let rest = ["http://", "https://"]
        .iter()
        .find_map(|p| lower.starts_with(p).then(|| &template[p.len()..]))
        .unwrap_or(&template);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_end = authority.rfind(']').map_or(0, |i| i + 1);
    if let Some((_, port)) = authority[host_end..].rsplit_once(':')
        && !port.bytes().all(|b| b.is_ascii_digit())
    {
        out.push(deny(
            RuleId::OperatorConfig,
            "spec.ingress.template",
            Some(template.clone()),
            format!(
                "Unable to process the Ingress template({template}): port \"{port}\" is not a number (IngressUtils.getIngressUrl via DefaultValidator.validateIngress)"
            ),
            "drop the port or make it a number, e.g. flink.example.com:8080/{{namespace}}/{{name}}",
        ));
    }
}

/// `DefaultValidator.validateFlinkDeploymentConfig`.
fn config_rules(config: &FlinkConfig, out: &mut Vec<Finding>) {
    for key in FORBIDDEN_KEYS.iter().filter(|k| config.contains(k)) {
        out.push(deny(
            RuleId::OperatorConfig,
            config_path(key),
            first_set(config, &[key]).map(|(_, v)| v.to_string()),
            format!(
                "Forbidden Flink config key: {key} (DefaultValidator.validateFlinkDeploymentConfig; the operator sets it itself)"
            ),
            "remove it",
        ));
    }
    if bool_set(config, &[ROLLBACK], false) && !ha_active(config) {
        out.push(deny(
            RuleId::OperatorHa,
            config_path(ROLLBACK),
            Some("true".into()),
            "HA must be enabled for rollback support (DefaultValidator.validateFlinkDeploymentConfig)",
            "set high-availability.type: kubernetes (and high-availability.storageDir), or turn rollback off",
        ));
    }
    if bool_set(config, &[HEALTH_CHECK], false) && !bool_set(config, JM_RECOVERY, true) {
        out.push(deny(
            RuleId::OperatorConfig,
            config_path(HEALTH_CHECK),
            Some("true".into()),
            format!(
                "Deployment recovery ({}) must be enabled for job health check ({HEALTH_CHECK}) support (DefaultValidator.validateFlinkDeploymentConfig)",
                JM_RECOVERY[0]
            ),
            format!("remove {} or set it to true", JM_RECOVERY[0]),
        ));
    }
}

/// `DefaultValidator.validateJobSpec`: the upgrade mode against the state
/// directories, savepoint triggers, and the parallelism / TaskManager replicas.
fn job_rules(job: &Value, tm: Option<&Value>, config: &FlinkConfig, out: &mut Vec<Finding>) {
    let mode_value = job.get("upgradeMode").filter(|m| !m.is_null());
    let mode = mode_value.and_then(Value::as_str).unwrap_or("stateless");
    if let Some(m) = mode_value
        && !UPGRADE_MODES.contains(&m.as_str().unwrap_or(""))
    {
        out.push(deny(
            RuleId::OperatorUpgradeMode,
            "spec.job.upgradeMode",
            Some(text(m)),
            "not an upgrade mode the operator knows (the CRD's enum: stateless, savepoint, last-state)",
            "use last-state (or savepoint) for stateful jobs, stateless otherwise",
        ));
        return;
    }
    let defaults_note = "unless the operator's default configuration sets it";
    if mode != "stateless" && blank(first_set(config, CHECKPOINT_DIR)) {
        out.push(deny(
            RuleId::OperatorUpgradeMode,
            "spec.job.upgradeMode",
            Some(mode.to_string()),
            format!(
                "Checkpoint directory[{}] must be defined for last-state and savepoint upgrade modes (DefaultValidator.validateJobSpec), {defaults_note}",
                CHECKPOINT_DIR[0]
            ),
            format!(
                "set {} (or state.checkpoints.dir) in flinkConfiguration, e.g. s3://bucket/checkpoints",
                CHECKPOINT_DIR[0]
            ),
        ));
    }
    if blank(first_set(config, SAVEPOINT_DIR)) {
        let why = if mode == "savepoint" {
            Some((
                "spec.job.upgradeMode".to_string(),
                Some(mode.to_string()),
                "Job could not be upgraded with savepoint while config key[{}] is not set",
            ))
        } else if job
            .get("savepointTriggerNonce")
            .is_some_and(|n| !n.is_null())
        {
            Some((
                "spec.job.savepointTriggerNonce".to_string(),
                job.get("savepointTriggerNonce").map(text),
                "Savepoint could not be manually triggered for the running job while config key[{}] is not set",
            ))
        } else if config.contains(PERIODIC_SAVEPOINT) {
            Some((
                config_path(PERIODIC_SAVEPOINT),
                first_set(config, &[PERIODIC_SAVEPOINT]).map(|(_, v)| v.to_string()),
                "Periodic savepoints cannot be enabled when config key[{}] is not set",
            ))
        } else if config.contains(CHECKPOINT_MAX_AGE) {
            Some((
                config_path(CHECKPOINT_MAX_AGE),
                first_set(config, &[CHECKPOINT_MAX_AGE]).map(|(_, v)| v.to_string()),
                "In order to use max-checkpoint age functionality config key[{}] must be set to allow triggering savepoint upgrades",
            ))
        } else {
            None
        };
        if let Some((path, value, template)) = why {
            out.push(deny(
                RuleId::OperatorUpgradeMode,
                path,
                value,
                format!(
                    "{} (DefaultValidator.validateJobSpec), {defaults_note}",
                    template.replace("{}", SAVEPOINT_DIR[0])
                ),
                format!(
                    "set {} (or state.savepoints.dir) in flinkConfiguration, e.g. s3://bucket/savepoints",
                    SAVEPOINT_DIR[0]
                ),
            ));
        }
    }
    let replicas = tm.and_then(|t| t.get("replicas")).filter(|r| !r.is_null());
    match replicas {
        Some(r) if r.as_i64().is_none_or(|r| r < 1) => out.push(deny(
            RuleId::OperatorJob,
            "spec.taskManager.replicas",
            Some(text(r)),
            "TaskManager replicas must be larger than 0 (DefaultValidator.validateJobSpec)",
            "set replicas: 1 or more, or remove it and set spec.job.parallelism",
        )),
        Some(_) => {}
        None => {
            let parallelism = job.get("parallelism").filter(|p| !p.is_null());
            if parallelism.and_then(Value::as_i64).is_none_or(|p| p < 1) {
                out.push(deny(
                    RuleId::OperatorJob,
                    "spec.job.parallelism",
                    Some(parallelism.map_or("0 (unset)".to_string(), text)),
                    "Job parallelism must be larger than 0 (DefaultValidator.validateJobSpec; unset reads as 0)",
                    "set spec.job.parallelism, e.g. 2",
                ));
            }
        }
    }
}

/// `DefaultValidator.validateJarURI` for session jobs, with the operator's default
/// allowlist (`kubernetes.operator.user.artifacts.allowed-schemes`: https).
fn jar_uri(job: &Value, out: &mut Vec<Finding>) {
    let Some(uri) = job.get("jarURI").and_then(Value::as_str) else {
        return;
    };
    let path = "spec.job.jarURI";
    let scheme = uri.split_once(':').map(|(s, _)| s).filter(|s| {
        let mut c = s.chars();
        c.next().is_some_and(|f| f.is_ascii_alphabetic())
            && c.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    match scheme {
        None => out.push(deny(
            RuleId::OperatorJob,
            path,
            Some(uri.to_string()),
            "jarURI must include a scheme (DefaultValidator.validateJarURI)",
            "use an https:// URL to the jar",
        )),
        Some(s) if !s.eq_ignore_ascii_case("https") => out.push(deny(
            RuleId::OperatorJob,
            path,
            Some(uri.to_string()),
            format!(
                "jarURI scheme '{s}' is not in the allowlist [https] (DefaultValidator.validateJarURI, the operator's default allowlist)"
            ),
            "use an https:// URL, or have the operator's kubernetes.operator.user.artifacts.allowed-schemes extended (then run with --operator-rules off)",
        )),
        Some(_) => {}
    }
}

/// `ResourceConfigUtils.parseResourceMemoryString` then `MemorySize.parse`: Flink's
/// memory syntax first; else the value is upper-cased (a trailing `B` dropped, `I`
/// made `i`), read as a fabric8 `Quantity`, and its `getNumericalAmount()` (a
/// `BigDecimal`) printed and parsed again by `MemorySize`, which takes only digits.
/// So a fraction fails even when the bytes are whole: `1.5Gi` prints as
/// `1610612736.0` (checked with Flink 1.20's `MemorySize`).
fn memory_parses(raw: &str) -> bool {
    memory_bytes(raw).is_some()
}

/// The bytes the operator reads from a memory value (see [`memory_parses`]); Flink's
/// units come first, so `2048m` is 2 GiB here, not 2.048 bytes.
fn memory_bytes(raw: &str) -> Option<i128> {
    if let Ok(bytes) = values::parse_memory_size(raw) {
        return Some(i128::from(bytes));
    }
    let mut k8s: String = raw
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    if k8s.ends_with('B') {
        k8s.pop();
    }
    if k8s.ends_with('I') {
        k8s.pop();
        k8s.push('i');
    }
    // fabric8 `Quantity.indexOfUnit`.
    let unit_at = k8s
        .find(|c: char| "eEinumkKMGTP".contains(c))
        .unwrap_or(k8s.len());
    let (amount, format) = k8s.split_at(unit_at);
    let digits = amount.strip_prefix('+').unwrap_or(amount);
    let whole = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    let multiple_is_whole = match format {
        "" | "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "M" | "G" | "T" | "P" => true,
        f => f
            .strip_prefix('E')
            .and_then(|e| values::parse_int(e).ok())
            .is_some_and(|e| (0..=15).contains(&e)),
    };
    if !(whole && multiple_is_whole) {
        return None;
    }
    Quantity::parse(&k8s).ok().map(|q| q.units_ceil())
}

/// The fix for a memory the operator cannot parse: a fraction of a binary unit is
/// the common case, and the same amount in whole MiB (or bytes) passes.
fn memory_fix(raw: &str) -> String {
    if raw.contains('.')
        && let Ok(q) = Quantity::parse(raw)
        && q.is_whole_units()
        && q >= Quantity::from_units(0)
    {
        let bytes = q.units_ceil();
        let same = if bytes % (1 << 20) == 0 {
            format!("{}Mi", bytes >> 20)
        } else {
            bytes.to_string()
        };
        return format!(
            "the operator reads {raw} as a decimal number of bytes and refuses the fraction: write {same}"
        );
    }
    "use a Flink memory size such as 2048m or 2g, or a whole quantity such as 2Gi".to_string()
}

/// `validateJmSpec` / `validateTmSpec`: memory defined (in the spec, or as a process
/// size in the Flink configuration), and `validateResources` /
/// `validateResourceRequirements` on what is written.
fn memory_rules(
    component: &str,
    field: &str,
    spec: &Value,
    config: &FlinkConfig,
    out: &mut Vec<Finding>,
) {
    // Only two callers: no allocation per review for the path's head.
    let base = match field {
        "jobManager" => Cow::Borrowed("spec.jobManager"),
        "taskManager" => Cow::Borrowed("spec.taskManager"),
        other => Cow::Owned(format!("spec.{other}")),
    };
    let part = spec.get(field).filter(|p| !p.is_null());
    let resource = part
        .and_then(|p| p.get("resource"))
        .filter(|r| !r.is_null());
    let resources = part
        .and_then(|p| p.get("resources"))
        .filter(|r| !r.is_null());
    let memory_of = |r: Option<&Value>| {
        r.and_then(|r| r.get("memory"))
            .map(text_ref)
            .is_some_and(|m| !m.trim().is_empty())
    };
    let defined = memory_of(resource)
        || memory_of(resources.and_then(|r| r.get("requests")))
        || memory_of(resources.and_then(|r| r.get("limits")));
    let prefix = if component == "JobManager" {
        "jobmanager"
    } else {
        "taskmanager"
    };
    let in_config = |k: &str| {
        config.entries.iter().any(|e| {
            e.key
                .strip_prefix(prefix)
                .and_then(|rest| rest.strip_prefix(".memory."))
                == Some(k)
        })
    };
    // Looked at only when the spec defines no memory (the configuration is then
    // searched a few times over).
    let from_config = || {
        in_config("process.size")
            || in_config("flink.size")
            || if component == "JobManager" {
                in_config("heap.size")
                    || config.contains("jobmanager.heap.size")
                    || config.contains("jobmanager.heap.mb")
            } else {
                in_config("task.heap.size") && in_config("managed.size")
            }
    };
    if !defined && !from_config() {
        out.push(deny(
            RuleId::OperatorResources,
            format!("{base}.resource.memory"),
            None,
            format!(
                "{component} resource memory must be defined using `{base}.resource.memory` or `{base}.resources.requests.memory` (DefaultValidator.validate{}MemoryConfig), unless the operator's default configuration sets {prefix}.memory.process.size",
                if component == "JobManager" { "Jm" } else { "Tm" }
            ),
            format!("set {base}.resource.memory, e.g. \"2048m\" (check the indentation under {field})"),
        ));
    }
    if let Some(r) = resource {
        if let Some(m) = r.get("memory").filter(|m| !m.is_null())
            && !memory_parses(&text_ref(m))
        {
            out.push(deny(
                RuleId::OperatorResources,
                format!("{base}.resource.memory"),
                Some(text(m)),
                format!(
                    "{component} resource memory parse error (DefaultValidator.validateResources)"
                ),
                memory_fix(&text(m)),
            ));
        }
        if let Some(s) = r.get("ephemeralStorage").filter(|s| !s.is_null())
            && Quantity::parse(&text_ref(s)).is_err()
        {
            out.push(deny(
                RuleId::OperatorResources,
                format!("{base}.resource.ephemeralStorage"),
                Some(text(s)),
                format!("{component} resource ephemeral storage parse error (DefaultValidator.validateResources)"),
                "use a quantity such as 10Gi",
            ));
        }
        if let Some(cpu) = r.get("cpu").filter(|c| !c.is_null())
            && !cpu.is_number()
        {
            out.push(deny(
                RuleId::OperatorResources,
                format!("{base}.resource.cpu"),
                Some(text(cpu)),
                "resource.cpu is a number of cores in the operator's CRD (a double), not a quantity",
                "write it as a number, e.g. 0.5 or 1",
            ));
        }
    }
    if let Some(rr) = resources {
        requirements(component, &base, rr, out);
    }
}

/// `validateResourceRequirements`: `validateQuantities` and
/// `validateRequestNotAboveLimit`.
fn requirements(component: &str, base: &str, rr: &Value, out: &mut Vec<Finding>) {
    let mut parsed: [Vec<(&str, Quantity)>; 2] = [Vec::new(), Vec::new()];
    for (slot, section) in ["requests", "limits"].into_iter().enumerate() {
        let Some(map) = rr.get(section).and_then(Value::as_object) else {
            continue;
        };
        for (key, v) in map.iter().filter(|(_, v)| !v.is_null()) {
            // Named only in a finding: built then.
            let path = || format!("{base}.resources.{section}[{key}]");
            let raw = text_ref(v);
            let q = if key == "memory" {
                if let Some(bytes) = memory_bytes(&raw) {
                    // Compared as the operator compares them (toComparableAmount).
                    Some(Quantity::from_units(
                        i64::try_from(bytes).unwrap_or(i64::MAX),
                    ))
                } else {
                    out.push(deny(
                        RuleId::OperatorResources,
                        path(),
                        Some(raw.to_string()),
                        format!("{component} resource requirements {section} memory parse error (DefaultValidator.validateQuantities)"),
                        memory_fix(&raw),
                    ));
                    continue;
                }
            } else {
                match Quantity::parse(&raw) {
                    Ok(q) => Some(q),
                    Err(e) => {
                        out.push(deny(
                            RuleId::OperatorResources,
                            path(),
                            Some(raw.into_owned()),
                            format!("{component} resource requirements {section} {key} parse error: {e} (DefaultValidator.validateQuantities)"),
                            "use a quantity such as 500m or 2",
                        ));
                        continue;
                    }
                }
            };
            let zero = Quantity::from_units(0);
            if let Some(q) = q {
                let bad = match key.as_str() {
                    "memory" | "cpu" => (q <= zero).then_some("must be positive"),
                    _ => (q < zero).then_some("must not be negative"),
                };
                if let Some(bad) = bad {
                    out.push(deny(
                        RuleId::OperatorResources,
                        path(),
                        Some(raw.into_owned()),
                        format!("{component} resource requirements {section} {key} {bad} (DefaultValidator.validateQuantities)"),
                        "give it a positive quantity",
                    ));
                    continue;
                }
                parsed[slot].push((key.as_str(), q));
            }
        }
    }
    for key in ["cpu", "memory"] {
        let find = |slot: usize| {
            parsed[slot]
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, q)| *q)
        };
        if let (Some(req), Some(lim)) = (find(0), find(1))
            && req > lim
        {
            out.push(deny(
                RuleId::OperatorResources,
                format!("{base}.resources.requests[{key}]"),
                rr.at(&format!("/requests/{key}")).map(text),
                format!(
                    "{component} resource requirements {key} request must not exceed its limit ({}) (DefaultValidator.validateRequestNotAboveLimit)",
                    rr.at(&format!("/limits/{key}")).map(text).unwrap_or_default()
                ),
                "lower the request or raise the limit",
            ));
        }
    }
}

/// `validateJmReplicas` and `validateTmReplicas`.
fn replicas_rules(spec: &Value, config: &FlinkConfig, out: &mut Vec<Finding>) {
    if let Some(r) = spec.at("/jobManager/replicas").filter(|r| !r.is_null()) {
        match r.as_i64() {
            Some(n) if n > 1 && !ha_active(config) => out.push(deny(
                RuleId::OperatorHa,
                "spec.jobManager.replicas",
                Some(n.to_string()),
                "High availability should be enabled when starting standby JobManagers (DefaultValidator.validateJmReplicas)",
                "set high-availability.type: kubernetes and high-availability.storageDir, or use 1 replica",
            )),
            Some(n) if n >= 1 => {}
            _ => out.push(deny(
                RuleId::OperatorResources,
                "spec.jobManager.replicas",
                Some(text(r)),
                "JobManager replicas should not be configured less than one (DefaultValidator.validateJmReplicas)",
                "set replicas: 1",
            )),
        }
    }
    // With a job, validateJobSpec reports the TaskManager replicas first.
    if spec.get("job").is_none_or(Value::is_null)
        && let Some(r) = spec.at("/taskManager/replicas").filter(|r| !r.is_null())
        && r.as_i64().is_none_or(|n| n < 1)
    {
        out.push(deny(
            RuleId::OperatorResources,
            "spec.taskManager.replicas",
            Some(text(r)),
            "TaskManager replicas should not be configured less than one (DefaultValidator.validateTmReplicas)",
            "set replicas: 1 or more",
        ));
    }
}

#[cfg(test)]
mod tests;

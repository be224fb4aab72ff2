//! The flink-autoscale chart, driven as a user drives it: the real `helm` renders it,
//! the FlinkDeployments, VPAs and RBAC it renders are checked field by field, fit
//! their CRDs and Kubernetes types, carry only current autoscaler keys (as the rules
//! crate's options table knows them), and are admitted by the real
//! `kubectl-flink check`; values without an effect stop the render with a reason.
//!
//! helm is found at `$HELM`, on PATH or in `$HOME/.local/bin`, else installed into
//! `target/tools` on first use (`flink_autoscale_e2e::helm`).

use flink_autoscale_e2e::charts::{
    FLINK_CHART, FLINK_NAMESPACE, flink_configuration, named, names, of_kind, render, render_error,
    render_text, run_helm, strings, values_file,
};
use flink_autoscale_e2e::schema::{assert_fit_built_in_types, assert_fit_crds};
use flink_autoscale_e2e::{binary, fixture};
use flink_autoscale_rules::options::{self, KeyRole, OLD_PREFIX, PREFIX};
use flink_autoscale_rules::values;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::process::{Command, Stdio};

/// Where tests write their values files and certificates.
const TMP: &str = env!("CARGO_TARGET_TMPDIR");

/// What is wrong with the keys of a FlinkDeployment's configuration: each must be an
/// option's current key (not an old-prefix fallback, not a deprecated alias), of an
/// option that is not itself deprecated, with a value of the option's type; an
/// autoscaler-prefixed key must be an option at all. The options table and the value
/// parsers are the rules crate's (the webhook's own view).
fn key_problems(deployment: &Value) -> Vec<String> {
    let name = &deployment["metadata"]["name"];
    let mut problems = Vec::new();
    for (key, value) in flink_configuration(deployment) {
        match options::lookup(&key) {
            Some((option, KeyRole::Current)) if option.deprecated => {
                problems.push(format!("{name}: {key} is a deprecated option"));
            }
            Some((option, KeyRole::Current)) => {
                if let Err(e) = values::parse(option.kind, &value) {
                    problems.push(format!("{name}: {key}: {value:?} is {e}"));
                }
            }
            Some((option, role)) => problems.push(format!(
                "{name}: {key} is a deprecated alias or an old-prefix key ({role:?} of {})",
                option.key
            )),
            None if key.starts_with(PREFIX) || key.starts_with(OLD_PREFIX) => {
                problems.push(format!("{name}: {key} is no current autoscaler option"));
            }
            None => {}
        }
    }
    problems
}

/// Every autoscaler key is a current option's key: no old prefix, no deprecated alias,
/// no deprecated option, nothing unknown, and its value reads as the option's type.
fn assert_current_keys(deployment: &Value) {
    let problems = key_problems(deployment);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Several jobs: an override of some defaults, a standalone application, a session
/// cluster, and a disabled entry that would not even render.
const MANY_JOBS: &str = r#"
jobs:
  - name: orders
    job:
      jarURI: local:///opt/flink/usrlib/orders.jar
      parallelism: 4
      upgradeMode: savepoint
    autoscaler:
      targetUtilization: 0.8
      maxParallelism: 20
    taskManager:
      memory: 2Gi
      slots: 4
      resources:
        limits:
          cpu: "4"
          memory: 4Gi
    vpa:
      maxAllowed:
        memory: 4Gi
    flinkConfiguration:
      state.checkpoints.dir: file:///flink-data/checkpoints
      state.savepoints.dir: file:///flink-data/savepoints
      jobmanager.scheduler: null
  - name: payments
    mode: standalone
    job:
      jarURI: local:///opt/flink/usrlib/payments.jar
      parallelism: 2
      upgradeMode: savepoint
    # The operator refuses savepoint upgrades without both directories
    # (DefaultValidator.validateJobSpec).
    flinkConfiguration:
      state.checkpoints.dir: file:///flink-data/checkpoints
      state.savepoints.dir: file:///flink-data/savepoints
  - name: sandbox
    taskManager:
      replicas: 2
      slots: 4
  - name: retired
    enabled: false
    autoscaler:
      scaleUpGracePeriod: 1m
"#;

#[test]
fn the_key_check_catches_old_deprecated_unknown_and_mistyped_keys() {
    let fd = render(FLINK_CHART, &[])
        .into_iter()
        .find(|d| d["kind"] == "FlinkDeployment")
        .expect("a FlinkDeployment");
    assert_eq!(key_problems(&fd), Vec::<String>::new());
    let with = |key: &str, value: &str| {
        let mut changed = fd.clone();
        changed["spec"]["flinkConfiguration"][key] = json!(value);
        key_problems(&changed)
    };
    for (key, value, problem) in [
        (
            "kubernetes.operator.job.autoscaler.metrics.window",
            "5m",
            "old-prefix",
        ),
        (
            "job.autoscaler.target.utilization",
            "0.7",
            "deprecated alias",
        ),
        (
            "job.autoscaler.scaling.key-group.partitions.adjust.mode",
            "EVENLY_SPREAD",
            "deprecated option",
        ),
        (
            "job.autoscaler.metrics.windw",
            "5m",
            "no current autoscaler option",
        ),
        (
            "job.autoscaler.metrics.window",
            "5 fortnights",
            "not a duration",
        ),
        ("job.autoscaler.vertex.max-parallelism", "ten", "not an int"),
    ] {
        let problems = with(key, value);
        assert!(
            problems
                .iter()
                .any(|p| p.contains(key) && p.contains(problem)),
            "{key}: {value}: {problems:?}"
        );
    }
    // Templated options match any name, as the operator reads them.
    assert_eq!(
        with(
            "job.autoscaler.scaling.custom-executor.mine.class",
            "com.example.Mine"
        ),
        Vec::<String>::new()
    );
}

#[test]
fn the_flink_chart_renders_valid_built_in_objects() {
    assert_fit_built_in_types(&render(FLINK_CHART, &[]));
}

#[test]
fn default_render_has_exactly_the_current_autoscaler_keys() {
    let docs = render(FLINK_CHART, &[]);
    let deployments = of_kind(&docs, "FlinkDeployment");
    assert_eq!(deployments.len(), 1, "{:?}", names(&docs));
    let fd = deployments[0];
    assert_eq!(fd["apiVersion"], "flink.apache.org/v1beta1");
    assert_eq!(fd["metadata"]["name"], "state-machine");
    assert_eq!(fd["metadata"]["namespace"], FLINK_NAMESPACE);

    let expected: BTreeMap<String, String> = [
        ("job.autoscaler.enabled", "true"),
        ("job.autoscaler.metrics.window", "5m"),
        ("job.autoscaler.stabilization.interval", "1m"),
        ("job.autoscaler.utilization.target", "0.7"),
        // targetUtilizationBoundary 0.1 as the bounds it stands for: the boundary option
        // is @Deprecated in AutoScalerOptions.
        ("job.autoscaler.utilization.min", "0.6"),
        ("job.autoscaler.utilization.max", "0.8"),
        ("job.autoscaler.scale-down.interval", "3m"),
        ("job.autoscaler.vertex.min-parallelism", "1"),
        ("job.autoscaler.vertex.max-parallelism", "10"),
        ("taskmanager.numberOfTaskSlots", "2"),
        // resources.limits over cpu/memory: 1 / 0.5, 2Gi / 1024Mi, 2 / 0.5, 2Gi / 1024Mi
        ("kubernetes.jobmanager.cpu.limit-factor", "2"),
        ("kubernetes.jobmanager.memory.limit-factor", "2"),
        ("kubernetes.taskmanager.cpu.limit-factor", "4"),
        ("kubernetes.taskmanager.memory.limit-factor", "2"),
        ("execution.checkpointing.interval", "30s"),
        ("jobmanager.scheduler", "adaptive"),
        ("state.backend.type", "hashmap"),
        ("state.checkpoints.dir", "file:///tmp/flink-checkpoints"),
        ("state.savepoints.dir", "file:///tmp/flink-savepoints"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(flink_configuration(fd), expected);
    assert_current_keys(fd);

    let spec = &fd["spec"];
    // A public image: the official one, whose bundled example is the job.
    assert_eq!(spec["image"], "flink:1.18-scala_2.12");
    assert_eq!(spec["imagePullPolicy"], "IfNotPresent");
    assert_eq!(spec["flinkVersion"], "v1_18");
    assert_eq!(spec["mode"], "native");
    assert_eq!(spec["serviceAccount"], "flink");
    assert_eq!(
        spec["jobManager"],
        json!({"replicas": 1, "resource": {"cpu": 0.5, "memory": "1024Mi"}})
    );
    // No replicas: the autoscaler decides how many TaskManagers run.
    assert_eq!(
        spec["taskManager"],
        json!({"resource": {"cpu": 0.5, "memory": "1024Mi"}})
    );
    assert_eq!(
        spec["job"],
        json!({
            "jarURI": "local:///opt/flink/examples/streaming/StateMachineExample.jar",
            "parallelism": 2,
            "upgradeMode": "stateless",
            "state": "running",
            "args": [],
        })
    );
}

#[test]
fn no_render_carries_a_deprecated_or_old_prefix_key() {
    let many = values_file(TMP, "no_deprecated_keys", MANY_JOBS);
    for args in [vec![], vec!["-f", many.as_str()]] {
        for fd in of_kind(&render(FLINK_CHART, &args), "FlinkDeployment") {
            assert_current_keys(fd);
        }
    }
}

#[test]
fn the_default_vpa_targets_the_flink_deployment_memory_only() {
    let docs = render(FLINK_CHART, &[]);
    let vpas = of_kind(&docs, "VerticalPodAutoscaler");
    assert_eq!(vpas.len(), 1, "{:?}", names(&docs));
    let vpa = vpas[0];
    assert_eq!(vpa["apiVersion"], "autoscaling.k8s.io/v1");
    assert_eq!(vpa["metadata"]["namespace"], FLINK_NAMESPACE);
    assert_eq!(
        vpa["spec"]["targetRef"],
        json!({"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment", "name": "state-machine"})
    );
    assert_eq!(vpa["spec"]["updatePolicy"]["updateMode"], "Initial");
    let policies = vpa["spec"]["resourcePolicy"]["containerPolicies"]
        .as_array()
        .expect("policies");
    let main = policies
        .iter()
        .find(|p| p["containerName"] == "flink-main-container")
        .expect("a policy for flink-main-container");
    assert_eq!(main["controlledResources"], json!(["memory"]));
    // minAllowed defaults to the TaskManager's process memory (1024Mi).
    assert_eq!(main["minAllowed"], json!({"memory": "1Gi"}));
    assert_eq!(main["maxAllowed"], json!({"memory": "2Gi"}));
    assert!(
        policies
            .iter()
            .any(|p| p["containerName"] == "*" && p["mode"] == "Off"),
        "other containers are left alone: {policies:#?}"
    );
    assert_fit_crds(&docs);
}

#[test]
fn standalone_mode_aims_the_vpa_at_the_taskmanager_deployment() {
    let docs = render(FLINK_CHART, &["--set", "defaults.mode=standalone"]);
    let fd = named(&docs, "FlinkDeployment", "state-machine");
    assert_eq!(fd["spec"]["mode"], "standalone");
    let vpa = named(&docs, "VerticalPodAutoscaler", "state-machine-taskmanager");
    assert_eq!(
        vpa["spec"]["targetRef"],
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "state-machine-taskmanager"})
    );
    assert_fit_crds(&docs);
}

#[test]
fn several_jobs_merge_their_overrides_over_the_defaults() {
    let docs = render(
        FLINK_CHART,
        &["-f", &values_file(TMP, "several_jobs", MANY_JOBS)],
    );
    let deployments: BTreeSet<String> = of_kind(&docs, "FlinkDeployment")
        .iter()
        .map(|d| {
            d["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(
        deployments,
        BTreeSet::from(["orders".into(), "payments".into(), "sandbox".into()])
    );
    assert!(!docs.iter().any(|d| {
        d["metadata"]["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("retired"))
    }));

    // orders: its overrides, the defaults for the rest.
    let orders = named(&docs, "FlinkDeployment", "orders");
    let conf = flink_configuration(orders);
    assert_eq!(conf["job.autoscaler.utilization.target"], "0.8");
    assert_eq!(conf["job.autoscaler.vertex.max-parallelism"], "20");
    assert_eq!(conf["job.autoscaler.vertex.min-parallelism"], "1");
    assert_eq!(conf["job.autoscaler.metrics.window"], "5m");
    assert_eq!(conf["taskmanager.numberOfTaskSlots"], "4");
    assert_eq!(conf["kubernetes.taskmanager.memory.limit-factor"], "2");
    assert_eq!(conf["kubernetes.taskmanager.cpu.limit-factor"], "8");
    assert_eq!(
        conf["state.checkpoints.dir"],
        "file:///flink-data/checkpoints"
    );
    assert_eq!(conf["execution.checkpointing.interval"], "30s");
    assert!(
        !conf.contains_key("jobmanager.scheduler"),
        "null removes a default key: {conf:?}"
    );
    assert_eq!(orders["spec"]["image"], "flink:1.18-scala_2.12");
    assert_eq!(
        orders["spec"]["taskManager"]["resource"],
        json!({"cpu": 0.5, "memory": "2Gi"})
    );
    let vpa = named(&docs, "VerticalPodAutoscaler", "orders-taskmanager");
    let main = &vpa["spec"]["resourcePolicy"]["containerPolicies"][0];
    assert_eq!(main["minAllowed"], json!({"memory": "2Gi"}));
    assert_eq!(main["maxAllowed"], json!({"memory": "4Gi"}));
    assert_eq!(vpa["spec"]["updatePolicy"]["updateMode"], "Initial");

    // payments: standalone, so its VPA aims at the TaskManager Deployment.
    let vpa = named(&docs, "VerticalPodAutoscaler", "payments-taskmanager");
    assert_eq!(vpa["spec"]["targetRef"]["kind"], "Deployment");
    assert_eq!(vpa["spec"]["targetRef"]["name"], "payments-taskmanager");

    assert_fit_crds(&docs);
}

#[test]
fn a_session_cluster_renders_without_autoscaler_keys() {
    let docs = render(
        FLINK_CHART,
        &["-f", &values_file(TMP, "session_cluster", MANY_JOBS)],
    );
    let sandbox = named(&docs, "FlinkDeployment", "sandbox");
    assert!(
        sandbox["spec"].get("job").is_none(),
        "a session cluster has no job"
    );
    let conf = flink_configuration(sandbox);
    let autoscaler: Vec<&String> = conf.keys().filter(|k| k.contains("autoscaler")).collect();
    assert!(
        autoscaler.is_empty(),
        "session cluster with autoscaler keys: {autoscaler:?}"
    );
    assert_eq!(conf["taskmanager.numberOfTaskSlots"], "4");
    // Without the autoscaler a fixed TaskManager count is what sizes the cluster.
    assert_eq!(sandbox["spec"]["taskManager"]["replicas"], 2);
    // The memory-only VPA applies to session TaskManagers as well.
    let vpa = named(&docs, "VerticalPodAutoscaler", "sandbox-taskmanager");
    assert_eq!(vpa["spec"]["targetRef"]["kind"], "FlinkDeployment");
}

#[test]
fn disabled_jobs_and_vpas_are_skipped() {
    let docs = render(
        FLINK_CHART,
        &["--set", "jobs[0].name=only,jobs[0].enabled=false"],
    );
    assert!(
        of_kind(&docs, "FlinkDeployment").is_empty(),
        "{:?}",
        names(&docs)
    );
    assert!(
        of_kind(&docs, "VerticalPodAutoscaler").is_empty(),
        "{:?}",
        names(&docs)
    );
    // The service account and its role are still there for jobs added later.
    assert_eq!(of_kind(&docs, "ServiceAccount").len(), 1);

    let docs = render(FLINK_CHART, &["--set", "defaults.vpa.enabled=false"]);
    assert_eq!(of_kind(&docs, "FlinkDeployment").len(), 1);
    assert!(
        of_kind(&docs, "VerticalPodAutoscaler").is_empty(),
        "{:?}",
        names(&docs)
    );

    let docs = render(FLINK_CHART, &["--set", "defaults.autoscaler.enabled=false"]);
    let conf = flink_configuration(named(&docs, "FlinkDeployment", "state-machine"));
    assert!(
        !conf.keys().any(|k| k.starts_with("job.autoscaler.")),
        "{conf:?}"
    );
}

#[test]
fn a_null_autoscaler_value_leaves_the_operator_default() {
    let docs = render(
        FLINK_CHART,
        &["--set", "defaults.autoscaler.metricsWindow=null"],
    );
    let conf = flink_configuration(named(&docs, "FlinkDeployment", "state-machine"));
    assert!(
        !conf.contains_key("job.autoscaler.metrics.window"),
        "{conf:?}"
    );
    assert_eq!(conf["job.autoscaler.stabilization.interval"], "1m");
}

#[test]
fn the_service_account_and_role_are_what_the_jobmanager_needs() {
    let docs = render(FLINK_CHART, &[]);
    let sa = named(&docs, "ServiceAccount", "flink");
    assert_eq!(sa["metadata"]["namespace"], FLINK_NAMESPACE);
    let roles = of_kind(&docs, "Role");
    assert_eq!(roles.len(), 1);
    let rules = roles[0]["rules"].as_array().expect("rules");
    let grants = |group: &str, resource: &str| {
        rules.iter().any(|r| {
            strings(&r["apiGroups"]).iter().any(|g| g == group)
                && strings(&r["resources"]).iter().any(|x| x == resource)
                && strings(&r["verbs"])
                    .iter()
                    .any(|v| v == "*" || v == "create")
        })
    };
    for (group, resource) in [
        ("", "pods"),
        ("", "configmaps"),
        ("apps", "deployments"),
        ("apps", "deployments/finalizers"),
    ] {
        assert!(
            grants(group, resource),
            "{group}/{resource} not granted: {rules:#?}"
        );
    }
    let binding = &of_kind(&docs, "RoleBinding")[0];
    assert_eq!(binding["roleRef"]["name"], roles[0]["metadata"]["name"]);
    assert_eq!(
        binding["subjects"][0],
        json!({"kind": "ServiceAccount", "name": "flink", "namespace": FLINK_NAMESPACE})
    );

    let docs = render(
        FLINK_CHART,
        &["--set", "serviceAccount.create=false,rbac.create=false"],
    );
    assert!(of_kind(&docs, "ServiceAccount").is_empty() && of_kind(&docs, "Role").is_empty());
}

#[test]
fn values_without_an_effect_stop_the_render_with_a_reason() {
    let cases: [(&[&str], &[&str]); 6] = [
        (
            &["--set", "defaults.autoscaler.scaleUpGracePeriod=1m"],
            &[
                "scaleUpGracePeriod",
                "no scale-up delay",
                "scale-down.interval",
                "stabilizationInterval",
            ],
        ),
        (
            &["--set", "defaults.taskManager.replicas=3"],
            &["taskManager.replicas", "fights the autoscaler"],
        ),
        (
            &["--set", "defaults.taskManager.resources.requests.cpu=250m"],
            &[
                "taskManager.resources.requests.cpu is 250m",
                "taskManager.cpu is 0.5",
            ],
        ),
        (
            &[
                "--set",
                "jobs[0].name=a,jobs[0].job.jarURI=local:///a.jar,jobs[0].flinkConfiguration.job\\.autoscaler\\.metrics\\.window=10m",
            ],
            &["job.autoscaler.metrics.window", "autoscaler.metricsWindow"],
        ),
        (
            &[
                "--set",
                "jobs[0].name=a,jobs[0].job.jarURI=local:///a.jar,jobs[0].flinkConfiguration.job\\.autoscaler\\.scale-up\\.grace-period=10m",
            ],
            &["scale-up.grace-period", "autoscaler.scaleDownGracePeriod"],
        ),
        (
            &["--set", "defaults.vpa.maxAllowed.memory=512Mi"],
            &[
                "vpa.maxAllowed.memory (512Mi) is below vpa.minAllowed.memory",
                "taskManager.memory",
            ],
        ),
    ];
    for (args, expected) in cases {
        let error = render_error(FLINK_CHART, args);
        for part in expected {
            assert!(
                error.contains(part),
                "{args:?}: {part:?} missing from:\n{error}"
            );
        }
    }
    // The same rules whether a value comes from defaults or from the entry, and
    // session clusters may keep a replica count.
    let error = render_error(
        FLINK_CHART,
        &[
            "--set",
            "jobs[0].name=x,jobs[0].job.jarURI=local:///x.jar,jobs[0].autoscaler.scaleUpGracePeriod=30s",
        ],
    );
    assert!(
        error.contains("jobs[0].autoscaler.scaleUpGracePeriod: Invalid value: \"30s\""),
        "{error}"
    );
    render(
        FLINK_CHART,
        &["--set", "jobs[0].name=x,jobs[0].taskManager.replicas=2"],
    );
}

#[test]
fn every_problem_of_every_job_is_listed_at_once_a_default_once() {
    let error = render_error(
        FLINK_CHART,
        &[
            "--set",
            "defaults.autoscaler.scaleUpGracePeriod=2m",
            "--set",
            "jobs[0].name=a,jobs[0].job.jarURI=local:///a.jar,jobs[1].name=b,jobs[1].job.jarURI=local:///b.jar",
            "--set",
            "jobs[1].taskManager.replicas=2,jobs[1].vpa.maxAllowed.memory=512Mi",
        ],
    );
    assert!(
        error.contains("the values have 3 problems to fix"),
        "{error}"
    );
    // A default that is wrong for both jobs is one problem, at its defaults path.
    assert_eq!(
        error
            .matches("* defaults.autoscaler.scaleUpGracePeriod: Invalid value: \"2m\"")
            .count(),
        1,
        "{error}"
    );
    assert!(
        error.contains("* jobs[1].taskManager.replicas: Invalid value: \"2\""),
        "{error}"
    );
    assert!(
        error.contains("* jobs[1].vpa.maxAllowed.memory: Invalid value: \"512Mi\""),
        "{error}"
    );
    // Each message names its values path, not the job's index alone.
    assert!(!error.contains("jobs[1] (b): "), "{error}");
}

#[test]
fn duplicate_job_names_are_refused() {
    let error = render_error(FLINK_CHART, &["--set", "jobs[0].name=a,jobs[1].name=a"]);
    assert!(
        error.contains("jobs[1]") && error.contains("already used by jobs[0]"),
        "{error}"
    );
}

#[test]
fn the_seed_values_file_is_read_and_its_ineffective_values_named() {
    let seed = fixture("seed/flink-autoscale-values.yaml")
        .display()
        .to_string();
    let error = render_error(FLINK_CHART, &["-f", &seed]);
    // All four at once, each at the exact values path it was set at (defaults or the
    // entry), in one render rather than four.
    let expected = [
        "defaults.autoscaler.scaleUpGracePeriod: Invalid value: \"1m\": the Flink autoscaler has no scale-up delay option",
        "defaults.taskManager.replicas: Invalid value: \"1\": a fixed TaskManager count",
        "jobs[0].jobManager.resources.requests.cpu: Invalid value: \"250m\"",
        "jobs[0].taskManager.resources.requests.cpu: Invalid value: \"250m\"",
    ];
    assert!(
        error.contains("the values have 4 problems to fix"),
        "{error}"
    );
    for part in expected {
        assert!(error.contains(part), "{part:?} missing from:\n{error}");
    }
    assert!(!error.contains("jobs[0] (autoscaling-load): "), "{error}");
    // `helm lint -f` fails on the same file, listing the same problems.
    let lint = run_helm(&["lint", FLINK_CHART, "-f", &seed]);
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );
    assert!(!lint.status.success(), "helm lint passed:\n{printed}");
    for part in expected {
        let escaped = part.replace('"', "\\\"");
        assert!(
            printed.contains(part) || printed.contains(&escaped),
            "{part:?} missing from helm lint:\n{printed}"
        );
    }
    // With the three ineffective values removed, the seed's file renders as it stands.
    let docs = render(
        FLINK_CHART,
        &[
            "-f",
            &seed,
            "--set",
            "defaults.autoscaler.scaleUpGracePeriod=null,defaults.taskManager.replicas=null",
            "--set",
            "defaults.jobManager.resources.requests=null,defaults.taskManager.resources.requests=null",
            "--set",
            "jobs[0].jobManager.resources.requests=null,jobs[0].taskManager.resources.requests=null",
        ],
    );
    let fd = named(&docs, "FlinkDeployment", "autoscaling-load");
    assert_eq!(
        flink_configuration(fd)["job.autoscaler.scale-down.interval"],
        "3m"
    );
    assert_fit_crds(&docs);
}

#[test]
fn memory_sizes_are_read_as_the_operator_reads_them() {
    // 2048m is Flink's 2048 MiB (not a Kubernetes milli-byte), so the VPA minimum is
    // 2Gi and a 4Gi limit is twice the request.
    let docs = render(
        FLINK_CHART,
        &[
            "--set",
            "defaults.taskManager.memory=2048m,defaults.taskManager.resources.limits.memory=4Gi,defaults.vpa.maxAllowed.memory=4Gi",
        ],
    );
    let conf = flink_configuration(named(&docs, "FlinkDeployment", "state-machine"));
    assert_eq!(conf["kubernetes.taskmanager.memory.limit-factor"], "2");
    let vpa = named(&docs, "VerticalPodAutoscaler", "state-machine-taskmanager");
    assert_eq!(
        vpa["spec"]["resourcePolicy"]["containerPolicies"][0]["minAllowed"]["memory"],
        "2Gi"
    );
}

/// The chart eats its own cooking: what it renders passes the webhook's rules, as
/// `kubectl flink check` applies them, with no finding and no patch.
#[test]
fn rendered_jobs_are_admitted_by_kubectl_flink_check() {
    let many = values_file(TMP, "kubectl_flink_check", MANY_JOBS);
    for args in [
        vec![],
        vec!["-f", many.as_str()],
        vec!["--set", "defaults.mode=standalone"],
    ] {
        let manifests = render_text(FLINK_CHART, &args);
        let mut child = Command::new(binary("kubectl-flink", "kubectl-flink"))
            .args(["check", "-f", "-", "-o", "json"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kubectl-flink starts");
        child
            .stdin
            .take()
            .expect("stdin is piped")
            .write_all(manifests.as_bytes())
            .expect("kubectl-flink reads the manifests");
        let out = child.wait_with_output().expect("kubectl-flink finishes");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: not admitted:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: Vec<Value> = serde_json::from_str(&stdout).expect("a JSON report");
        let judged: Vec<&Value> = report.iter().filter(|e| e["checked"] == true).collect();
        assert!(
            judged.len() >= 2,
            "{args:?}: FlinkDeployments and VPAs are judged: {report:#?}"
        );
        for entry in judged {
            assert_eq!(entry["allowed"], true, "{args:?}: {entry:#}");
            assert_eq!(entry["findings"], json!([]), "{args:?}: {entry:#}");
            assert_eq!(
                entry["patch"],
                json!([]),
                "{args:?}: the webhook would change {entry:#}"
            );
        }
    }
}

//! The webhook chart, rendered as `make webhook/install` installs it: cert-manager
//! or supplied certificates, the webhook configurations (aimed at the Service, the
//! handled kinds only), a hardened and probed Deployment, read-only RBAC, and every
//! value reaching its flag, including the flags for running at scale and under
//! faults (connection limits and timeouts, certificate reload, the shutdown delay,
//! extra arguments and environment, host networking, a startup probe, a
//! NetworkPolicy, images by registry and digest). Its matchConditions are in
//! `chart_match_conditions.rs`, its dashboard and alerts in `audit_chart.rs`, its
//! schema and lint in `chart_schemas.rs`.

use flink_autoscale_e2e::charts::{
    WEBHOOK_CHART, WEBHOOK_NAMESPACE, WEBHOOK_SERVICE, base64_encode, base64_text, flag, named,
    names, of_kind, scratch, strings, webhook_configurations,
};
use flink_autoscale_e2e::schema::assert_fit_built_in_types;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::process::Command;

/// Where tests write their certificates.
const TMP: &str = env!("CARGO_TARGET_TMPDIR");

fn template(args: &[&str]) -> Result<Vec<Value>, String> {
    flink_autoscale_e2e::charts::template(WEBHOOK_CHART, args)
}

fn render(args: &[&str]) -> Vec<Value> {
    flink_autoscale_e2e::charts::render(WEBHOOK_CHART, args)
}

fn render_error(args: &[&str]) -> String {
    flink_autoscale_e2e::charts::render_error(WEBHOOK_CHART, args)
}

/// The webhook's pod template.
fn pod(docs: &[Value]) -> &Value {
    &named(docs, "Deployment", WEBHOOK_SERVICE)["spec"]["template"]["spec"]
}

fn container(docs: &[Value]) -> &Value {
    &pod(docs)["containers"][0]
}

fn args(docs: &[Value]) -> Vec<String> {
    strings(&container(docs)["args"])
}

/// Flags the chart passes must be flags the webhook has: checked against its
/// `--help`, so a renamed flag cannot leave the chart behind.
fn webhook_help() -> String {
    let bin = flink_autoscale_e2e::binary("flink-autoscale-webhook", "flink-autoscale-webhook");
    let out = Command::new(bin).arg("--help").output().expect("runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn defaults_pass_the_scale_and_shutdown_flags_and_probe_on_the_admin_port() {
    let docs = render(&[]);
    let args = args(&docs);
    assert_eq!(flag(&args, "--max-connections"), Some("256"));
    assert_eq!(flag(&args, "--header-read-timeout"), Some("10s"));
    assert_eq!(flag(&args, "--cert-reload-interval"), Some("10s"));
    assert_eq!(flag(&args, "--shutdown-delay"), Some("5s"));
    assert_eq!(flag(&args, "--admin-listen"), Some("0.0.0.0:9090"));
    let help = webhook_help();
    for a in args.iter().filter(|a| a.starts_with("--")) {
        assert!(help.contains(a.as_str()), "{a} is not a webhook flag");
    }
    let pod = pod(&docs);
    // The drain after the delay takes up to 25 s; the grace period covers both.
    assert!(pod["terminationGracePeriodSeconds"].as_u64().unwrap() > 5 + 25);
    assert!(pod.get("hostNetwork").is_none());
    let c = &pod["containers"][0];
    assert_eq!(c["startupProbe"]["httpGet"]["port"], "admin");
    assert_eq!(c["livenessProbe"]["httpGet"]["port"], "admin");
    assert_eq!(c["image"], "flink-autoscale-webhook:0.1.0");
    assert!(of_kind(&docs, "NetworkPolicy").is_empty());
}

#[test]
fn every_value_reaches_its_flag() {
    let docs = render(&[
        "--set",
        "maxConnections=64,headerReadTimeout=3s,certReloadInterval=1min,shutdownDelay=8s",
        "--set",
        "terminationGracePeriodSeconds=45,startupProbe.failureThreshold=5",
        "--set-json",
        r#"extraArgs=["--offline"]"#,
        "--set-json",
        r#"extraEnv=[{"name":"FLINK_GUARD_X","value":"1"}]"#,
    ]);
    let args = args(&docs);
    assert_eq!(flag(&args, "--max-connections"), Some("64"));
    assert_eq!(flag(&args, "--header-read-timeout"), Some("3s"));
    assert_eq!(flag(&args, "--cert-reload-interval"), Some("1min"));
    assert_eq!(flag(&args, "--shutdown-delay"), Some("8s"));
    assert_eq!(args.last().map(String::as_str), Some("--offline"));
    let pod = pod(&docs);
    assert_eq!(pod["terminationGracePeriodSeconds"], 45);
    let c = &pod["containers"][0];
    assert_eq!(c["startupProbe"]["failureThreshold"], 5);
    let env = c["env"].as_array().unwrap();
    assert!(
        env.contains(&json!({"name": "FLINK_GUARD_X", "value": "1"})),
        "{env:?}"
    );
    assert!(env.iter().any(|e| e["name"] == "RUST_LOG"));
}

#[test]
fn images_by_registry_and_digest() {
    let docs = render(&["--set", "image.registry=ghcr.io/acme/,image.tag=1.2.3"]);
    assert_eq!(
        pod(&docs)["containers"][0]["image"],
        "ghcr.io/acme/flink-autoscale-webhook:1.2.3"
    );
    let digest = format!("sha256:{}", "ab".repeat(32));
    let docs = render(&["--set", &format!("image.digest={digest},image.tag=ignored")]);
    assert_eq!(
        pod(&docs)["containers"][0]["image"],
        json!(format!("flink-autoscale-webhook@{digest}"))
    );
    let err = template(&["--set", "image.digest=latest"]).unwrap_err();
    assert!(err.contains("digest"), "{err}");
}

#[test]
fn host_network_uses_the_node_address_and_keeps_cluster_dns() {
    let docs = render(&["--set", "hostNetwork.enabled=true,containerPort=10260"]);
    let pod = pod(&docs);
    assert_eq!(pod["hostNetwork"], true);
    assert_eq!(pod["dnsPolicy"], "ClusterFirstWithHostNet");
    assert_eq!(flag(&args(&docs), "--listen"), Some("0.0.0.0:10260"));
}

#[test]
fn the_network_policy_admits_the_api_server_and_prometheus_only() {
    let docs = render(&[
        "--set",
        "networkPolicy.enabled=true",
        "--set-json",
        r#"networkPolicy.apiServerCIDRs=["10.0.0.0/24"]"#,
        "--set-json",
        r#"networkPolicy.prometheus.namespaceSelector={"matchLabels":{"name":"monitoring"}}"#,
    ]);
    let policies = of_kind(&docs, "NetworkPolicy");
    assert_eq!(policies.len(), 1);
    let spec = &policies[0]["spec"];
    assert_eq!(spec["policyTypes"], json!(["Ingress"]));
    assert_eq!(
        spec["podSelector"]["matchLabels"]["app.kubernetes.io/name"],
        "flink-autoscale-webhook"
    );
    let rules = spec["ingress"].as_array().unwrap();
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0]["ports"][0]["port"], "https");
    assert_eq!(
        rules[0]["from"],
        json!([{"ipBlock": {"cidr": "10.0.0.0/24"}}])
    );
    assert_eq!(rules[1]["ports"][0]["port"], "admin");
    assert_eq!(
        rules[1]["from"][0]["namespaceSelector"],
        json!({"matchLabels": {"name": "monitoring"}})
    );
    // Every named port the policy admits is one the pod has.
    let ports: Vec<&Value> = pod(&docs)["containers"][0]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["name"])
        .collect();
    for r in rules {
        assert!(ports.contains(&&r["ports"][0]["port"]), "{r}");
    }

    // Without CIDRs the HTTPS port is open to any source (the API server is not a
    // pod), and without the admin port there is no rule for it.
    let docs = render(&[
        "--set",
        "networkPolicy.enabled=true,adminPort.enabled=false",
    ]);
    let rules = of_kind(&docs, "NetworkPolicy")[0]["spec"]["ingress"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(rules.len(), 1);
    assert!(rules[0].get("from").is_none(), "{rules:?}");
}

#[test]
fn bad_values_are_refused_by_the_schema() {
    for bad in [
        "maxConnections=0",
        "headerReadTimeout=soon",
        "shutdownDelay=-1s",
        "networkPolicy.apiServerCIDRs[0]=anywhere",
    ] {
        let err = template(&["--set", bad]).unwrap_err();
        assert!(
            err.contains("values don't meet the specifications") || err.contains("schema"),
            "{bad}: {err}"
        );
    }
}

#[test]
fn webhook_default_render_uses_cert_manager_with_ca_injection() {
    let docs = render(&[]);
    assert_fit_built_in_types(&docs);
    let issuers = of_kind(&docs, "Issuer");
    assert_eq!(
        issuers.len(),
        2,
        "self-signed and CA issuers: {:?}",
        names(&docs)
    );
    assert!(issuers.iter().any(|i| i["spec"]["selfSigned"].is_object()));
    let ca_issuer = issuers
        .iter()
        .find(|i| i["spec"]["ca"].is_object())
        .expect("a CA issuer");
    let certificates = of_kind(&docs, "Certificate");
    let ca = certificates
        .iter()
        .find(|c| c["spec"]["isCA"] == true)
        .expect("a CA certificate");
    assert_eq!(
        ca_issuer["spec"]["ca"]["secretName"],
        ca["spec"]["secretName"]
    );
    let serving = certificates
        .iter()
        .find(|c| c["spec"]["isCA"] != true)
        .expect("a serving certificate");
    assert_eq!(
        serving["spec"]["issuerRef"]["name"],
        ca_issuer["metadata"]["name"]
    );
    assert_eq!(
        strings(&serving["spec"]["dnsNames"]),
        [
            format!("{WEBHOOK_SERVICE}.{WEBHOOK_NAMESPACE}.svc"),
            format!("{WEBHOOK_SERVICE}.{WEBHOOK_NAMESPACE}.svc.cluster.local"),
        ]
    );
    // The pods mount the Secret cert-manager writes.
    let volumes =
        &named(&docs, "Deployment", WEBHOOK_SERVICE)["spec"]["template"]["spec"]["volumes"];
    let tls = volumes
        .as_array()
        .expect("volumes")
        .iter()
        .find(|v| v["name"] == "tls")
        .expect("tls volume");
    assert_eq!(tls["secret"]["secretName"], serving["spec"]["secretName"]);
    let mount = container(&docs)["volumeMounts"]
        .as_array()
        .expect("mounts")
        .iter()
        .find(|m| m["name"] == "tls")
        .expect("tls mount")
        .clone();
    assert_eq!(mount["mountPath"], "/tls");
    assert!(
        mount.get("subPath").is_none(),
        "a subPath mount never sees rotated certificates"
    );

    let inject = format!(
        "{WEBHOOK_NAMESPACE}/{}",
        serving["metadata"]["name"].as_str().expect("name")
    );
    let configurations = webhook_configurations(&docs);
    assert_eq!(configurations.len(), 2);
    for configuration in configurations {
        assert_eq!(
            configuration["metadata"]["annotations"]["cert-manager.io/inject-ca-from"],
            inject.as_str()
        );
        for webhook in configuration["webhooks"].as_array().expect("webhooks") {
            assert!(
                webhook["clientConfig"].get("caBundle").is_none(),
                "cainjector fills caBundle"
            );
        }
    }
    assert!(
        of_kind(&docs, "Secret").is_empty(),
        "cert-manager writes the Secret"
    );
}

#[test]
fn webhook_configurations_point_at_the_service_and_cover_exactly_the_handled_kinds() {
    let docs = render(&[]);
    let service = named(&docs, "Service", WEBHOOK_SERVICE);
    let https = service["spec"]["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .find(|p| p["name"] == "https")
        .expect("https port");
    assert_eq!(https["port"], 443);
    let target = https["targetPort"].clone();
    let ports = container(&docs)["ports"]
        .as_array()
        .expect("container ports");
    let container_port = ports
        .iter()
        .find(|p| p["name"] == target || p["containerPort"] == target)
        .expect("the Service's targetPort is a container port");
    assert_eq!(container_port["containerPort"], 8443);
    assert_eq!(flag(&args(&docs), "--listen"), Some("0.0.0.0:8443"));
    let selector = service["spec"]["selector"].as_object().expect("selector");
    let pod_labels =
        &named(&docs, "Deployment", WEBHOOK_SERVICE)["spec"]["template"]["metadata"]["labels"];
    for (k, v) in selector {
        assert_eq!(&pod_labels[k], v, "the Service selects the webhook pods");
    }

    let rules_of = |configuration: &Value| -> BTreeSet<(String, String, String)> {
        let mut out = BTreeSet::new();
        for webhook in configuration["webhooks"].as_array().expect("webhooks") {
            for rule in webhook["rules"].as_array().expect("rules") {
                assert_eq!(strings(&rule["operations"]), ["CREATE", "UPDATE"]);
                for group in strings(&rule["apiGroups"]) {
                    for version in strings(&rule["apiVersions"]) {
                        for resource in strings(&rule["resources"]) {
                            out.insert((group.clone(), version.clone(), resource));
                        }
                    }
                }
            }
        }
        out
    };
    let triple = |g: &str, v: &str, r: &str| (g.to_string(), v.to_string(), r.to_string());
    let mutating = named(&docs, "MutatingWebhookConfiguration", WEBHOOK_SERVICE);
    assert_eq!(
        rules_of(mutating),
        BTreeSet::from([triple("autoscaling.k8s.io", "v1", "verticalpodautoscalers")])
    );
    let validating = named(&docs, "ValidatingWebhookConfiguration", WEBHOOK_SERVICE);
    assert_eq!(
        rules_of(validating),
        BTreeSet::from([
            triple("flink.apache.org", "v1beta1", "flinkdeployments"),
            triple("flink.apache.org", "v1beta1", "flinksessionjobs"),
            triple("autoscaling.k8s.io", "v1", "verticalpodautoscalers"),
            triple("autoscaling", "v2", "horizontalpodautoscalers"),
        ])
    );
    for (configuration, path) in [(mutating, "/mutate"), (validating, "/validate")] {
        for webhook in configuration["webhooks"].as_array().expect("webhooks") {
            assert_eq!(
                webhook["clientConfig"]["service"],
                json!({"name": WEBHOOK_SERVICE, "namespace": WEBHOOK_NAMESPACE, "port": 443, "path": path})
            );
            assert!(
                webhook["name"]
                    .as_str()
                    .is_some_and(|n| n.split('.').count() >= 3),
                "fully qualified name"
            );
            assert_eq!(webhook["sideEffects"], "None");
            assert_eq!(webhook["admissionReviewVersions"], json!(["v1"]));
            assert_eq!(webhook["matchPolicy"], "Equivalent");
            assert_eq!(webhook["failurePolicy"], "Fail");
            assert_eq!(webhook["timeoutSeconds"], 5);
            let expressions = webhook["namespaceSelector"]["matchExpressions"]
                .as_array()
                .expect("matchExpressions");
            assert_eq!(expressions.len(), 1);
            assert_eq!(expressions[0]["key"], "kubernetes.io/metadata.name");
            assert_eq!(expressions[0]["operator"], "NotIn");
            let excluded = strings(&expressions[0]["values"]);
            assert!(
                excluded.contains(&WEBHOOK_NAMESPACE.to_string())
                    && excluded.contains(&"kube-system".to_string())
            );
        }
    }
}

#[test]
fn webhook_deployment_is_hardened_and_probed() {
    let docs = render(&[]);
    let deployment = named(&docs, "Deployment", WEBHOOK_SERVICE);
    assert_eq!(deployment["metadata"]["namespace"], WEBHOOK_NAMESPACE);
    assert_eq!(deployment["spec"]["replicas"], 2);
    let pod = &deployment["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(pod["securityContext"]["runAsUser"], 65532);
    assert_eq!(
        pod["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    let anti =
        &pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0];
    assert_eq!(
        anti["podAffinityTerm"]["topologyKey"],
        "kubernetes.io/hostname"
    );
    assert_eq!(pod["serviceAccountName"], WEBHOOK_SERVICE);

    let c = container(&docs);
    assert_eq!(c["image"], "flink-autoscale-webhook:0.1.0");
    let security = &c["securityContext"];
    assert_eq!(security["readOnlyRootFilesystem"], true);
    assert_eq!(security["allowPrivilegeEscalation"], false);
    assert_eq!(security["runAsNonRoot"], true);
    assert_eq!(security["capabilities"]["drop"], json!(["ALL"]));
    for kind in ["requests", "limits"] {
        for resource in ["cpu", "memory"] {
            assert!(
                c["resources"][kind][resource].is_string(),
                "resources.{kind}.{resource}"
            );
        }
    }
    // Probes on the admin port by default: clients filling the HTTPS port's
    // connections must not make the liveness probe restart the pod.
    for (probe, path) in [
        ("startupProbe", "/healthz"),
        ("livenessProbe", "/healthz"),
        ("readinessProbe", "/readyz"),
    ] {
        assert_eq!(
            c[probe]["httpGet"],
            json!({"path": path, "port": "admin", "scheme": "HTTP"}),
            "{probe}"
        );
    }

    let args = args(&docs);
    assert_eq!(flag(&args, "--tls-cert"), Some("/tls/tls.crt"));
    assert_eq!(flag(&args, "--tls-key"), Some("/tls/tls.key"));
    assert_eq!(flag(&args, "--enforcement"), Some("deny"));
    assert_eq!(flag(&args, "--vpa-min-memory"), Some("256Mi"));
    assert_eq!(flag(&args, "--vpa-max-memory"), Some("2Gi"));
    assert_eq!(flag(&args, "--log-format"), Some("json"));
    assert_eq!(flag(&args, "--reconcile-interval"), Some("60s"));
    assert_eq!(flag(&args, "--admin-listen"), Some("0.0.0.0:9090"));
    assert_eq!(flag(&args, "--operator-rules"), Some("on"));
    assert!(
        !args.contains(&"--operator-version".to_string()),
        "{args:?}"
    );

    let pdb = named(&docs, "PodDisruptionBudget", WEBHOOK_SERVICE);
    assert_eq!(pdb["spec"]["minAvailable"], 1);
    let pod_labels = &deployment["spec"]["template"]["metadata"]["labels"];
    for (k, v) in pdb["spec"]["selector"]["matchLabels"]
        .as_object()
        .expect("selector")
    {
        assert_eq!(&pod_labels[k], v, "the PDB selects the webhook pods");
    }
    // One replica with minAvailable 1 would block every node drain.
    let docs = render(&["--set", "replicaCount=1"]);
    assert!(of_kind(&docs, "PodDisruptionBudget").is_empty());
}

#[test]
fn webhook_rbac_is_read_only() {
    let docs = render(&[]);
    let role = named(&docs, "ClusterRole", WEBHOOK_SERVICE);
    let mut granted = BTreeSet::new();
    for rule in role["rules"].as_array().expect("rules") {
        for verb in strings(&rule["verbs"]) {
            assert!(
                ["get", "list", "watch"].contains(&verb.as_str()),
                "verb {verb} in {rule}"
            );
        }
        for group in strings(&rule["apiGroups"]) {
            for resource in strings(&rule["resources"]) {
                granted.insert(format!("{resource}.{group}"));
            }
        }
    }
    assert_eq!(
        granted,
        BTreeSet::from(
            [
                "flinkdeployments.flink.apache.org",
                "flinksessionjobs.flink.apache.org",
                "verticalpodautoscalers.autoscaling.k8s.io",
                "horizontalpodautoscalers.autoscaling",
            ]
            .map(String::from)
        )
    );
    let binding = named(&docs, "ClusterRoleBinding", WEBHOOK_SERVICE);
    assert_eq!(binding["roleRef"]["name"], WEBHOOK_SERVICE);
    assert_eq!(
        binding["subjects"][0],
        json!({"kind": "ServiceAccount", "name": WEBHOOK_SERVICE, "namespace": WEBHOOK_NAMESPACE})
    );
    assert!(of_kind(&docs, "Role").is_empty() && of_kind(&docs, "RoleBinding").is_empty());
}

#[test]
fn webhook_values_reach_the_flags_probes_and_configurations() {
    let docs = render(&[
        "--set",
        "enforcement=warn,failurePolicy=Ignore,timeoutSeconds=10,adminPort.enabled=true",
        "--set",
        "vpa.minMemory=512Mi,vpa.maxMemory=8Gi,logFormat=text,excludedNamespaces={flink-operator}",
        "--set",
        "serviceMonitor.enabled=true,operatorRules=false,operatorVersion=1.10",
    ]);
    let args = args(&docs);
    assert_eq!(flag(&args, "--operator-version"), Some("1.10"));
    assert_eq!(flag(&args, "--enforcement"), Some("warn"));
    assert_eq!(flag(&args, "--operator-rules"), Some("off"));
    assert_eq!(flag(&args, "--admin-listen"), Some("0.0.0.0:9090"));
    assert_eq!(flag(&args, "--vpa-min-memory"), Some("512Mi"));
    assert_eq!(flag(&args, "--vpa-max-memory"), Some("8Gi"));
    assert_eq!(flag(&args, "--log-format"), Some("text"));
    let c = container(&docs);
    for probe in ["livenessProbe", "readinessProbe"] {
        assert_eq!(c[probe]["httpGet"]["port"], "admin");
        assert_eq!(c[probe]["httpGet"]["scheme"], "HTTP");
    }
    let service = named(&docs, "Service", WEBHOOK_SERVICE);
    assert!(
        service["spec"]["ports"]
            .as_array()
            .expect("ports")
            .iter()
            .any(|p| p["name"] == "admin" && p["port"] == 9090)
    );
    for configuration in webhook_configurations(&docs) {
        for webhook in configuration["webhooks"].as_array().expect("webhooks") {
            assert_eq!(webhook["failurePolicy"], "Ignore");
            assert_eq!(webhook["timeoutSeconds"], 10);
            let excluded = strings(&webhook["namespaceSelector"]["matchExpressions"][0]["values"]);
            assert_eq!(
                excluded,
                [WEBHOOK_NAMESPACE, "kube-system", "flink-operator"]
            );
        }
    }
    let monitor = named(&docs, "ServiceMonitor", WEBHOOK_SERVICE);
    assert_eq!(monitor["spec"]["endpoints"][0]["port"], "admin");
    assert_eq!(monitor["spec"]["endpoints"][0]["path"], "/metrics");
    assert!(of_kind(&render(&[]), "ServiceMonitor").is_empty());
}

#[test]
fn webhook_without_cert_manager_needs_the_certificates() {
    let error = render_error(&["--set", "certManager.enabled=false"]);
    assert!(
        error.contains("certManager.enabled is false")
            && error.contains("tls.existingSecret")
            && error.contains("certs/README.md"),
        "{error}"
    );
    let error = render_error(&["--set", "certManager.enabled=false,tls.existingSecret=mine"]);
    assert!(error.contains("caBundle must be set"), "{error}");
}

const CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIBserving\n-----END CERTIFICATE-----";
const KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIGHkey\n-----END PRIVATE KEY-----";
const CA: &str = "-----BEGIN CERTIFICATE-----\nMIIBca\n-----END CERTIFICATE-----";

#[test]
fn webhook_without_cert_manager_renders_the_secret_and_ca_bundle() {
    let dir = scratch(TMP, "webhook_supplied_certificates");
    for (name, text) in [("tls.crt", CERT), ("tls.key", KEY), ("ca.crt", CA)] {
        std::fs::write(dir.join(name), format!("{text}\n")).expect("write PEM");
    }
    let file = |name: &str| format!("{name}={}", dir.join(name).display());
    let docs = render(&[
        "--set",
        "certManager.enabled=false",
        "--set-file",
        &file("tls.crt"),
        "--set-file",
        &file("tls.key"),
        "--set-file",
        &format!("caBundle={}", dir.join("ca.crt").display()),
    ]);
    assert_fit_built_in_types(&docs);
    assert!(of_kind(&docs, "Issuer").is_empty() && of_kind(&docs, "Certificate").is_empty());
    let secrets = of_kind(&docs, "Secret");
    assert_eq!(secrets.len(), 1);
    let secret = secrets[0];
    assert_eq!(secret["type"], "kubernetes.io/tls");
    assert_eq!(base64_text(&secret["data"]["tls.crt"]).trim(), CERT);
    assert_eq!(base64_text(&secret["data"]["tls.key"]).trim(), KEY);
    let volumes =
        &named(&docs, "Deployment", WEBHOOK_SERVICE)["spec"]["template"]["spec"]["volumes"];
    assert!(
        volumes
            .as_array()
            .expect("volumes")
            .iter()
            .any(|v| v["secret"]["secretName"] == secret["metadata"]["name"])
    );
    for configuration in webhook_configurations(&docs) {
        assert!(
            configuration["metadata"].get("annotations").is_none(),
            "no cainjector annotation"
        );
        for webhook in configuration["webhooks"].as_array().expect("webhooks") {
            assert_eq!(base64_text(&webhook["clientConfig"]["caBundle"]).trim(), CA);
        }
    }

    // An existing Secret is mounted as it is; a base64 caBundle is passed through.
    let encoded = base64_encode(CA);
    let docs = render(&[
        "--set",
        &format!("certManager.enabled=false,tls.existingSecret=webhook-tls,caBundle={encoded}"),
    ]);
    assert!(of_kind(&docs, "Secret").is_empty());
    let volumes =
        &named(&docs, "Deployment", WEBHOOK_SERVICE)["spec"]["template"]["spec"]["volumes"];
    assert!(
        volumes
            .as_array()
            .expect("volumes")
            .iter()
            .any(|v| v["secret"]["secretName"] == "webhook-tls")
    );
    for configuration in webhook_configurations(&docs) {
        assert_eq!(
            configuration["webhooks"][0]["clientConfig"]["caBundle"],
            encoded.as_str()
        );
    }
}

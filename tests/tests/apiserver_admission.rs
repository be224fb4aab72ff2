//! The test API server's admission chain against a scripted webhook, through the
//! real kubectl: each failure kind under `failurePolicy` Fail and Ignore, refusals
//! with and without a status, patches and re-invocation, selectors, DELETE, dry run
//! with `sideEffects`, and TLS verified against `caBundle`. The expected texts are
//! kube-apiserver's (`webhookerrors.ToStatusErr`, `NewInternalError`,
//! `NewDryRunUnsupportedErr`) as kubectl prints them.

use axum::Router;
use axum::extract::{Json, Path};
use axum::routing::post;
use base64::Engine;
use flink_autoscale_e2e::apiserver::TestApiServer;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::process::Output;
use std::sync::Arc;
use std::time::Duration;

const HOST: &str = "hooks.scripted.svc";
const SERVICE: &str = "scripted/hooks:443";

/// What the scripted webhook answers, by the last path segment.
async fn answer(
    Path(behaviour): Path<String>,
    Json(review): Json<Value>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let uid = review["request"]["uid"].clone();
    let allowed = |extra: Value| {
        let mut response = json!({"uid": uid, "allowed": true});
        if let Some(map) = extra.as_object() {
            for (k, v) in map {
                response[k] = v.clone();
            }
        }
        Json(json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response}))
            .into_response()
    };
    let object = &review["request"]["object"];
    match behaviour.as_str() {
        "allow" => allowed(json!({"warnings": ["looked at it", "twice \"quoted\""]})),
        "deny" => allowed(json!({"allowed": false,
            "status": {"code": 422, "reason": "Invalid", "message": "data.size: Invalid value: \"9\": too big"}})),
        "deny-bare" => allowed(json!({"allowed": false})),
        "uid-warning" => allowed(json!({"warnings": [format!(
            "uid {}",
            object["metadata"]["uid"].as_str().unwrap_or("none")
        )]})),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            allowed(json!({}))
        }
        "wrong-uid" => Json(
            json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "response": {"uid": "not-the-uid", "allowed": true}}),
        )
        .into_response(),
        "crash" => (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response(),
        "echo-request" => {
            // Refuses with the request it got, minus the objects, for inspection.
            let mut request = review["request"].clone();
            if let Some(r) = request.as_object_mut() {
                r.remove("object");
                r.remove("oldObject");
            }
            allowed(json!({"allowed": false, "status": {"message": request.to_string()}}))
        }
        label if label.starts_with("label-") => {
            // Adds the label `label-X: "1"` when absent: idempotent.
            let key = label.to_string();
            let has = !object["metadata"]["labels"][&key].is_null();
            if has {
                return allowed(json!({}));
            }
            let patch = if object["metadata"]["labels"].is_object() {
                json!([{"op": "add", "path": format!("/metadata/labels/{key}"), "value": "1"}])
            } else {
                json!([{"op": "add", "path": "/metadata/labels", "value": {key: "1"}}])
            };
            let encoded = base64::engine::general_purpose::STANDARD.encode(patch.to_string());
            allowed(json!({"patchType": "JSONPatch", "patch": encoded}))
        }
        _ => (axum::http::StatusCode::NOT_FOUND, "no such behaviour").into_response(),
    }
}

/// A CA and the scripted webhook serving with a certificate it signed for `HOST`.
struct Scripted {
    addr: SocketAddr,
    ca_pem: String,
    _runtime: tokio::runtime::Runtime,
}

fn ca() -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    CertifiedIssuer::self_signed(params, KeyPair::generate().expect("key")).expect("CA")
}

fn start_scripted() -> Scripted {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let ca = ca();
    let key = KeyPair::generate().expect("key");
    let cert = CertificateParams::new(vec![HOST.to_string()])
        .expect("params")
        .signed_by(&key, &ca)
        .expect("cert");
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .expect("TLS config");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = Router::new().route("/{behaviour}", post(answer));
    let _guard = runtime.enter();
    let server = axum_server::from_tcp_rustls(
        listener,
        axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(config)),
    )
    .expect("server");
    runtime.spawn(async move { server.serve(app.into_make_service()).await });
    Scripted {
        addr,
        ca_pem: ca.pem(),
        _runtime: runtime,
    }
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// A webhook on ConfigMaps in namespace `team` calling `/BEHAVIOUR`.
fn hook(name: &str, behaviour: &str, ca_pem: &str, extra: Value) -> Value {
    let mut hook = json!({
        "name": name,
        "clientConfig": {"service": {"namespace": "scripted", "name": "hooks", "port": 443, "path": format!("/{behaviour}")},
            "caBundle": b64(ca_pem)},
        "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "resources": ["configmaps"],
            "operations": ["CREATE", "UPDATE"], "scope": "Namespaced"}],
        "sideEffects": "None",
        "admissionReviewVersions": ["v1"],
        "failurePolicy": "Fail",
        "timeoutSeconds": 1,
    });
    if let Some(map) = extra.as_object() {
        for (k, v) in map {
            hook[k] = v.clone();
        }
    }
    hook
}

fn configuration(kind: &str, name: &str, hooks: Vec<Value>) -> Value {
    json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": kind,
        "metadata": {"name": name}, "webhooks": hooks})
}

fn validating(hooks: Vec<Value>) -> Value {
    configuration("ValidatingWebhookConfiguration", "scripted", hooks)
}

struct Setup {
    server: TestApiServer,
    _scripted: Scripted,
}

fn setup(configurations: impl FnOnce(&str) -> Vec<Value>) -> Setup {
    let scripted = start_scripted();
    let server = TestApiServer::builder()
        .namespace("team")
        .object(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}))
        .objects(configurations(&scripted.ca_pem))
        .service(SERVICE, scripted.addr)
        .start()
        .expect("server starts");
    Setup {
        server,
        _scripted: scripted,
    }
}

fn run(server: &TestApiServer, args: &[&str], stdin: Option<&str>) -> Output {
    use std::io::Write;
    let mut child = server
        .kubectl()
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("kubectl");
    if let Some(mut pipe) = child.stdin.take() {
        pipe.write_all(stdin.unwrap_or("").as_bytes())
            .expect("stdin");
    }
    child.wait_with_output().expect("kubectl exits")
}

const CONFIGMAP: &str = r#"{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": "team"}, "data": {"size": "9"}}"#;

fn apply(server: &TestApiServer, extra: &[&str]) -> (bool, String) {
    apply_text(server, CONFIGMAP, extra)
}

fn apply_text(server: &TestApiServer, manifest: &str, extra: &[&str]) -> (bool, String) {
    let mut args = vec!["apply", "-f", "-"];
    args.extend_from_slice(extra);
    let out = run(server, &args, Some(manifest));
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    (out.status.success(), text)
}

fn stored(server: &TestApiServer) -> Option<Value> {
    server.store().get("v1", "ConfigMap", "team", "settings")
}

fn url(behaviour: &str) -> String {
    format!("https://{HOST}:443/{behaviour}?timeout=1s")
}

#[test]
fn refusals_carry_the_webhooks_status_and_warnings_print() {
    let s = setup(|ca| {
        vec![validating(vec![
            hook("allow.scripted.io", "allow", ca, json!({})),
            hook("deny.scripted.io", "deny", ca, json!({})),
        ])]
    });
    let (ok, text) = apply(&s.server, &[]);
    assert!(!ok);
    // The webhook's status passes through (code 422, reason Invalid, no details),
    // which kubectl prints as "The request is invalid".
    assert_eq!(
        text,
        "Warning: looked at it\nWarning: twice \"quoted\"\n\
         The request is invalid: error when creating \"STDIN\": admission webhook \"deny.scripted.io\" \
         denied the request: data.size: Invalid value: \"9\": too big\n"
    );
    assert!(stored(&s.server).is_none());

    let s = setup(|ca| {
        vec![validating(vec![hook(
            "bare.scripted.io",
            "deny-bare",
            ca,
            json!({}),
        )])]
    });
    let (ok, text) = apply(&s.server, &[]);
    assert!(!ok);
    assert_eq!(
        text,
        "Error from server: error when creating \"STDIN\": admission webhook \"bare.scripted.io\" denied the request without explanation\n"
    );
}

#[test]
fn every_failure_kind_fails_closed_or_open_by_policy() {
    let other_ca = ca().pem();
    let cases: Vec<(&str, Option<String>, String)> = vec![
        (
            "slow",
            None,
            format!("Post \"{}\": context deadline exceeded", url("slow")),
        ),
        (
            "crash",
            None,
            "an error on the server (\"boom\") has prevented the request from succeeding".into(),
        ),
        ("wrong-uid", None, String::new()),
        (
            "allow",
            Some(other_ca),
            format!(
                "Post \"{}\": tls: failed to verify certificate",
                url("allow")
            ),
        ),
    ];
    for (behaviour, ca_override, reason) in cases {
        for policy in ["Fail", "Ignore"] {
            let ca_override = ca_override.clone();
            let s = setup(move |ca| {
                let ca = ca_override.as_deref().unwrap_or(ca).to_string();
                vec![validating(vec![hook(
                    "flaky.scripted.io",
                    behaviour,
                    &ca,
                    json!({"failurePolicy": policy}),
                )])]
            });
            let (ok, text) = apply(&s.server, &[]);
            if policy == "Ignore" {
                assert!(ok, "{behaviour} Ignore: {text}");
                assert!(stored(&s.server).is_some());
                continue;
            }
            assert!(!ok, "{behaviour} Fail");
            let prefix = "Error from server (InternalError): error when creating \"STDIN\": Internal error occurred: \
                          failed calling webhook \"flaky.scripted.io\": ";
            assert!(text.starts_with(prefix), "{behaviour}: {text}");
            let rest = &text[prefix.len()..];
            if behaviour == "wrong-uid" {
                assert!(
                    rest.starts_with("received invalid webhook response: expected response.uid="),
                    "{rest}"
                );
            } else {
                assert!(
                    rest.starts_with(&format!("failed to call webhook: {reason}")),
                    "{behaviour}: {rest}"
                );
            }
            assert!(stored(&s.server).is_none());
        }
    }
}

#[test]
fn patches_apply_in_order_and_if_needed_webhooks_run_again() {
    let s = setup(|ca| {
        vec![configuration(
            "MutatingWebhookConfiguration",
            "scripted",
            vec![
                hook(
                    "first.scripted.io",
                    "label-first",
                    ca,
                    json!({"reinvocationPolicy": "IfNeeded"}),
                ),
                hook("second.scripted.io", "label-second", ca, json!({})),
            ],
        )]
    });
    let (ok, text) = apply(&s.server, &[]);
    assert!(ok, "{text}");
    let labels = &stored(&s.server).expect("stored")["metadata"]["labels"];
    assert_eq!(labels, &json!({"label-first": "1", "label-second": "1"}));
    let calls: Vec<String> = s
        .server
        .webhook_calls()
        .iter()
        .map(|c| c.split(' ').next().unwrap_or("").to_string())
        .collect();
    // first, second (which changed the object after first), first again.
    assert_eq!(
        calls,
        [
            "first.scripted.io",
            "second.scripted.io",
            "first.scripted.io"
        ]
    );
}

#[test]
fn a_create_of_an_existing_name_is_judged_before_it_conflicts() {
    let s = setup(|ca| {
        let existing: Value = serde_json::from_str(CONFIGMAP).expect("JSON");
        vec![
            existing,
            validating(vec![hook("bare.scripted.io", "deny-bare", ca, json!({}))]),
        ]
    });
    let out = run(&s.server, &["create", "-f", "-"], Some(CONFIGMAP));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "Error from server: error when creating \"STDIN\": admission webhook \"bare.scripted.io\" denied the request without explanation\n"
    );
    let s = setup(|ca| {
        let existing: Value = serde_json::from_str(CONFIGMAP).expect("JSON");
        vec![
            existing,
            validating(vec![hook("allow.scripted.io", "allow", ca, json!({}))]),
        ]
    });
    let out = run(&s.server, &["create", "-f", "-"], Some(CONFIGMAP));
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(text.ends_with("Error from server (AlreadyExists): error when creating \"STDIN\": configmaps \"settings\" already exists\n"), "{text}");
}

#[test]
fn validating_webhooks_see_the_object_as_stored() {
    let s = setup(|ca| {
        vec![validating(vec![hook(
            "uid.scripted.io",
            "uid-warning",
            ca,
            json!({}),
        )])]
    });
    let (ok, text) = apply(&s.server, &[]);
    assert!(ok, "{text}");
    let uid = stored(&s.server).expect("stored")["metadata"]["uid"]
        .as_str()
        .expect("uid")
        .to_string();
    assert!(
        text.starts_with(&format!("Warning: uid {uid}\n")),
        "{uid}: {text}"
    );
}

#[test]
fn the_review_is_what_kube_apiserver_sends() {
    let s = setup(|ca| {
        vec![validating(vec![hook(
            "echo.scripted.io",
            "echo-request",
            ca,
            json!({}),
        )])]
    });
    let (ok, text) = apply(&s.server, &[]);
    assert!(!ok);
    let json_text = text
        .split("denied the request: ")
        .nth(1)
        .expect("message")
        .trim_end();
    let request: Value = serde_json::from_str(json_text).expect("the echoed request");
    assert_eq!(
        request["kind"],
        json!({"group": "", "version": "v1", "kind": "ConfigMap"})
    );
    assert_eq!(
        request["resource"],
        json!({"group": "", "version": "v1", "resource": "configmaps"})
    );
    assert_eq!(request["requestKind"], request["kind"]);
    assert_eq!(request["requestResource"], request["resource"]);
    assert_eq!(request["operation"], "CREATE");
    assert_eq!(
        (request["name"].as_str(), request["namespace"].as_str()),
        (Some("settings"), Some("team"))
    );
    assert_eq!(request["dryRun"], false);
    assert_eq!(request["options"]["kind"], "CreateOptions");
    assert_eq!(
        request["options"]["fieldManager"],
        "kubectl-client-side-apply"
    );
    assert!(request["uid"].as_str().is_some_and(|u| u.len() == 36));
    assert!(request["userInfo"]["username"].is_string());
    assert!(request.get("subResource").is_none());
}

#[test]
fn selectors_and_conditions_decide_what_is_sent() {
    let s = setup(|ca| {
        vec![validating(vec![
            hook(
                "labelled-ns.scripted.io",
                "deny",
                ca,
                json!({"namespaceSelector": {"matchLabels": {"guard": "on"}}}),
            ),
            hook(
                "labelled-obj.scripted.io",
                "deny",
                ca,
                json!({"objectSelector": {"matchLabels": {"guard": "on"}}}),
            ),
            hook(
                "cel-false.scripted.io",
                "deny",
                ca,
                json!({"matchConditions": [
                {"name": "big", "expression": "has(object.data.size) && int(object.data.size) > 100"}]}),
            ),
            hook(
                "updates-only.scripted.io",
                "deny",
                ca,
                json!({"matchConditions": [
                    {"name": "update", "expression": "request.operation == 'UPDATE' && oldObject != null"},
                    {"name": "no-objects-in-request", "expression": "!has(request.object)"}]}),
            ),
            hook(
                "cel-error.scripted.io",
                "deny",
                ca,
                json!({"failurePolicy": "Ignore", "matchConditions": [
                {"name": "broken", "expression": "object.nope.deeper == 1"}]}),
            ),
            hook(
                "kube-system-only.scripted.io",
                "deny",
                ca,
                json!({"namespaceSelector": {"matchExpressions": [
                {"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["kube-system"]}]}}),
            ),
        ])]
    });
    let (ok, text) = apply(&s.server, &[]);
    assert!(ok, "no webhook applies: {text}");
    assert_eq!(s.server.webhook_calls(), Vec::<String>::new());
    // An update is what `updates-only` waits for (request.operation, oldObject).
    let changed = CONFIGMAP.replace("\"9\"", "\"10\"");
    let (ok, text) = apply_text(&s.server, &changed, &[]);
    assert!(!ok, "{text}");
    assert_eq!(
        s.server.webhook_calls(),
        ["updates-only.scripted.io UPDATE ConfigMap team/settings"]
    );
    // A CEL error under Fail refuses, naming the condition.
    let s = setup(|ca| {
        vec![validating(vec![hook(
            "cel-error.scripted.io",
            "allow",
            ca,
            json!({"matchConditions": [
            {"name": "broken", "expression": "object.nope.deeper == 1"}]}),
        )])]
    });
    let (ok, text) = apply(&s.server, &[]);
    assert!(!ok);
    assert!(text.starts_with("Error from server (Forbidden): error when creating \"STDIN\": configmaps \"settings\" is forbidden: "), "{text}");
    assert!(
        text.contains("is forbidden: expression 'object.nope.deeper == 1' resulted in error: "),
        "{text}"
    );
}

#[test]
fn deletes_and_dry_runs_are_admitted_too() {
    let s = setup(|ca| {
        let mut deny_delete = hook("no-delete.scripted.io", "deny-bare", ca, json!({}));
        deny_delete["rules"][0]["operations"] = json!(["DELETE"]);
        let unknown = hook(
            "unknown-effects.scripted.io",
            "allow",
            ca,
            json!({"sideEffects": "Unknown"}),
        );
        vec![validating(vec![deny_delete, unknown])]
    });
    let (ok, text) = apply(&s.server, &[]);
    assert!(ok, "{text}");
    let out = run(&s.server, &["delete", "configmap", "settings"], None);
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "Error from server: admission webhook \"no-delete.scripted.io\" denied the request without explanation\n"
    );
    assert!(stored(&s.server).is_some());
    // A change (an unchanged apply sends nothing), as a server-side dry run.
    let changed = CONFIGMAP.replace("\"9\"", "\"10\"");
    let (ok, text) = apply_text(&s.server, &changed, &["--dry-run=server"]);
    assert!(!ok, "{text}");
    assert!(
        text.ends_with(
            "admission webhook \"unknown-effects.scripted.io\" does not support dry run\n"
        ),
        "{text}"
    );
    assert!(text.starts_with("Error from server (BadRequest)"), "{text}");
}

//! A corpus of bad requests against the built webhook over TLS: truncated JSON, deep
//! nesting, huge strings, wrong types at every level of the review, bytes that are
//! not UTF-8, the wrong content type, the wrong method or path. Each is answered with
//! the right status and a message saying what is wrong, never a 5xx; the server
//! keeps serving throughout and logs no panic.

use flink_autoscale_e2e::fixture;
use flink_autoscale_e2e::webhook::WebhookProcess;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn read_fixture(rel: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture(rel)).unwrap()).unwrap()
}

/// What a case must be answered with: a status, and text the message starts with
/// or contains.
enum Expect {
    Status(u16, &'static str),
    /// A well-formed review the rules judge: 200, with this verdict.
    Judged {
        allowed: bool,
    },
}

struct Case {
    name: String,
    method: &'static str,
    path: &'static str,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    expect: Expect,
}

fn case(name: impl Into<String>, body: Vec<u8>, expect: Expect) -> Case {
    Case {
        name: name.into(),
        method: "POST",
        path: "/validate",
        content_type: Some("application/json"),
        body,
        expect,
    }
}

fn with(base: &Value, f: impl Fn(&mut Value)) -> Vec<u8> {
    let mut v = base.clone();
    f(&mut v);
    serde_json::to_vec(&v).unwrap()
}

fn corpus() -> Vec<Case> {
    use Expect::*;
    let create = read_fixture("admission/flinkdeployment-create.json");
    let vpa = read_fixture("admission/vpa-update.json");
    let create_bytes = serde_json::to_vec(&create).unwrap();
    let mut cases = Vec::new();

    // Truncated anywhere.
    for cut in [1, 10, create_bytes.len() / 2, create_bytes.len() - 1] {
        cases.push(case(
            format!("truncated at byte {cut}"),
            create_bytes[..cut].to_vec(),
            Status(400, "request body is not valid JSON"),
        ));
    }
    // Not an object, or nothing.
    for (name, body) in [
        ("null", "null"),
        ("array", "[]"),
        ("string", "\"AdmissionReview\""),
        ("number", "42"),
        ("whitespace", " \n\t "),
    ] {
        let message = if name == "whitespace" {
            "request body is empty"
        } else {
            "request body is "
        };
        cases.push(case(name, body.as_bytes().to_vec(), Status(400, message)));
    }
    // Nesting far past serde_json's recursion limit (128), bare and inside the object.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    cases.push(case(
        "100 000 nested arrays",
        deep.clone().into_bytes(),
        Status(400, "request body is not valid JSON"),
    ));
    let deep_object = format!("{}1{}", "{\"a\":".repeat(1000), "}".repeat(1000));
    let mut nested = String::from_utf8(create_bytes.clone()).unwrap();
    nested = nested.replacen("\"spec\":", &format!("\"deep\":{deep_object},\"spec\":"), 1);
    cases.push(case(
        "1000 nested objects inside the object",
        nested.into_bytes(),
        Status(400, "request body is not valid JSON"),
    ));
    // Not UTF-8, in a string and outside one.
    let mut invalid = create_bytes.clone();
    let at = invalid
        .windows(7)
        .position(|w| w == b"\"image\"")
        .expect("the fixture has an image")
        + 1;
    invalid[at] = 0xff;
    cases.push(case(
        "a key with a byte that is not UTF-8",
        invalid,
        Status(400, "request body is not valid JSON"),
    ));
    cases.push(case(
        "binary garbage",
        vec![0xfe, 0xff, 0x00, 0x7b, 0x80],
        Status(400, "request body is not valid JSON"),
    ));
    // Huge strings, within the 3 MiB limit: judged like any other review.
    let huge = "x".repeat(2 * 1024 * 1024);
    cases.push(case(
        "a 2 MiB annotation",
        with(&create, |v| {
            v["request"]["object"]["metadata"]["annotations"] = json!({"note": huge})
        }),
        Judged { allowed: true },
    ));
    // An unknown key is a warning, not a denial; the "did you mean" search must not
    // take long on it.
    cases.push(case(
        "a 1 MiB unknown autoscaler key",
        with(&create, |v| {
            let key = format!("job.autoscaler.{}", "y".repeat(1024 * 1024));
            v["request"]["object"]["spec"]["flinkConfiguration"][key] = json!("1");
        }),
        Judged { allowed: true },
    ));
    cases.push(case(
        "a 1 MiB autoscaler value",
        with(&create, |v| {
            v["request"]["object"]["spec"]["flinkConfiguration"]["job.autoscaler.metrics.window"] =
                json!("9".repeat(1024 * 1024));
        }),
        Judged { allowed: false },
    ));

    // Wrong types at every level of the review.
    let types: [(&str, Value); 5] = [
        ("null", Value::Null),
        ("a number", json!(7)),
        ("a string", json!("x")),
        ("an array", json!([1])),
        ("an object", json!({"x": 1})),
    ];
    for (type_name, wrong) in &types {
        let w = wrong.clone();
        if !wrong.is_string() {
            cases.push(case(
                format!("apiVersion {type_name}"),
                with(&create, |v| v["apiVersion"] = w.clone()),
                Status(400, "apiVersion:"),
            ));
            cases.push(case(
                format!("kind {type_name}"),
                with(&create, |v| v["kind"] = w.clone()),
                Status(400, "kind:"),
            ));
        }
        if !wrong.is_object() {
            cases.push(case(
                format!("request {type_name}"),
                with(&create, |v| v["request"] = w.clone()),
                Status(400, "request:"),
            ));
            cases.push(case(
                format!("request.object {type_name}"),
                with(&create, |v| v["request"]["object"] = w.clone()),
                Status(400, "request.object:"),
            ));
        }
        for field in ["uid", "operation", "kind", "resource", "userInfo"] {
            // A string is a uid; userInfo's fields are all optional.
            if (*type_name == "a string" && field == "uid")
                || (*type_name == "an object" && field == "userInfo")
            {
                continue;
            }
            cases.push(case(
                format!("request.{field} {type_name}"),
                with(&create, |v| v["request"][field] = w.clone()),
                Status(400, "request."),
            ));
        }
        if !wrong.is_object() && !wrong.is_null() {
            cases.push(case(
                format!("request.object.metadata {type_name}"),
                with(&create, |v| v["request"]["object"]["metadata"] = w.clone()),
                Status(400, "request.object"),
            ));
            cases.push(case(
                format!("request.oldObject {type_name}"),
                with(&create, |v| v["request"]["oldObject"] = w.clone()),
                Status(400, "request.oldObject"),
            ));
        }
        // Inside the object the rules judge: refused by a rule or admitted, never an
        // error.
        for pointer in [
            "/request/object/spec",
            "/request/object/spec/flinkConfiguration",
            "/request/object/spec/flinkConfiguration/job.autoscaler",
            "/request/object/spec/taskManager",
            "/request/object/spec/job",
        ] {
            let body = with(&create, |v| {
                if let Some(slot) = v.pointer_mut(pointer) {
                    *slot = w.clone();
                }
            });
            cases.push(case(
                format!("{pointer} {type_name}"),
                body,
                Status(200, "{"),
            ));
        }
        for pointer in [
            "/request/object/spec",
            "/request/object/spec/targetRef",
            "/request/object/spec/updatePolicy",
            "/request/object/spec/targetRef/name",
        ] {
            let body = with(&vpa, |v| {
                if let Some(slot) = v.pointer_mut(pointer) {
                    *slot = w.clone();
                }
            });
            for path in ["/validate", "/mutate"] {
                let mut c = case(
                    format!("VPA {pointer} {type_name} {path}"),
                    body.clone(),
                    Status(200, "{"),
                );
                c.path = path;
                cases.push(c);
            }
        }
    }
    cases.push(case(
        "operation FOO",
        with(&create, |v| v["request"]["operation"] = json!("FOO")),
        Status(400, "request.operation: unknown variant `FOO`"),
    ));
    cases.push(case(
        "duplicate keys",
        br#"{"apiVersion":"admission.k8s.io/v1","apiVersion":"x","kind":"AdmissionReview"}"#
            .to_vec(),
        Status(400, "apiVersion:"),
    ));

    // Wrong content type, method and path.
    let mut c = case(
        "text/plain",
        create_bytes.clone(),
        Status(415, "content-type: \"text/plain\" is not supported"),
    );
    c.content_type = Some("text/plain");
    cases.push(c);
    let mut c = case(
        "form-encoded",
        create_bytes.clone(),
        Status(415, "content-type: \"application/x-www-form-urlencoded\""),
    );
    c.content_type = Some("application/x-www-form-urlencoded");
    cases.push(c);
    for (method, path, status, message) in [
        (
            "GET",
            "/validate",
            405,
            "method GET is not allowed on /validate; use POST",
        ),
        (
            "PUT",
            "/mutate",
            405,
            "method PUT is not allowed on /mutate; use POST",
        ),
        (
            "POST",
            "/healthz",
            405,
            "method POST is not allowed on /healthz; use GET",
        ),
        ("POST", "/admit", 404, "no such endpoint: /admit"),
        ("GET", "/", 404, "no such endpoint: /"),
    ] {
        let mut c = case(
            format!("{method} {path}"),
            create_bytes.clone(),
            Status(status, message),
        );
        c.method = method;
        c.path = path;
        cases.push(c);
    }
    cases.push(case(
        "4 MiB",
        vec![b' '; 4 * 1024 * 1024],
        Status(413, "request body exceeds the 3 MiB limit"),
    ));
    cases
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_request_gets_its_status_and_a_message_and_the_server_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let webhook = WebhookProcess::dev(dir.path().join("ca.pem")).start();
    let client = webhook.ready_client().await;
    let base = webhook.url("");

    let valid = std::fs::read(fixture("admission/flinkdeployment-create.json")).unwrap();
    let mut failures = Vec::new();
    let cases = corpus();
    for c in &cases {
        let method = reqwest::Method::from_bytes(c.method.as_bytes()).unwrap();
        let mut request = client.request(method, format!("{base}{}", c.path));
        if let Some(t) = c.content_type {
            request = request.header("content-type", t);
        }
        let sent = Instant::now();
        let response = match request.body(c.body.clone()).send().await {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{}: no answer: {e:?}", c.name));
                continue;
            }
        };
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        let took = sent.elapsed();
        let shown: String = text.chars().take(300).collect();
        if took > Duration::from_secs(5) {
            failures.push(format!("{}: answered after {took:?}", c.name));
        }
        match &c.expect {
            Expect::Status(want, message) => {
                if status != *want || !text.starts_with(message) {
                    failures.push(format!(
                        "{}: expected {want} {message:?}, got {status} {shown:?}",
                        c.name
                    ));
                }
            }
            Expect::Judged { allowed } => {
                let verdict = serde_json::from_str::<Value>(&text)
                    .ok()
                    .and_then(|v| v["response"]["allowed"].as_bool());
                if status != 200 || verdict != Some(*allowed) {
                    failures.push(format!(
                        "{}: expected 200 allowed={allowed}, got {status} {shown:?}",
                        c.name
                    ));
                }
            }
        }
        if status >= 500 {
            failures.push(format!("{}: a server error {status}", c.name));
        }
        // Still serving after each case.
        let ok = client
            .post(format!("{base}/validate"))
            .header("content-type", "application/json")
            .body(valid.clone())
            .send()
            .await
            .map(|r| r.status().as_u16());
        if ok.as_ref().ok() != Some(&200) {
            failures.push(format!("{}: the next valid review got {ok:?}", c.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    let stderr = webhook.stderr();
    assert!(!stderr.contains("panicked"), "{stderr}");
}

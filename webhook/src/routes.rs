//! HTTP routes: the admission endpoints, probes and metrics, and the state they
//! share. Handlers read the body, call [`admission`](crate::admission) and encode;
//! no judgement happens here.

use crate::admission::{self, Decision};
use crate::cluster::ClusterView;
use crate::deadline::DeadlineLayer;
use crate::error::{BadReviewReason, Error};
use crate::metrics::{self, Metrics};
use crate::review_object::ReviewObject;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, Request, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use flink_autoscale_rules::{ClusterState, RuleSettings};
use http_body_util::BodyExt;
use kube::core::admission::{AdmissionRequest, Operation};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The API server's own limit for a request body; an AdmissionReview carries the
/// object (and the old one), so nothing legitimate is larger.
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;
/// How much of an oversized body we still read (and discard) before answering 413.
/// Answering while the client is still sending makes the kernel reset the connection,
/// and the client may then never see the answer.
const MAX_DRAIN_BYTES: usize = 16 * 1024 * 1024;
const MAX_DRAIN_TIME: Duration = Duration::from_secs(2);
/// Bodies larger than this (real reviews are a few KiB) are decoded at most
/// [`LARGE_DECODES`] at a time.
pub const LARGE_BODY_BYTES: usize = 256 * 1024;
/// Concurrent decodes of large bodies: each may build trees of up to some 70 MiB
/// from 3 MiB of the fields kube's envelope types keep, so two stay well under the
/// chart's 256 MiB memory limit.
pub const LARGE_DECODES: usize = 2;

fn large_decodes() -> &'static tokio::sync::Semaphore {
    static LARGE: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    LARGE.get_or_init(|| tokio::sync::Semaphore::new(LARGE_DECODES))
}

/// The API server waits 10 s by default for a webhook; answering later is useless.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether the webhook should receive traffic. Each part must hold; a cluster
/// connection (a later addition) adds "caches synced" as one more part.
#[derive(Debug, Default)]
pub struct Readiness {
    tls_loaded: AtomicBool,
    cluster_synced: AtomicBool,
    shutting_down: AtomicBool,
}

impl Readiness {
    pub fn set_tls_loaded(&self) {
        self.tls_loaded.store(true, Ordering::SeqCst);
    }

    pub fn set_cluster_synced(&self) {
        self.cluster_synced.store(true, Ordering::SeqCst);
    }

    /// Once shutdown starts, report not ready so endpoints drop the pod while it
    /// drains.
    pub fn set_shutting_down(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
    }

    /// What is missing, empty when ready.
    pub fn missing(&self) -> Vec<&'static str> {
        let mut missing = Vec::new();
        if !self.tls_loaded.load(Ordering::SeqCst) {
            missing.push("TLS certificate not loaded");
        }
        if !self.cluster_synced.load(Ordering::SeqCst) {
            missing.push("cluster caches not synced");
        }
        if self.shutting_down.load(Ordering::SeqCst) {
            missing.push("shutting down");
        }
        missing
    }
}

/// What every handler needs.
pub struct AppState {
    pub rules: RuleSettings,
    /// The cluster view for rules that need other objects. `None` is offline: those
    /// rules are skipped and responses say so. While the view cannot be trusted (not
    /// listed yet, watch failing for long) reviews are judged as offline too, and say
    /// why.
    pub cluster: Option<Arc<ClusterView>>,
    pub metrics: Metrics,
    pub readiness: Readiness,
}

/// The HTTPS router: admission endpoints plus probes and metrics.
pub fn webhook_router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/validate", post(validate))
        .route("/mutate", post(mutate))
        .merge(probe_routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DeadlineLayer::new(
            REQUEST_TIMEOUT,
            StatusCode::REQUEST_TIMEOUT,
        ))
        .with_state(state)
}

/// Probes and metrics alone, for the plain-HTTP admin listener.
pub fn admin_router(state: Arc<AppState>) -> Router {
    probe_routes()
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DeadlineLayer::new(
            REQUEST_TIMEOUT,
            StatusCode::REQUEST_TIMEOUT,
        ))
        .with_state(state)
}

fn probe_routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// Unknown paths say which exist, so a misconfigured webhook path (`clientConfig`)
/// is found from the API server's error alone.
async fn not_found(uri: Uri) -> Response {
    (
        StatusCode::NOT_FOUND,
        format!(
            "no such endpoint: {}; the admission endpoints are POST /validate and POST /mutate, \
             the probes GET /healthz, /readyz and /metrics\n",
            uri.path()
        ),
    )
        .into_response()
}

async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    let allowed = match uri.path() {
        "/validate" | "/mutate" => "POST",
        _ => "GET",
    };
    (
        StatusCode::METHOD_NOT_ALLOWED,
        [(header::ALLOW, allowed)],
        format!(
            "method {method} is not allowed on {}; use {allowed}\n",
            uri.path()
        ),
    )
        .into_response()
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    let mut missing: Vec<String> = state
        .readiness
        .missing()
        .into_iter()
        .map(String::from)
        .collect();
    if let Some(view) = &state.cluster {
        missing.extend(view.problems());
    }
    if missing.is_empty() {
        (StatusCode::OK, "ok").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {}", missing.join(", ")),
        )
            .into_response()
    }
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    if let Some(view) = &state.cluster {
        view.export(&state.metrics);
    }
    match state.metrics.encode() {
        Ok(text) => ([(header::CONTENT_TYPE, metrics::CONTENT_TYPE)], text).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("encoding metrics failed: {e}"),
        )
            .into_response(),
    }
}

#[derive(Debug, Clone, Copy)]
enum Endpoint {
    Validate,
    Mutate,
}

impl Endpoint {
    fn as_str(self) -> &'static str {
        match self {
            Endpoint::Validate => "validate",
            Endpoint::Mutate => "mutate",
        }
    }
}

// The whole request, not axum's `HeaderMap` extractor: that one clones every
// header of every review.
async fn validate(State(state): State<Arc<AppState>>, request: Request<Body>) -> Response {
    let (parts, body) = request.into_parts();
    admit(state, Endpoint::Validate, &parts.headers, body).await
}

async fn mutate(State(state): State<Arc<AppState>>, request: Request<Body>) -> Response {
    let (parts, body) = request.into_parts();
    admit(state, Endpoint::Mutate, &parts.headers, body).await
}

fn operation_str(op: &Operation) -> &'static str {
    match op {
        Operation::Create => "CREATE",
        Operation::Update => "UPDATE",
        Operation::Delete => "DELETE",
        Operation::Connect => "CONNECT",
    }
}

/// The shared path of both admission endpoints: read, decode, decide, encode, and
/// record the outcome in the metrics and the log. The log line carries what
/// identifies the review as fields of the event itself: a span per review, formatted
/// whether or not anything is logged in it, cost a seventh of the throughput.
async fn admit(
    state: Arc<AppState>,
    endpoint: Endpoint,
    headers: &HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let response = match decide(&state, endpoint, headers, body).await {
        Ok((request, decision)) => {
            state.metrics.admission(
                endpoint.as_str(),
                &request.kind.kind,
                operation_str(&request.operation),
                decision.response.allowed,
                &decision.findings,
            );
            // Denials at info; admissions at debug: a line per admitted review
            // costs a tenth of the throughput and says nothing new.
            macro_rules! answered {
                ($level:ident, $message:literal) => {
                    tracing::$level!(
                        endpoint = endpoint.as_str(),
                        uid = request.uid.as_str(),
                        kind = request.kind.kind.as_str(),
                        namespace = request.namespace.as_deref().unwrap_or(""),
                        name = request.name.as_str(),
                        operation = operation_str(&request.operation),
                        allowed = decision.response.allowed,
                        patched = decision.patched,
                        findings = decision.findings.len(),
                        $message
                    )
                };
            }
            if decision.response.allowed {
                answered!(debug, "admission request answered");
            } else {
                answered!(info, "admission request denied");
            }
            (
                [(header::CONTENT_TYPE, "application/json")],
                admission::encode(decision.response),
            )
                .into_response()
        }
        Err(e) => {
            let reason = match &e {
                Error::BadReview { reason, .. } => *reason,
                _ => BadReviewReason::InvalidField,
            };
            state.metrics.bad_request(endpoint.as_str(), reason);
            tracing::warn!(
                endpoint = endpoint.as_str(),
                reason = reason.as_str(),
                error = %e,
                "admission request refused"
            );
            (
                reason.status(),
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                format!("{e}\n"),
            )
                .into_response()
        }
    };
    state.metrics.duration(endpoint.as_str(), started.elapsed());
    response
}

async fn decide(
    state: &AppState,
    endpoint: Endpoint,
    headers: &HeaderMap,
    body: Body,
) -> Result<(Box<AdmissionRequest<ReviewObject>>, Decision), Error> {
    if let Err(e) = check_content_type(headers) {
        drain(body).await;
        return Err(e);
    }
    let bytes = read_body(headers, body, MAX_BODY_BYTES).await?;
    // Large bodies are decoded a few at a time: what decoding one may cost is
    // bounded (see `review_object`), what many at once cost is bounded here.
    let _large = if bytes.len() > LARGE_BODY_BYTES {
        Some(large_decodes().acquire().await)
    } else {
        None
    };
    // Boxed: the request (1.4 KB) is moved on through the handler, and every move of
    // it on the stack was a copy.
    let request = Box::new(admission::decode(&bytes)?);
    // A view that cannot be trusted right now is not used: the rules that need it
    // are skipped, as offline, and the response says why.
    let (cluster, problems) = match state.cluster.as_deref() {
        None => (None, Vec::new()),
        Some(view) => match view.problems() {
            p if p.is_empty() => (Some(view as &dyn ClusterState), p),
            p => (None, p),
        },
    };
    let mut decision = match endpoint {
        Endpoint::Validate => admission::validate(&request, &state.rules, cluster)?,
        Endpoint::Mutate => admission::mutate(&request, &state.rules, cluster)?,
    };
    admission::explain_skipped(&mut decision, &problems);
    Ok((request, decision))
}

/// The API server sends `application/json`. Another declared type is refused (415)
/// rather than guessed at; a request without one is read as JSON, as curl users
/// forget the header.
fn check_content_type(headers: &HeaderMap) -> Result<(), Error> {
    // The API server never compresses a review; a compressed body is not JSON to us
    // and gets the status that says so (415), not a parse error (400).
    if let Some(encoding) = headers.get(header::CONTENT_ENCODING) {
        let identity = encoding
            .to_str()
            .is_ok_and(|e| e.trim().eq_ignore_ascii_case("identity"));
        if !identity {
            return Err(Error::bad_review(
                BadReviewReason::UnsupportedMediaType,
                format!(
                    "content-encoding: {:?} is not supported; send the AdmissionReview \
                     uncompressed",
                    String::from_utf8_lossy(encoding.as_bytes())
                ),
            ));
        }
    }
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let essence = value
        .to_str()
        .ok()
        .and_then(|v| v.split(';').next())
        .map(str::trim);
    match essence {
        Some(t) if t.eq_ignore_ascii_case("application/json") => Ok(()),
        _ => Err(Error::bad_review(
            BadReviewReason::UnsupportedMediaType,
            format!(
                "content-type: {:?} is not supported; send the AdmissionReview as \
                 application/json",
                String::from_utf8_lossy(value.as_bytes())
            ),
        )),
    }
}

fn too_large() -> Error {
    Error::bad_review(
        BadReviewReason::TooLarge,
        format!(
            "request body exceeds the {} MiB limit (the API server's own limit for a request)",
            MAX_BODY_BYTES / (1024 * 1024)
        ),
    )
}

/// Reads at most `limit` bytes. Over the limit, the rest is read and discarded (within
/// bounds) so that the 413 reaches the client instead of a connection reset.
async fn read_body(headers: &HeaderMap, mut body: Body, limit: usize) -> Result<Bytes, Error> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        drain(body).await;
        return Err(too_large());
    }
    // A review usually arrives as one frame: that frame is the body, not copied.
    // Only a second frame starts a buffer.
    let mut first: Option<Bytes> = None;
    let mut buf: Vec<u8> = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            Error::bad_review(
                BadReviewReason::UnreadableBody,
                format!("request body could not be read: {e}"),
            )
        })?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        let held = first.as_ref().map_or(0, Bytes::len) + buf.len();
        if held + data.len() > limit {
            drain(body).await;
            return Err(too_large());
        }
        match first.take() {
            None if buf.is_empty() => first = Some(data),
            earlier => {
                if let Some(earlier) = earlier {
                    buf.reserve(declared.map_or(0, |n| n as usize).max(held + data.len()));
                    buf.extend_from_slice(&earlier);
                }
                buf.extend_from_slice(&data);
            }
        }
    }
    Ok(first.unwrap_or_else(|| Bytes::from(buf)))
}

async fn drain(mut body: Body) {
    let mut seen = 0usize;
    let _ = tokio::time::timeout(MAX_DRAIN_TIME, async {
        while let Some(Ok(frame)) = body.frame().await {
            if let Ok(data) = frame.into_data() {
                seen += data.len();
                if seen > MAX_DRAIN_BYTES {
                    break;
                }
            }
        }
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;
    use serde_json::{Value, json};
    use tower::ServiceExt;

    fn fixture(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/fixtures/admission")
            .join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn state() -> Arc<AppState> {
        let state = AppState {
            rules: RuleSettings::default(),
            cluster: None,
            metrics: Metrics::new(),
            readiness: Readiness::default(),
        };
        state.readiness.set_tls_loaded();
        state.readiness.set_cluster_synced();
        Arc::new(state)
    }

    async fn send(
        app: Router,
        method: &str,
        uri: &str,
        body: impl Into<Body>,
    ) -> (StatusCode, Vec<u8>) {
        let response = app
            .oneshot(
                Request::builder()
                    .method(method)
                    .uri(uri)
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(body.into())
                    .unwrap(),
            )
            .await
            .unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, bytes.to_vec())
    }

    async fn review(uri: &str, body: Vec<u8>) -> Value {
        let (status, bytes) = send(webhook_router(state()), "POST", uri, body).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&bytes)
        );
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn create_fixture_is_answered_with_uid_and_offline_warning() {
        let out = review("/validate", fixture("flinkdeployment-create.json")).await;
        assert_eq!(out["apiVersion"], "admission.k8s.io/v1");
        assert_eq!(out["kind"], "AdmissionReview");
        assert_eq!(
            out["response"]["uid"],
            "705ab4f5-6393-11e8-b7cc-42010a800002"
        );
        assert!(out["response"]["allowed"].is_boolean());
        let warnings = out["response"]["warnings"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(
            warnings
                .iter()
                .any(|w| w == flink_autoscale_rules::review::OFFLINE_NOTE),
            "{out}"
        );
    }

    #[tokio::test]
    async fn delete_with_null_object_is_allowed() {
        let out = review("/validate", fixture("flinkdeployment-delete.json")).await;
        assert_eq!(out["response"]["allowed"], true);
        assert_eq!(
            out["response"]["uid"],
            "a1b2c3d4-0000-4000-8000-000000000002"
        );
        assert!(out["response"].get("warnings").is_none());
    }

    #[tokio::test]
    async fn the_vpa_fixture_is_patched_on_mutate_and_admitted_on_validate() {
        let out = review("/validate", fixture("vpa-update.json")).await;
        assert_eq!(out["response"]["allowed"], true);
        assert_eq!(
            out["response"]["uid"],
            "a1b2c3d4-0000-4000-8000-000000000001"
        );
        assert!(out["response"].get("patch").is_none());

        let out = review("/mutate", fixture("vpa-update.json")).await;
        assert_eq!(out["response"]["allowed"], true);
        assert_eq!(
            out["response"]["uid"],
            "a1b2c3d4-0000-4000-8000-000000000001"
        );
        assert_eq!(out["response"]["patchType"], "JSONPatch");
        let patch = out["response"]["patch"].as_str().expect("base64 patch");
        let ops = decode_base64(patch);
        let ops: Value = serde_json::from_slice(&ops).expect("patch is JSON");
        assert_eq!(ops[0]["op"], "add");
        assert_eq!(ops[0]["path"], "/spec/resourcePolicy");
        assert_eq!(
            ops[0]["value"]["containerPolicies"][0]["controlledResources"],
            serde_json::json!(["memory"])
        );
        assert!(out["response"].get("warnings").is_none());
    }

    /// Standard base64, as the AdmissionResponse carries the patch.
    fn decode_base64(s: &str) -> Vec<u8> {
        let table = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = Vec::new();
        let (mut acc, mut bits) = (0u32, 0);
        for c in s.bytes().filter(|c| *c != b'=') {
            let v = table
                .iter()
                .position(|t| *t == c)
                .expect("base64 character") as u32;
            acc = (acc << 6) | v;
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
                acc &= (1 << bits) - 1;
            }
        }
        out
    }

    #[tokio::test]
    async fn mutate_allows_flink_deployments_without_patch() {
        let out = review("/mutate", fixture("flinkdeployment-create.json")).await;
        assert_eq!(out["response"]["allowed"], true);
        assert!(out["response"].get("patch").is_none());
        assert!(out["response"].get("patchType").is_none());
    }

    #[tokio::test]
    async fn malformed_input_is_400_with_a_specific_message() {
        let create: Value =
            serde_json::from_slice(&fixture("flinkdeployment-create.json")).unwrap();
        let with = |f: &dyn Fn(&mut Value)| {
            let mut v = create.clone();
            f(&mut v);
            serde_json::to_vec(&v).unwrap()
        };
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (
                b"{\"apiVersion\": ".to_vec(),
                "request body is not valid JSON",
            ),
            (Vec::new(), "request body is empty"),
            (
                with(&|v| v["apiVersion"] = json!("admission.k8s.io/v1beta1")),
                "apiVersion: \"admission.k8s.io/v1beta1\" is not supported",
            ),
            (
                with(&|v| {
                    v.as_object_mut().unwrap().remove("request");
                }),
                "request: missing",
            ),
            (
                with(&|v| v["request"]["object"] = json!(42)),
                "request.object: is a number",
            ),
            (
                with(&|v| v["request"]["uid"] = json!(7)),
                "request.uid: invalid type: integer `7`, expected a string",
            ),
        ];
        for uri in ["/validate", "/mutate"] {
            for (body, expected) in &cases {
                let (status, bytes) =
                    send(webhook_router(state()), "POST", uri, body.clone()).await;
                let text = String::from_utf8_lossy(&bytes);
                assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {text}");
                assert!(
                    text.starts_with(expected),
                    "{uri}: expected {expected:?}, got {text:?}"
                );
            }
        }
    }

    #[tokio::test]
    async fn oversized_body_is_413_with_or_without_content_length() {
        let big = vec![b' '; MAX_BODY_BYTES + 1];
        let (status, bytes) = send(webhook_router(state()), "POST", "/validate", big.clone()).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(String::from_utf8_lossy(&bytes).contains("3 MiB limit"));

        // Streamed without a length: the limit is enforced while reading, and the
        // rest is drained so the sender finishes.
        let (mut tx, channel) = http_body_util::Channel::<Bytes, std::io::Error>::new(4);
        let sender = tokio::spawn(async move {
            for chunk in big.chunks(64 * 1024) {
                if tx.send_data(Bytes::copy_from_slice(chunk)).await.is_err() {
                    return false;
                }
            }
            true
        });
        let (status, _) = send(
            webhook_router(state()),
            "POST",
            "/validate",
            Body::new(channel),
        )
        .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(sender.await.unwrap(), "the body was not drained");
    }

    #[tokio::test]
    async fn a_body_of_exactly_the_limit_is_read() {
        let mut body = fixture("flinkdeployment-delete.json");
        body.resize(MAX_BODY_BYTES, b' ');
        let out = review("/validate", body).await;
        assert_eq!(out["response"]["allowed"], true);
    }

    /// The first frame is kept as it came; from a second one on, frames are joined.
    #[tokio::test]
    async fn a_body_in_many_frames_is_joined_in_order() {
        let whole = fixture("flinkdeployment-create.json");
        for pieces in [1, 2, 3, 7] {
            let (mut tx, channel) = http_body_util::Channel::<Bytes, std::io::Error>::new(8);
            let size = whole.len().div_ceil(pieces);
            let chunks: Vec<Bytes> = whole.chunks(size).map(Bytes::copy_from_slice).collect();
            let sender = tokio::spawn(async move {
                for chunk in chunks {
                    tx.send_data(chunk).await.expect("the handler reads");
                }
            });
            let (status, bytes) = send(
                webhook_router(state()),
                "POST",
                "/validate",
                Body::new(channel),
            )
            .await;
            sender.await.expect("the sender finished");
            let out: Value = serde_json::from_slice(&bytes).expect("an AdmissionReview");
            assert_eq!(status, StatusCode::OK, "{pieces} frames: {out}");
            assert_eq!(out["response"]["allowed"], true, "{pieces} frames");
            assert_eq!(
                out["response"]["uid"],
                "705ab4f5-6393-11e8-b7cc-42010a800002"
            );
        }
    }

    #[tokio::test]
    async fn probes_and_metrics() {
        let state = state();
        let app = webhook_router(state.clone());
        let (status, body) = send(app.clone(), "GET", "/healthz", Body::empty()).await;
        assert_eq!(
            (status, body.as_slice()),
            (StatusCode::OK, b"ok".as_slice())
        );
        let (status, _) = send(app.clone(), "GET", "/readyz", Body::empty()).await;
        assert_eq!(status, StatusCode::OK);

        send(
            app.clone(),
            "POST",
            "/validate",
            fixture("flinkdeployment-create.json"),
        )
        .await;
        send(app.clone(), "POST", "/validate", b"nope".to_vec()).await;
        let (status, body) = send(app.clone(), "GET", "/metrics", Body::empty()).await;
        assert_eq!(status, StatusCode::OK);
        let text = String::from_utf8(body).unwrap();
        assert!(text.contains(r#"flink_guard_admission_requests_total{endpoint="validate",kind="FlinkDeployment",operation="CREATE""#), "{text}");
        assert!(
            text.contains(
                r#"flink_guard_bad_requests_total{endpoint="validate",reason="not_json"} 1"#
            ),
            "{text}"
        );
        assert!(
            text.contains(r#"flink_guard_admission_duration_seconds_count{endpoint="validate"} 2"#),
            "{text}"
        );

        state.readiness.set_shutting_down();
        let (status, body) = send(app, "GET", "/readyz", Body::empty()).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(String::from_utf8(body).unwrap(), "not ready: shutting down");
    }

    #[tokio::test]
    async fn not_ready_until_tls_is_loaded() {
        let state = Arc::new(AppState {
            rules: RuleSettings::default(),
            cluster: None,
            metrics: Metrics::new(),
            readiness: Readiness::default(),
        });
        state.readiness.set_cluster_synced();
        let (status, body) =
            send(admin_router(state.clone()), "GET", "/readyz", Body::empty()).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            String::from_utf8(body)
                .unwrap()
                .contains("TLS certificate not loaded")
        );
        state.readiness.set_tls_loaded();
        let (status, _) = send(admin_router(state), "GET", "/readyz", Body::empty()).await;
        assert_eq!(status, StatusCode::OK);
    }

    #[tokio::test]
    async fn admin_router_has_no_admission_endpoints() {
        let (status, _) = send(
            admin_router(state()),
            "POST",
            "/validate",
            fixture("vpa-update.json"),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn wrong_method_is_refused() {
        let (status, body) = send(webhook_router(state()), "GET", "/validate", Body::empty()).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(
            String::from_utf8_lossy(&body),
            "method GET is not allowed on /validate; use POST\n"
        );
        let (status, body) = send(admin_router(state()), "POST", "/readyz", Body::empty()).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert!(String::from_utf8_lossy(&body).contains("use GET"));
    }

    #[tokio::test]
    async fn unknown_paths_name_the_endpoints() {
        let (status, body) = send(webhook_router(state()), "POST", "/admit", Body::empty()).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let text = String::from_utf8_lossy(&body);
        assert!(
            text.starts_with("no such endpoint: /admit;") && text.contains("POST /validate"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn a_body_declared_as_another_type_is_415() {
        let response = webhook_router(state())
            .oneshot(
                Request::builder()
                    .method("POST")
                    .uri("/validate")
                    .header(header::CONTENT_TYPE, "text/plain")
                    .body(Body::from(fixture("flinkdeployment-create.json")))
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert!(
            String::from_utf8_lossy(&body)
                .starts_with("content-type: \"text/plain\" is not supported"),
            "{body:?}"
        );

        // Parameters and case do not matter; no header at all is read as JSON.
        for content_type in [Some("Application/JSON; charset=utf-8"), None] {
            let mut request = Request::builder().method("POST").uri("/validate");
            if let Some(t) = content_type {
                request = request.header(header::CONTENT_TYPE, t);
            }
            let response = webhook_router(state())
                .oneshot(
                    request
                        .body(Body::from(fixture("flinkdeployment-create.json")))
                        .unwrap(),
                )
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{content_type:?}");
        }
    }
}

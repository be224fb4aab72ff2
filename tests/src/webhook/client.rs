//! HTTPS clients for a webhook under test: they trust the given CAs and nothing else,
//! as the API server trusts only the webhook configuration's `caBundle`.

use serde_json::Value;
use std::time::{Duration, Instant};

/// A client builder (rustls, no built-in roots, 30 s per request) trusting `cas`.
pub fn client_trusting(cas: &[&[u8]]) -> reqwest::ClientBuilder {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .timeout(Duration::from_secs(30));
    for ca in cas {
        let ca = reqwest::Certificate::from_pem(ca).expect("the CA is PEM");
        builder = builder.add_root_certificate(ca);
    }
    builder
}

/// POSTs `body` as JSON; the status and the text of the answer.
pub async fn post(client: &reqwest::Client, url: &str, body: Vec<u8>) -> (u16, String) {
    let r = client
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {url}: the webhook does not answer: {e}"));
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

/// POSTs an AdmissionReview; the AdmissionReview answered (asserted 200 and JSON).
pub async fn review(client: &reqwest::Client, url: &str, body: &Value) -> Value {
    let body = serde_json::to_vec(body).expect("a JSON value serializes");
    let (status, text) = post(client, url, body).await;
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("response is not JSON ({e}): {text}"))
}

/// Polls `answer` until `accept` holds for it, for up to `within`: an online
/// webhook's reflectors see a change a moment after the API server stores it.
pub async fn eventually<F, Fut>(
    what: &str,
    within: Duration,
    mut answer: F,
    accept: impl Fn(&Value) -> bool,
) -> Value
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Value>,
{
    let deadline = Instant::now() + within;
    loop {
        let out = answer().await;
        if accept(&out) {
            return out;
        }
        assert!(Instant::now() < deadline, "{what}: last answer {out}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

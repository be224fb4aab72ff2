//! One webhook call over HTTPS, as kube-apiserver's webhook client makes it: the
//! address from `clientConfig.url` or `clientConfig.service` (the Service mapped to
//! a local address by the test), TLS trusting only `clientConfig.caBundle` and
//! checking the certificate against the URL's host (`NAME.NAMESPACE.svc` for a
//! Service), `?timeout=Ns` on the URL, the whole exchange bounded by
//! `timeoutSeconds`. Failures read as the Go client words them (`Post "URL": ...`)
//! because that is what kubectl users see inside `failed calling webhook`.

use base64::Engine;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use serde_json::Value;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Where a webhook is reached.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The URL as the API server would print it (with `?timeout=`).
    pub url: String,
    /// The host the certificate must name, also the `Host` header.
    pub host: String,
    pub port: u16,
    pub path_and_query: String,
    /// The local address to connect to, or why there is none.
    pub connect: Result<SocketAddr, String>,
}

/// `clientConfig` to an endpoint. `services` maps `NAMESPACE/NAME:PORT` to a
/// local address.
pub fn endpoint(
    client_config: &Value,
    timeout: Duration,
    services: &HashMap<String, SocketAddr>,
) -> Result<Endpoint, String> {
    let timeout_query = format!("timeout={}s", timeout.as_secs());
    if let Some(url) = client_config["url"].as_str() {
        let rest = url
            .strip_prefix("https://")
            .ok_or_else(|| format!("webhook URL {url:?} is not https"))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => (
                h.trim_matches(['[', ']']).to_string(),
                p.parse::<u16>()
                    .map_err(|_| format!("webhook URL {url:?} has a bad port"))?,
            ),
            _ => (authority.to_string(), 443),
        };
        let sep = if path.contains('?') { '&' } else { '?' };
        let path_and_query = format!("{path}{sep}{timeout_query}");
        let connect = std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port))
            .map_err(|e| format!("dial tcp: lookup {host}: {e}"))
            .and_then(|mut a| {
                a.next()
                    .ok_or_else(|| format!("dial tcp: lookup {host}: no such host"))
            });
        return Ok(Endpoint {
            url: format!("https://{authority}{path_and_query}"),
            host,
            port,
            path_and_query,
            connect,
        });
    }
    let service = &client_config["service"];
    let (Some(name), Some(namespace)) = (service["name"].as_str(), service["namespace"].as_str())
    else {
        return Err("clientConfig has neither url nor service".into());
    };
    let port = service["port"].as_u64().unwrap_or(443) as u16;
    let path = service["path"].as_str().unwrap_or("/");
    let host = format!("{name}.{namespace}.svc");
    let path_and_query = format!("{path}?{timeout_query}");
    let key = format!("{namespace}/{name}:{port}");
    let connect = services
        .get(&key)
        .copied()
        .ok_or_else(|| format!("no endpoints available for service \"{name}\""));
    Ok(Endpoint {
        url: format!("https://{host}:{port}{path_and_query}"),
        host,
        port,
        path_and_query,
        connect,
    })
}

/// The trust for one webhook: its caBundle (base64 of PEM in the object).
fn tls_config(ca_bundle: &Value) -> Result<Arc<rustls::ClientConfig>, String> {
    let mut roots = RootCertStore::empty();
    if let Some(b64) = ca_bundle.as_str() {
        let pem = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map_err(|e| format!("caBundle is not base64: {e}"))?;
        for cert in CertificateDer::pem_slice_iter(&pem) {
            let cert = cert.map_err(|e| format!("caBundle is not PEM: {e}"))?;
            roots
                .add(cert)
                .map_err(|e| format!("caBundle certificate: {e}"))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Why a call failed, in the Go client's words (without the `Post "URL": ` prefix
/// for transport errors, which [`post`] adds).
#[derive(Debug)]
pub enum CallError {
    /// Connecting, TLS, timeout: `Post "URL": REASON`.
    Transport(String),
    /// The server answered, but not with a review: a non-2xx code or no JSON.
    Response(String),
}

/// POSTs `review` and returns the decoded answer.
pub async fn post(
    endpoint: &Endpoint,
    ca_bundle: &Value,
    review: &Value,
    timeout: Duration,
) -> Result<Value, CallError> {
    let url = &endpoint.url;
    let transport = |reason: String| CallError::Transport(format!("Post \"{url}\": {reason}"));
    let exchange = async {
        let addr = endpoint.connect.clone().map_err(transport)?;
        let config = tls_config(ca_bundle).map_err(transport)?;
        let tcp = tokio::net::TcpStream::connect(addr).await.map_err(|e| {
            let reason = if e.kind() == std::io::ErrorKind::ConnectionRefused {
                "connect: connection refused".to_string()
            } else {
                e.to_string()
            };
            transport(format!("dial tcp {addr}: {reason}"))
        })?;
        let server_name = ServerName::try_from(endpoint.host.clone())
            .map_err(|e| transport(format!("invalid server name: {e}")))?;
        let tls = tokio_rustls::TlsConnector::from(config)
            .connect(server_name, tcp)
            .await
            .map_err(|e| transport(format!("tls: failed to verify certificate: {e}")))?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
                .await
                .map_err(|e| transport(e.to_string()))?;
        tokio::spawn(connection);
        let host = if endpoint.port == 443 {
            endpoint.host.clone()
        } else {
            format!("{}:{}", endpoint.host, endpoint.port)
        };
        let request = hyper::Request::post(&endpoint.path_and_query)
            .header(hyper::header::HOST, host)
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header(hyper::header::ACCEPT, "application/json, */*")
            .header(hyper::header::USER_AGENT, "kube-apiserver-admission")
            .body(Full::new(Bytes::from(review.to_string())))
            .map_err(|e| transport(e.to_string()))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| transport(e.to_string()))?;
        let code = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| transport(e.to_string()))?
            .to_bytes();
        if !(200..300).contains(&code) {
            return Err(CallError::Response(unsuccessful(code, &body)));
        }
        serde_json::from_slice::<Value>(&body).map_err(|e| {
            CallError::Response(format!("couldn't get version/kind; json parse error: {e}"))
        })
    };
    match tokio::time::timeout(timeout, exchange).await {
        Ok(result) => result,
        Err(_) => Err(transport("context deadline exceeded".into())),
    }
}

/// client-go's words for a non-2xx answer that is not a `Status`.
fn unsuccessful(code: u16, body: &[u8]) -> String {
    if let Ok(status) = serde_json::from_slice::<Value>(body)
        && status["kind"] == "Status"
        && let Some(message) = status["message"].as_str()
    {
        return message.to_string();
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    match code {
        404 => "the server could not find the requested resource".into(),
        400 => "the server rejected our request for an unknown reason".into(),
        500 => {
            format!("an error on the server ({text:?}) has prevented the request from succeeding")
        }
        _ => format!(
            "the server responded with the status code {code} but did not return more information"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn services_and_urls_become_endpoints() {
        let services = HashMap::from([(
            "guard/hook:443".to_string(),
            "127.0.0.1:9443".parse().unwrap(),
        )]);
        let t = Duration::from_secs(5);
        let svc = endpoint(&json!({"service": {"name": "hook", "namespace": "guard", "port": 443, "path": "/validate"}}), t, &services).unwrap();
        assert_eq!(svc.url, "https://hook.guard.svc:443/validate?timeout=5s");
        assert_eq!(svc.host, "hook.guard.svc");
        assert_eq!(svc.connect.unwrap().port(), 9443);
        let unmapped = endpoint(
            &json!({"service": {"name": "other", "namespace": "guard"}}),
            t,
            &services,
        )
        .unwrap();
        assert_eq!(
            unmapped.connect.unwrap_err(),
            "no endpoints available for service \"other\""
        );
        let url = endpoint(
            &json!({"url": "https://localhost:8443/mutate"}),
            t,
            &services,
        )
        .unwrap();
        assert_eq!((url.host.as_str(), url.port), ("localhost", 8443));
        assert_eq!(url.path_and_query, "/mutate?timeout=5s");
        assert!(endpoint(&json!({"url": "http://localhost/x"}), t, &services).is_err());
        assert!(endpoint(&json!({}), t, &services).is_err());
    }

    #[test]
    fn bad_ca_bundles_are_reported() {
        assert!(tls_config(&json!("not base64!")).is_err());
        assert!(tls_config(&Value::Null).is_ok());
    }
}

//! The baselines: HTTPS servers on the same stack as the webhook (axum on
//! axum-server, rustls with ring, ALPN h2 and http/1.1, an ECDSA P-256 certificate
//! from a throwaway CA, as `--dev` makes).
//!
//! - no-op: answers every POST with one fixed "allowed" AdmissionReview without
//!   reading the request. No correct webhook can reach it.
//! - parse-and-answer: reads the body, parses it into a JSON tree and echoes the
//!   review's uid, allowed: the least any correct webhook does. What the webhook
//!   costs on top of it is judging, and decoding into what the rules read.

use anyhow::Context;
use axum::Router;
use axum::body::Bytes;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum_server::accept::NoDelayAcceptor;
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::{Value, json};
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

const ALLOWED: &str = r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"00000000-0000-0000-0000-000000000000","allowed":true}}"#;

async fn allowed() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], ALLOWED)
}

/// The least a webhook does: parse the review, answer its uid.
async fn parse_and_answer(body: Bytes) -> Response {
    let Ok(review) = serde_json::from_slice::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "request body is not valid JSON\n").into_response();
    };
    let Some(uid) = review.pointer("/request/uid").and_then(Value::as_str) else {
        return (StatusCode::BAD_REQUEST, "request.uid: missing\n").into_response();
    };
    axum::Json(json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "response": {"uid": uid, "allowed": true}
    }))
    .into_response()
}

/// Which baseline to serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Baseline {
    NoOp,
    ParseAndAnswer,
}

/// Serves until killed. Prints `listening on https://ADDR` once bound, as the webhook
/// does, after writing the CA to `ca_out`.
pub fn serve(listen: SocketAddr, ca_out: &Path, baseline: Baseline) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let (ca_pem, cert_pem, key_pem) = certificate()?;
        std::fs::write(ca_out, ca_pem).with_context(|| format!("writing {}", ca_out.display()))?;
        let chain = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .context("parsing the generated certificate")?;
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
            .context("parsing the generated key")?;
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];

        let app = match baseline {
            Baseline::NoOp => Router::new()
                .route("/validate", post(allowed))
                .route("/mutate", post(allowed)),
            Baseline::ParseAndAnswer => Router::new()
                .route("/validate", post(parse_and_answer))
                .route("/mutate", post(parse_and_answer)),
        };
        let app = app
            .route("/readyz", get(|| async { "ok" }))
            .route("/healthz", get(|| async { "ok" }));
        let handle = axum_server::Handle::new();
        let acceptor = RustlsAcceptor::new(RustlsConfig::from_config(Arc::new(config)))
            .acceptor(NoDelayAcceptor::new());
        let server = axum_server::bind(listen)
            .acceptor(acceptor)
            .handle(handle.clone());
        let task = tokio::spawn(server.serve(app.into_make_service()));
        let addr = handle
            .listening()
            .await
            .with_context(|| format!("binding {listen}"))?;
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on https://{addr}")?;
        out.flush()?;
        drop(out);
        task.await.context("the server task failed")??;
        Ok(())
    })
}

/// A CA and a server certificate for localhost it signed, both ECDSA P-256 (rcgen's
/// default, as the webhook's `--dev`), as PEM: (CA, certificate, key).
fn certificate() -> anyhow::Result<(String, String, String)> {
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "no-op baseline CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)?;
    let mut params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".into()])?;
    params.is_ca = IsCa::ExplicitNoCa;
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate()?;
    let cert = params.signed_by(&key, &ca)?;
    Ok((ca.pem(), cert.pem(), key.serialize_pem()))
}

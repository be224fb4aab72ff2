//! `--dev`: a throwaway CA and a server certificate for the loopback names, made in
//! memory at start-up, so the webhook can be tried with one command. Only the CA
//! certificate is written out (for `curl --cacert`); its key never leaves the
//! process, so nothing else can be signed with it.

use crate::error::Error;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use std::net::SocketAddr;
use std::path::Path;
use time::{Duration, OffsetDateTime};

/// Names the development certificate is valid for.
pub const NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// PEM text of the generated material.
#[derive(Debug)]
pub struct DevCertificate {
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
}

/// Makes a CA and a server certificate it signed, valid from an hour ago (clock
/// skew) for 30 days: long enough for any dev session, short enough not to matter if
/// someone trusts the CA and forgets.
pub fn generate() -> Result<DevCertificate, Error> {
    let now = OffsetDateTime::now_utc();

    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "flink-autoscale-webhook development CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca_params.not_before = now - Duration::hours(1);
    ca_params.not_after = now + Duration::days(30);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)?;

    let mut params = CertificateParams::new(NAMES.map(String::from).to_vec())?;
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.not_before = now - Duration::hours(1);
    params.not_after = now + Duration::days(30);
    let key = KeyPair::generate()?;
    let cert = params.signed_by(&key, &ca)?;

    Ok(DevCertificate {
        ca_pem: ca.pem(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// Writes the CA certificate (public, so no special permissions).
pub fn write_ca(path: &Path, ca_pem: &str) -> Result<(), Error> {
    std::fs::write(path, ca_pem).map_err(|source| Error::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// What to tell the person who ran `--dev`: where the CA is and a request that works
/// when pasted into a shell.
pub fn instructions(ca_path: &Path, addr: SocketAddr) -> String {
    let host = if addr.ip().is_unspecified() || addr.ip().is_loopback() {
        "localhost".to_string()
    } else {
        addr.ip().to_string()
    };
    let ca = ca_path.display();
    format!(
        "Development mode: a throwaway CA signed this server's certificate for {names}.\n\
         CA certificate written to {ca}\n\
         Try it:\n  \
         curl --cacert {ca} -H 'Content-Type: application/json' \
         https://{host}:{port}/validate -d '{EXAMPLE_REVIEW}'\n",
        names = NAMES.join(", "),
        port = addr.port(),
    )
}

/// A small AdmissionReview for the curl example: a FlinkDeployment whose autoscaler
/// target utilization is out of range.
pub const EXAMPLE_REVIEW: &str = r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"dev-1","kind":{"group":"flink.apache.org","version":"v1beta1","kind":"FlinkDeployment"},"resource":{"group":"flink.apache.org","version":"v1beta1","resource":"flinkdeployments"},"name":"demo","namespace":"default","operation":"CREATE","userInfo":{},"object":{"apiVersion":"flink.apache.org/v1beta1","kind":"FlinkDeployment","metadata":{"name":"demo","namespace":"default"},"spec":{"flinkConfiguration":{"job.autoscaler.enabled":"true","job.autoscaler.utilization.target":"1.5"},"job":{"jarURI":"local:///opt/flink/examples/streaming/StateMachineExample.jar","upgradeMode":"last-state"}}}}}"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::{Pem, certified_key};

    #[test]
    fn generated_pair_loads_and_matches() {
        let dev = generate().unwrap();
        assert!(dev.ca_pem.contains("BEGIN CERTIFICATE"));
        let provider = rustls::crypto::ring::default_provider();
        let key = certified_key(
            Pem {
                name: "dev cert",
                bytes: dev.cert_pem.as_bytes(),
            },
            Pem {
                name: "dev key",
                bytes: dev.key_pem.as_bytes(),
            },
            &provider,
        )
        .unwrap();
        assert_eq!(key.cert.len(), 1);
        assert_ne!(dev.ca_pem, dev.cert_pem);
    }

    #[test]
    fn instructions_name_the_ca_and_a_reachable_url() {
        let text = instructions(Path::new("/tmp/ca.pem"), "0.0.0.0:8443".parse().unwrap());
        assert!(
            text.contains("CA certificate written to /tmp/ca.pem"),
            "{text}"
        );
        assert!(text.contains("curl --cacert /tmp/ca.pem"), "{text}");
        assert!(text.contains("https://localhost:8443/validate"), "{text}");
    }

    #[test]
    fn the_example_review_is_a_valid_admission_review() {
        let request = crate::admission::decode(EXAMPLE_REVIEW.as_bytes()).unwrap();
        assert_eq!(request.uid, "dev-1");
        // Single quotes would end the shell argument of the curl example.
        assert!(!EXAMPLE_REVIEW.contains('\''));
    }
}

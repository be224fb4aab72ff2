//! Certificates for a webhook under test: a CA of the test's own and server
//! certificates for localhost/127.0.0.1 it signs, with any validity (rotation and
//! expiry tests), as PEM the webhook reads from `--tls-cert`/`--tls-key`.

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use std::path::{Path, PathBuf};

/// A CA that signs server certificates.
pub struct TestCa {
    pub ca_pem: String,
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A CA and one server certificate it signed, valid now, as PEM.
pub struct Pki {
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
}

impl TestCa {
    /// A self-signed CA with `name` as its common name.
    pub fn new(name: &str) -> TestCa {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("no names is valid");
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate().expect("a key is generated");
        let issuer = CertifiedIssuer::self_signed(params, key).expect("the CA self-signs");
        TestCa {
            ca_pem: issuer.pem(),
            issuer,
        }
    }

    /// (certificate PEM, key PEM) for localhost and 127.0.0.1, valid from `from` to
    /// `to`.
    pub fn issue(&self, from: time::OffsetDateTime, to: time::OffsetDateTime) -> (String, String) {
        let mut params = self::server_params();
        params.not_before = from;
        params.not_after = to;
        self.sign(params)
    }

    /// (certificate PEM, key PEM) for localhost and 127.0.0.1 with rcgen's default
    /// validity.
    pub fn server_cert(&self) -> (String, String) {
        self.sign(server_params())
    }

    fn sign(&self, params: CertificateParams) -> (String, String) {
        let key = KeyPair::generate().expect("a key is generated");
        let cert = params.signed_by(&key, &self.issuer).expect("the CA signs");
        (cert.pem(), key.serialize_pem())
    }
}

fn server_params() -> CertificateParams {
    let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    let mut params = CertificateParams::new(names).expect("valid names");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params
}

impl Pki {
    /// A new CA named `ca_name` and a server certificate it signed.
    pub fn new(ca_name: &str) -> Pki {
        let ca = TestCa::new(ca_name);
        let (cert_pem, key_pem) = ca.server_cert();
        Pki {
            ca_pem: ca.ca_pem,
            cert_pem,
            key_pem,
        }
    }

    /// Writes the pair the way kubelet updates a Secret volume: a fresh directory
    /// `..TIMESTAMP.GENERATION`, then an atomic swap of the `..data` symlink that
    /// `tls.crt` and `tls.key` go through; their paths.
    pub fn write_secret_volume(&self, dir: &Path, generation: u32) -> (PathBuf, PathBuf) {
        let data = format!("..2026_11_24_10_00_00.{generation}");
        std::fs::create_dir(dir.join(&data)).expect("a fresh data directory");
        std::fs::write(dir.join(&data).join("tls.crt"), &self.cert_pem).expect("tls.crt");
        std::fs::write(dir.join(&data).join("tls.key"), &self.key_pem).expect("tls.key");
        let tmp = dir.join("..data_tmp");
        std::os::unix::fs::symlink(&data, &tmp).expect("the ..data_tmp link");
        std::fs::rename(&tmp, dir.join("..data")).expect("..data swapped");
        for name in ["tls.crt", "tls.key"] {
            let link = dir.join(name);
            if std::fs::symlink_metadata(&link).is_err() {
                std::os::unix::fs::symlink(format!("..data/{name}"), &link).expect("the file link");
            }
        }
        (dir.join("tls.crt"), dir.join("tls.key"))
    }
}

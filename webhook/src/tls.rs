//! Serving certificate: PEM parsing, the rustls resolver that hands out the current
//! certificate, and the reload loop.
//!
//! Kubelet updates a mounted Secret by writing a new timestamped directory and
//! swapping the `..data` symlink, so the files we were given are never written to and
//! an inotify watch on them misses rotations. Like cert-manager's webhook we poll:
//! read both files every interval, compare the bytes to what was last loaded, and swap
//! only when the new pair parses and the key matches the certificate. A bad pair
//! (or a half-finished rotation) is logged and the old certificate kept.

use crate::error::Error;
use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::{InconsistentKeys, ServerConfig};
use rustls_pki_types::pem::{self, PemObject, SectionKind};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

/// PEM bytes and the name to use for them in messages (a file path, or a note that
/// they were generated).
#[derive(Debug, Clone, Copy)]
pub struct Pem<'a> {
    pub name: &'a str,
    pub bytes: &'a [u8],
}

/// Parses a certificate chain and its private key and checks that they belong
/// together, so a mismatched pair is refused at load time rather than failing every
/// handshake.
pub fn certified_key(
    cert: Pem<'_>,
    key: Pem<'_>,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, Error> {
    let chain = parse_chain(cert)?;
    let (key_der, form) = parse_key(key)?;
    let signing_key = provider
        .key_provider
        .load_private_key(key_der)
        .map_err(|e| Error::TlsMaterial {
            source_name: key.name.to_string(),
            problem: format!("the {form} private key cannot be used: {e}"),
        })?;
    let certified = CertifiedKey::new(chain, signing_key);
    match certified.keys_match() {
        // Unknown: the key type cannot report its public key; rustls' own
        // `CertifiedKey::from_der` accepts that too.
        Ok(()) | Err(rustls::Error::InconsistentKeys(InconsistentKeys::Unknown)) => Ok(certified),
        Err(rustls::Error::InconsistentKeys(InconsistentKeys::KeyMismatch)) => {
            Err(Error::KeyMismatch {
                cert: cert.name.to_string(),
                key: key.name.to_string(),
                problem: "the key's public key differs from the certificate's; \
                          give the key the certificate was issued for"
                    .into(),
            })
        }
        Err(e) => Err(Error::TlsMaterial {
            source_name: cert.name.to_string(),
            problem: format!("the first certificate cannot be parsed: {e}"),
        }),
    }
}

fn parse_chain(cert: Pem<'_>) -> Result<Vec<CertificateDer<'static>>, Error> {
    let chain = CertificateDer::pem_slice_iter(cert.bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::TlsMaterial {
            source_name: cert.name.to_string(),
            problem: format!("not valid PEM: {e}"),
        })?;
    if !chain.is_empty() {
        return Ok(chain);
    }
    let problem = if is_blank(cert.bytes) {
        "the file is empty; expected a PEM certificate chain (-----BEGIN CERTIFICATE-----)".into()
    } else if has_private_key(cert.bytes) {
        "no certificate in file, only a private key (are --tls-cert and --tls-key swapped?)".into()
    } else {
        "no certificate in file; expected a PEM block -----BEGIN CERTIFICATE-----".to_string()
    };
    Err(Error::TlsMaterial {
        source_name: cert.name.to_string(),
        problem,
    })
}

/// The key and the name of its form, for messages.
fn parse_key(key: Pem<'_>) -> Result<(PrivateKeyDer<'static>, &'static str), Error> {
    let fail = |problem: String| Error::TlsMaterial {
        source_name: key.name.to_string(),
        problem,
    };
    match PrivateKeyDer::from_pem_slice(key.bytes) {
        Ok(der) => {
            let form = match &der {
                PrivateKeyDer::Pkcs1(_) => "PKCS#1 (RSA PRIVATE KEY)",
                PrivateKeyDer::Sec1(_) => "SEC1 (EC PRIVATE KEY)",
                PrivateKeyDer::Pkcs8(_) => "PKCS#8 (PRIVATE KEY)",
                _ => "private",
            };
            Ok((der, form))
        }
        Err(pem::Error::NoItemsFound) => Err(fail(if is_blank(key.bytes) {
            "the file is empty; expected a PEM private key".into()
        } else if contains(key.bytes, b"ENCRYPTED PRIVATE KEY") {
            "the private key is encrypted; give an unencrypted key".into()
        } else if has_certificate(key.bytes) {
            "no private key in file, only a certificate (are --tls-cert and --tls-key swapped?)"
                .into()
        } else {
            "no private key in file; expected a PEM block RSA PRIVATE KEY (PKCS#1), \
             PRIVATE KEY (PKCS#8) or EC PRIVATE KEY (SEC1)"
                .into()
        })),
        Err(e) => Err(fail(format!("not valid PEM: {e}"))),
    }
}

fn is_blank(bytes: &[u8]) -> bool {
    bytes.iter().all(u8::is_ascii_whitespace)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn sections(bytes: &[u8]) -> impl Iterator<Item = SectionKind> + '_ {
    <(SectionKind, Vec<u8>)>::pem_slice_iter(bytes)
        .map_while(Result::ok)
        .map(|(kind, _)| kind)
}

fn has_private_key(bytes: &[u8]) -> bool {
    sections(bytes).any(|k| {
        matches!(
            k,
            SectionKind::PrivateKey | SectionKind::RsaPrivateKey | SectionKind::EcPrivateKey
        )
    })
}

fn has_certificate(bytes: &[u8]) -> bool {
    sections(bytes).any(|k| k == SectionKind::Certificate)
}

/// The certificate handed to every new TLS connection. Connections already open
/// keep the certificate they were established with, so a swap drops nothing.
#[derive(Debug)]
pub struct CertStore {
    current: RwLock<Arc<CertifiedKey>>,
}

impl CertStore {
    pub fn new(key: CertifiedKey) -> Self {
        CertStore {
            current: RwLock::new(Arc::new(key)),
        }
    }

    pub fn current(&self) -> Arc<CertifiedKey> {
        // A writer cannot panic mid-swap (it only assigns an Arc), so a poisoned
        // lock still holds a whole certificate.
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn replace(&self, key: CertifiedKey) {
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(key);
    }
}

impl ResolvesServerCert for CertStore {
    fn resolve(&self, _client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

/// A rustls server configuration that asks `store` for the certificate on every
/// handshake. ALPN offers HTTP/2 and HTTP/1.1: the API server speaks either.
pub fn server_config(
    store: Arc<CertStore>,
    provider: Arc<CryptoProvider>,
) -> Result<ServerConfig, Error> {
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_cert_resolver(store);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// What one look at the files found.
#[derive(Debug)]
pub enum ReloadOutcome {
    /// Same bytes as the loaded pair (or as a pair already refused).
    Unchanged,
    /// A new pair was loaded and is now served.
    Reloaded,
    /// The files changed but cannot be used; the old certificate is still served.
    Refused(Error),
}

/// Watches a certificate/key file pair and swaps the served certificate when they
/// change.
#[derive(Debug)]
pub struct CertReloader {
    cert_path: PathBuf,
    key_path: PathBuf,
    store: Arc<CertStore>,
    provider: Arc<CryptoProvider>,
    /// Bytes of the pair being served.
    loaded: (Vec<u8>, Vec<u8>),
    /// Bytes of the last pair refused, so a bad pair is logged once, not every poll.
    refused: Option<(Vec<u8>, Vec<u8>)>,
}

impl CertReloader {
    /// Loads the pair for the first time. Unlike a reload, a failure here is fatal:
    /// there is nothing to serve.
    pub fn load(
        cert_path: &Path,
        key_path: &Path,
        provider: Arc<CryptoProvider>,
    ) -> Result<CertReloader, Error> {
        let (cert, key) = read_pair(cert_path, key_path)?;
        let certified = certified_key(
            pem_named(&cert, cert_path),
            pem_named(&key, key_path),
            &provider,
        )?;
        // At start there is nothing better to serve: say so loudly, and serve it (a
        // rotation fixes it without a restart).
        if let Some(problem) = validity_problem(&certified, time::OffsetDateTime::now_utc()) {
            tracing::error!(cert = %cert_path.display(), "{problem}");
        }
        Ok(CertReloader {
            cert_path: cert_path.to_path_buf(),
            key_path: key_path.to_path_buf(),
            store: Arc::new(CertStore::new(certified)),
            provider,
            loaded: (cert, key),
            refused: None,
        })
    }

    pub fn store(&self) -> Arc<CertStore> {
        self.store.clone()
    }

    /// Reads the files once and swaps the certificate if they hold a new, valid pair.
    pub fn poll(&mut self) -> ReloadOutcome {
        let pair = match read_pair(&self.cert_path, &self.key_path) {
            Ok(pair) => pair,
            // Mid-rotation a file may briefly be missing; keep serving and retry.
            Err(e) => return ReloadOutcome::Refused(e),
        };
        if pair == self.loaded || self.refused.as_ref() == Some(&pair) {
            return ReloadOutcome::Unchanged;
        }
        let loaded = certified_key(
            pem_named(&pair.0, &self.cert_path),
            pem_named(&pair.1, &self.key_path),
            &self.provider,
        );
        let loaded = loaded.and_then(|certified| {
            match validity_problem(&certified, time::OffsetDateTime::now_utc()) {
                None => Ok(certified),
                Some(problem) => Err(Error::TlsMaterial {
                    source_name: self.cert_path.display().to_string(),
                    problem,
                }),
            }
        });
        match loaded {
            Ok(certified) => {
                self.store.replace(certified);
                self.loaded = pair;
                self.refused = None;
                ReloadOutcome::Reloaded
            }
            Err(e) => {
                self.refused = Some(pair);
                ReloadOutcome::Refused(e)
            }
        }
    }

    /// Polls every `interval` until the task is dropped; `refused` is called for
    /// every pair that changed but was refused (for the metric).
    pub async fn run(mut self, interval: Duration, refused: impl Fn() + Send + 'static) {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker.tick().await; // the first tick is immediate; we just loaded
        loop {
            ticker.tick().await;
            // Reading two small files; blocking the worker for that is cheaper than a
            // hop to the blocking pool.
            match self.poll() {
                ReloadOutcome::Unchanged => {}
                ReloadOutcome::Reloaded => tracing::info!(
                    cert = %self.cert_path.display(),
                    key = %self.key_path.display(),
                    "serving certificate reloaded"
                ),
                ReloadOutcome::Refused(e) => {
                    refused();
                    tracing::error!(
                        error = %e,
                        "certificate files changed but cannot be used; still serving the previous certificate"
                    )
                }
            }
        }
    }
}

/// Why the served (first) certificate of `key` cannot be used at `now`: expired or
/// not yet valid. Swapping one in would fail every handshake, so a reload refuses it
/// and keeps the certificate that works.
pub fn validity_problem(key: &CertifiedKey, now: time::OffsetDateTime) -> Option<String> {
    let leaf = key.cert.first()?;
    let (_, cert) = x509_parser::parse_x509_certificate(leaf.as_ref()).ok()?;
    let validity = cert.validity();
    let (from, to) = (
        validity.not_before.to_datetime(),
        validity.not_after.to_datetime(),
    );
    if now < from {
        Some(format!(
            "the certificate is not valid yet (valid from {from} to {to}; now {now}); \
             check the issuer's clock, the previous certificate stays in use"
        ))
    } else if now > to {
        Some(format!(
            "the certificate expired (valid from {from} to {to}; now {now}); renew it, the \
             previous certificate stays in use"
        ))
    } else {
        None
    }
}

fn pem_named<'a>(bytes: &'a [u8], path: &'a Path) -> Pem<'a> {
    Pem {
        name: path.to_str().unwrap_or("<non-UTF-8 path>"),
        bytes,
    }
}

fn read_pair(cert: &Path, key: &Path) -> Result<(Vec<u8>, Vec<u8>), Error> {
    let read = |path: &Path| {
        std::fs::read(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })
    };
    Ok((read(cert)?, read(key)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{CertificateParams, KeyPair};
    use std::process::Command;

    fn provider() -> Arc<CryptoProvider> {
        Arc::new(rustls::crypto::ring::default_provider())
    }

    /// A self-signed certificate for localhost and its PKCS#8 key (rcgen's form).
    fn cert_and_key() -> (String, String, KeyPair) {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(vec!["localhost".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        (cert.pem(), key.serialize_pem(), key)
    }

    fn pem<'a>(name: &'a str, text: &'a str) -> Pem<'a> {
        Pem {
            name,
            bytes: text.as_bytes(),
        }
    }

    fn load(cert: &str, key: &str) -> Result<CertifiedKey, Error> {
        certified_key(pem("cert.pem", cert), pem("key.pem", key), &provider())
    }

    /// Re-encodes a PKCS#8 EC key as SEC1: the SEC1 `ECPrivateKey` is the content of
    /// PKCS#8's `privateKey` OCTET STRING. A minimal DER walk, enough for rcgen's
    /// P-256 keys.
    fn pkcs8_to_sec1_pem(key: &KeyPair) -> String {
        fn header(der: &[u8]) -> (u8, usize, usize) {
            let tag = der[0];
            let first = der[1] as usize;
            if first < 0x80 {
                (tag, 2, first)
            } else {
                let n = first & 0x7f;
                let len = der[2..2 + n]
                    .iter()
                    .fold(0usize, |a, b| (a << 8) | *b as usize);
                (tag, 2 + n, len)
            }
        }
        let der = key.serialize_der();
        let (tag, hdr, _) = header(&der);
        assert_eq!(tag, 0x30);
        let mut rest = &der[hdr..];
        // version INTEGER, algorithm SEQUENCE, then privateKey OCTET STRING
        for _ in 0..2 {
            let (_, h, l) = header(rest);
            rest = &rest[h + l..];
        }
        let (tag, h, l) = header(rest);
        assert_eq!(tag, 0x04);
        let sec1 = &rest[h..h + l];
        pem_encode("EC PRIVATE KEY", sec1)
    }

    fn pem_encode(label: &str, der: &[u8]) -> String {
        const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut b64 = String::new();
        for chunk in der.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
            for i in 0..4 {
                if i <= chunk.len() {
                    b64.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    b64.push('=');
                }
            }
        }
        let body: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!(
            "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
            body.join("\n")
        )
    }

    #[test]
    fn pkcs8_key_loads() {
        let (cert, key, _) = cert_and_key();
        assert!(key.contains("BEGIN PRIVATE KEY"));
        let certified = load(&cert, &key).unwrap();
        assert_eq!(certified.cert.len(), 1);
    }

    #[test]
    fn sec1_key_loads() {
        let (cert, _, key_pair) = cert_and_key();
        let sec1 = pkcs8_to_sec1_pem(&key_pair);
        assert!(sec1.contains("BEGIN EC PRIVATE KEY"));
        load(&cert, &sec1).unwrap();
    }

    /// cert-manager writes PKCS#1 RSA keys by default. rcgen cannot generate RSA keys
    /// with ring, so the openssl CLI makes one when it is installed.
    #[test]
    fn pkcs1_rsa_key_loads() {
        if Command::new("openssl").arg("version").output().is_err() {
            eprintln!("openssl CLI not installed: PKCS#1 covered by the label routing test only");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let key_path = dir.path().join("rsa.pem");
        let cert_path = dir.path().join("cert.pem");
        let status = Command::new("openssl")
            .args(["genrsa", "-traditional", "-out"])
            .arg(&key_path)
            .arg("2048")
            .output()
            .unwrap();
        assert!(status.status.success(), "{status:?}");
        let status = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-subj",
                "/CN=localhost",
                "-days",
                "1",
                "-key",
            ])
            .arg(&key_path)
            .arg("-out")
            .arg(&cert_path)
            .output()
            .unwrap();
        assert!(status.status.success(), "{status:?}");
        let key = std::fs::read_to_string(&key_path).unwrap();
        assert!(key.contains("BEGIN RSA PRIVATE KEY"), "{key}");
        let cert = std::fs::read_to_string(&cert_path).unwrap();
        load(&cert, &key).unwrap();
    }

    #[test]
    fn key_labels_route_to_their_form() {
        let garbage = |label: &str| pem_encode(label, &[0x30, 0x03, 0x02, 0x01, 0x00]);
        let (cert, _, _) = cert_and_key();
        for (label, form) in [
            ("RSA PRIVATE KEY", "PKCS#1"),
            ("PRIVATE KEY", "PKCS#8"),
            ("EC PRIVATE KEY", "SEC1"),
        ] {
            let err = load(&cert, &garbage(label)).unwrap_err().to_string();
            assert!(
                err.starts_with("key.pem: the ") && err.contains(form),
                "{label}: {err}"
            );
        }
    }

    #[test]
    fn mismatched_key_is_refused() {
        let (cert, _, _) = cert_and_key();
        let (_, other_key, _) = cert_and_key();
        let err = load(&cert, &other_key).unwrap_err();
        assert!(matches!(err, Error::KeyMismatch { .. }), "{err}");
        let msg = err.to_string();
        assert!(msg.contains("key.pem") && msg.contains("cert.pem"), "{msg}");
    }

    #[test]
    fn errors_name_the_file_and_the_problem() {
        let (cert, key, _) = cert_and_key();
        let cases = [
            (load("", &key), "cert.pem: the file is empty"),
            (
                load(&key, &key),
                "cert.pem: no certificate in file, only a private key",
            ),
            (load("hello", &key), "cert.pem: no certificate in file"),
            (load(&cert, ""), "key.pem: the file is empty"),
            (
                load(&cert, &cert),
                "key.pem: no private key in file, only a certificate",
            ),
            (
                load(
                    &cert,
                    "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
                ),
                "key.pem: the private key is encrypted",
            ),
            (
                load(&cert, "not a key"),
                "key.pem: no private key in file; expected",
            ),
            (
                load("-----BEGIN CERTIFICATE-----\nAAAA\n", &key),
                "cert.pem: not valid PEM",
            ),
        ];
        for (result, expected) in cases {
            let msg = result.unwrap_err().to_string();
            assert!(
                msg.starts_with(expected),
                "expected {expected:?}, got {msg:?}"
            );
        }
    }

    #[test]
    fn garbage_certificate_der_is_reported() {
        let (_, key, _) = cert_and_key();
        let bad = pem_encode("CERTIFICATE", b"not der");
        let msg = load(&bad, &key).unwrap_err().to_string();
        assert!(
            msg.starts_with("cert.pem: the first certificate cannot be parsed"),
            "{msg}"
        );
    }

    /// Writes a pair the way kubelet updates a Secret volume: into a fresh timestamped
    /// directory, then an atomic rename of a `..data` symlink onto it. `tls.crt` and
    /// `tls.key` are symlinks through `..data` and are never written themselves.
    struct SecretVolume {
        dir: tempfile::TempDir,
        generation: u32,
    }

    impl SecretVolume {
        fn new(cert: &str, key: &str) -> Self {
            let dir = tempfile::tempdir().unwrap();
            let mut volume = SecretVolume { dir, generation: 0 };
            volume.update(cert, key);
            for name in ["tls.crt", "tls.key"] {
                std::os::unix::fs::symlink(format!("..data/{name}"), volume.dir.path().join(name))
                    .unwrap();
            }
            volume
        }

        fn update(&mut self, cert: &str, key: &str) {
            self.generation += 1;
            let data = format!("..2026_11_24_10_00_00.{}", self.generation);
            let data_dir = self.dir.path().join(&data);
            std::fs::create_dir(&data_dir).unwrap();
            std::fs::write(data_dir.join("tls.crt"), cert).unwrap();
            std::fs::write(data_dir.join("tls.key"), key).unwrap();
            let tmp = self.dir.path().join("..data_tmp");
            std::os::unix::fs::symlink(&data, &tmp).unwrap();
            std::fs::rename(&tmp, self.dir.path().join("..data")).unwrap();
        }

        fn cert(&self) -> PathBuf {
            self.dir.path().join("tls.crt")
        }

        fn key(&self) -> PathBuf {
            self.dir.path().join("tls.key")
        }
    }

    #[test]
    fn rotation_through_a_data_symlink_swap_is_picked_up() {
        let (cert1, key1, _) = cert_and_key();
        let mut volume = SecretVolume::new(&cert1, &key1);
        let mut reloader = CertReloader::load(&volume.cert(), &volume.key(), provider()).unwrap();
        let store = reloader.store();
        let served = |store: &CertStore| store.current().cert[0].as_ref().to_vec();
        let first = served(&store);
        assert!(matches!(reloader.poll(), ReloadOutcome::Unchanged));

        let (cert2, key2, _) = cert_and_key();
        volume.update(&cert2, &key2);
        assert!(matches!(reloader.poll(), ReloadOutcome::Reloaded));
        let second = served(&store);
        assert_ne!(first, second);
        assert_eq!(
            second,
            CertificateDer::from_pem_slice(cert2.as_bytes())
                .unwrap()
                .as_ref()
        );
        assert!(matches!(reloader.poll(), ReloadOutcome::Unchanged));
    }

    #[test]
    fn a_mismatched_rotation_keeps_the_old_certificate_and_is_reported_once() {
        let (cert1, key1, _) = cert_and_key();
        let mut volume = SecretVolume::new(&cert1, &key1);
        let mut reloader = CertReloader::load(&volume.cert(), &volume.key(), provider()).unwrap();
        let store = reloader.store();
        let before = store.current().cert[0].as_ref().to_vec();

        let (cert2, _, _) = cert_and_key();
        volume.update(&cert2, &key1);
        assert!(matches!(
            reloader.poll(),
            ReloadOutcome::Refused(Error::KeyMismatch { .. })
        ));
        assert_eq!(store.current().cert[0].as_ref(), before.as_slice());
        assert!(matches!(reloader.poll(), ReloadOutcome::Unchanged));

        // The next good pair is taken.
        let (cert3, key3, _) = cert_and_key();
        volume.update(&cert3, &key3);
        assert!(matches!(reloader.poll(), ReloadOutcome::Reloaded));
        assert_ne!(store.current().cert[0].as_ref(), before.as_slice());
    }

    #[test]
    fn missing_files_are_refused_at_start_and_tolerated_on_reload() {
        let dir = tempfile::tempdir().unwrap();
        let err = CertReloader::load(
            &dir.path().join("nope.crt"),
            &dir.path().join("nope.key"),
            provider(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("nope.crt: cannot read"), "{err}");

        let (cert, key, _) = cert_and_key();
        let volume = SecretVolume::new(&cert, &key);
        let mut reloader = CertReloader::load(&volume.cert(), &volume.key(), provider()).unwrap();
        std::fs::remove_file(volume.dir.path().join("..data")).unwrap();
        assert!(matches!(
            reloader.poll(),
            ReloadOutcome::Refused(Error::Read { .. })
        ));
        assert_eq!(reloader.store().current().cert.len(), 1);
    }

    #[tokio::test]
    async fn the_reload_loop_swaps_after_a_rotation() {
        let (cert1, key1, _) = cert_and_key();
        let mut volume = SecretVolume::new(&cert1, &key1);
        let reloader = CertReloader::load(&volume.cert(), &volume.key(), provider()).unwrap();
        let store = reloader.store();
        let before = store.current().cert[0].as_ref().to_vec();
        let task = tokio::spawn(reloader.run(Duration::from_millis(20), || {}));

        let (cert2, key2, _) = cert_and_key();
        volume.update(&cert2, &key2);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while store.current().cert[0].as_ref() == before.as_slice() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no reload within 10 s"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        task.abort();
    }

    #[test]
    fn an_expired_or_future_rotation_is_refused_and_the_old_certificate_kept() {
        let (cert1, key1, _) = cert_and_key();
        let mut volume = SecretVolume::new(&cert1, &key1);
        let mut reloader = CertReloader::load(&volume.cert(), &volume.key(), provider()).unwrap();
        let before = reloader.store().current().cert[0].as_ref().to_vec();
        let now = time::OffsetDateTime::now_utc();
        for (from, to, expected) in [
            (
                now - time::Duration::days(10),
                now - time::Duration::days(1),
                "expired",
            ),
            (
                now + time::Duration::days(1),
                now + time::Duration::days(10),
                "not valid yet",
            ),
        ] {
            let key = KeyPair::generate().unwrap();
            let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
            params.not_before = from;
            params.not_after = to;
            let cert = params.self_signed(&key).unwrap();
            volume.update(&cert.pem(), &key.serialize_pem());
            match reloader.poll() {
                ReloadOutcome::Refused(e) => {
                    assert!(e.to_string().contains(expected), "{e}");
                }
                other => panic!("expected a refusal, got {other:?}"),
            }
            assert_eq!(
                reloader.store().current().cert[0].as_ref(),
                before.as_slice()
            );
        }
    }

    #[test]
    fn server_config_uses_the_store_and_offers_h2() {
        let (cert, key, _) = cert_and_key();
        let store = Arc::new(CertStore::new(load(&cert, &key).unwrap()));
        let config = server_config(store, provider()).unwrap();
        assert_eq!(
            config.alpn_protocols,
            vec![b"h2".to_vec(), b"http/1.1".to_vec()]
        );
    }
}

//! `flink-autoscale-webhook certs`: a CA and a serving certificate it signed for the
//! webhook's Service, for clusters without cert-manager. The API server dials the
//! webhook as `<service>.<namespace>.svc` and trusts only the `caBundle` of the
//! webhook configuration, so the files are: `ca.crt` (the caBundle), `tls.crt` and
//! `tls.key` (the Secret the chart mounts), and `ca.key` when the CA was made here,
//! needed only to issue the next serving certificate.
//!
//! Making the certificates is pure (`generate_ca`, `load_ca`, `issue_serving`,
//! `verify_serving`); `write_files` and `run` do the file work.

use crate::cli::CertsArgs;
use crate::error::Error;
use crate::tls::Pem;
use base64::Engine;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, PublicKeyData,
};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::ServerCertVerifier;
use rustls_pki_types::pem::{self, PemObject, SectionKind};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use std::borrow::Cow;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// Certificates are valid from an hour before they were made, so that an API server
/// whose clock is a little behind ours accepts them at once.
const CLOCK_SKEW: Duration = Duration::hours(1);

/// X.509's upper bound for a common name (RFC 5280, ub-common-name).
const MAX_COMMON_NAME: usize = 64;

/// The file names the chart and certs/README.md expect.
pub const CA_CERT: &str = "ca.crt";
pub const CA_KEY: &str = "ca.key";
pub const TLS_CERT: &str = "tls.crt";
pub const TLS_KEY: &str = "tls.key";

/// What the serving certificate is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServingCertificateSpec {
    pub service: String,
    pub namespace: String,
    pub cluster_domain: String,
    /// `--dns`: more DNS names or IP addresses.
    pub extra_names: Vec<String>,
    pub days: u32,
}

impl ServingCertificateSpec {
    pub fn from_args(args: &CertsArgs) -> Self {
        ServingCertificateSpec {
            service: args.service.clone(),
            namespace: args.namespace.clone(),
            cluster_domain: args.cluster_domain.clone(),
            extra_names: args.dns.clone(),
            days: args.days,
        }
    }

    /// The name the API server dials for a webhook configuration's `service`.
    pub fn service_host(&self) -> String {
        format!("{}.{}.svc", self.service, self.namespace)
    }

    /// Every name a client in the cluster may use for the Service (the API server uses
    /// `service_host`), then the `--dns` names, without repeats.
    pub fn names(&self) -> Vec<String> {
        let host = self.service_host();
        let mut names = vec![
            self.service.clone(),
            format!("{}.{}", self.service, self.namespace),
            host.clone(),
            format!("{host}.{}", self.cluster_domain),
        ];
        for extra in &self.extra_names {
            if !names.contains(extra) {
                names.push(extra.clone());
            }
        }
        names
    }

    fn not_after(&self, now: OffsetDateTime) -> OffsetDateTime {
        now + Duration::days(i64::from(self.days))
    }
}

/// The CA that signs the serving certificate: made here, or read from `--ca-cert`
/// and `--ca-key`.
pub struct SigningCa {
    /// PEM of the CA certificate(s), as written to `ca.crt`.
    pub cert_pem: String,
    /// PEM (PKCS#8) of the CA's key when it was made here; `None` when it came from
    /// a file, which stays where it is.
    pub key_pem: Option<String>,
    pub not_after: OffsetDateTime,
    issuer: Issuer<'static, KeyPair>,
}

impl std::fmt::Debug for SigningCa {
    /// Leaves the key out.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningCa")
            .field("not_after", &self.not_after)
            .field("generated", &self.key_pem.is_some())
            .finish_non_exhaustive()
    }
}

/// The serving certificate and its key, as PEM.
#[derive(Debug)]
pub struct ServingCertificate {
    pub cert_pem: String,
    /// PKCS#8 (`PRIVATE KEY`), which every consumer reads.
    pub key_pem: String,
    pub names: Vec<String>,
    pub not_after: OffsetDateTime,
}

fn generation_error(what: &'static str) -> impl Fn(rcgen::Error) -> Error {
    move |e| Error::TlsMaterial {
        source_name: format!("generating the {what}"),
        problem: e.to_string(),
    }
}

/// A new CA with an ECDSA P-256 key: it may sign end-entity certificates only
/// (path length 0), for `days` days.
pub fn generate_ca(common_name: &str, days: u32, now: OffsetDateTime) -> Result<SigningCa, Error> {
    let fail = generation_error("CA certificate");
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(&fail)?;
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = now - CLOCK_SKEW;
    params.not_after = now + Duration::days(i64::from(days));
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(&fail)?;
    let cert = params.self_signed(&key).map_err(&fail)?;
    Ok(SigningCa {
        cert_pem: cert.pem(),
        key_pem: Some(key.serialize_pem()),
        not_after: params.not_after,
        issuer: Issuer::new(params, key),
    })
}

/// Reads an existing CA: the first certificate of `cert` must be a CA, valid now, and
/// `key` must be its key, so that what we sign verifies against what we write to
/// `ca.crt`.
pub fn load_ca(cert: Pem<'_>, key: Pem<'_>, now: OffsetDateTime) -> Result<SigningCa, Error> {
    let cert_error = |problem: String| Error::TlsMaterial {
        source_name: cert.name.to_string(),
        problem,
    };
    let chain = CertificateDer::pem_slice_iter(cert.bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| cert_error(format!("not valid PEM: {e}")))?;
    let Some(ca_der) = chain.first() else {
        return Err(cert_error(if has_section(cert.bytes, is_private_key) {
            "no certificate in file, only a private key (are --ca-cert and --ca-key swapped?)"
                .into()
        } else {
            "no certificate in file; --ca-cert takes the CA's PEM certificate \
             (-----BEGIN CERTIFICATE-----)"
                .into()
        }));
    };
    let (_, x509) = x509_parser::parse_x509_certificate(ca_der)
        .map_err(|e| cert_error(format!("the first certificate cannot be parsed: {e}")))?;
    if !x509.is_ca() {
        return Err(cert_error(
            "not a CA certificate (its basicConstraints do not say CA:TRUE); --ca-cert takes \
             the CA that is to sign the serving certificate"
                .into(),
        ));
    }
    if let Ok(Some(usage)) = x509.key_usage()
        && !usage.value.key_cert_sign()
    {
        return Err(cert_error(
            "the CA certificate's keyUsage does not allow signing certificates (keyCertSign)"
                .into(),
        ));
    }
    let not_before = x509.validity().not_before.to_datetime();
    let not_after = x509.validity().not_after.to_datetime();
    if not_after <= now {
        return Err(cert_error(format!(
            "the CA certificate expired on {}; make a new CA (leave out --ca-cert and --ca-key)",
            date(not_after)
        )));
    }
    if not_before > now {
        return Err(cert_error(format!(
            "the CA certificate is not valid before {} (is this machine's clock right?)",
            date(not_before)
        )));
    }
    let key_pair = load_ca_key(key)?;
    if key_pair.subject_public_key_info() != x509.public_key().raw {
        return Err(Error::KeyMismatch {
            cert: cert.name.to_string(),
            key: key.name.to_string(),
            problem: "the key's public key differs from the CA certificate's; give --ca-key the \
                      key of the CA in --ca-cert"
                .into(),
        });
    }
    let issuer = Issuer::from_ca_cert_der(ca_der, key_pair)
        .map_err(|e| cert_error(format!("cannot sign with this CA: {e}")))?;
    Ok(SigningCa {
        cert_pem: certificates_pem(&chain),
        key_pem: None,
        not_after,
        issuer,
    })
}

/// The CA's key as rcgen can sign with it: with the ring backend, PKCS#8 only.
fn load_ca_key(key: Pem<'_>) -> Result<KeyPair, Error> {
    let key_error = |problem: String| Error::TlsMaterial {
        source_name: key.name.to_string(),
        problem,
    };
    let convert = format!(
        "convert it with: openssl pkcs8 -topk8 -nocrypt -in {} -out ca-pkcs8.key",
        shell_word(key.name)
    );
    match PrivateKeyDer::from_pem_slice(key.bytes) {
        Ok(PrivateKeyDer::Pkcs8(der)) => KeyPair::try_from(&der)
            .map_err(|e| key_error(format!("the PKCS#8 key cannot sign certificates: {e}"))),
        Ok(PrivateKeyDer::Pkcs1(_)) => Err(key_error(format!(
            "a PKCS#1 key (RSA PRIVATE KEY); --ca-key takes PKCS#8 (PRIVATE KEY): {convert}"
        ))),
        Ok(PrivateKeyDer::Sec1(_)) => Err(key_error(format!(
            "a SEC1 key (EC PRIVATE KEY); --ca-key takes PKCS#8 (PRIVATE KEY): {convert}"
        ))),
        Ok(_) => Err(key_error(format!(
            "an unsupported kind of key; --ca-key takes PKCS#8 (PRIVATE KEY): {convert}"
        ))),
        Err(pem::Error::NoItemsFound) => Err(key_error(
            if String::from_utf8_lossy(key.bytes).contains("ENCRYPTED PRIVATE KEY") {
                format!(
                    "the key is encrypted; give it unencrypted: openssl pkcs8 -in {} -out \
                     ca-pkcs8.key",
                    shell_word(key.name)
                )
            } else if has_section(key.bytes, |k| k == SectionKind::Certificate) {
                "no private key in file, only a certificate (are --ca-cert and --ca-key \
                 swapped?)"
                    .into()
            } else {
                "no private key in file; --ca-key takes the CA's PEM key (-----BEGIN PRIVATE \
                 KEY-----)"
                    .into()
            },
        )),
        Err(e) => Err(key_error(format!("not valid PEM: {e}"))),
    }
}

fn is_private_key(kind: SectionKind) -> bool {
    matches!(
        kind,
        SectionKind::PrivateKey | SectionKind::RsaPrivateKey | SectionKind::EcPrivateKey
    )
}

fn has_section(bytes: &[u8], wanted: impl Fn(SectionKind) -> bool) -> bool {
    <(SectionKind, Vec<u8>)>::pem_slice_iter(bytes)
        .map_while(Result::ok)
        .any(|(kind, _)| wanted(kind))
}

/// Only the certificates of a file go to `ca.crt`, which ends up in the cluster:
/// anything else in it (a key, say) stays behind.
fn certificates_pem(chain: &[CertificateDer<'_>]) -> String {
    let mut out = String::new();
    for der in chain {
        let b64 = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
        out.push_str("-----BEGIN CERTIFICATE-----\n");
        for line in b64.as_bytes().chunks(64) {
            out.push_str(&String::from_utf8_lossy(line));
            out.push('\n');
        }
        out.push_str("-----END CERTIFICATE-----\n");
    }
    out
}

/// The serving certificate: ECDSA P-256, `serverAuth`, every name of
/// `spec.names()`, signed by `ca`.
pub fn issue_serving(
    spec: &ServingCertificateSpec,
    ca: &SigningCa,
    now: OffsetDateTime,
) -> Result<ServingCertificate, Error> {
    let fail = generation_error("serving certificate");
    let names = spec.names();
    let mut params = CertificateParams::new(names.clone()).map_err(&fail)?;
    let host = spec.service_host();
    let common_name = if host.len() <= MAX_COMMON_NAME {
        host
    } else {
        spec.service.clone()
    };
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    params.not_before = now - CLOCK_SKEW;
    params.not_after = spec.not_after(now);
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(&fail)?;
    let cert = params.signed_by(&key, &ca.issuer).map_err(&fail)?;
    Ok(ServingCertificate {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        names,
        not_after: params.not_after,
    })
}

/// Checks the serving certificate as a TLS client trusting only `ca_pem` would (as
/// the API server does with the caBundle) when dialing `host` at `now`.
pub fn verify_serving(
    ca_pem: &str,
    cert_pem: &str,
    host: &str,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let fail = |problem: String| Error::TlsMaterial {
        source_name: format!("checking the serving certificate for {host}"),
        problem,
    };
    let mut roots = rustls::RootCertStore::empty();
    for ca in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        let ca = ca.map_err(|e| fail(format!("CA certificate: {e}")))?;
        roots
            .add(ca)
            .map_err(|e| fail(format!("CA certificate: {e}")))?;
    }
    let leaf = CertificateDer::from_pem_slice(cert_pem.as_bytes())
        .map_err(|e| fail(format!("serving certificate: {e}")))?;
    let verifier = WebPkiServerVerifier::builder_with_provider(
        Arc::new(roots),
        Arc::new(rustls::crypto::ring::default_provider()),
    )
    .build()
    .map_err(|e| fail(e.to_string()))?;
    let name = ServerName::try_from(host.to_string()).map_err(|e| fail(e.to_string()))?;
    let seconds = u64::try_from(now.unix_timestamp()).unwrap_or(0);
    let now = UnixTime::since_unix_epoch(std::time::Duration::from_secs(seconds));
    verifier
        .verify_server_cert(&leaf, &[], &name, &[], now)
        .map_err(|e| fail(e.to_string()))?;
    Ok(())
}

/// One file to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    pub name: &'static str,
    pub contents: String,
    /// Keys: mode 0600.
    pub private: bool,
}

/// `ca.crt`, `ca.key` (when the CA was made here), `tls.crt`, `tls.key`.
pub fn output_files(ca: &SigningCa, serving: &ServingCertificate) -> Vec<OutputFile> {
    let mut files = vec![OutputFile {
        name: CA_CERT,
        contents: ca.cert_pem.clone(),
        private: false,
    }];
    if let Some(key) = &ca.key_pem {
        files.push(OutputFile {
            name: CA_KEY,
            contents: key.clone(),
            private: true,
        });
    }
    files.push(OutputFile {
        name: TLS_CERT,
        contents: serving.cert_pem.clone(),
        private: false,
    });
    files.push(OutputFile {
        name: TLS_KEY,
        contents: serving.key_pem.clone(),
        private: true,
    });
    files
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    Created,
    Replaced,
    /// Already there with these very contents (e.g. `ca.crt` when `--ca-cert` is
    /// that file), so not a conflict.
    Unchanged,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub name: &'static str,
    pub path: PathBuf,
    pub outcome: WriteOutcome,
}

/// Writes `files` into `dir` (created if missing). Without `force`, nothing is
/// written when any file with other contents is already there, so an earlier CA and
/// its key are never lost half-way.
pub fn write_files(dir: &Path, files: &[OutputFile], force: bool) -> Result<Vec<Written>, Error> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut plan = Vec::with_capacity(files.len());
    for file in files {
        let path = dir.join(file.name);
        let outcome = match std::fs::read(&path) {
            Ok(existing) if existing == file.contents.as_bytes() => WriteOutcome::Unchanged,
            Ok(_) => WriteOutcome::Replaced,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => WriteOutcome::Created,
            Err(source) => return Err(Error::Read { path, source }),
        };
        plan.push((file, path, outcome));
    }
    let existing: Vec<&str> = plan
        .iter()
        .filter(|(_, _, outcome)| *outcome == WriteOutcome::Replaced)
        .map(|(file, _, _)| file.name)
        .collect();
    if !force && !existing.is_empty() {
        let (list, verb) = match existing.as_slice() {
            [one] => (one.to_string(), "exists"),
            [init @ .., last] => (format!("{} and {last}", init.join(", ")), "exist"),
            [] => (String::new(), "exist"),
        };
        return Err(Error::Write {
            path: dir.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!(
                    "{list} already {verb} there; nothing was written (give --force to \
                     replace them, or another --out)"
                ),
            ),
        });
    }
    let mut written = Vec::with_capacity(plan.len());
    for (file, path, outcome) in plan {
        if outcome != WriteOutcome::Unchanged {
            write_file(&path, file, outcome == WriteOutcome::Replaced)?;
        }
        written.push(Written {
            name: file.name,
            path,
            outcome,
        });
    }
    Ok(written)
}

/// Creates the file with its final mode, so a key is never readable by others even
/// for a moment; a file being replaced is removed first, since the mode only applies
/// to a new file.
fn write_file(path: &Path, file: &OutputFile, replace: bool) -> Result<(), Error> {
    let fail = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    if replace {
        std::fs::remove_file(path).map_err(fail)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if file.private { 0o600 } else { 0o644 });
    }
    let mut out = options.open(path).map_err(fail)?;
    out.write_all(file.contents.as_bytes()).map_err(fail)?;
    out.sync_all().map_err(fail)
}

/// Makes the certificates `args` ask for, writes them, and returns what to tell the
/// person who ran the command.
pub fn run(args: &CertsArgs) -> Result<String, Error> {
    let now = OffsetDateTime::now_utc();
    let spec = ServingCertificateSpec::from_args(args);
    let ca = match args.ca_cert.as_deref().zip(args.ca_key.as_deref()) {
        Some((cert_path, key_path)) => {
            let cert = read(cert_path)?;
            let key = read(key_path)?;
            load_ca(
                Pem {
                    name: &cert_path.display().to_string(),
                    bytes: &cert,
                },
                Pem {
                    name: &key_path.display().to_string(),
                    bytes: &key,
                },
                now,
            )?
        }
        None => generate_ca(&ca_common_name(&spec.service), args.ca_days(), now)?,
    };
    let serving = issue_serving(&spec, &ca, now)?;
    verify_serving(&ca.cert_pem, &serving.cert_pem, &spec.service_host(), now)?;
    let written = write_files(&args.out, &output_files(&ca, &serving), args.force)?;
    Ok(summary(args, &spec, &ca, &serving, &written))
}

fn read(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// `<service>-ca`, as certs/gen-certs.sh names it, within X.509's length limit.
fn ca_common_name(service: &str) -> String {
    let name = format!("{service}-ca");
    if name.len() <= MAX_COMMON_NAME {
        name
    } else {
        "flink-autoscale-webhook-ca".into()
    }
}

/// What was written and how to hand it to the chart (charts/flink-autoscale-webhook:
/// `tls.crt`, `tls.key`, `caBundle`, or `tls.existingSecret`).
pub fn summary(
    args: &CertsArgs,
    spec: &ServingCertificateSpec,
    ca: &SigningCa,
    serving: &ServingCertificate,
    written: &[Written],
) -> String {
    let mut out = format!(
        "Certificates for Service {service} in namespace {namespace}:\n",
        service = spec.service,
        namespace = spec.namespace,
    );
    let path_of = |name: &str| args.out.join(name).display().to_string();
    for file in written {
        let what = match file.name {
            CA_CERT => match &args.ca_cert {
                Some(from) => format!(
                    "the CA certificate from {}: the caBundle of both webhook configurations",
                    from.display()
                ),
                None => format!(
                    "the CA certificate, valid until {}: the caBundle of both webhook \
                     configurations",
                    date(ca.not_after)
                ),
            },
            CA_KEY => "the CA's private key: needed only to issue the next serving \
                       certificate; keep it out of the cluster and out of git"
                .to_string(),
            TLS_CERT => format!(
                "the serving certificate, valid until {}, for {}",
                date(serving.not_after),
                serving.names.join(", ")
            ),
            TLS_KEY => "its private key (PKCS#8)".to_string(),
            other => other.to_string(),
        };
        let outcome = match file.outcome {
            WriteOutcome::Created => "",
            WriteOutcome::Replaced => " (replaced)",
            WriteOutcome::Unchanged => " (unchanged)",
        };
        out.push_str(&format!(
            "  {path}{outcome}\n      {what}\n",
            path = file.path.display()
        ));
    }
    if let Some(key) = &args.ca_key {
        out.push_str(&format!(
            "  no {CA_KEY}: the CA's key stays in {}\n",
            key.display()
        ));
    }
    if ca.not_after < serving.not_after {
        out.push_str(&format!(
            "Note: the CA expires on {}, before the serving certificate: the API server stops \
             trusting the webhook then.\n",
            date(ca.not_after)
        ));
    }

    let namespace = &spec.namespace;
    let release = &spec.service;
    let secret = format!("{release}-tls");
    let (tls_crt, tls_key, ca_crt) = (
        shell_word(&path_of(TLS_CERT)).into_owned(),
        shell_word(&path_of(TLS_KEY)).into_owned(),
        shell_word(&path_of(CA_CERT)).into_owned(),
    );
    // The chart names its Service after the release when the release name contains
    // the chart's name, else `<release>-flink-autoscale-webhook`.
    let full_name = if release.contains("flink-autoscale-webhook") {
        String::new()
    } else {
        format!("    --set fullnameOverride={release} \\\n")
    };
    let helm = format!(
        "  helm upgrade --install {release} charts/flink-autoscale-webhook \\\n    \
         -n {namespace} --create-namespace \\\n{full_name}    \
         --set certManager.enabled=false \\\n"
    );
    out.push_str(&format!(
        "\nInstall the webhook with them (from the repository's root; the chart makes the \
         Secret):\n{helm}    \
         --set-file tls.crt={tls_crt} \\\n    \
         --set-file tls.key={tls_key} \\\n    \
         --set-file caBundle={ca_crt}\n\
         \nor keep the key in a Secret of your own:\n  \
         kubectl create namespace {namespace}   # unless it exists\n  \
         kubectl -n {namespace} create secret tls {secret} \\\n    \
         --cert={tls_crt} --key={tls_key}\n\
         {helm}    \
         --set tls.existingSecret={secret} \\\n    \
         --set-file caBundle={ca_crt}\n"
    ));
    out
}

/// `YYYY-MM-DD`, in UTC.
fn date(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
}

/// `s` as one shell word, quoted only when it needs to be, so the printed commands
/// can be pasted.
fn shell_word(s: &str) -> Cow<'_, str> {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(format!("'{}'", s.replace('\'', r"'\''")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_parser::extensions::GeneralName;
    use x509_parser::prelude::{FromDer, X509Certificate};

    fn spec() -> ServingCertificateSpec {
        ServingCertificateSpec {
            service: "guard".into(),
            namespace: "ops".into(),
            cluster_domain: "cluster.local".into(),
            extra_names: vec!["guard.example.com".into(), "10.0.0.7".into()],
            days: 30,
        }
    }

    fn now() -> OffsetDateTime {
        // A fixed instant, so validity dates are exact.
        OffsetDateTime::from_unix_timestamp(1_767_225_600).unwrap() // 2026-01-01T00:00Z
    }

    fn pair() -> (SigningCa, ServingCertificate) {
        let ca = generate_ca("guard-ca", 30, now()).unwrap();
        let serving = issue_serving(&spec(), &ca, now()).unwrap();
        (ca, serving)
    }

    fn der(pem: &str) -> CertificateDer<'static> {
        CertificateDer::from_pem_slice(pem.as_bytes()).unwrap()
    }

    fn with_x509<T>(pem: &str, f: impl FnOnce(&X509Certificate<'_>) -> T) -> T {
        let der = der(pem);
        let (_, cert) = X509Certificate::from_der(&der).unwrap();
        f(&cert)
    }

    fn pem<'a>(name: &'a str, text: &'a str) -> Pem<'a> {
        Pem {
            name,
            bytes: text.as_bytes(),
        }
    }

    #[test]
    fn names_cover_every_way_to_dial_the_service_then_the_extra_ones() {
        let mut spec = spec();
        spec.extra_names.push("guard.ops.svc".into());
        assert_eq!(
            spec.names(),
            [
                "guard",
                "guard.ops",
                "guard.ops.svc",
                "guard.ops.svc.cluster.local",
                "guard.example.com",
                "10.0.0.7"
            ]
        );
        assert_eq!(spec.service_host(), "guard.ops.svc");
    }

    #[test]
    fn serving_certificate_has_the_names_and_is_for_servers_only() {
        let (_, serving) = pair();
        with_x509(&serving.cert_pem, |cert| {
            let san = cert.subject_alternative_name().unwrap().unwrap();
            let names: Vec<String> = san
                .value
                .general_names
                .iter()
                .map(|n| match n {
                    GeneralName::DNSName(d) => d.to_string(),
                    GeneralName::IPAddress(ip) => format!("IP {ip:?}"),
                    other => format!("{other:?}"),
                })
                .collect();
            assert_eq!(
                names,
                [
                    "guard",
                    "guard.ops",
                    "guard.ops.svc",
                    "guard.ops.svc.cluster.local",
                    "guard.example.com",
                    "IP [10, 0, 0, 7]"
                ]
            );
            assert!(!cert.is_ca());
            let eku = cert.extended_key_usage().unwrap().unwrap().value;
            assert!(eku.server_auth && !eku.client_auth, "{eku:?}");
            let usage = cert.key_usage().unwrap().unwrap().value;
            assert!(usage.digital_signature() && !usage.key_cert_sign());
            assert_eq!(
                cert.subject().to_string(),
                "CN=guard.ops.svc",
                "common name"
            );
            assert_eq!(cert.issuer().to_string(), "CN=guard-ca");
            assert_eq!(
                cert.public_key().algorithm.algorithm,
                x509_parser::oid_registry::OID_KEY_TYPE_EC_PUBLIC_KEY
            );
        });
        assert!(serving.key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    }

    #[test]
    fn ca_may_sign_certificates_and_nothing_below_it_may() {
        let (ca, _) = pair();
        with_x509(&ca.cert_pem, |cert| {
            assert!(cert.is_ca());
            let constraints = cert.basic_constraints().unwrap().unwrap();
            assert!(constraints.critical);
            assert_eq!(constraints.value.path_len_constraint, Some(0));
            let usage = cert.key_usage().unwrap().unwrap().value;
            assert!(usage.key_cert_sign() && usage.crl_sign());
            assert_eq!(cert.subject().to_string(), "CN=guard-ca");
            assert_eq!(cert.subject(), cert.issuer(), "self-signed");
        });
        let key = ca.key_pem.as_deref().unwrap();
        assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"));
    }

    #[test]
    fn validity_starts_an_hour_back_and_lasts_the_given_days() {
        let (ca, serving) = pair();
        for pem in [&ca.cert_pem, &serving.cert_pem] {
            with_x509(pem, |cert| {
                let v = cert.validity();
                assert_eq!(v.not_before.timestamp(), now().unix_timestamp() - 3600);
                assert_eq!(
                    v.not_after.timestamp(),
                    now().unix_timestamp() + 30 * 86_400
                );
            });
        }
        assert_eq!(serving.not_after, now() + Duration::days(30));
        assert_eq!(date(serving.not_after), "2026-01-31");
    }

    #[test]
    fn a_client_trusting_the_ca_accepts_the_service_name_and_nothing_else() {
        let (ca, serving) = pair();
        for host in [
            "guard.ops.svc",
            "guard.ops.svc.cluster.local",
            "guard",
            "guard.example.com",
            "10.0.0.7",
        ] {
            verify_serving(&ca.cert_pem, &serving.cert_pem, host, now())
                .unwrap_or_else(|e| panic!("{host}: {e}"));
        }
        for host in ["other.ops.svc", "guard.other.svc", "10.0.0.8"] {
            let err = verify_serving(&ca.cert_pem, &serving.cert_pem, host, now()).unwrap_err();
            assert!(err.to_string().contains(host), "{err}");
        }
        // Out of its validity, and against another CA.
        let later = now() + Duration::days(31);
        assert!(verify_serving(&ca.cert_pem, &serving.cert_pem, "guard.ops.svc", later).is_err());
        let other = generate_ca("other-ca", 30, now()).unwrap();
        assert!(
            verify_serving(&other.cert_pem, &serving.cert_pem, "guard.ops.svc", now()).is_err()
        );
    }

    #[test]
    fn an_existing_ca_signs_and_is_copied_without_its_key() {
        let (made, _) = pair();
        let key = made.key_pem.clone().unwrap();
        // A key after the certificate in the --ca-cert file must not reach ca.crt.
        let cert_file = format!("{}{key}", made.cert_pem);
        let loaded = load_ca(pem("ca.crt", &cert_file), pem("ca.key", &key), now()).unwrap();
        assert_eq!(loaded.cert_pem, made.cert_pem);
        assert!(loaded.key_pem.is_none());
        assert_eq!(loaded.not_after, made.not_after);
        let serving = issue_serving(&spec(), &loaded, now()).unwrap();
        verify_serving(&made.cert_pem, &serving.cert_pem, "guard.ops.svc", now()).unwrap();
        with_x509(&serving.cert_pem, |cert| {
            assert_eq!(cert.issuer().to_string(), "CN=guard-ca");
        });
        let files = output_files(&loaded, &serving);
        let names: Vec<_> = files.iter().map(|f| f.name).collect();
        assert_eq!(names, [CA_CERT, TLS_CERT, TLS_KEY]);
    }

    #[test]
    fn an_unusable_ca_is_refused_with_the_reason() {
        let (ca, serving) = pair();
        let ca_key = ca.key_pem.clone().unwrap();
        let other = generate_ca("other-ca", 30, now()).unwrap();
        let cases = [
            (
                serving.cert_pem.clone(),
                serving.key_pem.clone(),
                "not a CA certificate",
            ),
            (
                ca.cert_pem.clone(),
                other.key_pem.clone().unwrap(),
                "does not belong",
            ),
            (ca_key.clone(), ca_key.clone(), "only a private key"),
            (
                ca.cert_pem.clone(),
                ca.cert_pem.clone(),
                "only a certificate",
            ),
            (String::new(), ca_key.clone(), "no certificate in file"),
            (
                ca.cert_pem.clone(),
                "-----BEGIN EC PRIVATE KEY-----\nMAMCAQA=\n-----END EC PRIVATE KEY-----\n".into(),
                "openssl pkcs8 -topk8 -nocrypt -in ca.key",
            ),
            (
                ca.cert_pem.clone(),
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAMCAQA=\n-----END ENCRYPTED PRIVATE \
                 KEY-----\n"
                    .into(),
                "encrypted",
            ),
        ];
        for (cert, key, expected) in cases {
            let err = load_ca(pem("ca.crt", &cert), pem("ca.key", &key), now()).unwrap_err();
            assert!(err.to_string().contains(expected), "{expected}: {err}");
        }
        let err = load_ca(
            pem("ca.crt", &ca.cert_pem),
            pem("ca.key", &ca_key),
            now() + Duration::days(31),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("ca.crt: the CA certificate expired on 2026-01-31"),
            "{err}"
        );
    }

    #[test]
    fn long_names_keep_the_common_name_within_limits() {
        let long = "s".repeat(63);
        let spec = ServingCertificateSpec {
            service: long.clone(),
            namespace: "n".repeat(63),
            ..spec()
        };
        let ca = generate_ca(&ca_common_name(&long), 1, now()).unwrap();
        let serving = issue_serving(&spec, &ca, now()).unwrap();
        with_x509(&serving.cert_pem, |cert| {
            assert_eq!(cert.subject().to_string(), format!("CN={long}"));
        });
        with_x509(&ca.cert_pem, |cert| {
            assert_eq!(cert.subject().to_string(), "CN=flink-autoscale-webhook-ca");
        });
        verify_serving(&ca.cert_pem, &serving.cert_pem, &spec.service_host(), now()).unwrap();
    }

    fn files() -> Vec<OutputFile> {
        let (ca, serving) = pair();
        output_files(&ca, &serving)
    }

    #[test]
    fn files_are_written_with_private_keys_unreadable_to_others() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("new/sub");
        let written = write_files(&out, &files(), false).unwrap();
        let names: Vec<_> = written.iter().map(|w| w.name).collect();
        assert_eq!(names, [CA_CERT, CA_KEY, TLS_CERT, TLS_KEY]);
        assert!(written.iter().all(|w| w.outcome == WriteOutcome::Created));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for w in &written {
                let mode = std::fs::metadata(&w.path).unwrap().permissions().mode() & 0o777;
                if w.name.ends_with(".key") {
                    assert_eq!(mode, 0o600, "{}", w.name);
                } else {
                    assert_eq!(mode & 0o077 & !0o044, 0, "{}: {mode:o}", w.name);
                }
            }
        }
    }

    #[test]
    fn existing_files_are_kept_unless_forced() {
        let dir = tempfile::tempdir().unwrap();
        let first = files();
        write_files(dir.path(), &first, false).unwrap();
        let second = files();
        let err = write_files(dir.path(), &second, false)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("ca.crt, ca.key, tls.crt and tls.key already exist")
                && err.contains("--force"),
            "{err}"
        );
        let on_disk = std::fs::read_to_string(dir.path().join(TLS_KEY)).unwrap();
        assert_eq!(on_disk, first[3].contents, "nothing was written");

        let written = write_files(dir.path(), &second, true).unwrap();
        assert!(written.iter().all(|w| w.outcome == WriteOutcome::Replaced));
        let on_disk = std::fs::read_to_string(dir.path().join(TLS_KEY)).unwrap();
        assert_eq!(on_disk, second[3].contents);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(TLS_KEY))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn an_identical_file_is_no_conflict() {
        let dir = tempfile::tempdir().unwrap();
        let files = files();
        write_files(dir.path(), &files[..1], false).unwrap();
        let written = write_files(dir.path(), &files, false).unwrap();
        assert_eq!(written[0].outcome, WriteOutcome::Unchanged);
        assert_eq!(written[1].outcome, WriteOutcome::Created);
    }

    fn args(service: &str, out: &str) -> CertsArgs {
        CertsArgs {
            service: service.into(),
            namespace: "ops".into(),
            out: out.into(),
            days: 30,
            ca_days: None,
            dns: vec![],
            cluster_domain: "cluster.local".into(),
            ca_cert: None,
            ca_key: None,
            force: false,
        }
    }

    fn summary_for(args: &CertsArgs) -> String {
        let spec = ServingCertificateSpec::from_args(args);
        let ca = generate_ca("x-ca", 30, now()).unwrap();
        let serving = issue_serving(&spec, &ca, now()).unwrap();
        let written: Vec<_> = output_files(&ca, &serving)
            .iter()
            .map(|f| Written {
                name: f.name,
                path: args.out.join(f.name),
                outcome: WriteOutcome::Created,
            })
            .collect();
        summary(args, &spec, &ca, &serving, &written)
    }

    #[test]
    fn summary_lists_the_files_and_the_chart_values_they_go_to() {
        let text = summary_for(&args("flink-autoscale-webhook", "certs/out"));
        for expected in [
            "certs/out/ca.crt\n",
            "certs/out/ca.key\n",
            "keep it out of the cluster",
            "certs/out/tls.crt\n",
            "valid until 2026-01-31, for flink-autoscale-webhook, flink-autoscale-webhook.ops,",
            "helm upgrade --install flink-autoscale-webhook charts/flink-autoscale-webhook",
            "-n ops --create-namespace",
            "--set certManager.enabled=false",
            "--set-file tls.crt=certs/out/tls.crt",
            "--set-file tls.key=certs/out/tls.key",
            "--set-file caBundle=certs/out/ca.crt",
            "kubectl -n ops create secret tls flink-autoscale-webhook-tls \\\n    \
             --cert=certs/out/tls.crt --key=certs/out/tls.key\n",
            "--set tls.existingSecret=flink-autoscale-webhook-tls",
        ] {
            assert!(
                text.contains(expected),
                "{expected:?} missing from:\n{text}"
            );
        }
        // The release name already makes the Service's name.
        assert!(!text.contains("fullnameOverride"), "{text}");
    }

    #[test]
    fn summary_names_the_service_through_the_chart_and_quotes_paths() {
        let text = summary_for(&args("guard", "my certs"));
        assert!(text.contains("--set fullnameOverride=guard"), "{text}");
        assert!(
            text.contains("--set-file tls.key='my certs/tls.key'"),
            "{text}"
        );
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word("a/b-c.crt"), "a/b-c.crt");
    }
}

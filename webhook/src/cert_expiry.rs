//! The serving certificate's expiry as a metric, so an alert fires before a
//! certificate that was not rotated (cert-manager stopped, a manual secret forgotten)
//! makes every admission fail.

use crate::metrics::Metrics;
use crate::tls::CertStore;
use std::time::Duration;

/// How often the certificate in use is looked at (it changes on reload).
pub const EVERY: Duration = Duration::from_secs(30);

/// The notAfter of the first certificate of `chain` (the server's), as Unix time.
pub fn not_after(chain: &[rustls_pki_types::CertificateDer<'_>]) -> Option<i64> {
    let der = chain.first()?;
    let (_, cert) = x509_parser::parse_x509_certificate(der.as_ref()).ok()?;
    Some(cert.validity().not_after.timestamp())
}

/// Exports the expiry of the certificate in use, now and every [`EVERY`].
pub async fn follow(
    store: std::sync::Arc<CertStore>,
    metrics: impl std::ops::Deref<Target = Metrics>,
) {
    loop {
        if let Some(t) = not_after(&store.current().cert) {
            metrics.certificate_expiry(t as f64);
        }
        tokio::time::sleep(EVERY).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expiry_of_a_generated_certificate_is_read() {
        let dev = crate::dev_certificate::generate().unwrap();
        let chain: Vec<_> =
            rustls_pki_types::pem::PemObject::pem_slice_iter(dev.cert_pem.as_bytes())
                .collect::<Result<_, _>>()
                .unwrap();
        let t = not_after(&chain).unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        assert!(t > now, "not after {t} is in the future of {now}");
        assert!(not_after(&[]).is_none());
    }
}

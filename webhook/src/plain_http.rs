//! Plain HTTP sent to the TLS port. A TLS connection starts with a handshake record
//! (first byte 0x16); a person who types `curl http://...:8443` or a Service with the
//! wrong scheme sends an HTTP request line instead, which rustls can only answer with a
//! TLS alert nobody reads. As Go's `net/http` does, such a client gets
//! `400 Bad Request` saying "Client sent an HTTP request to an HTTPS server." and the
//! connection is closed; anything else goes on to the TLS handshake unchanged.

use axum_server::accept::Accept;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// The answer to plain HTTP on the TLS port.
pub const RESPONSE: &[u8] = b"HTTP/1.0 400 Bad Request\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Connection: close\r\n\
\r\n\
Client sent an HTTP request to an HTTPS server.\n";

/// The first byte of every TLS connection: a handshake record.
const TLS_HANDSHAKE: u8 = 0x16;

/// Whether the first bytes of a connection are an HTTP/1.x request line (a method in
/// capitals followed by a space) rather than TLS.
pub fn looks_like_http(first: &[u8]) -> bool {
    if first.first() == Some(&TLS_HANDSHAKE) {
        return false;
    }
    let method_len = first.iter().take_while(|b| b.is_ascii_uppercase()).count();
    method_len > 0
        && (first.get(method_len) == Some(&b' ') || method_len == first.len() && method_len < 8)
}

/// An acceptor in front of the TLS acceptor that answers plain HTTP with [`RESPONSE`].
/// Waiting for the first bytes is bounded by `timeout` (the handshake's), so a silent
/// client is closed as the TLS handshake timeout would close it.
#[derive(Clone, Debug)]
pub struct RefusePlainHttp<A> {
    inner: A,
    timeout: Duration,
}

impl<A> RefusePlainHttp<A> {
    pub fn new(inner: A, timeout: Duration) -> Self {
        Self { inner, timeout }
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<A, S> Accept<TcpStream, S> for RefusePlainHttp<A>
where
    A: Accept<TcpStream, S> + Clone + Send + Sync + 'static,
    A::Future: Send,
    S: Send + 'static,
{
    type Stream = A::Stream;
    type Service = A::Service;
    type Future = BoxFuture<io::Result<(Self::Stream, Self::Service)>>;

    fn accept(&self, mut stream: TcpStream, service: S) -> Self::Future {
        let inner = self.inner.clone();
        let timeout = self.timeout;
        Box::pin(async move {
            let mut first = [0u8; 8];
            let n = tokio::time::timeout(timeout, stream.peek(&mut first))
                .await
                .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no bytes from client"))??;
            if looks_like_http(&first[..n]) {
                let _ = stream.write_all(RESPONSE).await;
                let _ = stream.shutdown().await;
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "plain HTTP sent to the TLS port",
                ));
            }
            inner.accept(stream, service).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_lines_are_http_and_tls_records_are_not() {
        assert!(looks_like_http(b"GET / HT"));
        assert!(looks_like_http(b"POST /va"));
        assert!(looks_like_http(b"PRI * HT"));
        assert!(!looks_like_http(&[
            0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01
        ]));
        assert!(!looks_like_http(b""));
        assert!(!looks_like_http(b"get / HT"));
        assert!(!looks_like_http(b"\x00\x01GET"));
    }
}

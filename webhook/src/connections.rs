//! Every open connection of a listener, with what it is doing, so that idle and slow
//! connections cost memory, never the service.
//!
//! A connection is idle while no request is in flight on it: an HTTP/2 connection
//! between reviews, a keep-alive HTTP/1.1 one, or one whose client is still
//! trickling request headers (hyper dispatches a request only once its headers are
//! complete). Idle connections are closed after the idle timeout, and when the
//! listener is at its connection limit the one idle the longest is closed to make
//! room for the newcomer, so a few hundred sockets opened and left idle (or fed a
//! byte at a time) cannot lock clients out. Requests in flight are bounded by the
//! request timeout, so they are never shed.
//!
//! Closing is done underneath TLS and HTTP: the connection's stream (wrapped by
//! [`TrackingAcceptor`]) fails its next read and write, which ends the connection
//! wherever it is (handshake, headers, idle).

use axum_server::accept::Accept;
use futures::task::AtomicWaker;
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// How long a connection must have been idle before it is shed at the limit.
pub const MIN_IDLE_TO_SHED: Duration = Duration::from_millis(500);

/// Milliseconds since the first call, for atomics.
fn now_ms() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_millis() as u64
}

/// One open connection.
#[derive(Debug, Default)]
pub struct Connection {
    id: u64,
    in_flight: AtomicUsize,
    /// When a request last started or finished (or the connection was accepted).
    last_active: AtomicU64,
    closed: AtomicBool,
    waker: AtomicWaker,
}

impl Connection {
    /// A request begins; the returned guard ends it when dropped.
    pub fn request(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        self.last_active.store(now_ms(), Ordering::Relaxed);
        InFlight(self.clone())
    }

    fn idle_for(&self, now: u64) -> Option<u64> {
        (self.in_flight.load(Ordering::SeqCst) == 0)
            .then(|| now.saturating_sub(self.last_active.load(Ordering::Relaxed)))
    }

    fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.waker.wake();
    }
}

/// A request in flight on a connection.
#[derive(Debug)]
pub struct InFlight(Arc<Connection>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.last_active.store(now_ms(), Ordering::Relaxed);
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The open connections of one listener.
#[derive(Debug, Default)]
pub struct Registry {
    open: Mutex<HashMap<u64, Arc<Connection>>>,
    next_id: AtomicU64,
    /// Connections closed for being idle, and shed at the limit.
    pub idle_closed: AtomicU64,
    pub shed: AtomicU64,
}

impl Registry {
    fn open(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Connection>>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn register(&self) -> Arc<Connection> {
        let conn = Arc::new(Connection {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            last_active: AtomicU64::new(now_ms()),
            ..Connection::default()
        });
        self.open().insert(conn.id, conn.clone());
        conn
    }

    pub fn len(&self) -> usize {
        self.open().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Closes the connection idle the longest, if one has been idle for
    /// [`MIN_IDLE_TO_SHED`]: room for a newcomer. (A connection whose request just
    /// ended may still be writing the answer.)
    pub fn shed_idlest(&self) -> bool {
        let now = now_ms();
        let min = MIN_IDLE_TO_SHED.as_millis() as u64;
        let idlest = self
            .open()
            .values()
            .filter(|c| !c.closed.load(Ordering::SeqCst))
            .filter_map(|c| c.idle_for(now).map(|idle| (idle, c.clone())))
            .filter(|(idle, _)| *idle >= min)
            .max_by_key(|(idle, _)| *idle);
        match idlest {
            Some((_, conn)) => {
                conn.close();
                self.shed.fetch_add(1, Ordering::Relaxed);
                true
            }
            None => false,
        }
    }

    /// Closes every connection idle for `timeout` or longer; returns how many.
    pub fn close_idle(&self, timeout: Duration) -> usize {
        let now = now_ms();
        let limit = timeout.as_millis() as u64;
        let mut closed = 0;
        for conn in self.open().values() {
            if !conn.closed.load(Ordering::SeqCst)
                && conn.idle_for(now).is_some_and(|idle| idle >= limit)
            {
                conn.close();
                closed += 1;
            }
        }
        self.idle_closed.fetch_add(closed as u64, Ordering::Relaxed);
        closed
    }

    /// Closes idle connections every quarter of `timeout` until the task is dropped.
    pub async fn reap_idle(self: Arc<Self>, timeout: Duration) {
        let mut tick = tokio::time::interval((timeout / 4).max(Duration::from_millis(50)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            self.close_idle(timeout);
        }
    }
}

/// A connection's byte stream, failing once the connection is closed and leaving
/// the registry when dropped.
#[derive(Debug)]
pub struct TrackedStream<S> {
    inner: S,
    conn: Arc<Connection>,
    registry: Arc<Registry>,
}

fn closed_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "connection closed by the webhook (idle, or shed at the connection limit)",
    )
}

impl<S> Drop for TrackedStream<S> {
    fn drop(&mut self) {
        self.registry.open().remove(&self.conn.id);
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for TrackedStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.conn.waker.register(cx.waker());
        if self.conn.closed.load(Ordering::SeqCst) {
            return Poll::Ready(Err(closed_error()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for TrackedStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.conn.closed.load(Ordering::SeqCst) {
            return Poll::Ready(Err(closed_error()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.conn.closed.load(Ordering::SeqCst) {
            return Poll::Ready(Err(closed_error()));
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// A service that can be told which connection it serves.
pub trait ServesConnection {
    fn serve_connection(&mut self, conn: Arc<Connection>);
}

/// Wraps each accepted stream (below TLS) in a [`TrackedStream`] registered in
/// `registry`, and tells the connection's service which connection it is.
#[derive(Debug, Clone)]
pub struct TrackingAcceptor<A> {
    inner: A,
    registry: Arc<Registry>,
}

impl<A> TrackingAcceptor<A> {
    pub fn new(inner: A, registry: Arc<Registry>) -> Self {
        TrackingAcceptor { inner, registry }
    }
}

impl<A, I, S> Accept<I, S> for TrackingAcceptor<A>
where
    A: Accept<I, S>,
    A::Future: Send + 'static,
    A::Service: ServesConnection,
{
    type Stream = TrackedStream<A::Stream>;
    type Service = A::Service;
    type Future = Pin<Box<dyn Future<Output = io::Result<(Self::Stream, Self::Service)>> + Send>>;

    fn accept(&self, stream: I, service: S) -> Self::Future {
        let registry = self.registry.clone();
        let accepted = self.inner.accept(stream, service);
        Box::pin(async move {
            let (stream, mut service) = accepted.await?;
            let conn = registry.register();
            service.serve_connection(conn.clone());
            Ok((
                TrackedStream {
                    inner: stream,
                    conn,
                    registry,
                },
                service,
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_idlest_connection_is_shed_and_busy_ones_never() {
        let registry = Registry::default();
        let busy = registry.register();
        let _request = busy.request();
        let old = registry.register();
        old.last_active.store(0, Ordering::Relaxed);
        std::thread::sleep(Duration::from_millis(5));
        let fresh = registry.register();
        std::thread::sleep(MIN_IDLE_TO_SHED + Duration::from_millis(50));
        let just_used = registry.register();
        assert!(registry.shed_idlest());
        assert!(old.closed.load(Ordering::SeqCst));
        assert!(!fresh.closed.load(Ordering::SeqCst));
        assert!(!busy.closed.load(Ordering::SeqCst));
        assert!(registry.shed_idlest(), "the fresh one is next");
        assert!(!registry.shed_idlest(), "one busy, one idle too briefly");
        assert!(!just_used.closed.load(Ordering::SeqCst));
        assert!(!busy.closed.load(Ordering::SeqCst));
    }

    #[test]
    fn idle_connections_are_closed_after_the_timeout() {
        let registry = Registry::default();
        let idle = registry.register();
        idle.last_active.store(0, Ordering::Relaxed);
        let busy = registry.register();
        busy.last_active.store(0, Ordering::Relaxed);
        let request = busy.request();
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(registry.close_idle(Duration::from_millis(1)), 1);
        assert!(idle.closed.load(Ordering::SeqCst));
        assert!(!busy.closed.load(Ordering::SeqCst));
        drop(request);
        assert_eq!(
            registry.close_idle(Duration::from_secs(3600)),
            0,
            "just active"
        );
    }
}

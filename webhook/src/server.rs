//! Listeners and their lifecycle: HTTPS for the API server, optional plain HTTP for
//! probes and Prometheus, and a graceful stop on SIGTERM that stops accepting and
//! lets in-flight reviews finish, so a rolling update never fails an admission.
//!
//! Each listener also bounds what clients can hold: a fixed number of open
//! connections (beyond it the listener stops accepting, as Go's `LimitListener`
//! does, and new clients wait in the kernel's backlog), and a deadline for the TLS
//! handshake, the first request and each request's headers, so a client that opens
//! connections and trickles bytes (slow-loris) gives its slots back instead of
//! starving the API server's own connections.

use crate::error::Error;
use crate::routes::{self, AppState};
use axum::Router;
use axum::http::Request;
use axum_server::accept::NoDelayAcceptor;
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};
use axum_server::{Control, Handle, Server};
use rustls::ServerConfig;
use std::convert::Infallible;
use std::future::{Future, Ready};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, TryAcquireError};
use tokio::task::JoinSet;

/// Longest wait for in-flight requests after SIGTERM: under Kubernetes' default 30 s
/// termination grace period, with room to spare.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(25);

/// HTTP/2 pings on connections that have been quiet this long, so a peer that
/// vanished (node gone, no FIN) frees its connection slot.
const HTTP2_KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(30);
const HTTP2_KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(10);

/// What one client connection may hold, per listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Open connections per listener. At the limit the listener stops accepting
    /// until one closes; the kernel queues the rest (the listen backlog).
    pub max_connections: usize,
    /// Time a client has for the TLS handshake, for its first request, and for the
    /// headers of every request. HTTP/1.1 counts the wait for the next request on a
    /// keep-alive connection too, so idle connections are closed after it.
    pub header_read_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
        }
    }
}

/// The API server opens a handful of connections per replica (HTTP/2 multiplexes
/// reviews over them); 256 leaves ample room and bounds memory (a TLS connection's
/// buffers are tens of KiB).
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;
/// The API server sends a review's headers at once and gives up on the webhook after
/// 10 s by default; a client slower than that is not the API server.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Servers that are bound and serving.
pub struct RunningServer {
    pub webhook_addr: SocketAddr,
    pub admin_addr: Option<SocketAddr>,
    control: Control,
    tasks: JoinSet<(SocketAddr, std::io::Result<()>)>,
}

/// Binds the listeners and starts serving. Returns once every listener is bound, so
/// the caller can print the real addresses (port 0 picks a free one).
pub async fn start(
    state: Arc<AppState>,
    tls: Arc<ServerConfig>,
    listen: SocketAddr,
    admin_listen: Option<SocketAddr>,
    limits: ConnectionLimits,
) -> Result<RunningServer, Error> {
    let control = Control::new();
    let mut tasks = JoinSet::new();

    let handle = Handle::with_control(control.clone());
    let app = routes::webhook_router(state.clone());
    // No Nagle delay: an answer is small and must leave at once.
    let acceptor = RustlsAcceptor::new(RustlsConfig::from_config(tls))
        .handshake_timeout(limits.header_read_timeout)
        .acceptor(crate::plain_http::RefusePlainHttp::new(
            NoDelayAcceptor::new(),
            limits.header_read_timeout,
        ));
    let server =
        bounded(axum_server::bind(listen).acceptor(acceptor), limits).handle(handle.clone());
    let slots = ConnectionSlots::new(app, limits.max_connections, "webhook");
    tasks.spawn(async move { (listen, server.serve(slots).await) });
    let webhook_addr = bound(&handle, &mut tasks, listen).await?;

    let admin_addr = match admin_listen {
        Some(addr) => {
            let handle = Handle::with_control(control.clone());
            let app = routes::admin_router(state);
            let server = bounded(
                axum_server::bind(addr).acceptor(NoDelayAcceptor::new()),
                limits,
            )
            .handle(handle.clone());
            let slots = ConnectionSlots::new(app, limits.max_connections, "admin");
            tasks.spawn(async move { (addr, server.serve(slots).await) });
            Some(bound(&handle, &mut tasks, addr).await?)
        }
        None => None,
    };

    Ok(RunningServer {
        webhook_addr,
        admin_addr,
        control,
        tasks,
    })
}

/// The deadlines of `limits` on a server's HTTP connections. (The TLS handshake's is
/// set on its acceptor.)
fn bounded<A>(
    mut server: Server<SocketAddr, A>,
    limits: ConnectionLimits,
) -> Server<SocketAddr, A> {
    let builder = server.http_builder();
    builder
        .http1()
        .header_read_timeout(limits.header_read_timeout);
    builder
        .http2()
        .keep_alive_interval(HTTP2_KEEP_ALIVE_INTERVAL)
        .keep_alive_timeout(HTTP2_KEEP_ALIVE_TIMEOUT);
    // Covers what the header timeout does not: HTTP/2 connections, and the protocol
    // detection before either protocol starts.
    server.first_request_timeout(limits.header_read_timeout)
}

/// Hands out at most `max` connection slots. The server's accept loop asks for a
/// slot (`poll_ready`) after each accept and before accepting the next, so at the
/// limit it stops accepting; the slot travels with the connection's service and is
/// given back when the connection ends.
struct ConnectionSlots {
    router: Router,
    slots: Arc<Semaphore>,
    max: usize,
    listener: &'static str,
    /// The slot taken by `poll_ready` for the next connection.
    ready: Option<OwnedSemaphorePermit>,
    waiting: Option<Pin<Box<dyn Future<Output = Option<OwnedSemaphorePermit>> + Send>>>,
    /// Whether the last connection had to wait: the limit is logged once per episode,
    /// not once per connection.
    saturated: bool,
}

impl ConnectionSlots {
    fn new(router: Router, max: usize, listener: &'static str) -> Self {
        ConnectionSlots {
            router,
            slots: Arc::new(Semaphore::new(max)),
            max,
            listener,
            ready: None,
            waiting: None,
            saturated: false,
        }
    }
}

impl Clone for ConnectionSlots {
    /// A clone shares the slots but not a slot already taken.
    fn clone(&self) -> Self {
        ConnectionSlots {
            router: self.router.clone(),
            slots: self.slots.clone(),
            max: self.max,
            listener: self.listener,
            ready: None,
            waiting: None,
            saturated: self.saturated,
        }
    }
}

impl<T> tower::Service<T> for ConnectionSlots {
    type Response = SlotService;
    type Error = Infallible;
    type Future = Ready<Result<SlotService, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        if self.ready.is_some() {
            return Poll::Ready(Ok(()));
        }
        if self.waiting.is_none() {
            match self.slots.clone().try_acquire_owned() {
                Ok(permit) => {
                    self.saturated = false;
                    self.ready = Some(permit);
                    return Poll::Ready(Ok(()));
                }
                Err(TryAcquireError::NoPermits | TryAcquireError::Closed) => {
                    if !self.saturated {
                        self.saturated = true;
                        tracing::warn!(
                            listener = self.listener,
                            max_connections = self.max,
                            "connection limit reached: new connections wait until one closes"
                        );
                    }
                    let slots = self.slots.clone();
                    self.waiting = Some(Box::pin(async move { slots.acquire_owned().await.ok() }));
                }
            }
        }
        let Some(waiting) = self.waiting.as_mut() else {
            return Poll::Pending;
        };
        match waiting.as_mut().poll(cx) {
            Poll::Ready(permit) => {
                self.waiting = None;
                // The semaphore is never closed; were it, serving unlimited beats
                // refusing everything.
                self.ready = permit;
                Poll::Ready(Ok(()))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn call(&mut self, _target: T) -> Self::Future {
        std::future::ready(Ok(SlotService {
            router: self.router.clone(),
            _slot: self.ready.take().map(Arc::new),
        }))
    }
}

/// One connection's service: the router, holding the connection's slot. Hyper clones
/// it per request and drops the last clone when the connection ends, which gives the
/// slot back.
#[derive(Clone)]
struct SlotService {
    router: Router,
    _slot: Option<Arc<OwnedSemaphorePermit>>,
}

impl<B> tower::Service<Request<B>> for SlotService
where
    Router: tower::Service<Request<B>>,
{
    type Response = <Router as tower::Service<Request<B>>>::Response;
    type Error = <Router as tower::Service<Request<B>>>::Error;
    type Future = <Router as tower::Service<Request<B>>>::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        tower::Service::<Request<B>>::poll_ready(&mut self.router, cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        self.router.call(request)
    }
}

/// The address a server bound, or why it could not bind.
async fn bound(
    handle: &Handle<SocketAddr>,
    tasks: &mut JoinSet<(SocketAddr, std::io::Result<()>)>,
    addr: SocketAddr,
) -> Result<SocketAddr, Error> {
    if let Some(bound) = handle.listening().await {
        return Ok(bound);
    }
    // Binding failed: the task has ended with the reason.
    while let Some(joined) = tasks.join_next().await {
        server_result(joined)?;
    }
    Err(Error::Serve {
        addr,
        source: std::io::Error::other("the listener could not be bound"),
    })
}

fn server_result(
    joined: Result<(SocketAddr, std::io::Result<()>), tokio::task::JoinError>,
) -> Result<(), Error> {
    match joined {
        Ok((_, Ok(()))) => Ok(()),
        Ok((addr, Err(source))) => Err(Error::Serve { addr, source }),
        Err(e) => Err(Error::Serve {
            addr: SocketAddr::from(([0, 0, 0, 0], 0)),
            source: std::io::Error::other(format!("server task failed: {e}")),
        }),
    }
}

impl RunningServer {
    /// Serves until `shutdown` completes; then reports not ready and keeps serving
    /// for `delay` (while endpoints stop routing to the pod), then stops accepting
    /// and waits up to `grace` for open requests. A listener that fails on its own
    /// is an error.
    pub async fn run_until(
        mut self,
        shutdown: impl Future<Output = &'static str>,
        delay: Duration,
        grace: Duration,
        state: &AppState,
    ) -> Result<(), Error> {
        tokio::select! {
            signal = shutdown => {
                state.readiness.set_shutting_down();
                if !delay.is_zero() {
                    tracing::info!(signal, delay_ms = delay.as_millis() as u64,
                        "shutting down: serving on while endpoints are updated");
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        Some(joined) = self.tasks.join_next() => {
                            server_result(joined)?;
                        }
                    }
                }
                tracing::info!(signal, grace_seconds = grace.as_secs(), "shutting down: draining in-flight requests");
            }
            Some(joined) = self.tasks.join_next() => {
                // A listener stopped without being asked to.
                server_result(joined)?;
                tracing::warn!("a listener stopped unexpectedly; shutting down");
            }
        }
        state.readiness.set_shutting_down();
        self.control.graceful_shutdown(Some(grace));
        while let Some(joined) = self.tasks.join_next().await {
            server_result(joined)?;
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// Installs the SIGTERM and Ctrl-C handlers now (so a failure stops start-up) and
/// returns a future that completes with the signal's name when either arrives.
pub fn shutdown_signal() -> Result<impl Future<Output = &'static str>, Error> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).map_err(|source| Error::Signal {
            signal: "SIGTERM",
            source,
        })?;
        let mut int = signal(SignalKind::interrupt()).map_err(|source| Error::Signal {
            signal: "SIGINT",
            source,
        })?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async move {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        })
    }
}

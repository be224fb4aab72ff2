//! Listeners and their lifecycle: HTTPS for the API server, optional plain HTTP for
//! probes and Prometheus, and a graceful stop on SIGTERM that stops accepting and
//! lets in-flight reviews finish, so a rolling update never fails an admission.
//!
//! Each listener also bounds what clients can hold: a fixed number of open
//! connections, a deadline for the TLS handshake, the first request and each
//! request's headers, and an idle timeout (no request in flight). At the limit the
//! connection idle the longest is closed to admit the newcomer
//! ([`connections`](crate::connections)); only when every connection has a request
//! in flight (each bounded by the request timeout) do new clients wait in the
//! kernel's backlog. So sockets opened and left idle, or fed a byte at a time
//! (slow-loris), cost memory, never the service.

use crate::connections::{Connection, InFlight, Registry, ServesConnection, TrackingAcceptor};
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

/// While every connection is busy and a newcomer waits, how often to look for one
/// that became idle.
const SHED_RETRY: Duration = Duration::from_millis(100);

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
    /// A connection with no request in flight for this long is closed (HTTP/2
    /// connections between reviews, clients trickling headers).
    pub idle_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
        }
    }
}

/// Under Go's HTTP client default for idle connections (90 s), so the API server
/// rarely sends on a connection we are closing; over the pause between reviews of a
/// busy cluster, so its connections are reused.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

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
    /// The idle-connection reapers, stopped with the server.
    reapers: Vec<tokio::task::JoinHandle<()>>,
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
    let registry = Arc::new(Registry::default());
    let mut reapers = vec![tokio::spawn(
        registry.clone().reap_idle(limits.idle_timeout),
    )];
    let acceptor = RustlsAcceptor::new(RustlsConfig::from_config(tls))
        .handshake_timeout(limits.header_read_timeout)
        .acceptor(TrackingAcceptor::new(
            crate::plain_http::RefusePlainHttp::new(
                NoDelayAcceptor::new(),
                limits.header_read_timeout,
            ),
            registry.clone(),
        ));
    let server =
        bounded(axum_server::bind(listen).acceptor(acceptor), limits).handle(handle.clone());
    let slots = ConnectionSlots::new(app, limits.max_connections, "webhook", registry);
    tasks.spawn(async move { (listen, server.serve(slots).await) });
    let webhook_addr = bound(&handle, &mut tasks, listen).await?;

    let admin_addr = match admin_listen {
        Some(addr) => {
            let handle = Handle::with_control(control.clone());
            let app = routes::admin_router(state);
            let registry = Arc::new(Registry::default());
            reapers.push(tokio::spawn(
                registry.clone().reap_idle(limits.idle_timeout),
            ));
            let server = bounded(
                axum_server::bind(addr).acceptor(TrackingAcceptor::new(
                    NoDelayAcceptor::new(),
                    registry.clone(),
                )),
                limits,
            )
            .handle(handle.clone());
            let slots = ConnectionSlots::new(app, limits.max_connections, "admin", registry);
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
        reapers,
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
/// slot (`poll_ready`) after each accept and before accepting the next. At the
/// limit the connection idle the longest is closed, and its slot goes to the
/// newcomer; with none idle, accepting waits for a slot. The slot travels with the
/// connection's service and is given back when the connection ends.
struct ConnectionSlots {
    router: Router,
    slots: Arc<Semaphore>,
    max: usize,
    listener: &'static str,
    registry: Arc<Registry>,
    /// The slot taken by `poll_ready` for the next connection.
    ready: Option<OwnedSemaphorePermit>,
    waiting: Option<Pin<Box<dyn Future<Output = Option<OwnedSemaphorePermit>> + Send>>>,
    /// Whether the last connection had to wait: the limit is logged once per episode,
    /// not once per connection.
    saturated: bool,
}

impl ConnectionSlots {
    fn new(router: Router, max: usize, listener: &'static str, registry: Arc<Registry>) -> Self {
        ConnectionSlots {
            router,
            slots: Arc::new(Semaphore::new(max)),
            max,
            listener,
            registry,
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
            registry: self.registry.clone(),
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
                    let shed = self.registry.shed_idlest();
                    if !self.saturated {
                        self.saturated = true;
                        tracing::warn!(
                            listener = self.listener,
                            max_connections = self.max,
                            shed_idle = shed,
                            "connection limit reached: the connection idle the longest is closed \
                             for each new one; with none idle, new connections wait"
                        );
                    }
                    // Waiting, connections that finish their requests become idle:
                    // keep looking for one to shed.
                    let slots = self.slots.clone();
                    let registry = self.registry.clone();
                    self.waiting = Some(Box::pin(async move {
                        loop {
                            tokio::select! {
                                permit = slots.clone().acquire_owned() => return permit.ok(),
                                _ = tokio::time::sleep(SHED_RETRY) => {
                                    registry.shed_idlest();
                                }
                            }
                        }
                    }));
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
            conn: None,
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
    /// The connection, for counting its requests in flight (it is not idle then).
    conn: Option<Arc<Connection>>,
}

impl ServesConnection for SlotService {
    fn serve_connection(&mut self, conn: Arc<Connection>) {
        self.conn = Some(conn);
    }
}

impl<B> tower::Service<Request<B>> for SlotService
where
    Router: tower::Service<Request<B>>,
    <Router as tower::Service<Request<B>>>::Future: Send + 'static,
{
    type Response = <Router as tower::Service<Request<B>>>::Response;
    type Error = <Router as tower::Service<Request<B>>>::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        tower::Service::<Request<B>>::poll_ready(&mut self.router, cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let in_flight: Option<InFlight> = self.conn.as_ref().map(|c| c.request());
        let response = self.router.call(request);
        Box::pin(async move {
            let out = response.await;
            drop(in_flight);
            out
        })
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
        for reaper in &self.reapers {
            reaper.abort();
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

//! Listeners and their lifecycle: HTTPS for the API server, optional plain HTTP for
//! probes and Prometheus, and a graceful stop on SIGTERM that stops accepting and
//! lets in-flight reviews finish, so a rolling update never fails an admission.

use crate::error::Error;
use crate::routes::{self, AppState};
use axum_server::tls_rustls::RustlsConfig;
use axum_server::{Control, Handle};
use rustls::ServerConfig;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;

/// Longest wait for in-flight requests after SIGTERM: under Kubernetes' default 30 s
/// termination grace period, with room to spare.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(25);

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
) -> Result<RunningServer, Error> {
    let control = Control::new();
    let mut tasks = JoinSet::new();

    let handle = Handle::with_control(control.clone());
    let app = routes::webhook_router(state.clone());
    let server =
        axum_server::bind_rustls(listen, RustlsConfig::from_config(tls)).handle(handle.clone());
    tasks.spawn(async move { (listen, server.serve(app.into_make_service()).await) });
    let webhook_addr = bound(&handle, &mut tasks, listen).await?;

    let admin_addr = match admin_listen {
        Some(addr) => {
            let handle = Handle::with_control(control.clone());
            let app = routes::admin_router(state);
            let server = axum_server::bind(addr).handle(handle.clone());
            tasks.spawn(async move { (addr, server.serve(app.into_make_service()).await) });
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
    /// Serves until `shutdown` completes, then stops accepting, reports not ready and
    /// waits up to `grace` for open requests. A listener that fails on its own is an
    /// error.
    pub async fn run_until(
        mut self,
        shutdown: impl Future<Output = &'static str>,
        grace: Duration,
        state: &AppState,
    ) -> Result<(), Error> {
        tokio::select! {
            signal = shutdown => {
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

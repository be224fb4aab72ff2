//! The plugin's one cluster layer: everything `status`, `explain` (and `audit`) read
//! from a cluster goes through here.
//!
//! - [`connect`]: the kubeconfig, context and namespace as kubectl finds them;
//! - [`runtime`]: the async runtime and the TLS crypto provider, set up once;
//! - [`list`]: one list or get call, and "degrade" (RBAC forbidden or CRD missing
//!   becomes a reason shown to the user, not a failure);
//! - [`events`]: the Events about an object;
//! - [`autoscaler_configmap`]: the Flink autoscaler's ConfigMap, decoded once.
//!
//! Commands keep only their model and render; this layer knows nothing of them.

pub mod autoscaler_configmap;
pub mod connect;
pub mod events;
pub mod list;

use crate::error::Error;

/// The async runtime every cluster command runs on, with the TLS crypto provider
/// chosen explicitly first (kube's rustls refuses to pick one when two are linked).
/// A second install (tests run commands in one process) is harmless.
pub fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(Error::Runtime)
}

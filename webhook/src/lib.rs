//! The webhook's modules as a library. `main.rs` only wires them together; the fuzz
//! targets (`fuzz/`) and benchmarks drive the very same decode path and rules as the
//! served endpoints through this crate instead of a copy of them.

/// The version and the commit the binary was built from (see build.rs).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("FLINK_GUARD_GIT_COMMIT"),
    ")"
);

pub mod admission;
pub mod answer;
pub mod audit;
pub mod cert_expiry;
pub mod certs;
pub mod cli;
pub mod cluster;
pub mod cluster_index;
pub mod connections;
pub mod deadline;
pub mod dev_certificate;
pub mod error;
pub mod log_fields;
pub mod log_writer;
pub mod metrics;
pub mod plain_http;
pub mod report;
pub mod review_object;
pub mod routes;
pub mod server;
pub mod tls;

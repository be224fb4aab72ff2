//! The webhook's modules as a library. `main.rs` only wires them together; the fuzz
//! targets (`fuzz/`) and benchmarks drive the very same decode path and rules as the
//! served endpoints through this crate instead of a copy of them.

pub mod admission;
pub mod certs;
pub mod cli;
pub mod cluster;
pub mod dev_certificate;
pub mod error;
pub mod metrics;
pub mod routes;
pub mod server;
pub mod tls;

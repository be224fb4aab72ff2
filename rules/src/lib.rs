//! The rules behind flink-autoscale-guard: Flink autoscaler options, how Flink parses
//! their values, the rule catalogue for FlinkDeployments and FlinkSessionJobs, and the
//! VPA/HPA ownership rules. Pure functions only: no I/O, no async, so the webhook and
//! the kubectl plugin apply exactly the same judgement.

pub mod cluster;
pub mod config;
pub mod effective;
pub mod finding;
pub mod flink_rules;
pub mod hpa_rules;
pub mod mutation;
pub mod object;
pub mod operator_spec;
pub mod options;
pub mod ownership;
pub mod periods;
pub mod quantity;
pub mod review;
pub mod text;
pub mod values;
pub mod vpa_rules;
pub mod vpa_spec;

pub use cluster::{ClusterState, ObjectSet, SharedObject};
pub use finding::{Finding, Severity};
pub use mutation::{Mutation, mutate};
pub use quantity::Quantity;
pub use review::{Enforcement, ReviewInput, RuleSettings, Verdict, review};

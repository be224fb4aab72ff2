//! The rules behind flink-autoscale-guard: Flink autoscaler options, how Flink parses
//! their values, the rule catalogue for FlinkDeployments and FlinkSessionJobs, and the
//! VPA/HPA ownership rules. Pure functions only: no I/O, no async, so the webhook and
//! the kubectl plugin apply exactly the same judgement, and any other tool can embed
//! it.
//!
//! # Embedding
//!
//! Build a [`ReviewInput`] (the object as JSON, its namespace, and optionally what is
//! known of the cluster through [`ClusterState`], e.g. an [`ObjectSet`]), call
//! [`review()`] with [`RuleSettings`], and read the [`Verdict`]: whether it is
//! admitted, and every [`Finding`] with its [`RuleId`], severity, field path, value,
//! problem and fix.
//!
//! ```
//! use flink_autoscale_rules::{ReviewInput, RuleId, RuleSettings, Severity, review};
//! use serde_json::json;
//!
//! let deployment = json!({
//!     "apiVersion": "flink.apache.org/v1beta1",
//!     "kind": "FlinkDeployment",
//!     "metadata": {"name": "orders", "namespace": "flink"},
//!     "spec": {"flinkConfiguration": {
//!         "job.autoscaler.enabled": "true",
//!         "job.autoscaler.utilization.target": "1.5"
//!     }}
//! });
//! let input = ReviewInput { object: &deployment, namespace: "flink", cluster: None };
//! let verdict = review(&input, &RuleSettings::default());
//!
//! assert!(!verdict.allowed());
//! let finding = verdict
//!     .findings
//!     .iter()
//!     .find(|f| f.rule == RuleId::UtilizationRange)
//!     .expect("the target is out of range");
//! assert_eq!(finding.severity, Severity::Deny);
//! assert_eq!(finding.value.as_deref(), Some("1.5"));
//! assert!(finding.problem.contains("[0, 1]"));
//! // One line in Kubernetes field-error form, as the webhook and `check` print it.
//! assert!(finding.field_error().ends_with("[autoscaler.utilization-range]"));
//! // Offline (no cluster view), the verdict says which rules were skipped.
//! assert!(!verdict.notes.is_empty());
//! ```
//!
//! VPAs get a JSON patch too ([`mutate`]); what the autoscaler settings of a
//! FlinkDeployment mean is [`AutoscalerState`]; the options table, with typed defaults,
//! is [`options`] and [`effective`]; every rule is listed in [`RuleId`].
//!
//! Module layering (no circle): [`input`], [`severity`], [`catalogue`] and [`finding`] at the
//! bottom; the rule modules ([`flink_rules`], [`vpa_rules`], [`hpa_rules`], sharing
//! [`pairing`] and [`mode`]) above them; [`mod@review`] on top.

pub mod catalogue;
pub mod cluster;
pub mod config;
pub mod effective;
pub mod finding;
pub mod flink_rules;
pub mod hpa_rules;
pub mod input;
pub mod mode;
pub mod mutation;
pub mod object;
pub mod operator_spec;
pub mod options;
pub mod ownership;
pub mod pairing;
pub mod periods;
pub mod quantity;
pub mod review;
pub mod severity;
mod table_hash;
pub mod text;
pub mod values;
pub mod vpa_rules;
pub mod vpa_spec;

pub use catalogue::{Outcome, RuleId};
pub use cluster::{ClusterState, ObjectSet, SharedObject};
pub use finding::{Finding, Severity};
pub use input::{Enforcement, ReviewInput, RuleSettings};
pub use mode::{AutoscalerMode, AutoscalerState};
pub use mutation::{Mutation, mutate};
pub use quantity::Quantity;
pub use review::{Verdict, review};

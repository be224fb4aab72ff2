//! What a review is given: the object, what is known of the cluster, and the
//! settings of the deployment. Its own module so that the rule modules import it
//! without importing the `review` module, which calls them.

use crate::cluster::ClusterState;
use crate::quantity::Quantity;
use serde_json::Value;
use std::time::Duration;

/// Whether deny findings refuse the object (`deny`) or are only reported as
/// warnings (`warn`, an audit mode for rollouts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Enforcement {
    #[default]
    Deny,
    Warn,
}

/// Settings that come from the deployment of the rules, not from the object.
#[derive(Debug, Clone)]
pub struct RuleSettings {
    pub enforcement: Enforcement,
    /// The operator's reconcile interval (`kubernetes.operator.reconcile.interval`,
    /// 60 s by default): a metrics window shorter than this never fills.
    pub reconcile_interval: Duration,
    /// Memory bounds given to VPAs on TaskManagers that set none (`vpa.default-bounds`).
    pub vpa_min_memory: Quantity,
    pub vpa_max_memory: Quantity,
    /// The operator release the objects are for (`--operator-version`): keys that
    /// release does not know are findings, and renaming advice only points at keys it
    /// reads. `None`: advice says from which release a key works.
    pub operator_version: Option<crate::options::OperatorVersion>,
    /// Whether the `operator.*` rules (the operator's `DefaultValidator`) run; off
    /// when the operator's own webhook already judges these.
    pub operator_rules: bool,
}

impl Default for RuleSettings {
    fn default() -> Self {
        RuleSettings {
            enforcement: Enforcement::Deny,
            reconcile_interval: Duration::from_secs(60),
            vpa_min_memory: Quantity::from_units(256 << 20),
            vpa_max_memory: Quantity::from_units(2 << 30),
            operator_version: None,
            operator_rules: true,
        }
    }
}

/// One object to judge.
pub struct ReviewInput<'a> {
    pub object: &'a Value,
    /// The namespace the object lives in (the request's namespace; objects read
    /// from files may not carry one).
    pub namespace: &'a str,
    /// Other objects, when known; `None` means offline: cluster rules are skipped.
    pub cluster: Option<&'a dyn ClusterState>,
}

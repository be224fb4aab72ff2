//! The rule catalogue for FlinkDeployments and FlinkSessionJobs.

use crate::finding::Finding;
use crate::review::{ReviewInput, RuleSettings};

pub fn check(input: &ReviewInput<'_>, settings: &RuleSettings) -> Vec<Finding> {
    let _ = (input, settings);
    Vec::new()
}

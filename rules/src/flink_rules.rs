//! The rule catalogue for FlinkDeployments and FlinkSessionJobs (DESIGN.md, "Rules for
//! FlinkDeployment"). Every rule sees the whole configuration and reports every
//! problem it finds; none stops at the first.
//!
//! One file per topic: `config` (how keys are written), `utilization`,
//! `parallelism`, `periods` (the excluded-periods rule; the grammar is
//! [`crate::periods`]), `durations`, `job` (what a job needs), `cluster` (pairings
//! with HPAs and VPAs). `subject` builds what they all read; this module runs them.

mod cluster;
mod config;
mod durations;
mod job;
mod parallelism;
mod periods;
mod subject;
mod utilization;

use crate::finding::Finding;
use crate::input::{ReviewInput, RuleSettings};

/// Runs every FlinkDeployment/FlinkSessionJob rule.
pub fn check(input: &ReviewInput<'_>, settings: &RuleSettings) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(subject) = subject::subject(input, &mut out) else {
        return out;
    };
    // config.* rules judge what this object itself wrote.
    let own = subject.own.as_ref().unwrap_or(&subject.config);
    config::config_rules(own, settings.operator_version, &mut out);

    if settings.operator_rules {
        crate::operator_spec::check(input, &subject.config, &mut out);
    }
    if !subject.autoscaler.enabled() {
        return out;
    }
    let eff = &subject.effective;
    utilization::utilization_rules(eff, &mut out);
    periods::check(eff, &mut out);
    parallelism::parallelism_rules(&subject, &mut out);
    parallelism::factor_rules(eff, &mut out);
    utilization::threshold_rules(eff, &mut out);
    durations::duration_rules(&subject, settings, &mut out);
    if subject.has_job {
        job::job_rules(&subject, &mut out);
    }
    if let Some(cluster) = subject.cluster {
        cluster::cluster_rules(&subject, cluster, &mut out);
    }
    out
}

#[cfg(test)]
mod tests;

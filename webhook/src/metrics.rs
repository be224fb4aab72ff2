//! Prometheus metrics. Findings are counted by rule id and severity so a dashboard
//! shows which rules bite (and, in `--enforcement warn`, what `deny` would refuse).

use crate::error::BadReviewReason;
use flink_autoscale_rules::Finding;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::time::Duration;

/// The content type of [`Metrics::encode`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildInfoLabels {
    version: String,
    commit: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    endpoint: &'static str,
    kind: String,
    operation: &'static str,
    allowed: bool,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointLabels {
    endpoint: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FindingLabels {
    rule: &'static str,
    severity: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BadRequestLabels {
    endpoint: &'static str,
    reason: &'static str,
}

type HistogramFamily = Family<EndpointLabels, Histogram, fn() -> Histogram>;

#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    duration: HistogramFamily,
    findings: Family<FindingLabels, Counter>,
    bad_requests: Family<BadRequestLabels, Counter>,
}

fn duration_histogram() -> Histogram {
    // 1 ms .. ~4 s: the API server's webhook timeout is 10 s at most 30 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 13))
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let duration: HistogramFamily = Family::new_with_constructor(duration_histogram);
        let findings = Family::<FindingLabels, Counter>::default();
        let bad_requests = Family::<BadRequestLabels, Counter>::default();
        // The text encoder appends `_total` to counters.
        registry.register(
            "flink_guard_admission_requests",
            "Admission requests answered, by endpoint, object kind, operation and outcome",
            requests.clone(),
        );
        registry.register(
            "flink_guard_admission_duration_seconds",
            "Time from receiving an admission request to answering it",
            duration.clone(),
        );
        registry.register(
            "flink_guard_findings",
            "Rule findings reported in admission responses, by rule id and severity",
            findings.clone(),
        );
        registry.register(
            "flink_guard_bad_requests",
            "Requests refused before any rule ran (malformed, too large), by reason",
            bad_requests.clone(),
        );
        // Constant 1, labelled with what is running: joins other series to a release.
        let build_info = Family::<BuildInfoLabels, Gauge>::default();
        build_info
            .get_or_create(&BuildInfoLabels {
                version: env!("CARGO_PKG_VERSION").to_string(),
                commit: env!("FLINK_GUARD_GIT_COMMIT").to_string(),
            })
            .set(1);
        registry.register(
            "flink_guard_build_info",
            "Version and git commit of the running webhook (always 1)",
            build_info,
        );
        Metrics {
            registry,
            requests,
            duration,
            findings,
            bad_requests,
        }
    }

    pub fn admission(
        &self,
        endpoint: &'static str,
        kind: &str,
        operation: &'static str,
        allowed: bool,
        findings: &[Finding],
    ) {
        self.requests
            .get_or_create(&RequestLabels {
                endpoint,
                kind: kind.to_string(),
                operation,
                allowed,
            })
            .inc();
        for f in findings {
            self.findings
                .get_or_create(&FindingLabels {
                    rule: f.rule,
                    severity: f.severity.as_str(),
                })
                .inc();
        }
    }

    pub fn bad_request(&self, endpoint: &'static str, reason: BadReviewReason) {
        self.bad_requests
            .get_or_create(&BadRequestLabels {
                endpoint,
                reason: reason.as_str(),
            })
            .inc();
    }

    pub fn duration(&self, endpoint: &'static str, elapsed: Duration) {
        self.duration
            .get_or_create(&EndpointLabels { endpoint })
            .observe(elapsed.as_secs_f64());
    }

    /// OpenMetrics text exposition.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flink_autoscale_rules::Severity;

    #[test]
    fn exposition_has_every_family_with_its_labels() {
        let m = Metrics::new();
        let finding = Finding::new(
            "autoscaler.utilization-range",
            Severity::Deny,
            "spec.x",
            None,
            "bad",
            "",
        );
        m.admission("validate", "FlinkDeployment", "CREATE", false, &[finding]);
        m.bad_request("mutate", BadReviewReason::NotJson);
        m.duration("validate", Duration::from_millis(3));
        let text = m.encode().unwrap();
        for expected in [
            r#"flink_guard_admission_requests_total{endpoint="validate",kind="FlinkDeployment",operation="CREATE",allowed="false"} 1"#,
            r#"flink_guard_findings_total{rule="autoscaler.utilization-range",severity="deny"} 1"#,
            r#"flink_guard_bad_requests_total{endpoint="mutate",reason="not_json"} 1"#,
            r#"flink_guard_admission_duration_seconds_count{endpoint="validate"} 1"#,
            "# EOF",
        ] {
            assert!(text.contains(expected), "missing {expected} in\n{text}");
        }
    }
}

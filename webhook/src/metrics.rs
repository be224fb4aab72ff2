//! Prometheus metrics. Findings are counted by rule id and severity so a dashboard
//! shows which rules bite (and, in `--enforcement warn`, what `deny` would refuse).

use crate::error::BadReviewReason;
use flink_autoscale_rules::Finding;
use flink_autoscale_rules::catalogue::RuleId;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::OnceLock;
use std::sync::atomic::AtomicU64;
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
    /// One of [`KIND_LABELS`] or `other`: clients choose the kind they send, and a
    /// label per distinct value would let them grow `/metrics` without bound.
    kind: &'static str,
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

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: &'static str,
}

/// The kinds the webhook judges (the values of the `kind` label); anything else is
/// counted as `other`.
pub const KIND_LABELS: [&str; 4] = [
    "FlinkDeployment",
    "FlinkSessionJob",
    "VerticalPodAutoscaler",
    "HorizontalPodAutoscaler",
];

/// The `kind` label for a request's kind: from a closed set.
pub fn kind_label(kind: &str) -> &'static str {
    KIND_LABELS
        .iter()
        .find(|k| **k == kind)
        .copied()
        .unwrap_or("other")
}

/// One cluster cache's state, as exported.
#[derive(Debug, Clone, Copy, Default)]
pub struct CacheHealth {
    pub objects: i64,
    pub synced: bool,
    pub served: bool,
    pub watch_healthy: bool,
    pub failing_seconds: f64,
    pub list_age_seconds: f64,
    pub lists: u64,
    pub errors: u64,
}

/// Gauges of the cluster caches, by kind (set from the caches at each scrape).
#[derive(Debug, Default)]
struct CacheGauges {
    objects: Family<KindLabels, Gauge>,
    synced: Family<KindLabels, Gauge>,
    served: Family<KindLabels, Gauge>,
    watch_healthy: Family<KindLabels, Gauge>,
    failing_seconds: Family<KindLabels, Gauge<f64, AtomicU64>>,
    list_age_seconds: Family<KindLabels, Gauge<f64, AtomicU64>>,
    lists: Family<KindLabels, Gauge>,
    errors: Family<KindLabels, Gauge>,
}

/// One object's current audit findings of one rule and severity (issue 18).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AuditFindingLabels {
    pub namespace: String,
    pub kind: String,
    pub name: String,
    pub rule: String,
    pub severity: String,
}

/// The background audit's metrics: a series per object with findings, so their
/// number is bounded by the objects that break a rule, not by the cluster.
#[derive(Debug, Default)]
struct AuditGauges {
    findings: Family<AuditFindingLabels, Gauge>,
    objects: Family<KindLabels, Gauge>,
    last_full_pass: Gauge<f64, AtomicU64>,
    full_pass_seconds: Gauge<f64, AtomicU64>,
    evaluations: Counter,
}

type HistogramFamily = Family<EndpointLabels, Histogram, fn() -> Histogram>;

#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    duration: HistogramFamily,
    findings: Family<FindingLabels, Counter>,
    bad_requests: Family<BadRequestLabels, Counter>,
    cache: CacheGauges,
    cert_reload_failures: Counter,
    audit: AuditGauges,
    certificate_expiry: Gauge<f64, AtomicU64>,
    resolved: Resolved,
}

/// The admission path's series once looked up, by the index of their labels. A
/// family's lookup hashes the labels (SipHash) under a lock, several times per
/// review; a series' handle shares its value with the family's, so counting through
/// it is the same as counting through the family (these families never remove a
/// series; only the audit's do). A series is looked up (and so appears in
/// `/metrics`) the first time it is counted, as before.
#[derive(Debug)]
struct Resolved {
    /// endpoint x kind (with `other`) x operation x allowed.
    requests: Box<[OnceLock<Counter>]>,
    /// rule x severity.
    findings: Box<[OnceLock<Counter>]>,
    duration: [OnceLock<Histogram>; ENDPOINTS.len()],
}

const ENDPOINTS: [&str; 2] = ["validate", "mutate"];
const OPERATIONS: [&str; 4] = ["CREATE", "UPDATE", "DELETE", "CONNECT"];

impl Resolved {
    fn new() -> Self {
        let slots = |n: usize| (0..n).map(|_| OnceLock::new()).collect();
        Resolved {
            requests: slots(ENDPOINTS.len() * (KIND_LABELS.len() + 1) * OPERATIONS.len() * 2),
            findings: slots(RuleId::ALL.len() * 2),
            duration: Default::default(),
        }
    }

    fn request_slot(endpoint: &str, kind: &str, operation: &str, allowed: bool) -> Option<usize> {
        let e = ENDPOINTS.iter().position(|e| *e == endpoint)?;
        let k = KIND_LABELS
            .iter()
            .position(|k| *k == kind)
            .unwrap_or(KIND_LABELS.len());
        let o = OPERATIONS.iter().position(|o| *o == operation)?;
        Some(((e * (KIND_LABELS.len() + 1) + k) * OPERATIONS.len() + o) * 2 + usize::from(allowed))
    }

    fn finding_slot(finding: &Finding) -> usize {
        finding.rule as usize * 2 + finding.severity as usize
    }
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
        let cache = CacheGauges::default();
        for (name, help, family) in [
            (
                "flink_guard_cluster_cache_objects",
                "Objects in the cluster cache, by kind",
                &cache.objects,
            ),
            (
                "flink_guard_cluster_cache_synced",
                "1 once the kind's cache has been listed (or the kind is not served)",
                &cache.synced,
            ),
            (
                "flink_guard_cluster_kind_served",
                "1 when the API server serves the kind, 0 when it does not (no CRD)",
                &cache.served,
            ),
            (
                "flink_guard_cluster_watch_healthy",
                "1 while the kind's list/watch works, 0 while it fails (the cache is stale)",
                &cache.watch_healthy,
            ),
            (
                "flink_guard_cluster_cache_lists",
                "Complete lists loaded into the kind's cache (the first, then one per relist)",
                &cache.lists,
            ),
            (
                "flink_guard_cluster_watch_errors",
                "Discovery, list and watch failures of the kind's cache",
                &cache.errors,
            ),
        ] {
            registry.register(name, help, family.clone());
        }
        registry.register(
            "flink_guard_cluster_watch_failing_seconds",
            "How long the kind's list/watch has been failing (0 while healthy)",
            cache.failing_seconds.clone(),
        );
        registry.register(
            "flink_guard_cluster_cache_list_age_seconds",
            "Time since the kind's cache was last listed in full (it is kept current by the \
             watch in between)",
            cache.list_age_seconds.clone(),
        );
        let cert_reload_failures = Counter::default();
        registry.register(
            "flink_guard_certificate_reload_failures",
            "Certificate files that were read but refused (unreadable, mismatched, expired or \
             not yet valid); the previous certificate stays in use",
            cert_reload_failures.clone(),
        );
        let audit = AuditGauges::default();
        registry.register(
            "flink_guard_audit_findings",
            "Current findings of the background audit on existing objects (1 per finding; \
             the series goes when the finding does)",
            audit.findings.clone(),
        );
        registry.register(
            "flink_guard_audit_objects",
            "Objects the background audit judges, by kind",
            audit.objects.clone(),
        );
        registry.register(
            "flink_guard_audit_last_full_pass_timestamp_seconds",
            "Unix time at which the audit last judged every cached object (after the \
             first lists and after each relist)",
            audit.last_full_pass.clone(),
        );
        registry.register(
            "flink_guard_audit_full_pass_duration_seconds",
            "How long the audit's last full pass took",
            audit.full_pass_seconds.clone(),
        );
        registry.register(
            "flink_guard_audit_evaluations",
            "Objects judged by the audit (a change judges the object and its partners \
             only)",
            audit.evaluations.clone(),
        );
        let certificate_expiry = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "flink_guard_certificate_expiry_seconds",
            "Unix time at which the serving certificate in use expires (its notAfter)",
            certificate_expiry.clone(),
        );
        Metrics {
            registry,
            requests,
            duration,
            findings,
            bad_requests,
            cache,
            cert_reload_failures,
            audit,
            certificate_expiry,
            resolved: Resolved::new(),
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
        let labels = || RequestLabels {
            endpoint,
            kind: kind_label(kind),
            operation,
            allowed,
        };
        match Resolved::request_slot(endpoint, kind, operation, allowed)
            .and_then(|i| self.resolved.requests.get(i))
        {
            Some(slot) => slot
                .get_or_init(|| self.requests.get_or_create(&labels()).clone())
                .inc(),
            None => self.requests.get_or_create(&labels()).inc(),
        };
        for f in findings {
            let labels = || FindingLabels {
                rule: f.rule.as_str(),
                severity: f.severity.as_str(),
            };
            match self.resolved.findings.get(Resolved::finding_slot(f)) {
                Some(slot) => slot
                    .get_or_init(|| self.findings.get_or_create(&labels()).clone())
                    .inc(),
                None => self.findings.get_or_create(&labels()).inc(),
            };
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
        let labels = EndpointLabels { endpoint };
        match ENDPOINTS.iter().position(|e| *e == endpoint) {
            Some(i) => self.resolved.duration[i]
                .get_or_init(|| self.duration.get_or_create(&labels).clone())
                .observe(elapsed.as_secs_f64()),
            None => self
                .duration
                .get_or_create(&labels)
                .observe(elapsed.as_secs_f64()),
        }
    }

    /// Records one cluster cache's state.
    pub fn cluster_cache(&self, kind: &'static str, health: CacheHealth) {
        let labels = KindLabels { kind };
        let c = &self.cache;
        c.objects.get_or_create(&labels).set(health.objects);
        c.synced.get_or_create(&labels).set(health.synced.into());
        c.served.get_or_create(&labels).set(health.served.into());
        c.watch_healthy
            .get_or_create(&labels)
            .set(health.watch_healthy.into());
        c.failing_seconds
            .get_or_create(&labels)
            .set(health.failing_seconds);
        c.list_age_seconds
            .get_or_create(&labels)
            .set(health.list_age_seconds);
        c.lists.get_or_create(&labels).set(health.lists as i64);
        c.errors.get_or_create(&labels).set(health.errors as i64);
    }

    /// A certificate reload that was refused.
    pub fn cert_reload_failed(&self) {
        self.cert_reload_failures.inc();
    }

    /// Sets how many current audit findings carry `labels`; 0 removes the series.
    pub fn audit_findings(&self, labels: &AuditFindingLabels, count: usize) {
        if count == 0 {
            self.audit.findings.remove(labels);
        } else {
            self.audit.findings.get_or_create(labels).set(count as i64);
        }
    }

    /// How many objects of `kind` the audit judges.
    pub fn audit_objects(&self, kind: &'static str, count: usize) {
        self.audit
            .objects
            .get_or_create(&KindLabels { kind })
            .set(count as i64);
    }

    /// Objects judged by the audit since the last call.
    pub fn audit_evaluated(&self, count: usize) {
        self.audit.evaluations.inc_by(count as u64);
    }

    /// A full pass ended at `unix_seconds` after `took`.
    pub fn audit_full_pass(&self, unix_seconds: f64, took: Duration) {
        self.audit.last_full_pass.set(unix_seconds);
        self.audit.full_pass_seconds.set(took.as_secs_f64());
    }

    /// The serving certificate's notAfter, as Unix time.
    pub fn certificate_expiry(&self, unix_seconds: f64) {
        self.certificate_expiry.set(unix_seconds);
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
            flink_autoscale_rules::RuleId::UtilizationRange,
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

    #[test]
    fn audit_series_come_and_go_with_findings() {
        let m = Metrics::new();
        let labels = AuditFindingLabels {
            namespace: "flink".into(),
            kind: "VerticalPodAutoscaler".into(),
            name: "tm".into(),
            rule: "vpa.controls-cpu".into(),
            severity: "deny".into(),
        };
        m.audit_findings(&labels, 1);
        m.audit_objects("FlinkDeployment", 3);
        m.certificate_expiry(1.8e9);
        let text = m.encode().unwrap();
        for expected in [
            r#"flink_guard_audit_findings{namespace="flink",kind="VerticalPodAutoscaler",name="tm",rule="vpa.controls-cpu",severity="deny"} 1"#,
            r#"flink_guard_audit_objects{kind="FlinkDeployment"} 3"#,
            "flink_guard_certificate_expiry_seconds 1800000000",
        ] {
            assert!(text.contains(expected), "missing {expected} in\n{text}");
        }
        m.audit_findings(&labels, 0);
        assert!(!m.encode().unwrap().contains("name=\"tm\""));
    }

    #[test]
    fn kinds_clients_make_up_are_one_label() {
        let m = Metrics::new();
        for i in 0..1000 {
            m.admission("validate", &format!("Made{i}Up"), "CREATE", true, &[]);
        }
        m.admission("validate", "VerticalPodAutoscaler", "CREATE", true, &[]);
        let text = m.encode().unwrap();
        assert!(
            text.contains(r#"flink_guard_admission_requests_total{endpoint="validate",kind="other",operation="CREATE",allowed="true"} 1000"#),
            "{text}"
        );
        assert!(text.contains(r#"kind="VerticalPodAutoscaler""#));
        assert!(!text.contains("Made"), "{text}");
    }

    /// Every combination of labels gets a slot of its own, each series counts only
    /// its own requests, and a series appears only once counted.
    #[test]
    fn each_series_counts_through_its_own_slot() {
        let m = Metrics::new();
        let kinds = KIND_LABELS.iter().copied().chain(["Pod"]);
        let mut slots = std::collections::HashSet::new();
        let mut expected = Vec::new();
        let mut n = 1;
        for endpoint in ENDPOINTS {
            for kind in kinds.clone() {
                for operation in OPERATIONS {
                    for allowed in [false, true] {
                        let slot = Resolved::request_slot(endpoint, kind, operation, allowed)
                            .expect("a known label set has a slot");
                        assert!(slot < m.resolved.requests.len());
                        assert!(slots.insert(slot), "slot {slot} taken twice");
                        // A distinct count per series: a shared slot would add up.
                        if n % 7 != 0 {
                            for _ in 0..n {
                                m.admission(endpoint, kind, operation, allowed, &[]);
                            }
                            expected.push(format!(
                                "flink_guard_admission_requests_total{{endpoint=\"{endpoint}\",kind=\"{}\",operation=\"{operation}\",allowed=\"{allowed}\"}} {n}\n",
                                kind_label(kind)
                            ));
                        }
                        n += 1;
                    }
                }
            }
        }
        assert_eq!(slots.len(), m.resolved.requests.len());
        // Not a slot: counted by the family itself.
        m.admission("other-endpoint", "Pod", "PATCH", true, &[]);
        expected.push(
            r#"flink_guard_admission_requests_total{endpoint="other-endpoint",kind="other",operation="PATCH",allowed="true"} 1"#.to_string() + "\n",
        );
        let finding = |rule, severity| Finding::new(rule, severity, "spec.x", None, "m", "");
        let twice = [
            finding(RuleId::ALL[0], Severity::Warn),
            finding(RuleId::ALL[0], Severity::Warn),
            finding(RuleId::ALL[RuleId::ALL.len() - 1], Severity::Deny),
        ];
        let text = m.encode().expect("encodes");
        for line in &expected {
            assert!(text.contains(line.as_str()), "missing {line} in\n{text}");
        }
        let requests = text
            .lines()
            .filter(|l| l.starts_with("flink_guard_admission_requests_total{"))
            .count();
        assert_eq!(requests, expected.len(), "{text}");
        let m = Metrics::new();
        m.admission("validate", "FlinkDeployment", "CREATE", false, &twice);
        let text = m.encode().expect("encodes");
        for (rule, severity, count) in [
            (RuleId::ALL[0], "warn", 2),
            (RuleId::ALL[RuleId::ALL.len() - 1], "deny", 1),
        ] {
            let line = format!(
                "flink_guard_findings_total{{rule=\"{}\",severity=\"{severity}\"}} {count}\n",
                rule.as_str()
            );
            assert!(text.contains(&line), "missing {line} in\n{text}");
        }
        assert_eq!(text.matches("flink_guard_findings_total{").count(), 2);
        m.duration("mutate", Duration::from_millis(1));
        m.duration("mutate", Duration::from_millis(1));
        m.duration("elsewhere", Duration::from_millis(1));
        let text = m.encode().expect("encodes");
        assert!(
            text.contains("flink_guard_admission_duration_seconds_count{endpoint=\"mutate\"} 2\n")
        );
        assert!(
            text.contains(
                "flink_guard_admission_duration_seconds_count{endpoint=\"elsewhere\"} 1\n"
            )
        );
        assert!(!text.contains("endpoint=\"validate\"}"), "{text}");
    }
}

//! The events the operator's autoscaler posts on a FlinkDeployment, parsed from the
//! message formats of `AutoScalerEventHandler`, `ScalingExecutor` and
//! `JobVertexScaler`:
//!
//! - `ScalingReport`: a header, `Scaling execution enabled, begin scaling vertices:` or
//!   `Scaling execution disabled by config <key>:<value>, recommended parallelism
//!   change:`, then per vertex `{ Vertex ID <id> | Parallelism <cur> -> <new> |
//!   Processing capacity <tpr avg> -> <expected> | Target data rate <target avg>}`
//!   (numbers as Java's `%.2f`);
//! - `ScalingLimited`: `Scaling limited detected for <id> (expected parallelism: <n>,
//!   actual parallelism <m>). Scaling limited due to numKeyGroupsOrPartitions : <k>，
//!   upperBoundForAlignment(maxParallelism or parallelismUpperLimit): <u>,
//!   parallelismLowerLimit: <l>.` (note the full-width comma);
//! - warnings that block scaling: `IneffectiveScaling`, `MemoryPressure`,
//!   `ResourceQuotaReached`, `ScalingVetoed`.
//!
//! The operator's event recorder reuses one Event per message key, bumping `count`
//! and `lastTimestamp`, so an Event carries the newest occurrence of its message.

use serde_json::Value;

pub const SCALING_REPORT: &str = "ScalingReport";
pub const SCALING_LIMITED: &str = "ScalingLimited";
/// Reasons that mean the autoscaler held back.
pub const BLOCKING_REASONS: &[&str] = &[
    "IneffectiveScaling",
    "MemoryPressure",
    "ResourceQuotaReached",
    "ScalingVetoed",
];

const ENABLED_HEADER: &str = "Scaling execution enabled, begin scaling vertices:";
const DISABLED_HEADER: &str = "Scaling execution disabled by config ";
const DISABLED_TAIL: &str = ", recommended parallelism change:";

/// One Kubernetes Event on the deployment.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub reason: String,
    /// `Normal` or `Warning`.
    pub kind: String,
    pub message: String,
    /// The newest occurrence: `lastTimestamp`, else `series.lastObservedTime`,
    /// `eventTime`, `firstTimestamp`, `metadata.creationTimestamp`.
    pub at: Option<jiff::Timestamp>,
    /// The first occurrence: `firstTimestamp`, else `eventTime`, else `at`.
    pub first: Option<jiff::Timestamp>,
    pub count: i64,
    /// `involvedObject.uid`: which incarnation of the deployment it is about.
    pub uid: Option<String>,
}

impl Event {
    pub fn from_json(event: &Value) -> Event {
        let text = |p: &str| event.pointer(p).and_then(Value::as_str);
        let at = [
            "/lastTimestamp",
            "/series/lastObservedTime",
            "/eventTime",
            "/firstTimestamp",
            "/metadata/creationTimestamp",
        ]
        .iter()
        .find_map(|p| text(p).and_then(|t| t.parse::<jiff::Timestamp>().ok()));
        let first = ["/firstTimestamp", "/eventTime"]
            .iter()
            .find_map(|p| text(p).and_then(|t| t.parse::<jiff::Timestamp>().ok()))
            .or(at);
        Event {
            first,
            uid: text("/involvedObject/uid").map(str::to_string),
            reason: text("/reason").unwrap_or_default().to_string(),
            kind: text("/type").unwrap_or("Normal").to_string(),
            message: text("/message").unwrap_or_default().to_string(),
            at,
            count: event
                .pointer("/count")
                .and_then(Value::as_i64)
                .or_else(|| event.pointer("/series/count").and_then(Value::as_i64))
                .unwrap_or(1),
        }
    }
}

/// One vertex of a ScalingReport.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportedVertex {
    pub id: String,
    pub from: i64,
    pub to: i64,
    /// The average true processing rate (records/s).
    pub processing_rate: f64,
    /// `EXPECTED_PROCESSING_RATE`: the capacity the new parallelism should give.
    pub expected_rate: f64,
    /// The average target data rate (records/s).
    pub target_rate: f64,
}

/// A parsed ScalingReport message.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalingReport {
    /// `Some((key, value))` when execution was disabled by that option (advisor mode
    /// with `job.autoscaler.scaling.enabled:false`, or an excluded period).
    pub disabled_by: Option<(String, String)>,
    pub vertices: Vec<ReportedVertex>,
}

/// Java's `%.2f` of a double: also `NaN`, `Infinity`, and a comma as the decimal
/// separator under some locales.
fn java_number(raw: &str) -> Option<f64> {
    let raw = raw.trim();
    let raw = if raw.contains(',') && !raw.contains('.') {
        raw.replace(',', ".")
    } else {
        raw.to_string()
    };
    super::state::parse_java_double(&raw)
}

pub fn parse_scaling_report(message: &str) -> Result<ScalingReport, String> {
    let (header, entries) = message.split_at(message.find('{').unwrap_or(message.len()));
    let header = header.trim();
    let disabled_by = if header == ENABLED_HEADER {
        None
    } else if let Some(rest) = header.strip_prefix(DISABLED_HEADER.trim_end()) {
        let rest = rest.trim();
        let rest = rest.strip_suffix(DISABLED_TAIL).unwrap_or(rest);
        let (key, value) = rest
            .split_once(':')
            .ok_or_else(|| format!("no <key>:<value> in the header \"{header}\""))?;
        Some((key.trim().to_string(), value.trim().to_string()))
    } else {
        return Err(format!("unknown header \"{header}\""));
    };
    let mut vertices = Vec::new();
    for entry in entries.split('{').map(str::trim).filter(|e| !e.is_empty()) {
        let entry = entry
            .strip_suffix('}')
            .ok_or_else(|| format!("unterminated entry \"{{{entry}\""))?;
        vertices
            .push(parse_entry(entry).ok_or_else(|| format!("unreadable entry \"{{{entry}}}\""))?);
    }
    if vertices.is_empty() {
        return Err("no vertex entries".into());
    }
    Ok(ScalingReport {
        disabled_by,
        vertices,
    })
}

/// `Vertex ID <id> | Parallelism <a> -> <b> | Processing capacity <c> -> <d> | Target
/// data rate <e>`
fn parse_entry(entry: &str) -> Option<ReportedVertex> {
    let mut parts = entry.split('|').map(str::trim);
    let id = parts.next()?.strip_prefix("Vertex ID")?.trim().to_string();
    let (from, to) = parts
        .next()?
        .strip_prefix("Parallelism")?
        .split_once("->")?;
    let (tpr, expected) = parts
        .next()?
        .strip_prefix("Processing capacity")?
        .split_once("->")?;
    let target = parts.next()?.strip_prefix("Target data rate")?;
    if id.is_empty() || parts.next().is_some() {
        return None;
    }
    Some(ReportedVertex {
        id,
        from: from.trim().parse().ok()?,
        to: to.trim().parse().ok()?,
        processing_rate: java_number(tpr)?,
        expected_rate: java_number(expected)?,
        target_rate: java_number(target)?,
    })
}

/// A parsed ScalingLimited message.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalingLimited {
    pub vertex: String,
    pub expected: i64,
    pub actual: i64,
    pub key_groups_or_partitions: Option<i64>,
    pub upper_bound: Option<i64>,
    pub lower_limit: Option<i64>,
}

/// The integer after `label` (up to the next non-digit), if any.
fn int_after(text: &str, label: &str) -> Option<i64> {
    let rest = &text[text.find(label)? + label.len()..];
    let rest = rest.trim_start_matches([' ', ':']);
    let digits: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '-')
        .collect();
    digits.parse().ok()
}

pub fn parse_scaling_limited(message: &str) -> Option<ScalingLimited> {
    let rest = message.strip_prefix("Scaling limited detected for ")?;
    let vertex = rest.split_whitespace().next()?.to_string();
    Some(ScalingLimited {
        vertex,
        expected: int_after(message, "expected parallelism")?,
        actual: int_after(message, "actual parallelism")?,
        key_groups_or_partitions: int_after(message, "numKeyGroupsOrPartitions")
            .or_else(|| int_after(message, "source partitions")),
        upper_bound: int_after(message, "parallelismUpperLimit):"),
        lower_limit: int_after(message, "parallelismLowerLimit"),
    })
}

/// Java's `%.2f` for a rate, as the ScalingReport writes it (for test fixtures).
#[cfg(test)]
pub(crate) fn report_entry(v: &ReportedVertex) -> String {
    format!(
        "{{ Vertex ID {} | Parallelism {} -> {} | Processing capacity {:.2} -> {:.2} | Target data rate {:.2}}}",
        v.id, v.from, v.to, v.processing_rate, v.expected_rate, v.target_rate
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const V1: &str = "bc764cd8ddf7a0cff126f51c16239658";
    const V2: &str = "0a448493b4782967b150582570326227";

    #[test]
    fn enabled_report_with_two_vertices() {
        let message = format!(
            "Scaling execution enabled, begin scaling vertices:{{ Vertex ID {V1} | Parallelism 2 -> 4 | Processing capacity 1000.00 -> 2857.00 | Target data rate 1800.00}}{{ Vertex ID {V2} | Parallelism 6 -> 3 | Processing capacity 3000.50 -> 1500.25 | Target data rate NaN}}"
        );
        let report = parse_scaling_report(&message).unwrap();
        assert_eq!(report.disabled_by, None);
        assert_eq!(report.vertices.len(), 2);
        assert_eq!(
            report.vertices[0],
            ReportedVertex {
                id: V1.into(),
                from: 2,
                to: 4,
                processing_rate: 1000.0,
                expected_rate: 2857.0,
                target_rate: 1800.0
            }
        );
        assert!(report.vertices[1].target_rate.is_nan());
        assert_eq!(
            report_entry(&report.vertices[0]),
            message[50..message.find("}{").unwrap() + 1]
        );
    }

    #[test]
    fn disabled_report_names_the_option() {
        let message = format!(
            "Scaling execution disabled by config job.autoscaler.scaling.enabled:false, recommended parallelism change:{{ Vertex ID {V1} | Parallelism 2 -> 3 | Processing capacity 1,00 -> 1,50 | Target data rate Infinity}}"
        );
        let report = parse_scaling_report(&message).unwrap();
        assert_eq!(
            report.disabled_by,
            Some(("job.autoscaler.scaling.enabled".into(), "false".into()))
        );
        assert_eq!(report.vertices[0].expected_rate, 1.5);
        assert_eq!(report.vertices[0].target_rate, f64::INFINITY);

        let excluded = format!(
            "Scaling execution disabled by config job.autoscaler.excluded.periods:[09:00-17:00], recommended parallelism change:{{ Vertex ID {V1} | Parallelism 2 -> 3 | Processing capacity 1.00 -> 1.50 | Target data rate 1.00}}"
        );
        assert_eq!(
            parse_scaling_report(&excluded).unwrap().disabled_by,
            Some((
                "job.autoscaler.excluded.periods".into(),
                "[09:00-17:00]".into()
            ))
        );
    }

    #[test]
    fn malformed_reports_say_why() {
        assert!(
            parse_scaling_report("hello")
                .unwrap_err()
                .contains("unknown header")
        );
        assert!(
            parse_scaling_report("Scaling execution enabled, begin scaling vertices:")
                .unwrap_err()
                .contains("no vertex entries")
        );
        assert!(
            parse_scaling_report(
                "Scaling execution enabled, begin scaling vertices:{ Vertex ID x | Parallelism two -> 4 }"
            )
            .unwrap_err()
            .contains("unreadable entry")
        );
        assert!(
            parse_scaling_report("Scaling execution enabled, begin scaling vertices:{ Vertex ID x")
                .unwrap_err()
                .contains("unterminated")
        );
    }

    #[test]
    fn scaling_limited_with_the_full_width_comma() {
        let message = format!(
            "Scaling limited detected for {V1} (expected parallelism: 30, actual parallelism 24). Scaling limited due to numKeyGroupsOrPartitions : 24，upperBoundForAlignment(maxParallelism or parallelismUpperLimit): 24, parallelismLowerLimit: 1."
        );
        assert_eq!(
            parse_scaling_limited(&message),
            Some(ScalingLimited {
                vertex: V1.into(),
                expected: 30,
                actual: 24,
                key_groups_or_partitions: Some(24),
                upper_bound: Some(24),
                lower_limit: Some(1),
            })
        );
        assert_eq!(parse_scaling_limited("something else"), None);
    }

    #[test]
    fn event_time_falls_back_through_the_fields() {
        let e = Event::from_json(&json!({
            "reason": "ScalingReport", "type": "Normal", "message": "m", "count": 3,
            "firstTimestamp": "2026-07-01T10:00:00Z", "lastTimestamp": "2026-07-01T11:00:00Z"}));
        assert_eq!(
            e.at.map(|t| t.to_string()).as_deref(),
            Some("2026-07-01T11:00:00Z")
        );
        assert_eq!(e.count, 3);
        let e = Event::from_json(
            &json!({"reason": "X", "eventTime": "2026-07-01T09:00:00.000000Z",
                                         "metadata": {"creationTimestamp": "2026-07-01T08:00:00Z"}}),
        );
        assert_eq!(
            e.at.map(|t| t.to_string()).as_deref(),
            Some("2026-07-01T09:00:00Z")
        );
        assert_eq!((e.kind.as_str(), e.count), ("Normal", 1));
    }
}

//! What a rule reports: one violated expectation, in Kubernetes field-error form.

use crate::catalogue::RuleId;
pub use crate::severity::Severity;
use serde::Serialize;

/// One rule violation. `path` is the field path (map keys in brackets, e.g.
/// `spec.flinkConfiguration[job.autoscaler.metrics.window]`), `value` the offending
/// value as the user wrote it, `problem` what is wrong and `fix` what is allowed or
/// how to fix it. `message` joins the two (`<problem>; <fix>`) for the text form and
/// for readers of the older JSON, which had only `message`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub rule: RuleId,
    pub severity: Severity,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    pub message: String,
    /// What is wrong.
    pub problem: String,
    /// What is allowed or how to fix it; empty when the problem says it all.
    pub fix: String,
}

impl Finding {
    /// Builds a finding; `message` is composed from the problem and the fix so that
    /// every message reads `<problem>; <fix>`.
    pub fn new(
        rule: RuleId,
        severity: Severity,
        path: impl Into<String>,
        value: Option<String>,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        // Into, not AsRef: a problem built with `format!` is moved, not copied.
        let (problem, fix): (String, String) = (problem.into(), fix.into());
        let message = if fix.is_empty() {
            problem.clone()
        } else {
            let mut message = String::with_capacity(problem.len() + 2 + fix.len());
            message.push_str(&problem);
            message.push_str("; ");
            message.push_str(&fix);
            message
        };
        Finding {
            rule,
            severity,
            path: path.into(),
            value,
            message,
            problem,
            fix,
        }
    }

    /// The finding as one line in Kubernetes field-error form:
    /// `<path>: Invalid value: "<value>": <problem>; <fix> [<rule>]`.
    pub fn field_error(&self) -> String {
        use crate::text::shorten;
        // Paths, values and messages can carry user input of any size (a megabyte
        // key); the line a person reads is cut, the JSON fields keep everything.
        // Written into one string: denials build a line per finding.
        let path = shorten(&self.path, 200);
        let message = shorten(&self.message, 400);
        let value = self.value.as_deref().map(|v| shorten(v, 200));
        let rule = self.rule.as_str();
        let mut out = String::with_capacity(
            path.len()
                + message.len()
                + value.as_ref().map_or(0, |v| v.len() + 20)
                + rule.len()
                + 6,
        );
        out.push_str(&path);
        if let Some(v) = value {
            out.push_str(": Invalid value: ");
            quote_into(&v, &mut out);
        }
        out.push_str(": ");
        out.push_str(&message);
        out.push_str(" [");
        out.push_str(rule);
        out.push(']');
        out
    }
}

/// Quotes a value the way Kubernetes field errors do (Go's `%q`, close enough for
/// configuration values).
fn quote_into(v: &str, out: &mut String) {
    use std::fmt::Write;
    out.push('"');
    for c in v.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_error_has_path_value_message_and_rule() {
        let f = Finding::new(
            RuleId::UtilizationRange,
            Severity::Deny,
            "spec.flinkConfiguration[job.autoscaler.utilization.target]",
            Some("1.5".into()),
            "must be in (0, 1]",
            "set a fraction such as 0.7",
        );
        assert_eq!(
            f.field_error(),
            "spec.flinkConfiguration[job.autoscaler.utilization.target]: Invalid value: \"1.5\": \
             must be in (0, 1]; set a fraction such as 0.7 [autoscaler.utilization-range]"
        );
    }

    #[test]
    fn huge_inputs_make_a_readable_line() {
        let key = "job.autoscaler.".to_string() + &"x".repeat(1 << 20);
        let f = Finding::new(
            RuleId::ConfigUnknownKey,
            Severity::Warn,
            format!("spec.flinkConfiguration[{key}]"),
            Some("v".repeat(1 << 20)),
            format!("{key} is not an autoscaler option"),
            "remove it",
        );
        let line = f.field_error();
        assert!(line.len() < 1200, "{} bytes", line.len());
        assert!(line.ends_with("[config.unknown-key]"));
        assert_eq!(
            f.value.as_ref().map(String::len),
            Some(1 << 20),
            "the finding keeps it"
        );
    }

    #[test]
    fn quotes_escape_control_characters() {
        let quote = |v: &str| {
            let mut out = String::new();
            quote_into(v, &mut out);
            out
        };
        assert_eq!(quote("a\"b\n\u{1}"), "\"a\\\"b\\n\\u0001\"");
    }

    #[test]
    fn json_has_problem_and_fix_apart_and_message_joined() {
        let f = Finding::new(
            RuleId::Factors,
            Severity::Warn,
            "spec.flinkConfiguration[job.autoscaler.scale-up.max-factor]",
            Some("0".into()),
            "0 forbids any scale-up",
            "use e.g. 2.0",
        );
        let json = serde_json::to_value(&f).unwrap_or_default();
        assert_eq!(json["rule"], "autoscaler.factors");
        assert_eq!(json["problem"], "0 forbids any scale-up");
        assert_eq!(json["fix"], "use e.g. 2.0");
        assert_eq!(json["message"], "0 forbids any scale-up; use e.g. 2.0");
        let bare = Finding::new(RuleId::VpaSpec, Severity::Deny, "spec", None, "bad", "");
        assert_eq!(bare.message, "bad");
        assert_eq!(bare.fix, "");
    }
}

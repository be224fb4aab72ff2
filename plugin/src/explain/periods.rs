//! `job.autoscaler.excluded.periods` for `explain`: a thin adapter over the rules
//! crate's [`flink_autoscale_rules::periods`], the one implementation of the period
//! grammar (the operator's `CalendarUtils` with Quartz 2.3.2's rules), so that
//! `explain` and `check` never disagree on what an element means. Evaluated in UTC,
//! the zone of the operator's container image.

use flink_autoscale_rules::periods as grammar;
use jiff::Timestamp;

/// One excluded-period element, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Period {
    pub expression: String,
    inner: grammar::Period,
}

/// Whether `now` is inside an excluded period, and until when.
#[derive(Debug, Clone, PartialEq)]
pub struct Inside {
    pub expression: String,
    /// The first second after `now` outside every period; `None` when not found within
    /// the search horizon (two days).
    pub until: Option<Timestamp>,
}

/// Parses every element; those the operator refuses come back as `"element": why`.
pub fn parse_all(expressions: &[String]) -> (Vec<Period>, Vec<String>) {
    let mut periods = Vec::new();
    let mut errors = Vec::new();
    for expression in expressions {
        match parse(expression) {
            Ok(p) => periods.push(p),
            Err(why) => errors.push(format!("\"{expression}\": {why}")),
        }
    }
    (periods, errors)
}

/// Parses one element; an element the operator accepts but Quartz cannot evaluate
/// is an error here too, since the autoscaler fails on it.
pub fn parse(expression: &str) -> Result<Period, String> {
    let inner = grammar::parse(expression).map_err(|e| e.to_string())?;
    if let Some(why) = inner.run_time_error() {
        return Err(why);
    }
    Ok(Period {
        expression: expression.to_string(),
        inner,
    })
}

/// Whether `now` lies in any period; if so, when the last of them ends.
pub fn inside(periods: &[Period], now: Timestamp) -> Option<Inside> {
    let inner: Vec<grammar::Period> = periods.iter().map(|p| p.inner.clone()).collect();
    let found = grammar::inside(&inner, now.as_second())?;
    Some(Inside {
        expression: found.expression,
        until: found.until.and_then(|s| Timestamp::from_second(s).ok()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    fn holds(p: Period, t: &str) -> bool {
        inside(&[p], at(t)).is_some()
    }

    #[test]
    fn daily_ranges_end_inclusive() {
        let p = || parse("09:00-17:00").expect("valid");
        assert!(holds(p(), "2026-07-01T09:00:00Z"));
        assert!(holds(p(), "2026-07-01T17:00:00Z"));
        assert!(!holds(p(), "2026-07-01T17:00:01Z"));
        assert!(parse("17:00-09:00").is_err());
    }

    #[test]
    fn quartz_l_w_and_hash_are_evaluated() {
        // 2026-07-31 is the last day of July; 2026-07-17 the third Friday.
        let l = parse("* * * L * ?").expect("valid");
        assert!(holds(l, "2026-07-31T12:00:00Z"));
        let third_friday = parse("* * * ? * 6#3").expect("valid");
        assert!(holds(third_friday, "2026-07-17T12:00:00Z"));
    }

    #[test]
    fn inside_tells_when_it_ends() {
        let (periods, errors) = parse_all(&["11:00-12:30".into(), "bogus".into()]);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].starts_with("\"bogus\": "), "{errors:?}");
        let inside = inside(&periods, at("2026-07-01T12:00:00Z")).expect("inside");
        assert_eq!(inside.expression, "11:00-12:30");
        assert_eq!(inside.until, Some(at("2026-07-01T12:30:01Z")));
        assert_eq!(super::inside(&periods, at("2026-07-01T13:00:00Z")), None);
    }
}

//! `job.autoscaler.excluded.periods`: when the autoscaler does not scale. Each
//! expression is a daily time range (`HH:mm[:ss]-HH:mm[:ss]`, Quartz's
//! `DailyCalendar`), a Quartz cron expression (`sec min hour day-of-month month
//! day-of-week [year]`), or one of each joined by `&&` (both must hold), as the
//! operator's `AutoScalerUtils.inExcludedPeriod` reads them.
//!
//! The operator evaluates them in its JVM's time zone; this reads them in UTC, the
//! zone of the operator's container image. Cron features beyond lists, ranges, steps
//! and names (`L`, `W`, `#`) are reported as not evaluated rather than guessed.

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;

/// One excluded-period expression, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Period {
    pub expression: String,
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    /// Seconds of the day, inclusive range.
    Daily {
        start: u32,
        end: u32,
    },
    Cron(Box<Cron>),
}

/// Whether `now` is inside an excluded period, and until when.
#[derive(Debug, Clone, PartialEq)]
pub struct Inside {
    pub expression: String,
    /// The first second after `now` outside every period; `None` when not found within
    /// the search horizon (two days).
    pub until: Option<Timestamp>,
}

/// Parses every expression; those that do not parse are returned with the reason.
pub fn parse_all(expressions: &[String]) -> (Vec<Period>, Vec<String>) {
    let mut periods = Vec::new();
    let mut errors = Vec::new();
    for expression in expressions
        .iter()
        .map(|e| e.trim())
        .filter(|e| !e.is_empty())
    {
        match parse(expression) {
            Ok(p) => periods.push(p),
            Err(why) => errors.push(format!("\"{expression}\": {why}")),
        }
    }
    (periods, errors)
}

pub fn parse(expression: &str) -> Result<Period, String> {
    let subs: Vec<&str> = expression.split("&&").map(str::trim).collect();
    if subs.len() > 2 {
        return Err("at most two expressions can be joined with &&".into());
    }
    let parts = subs
        .iter()
        .map(|s| match daily(s) {
            Some(d) => Ok(d),
            None => Cron::parse(s).map(|c| Part::Cron(Box::new(c))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    if parts.len() == 2
        && matches!(
            (&parts[0], &parts[1]),
            (Part::Daily { .. }, Part::Daily { .. }) | (Part::Cron(_), Part::Cron(_))
        )
    {
        return Err("&& joins a daily range with a cron expression, not two of a kind".into());
    }
    Ok(Period {
        expression: expression.to_string(),
        parts,
    })
}

/// `HH:mm[:ss[:SSS]]` as seconds of the day.
fn time_of_day(raw: &str) -> Option<u32> {
    let fields: Vec<&str> = raw.trim().split(':').collect();
    if !(2..=4).contains(&fields.len()) {
        return None;
    }
    let num = |i: usize, max: u32| -> Option<u32> {
        let f = fields.get(i)?;
        if f.is_empty() || !f.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        f.parse().ok().filter(|v| *v <= max)
    };
    let h = num(0, 23)?;
    let m = num(1, 59)?;
    let s = if fields.len() > 2 { num(2, 59)? } else { 0 };
    if fields.len() > 3 {
        num(3, 999)?;
    }
    Some(h * 3600 + m * 60 + s)
}

fn daily(raw: &str) -> Option<Part> {
    let (start, end) = raw.split_once('-')?;
    let (start, end) = (time_of_day(start)?, time_of_day(end)?);
    // DailyCalendar refuses a range that does not start before it ends.
    (start < end).then_some(Part::Daily { start, end })
}

impl Period {
    pub fn contains(&self, at: Timestamp) -> bool {
        let civil = at.to_zoned(TimeZone::UTC).datetime();
        self.parts.iter().all(|p| match p {
            Part::Daily { start, end } => {
                let s = u32::try_from(
                    i32::from(civil.hour()) * 3600
                        + i32::from(civil.minute()) * 60
                        + i32::from(civil.second()),
                )
                .unwrap_or(0);
                (*start..=*end).contains(&s)
            }
            Part::Cron(c) => c.matches(civil),
        })
    }
}

/// Whether `now` lies in any period; if so, when the last of them ends.
pub fn inside(periods: &[Period], now: Timestamp) -> Option<Inside> {
    let first = periods.iter().find(|p| p.contains(now))?;
    const HORIZON_SECONDS: i64 = 2 * 24 * 3600;
    let start = now.as_second();
    let until = (1..=HORIZON_SECONDS)
        .filter_map(|d| Timestamp::from_second(start + d).ok())
        .find(|t| !periods.iter().any(|p| p.contains(*t)));
    Some(Inside {
        expression: first.expression.clone(),
        until,
    })
}

/// A Quartz cron expression, each field a set of allowed values (`None` = any).
#[derive(Debug, Clone, PartialEq)]
struct Cron {
    seconds: Option<Vec<u32>>,
    minutes: Option<Vec<u32>>,
    hours: Option<Vec<u32>>,
    days_of_month: Option<Vec<u32>>,
    months: Option<Vec<u32>>,
    /// Quartz numbering: 1 = Sunday .. 7 = Saturday.
    days_of_week: Option<Vec<u32>>,
    years: Option<Vec<u32>>,
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

impl Cron {
    fn parse(raw: &str) -> Result<Cron, String> {
        let fields: Vec<&str> = raw.split_whitespace().collect();
        if !(6..=7).contains(&fields.len()) {
            return Err(
                "neither a daily range (HH:mm-HH:mm) nor a cron expression with 6 or 7 fields"
                    .into(),
            );
        }
        let field = |i: usize, min: u32, max: u32, names: &[&str]| {
            field_values(fields[i], min, max, names)
                .map_err(|why| format!("cron field {} \"{}\": {why}", i + 1, fields[i]))
        };
        Ok(Cron {
            seconds: field(0, 0, 59, &[])?,
            minutes: field(1, 0, 59, &[])?,
            hours: field(2, 0, 23, &[])?,
            days_of_month: field(3, 1, 31, &[])?,
            months: field(4, 1, 12, &MONTHS)?,
            days_of_week: field(5, 1, 7, &DAYS)?,
            years: if fields.len() == 7 {
                field(6, 1970, 2199, &[])?
            } else {
                None
            },
        })
    }

    fn matches(&self, t: DateTime) -> bool {
        let ok = |set: &Option<Vec<u32>>, v: i32| {
            set.as_ref()
                .is_none_or(|s| u32::try_from(v).is_ok_and(|v| s.contains(&v)))
        };
        let dow = i32::from(t.weekday().to_sunday_one_offset());
        ok(&self.seconds, i32::from(t.second()))
            && ok(&self.minutes, i32::from(t.minute()))
            && ok(&self.hours, i32::from(t.hour()))
            && ok(&self.days_of_month, i32::from(t.day()))
            && ok(&self.months, i32::from(t.month()))
            && ok(&self.days_of_week, dow)
            && ok(&self.years, i32::from(t.year()))
    }
}

/// The values a cron field allows; `None` for `*` and `?`.
fn field_values(raw: &str, min: u32, max: u32, names: &[&str]) -> Result<Option<Vec<u32>>, String> {
    if raw == "*" || raw == "?" {
        return Ok(None);
    }
    if raw.contains(['L', 'W', '#']) && !names.iter().any(|n| raw.to_uppercase().contains(n)) {
        return Err("L, W and # are not evaluated by kubectl flink explain".into());
    }
    let value = |v: &str| -> Result<u32, String> {
        let upper = v.to_uppercase();
        if let Some(i) = names.iter().position(|n| *n == upper) {
            return Ok(min + u32::try_from(i).unwrap_or(0));
        }
        let n: u32 = v.parse().map_err(|_| format!("\"{v}\" is not a value"))?;
        if (min..=max).contains(&n) {
            Ok(n)
        } else {
            Err(format!("{n} is outside {min}-{max}"))
        }
    };
    let mut out = Vec::new();
    for item in raw.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => (
                r,
                s.parse::<u32>()
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or_else(|| format!("bad step \"{s}\""))?,
            ),
            None => (item, 1),
        };
        let (lo, hi) = match range {
            "*" | "?" => (min, max),
            r => match r.split_once('-') {
                Some((a, b)) => (value(a)?, value(b)?),
                None if item.contains('/') => (value(r)?, max),
                None => {
                    let v = value(r)?;
                    (v, v)
                }
            },
        };
        if lo > hi {
            return Err(format!("range {lo}-{hi} runs backwards"));
        }
        out.extend((lo..=hi).step_by(usize::try_from(step).unwrap_or(1)));
    }
    out.sort_unstable();
    out.dedup();
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn daily_ranges() {
        let p = parse("09:00-17:00").unwrap();
        assert!(p.contains(at("2026-07-01T09:00:00Z")));
        assert!(p.contains(at("2026-07-01T17:00:00Z")));
        assert!(!p.contains(at("2026-07-01T17:00:01Z")));
        assert!(!p.contains(at("2026-07-01T08:59:59Z")));
        assert!(parse("17:00-09:00").is_err());
        assert!(parse("25:00-26:00").is_err());
    }

    #[test]
    fn cron_with_names_ranges_and_steps() {
        // Weekdays 9:00-17:59; 2026-07-01 is a Wednesday, 2026-07-04 a Saturday.
        let p = parse("* * 9-17 ? * MON-FRI").unwrap();
        assert!(p.contains(at("2026-07-01T12:00:00Z")));
        assert!(!p.contains(at("2026-07-04T12:00:00Z")));
        assert!(!p.contains(at("2026-07-01T18:00:00Z")));
        let every_quarter = parse("0 0/15 * * * ?").unwrap();
        assert!(every_quarter.contains(at("2026-07-01T12:45:00Z")));
        assert!(!every_quarter.contains(at("2026-07-01T12:46:00Z")));
        assert!(parse("0 0 12 L * ?").unwrap_err().contains("not evaluated"));
        assert!(parse("0 0 12 * *").is_err());
    }

    #[test]
    fn daily_and_cron_together() {
        let p = parse("10:00-11:00 && * * * ? * SAT,SUN").unwrap();
        assert!(p.contains(at("2026-07-04T10:30:00Z")));
        assert!(!p.contains(at("2026-07-01T10:30:00Z")));
        assert!(parse("10:00-11:00 && 12:00-13:00").is_err());
    }

    #[test]
    fn inside_tells_when_it_ends() {
        let (periods, errors) = parse_all(&["11:00-12:30".into(), "bogus".into()]);
        assert_eq!(errors.len(), 1);
        let inside = inside(&periods, at("2026-07-01T12:00:00Z")).unwrap();
        assert_eq!(inside.expression, "11:00-12:30");
        assert_eq!(inside.until, Some(at("2026-07-01T12:30:01Z")));
        assert_eq!(super::inside(&periods, at("2026-07-01T13:00:00Z")), None);
    }
}

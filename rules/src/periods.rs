//! `job.autoscaler.excluded.periods`: the one implementation of the period grammar,
//! used by the `autoscaler.excluded-periods` rule and by `kubectl flink explain`.
//!
//! The operator reads each list element in `CalendarUtils` (flink-autoscaler,
//! `utils/CalendarUtils.java`): the element is split on `&&` (Java's `String.split`,
//! so trailing empty pieces vanish), each piece is stripped and read as a daily range
//! (Quartz `DailyCalendar`, `H:MM[:SS[:mmm]]-H:MM[:SS[:mmm]]`) or else as a Quartz
//! 2.3.2 cron expression (`CronExpression`); at most two pieces, and two pieces must
//! be one of each. The cron parser below follows Quartz's `buildExpression`,
//! `storeExpressionVals`, `checkNext` and `addToSet` step by step, quirks included
//! (a field may carry ignored trailing characters, tokens after the seventh are
//! ignored), because admitting exactly what the operator admits is the point.
//!
//! The operator evaluates periods in its JVM's time zone; here they are evaluated in
//! UTC, the zone of the operator's container image.

use std::collections::BTreeSet;
use std::fmt;

/// The operator's key for the option.
pub const KEY: &str = crate::options::keys::EXCLUDED_PERIODS;

/// One element of `job.autoscaler.excluded.periods`, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Period {
    /// The element as written.
    pub expression: String,
    /// Every piece must hold; none at all (`&&` alone) means always, as in the
    /// operator's `inExcludedPeriod`.
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Daily(Daily),
    Cron(Box<Cron>),
}

/// A daily time range, inclusive at both ends (`DailyCalendar` with
/// `invertTimeRange`), in milliseconds of the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Daily {
    pub start_ms: u32,
    pub end_ms: u32,
}

/// Why an element is refused: what is wrong and an element that would pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodError {
    pub expression: String,
    pub problem: String,
    pub example: &'static str,
}

impl fmt::Display for PeriodError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}; e.g. {}", self.problem, self.example)
    }
}

const DAILY_EXAMPLE: &str = "\"09:00-17:00\"";
const CRON_EXAMPLE: &str = "\"* * 9-17 ? * MON-FRI\"";
const BOTH_EXAMPLE: &str = "\"09:00-17:00 && * * * ? * MON-FRI\"";

/// Validates and parses one element as `CalendarUtils.validateExcludedExpression`
/// does; the error names the piece and what is wrong with it.
pub fn parse(expression: &str) -> Result<Period, PeriodError> {
    let err = |problem: String, example| PeriodError {
        expression: expression.to_string(),
        problem,
        example,
    };
    let subs = java_split(expression, "&&");
    if subs.len() > 2 {
        return Err(err(
            format!(
                "{} pieces joined by &&; the operator allows at most two (one daily range && one cron expression)",
                subs.len()
            ),
            BOTH_EXAMPLE,
        ));
    }
    let mut parts = Vec::new();
    for sub in &subs {
        let sub = java_strip(sub);
        match (parse_daily(sub), parse_cron(sub)) {
            (Ok(d), _) => parts.push(Part::Daily(d)),
            (Err(_), Ok(c)) => parts.push(Part::Cron(Box::new(c))),
            (Err(daily), Err(cron)) => {
                let (problem, example) = neither(sub, subs.len() == 1, &daily, &cron);
                return Err(err(problem, example));
            }
        }
    }
    if parts.len() == 2 {
        let dailies = parts.iter().filter(|p| matches!(p, Part::Daily(_))).count();
        if dailies != 1 {
            let what = if dailies == 2 {
                "two daily ranges"
            } else {
                "two cron expressions"
            };
            return Err(err(
                format!(
                    "{what} joined by &&; the operator accepts only one daily range && one cron expression"
                ),
                BOTH_EXAMPLE,
            ));
        }
    }
    Ok(Period {
        expression: expression.to_string(),
        parts,
    })
}

/// Chooses which of the two readings to explain: the one the piece looks like (a
/// colon means a time; crons have none). The piece is named only when the element
/// has two, since the finding already quotes the element.
fn neither(sub: &str, whole: bool, daily: &str, cron: &str) -> (String, &'static str) {
    let piece = match (whole, sub.is_empty()) {
        (true, _) => String::new(),
        (false, true) => "the empty piece: ".to_string(),
        (false, false) => format!("piece \"{sub}\": "),
    };
    if sub.contains(':') {
        (format!("{piece}not a daily range: {daily}"), DAILY_EXAMPLE)
    } else if sub.split([' ', '\t']).filter(|t| !t.is_empty()).count() > 1 {
        (
            format!("{piece}not a Quartz cron expression: {cron}"),
            CRON_EXAMPLE,
        )
    } else {
        (
            format!(
                "{piece}neither a daily range (H:MM-H:MM) nor a Quartz cron expression (sec min hour day-of-month month day-of-week [year])"
            ),
            DAILY_EXAMPLE,
        )
    }
}

/// Parses every element; those refused come back as errors.
pub fn parse_all<S: AsRef<str>>(expressions: &[S]) -> (Vec<Period>, Vec<PeriodError>) {
    let mut periods = Vec::new();
    let mut errors = Vec::new();
    for e in expressions {
        match parse(e.as_ref()) {
            Ok(p) => periods.push(p),
            Err(e) => errors.push(e),
        }
    }
    (periods, errors)
}

// ---------------------------------------------------------------------------------
// Java string helpers

/// Java's `String.split(regex)` for a literal separator: no match gives the whole
/// string; otherwise the pieces with trailing empty ones removed.
fn java_split<'a>(s: &'a str, sep: &str) -> Vec<&'a str> {
    if !s.contains(sep) {
        return vec![s];
    }
    let mut pieces: Vec<&str> = s.split(sep).collect();
    while pieces.last().is_some_and(|p| p.is_empty()) {
        pieces.pop();
    }
    pieces
}

/// Java's `String.strip()`: removes `Character.isWhitespace` characters.
fn java_strip(s: &str) -> &str {
    s.trim_matches(java_is_whitespace)
}

fn java_is_whitespace(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | '\u{1C}'..='\u{1F}'
    ) || (c.is_whitespace() && !matches!(c, '\u{A0}' | '\u{2007}' | '\u{202F}' | '\u{85}'))
}

/// Java's `Integer.parseInt` on ASCII digits: an optional sign, at least one digit,
/// within `i32`.
fn java_parse_int(s: &str) -> Result<i32, String> {
    if s.chars().any(char::is_whitespace) {
        return Err(format!(
            "\"{s}\" has a space, which Integer.parseInt refuses"
        ));
    }
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("\"{s}\" is not a number"));
    }
    s.parse::<i32>()
        .map_err(|_| format!("\"{s}\" is too large for a number"))
}

// ---------------------------------------------------------------------------------
// Daily ranges: Quartz `DailyCalendar(String, String)`

/// `DailyCalendar.setTimeRange(String, String)`: each time is split on `:` by a
/// `StringTokenizer` (empty fields vanish), 2 to 4 fields read with
/// `Integer.parseInt`, hour 0-23, minute and second 0-59, millisecond 0-999, and the
/// start strictly before the end.
pub fn parse_daily(sub: &str) -> Result<Daily, String> {
    let ends = java_split(sub, "-");
    if ends.len() != 2 {
        return Err("a daily range is two times joined by one '-', e.g. 09:00-17:00".into());
    }
    let start = time_of_day(ends[0]).map_err(|e| format!("start {e}"))?;
    let end = time_of_day(ends[1]).map_err(|e| format!("end {e}"))?;
    if start >= end {
        return Err(format!(
            "it ends ({}) before or when it starts ({}); a range cannot cross midnight, split it into two elements",
            ends[1], ends[0]
        ));
    }
    Ok(Daily {
        start_ms: start,
        end_ms: end,
    })
}

fn time_of_day(raw: &str) -> Result<u32, String> {
    let fields: Vec<&str> = raw.split(':').filter(|f| !f.is_empty()).collect();
    if !(2..=4).contains(&fields.len()) {
        return Err(format!(
            "\"{raw}\" is not a time H:MM[:SS[:mmm]] (it has {} field{})",
            fields.len(),
            if fields.len() == 1 { "" } else { "s" }
        ));
    }
    let mut values = [0i32; 4];
    for (i, f) in fields.iter().enumerate() {
        values[i] = java_parse_int(f).map_err(|e| format!("\"{raw}\": {e}"))?;
    }
    let [h, m, s, ms] = values;
    let check = |v: i32, max: i32, what: &str| {
        if (0..=max).contains(&v) {
            Ok(())
        } else {
            Err(format!("\"{raw}\": {what} {v} is outside 0-{max}"))
        }
    };
    check(h, 23, "hour")?;
    check(m, 59, "minute")?;
    check(s, 59, "second")?;
    check(ms, 999, "millisecond")?;
    let ms_of_day = ((h * 60 + m) * 60 + s) * 1000 + ms;
    u32::try_from(ms_of_day).map_err(|_| format!("\"{raw}\" is not a time of day"))
}

// ---------------------------------------------------------------------------------
// Quartz 2.3.2 `CronExpression`

const SECOND: usize = 0;
const MINUTE: usize = 1;
const HOUR: usize = 2;
const DAY_OF_MONTH: usize = 3;
const MONTH: usize = 4;
const DAY_OF_WEEK: usize = 5;
const YEAR: usize = 6;
const NO_SPEC: i32 = 98;
const ALL_SPEC: i32 = 99;
/// Quartz computes `MAX_YEAR` as the current year + 100 when the class loads; a pure
/// function has no clock, so this fixes it at 2026 + 100. It only matters for year
/// steps that start after it (`2200/2`), which Quartz refuses.
const MAX_YEAR: i32 = 2126;
/// The most values a year field may expand to here (see `Cron::add`).
const MAX_YEAR_VALUES: usize = 100_000;
const FIELD_NAMES: [&str; 7] = [
    "seconds",
    "minutes",
    "hours",
    "day-of-month",
    "month",
    "day-of-week",
    "year",
];
const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// A parsed cron expression: Quartz's value sets (with its `?`/`*` markers) and flags.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cron {
    sets: [BTreeSet<i32>; 7],
    lastday_of_month: bool,
    lastday_offset: i32,
    nearest_weekday: bool,
    lastday_of_week: bool,
    nthday_of_week: i32,
}

/// Parses a cron expression as `new CronExpression(s)` does (upper-cased with
/// `Locale.US`, fields split on spaces and tabs).
pub fn parse_cron(raw: &str) -> Result<Cron, String> {
    let upper = raw.to_uppercase();
    let mut cron = Cron::default();
    let mut field = SECOND;
    for token in upper.split([' ', '\t']).filter(|t| !t.is_empty()) {
        if field > YEAR {
            // `buildExpression` stops reading after the year.
            break;
        }
        let expr = token.trim_matches(|c: char| c <= ' ');
        let name = FIELD_NAMES[field];
        if (field == DAY_OF_MONTH || field == DAY_OF_WEEK)
            && expr.contains('L')
            && expr.len() > 1
            && expr.contains(',')
        {
            return Err(format!(
                "{name} \"{expr}\": 'L' cannot be combined with other values in a list"
            ));
        }
        if field == DAY_OF_WEEK && expr.matches('#').count() > 1 {
            return Err(format!(
                "{name} \"{expr}\": only one \"nth\" day ('#') is supported"
            ));
        }
        for v in expr.split(',').filter(|v| !v.is_empty()) {
            cron.store(v, field)
                .map_err(|e| format!("{name} field \"{v}\": {e}"))?;
        }
        field += 1;
    }
    if field <= DAY_OF_WEEK {
        return Err(format!(
            "{field} field{} where Quartz needs 6 or 7 (sec min hour day-of-month month day-of-week [year]); the next one missing is {}",
            if field == 1 { "" } else { "s" },
            FIELD_NAMES[field]
        ));
    }
    if field <= YEAR {
        cron.store("*", YEAR)?;
    }
    let dom_spec = !cron.sets[DAY_OF_MONTH].contains(&NO_SPEC);
    let dow_spec = !cron.sets[DAY_OF_WEEK].contains(&NO_SPEC);
    if dom_spec == dow_spec {
        return Err(if dom_spec {
            "both day-of-month and day-of-week are given; Quartz needs '?' in exactly one of them, e.g. \"0 0 * ? * MON\" or \"0 0 * 1 * ?\"".into()
        } else {
            "'?' is in both day-of-month and day-of-week; put it in only one".into()
        });
    }
    Ok(cron)
}

fn at(s: &[char], i: usize) -> Result<char, String> {
    s.get(i)
        .copied()
        .ok_or_else(|| "unexpected end of the field".to_string())
}

fn digit(c: char) -> Result<i32, String> {
    c.to_digit(10)
        .and_then(|d| i32::try_from(d).ok())
        .ok_or_else(|| format!("'{c}' is not a digit"))
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit()
}

impl Cron {
    /// `storeExpressionVals(0, s, type)`; its return value is ignored by Quartz, so
    /// only errors and the sets and flags matter.
    fn store(&mut self, s: &str, kind: usize) -> Result<(), String> {
        let chars: Vec<char> = s.chars().collect();
        let mut i = 0;
        if i >= chars.len() {
            return Ok(());
        }
        let mut c = chars[i];
        if c.is_ascii_uppercase() && s != "L" && s != "LW" && !is_l_offset(s) {
            let sub = three(&chars, i)?;
            let sval;
            let mut eval = -1;
            if kind == MONTH {
                sval = month_number(&sub) + 1;
                if sval <= 0 {
                    return Err(format!("invalid month '{sub}' (JAN-DEC)"));
                }
                if chars.len() > i + 3 && chars[i + 3] == '-' {
                    i += 4;
                    let sub = three(&chars, i)?;
                    eval = month_number(&sub) + 1;
                    if eval <= 0 {
                        return Err(format!("invalid month '{sub}' (JAN-DEC)"));
                    }
                }
            } else if kind == DAY_OF_WEEK {
                sval = day_number(&sub);
                if sval < 0 {
                    return Err(format!("invalid day of week '{sub}' (SUN-SAT)"));
                }
                if chars.len() > i + 3 {
                    c = chars[i + 3];
                    if c == '-' {
                        i += 4;
                        let sub = three(&chars, i)?;
                        eval = day_number(&sub);
                        if eval < 0 {
                            return Err(format!("invalid day of week '{sub}' (SUN-SAT)"));
                        }
                    } else if c == '#' {
                        i += 4;
                        self.nthday_of_week = nth(&chars, i)?;
                    } else if c == 'L' {
                        self.lastday_of_week = true;
                    }
                }
            } else {
                return Err(format!(
                    "names ('{sub}') are allowed only in month and day-of-week"
                ));
            }
            let incr = if eval != -1 { 1 } else { 0 };
            return self.add(sval, eval, incr, kind);
        }
        if c == '?' {
            i += 1;
            if i + 1 < chars.len() && chars[i] != ' ' && chars[i + 1] != '\t' {
                return Err(format!("illegal character after '?': {}", chars[i]));
            }
            if kind != DAY_OF_WEEK && kind != DAY_OF_MONTH {
                return Err("'?' can only be used in day-of-month or day-of-week".into());
            }
            if kind == DAY_OF_WEEK && !self.lastday_of_month {
                match self.sets[DAY_OF_MONTH].last() {
                    Some(&NO_SPEC) => {
                        return Err(
                            "'?' is in both day-of-month and day-of-week; put it in only one"
                                .into(),
                        );
                    }
                    Some(_) => {}
                    None => return Err("day-of-month has no value".into()),
                }
            }
            return self.add(NO_SPEC, -1, 0, kind);
        }
        if c == '*' || c == '/' {
            if c == '*' && i + 1 >= chars.len() {
                return self.add(ALL_SPEC, -1, 0, kind);
            } else if c == '/'
                && (i + 1 >= chars.len() || chars[i + 1] == ' ' || chars[i + 1] == '\t')
            {
                return Err("'/' must be followed by an integer".into());
            } else if c == '*' {
                i += 1;
            }
            c = chars[i];
            let incr = if c == '/' {
                i += 1;
                if i >= chars.len() {
                    return Err("unexpected end after '/'".into());
                }
                let rest: String = chars[i..].iter().collect();
                let incr = java_parse_int(&rest)?;
                check_increment(incr, kind)?;
                incr
            } else {
                1
            };
            return self.add(ALL_SPEC, -1, incr, kind);
        }
        if c == 'L' {
            i += 1;
            if kind == DAY_OF_MONTH {
                self.lastday_of_month = true;
            }
            if kind == DAY_OF_WEEK {
                self.add(7, 7, 0, kind)?;
            }
            if kind == DAY_OF_MONTH && chars.len() > i {
                if chars[i] == '-' {
                    let (offset, pos) = value(0, &chars, i + 1)?;
                    if offset > 30 {
                        return Err("the offset from the last day must be <= 30".into());
                    }
                    self.lastday_offset = offset;
                    i = pos;
                }
                if chars.len() > i && chars[i] == 'W' {
                    self.nearest_weekday = true;
                }
            }
            return Ok(());
        }
        if is_digit(c) {
            let mut val = digit(c)?;
            i += 1;
            if i >= chars.len() {
                return self.add(val, -1, -1, kind);
            }
            if is_digit(chars[i]) {
                let (v, pos) = value(val, &chars, i)?;
                val = v;
                i = pos;
            }
            return self.check_next(i, &chars, val, kind);
        }
        Err(format!("unexpected character '{c}'"))
    }

    /// Quartz's `checkNext`: what follows a number (`L`, `W`, `#`, a range, a step).
    fn check_next(&mut self, pos: usize, s: &[char], val: i32, kind: usize) -> Result<(), String> {
        let mut i = pos;
        if i >= s.len() {
            return self.add(val, -1, -1, kind);
        }
        let c = s[pos];
        if c == 'L' {
            if kind != DAY_OF_WEEK {
                return Err("'L' after a number is valid only in day-of-week".into());
            }
            if !(1..=7).contains(&val) {
                return Err("day-of-week values must be between 1 and 7".into());
            }
            self.lastday_of_week = true;
            self.sets[kind].insert(val);
            return Ok(());
        }
        if c == 'W' {
            if kind != DAY_OF_MONTH {
                return Err("'W' is valid only in day-of-month".into());
            }
            self.nearest_weekday = true;
            if val > 31 {
                return Err("'W' does not make sense with values above 31".into());
            }
            self.sets[kind].insert(val);
            return Ok(());
        }
        if c == '#' {
            if kind != DAY_OF_WEEK {
                return Err("'#' is valid only in day-of-week".into());
            }
            self.nthday_of_week = nth(s, i + 1)?;
            self.sets[kind].insert(val);
            return Ok(());
        }
        if c == '-' {
            i += 1;
            let v = digit(at(s, i)?)?;
            let mut end = v;
            i += 1;
            if i >= s.len() {
                return self.add(val, end, 1, kind);
            }
            if is_digit(s[i]) {
                let (e, p) = value(v, s, i)?;
                end = e;
                i = p;
            }
            if i < s.len() && s[i] == '/' {
                i += 1;
                let v2 = digit(at(s, i)?)?;
                i += 1;
                if i >= s.len() {
                    return self.add(val, end, v2, kind);
                }
                if is_digit(s[i]) {
                    let (v3, _) = value(v2, s, i)?;
                    return self.add(val, end, v3, kind);
                }
                return self.add(val, end, v2, kind);
            }
            return self.add(val, end, 1, kind);
        }
        if c == '/' {
            if i + 1 >= s.len() || s[i + 1] == ' ' || s[i + 1] == '\t' {
                return Err("'/' must be followed by an integer".into());
            }
            i += 1;
            let v2 = digit(s[i])?;
            i += 1;
            if i >= s.len() {
                check_increment(v2, kind)?;
                return self.add(val, -1, v2, kind);
            }
            if is_digit(s[i]) {
                let (v3, _) = value(v2, s, i)?;
                check_increment(v3, kind)?;
                return self.add(val, -1, v3, kind);
            }
            return Err(format!("unexpected character '{}' after '/'", s[i]));
        }
        self.add(val, -1, 0, kind)
    }

    /// Quartz's `addToSet`: range checks per field, then the values (ranges that run
    /// backwards wrap around, except for years).
    fn add(&mut self, val: i32, end: i32, incr: i32, kind: usize) -> Result<(), String> {
        // Quartz lets the marker values through its range checks: 99 (`*`) in every
        // field, 98 (`?`) in day-of-month and day-of-week only.
        let out_of = |lo: i32, hi: i32| {
            (val < lo || val > hi || end > hi)
                && val != ALL_SPEC
                && (kind != DAY_OF_MONTH || val != NO_SPEC)
        };
        match kind {
            SECOND | MINUTE if out_of(0, 59) => {
                return Err("minute and second values must be between 0 and 59".into());
            }
            HOUR if out_of(0, 23) => return Err("hour values must be between 0 and 23".into()),
            DAY_OF_MONTH if out_of(1, 31) => {
                return Err("day-of-month values must be between 1 and 31".into());
            }
            MONTH if out_of(1, 12) => return Err("month values must be between 1 and 12".into()),
            DAY_OF_WEEK
                if (val == 0 || val > 7 || end > 7) && val != ALL_SPEC && val != NO_SPEC =>
            {
                return Err("day-of-week values must be between 1 (SUN) and 7 (SAT)".into());
            }
            _ => {}
        }
        let set = &mut self.sets[kind];
        if (incr == 0 || incr == -1) && val != ALL_SPEC {
            set.insert(if val != -1 { val } else { NO_SPEC });
            return Ok(());
        }
        let mut incr = incr;
        let mut start = val;
        let mut stop = end;
        if val == ALL_SPEC && incr <= 0 {
            incr = 1;
            set.insert(ALL_SPEC);
        }
        let (first, last) = match kind {
            SECOND | MINUTE => (0, 59),
            HOUR => (0, 23),
            DAY_OF_MONTH => (1, 31),
            MONTH => (1, 12),
            DAY_OF_WEEK => (1, 7),
            _ => (1970, MAX_YEAR),
        };
        if stop == -1 {
            stop = last;
        }
        if start == -1 || start == ALL_SPEC {
            start = first;
        }
        let mut max = -1;
        if stop < start {
            max = match kind {
                SECOND | MINUTE => 60,
                HOUR => 24,
                MONTH => 12,
                DAY_OF_WEEK => 7,
                DAY_OF_MONTH => 31,
                _ => {
                    return Err(format!(
                        "the start year {start} is after the end year {stop}"
                    ));
                }
            };
            stop += max;
        }
        let incr = usize::try_from(incr).unwrap_or(1).max(1);
        // Years have no upper bound in Quartz: `1970-50000000` makes it build a set of
        // fifty million Integers (OutOfMemoryError in a 256 MB JVM, which the
        // operator's `catch (Exception e)` does not catch). Refuse what cannot be built.
        let count = usize::try_from(i64::from(stop) - i64::from(start)).unwrap_or(0) / incr;
        if count > MAX_YEAR_VALUES {
            return Err(format!(
                "the year range {start}-{stop} has {count} values; Quartz runs out of memory building it"
            ));
        }
        for i in (start..=stop).step_by(incr) {
            if max == -1 {
                set.insert(i);
            } else {
                let mut i2 = i % max;
                if i2 == 0 && matches!(kind, MONTH | DAY_OF_WEEK | DAY_OF_MONTH) {
                    i2 = max;
                }
                set.insert(i2);
            }
        }
        Ok(())
    }

    /// The first field left without any value, which Quartz's `getTimeAfter` reads
    /// with `first()` and so throws on (an empty year set only never matches).
    fn empty_field(&self) -> Option<&'static str> {
        let dom_is_none = self.sets[DAY_OF_MONTH].contains(&NO_SPEC);
        [SECOND, MINUTE, HOUR, MONTH]
            .into_iter()
            .chain(dom_is_none.then_some(DAY_OF_WEEK))
            .chain((!dom_is_none && !self.lastday_of_month).then_some(DAY_OF_MONTH))
            .find(|k| self.sets[*k].is_empty())
            .map(|k| FIELD_NAMES[k])
    }

    /// Whether a UTC civil time matches, following the meaning of Quartz's
    /// `getTimeAfter` for each field (`L`, `W`, `#` included).
    fn matches(&self, t: &Civil) -> bool {
        let has = |kind: usize, v: i32| self.sets[kind].contains(&v);
        if !(has(SECOND, t.second)
            && has(MINUTE, t.minute)
            && has(HOUR, t.hour)
            && has(MONTH, t.month)
            && has(YEAR, t.year))
        {
            return false;
        }
        let last_day = days_in_month(t.year, t.month);
        if !self.sets[DAY_OF_MONTH].contains(&NO_SPEC) {
            if self.lastday_of_month || self.nearest_weekday {
                let day = if self.lastday_of_month {
                    last_day - self.lastday_offset
                } else {
                    match self.sets[DAY_OF_MONTH].first() {
                        Some(d) => *d,
                        None => return false,
                    }
                };
                let day = if self.nearest_weekday {
                    nearest_weekday(t.year, t.month, day, last_day)
                } else {
                    day
                };
                t.day == day
            } else {
                has(DAY_OF_MONTH, t.day)
            }
        } else if self.lastday_of_week || self.nthday_of_week != 0 {
            let Some(&dow) = self.sets[DAY_OF_WEEK].first() else {
                return false;
            };
            if t.weekday != dow {
                return false;
            }
            if self.lastday_of_week {
                t.day + 7 > last_day
            } else {
                (t.day + 6) / 7 == self.nthday_of_week
            }
        } else {
            has(DAY_OF_WEEK, t.weekday)
        }
    }
}

fn run_time_problem(field: &str) -> String {
    format!(
        "the cron's {field} field has no value (Quartz reads 'L' or an empty list there as nothing); the operator accepts it, but Quartz throws each time the autoscaler evaluates it"
    )
}

/// Quartz's `W`: a Saturday moves to Friday (or Monday when it is the 1st), a
/// Sunday to Monday (or Friday when it is the last day).
fn nearest_weekday(year: i32, month: i32, day: i32, last_day: i32) -> i32 {
    if day < 1 || day > last_day {
        return day;
    }
    match weekday_of(days_from_civil(year, month, day)) {
        7 if day == 1 => day + 2,
        7 => day - 1,
        1 if day == last_day => day - 2,
        1 => day + 1,
        _ => day,
    }
}

fn is_l_offset(s: &str) -> bool {
    // `s.matches("^L-[0-9]*[W]?")`
    let Some(rest) = s.strip_prefix("L-") else {
        return false;
    };
    let rest = rest.strip_suffix('W').unwrap_or(rest);
    rest.bytes().all(|b| b.is_ascii_digit())
}

/// `s.substring(i, i + 3)`.
fn three(s: &[char], i: usize) -> Result<String, String> {
    s.get(i..i + 3)
        .map(|c| c.iter().collect())
        .ok_or_else(|| format!("'{}' is too short for a name", s.iter().collect::<String>()))
}

/// The number after `#`: `Integer.parseInt` of the rest, 1 to 5.
fn nth(s: &[char], i: usize) -> Result<i32, String> {
    let rest: String = s.get(i..).unwrap_or_default().iter().collect();
    match java_parse_int(&rest) {
        Ok(n) if (1..=5).contains(&n) => Ok(n),
        _ => Err("a number between 1 and 5 must follow '#'".into()),
    }
}

/// Quartz's `getValue`: the digits from `i` appended to `v`, and the position after
/// them (one past the end when they run to the end, as Quartz does).
fn value(v: i32, s: &[char], i: usize) -> Result<(i32, usize), String> {
    let mut text = v.to_string();
    let mut i = i;
    let mut c = at(s, i)?;
    while is_digit(c) {
        text.push(c);
        i += 1;
        match s.get(i) {
            Some(&next) => c = next,
            None => break,
        }
    }
    let pos = if i < s.len() { i } else { i + 1 };
    let value = java_parse_int(&text)?;
    Ok((value, pos))
}

fn check_increment(incr: i32, kind: usize) -> Result<(), String> {
    let max = match kind {
        SECOND | MINUTE => 59,
        HOUR => 23,
        DAY_OF_MONTH => 31,
        DAY_OF_WEEK => 7,
        MONTH => 12,
        _ => return Ok(()),
    };
    if incr > max {
        return Err(format!("increment {incr} is above {max}"));
    }
    Ok(())
}

fn month_number(s: &str) -> i32 {
    MONTHS
        .iter()
        .position(|m| *m == s)
        .and_then(|i| i32::try_from(i).ok())
        .unwrap_or(-1)
}

fn day_number(s: &str) -> i32 {
    DAYS.iter()
        .position(|d| *d == s)
        .and_then(|i| i32::try_from(i + 1).ok())
        .unwrap_or(-1)
}

// ---------------------------------------------------------------------------------
// Evaluation in UTC

/// A UTC civil time with Quartz's weekday numbering (1 = Sunday .. 7 = Saturday).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Civil {
    year: i32,
    month: i32,
    day: i32,
    hour: i32,
    minute: i32,
    second: i32,
    weekday: i32,
    ms_of_day: u32,
}

impl Civil {
    fn from_unix_millis(ms: i64) -> Civil {
        let days = ms.div_euclid(86_400_000);
        let ms_of_day = ms.rem_euclid(86_400_000);
        let (year, month, day) = civil_from_days(days);
        let secs = ms_of_day / 1000;
        let small = |v: i64| i32::try_from(v).unwrap_or(0);
        Civil {
            year,
            month,
            day,
            hour: small(secs / 3600),
            minute: small(secs / 60 % 60),
            second: small(secs % 60),
            weekday: weekday_of(days),
            ms_of_day: u32::try_from(ms_of_day).unwrap_or(0),
        }
    }
}

/// Howard Hinnant's `civil_from_days`.
fn civil_from_days(z: i64) -> (i32, i32, i32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let small = |v: i64| i32::try_from(v).unwrap_or(i32::MAX);
    (small(y), small(m), small(d))
}

fn days_from_civil(y: i32, m: i32, d: i32) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// 1 = Sunday .. 7 = Saturday (1970-01-01 was a Thursday).
fn weekday_of(days: i64) -> i32 {
    i32::try_from((days + 4).rem_euclid(7)).unwrap_or(0) + 1
}

fn days_in_month(year: i32, month: i32) -> i32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl Period {
    /// Whether the instant (milliseconds since the epoch) lies in this period, as
    /// `CalendarUtils.inExcludedPeriod` decides in a UTC JVM. An element whose
    /// evaluation makes Quartz throw (see [`Period::run_time_error`]) counts as
    /// outside.
    pub fn contains_millis(&self, unix_ms: i64) -> bool {
        self.evaluate_millis(unix_ms).unwrap_or(false)
    }

    /// `inExcludedPeriod` step by step: `result && piece` (a piece after a false one
    /// is not evaluated); a cron with an empty field makes Quartz's `getTimeAfter`
    /// throw `NoSuchElementException` when it is evaluated.
    pub fn evaluate_millis(&self, unix_ms: i64) -> Result<bool, String> {
        let t = Civil::from_unix_millis(unix_ms);
        let mut result = true;
        for part in &self.parts {
            if !result {
                break;
            }
            result = match part {
                Part::Daily(d) => (d.start_ms..=d.end_ms).contains(&t.ms_of_day),
                Part::Cron(c) => {
                    if let Some(field) = c.empty_field() {
                        return Err(run_time_problem(field));
                    }
                    // `isSatisfiedBy` drops the milliseconds before matching.
                    c.matches(&t)
                }
            };
        }
        Ok(result)
    }

    /// Quartz accepts some crons that leave a field without any value (`L` outside
    /// the day fields, a lone `,`); the operator's validator passes them, and every
    /// evaluation then throws, so the autoscaler fails on each run.
    pub fn run_time_error(&self) -> Option<String> {
        self.parts.iter().find_map(|p| match p {
            Part::Cron(c) => c.empty_field().map(run_time_problem),
            Part::Daily(_) => None,
        })
    }

    /// Whether the second (since the epoch) lies in this period.
    pub fn contains(&self, unix_seconds: i64) -> bool {
        self.contains_millis(unix_seconds.saturating_mul(1000))
    }
}

/// That an instant is excluded, by which element, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inside {
    /// The first element that excludes the instant.
    pub expression: String,
    /// The first second after the instant outside every period; `None` when none is
    /// found within two days.
    pub until: Option<i64>,
}

/// Whether `now` (seconds since the epoch) lies in any period; if so, when the last
/// of them ends.
pub fn inside(periods: &[Period], now: i64) -> Option<Inside> {
    const HORIZON_SECONDS: i64 = 2 * 24 * 3600;
    let first = periods.iter().find(|p| p.contains(now))?;
    let until = (1..=HORIZON_SECONDS)
        .map(|d| now.saturating_add(d))
        .find(|t| !periods.iter().any(|p| p.contains(*t)));
    Some(Inside {
        expression: first.expression.clone(),
        until,
    })
}

#[cfg(test)]
mod tests;

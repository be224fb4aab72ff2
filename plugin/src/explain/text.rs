//! How numbers, durations and instants are written in the explanation. The strings
//! built here go into the JSON too, so they stay ASCII; the text renderer swaps in
//! Unicode arrows and signs where the terminal can show them.

use serde::Serializer;
use std::time::Duration;

/// A double as JSON: a number when finite, else the Java spelling as a string
/// (`Infinity`, `-Infinity`, `NaN`), since JSON has no such numbers and `null` would
/// read as "not recorded".
pub fn java_double<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    if v.is_finite() {
        s.serialize_f64(*v)
    } else if v.is_nan() {
        s.serialize_str("NaN")
    } else if *v > 0.0 {
        s.serialize_str("Infinity")
    } else {
        s.serialize_str("-Infinity")
    }
}

/// [`java_double`] for an optional value (`null` when not recorded).
#[allow(clippy::ref_option)]
pub fn java_double_opt<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => java_double(v, s),
        None => s.serialize_none(),
    }
}

/// A ratio as written in the configuration: `0.7`, `0.85`.
pub fn ratio(v: f64) -> String {
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-" {
        "0".into()
    } else {
        s.to_string()
    }
}

/// A utilization as a percentage: `70%`, `72.5%`.
pub fn pct(v: f64) -> String {
    if !v.is_finite() {
        return if v > 0.0 { "inf%".into() } else { "?".into() };
    }
    let tenths = (v * 1000.0).round() / 10.0;
    if (tenths - tenths.round()).abs() < 1e-9 {
        format!("{tenths:.0}%")
    } else {
        format!("{tenths:.1}%")
    }
}

/// A rate with two decimals, as the operator's events write it: Java's `%.2f` (also
/// `Infinity` and `NaN` as Java prints them), which
/// rounds the shortest decimal form of the double HALF_UP (23987.355 -> 23987.36,
/// where Rust's `{:.2}` rounds the binary value, just below, to 23987.35).
pub fn rate(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else {
        java_fixed(v, 2)
    }
}

/// `String.format("%.<places>f", v)` for a finite `v`.
pub fn java_fixed(v: f64, places: usize) -> String {
    // Rust's Display is the shortest representation that reads back, never in
    // E-notation: round that decimal string half up.
    let shortest = format!("{}", v.abs());
    let (int, frac) = shortest.split_once('.').unwrap_or((&shortest, ""));
    let mut digits: Vec<u8> = int.bytes().chain(frac.bytes()).map(|b| b - b'0').collect();
    let int_len = int.len();
    let keep = int_len + places;
    digits.resize(digits.len().max(keep + 1), 0);
    let round_up = digits[keep] >= 5;
    digits.truncate(keep);
    if round_up {
        let mut i = keep;
        loop {
            if i == 0 {
                digits.insert(0, 1);
                break;
            }
            i -= 1;
            if digits[i] == 9 {
                digits[i] = 0;
            } else {
                digits[i] += 1;
                break;
            }
        }
    }
    let int_digits = digits.len() - places;
    let text: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
    let (i, f) = text.split_at(int_digits);
    // Java keeps the sign of a negative number that rounds to zero (`-0.00`).
    let negative = v < 0.0;
    format!(
        "{}{}{}{}",
        if negative { "-" } else { "" },
        i,
        if places > 0 { "." } else { "" },
        f
    )
}

/// A count of records (lag): whole when whole.
pub fn count(v: f64) -> String {
    if v.is_finite() && (v - v.round()).abs() < 1e-9 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        rate(v)
    }
}

/// A factor: `2.86x`.
pub fn factor(v: f64) -> String {
    format!("{}x", ratio((v * 100.0).round() / 100.0))
}

/// A configured duration in Flink's syntax (`15min`, `1h`).
pub fn flink(d: Duration) -> String {
    flink_autoscale_rules::values::format_duration(d)
}

/// An instant to the second, RFC 3339 in UTC.
pub fn instant(t: jiff::Timestamp) -> String {
    jiff::Timestamp::from_second(t.as_second())
        .unwrap_or(t)
        .to_string()
}

/// Seconds from `from` to `to` (negative when `to` is earlier).
pub fn seconds_between(from: jiff::Timestamp, to: jiff::Timestamp) -> i64 {
    to.as_second() - from.as_second()
}

/// `t` plus a configured duration.
pub fn plus(t: jiff::Timestamp, d: Duration) -> jiff::Timestamp {
    jiff::SignedDuration::try_from(d)
        .ok()
        .and_then(|d| t.checked_add(d).ok())
        .unwrap_or(t)
}

/// `t` minus a configured duration; the earliest instant when that is before it.
pub fn minus(t: jiff::Timestamp, d: Duration) -> jiff::Timestamp {
    jiff::SignedDuration::try_from(d)
        .ok()
        .and_then(|d| t.checked_sub(d).ok())
        .unwrap_or(jiff::Timestamp::MIN)
}

/// "1 vertex", "2 vertices".
pub fn vertices(n: usize) -> String {
    if n == 1 {
        "1 vertex".into()
    } else {
        format!("{n} vertices")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(ratio(0.7), "0.7");
        assert_eq!(ratio(1.0), "1");
        assert_eq!(ratio(0.0), "0");
        assert_eq!(pct(0.7), "70%");
        assert_eq!(pct(0.725), "72.5%");
        assert_eq!(pct(1.0 / 3.0), "33.3%");
        assert_eq!(rate(1234.5), "1234.50");
        // Java's %.2f rounds HALF_UP from the shortest decimal form.
        assert_eq!(rate(23_987.355), "23987.36");
        assert_eq!(format!("{:.2}", 23_987.355), "23987.35");
        assert_eq!(rate(0.125), "0.13");
        // From the operator-produced `pending-eviction` fixture: the ScalingReport
        // says 32490.98 and 32512.32 where Rust's {:.2} gives .97 and .31.
        assert_eq!(rate(32_490.975), "32490.98");
        assert_eq!(rate(32_512.315), "32512.32");
        assert_eq!(rate(9.995), "10.00");
        assert_eq!(rate(-1.005), "-1.01");
        assert_eq!(rate(12_312_000.0), "12312000.00");
        assert_eq!(rate(-0.001), "-0.00");
        assert_eq!(rate(f64::INFINITY), "Infinity");
        assert_eq!(count(360_000.0), "360000");
        assert_eq!(factor(2.857), "2.86x");
    }

    #[test]
    fn durations() {
        assert_eq!(flink(Duration::from_secs(900)), "15min");
        let t: jiff::Timestamp = "2026-07-01T10:15:30.123Z".parse().unwrap();
        assert_eq!(instant(t), "2026-07-01T10:15:30Z");
        assert_eq!(
            instant(plus(t, Duration::from_secs(60))),
            "2026-07-01T10:16:30Z"
        );
    }
}

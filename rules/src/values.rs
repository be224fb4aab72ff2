//! Flink's value syntax: durations (`TimeUtils.parseDuration`), memory sizes
//! (`MemorySize.parse`), booleans, ints, doubles, enums and `;`-separated lists, parsed
//! as Flink parses them so that we refuse exactly what the operator would choke on.

use std::fmt;
use std::time::Duration;

/// The type of an option, as named in the options table (`duration`, `int`,
/// `enum:MetricAggregator`, `list<string>`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    Boolean,
    Int,
    Double,
    Duration,
    Memory,
    String,
    List,
    /// An enum with its constants, as Java spells them.
    Enum(&'static str, &'static [&'static str]),
}

impl fmt::Display for ValueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueKind::Boolean => f.write_str("boolean"),
            ValueKind::Int => f.write_str("int"),
            ValueKind::Double => f.write_str("double"),
            ValueKind::Duration => f.write_str("duration"),
            ValueKind::Memory => f.write_str("memory size"),
            ValueKind::String => f.write_str("string"),
            ValueKind::List => f.write_str("list"),
            ValueKind::Enum(name, _) => write!(f, "enum {name}"),
        }
    }
}

/// A parsed option value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Boolean(bool),
    Int(i32),
    Double(f64),
    Duration(Duration),
    /// Bytes.
    Memory(u64),
    String(String),
    List(Vec<String>),
    /// The enum constant in its canonical (Java) spelling.
    Enum(&'static str),
}

impl Value {
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Boolean(b) => Some(*b),
            _ => None,
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Double(d) => Some(*d),
            Value::Int(i) => Some(f64::from(*i)),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(i64::from(*i)),
            _ => None,
        }
    }
    pub fn as_duration(&self) -> Option<Duration> {
        match self {
            Value::Duration(d) => Some(*d),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Boolean(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Double(d) => write!(f, "{d}"),
            Value::Duration(d) => f.write_str(&format_duration(*d)),
            Value::Memory(b) => f.write_str(&format_memory(*b)),
            Value::String(s) => f.write_str(s),
            Value::List(items) => f.write_str(&items.join(";")),
            Value::Enum(e) => f.write_str(e),
        }
    }
}

/// Why a value does not parse, worded to be shown after the value in a field error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ValueError(pub String);

/// Parses `raw` as Flink would parse a value of type `kind`.
pub fn parse(kind: ValueKind, raw: &str) -> Result<Value, ValueError> {
    match kind {
        ValueKind::Boolean => parse_bool(raw).map(Value::Boolean),
        ValueKind::Int => parse_int(raw).map(Value::Int),
        ValueKind::Double => parse_double(raw).map(Value::Double),
        ValueKind::Duration => parse_duration(raw).map(Value::Duration),
        ValueKind::Memory => parse_memory_size(raw).map(Value::Memory),
        ValueKind::String => Ok(Value::String(raw.to_string())),
        ValueKind::List => parse_list(raw).map(Value::List),
        ValueKind::Enum(name, constants) => parse_enum(raw, name, constants).map(Value::Enum),
    }
}

/// `s` upper- or lower-cased as `str::to_uppercase` / `to_lowercase` do, handed to
/// `f`. Short ASCII text (every unit label, boolean and enum constant) is cased on
/// the stack: a review parses a few dozen such values.
fn cased<R>(s: &str, upper: bool, f: impl FnOnce(&str) -> R) -> R {
    const ON_STACK: usize = 32;
    if s.is_ascii() && s.len() <= ON_STACK {
        let mut buf = [0u8; ON_STACK];
        let bytes = &mut buf[..s.len()];
        bytes.copy_from_slice(s.as_bytes());
        if upper {
            bytes.make_ascii_uppercase();
        } else {
            bytes.make_ascii_lowercase();
        }
        // ASCII in, ASCII out: always UTF-8.
        if let Ok(text) = std::str::from_utf8(bytes) {
            return f(text);
        }
    }
    let owned = if upper {
        s.to_uppercase()
    } else {
        s.to_lowercase()
    };
    f(&owned)
}

/// `true` or `false`, case-insensitive and **not trimmed**
/// (`ConfigurationUtils.convertToBoolean` upper-cases the raw string and compares it:
/// `" true"` throws in Flink 1.20, so the operator refuses the object).
pub fn parse_bool(raw: &str) -> Result<bool, ValueError> {
    // Java upper-cases the whole string and compares, so we do the same (Unicode-aware,
    // as `String.toUpperCase` is) rather than `eq_ignore_ascii_case`.
    cased(raw, true, |upper| match upper {
        "TRUE" => Ok(true),
        "FALSE" => Ok(false),
        "" => Err(invalid("not a boolean: empty; write true or false")),
        _ => Err(invalid(format!(
            "not a boolean{}; write true or false (any case, nothing around it)",
            untrimmed_reason(raw, |t| parse_bool(t).is_ok())
        ))),
    })
}

/// `: it has a leading space ...` when the value would parse without the whitespace
/// Flink does not strip, else nothing.
fn untrimmed_reason(raw: &str, parses: impl Fn(&str) -> bool) -> &'static str {
    let trimmed = java_trim(raw);
    if trimmed.len() == raw.len() || !parses(trimmed) {
        return "";
    }
    match (
        raw.len() - raw.trim_start_matches(|c: char| c <= ' ').len(),
        raw.len() - raw.trim_end_matches(|c: char| c <= ' ').len(),
    ) {
        (0, _) => ": it has trailing whitespace, which Flink does not strip from this type",
        (_, 0) => ": it has a leading space, which Flink does not strip from this type",
        _ => ": it has leading and trailing whitespace, which Flink does not strip from this type",
    }
}

/// A Java `int` (`Integer.parseInt`).
///
/// Not trimmed: `Integer.parseInt(" 3")` throws, and so does the operator.
pub fn parse_int(raw: &str) -> Result<i32, ValueError> {
    let text = raw;
    if text.is_empty() {
        return Err(invalid(
            "not an int: empty; expected a whole number, e.g. 4",
        ));
    }
    let untrimmed = untrimmed_reason(raw, |t| parse_int(t).is_ok());
    if !untrimmed.is_empty() {
        return Err(invalid(format!(
            "not an int{untrimmed}; write the number alone, e.g. {}",
            java_trim(raw)
        )));
    }
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if !digits.is_empty() && !digits.is_ascii() && digits.chars().all(|c| java_digit(c).is_some()) {
        // `Integer.parseInt` reads any Unicode decimal digit (`Character.digit`), e.g. "３".
        let ascii: String = digits
            .chars()
            .filter_map(java_digit)
            .map(|d| char::from(b'0' + d))
            .collect();
        let sign = if text.starts_with('-') { "-" } else { "" };
        return parse_int(&format!("{sign}{ascii}"));
    }
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        let is_fraction = digits.split_once('.').is_some_and(|(whole, fraction)| {
            whole.bytes().all(|b| b.is_ascii_digit())
                && !fraction.is_empty()
                && fraction.bytes().all(|b| b.is_ascii_digit())
        });
        let message = if is_fraction {
            "not an int: fractions are not allowed; expected a whole number, e.g. 4"
        } else {
            "not an int: expected a whole number with an optional sign, e.g. 4"
        };
        return Err(invalid(message));
    }
    // Only an optional sign and ASCII digits are left, so the only failure is overflow.
    text.parse::<i32>().map_err(|_| {
        invalid(format!(
            "not an int: numeric overflow; must be between {} and {}",
            i32::MIN,
            i32::MAX
        ))
    })
}

/// A Java `double` (`Double.parseDouble`).
///
/// The grammar is checked here, by hand, because Rust's `f64::from_str` and Java disagree
/// at the edges: Rust takes `inf`, `nan` and `infinity` in any case, Java only `NaN` and
/// `Infinity`; Java takes a trailing `d`/`f` type suffix, Rust does not.
pub fn parse_double(raw: &str) -> Result<f64, ValueError> {
    let text = java_trim(raw);
    if text.is_empty() {
        return Err(invalid(
            "not a number: empty; expected a decimal, e.g. 0.7 or 1e3",
        ));
    }
    let (negative, body) = match text.as_bytes().first() {
        Some(b'-') => (true, text.get(1..).unwrap_or_default()),
        Some(b'+') => (false, text.get(1..).unwrap_or_default()),
        _ => (false, text),
    };
    match body {
        "NaN" => return Ok(f64::NAN),
        "Infinity" if negative => return Ok(f64::NEG_INFINITY),
        "Infinity" => return Ok(f64::INFINITY),
        _ => {}
    }
    if ["nan", "inf", "infinity", "+inf", "-inf"]
        .iter()
        .any(|s| body.eq_ignore_ascii_case(s))
    {
        return Err(invalid(
            "not a number: Java spells these NaN and Infinity (case-sensitive, optional sign)",
        ));
    }
    if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        return parse_hex_double(hex)
            .map(|v| if negative { -v } else { v })
            .ok_or_else(|| {
                invalid("not a number: a hexadecimal double needs a binary exponent, e.g. 0x1.8p-1")
            });
    }
    let bad = || invalid("not a number: expected a decimal like 0.7, .5, 1e3 or -2.5");

    let bytes = text.as_bytes();
    let mut pos = text.len() - body.len();
    let int_digits = count_digits(bytes, pos);
    pos += int_digits;
    let mut frac_digits = 0;
    if bytes.get(pos) == Some(&b'.') {
        pos += 1;
        frac_digits = count_digits(bytes, pos);
        pos += frac_digits;
    }
    if int_digits + frac_digits == 0 {
        return Err(bad());
    }
    if matches!(bytes.get(pos), Some(b'e' | b'E')) {
        pos += 1;
        if matches!(bytes.get(pos), Some(b'+' | b'-')) {
            pos += 1;
        }
        let exp_digits = count_digits(bytes, pos);
        if exp_digits == 0 {
            return Err(bad());
        }
        pos += exp_digits;
    }
    // Java allows exactly one trailing type suffix and nothing else.
    let rest = text.get(pos..).unwrap_or_default();
    if !matches!(rest, "" | "d" | "D" | "f" | "F") {
        return Err(bad());
    }
    let number = text.get(..pos).ok_or_else(bad)?;
    number.parse::<f64>().map_err(|_| bad())
}

/// Flink's `TimeUtils.parseDuration`.
///
/// As in Flink 1.20 (the version the operator builds against): a whole number that fits a
/// Java `long`, optional whitespace, an optional unit; the result must fit a
/// `java.time.Duration`.
pub fn parse_duration(raw: &str) -> Result<Duration, ValueError> {
    const EXAMPLES: &str = "e.g. 5min or 300s";
    let text = java_trim(raw);
    if text.is_empty() {
        return Err(invalid(format!(
            "not a duration: empty; expected a whole number and a unit, {EXAMPLES}"
        )));
    }
    let (number, rest) = split_leading_digits(text);
    if number.is_empty() {
        return Err(invalid(format!(
            "not a duration: {}",
            missing_number_reason(text, "durations", "5min", EXAMPLES)
        )));
    }
    if looks_fractional(rest) {
        let fix = fractional_duration_fix(number, rest)
            .map(|(whole, label)| format!("write {whole}{label}"))
            .unwrap_or_else(|| "use a smaller unit".to_string());
        return Err(invalid(format!(
            "not a duration: fractions are not allowed; {fix}"
        )));
    }
    let Ok(value) = number.parse::<i64>() else {
        return Err(invalid(format!(
            "not a duration: numeric overflow; the number must be at most {}",
            i64::MAX
        )));
    };
    let label = java_trim(rest);
    let Some(unit) = TimeUnit::from_label(label) else {
        let hint = if label.eq_ignore_ascii_case("us") {
            "; Flink spells microseconds µs or micros"
        } else {
            ""
        };
        return Err(invalid(format!(
            "not a duration: unit \"{label}\" is not one of Flink's labels {} ({EXAMPLES}){hint}",
            TimeUnit::ALL_LABELS
        )));
    };
    unit.duration(value).ok_or_else(|| {
        invalid(format!(
            "not a duration: numeric overflow; longer than Java's Duration can hold (at most {} seconds)",
            i64::MAX
        ))
    })
}

/// Flink's `MemorySize.parse`, in bytes.
pub fn parse_memory_size(raw: &str) -> Result<u64, ValueError> {
    const EXAMPLES: &str = "e.g. 2g or 1536m";
    let text = java_trim(raw);
    if text.is_empty() {
        return Err(invalid(format!(
            "not a memory size: empty; expected a whole number and a unit, {EXAMPLES}"
        )));
    }
    let (number, rest) = split_leading_digits(text);
    if number.is_empty() {
        return Err(invalid(format!(
            "not a memory size: {}",
            missing_number_reason(text, "memory sizes", "2g", EXAMPLES)
        )));
    }
    if looks_fractional(rest) {
        return Err(invalid(
            "not a memory size: fractions are not allowed; use a smaller unit (e.g. 1536m, not 1.5g)",
        ));
    }
    let overflow = || {
        invalid(format!(
            "not a memory size: numeric overflow; at most {} bytes",
            i64::MAX
        ))
    };
    let value = number.parse::<i64>().map_err(|_| overflow())?;
    let label = java_trim(rest);
    let Some(multiplier) = memory_multiplier(label) else {
        let hint = if kubernetes_binary_suffix(label) {
            "; Kubernetes suffixes like Gi are not Flink syntax, write 2g"
        } else {
            ""
        };
        return Err(invalid(format!(
            "not a memory size: unit \"{label}\" is not one of b, k, m, g, t (or kb, mb, gb, tb; \
             all 1024-based, {EXAMPLES}){hint}"
        )));
    };
    let bytes = value.checked_mul(multiplier).ok_or_else(overflow)?;
    u64::try_from(bytes).map_err(|_| overflow())
}

/// An enum constant, matched case-insensitively as `ConfigurationUtils.convertToEnum` does.
pub fn parse_enum(
    raw: &str,
    name: &'static str,
    constants: &'static [&'static str],
) -> Result<&'static str, ValueError> {
    // Not trimmed: `convertToEnum` compares the upper-cased raw string.
    cased(raw, true, |wanted| {
        constants
            .iter()
            .copied()
            .find(|constant| cased(constant, true, |c| c == wanted))
    })
    .ok_or_else(|| {
        invalid(format!(
            "not a {name}{}; must be one of {} (case-insensitive, nothing around it)",
            untrimmed_reason(raw, |t| parse_enum(t, name, constants).is_ok()),
            constants.join(", ")
        ))
    })
}

/// A `;`-separated list (Flink's `StructuredOptionsSplitter`, with `'`/`"` quoting).
///
/// Mirrors `splitEscaped(value, ';')` token by token, quirks included: empty input is an
/// empty list, a leading or trailing `;` adds nothing, `a;;b` has an empty middle element.
pub fn parse_list(raw: &str) -> Result<Vec<String>, ValueError> {
    let tokens = tokenize_list(raw)?;
    let mut items = Vec::new();
    let mut tokens = tokens.into_iter().peekable();
    while let Some((token, _)) = tokens.next() {
        let next = tokens.peek();
        match token {
            ListToken::Quoted(item) => {
                if let Some((_, position)) = next.filter(|(t, _)| *t != ListToken::Delimiter) {
                    return Err(invalid(format!(
                        "not a list: text at character {} follows a closing quote; separate elements with ;",
                        position + 1
                    )));
                }
                items.push(item);
            }
            ListToken::Unquoted(item) => items.push(item),
            ListToken::Delimiter => {
                if matches!(next, Some((ListToken::Delimiter, _))) {
                    items.push(String::new());
                }
            }
        }
    }
    Ok(items)
}

/// A duration in the shortest Flink spelling that is exact (`90s`, `5min`, `1h`).
pub fn format_duration(d: Duration) -> String {
    let nanos = d.as_nanos();
    if nanos == 0 {
        return "0ms".to_string();
    }
    TimeUnit::LARGEST_FIRST
        .iter()
        .find(|unit| nanos.is_multiple_of(unit.nanos()))
        .map(|unit| format!("{}{}", nanos / unit.nanos(), unit.label()))
        .unwrap_or_else(|| format!("{nanos}ns"))
}

/// A memory size in the largest binary unit that divides it (`2g`, `1536m`).
pub fn format_memory(bytes: u64) -> String {
    const UNITS: [(u64, &str); 4] = [
        (1 << 40, "t"),
        (1 << 30, "g"),
        (1 << 20, "m"),
        (1 << 10, "k"),
    ];
    if bytes == 0 {
        return "0b".to_string();
    }
    UNITS
        .iter()
        .find(|(size, _)| bytes.is_multiple_of(*size))
        .map(|(size, label)| format!("{}{label}", bytes / size))
        .unwrap_or_else(|| format!("{bytes}b"))
}

/// Java's hexadecimal floating-point literal after `0x` (`Double.parseDouble("0x1.8p-1")`
/// is 0.75): hex digits with an optional point, a mandatory `p` exponent, an optional
/// `d`/`f` suffix.
fn parse_hex_double(hex: &str) -> Option<f64> {
    let hex = hex.strip_suffix(['d', 'D', 'f', 'F']).unwrap_or(hex);
    let (mantissa, exponent) = hex.split_once(['p', 'P'])?;
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_hexdigit());
    if !digits(whole) || !digits(fraction) {
        return None;
    }
    let exp_digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
    if exp_digits.is_empty() || !exp_digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Exponents beyond a few thousand saturate to 0 or infinity, as in Java.
    let exp: i32 = exponent.parse().unwrap_or(if exponent.starts_with('-') {
        -100_000
    } else {
        100_000
    });
    let mut value = 0f64;
    for c in whole.chars().chain(fraction.chars()) {
        value = value * 16.0 + f64::from(c.to_digit(16)?);
    }
    let shift = i64::from(exp) - 4 * i64::try_from(fraction.len()).ok()?;
    let shift = i32::try_from(shift.clamp(-100_000, 100_000)).ok()?;
    Some(value * 2f64.powi(shift.clamp(-1200, 1200)))
}

/// Java's `Character.digit(c, 10)`: the value of a Unicode decimal digit (category
/// Nd). Each Nd block is ten consecutive code points starting at its zero; the zeros
/// are read off Unicode 14's database.
fn java_digit(c: char) -> Option<u8> {
    const ZEROS: [u32; 66] = [
        0x30, 0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66,
        0xDE6, 0xE50, 0xED0, 0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90,
        0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0,
        0xFF10, 0x104A0, 0x10D30, 0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0,
        0x11650, 0x116C0, 0x11730, 0x118E0, 0x11950, 0x11C50, 0x11D50, 0x11DA0, 0x16A60, 0x16AC0,
        0x16B50, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E950, 0x1FBF0,
    ];
    let cp = u32::from(c);
    let zero = ZEROS.iter().rev().find(|z| **z <= cp)?;
    u8::try_from(cp - zero).ok().filter(|d| *d < 10)
}

fn invalid(message: impl Into<String>) -> ValueError {
    ValueError(message.into())
}

/// Java's `String.trim`: strips every char up to U+0020 (controls included) and nothing
/// else, so a no-break space stays and makes the value invalid, as in Flink.
fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

/// Java's `Character.isWhitespace`, used by the list splitter between tokens. Unlike
/// Rust's `char::is_whitespace` it excludes no-break spaces and U+0085.
fn java_is_whitespace(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n'
            | '\u{0B}'
            | '\u{0C}'
            | '\r'
            | '\u{1C}'..='\u{1F}'
            | ' '
            | '\u{1680}'
            | '\u{2000}'..='\u{2006}'
            | '\u{2008}'..='\u{200A}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{205F}'
            | '\u{3000}'
    )
}

fn count_digits(bytes: &[u8], from: usize) -> usize {
    bytes
        .iter()
        .skip(from)
        .take_while(|b| b.is_ascii_digit())
        .count()
}

/// The leading ASCII digits (Flink's loop checks `'0'..='9'` only) and the rest.
fn split_leading_digits(text: &str) -> (&str, &str) {
    let end = count_digits(text.as_bytes(), 0);
    // ASCII digits are one byte each, so `end` is a char boundary.
    text.split_at_checked(end).unwrap_or((text, ""))
}

/// `.5`, `.5min`, `,5`: the user meant a fraction.
fn looks_fractional(rest: &str) -> bool {
    let mut chars = rest.chars();
    matches!(chars.next(), Some('.' | ',')) && chars.next().is_some_and(|c| c.is_ascii_digit())
}

/// Why a duration or memory size that does not start with a digit is wrong.
fn missing_number_reason(text: &str, what: &str, sample: &str, examples: &str) -> String {
    let after_sign = text.get(1..).unwrap_or_default();
    let starts_with_digit = after_sign.starts_with(|c: char| c.is_ascii_digit());
    if text.starts_with('-') && (starts_with_digit || after_sign.starts_with('.')) {
        format!("negative {what} are not allowed")
    } else if text.starts_with('+') && starts_with_digit {
        format!("a sign is not allowed; write the number alone, e.g. {sample}")
    } else if looks_fractional(text) {
        format!("fractions are not allowed; expected a whole number and a unit, {examples}")
    } else if what == "durations" && (text.starts_with(['P', 'p']) || text.starts_with("-P")) {
        format!("ISO-8601 form is not accepted; write a number and a unit, {examples}")
    } else {
        format!("must start with a whole number, {examples}")
    }
}

/// The units of `TimeUtils.TimeUnit`, with the labels Flink 1.20 accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TimeUnit {
    Days,
    Hours,
    Minutes,
    Seconds,
    Millis,
    Micros,
    Nanos,
}

impl TimeUnit {
    /// Every label `TimeUtils.TimeUnit` accepts (Flink 1.20), for messages.
    const ALL_LABELS: &'static str = "d, day, days, h, hour, hours, min, m, minute, minutes, \
         s, sec, secs, second, seconds, ms, milli, millis, millisecond, milliseconds, \
         µs, micro, micros, microsecond, microseconds, ns, nano, nanos, nanosecond, nanoseconds \
         (any case; no unit = ms)";

    const LARGEST_FIRST: [TimeUnit; 7] = [
        TimeUnit::Days,
        TimeUnit::Hours,
        TimeUnit::Minutes,
        TimeUnit::Seconds,
        TimeUnit::Millis,
        TimeUnit::Micros,
        TimeUnit::Nanos,
    ];

    /// Looks a label up as Flink does: lower-cased (`toLowerCase(Locale.US)`), exact match.
    /// `m` for minutes exists since FLINK-24886; `us` is not a Flink label (only `µs`).
    fn from_label(label: &str) -> Option<TimeUnit> {
        cased(label, false, |label| {
            Some(match label {
                "" => TimeUnit::Millis,
                "d" | "day" | "days" => TimeUnit::Days,
                "h" | "hour" | "hours" => TimeUnit::Hours,
                "min" | "m" | "minute" | "minutes" => TimeUnit::Minutes,
                "s" | "sec" | "secs" | "second" | "seconds" => TimeUnit::Seconds,
                "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => TimeUnit::Millis,
                "µs" | "micro" | "micros" | "microsecond" | "microseconds" => TimeUnit::Micros,
                "ns" | "nano" | "nanos" | "nanosecond" | "nanoseconds" => TimeUnit::Nanos,
                _ => return None,
            })
        })
    }

    /// The shortest label, used when formatting.
    fn label(self) -> &'static str {
        match self {
            TimeUnit::Days => "d",
            TimeUnit::Hours => "h",
            TimeUnit::Minutes => "min",
            TimeUnit::Seconds => "s",
            TimeUnit::Millis => "ms",
            TimeUnit::Micros => "µs",
            TimeUnit::Nanos => "ns",
        }
    }

    fn nanos(self) -> u128 {
        match self {
            TimeUnit::Days => 86_400_000_000_000,
            TimeUnit::Hours => 3_600_000_000_000,
            TimeUnit::Minutes => 60_000_000_000,
            TimeUnit::Seconds => 1_000_000_000,
            TimeUnit::Millis => 1_000_000,
            TimeUnit::Micros => 1_000,
            TimeUnit::Nanos => 1,
        }
    }

    /// `Duration.of(value, unit)`: `None` where Java throws `ArithmeticException`, i.e.
    /// when the seconds do not fit a `long`. Sub-second units always fit.
    fn duration(self, value: i64) -> Option<Duration> {
        let value = u64::try_from(value).ok()?;
        let seconds_per_unit: u64 = match self {
            TimeUnit::Days => 86_400,
            TimeUnit::Hours => 3_600,
            TimeUnit::Minutes => 60,
            TimeUnit::Seconds => 1,
            TimeUnit::Millis => return Some(Duration::from_millis(value)),
            TimeUnit::Micros => return Some(Duration::from_micros(value)),
            TimeUnit::Nanos => return Some(Duration::from_nanos(value)),
        };
        let seconds = value.checked_mul(seconds_per_unit)?;
        (seconds <= i64::MAX.unsigned_abs()).then(|| Duration::from_secs(seconds))
    }
}

/// For `1.5h`: the same length as a whole number of a smaller unit (`90min`), if the
/// fraction is exact in one.
fn fractional_duration_fix(whole: &str, rest: &str) -> Option<(u128, &'static str)> {
    let fraction: String = rest
        .chars()
        .skip(1)
        .take_while(char::is_ascii_digit)
        .collect();
    let label = java_trim(rest.get(1 + fraction.len()..)?);
    let unit = TimeUnit::from_label(label)?;
    let scale = 10u128.checked_pow(u32::try_from(fraction.len()).ok()?)?;
    let whole: u128 = whole.parse().ok()?;
    let fraction: u128 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().ok()?
    };
    // The length in nanoseconds times `scale`.
    let scaled = (whole.checked_mul(scale)?.checked_add(fraction)?).checked_mul(unit.nanos())?;
    TimeUnit::LARGEST_FIRST
        .iter()
        .filter(|smaller| smaller.nanos() < unit.nanos())
        .find_map(|smaller| match smaller.nanos().checked_mul(scale) {
            Some(step) => scaled
                .is_multiple_of(step)
                .then(|| (scaled / step, smaller.label())),
            // A step beyond u128 exceeds any length: only zero is a multiple (found
            // by the value_parsers fuzz target: 38 fraction digits).
            None => (scaled == 0).then_some((0, smaller.label())),
        })
}

/// `MemorySize.MemoryUnit` multipliers, by the labels Flink accepts (lower-cased first).
fn memory_multiplier(label: &str) -> Option<i64> {
    cased(label, false, |label| {
        Some(match label {
            "" | "b" | "bytes" => 1,
            "k" | "kb" | "kibibytes" => 1 << 10,
            "m" | "mb" | "mebibytes" => 1 << 20,
            "g" | "gb" | "gibibytes" => 1 << 30,
            "t" | "tb" | "tebibytes" => 1 << 40,
            _ => return None,
        })
    })
}

/// `Ki`, `Mi`, `Gi`, `Ti` (any case): a Kubernetes quantity suffix, worth a hint.
fn kubernetes_binary_suffix(label: &str) -> bool {
    ["ki", "mi", "gi", "ti", "kib", "mib", "gib", "tib"]
        .iter()
        .any(|s| label.eq_ignore_ascii_case(s))
}

#[derive(Debug, PartialEq, Eq)]
enum ListToken {
    /// The unescaped text between the quotes.
    Quoted(String),
    /// Trimmed text.
    Unquoted(String),
    Delimiter,
}

/// `StructuredOptionsSplitter.tokenize` with `;` as the delimiter: tokens and the
/// (0-based, char) positions where they start.
fn tokenize_list(raw: &str) -> Result<Vec<(ListToken, usize)>, ValueError> {
    let chars: Vec<char> = raw.chars().collect();
    let mut tokens = Vec::new();
    let mut cursor = 0;
    while let Some(&c) = chars.get(cursor) {
        match c {
            '\'' | '"' => {
                let (item, next) = consume_quoted(&chars, cursor, c)?;
                tokens.push((ListToken::Quoted(item), cursor));
                cursor = next;
            }
            ';' => {
                tokens.push((ListToken::Delimiter, cursor));
                cursor += 1;
            }
            c if java_is_whitespace(c) => cursor += 1,
            _ => {
                let (item, next) = consume_unquoted(&chars, cursor)?;
                tokens.push((ListToken::Unquoted(java_trim(&item).to_string()), cursor));
                cursor = next;
            }
        }
    }
    Ok(tokens)
}

fn consume_quoted(chars: &[char], open: usize, quote: char) -> Result<(String, usize), ValueError> {
    let mut item = String::new();
    let mut i = open + 1;
    while let Some(&c) = chars.get(i) {
        if c == quote {
            if chars.get(i + 1) == Some(&quote) {
                item.push(c);
                i += 2;
                continue;
            }
            return Ok((item, i + 1));
        }
        item.push(c);
        i += 1;
    }
    Err(invalid(format!(
        "not a list: the quote at character {} is never closed (to include a quote, double it: 'it''s')",
        open + 1
    )))
}

fn consume_unquoted(chars: &[char], start: usize) -> Result<(String, usize), ValueError> {
    let mut item = String::new();
    let mut i = start;
    while let Some(&c) = chars.get(i) {
        match c {
            ';' => return Ok((item, i)),
            '\'' | '"' => {
                return Err(invalid(format!(
                    "not a list: quote at character {} inside an unquoted element; \
                     quote the whole element instead, e.g. 'a\"b'",
                    i + 1
                )));
            }
            _ => item.push(c),
        }
        i += 1;
    }
    Ok((item, i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn err<T: fmt::Debug>(result: Result<T, ValueError>) -> String {
        match result {
            Ok(value) => panic!("expected an error, got {value:?}"),
            Err(ValueError(message)) => message,
        }
    }

    const SECOND: Duration = Duration::from_secs(1);
    const MINUTE: Duration = Duration::from_secs(60);
    const HOUR: Duration = Duration::from_secs(3600);
    const DAY: Duration = Duration::from_secs(86_400);

    // --- booleans -------------------------------------------------------------------

    #[test]
    fn bool_accepts_true_and_false_in_any_case_but_does_not_trim() {
        // Flink 1.20.5 `Configuration.get` on a boolean option: "TRUE" and "True" are
        // true, " true" and "true " throw IllegalArgumentException ("Could not parse
        // value ' true' for key ...").
        for raw in ["true", "TRUE", "True", "tRuE"] {
            assert_eq!(parse_bool(raw), Ok(true), "{raw:?}");
        }
        for raw in ["false", "FALSE", "False", "fAlSe"] {
            assert_eq!(parse_bool(raw), Ok(false), "{raw:?}");
        }
        assert!(err(parse_bool(" true")).contains("leading space"));
        assert!(err(parse_bool("true ")).contains("trailing whitespace"));
        assert!(err(parse_bool("\ttrue\n")).contains("leading and trailing"));
    }

    #[test]
    fn bool_rejects_everything_else() {
        for raw in [
            "yes",
            "no",
            "1",
            "0",
            "on",
            "t",
            "tru",
            "true!",
            "true false",
        ] {
            assert_eq!(
                err(parse_bool(raw)),
                "not a boolean; write true or false (any case, nothing around it)",
                "{raw:?}"
            );
        }
        assert!(err(parse_bool("")).contains("empty"));
        assert!(!err(parse_bool("   ")).contains("leading space"));
    }

    // --- ints -----------------------------------------------------------------------

    #[test]
    fn int_accepts_java_integers() {
        let cases = [
            ("0", 0),
            ("42", 42),
            ("+7", 7),
            ("-7", -7),
            ("-0", 0),
            ("007", 7),
            ("2147483647", i32::MAX),
            ("-2147483648", i32::MIN),
            ("+0002147483647", i32::MAX),
        ];
        for (raw, expected) in cases {
            assert_eq!(parse_int(raw), Ok(expected), "{raw:?}");
        }
    }

    #[test]
    fn int_reads_unicode_digits_as_java_does() {
        // `Integer.parseInt("３")` is 3 (Character.digit reads every Nd digit); recorded
        // with Flink 1.20.5 in the conformance corpus (value-parsing).
        assert_eq!(parse_int("３"), Ok(3));
        assert_eq!(parse_int("-٤٢"), Ok(-42));
        assert_eq!(parse_int("1٢"), Ok(12));
        assert!(parse_int("３.5").is_err());
        assert!(parse_int("Ⅻ").is_err());
    }

    #[test]
    fn int_overflow_is_an_error_that_says_so() {
        for raw in ["2147483648", "-2147483649", "99999999999999999999999"] {
            let message = err(parse_int(raw));
            assert!(message.contains("numeric overflow"), "{raw:?}: {message}");
            assert!(message.contains("2147483647"), "{raw:?}: {message}");
        }
    }

    #[test]
    fn int_rejects_fractions_and_garbage() {
        for raw in ["1.5", ".5", "-2.0"] {
            assert!(err(parse_int(raw)).contains("fractions"), "{raw:?}");
        }
        for raw in [
            "abc", "+", "-", "1e3", "0x10", "1 000", "1_000", "--1", "+-1", "4 pods",
        ] {
            assert!(err(parse_int(raw)).contains("whole number"), "{raw:?}");
        }
        assert!(err(parse_int("")).contains("empty"));
        // `Integer.parseInt(" 3")` throws: Flink does not trim ints.
        assert!(err(parse_int(" 3")).contains("leading space"));
        assert!(err(parse_int("3 ")).contains("trailing whitespace"));
        assert!(err(parse_int(" \t ")).contains("whole number"));
    }

    // --- doubles --------------------------------------------------------------------

    #[test]
    fn double_accepts_java_decimal_forms() {
        let cases = [
            ("1.5", 1.5),
            ("1.", 1.0),
            (".5", 0.5),
            ("-.5", -0.5),
            ("+.5", 0.5),
            ("-2.5", -2.5),
            ("+3", 3.0),
            ("0", 0.0),
            ("007.50", 7.5),
            ("1e3", 1000.0),
            ("1E-3", 0.001),
            ("1.5e+2", 150.0),
            (".5e1", 5.0),
            ("1.e2", 100.0),
            (" 0.7 ", 0.7),
            ("\t0.7\n", 0.7),
        ];
        for (raw, expected) in cases {
            assert_eq!(parse_double(raw), Ok(expected), "{raw:?}");
        }
    }

    #[test]
    fn double_accepts_one_trailing_type_suffix() {
        for (raw, expected) in [("1d", 1.0), ("1D", 1.0), ("2.5f", 2.5), ("2.5F", 2.5)] {
            assert_eq!(parse_double(raw), Ok(expected), "{raw:?}");
        }
        assert_eq!(parse_double("1e3d"), Ok(1000.0));
        assert_eq!(parse_double(".5f"), Ok(0.5));
        for raw in ["1dd", "1df", "1 d", "1x", "1.5L", "d", "f"] {
            assert!(
                err(parse_double(raw)).starts_with("not a number"),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn double_accepts_java_nan_and_infinity_spellings() {
        assert!(parse_double("NaN").is_ok_and(f64::is_nan));
        assert!(parse_double("-NaN").is_ok_and(f64::is_nan));
        assert!(parse_double(" NaN ").is_ok_and(f64::is_nan));
        assert_eq!(parse_double("Infinity"), Ok(f64::INFINITY));
        assert_eq!(parse_double("+Infinity"), Ok(f64::INFINITY));
        assert_eq!(parse_double("-Infinity"), Ok(f64::NEG_INFINITY));
    }

    #[test]
    fn double_rejects_rust_only_nan_and_infinity_spellings() {
        for raw in [
            "inf",
            "-inf",
            "+inf",
            "Inf",
            "INF",
            "nan",
            "NAN",
            "Nan",
            "infinity",
            "INFINITY",
            "-infinity",
        ] {
            let message = err(parse_double(raw));
            assert!(message.contains("NaN and Infinity"), "{raw:?}: {message}");
        }
        for raw in ["NaNd", "Infinityf", "Infinit", "NaN NaN"] {
            assert!(
                err(parse_double(raw)).starts_with("not a number"),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn double_reads_java_hex_floats() {
        // `Double.parseDouble("0x1.8p-1")` is 0.75 (Flink 1.20.5 `Configuration.get`).
        for (raw, expected) in [
            ("0x1.8p-1", 0.75),
            ("0x1p3", 8.0),
            ("0X1.8P1", 3.0),
            ("-0x10p0", -16.0),
            ("0x.8p1", 1.0),
            ("0x1p-1d", 0.5),
            (" 0x1p0 ", 1.0),
        ] {
            assert_eq!(parse_double(raw), Ok(expected), "{raw:?}");
        }
        for raw in ["0x10", "0x", "0xp1", "0x1.8", "0xg1p0", "0x1p"] {
            assert!(err(parse_double(raw)).contains("hexadecimal"), "{raw:?}");
        }
    }

    #[test]
    fn double_rejects_malformed_numbers() {
        for raw in [
            ".", "-", "+", "e3", ".e3", "1e", "1e+", "1E-", "1.5.2", "1,5", "abc", "1 2", "--1",
            "1_000", "½", "٣",
        ] {
            assert!(
                err(parse_double(raw)).starts_with("not a number"),
                "{raw:?}"
            );
        }
        for raw in ["", "   "] {
            assert!(err(parse_double(raw)).contains("empty"), "{raw:?}");
        }
    }

    #[test]
    fn double_huge_exponents_saturate_as_in_java() {
        assert_eq!(parse_double("1e400"), Ok(f64::INFINITY));
        assert_eq!(parse_double("-1e400"), Ok(f64::NEG_INFINITY));
        assert_eq!(parse_double("1e-400"), Ok(0.0));
        assert_eq!(parse_double("1e99999999999999999999"), Ok(f64::INFINITY));
        assert_eq!(parse_double("1.7976931348623157e308"), Ok(f64::MAX));
    }

    // --- durations ------------------------------------------------------------------

    #[test]
    fn duration_accepts_every_flink_unit_label() {
        let units: [(&[&str], Duration); 7] = [
            (&["d", "day", "days"], DAY),
            (&["h", "hour", "hours"], HOUR),
            (&["min", "m", "minute", "minutes"], MINUTE),
            (&["s", "sec", "secs", "second", "seconds"], SECOND),
            (
                &["ms", "milli", "millis", "millisecond", "milliseconds"],
                Duration::from_millis(1),
            ),
            (
                &["µs", "micro", "micros", "microsecond", "microseconds"],
                Duration::from_micros(1),
            ),
            (
                &["ns", "nano", "nanos", "nanosecond", "nanoseconds"],
                Duration::from_nanos(1),
            ),
        ];
        for (labels, one) in units {
            for label in labels {
                assert_eq!(
                    parse_duration(&format!("7{label}")),
                    Ok(one * 7),
                    "7{label}"
                );
                assert_eq!(
                    parse_duration(&format!("7 {label}")),
                    Ok(one * 7),
                    "7 {label}"
                );
            }
        }
    }

    #[test]
    fn duration_without_unit_is_milliseconds() {
        assert_eq!(parse_duration("1500"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration(" 155 "), Ok(Duration::from_millis(155)));
    }

    #[test]
    fn duration_units_are_case_insensitive() {
        assert_eq!(parse_duration("5MIN"), Ok(MINUTE * 5));
        assert_eq!(parse_duration("5 Min"), Ok(MINUTE * 5));
        assert_eq!(parse_duration("1H"), Ok(HOUR));
        assert_eq!(parse_duration("2 DAYS"), Ok(DAY * 2));
        assert_eq!(parse_duration("3 Seconds"), Ok(SECOND * 3));
        assert_eq!(parse_duration("1 MS"), Ok(Duration::from_millis(1)));
        assert_eq!(parse_duration("1 µS"), Ok(Duration::from_micros(1)));
        assert_eq!(parse_duration("1 NANOS"), Ok(Duration::from_nanos(1)));
    }

    #[test]
    fn duration_allows_whitespace_around_and_between() {
        assert_eq!(parse_duration("  5   min  "), Ok(MINUTE * 5));
        assert_eq!(parse_duration("5\tmin"), Ok(MINUTE * 5));
        assert_eq!(parse_duration("\n30 s\r\n"), Ok(SECOND * 30));
        assert_eq!(parse_duration("007s"), Ok(SECOND * 7));
    }

    #[test]
    fn duration_unknown_unit_names_the_unit_and_the_allowed_ones() {
        // Flink 1.20.5: "5mins" throws; "5 minutes", "5m", "5MIN" are five minutes.
        let message = err(parse_duration("5 mins"));
        assert!(
            message.starts_with(
                "not a duration: unit \"mins\" is not one of Flink's labels d, day, days, h,"
            ),
            "{message}"
        );
        assert!(message.contains("min, m, minute, minutes"), "{message}");
        for raw in [
            "5 hrs",
            "5w",
            "5 weeks",
            "5 y",
            "5sx",
            "16 16 17 ms",
            "5 5s",
            "5μs",
        ] {
            assert!(
                err(parse_duration(raw)).contains("is not one of Flink's labels"),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn duration_us_is_not_a_flink_label_and_the_message_says_how_to_write_it() {
        for raw in ["5us", "5 US"] {
            let message = err(parse_duration(raw));
            assert!(message.contains("µs or micros"), "{raw:?}: {message}");
        }
    }

    #[test]
    fn duration_rejects_negative_signed_and_fractional_numbers() {
        assert_eq!(
            err(parse_duration("-5s")),
            "not a duration: negative durations are not allowed"
        );
        assert!(err(parse_duration("-1")).contains("negative"));
        assert!(err(parse_duration("+5s")).contains("sign is not allowed"));
        for raw in ["1.5min", "1.5", "0.5 s", "1,5min", ".5min"] {
            assert!(err(parse_duration(raw)).contains("fractions"), "{raw:?}");
        }
        // The fix names the same length in a smaller unit.
        for (raw, fix) in [
            ("1.5h", "write 90min"),
            ("1.5min", "write 90s"),
            ("0.5 s", "write 500ms"),
            ("2.25d", "write 54h"),
            ("1.5", "write 1500µs"),
        ] {
            assert!(
                err(parse_duration(raw)).ends_with(fix),
                "{raw:?}: {}",
                err(parse_duration(raw))
            );
        }
    }

    /// Found by the value_parsers fuzz target: a fraction of 38 digits makes the
    /// scale 10^38, and a smaller unit's step times it overflowed u128.
    #[test]
    fn a_fraction_of_many_digits_is_refused_without_overflow() {
        let raw = "00000.00000000000400305690354900000000000000";
        assert!(err(parse_duration(raw)).contains("fractions"), "{raw:?}");
        let zero = format!("1.{}h", "0".repeat(38));
        assert!(err(parse_duration(&zero)).contains("fractions"), "{zero:?}");
    }

    #[test]
    fn duration_rejects_garbage_empty_and_iso_8601() {
        for raw in ["", "   ", "\t\n"] {
            assert!(err(parse_duration(raw)).contains("empty"), "{raw:?}");
        }
        for raw in ["abc", "min", "s5", "five minutes", "٣s", "1e3"] {
            let message = err(parse_duration(raw));
            assert!(
                message.starts_with("not a duration: "),
                "{raw:?}: {message}"
            );
        }
        assert!(err(parse_duration("abc")).contains("must start with a whole number"));
        assert!(err(parse_duration("PT5M")).contains("ISO-8601"));
        assert!(err(parse_duration("P1D")).contains("ISO-8601"));
    }

    #[test]
    fn duration_overflow_is_an_error_that_says_so() {
        let max = i64::MAX;
        // The number itself must fit a Java long.
        for raw in [
            (max.unsigned_abs() + 1).to_string(),
            "100000000000000000000000000000000 ms".to_string(),
            "99999999999999999999d".to_string(),
        ] {
            assert!(
                err(parse_duration(&raw)).contains("numeric overflow"),
                "{raw}"
            );
        }
        // The largest long is fine in any sub-second unit and in seconds...
        let unsigned_max = max.unsigned_abs();
        assert_eq!(
            parse_duration(&format!("{max}")),
            Ok(Duration::from_millis(unsigned_max))
        );
        assert_eq!(
            parse_duration(&format!("{max} ns")),
            Ok(Duration::from_nanos(unsigned_max))
        );
        assert_eq!(
            parse_duration(&format!("{max}s")),
            Ok(Duration::from_secs(unsigned_max))
        );
        // ...but a java.time.Duration holds at most Long.MAX_VALUE seconds.
        let max_days = unsigned_max / 86_400;
        assert_eq!(
            parse_duration(&format!("{max_days}d")),
            Ok(Duration::from_secs(max_days * 86_400))
        );
        for raw in [
            format!("{}d", max_days + 1),
            format!("{max}min"),
            format!("{max}h"),
            format!("{max} days"),
        ] {
            assert!(
                err(parse_duration(&raw)).contains("numeric overflow"),
                "{raw}"
            );
        }
    }

    // --- memory sizes ---------------------------------------------------------------

    #[test]
    fn memory_accepts_every_flink_unit_label() {
        let units: [(&[&str], u64); 5] = [
            (&["b", "bytes"], 1),
            (&["k", "kb", "kibibytes"], 1 << 10),
            (&["m", "mb", "mebibytes"], 1 << 20),
            (&["g", "gb", "gibibytes"], 1 << 30),
            (&["t", "tb", "tebibytes"], 1 << 40),
        ];
        for (labels, one) in units {
            for label in labels {
                assert_eq!(
                    parse_memory_size(&format!("3{label}")),
                    Ok(3 * one),
                    "3{label}"
                );
                assert_eq!(
                    parse_memory_size(&format!("3 {label}")),
                    Ok(3 * one),
                    "3 {label}"
                );
            }
        }
    }

    #[test]
    fn memory_units_are_binary_case_insensitive_and_default_to_bytes() {
        assert_eq!(parse_memory_size("2048m"), Ok(2 << 30));
        assert_eq!(parse_memory_size("2G"), Ok(2 << 30));
        assert_eq!(parse_memory_size("2 GB"), Ok(2 << 30));
        assert_eq!(parse_memory_size("1 KiBiBytes"), Ok(1024));
        assert_eq!(parse_memory_size("1536 MB"), Ok(1536 << 20));
        assert_eq!(parse_memory_size("1000"), Ok(1000));
        assert_eq!(parse_memory_size("0"), Ok(0));
        assert_eq!(parse_memory_size("  64  mb "), Ok(64 << 20));
        assert_eq!(parse_memory_size("1\tT"), Ok(1 << 40));
    }

    #[test]
    fn memory_unknown_unit_names_the_unit_and_the_allowed_ones() {
        let message = err(parse_memory_size("2 gigs"));
        assert!(
            message.starts_with("not a memory size: unit \"gigs\" is not one of b, k, m, g, t")
        );
        assert!(!message.contains("Kubernetes"));
        for raw in ["2Gi", "512Mi", "1ki", "1TiB", "2 GiB"] {
            let message = err(parse_memory_size(raw));
            assert!(
                message.contains("Kubernetes suffixes"),
                "{raw:?}: {message}"
            );
        }
        for raw in ["1 g b", "1pb", "1e3", "1 byte", "2gigabytes"] {
            assert!(
                err(parse_memory_size(raw)).contains("is not one of"),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn memory_rejects_negative_fractional_empty_and_garbage() {
        assert!(err(parse_memory_size("-1g")).contains("negative memory sizes"));
        assert!(err(parse_memory_size("+1g")).contains("sign"));
        for raw in ["1.5g", "0.5 gb", ".5g"] {
            assert!(err(parse_memory_size(raw)).contains("fractions"), "{raw:?}");
        }
        for raw in ["", "  "] {
            assert!(err(parse_memory_size(raw)).contains("empty"), "{raw:?}");
        }
        for raw in ["g", "lots", "two gigs"] {
            assert!(err(parse_memory_size(raw)).contains("must start with a whole number"));
        }
    }

    #[test]
    fn memory_overflow_is_an_error_that_says_so() {
        let max = i64::MAX.unsigned_abs();
        assert_eq!(parse_memory_size(&max.to_string()), Ok(max));
        assert_eq!(parse_memory_size("8388607t"), Ok(8_388_607 << 40));
        for raw in [
            (max + 1).to_string(),
            "8388608t".to_string(),
            format!("{max}k"),
            "99999999999999999999999999g".to_string(),
        ] {
            assert!(
                err(parse_memory_size(&raw)).contains("numeric overflow"),
                "{raw}"
            );
        }
    }

    // --- enums ----------------------------------------------------------------------

    const AGGREGATORS: &[&str] = &["AVG", "MAX", "MIN"];

    #[test]
    fn enum_matches_case_insensitively_and_returns_the_canonical_constant() {
        for raw in ["MAX", "max", "Max", "mAx"] {
            assert_eq!(parse_enum(raw, "MetricAggregator", AGGREGATORS), Ok("MAX"));
        }
        const MIXED: &[&str] = &["RequestsAndLimits", "RequestsOnly"];
        assert_eq!(
            parse_enum("requestsonly", "ControlledValues", MIXED),
            Ok("RequestsOnly")
        );
    }

    #[test]
    fn enum_error_lists_the_constants() {
        for raw in ["MEAN", "", "MAXX", "M AX"] {
            assert_eq!(
                err(parse_enum(raw, "MetricAggregator", AGGREGATORS)),
                "not a MetricAggregator; must be one of AVG, MAX, MIN (case-insensitive, nothing around it)"
            );
        }
        // Flink 1.20.5: " AVG" and "max " throw (convertToEnum does not trim).
        assert!(err(parse_enum(" AVG", "MetricAggregator", AGGREGATORS)).contains("leading space"));
        assert!(err(parse_enum("max ", "MetricAggregator", AGGREGATORS)).contains("trailing"));
    }

    // --- lists ----------------------------------------------------------------------

    fn list(items: &[&str]) -> Result<Vec<String>, ValueError> {
        Ok(items.iter().map(|s| (*s).to_string()).collect())
    }

    #[test]
    fn list_splits_on_semicolons_and_trims() {
        assert_eq!(parse_list("a;b;c"), list(&["a", "b", "c"]));
        assert_eq!(parse_list(" a ; b\t;\nc "), list(&["a", "b", "c"]));
        assert_eq!(parse_list("one item"), list(&["one item"]));
        assert_eq!(parse_list("a,b;c"), list(&["a,b", "c"]));
    }

    #[test]
    fn list_empty_and_edge_delimiters_follow_flink() {
        assert_eq!(parse_list(""), list(&[]));
        assert_eq!(parse_list("   "), list(&[]));
        assert_eq!(parse_list(";"), list(&[]));
        assert_eq!(parse_list("a;"), list(&["a"]));
        assert_eq!(parse_list(";a"), list(&["a"]));
        assert_eq!(parse_list("a;;b"), list(&["a", "", "b"]));
        assert_eq!(parse_list("a; ;b"), list(&["a", "", "b"]));
        assert_eq!(parse_list(";;"), list(&[""]));
    }

    #[test]
    fn list_quotes_protect_semicolons_and_escape_by_doubling() {
        assert_eq!(parse_list("'A;B';C"), list(&["A;B", "C"]));
        assert_eq!(parse_list("\"AB'D\";B;C"), list(&["AB'D", "B", "C"]));
        assert_eq!(parse_list("\"AB'\"\"D;B\";C"), list(&["AB'\"D;B", "C"]));
        assert_eq!(parse_list("'it''s'"), list(&["it's"]));
        assert_eq!(parse_list("'  padded  ' ; b"), list(&["  padded  ", "b"]));
        assert_eq!(parse_list("''"), list(&[""]));
        assert_eq!(parse_list("'a' ;b"), list(&["a", "b"]));
    }

    #[test]
    fn list_rejects_unterminated_and_misplaced_quotes() {
        let message = err(parse_list("a;'abc"));
        assert!(message.contains("character 3 is never closed"), "{message}");
        assert!(err(parse_list("\"abc'")).contains("never closed"));
        assert!(err(parse_list("'it''s")).contains("never closed"));
        let message = err(parse_list("ab'c"));
        assert!(
            message.contains("quote at character 3 inside an unquoted element"),
            "{message}"
        );
        let message = err(parse_list("'a'b"));
        assert!(
            message.contains("text at character 4 follows a closing quote"),
            "{message}"
        );
        assert!(err(parse_list("'a' 'b'")).contains("follows a closing quote"));
    }

    // --- formatting -----------------------------------------------------------------

    #[test]
    fn format_duration_uses_the_largest_exact_unit() {
        let cases = [
            (Duration::ZERO, "0ms"),
            (Duration::from_millis(300_000), "5min"),
            (SECOND * 90, "90s"),
            (SECOND * 3600, "1h"),
            (SECOND * 86_400, "1d"),
            (HOUR * 25, "25h"),
            (MINUTE * 61, "61min"),
            (Duration::from_millis(1500), "1500ms"),
            (Duration::from_micros(1500), "1500µs"),
            (Duration::from_nanos(1), "1ns"),
            (DAY * 7, "7d"),
        ];
        for (duration, expected) in cases {
            assert_eq!(format_duration(duration), expected, "{duration:?}");
        }
    }

    #[test]
    fn format_memory_uses_the_largest_binary_unit_dividing_exactly() {
        let cases = [
            (0, "0b"),
            (1000, "1000b"),
            (1024, "1k"),
            (1536 << 20, "1536m"),
            (2_147_483_648, "2g"),
            (1 << 40, "1t"),
            (3 << 40, "3t"),
            ((1 << 40) + 1024, "1073741825k"),
        ];
        for (bytes, expected) in cases {
            assert_eq!(format_memory(bytes), expected, "{bytes}");
        }
    }

    #[test]
    fn parse_dispatches_on_kind_and_display_formats_back() {
        assert_eq!(
            parse(ValueKind::Duration, "5 min"),
            Ok(Value::Duration(MINUTE * 5))
        );
        assert_eq!(parse(ValueKind::Memory, "2g"), Ok(Value::Memory(2 << 30)));
        assert_eq!(
            parse(ValueKind::Duration, "300000").map(|v| v.to_string()),
            Ok("5min".to_string())
        );
        assert_eq!(
            parse(ValueKind::Memory, "2048m").map(|v| v.to_string()),
            Ok("2g".to_string())
        );
        assert!(parse(ValueKind::Int, "2147483648").is_err());
    }

    // --- properties -----------------------------------------------------------------

    /// Inputs made of the characters the parsers care about, so that the properties reach
    /// past the first check.
    const VALUE_LIKE: &str = "[ \t0-9+\\-.,eEdDfFxXpPnNaIiyMmsSuUµhkKgGtTbB;'\"]{0,24}";

    fn check_no_panic(input: &str) {
        let _ = parse_bool(input);
        let _ = parse_int(input);
        let _ = parse_double(input);
        let _ = parse_duration(input);
        let _ = parse_memory_size(input);
        let _ = parse_enum(input, "MetricAggregator", AGGREGATORS);
        let _ = parse_list(input);
        for kind in [ValueKind::String, ValueKind::List, ValueKind::Boolean] {
            let _ = parse(kind, input);
        }
    }

    proptest! {
        #[test]
        fn cased_is_to_uppercase_and_to_lowercase(input in "(?s).{0,40}") {
            prop_assert_eq!(cased(&input, true, str::to_string), input.to_uppercase());
            prop_assert_eq!(cased(&input, false, str::to_string), input.to_lowercase());
        }

        #[test]
        fn no_parser_panics_on_any_input(input in any::<String>()) {
            check_no_panic(&input);
        }

        #[test]
        fn no_parser_panics_on_value_like_input(input in VALUE_LIKE) {
            check_no_panic(&input);
        }

        #[test]
        fn every_error_message_is_non_empty_and_says_what_it_expected(input in VALUE_LIKE) {
            for message in [
                parse_duration(&input).err(),
                parse_memory_size(&input).err(),
                parse_double(&input).err(),
                parse_int(&input).err(),
            ]
            .into_iter()
            .flatten()
            {
                prop_assert!(message.0.starts_with("not a"), "{:?}: {}", input, message);
            }
        }

        #[test]
        fn format_duration_round_trips(secs in 0u64..=9_000_000_000, nanos in 0u32..1_000_000_000) {
            let duration = Duration::new(secs, nanos);
            prop_assert_eq!(parse_duration(&format_duration(duration)), Ok(duration));
        }

        #[test]
        fn format_duration_round_trips_whatever_flink_parses(
            value in 0i64..=i64::MAX,
            unit in prop::sample::select(vec!["d", "h", "min", "s", "ms", "µs", "ns"]),
        ) {
            if let Ok(duration) = parse_duration(&format!("{value}{unit}")) {
                prop_assert_eq!(parse_duration(&format_duration(duration)), Ok(duration));
            }
        }

        #[test]
        fn format_memory_round_trips(bytes in 0u64..=i64::MAX.unsigned_abs()) {
            prop_assert_eq!(parse_memory_size(&format_memory(bytes)), Ok(bytes));
        }

        #[test]
        fn format_memory_round_trips_whole_units(
            value in 0u64..=8_388_607,
            shift in prop::sample::select(vec![0u32, 10, 20, 30, 40]),
        ) {
            let bytes = value << shift;
            prop_assert_eq!(parse_memory_size(&format_memory(bytes)), Ok(bytes));
        }

        #[test]
        fn int_agrees_with_java_on_every_int(value in any::<i32>()) {
            prop_assert_eq!(parse_int(&value.to_string()), Ok(value));
        }

        #[test]
        fn double_reads_back_every_finite_double(value in any::<f64>().prop_filter("finite", |v| v.is_finite())) {
            prop_assert_eq!(parse_double(&format!("{value:?}")), Ok(value));
            prop_assert_eq!(parse_double(&format!("{value:e}")), Ok(value));
        }
    }
}

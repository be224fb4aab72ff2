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

/// `true` or `false`, case-insensitive (`ConfigurationUtils.convertToBoolean`).
pub fn parse_bool(raw: &str) -> Result<bool, ValueError> {
    let _ = raw;
    Err(ValueError("not implemented".into()))
}

/// A Java `int` (`Integer.parseInt`).
pub fn parse_int(raw: &str) -> Result<i32, ValueError> {
    let _ = raw;
    Err(ValueError("not implemented".into()))
}

/// A Java `double` (`Double.parseDouble`).
pub fn parse_double(raw: &str) -> Result<f64, ValueError> {
    let _ = raw;
    Err(ValueError("not implemented".into()))
}

/// Flink's `TimeUtils.parseDuration`.
pub fn parse_duration(raw: &str) -> Result<Duration, ValueError> {
    let _ = raw;
    Err(ValueError("not implemented".into()))
}

/// Flink's `MemorySize.parse`, in bytes.
pub fn parse_memory_size(raw: &str) -> Result<u64, ValueError> {
    let _ = raw;
    Err(ValueError("not implemented".into()))
}

/// An enum constant, matched case-insensitively as `ConfigurationUtils.convertToEnum` does.
pub fn parse_enum(
    raw: &str,
    name: &'static str,
    constants: &'static [&'static str],
) -> Result<&'static str, ValueError> {
    let _ = (raw, name, constants);
    Err(ValueError("not implemented".into()))
}

/// A `;`-separated list (Flink's `StructuredOptionsSplitter`, with `'`/`"` quoting).
pub fn parse_list(raw: &str) -> Result<Vec<String>, ValueError> {
    let _ = raw;
    Err(ValueError("not implemented".into()))
}

/// A duration in the shortest Flink spelling that is exact (`90s`, `5min`, `1h`).
pub fn format_duration(d: Duration) -> String {
    format!("{}ms", d.as_millis())
}

/// A memory size in the largest binary unit that divides it (`2g`, `1536m`).
pub fn format_memory(bytes: u64) -> String {
    format!("{bytes}b")
}

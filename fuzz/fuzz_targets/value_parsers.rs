//! Flink's value syntax and Kubernetes quantities: every parser on every input, no
//! panic, and what parses prints back to the same value.

#![no_main]

use flink_autoscale_rules::options;
use flink_autoscale_rules::quantity::{self, Quantity};
use flink_autoscale_rules::values::{self, ValueKind};
use libfuzzer_sys::fuzz_target;
use std::cmp::Ordering;

fuzz_target!(|data: &[u8]| {
    // Values arrive as JSON strings: always UTF-8.
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };

    if let Ok(d) = values::parse_duration(raw) {
        let printed = values::format_duration(d);
        assert_eq!(
            values::parse_duration(&printed),
            Ok(d),
            "{raw:?} -> {printed:?}"
        );
    }
    if let Ok(bytes) = values::parse_memory_size(raw) {
        let printed = values::format_memory(bytes);
        assert_eq!(
            values::parse_memory_size(&printed),
            Ok(bytes),
            "{raw:?} -> {printed:?}"
        );
    }
    if let Ok(q) = Quantity::parse(raw) {
        let printed = q.to_string();
        assert_eq!(Quantity::parse(&printed), Ok(q), "{raw:?} -> {printed:?}");
        assert_eq!(quantity::compare(raw, &printed), Some(Ordering::Equal));
        let _ = q.units_ceil();
        let _ = q.times(2);
    }
    let _ = values::parse_bool(raw);
    let _ = values::parse_int(raw);
    let _ = values::parse_double(raw);
    let _ = values::parse_list(raw);

    // Every kind the options table uses (enums with their constants), and the plain ones.
    let plain = [
        ValueKind::Boolean,
        ValueKind::Int,
        ValueKind::Double,
        ValueKind::Duration,
        ValueKind::Memory,
        ValueKind::String,
        ValueKind::List,
    ];
    for kind in plain
        .into_iter()
        .chain(options::all().iter().map(|o| o.kind))
    {
        if let Ok(value) = values::parse(kind, raw) {
            // Display is what messages show; it must not panic either.
            let _ = value.to_string();
        }
    }
    // The key side: a fuzzed key looked up in the options table.
    let _ = options::lookup(raw);
});

//! Kubernetes resource quantities (`256Mi`, `2Gi`, `1.5G`, `500M`, `1e9`, `2048m`),
//! parsed exactly as the API server's `resource.Quantity` grammar allows and compared
//! as numbers. This is not Flink's memory syntax (`2048m` there is 2 GiB; see
//! `values::parse_memory_size`).

use std::cmp::Ordering;
use std::fmt;

/// A quantity, held exactly in nano-units (the API server's smallest scale).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity {
    nanos: i128,
}

/// Why a string is not a quantity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct QuantityError(pub String);

const NANO: i128 = 1_000_000_000;

impl Quantity {
    /// A whole number of bytes (or units).
    pub fn from_units(units: i64) -> Quantity {
        Quantity {
            nanos: i128::from(units) * NANO,
        }
    }

    /// This quantity times `n`, saturating.
    pub fn times(&self, n: i128) -> Quantity {
        Quantity {
            nanos: self.nanos.saturating_mul(n),
        }
    }

    /// The value in whole units, rounded up as Kubernetes rounds quantities it stores.
    pub fn units_ceil(&self) -> i128 {
        let q = self.nanos / NANO;
        if self.nanos % NANO > 0 { q + 1 } else { q }
    }

    /// Whether the quantity is a whole number of units (bytes): the VPA's
    /// `validateMemoryResolution` (`AsScale(0)` keeps the precision).
    pub fn is_whole_units(&self) -> bool {
        self.nanos % NANO == 0
    }

    /// Whether the quantity is a whole number of milli-units: the VPA's
    /// `validateCPUResolution` (`AsScale(Milli)` keeps the precision).
    pub fn is_whole_milli(&self) -> bool {
        self.nanos % 1_000_000 == 0
    }

    /// Parses the Kubernetes quantity grammar:
    /// `[+-] digits [. digits] [Ki|Mi|Gi|Ti|Pi|Ei | n|u|m|k|M|G|T|P|E | (e|E)[+-]digits]`.
    pub fn parse(raw: &str) -> Result<Quantity, QuantityError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(QuantityError(
                "not a quantity: it is empty (e.g. 512Mi, 2Gi, 500m)".into(),
            ));
        }
        let (negative, body) = match s.as_bytes()[0] {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        let num_end = body
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(body.len());
        let (number, suffix) = body.split_at(num_end);
        let (int_part, frac_part) = match number.split_once('.') {
            Some((i, f)) => (i, f),
            None => (number, ""),
        };
        if (int_part.is_empty() && frac_part.is_empty()) || frac_part.contains('.') {
            return Err(QuantityError(format!(
                "not a quantity: {raw:?} must start with a number (e.g. 512Mi, 2Gi, 1.5G)"
            )));
        }
        // Scale: value = digits * 10^exp10 * 2^exp2.
        let (exp10, exp2): (i32, u32) = match suffix {
            "" => (0, 0),
            "Ki" => (0, 10),
            "Mi" => (0, 20),
            "Gi" => (0, 30),
            "Ti" => (0, 40),
            "Pi" => (0, 50),
            "Ei" => (0, 60),
            "n" => (-9, 0),
            "u" => (-6, 0),
            "m" => (-3, 0),
            "k" => (3, 0),
            "M" => (6, 0),
            "G" => (9, 0),
            "T" => (12, 0),
            "P" => (15, 0),
            "E" => (18, 0),
            other => match other.strip_prefix(['e', 'E']) {
                Some(exp) if !exp.is_empty() => {
                    let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
                    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(bad_suffix(raw, other));
                    }
                    let e: i32 = exp.parse().map_err(|_| too_large(raw))?;
                    (e, 0)
                }
                _ => return Err(bad_suffix(raw, other)),
            },
        };
        // digits as an integer with the fraction folded into the decimal exponent.
        let digits = format!("{int_part}{frac_part}");
        let digits = digits.trim_start_matches('0');
        let mut mantissa: i128 = 0;
        for b in digits.bytes() {
            mantissa = mantissa
                .checked_mul(10)
                .and_then(|m| m.checked_add(i128::from(b - b'0')))
                .ok_or_else(|| too_large(raw))?;
        }
        let frac_len = i32::try_from(frac_part.len()).map_err(|_| too_large(raw))?;
        let exp10 = exp10
            .checked_sub(frac_len)
            .and_then(|e| e.checked_add(9))
            .ok_or_else(|| too_large(raw))?;
        let mut nanos = mantissa;
        if mantissa != 0 {
            nanos = nanos
                .checked_mul(1i128 << exp2)
                .ok_or_else(|| too_large(raw))?;
            if exp10 >= 0 {
                let factor = 10i128
                    .checked_pow(u32::try_from(exp10).map_err(|_| too_large(raw))?)
                    .ok_or_else(|| too_large(raw))?;
                nanos = nanos.checked_mul(factor).ok_or_else(|| too_large(raw))?;
            } else {
                // Below a nano-unit: round up, as the API server does.
                let div = 10i128
                    .checked_pow(exp10.unsigned_abs())
                    .unwrap_or(i128::MAX);
                nanos = nanos / div + i128::from(nanos % div != 0);
            }
        }
        if nanos > i128::from(i64::MAX) * NANO {
            return Err(too_large(raw));
        }
        Ok(Quantity {
            nanos: if negative { -nanos } else { nanos },
        })
    }
}

fn bad_suffix(raw: &str, suffix: &str) -> QuantityError {
    QuantityError(format!(
        "not a quantity: {raw:?} has unknown suffix {suffix:?}; use Ki, Mi, Gi, Ti (binary), \
         k, M, G, T (decimal), m (milli) or an exponent such as 1e9"
    ))
}

fn too_large(raw: &str) -> QuantityError {
    QuantityError(format!("not a quantity: {raw:?} is too large"))
}

impl std::str::FromStr for Quantity {
    type Err = QuantityError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Quantity::parse(s)
    }
}

/// Bytes in a readable binary unit (`2Gi`, `1536Mi`, `1.5Gi`), for messages.
impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nanos % NANO != 0 {
            return write!(f, "{}n", self.nanos);
        }
        let units = self.nanos / NANO;
        for (suffix, shift) in [
            ("Ei", 60),
            ("Pi", 50),
            ("Ti", 40),
            ("Gi", 30),
            ("Mi", 20),
            ("Ki", 10),
        ] {
            let unit = 1i128 << shift;
            if units != 0 && units % unit == 0 {
                return write!(f, "{}{suffix}", units / unit);
            }
        }
        write!(f, "{units}")
    }
}

/// Compares two quantity strings; `None` when either does not parse.
pub fn compare(a: &str, b: &str) -> Option<Ordering> {
    Some(Quantity::parse(a).ok()?.cmp(&Quantity::parse(b).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn units(s: &str) -> i128 {
        Quantity::parse(s).expect(s).units_ceil()
    }

    #[test]
    fn binary_and_decimal_suffixes() {
        assert_eq!(units("256Mi"), 256 << 20);
        assert_eq!(units("2Gi"), 2 << 30);
        assert_eq!(units("1Ki"), 1024);
        assert_eq!(units("1Ti"), 1 << 40);
        assert_eq!(units("1Pi"), 1 << 50);
        assert_eq!(units("1Ei"), 1 << 60);
        assert_eq!(units("1.5G"), 1_500_000_000);
        assert_eq!(units("500M"), 500_000_000);
        assert_eq!(units("1k"), 1000);
        assert_eq!(units("1T"), 1_000_000_000_000);
        assert_eq!(units("1E"), 1_000_000_000_000_000_000);
        assert_eq!(units("1e9"), 1_000_000_000);
        assert_eq!(units("1E3"), 1000);
        assert_eq!(units("12e-1"), 2); // 1.2 rounds up
        assert_eq!(units("0.5Gi"), 1 << 29);
        assert_eq!(units("1073741824"), 1 << 30);
        assert_eq!(units("+5"), 5);
    }

    #[test]
    fn milli_is_a_thousandth_not_mebibytes() {
        // `2048m` in Kubernetes is 2.048 (bytes), unlike Flink's 2048 MiB.
        let q = Quantity::parse("2048m").expect("2048m");
        assert_eq!(q.units_ceil(), 3);
        assert!(q < Quantity::parse("256Mi").expect("256Mi"));
        assert_eq!(compare("500m", "0.5"), Some(Ordering::Equal));
        assert_eq!(units("100n"), 1);
        assert_eq!(units("5u"), 1);
    }

    #[test]
    fn compares_across_units() {
        assert_eq!(compare("1Gi", "1073741824"), Some(Ordering::Equal));
        assert_eq!(compare("1G", "1Gi"), Some(Ordering::Less));
        assert_eq!(compare("2Gi", "2048Mi"), Some(Ordering::Equal));
        assert_eq!(compare("3Gi", "2Gi"), Some(Ordering::Greater));
        assert_eq!(compare("-1", "0"), Some(Ordering::Less));
        assert_eq!(compare("x", "0"), None);
    }

    #[test]
    fn rejects_garbage_with_a_reason() {
        for bad in [
            "",
            "  ",
            "Gi",
            "1.2.3",
            "1GB",
            "1gi",
            "1e",
            "1e+",
            "abc",
            "1 Gi",
            "--1",
            "1e99999999999",
        ] {
            let err = Quantity::parse(bad).expect_err(bad);
            assert!(err.0.starts_with("not a quantity"), "{bad}: {err}");
        }
        assert!(Quantity::parse("99999999999Ei").is_err());
        assert!(Quantity::parse("1e40").is_err());
    }

    #[test]
    fn displays_in_binary_units() {
        assert_eq!(Quantity::parse("2Gi").expect("q").to_string(), "2Gi");
        assert_eq!(Quantity::parse("1536Mi").expect("q").to_string(), "1536Mi");
        assert_eq!(Quantity::parse("1000").expect("q").to_string(), "1000");
        assert_eq!(Quantity::from_units(256 << 20).to_string(), "256Mi");
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC*") {
            let _ = Quantity::parse(&s);
        }

        #[test]
        fn binary_suffix_equals_plain_bytes(n in 0i64..1_000_000, shift in prop::sample::select(vec![(10u32, "Ki"), (20, "Mi"), (30, "Gi")])) {
            let (bits, suffix) = shift;
            let q = Quantity::parse(&format!("{n}{suffix}")).expect("valid");
            prop_assert_eq!(q, Quantity::from_units(n << bits));
        }
    }
}

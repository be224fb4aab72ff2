//! Hash maps keyed by the options table's own keys.
//!
//! A review looks up every key of its configuration in a few such maps, and the
//! standard SipHash was a few percent of the webhook's time. SipHash guards a map
//! against keys an attacker chooses; these maps hold only the table's keys, fixed at
//! build time, and a lookup with any key, however chosen, at worst compares it with
//! the few table keys that share its hash. FNV-1a is enough for that.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A map from the table's keys.
pub(crate) type TableMap<V> = HashMap<&'static str, V, BuildHasherDefault<Fnv1a>>;

/// 64-bit FNV-1a.
pub(crate) struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv1a {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_reference_vectors() {
        // From the FNV reference (draft-eastlake-fnv), 64-bit FNV-1a.
        let hash = |s: &str| {
            let mut h = Fnv1a::default();
            h.write(s.as_bytes());
            h.finish()
        };
        assert_eq!(hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(hash("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(hash("foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn a_table_map_finds_what_it_holds_and_nothing_else() {
        let map: TableMap<usize> = ["job.autoscaler.enabled", "job.autoscaler.metrics.window"]
            .into_iter()
            .enumerate()
            .map(|(i, k)| (k, i))
            .collect();
        assert_eq!(map.get("job.autoscaler.metrics.window"), Some(&1));
        assert_eq!(map.get("job.autoscaler.metrics.windows"), None);
    }
}

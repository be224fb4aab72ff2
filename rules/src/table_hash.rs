//! Hash maps keyed by the options table's own keys.
//!
//! A review looks up every key of its configuration in a few such maps, and the
//! standard SipHash was a few percent of the webhook's time. SipHash guards a map
//! against keys an attacker chooses; these maps hold only the table's keys, fixed at
//! build time, and a lookup with any key, however chosen, at worst compares it with
//! the few table keys that share its hash. A multiply-and-rotate over eight bytes at
//! a time, mixed at the end, is enough for that (FNV-1a, a byte at a time, cost
//! three times as much on keys of 30 to 50 bytes: 1 860 instructions an answer
//! against 570 under callgrind).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A map from the table's keys.
pub(crate) type TableMap<V> = HashMap<&'static str, V, BuildHasherDefault<WordHash>>;

/// Eight bytes per step, as rustc's FxHash, with murmur3's finalizer so that the
/// bits the map uses (the lowest for the bucket, the highest for its tag) depend
/// on every byte.
#[derive(Default)]
pub(crate) struct WordHash(u64);

const K: u64 = 0xf135_7aea_2e62_a9c5;

impl WordHash {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(26) ^ word).wrapping_mul(K);
    }
}

impl Hasher for WordHash {
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        // The length goes in with the last bytes: "ab" and "ab\0" differ.
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        self.add(u64::from_le_bytes(word) ^ ((bytes.len() as u64) << 56));
    }

    fn write_u8(&mut self, byte: u8) {
        // `str`'s Hash ends with 0xff; one step for it.
        self.add(u64::from(byte) | 0x100);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(s: &str) -> u64 {
        use std::hash::Hash;
        let mut h = WordHash::default();
        s.hash(&mut h);
        h.finish()
    }

    /// The table's keys (and near misses of them) spread over the bits a map uses:
    /// no two share a hash, and the low bits (the bucket) and the top seven (the
    /// tag) are not bunched.
    #[test]
    fn the_tables_keys_spread_over_the_bits_a_map_uses() {
        let mut keys: Vec<String> = crate::options::all_keys()
            .map(|(k, _)| k.to_string())
            .collect();
        let near: Vec<String> = keys
            .iter()
            .flat_map(|k| [format!("{k}s"), k[..k.len() - 1].to_string()])
            .collect();
        keys.extend(near);
        keys.extend(["", "a", "ab", "ab\0", "abcdefgh", "abcdefgh\0"].map(String::from));
        keys.sort();
        keys.dedup();
        let hashes: std::collections::HashSet<u64> = keys.iter().map(|k| hash(k)).collect();
        assert_eq!(hashes.len(), keys.len(), "two keys share a hash");
        let buckets = 256u64;
        let mut low = vec![0usize; buckets as usize];
        let mut top = vec![0usize; 128];
        for h in &hashes {
            low[(h % buckets) as usize] += 1;
            top[(h >> 57) as usize] += 1;
        }
        // About 2.3 keys per bucket on average; a bunched hash puts dozens in one.
        let expected = keys.len() as f64 / buckets as f64;
        assert!(
            low.iter().all(|&n| (n as f64) < expected * 4.0 + 4.0),
            "{low:?}"
        );
        let expected = keys.len() as f64 / 128.0;
        assert!(
            top.iter().all(|&n| (n as f64) < expected * 3.0 + 4.0),
            "{top:?}"
        );
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

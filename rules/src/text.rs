//! Small text helpers for messages: edit distance for "did you mean" hints and
//! number formatting that reads like the user's input.

/// Levenshtein distance, counted in characters; stops early once above `limit`
/// (returns `limit + 1`), since only near misses are interesting.
pub fn edit_distance(a: &str, b: &str, limit: usize) -> usize {
    // Lengths first, without allocating: a review compares each unknown key with every
    // known one, and most differ in length by more than `limit`. A character is 1 to
    // 4 bytes, so byte lengths already bound the character counts.
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if long.len() > 4 * (short.len() + limit) {
        return limit + 1;
    }
    if a.is_ascii() && b.is_ascii() {
        // Keys are ASCII: bytes are characters, nothing to collect. A common prefix
        // and suffix never change the distance (every key starts `job.autoscaler.`),
        // so only what lies between them is compared.
        let (a, b) = (a.as_bytes(), b.as_bytes());
        let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let (a, b) = (&a[prefix..], &b[prefix..]);
        let suffix = a
            .iter()
            .rev()
            .zip(b.iter().rev())
            .take_while(|(x, y)| x == y)
            .count();
        return banded_distance(&a[..a.len() - suffix], &b[..b.len() - suffix], limit);
    }
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    banded_distance(&a, &b, limit)
}

/// Levenshtein distance up to `limit` (`limit + 1` beyond): only the cells within
/// `limit` of the diagonal can hold a distance that small, so each row computes
/// `2 * limit + 1` cells, not the whole row.
fn banded_distance<T: PartialEq>(a: &[T], b: &[T], limit: usize) -> usize {
    let over = limit + 1;
    if a.len().abs_diff(b.len()) > limit {
        return over;
    }
    let n = b.len();
    // Two rows on the stack for keys of usual length (a review compares an unknown
    // key with every known one of about its length).
    const ON_STACK: usize = 96;
    let (mut prev_stack, mut cur_stack) = ([0usize; ON_STACK], [over; ON_STACK]);
    let (mut prev_heap, mut cur_heap) = (Vec::new(), Vec::new());
    let (mut prev, mut cur): (&mut [usize], &mut [usize]) = if n < ON_STACK {
        (&mut prev_stack[..=n], &mut cur_stack[..=n])
    } else {
        prev_heap.resize(n + 1, 0);
        cur_heap.resize(n + 1, over);
        (&mut prev_heap, &mut cur_heap)
    };
    for (j, cell) in prev.iter_mut().enumerate() {
        *cell = j.min(over);
    }
    for i in 1..=a.len() {
        let lo = i.saturating_sub(limit).max(1);
        let hi = (i + limit).min(n);
        cur[0] = if i <= limit { i } else { over };
        // The cells beside the band are read by this row and the next one: they
        // hold "too far", not what they held two rows ago.
        if lo > 1 {
            cur[lo - 1] = over;
        }
        let mut row_min = cur[0];
        for j in lo..=hi {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let d = (prev[j - 1] + cost).min(prev[j] + 1).min(cur[j - 1] + 1);
            cur[j] = d.min(over);
            row_min = row_min.min(cur[j]);
        }
        if hi < n {
            cur[hi + 1] = over;
        }
        if row_min > limit {
            return over;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[n].min(over)
}

/// `s` cut to at most `max` characters, with an ellipsis and the original length when
/// cut: a message must stay readable even when the input was a megabyte.
pub fn shorten(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => std::borrow::Cow::Borrowed(s),
        Some((cut, _)) => std::borrow::Cow::Owned(format!("{}… ({} bytes)", &s[..cut], s.len())),
    }
}

/// A double as a person would write it: `0.7`, `1`, `1.1` (no float noise such as
/// `1.0999999999999999`).
pub fn num(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let rounded = (x * 1e9).round() / 1e9;
    let s = format!("{rounded}");
    if s == "-0" { "0".into() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole Levenshtein table, the definition the banded one must agree with.
    fn full_distance(a: &str, b: &str) -> usize {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        let mut prev: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.iter().enumerate() {
            let mut cur = vec![i + 1; b.len() + 1];
            for (j, cb) in b.iter().enumerate() {
                let cost = usize::from(ca != cb);
                cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
            }
            prev = cur;
        }
        prev[b.len()]
    }

    proptest::proptest! {
        #[test]
        fn banded_distance_is_the_distance_up_to_the_limit(
            a in "[a-dµ.]{0,12}",
            b in "[a-dµ.]{0,12}",
            limit in 0usize..5,
        ) {
            let full = full_distance(&a, &b);
            proptest::prop_assert_eq!(edit_distance(&a, &b, limit), full.min(limit + 1));
        }
    }

    #[test]
    fn distance_counts_edits() {
        assert_eq!(edit_distance("window", "window", 2), 0);
        assert_eq!(edit_distance("windw", "window", 2), 1);
        assert_eq!(edit_distance("utilisation", "utilization", 2), 1);
        assert_eq!(edit_distance("enable", "enabled", 2), 1);
        assert_eq!(edit_distance("abc", "xyz", 2), 3);
        assert_eq!(edit_distance("a", "abcdefgh", 2), 3);
        assert_eq!(edit_distance("", "ab", 2), 2);
        assert_eq!(edit_distance("µs", "us", 2), 1);
    }

    #[test]
    fn long_text_is_cut_with_its_length() {
        assert_eq!(shorten("short", 10), "short");
        let long = "k".repeat(1000);
        assert_eq!(shorten(&long, 5), "kkkkk… (1000 bytes)");
        assert_eq!(shorten("µµµ", 2), "µµ… (6 bytes)");
    }

    #[test]
    fn numbers_read_naturally() {
        assert_eq!(num(0.7 + 0.4), "1.1");
        assert_eq!(num(1.0), "1");
        assert_eq!(num(0.7 - 0.7), "0");
        assert_eq!(num(f64::NAN), "NaN");
        assert_eq!(num(f64::NEG_INFINITY), "-Infinity");
    }
}

//! Small text helpers for messages: edit distance for "did you mean" hints and
//! number formatting that reads like the user's input.

/// Levenshtein distance, counted in characters; stops early once above `limit`
/// (returns `limit + 1`), since only near misses are interesting.
pub fn edit_distance(a: &str, b: &str, limit: usize) -> usize {
    // Lengths first, without allocating: a review compares each unknown key with every
    // known one, and most differ in length by more than `limit`. A character is 1 to
    // 4 bytes, so byte lengths already bound the character counts.
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if long.len() > 4 * (short.len() + limit)
        || a.chars().count().abs_diff(b.chars().count()) > limit
    {
        return limit + 1;
    }
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        let mut row_min = cur[0];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
            row_min = row_min.min(cur[j + 1]);
        }
        if row_min > limit {
            return limit + 1;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()].min(limit + 1)
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

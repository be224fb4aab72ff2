//! Timestamps as Kubernetes writes them (RFC 3339, whole seconds, UTC) and ages as
//! `kubectl get` prints them.

use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

pub fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// `2026-07-01T10:15:30Z`: metav1.Time has second precision.
pub fn timestamp(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&Rfc3339)
        .unwrap_or_default()
}

pub fn parse(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

const MINUTE: i64 = 60;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
const YEAR: i64 = 365 * DAY;

/// (below this many seconds, (unit in seconds, its suffix), the remainder's unit).
type Band = (i64, (i64, &'static str), Option<(i64, &'static str)>);

/// apimachinery's `duration.HumanDuration` as bands: below `limit` seconds an age is
/// shown in its whole `unit`s, then in whole `rest` units of what is left (left out
/// when 0). Ages up to 2 s in the future (clock skew) are `0s`.
const BANDS: [Band; 8] = [
    (2 * MINUTE, (1, "s"), None),
    (10 * MINUTE, (MINUTE, "m"), Some((1, "s"))),
    (3 * HOUR, (MINUTE, "m"), None),
    (8 * HOUR, (HOUR, "h"), Some((MINUTE, "m"))),
    (2 * DAY, (HOUR, "h"), None),
    (8 * DAY, (DAY, "d"), Some((HOUR, "h"))),
    (2 * YEAR, (DAY, "d"), None),
    (8 * YEAR, (YEAR, "y"), Some((DAY, "d"))),
];

/// `45s`, `3m20s`, `5h10m`, `3d4h`, `2y10d`, as `kubectl get` prints ages.
pub fn human_duration(d: Duration) -> String {
    let seconds = d.whole_seconds();
    if seconds < -1 {
        return "<invalid>".into();
    }
    let seconds = seconds.max(0);
    let ((unit, name), rest) = BANDS
        .iter()
        .find(|(limit, _, _)| seconds < *limit)
        .map_or(((YEAR, "y"), None), |(_, unit, rest)| (*unit, *rest));
    let whole = format!("{}{name}", seconds / unit);
    match rest {
        Some((small, small_name)) if seconds % unit / small > 0 => {
            format!("{whole}{}{small_name}", seconds % unit / small)
        }
        _ => whole,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_like_kubectl() {
        assert_eq!(human_duration(Duration::seconds(45)), "45s");
        assert_eq!(human_duration(Duration::seconds(200)), "3m20s");
        assert_eq!(human_duration(Duration::minutes(30)), "30m");
        assert_eq!(human_duration(Duration::minutes(310)), "5h10m");
        assert_eq!(human_duration(Duration::hours(76)), "3d4h");
        assert_eq!(human_duration(Duration::days(40)), "40d");
        // Each band's edges, and the remainder left out when it is 0.
        let cases = [
            (-2, "<invalid>"),
            (-1, "0s"),
            (0, "0s"),
            (119, "119s"),
            (120, "2m"),
            (599, "9m59s"),
            (600, "10m"),
            (3 * HOUR - 1, "179m"),
            (3 * HOUR, "3h"),
            (8 * HOUR - 1, "7h59m"),
            (8 * HOUR, "8h"),
            (2 * DAY - 1, "47h"),
            (2 * DAY, "2d"),
            (8 * DAY - 1, "7d23h"),
            (8 * DAY, "8d"),
            (2 * YEAR - 1, "729d"),
            (2 * YEAR, "2y"),
            (2 * YEAR + 10 * DAY, "2y10d"),
            (8 * YEAR - 1, "7y364d"),
            (8 * YEAR, "8y"),
            (100 * YEAR + 5 * DAY, "100y"),
        ];
        for (seconds, shown) in cases {
            assert_eq!(
                human_duration(Duration::seconds(seconds)),
                shown,
                "{seconds}s"
            );
        }
    }

    #[test]
    fn timestamps_round_trip_at_second_precision() {
        let t = parse("2026-07-01T10:15:30Z").unwrap();
        assert_eq!(timestamp(t), "2026-07-01T10:15:30Z");
        assert_eq!(
            timestamp(t + Duration::milliseconds(300)),
            "2026-07-01T10:15:30Z"
        );
    }
}

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

/// apimachinery's `duration.HumanDuration`: `45s`, `3m20s`, `5h10m`, `3d4h`, `2y10d`.
pub fn human_duration(d: Duration) -> String {
    let seconds = d.whole_seconds();
    if seconds < -1 {
        return "<invalid>".into();
    }
    if seconds < 0 {
        return "0s".into();
    }
    if seconds < 120 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        return match seconds % 60 {
            0 => format!("{minutes}m"),
            s => format!("{minutes}m{s}s"),
        };
    }
    if minutes < 180 {
        return format!("{minutes}m");
    }
    let hours = minutes / 60;
    if hours < 8 {
        return match minutes % 60 {
            0 => format!("{hours}h"),
            m => format!("{hours}h{m}m"),
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    let days = hours / 24;
    if hours < 24 * 8 {
        return match hours % 24 {
            0 => format!("{days}d"),
            h => format!("{days}d{h}h"),
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{days}d");
    }
    let years = days / 365;
    if hours < 24 * 365 * 8 {
        return match days % 365 {
            0 => format!("{years}y"),
            d => format!("{years}y{d}d"),
        };
    }
    format!("{years}y")
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

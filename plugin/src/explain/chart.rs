//! A compact chart of each vertex's parallelism over the window: one row per vertex,
//! one column per slice of time, the height of a block the parallelism at the end of
//! the slice relative to the highest parallelism shown. Unicode blocks where the
//! locale is UTF-8, ASCII characters elsewhere.

use super::model::VertexSeries;
use super::text;
use crate::term;

/// Which characters the terminal can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    Unicode,
    Ascii,
}

impl Charset {
    /// UTF-8 when the locale says so, as the C library decides it: the first of
    /// `LC_ALL`, `LC_CTYPE`, `LANG` that is set and not empty.
    pub fn from_env() -> Charset {
        let locale = ["LC_ALL", "LC_CTYPE", "LANG"]
            .iter()
            .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()));
        Charset::from_locale(locale.as_deref())
    }

    pub fn from_locale(locale: Option<&str>) -> Charset {
        let utf8 = locale.is_some_and(|l| {
            let l = l.to_ascii_lowercase();
            l.contains("utf-8") || l.contains("utf8")
        });
        if utf8 {
            Charset::Unicode
        } else {
            Charset::Ascii
        }
    }

    fn levels(self) -> [char; 8] {
        match self {
            Charset::Unicode => ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'],
            Charset::Ascii => ['_', '.', '-', ':', '=', '+', '*', '#'],
        }
    }

    pub fn arrow(self) -> &'static str {
        match self {
            Charset::Unicode => "→",
            Charset::Ascii => "->",
        }
    }

    pub fn ellipsis(self) -> &'static str {
        match self {
            Charset::Unicode => "…",
            Charset::Ascii => "...",
        }
    }
}

/// The columns of the chart.
pub const WIDTH: usize = 40;

/// How many values the step list after a row shows.
const STEPS_SHOWN: usize = 5;

/// The chart's lines (without a trailing newline): a legend, then one row per vertex.
/// Empty when no vertex has a known parallelism.
pub fn render(
    series: &[VertexSeries],
    from: jiff::Timestamp,
    to: jiff::Timestamp,
    width: usize,
    charset: Charset,
) -> Vec<String> {
    let highest = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.parallelism))
        .max()
        .unwrap_or(0);
    if highest <= 0 || width == 0 {
        return Vec::new();
    }
    let levels = charset.levels();
    let span = text::seconds_between(from, to).max(1);
    let slice = span as f64 / width as f64;
    let mut lines = vec![format!(
        "one column = {}; {} = 1 {} {} = {highest}",
        term::duration((slice.round() as i64).max(1)),
        levels[0],
        charset.ellipsis(),
        levels[7],
    )];
    let label = series.iter().map(|s| s.id.len()).max().unwrap_or(0);
    for s in series {
        let mut row = String::new();
        for col in 0..width {
            let end = from.as_second() + ((col as f64 + 1.0) * slice).round() as i64;
            let value = s
                .points
                .iter()
                .take_while(|p| p.at.as_second() <= end)
                .last()
                .or(s.points.first())
                .map_or(0, |p| p.parallelism);
            let level = ((value as f64 / highest as f64) * 8.0).ceil() as usize;
            row.push(levels[level.clamp(1, 8) - 1]);
        }
        let mut steps: Vec<i64> = Vec::new();
        for p in &s.points {
            if steps.last() != Some(&p.parallelism) {
                steps.push(p.parallelism);
            }
        }
        let arrow = format!(" {} ", charset.arrow());
        let shown = if steps.len() > STEPS_SHOWN {
            format!(
                "{}{arrow}{}",
                charset.ellipsis(),
                steps[steps.len() - STEPS_SHOWN..]
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(&arrow)
            )
        } else {
            steps
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(&arrow)
        };
        lines.push(format!("{:<label$}  {row}  {shown}", s.id));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explain::model::Point;

    fn at(s: &str) -> jiff::Timestamp {
        s.parse().unwrap()
    }

    fn point(t: &str, p: i64) -> Point {
        Point {
            time: t.into(),
            at: at(t),
            parallelism: p,
        }
    }

    fn series() -> Vec<VertexSeries> {
        vec![
            VertexSeries {
                id: "aaaa".into(),
                current: Some(8),
                points: vec![
                    point("2026-07-01T00:00:00Z", 2),
                    point("2026-07-01T06:00:00Z", 4),
                    point("2026-07-01T09:00:00Z", 8),
                ],
            },
            VertexSeries {
                id: "bb".into(),
                current: Some(1),
                points: vec![point("2026-07-01T00:00:00Z", 1)],
            },
        ]
    }

    #[test]
    fn unicode_steps() {
        let lines = render(
            &series(),
            at("2026-07-01T00:00:00Z"),
            at("2026-07-01T12:00:00Z"),
            12,
            Charset::Unicode,
        );
        assert_eq!(
            lines,
            [
                "one column = 1h; ▁ = 1 … █ = 8",
                "aaaa  ▂▂▂▂▂▄▄▄████  2 → 4 → 8",
                "bb    ▁▁▁▁▁▁▁▁▁▁▁▁  1",
            ]
        );
    }

    #[test]
    fn ascii_fallback() {
        let lines = render(
            &series(),
            at("2026-07-01T00:00:00Z"),
            at("2026-07-01T12:00:00Z"),
            12,
            Charset::Ascii,
        );
        assert_eq!(lines[1], "aaaa  .....:::####  2 -> 4 -> 8");
        assert_eq!(lines[0], "one column = 1h; _ = 1 ... # = 8");
    }

    #[test]
    fn long_histories_show_the_newest_steps() {
        let points = (0..8)
            .map(|i| point(&format!("2026-07-01T0{i}:00:00Z"), i + 1))
            .collect();
        let s = [VertexSeries {
            id: "v".into(),
            current: Some(8),
            points,
        }];
        let lines = render(
            &s,
            at("2026-07-01T00:00:00Z"),
            at("2026-07-01T08:00:00Z"),
            8,
            Charset::Ascii,
        );
        assert_eq!(lines[1], "v  .-:=+*##  ... -> 4 -> 5 -> 6 -> 7 -> 8");
    }

    #[test]
    fn locales() {
        assert_eq!(Charset::from_locale(Some("en_US.UTF-8")), Charset::Unicode);
        assert_eq!(Charset::from_locale(Some("C.utf8")), Charset::Unicode);
        assert_eq!(Charset::from_locale(Some("C")), Charset::Ascii);
        assert_eq!(Charset::from_locale(Some("POSIX")), Charset::Ascii);
        assert_eq!(Charset::from_locale(None), Charset::Ascii);
        assert!(
            render(
                &[],
                at("2026-07-01T00:00:00Z"),
                at("2026-07-01T01:00:00Z"),
                10,
                Charset::Ascii
            )
            .is_empty()
        );
    }
}

//! How the plugin writes for a person: the palette and the decision to colour, the
//! terminal's width and display widths, durations and ages, and word wrapping. One
//! module so that `check`, `status` and `explain` look alike and decide alike (e.g.
//! `NO_COLOR` is honoured by all three).

use flink_autoscale_rules::Severity;

/// How the output is shown, decided once by `main` from the environment.
#[derive(Debug, Clone, Copy)]
pub struct Terminal {
    /// Standard output is a terminal (`status --watch` then redraws in place).
    pub is_terminal: bool,
    pub colour: bool,
    /// The width to fit tables and prose into, if any.
    pub width: Option<usize>,
}

impl Terminal {
    /// The terminal standard output is, if it is one.
    pub fn detect() -> Terminal {
        use std::io::IsTerminal;
        let is_terminal = std::io::stdout().is_terminal();
        Terminal {
            is_terminal,
            colour: colour_wanted(is_terminal),
            width: width(is_terminal),
        }
    }
}

/// Colour only on a terminal, never with `NO_COLOR` set to anything
/// (<https://no-color.org>), and not on a terminal that says it cannot show it.
pub fn colour_wanted(terminal: bool) -> bool {
    let set = |name| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    terminal && !set("NO_COLOR") && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}

/// The width: `COLUMNS` when set, else the terminal's (ioctl); none when the output
/// is not a terminal, so that output piped to a file or `grep` is never fitted.
pub fn width(is_terminal: bool) -> Option<usize> {
    let from_env = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|c| *c > 0);
    from_env.or_else(|| {
        is_terminal
            .then(terminal_size::terminal_size)
            .flatten()
            .map(|(w, _)| usize::from(w.0))
    })
}

/// The columns `text` takes on a terminal (escapes excluded: callers measure text
/// before painting it).
pub fn width_of(text: &str) -> usize {
    text.chars().count()
}

/// ANSI colours, or nothing: colour is decided once by the caller (a terminal, and
/// no `NO_COLOR`), never by the renderer.
#[derive(Debug, Clone, Copy)]
pub struct Palette {
    on: bool,
}

impl Palette {
    pub fn new(on: bool) -> Palette {
        Palette { on }
    }

    /// `text` in the ANSI SGR `code` (e.g. `31` red), or as it is with colour off.
    pub fn paint(self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    pub fn denied(self, text: &str) -> String {
        self.paint("1;31", text)
    }
    pub fn admitted(self, text: &str) -> String {
        self.paint("32", text)
    }
    pub fn severity(self, severity: Severity) -> String {
        match severity {
            Severity::Deny => self.paint("31", "deny"),
            Severity::Warn => self.paint("33", "warn"),
        }
    }
    pub fn faint(self, text: &str) -> String {
        self.paint("2", text)
    }
}

/// An age as `kubectl get` prints it (apimachinery's `HumanDuration`): `45s`, `3m20s`,
/// `30m`, `5h10m`, `20h`, `3d4h`, `40d`, `2y10d`.
pub fn age(seconds: i64) -> String {
    let seconds = seconds.max(0);
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

/// A duration for people: `35m`, `1h 5m`, `2d 3h`, `45s`.
pub fn duration(seconds: i64) -> String {
    let s = seconds.max(0);
    let (d, h, m, sec) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{sec}s"),
        (0, 0, _) if sec == 0 => format!("{m}m"),
        (0, 0, _) => format!("{m}m {sec}s"),
        (0, _, 0) => format!("{h}h"),
        (0, _, _) => format!("{h}h {m}m"),
        (_, 0, _) => format!("{d}d"),
        _ => format!("{d}d {h}h"),
    }
}

/// `text` broken at spaces into lines of at most `width` columns; a word longer than
/// `width` stands alone on its line, whole (a cut identifier or URL is worse than a
/// long line). Existing line breaks are kept.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
            if !line.is_empty() && width_of(&line) + 1 + width_of(word) > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_like_kubectl() {
        assert_eq!(age(-5), "0s");
        assert_eq!(age(45), "45s");
        assert_eq!(age(200), "3m20s");
        assert_eq!(age(30 * 60), "30m");
        assert_eq!(age(310 * 60), "5h10m");
        assert_eq!(age(20 * 3600), "20h");
        assert_eq!(age(76 * 3600), "3d4h");
        assert_eq!(age(40 * 86400), "40d");
        assert_eq!(age((2 * 365 + 10) * 86400), "2y10d");
    }

    #[test]
    fn durations() {
        assert_eq!(duration(0), "0s");
        assert_eq!(duration(45), "45s");
        assert_eq!(duration(35 * 60), "35m");
        assert_eq!(duration(35 * 60 + 5), "35m 5s");
        assert_eq!(duration(3600 + 300), "1h 5m");
        assert_eq!(duration(7200), "2h");
        assert_eq!(duration(2 * 86_400 + 3 * 3600), "2d 3h");
        assert_eq!(duration(-5), "0s");
    }

    #[test]
    fn wrapping_breaks_at_spaces_and_never_inside_a_word() {
        let lines = wrap("the autoscaler waits for the stabilization interval", 20);
        assert_eq!(
            lines,
            [
                "the autoscaler waits",
                "for the",
                "stabilization",
                "interval"
            ]
        );
        assert!(lines.iter().all(|l| width_of(l) <= 20));
        assert_eq!(
            wrap("job.autoscaler.stabilization.interval x", 10)[0],
            "job.autoscaler.stabilization.interval"
        );
        assert_eq!(wrap("a\nb", 80), ["a", "b"]);
    }

    #[test]
    fn the_palette_paints_only_when_on() {
        assert_eq!(Palette::new(false).paint("31", "x"), "x");
        assert_eq!(Palette::new(true).paint("31", "x"), "\x1b[31mx\x1b[0m");
    }
}

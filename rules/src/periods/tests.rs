use super::*;

/// 2023-12-14T14:01:30Z, a Thursday: `CalendarUtilsTest.testExcludedPeriods` builds
/// this instant (in the system zone; here UTC).
const THURSDAY_14_01_30: i64 = 1_702_562_490;

fn valid(e: &str) -> bool {
    parse(e).is_ok()
}

fn contains(e: &str, t: i64) -> bool {
    parse(e).expect(e).contains(t)
}

#[test]
fn calendar_utils_test_validate_excluded_periods() {
    // CalendarUtilsTest.testValidateExcludedPeriods, element by element.
    assert!(!valid("09:13:17-08:15:18"), "end before start");
    assert!(!valid("09:13:17-25:15:18"), "hour 25");
    assert!(valid("09:13:17-11:15:18"));
    assert!(!valid("18:01:20-16:00:00"));
    assert!(
        !valid("09:13:17-11:15:18 && 12:01:20-16:00:00"),
        "two dailies"
    );
    assert!(valid("14:01:20-16:00:00"));
    assert!(!valid("* * * ? * 2,5555"), "day-of-week 5555");
    assert!(!valid("* * * ? * 2,5 && 18:01:20-16:00:00"));
    assert!(!valid("* * * ? * 2,5 && * * 11-13 * * ?"), "two crons");
    assert!(valid("* * * ? * 2,5 && 14:01:20-16:00:00"));
}

#[test]
fn calendar_utils_test_excluded_periods() {
    // CalendarUtilsTest.testExcludedPeriods.
    let t = THURSDAY_14_01_30;
    let (periods, errors) = parse_all(&["09:13:17-11:15:18", "14:01:20-16:00:00"]);
    assert!(errors.is_empty());
    let any = |t: i64| periods.iter().any(|p| p.contains(t));
    assert!(any(t));
    assert!(!any(t - 20));
    assert!(any(t - 4 * 3600));
    assert!(contains("* * 14-16 * * ?", t));
    assert!(!contains("* * 14-16 * * ?", t - 100));
    let both = "* * * ? * 2,5 && 14:01:20-16:00:00";
    assert!(contains(both, t));
    assert!(!contains(both, t - 86_400), "Wednesday");
    assert!(contains(both, t - 3 * 86_400), "Monday");
}

#[test]
fn daily_range_is_inclusive_to_the_millisecond() {
    // DailyCalendar with invertTimeRange: start <= t <= end, in milliseconds.
    let p = parse("09:00-17:00").expect("valid");
    let day = 1_782_864_000_000; // 2026-07-01T00:00:00Z
    assert!(p.contains_millis(day + 9 * 3_600_000));
    assert!(p.contains_millis(day + 17 * 3_600_000));
    assert!(!p.contains_millis(day + 17 * 3_600_000 + 1));
    assert!(!p.contains_millis(day + 9 * 3_600_000 - 1));
}

#[test]
fn daily_parsing_follows_date_calendar_and_integer_parse_int() {
    // DailyCalendar splits times with a StringTokenizer on ':' (empty fields vanish)
    // and reads them with Integer.parseInt (a sign is allowed, spaces are not).
    assert!(valid("10::00-11:00"));
    assert!(valid("+9:00-10:00"));
    assert!(valid("9:00:00:500-9:00:00:501"), "milliseconds field");
    assert!(!valid("9:00:00:1000-10:00"), "millisecond 1000");
    assert!(!valid("9-10"), "one field");
    assert!(!valid("9:00:00:00:00-10:00"), "five fields");
    assert!(!valid("10:00 - 11:00"), "spaces inside the range");
    assert!(valid(" 10:00-11:00 "), "the piece is stripped");
    assert!(
        valid("10:00-11:00-"),
        "String.split drops the trailing empty piece"
    );
    assert!(!valid("-10:00-11:00"));
    assert!(!valid("10:00-10:00"), "start must be before end");
    let e = parse("12:00-10:00").expect_err("backwards");
    assert!(e.problem.contains("before or when it starts"), "{e}");
    assert_eq!(e.example, DAILY_EXAMPLE);
}

#[test]
fn and_joins_at_most_one_daily_and_one_cron() {
    // validateExcludedExpression: more than two pieces, or two of a kind, are refused;
    // String.split("&&") drops trailing empty pieces, so `&&` alone has no piece and
    // passes (and then excludes always, as inExcludedPeriod starts from true).
    assert!(!valid("09:00-10:00 && * * * ? * MON && 11:00-12:00"));
    assert!(valid("09:00-10:00&&"));
    assert!(!valid("&&09:00-10:00"));
    assert!(valid("&&"));
    assert!(contains("&&", THURSDAY_14_01_30));
    let e = parse("10:00-11:00 && 12:00-13:00").expect_err("two dailies");
    assert!(e.problem.contains("two daily ranges"), "{e}");
    let e = parse("a && b && c").expect_err("three");
    assert!(e.problem.contains("3 pieces"), "{e}");
}

#[test]
fn cron_field_rules_of_quartz() {
    // CronExpression.buildExpression / storeExpressionVals / addToSet (Quartz 2.3.2).
    assert!(!valid("0 0 12 * *"), "5 fields");
    assert!(!valid("0 0 12 * * MON"), "no '?'");
    assert!(!valid("0 0 12 ? * ?"), "two '?'");
    assert!(!valid("0 0 25 ? * *"), "hour 25");
    assert!(!valid("60 * * ? * *"), "second 60");
    assert!(!valid("* * * 32 * ?"), "day 32");
    assert!(!valid("* * * ? 13 *"), "month 13");
    assert!(!valid("* * * ? * 8"), "day-of-week 8");
    assert!(!valid("* * * ? * 0"), "day-of-week 0");
    assert!(valid("0 0 12 ? * MON-FRI"));
    assert!(valid("0 0 12 ? jan-mar mon"), "names in any case");
    assert!(!valid("0 0 12 ? * MON-FRX"));
    assert!(
        !valid("0 MON 12 ? * *"),
        "names only in month and day-of-week"
    );
    assert!(valid("0 0 12 L * ?"));
    assert!(valid("0 0 12 LW * ?"));
    assert!(valid("0 0 12 L-3 * ?"));
    assert!(!valid("0 0 12 L-31 * ?"), "offset above 30");
    assert!(!valid("0 0 12 L,5 * ?"), "L in a list");
    assert!(valid("0 0 12 15W * ?"));
    assert!(!valid("0 0 12 ? * 15W"), "W only in day-of-month");
    assert!(valid("0 0 12 ? * 6#3"));
    assert!(!valid("0 0 12 ? * 6#6"), "nth above 5");
    assert!(!valid("0 0 12 ? * 2#1,3#2"), "two '#'");
    assert!(valid("0 0 12 ? * 5L"));
    assert!(
        !valid("0 0 12 5L * ?"),
        "L after a number only in day-of-week"
    );
    assert!(valid("0 0/15 * ? * *"));
    assert!(!valid("0/60 * * ? * *"), "increment above 59");
    assert!(!valid("* * * ? * * 2020-2010"), "years do not wrap");
    assert!(valid("0 0 22-2 ? * *"), "hours wrap");
    // Quirks kept on purpose: Quartz ignores what follows a complete value, and the
    // tokens after the seventh.
    assert!(valid("5x * * ? * *"));
    assert!(valid("0 0 12 ? * MON 2026 extra"));
    assert!(valid("0\t0 12 ? * MON"), "tabs separate fields");
    // addToSet's range checks let the marker values through: 99 (`*`) anywhere, 98
    // (`?`) in day-of-month, where it then counts as a second '?'.
    assert!(valid("0 0 99 ? * *"));
    // A year range Quartz cannot build (OutOfMemoryError) is refused, not expanded.
    assert!(!valid("0 0 0 ? * * 1970-2147483647"));
    assert!(valid("0 0 0 ? * * 1970-3000"));
    assert!(!valid("0 0 98 ? * *"));
    assert!(!valid("0 0 0 98 * ?"));
}

#[test]
fn cron_evaluation_of_l_w_and_hash() {
    // 2026-07: the 1st is a Wednesday, the 31st a Friday; 2026-02-28 is a Saturday.
    let day = |y, m, d, h: i64| days_from_civil(y, m, d) * 86_400 + h * 3600;
    assert!(contains("0 0 12 L * ?", day(2026, 7, 31, 12)));
    assert!(!contains("0 0 12 L * ?", day(2026, 7, 30, 12)));
    assert!(contains("0 0 12 L-3 * ?", day(2026, 7, 28, 12)));
    // LW in February 2026: the 28th is a Saturday, so Friday the 27th.
    assert!(contains("0 0 12 LW * ?", day(2026, 2, 27, 12)));
    assert!(!contains("0 0 12 LW * ?", day(2026, 2, 28, 12)));
    // 1W in August 2026: the 1st is a Saturday, so Monday the 3rd.
    assert!(contains("0 0 12 1W * ?", day(2026, 8, 3, 12)));
    // 6#3: the third Friday of July 2026 is the 17th; 5L: the last Thursday is the 30th.
    assert!(contains("0 0 12 ? * 6#3", day(2026, 7, 17, 12)));
    assert!(!contains("0 0 12 ? * 6#3", day(2026, 7, 10, 12)));
    assert!(contains("0 0 12 ? * 5L", day(2026, 7, 30, 12)));
    assert!(!contains("0 0 12 ? * 5L", day(2026, 7, 23, 12)));
}

#[test]
fn inside_tells_when_the_exclusion_ends() {
    let (periods, errors) = parse_all(&["11:00-12:30", "bogus"]);
    assert_eq!(errors.len(), 1);
    let noon = days_from_civil(2026, 7, 1) * 86_400 + 12 * 3600;
    let i = inside(&periods, noon).expect("inside");
    assert_eq!(i.expression, "11:00-12:30");
    assert_eq!(i.until, Some(noon + 30 * 60 + 1));
    assert_eq!(inside(&periods, noon + 3600), None);
}

#[test]
fn errors_name_the_piece_and_what_is_wrong() {
    let e = parse("0 0 12 * *").expect_err("5 fields");
    assert!(
        e.problem.contains("5 fields") && e.problem.contains("day-of-week"),
        "{e}"
    );
    assert_eq!(e.example, CRON_EXAMPLE);
    let e = parse("* * 25 ? * *").expect_err("hour");
    assert!(
        e.problem
            .contains("hours field \"25\": hour values must be between 0 and 23"),
        "{e}"
    );
    // DailyCalendar reads each field with Integer.parseInt: no spaces.
    let e = parse("10:00 - 11:00").expect_err("spaces");
    assert!(e.problem.contains("has a space"), "{e}");
    let e = parse("10:00-25:00").expect_err("hour");
    assert!(e.problem.contains("hour 25 is outside 0-23"), "{e}");
    let e = parse("sometimes").expect_err("nonsense");
    assert!(e.problem.contains("neither a daily range"), "{e}");
}

#[test]
fn civil_dates_round_trip() {
    for days in [-1, 0, 59, 365, 10_957, 20_000, 20_819] {
        let t = Civil::from_unix_millis(days * 86_400_000);
        assert_eq!(days_from_civil(t.year, t.month, t.day), days);
    }
    // 2023-12-14 was a Thursday (Quartz: 5).
    assert_eq!(Civil::from_unix_millis(THURSDAY_14_01_30 * 1000).weekday, 5);
}

/// Verdicts recorded from Quartz 2.3.2 (Debian's quartz2 jar) with the logic of the
/// operator's `CalendarUtils.validateExcludedExpression` / `inExcludedPeriod`, in a
/// UTC JVM: 2500 generated elements at 61 instants. See the fixture's header.
#[test]
fn agrees_with_recorded_quartz_verdicts() {
    agrees_with(include_str!(
        "../../tests/fixtures/quartz-excluded-periods.txt"
    ));
}

/// The day rules (`L`, `W`, `#`, wrapping ranges) at noon of every day of 2026 and
/// of February-March 2028, recorded the same way.
#[test]
fn agrees_with_recorded_quartz_day_rules() {
    agrees_with(include_str!(
        "../../tests/fixtures/quartz-excluded-periods-days.txt"
    ));
}

fn agrees_with(text: &str) {
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let times: Vec<i64> = lines
        .next()
        .expect("times line")
        .split(' ')
        .map(|t| t.parse().expect("millis"))
        .collect();
    let mut disagreements = Vec::new();
    let mut cases = 0;
    for line in lines {
        let (verdict, expression) = line.split_once('\t').expect("verdict\\texpression");
        let expression = expression.replace("\\t", "\t");
        cases += 1;
        let ours = match parse(&expression) {
            Err(_) => "0".to_string(),
            Ok(p) => std::iter::once('1')
                .chain(times.iter().map(|t| match p.evaluate_millis(*t) {
                    Ok(true) => '1',
                    Ok(false) => '0',
                    Err(_) => 'E',
                }))
                .collect(),
        };
        if ours != verdict {
            disagreements.push(format!("{expression:?}: quartz {verdict} ours {ours}"));
        }
    }
    assert!(cases >= 50, "{cases} cases");
    assert!(
        disagreements.is_empty(),
        "{} of {cases} disagree:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any string: an answer, never a panic.
        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = parse(&s);
        }

        /// Cron-shaped strings of Quartz's own characters never panic either.
        #[test]
        fn cron_alphabet_never_panics(s in "[0-9*?/,LW#A-Z -]{0,40}") {
            if let Ok(p) = parse(&s) {
                let _ = p.contains(THURSDAY_14_01_30);
            }
        }

        /// DailyCalendar: a range of valid times is accepted exactly when it starts
        /// before it ends, and then holds at both ends and nowhere outside.
        #[test]
        fn daily_ranges(h1 in 0u32..24, m1 in 0u32..60, h2 in 0u32..24, m2 in 0u32..60, pad in proptest::bool::ANY) {
            let fmt = |h: u32, m: u32| if pad { format!("{h:02}:{m:02}") } else { format!("{h}:{m:02}") };
            let e = format!("{}-{}", fmt(h1, m1), fmt(h2, m2));
            let (s, t) = (h1 * 60 + m1, h2 * 60 + m2);
            let day = 1_782_864_000_i64;
            match parse(&e) {
                Ok(p) => {
                    prop_assert!(s < t, "{e} accepted");
                    prop_assert!(p.contains(day + i64::from(s) * 60));
                    prop_assert!(p.contains(day + i64::from(t) * 60));
                    prop_assert!(!p.contains(day + i64::from(t) * 60 + 1));
                }
                Err(_) => prop_assert!(s >= t, "{e} refused"),
            }
        }

        /// Hours above 23 are refused in daily ranges and cron hours alike, except
        /// 99, Quartz's own `*` marker, which its `addToSet` lets through.
        #[test]
        fn hours_above_23_are_refused(h in 24u32..1000) {
            let daily = format!("00:00-{h}:00");
            let cron = format!("0 0 {h} ? * *");
            prop_assert!(parse(&daily).is_err());
            prop_assert_eq!(parse(&cron).is_ok(), h == 99);
        }

        /// A cron that fixes second, minute and hour holds at that time of every day
        /// and not a second later.
        #[test]
        fn fixed_time_cron(h in 0i64..24, m in 0i64..60, s in 0i64..60, days in 0i64..20_000) {
            let p = parse(&format!("{s} {m} {h} * * ?")).expect("valid");
            let t = days * 86_400 + h * 3600 + m * 60 + s;
            prop_assert!(p.contains(t));
            prop_assert!(!p.contains(t + 1));
        }
    }
}

//! Table tests of the index and the detector on hand-made series.

use chrono::NaiveDate;

use super::{Assessment, Detector, Index, Rung, Series, SignalKind, Story, TrendsError, nb, story_score};

/// A Monday.
fn first() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 5).expect("date")
}

/// `pattern` repeated to `len` days, with `(day, count)` overrides.
fn counts(pattern: &[u32], len: usize, overrides: &[(usize, u32)]) -> Vec<u32> {
    let mut out: Vec<u32> = pattern.iter().copied().cycle().take(len).collect();
    for &(day, n) in overrides {
        out[day] = n;
    }
    out
}

/// The days of the series' spike signals.
fn spikes(series: &Series) -> Vec<usize> {
    Detector::default().scan(series).iter().filter(|s| s.kind == SignalKind::Spike).map(|s| s.day).collect()
}

#[test]
fn spikes_on_hand_made_series() {
    let rising: Vec<u32> = (0..150u32).map(|i| 1 + i / 25).collect();
    let stepped: Vec<u32> = (0..200).map(|i| if i < 100 { 2 } else { 10 }).collect();
    let cases: &[(&str, Vec<u32>, u32, &[usize])] = &[
        ("flat, nothing happens", counts(&[3], 150, &[]), 2, &[]),
        ("flat with a spike", counts(&[3], 150, &[(100, 20)]), 2, &[100]),
        ("noisy with a spike", counts(&[2, 4, 3, 1, 5, 3, 2], 150, &[(90, 25)]), 2, &[90]),
        ("noisy, a high ordinary day", counts(&[2, 4, 3, 1, 5, 3, 2], 150, &[(90, 7)]), 2, &[]),
        ("slow trend, 1 to 6 a day", rising, 2, &[]),
        ("sparse: a story in five days", counts(&[1, 0, 0, 0, 0], 150, &[]), 2, &[]),
        ("sparse, two stories on one day", counts(&[1, 0, 0, 0, 0], 150, &[(101, 2)]), 2, &[]),
        ("sparse, eight stories on one day", counts(&[1, 0, 0, 0, 0], 150, &[(101, 8)]), 2, &[101]),
        ("a spike before 14 days of history", counts(&[3], 60, &[(10, 30)]), 2, &[]),
        ("a spike only one outlet carried", counts(&[3], 150, &[(100, 20)]), 1, &[]),
        (
            "one spike of three days signals once",
            counts(&[3], 150, &[(100, 20), (101, 20), (102, 20)]),
            2,
            &[100],
        ),
        ("two spikes in a week: cool-down", counts(&[3], 150, &[(100, 20), (105, 20)]), 2, &[100]),
        ("two spikes eight days apart", counts(&[3], 150, &[(100, 20), (108, 20)]), 2, &[100, 108]),
        ("two stories after four silent months", counts(&[0], 150, &[(120, 2)]), 2, &[]),
        ("four stories after four silent months", counts(&[0], 150, &[(120, 4)]), 2, &[120]),
        // The sum of days 100 and 101 signals; after the cool-down the new level still stands
        // out once, then the baseline has learnt it.
        ("a lasting rise from 2 to 10 a day", stepped, 2, &[101, 108]),
    ];
    for (name, series, outlets, want) in cases {
        let series = Series::from_counts(first(), series, Rung::Threaten, *outlets);
        assert_eq!(spikes(&series), *want, "{name}");
    }
}

#[test]
fn under_14_days_is_insufficient_history_not_a_guess() {
    let series = Series::from_counts(first(), &counts(&[3], 30, &[]), Rung::Threaten, 2);
    let detector = Detector::default();
    let alarmed = vec![false; 30];
    assert_eq!(detector.assess(&series, &alarmed, 13), Assessment::Insufficient { days: 13 });
    assert!(
        matches!(detector.assess(&series, &alarmed, 14), Assessment::Tested { day, .. } if day.observed == 3)
    );
}

#[test]
fn a_day_that_signalled_weighs_less_in_later_baselines() {
    let series = Series::from_counts(first(), &counts(&[3], 60, &[(40, 40)]), Rung::Threaten, 2);
    let detector = Detector::default();
    let mut alarmed = vec![false; 60];
    let judged = |alarmed: &[bool]| match detector.assess(&series, alarmed, 50) {
        Assessment::Tested { day, .. } => (day.expected, day.upper),
        Assessment::Insufficient { .. } => panic!("enough history"),
    };
    let plain = judged(&alarmed);
    alarmed[40] = true;
    let lowered = judged(&alarmed);
    assert!(lowered.0 < plain.0 && lowered.1 < plain.1, "{lowered:?} under {plain:?}");
    assert!((lowered.0 - 3.0).abs() < 0.3, "{lowered:?}: near the ordinary 3 a day");
}

#[test]
fn weekends_expect_fewer_stories_than_weekdays() {
    // Monday to Sunday: 6 on weekdays, 2 at weekends.
    let series = Series::from_counts(first(), &counts(&[6, 6, 6, 6, 6, 2, 2], 112, &[]), Rung::Threaten, 2);
    let detector = Detector::default();
    let alarmed = vec![false; 112];
    let expected = |t| match detector.assess(&series, &alarmed, t) {
        Assessment::Tested { day, .. } => day.expected,
        Assessment::Insufficient { .. } => panic!("enough history"),
    };
    let (monday, sunday) = (expected(105), expected(111));
    assert!(monday > 5.0 && sunday < 3.0, "Monday {monday}, Sunday {sunday}");
}

#[test]
fn level_up_on_the_day_of_a_crossing() {
    /// Stories as (day, rung, outlets); level-ups as (day, level, level before).
    type Stories<'a> = &'a [(usize, Rung, u32)];
    type LevelUps<'a> = &'a [(usize, u32, f64)];
    let cases: &[(&str, Stories<'_>, LevelUps<'_>)] = &[
        (
            "threats, then an assault two outlets carried",
            &[(0, Rung::Threaten, 1), (20, Rung::Assault, 2)],
            &[(20, 3, 1.0)],
        ),
        ("the assault only one outlet carried", &[(0, Rung::Threaten, 1), (20, Rung::Assault, 1)], &[]),
        ("a first story is no crossing", &[(3, Rung::Fight, 3)], &[]),
        ("a crossing under 14 days of history", &[(0, Rung::Threaten, 1), (5, Rung::Assault, 2)], &[]),
        (
            "step by step",
            &[(0, Rung::Threaten, 1), (15, Rung::Threaten, 1), (20, Rung::Coerce, 2), (22, Rung::Fight, 2)],
            &[(20, 2, 1.0), (22, 4, 2.0)],
        ),
        ("mobilize and coerce are one rung", &[(10, Rung::Mobilize, 1), (20, Rung::Coerce, 2)], &[]),
        (
            "again within 28 days",
            &[(0, Rung::Threaten, 1), (20, Rung::Assault, 2), (35, Rung::Assault, 2)],
            &[(20, 3, 1.0)],
        ),
        (
            "again after 28 quiet days",
            &[
                (0, Rung::Threaten, 1),
                (20, Rung::Assault, 2),
                (50, Rung::Threaten, 1),
                (60, Rung::Assault, 2),
            ],
            &[(20, 3, 1.0), (60, 3, 1.0)],
        ),
        (
            "nothing in the 28 days before: no crossing",
            &[(0, Rung::Threaten, 1), (40, Rung::Assault, 2)],
            &[],
        ),
    ];
    for (name, stories, want) in cases {
        let mut index = Index::new();
        for &(day, rung, outlets) in *stories {
            let date = first() + chrono::TimeDelta::days(i64::try_from(day).expect("small"));
            index.add(&Story { date, source: "A", target: "B", rung, outlets }).expect("valid");
        }
        let got: Vec<(usize, u32, f64)> = Detector::default()
            .scan(index.pair("A", "B").expect("pair"))
            .iter()
            .filter(|s| s.kind == SignalKind::LevelUp)
            .map(|s| (s.day, s.observed, s.expected))
            .collect();
        assert_eq!(got, *want, "{name}");
    }
}

#[test]
fn the_index_counts_pairs_and_actors_per_day() {
    let day = |d: u32| NaiveDate::from_ymd_opt(2026, 3, d).expect("date");
    let mut index = Index::new();
    let stories = [
        (day(2), "Pakistan", "Afghanistan", Rung::Threaten, 1),
        (day(2), "Pakistan", "Afghanistan", Rung::Assault, 4),
        (day(4), "Afghanistan", "Pakistan", Rung::Fight, 2),
        (day(1), "Pakistan", "India", Rung::Mobilize, 1),
    ];
    for (date, source, target, rung, outlets) in stories {
        index.add(&Story { date, source, target, rung, outlets }).expect("valid");
    }
    let pa = index.pair("Pakistan", "Afghanistan").expect("pair");
    assert_eq!((pa.first, pa.days.len()), (day(2), 1));
    assert_eq!(pa.days[0].counts, [1, 0, 0, 1, 0]);
    assert_eq!(pa.days[0].highest(), Some(Rung::Assault));
    assert!((pa.days[0].score - (1.0 + 3.0 * 3.0)).abs() < 1e-9, "{}", pa.days[0].score);
    let pakistan = index.actor("Pakistan").expect("actor");
    assert_eq!(pakistan.first, day(1), "an earlier story grows the series backwards");
    let per_day: Vec<u32> = pakistan.days.iter().map(super::Day::stories).collect();
    assert_eq!(per_day, [1, 2, 0, 1]);
    assert_eq!(pakistan.days[3].highest(), Some(Rung::Fight));
    let pairs: Vec<(&str, &str)> = index.pairs().iter().map(|(s, t, _)| (*s, *t)).collect();
    assert_eq!(pairs, [("Afghanistan", "Pakistan"), ("Pakistan", "Afghanistan"), ("Pakistan", "India")]);
    let bad = Story { date: day(1), source: "A", target: "B", rung: Rung::Fight, outlets: 0 };
    assert_eq!(index.add(&bad), Err(TrendsError::NoOutlets));
}

#[test]
fn scores_weigh_rung_and_doubling_outlets() {
    let cases =
        [(Rung::Threaten, 1, 1.0), (Rung::Coerce, 1, 2.0), (Rung::Assault, 2, 6.0), (Rung::Fight, 8, 16.0)];
    for (rung, outlets, want) in cases {
        assert!((story_score(rung, outlets) - want).abs() < 1e-9, "{rung} × {outlets}");
    }
}

#[test]
fn negative_binomial_bounds() {
    // Poisson(3): P(X ≥ 9) = 0.0038, P(X ≥ 10) = 0.0011.
    assert_eq!(nb::upper(3.0, 3.0, 0.002), 10);
    assert!((nb::tail(10, 3.0, 3.0) - 0.001_102).abs() < 1e-5);
    // Geometric of mean 1 (size 1, variance 2): P(X ≥ c) = 2^-c.
    assert_eq!(nb::upper(1.0, 2.0, 1.0 / 64.0), 6);
    assert!((nb::tail(6, 1.0, 2.0) - 1.0 / 64.0).abs() < 1e-12);
    assert!(nb::upper(3.0, 30.0, 1e-4) > nb::upper(3.0, 3.0, 1e-4), "over-dispersion raises the bound");
}

#[test]
fn replay_fields_parse_or_say_why() {
    assert_eq!(super::parse_date("2026-02-28"), Ok(NaiveDate::from_ymd_opt(2026, 2, 28).expect("date")));
    for bad in ["2026-02-30", "2026-2-28", "28/02/2026", "2026-02-28T00:00:00Z", ""] {
        assert_eq!(super::parse_date(bad), Err(TrendsError::Date(bad.to_string())), "{bad}");
    }
    assert_eq!(super::parse_rung("coerce"), Ok(Rung::Coerce));
    assert!(super::parse_rung("attack").unwrap_err().to_string().contains("threaten, mobilize"));
}

#[test]
fn a_signal_id_names_its_pair_day_and_kind() {
    let series = Series::from_counts(first(), &counts(&[3], 150, &[(100, 20), (120, 20)]), Rung::Threaten, 2);
    let signals = Detector::default().scan(&series);
    assert_eq!(signals.len(), 2);
    let id = signals[0].id("Pakistan", "Afghanistan");
    assert!(id.starts_with("dyad_") && id.len() == 5 + 24, "{id}");
    assert_eq!(id, Detector::default().scan(&series)[0].id("Pakistan", "Afghanistan"), "stable");
    assert_ne!(id, signals[1].id("Pakistan", "Afghanistan"), "another day");
    assert_ne!(id, signals[0].id("Afghanistan", "Pakistan"), "the pair is ordered");
}

mod live {
    use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

    use super::super::live::{TimedPart, current, rolling_day, rolling_start};
    use super::super::{Detector, Rung, SignalKind, StoryPart};

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).expect("time").with_timezone(&Utc)
    }

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn the_last_rolling_day_is_the_24_hours_up_to_now() {
        let now = at("2026-03-10T15:30:00Z");
        let cases = [
            ("now itself", "2026-03-10T15:30:00Z", "2026-03-10"),
            ("an hour before", "2026-03-10T14:30:00Z", "2026-03-10"),
            ("yesterday evening, within 24 h", "2026-03-09T16:00:00Z", "2026-03-10"),
            ("just within 24 h", "2026-03-09T15:30:00.001Z", "2026-03-10"),
            ("exactly 24 h before", "2026-03-09T15:30:00Z", "2026-03-09"),
            ("yesterday morning", "2026-03-09T09:00:00Z", "2026-03-09"),
            ("two days before", "2026-03-08T15:00:00Z", "2026-03-08"),
        ];
        for (what, story, day) in cases {
            assert_eq!(rolling_day(at(story), now), date(day), "{what}");
        }
        assert_eq!(rolling_start(date("2026-03-10"), now), at("2026-03-09T15:30:00Z"));
        assert_eq!(rolling_start(date("2026-03-01"), now), at("2026-02-28T15:30:00Z"));
        // At midnight the rolling day is the calendar day before.
        let midnight = at("2026-03-10T00:00:00Z");
        assert_eq!(rolling_day(at("2026-03-09T00:00:00.001Z"), midnight), date("2026-03-10"));
        assert_eq!(rolling_day(at("2026-03-09T00:00:00Z"), midnight), date("2026-03-09"));
    }

    /// `n` stories of `rung` carried by `outlets`, first seen `hours_ago` before `now`.
    fn stories(
        out: &mut Vec<TimedPart>,
        now: DateTime<Utc>,
        hours_ago: i64,
        n: u32,
        rung: Rung,
        outlets: u32,
    ) {
        for i in 0..n {
            let first_seen = now - TimeDelta::hours(hours_ago) - TimeDelta::minutes(i64::from(i));
            out.push(TimedPart {
                part: StoryPart {
                    story: format!("alrt_{}_{i}", out.len()),
                    source: "Pakistan".into(),
                    target: "Afghanistan".into(),
                    date: first_seen.date_naive(),
                    rung,
                    outlets,
                },
                first_seen,
            });
        }
    }

    /// Six weeks of one threat a day, then `today` (hours ago, count, rung, outlets).
    fn history(now: DateTime<Utc>, today: &[(i64, u32, Rung, u32)]) -> Vec<TimedPart> {
        let mut out = Vec::new();
        for day in 1..=42 {
            stories(&mut out, now, 24 * day + 3, 1, Rung::Threaten, 1);
        }
        for &(hours, n, rung, outlets) in today {
            stories(&mut out, now, hours, n, rung, outlets);
        }
        out
    }

    #[test]
    fn signals_of_the_rolling_day() {
        let now = at("2026-03-10T01:00:00Z");
        let detector = Detector::default();
        let kinds = |parts: &[TimedPart]| -> Vec<SignalKind> {
            current(&detector, parts, now).iter().map(|f| f.signal.kind).collect()
        };
        let cases: &[(&str, Vec<TimedPart>, &[SignalKind])] = &[
            ("an ordinary day", history(now, &[(2, 1, Rung::Threaten, 1)]), &[]),
            (
                // Last evening's stories are today's: the calendar day has barely begun.
                "nine threats since yesterday evening, three outlets",
                history(now, &[(5, 9, Rung::Threaten, 3)]),
                &[SignalKind::Spike],
            ),
            ("nine threats from one outlet each", history(now, &[(5, 9, Rung::Threaten, 1)]), &[]),
            (
                "two attacks carried by two outlets",
                history(now, &[(2, 2, Rung::Assault, 2)]),
                &[SignalKind::LevelUp],
            ),
            (
                "attacks and threats in a burst",
                history(now, &[(2, 3, Rung::Assault, 2), (3, 6, Rung::Threaten, 2)]),
                &[SignalKind::LevelUp, SignalKind::Spike],
            ),
            ("the burst was two days ago", history(now, &[(50, 9, Rung::Threaten, 3)]), &[]),
            ("a burst in the future is not counted", history(now, &[(-5, 9, Rung::Threaten, 3)]), &[]),
            (
                "a new pair has no history",
                {
                    let mut parts = Vec::new();
                    stories(&mut parts, now, 2, 9, Rung::Assault, 3);
                    parts
                },
                &[],
            ),
        ];
        for (what, parts, want) in cases {
            assert_eq!(kinds(parts), *want, "{what}");
        }
    }

    #[test]
    fn a_signal_says_what_drove_it() {
        let now = at("2026-03-10T01:00:00Z");
        let parts = history(now, &[(2, 2, Rung::Assault, 4), (3, 7, Rung::Threaten, 2)]);
        let found = current(&Detector::default(), &parts, now);
        let spike = found.iter().find(|f| f.signal.kind == SignalKind::Spike).expect("a spike");
        assert_eq!((spike.source.as_str(), spike.target.as_str()), ("Pakistan", "Afghanistan"));
        assert_eq!(spike.signal.observed, 9);
        assert!(spike.signal.expected > 0.5 && spike.signal.expected < 2.0, "{}", spike.signal.expected);
        assert_eq!(spike.window, (now - TimeDelta::days(1), now));
        // The baseline is the 28 rolling days that end 2 days before this one.
        assert_eq!(spike.baseline, (now - TimeDelta::days(31), now - TimeDelta::days(3)));
        // Nine stories against one a day over four weeks.
        assert_eq!(spike.change_pct, Some(800.0));
        assert_eq!(spike.stories.len(), 5, "the five weightiest");
        assert!(spike.stories[..2].iter().all(|s| s.rung == Rung::Assault && s.outlets == 4));
        let level = found.iter().find(|f| f.signal.kind == SignalKind::LevelUp).expect("a level-up");
        assert_eq!(level.rungs, Some((Rung::Assault, Rung::Threaten)));
        assert_ne!(level.id(), spike.id());
        // The same day judged an hour later is the same signal.
        let later = current(&Detector::default(), &parts, now + TimeDelta::hours(1));
        assert!(later.iter().any(|f| f.id() == spike.id()));
    }
}

/// The band a chart draws is the test each spike was judged by.
#[test]
fn each_days_test_is_the_one_scan_judged_by() {
    let series =
        Series::from_counts(first(), &counts(&[2, 4, 3, 1, 5, 3, 2], 150, &[(90, 25)]), Rung::Threaten, 2);
    let detector = Detector::default();
    let tests = detector.tests(&series);
    assert_eq!(tests.len(), 150);
    assert!(tests[..14].iter().all(Option::is_none), "too little history");
    for signal in detector.scan(&series).iter().filter(|s| s.kind == SignalKind::Spike) {
        let test = tests[signal.day].expect("tested");
        assert_eq!((test.observed, test.upper), (signal.observed, signal.upper));
        assert!((test.expected - signal.expected).abs() < 1e-9);
    }
    assert!(tests[91].is_some_and(|t| t.expected < 6.0), "the spike weighs little in the baseline after it");
}

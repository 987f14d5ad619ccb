//! What the caller tells the engine about the moment of a question ([`AskContext`]). The
//! engine reads no clock (it must give the same reply natively and in WebAssembly, and in
//! tests): the time is a plain value the adapter passes in, or none.

/// The circumstances of one question, given by the caller of [`crate::Engine::ask_in`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AskContext {
    /// When the question is asked; `None` when the caller does not say (evaluation, tests,
    /// [`crate::Engine::ask`]).
    pub now: Option<Timestamp>,
}

impl AskContext {
    /// A context at the given moment.
    pub fn at(now: Timestamp) -> AskContext {
        AskContext { now: Some(now) }
    }
}

/// A moment as seconds since 1970-01-01T00:00:00Z (Unix time, leap seconds ignored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

/// A calendar date (proleptic Gregorian), ordered by time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

const DAY: i64 = 86_400;

impl Timestamp {
    pub fn from_unix_seconds(seconds: i64) -> Timestamp {
        Timestamp(seconds)
    }

    /// The moment `time` (read by the caller: `Timestamp::from_system_time(SystemTime::now())`);
    /// moments beyond `i64` seconds are clamped.
    pub fn from_system_time(time: std::time::SystemTime) -> Timestamp {
        let seconds = match time.duration_since(std::time::UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
            Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |s| -s),
        };
        Timestamp(seconds)
    }

    pub fn unix_seconds(self) -> i64 {
        self.0
    }

    /// The date at Greenwich.
    pub fn date_utc(self) -> Date {
        Date::from_days(self.0.div_euclid(DAY))
    }

    /// The date in Italy (CET, UTC+1; CEST, UTC+2, from the last Sunday of March to the last
    /// Sunday of October at 01:00 UTC, the EU rule since 1996): the date an administration's
    /// "dal 1° marzo" means.
    pub fn date_italy(self) -> Date {
        Timestamp(self.0.saturating_add(self.date_italy_offset())).date_utc()
    }
}

impl Timestamp {
    /// The moment a clock in Italy shows `date` at `seconds` after midnight (CET or CEST as
    /// on that day; in the hour the clocks go back, the first of the two moments).
    pub fn from_italy_local(date: Date, seconds: i64) -> Timestamp {
        let local = date.days_since_epoch() * DAY + seconds;
        // Try summer time first: it is right when the moment it gives is in summer time.
        let summer = Timestamp(local - 2 * 3_600);
        if summer.date_italy_offset() == 2 * 3_600 {
            summer
        } else {
            Timestamp(local - 3_600)
        }
    }

    /// Italy's offset from UTC at this moment, in seconds.
    fn date_italy_offset(self) -> i64 {
        let year = self.date_utc().year;
        let change = |month| last_sunday(year, month) * DAY + 3_600;
        if (change(3)..change(10)).contains(&self.0) {
            2 * 3_600
        } else {
            3_600
        }
    }
}

impl Date {
    /// Days since 1970-01-01 (negative before), for any date with a valid month.
    pub fn days_since_epoch(self) -> i64 {
        // H. Hinnant's `days_from_civil`: years start in March, so leap days come last.
        let (m, d) = (i64::from(self.month), i64::from(self.day));
        let y = i64::from(self.year) - i64::from(m <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` days after 1970-01-01.
    pub fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = yoe + era * 400 + i64::from(month <= 2);
        Date {
            year: year.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32,
            month,
            day,
        }
    }
}

/// Days since the epoch of the last Sunday of `month` (March or October: 31 days).
fn last_sunday(year: i32, month: u8) -> i64 {
    let last = Date {
        year,
        month,
        day: 31,
    }
    .days_since_epoch();
    // 1970-01-01 was a Thursday: (days + 4) mod 7 is 0 on Sundays.
    last - (last + 4).rem_euclid(7)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(year: i32, month: u8, day: u8) -> Date {
        Date { year, month, day }
    }

    #[test]
    fn dates_round_trip_and_match_known_days() {
        assert_eq!(date(1970, 1, 1).days_since_epoch(), 0);
        assert_eq!(date(2000, 3, 1).days_since_epoch(), 11_017);
        assert_eq!(date(1969, 12, 31).days_since_epoch(), -1);
        for days in (-800_000..800_000).step_by(97) {
            assert_eq!(Date::from_days(days).days_since_epoch(), days);
        }
        assert_eq!(Date::from_days(11_016), date(2000, 2, 29));
    }

    #[test]
    fn system_times_before_and_after_the_epoch() {
        use std::time::{Duration, UNIX_EPOCH};
        let t = |s| Timestamp::from_system_time(s).unix_seconds();
        assert_eq!(
            t(UNIX_EPOCH + Duration::from_secs(1_796_256_000)),
            1_796_256_000
        );
        assert_eq!(t(UNIX_EPOCH - Duration::from_secs(86_400)), -86_400);
    }

    #[test]
    fn utc_and_italian_dates() {
        // 2026-12-03T23:30:00Z: still the 3rd at Greenwich, already the 4th in Rome (CET).
        let t = Timestamp::from_unix_seconds(date(2026, 12, 3).days_since_epoch() * DAY + 84_600);
        assert_eq!(t.date_utc(), date(2026, 12, 3));
        assert_eq!(t.date_italy(), date(2026, 12, 4));
        // 2026-07-31T22:30:00Z is 00:30 on 1 August in Rome (CEST).
        let t = Timestamp::from_unix_seconds(date(2026, 7, 31).days_since_epoch() * DAY + 81_000);
        assert_eq!(t.date_italy(), date(2026, 8, 1));
        // 22:30Z the day before summer time starts (29 March 2026) is 23:30 in Rome (CET).
        let t = Timestamp::from_unix_seconds(date(2026, 3, 28).days_since_epoch() * DAY + 81_000);
        assert_eq!(t.date_italy(), date(2026, 3, 28));
        // Summer time ends on 25 October 2026 at 01:00Z: 22:30Z on the 24th is the 25th in
        // Rome, 22:30Z on the 25th is still the 25th.
        let t = Timestamp::from_unix_seconds(date(2026, 10, 24).days_since_epoch() * DAY + 81_000);
        assert_eq!(t.date_italy(), date(2026, 10, 25));
        let t = Timestamp::from_unix_seconds(date(2026, 10, 25).days_since_epoch() * DAY + 81_000);
        assert_eq!(t.date_italy(), date(2026, 10, 25));
        assert_eq!(last_sunday(2026, 3), date(2026, 3, 29).days_since_epoch());
        // Italian clock times back to UTC: 08:00 in December is 07:00Z, in July 06:00Z.
        let t = Timestamp::from_italy_local(date(2026, 12, 4), 8 * 3_600);
        assert_eq!(
            t.unix_seconds(),
            date(2026, 12, 4).days_since_epoch() * DAY + 7 * 3_600
        );
        let t = Timestamp::from_italy_local(date(2026, 7, 1), 8 * 3_600);
        assert_eq!(
            t.unix_seconds(),
            date(2026, 7, 1).days_since_epoch() * DAY + 6 * 3_600
        );
        // Midnight in Rome on 1 August is 22:00Z on 31 July, and back again.
        let t = Timestamp::from_italy_local(date(2026, 8, 1), 0);
        assert_eq!(t.date_italy(), date(2026, 8, 1));
        assert_eq!(Timestamp(t.0 - 1).date_italy(), date(2026, 7, 31));
        assert_eq!(last_sunday(2026, 10), date(2026, 10, 25).days_since_epoch());
    }
}

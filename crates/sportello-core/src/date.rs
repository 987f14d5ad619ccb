//! Calendar dates of the KB (`reviewed`, `valid_from`, `valid_until`) and of the editors'
//! report as day numbers (days since 1970-01-01), on top of [`crate::context::Date`]. No
//! clock: callers pass the time.

/// Days since 1970-01-01 of a proleptic Gregorian date (see [`crate::context::Date`]).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    crate::context::Date {
        year: year.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32,
        month: month.min(12) as u8,
        day: day.min(31) as u8,
    }
    .days_since_epoch()
}

/// The (year, month, day) of a day number.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let d = crate::context::Date::from_days(days);
    (i64::from(d.year), u32::from(d.month), u32::from(d.day))
}

/// The day number of a valid `YYYY-MM-DD` date (see [`crate::load::is_valid_date`]).
pub fn parse(s: &str) -> Option<i64> {
    if !crate::load::is_valid_date(s) {
        return None;
    }
    let y = s.get(0..4)?.parse().ok()?;
    let m = s.get(5..7)?.parse().ok()?;
    let d = s.get(8..10)?.parse().ok()?;
    Some(days_from_civil(y, m, d))
}

/// `YYYY-MM-DD` of a day number.
pub fn iso(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The date as Italians write it: `3 dicembre 2026`.
pub fn italian(days: i64) -> String {
    const MONTHS: [&str; 12] = [
        "gennaio",
        "febbraio",
        "marzo",
        "aprile",
        "maggio",
        "giugno",
        "luglio",
        "agosto",
        "settembre",
        "ottobre",
        "novembre",
        "dicembre",
    ];
    let (y, m, d) = civil_from_days(days);
    format!("{d} {} {y}", MONTHS[(m - 1) as usize])
}

/// The same day `months` calendar months later (the month's last day when it is shorter).
pub fn add_months(days: i64, months: u32) -> i64 {
    let (y, m, d) = civil_from_days(days);
    let total = y * 12 + i64::from(m - 1) + i64::from(months);
    let (ny, nm) = (total.div_euclid(12), (total.rem_euclid(12) + 1) as u32);
    let last = days_from_civil(
        ny + i64::from(nm == 12),
        if nm == 12 { 1 } else { nm + 1 },
        1,
    ) - days_from_civil(ny, nm, 1);
    days_from_civil(ny, nm, d.min(last as u32))
}

/// The day number of a Unix time in seconds.
pub fn day_of_unix(seconds: i64) -> i64 {
    seconds.div_euclid(86_400)
}

/// The Monday of the week of a day number (1970-01-01 was a Thursday).
pub fn week_start(days: i64) -> i64 {
    days - (days + 3).rem_euclid(7)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_known_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(parse("2000-03-01"), Some(11_017));
        assert_eq!(iso(11_016), "2000-02-29");
        assert_eq!(parse("2026-02-30"), None);
        for d in (-700_000..700_000).step_by(97) {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
        assert_eq!(italian(parse("2026-12-03").unwrap()), "3 dicembre 2026");
        let d = |s| parse(s).unwrap();
        assert_eq!(add_months(d("2025-12-03"), 12), d("2026-12-03"));
        assert_eq!(add_months(d("2024-01-31"), 1), d("2024-02-29"));
        assert_eq!(add_months(d("2025-11-15"), 3), d("2026-02-15"));
    }

    #[test]
    fn weeks_start_on_monday() {
        let thu = parse("2026-12-03").unwrap();
        assert_eq!(iso(week_start(thu)), "2026-11-30");
        let mon = parse("2026-11-30").unwrap();
        assert_eq!(week_start(mon), mon);
        assert_eq!(iso(week_start(parse("2026-12-06").unwrap())), "2026-11-30");
    }
}

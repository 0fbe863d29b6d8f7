//! Calendar arithmetic on PostgreSQL timestamps (microseconds since 2000-01-01 00:00 UTC).
//! Kept here, dependency-free, so the generator is pure and unit-testable.

pub const US_PER_SEC: i64 = 1_000_000;
pub const US_PER_HOUR: i64 = 3_600 * US_PER_SEC;
pub const US_PER_DAY: i64 = 24 * US_PER_HOUR;

/// Days since 1970-01-01 of 2000-01-01 (the PostgreSQL epoch).
const PG_EPOCH_UNIX_DAYS: i64 = 10_957;

/// Civil (proleptic Gregorian) date of a day number counted from 1970-01-01.
/// Howard Hinnant's `civil_from_days`.
pub fn civil_from_unix_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    ((if m <= 2 { y + 1 } else { y }) as i32, m, d)
}

/// Day number since 1970-01-01 of a civil date. Hinnant's `days_from_civil`.
pub fn unix_days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y as i64 - 1 } else { y as i64 };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date (UTC) of a PostgreSQL timestamp.
pub fn pg_us_to_civil(ts: i64) -> (i32, u32, u32) {
    civil_from_unix_days(ts.div_euclid(US_PER_DAY) + PG_EPOCH_UNIX_DAYS)
}

/// PostgreSQL timestamp of midnight UTC on a civil date.
pub fn civil_to_pg_us(y: i32, m: u32, d: u32) -> i64 {
    (unix_days_from_civil(y, m, d) - PG_EPOCH_UNIX_DAYS) * US_PER_DAY
}

/// Fractional years between two PostgreSQL timestamps.
pub fn years_between(from: i64, to: i64) -> f64 {
    (to - from) as f64 / (365.2425 * US_PER_DAY as f64)
}

#[cfg(test)]
#[path = "time_test.rs"]
mod tests;

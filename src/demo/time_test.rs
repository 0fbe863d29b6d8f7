//! Unit tests of time.

use super::*;

#[test]
fn pg_epoch_is_2000_01_01() {
    assert_eq!(pg_us_to_civil(0), (2000, 1, 1));
    assert_eq!(civil_to_pg_us(2000, 1, 1), 0);
    assert_eq!(pg_us_to_civil(-1), (1999, 12, 31));
}

#[test]
fn round_trips_across_leap_days_and_month_ends() {
    for &(y, m, d) in &[(2024, 2, 29), (2024, 3, 1), (2023, 12, 31), (2100, 3, 1), (1970, 1, 1), (2026, 11, 25)] {
        let ts = civil_to_pg_us(y, m, d);
        assert_eq!(pg_us_to_civil(ts), (y, m, d));
        assert_eq!(pg_us_to_civil(ts + US_PER_DAY - 1), (y, m, d));
    }
    // 2026-11-25 is 9825 days after 2000-01-01 (checked with PostgreSQL: '2026-11-25'::date - '2000-01-01').
    assert_eq!(civil_to_pg_us(2026, 11, 25), 9_825 * US_PER_DAY);
}

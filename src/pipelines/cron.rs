//! Cron schedules as pg_cron 1.4.2 reads them, and the maths on them.
//!
//! Grammar (pg_cron 1.4.2 `src/entry.c`, vixie cron's): five fields `minute hour day-of-month
//! month day-of-week`, each a list of `*`, `*/step`, `n`, `n-m` or `n-m/step`; names `jan`..`dec`
//! and `sun`..`sat` (any case) in the month and weekday fields; weekday 7 = Sunday; or one of
//! `@hourly @daily @midnight @weekly @monthly @yearly @annually`. Times are UTC: pg_cron 1.4.2
//! has no `cron.timezone` and evaluates schedules with `gmtime()`.
//!
//! Day matching (pg_cron's `ShouldRunTask`): when the day-of-month or the day-of-week field
//! *starts with* `*` (including `*/2`), a day must match both; otherwise either.
//!
//! spine is stricter than pg_cron in three ways, each a mistake pg_cron would accept silently:
//! text after the fifth field or after a valid prefix of a field (pg_cron ignores it), a
//! descending range such as `30-10` (pg_cron selects nothing from it), and a schedule that can
//! never fire (`0 0 31 2 *`). `@reboot` is refused: it is not a time schedule.
//!
//! The calendar search itself (next fire time) is the `croner` crate's, fed with the explicit
//! value lists and the day-matching rule above, always in UTC.

use chrono::{DateTime, TimeZone, Utc};
use croner::parser::{CronParser, Seconds, Year};

/// PostgreSQL timestamps are microseconds since 2000-01-01 00:00 UTC.
const PG_EPOCH_UNIX_S: i64 = 946_684_800;

/// A parsed schedule.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// The text as given (trimmed).
    pub text: String,
    pub minutes: Vec<u32>,
    pub hours: Vec<u32>,
    pub days: Vec<u32>,
    pub months: Vec<u32>,
    /// 0 = Sunday .. 6 = Saturday (7 folded into 0).
    pub weekdays: Vec<u32>,
    /// A day must match both day fields (one of them starts with `*`); otherwise either.
    pub days_and_weekdays: bool,
    cron: croner::Cron,
}

/// Why a schedule is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronError(pub String);

impl std::fmt::Display for CronError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

struct Field {
    name: &'static str,
    low: u32,
    high: u32,
    names: &'static [&'static str],
}

const MONTH_NAMES: &[&str] = &["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DOW_NAMES: &[&str] = &["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

const FIELDS: [Field; 5] = [
    Field { name: "minute", low: 0, high: 59, names: &[] },
    Field { name: "hour", low: 0, high: 23, names: &[] },
    Field { name: "day-of-month", low: 1, high: 31, names: &[] },
    Field { name: "month", low: 1, high: 12, names: MONTH_NAMES },
    Field { name: "day-of-week", low: 0, high: 7, names: DOW_NAMES },
];

fn number(f: &Field, tok: &str, whole: &str) -> Result<u32, CronError> {
    if tok.is_empty() {
        return Err(CronError(format!("{} field \"{whole}\": a number is missing", f.name)));
    }
    if let Some(i) = f.names.iter().position(|n| n.eq_ignore_ascii_case(tok)) {
        // month names count from 1 (jan), weekday names from 0 (sun)
        return Ok(i as u32 + u32::from(f.name == "month"));
    }
    if !tok.bytes().all(|b| b.is_ascii_digit()) {
        let what = if f.names.is_empty() { "a number".to_string() } else { format!("a number or a name ({}..{})", f.names[0], f.names[f.names.len() - 1]) };
        return Err(CronError(format!("{} field \"{whole}\": \"{tok}\" is not {what}", f.name)));
    }
    let v: u32 = tok.parse().map_err(|_| CronError(format!("{} field \"{whole}\": {tok} is out of range {}..{}", f.name, f.low, f.high)))?;
    if v < f.low || v > f.high {
        return Err(CronError(format!("{} field \"{whole}\": {v} is outside {}..{}", f.name, f.low, f.high)));
    }
    Ok(v)
}

/// One field: a comma list of ranges. Returns the selected values (sorted, distinct).
fn field(f: &Field, text: &str) -> Result<Vec<u32>, CronError> {
    let mut set = vec![false; f.high as usize + 1];
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => {
                if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(CronError(format!("{} field \"{text}\": step \"{s}\" is not a positive whole number", f.name)));
                }
                let s: u32 = s.parse().unwrap_or(0);
                if s == 0 {
                    return Err(CronError(format!("{} field \"{text}\": a step must be at least 1", f.name)));
                }
                (r, s)
            }
            None => (part, 1),
        };
        let (lo, hi) = if range == "*" {
            (f.low, f.high)
        } else if let Some((a, b)) = range.split_once('-') {
            let (a, b) = (number(f, a, text)?, number(f, b, text)?);
            if a > b {
                return Err(CronError(format!("{} field \"{text}\": range {a}-{b} is descending and selects nothing", f.name)));
            }
            (a, b)
        } else {
            let a = number(f, range, text)?;
            if step != 1 || part.contains('/') {
                return Err(CronError(format!(
                    "{} field \"{text}\": a step needs a range (write {a}-{}/{step} or */{step})",
                    f.name, f.high
                )));
            }
            (a, a)
        };
        let mut v = lo;
        while v <= hi {
            set[v as usize] = true;
            v += step;
        }
    }
    Ok((0..set.len() as u32).filter(|&v| set[v as usize]).collect())
}

fn days_in_month_max(month: u32) -> u32 {
    match month {
        2 => 29,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn list(v: &[u32]) -> String {
    v.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

/// Parses a schedule the way pg_cron 1.4.2 does (with spine's three refusals, module docs).
pub fn parse(text: &str) -> Result<Schedule, CronError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(CronError("the schedule is empty".into()));
    }
    let (fields, days_and_weekdays): ([String; 5], bool) = if let Some(special) = text.strip_prefix('@') {
        // pg_cron compares these case-sensitively
        let f = |m: &str, h: &str, d: &str, mo: &str, w: &str| [m, h, d, mo, w].map(str::to_string);
        match special {
            "hourly" => (f("0", "*", "*", "*", "*"), true),
            "daily" | "midnight" => (f("0", "0", "*", "*", "*"), true),
            "weekly" => (f("0", "0", "*", "*", "0"), true),
            "monthly" => (f("0", "0", "1", "*", "*"), true),
            "yearly" | "annually" => (f("0", "0", "1", "1", "*"), true),
            "reboot" | "restart" => {
                return Err(CronError(format!("@{special} runs a job when the server starts; it is not a time schedule")))
            }
            other => {
                return Err(CronError(format!(
                    "unknown special schedule @{other} (pg_cron knows @hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually)"
                )))
            }
        }
    } else {
        let parts: Vec<&str> = text.split_whitespace().collect();
        if parts.len() != 5 {
            return Err(CronError(format!(
                "a schedule has 5 fields (minute hour day-of-month month day-of-week), this one has {}{}",
                parts.len(),
                if parts.len() == 6 { ": pg_cron 1.4.2 has no seconds field" } else { "" }
            )));
        }
        let and = parts[2].starts_with('*') || parts[4].starts_with('*');
        ([0, 1, 2, 3, 4].map(|i| parts[i].to_string()), and)
    };
    let minutes = field(&FIELDS[0], &fields[0])?;
    let hours = field(&FIELDS[1], &fields[1])?;
    let days = field(&FIELDS[2], &fields[2])?;
    let months = field(&FIELDS[3], &fields[3])?;
    let mut weekdays = field(&FIELDS[4], &fields[4])?;
    if weekdays.contains(&7) {
        weekdays.retain(|&d| d != 7);
        if !weekdays.contains(&0) {
            weekdays.insert(0, 0);
        }
    }
    // With AND day matching, a selected day must exist in a selected month. (With OR the
    // weekday field alone fires every month.)
    if days_and_weekdays && !months.iter().any(|&m| days.iter().any(|&d| d <= days_in_month_max(m))) {
        return Err(CronError(format!(
            "\"{text}\" never fires: no selected day-of-month ({}) exists in a selected month ({})",
            list(&days),
            list(&months)
        )));
    }
    let pattern = format!("{} {} {} {} {}", list(&minutes), list(&hours), list(&days), list(&months), list(&weekdays));
    let cron = CronParser::builder()
        .seconds(Seconds::Disallowed)
        .year(Year::Disallowed)
        .dom_and_dow(days_and_weekdays)
        .build()
        .parse(&pattern)
        .map_err(|e| CronError(format!("\"{text}\": {e}")))?;
    Ok(Schedule { text: text.to_string(), minutes, hours, days, months, weekdays, days_and_weekdays, cron })
}

/// PostgreSQL microseconds → UTC date-time (None outside chrono's range).
pub fn to_utc(pg_us: i64) -> Option<DateTime<Utc>> {
    let secs = pg_us.div_euclid(1_000_000).checked_add(PG_EPOCH_UNIX_S)?;
    let nanos = (pg_us.rem_euclid(1_000_000) * 1000) as u32;
    Utc.timestamp_opt(secs, nanos).single()
}

/// UTC date-time → PostgreSQL microseconds.
pub fn from_utc(t: DateTime<Utc>) -> i64 {
    (t.timestamp() - PG_EPOCH_UNIX_S) * 1_000_000 + i64::from(t.timestamp_subsec_micros())
}

impl Schedule {
    /// The first fire time strictly after `after_us` (PostgreSQL microseconds).
    pub fn next_after(&self, after_us: i64) -> Option<i64> {
        // fire times are whole minutes: search from the start of the minute of `after`, exclusive
        let minute = after_us.div_euclid(60_000_000) * 60_000_000;
        let start = to_utc(minute)?;
        self.cron.find_next_occurrence(&start, false).ok().map(from_utc)
    }

    /// Does the schedule fire in the minute starting at `at_us`?
    pub fn fires_at(&self, at_us: i64) -> bool {
        at_us.rem_euclid(60_000_000) == 0 && to_utc(at_us).is_some_and(|t| self.cron.is_time_matching(&t).unwrap_or(false))
    }
}

/// When a schedule became overdue: the first fire time after `reference_us` (the start of the
/// last successful run, or when the pipeline was set up), once `grace_us` has passed since it
/// without a new successful run. None = not overdue at `now_us`.
pub fn overdue_since(s: &Schedule, reference_us: i64, now_us: i64, grace_us: i64) -> Option<i64> {
    let due = s.next_after(reference_us)?;
    (due.checked_add(grace_us)? <= now_us).then_some(due)
}

#[cfg(test)]
#[path = "cron_test.rs"]
mod tests;

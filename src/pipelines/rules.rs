//! The audit rules of the pipelines as plain functions: implausible values, null-rate jumps and
//! volume drops of an ingested batch, legal status transitions, and what to do when a duplicate
//! and its canonical listing disagree. Thresholds come from `spine.settings` (settings.rs).

/// Thresholds for auditing an ingested batch.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchPolicy {
    pub price_min: f64,
    pub price_max: f64,
    pub year_min: i32,
    pub mileage_max: i64,
    pub km_per_year_max: i64,
    /// Absolute increase of a field's NULL rate over its baseline that makes a finding.
    pub null_rate_increase: f64,
    /// Relative drop of a batch's row count below the baseline median that makes a finding.
    pub volume_drop: f64,
    /// Previous batches of the same source that form the baseline.
    pub baseline_batches: i64,
    /// Fewer previous batches than this: no null-rate or volume comparison.
    pub baseline_min: i64,
    /// Share of quarantined rows that makes a finding.
    pub quarantine_rate_max: f64,
}

impl Default for BatchPolicy {
    fn default() -> Self {
        BatchPolicy {
            price_min: 500.0,
            price_max: 2_000_000.0,
            year_min: 1950,
            mileage_max: 1_000_000,
            km_per_year_max: 100_000,
            null_rate_increase: 0.2,
            volume_drop: 0.5,
            baseline_batches: 5,
            baseline_min: 3,
            quarantine_rate_max: 0.1,
        }
    }
}

/// One implausible value: finding kind and reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Implausible {
    pub kind: &'static str,
    pub reason: String,
}

/// Implausible values of one listing as the batch left it (`observed_year`: the year of its
/// latest observation).
pub fn implausible(price_eur: Option<f64>, mileage_km: Option<i64>, year: i32, observed_year: i32, p: &BatchPolicy) -> Vec<Implausible> {
    let mut out = Vec::new();
    if let Some(price) = price_eur {
        if price < p.price_min {
            out.push(Implausible { kind: "implausible_price", reason: format!("price {price:.2} EUR is below {}", p.price_min) });
        } else if price > p.price_max {
            out.push(Implausible { kind: "implausible_price", reason: format!("price {price:.2} EUR is above {}", p.price_max) });
        }
    }
    if year < p.year_min {
        out.push(Implausible { kind: "implausible_year", reason: format!("year {year} is before {}", p.year_min) });
    }
    if let Some(km) = mileage_km {
        // age in years of use, counting the model year as the first
        let age = i64::from((observed_year - year).max(0)) + 1;
        if km > p.mileage_max {
            out.push(Implausible { kind: "implausible_mileage", reason: format!("{km} km is above {}", p.mileage_max) });
        } else if km > p.km_per_year_max * age {
            out.push(Implausible {
                kind: "implausible_mileage",
                reason: format!("{km} km in {age} year(s) of use is more than {} km a year", p.km_per_year_max),
            });
        } else if km == 0 && age >= 4 {
            out.push(Implausible { kind: "implausible_mileage", reason: format!("0 km on a {year} vehicle looks like a placeholder") });
        }
    }
    out
}

/// Fields whose NULL rate rose by more than the policy allows: (field, rate now, baseline).
pub fn null_rate_jumps(current: &[(String, f64)], baseline: &[(String, f64)], p: &BatchPolicy) -> Vec<(String, f64, f64)> {
    current
        .iter()
        .filter_map(|(field, now)| {
            let base = baseline.iter().find(|(f, _)| f == field)?.1;
            (now - base > p.null_rate_increase + 1e-12).then(|| (field.clone(), *now, base))
        })
        .collect()
}

/// The median of previous row counts (lower median for an even count).
pub fn median(v: &[i64]) -> Option<i64> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_unstable();
    Some(s[(s.len() - 1) / 2])
}

/// A sudden volume drop: Some((baseline median, relative drop)) when `rows` is more than
/// `volume_drop` below the median of the previous batches of the source.
pub fn volume_drop(rows: i64, previous: &[i64], p: &BatchPolicy) -> Option<(i64, f64)> {
    if (previous.len() as i64) < p.baseline_min {
        return None;
    }
    let base = median(previous)?;
    if base <= 0 {
        return None;
    }
    let drop = 1.0 - rows as f64 / base as f64;
    (drop > p.volume_drop + 1e-12).then_some((base, drop))
}

/// The statuses a listing can have.
pub const STATUSES: [&str; 3] = ["active", "sold", "removed"];

/// Why a recorded status change is illegal, if it is. `recorded_previous` is the event's
/// `previous_status`, `history_previous` the status the listing's history had just before it
/// (from its previous `listed` or `status_change` event).
///
/// Legal: active → sold, active → removed, removed → active (relisted), removed → sold (a sale
/// reported after the listing was taken down). `sold` is final.
pub fn transition_problem(recorded_previous: Option<&str>, to: &str, history_previous: Option<&str>) -> Option<String> {
    if let (Some(r), Some(h)) = (recorded_previous, history_previous) {
        if r != h {
            return Some(format!("previous_status says {r} but the history before it says {h}"));
        }
    }
    let from = recorded_previous.or(history_previous)?;
    if from == to {
        return Some(format!("a status change from {from} to itself"));
    }
    match (from, to) {
        ("active", "sold") | ("active", "removed") | ("removed", "active") | ("removed", "sold") => None,
        ("sold", _) => Some(format!("sold is final: sold → {to}")),
        _ => Some(format!("{from} → {to} is not a known transition")),
    }
}

/// One side of a duplicate pair as the listings table has it.
#[derive(Debug, Clone, PartialEq)]
pub struct Side {
    pub listing_id: i64,
    pub status: String,
    pub last_seen_us: i64,
    pub status_changed_us: Option<i64>,
}

/// What to do about a duplicate whose status disagrees with its canonical listing.
#[derive(Debug, Clone, PartialEq)]
pub enum Disagreement {
    /// The vehicle was sold through one listing at `at_us`; the other one, still active and not
    /// seen since, becomes sold at that time.
    Heal { listing_id: i64, status: &'static str, at_us: i64, reason: String },
    /// The statuses contradict each other and no safe correction exists.
    Review { reason: String },
}

/// Duplicate and canonical listing describe one vehicle. Only sold-versus-active is a
/// disagreement: a removed listing next to an active repost is how reposts look.
pub fn duplicate_disagreement(dup: &Side, canonical: &Side) -> Option<Disagreement> {
    let (sold, active, sold_role, active_role) = match (dup.status.as_str(), canonical.status.as_str()) {
        ("sold", "active") => (dup, canonical, "duplicate", "canonical listing"),
        ("active", "sold") => (canonical, dup, "canonical listing", "duplicate"),
        _ => return None,
    };
    let sold_at = sold.status_changed_us.unwrap_or(sold.last_seen_us);
    if active.last_seen_us <= sold_at {
        Some(Disagreement::Heal {
            listing_id: active.listing_id,
            status: "sold",
            at_us: sold_at,
            reason: format!(
                "{sold_role} {} was sold; {active_role} {} of the same vehicle is still active and was not seen after the sale",
                sold.listing_id, active.listing_id
            ),
        })
    } else {
        Some(Disagreement::Review {
            reason: format!(
                "{sold_role} {} was sold, but {active_role} {} of the same vehicle was seen after the sale",
                sold.listing_id, active.listing_id
            ),
        })
    }
}

#[cfg(test)]
#[path = "rules_test.rs"]
mod tests;

//! Profiles of a store's data (at certification and in strict guards) and their comparison.
//!
//! - Full-data statistics in one scan: row count, NULL counts per column, invariant counters.
//! - A deterministic sample: the `profile_sample` rows with the smallest
//!   `hashtextextended(key::text, 0)` (bottom-k by key hash), so the same entities are sampled
//!   again as long as they exist. Numeric and temporal columns keep their sorted finite values;
//!   categorical columns their top categories with shares.
//! - Comparison (pure): row-count change, null-rate change, PSI (audit.psi's definition) and the
//!   two-sample KS test per numeric feature, PSI over categories for categorical features.

use super::drift;
use super::store::{Cert, Check, Column, Failure, Kind, Store};
use crate::common::sqlstate::Sp;
use pgrx::prelude::*;
use pgrx::spi::{quote_identifier, SpiClient};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// Categories kept per categorical column; the rest are pooled as "(other)".
pub const TOP_CATEGORIES: usize = 20;
pub const PSI_BINS: i32 = 10;

#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub rows: i64,
    pub key_nulls: i64,
    pub t0_nulls: i64,
    pub future: i64,
    pub nonnull: HashMap<String, i64>,
    pub negatives: HashMap<String, i64>,
    pub t0_min: Option<pgrx::datum::TimestampWithTimeZone>,
    pub t0_max: Option<pgrx::datum::TimestampWithTimeZone>,
}

impl Stats {
    pub fn null_rate(&self, col: &str) -> f64 {
        if self.rows == 0 {
            return 0.0;
        }
        1.0 - *self.nonnull.get(col).unwrap_or(&0) as f64 / self.rows as f64
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ColumnProfile {
    pub name: String,
    pub type_name: String,
    pub kind: &'static str,
    pub null_rate: f64,
    /// numeric: sorted finite values of the sample
    pub sample: Vec<f64>,
    /// categorical: top categories with their share of the sample's non-NULL values
    pub categories: Vec<(String, f64)>,
}

fn fail(s: &Store, what: &str, e: impl std::fmt::Display) -> Failure {
    Failure::new(Sp::CheckFailed, format!("{}: {what} could not run", s.name), e.to_string(), "The guard fails closed; fix the cause shown in DETAIL.")
}

/// One scan: counts for null rates and invariants.
pub fn stats(client: &SpiClient<'_>, s: &Store) -> Check<Stats> {
    let mut exprs = vec![
        "count(*)".to_string(),
        format!("count({})", s.q(&s.key)),
        format!("count({})", s.q(&s.t0)),
        format!("count(*) FILTER (WHERE {}::timestamptz > now())", s.q(&s.t0)),
        format!("min({})::timestamptz", s.q(&s.t0)),
        format!("max({})::timestamptz", s.q(&s.t0)),
    ];
    for c in &s.columns {
        exprs.push(format!("count({})", c.qualified()));
    }
    for name in &s.policy.nonnegative {
        exprs.push(format!("count(*) FILTER (WHERE {} < 0)", s.q(name)));
    }
    let sql = format!("SELECT {} FROM {} s", exprs.join(", "), s.name);
    let row = client.select(&sql, Some(1), &[]).map_err(|e| fail(s, "the profile scan", e))?.into_iter().next();
    let Some(row) = row else { return Err(fail(s, "the profile scan", "no result row")) };
    let g = |i: usize| -> Check<i64> { row.get::<i64>(i).map_err(|e| fail(s, "the profile scan", e)).map(|v| v.unwrap_or(0)) };
    let mut st = Stats { rows: g(1)?, ..Default::default() };
    st.key_nulls = st.rows - g(2)?;
    st.t0_nulls = st.rows - g(3)?;
    st.future = g(4)?;
    st.t0_min = row.get(5).map_err(|e| fail(s, "the profile scan", e))?;
    st.t0_max = row.get(6).map_err(|e| fail(s, "the profile scan", e))?;
    let mut i = 7;
    for c in &s.columns {
        st.nonnull.insert(c.name.clone(), g(i)?);
        i += 1;
    }
    for name in &s.policy.nonnegative {
        st.negatives.insert(name.clone(), g(i)?);
        i += 1;
    }
    Ok(st)
}

/// Store invariants: non-NULL key and T0, no future T0, the policy's not-null and non-negative
/// columns.
pub fn invariants(s: &Store, st: &Stats) -> Check<()> {
    let mut v = Vec::new();
    if st.key_nulls > 0 {
        v.push(format!("{} rows with NULL key {}", st.key_nulls, s.key));
    }
    if st.t0_nulls > 0 {
        v.push(format!("{} rows with NULL T0 {}", st.t0_nulls, s.t0));
    }
    if st.future > 0 {
        v.push(format!("{} rows with {} in the future", st.future, s.t0));
    }
    for name in &s.policy.not_null {
        let nn = st.nonnull.get(name).copied().unwrap_or(0);
        if nn < st.rows {
            v.push(format!("{} rows with NULL {name}", st.rows - nn));
        }
    }
    for (name, n) in &st.negatives {
        if *n > 0 {
            v.push(format!("{n} rows with negative {name}"));
        }
    }
    if v.is_empty() {
        return Ok(());
    }
    Err(Failure::new(
        Sp::Invariant,
        format!("{}: store invariants violated", s.name),
        v.join("; "),
        "Correct the offending rows (or the view); a T0-correct store has one row per key, a T0 for every row and none in the future.",
    ))
}

/// The key is unique.
pub fn duplicates(client: &SpiClient<'_>, s: &Store) -> Check<()> {
    let sql = format!(
        "SELECT ({k})::text, count(*) FROM {n} s WHERE {k} IS NOT NULL GROUP BY {k} HAVING count(*) > 1 ORDER BY 2 DESC, 1 LIMIT 3",
        k = s.q(&s.key),
        n = s.name
    );
    let dups: Vec<String> = client
        .select(&sql, None, &[])
        .map_err(|e| fail(s, "the key uniqueness check", e))?
        .filter_map(|r| Some(format!("{} ({} rows)", r.get::<String>(1).ok()??, r.get::<i64>(2).ok()??)))
        .collect();
    if dups.is_empty() {
        return Ok(());
    }
    Err(Failure::new(
        Sp::Invariant,
        format!("{}: duplicate keys in {}", s.name, s.key),
        format!("e.g. {}", dups.join(", ")),
        "A store has one row per entity: remove the duplicates (or fix the view's joins).",
    ))
}

/// The deterministic sample of every feature column.
pub fn profile(client: &SpiClient<'_>, s: &Store, st: &Stats) -> Check<Vec<ColumnProfile>> {
    let feats: Vec<&Column> = s.features().collect();
    if feats.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {} FROM {} s ORDER BY pg_catalog.hashtextextended(({k})::text, 0), ({k})::text LIMIT {}",
        feats.iter().map(|c| c.sample_expr()).collect::<Vec<_>>().join(", "),
        s.name,
        s.policy.profile_sample,
        k = s.q(&s.key)
    );
    let mut nums: Vec<Vec<f64>> = vec![Vec::new(); feats.len()];
    let mut cats: Vec<HashMap<String, usize>> = vec![HashMap::new(); feats.len()];
    let rows = client.select(&sql, None, &[]).map_err(|e| fail(s, "the profile sample", e))?;
    for r in rows {
        for (i, c) in feats.iter().enumerate() {
            match c.kind {
                Kind::Numeric | Kind::Temporal => {
                    if let Some(x) = r.get::<f64>(i + 1).map_err(|e| fail(s, "the profile sample", e))? {
                        if x.is_finite() {
                            nums[i].push(x);
                        }
                    }
                }
                Kind::Categorical => {
                    if let Some(x) = r.get::<String>(i + 1).map_err(|e| fail(s, "the profile sample", e))? {
                        *cats[i].entry(x).or_insert(0) += 1;
                    }
                }
                Kind::Other => {}
            }
        }
    }
    Ok(feats
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut sample = std::mem::take(&mut nums[i]);
            sample.sort_by(f64::total_cmp);
            ColumnProfile {
                name: c.name.clone(),
                type_name: c.type_name.clone(),
                kind: c.kind.profile_kind(),
                null_rate: st.null_rate(&c.name),
                sample,
                categories: top_categories(&cats[i]),
            }
        })
        .collect())
}

/// The most frequent categories (ties by name) with their shares of all counted values.
pub fn top_categories(counts: &HashMap<String, usize>) -> Vec<(String, f64)> {
    let n: usize = counts.values().sum();
    let mut v: Vec<(&String, &usize)> = counts.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    v.into_iter().take(TOP_CATEGORIES).map(|(k, c)| (k.clone(), *c as f64 / n as f64)).collect()
}

pub fn load_baseline(client: &SpiClient<'_>, s: &Store, cert_id: i64) -> Check<Vec<ColumnProfile>> {
    let rows = client
        .select(
            "SELECT column_name, column_type, kind, null_rate, coalesce(sample, '{}'), coalesce(categories, '[]'::jsonb)
             FROM audit.t0_profile_baseline WHERE cert_id = $1 ORDER BY column_name",
            None,
            &[cert_id.into()],
        )
        .map_err(|e| fail(s, "reading the certified profile", e))?;
    let mut out = Vec::new();
    for r in rows {
        let g = |e: pgrx::spi::SpiError| fail(s, "reading the certified profile", e);
        let kind = match r.get::<String>(3).map_err(g)?.unwrap_or_default().as_str() {
            "numeric" => "numeric",
            "categorical" => "categorical",
            _ => "other",
        };
        let cats: Vec<(String, f64)> = r
            .get::<pgrx::JsonB>(6)
            .map_err(g)?
            .and_then(|j| j.0.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|p| Some((p.get(0)?.as_str()?.to_string(), p.get(1)?.as_f64()?)))
            .collect();
        out.push(ColumnProfile {
            name: r.get::<String>(1).map_err(g)?.unwrap_or_default(),
            type_name: r.get::<String>(2).map_err(g)?.unwrap_or_default(),
            kind,
            null_rate: r.get::<f64>(4).map_err(g)?.unwrap_or(0.0),
            sample: r.get::<Vec<f64>>(5).map_err(g)?.unwrap_or_default(),
            categories: cats,
        });
    }
    Ok(out)
}

/// Writes the profile of a new certification.
pub fn store_baseline(s: &Store, cert_id: i64, prof: &[ColumnProfile]) {
    for p in prof {
        let edges = if p.sample.is_empty() { None } else { Some(drift::edges(&p.sample, PSI_BINS as usize)) };
        let cats = if p.kind == "categorical" { Some(pgrx::JsonB(json!(p.categories))) } else { None };
        let sample = if p.kind == "numeric" { Some(p.sample.clone()) } else { None };
        super::verdict::writing(|| {
            Spi::run_with_args(
                "INSERT INTO audit.t0_profile_baseline (cert_id, column_name, column_type, kind, null_rate, sample, edges, categories)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[
                    cert_id.into(),
                    p.name.clone().into(),
                    p.type_name.clone().into(),
                    p.kind.into(),
                    p.null_rate.into(),
                    sample.into(),
                    edges.into(),
                    cats.into(),
                ],
            )
        })
        .unwrap_or_else(|e| {
            crate::common::error::SpineError::internal(format!("spine: {}: writing the profile of column {}: {e}", s.name, quote_identifier(&p.name))).raise()
        });
    }
}

/// PSI over shares (zero shares already floored), Σ (a − e)·ln(a/e).
pub fn psi_shares(expected: &[f64], actual: &[f64]) -> f64 {
    expected.iter().zip(actual).map(|(e, a)| (a - e) * (a / e).ln()).sum()
}

/// PSI of a categorical column: the certified top categories plus "(other)".
pub fn categorical_psi(base: &[(String, f64)], current: &[(String, f64)]) -> f64 {
    let floor = |x: f64| if x <= 0.0 { drift::ZERO_SHARE } else { x };
    let share = |cats: &[(String, f64)], k: &str| cats.iter().find(|(c, _)| c == k).map(|(_, s)| *s).unwrap_or(0.0);
    let mut e: Vec<f64> = base.iter().map(|(_, s)| floor(*s)).collect();
    let mut a: Vec<f64> = base.iter().map(|(k, _)| floor(share(current, k))).collect();
    let other_e = 1.0 - base.iter().map(|(_, s)| s).sum::<f64>();
    let other_a = 1.0 - base.iter().map(|(k, _)| share(current, k)).sum::<f64>();
    e.push(floor(if other_e < 1e-12 { 0.0 } else { other_e }));
    a.push(floor(if other_a < 1e-12 { 0.0 } else { other_a }));
    psi_shares(&e, &a)
}

pub struct Report {
    pub failure: Option<Failure>,
    pub warnings: Vec<String>,
    pub evidence: Value,
}

fn r4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

/// Compares the current profile with the certified one under the store's policy. Pure (`tick`
/// is called during long KS computations so the caller can honour cancellation).
pub fn compare(s: &Store, cert: &Cert, st: &Stats, base: &[ColumnProfile], cur: &[ColumnProfile], tick: &mut dyn FnMut()) -> Report {
    let p = &s.policy;
    let mut blocks: Vec<String> = Vec::new();
    let mut warnings: Vec<String> = Vec::new();
    let mut could_not: Vec<String> = Vec::new();
    let mut drift_ev = Map::new();
    if let Some(max) = p.max_row_count_change {
        let change = (st.rows - cert.row_count).abs() as f64 / (cert.row_count.max(1)) as f64;
        if change > max {
            blocks.push(format!("row count {} → {} (change {:.3} > max_row_count_change {max})", cert.row_count, st.rows, change));
        }
    }
    for b in base {
        let Some(c) = cur.iter().find(|c| c.name == b.name) else {
            could_not.push(format!("column {} of the certified profile is not in the store any more", b.name));
            continue;
        };
        let mut ev = Map::new();
        ev.insert("null_rate".into(), json!(r4(c.null_rate)));
        ev.insert("null_rate_certified".into(), json!(r4(b.null_rate)));
        if let Some(max) = p.max_null_rate_change {
            let d = (c.null_rate - b.null_rate).abs();
            if d > max + 1e-12 {
                blocks.push(format!("null rate of {} {:.3} → {:.3} (change {:.3} > max_null_rate_change {max})", b.name, b.null_rate, c.null_rate, d));
            }
        }
        let psi = match b.kind {
            "numeric" => match (b.sample.is_empty(), c.sample.is_empty()) {
                (true, true) => None,
                (false, false) => {
                    if let Some(alpha) = p.ks_alpha {
                        match super::ks::ks_2samp_with(&b.sample, &c.sample, tick)
                        .map(|r| (r.statistic, r.pvalue))
                        {
                            Ok((d, pv)) => {
                                ev.insert("ks_statistic".into(), json!(r4(d)));
                                ev.insert("ks_pvalue".into(), json!(pv));
                                if pv < alpha {
                                    let msg = format!("KS p-value {pv:.3e} on {} < ks_alpha {alpha} (D = {d:.4})", b.name);
                                    if p.ks_block {
                                        blocks.push(msg);
                                    } else {
                                        warnings.push(format!("{}: {msg}", s.name));
                                    }
                                }
                            }
                            Err(e) => could_not.push(format!("KS on {}: {e}", b.name)),
                        }
                    }
                    drift::psi(&b.sample, &c.sample, PSI_BINS).map_err(|e| could_not.push(format!("PSI on {}: {e}", b.name))).ok()
                }
                (false, true) => {
                    blocks.push(format!("{} has no values now (certified with {})", b.name, b.sample.len()));
                    None
                }
                (true, false) => {
                    blocks.push(format!("{} has values now but had none at certification", b.name));
                    None
                }
            },
            "categorical" if !b.categories.is_empty() || !c.categories.is_empty() => Some(categorical_psi(&b.categories, &c.categories)),
            _ => None,
        };
        if let Some(psi) = psi {
            ev.insert("psi".into(), json!(r4(psi)));
            if p.psi_block.is_some_and(|t| psi > t) {
                blocks.push(format!("PSI {psi:.2} on {} > {}", b.name, p.psi_block.unwrap_or_default()));
            } else if p.psi_warn.is_some_and(|t| psi > t) {
                warnings.push(format!("{}: PSI {psi:.2} on {} > psi_warn {}", s.name, b.name, p.psi_warn.unwrap_or_default()));
            }
        }
        drift_ev.insert(b.name.clone(), Value::Object(ev));
    }
    let evidence = json!({"rows": {"certified": cert.row_count, "now": st.rows}, "drift": drift_ev, "blocking": blocks, "warnings": warnings});
    let failure = if !could_not.is_empty() {
        Some(Failure::new(
            Sp::CheckFailed,
            format!("{}: a drift check could not run", s.name),
            could_not.join("; "),
            format!("The guard fails closed. If the store's columns changed on purpose, re-certify with audit.certify('{}').", s.name),
        ))
    } else if !blocks.is_empty() {
        Some(Failure::new(
            Sp::Drift,
            format!("{}: the data drifted from certification {}", s.name, cert.cert_id),
            blocks.join("; "),
            format!("Investigate the change (audit.certification_status shows the drift per column); if it is expected, an admin re-certifies with audit.certify('{}').", s.name),
        ))
    } else {
        None
    };
    Report { failure, warnings, evidence }
}

#[cfg(test)]
#[path = "profile_test.rs"]
mod tests;

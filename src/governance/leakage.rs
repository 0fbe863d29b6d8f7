//! The leakage probe run at certification (DESIGN §4).
//!
//! For a deterministic sample of the store's entities (bottom-k by key hash, `probe_sample`), in
//! a subtransaction that is always rolled back: append to each sampled listing's history what
//! could happen after T0 — a price change (half the price), a sighting, a sale — dated after the
//! newest T0 of the sample (so no sampled entity may legitimately see any of it), and update the
//! listing's current state the way ingest does (price, status, last_seen_at, status_changed_at,
//! mileage, title, description, canonical_listing_id). The store's rows for these entities must
//! be unchanged in every column except the labels; the columns that moved are named.

use super::store::{Check, Failure, Store};
use crate::common::sqlstate::Sp;
use crate::common::subxact;
use pgrx::prelude::*;
use std::collections::BTreeSet;

fn could_not(s: &Store, why: impl Into<String>) -> Failure {
    Failure::new(
        Sp::CheckFailed,
        format!("{}: the leakage probe could not run", s.name),
        why.into(),
        format!("The probe appends events to marketplace.listing_events for the store's keys; a store not keyed by listing ids must set \"leakage_probe\": false in its policy (audit.register_store('{}', ...)), which is recorded with the certification.", s.name),
    )
}

/// Rows of the sampled entities as JSON text per key, labels removed.
fn snapshot(s: &Store, keys: &[String]) -> Result<Vec<(String, serde_json::Value)>, String> {
    let sql = format!(
        "SELECT ({k})::text, to_jsonb(s) - $2::text[] FROM {n} s WHERE ({k})::text = ANY($1) ORDER BY 1",
        k = s.q(&s.key),
        n = s.name
    );
    Spi::connect(|c| {
        c.select(&sql, None, &[keys.to_vec().into(), s.labels.clone().into()])
            .map_err(|e| e.to_string())?
            .map(|r| {
                let k = r.get::<String>(1).map_err(|e| e.to_string())?.unwrap_or_default();
                let v = r.get::<pgrx::JsonB>(2).map_err(|e| e.to_string())?.map(|j| j.0).unwrap_or_default();
                Ok((k, v))
            })
            .collect()
    })
}

const APPEND: &str = "
WITH sample AS (
    SELECT l.listing_id, l.price_eur, l.status, row_number() OVER (ORDER BY l.listing_id) AS i,
           $2::timestamptz + make_interval(hours => 1, secs => row_number() OVER (ORDER BY l.listing_id) + 0.123457) AS t
    FROM marketplace.listings l WHERE l.listing_id = ANY($1)
), events AS (
    INSERT INTO marketplace.listing_events (listing_id, event_type, observed_at, price_eur, previous_price_eur, status, previous_status)
    SELECT listing_id, 'price_change', t, greatest(round(price_eur * 0.5, 2), 1), price_eur, NULL, NULL FROM sample WHERE price_eur IS NOT NULL
    UNION ALL SELECT listing_id, 'seen', t + interval '1 millisecond', NULL, NULL, NULL, NULL FROM sample
    UNION ALL SELECT listing_id, 'status_change', t + interval '2 milliseconds', NULL, NULL, 'sold', status FROM sample
    RETURNING 1
)
UPDATE marketplace.listings l
SET price_eur = greatest(round(l.price_eur * 0.5, 2), 1),
    status = 'sold',
    last_seen_at = greatest(l.last_seen_at, s.t + interval '2 milliseconds'),
    status_changed_at = s.t + interval '2 milliseconds',
    mileage_km = l.mileage_km + 5000,
    title = l.title || ' (probe)',
    description = coalesce(l.description, '') || ' leakage probe: 75 kWh battery, SoH 80 %',
    canonical_listing_id = CASE WHEN s.i > 1 THEN (SELECT min(listing_id) FROM sample) ELSE l.canonical_listing_id END,
    updated_at = now()
FROM sample s WHERE l.listing_id = s.listing_id AND (SELECT count(*) FROM events) >= 0";

/// Runs the probe; `Err` = leakage (SP007) or a probe that could not run (SP009).
pub fn probe(s: &Store) -> Check<usize> {
    let sample_sql = format!(
        "SELECT ({k})::text, ({t})::timestamptz FROM {n} s WHERE {k} IS NOT NULL AND {t} IS NOT NULL
         ORDER BY pg_catalog.hashtextextended(({k})::text, 0), ({k})::text LIMIT {lim}",
        k = s.q(&s.key),
        t = s.q(&s.t0),
        n = s.name,
        lim = s.policy.probe_sample
    );
    let sampled: Vec<(String, Option<pgrx::datum::TimestampWithTimeZone>)> = Spi::connect(|c| {
        c.select(&sample_sql, None, &[])
            .map_err(|e| e.to_string())?
            .map(|r| Ok((r.get::<String>(1).map_err(|e| e.to_string())?.unwrap_or_default(), r.get(2).map_err(|e: pgrx::spi::SpiError| e.to_string())?)))
            .collect::<Result<Vec<_>, String>>()
    })
    .map_err(|e| could_not(s, e))?;
    if sampled.is_empty() {
        return Err(could_not(s, "the store has no rows to probe"));
    }
    let ids: Vec<i64> = sampled.iter().filter_map(|(k, _)| k.parse::<i64>().ok()).collect();
    let known = Spi::get_one_with_args::<i64>("SELECT count(*) FROM marketplace.listings WHERE listing_id = ANY($1)", &[ids.clone().into()])
        .map_err(|e| could_not(s, e.to_string()))?
        .unwrap_or(0);
    if ids.len() < sampled.len() || (known as usize) < sampled.len() {
        return Err(could_not(s, format!("{} of {} sampled keys of {} are marketplace listing ids", known, sampled.len(), s.key)));
    }
    let Some(after) = sampled.iter().filter_map(|(_, t)| *t).max() else {
        return Err(could_not(s, "the sampled rows have no T0"));
    };
    let keys: Vec<String> = sampled.iter().map(|(k, _)| k.clone()).collect();
    let before = snapshot(s, &keys).map_err(|e| could_not(s, e))?;
    let probed = subxact::run(true, || {
        Spi::run_with_args(APPEND, &[ids.clone().into(), after.into()]).map_err(|e| e.to_string())?;
        snapshot(s, &keys)
    });
    let after_rows = match probed {
        Ok(Ok(rows)) => rows,
        Ok(Err(e)) => return Err(could_not(s, e)),
        Err(c) => return Err(could_not(s, format!("{} ({})", c.message, c.sqlstate))),
    };
    let mut moved: BTreeSet<String> = BTreeSet::new();
    let mut vanished = 0usize;
    for (k, v) in &before {
        match after_rows.iter().find(|(k2, _)| k2 == k) {
            None => vanished += 1,
            Some((_, v2)) => {
                if let (Some(a), Some(b)) = (v.as_object(), v2.as_object()) {
                    for (col, val) in a {
                        if b.get(col) != Some(val) {
                            moved.insert(col.clone());
                        }
                    }
                }
            }
        }
    }
    let appeared = after_rows.len().saturating_sub(before.len() - vanished);
    if moved.is_empty() && vanished == 0 && appeared == 0 {
        return Ok(before.len());
    }
    let mut detail = Vec::new();
    if !moved.is_empty() {
        detail.push(format!("columns that changed when events after T0 were appended: {}", moved.iter().cloned().collect::<Vec<_>>().join(", ")));
    }
    if vanished > 0 || appeared > 0 {
        detail.push(format!("rows of sampled entities disappeared: {vanished}, appeared: {appeared}"));
    }
    Err(Failure::new(
        Sp::Leakage,
        format!("{} reads the future: leakage probe failed", s.name),
        format!("{} (probe of {} entities)", detail.join("; "), before.len()),
        "Compute these features only from events observed at or before T0 (and reference data valid at T0); if a column is a label, name it label_* and list it in label_columns.",
    )
    .evidence(serde_json::json!({"columns": moved, "sampled": before.len(), "vanished": vanished, "appeared": appeared})))
}

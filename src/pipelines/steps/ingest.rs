//! marketplace_ingest_and_audit: ingest the pending landing batches, then audit every ingested
//! batch not audited yet (also those ingested by hand with spine.ingest_landing).

use super::{Ctx, Done};
use crate::common::error::OrRaise;
use crate::pipelines::db::{self, Finding};
use crate::pipelines::rules;
use pgrx::prelude::*;
use pgrx::JsonB;
use serde_json::{json, Map, Value};

/// Optional fields of a landing row whose NULL rate is profiled (absent, JSON null, "" and an
/// empty image list all count as NULL).
pub const PROFILED_FIELDS: [&str; 14] = [
    "vin",
    "mileage_km",
    "body_type",
    "segment",
    "powertrain",
    "transmission",
    "power_kw",
    "colour",
    "seller_type",
    "region_code",
    "lat",
    "title",
    "description",
    "image_urls",
];

pub fn ingest_landing(ctx: &Ctx<'_>) -> Done {
    let _ = ctx;
    let results = crate::ingest::ingest_pending(None);
    let ids: Vec<i64> = results.iter().map(|(id, _)| *id).collect();
    let sum = |f: &dyn Fn(&crate::ingest::BatchResult) -> i64| results.iter().map(|(_, r)| f(r)).sum::<i64>();
    let rows_total = sum(&|r| i64::from(r.rows_total));
    // ingest cycles per listing source: the batch's newest observation
    let cycles = Spi::get_one_with_args::<i64>(
        "WITH w AS (INSERT INTO spine.ingest_cycles (source, batch_id, cycle_at)
                    SELECT l.source, e.batch_id, max(e.observed_at)
                    FROM marketplace.listing_events e JOIN marketplace.listings l USING (listing_id)
                    WHERE e.batch_id = ANY($1)
                    GROUP BY l.source, e.batch_id
                    ON CONFLICT DO NOTHING RETURNING 1)
         SELECT count(*) FROM w",
        &[ids.clone().into()],
    )
    .or_raise("recording ingest cycles")
    .unwrap_or(0);
    let resolved = resolve_rechecks();
    Done {
        rows: rows_total,
        message: format!("{} batch(es), {} row(s)", ids.len(), rows_total),
        details: json!({
            "batches": ids,
            "rows_total": rows_total,
            "rows_ingested": sum(&|r| i64::from(r.rows_ingested)),
            "rows_duplicate": sum(&|r| i64::from(r.rows_duplicate)),
            "rows_quarantined": sum(&|r| i64::from(r.rows_quarantined)),
            "events_written": sum(&|r| r.events_written),
            "cycles_recorded": cycles,
            "rechecks_resolved": resolved,
        }),
    }
}

/// Open re-check requests of listings seen after the request (or no longer active) are resolved.
pub fn resolve_rechecks() -> i64 {
    Spi::get_one::<i64>(
        "WITH w AS (UPDATE spine.recheck_requests r
                    SET resolved_at = now(), resolution = CASE WHEN l.status <> 'active' THEN 'status_changed' ELSE 'seen' END
                    FROM marketplace.listings l
                    WHERE r.resolved_at IS NULL AND l.listing_id = r.listing_id
                      AND (l.last_seen_at > r.requested_at OR l.status <> 'active')
                    RETURNING 1)
         SELECT count(*) FROM w",
    )
    .or_raise("resolving re-check requests")
    .unwrap_or(0)
}

fn null_count_sql() -> String {
    let cols: Vec<String> = PROFILED_FIELDS
        .iter()
        .map(|f| {
            if *f == "image_urls" {
                "count(*) FILTER (WHERE CASE WHEN jsonb_typeof(p->'image_urls') = 'array' THEN jsonb_array_length(p->'image_urls') = 0 ELSE true END)".to_string()
            } else {
                format!("count(*) FILTER (WHERE nullif(p->>'{f}', '') IS NULL)")
            }
        })
        .collect();
    format!(
        "SELECT count(*), ARRAY[{}]::bigint[]
         FROM (SELECT ll.payload AS p FROM marketplace.landing_listings ll
               WHERE ll.batch_id = $1
                 AND NOT EXISTS (SELECT 1 FROM marketplace.landing_quarantine q WHERE q.batch_id = ll.batch_id AND q.row_no = ll.row_no)) s",
        cols.join(", ")
    )
}

struct Pending {
    batch_id: i64,
    source: String,
    rows_total: i64,
    rows_quarantined: i64,
}

pub fn audit_batches(ctx: &Ctx<'_>) -> Done {
    let policy = ctx.settings.batch_policy();
    let pending: Vec<Pending> = Spi::connect(|c| {
        c.select(
            "SELECT b.batch_id, b.source, coalesce(b.rows_total, 0)::bigint, coalesce(b.rows_quarantined, 0)::bigint
             FROM marketplace.landing_batches b
             WHERE b.ingested_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM spine.batch_profiles p WHERE p.batch_id = b.batch_id)
             ORDER BY b.batch_id",
            None,
            &[],
        )
        .or_raise("reading batches to audit")
        .filter_map(|r| {
            Some(Pending {
                batch_id: r.get::<i64>(1).ok()??,
                source: r.get::<String>(2).ok()??,
                rows_total: r.get::<i64>(3).ok()??,
                rows_quarantined: r.get::<i64>(4).ok()??,
            })
        })
        .collect()
    });
    let sql = null_count_sql();
    let (mut findings_total, mut by_kind) = (0i64, Map::new());
    for b in &pending {
        let (good, nulls) = Spi::get_two_with_args::<i64, Vec<i64>>(&sql, &[b.batch_id.into()]).or_raise("profiling the batch's NULL rates");
        let good = good.unwrap_or(0);
        let nulls = nulls.unwrap_or_default();
        let rates: Vec<(String, f64)> = if good > 0 {
            PROFILED_FIELDS.iter().zip(nulls.iter()).map(|(f, n)| (f.to_string(), *n as f64 / good as f64)).collect()
        } else {
            Vec::new()
        };
        // baseline: the previous profiles of the same source
        let previous: Vec<(i64, Option<JsonB>)> = Spi::connect(|c| {
            c.select(
                "SELECT rows_good::bigint, null_rates FROM spine.batch_profiles WHERE source = $1 AND batch_id < $2 ORDER BY batch_id DESC LIMIT $3",
                None,
                &[b.source.clone().into(), b.batch_id.into(), policy.baseline_batches.into()],
            )
            .or_raise("reading the batch baseline")
            .filter_map(|r| Some((r.get::<i64>(1).ok()??, r.get::<JsonB>(2).ok()?)))
            .collect()
        });
        let mut f: Vec<Finding> = Vec::new();
        if (previous.len() as i64) >= policy.baseline_min {
            let baseline: Vec<(String, f64)> = PROFILED_FIELDS
                .iter()
                .filter_map(|field| {
                    let v: Vec<f64> = previous.iter().filter_map(|(_, j)| j.as_ref()?.0.get(*field)?.as_f64()).collect();
                    (!v.is_empty()).then(|| (field.to_string(), v.iter().sum::<f64>() / v.len() as f64))
                })
                .collect();
            for (field, now, base) in rules::null_rate_jumps(&rates, &baseline, &policy) {
                f.push(Finding {
                    kind: "null_rate_jump",
                    severity: "warning",
                    listing_id: None,
                    batch_id: Some(b.batch_id),
                    fingerprint: format!("batch:{}:{field}", b.batch_id),
                    details: json!({"field": field, "null_rate": round4(now), "baseline": round4(base), "baseline_batches": previous.len(),
                                    "source": b.source, "max_increase": policy.null_rate_increase}),
                    heal: None,
                });
            }
            let counts: Vec<i64> = previous.iter().map(|(n, _)| *n).collect();
            if let Some((base, drop)) = rules::volume_drop(good, &counts, &policy) {
                f.push(Finding {
                    kind: "volume_drop",
                    severity: "error",
                    listing_id: None,
                    batch_id: Some(b.batch_id),
                    fingerprint: format!("batch:{}", b.batch_id),
                    details: json!({"rows": good, "baseline_median": base, "drop": round4(drop), "source": b.source, "max_drop": policy.volume_drop}),
                    heal: None,
                });
            }
        }
        if b.rows_total > 0 {
            let q = b.rows_quarantined as f64 / b.rows_total as f64;
            if q > policy.quarantine_rate_max + 1e-12 {
                f.push(Finding {
                    kind: "quarantine_rate",
                    severity: "warning",
                    listing_id: None,
                    batch_id: Some(b.batch_id),
                    fingerprint: format!("batch:{}", b.batch_id),
                    details: json!({"rows_total": b.rows_total, "rows_quarantined": b.rows_quarantined, "rate": round4(q), "source": b.source,
                                    "max_rate": policy.quarantine_rate_max}),
                    heal: None,
                });
            }
        }
        f.extend(implausible_values(b.batch_id, &policy));
        for x in &f {
            let e = by_kind.entry(x.kind.to_string()).or_insert(json!(0));
            *e = json!(e.as_i64().unwrap_or(0) + 1);
        }
        findings_total += db::record_findings(ctx.origin(), &f).0;
        let null_rates: Map<String, Value> = rates.iter().map(|(k, v)| (k.clone(), json!(round4(*v)))).collect();
        Spi::run_with_args(
            "INSERT INTO spine.batch_profiles (batch_id, source, rows_total, rows_good, rows_quarantined, null_rates, run_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                b.batch_id.into(),
                b.source.clone().into(),
                (b.rows_total as i32).into(),
                (good as i32).into(),
                (b.rows_quarantined as i32).into(),
                JsonB(Value::Object(null_rates)).into(),
                ctx.run_id.into(),
            ],
        )
        .or_raise("recording the batch profile");
    }
    Done {
        rows: findings_total,
        message: format!("{} batch(es) audited, {} finding(s)", pending.len(), findings_total),
        details: json!({"batches": pending.iter().map(|b| b.batch_id).collect::<Vec<_>>(), "findings": by_kind}),
    }
}

fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

/// Implausible prices, mileages and years of the listings the batch created or changed.
fn implausible_values(batch_id: i64, policy: &rules::BatchPolicy) -> Vec<Finding> {
    type Arrays = (Option<Vec<i64>>, Option<Vec<Option<f64>>>, Option<Vec<Option<i64>>>, Option<Vec<i32>>, Option<Vec<i32>>);
    let arrays: Arrays = Spi::connect(|c| {
        let t = c
            .select(
                "SELECT array_agg(l.listing_id ORDER BY l.listing_id), array_agg(l.price_eur::float8 ORDER BY l.listing_id),
                        array_agg(l.mileage_km::bigint ORDER BY l.listing_id), array_agg(l.year ORDER BY l.listing_id),
                        array_agg(extract(year FROM l.last_seen_at AT TIME ZONE 'UTC')::int ORDER BY l.listing_id)
                 FROM marketplace.listings l
                 WHERE l.listing_id IN (SELECT e.listing_id FROM marketplace.listing_events e WHERE e.batch_id = $1)",
                None,
                &[batch_id.into()],
            )
            .or_raise("reading the batch's listings")
            .first();
        Ok::<_, pgrx::spi::Error>((t.get(1)?, t.get(2)?, t.get(3)?, t.get(4)?, t.get(5)?))
    })
    .or_raise("reading the batch's listings");
    let (Some(ids), Some(prices), Some(km), Some(years), Some(seen)) = arrays else { return Vec::new() };
    let mut out = Vec::new();
    for i in 0..ids.len() {
        for x in rules::implausible(prices[i], km[i], years[i], seen[i], policy) {
            out.push(Finding {
                kind: x.kind,
                severity: "warning",
                listing_id: Some(ids[i]),
                batch_id: Some(batch_id),
                fingerprint: format!("listing:{}:{}", ids[i], x.reason),
                details: json!({"reason": x.reason, "price_eur": prices[i], "mileage_km": km[i], "year": years[i]}),
                heal: None,
            });
        }
    }
    out
}

//! survival_marketplace_daily: the reverse monitor and the survival labels. (Scoring is a guarded
//! slot: defs.rs, runner.rs.)
//!
//! Reverse monitor: an ingest cycle of a source is an ingested batch that observed listings of
//! that source, at its newest observation (spine.ingest_cycles). An active listing whose last
//! sighting is older than the N-th newest cycle of its source (N = `survival.missed_cycles`)
//! was missing from N cycles in a row: it gets `survival.missing_status` (sold by default) with a
//! status_change event at the first cycle that missed it — the earliest time it was observed
//! gone.

use super::{Ctx, Done};
use crate::common::error::OrRaise;
use crate::pipelines::db::{self, Finding};
use pgrx::prelude::*;
use serde_json::json;

/// Records the cycles of ingested batches that have none yet (batches ingested outside the
/// pipeline, e.g. by hand).
pub fn backfill_cycles() -> i64 {
    Spi::get_one::<i64>(
        "WITH w AS (INSERT INTO spine.ingest_cycles (source, batch_id, cycle_at)
                    SELECT l.source, e.batch_id, max(e.observed_at)
                    FROM marketplace.listing_events e JOIN marketplace.listings l USING (listing_id)
                    WHERE e.batch_id IN (SELECT b.batch_id FROM marketplace.landing_batches b
                                         WHERE b.ingested_at IS NOT NULL
                                           AND NOT EXISTS (SELECT 1 FROM spine.ingest_cycles c WHERE c.batch_id = b.batch_id))
                    GROUP BY l.source, e.batch_id
                    ON CONFLICT DO NOTHING RETURNING 1)
         SELECT count(*) FROM w",
    )
    .or_raise("recording ingest cycles")
    .unwrap_or(0)
}

pub fn reverse_monitor(ctx: &Ctx<'_>) -> Done {
    let n = ctx.settings.int("survival.missed_cycles");
    let to = ctx.settings.get("survival.missing_status");
    let backfilled = backfill_cycles();
    type Row = (i64, TimestampWithTimeZone, String, String, i64);
    let rows: Vec<Row> = Spi::connect(|c| {
        c.select(
            "WITH cyc AS (SELECT DISTINCT source, cycle_at FROM spine.ingest_cycles),
                  nth AS (SELECT source, cycle_at FROM (
                            SELECT source, cycle_at, row_number() OVER (PARTITION BY source ORDER BY cycle_at DESC) AS k FROM cyc) x
                          WHERE k = $1)
             SELECT l.listing_id,
                    (SELECT min(c.cycle_at) FROM cyc c WHERE c.source = l.source AND c.cycle_at > l.last_seen_at),
                    to_char(l.last_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), l.source,
                    (SELECT count(*) FROM cyc c WHERE c.source = l.source AND c.cycle_at > l.last_seen_at)
             FROM marketplace.listings l JOIN nth ON nth.source = l.source
             WHERE l.status = 'active' AND l.last_seen_at < nth.cycle_at
             ORDER BY l.listing_id",
            None,
            &[n.into()],
        )
        .or_raise("finding listings missing from the ingest cycles")
        .filter_map(|r| {
            Some((r.get::<i64>(1).ok()??, r.get::<TimestampWithTimeZone>(2).ok()??, r.get::<String>(3).ok()??, r.get::<String>(4).ok()??, r.get::<i64>(5).ok()??))
        })
        .collect()
    });
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let at: Vec<i64> = rows.iter().map(|r| db::us(r.1)).collect();
    let changed = db::change_status(&ids, &at, "active", &to);
    let findings: Vec<Finding> = changed
        .iter()
        .filter_map(|(id, event)| {
            let r = rows.iter().find(|r| r.0 == *id)?;
            let gone = crate::pipelines::cron::to_utc(db::us(r.1)).map(|t| t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string());
            Some(Finding {
                kind: "missing_from_cycles",
                severity: "info",
                listing_id: Some(*id),
                batch_id: None,
                fingerprint: format!("listing:{id}:{}", r.2),
                details: json!({"source": r.3, "last_seen_at": r.2, "cycles_missed": r.4, "first_missing_cycle_at": gone, "missed_cycles_policy": n}),
                heal: Some(json!({"action": "status_change", "event_id": event, "status": {"from": "active", "to": to}, "at": gone})),
            })
        })
        .collect();
    db::record_findings(ctx.origin(), &findings);
    let resolved = super::ingest::resolve_rechecks();
    Done {
        rows: changed.len() as i64,
        message: format!("{} listing(s) missing from {n} ingest cycles became {to}", changed.len()),
        details: json!({"changed": changed.len(), "status": to, "missed_cycles": n, "cycles_backfilled": backfilled, "rechecks_resolved": resolved}),
    }
}

/// Refreshes ml.survival_labels from the listings changed since the last refresh (an hour's
/// margin for transactions that committed late).
pub fn labels(ctx: &Ctx<'_>) -> Done {
    let _ = ctx;
    let changed = Spi::get_one::<i64>(
        "WITH src AS (
             SELECT l.listing_id, l.first_seen_at AS t0, l.status = 'sold' AS ev,
                    greatest(extract(epoch FROM (CASE WHEN l.status = 'sold' THEN coalesce(l.status_changed_at, l.last_seen_at)
                                                      ELSE l.last_seen_at END) - l.first_seen_at)::float8 / 86400.0, 0) AS dur,
                    l.status, l.updated_at
             FROM marketplace.listings l
             WHERE l.updated_at >= coalesce((SELECT max(source_updated_at) - interval '1 hour' FROM ml.survival_labels), '-infinity')),
           w AS (
             INSERT INTO ml.survival_labels AS s (listing_id, t0, label_event, label_duration_days, label_slow21, label_fast24, status, source_updated_at, refreshed_at)
             SELECT listing_id, t0, ev, dur,
                    CASE WHEN ev THEN dur > 21 WHEN dur >= 21 THEN true END,
                    CASE WHEN ev THEN dur <= 1 WHEN dur >= 1 THEN false END,
                    status, updated_at, now()
             FROM src
             ON CONFLICT (listing_id) DO UPDATE SET
                 t0 = EXCLUDED.t0, label_event = EXCLUDED.label_event, label_duration_days = EXCLUDED.label_duration_days,
                 label_slow21 = EXCLUDED.label_slow21, label_fast24 = EXCLUDED.label_fast24, status = EXCLUDED.status,
                 source_updated_at = EXCLUDED.source_updated_at, refreshed_at = EXCLUDED.refreshed_at
             WHERE (s.t0, s.label_event, s.label_duration_days, s.status, s.source_updated_at)
                   IS DISTINCT FROM (EXCLUDED.t0, EXCLUDED.label_event, EXCLUDED.label_duration_days, EXCLUDED.status, EXCLUDED.source_updated_at)
             RETURNING 1)
         SELECT count(*) FROM w",
    )
    .or_raise("refreshing survival labels")
    .unwrap_or(0);
    let total = Spi::get_one::<i64>("SELECT count(*) FROM ml.survival_labels").or_raise("counting survival labels").unwrap_or(0);
    Done { rows: changed, message: format!("{changed} label row(s) written, {total} in all"), details: json!({"written": changed, "total": total}) }
}

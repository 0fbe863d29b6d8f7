//! audit_stale_listings_daily: the tail of active listings older than `stale.after` (21 days).
//! Tail listings not seen for `stale.recheck_unseen` get a finding and a re-check request (one
//! open request per listing); those not seen for `stale.expire_unseen` are expired by policy:
//! status removed, with a status_change event at the time of the decision and the finding as
//! provenance.

use super::{Ctx, Done};
use crate::common::error::OrRaise;
use crate::pipelines::db::{self, Finding};
use pgrx::prelude::*;
use serde_json::json;

pub fn tail_audit(ctx: &Ctx<'_>) -> Done {
    let after = ctx.settings.get("stale.after");
    let unseen = ctx.settings.get("stale.recheck_unseen");
    // the day's summary of the tail
    let (tail, active) = Spi::get_two_with_args::<i64, i64>(
        "SELECT count(*) FILTER (WHERE first_seen_at < now() - $1::interval), count(*)
         FROM marketplace.listings WHERE status = 'active'",
        &[after.clone().into()],
    )
    .or_raise("measuring the tail of active listings");
    let (tail, active) = (tail.unwrap_or(0), active.unwrap_or(0));
    let requested = Spi::get_one_with_args::<i64>(
        "WITH cand AS (
             SELECT l.listing_id, l.source, l.source_listing_id, l.first_seen_at, l.last_seen_at
             FROM marketplace.listings l
             WHERE l.status = 'active' AND l.first_seen_at < now() - $1::interval AND l.last_seen_at < now() - $2::interval
               AND NOT EXISTS (SELECT 1 FROM spine.recheck_requests r WHERE r.listing_id = l.listing_id AND r.resolved_at IS NULL)),
           req AS (
             INSERT INTO spine.recheck_requests (listing_id, source, source_listing_id, reason, run_id)
             SELECT listing_id, source, source_listing_id,
                    format('active since %s, not seen since %s', to_char(first_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
                           to_char(last_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')), $3
             FROM cand RETURNING request_id, listing_id),
           f AS (
             INSERT INTO audit.findings (run_id, pipeline_id, step, kind, severity, listing_id, fingerprint, details)
             SELECT $3, $4, $5, 'stale_unseen', 'warning', c.listing_id, 'request:' || req.request_id,
                    jsonb_build_object('first_seen_at', c.first_seen_at, 'last_seen_at', c.last_seen_at,
                                       'recheck_request_id', req.request_id, 'stale_after', $1, 'recheck_unseen', $2)
             FROM cand c JOIN req USING (listing_id)
             ON CONFLICT (kind, fingerprint) DO NOTHING RETURNING 1)
         SELECT count(*) FROM f",
        &[after.clone().into(), unseen.clone().into(), ctx.run_id.into(), ctx.pipeline_id.into(), ctx.step.into()],
    )
    .or_raise("requesting re-checks of unseen tail listings")
    .unwrap_or(0);
    let day = Spi::get_one::<String>("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD')").or_raise("reading the date").unwrap_or_default();
    let share = if active > 0 { tail as f64 / active as f64 } else { 0.0 };
    db::record_findings(
        ctx.origin(),
        &[Finding {
            kind: "stale_tail",
            severity: "info",
            listing_id: None,
            batch_id: None,
            fingerprint: format!("day:{day}"),
            details: json!({"tail": tail, "active": active, "share": (share * 1e4).round() / 1e4, "recheck_requests": requested, "stale_after": after}),
            heal: None,
        }],
    );
    Done {
        rows: requested,
        message: format!("{tail} of {active} active listings are older than {after}; {requested} re-check request(s)"),
        details: json!({"tail": tail, "active": active, "recheck_requests": requested}),
    }
}

pub fn expiry(ctx: &Ctx<'_>) -> Done {
    let after = ctx.settings.get("stale.after");
    let expire = ctx.settings.get("stale.expire_unseen");
    let cand: Vec<(i64, i64, String, String)> = Spi::connect(|c| {
        c.select(
            "SELECT listing_id, now(), to_char(first_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
                    to_char(last_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
             FROM marketplace.listings
             WHERE status = 'active' AND first_seen_at < now() - $1::interval AND last_seen_at < now() - $2::interval
             ORDER BY listing_id",
            None,
            &[after.clone().into(), expire.clone().into()],
        )
        .or_raise("finding listings to expire")
        .filter_map(|r| {
            Some((r.get::<i64>(1).ok()??, db::us(r.get::<TimestampWithTimeZone>(2).ok()??), r.get::<String>(3).ok()??, r.get::<String>(4).ok()??))
        })
        .collect()
    });
    let ids: Vec<i64> = cand.iter().map(|c| c.0).collect();
    let at: Vec<i64> = cand.iter().map(|c| c.1).collect();
    let changed = db::change_status(&ids, &at, "active", "removed");
    let findings: Vec<Finding> = changed
        .iter()
        .filter_map(|(id, event)| {
            let c = cand.iter().find(|c| c.0 == *id)?;
            Some(Finding {
                kind: "expired_by_policy",
                severity: "info",
                listing_id: Some(*id),
                batch_id: None,
                fingerprint: format!("listing:{id}:{}", c.3),
                details: json!({"first_seen_at": c.2, "last_seen_at": c.3, "expire_unseen": expire, "stale_after": after}),
                heal: Some(json!({"action": "status_change", "event_id": event, "status": {"from": "active", "to": "removed"}})),
            })
        })
        .collect();
    db::record_findings(ctx.origin(), &findings);
    Spi::run_with_args(
        "UPDATE spine.recheck_requests SET resolved_at = now(), resolution = 'expired' WHERE resolved_at IS NULL AND listing_id = ANY($1)",
        &[changed.iter().map(|c| c.0).collect::<Vec<i64>>().into()],
    )
    .or_raise("resolving re-check requests of expired listings");
    Done {
        rows: changed.len() as i64,
        message: format!("{} listing(s) not seen for {expire} expired", changed.len()),
        details: json!({"expired": changed.len(), "expire_unseen": expire}),
    }
}

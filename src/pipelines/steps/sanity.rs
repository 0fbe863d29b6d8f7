//! status_sanity_audit_midnight: illegal status transitions in the history, sightings after a
//! listing was sold or removed, last_seen_at before first_seen_at, and duplicates whose status
//! disagrees with their canonical listing. With `sanity.auto_heal` on it heals what has a safe
//! correction (a status_change event for the duplicate; last_seen_at recomputed from the
//! history), recording the old and new values in the finding. The healing pipeline's
//! duplicate_status_sync heals the duplicates always.

use super::{Ctx, Done};
use crate::common::error::OrRaise;
use crate::pipelines::db::{self, Finding};
use crate::pipelines::rules::{self, Disagreement, Side};
use pgrx::prelude::*;
use serde_json::json;

const ISO: &str = "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'";

fn iso(col: &str) -> String {
    format!("to_char({col} AT TIME ZONE 'UTC', {ISO})")
}

pub fn audit(ctx: &Ctx<'_>) -> Done {
    let heal = ctx.settings.bool("sanity.auto_heal");
    let mut f: Vec<Finding> = Vec::new();
    let transitions = illegal_transitions(ctx, &mut f);
    let after = sightings_after_end(&mut f);
    let (order, order_healed) = seen_order(heal, &mut f);
    let (dups, dups_healed) = duplicates(heal, &mut f);
    let (written, _) = db::record_findings(ctx.origin(), &f);
    let healed = order_healed + dups_healed;
    Done {
        rows: written + healed,
        message: format!(
            "{written} new finding(s): {transitions} illegal transition(s), {after} listing(s) seen after sold/removed, {order} with last_seen < first_seen, {dups} duplicate(s) disagreeing; healed {healed}"
        ),
        details: json!({
            "illegal_status_transition": transitions, "seen_after_end": after, "last_seen_before_first_seen": order,
            "duplicate_status_disagrees": dups, "healed": order_healed + dups_healed, "auto_heal": heal,
        }),
    }
}

pub fn duplicate_status_sync(ctx: &Ctx<'_>) -> Done {
    let mut f = Vec::new();
    let (found, healed) = duplicates(true, &mut f);
    db::record_findings(ctx.origin(), &f);
    Done {
        rows: healed,
        message: format!("{found} duplicate(s) disagreeing with their canonical listing, {healed} healed"),
        details: json!({"disagreeing": found, "healed": healed}),
    }
}

/// Status changes recorded since the previous successful sanity run (with an hour's margin for
/// transactions that committed late), checked against the transition rules and the history.
fn illegal_transitions(ctx: &Ctx<'_>, f: &mut Vec<Finding>) -> i64 {
    let sql = format!(
        "SELECT e.event_id, e.listing_id, e.previous_status, e.status, {obs},
                (SELECT p.status FROM marketplace.listing_events p
                 WHERE p.listing_id = e.listing_id AND p.event_type IN ('listed', 'status_change')
                   AND (p.observed_at, p.event_id) < (e.observed_at, e.event_id)
                 ORDER BY p.observed_at DESC, p.event_id DESC LIMIT 1)
         FROM marketplace.listing_events e
         WHERE e.event_type = 'status_change'
           AND e.recorded_at >= coalesce((SELECT max(r.started_at) - interval '1 hour' FROM spine.pipeline_runs r
                                          WHERE r.pipeline_id = $1 AND r.status IN ('succeeded', 'partial')), '-infinity')",
        obs = iso("e.observed_at")
    );
    type Row = (i64, i64, Option<String>, String, String, Option<String>);
    let rows: Vec<Row> = Spi::connect(|c| {
        c.select(&sql, None, &[ctx.pipeline_id.into()])
            .or_raise("reading status changes")
            .filter_map(|r| {
                Some((
                    r.get::<i64>(1).ok()??,
                    r.get::<i64>(2).ok()??,
                    r.get::<String>(3).ok()?,
                    r.get::<String>(4).ok()??,
                    r.get::<String>(5).ok()??,
                    r.get::<String>(6).ok()?,
                ))
            })
            .collect()
    });
    let mut n = 0;
    for (event_id, listing_id, prev, to, at, hist) in rows {
        if let Some(problem) = rules::transition_problem(prev.as_deref(), &to, hist.as_deref()) {
            n += 1;
            f.push(Finding {
                kind: "illegal_status_transition",
                severity: "error",
                listing_id: Some(listing_id),
                batch_id: None,
                fingerprint: format!("event:{event_id}"),
                details: json!({"event_id": event_id, "observed_at": at, "previous_status": prev, "status": to, "history_previous": hist, "problem": problem}),
                heal: None,
            });
        }
    }
    n
}

/// Listings sold or removed that were seen (or changed price) after that, without a status
/// change back.
fn sightings_after_end(f: &mut Vec<Finding>) -> i64 {
    let sql = format!(
        "SELECT l.listing_id, l.status, {changed}, {first}, count(*)
         FROM marketplace.listings l
         JOIN marketplace.listing_events e ON e.listing_id = l.listing_id AND e.observed_at > l.status_changed_at
                                          AND e.event_type IN ('seen', 'price_change')
         WHERE l.status IN ('sold', 'removed') AND l.status_changed_at IS NOT NULL
         GROUP BY l.listing_id, l.status, l.status_changed_at",
        changed = iso("l.status_changed_at"),
        first = iso("min(e.observed_at)")
    );
    let rows: Vec<(i64, String, String, String, i64)> = Spi::connect(|c| {
        c.select(&sql, None, &[])
            .or_raise("reading sightings after sold/removed")
            .filter_map(|r| Some((r.get::<i64>(1).ok()??, r.get::<String>(2).ok()??, r.get::<String>(3).ok()??, r.get::<String>(4).ok()??, r.get::<i64>(5).ok()??)))
            .collect()
    });
    let n = rows.len() as i64;
    for (id, status, changed, first, count) in rows {
        f.push(Finding {
            kind: "seen_after_end",
            severity: "warning",
            listing_id: Some(id),
            batch_id: None,
            fingerprint: format!("listing:{id}:{status}:{changed}"),
            details: json!({"status": status, "status_changed_at": changed, "first_sighting_after": first, "sightings_after": count}),
            heal: None,
        });
    }
    n
}

/// last_seen_at before first_seen_at; healed by recomputing last_seen_at from the history.
fn seen_order(heal: bool, f: &mut Vec<Finding>) -> (i64, i64) {
    let sql = format!(
        "SELECT l.listing_id, {first}, {last},
                {fixed}
         FROM marketplace.listings l WHERE l.last_seen_at < l.first_seen_at",
        first = iso("l.first_seen_at"),
        last = iso("l.last_seen_at"),
        fixed = iso("greatest(l.first_seen_at, (SELECT max(e.observed_at) FROM marketplace.listing_events e WHERE e.listing_id = l.listing_id))")
    );
    let rows: Vec<(i64, String, String, String)> = Spi::connect(|c| {
        c.select(&sql, None, &[])
            .or_raise("reading listings seen last before first")
            .filter_map(|r| Some((r.get::<i64>(1).ok()??, r.get::<String>(2).ok()??, r.get::<String>(3).ok()??, r.get::<String>(4).ok()??)))
            .collect()
    });
    let (n, mut healed) = (rows.len() as i64, 0);
    for (id, first, last, fixed) in rows {
        let fix = if heal {
            let done = Spi::get_one_with_args::<bool>(
                "WITH u AS (UPDATE marketplace.listings SET last_seen_at = $2::timestamptz, updated_at = clock_timestamp()
                            WHERE listing_id = $1 AND last_seen_at < first_seen_at RETURNING 1)
                 SELECT count(*) = 1 FROM u",
                &[id.into(), fixed.clone().into()],
            )
            .or_raise("healing last_seen_at")
            .unwrap_or(false);
            healed += i64::from(done);
            done.then(|| json!({"action": "update", "column": "last_seen_at", "from": last, "to": fixed, "rule": "greatest(first_seen_at, newest event)"}))
        } else {
            None
        };
        f.push(Finding {
            kind: "last_seen_before_first_seen",
            severity: "error",
            listing_id: Some(id),
            batch_id: None,
            fingerprint: format!("listing:{id}:{first}:{last}"),
            details: json!({"first_seen_at": first, "last_seen_at": last, "proposed_last_seen_at": fixed}),
            heal: fix,
        });
    }
    (n, healed)
}

/// Duplicates disagreeing with their canonical listing (rules::duplicate_disagreement).
fn duplicates(heal: bool, f: &mut Vec<Finding>) -> (i64, i64) {
    type Row = (i64, String, TimestampWithTimeZone, Option<TimestampWithTimeZone>, i64, String, TimestampWithTimeZone, Option<TimestampWithTimeZone>);
    let rows: Vec<Row> = Spi::connect(|c| {
        c.select(
            "SELECT d.listing_id, d.status, d.last_seen_at, d.status_changed_at, c.listing_id, c.status, c.last_seen_at, c.status_changed_at
             FROM marketplace.listings d JOIN marketplace.listings c ON c.listing_id = d.canonical_listing_id
             WHERE d.status <> c.status AND d.listing_id <> c.listing_id
             ORDER BY d.listing_id",
            None,
            &[],
        )
        .or_raise("reading duplicates and their canonical listings")
        .filter_map(|r| {
            Some((
                r.get::<i64>(1).ok()??,
                r.get::<String>(2).ok()??,
                r.get::<TimestampWithTimeZone>(3).ok()??,
                r.get::<TimestampWithTimeZone>(4).ok()?,
                r.get::<i64>(5).ok()??,
                r.get::<String>(6).ok()??,
                r.get::<TimestampWithTimeZone>(7).ok()??,
                r.get::<TimestampWithTimeZone>(8).ok()?,
            ))
        })
        .collect()
    });
    let (mut n, mut healed) = (0i64, 0i64);
    for (d_id, d_status, d_last, d_changed, c_id, c_status, c_last, c_changed) in rows {
        let dup = Side { listing_id: d_id, status: d_status.clone(), last_seen_us: db::us(d_last), status_changed_us: d_changed.map(db::us) };
        let canon = Side { listing_id: c_id, status: c_status.clone(), last_seen_us: db::us(c_last), status_changed_us: c_changed.map(db::us) };
        let Some(dis) = rules::duplicate_disagreement(&dup, &canon) else { continue };
        n += 1;
        let (reason, fix) = match dis {
            Disagreement::Heal { listing_id, status, at_us, reason } => {
                let fix = if heal {
                    let changed = db::change_status(&[listing_id], &[at_us], "active", status);
                    changed.first().map(|(id, event)| {
                        healed += 1;
                        let at = crate::pipelines::cron::to_utc(at_us).map(|t| t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string());
                        json!({"action": "status_change", "listing_id": id, "event_id": event, "status": {"from": "active", "to": status}, "at": at})
                    })
                } else {
                    None
                };
                (reason, fix)
            }
            Disagreement::Review { reason } => (reason, None),
        };
        f.push(Finding {
            kind: "duplicate_status_disagrees",
            severity: "warning",
            listing_id: Some(d_id),
            batch_id: None,
            fingerprint: format!("pair:{d_id}:{c_id}:{d_status}:{c_status}"),
            details: json!({"duplicate": d_id, "canonical": c_id, "duplicate_status": d_status, "canonical_status": c_status, "reason": reason}),
            heal: fix,
        });
    }
    (n, healed)
}

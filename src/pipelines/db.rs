//! Reading and writing what the pipelines keep in the database: settings, findings, status
//! changes with their events.

use super::settings::{self, Settings};
use crate::common::error::{timestamptz, OrRaise};
use crate::common::subxact;
use pgrx::prelude::*;
use pgrx::JsonB;
use serde_json::Value;
use std::collections::HashMap;

/// All rows of spine.settings.
pub fn load_settings() -> Settings {
    let rows: Vec<(String, String)> = Spi::connect(|c| {
        c.select("SELECT key, value FROM spine.settings", None, &[])
            .or_raise("reading spine.settings")
            .filter_map(|r| Some((r.get::<String>(1).ok()??, r.get::<String>(2).ok()??)))
            .collect()
    });
    Settings(rows.into_iter().collect::<HashMap<_, _>>())
}

pub fn put_setting(key: &str, value: Option<&str>) {
    match value {
        Some(v) => Spi::run_with_args(
            "INSERT INTO spine.settings (key, value, updated_at) VALUES ($1, $2, now())
             ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at",
            &[key.into(), v.into()],
        )
        .or_raise("writing spine.settings"),
        None => Spi::run_with_args("DELETE FROM spine.settings WHERE key = $1", &[key.into()]).or_raise("writing spine.settings"),
    }
}

/// Is `text` a positive interval PostgreSQL accepts?
pub fn positive_interval(text: &str) -> bool {
    subxact::run(false, || Spi::get_one_with_args::<bool>("SELECT $1::interval > interval '0'", &[text.into()]).ok().flatten().unwrap_or(false))
        .unwrap_or(false)
}

/// A setting that PostgreSQL must check too (intervals): Err(reason) when it is not valid.
pub fn validate_setting(k: &settings::Key, value: &str) -> Result<String, String> {
    let v = settings::validate(k, value)?;
    if k.kind == settings::Kind::Interval && !positive_interval(&v) {
        return Err(format!("\"{v}\" is not a positive interval (e.g. '30 days', '10 minutes')"));
    }
    Ok(v)
}

/// One finding to record.
#[derive(Debug, Clone)]
pub struct Finding {
    pub kind: &'static str,
    pub severity: &'static str,
    pub listing_id: Option<i64>,
    pub batch_id: Option<i64>,
    pub fingerprint: String,
    pub details: Value,
    /// What was healed (event id, old and new values): provenance.
    pub heal: Option<Value>,
}

/// Where findings come from.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    pub run_id: i64,
    pub pipeline_id: &'a str,
    pub step: &'a str,
}

/// Records findings; one already recorded (same kind and fingerprint) is not repeated, but gets
/// the heal when it was only found before. Returns (new findings, heals added to earlier ones).
pub fn record_findings(o: Origin<'_>, f: &[Finding]) -> (i64, i64) {
    if f.is_empty() {
        return (0, 0);
    }
    let kinds: Vec<&str> = f.iter().map(|x| x.kind).collect();
    let sev: Vec<&str> = f.iter().map(|x| x.severity).collect();
    let lid: Vec<Option<i64>> = f.iter().map(|x| x.listing_id).collect();
    let bid: Vec<Option<i64>> = f.iter().map(|x| x.batch_id).collect();
    let fp: Vec<String> = f.iter().map(|x| x.fingerprint.clone()).collect();
    let details: Vec<JsonB> = f.iter().map(|x| JsonB(x.details.clone())).collect();
    let heal: Vec<Option<JsonB>> = f.iter().map(|x| x.heal.clone().map(JsonB)).collect();
    let (new, healed) = Spi::get_two_with_args::<i64, i64>(
        "WITH w AS (
           INSERT INTO audit.findings AS f (run_id, pipeline_id, step, kind, severity, listing_id, batch_id, fingerprint, details, heal, healed_at)
           SELECT $1, $2, $3, u.kind, u.sev, u.lid, u.bid, u.fp, u.details, u.heal, CASE WHEN u.heal IS NOT NULL THEN now() END
           FROM unnest($4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::text[], $9::jsonb[], $10::jsonb[]) AS u(kind, sev, lid, bid, fp, details, heal)
           ON CONFLICT (kind, fingerprint) DO UPDATE SET heal = EXCLUDED.heal, healed_at = EXCLUDED.healed_at
             WHERE f.heal IS NULL AND EXCLUDED.heal IS NOT NULL
           RETURNING (xmax = 0) AS inserted)
         SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM w",
        &[
            o.run_id.into(),
            o.pipeline_id.into(),
            o.step.into(),
            kinds.into(),
            sev.into(),
            lid.into(),
            bid.into(),
            fp.into(),
            details.into(),
            heal.into(),
        ],
    )
    .or_raise("recording findings");
    (new.unwrap_or(0), healed.unwrap_or(0))
}

/// Changes listings from `from` to `to` at the given times (microseconds) and appends a
/// status_change event for each; listings no longer in `from` are left alone. Returns
/// (listing_id, event_id) of every listing changed.
pub fn change_status(ids: &[i64], at_us: &[i64], from: &str, to: &str) -> Vec<(i64, Option<i64>)> {
    if ids.is_empty() {
        return Vec::new();
    }
    let at: Vec<TimestampWithTimeZone> = at_us.iter().map(|t| timestamptz(*t, "status change time out of range")).collect();
    Spi::connect_mut(|c| {
        c.update(
            "WITH t AS (SELECT * FROM unnest($1::bigint[], $2::timestamptz[]) AS u(id, at)),
                  upd AS (UPDATE marketplace.listings l SET status = $4, status_changed_at = t.at, updated_at = clock_timestamp()
                          FROM t WHERE l.listing_id = t.id AND l.status = $3
                          RETURNING l.listing_id, l.price_eur, t.at),
                  ins AS (INSERT INTO marketplace.listing_events (listing_id, event_type, observed_at, price_eur, status, previous_status)
                          SELECT listing_id, 'status_change', at, price_eur, $4, $3 FROM upd
                          ON CONFLICT (listing_id, observed_at, event_type) DO NOTHING
                          RETURNING listing_id, event_id)
             SELECT upd.listing_id, ins.event_id FROM upd LEFT JOIN ins USING (listing_id) ORDER BY 1",
            None,
            &[ids.to_vec().into(), at.into(), from.into(), to.into()],
        )
        .or_raise("changing listing status")
        .filter_map(|r| Some((r.get::<i64>(1).ok()??, r.get::<i64>(2).ok()?)))
        .collect()
    })
}

/// PostgreSQL microseconds of a timestamptz.
pub fn us(t: TimestampWithTimeZone) -> i64 {
    t.into_inner()
}

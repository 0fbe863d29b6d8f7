//! `spine.dedupe`: loads the listings in scope, runs the pure dedupe (dedupe.rs), and writes the
//! outcome: canonical_listing_id (with the original beside it in marketplace.healed_values),
//! the accepted links with their scores and reasons (earlier links superseded, never deleted).
//!
//! Scope: a full run takes every listing; an incremental run (the default once a run exists)
//! re-evaluates the blocks and VINs of listings changed since the previous run started, which
//! is exact because candidates only ever pair listings of one block or one VIN.

use super::dedupe::{self, Link, Override, Rec};
use crate::common::error::OrRaise;
use pgrx::datum::TimestampWithTimeZone;
use pgrx::prelude::*;
use std::collections::HashMap;

pub struct Outcome {
    pub run_id: i64,
    pub listings: i64,
    pub pairs: i64,
    pub links: i64,
    pub groups: i64,
    pub changed: i64,
}

const COLUMNS: &str = "l.listing_id, l.first_seen_at, l.vin, l.make, l.model, l.year, l.powertrain, l.region_code, l.mileage_km,
                       l.price_eur::float8, l.colour, l.power_kw, l.transmission, l.seller_type, l.lat, l.lon, l.title, l.description,
                       l.canonical_listing_id";

fn scope_sql(full: bool) -> String {
    if full {
        format!("SELECT {COLUMNS} FROM marketplace.listings l")
    } else {
        format!(
            "WITH changed AS (SELECT * FROM marketplace.listings WHERE updated_at >= $1)
             SELECT {COLUMNS} FROM marketplace.listings l
             WHERE (l.make, l.model, l.year, coalesce(l.powertrain, ''), coalesce(l.region_code, ''), coalesce(lower(trim(l.colour)), '')) IN
                   (SELECT make, model, year, coalesce(powertrain, ''), coalesce(region_code, ''), coalesce(lower(trim(colour)), '') FROM changed)
                OR l.vin IN (SELECT vin FROM changed WHERE vin IS NOT NULL)"
        )
    }
}

pub fn run(full_requested: bool) -> Outcome {
    // one dedupe at a time: concurrent runs would race on canonical_listing_id
    Spi::run("SELECT pg_catalog.pg_advisory_xact_lock(1684366693, 1)").or_raise("locking dedupe");
    let since: Option<TimestampWithTimeZone> =
        Spi::get_one("SELECT max(started_at) FROM spine.healing_runs WHERE kind = 'dedupe' AND finished_at IS NOT NULL").or_raise("reading the last dedupe run");
    let full = full_requested || since.is_none();
    let run_id = Spi::get_one_with_args::<i64>(
        "INSERT INTO spine.healing_runs (kind, mode) VALUES ('dedupe', $1) RETURNING run_id",
        &[(if full { "full" } else { "incremental" }).into()],
    )
    .or_raise("starting the dedupe run")
    .unwrap_or(0);
    let mut recs: Vec<Rec> = Vec::new();
    let mut current: Vec<Option<i64>> = Vec::new();
    Spi::connect(|c| {
        let sql = scope_sql(full);
        let args: Vec<pgrx::datum::DatumWithOid> = if full { vec![] } else { vec![since.into()] };
        let mut cursor = c.open_cursor(&sql, &args);
        loop {
            let batch = cursor.fetch(10_000).or_raise("reading listings");
            if batch.is_empty() {
                break;
            }
            for r in batch {
                let s = |i: usize| r.get::<String>(i).ok().flatten();
                let make = s(4).unwrap_or_default();
                let model = s(5).unwrap_or_default();
                let year = r.get::<i32>(6).ok().flatten().unwrap_or(0);
                recs.push(Rec {
                    id: r.get::<i64>(1).ok().flatten().unwrap_or(0),
                    first_seen: r.get::<TimestampWithTimeZone>(2).ok().flatten().map(|t| t.into_inner()).unwrap_or(0),
                    vin: s(3),
                    block: dedupe::block_key(&make, &model, year, s(7).as_deref(), s(8).as_deref(), s(11).as_deref()),
                    mileage: r.get::<i32>(9).ok().flatten(),
                    price: r.get::<f64>(10).ok().flatten(),
                    colour: dedupe::field_hash(s(11).as_deref()),
                    power_kw: r.get::<i32>(12).ok().flatten(),
                    transmission: dedupe::field_hash(s(13).as_deref()),
                    seller: dedupe::field_hash(s(14).as_deref()),
                    lat: r.get::<f64>(15).ok().flatten(),
                    lon: r.get::<f64>(16).ok().flatten(),
                    title: dedupe::minhash(s(17).as_deref()),
                    description: dedupe::minhash(s(18).as_deref()),
                });
                current.push(r.get::<i64>(19).ok().flatten());
            }
            pgrx::check_for_interrupts!();
        }
    });
    let index: HashMap<i64, usize> = recs.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
    let pairs = dedupe::candidates(&recs);
    let mut links: Vec<Link> = Vec::new();
    for (k, &(a, b)) in pairs.iter().enumerate() {
        if k & 0xFFFF == 0 {
            pgrx::check_for_interrupts!();
        }
        let (score, reasons) = dedupe::score(&recs[a], &recs[b]);
        if score >= dedupe::THRESHOLD * 0.8 {
            links.push(Link { a, b, score, reasons });
        }
    }
    let overrides: Vec<(usize, usize, Override)> = Spi::connect(|c| {
        c.select("SELECT listing_a, listing_b, decision FROM marketplace.dedupe_overrides", None, &[])
            .or_raise("reading dedupe overrides")
            .filter_map(|r| {
                let a = index.get(&r.get::<i64>(1).ok()??)?;
                let b = index.get(&r.get::<i64>(2).ok()??)?;
                let d = if r.get::<String>(3).ok()?? == "force_merge" { Override::ForceMerge } else { Override::NeverMerge };
                Some((*a, *b, d))
            })
            .collect()
    });
    let (canonical, accepted) = dedupe::cluster(&recs, links, &overrides);
    // writes: canonical ids that changed, with provenance; links superseded and rewritten
    let mut ids = Vec::new();
    let mut old = Vec::new();
    let mut new = Vec::new();
    let mut conf = Vec::new();
    let best: HashMap<usize, f64> = accepted.iter().flat_map(|l| [(l.a, l.score), (l.b, l.score)]).fold(HashMap::new(), |mut m, (i, s)| {
        let e = m.entry(i).or_insert(0.0f64);
        *e = e.max(s);
        m
    });
    for (i, r) in recs.iter().enumerate() {
        let want = if canonical[i] == i { None } else { Some(recs[canonical[i]].id) };
        if want != current[i] {
            ids.push(r.id);
            old.push(current[i]);
            new.push(want);
            conf.push(best.get(&i).copied().unwrap_or(1.0).min(1.0));
        }
    }
    let scope_ids: Vec<i64> = recs.iter().map(|r| r.id).collect();
    Spi::run_with_args(
        "UPDATE marketplace.listing_links k SET superseded_at = now() FROM unnest($1::bigint[]) AS u(id)
         WHERE k.superseded_at IS NULL AND k.listing_id = u.id",
        &[scope_ids.into()],
    )
    .or_raise("superseding earlier links");
    let (la, lb, lc, ls, lr): (Vec<i64>, Vec<i64>, Vec<i64>, Vec<f64>, Vec<String>) = accepted.iter().fold(Default::default(), |mut acc, l| {
        // the later listing of the pair is the one linked
        let (x, y) = if (recs[l.a].first_seen, recs[l.a].id) <= (recs[l.b].first_seen, recs[l.b].id) { (l.b, l.a) } else { (l.a, l.b) };
        acc.0.push(recs[x].id);
        acc.1.push(recs[y].id);
        acc.2.push(recs[canonical[x]].id);
        acc.3.push(l.score);
        acc.4.push(serde_json::to_string(&l.reasons).unwrap_or_else(|_| "[]".into()));
        acc
    });
    Spi::run_with_args(
        "INSERT INTO marketplace.listing_links (run_id, listing_id, matched_listing_id, canonical_listing_id, score, reasons, method)
         SELECT $1, a, b, c, s, ARRAY(SELECT jsonb_array_elements_text(r::jsonb)), CASE WHEN r::jsonb ? 'force-merge override' THEN 'override' ELSE 'dedupe_v1' END
         FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::float8[], $6::text[]) AS u(a, b, c, s, r)",
        &[run_id.into(), la.into(), lb.into(), lc.into(), ls.into(), lr.into()],
    )
    .or_raise("writing links");
    Spi::run_with_args(
        "WITH u AS (SELECT * FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::float8[]) AS u(id, old, new, conf)),
         healed AS (
             INSERT INTO marketplace.healed_values (run_id, listing_id, field, original_value, healed_value, method, confidence)
             SELECT $1, id, 'canonical_listing_id', old::text, new::text, 'dedupe_v1', conf FROM u RETURNING 1)
         UPDATE marketplace.listings l SET canonical_listing_id = u.new FROM u WHERE l.listing_id = u.id AND (SELECT count(*) FROM healed) >= 0",
        &[run_id.into(), ids.clone().into(), old.into(), new.into(), conf.into()],
    )
    .or_raise("writing canonical listing ids");
    let mut sizes: HashMap<usize, usize> = HashMap::new();
    for c in &canonical {
        *sizes.entry(*c).or_insert(0) += 1;
    }
    let groups = sizes.values().filter(|n| **n > 1).count() as i64;
    let out = Outcome { run_id, listings: recs.len() as i64, pairs: pairs.len() as i64, links: accepted.len() as i64, groups, changed: ids.len() as i64 };
    Spi::run_with_args(
        "UPDATE spine.healing_runs SET finished_at = clock_timestamp(),
             stats = jsonb_build_object('listings', $2, 'candidate_pairs', $3, 'links', $4, 'groups', $5, 'changed', $6)
         WHERE run_id = $1",
        &[run_id.into(), out.listings.into(), out.pairs.into(), out.links.into(), out.groups.into(), out.changed.into()],
    )
    .or_raise("finishing the dedupe run");
    out
}

/// Precision/recall/F1 of listings.canonical_listing_id against the generator's planted truth.
pub fn quality() -> (f64, f64, f64, i64, i64) {
    let pairs = |sql: &str| -> Vec<(i64, i64)> {
        Spi::connect(|c| c.select(sql, None, &[]).or_raise("reading pairs").filter_map(|r| Some((r.get::<i64>(1).ok()??, r.get::<i64>(2).ok()??))).collect())
    };
    let predicted = pairs("SELECT listing_id, canonical_listing_id FROM marketplace.listings WHERE canonical_listing_id IS NOT NULL");
    let truth = pairs("SELECT listing_id, original_listing_id FROM spine.demo_truth_duplicates");
    let (p, r, f) = dedupe::pair_quality(&predicted, &truth);
    (p, r, f, predicted.len() as i64, truth.len() as i64)
}

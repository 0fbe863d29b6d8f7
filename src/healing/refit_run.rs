//! `spine.refit_battery` and `spine.normalise_make_model`: read, heal (refit.rs), write the
//! healed values beside the originals with provenance.

use super::battery;
use super::refit::{self, EvRow};
use crate::common::error::OrRaise;
use pgrx::prelude::*;
use std::collections::HashMap;

fn start(kind: &str) -> i64 {
    Spi::get_one_with_args::<i64>("INSERT INTO spine.healing_runs (kind, mode) VALUES ($1, 'full') RETURNING run_id", &[kind.into()])
        .or_raise("starting the healing run")
        .unwrap_or(0)
}

fn finish(run_id: i64, stats: serde_json::Value) {
    Spi::run_with_args("UPDATE spine.healing_runs SET finished_at = clock_timestamp(), stats = $2 WHERE run_id = $1", &[run_id.into(), pgrx::JsonB(stats).into()])
        .or_raise("finishing the healing run");
}

pub struct RefitOutcome {
    pub run_id: i64,
    pub listings: i64,
    pub capacity_stated: i64,
    pub capacity_healed: i64,
    pub soh_stated: i64,
    pub soh_healed: i64,
}

fn span(text: &str, s: (usize, usize)) -> Option<String> {
    text.get(s.0..s.1).map(str::to_string)
}

pub fn refit_battery() -> RefitOutcome {
    let run_id = start("battery_refit");
    let mut ids = Vec::new();
    let mut rows = Vec::new();
    let mut evidence: Vec<(Option<String>, Option<String>)> = Vec::new();
    Spi::connect(|c| {
        let mut cur = c.open_cursor(
            "SELECT listing_id, make, model, year, mileage_km::float8,
                    extract(year FROM first_seen_at)::float8 + extract(doy FROM first_seen_at)::float8 / 366.0 - year, description
             FROM marketplace.listings WHERE powertrain IN ('ev', 'phev') ORDER BY listing_id",
            &[],
        );
        loop {
            let batch = cur.fetch(10_000).or_raise("reading electrified listings");
            if batch.is_empty() {
                break;
            }
            for r in batch {
                let make = r.get::<String>(2).ok().flatten().unwrap_or_default();
                let model = r.get::<String>(3).ok().flatten().unwrap_or_default();
                let year = r.get::<i32>(4).ok().flatten().unwrap_or(0);
                let description = r.get::<String>(7).ok().flatten().unwrap_or_default();
                let b = battery::extract(&description);
                ids.push(r.get::<i64>(1).ok().flatten().unwrap_or(0));
                evidence.push((b.capacity_kwh.as_ref().and_then(|f| span(&description, f.span)), b.soh_pct.as_ref().and_then(|f| span(&description, f.span))));
                rows.push(EvRow {
                    model_year: format!("{make}\u{1f}{model}\u{1f}{year}"),
                    model: format!("{make}\u{1f}{model}"),
                    age_years: r.get::<f64>(6).ok().flatten().unwrap_or(0.0).max(0.0),
                    mileage_km: r.get::<f64>(5).ok().flatten(),
                    stated_capacity: b.capacity_kwh.map(|f| f.value),
                    stated_soh: b.soh_pct.map(|f| f.value),
                });
            }
            pgrx::check_for_interrupts!();
        }
    });
    let (healed, soh_model) = refit::refit(&rows);
    let col = |f: &dyn Fn(usize) -> Option<f64>| -> Vec<Option<f64>> { (0..rows.len()).map(f).collect() };
    let text = |f: &dyn Fn(usize) -> Option<String>| -> Vec<Option<String>> { (0..rows.len()).map(f).collect() };
    Spi::run_with_args(
        "INSERT INTO marketplace.listing_battery AS b (listing_id, stated_capacity_kwh, stated_soh_pct, capacity_evidence, soh_evidence,
             capacity_kwh, capacity_source, capacity_confidence, soh_pct, soh_source, soh_confidence, run_id, healed_at)
         SELECT * , $12, now() FROM unnest($1::bigint[], $2::float8[], $3::float8[], $4::text[], $5::text[], $6::float8[], $7::text[],
                                          $8::float8[], $9::float8[], $10::text[], $11::float8[])
         ON CONFLICT (listing_id) DO UPDATE SET stated_capacity_kwh = EXCLUDED.stated_capacity_kwh, stated_soh_pct = EXCLUDED.stated_soh_pct,
             capacity_evidence = EXCLUDED.capacity_evidence, soh_evidence = EXCLUDED.soh_evidence, capacity_kwh = EXCLUDED.capacity_kwh,
             capacity_source = EXCLUDED.capacity_source, capacity_confidence = EXCLUDED.capacity_confidence, soh_pct = EXCLUDED.soh_pct,
             soh_source = EXCLUDED.soh_source, soh_confidence = EXCLUDED.soh_confidence, run_id = EXCLUDED.run_id, healed_at = EXCLUDED.healed_at",
        &[
            ids.clone().into(),
            col(&|i| rows[i].stated_capacity).into(),
            col(&|i| rows[i].stated_soh).into(),
            text(&|i| evidence[i].0.clone()).into(),
            text(&|i| evidence[i].1.clone()).into(),
            col(&|i| healed[i].capacity).into(),
            text(&|i| Some(healed[i].capacity_source.to_string())).into(),
            col(&|i| healed[i].capacity_confidence).into(),
            col(&|i| healed[i].soh).into(),
            text(&|i| Some(healed[i].soh_source.to_string())).into(),
            col(&|i| healed[i].soh_confidence).into(),
            run_id.into(),
        ],
    )
    .or_raise("writing battery facts");
    let count = |f: &dyn Fn(usize) -> bool| (0..rows.len()).filter(|&i| f(i)).count() as i64;
    let out = RefitOutcome {
        run_id,
        listings: rows.len() as i64,
        capacity_stated: count(&|i| rows[i].stated_capacity.is_some()),
        capacity_healed: count(&|i| healed[i].capacity_source != "stated" && healed[i].capacity.is_some()),
        soh_stated: count(&|i| rows[i].stated_soh.is_some()),
        soh_healed: count(&|i| healed[i].soh_source == "age_mileage_regression"),
    };
    finish(
        run_id,
        serde_json::json!({"listings": out.listings, "capacity_stated": out.capacity_stated, "capacity_healed": out.capacity_healed,
                           "soh_stated": out.soh_stated, "soh_healed": out.soh_healed,
                           "soh_model": soh_model.map(|m| serde_json::json!({"intercept": m.intercept, "per_year": m.per_year, "per_10k_km": m.per_10k_km, "n": m.n, "rmse": m.rmse}))}),
    );
    out
}

pub struct NormaliseOutcome {
    pub run_id: i64,
    pub checked: i64,
    pub makes_fixed: i64,
    pub models_fixed: i64,
    pub unknown: i64,
}

/// Maps make/model spellings to the reference list; unknown spellings are left as they are and
/// counted.
pub fn normalise() -> NormaliseOutcome {
    let run_id = start("normalise");
    let (makes, models, aliases) = Spi::connect(|c| {
        let mut makes: HashMap<String, String> = HashMap::new();
        let mut models: HashMap<(String, String), String> = HashMap::new();
        for r in c.select("SELECT make, model FROM marketplace.make_model_reference", None, &[]).or_raise("reading the reference list") {
            let (mk, md) = (r.get::<String>(1).ok().flatten().unwrap_or_default(), r.get::<String>(2).ok().flatten().unwrap_or_default());
            makes.insert(refit::spelling_key(&mk), mk.clone());
            models.insert((mk, refit::spelling_key(&md)), md);
        }
        let aliases: HashMap<String, String> = c
            .select("SELECT alias, make FROM marketplace.make_aliases", None, &[])
            .or_raise("reading make aliases")
            .filter_map(|r| Some((refit::spelling_key(&r.get::<String>(1).ok()??), r.get::<String>(2).ok()??)))
            .collect();
        (makes, models, aliases)
    });
    let pairs: Vec<(String, String)> = Spi::connect(|c| {
        c.select("SELECT DISTINCT make, model FROM marketplace.listings", None, &[])
            .or_raise("reading spellings")
            .filter_map(|r| Some((r.get::<String>(1).ok()??, r.get::<String>(2).ok()??)))
            .collect()
    });
    let (mut from_make, mut from_model, mut to_make, mut to_model) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut unknown = 0i64;
    for (mk, md) in &pairs {
        let key = refit::spelling_key(mk);
        let Some(make) = makes.get(&key).or_else(|| aliases.get(&key)).cloned() else {
            unknown += 1;
            continue;
        };
        let model = models.get(&(make.clone(), refit::spelling_key(md))).cloned();
        let Some(model) = model else {
            unknown += 1;
            continue;
        };
        if &make != mk || &model != md {
            from_make.push(mk.clone());
            from_model.push(md.clone());
            to_make.push(make);
            to_model.push(model);
        }
    }
    let changed: Vec<(String, i64)> = Spi::connect_mut(|c| {
        c.update(
            "WITH m AS (SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS m(fmk, fmd, tmk, tmd)),
             hit AS (SELECT l.listing_id, l.make, l.model, m.tmk, m.tmd FROM marketplace.listings l JOIN m ON l.make = m.fmk AND l.model = m.fmd),
             h1 AS (INSERT INTO marketplace.healed_values (run_id, listing_id, field, original_value, healed_value, method, confidence)
                    SELECT $1, listing_id, 'make', make, tmk, 'reference_spelling', 1.0 FROM hit WHERE make <> tmk RETURNING 1),
             h2 AS (INSERT INTO marketplace.healed_values (run_id, listing_id, field, original_value, healed_value, method, confidence)
                    SELECT $1, listing_id, 'model', model, tmd, 'reference_spelling', 1.0 FROM hit WHERE model <> tmd RETURNING 1)
             UPDATE marketplace.listings l SET make = hit.tmk, model = hit.tmd, updated_at = now() FROM hit
             WHERE l.listing_id = hit.listing_id AND (SELECT count(*) FROM h1) + (SELECT count(*) FROM h2) >= 0
             RETURNING (hit.make <> hit.tmk)::text, 1::int8",
            None,
            &[run_id.into(), from_make.into(), from_model.into(), to_make.into(), to_model.into()],
        )
        .or_raise("writing normalised spellings")
        .filter_map(|r| Some((r.get::<String>(1).ok()??, r.get::<i64>(2).ok()??)))
        .collect()
    });
    let makes_fixed = changed.iter().filter(|(m, _)| m == "true").count() as i64;
    let out = NormaliseOutcome { run_id, checked: pairs.len() as i64, makes_fixed, models_fixed: changed.len() as i64 - makes_fixed, unknown };
    finish(run_id, serde_json::json!({"spellings_checked": out.checked, "listings_make_fixed": out.makes_fixed, "listings_model_only_fixed": out.models_fixed, "unknown_spellings": out.unknown}));
    out
}

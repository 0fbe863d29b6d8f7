//! marketplace_db_healing_pipeline_30m: the healing functions of src/healing, called through
//! their SQL entry points (spine.dedupe, spine.refit_battery, spine.normalise_make_model), each
//! of which records its own run in spine.healing_runs; the step keeps that run id.

use super::{Ctx, Done};
use crate::common::error::OrRaise;
use pgrx::prelude::*;
use serde_json::{json, Map, Value};

/// Runs `sql` (one row of bigint columns) and returns the columns by name.
fn counts(sql: &str, what: &str) -> Map<String, Value> {
    Spi::connect_mut(|c| {
        let t = c.update(sql, None, &[]).or_raise(what).first();
        let mut out = Map::new();
        for i in 1..=t.columns().or_raise(what) {
            let name = t.column_name(i).or_raise(what);
            let v: Option<i64> = t.get(i).or_raise(what);
            out.insert(name, json!(v));
        }
        out
    })
}

fn n(m: &Map<String, Value>, k: &str) -> i64 {
    m.get(k).and_then(Value::as_i64).unwrap_or(0)
}

/// Incremental dedupe: the blocks of listings changed since the previous dedupe run.
pub fn dedupe(_ctx: &Ctx<'_>) -> Done {
    let m = counts("SELECT run_id, listings, candidate_pairs, links, groups, changed FROM spine.dedupe()", "running spine.dedupe()");
    Done {
        rows: n(&m, "changed"),
        message: format!("{} listing(s) got a new canonical listing; {} link(s) in {} group(s)", n(&m, "changed"), n(&m, "links"), n(&m, "groups")),
        details: Value::Object(m),
    }
}

pub fn battery_refit(_ctx: &Ctx<'_>) -> Done {
    let m = counts(
        "SELECT run_id, listings, capacity_stated, capacity_healed, soh_stated, soh_healed FROM spine.refit_battery()",
        "running spine.refit_battery()",
    );
    let healed = n(&m, "capacity_healed") + n(&m, "soh_healed");
    Done { rows: healed, message: format!("{} listing(s) checked, {healed} value(s) refitted", n(&m, "listings")), details: Value::Object(m) }
}

pub fn make_model_normalisation(_ctx: &Ctx<'_>) -> Done {
    let m = counts(
        "SELECT run_id, spellings_checked, listings_make_fixed, listings_model_fixed, unknown_spellings FROM spine.normalise_make_model()",
        "running spine.normalise_make_model()",
    );
    let fixed = n(&m, "listings_make_fixed") + n(&m, "listings_model_fixed");
    Done { rows: fixed, message: format!("{fixed} make/model value(s) normalised, {} unknown spelling(s)", n(&m, "unknown_spellings")), details: Value::Object(m) }
}

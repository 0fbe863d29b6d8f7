//! The builtin steps. Each runs inside its own subtransaction (runner.rs) and returns how many
//! rows it affected, a short message and details for its step row.

pub mod healing;
pub mod ingest;
pub mod sanity;
pub mod stale;
pub mod survival;

use super::db::Origin;
use super::settings::Settings;
use serde_json::Value;

pub struct Ctx<'a> {
    pub run_id: i64,
    pub pipeline_id: &'static str,
    pub step: &'static str,
    pub settings: &'a Settings,
}

impl Ctx<'_> {
    pub fn origin(&self) -> Origin<'_> {
        Origin { run_id: self.run_id, pipeline_id: self.pipeline_id, step: self.step }
    }
}

#[derive(Debug, Clone)]
pub struct Done {
    pub rows: i64,
    pub message: String,
    pub details: Value,
}

/// Runs the builtin step `name`; None = no such builtin (a bug in defs.rs).
pub fn run(name: &str, ctx: &Ctx<'_>) -> Option<Done> {
    Some(match name {
        "ingest_landing" => ingest::ingest_landing(ctx),
        "audit_batches" => ingest::audit_batches(ctx),
        "stale_tail_audit" => stale::tail_audit(ctx),
        "stale_expiry" => stale::expiry(ctx),
        "status_sanity_audit" => sanity::audit(ctx),
        "duplicate_status_sync" => sanity::duplicate_status_sync(ctx),
        "dedupe" => healing::dedupe(ctx),
        "battery_refit" => healing::battery_refit(ctx),
        "make_model_normalisation" => healing::make_model_normalisation(ctx),
        "reverse_monitor" => survival::reverse_monitor(ctx),
        "survival_labels" => survival::labels(ctx),
        _ => return None,
    })
}

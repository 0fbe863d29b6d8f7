//! Pipeline settings: rows of `spine.settings` (kept by pg_dump), each key known with a type, a
//! default and a meaning (view `spine.pipeline_settings`). Unknown keys are refused: a typo must
//! not silently leave a policy at its default. Schedule overrides and the enabled flags are rows
//! of the same table under `schedule.<pipeline_id>` and `enabled.<pipeline_id>`.

use super::rules::BatchPolicy;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// A PostgreSQL interval (validated by PostgreSQL's own input function).
    Interval,
    Int { min: i64, max: i64 },
    Float { min: f64, max: f64 },
    Bool,
    Choice(&'static [&'static str]),
    /// A model name (ml.models naming rule) or empty (= off).
    ModelName,
}

#[derive(Debug, Clone, Copy)]
pub struct Key {
    pub key: &'static str,
    pub default: &'static str,
    pub kind: Kind,
    pub meaning: &'static str,
}

const fn key(key: &'static str, default: &'static str, kind: Kind, meaning: &'static str) -> Key {
    Key { key, default, kind, meaning }
}

pub const KEYS: &[Key] = &[
    key("pipelines.history_retention", "30 days", Kind::Interval, "runs, their steps and the pipelines' rows of cron.job_run_details older than this are deleted at the end of each run"),
    key("pipelines.overdue_grace", "10 minutes", Kind::Interval, "a pipeline is overdue once a fire time passed this long ago without a successful run since"),
    key("pipelines.step_attempts", "3", Kind::Int { min: 1, max: 10 }, "attempts per step for transient errors (serialization failure, deadlock, lock timeout)"),
    key("pipelines.retry_base_ms", "200", Kind::Int { min: 0, max: 60_000 }, "first wait before retrying a step; doubles per attempt (capped at 30 s), with jitter"),
    key("stale.after", "21 days", Kind::Interval, "an active listing first seen longer ago than this is in the tail (audit_stale_listings_daily)"),
    key("stale.recheck_unseen", "2 days", Kind::Interval, "a tail listing not seen for this long gets a finding and a re-check request"),
    key("stale.expire_unseen", "30 days", Kind::Interval, "a tail listing not seen for this long is expired: status removed, with a status_change event"),
    key("survival.missed_cycles", "3", Kind::Int { min: 1, max: 1000 }, "an active listing missing from this many ingest cycles of its source in a row is taken off the market"),
    key("survival.missing_status", "sold", Kind::Choice(&["sold", "removed"]), "the status a listing missing from the ingest cycles gets (scraped marketplaces rarely show the sale itself)"),
    key("sanity.auto_heal", "false", Kind::Bool, "status_sanity_audit_midnight also heals what it can heal safely (with provenance); off = findings only"),
    key("ingest_audit.price_min", "500", Kind::Float { min: 0.0, max: 1e9 }, "asking prices below this (EUR) are implausible"),
    key("ingest_audit.price_max", "2000000", Kind::Float { min: 0.0, max: 1e9 }, "asking prices above this (EUR) are implausible"),
    key("ingest_audit.year_min", "1950", Kind::Int { min: 1900, max: 2100 }, "model years before this are implausible"),
    key("ingest_audit.mileage_max", "1000000", Kind::Int { min: 0, max: 100_000_000 }, "mileages above this (km) are implausible"),
    key("ingest_audit.km_per_year_max", "100000", Kind::Int { min: 1, max: 10_000_000 }, "more km than this per year of use is implausible"),
    key("ingest_audit.null_rate_increase", "0.2", Kind::Float { min: 0.0, max: 1.0 }, "a field's NULL rate rising more than this above its baseline is a finding"),
    key("ingest_audit.volume_drop", "0.5", Kind::Float { min: 0.0, max: 1.0 }, "a batch with fewer rows than (1 - this) x the baseline median is a finding"),
    key("ingest_audit.baseline_batches", "5", Kind::Int { min: 1, max: 1000 }, "previous batches of the same source that form the baseline"),
    key("ingest_audit.quarantine_rate_max", "0.1", Kind::Float { min: 0.0, max: 1.0 }, "a batch with a larger share of quarantined rows is a finding"),
    key("jobs.max_attempts", "5", Kind::Int { min: 1, max: 100 }, "attempts of a job (spine.jobs) before it is dead; a permanent error (refused address, wrong content type, missing model) is dead at once"),
    key("jobs.backoff", "10 seconds", Kind::Interval, "wait before retrying a failed job; doubles per attempt"),
    key("jobs.backoff_max", "1 hour", Kind::Interval, "longest wait before retrying a failed job"),
    key("jobs.done_retention", "7 days", Kind::Interval, "done jobs finished longer ago than this are deleted by the workers (failed and dead jobs are kept)"),
    key("images.text_model", "", Kind::ModelName, "deployed text embedding model for embed_text jobs (title, description and image caption); empty = the image pipeline does not embed texts"),
    key("images.image_model", "", Kind::ModelName, "deployed image embedding model for embed_image jobs; empty = the image pipeline does not embed images"),
    key("images.damage_model", "", Kind::ModelName, "deployed ONNX image classifier (ml.import_onnx_image_classifier) for label_damage jobs; empty = the image pipeline does not label damage"),
    key("images.max_enqueue", "10000", Kind::Int { min: 1, max: 10_000_000 }, "most jobs of one kind a run of marketplace_image_pipeline_30m enqueues"),
];

pub fn find(k: &str) -> Option<&'static Key> {
    KEYS.iter().find(|x| x.key == k)
}

/// Checks and normalises a value (intervals are checked by PostgreSQL, not here).
pub fn validate(k: &Key, value: &str) -> Result<String, String> {
    let v = value.trim();
    match k.kind {
        Kind::Interval => {
            if v.is_empty() {
                Err("an interval is expected, e.g. '30 days'".into())
            } else {
                Ok(v.to_string())
            }
        }
        Kind::Int { min, max } => match v.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n.to_string()),
            Ok(n) => Err(format!("{n} is outside {min}..{max}")),
            Err(_) => Err(format!("\"{v}\" is not a whole number")),
        },
        Kind::Float { min, max } => match v.parse::<f64>() {
            Ok(x) if x.is_finite() && x >= min && x <= max => Ok(v.to_string()),
            Ok(_) => Err(format!("{v} is outside {min}..{max}")),
            Err(_) => Err(format!("\"{v}\" is not a number")),
        },
        Kind::Bool => match v.to_ascii_lowercase().as_str() {
            "true" | "on" | "yes" | "1" => Ok("true".into()),
            "false" | "off" | "no" | "0" => Ok("false".into()),
            _ => Err(format!("\"{v}\" is not a boolean (true/false)")),
        },
        Kind::ModelName => {
            let ok = v.is_empty()
                || (v.len() <= 63 && v.starts_with(|c: char| c.is_ascii_lowercase()) && v.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'));
            if ok {
                Ok(v.to_string())
            } else {
                Err(format!("\"{v}\" is not a model name (lower case letters, digits and _, starting with a letter)"))
            }
        }
        Kind::Choice(options) => {
            if options.contains(&v) {
                Ok(v.to_string())
            } else {
                Err(format!("\"{v}\" is not one of {}", options.join(", ")))
            }
        }
    }
}

/// The settings as stored (key → value); absent keys take their defaults.
#[derive(Debug, Clone, Default)]
pub struct Settings(pub HashMap<String, String>);

impl Settings {
    /// The stored value if it is valid, else the default (a value stored by hand that does not
    /// validate never silently becomes something else: it is reported by `spine.pipeline_settings`
    /// and the default applies).
    pub fn get(&self, k: &str) -> String {
        let Some(def) = find(k) else { return String::new() };
        self.0.get(k).and_then(|v| validate(def, v).ok()).unwrap_or_else(|| def.default.to_string())
    }
    pub fn int(&self, k: &str) -> i64 {
        self.get(k).parse().unwrap_or(0)
    }
    pub fn float(&self, k: &str) -> f64 {
        self.get(k).parse().unwrap_or(0.0)
    }
    pub fn bool(&self, k: &str) -> bool {
        self.get(k) == "true"
    }
    pub fn schedule_override(&self, pipeline: &str) -> Option<&str> {
        self.0.get(&format!("schedule.{pipeline}")).map(String::as_str)
    }
    pub fn enabled(&self, pipeline: &str) -> bool {
        self.0.get(&format!("enabled.{pipeline}")).is_none_or(|v| v != "false")
    }
    pub fn batch_policy(&self) -> BatchPolicy {
        BatchPolicy {
            price_min: self.float("ingest_audit.price_min"),
            price_max: self.float("ingest_audit.price_max"),
            year_min: self.int("ingest_audit.year_min") as i32,
            mileage_max: self.int("ingest_audit.mileage_max"),
            km_per_year_max: self.int("ingest_audit.km_per_year_max"),
            null_rate_increase: self.float("ingest_audit.null_rate_increase"),
            volume_drop: self.float("ingest_audit.volume_drop"),
            baseline_batches: self.int("ingest_audit.baseline_batches"),
            baseline_min: BatchPolicy::default().baseline_min.min(self.int("ingest_audit.baseline_batches")),
            quarantine_rate_max: self.float("ingest_audit.quarantine_rate_max"),
        }
    }
}

#[cfg(test)]
#[path = "settings_test.rs"]
mod tests;

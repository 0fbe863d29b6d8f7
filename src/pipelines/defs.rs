//! The six pipelines of the seed (SEED.md §1): DAG IDs, default schedules, the environment
//! variables that override them, and their steps in order. Schedule resolution is here too.

/// How a step runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    /// Implemented in spine (src/pipelines/steps).
    Builtin,
    /// A SQL function `schema.name() RETURNS bigint` (rows affected) that another part of spine
    /// provides; looked up through the catalog at run time. Absent → the step is recorded as
    /// skipped, with the reason.
    Slot { function: &'static str },
    /// A slot that only runs after `audit.require_certified(store)` passed; a failing guard fails
    /// the step.
    /// Runs `function` behind `audit.require_certified(store)` once `model` is deployed
    /// (skipped, visibly, while it is not).
    GuardedSlot { function: &'static str, store: &'static str, model: &'static str, absent: &'static str },
    /// A slot that runs once one of `settings` (spine.settings keys naming a model) is set;
    /// skipped, visibly, while none is.
    ConfiguredSlot { function: &'static str, settings: &'static [&'static str], absent: &'static str },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub name: &'static str,
    pub kind: StepKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pipeline {
    /// The DAG ID.
    pub id: &'static str,
    /// The seed's resolved default.
    pub default_schedule: &'static str,
    /// The seed's environment variable (`os.getenv(VAR, default)`), if any, and the spine
    /// setting (GUC) that stands for it.
    pub variable: Option<(&'static str, &'static str)>,
    pub description: &'static str,
    pub steps: &'static [Step],
}

const fn builtin(name: &'static str) -> Step {
    Step { name, kind: StepKind::Builtin }
}

const fn slot(name: &'static str, function: &'static str) -> Step {
    Step { name, kind: StepKind::Slot { function } }
}

pub const PIPELINES: [Pipeline; 6] = [
    Pipeline {
        id: "audit_stale_listings_daily",
        default_schedule: "45 23 * * *",
        variable: Some(("AUDIT_SCHEDULE", "spine.audit_schedule")),
        description: "Tail audit: active listings older than 21 days that were not seen lately get a finding and a re-check request; policy-based expiry of those unseen for too long",
        steps: &[builtin("stale_tail_audit"), builtin("stale_expiry")],
    },
    Pipeline {
        id: "marketplace_db_healing_pipeline_30m",
        default_schedule: "*/30 * * * *",
        variable: None,
        description: "Database healing: dedupe of reposts, duplicate status sync, battery refit, make/model normalisation",
        steps: &[builtin("dedupe"), builtin("duplicate_status_sync"), builtin("battery_refit"), builtin("make_model_normalisation")],
    },
    Pipeline {
        id: "marketplace_image_pipeline_30m",
        default_schedule: "*/30 * * * *",
        variable: None,
        description: "Images: fetch, colour and damage labels, image embeddings",
        steps: &[
            slot("image_fetch", "spine.image_fetch_pending()"),
            slot("image_label_colour", "spine.image_label_colour()"),
            Step {
                name: "image_label_damage",
                kind: StepKind::ConfiguredSlot { function: "spine.image_label_damage()", settings: &["images.damage_model"], absent: "no damage classifier configured: spine.set_setting('images.damage_model', name)" },
            },
            Step {
                name: "image_embed",
                kind: StepKind::ConfiguredSlot {
                    function: "spine.image_embed()",
                    settings: &["images.text_model", "images.image_model"],
                    absent: "no embedding model configured: spine.set_setting('images.text_model' or 'images.image_model', name)",
                },
            },
        ],
    },
    Pipeline {
        id: "marketplace_ingest_and_audit",
        default_schedule: "*/30 * * * *",
        variable: None,
        description: "Ingest the pending landing batches, then audit each ingested batch (null rates, implausible values, volume drops)",
        steps: &[builtin("ingest_landing"), builtin("audit_batches")],
    },
    Pipeline {
        id: "status_sanity_audit_midnight",
        default_schedule: "0 0 * * *",
        variable: Some(("DAG_SCHEDULE_CRON", "spine.dag_schedule_cron")),
        description: "Status sanity: illegal transitions, sightings after sold/removed, last_seen < first_seen, duplicates disagreeing with their canonical listing; optional auto-heal",
        steps: &[builtin("status_sanity_audit")],
    },
    Pipeline {
        id: "survival_marketplace_daily",
        default_schedule: "15,45 8-23 * * *",
        variable: Some(("DAG_SCHEDULE_CRON", "spine.dag_schedule_cron")),
        description: "Reverse monitor (listings missing from N ingest cycles become sold/removed), survival labels, scoring of active listings by a deployed survival model",
        steps: &[
            builtin("reverse_monitor"),
            builtin("survival_labels"),
            Step {
                name: "survival_scoring",
                kind: StepKind::GuardedSlot {
                    function: "ml.score_survival_active()",
                    store: "ml.survival_feature_store_t0_v1_v",
                    model: "survival_time",
                    absent: "no survival model deployed",
                },
            },
        ],
    },
];

pub fn find(id: &str) -> Option<&'static Pipeline> {
    PIPELINES.iter().find(|p| p.id == id)
}

pub fn ids() -> Vec<&'static str> {
    PIPELINES.iter().map(|p| p.id).collect()
}

/// Where a resolved schedule came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `spine.set_schedule(pipeline_id, …)`.
    Override,
    /// The setting standing for the seed's environment variable (its name).
    Variable(&'static str),
    Default,
}

impl Source {
    pub fn label(&self) -> String {
        match self {
            Source::Override => "override (spine.set_schedule)".into(),
            Source::Variable(v) => v.to_string(),
            Source::Default => "default".into(),
        }
    }
}

/// The schedule a pipeline runs on: its own override, else the variable's setting when the seed
/// reads one (`os.getenv(VAR, default)`), else the seed's default. Empty values count as unset.
pub fn resolve(p: &Pipeline, override_: Option<&str>, variable_value: Option<&str>) -> (String, Source) {
    let set = |v: Option<&str>| v.map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
    if let Some(v) = set(override_) {
        return (v, Source::Override);
    }
    if let (Some((var, _)), Some(v)) = (p.variable, set(variable_value)) {
        return (v, Source::Variable(var));
    }
    (p.default_schedule.to_string(), Source::Default)
}

/// FNV-1a (32 bit) of the pipeline ID: the second key of its advisory lock (stable across
/// versions and platforms, unlike hashtext()).
pub fn lock_key(id: &str) -> i32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in id.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h as i32
}

/// First key of every pipeline's advisory lock ("SPIN").
pub const LOCK_CLASS: i32 = 0x5350_494E;

#[cfg(test)]
#[path = "defs_test.rs"]
mod tests;

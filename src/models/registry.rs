//! The model registry: new versions, deployment and rollback (with history), and loading the
//! deployed version of a name for scoring.

use crate::common::error::{OrRaise, SpineError};
use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::PgSqlErrorCode;
use serde_json::Value;

pub struct NewModel {
    pub name: String,
    pub algorithm: String,
    pub task: String,
    pub features: Vec<String>,
    pub target: Option<String>,
    pub params: Value,
    pub metrics: Value,
    pub artifact: Vec<u8>,
    pub format: String,
    pub store: Option<pg_sys::Oid>,
    pub store_name: Option<String>,
    pub cert_id: Option<i64>,
    pub dataset_hash: Option<String>,
    pub deploy: bool,
}

/// Appends the next version of `m.name`; deploys it when asked. Returns its model_id.
pub fn register(m: NewModel) -> i64 {
    // versions of one name are numbered without gaps even under concurrent training
    Spi::run_with_args("SELECT pg_catalog.pg_advisory_xact_lock(1836016748, pg_catalog.hashtext($1))", &[m.name.clone().into()]).or_raise("locking the model name");
    let id = Spi::get_one_with_args::<i64>(
        "INSERT INTO ml.models (name, version, algorithm, task, features, target, params, metrics, artifact, artifact_format,
                                store, store_name, cert_id, dataset_hash, trained_by)
         SELECT $1, coalesce((SELECT max(version) FROM ml.models WHERE name = $1), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9,
                $10::oid::regclass, $11, $12, $13, $14
         RETURNING model_id",
        &[
            m.name.clone().into(),
            m.algorithm.into(),
            m.task.into(),
            m.features.into(),
            m.target.into(),
            pgrx::JsonB(m.params).into(),
            pgrx::JsonB(m.metrics).into(),
            m.artifact.into(),
            m.format.into(),
            m.store.into(),
            m.store_name.into(),
            m.cert_id.into(),
            m.dataset_hash.into(),
            crate::governance::verdict::caller().into(),
        ],
    )
    .or_raise("registering the model")
    .unwrap_or(0);
    if m.deploy {
        deploy_id(&m.name, id, "deploy");
    }
    id
}

fn deploy_id(name: &str, model_id: i64, action: &str) {
    Spi::run_with_args(
        "INSERT INTO ml.deployments (name, model_id, deployed_at, deployed_by) VALUES ($1, $2, now(), $3)
         ON CONFLICT (name) DO UPDATE SET model_id = EXCLUDED.model_id, deployed_at = EXCLUDED.deployed_at, deployed_by = EXCLUDED.deployed_by",
        &[name.into(), model_id.into(), crate::governance::verdict::caller().into()],
    )
    .or_raise("deploying the model");
    Spi::run_with_args(
        "INSERT INTO ml.deployment_log (name, model_id, action, by_role) VALUES ($1, $2, $3, $4)",
        &[name.into(), model_id.into(), action.into(), crate::governance::verdict::caller().into()],
    )
    .or_raise("logging the deployment");
    super::predict::invalidate_everywhere();
}

/// Deploys `version` of `name` (NULL = the newest).
pub fn deploy(name: &str, version: Option<i32>) -> i64 {
    let id = Spi::get_one_with_args::<i64>(
        "SELECT (SELECT model_id FROM ml.models WHERE name = $1 AND ($2::int IS NULL OR version = $2) ORDER BY version DESC LIMIT 1)",
        &[name.into(), version.into()],
    )
    .or_raise("finding the model");
    let Some(id) = id else {
        SpineError::new(PgSqlErrorCode::ERRCODE_UNDEFINED_OBJECT, format!("ml.deploy: model \"{name}\"{} does not exist", version.map(|v| format!(" version {v}")).unwrap_or_default()))
            .hint("SELECT name, version FROM ml.model_status lists the registered models.")
            .raise()
    };
    deploy_id(name, id, "deploy");
    id
}

/// Goes back to the version deployed before the current one.
pub fn rollback(name: &str) -> i64 {
    let prev = Spi::get_one_with_args::<i64>(
        "SELECT (SELECT l.model_id FROM ml.deployment_log l
                 WHERE l.name = $1 AND l.model_id <> (SELECT model_id FROM ml.deployments WHERE name = $1)
                   AND l.event_id < (SELECT max(event_id) FROM ml.deployment_log WHERE name = $1)
                 ORDER BY l.event_id DESC LIMIT 1)",
        &[name.into()],
    )
    .or_raise("reading the deployment history");
    let Some(prev) = prev else {
        SpineError::new(PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE, format!("ml.rollback: model \"{name}\" has no earlier deployment to go back to"))
            .hint("ml.deploy(name, version) deploys any registered version.")
            .raise()
    };
    deploy_id(name, prev, "rollback");
    prev
}

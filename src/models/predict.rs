//! `ml.predict(model, features)`: the deployed version of a model, parsed once per backend and
//! kept in a bounded cache. A deploy or rollback sends a relcache invalidation for
//! `ml.deployments`, which every backend receives at commit and which empties its cache: no
//! model is reloaded per call, and none is used after it was replaced.

use super::artifact::Model;
use crate::common::error::{OrRaise, SpineError};
use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::PgSqlErrorCode;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// Models kept per backend; one more empties the cache (models are small; the bound is on count).
pub const MAX_MODELS: usize = 32;

pub struct Loaded {
    pub model_id: i64,
    pub version: i32,
    pub features: Vec<String>,
    pub model: Model,
}

thread_local! {
    static MODELS: RefCell<HashMap<String, Rc<Loaded>>> = RefCell::new(HashMap::new());
    static DEPLOYMENTS_OID: RefCell<Option<pg_sys::Oid>> = const { RefCell::new(None) };
}

unsafe extern "C-unwind" fn on_relcache(_arg: pg_sys::Datum, relid: pg_sys::Oid) {
    let ours = DEPLOYMENTS_OID.with(|o| *o.borrow());
    if relid == pg_sys::InvalidOid || Some(relid) == ours {
        MODELS.with(|m| {
            if let Ok(mut m) = m.try_borrow_mut() {
                m.clear();
            }
        });
    }
}

fn deployments_oid() -> pg_sys::Oid {
    if let Some(o) = DEPLOYMENTS_OID.with(|o| *o.borrow()) {
        return o;
    }
    let oid = Spi::get_one::<pg_sys::Oid>("SELECT 'ml.deployments'::regclass::oid").or_raise("finding ml.deployments").unwrap_or(pg_sys::InvalidOid);
    DEPLOYMENTS_OID.with(|o| *o.borrow_mut() = Some(oid));
    // SAFETY: registered once per backend (guarded by the Option above)
    unsafe { pg_sys::CacheRegisterRelcacheCallback(Some(on_relcache), pg_sys::Datum::from(0)) };
    oid
}

/// Tells every backend (at commit) to drop its cached models.
pub fn invalidate_everywhere() {
    let oid = deployments_oid();
    // SAFETY: plain invalidation request for an existing relation
    unsafe { pg_sys::CacheInvalidateRelcacheByRelid(oid) };
    MODELS.with(|m| m.borrow_mut().clear());
}

/// The deployed version of `name`, from the cache or the registry.
pub fn load(func: &str, name: &str) -> Rc<Loaded> {
    deployments_oid();
    if let Some(l) = MODELS.with(|m| m.borrow().get(name).cloned()) {
        return l;
    }
    let row = Spi::connect(|c| {
        c.select(
            "SELECT m.model_id, m.version, m.features, m.artifact, m.artifact_format FROM ml.deployments d JOIN ml.models m USING (model_id) WHERE d.name = $1",
            Some(1),
            &[name.into()],
        )
        .or_raise("reading the deployed model")
        .into_iter()
        .next()
        .map(|r| {
            (
                r.get::<i64>(1).or_raise("model_id").unwrap_or(0),
                r.get::<i32>(2).or_raise("version").unwrap_or(0),
                r.get::<Vec<String>>(3).or_raise("features").unwrap_or_default(),
                r.get::<Vec<u8>>(4).or_raise("artifact").unwrap_or_default(),
                r.get::<String>(5).or_raise("format").unwrap_or_default(),
            )
        })
    });
    let Some((model_id, version, features, artifact, format)) = row else {
        SpineError::new(PgSqlErrorCode::ERRCODE_UNDEFINED_OBJECT, format!("{func}: no deployed model named \"{name}\""))
            .hint("ml.train or ml.import_onnx registers and deploys one; SELECT * FROM ml.model_status lists them.")
            .raise()
    };
    if format != "spine-json-v1" {
        SpineError::new(PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED, format!("{func}: model \"{name}\" version {version} is in format {format}, which this build cannot score"))
            .raise()
    }
    let model: Model = serde_json::from_slice(&artifact).unwrap_or_else(|e| {
        SpineError::new(PgSqlErrorCode::ERRCODE_DATA_CORRUPTED, format!("{func}: the artifact of model \"{name}\" version {version} is unreadable: {e}"))
            .hint("Re-train or re-deploy another version.")
            .raise()
    });
    let loaded = Rc::new(Loaded { model_id, version, features, model });
    MODELS.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() >= MAX_MODELS {
            m.clear();
        }
        m.insert(name.to_string(), loaded.clone());
    });
    loaded
}

/// Scores one feature vector: NULLs filled with the training means when the model imputes,
/// otherwise refused naming the feature.
pub fn predict(func: &str, name: &str, x: &[Option<f64>]) -> f64 {
    let l = load(func, name);
    if x.len() != l.features.len() {
        SpineError::invalid(format!("{func}: model \"{name}\" takes {} features, got {}", l.features.len(), x.len()))
            .detail(format!("features in order: {}", l.features.join(", ")))
            .hint("Pass the features in the order ml.models.features lists them.")
            .raise()
    }
    let mut row = Vec::with_capacity(x.len());
    for (j, v) in x.iter().enumerate() {
        match (v, l.model.impute()) {
            (Some(v), _) if v.is_finite() => row.push(*v),
            (Some(v), _) => SpineError::invalid(format!("{func}: feature {} ({}) is {v}", j + 1, l.features[j])).hint("Features must be finite numbers.").raise(),
            (None, Some(means)) => row.push(means[j]),
            (None, None) => SpineError::new(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, format!("{func}: feature {} ({}) is NULL", j + 1, l.features[j]))
                .hint("Model trained with impute = error: pass every feature (or train with params => '{\"impute\": \"mean\"}').")
                .raise(),
        }
    }
    l.model.predict(&row).unwrap_or_else(|e| SpineError::internal(format!("{func}: scoring with model \"{name}\": {e}")).raise())
}

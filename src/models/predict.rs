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
    pub model: Rc<Model>,
    pub store: Option<pg_sys::Oid>,
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

const SELECT: &str = "SELECT m.model_id, m.version, m.features, m.artifact, m.artifact_format, m.store::oid, m.name FROM ml.models m";

fn fetch(func: &str, sql: &str, arg: pgrx::datum::DatumWithOid<'_>, what: &str) -> Rc<Loaded> {
    let row = Spi::connect(|c| {
        c.select(sql, Some(1), &[arg])
            .or_raise("reading the model")
            .into_iter()
            .next()
            .map(|r| {
                (
                    r.get::<i64>(1).or_raise("model_id").unwrap_or(0),
                    r.get::<i32>(2).or_raise("version").unwrap_or(0),
                    r.get::<Vec<String>>(3).or_raise("features").unwrap_or_default(),
                    r.get::<Vec<u8>>(4).or_raise("artifact").unwrap_or_default(),
                    r.get::<String>(5).or_raise("format").unwrap_or_default(),
                    r.get::<pg_sys::Oid>(6).or_raise("store"),
                    r.get::<String>(7).or_raise("name").unwrap_or_default(),
                )
            })
    });
    let Some((model_id, version, features, artifact, format, store, name)) = row else {
        SpineError::new(PgSqlErrorCode::ERRCODE_UNDEFINED_OBJECT, format!("{func}: no {what}"))
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
    Rc::new(Loaded { model_id, version, features, model: Rc::new(model), store })
}

fn cached(key: &str, load: impl FnOnce() -> Rc<Loaded>) -> Rc<Loaded> {
    deployments_oid();
    if let Some(l) = MODELS.with(|m| m.borrow().get(key).cloned()) {
        return l;
    }
    let loaded = load();
    MODELS.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() >= MAX_MODELS {
            m.clear();
        }
        m.insert(key.to_string(), loaded.clone());
    });
    loaded
}

/// The deployed version of `name`, from the cache or the registry.
pub fn load(func: &str, name: &str) -> Rc<Loaded> {
    cached(name, || {
        fetch(func, &format!("{SELECT} JOIN ml.deployments d USING (model_id) WHERE d.name = $1"), name.into(), &format!("deployed model named \"{name}\""))
    })
}

/// A registered version by id (what a stacked model was trained on).
pub fn load_id(func: &str, model_id: i64) -> Rc<Loaded> {
    cached(&format!("#{model_id}"), || fetch(func, &format!("{SELECT} WHERE m.model_id = $1"), model_id.into(), &format!("model with id {model_id}")))
}

/// Scores with a loaded model, resolving a stack's inputs through the cache.
pub fn score(func: &str, l: &Loaded, row: &[f64]) -> Result<f64, String> {
    let resolve = |id: i64| -> Result<Rc<Model>, String> { Ok(load_id(func, id).model.clone()) };
    l.model.predict_with(row, &resolve)
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
    score(func, &l, &row).unwrap_or_else(|e| SpineError::internal(format!("{func}: scoring with model \"{name}\": {e}")).raise())
}

/// The SQL that reads the deployed model's features, by name, from its store: `key, ARRAY[...]`.
fn store_query(func: &str, name: &str) -> (Rc<Loaded>, String, String, String) {
    let l = load(func, name);
    let Some(store) = l.store else {
        SpineError::new(PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED, format!("{func}: model \"{name}\" was not trained on a store"))
            .hint("Score it with ml.predict(model, features).")
            .raise()
    };
    let (rel, key_col): (String, String) = Spi::connect(|c| {
        let r = c
            .select("SELECT store::text, key_column FROM audit.store_policies WHERE store = $1", Some(1), &[store.into()])
            .or_raise("reading the store's registration")
            .into_iter()
            .next();
        match r {
            Some(r) => (r.get::<String>(1).or_raise("store").unwrap_or_default(), r.get::<String>(2).or_raise("key").unwrap_or_default()),
            None => SpineError::new(PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE, format!("{func}: the store of model \"{name}\" is not registered any more")).raise(),
        }
    });
    let types = Spi::connect(|c| crate::governance::store::columns(&c, store));
    let cols: Vec<String> = l
        .features
        .iter()
        .map(|f| {
            let q = format!("s.{}", pgrx::spi::quote_identifier(f));
            match types.iter().find(|c| &c.name == f) {
                Some(c) if c.type_name == "boolean" => format!("({q})::int::float8"),
                _ => format!("({q})::float8"),
            }
        })
        .collect();
    let sql = format!("SELECT (s.{k})::int8, ARRAY[{}]::float8[] FROM {rel} s", cols.join(", "), k = pgrx::spi::quote_identifier(&key_col));
    (l, sql, rel, key_col)
}

/// Scores every row of the deployed model's store: (key, score).
pub fn score_store(func: &str, name: &str) -> Vec<(i64, f64)> {
    let (_, sql, _, _) = store_query(func, name);
    let rows: Vec<(i64, Vec<Option<f64>>)> = Spi::connect(|c| {
        c.select(&sql, None, &[])
            .or_raise("reading the store's features")
            .filter_map(|r| Some((r.get::<i64>(1).ok()??, r.get::<Vec<Option<f64>>>(2).ok()??)))
            .collect()
    });
    rows.into_iter().map(|(k, x)| (k, predict(func, name, &x))).collect()
}

/// Scores the store row of `key` with the deployed `name` (its features read by name from the
/// store it was trained on). NULL features follow the model's impute rule.
pub fn score_key(func: &str, name: &str, key: i64) -> f64 {
    let (_, sql, rel, key_col) = store_query(func, name);
    let sql = format!("SELECT q.a FROM ({sql} WHERE s.{} = $1) AS q(k, a)", pgrx::spi::quote_identifier(&key_col));
    let row = Spi::get_one_with_args::<Vec<Option<f64>>>(&format!("SELECT ({sql})"), &[key.into()]).or_raise("reading the listing's features");
    let Some(x) = row else {
        SpineError::new(PgSqlErrorCode::ERRCODE_NO_DATA_FOUND, format!("{func}: {rel} has no row with {key_col} = {key}"))
            .hint("The listing is not in the store (unknown id, or not yet first seen).")
            .raise()
    };
    predict(func, name, &x)
}

//! `ml.predict(model, features)`: the deployed version of a model, parsed once per backend and
//! kept in a bounded cache. A deploy or rollback sends a relcache invalidation for
//! `ml.deployments`, which every backend receives at commit and which empties its cache: no
//! model is reloaded per call, and none is used after it was replaced. Imported ONNX models are
//! cached as ONNX Runtime sessions (at most MAX_ONNX_SESSIONS per backend, least recently used
//! evicted first); embedding models are reached through the same cache.

use super::artifact::Model;
use super::onnx::model::OnnxModel;
use crate::common::error::{OrRaise, SpineError};
use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::PgSqlErrorCode;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// Models kept per backend; one more evicts the least recently used.
pub const MAX_MODELS: usize = 32;
/// ONNX Runtime sessions kept per backend (a sentence encoder holds tens of MB); one more evicts
/// the least recently used ONNX model.
pub const MAX_ONNX_SESSIONS: usize = 4;

pub enum Scorer {
    Native(Rc<Model>),
    Onnx(OnnxModel),
}

pub struct Loaded {
    pub model_id: i64,
    pub version: i32,
    pub task: String,
    pub features: Vec<String>,
    pub scorer: Scorer,
    /// the store it was trained on (native models)
    pub store: Option<pg_sys::Oid>,
    /// the classes of an image classifier, in output order (empty otherwise)
    pub labels: Vec<String>,
}

struct Entry {
    loaded: Rc<Loaded>,
    used: u64,
}

thread_local! {
    static MODELS: RefCell<HashMap<String, Entry>> = RefCell::new(HashMap::new());
    static TICK: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
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
    // a read-only SPI client: Spi::get_one would assign a transaction id, which a parallel
    // worker (ml.predict is parallel safe) must not
    let oid = Spi::connect(|c| c.select("SELECT 'ml.deployments'::regclass::oid", Some(1), &[]).and_then(|r| r.first().get_one::<pg_sys::Oid>()))
        .or_raise("finding ml.deployments")
        .unwrap_or(pg_sys::InvalidOid);
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
    load_where(func, name, "JOIN ml.deployments d USING (model_id) WHERE d.name = $1", name.into(), &format!("deployed model named \"{name}\""))
}

/// A registered version by id (what a stacked model was trained on).
pub fn load_id(func: &str, model_id: i64) -> Rc<Loaded> {
    load_where(func, &format!("#{model_id}"), "WHERE m.model_id = $1", model_id.into(), &format!("model with id {model_id}"))
}

/// A native model's parsed form (a stack's inputs).
pub fn native(func: &str, l: &Loaded) -> Rc<Model> {
    match &l.scorer {
        Scorer::Native(m) => m.clone(),
        Scorer::Onnx(_) => SpineError::new(PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED, format!("{func}: model id {} is an ONNX model; stacks combine native models", l.model_id)).raise(),
    }
}

fn resolver(func: &str) -> impl Fn(i64) -> Result<Rc<Model>, String> + '_ {
    move |id| Ok(native(func, &load_id(func, id)))
}

fn load_where(func: &str, name: &str, filter: &str, arg: pgrx::datum::DatumWithOid<'_>, what: &str) -> Rc<Loaded> {
    deployments_oid();
    let tick = TICK.with(|t| {
        t.set(t.get() + 1);
        t.get()
    });
    if let Some(l) = MODELS.with(|m| {
        m.borrow_mut().get_mut(name).map(|e| {
            e.used = tick;
            e.loaded.clone()
        })
    }) {
        return l;
    }
    let row = Spi::connect(|c| {
        c.select(
            &format!("SELECT m.model_id, m.version, m.features, m.artifact, m.artifact_format, m.task, m.params, m.store::oid FROM ml.models m {filter}"),
            Some(1),
            &[arg],
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
                r.get::<String>(6).or_raise("task").unwrap_or_default(),
                r.get::<pgrx::JsonB>(7).or_raise("params").map(|j| j.0).unwrap_or_default(),
                r.get::<pg_sys::Oid>(8).or_raise("store"),
            )
        })
    });
    let Some((model_id, version, features, artifact, format, task, params, store)) = row else {
        SpineError::new(PgSqlErrorCode::ERRCODE_UNDEFINED_OBJECT, format!("{func}: no {what}"))
            .hint("ml.train or ml.import_onnx registers and deploys one; SELECT * FROM ml.model_status lists them.")
            .raise()
    };
    let unreadable = |e: String| -> ! {
        SpineError::new(PgSqlErrorCode::ERRCODE_DATA_CORRUPTED, format!("{func}: the artifact of model \"{name}\" version {version} is unreadable: {e}"))
            .hint("Re-train, re-import or deploy another version.")
            .raise()
    };
    let scorer = match format.as_str() {
        "spine-json-v1" => Scorer::Native(Rc::new(serde_json::from_slice(&artifact).unwrap_or_else(|e| unreadable(e.to_string())))),
        "onnx" => Scorer::Onnx(super::onnx::load(func, &artifact, &params).unwrap_or_else(|e| unreadable(e))),
        other => SpineError::new(PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED, format!("{func}: model \"{name}\" version {version} is in format {other}, which this build cannot score")).raise(),
    };
    let labels: Vec<String> = params.get("labels").and_then(serde_json::Value::as_array).map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()).unwrap_or_default();
    let loaded = Rc::new(Loaded { model_id, version, task, features, scorer, store, labels });
    MODELS.with(|m| {
        let mut m = m.borrow_mut();
        let is_onnx = matches!(loaded.scorer, Scorer::Onnx(_));
        let onnx_count = m.values().filter(|e| matches!(e.loaded.scorer, Scorer::Onnx(_))).count();
        if m.len() >= MAX_MODELS || (is_onnx && onnx_count >= MAX_ONNX_SESSIONS) {
            // least recently used of the kind that is full
            let victim = m
                .iter()
                .filter(|(_, e)| m.len() >= MAX_MODELS || matches!(e.loaded.scorer, Scorer::Onnx(_)))
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone());
            if let Some(v) = victim {
                m.remove(&v);
            }
        }
        m.insert(name.to_string(), Entry { loaded: loaded.clone(), used: tick });
    });
    loaded
}

/// Names of the models this backend has cached, ONNX ones marked (for tests and diagnostics).
pub fn cached() -> Vec<(String, bool)> {
    let mut v: Vec<(String, bool)> = MODELS.with(|m| m.borrow().iter().map(|(k, e)| (k.clone(), matches!(e.loaded.scorer, Scorer::Onnx(_)))).collect());
    v.sort();
    v
}

fn wrong_kind(func: &str, name: &str, l: &Loaded, use_instead: &str) -> ! {
    let what = if l.task == "embedding" { format!("{} embedding", l.features.join("/")) } else { l.task.clone() };
    let article = if what.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    SpineError::new(PgSqlErrorCode::ERRCODE_WRONG_OBJECT_TYPE, format!("{func}: model \"{name}\" version {} is {article} {what} model", l.version))
        .hint(use_instead.to_string())
        .raise()
}

fn onnx_failed(func: &str, name: &str, l: &Loaded, e: String) -> ! {
    SpineError::new(PgSqlErrorCode::ERRCODE_EXTERNAL_ROUTINE_EXCEPTION, format!("{func}: model \"{name}\" version {}: {e}", l.version))
        .hint("The model was validated at import; check its inputs (features in ml.models.features order).")
        .raise()
}

/// One feature vector as model input: NULLs filled with the training means when a native model
/// imputes, otherwise refused naming the feature. Native models need finite values; ONNX
/// models get NaN and infinities as they are (an exported imputer reads NaN as missing).
fn row(func: &str, name: &str, l: &Loaded, x: &[Option<f64>], row_no: Option<usize>, out: &mut Vec<f64>) {
    let at = |j: usize| match row_no {
        Some(r) => format!("row {} feature {} ({})", r + 1, j + 1, l.features[j]),
        None => format!("feature {} ({})", j + 1, l.features[j]),
    };
    let impute = match &l.scorer {
        Scorer::Native(m) => m.impute().as_ref(),
        Scorer::Onnx(_) => None,
    };
    let native = matches!(l.scorer, Scorer::Native(_));
    for (j, v) in x.iter().enumerate() {
        match (v, impute) {
            (Some(v), _) if v.is_finite() || !native => out.push(*v),
            (Some(v), _) => SpineError::invalid(format!("{func}: {} is {v}", at(j))).hint("Features must be finite numbers.").raise(),
            (None, Some(means)) => out.push(means[j]),
            (None, None) => SpineError::new(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, format!("{func}: {} is NULL", at(j)))
                .hint(if native {
                    "Model trained with impute = error: pass every feature (or train with params => '{\"impute\": \"mean\"}')."
                } else {
                    "ONNX models get every feature: fill NULLs before scoring (coalesce), or export a model with an imputer and pass 'NaN'."
                })
                .raise(),
        }
    }
    let _ = name;
}

fn scoring_model<'a>(func: &str, name: &str, l: &'a Loaded) -> Option<&'a OnnxModel> {
    match &l.scorer {
        Scorer::Native(_) => None,
        Scorer::Onnx(m) => match m.kind {
            super::onnx::model::Kind::Tabular(_) => Some(m),
            _ => wrong_kind(func, name, l, &format!("Embed with ml.embed_{}('{name}', ...).", l.features.first().map(String::as_str).unwrap_or("text"))),
        },
    }
}

/// Scores one feature vector.
pub fn predict(func: &str, name: &str, x: &[Option<f64>]) -> f64 {
    let l = load(func, name);
    let onnx = scoring_model(func, name, &l);
    if x.len() != l.features.len() {
        SpineError::invalid(format!("{func}: model \"{name}\" takes {} features, got {}", l.features.len(), x.len()))
            .detail(format!("features in order: {}", l.features.join(", ")))
            .hint("Pass the features in the order ml.models.features lists them.")
            .raise()
    }
    let mut r = Vec::with_capacity(x.len());
    row(func, name, &l, x, None, &mut r);
    match (&l.scorer, onnx) {
        (_, Some(m)) => m.score(&r, r.len()).map(|v| v[0]).unwrap_or_else(|e| onnx_failed(func, name, &l, e)),
        (Scorer::Native(m), None) => m.predict_with(&r, &resolver(func)).unwrap_or_else(|e| SpineError::internal(format!("{func}: scoring with model \"{name}\": {e}")).raise()),
        (Scorer::Onnx(_), None) => unreachable!("scoring_model returns every ONNX scorer"),
    }
}

/// Scores rows × features values (row-major), one prediction per row.
pub fn predict_batch(func: &str, name: &str, x: &[Option<f64>]) -> Vec<f64> {
    let l = load(func, name);
    let onnx = scoring_model(func, name, &l);
    let n = l.features.len();
    if n == 0 || !x.len().is_multiple_of(n) {
        SpineError::invalid(format!("{func}: model \"{name}\" takes {n} features per row; {} values are not whole rows", x.len()))
            .detail(format!("features in order: {}", l.features.join(", ")))
            .hint("Pass ARRAY[[f1, f2, ...], ...] with one row of the model's features per prediction.")
            .raise()
    }
    let mut flat = Vec::with_capacity(x.len());
    for (i, r) in x.chunks(n).enumerate() {
        row(func, name, &l, r, Some(i), &mut flat);
    }
    match (&l.scorer, onnx) {
        (_, Some(m)) => m.score(&flat, n).unwrap_or_else(|e| onnx_failed(func, name, &l, e)),
        (Scorer::Native(m), None) => flat
            .chunks(n)
            .map(|r| m.predict_with(r, &resolver(func)).unwrap_or_else(|e| SpineError::internal(format!("{func}: scoring with model \"{name}\": {e}")).raise()))
            .collect(),
        (Scorer::Onnx(_), None) => unreachable!("scoring_model returns every ONNX scorer"),
    }
}

fn embedding_model<'a>(func: &str, name: &str, l: &'a Loaded, kind: &str) -> &'a OnnxModel {
    let ok = |m: &OnnxModel| matches!((&m.kind, kind), (super::onnx::model::Kind::Text(..), "text") | (super::onnx::model::Kind::Image(_), "image"));
    match &l.scorer {
        Scorer::Onnx(m) if ok(m) => m,
        _ if l.task == "embedding" => wrong_kind(func, name, l, &format!("Embed with ml.embed_{}('{name}', ...).", l.features.first().map(String::as_str).unwrap_or("text"))),
        _ => wrong_kind(func, name, l, &format!("Score with ml.predict('{name}', features); ml.import_onnx_embedding registers {kind} models.")),
    }
}

/// Embeddings of texts with the deployed text model `name`.
pub fn embed_texts(func: &str, name: &str, texts: &[&str]) -> Vec<Vec<f32>> {
    let l = load(func, name);
    let m = embedding_model(func, name, &l, "text");
    m.embed_texts(texts).unwrap_or_else(|e| onnx_failed(func, name, &l, e))
}

/// Class probabilities of an encoded image with the deployed image classifier `name`:
/// (label, probability) in the model's label order, and the model version. Scores that are not
/// already a probability distribution (each in [0, 1], summing to 1 within 1e-4) are logits and
/// go through a softmax.
pub fn classify_image(func: &str, name: &str, image: &[u8]) -> (Vec<(String, f64)>, i32) {
    let l = load(func, name);
    if l.task != "image_classification" {
        wrong_kind(func, name, &l, "ml.import_onnx_image_classifier registers image classifiers.")
    }
    let Scorer::Onnx(m) = &l.scorer else { wrong_kind(func, name, &l, "ml.import_onnx_image_classifier registers image classifiers.") };
    let scores = m.embed_images(&[image]).unwrap_or_else(|(i, e)| match i {
        Some(_) => SpineError::invalid(format!("{func}: the image cannot be used: {e}")).hint("Pass PNG or JPEG bytes (at most 16384 pixels a side).").raise(),
        None => onnx_failed(func, name, &l, e),
    });
    let row: Vec<f64> = scores.into_iter().next().unwrap_or_default().into_iter().map(f64::from).collect();
    if row.len() != l.labels.len() {
        SpineError::new(PgSqlErrorCode::ERRCODE_DATA_CORRUPTED, format!("{func}: model \"{name}\" returned {} scores for {} labels", row.len(), l.labels.len())).raise()
    }
    let probs = probabilities(&row);
    (l.labels.iter().cloned().zip(probs).collect(), l.version)
}

/// Scores as probabilities: unchanged when they already are a distribution, else a softmax.
pub fn probabilities(scores: &[f64]) -> Vec<f64> {
    let sum: f64 = scores.iter().sum();
    if scores.iter().all(|p| (0.0..=1.0).contains(p)) && (sum - 1.0).abs() <= 1e-4 {
        return scores.to_vec();
    }
    let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exps: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
    let total: f64 = exps.iter().sum();
    exps.iter().map(|e| e / total).collect()
}

/// Embeddings of encoded images with the deployed image model `name`.
pub fn embed_images(func: &str, name: &str, images: &[&[u8]]) -> Vec<Vec<f32>> {
    let l = load(func, name);
    let m = embedding_model(func, name, &l, "image");
    m.embed_images(images).unwrap_or_else(|(i, e)| match i {
        Some(i) => SpineError::invalid(format!("{func}: image {} cannot be used: {e}", i + 1)).hint("Pass PNG or JPEG bytes (at most 16384 pixels a side).").raise(),
        None => onnx_failed(func, name, &l, e),
    })
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
    let cols: Vec<String> = l.features.iter().map(|f| crate::governance::store::feature_expr(&types, f)).collect();
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
    // read-only SPI (ml.score_listing is parallel safe: Spi::get_one_with_args would assign an XID)
    let row = Spi::connect(|c| c.select(&format!("SELECT ({sql})"), Some(1), &[key.into()]).and_then(|r| r.first().get_one::<Vec<Option<f64>>>()))
        .or_raise("reading the listing's features");
    let Some(x) = row else {
        SpineError::new(PgSqlErrorCode::ERRCODE_NO_DATA_FOUND, format!("{func}: {rel} has no row with {key_col} = {key}"))
            .hint("The listing is not in the store (unknown id, or not yet first seen).")
            .raise()
    };
    predict(func, name, &x)
}

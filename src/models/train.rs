//! `ml.train`: read a certified store, split it by time, fit, evaluate on the later part,
//! register the version with its lineage (and deploy it). The SQL wrapper in sql/050_models.sql
//! runs `audit.require_certified_strict` first; `ml._train` refuses to run without that pass in
//! the same transaction (a backend-local proof no SQL can forge).

use super::artifact::{breslow, Model};
use super::forest::{self, ForestParams};
use super::{logistic, metrics, woe};
use crate::common::error::{OrRaise, SpineError};
use crate::common::regclass::RegClass;
use pgrx::prelude::*;
use pgrx::spi::quote_identifier;
use pgrx::PgSqlErrorCode;
use serde_json::{json, Map, Value};

const F: &str = "ml.train";
pub const ALGORITHMS: &[&str] = &["logistic_regression", "random_forest", "coxph", "woe_scorecard", "stack"];

fn invalid(msg: String, hint: &str) -> ! {
    SpineError::invalid(format!("{F}: {msg}")).hint(hint.to_string()).raise()
}

/// Training options from `params`, every key checked.
#[derive(Debug, Clone)]
pub struct Options {
    pub holdout: f64,
    pub impute_mean: bool,
    pub deploy: bool,
    pub balanced: bool,
    pub c: f64,
    pub standardize: bool,
    pub forest: ForestParams,
    pub event: Option<String>,
    pub bins: i32,
    pub target_precision: Option<f64>,
    /// stack: the deployed models whose outputs are inputs
    pub inputs: Vec<String>,
}

pub fn options(algorithm: &str, params: &Value) -> Result<Options, String> {
    let empty = Map::new();
    let m = match params {
        Value::Object(m) => m,
        Value::Null => &empty,
        other => return Err(format!("params must be a JSON object, got {other}")),
    };
    let common = ["holdout", "impute", "deploy", "target_precision"];
    let own: &[&str] = match algorithm {
        "logistic_regression" => &["c", "standardize", "class_weight"],
        "random_forest" => &["n_trees", "max_depth", "min_samples_leaf", "max_features", "seed"],
        "coxph" => &["event"],
        "woe_scorecard" => &["bins", "c"],
        "stack" => &["inputs", "c"],
        _ => &[],
    };
    if let Some(k) = m.keys().find(|k| !common.contains(&k.as_str()) && !own.contains(&k.as_str())) {
        return Err(format!("unknown param \"{k}\" for {algorithm} (known: {})", common.iter().chain(own).cloned().collect::<Vec<_>>().join(", ")));
    }
    let num = |k: &str, d: f64| -> Result<f64, String> {
        match m.get(k) {
            None | Some(Value::Null) => Ok(d),
            Some(v) => v.as_f64().ok_or_else(|| format!("param \"{k}\" must be a number, got {v}")),
        }
    };
    let boolean = |k: &str, d: bool| -> Result<bool, String> {
        match m.get(k) {
            None | Some(Value::Null) => Ok(d),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(format!("param \"{k}\" must be true or false, got {v}")),
        }
    };
    let holdout = num("holdout", 0.2)?;
    if !(0.05..=0.5).contains(&holdout) {
        return Err(format!("param \"holdout\" must be between 0.05 and 0.5, got {holdout}"));
    }
    let impute_mean = match m.get("impute").and_then(Value::as_str) {
        None => match m.get("impute") {
            None | Some(Value::Null) => false,
            Some(v) => return Err(format!("param \"impute\" must be \"error\" or \"mean\", got {v}")),
        },
        Some("mean") => true,
        Some("error") => false,
        Some(v) => return Err(format!("param \"impute\" must be \"error\" or \"mean\", got \"{v}\"")),
    };
    let balanced = match m.get("class_weight") {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) if s == "balanced" => true,
        Some(v) => return Err(format!("param \"class_weight\" must be \"balanced\" or null, got {v}")),
    };
    let c = num("c", 1.0)?;
    if !(c > 0.0) {
        return Err(format!("param \"c\" must be positive, got {c}"));
    }
    let d = ForestParams::default();
    let int = |k: &str, dflt: f64| -> Result<f64, String> {
        let v = num(k, dflt)?;
        if v.fract() != 0.0 || v < 0.0 {
            return Err(format!("param \"{k}\" must be a non-negative integer, got {v}"));
        }
        Ok(v)
    };
    let forest = ForestParams {
        n_trees: int("n_trees", d.n_trees as f64)? as usize,
        max_depth: int("max_depth", d.max_depth as f64)?.min(u16::MAX as f64) as u16,
        min_samples_leaf: int("min_samples_leaf", d.min_samples_leaf as f64)? as usize,
        max_features: num("max_features", d.max_features)?,
        seed: int("seed", d.seed as f64)? as u64,
    };
    let event = m.get("event").and_then(Value::as_str).map(str::to_string);
    if algorithm == "coxph" && event.is_none() {
        return Err("coxph needs param \"event\": the boolean column that says the event happened (e.g. \"label_event\")".into());
    }
    let bins = int("bins", 10.0)? as i32;
    let target_precision = match m.get("target_precision") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_f64() {
            Some(p) if p > 0.0 && p < 1.0 => Some(p),
            _ => return Err(format!("param \"target_precision\" must be a probability, got {v}")),
        },
    };
    let inputs: Vec<String> = match m.get("inputs") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.iter().map(|v| v.as_str().map(str::to_string).ok_or_else(|| format!("param \"inputs\" must list model names, got {v}"))).collect::<Result<_, _>>()?,
        Some(v) => return Err(format!("param \"inputs\" must be an array of model names, got {v}")),
    };
    if algorithm == "stack" && inputs.is_empty() {
        return Err("stack needs param \"inputs\": the deployed models whose outputs it combines, e.g. [\"slow21_gate\", \"survival_time\"]".into());
    }
    Ok(Options { holdout, impute_mean, deploy: boolean("deploy", true)?, balanced, c, standardize: boolean("standardize", true)?, forest, event, bins, target_precision, inputs })
}

struct Data {
    /// row-major, p columns; NaN = NULL
    x: Vec<f64>,
    p: usize,
    /// binary target, or durations for coxph
    y: Vec<f64>,
    events: Vec<bool>,
    dropped_without_label: usize,
}

fn column_kind(store: &str, cols: &[(String, String)], name: &str) -> String {
    match cols.iter().find(|(n, _)| n == name) {
        Some((_, cat)) => cat.clone(),
        None => SpineError::new(PgSqlErrorCode::ERRCODE_UNDEFINED_COLUMN, format!("{F}: {store} has no column \"{name}\""))
            .hint("Name columns of the store exactly (SELECT * FROM the store LIMIT 0 shows them).")
            .raise(),
    }
}

/// The column as float8 (booleans as 0/1).
fn read(store: &str, columns: &[crate::governance::store::Column], key: &str, t0: &str, target: &str, event: Option<&str>, features: &[String]) -> Data {
    let as_float = |name: &str| crate::governance::store::feature_expr(columns, name);
    let fx: Vec<String> = features.iter().map(|f| as_float(f)).collect();
    let ev = event.map(|e| format!("(s.{})::bool", quote_identifier(e))).unwrap_or_else(|| "true".into());
    let sql = format!(
        "SELECT {t}, {ev}, {} FROM {store} s ORDER BY s.{t0}, s.{k}",
        fx.join(", "),
        t = as_float(target),
        t0 = quote_identifier(t0),
        k = quote_identifier(key),
    );
    let p = features.len();
    Spi::connect(|c| {
        let rows = c.select(&sql, None, &[]).or_raise("reading the training data");
        let mut d = Data { x: Vec::with_capacity(rows.len() * p), p, y: Vec::with_capacity(rows.len()), events: Vec::new(), dropped_without_label: 0 };
        for r in rows {
            let y = r.get::<f64>(1).or_raise("reading the target");
            let e = r.get::<bool>(2).or_raise("reading the event column");
            let (Some(y), Some(e)) = (y, e) else {
                d.dropped_without_label += 1;
                continue;
            };
            d.y.push(y);
            d.events.push(e);
            for j in 0..p {
                d.x.push(r.get::<f64>(j + 3).or_raise("reading a feature").unwrap_or(f64::NAN));
            }
        }
        d
    })
}

pub fn train(model: Option<String>, store: Option<RegClass>, target: Option<String>, algorithm: Option<String>, features: Option<Vec<Option<String>>>, params: Option<pgrx::JsonB>) -> i64 {
    let need = |v: Option<String>, what: &str| -> String {
        v.unwrap_or_else(|| SpineError::new(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, format!("{F}: {what} must not be NULL")).hint("ml.train('slow21', 'ml.fusion_feature_store_t0_v1_v', 'label_slow21', 'logistic_regression')").raise())
    };
    let (model, target, algorithm) = (need(model, "model"), need(target, "target"), need(algorithm, "algorithm"));
    let rel = crate::hashing::relation::lookup(store, F, &["r", "p", "v", "m", "f"]);
    if !ALGORITHMS.contains(&algorithm.as_str()) {
        invalid(format!("unknown algorithm \"{algorithm}\""), &format!("One of: {} (ONNX models come in through ml.import_onnx).", ALGORITHMS.join(", ")));
    }
    if !model.chars().next().is_some_and(|c| c.is_ascii_lowercase()) || !model.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') || model.len() > 63 {
        invalid(format!("model name \"{model}\" is not a lowercase identifier"), "Use letters, digits and underscores, starting with a letter, e.g. slow21_gate.");
    }
    let Some(cert_id) = crate::governance::cache::strict_pass(rel.oid) else {
        SpineError::new(PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE, format!("{F}: {} has not passed audit.require_certified_strict in this transaction", rel.name))
            .hint("Call ml.train(...), which runs the strict guard first; ml._train is its internal half.")
            .raise()
    };
    let opts = options(&algorithm, &params.map(|j| j.0).unwrap_or(Value::Null)).unwrap_or_else(|e| invalid(e, "See the README's ml.train params table."));
    let caller = crate::governance::verdict::caller();
    let can_read = Spi::get_one_with_args::<bool>("SELECT pg_catalog.has_table_privilege($1, $2::oid, 'SELECT')", &[caller.clone().into(), rel.oid.into()])
        .or_raise("checking the caller's privileges");
    if can_read != Some(true) {
        SpineError::new(PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE, format!("{F}: {caller} may not read {}", rel.name)).hint("GRANT SELECT on the store to the training role.").raise()
    }
    let (key, t0, labels): (String, String, Vec<String>) = Spi::connect(|c| {
        let r = c
            .select("SELECT key_column, t0_column, label_columns FROM audit.store_policies WHERE store = $1", Some(1), &[rel.oid.into()])
            .or_raise("reading the store's registration")
            .into_iter()
            .next();
        match r {
            Some(r) => (
                r.get::<String>(1).or_raise("key").unwrap_or_default(),
                r.get::<String>(2).or_raise("t0").unwrap_or_default(),
                r.get::<Vec<String>>(3).or_raise("labels").unwrap_or_default(),
            ),
            None => SpineError::new(PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE, format!("{F}: {} is not registered", rel.name)).raise(),
        }
    });
    let columns = Spi::connect(|c| crate::governance::store::columns(&c, rel.oid));
    let cols: Vec<(String, String)> = columns
        .iter()
        .map(|c| {
            // booleans train as 0/1; text and other types do not train
            let kind = if c.type_name == "boolean" { "Boolean" } else if c.kind == crate::governance::store::Kind::Numeric { "Numeric" } else { "Other" }.to_string();
            (c.name.clone(), kind)
        })
        .collect();
    let target_kind = column_kind(&rel.name, &cols, &target);
    let event = opts.event.clone();
    if let Some(e) = &event {
        column_kind(&rel.name, &cols, e);
    }
    let mut features: Vec<String> = match features {
        Some(f) => crate::common::args::no_nulls(F, "features", Some(f)),
        None if algorithm == "stack" => Vec::new(),
        None => cols
            .iter()
            .filter(|(n, k)| k == "Numeric" && *n != key && *n != t0 && *n != target && !labels.contains(n) && Some(n) != event.as_ref())
            .map(|(n, _)| n.clone())
            .collect(),
    };
    // a stack reads its raw features and every input model's features
    let n_raw = features.len();
    let mut stack_inputs = Vec::new();
    for name in &opts.inputs {
        let l = super::predict::load(F, name);
        let mut index = Vec::new();
        for f in &l.features {
            let pos = match features.iter().position(|x| x == f) {
                Some(p) => p,
                None => {
                    features.push(f.clone());
                    features.len() - 1
                }
            };
            index.push(pos);
        }
        stack_inputs.push(super::artifact::StackInput { name: name.clone(), model_id: l.model_id, index });
    }
    if features.is_empty() {
        invalid(format!("no features: {} has no numeric column besides key, T0 and labels", rel.name), "Pass features => ARRAY[...] explicitly.");
    }
    for f in &features {
        let k = column_kind(&rel.name, &cols, f);
        if k != "Numeric" && k != "Boolean" {
            invalid(format!("feature \"{f}\" of {} is not numeric or boolean", rel.name), "Features are numeric (or boolean) columns; encode categories in the store.");
        }
        if labels.contains(f) || f == &target {
            invalid(format!("feature \"{f}\" is a label of {}: training on it leaks the outcome", rel.name), "Remove label columns from features.");
        }
    }
    if algorithm != "coxph" && target_kind != "Boolean" {
        invalid(format!("target \"{target}\" must be boolean"), "Binary classifiers predict a boolean label column, e.g. label_slow21.");
    }
    let data = read(&rel.name, &columns, &key, &t0, &target, event.as_deref(), &features);
    let (fitted, metrics) = fit_and_evaluate(&algorithm, &opts, &data, &features, &stack_inputs, n_raw);
    let dataset_hash = Spi::get_one_with_args::<String>("SELECT audit.dataset_hash($1::oid::regclass)", &[rel.oid.into()]).or_raise("hashing the training data");
    let mut params_out = json!({"holdout": opts.holdout, "impute": if opts.impute_mean { "mean" } else { "error" }});
    if let Some(tp) = opts.target_precision {
        params_out["target_precision"] = json!(tp);
    }
    match algorithm.as_str() {
        "logistic_regression" => {
            params_out["c"] = json!(opts.c);
            params_out["standardize"] = json!(opts.standardize);
            params_out["class_weight"] = if opts.balanced { json!("balanced") } else { Value::Null };
        }
        "random_forest" => params_out["forest"] = json!(opts.forest),
        "coxph" => params_out["event"] = json!(event),
        "woe_scorecard" => {
            params_out["bins"] = json!(opts.bins);
            params_out["c"] = json!(opts.c);
        }
        "stack" => {
            params_out["c"] = json!(opts.c);
            params_out["inputs"] = json!(stack_inputs.iter().map(|i| json!({"name": i.name, "model_id": i.model_id})).collect::<Vec<_>>());
        }
        _ => {}
    }
    if let Some(th) = metrics.get("threshold") {
        params_out["threshold"] = th.clone();
    }
    let artifact = serde_json::to_vec(&fitted).or_raise("serializing the model");
    let task = if algorithm == "coxph" { "survival" } else { "binary" };
    super::registry::register(super::registry::NewModel {
        name: model,
        algorithm,
        task: task.into(),
        features,
        target: Some(target),
        params: params_out,
        metrics,
        artifact,
        format: "spine-json-v1".into(),
        store: Some(rel.oid),
        store_name: Some(rel.name.clone()),
        cert_id: Some(cert_id),
        dataset_hash,
        deploy: opts.deploy,
    })
}

/// Fills NULLs (NaN) with the training means, or refuses naming the column.
fn impute(x: &mut [f64], p: usize, n_train: usize, features: &[String], mean: bool) -> Option<Vec<f64>> {
    let n = x.len() / p;
    let mut means = vec![0.0; p];
    for j in 0..p {
        let vals: Vec<f64> = (0..n_train).map(|i| x[i * p + j]).filter(|v| !v.is_nan()).collect();
        means[j] = if vals.is_empty() { 0.0 } else { vals.iter().sum::<f64>() / vals.len() as f64 };
        let nulls = (0..n).filter(|i| x[i * p + j].is_nan()).count();
        if nulls > 0 && !mean {
            invalid(format!("feature \"{}\" is NULL in {nulls} rows", features[j]), "Fix the store, drop the feature, or pass params => '{\"impute\": \"mean\"}' (training means, stored with the model).");
        }
    }
    if !mean {
        return None;
    }
    for i in 0..n {
        for j in 0..p {
            if x[i * p + j].is_nan() {
                x[i * p + j] = means[j];
            }
        }
    }
    Some(means)
}

fn tick() {
    pgrx::check_for_interrupts!();
}

fn fit_and_evaluate(algorithm: &str, o: &Options, d: &Data, features: &[String], inputs: &[super::artifact::StackInput], n_raw: usize) -> (Model, Value) {
    let p = d.p;
    let n = d.y.len();
    if n < 20 {
        invalid(format!("only {n} labelled rows"), "Train on a store with at least 20 labelled rows.");
    }
    let n_train = ((n as f64) * (1.0 - o.holdout)).floor() as usize;
    let mut x = d.x.clone();
    let means = impute(&mut x, p, n_train, features, o.impute_mean);
    let (xtr, xte) = x.split_at(n_train * p);
    let mut m = json!({"rows": n, "train_rows": n_train, "test_rows": n - n_train, "rows_without_label": d.dropped_without_label,
                       "split": "by t0: the earliest rows train, the latest are the holdout"});
    if algorithm == "coxph" {
        let (dtr, dte) = d.y.split_at(n_train);
        let (etr, ete) = d.events.split_at(n_train);
        let fit = super::cox::coxph_with(dtr, etr, xtr, p, &mut tick).unwrap_or_else(|e| invalid(format!("Cox fit: {e}"), "Check for constant or collinear covariates."));
        let centre: Vec<f64> = (0..p).map(|j| (0..n_train).map(|i| xtr[i * p + j]).sum::<f64>() / n_train as f64).collect();
        let (times, cumulative_hazard) = breslow(dtr, etr, xtr, &fit.coef, &centre);
        let model = Model::Cox { coef: fit.coef.clone(), means: centre, times, cumulative_hazard, impute: means };
        // C-index on the holdout: higher predicted median = longer survival (lifelines' convention,
        // scored by the linear predictor's negative to avoid infinite medians)
        let lp: Vec<f64> = (0..n - n_train).map(|i| -(0..p).map(|j| fit.coef[j] * xte[i * p + j]).sum::<f64>()).collect();
        m["c_index"] = json!(super::survival::concordance_index(dte, &lp, ete).ok());
        m["train_concordance"] = json!(fit.concordance);
        m["coef"] = json!(features.iter().cloned().zip(fit.coef.iter().map(|v| json!(v))).collect::<Map<String, Value>>());
        m["p_values"] = json!(features.iter().cloned().zip(fit.p.iter().map(|v| json!(v))).collect::<Map<String, Value>>());
        return (model, m);
    }
    let y: Vec<bool> = d.y.iter().map(|v| *v != 0.0).collect();
    let (ytr, yte) = y.split_at(n_train);
    let model = match algorithm {
        "logistic_regression" => {
            let w: Option<Vec<f64>> = o.balanced.then(|| {
                let pos = ytr.iter().filter(|v| **v).count().max(1) as f64;
                let neg = (n_train as f64 - pos).max(1.0);
                ytr.iter().map(|v| n_train as f64 / (2.0 * if *v { pos } else { neg })).collect()
            });
            let fit = logistic::fit_weighted(xtr, ytr, w.as_deref(), o.c, o.standardize, &mut tick).unwrap_or_else(|e| invalid(format!("logistic fit: {e}"), "Check the features (constant, collinear) and c."));
            Model::Logistic { intercept: fit.intercept, coef: fit.coef, impute: means }
        }
        "stack" => {
            let resolve = |id: i64| -> Result<std::rc::Rc<Model>, String> { Ok(super::predict::native(F, &super::predict::load_id(F, id))) };
            let raw: Vec<usize> = (0..n_raw).collect();
            let design: Vec<f64> = xtr
                .chunks(p)
                .flat_map(|r| Model::stack_row(inputs, &raw, r, &resolve).unwrap_or_else(|e| invalid(format!("stack input: {e}"), "Re-deploy the input models.")))
                .collect();
            let fit = logistic::fit_with(&design, ytr, o.c, true, &mut tick).unwrap_or_else(|e| invalid(format!("stack fit: {e}"), "Check the inputs."));
            Model::Stack { inputs: inputs.to_vec(), raw, intercept: fit.intercept, coef: fit.coef, impute: means, n_features: p }
        }
        "random_forest" => {
            let f = forest::fit(xtr, p, ytr, &o.forest, &mut tick).unwrap_or_else(|e| invalid(format!("random forest: {e}"), "Check params n_trees, max_depth, min_samples_leaf, max_features."));
            Model::Forest { forest: f, impute: means }
        }
        _ => {
            // WOE scorecard: per-feature bins on the training part, then logistic on the WOEs
            let mut edges = Vec::new();
            let mut woes = Vec::new();
            for j in 0..p {
                let col: Vec<f64> = (0..n_train).map(|i| xtr[i * p + j]).collect();
                let bins = woe::woe_bins(&col, ytr, None, o.bins).unwrap_or_else(|e| invalid(format!("WOE bins of {}: {e}", features[j]), "Check the feature."));
                edges.push(bins.iter().skip(1).map(|b| b.lower).collect::<Vec<f64>>());
                woes.push(bins.iter().map(|b| b.woe).collect::<Vec<f64>>());
            }
            let z: Vec<f64> = (0..n_train * p).map(|q| super::artifact::woe_of(&edges[q % p], &woes[q % p], xtr[q])).collect();
            let fit = logistic::fit_with(&z, ytr, o.c, false, &mut tick).unwrap_or_else(|e| invalid(format!("scorecard fit: {e}"), "Fewer bins or fewer features."));
            Model::WoeScorecard { edges, woe: woes, intercept: fit.intercept, coef: fit.coef, impute: means }
        }
    };
    let resolve = |id: i64| -> Result<std::rc::Rc<Model>, String> { Ok(super::predict::native(F, &super::predict::load_id(F, id))) };
    let score = |rows: &[f64]| -> Vec<f64> { rows.chunks(p).map(|r| model.predict_with(r, &resolve).unwrap_or(f64::NAN)).collect() };
    let pte = score(xte);
    let ptr = score(xtr);
    m["auc"] = json!(metrics::auc(yte, &pte));
    m["train_auc"] = json!(metrics::auc(ytr, &ptr));
    m["accuracy"] = json!(metrics::accuracy(yte, &pte, 0.5));
    m["brier"] = json!(metrics::brier(yte, &pte));
    m["log_loss"] = json!(metrics::log_loss(yte, &pte));
    m["positive_rate"] = json!(yte.iter().filter(|v| **v).count() as f64 / yte.len().max(1) as f64);
    m["calibration"] = json!(metrics::calibration(yte, &pte));
    if let Some(target) = o.target_precision {
        // chosen on the training part, reported on the holdout
        match metrics::threshold_for_precision(ytr, &ptr, target) {
            Some((th, _, _)) => {
                let flagged: Vec<bool> = pte.iter().map(|p| *p >= th).collect();
                let tp = flagged.iter().zip(yte).filter(|(f, y)| **f && **y).count() as f64;
                let fl = flagged.iter().filter(|f| **f).count() as f64;
                let pos = yte.iter().filter(|v| **v).count() as f64;
                m["threshold"] = json!(th);
                m["target_precision_reached"] = json!(true);
                m["holdout_precision_at_threshold"] = json!(if fl > 0.0 { Some(tp / fl) } else { None });
                m["holdout_recall_at_threshold"] = json!(if pos > 0.0 { Some(tp / pos) } else { None });
            }
            None => {
                // unreachable: the most precise threshold that still flags at least 5 % of the positives
                let (th, prec, _) = metrics::best_precision_threshold(ytr, &ptr, 0.05).unwrap_or((0.5, 0.0, 0.0));
                pgrx::notice!("{F}: no threshold reaches precision {target} on the training data; using {th:.4} (precision {prec:.3})");
                m["threshold"] = json!(th);
                m["target_precision_reached"] = json!(false);
                m["training_precision_at_threshold"] = json!(prec);
            }
        }
    }
    (model, m)
}

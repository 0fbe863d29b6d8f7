//! `ml.import_onnx` and `ml.import_onnx_embedding`: validate an uploaded graph (protobuf,
//! self-contained, inputs and outputs against what spine feeds and reads, a probe run through
//! ONNX Runtime), then register it as a new version of the name with its plan and provenance,
//! and deploy it.

use super::model::{probe, ProbeInput};
use super::plan::{self, PlanError};
use super::proto::{self, elem, Dim, ModelInfo, PortType};
use super::runtime;
use super::text;
use crate::common::error::{OrRaise, SpineError};
use crate::models::registry::{register, NewModel};
use pgrx::prelude::*;
use pgrx::PgSqlErrorCode;
use serde_json::{json, Map, Value};

const BYTES_HINT: &str = "Pass the .onnx file's bytes: pg_read_binary_file('/path/model.onnx') as a superuser, or from psql: \\set m `base64 -w0 model.onnx` then decode(:'m', 'base64').";

fn null(func: &str, what: &str, hint: &str) -> ! {
    SpineError::new(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, format!("{func}: {what} must not be NULL")).hint(hint).raise()
}

pub fn check_name(func: &str, name: Option<String>) -> String {
    let Some(name) = name else { null(func, "model", "Name the model, e.g. 'price_gate'.") };
    let ok = name.len() <= 63
        && name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        SpineError::invalid(format!("{func}: model name \"{name}\" is not a lower-case identifier")).hint("Use a-z, 0-9 and _, starting with a letter, at most 63 characters.").raise()
    }
    name
}

fn parse(func: &str, onnx: Option<Vec<u8>>) -> (Vec<u8>, ModelInfo) {
    let Some(bytes) = onnx else { null(func, "onnx", BYTES_HINT) };
    let info = proto::parse_model(&bytes).unwrap_or_else(|e| {
        SpineError::invalid(format!("{func}: the bytes are not a valid ONNX model: {e}")).detail(format!("{} bytes", bytes.len())).hint(BYTES_HINT).raise()
    });
    if !info.external_data.is_empty() {
        SpineError::invalid(format!("{func}: the model keeps tensors in external files ({}); an imported model must be self-contained", info.external_data.join(", ")))
            .hint("Save it with all tensors inside: onnx.save_model(model, path, save_as_external_data=False) (models over 2 GB cannot be imported).")
            .raise()
    }
    (bytes, info)
}

fn session(func: &str, bytes: &[u8]) -> ort::session::Session {
    runtime::session(func, bytes).unwrap_or_else(|e| {
        SpineError::invalid(format!("{func}: ONNX Runtime cannot load the model: {e}"))
            .hint("Check that it loads in Python onnxruntime 1.31 (custom operators are not supported).")
            .raise()
    })
}

fn plan_error(func: &str, e: PlanError, info: &ModelInfo) -> ! {
    let ports = |ps: &[proto::Port]| ps.iter().map(|p| format!("{} {}", p.name, p.ty.describe())).collect::<Vec<_>>().join(", ");
    SpineError::invalid(format!("{func}: {}", e.message)).detail(format!("inputs: {}; outputs: {}", ports(&info.inputs), ports(&info.outputs))).hint(e.hint).raise()
}

/// Shape of a probe input: fixed dims as declared, the others from `fill(position)`.
fn probe_shape(dims: &Option<Vec<Dim>>, rank: usize, fill: &dyn Fn(usize) -> i64) -> Vec<i64> {
    match dims {
        Some(d) => d.iter().enumerate().map(|(i, d)| if let Dim::Fixed(k) = d { *k } else { fill(i) }).collect(),
        None => (0..rank).map(fill).collect(),
    }
}

fn probe_input(e: i32, shape: Vec<i64>) -> Option<ProbeInput> {
    match e {
        elem::FLOAT => Some(ProbeInput::Float(shape)),
        elem::DOUBLE => Some(ProbeInput::Double(shape)),
        elem::INT64 => Some(ProbeInput::Int64(shape)),
        elem::INT32 => Some(ProbeInput::Int32(shape)),
        _ => None,
    }
}

/// Feeds zeros through the graph and returns the output shapes. Err(None): an input is of a
/// type spine never feeds (the plan reports it); Err(Some(e)): the run failed.
fn probe_run(func: &str, bytes: &[u8], info: &ModelInfo, fill: impl Fn(usize) -> i64) -> Result<Vec<(String, Vec<i64>)>, Option<String>> {
    let mut inputs = Vec::new();
    for p in &info.inputs {
        let PortType::Tensor { elem: e, dims } = &p.ty else { return Err(None) };
        let rank = dims.as_ref().map(Vec::len).unwrap_or(2);
        let Some(input) = probe_input(*e, probe_shape(dims, rank, &fill)) else { return Err(None) };
        inputs.push((p.name.clone(), input));
    }
    let mut s = session(func, bytes);
    probe(&mut s, inputs).map_err(Some)
}

fn provenance(info: &ModelInfo, bytes: &[u8]) -> Value {
    let sha = Spi::get_one_with_args::<String>("SELECT pg_catalog.encode(pg_catalog.sha256($1), 'hex')", &[bytes.to_vec().into()]).or_raise("hashing the model").unwrap_or_default();
    let opsets: Map<String, Value> = info.opsets.iter().map(|(d, v)| (if d.is_empty() { "ai.onnx".to_string() } else { d.clone() }, json!(v))).collect();
    json!({
        "producer": format!("{} {}", info.producer_name, info.producer_version).trim(),
        "ir_version": info.ir_version,
        "opsets": opsets,
        "graph": info.graph_name,
        "inputs": info.inputs.iter().map(|p| format!("{} {}", p.name, p.ty.describe())).collect::<Vec<_>>(),
        "outputs": info.outputs.iter().map(|p| format!("{} {}", p.name, p.ty.describe())).collect::<Vec<_>>(),
        "nodes": info.nodes,
        "bytes": bytes.len(),
        "sha256": sha,
    })
}

fn finish(name: String, task: &str, features: Vec<String>, params: Value, bytes: Vec<u8>) -> i64 {
    register(NewModel {
        name,
        algorithm: "onnx".into(),
        task: task.into(),
        features,
        target: None,
        params,
        metrics: json!({}),
        artifact: bytes,
        format: "onnx".into(),
        store: None,
        store_name: None,
        cert_id: None,
        dataset_hash: None,
        deploy: true,
    })
}

/// ml.import_onnx(model, onnx, features): a binary classifier or regressor over `features`.
pub fn import_tabular(name: Option<String>, onnx: Option<Vec<u8>>, features: Option<Vec<Option<String>>>) -> i64 {
    const F: &str = "ml.import_onnx";
    let name = check_name(F, name);
    let Some(features) = features else { null(F, "features", "Name the model's input columns in order, e.g. ARRAY['price_ratio', 'age_years'].") };
    if features.is_empty() {
        SpineError::invalid(format!("{F}: features is empty")).hint("Name the model's input columns in order, e.g. ARRAY['price_ratio', 'age_years'].").raise()
    }
    if let Some(i) = features.iter().position(Option::is_none) {
        SpineError::new(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, format!("{F}: features[{}] is NULL", i + 1)).hint("Name every feature.").raise()
    }
    let features: Vec<String> = features.into_iter().flatten().collect();
    let mut seen = features.clone();
    seen.sort();
    seen.dedup();
    if seen.len() != features.len() || features.iter().any(|f| f.trim().is_empty()) {
        SpineError::invalid(format!("{F}: feature names must be distinct and non-empty")).detail(format!("features: {}", features.join(", "))).raise()
    }
    let n = features.len();
    let (bytes, info) = parse(F, onnx);
    let declared = plan::plan_tabular(&info, n, &[]);
    if let Err(e) = &declared {
        // a wrong structure is reported before ONNX Runtime sees the graph, unless only the
        // shapes were unknown (the probe settles those)
        if !e.message.starts_with("no output") {
            plan_error(F, e.clone(), &info)
        }
    }
    let probed = probe_run(F, &bytes, &info, |i| if i == 0 { 1 } else { n as i64 });
    let plan = match (probed, declared) {
        (Ok(p), _) => plan::plan_tabular(&info, n, &p).unwrap_or_else(|e| plan_error(F, e, &info)),
        (Err(_), Err(e)) => plan_error(F, e, &info),
        (Err(probe_err), Ok(_)) => SpineError::invalid(format!("{F}: a test run of the model on one row of zeros failed: {}", probe_err.unwrap_or_default()))
            .hint(format!("The graph must accept a [rows, {n}] tensor."))
            .raise(),
    };
    let params = json!({"kind": "tabular", "plan": plan, "onnx": provenance(&info, &bytes)});
    finish(name, plan.task(), features, params, bytes)
}

/// ml.import_onnx_embedding(model, onnx, kind, tokenizer, config): a text or image encoder.
pub fn import_embedding(name: Option<String>, onnx: Option<Vec<u8>>, kind: Option<String>, tokenizer: Option<String>, config: Option<pgrx::JsonB>) -> i64 {
    const F: &str = "ml.import_onnx_embedding";
    let name = check_name(F, name);
    let Some(kind) = kind else { null(F, "kind", "Pass 'text' or 'image'.") };
    let cfg = match config.map(|j| j.0) {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(o)) => o,
        Some(v) => SpineError::invalid(format!("{F}: config must be a JSON object, got {v}")).hint("e.g. '{\"max_length\": 256}'").raise(),
    };
    let source = cfg.get("source").cloned();
    match kind.as_str() {
        "text" => {
            let Some(tok_json) = tokenizer else {
                null(F, "tokenizer (for a text model)", "Pass the tokenizer.json that belongs to the model, as text (pg_read_file('/path/tokenizer.json') or psql's \\set t `cat tokenizer.json`).")
            };
            let (bytes, info) = parse(F, onnx);
            let declared = plan::plan_text(&info, &cfg, &[]);
            let max_length = declared.as_ref().ok().and_then(|p| p.max_length);
            let tok = text::load_tokenizer(tok_json.as_bytes(), max_length)
                .unwrap_or_else(|e| SpineError::invalid(format!("{F}: {e}")).hint("Pass the model's Hugging Face tokenizer.json (the whole file, as text).").raise());
            text::encode(&tok, &["spine"]).unwrap_or_else(|e| SpineError::invalid(format!("{F}: the tokenizer cannot encode a test text: {e}")).raise());
            if let Err(e) = &declared {
                if !e.message.contains("not known") {
                    plan_error(F, e.clone(), &info)
                }
            }
            let plan = match probe_run(F, &bytes, &info, |i| if i == 0 { 1 } else { 4 }) {
                Ok(p) => plan::plan_text(&info, &cfg, &p).unwrap_or_else(|e| plan_error(F, e, &info)),
                Err(probe_err) => match declared {
                    Err(e) => plan_error(F, e, &info),
                    Ok(_) => SpineError::invalid(format!("{F}: a test run of the model on 4 tokens failed: {}", probe_err.unwrap_or_default())).raise(),
                },
            };
            let params = json!({"kind": "text", "plan": plan, "dimension": plan.dimension, "source": source, "onnx": provenance(&info, &bytes), "tokenizer": tok_json});
            finish(name, "embedding", vec!["text".into()], params, bytes)
        }
        "image" => {
            if tokenizer.is_some() {
                SpineError::invalid(format!("{F}: an image model takes no tokenizer")).hint("Pass tokenizer => NULL for kind 'image'.").raise()
            }
            let (bytes, info, plan) = image_plan(F, onnx, &cfg);
            let params = json!({"kind": "image", "plan": plan, "dimension": plan.dimension, "source": source, "onnx": provenance(&info, &bytes)});
            finish(name, "embedding", vec!["image".into()], params, bytes)
        }
        other => SpineError::invalid(format!("{F}: kind \"{other}\" is not 'text' or 'image'")).hint("Tabular models are imported with ml.import_onnx(model, onnx, features).").raise(),
    }
}

/// Validates, probes and plans an image model (embedding or classifier).
fn image_plan(func: &str, onnx: Option<Vec<u8>>, cfg: &Map<String, Value>) -> (Vec<u8>, ModelInfo, plan::ImagePlan) {
    let (bytes, info) = parse(func, onnx);
    let declared = plan::plan_image(&info, cfg, &[]);
    if let Err(e) = &declared {
        if !e.message.contains("not [batch, dim]") {
            plan_error(func, e.clone(), &info)
        }
    }
    let size = declared.as_ref().map(|p| p.size as i64).ok().or_else(|| cfg.get("size").and_then(Value::as_i64)).unwrap_or(224);
    let probed = probe_run(func, &bytes, &info, |i| match i {
        0 => 1,
        1 => 3,
        _ => size,
    });
    let plan = match probed {
        Ok(p) => plan::plan_image(&info, cfg, &p).unwrap_or_else(|e| plan_error(func, e, &info)),
        Err(probe_err) => match declared {
            Err(e) => plan_error(func, e, &info),
            Ok(_) => SpineError::invalid(format!("{func}: a test run of the model on a blank {size} × {size} image failed: {}", probe_err.unwrap_or_default())).raise(),
        },
    };
    (bytes, info, plan)
}

/// ml.import_onnx_image_classifier(model, onnx, labels, config): an image classifier whose
/// output is one score per label ([N, labels]; probabilities, or logits that spine turns into
/// probabilities with a softmax). Preprocessing as for image embeddings.
pub fn import_image_classifier(name: Option<String>, onnx: Option<Vec<u8>>, labels: Option<Vec<Option<String>>>, config: Option<pgrx::JsonB>) -> i64 {
    const F: &str = "ml.import_onnx_image_classifier";
    let name = check_name(F, name);
    let Some(labels) = labels else { null(F, "labels", "Name the classes in the order of the model's output, e.g. ARRAY['intact', 'damaged'].") };
    if labels.len() < 2 {
        SpineError::invalid(format!("{F}: a classifier needs at least 2 labels, got {}", labels.len())).hint("Name the classes in the order of the model's output, e.g. ARRAY['intact', 'damaged'].").raise()
    }
    if let Some(i) = labels.iter().position(|l| l.as_deref().is_none_or(|l| l.trim().is_empty())) {
        SpineError::new(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, format!("{F}: labels[{}] is NULL or empty", i + 1)).hint("Name every class.").raise()
    }
    let labels: Vec<String> = labels.into_iter().flatten().collect();
    if let Some(d) = labels.iter().enumerate().find(|(i, l)| labels[..*i].contains(l)) {
        SpineError::invalid(format!("{F}: label \"{}\" appears twice", d.1)).hint("Every class needs its own label.").raise()
    }
    let mut cfg = match config.map(|j| j.0) {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(o)) => o,
        Some(v) => SpineError::invalid(format!("{F}: config must be a JSON object, got {v}")).hint("e.g. '{\"size\": 224}'").raise(),
    };
    if cfg.contains_key("dimension") || cfg.contains_key("normalize") {
        SpineError::invalid(format!("{F}: config sets \"dimension\" or \"normalize\", which a classifier takes from its labels")).hint("Leave them out: the output has one score per label and is not normalised.").raise()
    }
    let source = cfg.get("source").cloned();
    cfg.insert("dimension".into(), json!(labels.len()));
    cfg.insert("normalize".into(), json!(false));
    let (bytes, info, plan) = image_plan(F, onnx, &cfg);
    let params = json!({"kind": "image", "plan": plan, "dimension": plan.dimension, "labels": labels, "source": source, "onnx": provenance(&info, &bytes)});
    finish(name, "image_classification", vec!["image".into()], params, bytes)
}

//! How spine feeds and reads an imported graph, decided once at import from the graph's declared
//! inputs and outputs (and the shapes a one-row probe run returned) and stored with the model
//! (`ml.models.params->'plan'`). Pure Rust: every refusal is an error with a hint.

use super::proto::{elem, Dim, ModelInfo, Port, PortType};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq)]
pub struct PlanError {
    pub message: String,
    pub hint: String,
}

fn fail<T>(message: impl Into<String>, hint: impl Into<String>) -> Result<T, PlanError> {
    Err(PlanError { message: message.into(), hint: hint.into() })
}

/// Element type of a float tensor spine feeds or reads.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Real {
    Float,
    Double,
}

impl Real {
    fn of(e: i32) -> Option<Real> {
        match e {
            elem::FLOAT => Some(Real::Float),
            elem::DOUBLE => Some(Real::Double),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputKind {
    /// [N, 2] class probabilities: ml.predict returns column 1, P(class 1)
    Probability,
    /// [N] or [N, 1]: ml.predict returns the value
    Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TabularPlan {
    pub input: String,
    pub input_type: Real,
    pub output: String,
    pub output_type: Real,
    pub output_kind: OutputKind,
    /// the graph's batch dimension when it is fixed (then rows are fed that many at a time)
    pub fixed_batch: Option<i64>,
}

impl TabularPlan {
    pub fn task(&self) -> &'static str {
        match self.output_kind {
            OutputKind::Probability => "binary",
            OutputKind::Value => "regression",
        }
    }
}

/// The declared dims of a tensor, with the probe's actual shape where the probe ran.
fn shape_of(p: &Port, probed: &[(String, Vec<i64>)]) -> Option<Vec<Dim>> {
    if let Some((_, s)) = probed.iter().find(|(n, _)| *n == p.name) {
        return Some(s.iter().map(|d| Dim::Fixed(*d)).collect());
    }
    match &p.ty {
        PortType::Tensor { dims, .. } => dims.clone(),
        _ => None,
    }
}

fn is_seq_of_maps(t: &PortType) -> bool {
    matches!(t, PortType::Sequence(inner) if matches!(**inner, PortType::Map { .. }))
}

fn names(ports: &[Port]) -> String {
    ports.iter().map(|p| format!("{} {}", p.name, p.ty.describe())).collect::<Vec<_>>().join(", ")
}

/// Plan for a model scored by `ml.predict` over `n_features` features.
pub fn plan_tabular(m: &ModelInfo, n_features: usize, probed: &[(String, Vec<i64>)]) -> Result<TabularPlan, PlanError> {
    const EXPORT: &str = "Export the model with one 2-D input [rows, features], e.g. skl2onnx initial_types=[('input', FloatTensorType([None, n_features]))].";
    if m.inputs.len() != 1 {
        return fail(format!("the graph has {} inputs ({}); spine feeds one [rows, features] tensor", m.inputs.len(), names(&m.inputs)), EXPORT);
    }
    let input = &m.inputs[0];
    let PortType::Tensor { elem: e, dims } = &input.ty else {
        return fail(format!("input {} is {}, not a tensor", input.name, input.ty.describe()), EXPORT);
    };
    let Some(input_type) = Real::of(*e) else {
        return fail(format!("input {} is {}; spine feeds float or double features", input.name, input.ty.describe()), "Export with FloatTensorType or DoubleTensorType inputs.");
    };
    let mut fixed_batch = None;
    if let Some(dims) = dims {
        if dims.len() != 2 {
            return fail(format!("input {} is {}: {} dimensions, spine feeds [rows, features]", input.name, input.ty.describe(), dims.len()), EXPORT);
        }
        if let Dim::Fixed(k) = dims[1] {
            if k != n_features as i64 {
                return fail(
                    format!("input {} takes {k} features ({}), but {n_features} feature names were given", input.name, input.ty.describe()),
                    format!("Pass exactly {k} names in features, in the order the model was trained on."),
                );
            }
        }
        if let Dim::Fixed(b) = dims[0] {
            if b < 1 {
                return fail(format!("input {} has a fixed batch of {b} rows", input.name), EXPORT);
            }
            fixed_batch = Some(b);
        }
    }

    let (mut prob, mut value, mut multi, mut zipmap) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for o in &m.outputs {
        if is_seq_of_maps(&o.ty) {
            zipmap.push(o);
            continue;
        }
        let PortType::Tensor { elem: e, .. } = &o.ty else { continue };
        let Some(t) = Real::of(*e) else { continue }; // labels (int64, string) are not scores
        match shape_of(o, probed).as_deref() {
            Some([_]) | Some([_, Dim::Fixed(1)]) => value.push((o, t)),
            Some([_, Dim::Fixed(2)]) => prob.push((o, t)),
            Some([_, Dim::Fixed(k)]) => multi.push((o, *k)),
            _ => {}
        }
    }
    let (o, t, kind) = match (prob.as_slice(), value.as_slice()) {
        ([(o, t)], _) => (o, *t, OutputKind::Probability),
        ([], [(o, t)]) => (o, *t, OutputKind::Value),
        ([], []) if !zipmap.is_empty() => {
            return fail(
                format!("output {} is {}: the classifier was exported with zipmap on", zipmap[0].name, zipmap[0].ty.describe()),
                "Export with zipmap off, e.g. skl2onnx convert_sklearn(..., options={id(model): {'zipmap': False}}) (onnxmltools: zipmap=False); spine then reads P(class 1) from the [rows, 2] probabilities.",
            )
        }
        ([], []) if !multi.is_empty() => {
            return fail(
                format!("output {} has {} classes; ml.predict returns P(class 1) of a binary classifier", multi[0].0.name, multi[0].1),
                "Import a binary classifier (probabilities [rows, 2]) or a regressor (output [rows] or [rows, 1]).",
            )
        }
        ([], []) => {
            return fail(
                format!("no output is a float or double score [rows], [rows, 1] or probabilities [rows, 2] (outputs: {})", names(&m.outputs)),
                "Import a binary classifier (probabilities [rows, 2], zipmap off) or a regressor.",
            )
        }
        _ => {
            let all: Vec<&str> = prob.iter().chain(value.iter()).map(|(o, _)| o.name.as_str()).collect();
            return fail(format!("the graph has several score outputs ({}); spine cannot tell which one to return", all.join(", ")), "Export the model with one score output.");
        }
    };
    Ok(TabularPlan { input: input.name.clone(), input_type, output: o.name.clone(), output_type: t, output_kind: kind, fixed_batch })
}

// ---- embeddings -----------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdType {
    Int64,
    Int32,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pooling {
    /// token embeddings [N, T, D] averaged over the attention mask
    Mean,
    /// the graph already returns one vector per text [N, D]
    None,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextPlan {
    pub input_ids: String,
    pub attention_mask: Option<String>,
    pub token_type_ids: Option<String>,
    pub id_type: IdType,
    pub output: String,
    pub pooling: Pooling,
    pub dimension: usize,
    /// longest tokenized input (longer texts are truncated); None = the tokenizer's own setting
    pub max_length: Option<usize>,
    pub batch_size: usize,
    pub normalize: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImagePlan {
    pub input: String,
    pub output: String,
    pub dimension: usize,
    /// centre crop (and model input) size
    pub size: u32,
    /// the shorter side is resized to this first
    pub resize: u32,
    pub interpolation: Interpolation,
    pub mean: [f64; 3],
    pub std: [f64; 3],
    pub batch_size: usize,
    pub normalize: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Interpolation {
    Bicubic,
    Bilinear,
    Nearest,
}

/// The image dimension registered when config names none (the seed's 512-d image vectors).
pub const DEFAULT_IMAGE_DIMENSION: usize = 512;

fn opt_usize(cfg: &Map<String, Value>, key: &str, lo: usize, hi: usize) -> Result<Option<usize>, PlanError> {
    match cfg.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_u64() {
            Some(n) if (lo as u64..=hi as u64).contains(&n) => Ok(Some(n as usize)),
            _ => fail(format!("config \"{key}\" must be an integer between {lo} and {hi}, got {v}"), format!("e.g. '{{\"{key}\": {lo}}}'")),
        },
    }
}

fn opt_bool(cfg: &Map<String, Value>, key: &str) -> Result<Option<bool>, PlanError> {
    match cfg.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(v) => fail(format!("config \"{key}\" must be true or false, got {v}"), format!("e.g. '{{\"{key}\": true}}'")),
    }
}

fn triple(cfg: &Map<String, Value>, key: &str) -> Result<Option<[f64; 3]>, PlanError> {
    match cfg.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) if a.len() == 3 && a.iter().all(|x| x.as_f64().is_some_and(f64::is_finite)) => {
            let v: Vec<f64> = a.iter().map(|x| x.as_f64().unwrap_or(0.0)).collect();
            if key == "std" && v.iter().any(|s| *s <= 0.0) {
                return fail(format!("config \"std\" must be positive, got {v:?}"), "One positive number per RGB channel.");
            }
            Ok(Some([v[0], v[1], v[2]]))
        }
        Some(v) => fail(format!("config \"{key}\" must be three numbers (R, G, B), got {v}"), "e.g. '{\"mean\": [0.481, 0.458, 0.408]}'"),
    }
}

fn check_keys(cfg: &Map<String, Value>, allowed: &[&str], what: &str) -> Result<(), PlanError> {
    if let Some(k) = cfg.keys().find(|k| !allowed.contains(&k.as_str())) {
        return fail(format!("unknown {what} key \"{k}\""), format!("Known keys: {}.", allowed.join(", ")));
    }
    Ok(())
}

const TEXT_KEYS: &[&str] = &["max_length", "batch_size", "normalize", "dimension", "source"];
const IMAGE_KEYS: &[&str] = &["size", "resize", "interpolation", "mean", "std", "batch_size", "normalize", "dimension", "source"];

fn tensor_dims(p: &Port) -> Option<(i32, Option<Vec<Dim>>)> {
    match &p.ty {
        PortType::Tensor { elem: e, dims } => Some((*e, dims.clone())),
        _ => None,
    }
}

/// Plan for a sentence encoder: inputs by name (input_ids; attention_mask and token_type_ids
/// when the graph has them), output token embeddings [N, T, D] (mean pooling) or sentence
/// embeddings [N, D].
pub fn plan_text(m: &ModelInfo, cfg: &Map<String, Value>, probed: &[(String, Vec<i64>)]) -> Result<TextPlan, PlanError> {
    check_keys(cfg, TEXT_KEYS, "config")?;
    let (mut ids, mut mask, mut types, mut id_type) = (None, None, None, None);
    for p in &m.inputs {
        let t = match tensor_dims(p) {
            Some((elem::INT64, _)) => IdType::Int64,
            Some((elem::INT32, _)) => IdType::Int32,
            _ => return fail(format!("input {} is {}; a text encoder takes int64 or int32 token tensors", p.name, p.ty.describe()), "Export the encoder with input_ids, attention_mask (and token_type_ids) inputs."),
        };
        if id_type.is_some_and(|x| x != t) {
            return fail("the token inputs mix int32 and int64", "Export all token inputs with one integer type.");
        }
        id_type = Some(t);
        match p.name.as_str() {
            "input_ids" => ids = Some(p.name.clone()),
            "attention_mask" => mask = Some(p.name.clone()),
            "token_type_ids" => types = Some(p.name.clone()),
            other => return fail(format!("input {other} is not one spine feeds (input_ids, attention_mask, token_type_ids)"), "Export the encoder with inputs named input_ids, attention_mask and token_type_ids."),
        }
    }
    let Some(input_ids) = ids else {
        return fail(format!("the graph has no input named input_ids (inputs: {})", names(&m.inputs)), "Export the encoder with inputs named input_ids, attention_mask and token_type_ids.");
    };
    let floats: Vec<(&Port, Option<Vec<Dim>>)> = m.outputs.iter().filter(|o| matches!(tensor_dims(o), Some((elem::FLOAT, _)))).map(|o| (o, shape_of(o, probed))).collect();
    let pick = |rank: usize, prefer: &[&str]| -> Option<(&Port, Option<Vec<Dim>>)> {
        let of_rank: Vec<_> = floats.iter().filter(|(_, d)| d.as_ref().is_some_and(|d| d.len() == rank)).cloned().collect();
        prefer.iter().find_map(|n| of_rank.iter().find(|(o, _)| o.name == *n).cloned()).or_else(|| if of_rank.len() == 1 { of_rank.first().cloned() } else { None })
    };
    let (out, dims, pooling) = if let Some((o, d)) = pick(2, &["sentence_embedding", "pooler_output", "text_embeds"]) {
        (o, d, Pooling::None)
    } else if let Some((o, d)) = pick(3, &["last_hidden_state", "token_embeddings"]) {
        if mask.is_none() {
            return fail(format!("output {} holds token embeddings, but the graph has no attention_mask input to pool them with", o.name), "Export the encoder with an attention_mask input.");
        }
        (o, d, Pooling::Mean)
    } else {
        return fail(
            format!("no float output is token embeddings [batch, tokens, dim] or sentence embeddings [batch, dim] (outputs: {})", names(&m.outputs)),
            "Export the encoder's last_hidden_state (or a pooled sentence_embedding).",
        );
    };
    let dimension = match dims.as_deref().and_then(|d| d.last()) {
        Some(Dim::Fixed(k)) if *k > 0 => *k as usize,
        _ => return fail(format!("the embedding dimension of output {} is not known ({})", out.name, out.ty.describe()), "This is found by a probe run at import; the probe returned no shape."),
    };
    if let Some(want) = opt_usize(cfg, "dimension", 1, 65_536)? {
        if want != dimension {
            return fail(format!("the model returns {dimension}-dimensional embeddings, config says {want}"), format!("Pass config => '{{\"dimension\": {dimension}}}' or leave dimension out."));
        }
    }
    Ok(TextPlan {
        input_ids,
        attention_mask: mask,
        token_type_ids: types,
        id_type: id_type.unwrap_or(IdType::Int64),
        output: out.name.clone(),
        pooling,
        dimension,
        max_length: opt_usize(cfg, "max_length", 2, 65_536)?,
        batch_size: opt_usize(cfg, "batch_size", 1, 4096)?.unwrap_or(32),
        normalize: opt_bool(cfg, "normalize")?.unwrap_or(true),
    })
}

/// Plan for an image encoder: input [N, 3, H, W] float, output [N, D]; preprocessing from the
/// model's `spine.preprocess` metadata (a JSON object), overridden key by key by `cfg`.
pub fn plan_image(m: &ModelInfo, cfg: &Map<String, Value>, probed: &[(String, Vec<i64>)]) -> Result<ImagePlan, PlanError> {
    check_keys(cfg, IMAGE_KEYS, "config")?;
    let mut merged = Map::new();
    if let Some(meta) = m.metadata("spine.preprocess") {
        match serde_json::from_str::<Value>(meta) {
            Ok(Value::Object(o)) => {
                check_keys(&o, IMAGE_KEYS, "spine.preprocess metadata")?;
                merged.extend(o)
            }
            _ => return fail(format!("the model's spine.preprocess metadata is not a JSON object: {meta}"), "Fix the metadata or pass the preprocessing in config."),
        }
    }
    merged.extend(cfg.clone());
    const EXPORT: &str = "Export the image encoder with one float input [batch, 3, height, width] and one output [batch, dim] (see docs/onnx.md for OpenCLIP ViT-B/32).";
    if m.inputs.len() != 1 {
        return fail(format!("the graph has {} inputs ({}); an image encoder takes one [batch, 3, H, W] tensor", m.inputs.len(), names(&m.inputs)), EXPORT);
    }
    let input = &m.inputs[0];
    let Some((elem::FLOAT, dims)) = tensor_dims(input) else {
        return fail(format!("input {} is {}, not float pixels", input.name, input.ty.describe()), EXPORT);
    };
    let mut native = None;
    if let Some(d) = &dims {
        if d.len() != 4 || matches!(d[1], Dim::Fixed(c) if c != 3) {
            return fail(format!("input {} is {}, not [batch, 3, H, W]", input.name, input.ty.describe()), EXPORT);
        }
        if let (Dim::Fixed(h), Dim::Fixed(w)) = (&d[2], &d[3]) {
            if h != w {
                return fail(format!("input {} is {}: spine centre-crops square images", input.name, input.ty.describe()), EXPORT);
            }
            native = Some(*h as usize);
        }
    }
    let size = match (opt_usize(&merged, "size", 1, 4096)?, native) {
        (Some(s), Some(n)) if s != n => return fail(format!("size {s} is not the model's input size {n}"), format!("Use size {n} (or leave it out).")),
        (Some(s), _) | (None, Some(s)) => s,
        (None, None) => return fail(format!("input {} has no fixed height and width and no size was given", input.name), "Pass config => '{\"size\": 224}'."),
    };
    let resize = opt_usize(&merged, "resize", 1, 16_384)?.unwrap_or(size);
    if resize < size {
        return fail(format!("resize {resize} is smaller than the crop size {size}"), "The shorter side is resized first, then the centre is cropped: resize >= size.");
    }
    let interpolation = match merged.get("interpolation").and_then(Value::as_str).unwrap_or("bicubic") {
        "bicubic" => Interpolation::Bicubic,
        "bilinear" => Interpolation::Bilinear,
        "nearest" => Interpolation::Nearest,
        other => return fail(format!("interpolation \"{other}\" is not bicubic, bilinear or nearest"), "OpenCLIP uses bicubic."),
    };
    let (Some(mean), Some(std)) = (triple(&merged, "mean")?, triple(&merged, "std")?) else {
        return fail(
            "the normalisation (mean and std per channel) is neither in the model's spine.preprocess metadata nor in config",
            "Pass config => '{\"mean\": [0.48145466, 0.4578275, 0.40821073], \"std\": [0.26862954, 0.26130258, 0.27577711]}' (OpenCLIP's values).",
        );
    };
    let floats: Vec<&Port> = m.outputs.iter().filter(|o| matches!(tensor_dims(o), Some((elem::FLOAT, _)))).collect();
    let out = match floats.as_slice() {
        [o] => *o,
        _ => match floats.iter().find(|o| o.name == "image_embeds" || o.name == "image_features" || o.name == "embedding") {
            Some(o) => *o,
            None => return fail(format!("the graph has {} float outputs ({}); spine cannot tell which one is the embedding", floats.len(), names(&m.outputs)), EXPORT),
        },
    };
    let dimension = match shape_of(out, probed).as_deref() {
        Some([_, Dim::Fixed(k)]) if *k > 0 => *k as usize,
        _ => return fail(format!("output {} is {}, not [batch, dim]", out.name, out.ty.describe()), EXPORT),
    };
    let want = opt_usize(&merged, "dimension", 1, 65_536)?.unwrap_or(DEFAULT_IMAGE_DIMENSION);
    if want != dimension {
        return fail(format!("the model returns {dimension}-dimensional embeddings, {want} expected"), format!("Pass config => '{{\"dimension\": {dimension}}}' to register a {dimension}-dimensional image model."));
    }
    Ok(ImagePlan {
        input: input.name.clone(),
        output: out.name.clone(),
        dimension,
        size: size as u32,
        resize: resize as u32,
        interpolation,
        mean,
        std,
        batch_size: opt_usize(&merged, "batch_size", 1, 1024)?.unwrap_or(16),
        normalize: opt_bool(&merged, "normalize")?.unwrap_or(true),
    })
}

#[cfg(test)]
#[path = "plan_test.rs"]
mod tests;

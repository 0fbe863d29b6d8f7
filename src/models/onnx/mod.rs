//! ONNX Runtime inside PostgreSQL (docs/onnx.md): models trained elsewhere scored by
//! `ml.predict` / `ml.predict_batch`, and text and image encoders behind `ml.embed_text` /
//! `ml.embed_image`.
//!
//! - `proto`: a minimal ONNX protobuf reader (validation before ONNX Runtime sees the bytes)
//! - `plan`: how a graph is fed and read, decided at import (pure)
//! - `text`, `image`: tokenization and pooling, image preprocessing (pure)
//! - `runtime`: loading libonnxruntime (spine.onnxruntime_path) and sessions
//! - `model`: a session with its plan: batch scoring and embedding
//! - `import`: ml.import_onnx / ml.import_onnx_embedding
//! - `sql`: the SQL entry points (thin)

pub mod image;
pub mod import;
pub mod model;
pub mod plan;
pub mod proto;
pub mod runtime;
mod sql;
#[cfg(any(test, feature = "pg_test"))]
mod sql_test;
pub mod text;

use model::{Kind, OnnxModel};
use serde_json::Value;

/// Builds the runnable model from a registry row (artifact + params written at import).
pub fn load(func: &str, artifact: &[u8], params: &Value) -> Result<OnnxModel, String> {
    let plan = params.get("plan").cloned().ok_or("params has no plan")?;
    let kind = match params.get("kind").and_then(Value::as_str) {
        Some("tabular") => Kind::Tabular(serde_json::from_value(plan).map_err(|e| format!("plan: {e}"))?),
        Some("text") => {
            let plan: plan::TextPlan = serde_json::from_value(plan).map_err(|e| format!("plan: {e}"))?;
            let tok = params.get("tokenizer").and_then(Value::as_str).ok_or("params has no tokenizer")?;
            let tok = text::load_tokenizer(tok.as_bytes(), plan.max_length)?;
            Kind::Text(plan, Box::new(tok))
        }
        Some("image") => Kind::Image(serde_json::from_value(plan).map_err(|e| format!("plan: {e}"))?),
        other => return Err(format!("unknown kind {other:?}")),
    };
    let session = runtime::session(func, artifact)?;
    Ok(OnnxModel::new(session, kind))
}

//! The job kinds, their payloads, and the queue's pure rules (retry or dead, backoff, the text a
//! listing is embedded from). No PostgreSQL here: unit tests in kinds_test.rs.

use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    FetchImage,
    LabelColour,
    LabelDamage,
    EmbedText,
    EmbedImage,
}

/// A payload key and whether it is required.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Id(&'static str, bool),
    Name(&'static str, bool),
    Url(&'static str, bool),
}

pub const KINDS: [Kind; 5] = [Kind::FetchImage, Kind::LabelColour, Kind::LabelDamage, Kind::EmbedText, Kind::EmbedImage];

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        KINDS.iter().copied().find(|k| k.name() == s)
    }
    pub fn name(self) -> &'static str {
        match self {
            Kind::FetchImage => "fetch_image",
            Kind::LabelColour => "label_colour",
            Kind::LabelDamage => "label_damage",
            Kind::EmbedText => "embed_text",
            Kind::EmbedImage => "embed_image",
        }
    }
    fn fields(self) -> &'static [Field] {
        match self {
            Kind::FetchImage => &[Field::Id("image_id", true), Field::Url("url", false)],
            Kind::LabelColour => &[Field::Id("image_id", true)],
            Kind::LabelDamage => &[Field::Id("image_id", true), Field::Name("model", true)],
            Kind::EmbedText => &[Field::Id("listing_id", true), Field::Name("model", true)],
            Kind::EmbedImage => &[Field::Id("image_id", true), Field::Name("model", true)],
        }
    }
    /// The payload as users write it, for hints.
    pub fn example(self) -> &'static str {
        match self {
            Kind::FetchImage => r#"{"image_id": 42}"#,
            Kind::LabelColour => r#"{"image_id": 42}"#,
            Kind::LabelDamage => r#"{"image_id": 42, "model": "damage_v1"}"#,
            Kind::EmbedText => r#"{"listing_id": 7, "model": "minilm"}"#,
            Kind::EmbedImage => r#"{"image_id": 42, "model": "clip_b32"}"#,
        }
    }
}

pub fn kind_names() -> String {
    KINDS.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ")
}

/// A checked payload.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Payload {
    pub image_id: Option<i64>,
    pub listing_id: Option<i64>,
    pub model: Option<String>,
    pub url: Option<String>,
}

/// Checks a payload against its kind: required keys present with the right types, no unknown
/// keys (a typo must not become a silently different job).
pub fn parse_payload(kind: Kind, v: &Value) -> Result<Payload, String> {
    let Some(o) = v.as_object() else { return Err(format!("the payload must be a JSON object, e.g. {}", kind.example())) };
    let fields = kind.fields();
    let name_of = |f: &Field| match f {
        Field::Id(n, _) | Field::Name(n, _) | Field::Url(n, _) => *n,
    };
    if let Some(k) = o.keys().find(|k| !fields.iter().any(|f| name_of(f) == k.as_str())) {
        return Err(format!("unknown key \"{k}\" for a {} job (keys: {})", kind.name(), fields.iter().map(name_of).collect::<Vec<_>>().join(", ")));
    }
    let mut p = Payload::default();
    for f in fields {
        let (name, required) = match f {
            Field::Id(n, r) | Field::Name(n, r) | Field::Url(n, r) => (*n, *r),
        };
        let Some(val) = o.get(name).filter(|v| !v.is_null()) else {
            if required {
                return Err(format!("a {} job needs \"{name}\"", kind.name()));
            }
            continue;
        };
        match f {
            Field::Id(..) => {
                let id = val.as_i64().filter(|i| *i > 0).ok_or_else(|| format!("\"{name}\" must be a positive integer, got {val}"))?;
                if name == "image_id" {
                    p.image_id = Some(id)
                } else {
                    p.listing_id = Some(id)
                }
            }
            Field::Name(..) => {
                let s = val.as_str().filter(|s| is_model_name(s)).ok_or_else(|| format!("\"{name}\" must be a model name, got {val}"))?;
                p.model = Some(s.to_string());
            }
            Field::Url(..) => {
                let s = val.as_str().filter(|s| s.starts_with("http://") || s.starts_with("https://")).ok_or_else(|| format!("\"{name}\" must be an http(s) URL, got {val}"))?;
                p.url = Some(s.to_string());
            }
        }
    }
    Ok(p)
}

/// ml.models' naming rule.
pub fn is_model_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 63 && s.starts_with(|c: char| c.is_ascii_lowercase()) && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The canonical payload stored (key order and spelling fixed, so equal work has equal payloads).
pub fn canonical(p: &Payload) -> Value {
    let mut o = Map::new();
    if let Some(i) = p.image_id {
        o.insert("image_id".into(), i.into());
    }
    if let Some(i) = p.listing_id {
        o.insert("listing_id".into(), i.into());
    }
    if let Some(m) = &p.model {
        o.insert("model".into(), m.clone().into());
    }
    if let Some(u) = &p.url {
        o.insert("url".into(), u.clone().into());
    }
    Value::Object(o)
}

/// What becomes of a job after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AfterFailure {
    /// retried after this many seconds
    Retry(f64),
    Dead,
}

/// Exponential backoff: `base · 2^(attempt-1)`, at most `max` seconds.
pub fn backoff_seconds(attempt: i32, base: f64, max: f64) -> f64 {
    let exp = (attempt.max(1) - 1).min(60);
    (base * 2f64.powi(exp)).min(max).max(0.0)
}

pub fn after_failure(attempts: i32, max_attempts: i32, permanent: bool, base: f64, max: f64) -> AfterFailure {
    if permanent || attempts >= max_attempts {
        AfterFailure::Dead
    } else {
        AfterFailure::Retry(backoff_seconds(attempts, base, max))
    }
}

/// Is an error with this SQLSTATE worth retrying? Data exceptions (22), integrity violations
/// (23), undefined objects and other errors in the request (42), unsupported features (0A),
/// program limits (54) and
/// objects not in the required state (55000: e.g. an image not fetched yet) will fail the same
/// way again: the job is dead at once. Everything else (serialization failures, deadlocks, lock
/// timeouts, out of resources, I/O, internal errors and panics) is retried.
pub fn sqlstate_is_permanent(state: &str) -> bool {
    ["22", "23", "42", "0A", "54"].iter().any(|c| state.starts_with(c)) || state == "55000"
}

/// The caption of a listing's images, from their labels: "colour: red; damage: none".
/// `labels` are (kind, label) of the listing's first labelled image per kind.
pub fn caption(labels: &[(String, String)]) -> String {
    let mut parts: Vec<String> = Vec::new();
    for kind in ["colour", "damage"] {
        if let Some((_, l)) = labels.iter().find(|(k, _)| k == kind) {
            parts.push(format!("{kind}: {l}"));
        }
    }
    parts.join("; ")
}

/// The text a listing is embedded from: title, description and caption, one per line, blank
/// parts left out.
pub fn source_text(title: Option<&str>, description: Option<&str>, caption: &str) -> String {
    [title.unwrap_or(""), description.unwrap_or(""), caption].iter().map(|s| s.trim()).filter(|s| !s.is_empty()).collect::<Vec<_>>().join("\n")
}

/// BLAKE3 of the model version and the source text: a changed text or a new model version is
/// embedded again, anything else is left alone.
pub fn source_hash(model: &str, version: i32, text: &str) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(model.as_bytes());
    h.update(&[0]);
    h.update(&version.to_le_bytes());
    h.update(text.as_bytes());
    *h.finalize().as_bytes()
}

/// Cosine similarity; None when the lengths differ or a vector is all zeros.
pub fn cosine(a: &[f32], b: &[f32]) -> Option<f64> {
    if a.len() != b.len() || a.is_empty() {
        return None;
    }
    let (mut dot, mut na, mut nb) = (0f64, 0f64, 0f64);
    for (x, y) in a.iter().zip(b) {
        let (x, y) = (f64::from(*x), f64::from(*y));
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0.0 || nb == 0.0 {
        return None;
    }
    Some(dot / (na.sqrt() * nb.sqrt()))
}

/// The most probable (label, probability).
pub fn top(probs: &[(String, f64)]) -> Option<(String, f64)> {
    probs.iter().max_by(|a, b| a.1.total_cmp(&b.1)).cloned()
}

#[cfg(test)]
#[path = "kinds_test.rs"]
mod tests;

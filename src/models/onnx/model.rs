//! An imported model ready to run: its ONNX Runtime session and the plan that says how to feed
//! and read it. Tabular models score many rows per call; text and image encoders embed a batch
//! per call. Every failure is an error string (the caller names the model and raises); a
//! cancel request is honoured between ONNX Runtime calls.

use super::image;
use super::plan::{IdType, ImagePlan, OutputKind, Pooling, Real, TabularPlan, TextPlan};
use super::runtime::guarded;
use super::text;
use ort::session::{Session, SessionInputValue};
use ort::value::{DynValue, Tensor, ValueType};
use std::borrow::Cow;
use std::cell::RefCell;

/// Rows per ONNX Runtime call on the batch path (ml.predict_batch).
pub const CHUNK_ROWS: usize = 8192;

pub enum Kind {
    Tabular(TabularPlan),
    Text(TextPlan, Box<tokenizers::Tokenizer>),
    Image(ImagePlan),
}

pub struct OnnxModel {
    session: RefCell<Session>,
    pub kind: Kind,
}

type Feeds = Vec<(Cow<'static, str>, SessionInputValue<'static>)>;

fn f32_tensor(shape: Vec<i64>, data: Vec<f32>) -> Result<DynValue, String> {
    Tensor::from_array((shape, data)).map(|t| t.into_dyn()).map_err(|e| e.to_string())
}
fn f64_tensor(shape: Vec<i64>, data: Vec<f64>) -> Result<DynValue, String> {
    Tensor::from_array((shape, data)).map(|t| t.into_dyn()).map_err(|e| e.to_string())
}
fn ids_tensor(t: IdType, shape: Vec<i64>, data: &[i64]) -> Result<DynValue, String> {
    match t {
        IdType::Int64 => Tensor::from_array((shape, data.to_vec())).map(|t| t.into_dyn()).map_err(|e| e.to_string()),
        IdType::Int32 => Tensor::from_array((shape, data.iter().map(|&v| v as i32).collect::<Vec<i32>>())).map(|t| t.into_dyn()).map_err(|e| e.to_string()),
    }
}

/// One output as f64 values with its shape.
fn read_real(v: &DynValue, t: Real) -> Result<(Vec<i64>, Vec<f64>), String> {
    match t {
        Real::Float => v.try_extract_tensor::<f32>().map(|(s, d)| (s.to_vec(), d.iter().map(|&x| f64::from(x)).collect())),
        Real::Double => v.try_extract_tensor::<f64>().map(|(s, d)| (s.to_vec(), d.to_vec())),
    }
    .map_err(|e| e.to_string())
}

impl OnnxModel {
    pub fn new(session: Session, kind: Kind) -> Self {
        OnnxModel { session: RefCell::new(session), kind }
    }

    /// Runs the graph and hands the named output to `read`.
    fn run<T>(&self, feeds: Feeds, output: &str, read: impl FnOnce(&DynValue) -> Result<T, String>) -> Result<T, String> {
        let mut s = self.session.try_borrow_mut().map_err(|_| "the session is already running (re-entered)".to_string())?;
        guarded("running the model", || {
            let outputs = s.run(feeds).map_err(|e| format!("ONNX Runtime: {e}"))?;
            let v = outputs.get(output).ok_or_else(|| format!("the graph returned no output named {output}"))?;
            read(v)
        })
    }

    /// Scores `x` (rows × n_features, row-major): P(class 1) or the value per row.
    pub fn score(&self, x: &[f64], n_features: usize) -> Result<Vec<f64>, String> {
        let Kind::Tabular(p) = &self.kind else { return Err("this is an embedding model, not a scoring model".to_string()) };
        if n_features == 0 || !x.len().is_multiple_of(n_features) {
            return Err(format!("{} values are not rows of {n_features} features", x.len()));
        }
        let rows = x.len() / n_features;
        let chunk = p.fixed_batch.map(|b| b as usize).unwrap_or(CHUNK_ROWS);
        let mut out = Vec::with_capacity(rows);
        let mut start = 0;
        while start < rows {
            pgrx::check_for_interrupts!();
            let n = chunk.min(rows - start);
            let feed_rows = p.fixed_batch.map(|b| b as usize).unwrap_or(n);
            let mut part = x[start * n_features..(start + n) * n_features].to_vec();
            part.resize(feed_rows * n_features, 0.0); // a fixed batch is padded with zero rows
            let shape = vec![feed_rows as i64, n_features as i64];
            let input = match p.input_type {
                Real::Float => f32_tensor(shape, part.iter().map(|&v| v as f32).collect())?,
                Real::Double => f64_tensor(shape, part)?,
            };
            let values = self.run(vec![(Cow::Owned(p.input.clone()), SessionInputValue::from(input))], &p.output, |v| {
                let (shape, data) = read_real(v, p.output_type)?;
                match p.output_kind {
                    OutputKind::Probability if shape.len() == 2 && shape[0] == feed_rows as i64 && shape[1] == 2 => Ok(data.iter().skip(1).step_by(2).take(n).copied().collect::<Vec<f64>>()),
                    OutputKind::Value if data.len() == feed_rows => Ok(data[..n].to_vec()),
                    _ => Err(format!("output {} has shape {shape:?} for {feed_rows} rows", p.output)),
                }
            })?;
            out.extend(values);
            start += n;
        }
        Ok(out)
    }

    /// Embeddings of `texts`, `batch_size` texts per call.
    pub fn embed_texts(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String> {
        let Kind::Text(p, tok) = &self.kind else { return Err("this is not a text embedding model".to_string()) };
        let mut out = Vec::with_capacity(texts.len());
        for chunk in texts.chunks(p.batch_size.max(1)) {
            pgrx::check_for_interrupts!();
            let b = text::encode(tok, chunk)?;
            if b.cols == 0 {
                out.extend(std::iter::repeat_n(vec![0.0f32; p.dimension], b.rows));
                continue;
            }
            let shape = vec![b.rows as i64, b.cols as i64];
            let mut feeds: Feeds = vec![(Cow::Owned(p.input_ids.clone()), ids_tensor(p.id_type, shape.clone(), &b.ids)?.into())];
            if let Some(m) = &p.attention_mask {
                feeds.push((Cow::Owned(m.clone()), ids_tensor(p.id_type, shape.clone(), &b.mask)?.into()));
            }
            if let Some(t) = &p.token_type_ids {
                feeds.push((Cow::Owned(t.clone()), ids_tensor(p.id_type, shape.clone(), &b.types)?.into()));
            }
            let mut vecs = self.run(feeds, &p.output, |v| {
                let (shape, data) = v.try_extract_tensor::<f32>().map_err(|e| e.to_string())?;
                let dim = p.dimension;
                match (p.pooling, &shape[..]) {
                    (Pooling::Mean, [r, c, d]) if *r == b.rows as i64 && *c == b.cols as i64 && *d == dim as i64 => text::mean_pool(data, &b.mask, b.rows, b.cols, dim),
                    (Pooling::None, [r, d]) if *r == b.rows as i64 && *d == dim as i64 => Ok(data.chunks(dim).map(<[f32]>::to_vec).collect()),
                    _ => Err(format!("output {} has shape {:?} for {} texts of {} tokens (dimension {dim})", p.output, &shape[..], b.rows, b.cols)),
                }
            })?;
            if p.normalize {
                vecs.iter_mut().for_each(|v| text::l2_normalize(v));
            }
            out.extend(vecs);
        }
        Ok(out)
    }

    /// Embeddings of encoded images; an image that does not decode is an error naming its
    /// position (0-based).
    pub fn embed_images(&self, images: &[&[u8]]) -> Result<Vec<Vec<f32>>, (Option<usize>, String)> {
        let Kind::Image(p) = &self.kind else { return Err((None, "this is not an image embedding model".to_string())) };
        let s = p.size as usize;
        let mut out = Vec::with_capacity(images.len());
        for (c, chunk) in images.chunks(p.batch_size.max(1)).enumerate() {
            pgrx::check_for_interrupts!();
            let mut pixels = Vec::with_capacity(chunk.len() * 3 * s * s);
            for (i, img) in chunk.iter().enumerate() {
                pixels.extend(image::preprocess(img, p).map_err(|e| (Some(c * p.batch_size.max(1) + i), e))?);
            }
            let input = f32_tensor(vec![chunk.len() as i64, 3, s as i64, s as i64], pixels).map_err(|e| (None, e))?;
            let mut vecs = self
                .run(vec![(Cow::Owned(p.input.clone()), input.into())], &p.output, |v| {
                    let (shape, data) = v.try_extract_tensor::<f32>().map_err(|e| e.to_string())?;
                    match &shape[..] {
                        [r, d] if *r == chunk.len() as i64 && *d == p.dimension as i64 => Ok(data.chunks(p.dimension).map(<[f32]>::to_vec).collect::<Vec<_>>()),
                        _ => Err(format!("output {} has shape {:?} for {} images (dimension {})", p.output, &shape[..], chunk.len(), p.dimension)),
                    }
                })
                .map_err(|e| (None, e))?;
            if p.normalize {
                vecs.iter_mut().for_each(|v| text::l2_normalize(v));
            }
            out.extend(vecs);
        }
        Ok(out)
    }
}

/// Element type and shape of a probe input (filled with zeros).
pub enum ProbeInput {
    Float(Vec<i64>),
    Double(Vec<i64>),
    Int64(Vec<i64>),
    Int32(Vec<i64>),
}

/// Runs the graph once on zeros and returns the shape of every tensor output.
pub fn probe(session: &mut Session, inputs: Vec<(String, ProbeInput)>) -> Result<Vec<(String, Vec<i64>)>, String> {
    let mut feeds: Feeds = Vec::new();
    for (name, p) in inputs {
        let v = match p {
            ProbeInput::Float(s) => f32_tensor(s.clone(), vec![0.0; s.iter().product::<i64>().max(0) as usize])?,
            ProbeInput::Double(s) => f64_tensor(s.clone(), vec![0.0; s.iter().product::<i64>().max(0) as usize])?,
            ProbeInput::Int64(s) => ids_tensor(IdType::Int64, s.clone(), &vec![0; s.iter().product::<i64>().max(0) as usize])?,
            ProbeInput::Int32(s) => ids_tensor(IdType::Int32, s.clone(), &vec![0; s.iter().product::<i64>().max(0) as usize])?,
        };
        feeds.push((Cow::Owned(name), v.into()));
    }
    guarded("probing the model", || {
        let outputs = session.run(feeds).map_err(|e| format!("ONNX Runtime: {e}"))?;
        Ok(outputs
            .iter()
            .filter_map(|(name, v)| match v.dtype() {
                ValueType::Tensor { shape, .. } => Some((name.to_string(), shape.to_vec())),
                _ => None,
            })
            .collect())
    })
}

//! Text side of sentence embeddings: the tokenizer (a Hugging Face `tokenizer.json`, padding to
//! the longest text of each batch), mean pooling of token embeddings over the attention mask and
//! L2 normalisation — the sentence-transformers recipe. Pure Rust.

use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

/// A tokenizer ready for batches: padding BatchLongest (whatever the file says: exported
/// tokenizers often pad every text to a fixed length), truncation to `max_length` when given,
/// else the file's own truncation. Never spawns threads (a PostgreSQL backend runs it).
pub fn load_tokenizer(json: &[u8], max_length: Option<usize>) -> Result<Tokenizer, String> {
    tokenizers::utils::parallelism::set_parallelism(false);
    let mut t = Tokenizer::from_bytes(json).map_err(|e| format!("the tokenizer is not a valid tokenizer.json: {e}"))?;
    let pad = t.get_padding().cloned().unwrap_or_default();
    t.with_padding(Some(PaddingParams { strategy: PaddingStrategy::BatchLongest, pad_to_multiple_of: None, ..pad }));
    if let Some(n) = max_length {
        let trunc = t.get_truncation().cloned().unwrap_or_default();
        t.with_truncation(Some(TruncationParams { max_length: n, ..trunc })).map_err(|e| format!("max_length {n}: {e}"))?;
    }
    Ok(t)
}

/// Token ids, attention mask and token types of a batch, row-major [rows, cols].
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub rows: usize,
    pub cols: usize,
    pub ids: Vec<i64>,
    pub mask: Vec<i64>,
    pub types: Vec<i64>,
}

pub fn encode(t: &Tokenizer, texts: &[&str]) -> Result<Batch, String> {
    let enc = t.encode_batch_fast(texts.to_vec(), true).map_err(|e| format!("tokenizing: {e}"))?;
    let rows = enc.len();
    let cols = enc.iter().map(|e| e.len()).max().unwrap_or(0);
    let (mut ids, mut mask, mut types) = (Vec::with_capacity(rows * cols), Vec::with_capacity(rows * cols), Vec::with_capacity(rows * cols));
    for e in &enc {
        if e.len() != cols {
            return Err(format!("the tokenizer padded a text to {} tokens, not {cols}", e.len()));
        }
        ids.extend(e.get_ids().iter().map(|&v| i64::from(v)));
        mask.extend(e.get_attention_mask().iter().map(|&v| i64::from(v)));
        types.extend(e.get_type_ids().iter().map(|&v| i64::from(v)));
    }
    Ok(Batch { rows, cols, ids, mask, types })
}

/// Mean of each row's token embeddings over its attention mask: hidden is [rows, cols, dim]
/// row-major; a row without tokens divides by 1e-9 as sentence-transformers does (giving zeros).
pub fn mean_pool(hidden: &[f32], mask: &[i64], rows: usize, cols: usize, dim: usize) -> Result<Vec<Vec<f32>>, String> {
    if hidden.len() != rows * cols * dim || mask.len() != rows * cols {
        return Err(format!("token embeddings hold {} values, expected {rows} × {cols} × {dim}", hidden.len()));
    }
    let mut out = Vec::with_capacity(rows);
    for r in 0..rows {
        let mut acc = vec![0.0f64; dim];
        let mut n = 0.0f64;
        for c in 0..cols {
            let m = mask[r * cols + c] as f64;
            if m == 0.0 {
                continue;
            }
            n += m;
            let h = &hidden[(r * cols + c) * dim..(r * cols + c + 1) * dim];
            for (a, v) in acc.iter_mut().zip(h) {
                *a += m * f64::from(*v);
            }
        }
        let n = n.max(1e-9);
        out.push(acc.into_iter().map(|a| (a / n) as f32).collect());
    }
    Ok(out)
}

/// v / max(‖v‖₂, 1e-12) (torch.nn.functional.normalize).
pub fn l2_normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| f64::from(*x) * f64::from(*x)).sum::<f64>().sqrt().max(1e-12);
    for x in v.iter_mut() {
        *x = (f64::from(*x) / norm) as f32;
    }
}

#[cfg(test)]
#[path = "text_test.rs"]
mod tests;

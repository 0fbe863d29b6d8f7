//! Image side of image embeddings, with the `image` crate: decode (PNG, JPEG), convert to RGB,
//! resize the shorter side to `resize` (torchvision's Resize(int): the longer side becomes
//! int(resize · long / short)), centre-crop `size` × `size` (torchvision's CenterCrop offsets,
//! round half to even), scale to [0, 1] and normalise per channel, laid out [3, size, size].
//! Resampling runs on f32 pixels (no rounding to 8 bits in between); with bicubic, values are
//! clamped to [0, 1] as an 8-bit image would be. Pure Rust.

use super::plan::{ImagePlan, Interpolation};
use image::imageops::FilterType;
use image::{ImageReader, Limits};
use std::io::Cursor;

/// Largest accepted image side and decoder allocation (a decompression bomb is refused).
pub const MAX_SIDE: u32 = 16_384;
pub const MAX_DECODE_BYTES: u64 = 512 * 1024 * 1024;

/// Size after resizing the shorter side to `resize` (torchvision Resize with an int).
pub fn resized_dims(w: u32, h: u32, resize: u32) -> (u32, u32) {
    if w <= h {
        (resize, ((resize as u64 * h as u64) / w as u64) as u32)
    } else {
        (((resize as u64 * w as u64) / h as u64) as u32, resize)
    }
}

/// (left, top) of the centre crop (torchvision CenterCrop: int(round((len - size) / 2))).
pub fn crop_offsets(w: u32, h: u32, size: u32) -> (u32, u32) {
    let off = |len: u32| ((len as f64 - size as f64) / 2.0).round_ties_even().max(0.0) as u32;
    (off(w), off(h))
}

pub fn preprocess(bytes: &[u8], p: &ImagePlan) -> Result<Vec<f32>, String> {
    if bytes.is_empty() {
        return Err("the image is empty".to_string());
    }
    let mut reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| format!("reading the image: {e}"))?;
    if reader.format().is_none() {
        return Err("the bytes are not an image in a supported format (PNG, JPEG)".to_string());
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| format!("decoding the image: {e}"))?;
    let (w, h) = (img.width(), img.height());
    if w == 0 || h == 0 {
        return Err(format!("the image is {w} × {h} pixels"));
    }
    let rgb = img.to_rgb32f();
    let (nw, nh) = resized_dims(w, h, p.resize);
    let filter = match p.interpolation {
        Interpolation::Bicubic => FilterType::CatmullRom,
        Interpolation::Bilinear => FilterType::Triangle,
        Interpolation::Nearest => FilterType::Nearest,
    };
    let resized = if (nw, nh) == (w, h) { rgb } else { image::imageops::resize(&rgb, nw, nh, filter) };
    let (left, top) = crop_offsets(nw, nh, p.size);
    let s = p.size as usize;
    let (mean, std) = (p.mean.map(|v| v as f32), p.std.map(|v| v as f32));
    if nw < p.size || nh < p.size {
        return Err(format!("the resized image ({nw} × {nh}) is smaller than the crop {s} × {s}"));
    }
    let mut out = vec![0.0f32; 3 * s * s];
    for y in 0..s {
        for x in 0..s {
            let px = resized.get_pixel(left + x as u32, top + y as u32);
            for c in 0..3 {
                out[c * s * s + y * s + x] = (px.0[c].clamp(0.0, 1.0) - mean[c]) / std[c];
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
#[path = "image_test.rs"]
mod tests;

//! What we store about a fetched image: format, size, BLAKE3 of the bytes and
//! a 64-bit difference hash (dHash) for near-duplicate detection.
//!
//! Design decisions:
//!
//! * **Format from bytes.** `inspect` sniffs the magic bytes
//!   (`image::guess_format`), never the URL or Content-Type; only PNG and JPEG
//!   are accepted.
//! * **Decompression bombs.** The dimensions are read from the header first
//!   (`ImageReader::into_dimensions`, which decodes no pixels) and anything
//!   over `max_pixels` is refused before decoding. The decoder additionally
//!   runs under `image::Limits` (width/height ≤ max_pixels, and an allocation
//!   cap of 8 bytes per allowed pixel — enough for 16-bit RGBA — plus 16 MiB).
//! * **dHash** reproduces Python `imagehash.dhash(img, hash_size=8)` (4.3.2):
//!   grayscale → resize to 9×8 with Lanczos → bit = `p[row][col+1] > p[row][col]`,
//!   row-major, first bit most significant, so `format!("{:016x}", h)` equals
//!   `str(imagehash)`. The image crate's Lanczos3 is *not* bit-identical to
//!   Pillow's (different pass order, float vs fixed point, no intermediate
//!   8-bit rounding), so this module re-implements Pillow's own algorithm
//!   (`Resample.c`: `precompute_coeffs`, 22-bit fixed-point coefficients,
//!   horizontal pass then vertical pass, each rounded and clipped to 8 bits)
//!   and Pillow's RGB→L conversion (`(R*19595 + G*38470 + B*7471 + 0x8000) >> 16`,
//!   i.e. ITU-R 601-2 luma 299/587/114 in 16-bit fixed point).
//!   Result: for 8-bit images whose *decoded pixels* match Pillow's, the hash is
//!   identical to imagehash (the tests check exact equality on ten synthetic
//!   PNG/raw images, including Lanczos-ringing cases). Known deviations: JPEG
//!   decoders may differ (zune-jpeg vs libjpeg IDCT/upsampling), so JPEG hashes
//!   can differ from imagehash by a few bits (the test photo matched exactly
//!   with Pillow 13.0.0; the test allows ≤ 6 bits); 16-bit and palette
//!   images with transparency go through `image`'s `to_rgb8`/`to_luma8`
//!   conversions, which are not Pillow's.
//! * The RGB8 image returned by `inspect` is for the colour labeller.
//! * No `unwrap`/`expect`/unchecked indexing on input: errors are `String`s.

use std::io::Cursor;

use image::{DynamicImage, GrayImage, ImageFormat, ImageReader, Limits, RgbImage};

/// What we store about an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInfo {
    /// `"png"` or `"jpeg"`.
    pub format: &'static str,
    pub width: u32,
    pub height: u32,
    /// BLAKE3 of the raw bytes as fetched.
    pub blake3: [u8; 32],
    /// 64-bit difference hash, see [`dhash`].
    pub dhash: u64,
}

/// Sniff the format (PNG or JPEG), check the size from the header against `max_pixels`, decode.
fn decode(bytes: &[u8], max_pixels: u64) -> Result<(&'static str, DynamicImage), String> {
    let format = match image::guess_format(bytes) {
        Ok(ImageFormat::Png) => ImageFormat::Png,
        Ok(ImageFormat::Jpeg) => ImageFormat::Jpeg,
        _ => return Err("not a PNG or JPEG image".to_string()),
    };
    let name = if format == ImageFormat::Png {
        "png"
    } else {
        "jpeg"
    };

    let mut limits = Limits::default();
    let side = u32::try_from(max_pixels).unwrap_or(u32::MAX);
    limits.max_image_width = Some(side);
    limits.max_image_height = Some(side);
    limits.max_alloc = Some(max_pixels.saturating_mul(8).saturating_add(16 << 20));

    let reader = |limits: Limits| {
        let mut r = ImageReader::with_format(Cursor::new(bytes), format);
        r.limits(limits);
        r
    };

    let (width, height) = reader(Limits::no_limits())
        .into_dimensions()
        .map_err(|e| format!("cannot read {name} header: {e}"))?;
    let pixels = u64::from(width) * u64::from(height);
    if pixels > max_pixels {
        return Err(format!(
            "image is {width}×{height} = {pixels} pixels, over the limit of {max_pixels}"
        ));
    }
    if pixels == 0 {
        return Err(format!("image is {width}×{height}, which has no pixels"));
    }

    let img = reader(limits)
        .decode()
        .map_err(|e| format!("cannot decode {name} image: {e}"))?;
    Ok((name, img))
}

/// What is stored about a fetched image: format, dimensions, BLAKE3 of the bytes and dHash.
pub fn inspect(bytes: &[u8], max_pixels: u64) -> Result<ImageInfo, String> {
    let (name, img) = decode(bytes, max_pixels)?;
    Ok(ImageInfo {
        format: name,
        width: img.width(),
        height: img.height(),
        blake3: *blake3::hash(bytes).as_bytes(),
        dhash: dhash(&img),
    })
}

/// The image's pixels as RGB8 (for the colour labeller), with the same checks as `inspect`.
pub fn decode_rgb(bytes: &[u8], max_pixels: u64) -> Result<RgbImage, String> {
    decode(bytes, max_pixels).map(|(_, img)| img.to_rgb8())

}

/// Number of differing bits.
pub fn hamming(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// Difference hash, as `imagehash.dhash(img, hash_size=8)`. See the module docs.
pub fn dhash(img: &DynamicImage) -> u64 {
    let gray = pil_luma(img);
    let small = pil_lanczos_resize(&gray, 9, 8);
    let mut h: u64 = 0;
    for row in 0..8u32 {
        for col in 0..8u32 {
            let left = small.get_pixel(col, row).0[0];
            let right = small.get_pixel(col + 1, row).0[0];
            h = (h << 1) | u64::from(right > left);
        }
    }
    h
}

/// Pillow's `convert("L")`: for RGB(A) 8-bit input
/// `L = (R*19595 + G*38470 + B*7471 + 0x8000) >> 16` (alpha ignored).
fn pil_luma(img: &DynamicImage) -> GrayImage {
    match img {
        DynamicImage::ImageLuma8(g) => g.clone(),
        DynamicImage::ImageLumaA8(_)
        | DynamicImage::ImageLuma16(_)
        | DynamicImage::ImageLumaA16(_) => img.to_luma8(),
        _ => {
            let rgb = img.to_rgb8();
            let (w, h) = rgb.dimensions();
            let mut out = GrayImage::new(w, h);
            for (o, p) in out.pixels_mut().zip(rgb.pixels()) {
                let [r, g, b] = p.0;
                let l =
                    (u32::from(r) * 19595 + u32::from(g) * 38470 + u32::from(b) * 7471 + 0x8000)
                        >> 16;
                o.0[0] = l.min(255) as u8;
            }
            out
        }
    }
}

const PRECISION_BITS: u32 = 32 - 8 - 2;

fn sinc(x: f64) -> f64 {
    if x == 0.0 {
        1.0
    } else {
        let x = x * std::f64::consts::PI;
        x.sin() / x
    }
}

fn lanczos(x: f64) -> f64 {
    if (-3.0..3.0).contains(&x) {
        sinc(x) * sinc(x / 3.0)
    } else {
        0.0
    }
}

/// Pillow `precompute_coeffs` + `normalize_coeffs_8bpc` for LANCZOS (support 3)
/// with box (0, in_size): per output index, (first input index, fixed-point weights).
fn pil_coeffs(in_size: u32, out_size: u32) -> Vec<(usize, Vec<i64>)> {
    let in0 = 0.0f32 as f64;
    let in1 = in_size as f32 as f64;
    let scale = (in1 - in0) / f64::from(out_size);
    let filterscale = if scale < 1.0 { 1.0 } else { scale };
    let support = 3.0 * filterscale;
    let mut out = Vec::with_capacity(out_size as usize);
    for xx in 0..out_size {
        let center = in0 + (f64::from(xx) + 0.5) * scale;
        let ss = 1.0 / filterscale;
        // C's (int) truncates toward zero.
        let xmin = ((center - support + 0.5) as i64).max(0);
        let xmax = ((center + support + 0.5) as i64).min(i64::from(in_size));
        let n = (xmax - xmin).max(0);
        let mut k: Vec<f64> = (0..n)
            .map(|x| lanczos(((x + xmin) as f64 - center + 0.5) * ss))
            .collect();
        let ww: f64 = k.iter().sum();
        if ww != 0.0 {
            for v in &mut k {
                *v /= ww;
            }
        }
        let fixed = k
            .iter()
            .map(|&v| {
                let s = v * f64::from(1u32 << PRECISION_BITS);
                if v < 0.0 {
                    (-0.5 + s) as i32 as i64
                } else {
                    (0.5 + s) as i32 as i64
                }
            })
            .collect();
        out.push((xmin as usize, fixed));
    }
    out
}

fn clip8(v: i64) -> u8 {
    if v >= (1i64 << PRECISION_BITS << 8) {
        255
    } else if v <= 0 {
        0
    } else {
        (v >> PRECISION_BITS) as u8
    }
}

/// Pillow's `Image.resize((w, h), LANCZOS)` for mode "L" (no reducing_gap):
/// horizontal pass, then vertical pass, 8-bit intermediate.
fn pil_lanczos_resize(src: &GrayImage, w: u32, h: u32) -> GrayImage {
    let (sw, sh) = src.dimensions();
    let data = src.as_raw();
    let get = |buf: &[u8], stride: usize, x: usize, y: usize| -> i64 {
        i64::from(buf.get(y * stride + x).copied().unwrap_or(0))
    };
    // Horizontal.
    let (tmp, tw) = if w != sw {
        let coeffs = pil_coeffs(sw, w);
        let mut tmp = vec![0u8; w as usize * sh as usize];
        for y in 0..sh as usize {
            for (x, (xmin, k)) in coeffs.iter().enumerate() {
                let mut ss: i64 = 1 << (PRECISION_BITS - 1);
                for (i, kv) in k.iter().enumerate() {
                    ss += get(data, sw as usize, xmin + i, y) * kv;
                }
                if let Some(o) = tmp.get_mut(y * w as usize + x) {
                    *o = clip8(ss);
                }
            }
        }
        (tmp, w)
    } else {
        (data.clone(), sw)
    };
    // Vertical.
    let out = if h != sh {
        let coeffs = pil_coeffs(sh, h);
        let mut out = vec![0u8; tw as usize * h as usize];
        for (y, (ymin, k)) in coeffs.iter().enumerate() {
            for x in 0..tw as usize {
                let mut ss: i64 = 1 << (PRECISION_BITS - 1);
                for (i, kv) in k.iter().enumerate() {
                    ss += get(&tmp, tw as usize, x, ymin + i) * kv;
                }
                if let Some(o) = out.get_mut(y * tw as usize + x) {
                    *o = clip8(ss);
                }
            }
        }
        out
    } else {
        tmp
    };
    GrayImage::from_raw(tw, h, out).unwrap_or_else(|| GrayImage::new(w, h))
}

#[cfg(test)]
#[path = "imageinfo_test.rs"]
mod tests;

//! Car-body colour labelling for a photo: pure Rust, no pgrx.
//!
//! # Method
//!
//! 1. **Crop.** Only the central [`CROP_FRACTION`] (60 %) of the width and of the
//!    height is used: the pixel columns `w/5 .. w - w/5` and rows `h/5 .. h - h/5`
//!    (integer division, so images narrower or shorter than 5 px are used whole).
//!    Listing photos are framed with the car in the middle, so this drops most of
//!    the road, sky, showroom walls and neighbouring cars. All shares below are
//!    shares *of this crop*, not of the whole image.
//! 2. **Sample.** The crop is point-sampled on a regular grid with the smallest
//!    integer stride `s ≥ 1` such that `ceil(cw/s) · ceil(ch/s) ≤` [`MAX_SAMPLES`]
//!    (4096); the grid is centred in the crop. Point sampling (not box averaging) keeps
//!    true paint colours at two-tone boundaries instead of inventing blends, touches
//!    at most 4096 pixels whatever the image size, and is fully deterministic.
//! 3. **Lab.** Each sample is converted with [`srgb_to_lab`]: IEC 61966-2-1 sRGB
//!    decoding, the IEC (4-decimal) sRGB→XYZ matrix, CIE L\*a\*b\* with the D65
//!    white (x, y) = (0.3127, 0.3290) — exactly what colour-science 0.4.7's
//!    `XYZ_to_Lab(sRGB_to_XYZ(rgb / 255))` computes (tested to 1e-6).
//! 4. **Cluster.** k-means in Lab with linfa-clustering `KMeans`, [`K`] = 4 clusters
//!    (body, background left in the crop, glass/tyres, highlights), k-means++ init,
//!    [`KMEANS_RUNS`] = 3 restarts, tolerance 0.05 Lab units of centroid movement
//!    (far below a just-noticeable difference; exact means are taken afterwards), at
//!    most 100 iterations, RNG `Xoshiro256Plus::seed_from_u64(seed)`, so a given
//!    (image, seed) always gets the same answer. Memberships are then reassigned to
//!    the nearest returned centroid and each centre is recomputed as the exact mean
//!    of its members (linfa's m_k-means update only approaches the mean, and its
//!    `cluster_count` belongs to the last run, not the best). Empty clusters are
//!    dropped. If the sample has at most `K` distinct sRGB values (solid or
//!    flat-shaded images, a 1×1 image) k-means is skipped and each distinct value
//!    is its own cluster — exact, and k-means++ never sees fewer points than k.
//! 5. **Name.** Each cluster centre gets a palette name ([`name_for_lab`]):
//!    * *Achromatic rule*: if chroma C\*ab < [`ACHROMATIC_MAX_CHROMA`] (10) the name
//!      depends only on L\*: black `L* < 25`, grey `25 ≤ L* < 65`, silver
//!      `65 ≤ L* < 86`, white `L* ≥ 86` ([`ACHROMATIC_BANDS`]). Nearest-by-ΔE alone
//!      gets dark and neutral paints wrong (charcoal 36454F is nearer the blue entry
//!      than any grey; dark navy 1F2A44 is nearly as near black as blue), whereas
//!      chroma cleanly separates them: navy has C\* ≈ 18, charcoal C\* ≈ 8.6.
//!      So charcoal 36454F (L\* 28.4) is **grey**, 333333 (L\* 21) is black.
//!    * *Chromatic*: otherwise the nearest chromatic palette entry by CIEDE2000
//!      (the four neutral entries are not candidates).
//!    * `delta_e` is the CIEDE2000 distance from the centre to the *named region*:
//!      the palette colour for chromatic names; the nearest neutral point
//!      `(clamp(L*, band), 0, 0)` for achromatic names (any neutral inside its band
//!      fits that name perfectly, so only the chroma and band overshoot count).
//! 6. **Merge.** Clusters with the same name are merged: shares summed, `lab` and
//!    `delta_e` are share-weighted means. The result is sorted by share, descending;
//!    exact ties put chromatic names before achromatic ones, then palette order
//!    (so an exact 50/50 red body / white roof reads `"red/white"`).
//! 7. **Two-tone rule.** If the second name's share of the crop is ≥
//!    [`TWO_TONE_MIN_SHARE`] (0.25) the label is `"major/minor"` (e.g. `"red/white"`),
//!    else the major name alone.
//! 8. **Confidence** = `S × Q`, where `S` is the share of the labelled name(s) (the
//!    major's share, or major + minor for a two-tone label) and `Q` is the
//!    share-weighted mean over those name(s) of `closeness(ΔE) = clamp(1 − ΔE /`
//!    [`CLOSENESS_DELTA_E`]`, 0, 1)` with `CLOSENESS_DELTA_E` = 40 (ΔE ≥ 40 is an
//!    unrelated colour). The result is clamped to [0, 1]. A solid palette colour
//!    scores ≈ 1.0; a 60/40 two-tone of exact palette colours scores ≈ 1.0; a solid
//!    colour with a 20 % background in the crop scores ≤ 0.8.
//!
//! # Palette
//!
//! [`PALETTE`] is hand-picked (no standard exists for "car colour" names): the
//! neutral entries sit on the neutral axis inside their bands (silver and grey are
//! the CSS/X11 `silver` C0C0C0 and `grey` 808080; black 161616 and white F0F0F0 are
//! what black and white paint actually photograph as, not 000000/FFFFFF); each
//! chromatic entry is a mid-tone of the paint family as it appears in daylight
//! listing photos (red B4141E between bright "flame" reds and dark metallic reds,
//! blue 1E3C8C a mid metallic blue, gold B4964F a metallic/champagne gold, …).
//! The chromatic entries are at least 15 CIEDE2000 apart (closest pair:
//! blue/purple 15.0, beige/gold 15.2), and all have C\* ≥ 19 so they are never
//! inside the achromatic rule.
//!
//! # Notes
//!
//! * Errors: an image with zero width or height is `Err`; any (unexpected) linfa
//!   error is passed on as `Err` too, never a panic. No input-dependent
//!   `unwrap`/`expect`; all index arithmetic is bounded by construction (u64/u128
//!   maths, strides ≥ 1, `get_pixel_checked`).
//! * Cost: at most 4096 Lab conversions and a 3-run k-means on ≤ 4096 points.
//! * linfa's k-means uses ndarray's rayon `par_for_each` for the assignment step, so
//!   it runs on rayon's global thread pool (results do not depend on the thread
//!   count: each point's assignment is independent and the sums are sequential).

use linfa::traits::Fit;
use linfa::DatasetBase;
use linfa_clustering::KMeans;
use ndarray016::Array2;
use rand_xoshiro::rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256Plus;

/// Fraction of the width and of the height kept by the central crop.
pub const CROP_FRACTION: f64 = 0.6;
/// Most pixels sampled from the crop.
pub const MAX_SAMPLES: u64 = 4096;
/// Number of k-means clusters.
pub const K: usize = 4;
/// k-means restarts (best inertia wins).
pub const KMEANS_RUNS: usize = 3;
/// k-means convergence tolerance, in Lab units.
pub const KMEANS_TOLERANCE: f64 = 0.05;
/// k-means iteration cap per run.
pub const KMEANS_MAX_ITER: u64 = 100;
/// Below this chroma C*ab a colour is named by lightness alone.
pub const ACHROMATIC_MAX_CHROMA: f64 = 10.0;
/// Achromatic names and their L* bands `[lo, hi)` (the last one includes 100).
pub const ACHROMATIC_BANDS: &[(&str, f64, f64)] = &[
    ("black", 0.0, 25.0),
    ("grey", 25.0, 65.0),
    ("silver", 65.0, 86.0),
    ("white", 86.0, 100.0),
];
/// Minimum crop share of the second colour for a two-tone label.
pub const TWO_TONE_MIN_SHARE: f64 = 0.25;
/// ΔE at which the closeness factor of the confidence reaches 0.
pub const CLOSENESS_DELTA_E: f64 = 40.0;

/// Named car colours in sRGB (see the module docs for how they were chosen).
pub const PALETTE: &[(&str, [u8; 3])] = &[
    ("black", [0x16, 0x16, 0x16]),
    ("white", [0xF0, 0xF0, 0xF0]),
    ("silver", [0xC0, 0xC0, 0xC0]),
    ("grey", [0x80, 0x80, 0x80]),
    ("red", [0xB4, 0x14, 0x1E]),
    ("blue", [0x1E, 0x3C, 0x8C]),
    ("green", [0x1E, 0x64, 0x32]),
    ("brown", [0x64, 0x3C, 0x23]),
    ("beige", [0xD2, 0xC3, 0xA0]),
    ("yellow", [0xF0, 0xC8, 0x14]),
    ("orange", [0xEB, 0x6E, 0x14]),
    ("purple", [0x5A, 0x28, 0x78]),
    ("gold", [0xB4, 0x96, 0x4F]),
];

/// One named colour present in the crop (after merging clusters of the same name).
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// Palette name.
    pub name: &'static str,
    /// Share of the sampled crop pixels, in (0, 1].
    pub share: f64,
    /// Share-weighted mean L*a*b* of the merged cluster centres.
    pub lab: [f64; 3],
    /// Share-weighted mean CIEDE2000 from the centres to the named region.
    pub delta_e: f64,
}

/// The result of [`label_colour`].
#[derive(Debug, Clone, PartialEq)]
pub struct ColourLabel {
    /// `"red"` or, for two-tone, `"red/white"` (major first).
    pub label: String,
    /// In [0, 1]; see the module docs for the formula.
    pub confidence: f64,
    /// Named colours by share, descending.
    pub clusters: Vec<Cluster>,
}

// D65 white, (x, y) = (0.3127, 0.3290), Y = 1 — as colour-science's CCS_ILLUMINANTS.
const WHITE_X: f64 = 0.3127 / 0.3290;
const WHITE_Z: f64 = (1.0 - 0.3127 - 0.3290) / 0.3290;

/// IEC 61966-2-1 sRGB decoding of one 8-bit channel to linear light.
fn srgb_decode(v: u8) -> f64 {
    let v = f64::from(v) / 255.0;
    // colour-science uses `V <= eotf_inverse_sRGB(0.0031308)` = 12.92 * 0.0031308.
    if v <= 12.92 * 0.003_130_8 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

/// CIE 1976 intermediate function f(t).
fn lab_f(t: f64) -> f64 {
    if t > (24.0f64 / 116.0).powi(3) {
        t.cbrt()
    } else {
        (841.0 / 108.0) * t + 16.0 / 116.0
    }
}

/// sRGB (8-bit) to CIE L*a*b* (D65, 2° observer), L* in [0, 100].
///
/// Matches colour-science 0.4.7 `XYZ_to_Lab(sRGB_to_XYZ(rgb / 255))`.
pub fn srgb_to_lab(rgb: [u8; 3]) -> [f64; 3] {
    let r = srgb_decode(rgb[0]);
    let g = srgb_decode(rgb[1]);
    let b = srgb_decode(rgb[2]);
    // IEC 61966-2-1 matrix, as colour-science's RGB_COLOURSPACES["sRGB"].
    let x = 0.4124 * r + 0.3576 * g + 0.1805 * b;
    let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    let z = 0.0193 * r + 0.1192 * g + 0.9505 * b;
    let fx = lab_f(x / WHITE_X);
    let fy = lab_f(y);
    let fz = lab_f(z / WHITE_Z);
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

/// CIEDE2000 colour difference (Sharma, Wu & Dalal 2005; kL = kC = kH = 1).
///
/// Follows colour-science's `delta_E_CIE2000` branch for branch (hue 0 when
/// a' = b = 0; Δh' = 0 and h̄' = h1' + h2' when C1'·C2' = 0).
pub fn delta_e2000(lab1: [f64; 3], lab2: [f64; 3]) -> f64 {
    let [l1, a1, b1] = lab1;
    let [l2, a2, b2] = lab2;
    let c1 = a1.hypot(b1);
    let c2 = a2.hypot(b2);
    let c_bar7 = ((c1 + c2) / 2.0).powi(7);
    let g = 0.5 * (1.0 - (c_bar7 / (c_bar7 + 25f64.powi(7))).sqrt());
    let a1p = (1.0 + g) * a1;
    let a2p = (1.0 + g) * a2;
    let c1p = a1p.hypot(b1);
    let c2p = a2p.hypot(b2);
    let hue = |b: f64, ap: f64| -> f64 {
        if b == 0.0 && ap == 0.0 {
            0.0
        } else {
            b.atan2(ap).to_degrees().rem_euclid(360.0)
        }
    };
    let h1p = hue(b1, a1p);
    let h2p = hue(b2, a2p);

    let d_lp = l2 - l1;
    let d_cp = c2p - c1p;
    let c_prod = c1p * c2p;
    let dh = h2p - h1p;
    let d_hp = if c_prod == 0.0 {
        0.0
    } else if dh.abs() <= 180.0 {
        dh
    } else if dh > 180.0 {
        dh - 360.0
    } else {
        dh + 360.0
    };
    let d_big_hp = 2.0 * c_prod.sqrt() * (d_hp / 2.0).to_radians().sin();

    let l_bar = (l1 + l2) / 2.0;
    let c_barp = (c1p + c2p) / 2.0;
    let h_sum = h1p + h2p;
    let h_barp = if c_prod == 0.0 {
        h_sum
    } else if (h1p - h2p).abs() <= 180.0 {
        h_sum / 2.0
    } else if h_sum < 360.0 {
        (h_sum + 360.0) / 2.0
    } else {
        (h_sum - 360.0) / 2.0
    };
    let t = 1.0 - 0.17 * (h_barp - 30.0).to_radians().cos()
        + 0.24 * (2.0 * h_barp).to_radians().cos()
        + 0.32 * (3.0 * h_barp + 6.0).to_radians().cos()
        - 0.20 * (4.0 * h_barp - 63.0).to_radians().cos();
    let d_theta = 30.0 * (-((h_barp - 275.0) / 25.0).powi(2)).exp();
    let c_barp7 = c_barp.powi(7);
    let r_c = 2.0 * (c_barp7 / (c_barp7 + 25f64.powi(7))).sqrt();
    let l_bar2 = (l_bar - 50.0).powi(2);
    let s_l = 1.0 + (0.015 * l_bar2) / (20.0 + l_bar2).sqrt();
    let s_c = 1.0 + 0.045 * c_barp;
    let s_h = 1.0 + 0.015 * c_barp * t;
    let r_t = -(2.0 * d_theta).to_radians().sin() * r_c;

    let tl = d_lp / s_l;
    let tc = d_cp / s_c;
    let th = d_big_hp / s_h;
    (tl * tl + tc * tc + th * th + r_t * tc * th)
        .max(0.0)
        .sqrt()
}

/// Whether a palette name is one of the achromatic (lightness-band) names.
pub fn is_achromatic_name(name: &str) -> bool {
    ACHROMATIC_BANDS.iter().any(|(n, _, _)| *n == name)
}

/// Names one L*a*b* colour: `(palette name, ΔE2000 to the named region)`.
///
/// Achromatic rule first (C*ab < 10 → band by L*), else the nearest chromatic
/// palette entry by CIEDE2000. See the module docs.
pub fn name_for_lab(lab: [f64; 3]) -> (&'static str, f64) {
    let chroma = lab[1].hypot(lab[2]);
    if chroma < ACHROMATIC_MAX_CHROMA {
        let l = lab[0];
        let last = ACHROMATIC_BANDS.len() - 1;
        for (i, &(name, lo, hi)) in ACHROMATIC_BANDS.iter().enumerate() {
            if l < hi || i == last {
                // Nearest neutral point of the band.
                let target = [l.clamp(lo, hi), 0.0, 0.0];
                return (name, delta_e2000(lab, target));
            }
        }
    }
    let mut best: (&'static str, f64) = ("", f64::INFINITY);
    for &(name, rgb) in PALETTE {
        if is_achromatic_name(name) {
            continue;
        }
        let d = delta_e2000(lab, srgb_to_lab(rgb));
        if d < best.1 {
            best = (name, d);
        }
    }
    best
}

/// Closeness factor of the confidence: `clamp(1 − ΔE / 40, 0, 1)`.
pub fn closeness(delta_e: f64) -> f64 {
    if delta_e.is_nan() {
        return 0.0;
    }
    (1.0 - delta_e / CLOSENESS_DELTA_E).clamp(0.0, 1.0)
}

/// The central crop: `(x0, y0, width, height)`, never empty for a non-empty image.
fn crop_rect(w: u32, h: u32) -> (u64, u64, u64, u64) {
    let (w, h) = (u64::from(w), u64::from(h));
    // 20 % off each side = the middle 60 % (CROP_FRACTION).
    let x0 = w / 5;
    let y0 = h / 5;
    (x0, y0, w - 2 * x0, h - 2 * y0)
}

/// Evenly spaced, centred sample coordinates along one axis of length `len` with
/// stride `step` (both ≥ 1).
fn grid_axis(start: u64, len: u64, step: u64) -> impl Iterator<Item = u64> {
    let n = len.div_ceil(step);
    let offset = (len - 1 - (n - 1) * step) / 2;
    (0..n).map(move |i| start + offset + i * step)
}

/// Samples the central crop (at most [`MAX_SAMPLES`] pixels), row-major.
fn sample_crop(img: &image::RgbImage) -> Vec<[u8; 3]> {
    let (x0, y0, cw, ch) = crop_rect(img.width(), img.height());
    if cw == 0 || ch == 0 {
        return Vec::new();
    }
    let count = |s: u64| (cw.div_ceil(s) as u128) * (ch.div_ceil(s) as u128);
    let area = (cw as u128) * (ch as u128);
    // Lower bounds on the stride: from the area, and from each side on its own
    // (long thin crops); the loop then only steps a little.
    let mut step = ((area as f64 / MAX_SAMPLES as f64).sqrt().floor() as u64)
        .max(cw.div_ceil(MAX_SAMPLES))
        .max(ch.div_ceil(MAX_SAMPLES))
        .max(1);
    while count(step) > u128::from(MAX_SAMPLES) {
        step += 1;
    }
    let xs: Vec<u64> = grid_axis(x0, cw, step).collect();
    let mut out = Vec::with_capacity(xs.len() * ch.div_ceil(step) as usize);
    for y in grid_axis(y0, ch, step) {
        for &x in &xs {
            // Coordinates are < width/height by construction, which fit in u32.
            let (Ok(xi), Ok(yi)) = (u32::try_from(x), u32::try_from(y)) else {
                continue;
            };
            if let Some(p) = img.get_pixel_checked(xi, yi) {
                out.push(p.0);
            }
        }
    }
    out
}

/// A raw cluster: centre in Lab and number of member samples.
#[derive(Debug, Clone, PartialEq)]
pub struct RawCluster {
    /// Exact mean of the members, L*a*b*.
    pub centre: [f64; 3],
    /// Number of member samples (≥ 1).
    pub count: usize,
}

/// Clusters Lab points into at most `k` clusters (see module docs, step 4).
///
/// If there are at most `k` distinct points, each distinct point is a cluster;
/// otherwise linfa k-means with `Xoshiro256Plus::seed_from_u64(seed)`. Distinct
/// points come in first-seen order, k-means clusters in linfa's centroid order; empty
/// clusters are dropped. Empty input gives an empty result.
pub fn cluster_lab(points: &[[f64; 3]], k: usize, seed: u64) -> Result<Vec<RawCluster>, String> {
    if points.is_empty() || k == 0 {
        return Ok(Vec::new());
    }
    if points.iter().any(|p| p.iter().any(|v| !v.is_finite())) {
        return Err("colour: non-finite Lab value".to_string());
    }
    // Distinct points (by exact bit pattern): (key, first index, count).
    let mut keyed: Vec<([u64; 3], usize)> = points
        .iter()
        .enumerate()
        .map(|(i, p)| ([p[0].to_bits(), p[1].to_bits(), p[2].to_bits()], i))
        .collect();
    keyed.sort_unstable();
    let mut groups: Vec<(usize, usize)> = Vec::new(); // (first index, count)
    for (i, (key, idx)) in keyed.iter().enumerate() {
        if i > 0 && keyed[i - 1].0 == *key {
            if let Some(g) = groups.last_mut() {
                g.1 += 1;
            }
        } else {
            groups.push((*idx, 1));
        }
    }
    if groups.len() <= k {
        groups.sort_unstable_by_key(|g| g.0);
        return Ok(groups
            .into_iter()
            .map(|(first, count)| RawCluster {
                centre: points[first],
                count,
            })
            .collect());
    }

    let flat: Vec<f64> = points.iter().flat_map(|p| p.iter().copied()).collect();
    let records = Array2::from_shape_vec((points.len(), 3), flat)
        .map_err(|e| format!("colour: building the sample matrix: {e}"))?;
    let dataset = DatasetBase::from(records);
    let rng = Xoshiro256Plus::seed_from_u64(seed);
    let model = KMeans::params_with_rng(k, rng)
        .n_runs(KMEANS_RUNS)
        .tolerance(KMEANS_TOLERANCE)
        .max_n_iterations(KMEANS_MAX_ITER)
        .fit(&dataset)
        .map_err(|e| format!("colour: k-means failed: {e}"))?;
    let centroids: Vec<[f64; 3]> = model
        .centroids()
        .outer_iter()
        .filter_map(|r| <[f64; 3]>::try_from(r.to_vec().as_slice()).ok())
        .collect();
    if centroids.is_empty() {
        return Err("colour: k-means returned no centroids".to_string());
    }

    // Reassign to the nearest centroid (first wins ties) and take exact means.
    let mut sums = vec![[0.0f64; 3]; centroids.len()];
    let mut counts = vec![0usize; centroids.len()];
    for p in points {
        let mut best = 0;
        let mut best_d = f64::INFINITY;
        for (j, c) in centroids.iter().enumerate() {
            let d = (p[0] - c[0]).powi(2) + (p[1] - c[1]).powi(2) + (p[2] - c[2]).powi(2);
            if d < best_d {
                best_d = d;
                best = j;
            }
        }
        for (s, v) in sums[best].iter_mut().zip(p) {
            *s += v;
        }
        counts[best] += 1;
    }
    Ok(sums
        .into_iter()
        .zip(counts)
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| {
            let nf = n as f64;
            RawCluster {
                centre: [s[0] / nf, s[1] / nf, s[2] / nf],
                count: n,
            }
        })
        .collect())
}

fn palette_index(name: &str) -> usize {
    PALETTE
        .iter()
        .position(|(n, _)| *n == name)
        .unwrap_or(PALETTE.len())
}

/// Names, merges and sorts raw clusters (steps 5–6). `total` is the sample count.
fn name_and_merge(raw: &[RawCluster], total: usize) -> Vec<Cluster> {
    let mut merged: Vec<Cluster> = Vec::new();
    if total == 0 {
        return merged;
    }
    for rc in raw {
        let share = rc.count as f64 / total as f64;
        let (name, de) = name_for_lab(rc.centre);
        match merged.iter_mut().find(|c| c.name == name) {
            Some(c) => {
                let s = c.share + share;
                for (acc, v) in c.lab.iter_mut().zip(rc.centre) {
                    *acc = (*acc * c.share + v * share) / s;
                }
                c.delta_e = (c.delta_e * c.share + de * share) / s;
                c.share = s;
            }
            None => merged.push(Cluster {
                name,
                share,
                lab: rc.centre,
                delta_e: de,
            }),
        }
    }
    // By share; exact ties: chromatic names first (a coloured body with a white
    // roof reads "red/white"), then palette order.
    merged.sort_by(|a, b| {
        b.share
            .total_cmp(&a.share)
            .then_with(|| is_achromatic_name(a.name).cmp(&is_achromatic_name(b.name)))
            .then_with(|| palette_index(a.name).cmp(&palette_index(b.name)))
    });
    merged
}

/// Label and confidence from merged clusters (steps 7–8).
fn label_from_clusters(clusters: &[Cluster]) -> (String, f64) {
    let two_tone = clusters
        .get(1)
        .is_some_and(|c| c.share >= TWO_TONE_MIN_SHARE);
    let labelled = &clusters[..clusters.len().min(if two_tone { 2 } else { 1 })];
    if labelled.is_empty() {
        return (String::new(), 0.0);
    }
    let label = labelled
        .iter()
        .map(|c| c.name)
        .collect::<Vec<_>>()
        .join("/");
    let s: f64 = labelled.iter().map(|c| c.share).sum();
    let q = if s > 0.0 {
        labelled
            .iter()
            .map(|c| c.share * closeness(c.delta_e))
            .sum::<f64>()
            / s
    } else {
        0.0
    };
    let conf = s * q;
    (
        label,
        if conf.is_finite() {
            conf.clamp(0.0, 1.0)
        } else {
            0.0
        },
    )
}

/// Labels the body colour of a car photo (see the module docs for the method).
///
/// Deterministic for a given `(img, seed)`. `Err` only for an empty image.
pub fn label_colour(img: &image::RgbImage, seed: u64) -> Result<ColourLabel, String> {
    if img.width() == 0 || img.height() == 0 {
        return Err(format!(
            "colour: empty image ({}x{}), nothing to label",
            img.width(),
            img.height()
        ));
    }
    let samples = sample_crop(img);
    if samples.is_empty() {
        return Err("colour: no pixels sampled from the image".to_string());
    }
    let labs: Vec<[f64; 3]> = samples.iter().map(|&p| srgb_to_lab(p)).collect();
    let raw = cluster_lab(&labs, K, seed)?;
    let clusters = name_and_merge(&raw, labs.len());
    if clusters.is_empty() {
        return Err("colour: clustering produced no clusters".to_string());
    }
    let (label, confidence) = label_from_clusters(&clusters);
    Ok(ColourLabel {
        label,
        confidence,
        clusters,
    })
}

#[cfg(test)]
#[path = "colour_test.rs"]
mod tests;

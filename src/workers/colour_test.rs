use super::*;
use image::{Rgb, RgbImage};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn hex(h: u32) -> [u8; 3] {
    [(h >> 16) as u8, (h >> 8) as u8, h as u8]
}

fn solid(w: u32, h: u32, rgb: [u8; 3]) -> RgbImage {
    RgbImage::from_pixel(w, h, Rgb(rgb))
}

fn palette_rgb(name: &str) -> [u8; 3] {
    PALETTE
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, c)| *c)
        .unwrap_or_else(|| panic!("no palette entry {name}"))
}

/// SplitMix64: a tiny deterministic PRNG for test noise.
struct SplitMix(u64);
impl SplitMix {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
    /// Gaussian-ish: sum of three uniforms, scaled so |x| ≤ 3·amp/3 = amp (σ = amp/3).
    fn gaussianish(&mut self, amp: f64) -> f64 {
        (self.unit() + self.unit() + self.unit()) / 3.0 * amp
    }
}

fn add_noise(img: &mut RgbImage, amp: f64, seed: u64) {
    let mut rng = SplitMix(seed);
    for p in img.pixels_mut() {
        for c in p.0.iter_mut() {
            let v = f64::from(*c) + rng.gaussianish(amp);
            *c = v.round().clamp(0.0, 255.0) as u8;
        }
    }
}

/// A 100×100 image whose top `split` rows are `top` and the rest `bottom`.
/// The crop is rows 20..80, so the crop share of `top` is `(split - 20) / 60`.
fn split_rows(split: u32, top: [u8; 3], bottom: [u8; 3]) -> RgbImage {
    RgbImage::from_fn(100, 100, |_, y| Rgb(if y < split { top } else { bottom }))
}

fn assert_close(a: f64, b: f64, tol: f64, what: &str) {
    assert!((a - b).abs() <= tol, "{what}: {a} vs {b} (tol {tol})");
}

// ---------------------------------------------------------------------------
// srgb_to_lab vs colour-science 0.4.7
// ---------------------------------------------------------------------------

/// Produced with colour-science 0.4.7 (numpy 2):
/// ```python
/// import colour, numpy as np
/// D65 = colour.CCS_ILLUMINANTS["CIE 1931 2 Degree Standard Observer"]["D65"]
/// lab = colour.XYZ_to_Lab(colour.sRGB_to_XYZ(np.array(rgb) / 255), illuminant=D65)
/// ```
/// (identical to the call without `illuminant=`: XYZ_to_Lab's default is that D65,
/// (0.3127, 0.3290), the same white as the sRGB colourspace, so no adaptation.)
const LAB_REFERENCE: &[([u8; 3], [f64; 3])] = &[
    (
        [255, 0, 0],
        [53.232881785842, 80.111177743140, 67.223703666870],
    ),
    (
        [0, 255, 0],
        [87.737033473544, -86.182854996580, 83.187834658196],
    ),
    (
        [0, 0, 255],
        [32.302586667249, 79.198080234786, -107.850355695011],
    ),
    ([0, 0, 0], [0.000000000000, 0.000000000000, 0.000000000000]),
    (
        [255, 255, 255],
        [100.000000000000, 0.007728267713, 0.003535275068],
    ),
    (
        [128, 128, 128],
        [53.585013452169, 0.004635962179, 0.002120708303],
    ),
    (
        [10, 10, 10],
        [2.741748000657, 0.000547998881, 0.000250672294],
    ),
    (
        [11, 11, 11],
        [3.022913360953, 0.000604195987, 0.000276378655],
    ),
    (
        [1, 2, 3],
        [0.509855458202, -0.122309646489, -0.470514691975],
    ),
    (
        [22, 22, 22],
        [7.247320508169, 0.001448537038, 0.000662607378],
    ),
    (
        [240, 240, 240],
        [94.796245829592, 0.007381578012, 0.003376682806],
    ),
    (
        [192, 192, 192],
        [77.704363589953, 0.006242865583, 0.002855781900],
    ),
    (
        [180, 20, 30],
        [38.370890582614, 59.563376135185, 39.287416695133],
    ),
    (
        [30, 60, 140],
        [27.848463161131, 19.427233883414, -47.654724360679],
    ),
    (
        [30, 100, 50],
        [37.152800406975, -33.758132606982, 22.113159960384],
    ),
    (
        [100, 60, 35],
        [29.569331034886, 14.894583309808, 22.634918480420],
    ),
    (
        [210, 195, 160],
        [79.196487945451, -0.242307559956, 19.528407904529],
    ),
    (
        [240, 200, 20],
        [81.775274054682, -0.498388589356, 80.722538105778],
    ),
    (
        [235, 110, 20],
        [60.661888178287, 44.141964352681, 64.998373474417],
    ),
    (
        [90, 40, 120],
        [26.869124667549, 37.629651059847, -36.457652471511],
    ),
    (
        [180, 150, 79],
        [63.409364026527, 2.411132575047, 41.168629362332],
    ),
    (
        [31, 42, 68],
        [17.294816076677, 3.914886985498, -17.828444744442],
    ),
    (
        [54, 69, 79],
        [28.393278215567, -3.246807504614, -7.955517615475],
    ),
    (
        [123, 17, 19],
        [25.739907053067, 43.563870736297, 29.155331158234],
    ),
];

#[test]
fn srgb_to_lab_matches_colour_science() {
    for (rgb, want) in LAB_REFERENCE {
        let got = srgb_to_lab(*rgb);
        for i in 0..3 {
            assert_close(got[i], want[i], 1e-6, &format!("Lab[{i}] of {rgb:?}"));
        }
    }
}

#[test]
fn srgb_to_lab_covers_every_palette_colour_in_reference() {
    for (name, rgb) in PALETTE {
        assert!(
            LAB_REFERENCE.iter().any(|(r, _)| r == rgb),
            "palette colour {name} {rgb:?} has no colour-science reference"
        );
    }
}

#[test]
fn srgb_to_lab_is_monotone_in_lightness_and_in_range_for_all_greys() {
    let mut prev = -1.0;
    for v in 0..=255u8 {
        let [l, a, b] = srgb_to_lab([v, v, v]);
        assert!(l > prev, "L* not increasing at {v}");
        assert!((0.0..=100.0 + 1e-9).contains(&l));
        assert!(a.abs() < 0.01 && b.abs() < 0.01, "grey {v} has chroma");
        prev = l;
    }
}

// ---------------------------------------------------------------------------
// delta_e2000 vs colour-science 0.4.7 and Sharma, Wu & Dalal (2005)
// ---------------------------------------------------------------------------

/// Produced with colour-science 0.4.7:
/// `colour.delta_E(np.array(a, float), np.array(b, float), method="CIE 2000")`.
/// The first twelve are pairs from Sharma, Wu & Dalal (2005), "The CIEDE2000
/// color-difference formula: implementation notes, supplementary test data, and
/// mathematical observations", Table 1 (published ΔE00 in the comments; they agree
/// to the table's 4 decimals). The pairs with b ≈ ±0.001 exercise the hue-wrap /
/// mean-hue branches; (50,0,0) exercises the zero-chroma branch.
const DE_REFERENCE: &[([f64; 3], [f64; 3], f64)] = &[
    (
        [50.0, 2.6772, -79.7751],
        [50.0, 0.0, -82.7485],
        2.0424596802,
    ), // #1  2.0425
    (
        [50.0, 3.1571, -77.2803],
        [50.0, 0.0, -82.7485],
        2.8615101747,
    ), // #2  2.8615
    ([50.0, 0.0, 0.0], [50.0, -1.0, 2.0], 2.3668588192), // #7  2.3669
    ([50.0, -1.0, 2.0], [50.0, 0.0, 0.0], 2.3668588192), // #8  2.3669
    ([50.0, 2.49, -0.001], [50.0, -2.49, 0.0009], 7.1791720113), // #10 7.1792
    ([50.0, 2.49, -0.001], [50.0, -2.49, 0.001], 7.1791626400), // #11 7.1792
    ([50.0, 2.49, -0.001], [50.0, -2.49, 0.0011], 7.2194721523), // #12 7.2195
    ([50.0, 2.5, 0.0], [73.0, 25.0, -18.0], 27.1492313007), // #17 27.1492
    ([50.0, 2.5, 0.0], [50.0, 3.1736, 0.5854], 1.0000263434), // #19 1.0000
    (
        [60.2574, -34.0099, 36.2677],
        [60.4626, -34.1751, 39.4387],
        1.2644200136,
    ), // #25 1.2644
    (
        [63.0109, -31.0961, -5.8663],
        [62.8187, -29.7946, -4.0864],
        1.2629592983,
    ), // #26 1.2630
    (
        [90.8027, -2.0831, 1.441],
        [91.1528, -1.6435, 0.0447],
        1.4441290781,
    ), // #31 1.4441
    (
        [2.0776, 0.0795, -1.135],
        [0.9033, -0.0636, -0.5514],
        0.9082328396,
    ), // #34 0.9082
    ([40.0, 0.0, 0.0], [60.0, 0.0, 0.0], 20.0000000000),
    ([30.0, 40.0, 20.0], [30.0, -40.0, -20.0], 53.2695029172),
    ([50.0, 10.0, 10.0], [50.0, 10.0, 10.0], 0.0),
];

#[test]
fn delta_e2000_matches_colour_science_and_sharma() {
    for (a, b, want) in DE_REFERENCE {
        let got = delta_e2000(*a, *b);
        assert_close(got, *want, 1e-4, &format!("ΔE00 {a:?} {b:?}"));
    }
}

#[test]
fn delta_e2000_is_symmetric_and_non_negative() {
    let labs: Vec<[f64; 3]> = LAB_REFERENCE.iter().map(|(_, l)| *l).collect();
    for a in &labs {
        assert_eq!(delta_e2000(*a, *a), 0.0);
        for b in &labs {
            let d1 = delta_e2000(*a, *b);
            let d2 = delta_e2000(*b, *a);
            assert!(d1 >= 0.0 && d1.is_finite());
            assert_close(d1, d2, 1e-9, "symmetry");
        }
    }
}

// ---------------------------------------------------------------------------
// Naming rule
// ---------------------------------------------------------------------------

#[test]
fn palette_has_the_required_names_once_each() {
    let required = [
        "black", "white", "silver", "grey", "red", "blue", "green", "brown", "beige", "yellow",
        "orange", "purple", "gold",
    ];
    for r in required {
        assert_eq!(PALETTE.iter().filter(|(n, _)| *n == r).count(), 1, "{r}");
    }
    for (name, _, _) in ACHROMATIC_BANDS {
        assert!(
            PALETTE.iter().any(|(n, _)| n == name),
            "band {name} not in palette"
        );
    }
}

#[test]
fn palette_entries_name_themselves_exactly() {
    for (name, rgb) in PALETTE {
        let (got, de) = name_for_lab(srgb_to_lab(*rgb));
        assert_eq!(got, *name, "{rgb:?}");
        assert!(de < 0.05, "{name}: ΔE to own region {de}");
    }
}

#[test]
fn chromatic_palette_entries_are_well_separated() {
    let chromatic: Vec<_> = PALETTE
        .iter()
        .filter(|(n, _)| !is_achromatic_name(n))
        .collect();
    for (i, (n1, c1)) in chromatic.iter().enumerate() {
        let l1 = srgb_to_lab(*c1);
        assert!(
            l1[1].hypot(l1[2]) >= 2.0 * ACHROMATIC_MAX_CHROMA - 1.0,
            "{n1} chroma"
        );
        for (n2, c2) in chromatic.iter().skip(i + 1) {
            let d = delta_e2000(l1, srgb_to_lab(*c2));
            assert!(d >= 15.0, "{n1}/{n2} only ΔE {d}");
        }
    }
}

#[test]
fn achromatic_bands_by_lightness() {
    let cases = [
        (0x000000, "black"),
        (0x333333, "black"), // L* 21.2
        (0x404040, "grey"),  // L* 27.1
        (0x5A5A5A, "grey"),
        (0x9A9A9A, "grey"), // L* 64.0
        (0xA9A9A9, "silver"),
        (0xD3D3D3, "silver"), // L* 84.6
        (0xE0E0E0, "white"),  // L* 89.2
        (0xFFFFFF, "white"),
        (0x101820, "black"), // bluish black, C* 6.8
        (0xF5F0E0, "white"), // cream, C* 8.4
    ];
    for (h, want) in cases {
        assert_eq!(name_for_lab(srgb_to_lab(hex(h))).0, want, "{h:06X}");
    }
    // Boundaries are [lo, hi).
    assert_eq!(name_for_lab([24.999, 0.0, 0.0]).0, "black");
    assert_eq!(name_for_lab([25.0, 0.0, 0.0]).0, "grey");
    assert_eq!(name_for_lab([65.0, 0.0, 0.0]).0, "silver");
    assert_eq!(name_for_lab([86.0, 0.0, 0.0]).0, "white");
    assert_eq!(name_for_lab([100.0, 0.0, 0.0]).0, "white");
    // Neutral inside a band fits it perfectly.
    assert_eq!(name_for_lab([40.0, 0.0, 0.0]), ("grey", 0.0));
}

#[test]
fn chroma_decides_dark_blue_versus_black() {
    // Nearest-by-ΔE among all entries would be wrong or marginal for these.
    let navy = srgb_to_lab(hex(0x1F2A44));
    assert_eq!(name_for_lab(navy).0, "blue");
    let very_dark_navy = srgb_to_lab(hex(0x0A1A3A));
    assert_eq!(name_for_lab(very_dark_navy).0, "blue");
    // Charcoal is nearer the blue entry by ΔE than any neutral entry, but C* 8.6.
    let charcoal = srgb_to_lab(hex(0x36454F));
    let nearest_any = PALETTE
        .iter()
        .min_by(|a, b| {
            delta_e2000(charcoal, srgb_to_lab(a.1))
                .total_cmp(&delta_e2000(charcoal, srgb_to_lab(b.1)))
        })
        .map(|(n, _)| *n);
    assert_eq!(nearest_any, Some("blue"));
    assert_eq!(name_for_lab(charcoal).0, "grey");
}

#[test]
fn closeness_is_a_clamped_line() {
    assert_eq!(closeness(0.0), 1.0);
    assert_close(closeness(10.0), 0.75, 1e-12, "10");
    assert_eq!(closeness(40.0), 0.0);
    assert_eq!(closeness(400.0), 0.0);
    assert_eq!(closeness(-1.0), 1.0);
    assert_eq!(closeness(f64::NAN), 0.0);
}

// ---------------------------------------------------------------------------
// Label and confidence arithmetic
// ---------------------------------------------------------------------------

fn cl(name: &'static str, share: f64, delta_e: f64) -> Cluster {
    Cluster {
        name,
        share,
        lab: [0.0; 3],
        delta_e,
    }
}

#[test]
fn confidence_formula_single_and_two_tone() {
    // Single: S = 0.8, Q = closeness(4) = 0.9.
    let (label, conf) = label_from_clusters(&[cl("red", 0.8, 4.0), cl("white", 0.2, 0.0)]);
    assert_eq!(label, "red");
    assert_close(conf, 0.8 * 0.9, 1e-12, "single");
    // Two-tone: S = 0.9, Q = (0.6·0.9 + 0.3·1.0) / 0.9.
    let (label, conf) = label_from_clusters(&[
        cl("red", 0.6, 4.0),
        cl("white", 0.3, 0.0),
        cl("black", 0.1, 0.0),
    ]);
    assert_eq!(label, "red/white");
    assert_close(conf, 0.6 * 0.9 + 0.3, 1e-12, "two-tone");
    // Exactly at the threshold counts as two-tone.
    let (label, _) = label_from_clusters(&[cl("blue", 0.75, 0.0), cl("black", 0.25, 0.0)]);
    assert_eq!(label, "blue/black");
    let (label, _) = label_from_clusters(&[cl("blue", 0.76, 0.0), cl("black", 0.24, 0.0)]);
    assert_eq!(label, "blue");
    assert_eq!(label_from_clusters(&[]), (String::new(), 0.0));
}

// ---------------------------------------------------------------------------
// Crop and sampling
// ---------------------------------------------------------------------------

#[test]
fn crop_is_the_middle_sixty_percent() {
    assert_eq!(crop_rect(100, 50), (20, 10, 60, 30));
    assert_eq!(crop_rect(1, 1), (0, 0, 1, 1));
    assert_eq!(crop_rect(4, 3), (0, 0, 4, 3));
    assert_eq!(crop_rect(5, 5), (1, 1, 3, 3));
    assert_eq!(crop_rect(u32::MAX, 7), (858_993_459, 1, 2_576_980_377, 5));
}

#[test]
fn sampling_is_bounded_and_stays_inside_the_crop() {
    for (w, h) in [
        (1, 1),
        (2, 3),
        (64, 64),
        (100, 100),
        (107, 93),
        (2000, 10),
        (10_000, 1),
        (1, 9_999),
        (200_000, 1),
    ] {
        // Mark the crop region white and everything else black: every sample must be white.
        let (x0, y0, cw, ch) = crop_rect(w, h);
        let img = RgbImage::from_fn(w, h, |x, y| {
            let inside = u64::from(x) >= x0
                && u64::from(x) < x0 + cw
                && u64::from(y) >= y0
                && u64::from(y) < y0 + ch;
            Rgb(if inside { [255; 3] } else { [0; 3] })
        });
        let s = sample_crop(&img);
        assert!(!s.is_empty(), "{w}x{h}");
        assert!(s.len() as u64 <= MAX_SAMPLES, "{w}x{h}: {}", s.len());
        assert!(
            s.iter().all(|p| *p == [255; 3]),
            "{w}x{h}: sampled outside the crop"
        );
        if cw * ch <= MAX_SAMPLES {
            assert_eq!(
                s.len() as u64,
                cw * ch,
                "{w}x{h}: small crops are used whole"
            );
        } else {
            assert!(
                s.len() as u64 > MAX_SAMPLES / 4,
                "{w}x{h}: too sparse ({})",
                s.len()
            );
        }
    }
}

#[test]
fn grid_axis_is_centred() {
    assert_eq!(grid_axis(10, 1, 1).collect::<Vec<_>>(), vec![10]);
    assert_eq!(grid_axis(0, 10, 3).collect::<Vec<_>>(), vec![0, 3, 6, 9]);
    assert_eq!(grid_axis(0, 11, 3).collect::<Vec<_>>(), vec![0, 3, 6, 9]); // 1 px slack: floor(1/2) = 0
    assert_eq!(grid_axis(0, 12, 3).collect::<Vec<_>>(), vec![1, 4, 7, 10]);
    assert_eq!(grid_axis(5, 10, 20).collect::<Vec<_>>(), vec![9]);
}

// ---------------------------------------------------------------------------
// Clustering
// ---------------------------------------------------------------------------

/// 30 pixels in four well-separated groups (12 red, 8 blue, 6 white, 4 black shades).
fn sklearn_pixels() -> Vec<[u8; 3]> {
    let mut px = Vec::new();
    px.extend((0..12).map(|i| [180 + i, 20, 30]));
    px.extend((0..8).map(|i| [30, 60, 140 + 2 * i]));
    px.extend((0..6).map(|i| [240 - i, 240, 240]));
    px.extend((0..4).map(|i| [20 + i, 20, 20]));
    px
}

/// scikit-learn 1.9.1 on the colour-science Lab of `sklearn_pixels()`:
/// ```python
/// from sklearn.cluster import KMeans
/// km = KMeans(n_clusters=4, n_init=10, random_state=0).fit(lab)
/// # (count, mean of members) per cluster, by count descending
/// ```
const SKLEARN_CLUSTERS: &[(usize, [f64; 3])] = &[
    (12, [39.530255798221, 61.043884366809, 40.784222987142]),
    (8, [28.422119384260, 22.211445945952, -51.024817708473]),
    (6, [94.612212110839, -0.822399256133, -0.287531625105]),
    (4, [6.467957533581, 0.669909121439, 0.236106596341]),
];

#[test]
fn kmeans_matches_scikit_learn_on_a_fixed_pixel_set() {
    let labs: Vec<[f64; 3]> = sklearn_pixels().into_iter().map(srgb_to_lab).collect();
    for seed in [0, 1, 42, u64::MAX] {
        let mut got = cluster_lab(&labs, 4, seed).expect("clusters");
        got.sort_by_key(|c| std::cmp::Reverse(c.count));
        assert_eq!(got.len(), 4);
        for (g, (count, centre)) in got.iter().zip(SKLEARN_CLUSTERS) {
            assert_eq!(g.count, *count, "seed {seed}");
            for (a, b) in g.centre.iter().zip(centre) {
                assert_close(*a, *b, 1e-6, "centre");
            }
        }
    }
}

#[test]
fn few_distinct_colours_skip_kmeans() {
    let a = srgb_to_lab([1, 2, 3]);
    let b = srgb_to_lab([200, 100, 0]);
    let pts = vec![b, a, a, b, a];
    let got = cluster_lab(&pts, 4, 7).expect("clusters");
    assert_eq!(
        got,
        vec![
            RawCluster {
                centre: b,
                count: 2
            },
            RawCluster {
                centre: a,
                count: 3
            }
        ]
    );
    // Exactly k distinct colours: still exact.
    let four: Vec<[f64; 3]> = (0..4u8).map(|i| srgb_to_lab([i * 60, 0, 0])).collect();
    assert_eq!(cluster_lab(&four, 4, 0).expect("clusters").len(), 4);
    // k + 1 distinct goes through k-means and yields at most k clusters, all members counted.
    let five: Vec<[f64; 3]> = (0..5u8).map(|i| srgb_to_lab([i * 60, 0, 0])).collect();
    let got = cluster_lab(&five, 4, 0).expect("clusters");
    assert!(got.len() <= 4 && !got.is_empty());
    assert_eq!(got.iter().map(|c| c.count).sum::<usize>(), 5);
    assert_eq!(cluster_lab(&[], 4, 0).expect("empty"), vec![]);
    assert!(cluster_lab(&[[f64::NAN, 0.0, 0.0]], 4, 0).is_err());
}

// ---------------------------------------------------------------------------
// label_colour on generated images
// ---------------------------------------------------------------------------

#[test]
fn every_palette_colour_labels_itself() {
    for (name, rgb) in PALETTE {
        let r = label_colour(&solid(64, 48, *rgb), 0).expect("label");
        assert_eq!(r.label, *name, "{rgb:?}");
        assert!(r.confidence >= 0.9, "{name}: confidence {}", r.confidence);
        assert_eq!(r.clusters.len(), 1);
        assert_eq!(r.clusters[0].share, 1.0);
    }
}

#[test]
fn realistic_shades() {
    let cases = [
        (0x1F2A44, "blue"),   // dark navy
        (0x0A1A3A, "blue"),   // very dark navy
        (0xC0C0C0, "silver"), // metallic silver
        (0xA8A9AD, "silver"), // darker silver
        (0xF2F2F0, "white"),  // off-white
        (0xFFFFFF, "white"),
        (0x36454F, "grey"),  // charcoal: grey by decision (L* 28.4, C* 8.6)
        (0x5B5E63, "grey"),  // gunmetal
        (0x0B0B0B, "black"), // piano black
        (0x1C1C1E, "black"),
        (0x7B1113, "red"),   // dark red
        (0xD40000, "red"),   // rosso corsa
        (0x004225, "green"), // British racing green
        (0xFFD300, "yellow"),
        (0xFF7F00, "orange"),
        (0x4B3621, "brown"),
        (0xE8DCC0, "beige"),
        (0x4B2C6F, "purple"),
        (0xC9A55C, "gold"),
        (0x1560BD, "blue"), // bright blue
    ];
    for (h, want) in cases {
        let r = label_colour(&solid(40, 40, hex(h)), 3).expect("label");
        assert_eq!(r.label, want, "{h:06X}: {r:?}");
        assert!(r.confidence > 0.5, "{h:06X}: confidence {}", r.confidence);
    }
}

#[test]
fn two_tone_half_and_half() {
    let img = split_rows(50, palette_rgb("red"), palette_rgb("white"));
    let r = label_colour(&img, 0).expect("label");
    assert_eq!(r.label, "red/white");
    assert_eq!(r.clusters.len(), 2);
    assert_close(r.clusters[0].share, 0.5, 1e-12, "share");
    assert!(r.confidence >= 0.99, "{}", r.confidence);
    // Same picture upside down: an exact tie, still chromatic first.
    let img = split_rows(50, palette_rgb("white"), palette_rgb("red"));
    assert_eq!(label_colour(&img, 0).expect("label").label, "red/white");
}

#[test]
fn two_tone_seventy_thirty_puts_the_larger_first() {
    // Crop rows 20..80: split at 62 gives 42/60 = 70 % top, 30 % bottom.
    let img = split_rows(62, palette_rgb("red"), palette_rgb("white"));
    let r = label_colour(&img, 0).expect("label");
    assert_eq!(r.label, "red/white");
    assert_close(r.clusters[0].share, 0.7, 1e-12, "major share");
    assert_close(r.clusters[1].share, 0.3, 1e-12, "minor share");
    // 30/70: white is the major colour now.
    let img = split_rows(38, palette_rgb("red"), palette_rgb("white"));
    assert_eq!(label_colour(&img, 0).expect("label").label, "white/red");
    // Chromatic + chromatic, with noise.
    let mut img = split_rows(62, palette_rgb("blue"), palette_rgb("yellow"));
    add_noise(&mut img, 12.0, 5);
    assert_eq!(label_colour(&img, 0).expect("label").label, "blue/yellow");
}

#[test]
fn ninety_ten_is_a_single_colour() {
    // Split at 74: 54/60 = 90 % red.
    let img = split_rows(74, palette_rgb("red"), palette_rgb("white"));
    let r = label_colour(&img, 0).expect("label");
    assert_eq!(r.label, "red");
    assert_close(r.clusters[0].share, 0.9, 1e-12, "share");
    assert_close(r.confidence, 0.9, 1e-3, "confidence = share × ~1");
    // 80/20 is still single; confidence reflects the 20 % that is not red.
    let img = split_rows(68, palette_rgb("red"), palette_rgb("white"));
    let r = label_colour(&img, 0).expect("label");
    assert_eq!(r.label, "red");
    assert!(r.confidence <= 0.8 + 1e-9);
}

#[test]
fn mild_noise_keeps_the_label() {
    for (i, (name, rgb)) in PALETTE.iter().enumerate() {
        // 60×45 → a 36×27 crop (972 samples): keeps the debug-build test fast.
        let mut img = solid(60, 45, *rgb);
        add_noise(&mut img, 12.0, 1000 + i as u64);
        let r = label_colour(&img, 9).expect("label");
        assert_eq!(r.label, *name, "{name} with noise: {r:?}");
        assert!(
            r.confidence >= 0.7,
            "{name} with noise: confidence {}",
            r.confidence
        );
        let total: f64 = r.clusters.iter().map(|c| c.share).sum();
        assert_close(total, 1.0, 1e-9, "shares sum");
    }
}

/// A 200×150 "listing photo": a light-grey backdrop, a blue car body in the middle,
/// two black tyres, noise everywhere.
fn car_like(body: [u8; 3], seed: u64) -> RgbImage {
    let mut img = RgbImage::from_fn(200, 150, |x, y| {
        let body_px = (40..160).contains(&x) && (38..112).contains(&y);
        let tyre = ((50..70).contains(&x) || (130..150).contains(&x)) && (104..116).contains(&y);
        Rgb(if tyre {
            [0x12, 0x12, 0x12]
        } else if body_px {
            body
        } else {
            [0xD8, 0xD8, 0xDA]
        })
    });
    add_noise(&mut img, 10.0, seed);
    img
}

#[test]
fn car_in_the_middle_beats_the_background() {
    let body = hex(0x1F3F8F);
    let img = car_like(body, 11);
    // Over the whole image the backdrop dominates (so a whole-image method would say
    // "silver"); the crop is what lets the car win.
    let backdrop = img
        .pixels()
        .filter(|p| p.0[0] > 0xB0 && p.0[2] > 0xB0)
        .count();
    assert!(backdrop as f64 / (200.0 * 150.0) > 0.6);
    let r = label_colour(&img, 0).expect("label");
    assert_eq!(r.label, "blue", "{r:?}");
    assert!(r.confidence >= 0.6, "{}", r.confidence);
    assert!(r.clusters[0].share > 0.7);
    // Same scene with other body colours.
    for (h, want) in [
        (0xB4141E, "red"),
        (0x1C1C1C, "black"),
        (0xF4F4F4, "white"),
        (0xEB6E14, "orange"),
    ] {
        let r = label_colour(&car_like(hex(h), 12), 0).expect("label");
        assert_eq!(r.label, want, "{h:06X}: {r:?}");
    }
}

#[test]
fn deterministic_for_a_seed() {
    let mut img = RgbImage::from_fn(150, 100, |x, y| {
        Rgb([(x % 256) as u8, (y % 256) as u8, ((x * y) % 256) as u8])
    });
    add_noise(&mut img, 20.0, 3);
    let a = label_colour(&img, 1234).expect("label");
    let b = label_colour(&img, 1234).expect("label");
    assert_eq!(a, b);
    let car = car_like(hex(0x7B1113), 4);
    let c = label_colour(&car, 99).expect("label");
    assert_eq!(c, label_colour(&car, 99).expect("label"));
    assert_eq!(c.label, "red");
    // The label itself does not depend on the seed for a clear-cut image.
    for seed in [0, u64::MAX] {
        assert_eq!(label_colour(&car, seed).expect("label").label, "red");
    }
}

#[test]
fn one_pixel_image() {
    let r = label_colour(&solid(1, 1, palette_rgb("green")), 0).expect("label");
    assert_eq!(r.label, "green");
    assert!(r.confidence >= 0.9);
    let r = label_colour(&solid(1, 1, [0, 0, 0]), 0).expect("label");
    assert_eq!(r.label, "black");
}

#[test]
fn empty_image_is_an_error() {
    for (w, h) in [(0, 0), (0, 10), (10, 0)] {
        let err = label_colour(&RgbImage::new(w, h), 0).expect_err("empty must fail");
        assert!(err.contains("empty image"), "{err}");
    }
}

#[test]
fn odd_shapes_and_many_colours_do_not_panic() {
    for (w, h) in [
        (1, 2),
        (2, 1),
        (2, 2),
        (3, 7),
        (5, 5),
        (4096, 1),
        (1, 4096),
        (257, 3),
    ] {
        let img = RgbImage::from_fn(w, h, |x, y| {
            Rgb([
                (x * 37 % 256) as u8,
                (y * 91 % 256) as u8,
                ((x + y) * 13 % 256) as u8,
            ])
        });
        let r = label_colour(&img, 5).expect("label");
        assert!(!r.label.is_empty());
        assert!((0.0..=1.0).contains(&r.confidence));
        let total: f64 = r.clusters.iter().map(|c| c.share).sum();
        assert_close(total, 1.0, 1e-9, "shares sum");
        assert!(r.clusters.windows(2).all(|w| w[0].share >= w[1].share));
        assert!(r.clusters.len() <= K);
    }
}

#[test]
fn large_image_is_sampled_not_scanned() {
    let img = solid(3000, 2000, hex(0xB4141E));
    assert!(sample_crop(&img).len() as u64 <= MAX_SAMPLES);
    let r = label_colour(&img, 0).expect("label");
    assert_eq!(r.label, "red");
}

//! Unit tests of ks. Expected values come from scipy 1.17.1 (tests/reference/ks_reference.py,
//! which also documents how the samples are generated) and from hand counts of lattice paths.

use super::*;
use serde_json::Value;

const EXPECTED: &str = include_str!("../../tests/reference/data/ks_expected.json");

fn expected() -> Value {
    serde_json::from_str(EXPECTED).unwrap()
}

fn bits(v: &Value) -> f64 {
    f64::from_bits(u64::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap())
}

/// splitmix64 → u = (z >> 11) / 2^53, as `splitmix64` / `sample` in ks_reference.py.
fn uniforms(seed: u64, n: usize) -> Vec<f64> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            (z >> 11) as f64 / 9_007_199_254_740_992.0
        })
        .collect()
}

fn sample(kind: &str, n: usize, seed: u64, shift: f64, scale: f64, levels: f64) -> Vec<f64> {
    match kind {
        "uniform" => uniforms(seed, n).into_iter().map(|u| u * scale + shift).collect(),
        "ties" => uniforms(seed, n).into_iter().map(|u| (u * levels).floor() * scale + shift).collect(),
        "tri" => uniforms(seed, 2 * n).chunks(2).map(|p| (p[0] + p[1]) * scale + shift).collect(),
        _ => panic!("unknown kind {kind}"),
    }
}

fn case_samples(c: &Value) -> (Vec<f64>, Vec<f64>) {
    let kind = c["kind"].as_str().unwrap();
    if kind == "values" {
        let arr = |k: &str| c[k].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect::<Vec<f64>>();
        return (arr("a"), arr("b"));
    }
    let u = |k: &str| c[k].as_u64().unwrap();
    let f = |k: &str| c[k].as_f64().unwrap();
    let levels = u("levels") as f64;
    (
        sample(kind, u("n1") as usize, u("seed1"), 0.0, 1.0, levels),
        sample(kind, u("n2") as usize, u("seed2"), f("shift"), f("scale"), levels),
    )
}

#[test]
fn hand_counted_small_case() {
    // a = 1..5, b = 3..8: F_a − F_b peaks at x = 5 with 1 − 3/6 = 0.5. Of the C(11, 5) = 462
    // orderings of 5 + 6 values, 165 reach |F_a − F_b| ≥ 1/2, so p = 165/462 = 5/14.
    let (d, p) = ks_2samp(&[1.0, 2.0, 3.0, 4.0, 5.0], &[3.0, 4.0, 5.0, 6.0, 7.0, 8.0]).unwrap();
    assert_eq!(d, 0.5);
    assert_eq!(p, 0.357_142_857_142_857_15); // scipy's value, 5/14 rounded
    assert!((p - 5.0 / 14.0).abs() < 1e-16);
}

#[test]
fn disjoint_samples_have_the_two_extreme_orderings() {
    // D = 1 only when all of a lies on one side of all of b: 2 of C(10, 5) = 252 orderings
    let a = [1.0, 2.0, 3.0, 4.0, 5.0];
    let b = [10.0, 11.0, 12.0, 13.0, 14.0];
    let (d, p) = ks_2samp(&a, &b).unwrap();
    assert_eq!(d, 1.0);
    assert!((p - 2.0 / 252.0).abs() < 1e-17, "{p}");
    assert_eq!(ks_2samp(&b, &a).unwrap(), (d, p));
}

#[test]
fn identical_samples() {
    let xs: Vec<f64> = (0..500).map(|i| ((i * 37) % 101) as f64).collect();
    assert_eq!(ks_2samp(&xs, &xs).unwrap(), (0.0, 1.0));
    let big: Vec<f64> = (0..20_000).map(|i| (i % 977) as f64).collect();
    let r = ks_2samp_detail(&big, &big).unwrap();
    assert_eq!((r.statistic, r.pvalue, r.method), (0.0, 1.0, Method::Asymptotic));
}

#[test]
fn ties_count_every_equal_value_on_both_sides() {
    // a = {1, 1, 2, 2}, b = {1, 2, 2, 3}: at 1: 2/4 − 1/4, at 2: 1 − 3/4, at 3: 1 − 1 → D = 1/4
    let (d, _) = ks_2samp(&[1.0, 1.0, 2.0, 2.0], &[1.0, 2.0, 2.0, 3.0]).unwrap();
    assert_eq!(d, 0.25);
    // -0.0 and 0.0 are one value, as for numpy's searchsorted
    assert_eq!(statistic_sorted(&[-0.0, 0.0, 1.0], &[0.0, 2.0]), 0.5);
}

#[test]
fn exact_square_method_small_values() {
    // Pr(D_{n,n} ≥ h/n) by hand: n = 2, h = 2 → 2·C(4, 0)/C(4, 2) = 2/6; h = 1 → 1
    assert!((prob_outside_square(2, 2) - 1.0 / 3.0).abs() < 1e-16);
    assert_eq!(prob_outside_square(2, 1), 1.0);
    // n = 3, h = 3: 2/C(6, 3) = 0.1; h = 2: 2·(C(6, 1) − 0)/20 = 0.6
    assert!((prob_outside_square(3, 3) - 0.1).abs() < 1e-16);
    assert!((prob_outside_square(3, 2) - 0.6).abs() < 1e-16);
}

#[test]
fn exact_inside_method_agrees_with_a_direct_lattice_count() {
    // count paths from (0,0) to (m,n) staying strictly inside |x/m − y/n| < h/lcm by DP in
    // exact integers, for all h, and compare with the float recursion
    for (m, n) in [(3i64, 2i64), (4, 6), (5, 7), (8, 12), (9, 4)] {
        let g = gcd(m as u64, n as u64) as i64;
        let lcm = m / g * n;
        let total = binom(m + n, n);
        for h in 1..=lcm {
            let inside = count_inside(m, n, h, lcm);
            let want = 1.0 - inside as f64 / total as f64;
            let got = outer_prob_inside(m, n, g, h, &mut || {});
            assert!((got - want).abs() < 1e-14, "m={m} n={n} h={h}: {got} vs {want}");
        }
    }
}

fn binom(n: i64, k: i64) -> i128 {
    (0..k).fold(1i128, |acc, i| acc * (n - i) as i128 / (i + 1) as i128)
}

fn count_inside(m: i64, n: i64, h: i64, lcm: i64) -> i128 {
    // |x/m − y/n| < h/lcm  ⇔  |x·(lcm/m) − y·(lcm/n)| < h
    let ok = |x: i64, y: i64| (x * (lcm / m) - y * (lcm / n)).abs() < h;
    let mut c = vec![vec![0i128; (n + 1) as usize]; (m + 1) as usize];
    for x in 0..=m {
        for y in 0..=n {
            if !ok(x, y) {
                continue;
            }
            c[x as usize][y as usize] = if x == 0 && y == 0 {
                1
            } else {
                (if x > 0 { c[(x - 1) as usize][y as usize] } else { 0 }) + (if y > 0 { c[x as usize][(y - 1) as usize] } else { 0 })
            };
        }
    }
    c[m as usize][n as usize]
}

#[test]
fn equal_to_scipy_on_every_reference_case() {
    let e = expected();
    let cases = e["ks"].as_array().unwrap();
    assert!(cases.len() > 100);
    let mut methods = std::collections::HashSet::new();
    for c in cases {
        let (a, b) = case_samples(c);
        let r = ks_2samp_detail(&a, &b).unwrap();
        let (want_d, want_p) = (bits(&c["statistic_bits"]), bits(&c["pvalue_bits"]));
        let label = format!("{} n1={} n2={}", c["kind"], a.len(), b.len());
        assert_eq!(r.statistic.to_bits(), want_d.to_bits(), "{label}: statistic {} vs scipy {}", r.statistic, want_d);
        let rel = (r.pvalue - want_p).abs() / want_p.max(f64::MIN_POSITIVE);
        assert!(rel <= 1e-12, "{label}: pvalue {} vs scipy {} (rel {rel:e})", r.pvalue, want_p);
        assert_eq!(r.pvalue.to_bits(), want_p.to_bits(), "{label}: pvalue {} vs scipy {}", r.pvalue, want_p);
        assert_eq!(format!("{:?}", r.method), c["method"].as_str().unwrap(), "{label}");
        // the test is symmetric in its samples
        assert_eq!(ks_2samp(&b, &a).unwrap(), (r.statistic, r.pvalue), "{label} swapped");
        methods.insert(format!("{:?}", r.method));
    }
    assert_eq!(methods.len(), 3, "the reference covers exact, asymptotic and the fallback");
}

#[test]
fn exact_up_to_ten_thousand_then_asymptotic() {
    let a = sample("uniform", 10_000, 1, 0.0, 1.0, 0.0);
    let b = sample("uniform", 10_000, 2, 0.0, 1.0, 0.0);
    let b1 = sample("uniform", 10_001, 2, 0.0, 1.0, 0.0);
    assert_eq!(ks_2samp_detail(&a, &b).unwrap().method, Method::Exact);
    assert_eq!(ks_2samp_detail(&a, &b[..9_999]).unwrap().method, Method::Exact);
    assert_eq!(ks_2samp_detail(&a, &b1).unwrap().method, Method::Asymptotic);
    assert_eq!(ks_2samp_detail(&b1, &a[..5]).unwrap().method, Method::Asymptotic);
    // the exact statistic is snapped to the lattice h/lcm: here lcm = 10 000
    let d = ks_2samp(&a, &b).unwrap().0;
    assert_eq!(d, (d * 10_000.0).round() / 10_000.0);
}

#[test]
fn failed_exact_falls_back_like_scipy() {
    // D = 1/5 with n1 = n2 = 5: the square method gives 1.0000000000000002, outside [0, 1]
    assert!(prob_outside_square(5, 1) > 1.0);
    let r = ks_2samp_detail(&[0.0, 1.0, 2.0, 3.0, 4.0], &[0.5, 1.5, 2.5, 3.5, 4.5]).unwrap();
    assert_eq!((r.statistic, r.pvalue, r.method), (0.2, 1.0, Method::ExactFellBack));
}

#[test]
fn large_samples_use_the_asymptotic_distribution() {
    // 100 000 vs 100 000 values, a clear shift: p underflows to 0 (scipy: 0.0); none: p ≈ 1
    let a = sample("uniform", 100_000, 3, 0.0, 1.0, 0.0);
    let b = sample("uniform", 100_000, 4, 0.2, 1.0, 0.0);
    let r = ks_2samp_detail(&a, &b).unwrap();
    assert_eq!(r.method, Method::Asymptotic);
    assert!((r.statistic - 0.2).abs() < 0.01 && r.pvalue == 0.0, "{r:?}");
    let c = sample("uniform", 100_000, 5, 0.0, 1.0, 0.0);
    let r = ks_2samp_detail(&a, &c).unwrap();
    assert!(r.statistic < 0.01 && r.pvalue > 0.01, "{r:?}");
}

#[test]
fn the_exact_method_offers_one_interrupt_check_per_column() {
    let a = sample("uniform", 300, 6, 0.0, 1.0, 0.0);
    let b = sample("uniform", 200, 7, 0.3, 1.0, 0.0);
    let mut calls = 0;
    let r = ks_2samp_with(&a, &b, &mut || calls += 1).unwrap();
    assert_eq!(r.method, Method::Exact);
    assert_eq!(calls, 300, "one call per column of the larger sample");
    assert_eq!((r.statistic, r.pvalue), ks_2samp(&a, &b).unwrap());
}

#[test]
fn refuses_bad_input() {
    assert_eq!(ks_2samp(&[], &[1.0]), Err(KsError::Empty("a")));
    assert_eq!(ks_2samp(&[1.0], &[]), Err(KsError::Empty("b")));
    assert_eq!(ks_2samp(&[1.0, f64::NAN], &[1.0]), Err(KsError::NotFinite("a", 1)));
    assert_eq!(ks_2samp(&[1.0], &[f64::INFINITY]), Err(KsError::NotFinite("b", 0)));
    assert_eq!(ks_2samp(&[1.0], &[f64::NEG_INFINITY]), Err(KsError::NotFinite("b", 0)));
    assert_eq!(KsError::NotFinite("b", 0).to_string(), "b[1] is NaN or infinite");
    assert_eq!(KsError::Empty("a").to_string(), "a sample is empty");
}

#[test]
fn one_value_each() {
    // n1 = n2 = 1: D = 1 when they differ, and Pr(D ≥ 1) = 1 (both orderings)
    assert_eq!(ks_2samp(&[1.0], &[2.0]).unwrap(), (1.0, 1.0));
    assert_eq!(ks_2samp(&[1.0], &[1.0]).unwrap(), (0.0, 1.0));
}

/// Times the two sizes strict guards use; run with
/// `cargo test --release --lib governance::ks::tests::timing -- --ignored --nocapture`.
#[test]
#[ignore]
fn timing() {
    let e = expected();
    for (n1, n2) in [(10_000u64, 10_000u64), (100_000, 100_000)] {
        let c = e["ks"].as_array().unwrap().iter().find(|c| c["n1"].as_u64() == Some(n1) && c["n2"].as_u64() == Some(n2)).unwrap();
        let (a, b) = case_samples(c);
        let t = std::time::Instant::now();
        let (d, p) = ks_2samp(&a, &b).unwrap();
        let el = t.elapsed();
        assert_eq!((d.to_bits(), p.to_bits()), (bits(&c["statistic_bits"]).to_bits(), bits(&c["pvalue_bits"]).to_bits()));
        println!("ks_2samp {n1} vs {n2}: {:.2} ms (D = {d}, p = {p})", el.as_secs_f64() * 1e3);
    }
    // the slowest exact shape: n1 ≠ n2, gcd 1, a large D (O(n1 · n2) lattice cells)
    let a = sample("uniform", 10_000, 8, 0.0, 1.0, 0.0);
    let b = sample("uniform", 9_999, 9, 0.5, 1.0, 0.0);
    let t = std::time::Instant::now();
    let (d, p) = ks_2samp(&a, &b).unwrap();
    println!("ks_2samp 10000 vs 9999, D = {d}: {:.2} ms (p = {p:e})", t.elapsed().as_secs_f64() * 1e3);
}

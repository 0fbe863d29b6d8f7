//! Unit tests of the multiset median: hand-computed cases, and random add/remove sequences
//! against the definition (sort what is present, take percentile_cont(0.5)).

use super::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// percentile_cont(0.5) of what is present, computed from scratch.
fn naive_median(xs: &[f64]) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    let mut s = xs.to_vec();
    s.sort_by(f64::total_cmp);
    let p = 0.5 * (s.len() - 1) as f64;
    let (lo, hi) = (s[p.floor() as usize], s[p.ceil() as usize]);
    Some(lo + (hi - lo) * (p - p.floor()))
}

#[test]
fn hand_computed_medians() {
    let mut m = MedianMultiset::new();
    assert_eq!(m.median(), None);
    m.apply(10.0, 1).unwrap();
    assert_eq!(m.median(), Some(10.0));
    m.apply(20.0, 1).unwrap();
    assert_eq!(m.median(), Some(15.0));
    m.apply(-5.0, 1).unwrap();
    assert_eq!(m.median(), Some(10.0));
    m.apply(10.0, -1).unwrap();
    assert_eq!(m.median(), Some(7.5));
    // three copies at once: {-5, 20, 30, 30, 30} → 30
    m.apply(30.0, 3).unwrap();
    assert_eq!(m.median(), Some(30.0));
    m.apply(30.0, -3).unwrap();
    m.apply(20.0, -1).unwrap();
    m.apply(-5.0, -1).unwrap();
    assert!(m.is_empty());
    assert_eq!(m.median(), None);
}

#[test]
fn equal_values_split_across_halves_are_removed_wherever_they_are() {
    let mut m = MedianMultiset::new();
    for _ in 0..4 {
        m.apply(7.0, 1).unwrap();
    }
    m.apply(1.0, 1).unwrap();
    assert_eq!(m.median(), Some(7.0));
    m.apply(7.0, -4).unwrap();
    assert_eq!(m.median(), Some(1.0));
    assert_eq!(m.len(), 1);
}

#[test]
fn negative_zero_is_zero_and_order_covers_signs() {
    let mut m = MedianMultiset::new();
    m.apply(-0.0, 1).unwrap();
    m.apply(0.0, -1).unwrap();
    assert!(m.is_empty());
    for v in [-1e300, -2.5, -0.0, 1e-300, 3.0, 1e300] {
        m.apply(v, 1).unwrap();
    }
    // sorted: -1e300, -2.5, 0, 1e-300, 3, 1e300 → (0 + 1e-300) / 2
    assert_eq!(m.median(), Some(0.0 + (1e-300 - 0.0) * 0.5));
}

#[test]
fn removing_what_is_not_there_and_non_finite_values_are_errors() {
    let mut m = MedianMultiset::new();
    m.apply(5.0, 1).unwrap();
    assert_eq!(m.apply(6.0, -1), Err(MultisetError::Missing(6.0, 1, 0)));
    assert_eq!(m.apply(5.0, -2), Err(MultisetError::Missing(5.0, 2, 1)));
    assert_eq!(m.apply(f64::NAN, 1).map_err(|e| matches!(e, MultisetError::NotFinite(_))), Err(true));
    assert_eq!(m.apply(f64::INFINITY, 1), Err(MultisetError::NotFinite(f64::INFINITY)));
    // a failed removal changed nothing
    assert_eq!(m.median(), Some(5.0));
    assert_eq!(MultisetError::Missing(5.0, 2, 1).to_string(), "cannot remove 2 copies of 5: the multiset holds 1");
}

#[test]
fn random_sequences_match_the_definition() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for round in 0..50 {
        let mut m = MedianMultiset::new();
        let mut present: Vec<f64> = Vec::new();
        // few distinct values in some rounds, so duplicates straddle the halves
        let distinct = if round % 2 == 0 { 5 } else { 1000 };
        for _ in 0..400 {
            if !present.is_empty() && rng.gen_bool(0.45) {
                let i = rng.gen_range(0..present.len());
                let v = present.swap_remove(i);
                m.apply(v, -1).unwrap();
            } else {
                let v = rng.gen_range(0..distinct) as f64 * 1.25 - 300.0;
                let copies = rng.gen_range(1..=3);
                for _ in 0..copies {
                    present.push(v);
                }
                m.apply(v, copies).unwrap();
            }
            assert_eq!(m.median(), naive_median(&present), "round {round}");
            assert_eq!(m.len(), present.len() as u64);
        }
    }
}

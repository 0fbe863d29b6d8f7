//! Unit tests of drift. Expected values come from numpy (tests/reference/drift.py).

use super::*;

#[test]
fn quantiles_match_numpy_linear() {
    // numpy.quantile([1, 2, 3, 4, 10], [0.1, 0.25, 0.5, 0.9]) = [1.4, 2.0, 3.0, 7.6]
    let xs = [1.0, 2.0, 3.0, 4.0, 10.0];
    let got: Vec<f64> = [0.1, 0.25, 0.5, 0.9].iter().map(|q| quantile_sorted(&xs, *q)).collect();
    let want = [1.4, 2.0, 3.0, 7.6];
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() < 1e-12, "{got:?}");
    }
}

#[test]
fn right_closed_bins() {
    // edges (-inf, 2], (2, 5], (5, inf): 2 falls in the first bin, 5 in the second
    let s = shares(&[1.0, 2.0, 3.0, 5.0, 6.0], &[2.0, 5.0]);
    assert_eq!(s, vec![0.4, 0.4, 0.2]);
    // an empty bin gets 1e-4
    assert_eq!(shares(&[1.0, 1.5], &[2.0, 5.0]), vec![1.0, ZERO_SHARE, ZERO_SHARE]);
}

#[test]
fn identical_samples_have_zero_psi_and_shift_raises_it() {
    let xs: Vec<f64> = (0..1000).map(|i| i as f64).collect();
    assert_eq!(psi(&xs, &xs, 10), Ok(0.0));
    let shifted: Vec<f64> = xs.iter().map(|x| x + 300.0).collect();
    assert!(psi(&xs, &shifted, 10).unwrap() > 0.25);
}

#[test]
fn matches_the_numpy_reference() {
    // tests/reference/drift.py: expected = 0..99 squared mod 37, actual = 0..79 cubed mod 41
    let expected: Vec<f64> = (0..100).map(|i| ((i * i) % 37) as f64).collect();
    let actual: Vec<f64> = (0..80).map(|i| ((i * i * i) % 41) as f64).collect();
    let got = psi(&expected, &actual, 10).unwrap();
    assert!((got - REFERENCE_PSI_10).abs() < 1e-12, "{got}");
    let got5 = psi(&expected, &actual, 5).unwrap();
    assert!((got5 - REFERENCE_PSI_5).abs() < 1e-12, "{got5}");
}

// printed by tests/reference/drift.py
const REFERENCE_PSI_10: f64 = 0.2780312186792304;
const REFERENCE_PSI_5: f64 = 0.1761300872969754;

#[test]
fn refuses_bad_input() {
    assert_eq!(psi(&[], &[1.0], 10), Err(DriftError::Empty("expected")));
    assert_eq!(psi(&[1.0], &[f64::NAN], 10), Err(DriftError::NotFinite("actual", 0)));
    assert_eq!(psi(&[1.0], &[1.0], 1), Err(DriftError::Bins(1)));
}

//! Unit tests of logistic regression against scikit-learn 1.9.1 (tests/reference/logistic.py).

use super::*;
use serde_json::Value;

const EXPECTED: &str = include_str!("../../tests/reference/data/logistic_expected.json");
const DATA: &str = include_str!("../../tests/reference/data/breast_cancer5.csv");

fn data() -> (Vec<f64>, Vec<bool>) {
    let (mut x, mut y) = (vec![], vec![]);
    for line in DATA.lines() {
        let f: Vec<f64> = line.split(',').map(|v| v.parse().unwrap()).collect();
        x.extend_from_slice(&f[..5]);
        y.push(f[5] == 1.0);
    }
    (x, y)
}

#[test]
fn equals_scikit_learn_to_1e6_relative() {
    let (x, y) = data();
    let cases: Vec<Value> = serde_json::from_str(EXPECTED).unwrap();
    for case in cases {
        let c = if case["C"].is_string() { f64::INFINITY } else { case["C"].as_f64().unwrap() };
        let standardize = case["standardize"].as_bool().unwrap();
        let f = fit(&x, &y, c, standardize).unwrap();
        let want_b = case["intercept"].as_f64().unwrap();
        assert!((f.intercept - want_b).abs() <= 1e-6 * want_b.abs().max(1.0), "C={c} std={standardize}: b {} vs {want_b}", f.intercept);
        for (g, w) in f.coef.iter().zip(case["coef"].as_array().unwrap()) {
            let w = w.as_f64().unwrap();
            assert!((g - w).abs() <= 1e-6 * w.abs().max(1e-3), "C={c} std={standardize}: {g} vs {w}");
        }
    }
}

#[test]
fn bad_input_is_refused() {
    assert_eq!(fit(&[], &[], 1.0, false).err(), Some(FitError::Empty));
    assert_eq!(fit(&[1.0, 2.0, 3.0], &[true, false], 1.0, false).err(), Some(FitError::Shape { values: 3, rows: 2 }));
    assert_eq!(fit(&[1.0, 2.0], &[true, true], 1.0, false).err(), Some(FitError::OneClass));
    assert_eq!(fit(&[1.0, f64::NAN], &[true, false], 1.0, false).err(), Some(FitError::NotFinite(1, 0)));
    assert_eq!(fit(&[1.0, 2.0], &[true, false], 0.0, false).err(), Some(FitError::BadC(0.0)));
    // perfectly separable without a penalty: no finite optimum
    assert!(matches!(fit(&[1.0, 2.0, 3.0, 4.0], &[false, false, true, true], f64::INFINITY, false).err(), Some(FitError::NoConvergence) | Some(FitError::Singular)));
    // a constant column is fine with a penalty (its coefficient is 0 after standardizing) ...
    let f = fit(&[1.0, 5.0, 2.0, 5.0, 3.0, 5.0, 4.0, 5.0], &[false, true, false, true], 1.0, true).unwrap();
    assert_eq!(f.coef[1], 0.0);
    // ... and unidentified without one
    assert_eq!(fit(&[1.0, 5.0, 2.0, 5.0, 3.0, 5.0, 4.0, 5.0], &[false, true, false, true], f64::INFINITY, false).err(), Some(FitError::Singular));
}

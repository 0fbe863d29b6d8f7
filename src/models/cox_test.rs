//! Unit tests of Cox PH against lifelines 0.30.3 (tests/reference/cox.py): Rossi (432 rows,
//! 7 covariates) and Waltons (many tied times).

use super::*;
use serde_json::Value;

const EXPECTED: &str = include_str!("../../tests/reference/data/cox_expected.json");
const ROSSI: &str = include_str!("../../tests/reference/data/rossi.csv");
const WALTONS: &str = include_str!("../../tests/reference/data/waltons.csv");

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}

fn assert_fit(f: &CoxFit, w: &Value) {
    let arr = |k: &str| -> Vec<f64> { w[k].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect() };
    for (what, got, want) in [("coef", &f.coef, arr("coef")), ("se", &f.se, arr("se")), ("z", &f.z, arr("z")), ("p", &f.p, arr("p"))] {
        for (g, w) in got.iter().zip(&want) {
            assert!(rel(*g, *w) <= 1e-6, "{what}: {g} vs {w}");
        }
    }
    assert!(rel(f.log_likelihood, w["log_likelihood"].as_f64().unwrap()) <= 1e-9);
    assert!(rel(f.log_likelihood_null, w["log_likelihood_null"].as_f64().unwrap()) <= 1e-9);
    assert!(rel(f.concordance, w["concordance"].as_f64().unwrap()) <= 1e-12);
}

#[test]
fn equals_lifelines_on_rossi() {
    let (mut t, mut e, mut x) = (vec![], vec![], vec![]);
    for line in ROSSI.lines().skip(1) {
        let v: Vec<f64> = line.split(',').map(|s| s.parse().unwrap()).collect();
        t.push(v[0]);
        e.push(v[1] == 1.0);
        x.extend_from_slice(&v[2..9]);
    }
    let f = coxph(&t, &e, &x, 7).unwrap();
    assert_eq!((f.n, f.events), (432, 114));
    assert_fit(&f, &serde_json::from_str::<Value>(EXPECTED).unwrap()["rossi"]);
}

#[test]
fn equals_lifelines_with_many_ties() {
    let (mut t, mut e, mut x) = (vec![], vec![], vec![]);
    for (i, line) in WALTONS.lines().skip(1).enumerate() {
        let v: Vec<&str> = line.split(',').collect();
        t.push(v[0].parse::<f64>().unwrap());
        e.push(v[1] == "1");
        x.push(if v[2] == "miR-137" { 1.0 } else { 0.0 });
        x.push((i % 5) as f64);
    }
    assert_fit(&coxph(&t, &e, &x, 2).unwrap(), &serde_json::from_str::<Value>(EXPECTED).unwrap()["waltons"]);
}

#[test]
fn degenerate_inputs_are_clear_errors() {
    let t = [1.0, 2.0, 3.0, 4.0];
    assert_eq!(coxph(&t, &[true, false, true, true], &[1.0, 2.0, 3.0], 1), Err(CoxError::Shape { values: 3, rows: 4, names: 1 }));
    assert_eq!(coxph(&t, &[false; 4], &[1.0, 2.0, 3.0, 4.0], 1), Err(CoxError::NoEvents));
    // a constant covariate carries no information
    assert_eq!(coxph(&t, &[true, false, true, true], &[5.0; 4], 1), Err(CoxError::Singular));
    // collinear covariates
    assert_eq!(coxph(&t, &[true, false, true, true], &[1.0, 2.0, 2.0, 4.0, 3.0, 6.0, 4.0, 8.0], 2), Err(CoxError::Singular));
    // perfect separation: the likelihood keeps rising
    assert_eq!(coxph(&t, &[true, true, true, true], &[4.0, 3.0, 2.0, 1.0], 1), Err(CoxError::NoConvergence));
    assert!(matches!(coxph(&[1.0], &[true], &[f64::NAN], 1), Err(CoxError::NotFinite(0, 0))));
}

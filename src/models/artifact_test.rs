use super::*;
use serde_json::Value;

const ROSSI: &str = include_str!("../../tests/reference/data/rossi.csv");
const EXPECTED: &str = include_str!("../../tests/reference/data/cox_predict_expected.json");

fn rossi() -> (Vec<f64>, Vec<bool>, Vec<f64>) {
    let (mut d, mut e, mut x) = (Vec::new(), Vec::new(), Vec::new());
    for line in ROSSI.lines().skip(1) {
        let v: Vec<f64> = line.split(',').map(|s| s.parse().unwrap()).collect();
        d.push(v[0]);
        e.push(v[1] == 1.0);
        x.extend_from_slice(&v[2..]);
    }
    (d, e, x)
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

#[test]
fn breslow_baseline_and_median_equal_lifelines() {
    let exp: Value = serde_json::from_str(EXPECTED).unwrap();
    let (d, e, x) = rossi();
    let (coef, means) = (floats(&exp["coef"]), floats(&exp["means"]));
    let (times, hazard) = breslow(&d, &e, &x, &coef, &means);
    assert_eq!(times, floats(&exp["times"]));
    for (a, b) in hazard.iter().zip(floats(&exp["cumulative_hazard"])) {
        assert!((a - b).abs() <= 1e-12 * b.abs().max(1e-300), "{a} vs {b}");
    }
    let m = Model::Cox { coef, means, times, cumulative_hazard: hazard, impute: None };
    for (i, want) in exp["median_first_40"].as_array().unwrap().iter().enumerate() {
        let got = m.predict(&x[i * 7..(i + 1) * 7]).unwrap();
        match want.as_f64() {
            Some(w) => assert_eq!(got, w, "row {i}"),
            None => assert!(got.is_infinite(), "row {i}: {got}"),
        }
    }
}

#[test]
fn woe_lookup_uses_left_closed_bins() {
    let edges = [1.0, 2.0];
    let woe = [-0.5, 0.1, 0.7];
    assert_eq!(woe_of(&edges, &woe, 0.99), -0.5);
    assert_eq!(woe_of(&edges, &woe, 1.0), 0.1);
    assert_eq!(woe_of(&edges, &woe, 2.0), 0.7);
    assert_eq!(woe_of(&edges, &woe, f64::INFINITY), 0.7);
}

#[test]
fn artifacts_round_trip_as_json() {
    let m = Model::Logistic { intercept: 0.5, coef: vec![1.0, -2.0], impute: Some(vec![0.0, 1.0]) };
    let s = serde_json::to_string(&m).unwrap();
    assert!(s.starts_with("{\"kind\":\"logistic\""), "{s}");
    let back: Model = serde_json::from_str(&s).unwrap();
    assert_eq!(back.predict(&[1.0, 1.0]).unwrap(), sigmoid(-0.5));
    assert_eq!(back.n_features(), 2);
}

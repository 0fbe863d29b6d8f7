//! Unit tests of survival statistics against lifelines 0.30.3 on public data
//! (tests/reference/survival.py writes the expected values).

use super::*;
use serde_json::Value;

const EXPECTED: &str = include_str!("../../tests/reference/data/survival_expected.json");
const WALTONS: &str = include_str!("../../tests/reference/data/waltons.csv");

fn expected() -> Value {
    serde_json::from_str(EXPECTED).unwrap()
}

fn waltons() -> (Vec<f64>, Vec<bool>, Vec<String>) {
    let (mut t, mut e, mut g) = (vec![], vec![], vec![]);
    for line in WALTONS.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        t.push(f[0].parse().unwrap());
        e.push(f[1] == "1");
        g.push(f[2].to_string());
    }
    (t, e, g)
}

fn hand() -> (Vec<f64>, Vec<bool>) {
    (vec![5.0, 3.0, 3.0, 8.0, 2.0, 9.0, 9.0, 12.0, 1.0, 4.0], [1, 1, 0, 1, 0, 1, 1, 0, 1, 1].iter().map(|x| *x == 1).collect())
}

fn rel(a: f64, b: f64) -> f64 {
    if a == b {
        0.0
    } else {
        (a - b).abs() / b.abs().max(1e-300)
    }
}

fn assert_km(rows: &[KmRow], want: &Value, median: f64) {
    let want_rows = want["rows"].as_array().unwrap();
    assert_eq!(rows.len(), want_rows.len());
    for (r, w) in rows.iter().zip(want_rows) {
        let w: Vec<f64> = w.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
        assert_eq!((r.time, r.at_risk as f64, r.events as f64, r.censored as f64), (w[0], w[1], w[2], w[3]), "table at t = {}", r.time);
        for (got, exp, what) in [(r.survival, w[4], "survival"), (r.ci_lower, w[5], "lower"), (r.ci_upper, w[6], "upper")] {
            assert!(rel(got, exp) <= 1e-9, "{what} at t = {}: {got} vs {exp}", r.time);
        }
    }
    assert_eq!(median, want["median"].as_f64().unwrap());
}

#[test]
fn kaplan_meier_equals_lifelines_on_waltons_and_a_hand_case() {
    let x = expected();
    let (t, e, _) = waltons();
    assert_km(&kaplan_meier(&t, &e).unwrap(), &x["waltons_km"], kaplan_meier_median(&t, &e).unwrap());
    let (t, e) = hand();
    assert_km(&kaplan_meier(&t, &e).unwrap(), &x["hand_km"], kaplan_meier_median(&t, &e).unwrap());
}

#[test]
fn median_is_infinite_when_the_curve_stays_above_one_half() {
    assert!(expected()["never_half_median_is_inf"].as_bool().unwrap());
    assert_eq!(kaplan_meier_median(&[1.0, 2.0, 3.0, 4.0], &[true, false, false, false]).unwrap(), f64::INFINITY);
}

#[test]
fn nelson_aalen_equals_lifelines() {
    let x = expected();
    for (key, (t, e)) in [("waltons_na", { let w = waltons(); (w.0, w.1) }), ("hand_na", hand())] {
        let got = nelson_aalen(&t, &e).unwrap();
        let want = x[key].as_array().unwrap();
        assert_eq!(got.len(), want.len());
        for ((gt, gh), w) in got.iter().zip(want) {
            assert_eq!(*gt, w[0].as_f64().unwrap());
            assert!(rel(*gh, w[1].as_f64().unwrap()) <= 1e-9, "{key} at {gt}");
        }
    }
}

#[test]
fn logrank_equals_lifelines_for_two_and_three_groups() {
    let x = expected();
    let (t, e, g) = waltons();
    let (u, dof, p) = logrank(&t, &e, &g).unwrap();
    let w = x["waltons_logrank"].as_array().unwrap();
    assert!(rel(u, w[0].as_f64().unwrap()) <= 1e-9 && dof == 1, "{u}");
    assert!(rel(p, w[2].as_f64().unwrap()) <= 1e-9, "{p}");
    let t = [5.0, 3.0, 9.0, 8.0, 7.0, 4.0, 4.0, 3.0, 2.0, 5.0, 6.0, 7.0];
    let e: Vec<bool> = [1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0].iter().map(|x| *x == 1).collect();
    let g: Vec<String> = ["0", "0", "0", "0", "1", "1", "1", "1", "1", "2", "2", "2"].iter().map(|s| s.to_string()).collect();
    let (u, dof, p) = logrank(&t, &e, &g).unwrap();
    let w = x["docs_logrank"].as_array().unwrap();
    assert!(rel(u, w[0].as_f64().unwrap()) <= 1e-9 && dof == 2 && rel(p, w[2].as_f64().unwrap()) <= 1e-9, "{u} {p}");
}

#[test]
fn concordance_equals_lifelines() {
    let x = expected();
    let (t, e, _) = waltons();
    let scores: Vec<f64> = x["waltons_scores"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert!(rel(concordance_index(&t, &scores, &e).unwrap(), x["waltons_cindex"].as_f64().unwrap()) <= 1e-12);
    let (t, e) = hand();
    let s = [3.0, 1.0, 2.0, 9.0, 0.0, 7.0, 9.0, 5.0, 1.0, 2.0];
    assert!(rel(concordance_index(&t, &s, &e).unwrap(), x["hand_cindex"].as_f64().unwrap()) <= 1e-12);
}

#[test]
fn edge_cases_are_clear_errors() {
    assert_eq!(kaplan_meier(&[], &[]), Err(SurvivalError::Empty));
    assert_eq!(kaplan_meier(&[1.0], &[true, false]), Err(SurvivalError::Lengths(1, 2, "events")));
    assert_eq!(kaplan_meier(&[1.0, -2.0], &[true, false]), Err(SurvivalError::BadDuration(1, -2.0)));
    assert_eq!(logrank(&[1.0, 2.0], &[true, true], &["a".into(), "a".into()]), Err(SurvivalError::Groups(1)));
    assert_eq!(concordance_index(&[1.0, 2.0], &[0.5, 0.7], &[false, false]), Err(SurvivalError::NoPairs));
    // all censored: survival stays 1 with a band of 1
    let km = kaplan_meier(&[1.0, 2.0], &[false, false]).unwrap();
    assert!(km.iter().all(|r| r.survival == 1.0 && r.ci_lower == 1.0 && r.ci_upper == 1.0));
    // one row
    let km = kaplan_meier(&[3.0], &[true]).unwrap();
    assert_eq!((km[0].survival, km[0].ci_lower, km[0].ci_upper), (0.0, 0.0, 0.0));
}

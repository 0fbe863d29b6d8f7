use super::*;
use crate::governance::policy::Policy;
use crate::governance::store::{Cert, Store};
use serde_json::json;

fn store(policy: serde_json::Value) -> Store {
    Store {
        oid: pgrx::pg_sys::Oid::from(1),
        name: "t.store".into(),
        key: "id".into(),
        t0: "t0".into(),
        labels: vec!["label_y".into()],
        policy: Policy::parse(&policy).unwrap(),
        columns: Vec::new(),
    }
}

fn cert(rows: i64) -> Cert {
    Cert { cert_id: 7, at: 0, viewdef_hash: String::new(), dataset_hash: String::new(), row_count: rows, expires_at: None }
}

fn numeric(name: &str, sample: Vec<f64>, null_rate: f64) -> ColumnProfile {
    ColumnProfile { name: name.into(), type_name: "double precision".into(), kind: "numeric", null_rate, sample, categories: Vec::new() }
}

fn stats(rows: i64) -> Stats {
    Stats { rows, ..Default::default() }
}

#[test]
fn unchanged_data_passes_with_evidence() {
    let s = store(json!({}));
    let xs: Vec<f64> = (0..500).map(|i| i as f64).collect();
    let r = compare(&s, &cert(1000), &stats(1000), &[numeric("price", xs.clone(), 0.0)], &[numeric("price", xs, 0.0)], &mut || {});
    assert!(r.failure.is_none());
    assert!(r.warnings.is_empty());
    assert_eq!(r.evidence["drift"]["price"]["psi"], json!(0.0));
    assert_eq!(r.evidence["drift"]["price"]["ks_statistic"], json!(0.0));
}

#[test]
fn a_shifted_distribution_blocks_with_psi_in_the_detail() {
    let s = store(json!({}));
    let base: Vec<f64> = (0..1000).map(|i| i as f64).collect();
    let shifted: Vec<f64> = (0..1000).map(|i| i as f64 + 400.0).collect();
    let r = compare(&s, &cert(1000), &stats(1000), &[numeric("price", base.clone(), 0.0)], &[numeric("price", shifted.clone(), 0.0)], &mut || {});
    let f = r.failure.expect("drift must block");
    assert_eq!(f.sp, Sp::Drift);
    // shares after the shift: four deciles empty (1e-4), 400 values above the top edge
    let expected = drift::psi(&base, &shifted, 10).unwrap();
    assert!(expected > 0.25);
    assert!(f.detail.contains(&format!("PSI {expected:.2} on price > 0.25")), "{}", f.detail);
}

#[test]
fn moderate_psi_warns_and_ks_warns_by_default() {
    let s = store(json!({}));
    let base: Vec<f64> = (0..1000).map(|i| i as f64).collect();
    let moved: Vec<f64> = (0..1000).map(|i| i as f64 + 75.0).collect();
    let psi = drift::psi(&base, &moved, 10).unwrap();
    assert!(psi > 0.1 && psi <= 0.25, "fixture must land between warn and block: {psi}");
    let r = compare(&s, &cert(1000), &stats(1000), &[numeric("price", base.clone(), 0.0)], &[numeric("price", moved.clone(), 0.0)], &mut || {});
    assert!(r.failure.is_none());
    assert_eq!(r.warnings.len(), 2, "{:?}", r.warnings);
    assert!(r.warnings.iter().any(|w| w.contains("psi_warn")));
    assert!(r.warnings.iter().any(|w| w.contains("KS p-value")));
    let blocking = store(json!({"ks_block": true}));
    let r = compare(&blocking, &cert(1000), &stats(1000), &[numeric("price", base, 0.0)], &[numeric("price", moved, 0.0)], &mut || {});
    assert_eq!(r.failure.map(|f| f.sp), Some(Sp::Drift));
}

#[test]
fn null_rate_and_row_count_changes_block() {
    let s = store(json!({}));
    let xs: Vec<f64> = (0..100).map(|i| i as f64).collect();
    let r = compare(&s, &cert(1000), &stats(1000), &[numeric("km", xs.clone(), 0.0)], &[numeric("km", xs.clone(), 0.3)], &mut || {});
    let f = r.failure.unwrap();
    assert!(f.detail.contains("null rate of km 0.000 → 0.300 (change 0.300 > max_null_rate_change 0.1)"), "{}", f.detail);
    let r = compare(&s, &cert(1000), &stats(400), &[numeric("km", xs.clone(), 0.0)], &[numeric("km", xs.clone(), 0.0)], &mut || {});
    assert!(r.failure.unwrap().detail.contains("row count 1000 → 400 (change 0.600 > max_row_count_change 0.5)"));
    // exactly at the limit passes
    let r = compare(&s, &cert(1000), &stats(1500), &[numeric("km", xs.clone(), 0.0)], &[numeric("km", xs, 0.1)], &mut || {});
    assert!(r.failure.is_none());
}

#[test]
fn a_missing_column_or_vanished_values_fail_closed() {
    let s = store(json!({}));
    let xs: Vec<f64> = (0..100).map(|i| i as f64).collect();
    let r = compare(&s, &cert(10), &stats(10), &[numeric("km", xs.clone(), 0.0)], &[], &mut || {});
    assert_eq!(r.failure.map(|f| f.sp), Some(Sp::CheckFailed));
    let r = compare(&s, &cert(10), &stats(10), &[numeric("km", xs, 0.0)], &[numeric("km", vec![], 1.0)], &mut || {});
    let f = r.failure.unwrap();
    assert_eq!(f.sp, Sp::Drift);
    assert!(f.detail.contains("km has no values now"), "{}", f.detail);
}

#[test]
fn categorical_psi_matches_a_hand_computation() {
    let base = vec![("diesel".to_string(), 0.5), ("petrol".to_string(), 0.3), ("ev".to_string(), 0.2)];
    assert_eq!(categorical_psi(&base, &base), 0.0);
    let cur = vec![("diesel".to_string(), 0.2), ("petrol".to_string(), 0.3), ("ev".to_string(), 0.5)];
    // (0.2-0.5)ln(0.2/0.5) + 0 + (0.5-0.2)ln(0.5/0.2) + other: both 0 -> floored 1e-4, contributes 0
    let expected = (0.2f64 - 0.5) * (0.2f64 / 0.5).ln() + (0.5f64 - 0.2) * (0.5f64 / 0.2).ln();
    assert!((categorical_psi(&base, &cur) - expected).abs() < 1e-15);
    // a category that vanished gets the 1e-4 floor; a new one lands in "(other)"
    let cur = vec![("diesel".to_string(), 0.5), ("petrol".to_string(), 0.3), ("hydrogen".to_string(), 0.2)];
    let expected = (1e-4 - 0.2) * (1e-4f64 / 0.2).ln() + (0.2 - 1e-4) * (0.2f64 / 1e-4).ln();
    assert!((categorical_psi(&base, &cur) - expected).abs() < 1e-12);
}

#[test]
fn top_categories_are_ordered_by_count_then_name() {
    let mut m = HashMap::new();
    for (k, n) in [("b", 3usize), ("a", 3), ("c", 4)] {
        m.insert(k.to_string(), n);
    }
    assert_eq!(top_categories(&m), vec![("c".to_string(), 0.4), ("a".to_string(), 0.3), ("b".to_string(), 0.3)]);
}

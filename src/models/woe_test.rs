//! Unit tests of WOE binning against optbinning 1.0.0 (tests/reference/woe.py).

use super::*;
use serde_json::Value;

const EXPECTED: &str = include_str!("../../tests/reference/data/woe_expected.json");
const DATA: &str = include_str!("../../tests/reference/data/breast_cancer5.csv");

fn data() -> (Vec<f64>, Vec<bool>) {
    DATA.lines()
        .map(|l| {
            let f: Vec<f64> = l.split(',').map(|v| v.parse().unwrap()).collect();
            (f[0], f[5] == 1.0)
        })
        .unzip()
}

fn check(got: &[WoeBin], want: &Value) {
    let want = want.as_array().unwrap();
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        let f = |k: &str| w[k].as_str().unwrap().parse::<f64>().unwrap();
        // edges from numpy may differ in the last bit depending on its code path: 1e-12 relative
        let near = |a: f64, b: f64| a == b || (a - b).abs() <= 1e-12 * b.abs();
        assert_eq!(g.bin as i64, w["bin"].as_i64().unwrap());
        assert!(near(g.lower, f("lower")) && near(g.upper, f("upper")), "bin {}: [{}, {})", g.bin, g.lower, g.upper);
        assert_eq!((g.non_events, g.events), (w["non_events"].as_i64().unwrap(), w["events"].as_i64().unwrap()));
        for (a, b) in [(g.woe, w["woe"].as_f64().unwrap()), (g.iv, w["iv"].as_f64().unwrap())] {
            assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "bin {}: {a} vs {b}", g.bin);
        }
    }
}

#[test]
fn equals_optbinning_with_user_edges_a_pure_bin_and_quantile_edges() {
    let x: Value = serde_json::from_str(EXPECTED).unwrap();
    let (v, t) = data();
    check(&woe_bins(&v, &t, Some(&[11.0, 13.0, 15.0, 17.5]), 10).unwrap(), &x["user_edges"]);
    check(&woe_bins(&v, &t, Some(&[12.0, 20.0]), 10).unwrap(), &x["pure_bin"]);
    check(&woe_bins(&v, &t, None, 10).unwrap(), &x["quantile_10"]);
    let edges: Vec<f64> = x["quantile_10_edges"].as_array().unwrap().iter().map(|e| e.as_f64().unwrap()).collect();
    let got = quantile_edges(&v, 10);
    assert_eq!(got.len(), edges.len());
    assert!(got.iter().zip(&edges).all(|(a, b)| (a - b).abs() <= 1e-12 * b.abs()), "{got:?} vs {edges:?}");
}

#[test]
fn left_closed_bins_and_event_rate() {
    let b = woe_bins(&[1.0, 2.0, 2.0, 3.0], &[true, false, true, false], Some(&[2.0]), 10).unwrap();
    assert_eq!((b[0].count, b[1].count), (1, 3)); // 2.0 falls in [2, inf)
    assert_eq!(b[0].event_rate, 1.0);
    assert_eq!((b[0].woe, b[0].iv), (0.0, 0.0)); // no non-events: empty class
}

#[test]
fn bad_input() {
    assert_eq!(woe_bins(&[], &[], None, 10), Err(WoeError::Empty));
    assert_eq!(woe_bins(&[1.0], &[true, false], None, 10), Err(WoeError::Lengths(1, 2)));
    assert_eq!(woe_bins(&[1.0, 2.0], &[true, false], Some(&[3.0, 2.0]), 10), Err(WoeError::Edges(1)));
    assert_eq!(woe_bins(&[1.0, 2.0], &[true, true], None, 10), Err(WoeError::OneClass));
    assert_eq!(woe_bins(&[1.0, f64::NAN], &[true, false], None, 10), Err(WoeError::NotFinite("values", 1)));
    assert_eq!(woe_bins(&[1.0, 2.0], &[true, false], None, 1), Err(WoeError::Bins(1)));
}


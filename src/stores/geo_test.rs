//! Unit tests of the distances. Expected values: tests/reference/stores.py (the same formula in
//! Python) and the hand-built marketplace of tests/pg_regress/sql/11_stores.sql.

use super::*;

#[test]
fn distances_match_the_python_reference() {
    // listing 3 of 11_stores (Augsburg) to München, listing 2 to Nürnberg, listing 10's region
    // centroid to Wien: tests/reference/stores.py prints 56.291746, 0.310624, 0.314448
    let cases = [
        ((48.37, 10.90, 48.137, 11.575), 56.291746),
        ((49.45, 11.08, 49.452, 11.077), 0.310624),
        ((48.21, 16.37, 48.208, 16.373), 0.314448),
    ];
    for ((a, b, c, d), want) in cases {
        let got = haversine_km(a, b, c, d);
        assert!((got - want).abs() < 5e-7, "{got} vs {want}");
    }
}

#[test]
fn distance_is_symmetric_zero_on_the_point_and_bounded() {
    assert_eq!(haversine_km(48.1, 11.5, 48.1, 11.5), 0.0);
    let (x, y) = (haversine_km(40.4, -3.7, 52.5, 13.4), haversine_km(52.5, 13.4, 40.4, -3.7));
    assert!((x - y).abs() < 1e-9);
    // antipodes: half the circumference
    let half = haversine_km(0.0, 0.0, 0.0, 180.0);
    assert!((half - std::f64::consts::PI * EARTH_RADIUS_KM).abs() < 1e-6);
}

#[test]
fn nearest_picks_the_first_of_the_closest() {
    let (lats, lons) = ([48.366, 48.137, 49.452], [10.898, 11.575, 11.077]);
    // Augsburg itself is index 0
    assert_eq!(nearest(48.37, 10.90, &lats, &lons), Some(0));
    assert_eq!(nearest(48.14, 11.58, &lats, &lons), Some(1));
    // two equally near points: the first
    assert_eq!(nearest(0.0, 0.0, &[1.0, -1.0], &[0.0, 0.0]), Some(0));
    assert_eq!(nearest(0.0, 0.0, &[], &[]), None);
    assert_eq!(nearest(f64::NAN, 0.0, &lats, &lons), None);
}

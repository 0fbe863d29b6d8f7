//! Unit tests of text.

use super::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

#[test]
fn numbers_use_decimal_commas_outside_english() {
    assert_eq!(fmt_num(42.2, Lang::De, true), "42,2");
    assert_eq!(fmt_num(42.2, Lang::En, true), "42.2");
    assert_eq!(fmt_num(77.0, Lang::Fr, true), "77");
}

#[test]
fn combustion_descriptions_never_mention_a_battery() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for _ in 0..200 {
        let (text, stmt) = description(
            &mut rng,
            &DescriptionInput { lang: Lang::De, powertrain: Powertrain::Diesel, colour: "red", mileage_km: 1000, year: 2020, dealer: true, battery_kwh: None, soh_pct: None },
        );
        assert_eq!(stmt, BatteryStatement::default());
        assert!(!text.contains("kWh"), "{text}");
    }
}

#[test]
fn stated_capacity_appears_in_the_text() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut stated = 0;
    for _ in 0..200 {
        let (text, stmt) = description(
            &mut rng,
            &DescriptionInput { lang: Lang::Fr, powertrain: Powertrain::Ev, colour: "white", mileage_km: 5, year: 2022, dealer: false, battery_kwh: Some(52.0), soh_pct: Some(97.5) },
        );
        if stmt.capacity_stated {
            stated += 1;
            assert!(text.contains("52"), "{text}");
        }
        if stmt.soh_stated {
            assert!(text.contains("97,5"), "{text}");
        }
    }
    assert!((100..=180).contains(&stated), "capacity stated {stated} of 200 times");
}

//! Unit tests of catalog.

use super::*;

#[test]
fn every_city_lies_in_a_known_region() {
    for c in CITIES {
        assert!(REGIONS.iter().any(|r| r.code == c.region), "{} has unknown region {}", c.name, c.region);
    }
}

#[test]
fn ev_models_have_battery_variants_and_others_do_not() {
    for m in MODELS {
        let has_ev = m.powertrains.contains(&Powertrain::Ev);
        assert_eq!(has_ev, !m.battery_kwh.is_empty(), "{} {}", m.make, m.model);
    }
}

use super::*;

fn kinds(v: &[Implausible]) -> Vec<&str> {
    v.iter().map(|i| i.kind).collect()
}

#[test]
fn plausible_listings_make_no_finding() {
    let p = BatchPolicy::default();
    assert!(implausible(Some(15_990.0), Some(61_000), 2019, 2026, &p).is_empty());
    assert!(implausible(Some(500.0), Some(100_000), 2026, 2026, &p).is_empty()); // bounds are inclusive
    assert!(implausible(None, None, 2019, 2026, &p).is_empty());
    assert!(implausible(Some(2_000_000.0), Some(0), 2024, 2026, &p).is_empty()); // 0 km on a 3-year-old car is fine
}

#[test]
fn implausible_prices_years_and_mileage_with_reasons() {
    let p = BatchPolicy::default();
    let v = implausible(Some(120.0), None, 2019, 2026, &p);
    assert_eq!(v, vec![Implausible { kind: "implausible_price", reason: "price 120.00 EUR is below 500".into() }]);
    assert_eq!(implausible(Some(2_500_000.0), None, 2019, 2026, &p)[0].reason, "price 2500000.00 EUR is above 2000000");
    assert_eq!(implausible(Some(9000.0), None, 1949, 2026, &p)[0].reason, "year 1949 is before 1950");
    assert_eq!(implausible(None, Some(1_200_000), 1990, 2026, &p)[0].reason, "1200000 km is above 1000000");
    // 2026 model seen in 2026: one year of use
    assert_eq!(implausible(None, Some(120_000), 2026, 2026, &p)[0].reason, "120000 km in 1 year(s) of use is more than 100000 km a year");
    // 2024 model seen in 2026: three years of use, 300 000 km allowed
    assert!(implausible(None, Some(300_000), 2024, 2026, &p).is_empty());
    assert_eq!(kinds(&implausible(None, Some(300_001), 2024, 2026, &p)), vec!["implausible_mileage"]);
    assert_eq!(implausible(None, Some(0), 2015, 2026, &p)[0].reason, "0 km on a 2015 vehicle looks like a placeholder");
    // several problems at once
    assert_eq!(kinds(&implausible(Some(10.0), Some(5_000_000), 1900, 2026, &p)), vec!["implausible_price", "implausible_year", "implausible_mileage"]);
}

#[test]
fn null_rate_jumps_over_the_baseline() {
    let p = BatchPolicy::default();
    let cur = vec![("vin".to_string(), 0.9), ("mileage_km".to_string(), 0.25), ("colour".to_string(), 1.0)];
    let base = vec![("vin".to_string(), 0.3), ("mileage_km".to_string(), 0.05)];
    // vin +0.6 is a jump; mileage +0.2 exactly is not; colour has no baseline
    assert_eq!(null_rate_jumps(&cur, &base, &p), vec![("vin".to_string(), 0.9, 0.3)]);
}

#[test]
fn volume_drops_need_a_baseline() {
    let p = BatchPolicy::default();
    assert_eq!(median(&[5, 1, 3]), Some(3));
    assert_eq!(median(&[4, 1, 3, 2]), Some(2));
    assert_eq!(median(&[]), None);
    assert_eq!(volume_drop(10, &[100, 100], &p), None, "two previous batches are not a baseline");
    assert_eq!(volume_drop(50, &[100, 90, 110], &p), None, "exactly half is not more than half");
    assert_eq!(volume_drop(40, &[100, 90, 110], &p), Some((100, 0.6)));
    assert_eq!(volume_drop(0, &[0, 0, 0], &p), None);
    assert_eq!(volume_drop(500, &[100, 90, 110], &p), None);
}

#[test]
fn status_transitions() {
    for (from, to) in [("active", "sold"), ("active", "removed"), ("removed", "active"), ("removed", "sold")] {
        assert_eq!(transition_problem(Some(from), to, Some(from)), None, "{from} -> {to}");
    }
    assert_eq!(transition_problem(Some("sold"), "active", Some("sold")).as_deref(), Some("sold is final: sold → active"));
    assert_eq!(transition_problem(Some("sold"), "removed", None).as_deref(), Some("sold is final: sold → removed"));
    assert_eq!(transition_problem(Some("active"), "active", Some("active")).as_deref(), Some("a status change from active to itself"));
    assert_eq!(
        transition_problem(Some("active"), "sold", Some("sold")).as_deref(),
        Some("previous_status says active but the history before it says sold")
    );
    // without a recorded previous status the history decides; without both nothing can be said
    assert_eq!(transition_problem(None, "active", Some("sold")).as_deref(), Some("sold is final: sold → active"));
    assert_eq!(transition_problem(None, "sold", None), None);
    assert_eq!(transition_problem(Some("paused"), "sold", None).as_deref(), Some("paused → sold is not a known transition"));
}

fn side(id: i64, status: &str, last_seen: i64, changed: Option<i64>) -> Side {
    Side { listing_id: id, status: status.into(), last_seen_us: last_seen, status_changed_us: changed }
}

#[test]
fn duplicate_sold_versus_active() {
    // canonical 1 sold at t=100; duplicate 2 active, last seen at 90 → becomes sold at 100
    assert_eq!(
        duplicate_disagreement(&side(2, "active", 90, None), &side(1, "sold", 100, Some(100))),
        Some(Disagreement::Heal {
            listing_id: 2,
            status: "sold",
            at_us: 100,
            reason: "canonical listing 1 was sold; duplicate 2 of the same vehicle is still active and was not seen after the sale".into()
        })
    );
    // the other way round: the repost sold, the canonical listing lingers
    assert!(matches!(
        duplicate_disagreement(&side(2, "sold", 200, Some(150)), &side(1, "active", 150, None)),
        Some(Disagreement::Heal { listing_id: 1, at_us: 150, .. })
    ));
    // seen after the sale: contradictory, no correction
    assert_eq!(
        duplicate_disagreement(&side(2, "active", 120, None), &side(1, "sold", 100, Some(100))),
        Some(Disagreement::Review { reason: "canonical listing 1 was sold, but duplicate 2 of the same vehicle was seen after the sale".into() })
    );
    // sold without status_changed_at: the last sighting stands for the sale time
    assert!(matches!(duplicate_disagreement(&side(2, "active", 80, None), &side(1, "sold", 90, None)), Some(Disagreement::Heal { at_us: 90, .. })));
    // removed next to active is how reposts look; equal statuses agree
    assert_eq!(duplicate_disagreement(&side(2, "active", 80, None), &side(1, "removed", 90, Some(90))), None);
    assert_eq!(duplicate_disagreement(&side(2, "sold", 80, Some(80)), &side(1, "sold", 90, Some(90))), None);
    assert_eq!(duplicate_disagreement(&side(2, "removed", 80, Some(80)), &side(1, "sold", 90, Some(90))), None);
}

//! Unit tests of plan.

use super::*;

fn row(id: &str, t: i64, price: f64, status: &str) -> (LandingRow, String) {
    (
        LandingRow { source_listing_id: id.into(), observed_at: t, make: "VW".into(), model: "Golf".into(), year: 2020, price_eur: price, status: status.into(), ..Default::default() },
        "site".to_string(),
    )
}

fn types(p: &Plan) -> Vec<(&str, i64)> {
    p.events.iter().map(|e| (e.event_type, e.observed_at)).collect()
}

#[test]
fn new_listing_then_price_drop_then_sale() {
    let rows = vec![row("a", 30, 900.0, "sold"), row("a", 10, 1000.0, "active"), row("a", 20, 900.0, "active")];
    let p = plan(&rows, &HashMap::new());
    assert_eq!(types(&p), vec![("listed", 10), ("price_change", 20), ("status_change", 30)]);
    assert_eq!(p.events[1].previous_price_eur, Some(1000.0));
    assert_eq!(p.events[2].previous_status.as_deref(), Some("active"));
    assert_eq!(p.final_rows.len(), 1);
    assert_eq!((&p.final_rows[0].0, p.final_rows[0].1.observed_at, p.final_rows[0].2), (&("site".to_string(), "a".to_string()), 30, Some(30)));
    assert_eq!(p.outcomes, vec![Outcome::Applied; 3]);
}

#[test]
fn fields_an_observation_omits_keep_their_earlier_values() {
    let mut first = row("a", 10, 1000.0, "active");
    first.0.vin = Some("WVWZZZ1KZAW000001".into());
    first.0.mileage_km = Some(61_000);
    first.0.image_urls = vec!["https://img.test/1.jpg".into()];
    let mut second = row("a", 20, 900.0, "active");
    second.0.mileage_km = Some(61_200);
    let p = plan(&[first, second], &HashMap::new());
    let m = &p.final_rows[0].1;
    assert_eq!((m.price_eur, m.vin.as_deref(), m.mileage_km, m.image_urls.len()), (900.0, Some("WVWZZZ1KZAW000001"), Some(61_200), 1));
}

#[test]
fn replaying_the_same_observations_changes_nothing() {
    let rows = vec![row("a", 10, 1000.0, "active")];
    let mut cur = HashMap::new();
    cur.insert(("site".to_string(), "a".to_string()), Current { price_eur: Some(1000.0), status: "active".into(), last_seen_at: 10 });
    let p = plan(&rows, &cur);
    assert!(p.events.is_empty() && p.final_rows.is_empty());
    assert_eq!(p.outcomes, vec![Outcome::Duplicate]);
    // and twice in one batch: the second copy is a duplicate of the first
    let p = plan(&[row("b", 5, 1.0, "active"), row("b", 5, 1.0, "active")], &HashMap::new());
    assert_eq!(p.outcomes, vec![Outcome::Applied, Outcome::Duplicate]);
}

#[test]
fn late_observation_becomes_history_only() {
    let mut cur = HashMap::new();
    cur.insert(("site".to_string(), "a".to_string()), Current { price_eur: Some(1000.0), status: "active".into(), last_seen_at: 50 });
    let p = plan(&[row("a", 40, 1100.0, "active"), row("a", 60, 1000.0, "active")], &cur);
    assert_eq!(types(&p), vec![("seen", 40), ("seen", 60)]);
    assert!(p.events[0].late && !p.events[1].late);
    assert_eq!(p.outcomes, vec![Outcome::Late, Outcome::Applied]);
    assert_eq!(p.earliest, vec![(("site".into(), "a".into()), 40)]);
}

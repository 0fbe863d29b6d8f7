//! Unit tests of validate.

use super::*;
use serde_json::json;

fn regions() -> HashSet<String> {
    ["DE-BY".to_string()].into_iter().collect()
}

fn good() -> Value {
    json!({"source_listing_id": "a1", "observed_at": "2026-11-01T10:00:00Z", "make": "Volkswagen",
           "model": "Golf", "year": 2019, "price_eur": "14990", "mileage_km": 52000, "region_code": "DE-BY",
           "vin": "wvwzzz1kzaw000001", "image_urls": ["https://img.test/1.jpg"]})
}

#[test]
fn parses_offsets_and_fractions() {
    let base = civil_to_pg_us(2026, 11, 1) + 10 * 3600 * US_PER_SEC;
    assert_eq!(parse_timestamptz("2026-11-01T10:00:00Z"), Ok(base));
    assert_eq!(parse_timestamptz("2026-11-01 11:00:00+01:00"), Ok(base));
    assert_eq!(parse_timestamptz("2026-11-01T09:30:00.25-00:30"), Ok(base + 250_000));
    assert!(parse_timestamptz("2026-11-01T10:00:00").is_err(), "no offset");
    assert!(parse_timestamptz("2026-02-30T10:00:00Z").is_err());
    assert!(parse_timestamptz("2026-11-01T24:00:00Z").is_err());
    assert!(parse_timestamptz("yesterday").is_err());
}

#[test]
fn accepts_a_good_row_and_normalises_it() {
    let r = validate(&good(), &regions()).unwrap();
    assert_eq!(r.price_eur, 14990.0);
    assert_eq!(r.status, "active");
    assert_eq!(r.vin.as_deref(), Some("WVWZZZ1KZAW000001"));
    assert_eq!(r.image_urls.len(), 1);
}

#[test]
fn reports_every_problem_with_its_field() {
    let mut v = good();
    v["price_eur"] = json!("abc");
    v["year"] = json!(1850);
    v["status"] = json!("gone");
    v["region_code"] = json!("XX");
    let e = validate(&v, &regions()).unwrap_err();
    assert_eq!(
        e,
        "year: 1850 outside 1900..2100; price_eur: \"abc\" is not a number; status: \"gone\" is not one of active, sold, removed; region_code: \"XX\" is not in marketplace.regions"
    );
}

#[test]
fn refuses_missing_fields_non_objects_and_bad_values() {
    assert_eq!(validate(&json!([1, 2]), &regions()).unwrap_err(), "payload: expected a JSON object, got an array");
    let e = validate(&json!({"make": "VW"}), &regions()).unwrap_err();
    assert!(e.starts_with("source_listing_id: missing; observed_at: missing; model: missing; year: missing; price_eur: missing"), "{e}");
    for (k, val, msg) in [
        ("price_eur", json!(-5), "price_eur: -5 outside"),
        ("vin", json!("SHORT"), "vin: \"SHORT\" is not 17"),
        ("mileage_km", json!(12.5), "mileage_km: 12.5 is not a whole number"),
        ("year", json!(2031), "year: 2031 is after the observation year 2026 + 1"),
        ("image_urls", json!(["ftp://x"]), "image_urls[0]: not an http(s) URL"),
        ("lat", json!(48.0), "lat/lon: give both or neither"),
    ] {
        let mut v = good();
        v[k] = val;
        let e = validate(&v, &regions()).unwrap_err();
        assert!(e.starts_with(msg), "{k}: {e}");
    }
}

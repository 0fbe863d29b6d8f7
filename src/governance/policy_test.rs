use super::*;
use serde_json::json;

#[test]
fn empty_policy_gets_documented_defaults() {
    let p = Policy::parse(&json!({})).unwrap();
    assert_eq!(p.max_staleness.as_deref(), Some("3 days"));
    assert_eq!(p.max_age.as_deref(), Some("30 days"));
    assert!(!p.frozen);
    assert_eq!((p.psi_warn, p.psi_block, p.ks_alpha), (Some(0.1), Some(0.25), Some(0.05)));
    assert_eq!((p.max_null_rate_change, p.max_row_count_change), (Some(0.1), Some(0.5)));
    assert!(p.leakage_probe);
    assert_eq!((p.probe_sample, p.profile_sample), (25, 10_000));
    assert_eq!(p.fast_checks(), 2);
    assert_eq!(p.data_checks(), 4);
}

#[test]
fn null_switches_a_check_off() {
    let p = Policy::parse(&json!({"max_staleness": null, "psi_warn": null, "psi_block": null})).unwrap();
    assert_eq!(p.max_staleness, None);
    assert_eq!(p.fast_checks(), 1);
    assert_eq!(p.data_checks(), 3);
    let none = Policy::parse(&json!({"max_staleness": null, "max_age": null})).unwrap();
    assert_eq!(none.fast_checks(), 0);
    let nodata = Policy::parse(&json!({"psi_warn": null, "psi_block": null, "ks_alpha": null,
        "max_null_rate_change": null, "max_row_count_change": null})).unwrap();
    assert_eq!(nodata.data_checks(), 0);
    let frozen = Policy::parse(&json!({"psi_warn": null, "psi_block": null, "ks_alpha": null,
        "max_null_rate_change": null, "max_row_count_change": null, "frozen": true})).unwrap();
    assert_eq!(frozen.data_checks(), 1);
}

#[test]
fn typos_and_wrong_types_are_refused_naming_the_key() {
    let e = Policy::parse(&json!({"max_stalenes": "1 day"})).unwrap_err();
    assert!(e.0.starts_with("unknown policy key \"max_stalenes\""), "{e}");
    let e = Policy::parse(&json!({"psi_block": "high"})).unwrap_err();
    assert_eq!(e.0, "policy key \"psi_block\" must be a number >= 0, got \"high\"");
    let e = Policy::parse(&json!({"ks_alpha": 1.5})).unwrap_err();
    assert!(e.0.contains("ks_alpha"), "{e}");
    let e = Policy::parse(&json!({"frozen": "yes"})).unwrap_err();
    assert!(e.0.contains("frozen"), "{e}");
    let e = Policy::parse(&json!({"psi_warn": 0.3, "psi_block": 0.2})).unwrap_err();
    assert_eq!(e.0, "psi_warn (0.3) must not exceed psi_block (0.2)");
    let e = Policy::parse(&json!({"profile_sample": 0})).unwrap_err();
    assert!(e.0.contains("profile_sample"), "{e}");
    let e = Policy::parse(&json!({"components": ["a", 3]})).unwrap_err();
    assert!(e.0.contains("components"), "{e}");
    let e = Policy::parse(&json!([1])).unwrap_err();
    assert!(e.0.contains("JSON object"), "{e}");
    let e = Policy::parse(&json!({"max_age": ""})).unwrap_err();
    assert!(e.0.contains("max_age"), "{e}");
    let e = Policy::parse(&json!({"watermark": "listings.first_seen_at"})).unwrap_err();
    assert!(e.0.contains("schema.table.column"), "{e}");
}

#[test]
fn watermark_names_split_like_sql_identifiers() {
    assert_eq!(split_watermark("marketplace.listings.first_seen_at"), Some(("marketplace".into(), "listings".into(), "first_seen_at".into())));
    assert_eq!(split_watermark("Marketplace.Listings.First_Seen_At"), Some(("marketplace".into(), "listings".into(), "first_seen_at".into())));
    assert_eq!(split_watermark("\"My Schema\".\"t.x\".\"a\"\"b\""), Some(("My Schema".into(), "t.x".into(), "a\"b".into())));
    assert_eq!(split_watermark("a.b"), None);
    assert_eq!(split_watermark("a.b.c.d"), None);
    assert_eq!(split_watermark("a.b;drop table x.c"), None);
    assert_eq!(split_watermark("a..c"), None);
    assert_eq!(split_watermark("\"a.b.c"), None);
}

#[test]
fn effective_policy_round_trips() {
    let p = Policy::parse(&json!({"frozen": true, "components": ["ml.a"], "max_age": "7 days"})).unwrap();
    let back = Policy::parse(&p.to_json()).unwrap();
    assert_eq!(p, back);
}

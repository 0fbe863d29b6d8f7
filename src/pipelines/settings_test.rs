use super::*;

#[test]
fn defaults_validate_and_match_the_rules() {
    for k in KEYS {
        assert!(validate(k, k.default).is_ok(), "{}", k.key);
    }
    let s = Settings::default();
    assert_eq!(s.batch_policy(), BatchPolicy::default());
    assert_eq!(s.get("pipelines.history_retention"), "30 days");
    assert_eq!(s.int("survival.missed_cycles"), 3);
    assert!(!s.bool("sanity.auto_heal"));
    assert_eq!(s.get("no.such.key"), "");
}

#[test]
fn values_are_checked_and_normalised() {
    let k = |n| find(n).unwrap();
    assert_eq!(validate(k("survival.missed_cycles"), " 5 ").as_deref(), Ok("5"));
    assert_eq!(validate(k("survival.missed_cycles"), "0"), Err("0 is outside 1..1000".into()));
    assert_eq!(validate(k("survival.missed_cycles"), "three"), Err("\"three\" is not a whole number".into()));
    assert_eq!(validate(k("sanity.auto_heal"), "ON").as_deref(), Ok("true"));
    assert_eq!(validate(k("sanity.auto_heal"), "maybe"), Err("\"maybe\" is not a boolean (true/false)".into()));
    assert_eq!(validate(k("survival.missing_status"), "removed").as_deref(), Ok("removed"));
    assert_eq!(validate(k("survival.missing_status"), "gone"), Err("\"gone\" is not one of sold, removed".into()));
    assert_eq!(validate(k("ingest_audit.volume_drop"), "1.5"), Err("1.5 is outside 0..1".into()));
    assert_eq!(validate(k("ingest_audit.volume_drop"), "NaN"), Err("NaN is outside 0..1".into()));
    assert_eq!(validate(k("stale.after"), ""), Err("an interval is expected, e.g. '30 days'".into()));
}

#[test]
fn stored_values_override_defaults_and_bad_ones_fall_back() {
    let mut m = HashMap::new();
    m.insert("ingest_audit.price_min".to_string(), "1000".to_string());
    m.insert("survival.missed_cycles".to_string(), "-4".to_string());
    m.insert("schedule.marketplace_ingest_and_audit".to_string(), "*/5 * * * *".to_string());
    m.insert("enabled.marketplace_image_pipeline_30m".to_string(), "false".to_string());
    let s = Settings(m);
    assert_eq!(s.batch_policy().price_min, 1000.0);
    assert_eq!(s.int("survival.missed_cycles"), 3);
    assert_eq!(s.schedule_override("marketplace_ingest_and_audit"), Some("*/5 * * * *"));
    assert_eq!(s.schedule_override("survival_marketplace_daily"), None);
    assert!(!s.enabled("marketplace_image_pipeline_30m"));
    assert!(s.enabled("marketplace_ingest_and_audit"));
}

#[test]
fn every_key_has_a_namespace_and_a_meaning() {
    let mut seen = std::collections::HashSet::new();
    for k in KEYS {
        assert!(seen.insert(k.key), "duplicate key {}", k.key);
        assert!(k.key.contains('.') && !k.key.starts_with("schedule.") && !k.key.starts_with("enabled."));
        assert!(!k.meaning.is_empty());
    }
}

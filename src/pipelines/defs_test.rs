use super::*;

#[test]
fn the_six_dag_ids_and_their_seed_defaults() {
    // SEED.md §1, "Schedule (resolved default)"
    let table: Vec<(&str, &str)> = PIPELINES.iter().map(|p| (p.id, p.default_schedule)).collect();
    assert_eq!(
        table,
        vec![
            ("audit_stale_listings_daily", "45 23 * * *"),
            ("marketplace_db_healing_pipeline_30m", "*/30 * * * *"),
            ("marketplace_image_pipeline_30m", "*/30 * * * *"),
            ("marketplace_ingest_and_audit", "*/30 * * * *"),
            ("status_sanity_audit_midnight", "0 0 * * *"),
            ("survival_marketplace_daily", "15,45 8-23 * * *"),
        ]
    );
    for p in &PIPELINES {
        assert!(crate::pipelines::cron::parse(p.default_schedule).is_ok(), "{}", p.id);
        assert!(!p.steps.is_empty());
    }
}

#[test]
fn which_pipelines_read_which_variable() {
    let vars: Vec<(&str, Option<&str>)> = PIPELINES.iter().map(|p| (p.id, p.variable.map(|v| v.0))).collect();
    assert_eq!(
        vars,
        vec![
            ("audit_stale_listings_daily", Some("AUDIT_SCHEDULE")),
            ("marketplace_db_healing_pipeline_30m", None),
            ("marketplace_image_pipeline_30m", None),
            ("marketplace_ingest_and_audit", None),
            ("status_sanity_audit_midnight", Some("DAG_SCHEDULE_CRON")),
            ("survival_marketplace_daily", Some("DAG_SCHEDULE_CRON")),
        ]
    );
}

#[test]
fn resolution_order_override_variable_default() {
    let audit = find("audit_stale_listings_daily").unwrap();
    assert_eq!(resolve(audit, None, None), ("45 23 * * *".to_string(), Source::Default));
    assert_eq!(resolve(audit, None, Some("0 22 * * *")), ("0 22 * * *".to_string(), Source::Variable("AUDIT_SCHEDULE")));
    assert_eq!(resolve(audit, Some("5 4 * * *"), Some("0 22 * * *")), ("5 4 * * *".to_string(), Source::Override));
    // an empty value counts as unset (an empty schedule is never meant)
    assert_eq!(resolve(audit, Some("  "), Some("")), ("45 23 * * *".to_string(), Source::Default));
    // DAG_SCHEDULE_CRON moves both pipelines that read it, and nothing else
    let v = Some("0 3 * * *");
    assert_eq!(resolve(find("status_sanity_audit_midnight").unwrap(), None, v).0, "0 3 * * *");
    assert_eq!(resolve(find("survival_marketplace_daily").unwrap(), None, v).0, "0 3 * * *");
    assert_eq!(resolve(find("marketplace_ingest_and_audit").unwrap(), None, v), ("*/30 * * * *".to_string(), Source::Default));
    assert_eq!(Source::Variable("DAG_SCHEDULE_CRON").label(), "DAG_SCHEDULE_CRON");
}

#[test]
fn lock_keys_are_fnv1a_and_distinct() {
    // FNV-1a 32: "" = 0x811c9dc5, "a" = 0xe40c292c (published test vectors)
    assert_eq!(lock_key("") as u32, 0x811c_9dc5);
    assert_eq!(lock_key("a") as u32, 0xe40c_292c);
    let keys: std::collections::HashSet<i32> = PIPELINES.iter().map(|p| lock_key(p.id)).collect();
    assert_eq!(keys.len(), 6);
}

#[test]
fn unknown_ids_are_not_found() {
    assert!(find("marketplace_ingest_and_audit").is_some());
    assert!(find("Marketplace_Ingest_And_Audit").is_none());
    assert_eq!(ids().len(), 6);
}

//! `audit.register_store` and `audit.revoke`: validation (every problem named, with its fix) and
//! the append-only writes.

use super::policy::{split_watermark, Policy};
use super::store;
use super::verdict::writing;
use crate::common::error::{OrRaise, SpineError};
use crate::common::regclass::RegClass;
use crate::common::subxact;
use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::PgSqlErrorCode;

const FUNC: &str = "audit.register_store";

fn need<T>(v: Option<T>, func: &str, what: &str, hint: &str) -> T {
    match v {
        Some(v) => v,
        None => SpineError::new(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, format!("{func}: {what} must not be NULL")).hint(hint.to_string()).raise(),
    }
}

fn undefined_column(name: &str, col: &str, what: &str) -> ! {
    SpineError::new(PgSqlErrorCode::ERRCODE_UNDEFINED_COLUMN, format!("{FUNC}: {name} has no column \"{col}\" ({what})"))
        .hint("Name an existing column of the store (case-sensitive, unquoted).")
        .raise()
}

fn interval_ok(text: &str) -> bool {
    subxact::run(false, || Spi::get_one_with_args::<String>("SELECT $1::interval::text", &[text.into()]).is_ok()).unwrap_or(false)
}

pub fn register(
    store: Option<RegClass>,
    key_column: Option<String>,
    t0_column: Option<String>,
    label_columns: Option<Vec<Option<String>>>,
    policy: Option<pgrx::JsonB>,
) {
    let hint = "audit.register_store('ml.x_v', 'listing_id', 't0', ARRAY['label_y'], '{\"max_staleness\": \"3 days\"}')";
    let rel = crate::hashing::relation::lookup(store, FUNC, &["r", "p", "v", "m", "f"]);
    let key = need(key_column, FUNC, "key_column", hint);
    let t0 = need(t0_column, FUNC, "t0_column", hint);
    let labels: Vec<String> = crate::common::args::no_nulls(FUNC, "label_columns", label_columns.or(Some(Vec::new())));
    let policy_json = policy.map(|j| j.0).unwrap_or_else(|| serde_json::json!({}));
    let p = match Policy::parse(&policy_json) {
        Ok(p) => p,
        Err(e) => SpineError::invalid(format!("{FUNC}: invalid policy for {}: {e}", rel.name))
            .hint("Policy keys: max_staleness, max_age (intervals), frozen, psi_warn, psi_block, ks_alpha, ks_block, max_null_rate_change, max_row_count_change, watermark, leakage_probe, probe_sample, profile_sample, components, not_null, nonnegative; null switches a check off.")
            .raise(),
    };
    for (k, v) in [("max_staleness", &p.max_staleness), ("max_age", &p.max_age)] {
        if let Some(v) = v {
            if !interval_ok(v) {
                SpineError::invalid(format!("{FUNC}: invalid policy for {}: \"{k}\" is not an interval: \"{v}\"", rel.name))
                    .hint("Use PostgreSQL interval text, e.g. \"36 hours\" or \"7 days\".")
                    .raise()
            }
        }
    }
    let columns = Spi::connect(|c| store::columns(&c, rel.oid));
    let find = |col: &str, what: &str| columns.iter().find(|c| c.name == col).cloned().unwrap_or_else(|| undefined_column(&rel.name, col, what));
    find(&key, "key_column");
    let t0c = find(&t0, "t0_column");
    if t0c.kind != store::Kind::Temporal {
        SpineError::new(PgSqlErrorCode::ERRCODE_DATATYPE_MISMATCH, format!("{FUNC}: t0_column \"{t0}\" of {} is {}, not a date or timestamp", rel.name, t0c.type_name))
            .hint("T0 is the decision time: a timestamptz (or date/timestamp) column.")
            .raise()
    }
    for l in &labels {
        find(l, "label_columns");
        if l == &key || l == &t0 {
            SpineError::invalid(format!("{FUNC}: \"{l}\" cannot be both a label and the key or T0 of {}", rel.name)).hint("Labels are outcome columns.").raise()
        }
    }
    for c in &p.not_null {
        find(c, "policy not_null");
    }
    for c in &p.nonnegative {
        let col = find(c, "policy nonnegative");
        if col.kind != store::Kind::Numeric {
            SpineError::new(PgSqlErrorCode::ERRCODE_DATATYPE_MISMATCH, format!("{FUNC}: policy nonnegative names \"{c}\" of {}, a {} column", rel.name, col.type_name))
                .hint("nonnegative applies to numeric columns.")
                .raise()
        }
    }
    if let Some(w) = &p.watermark {
        let (schema, table, column) = split_watermark(w).unwrap_or_default();
        let ok = Spi::get_one_with_args::<bool>(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
                            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
                            WHERE n.nspname = $1 AND c.relname = $2 AND a.attname = $3 AND NOT a.attisdropped AND t.typcategory = 'D')",
            &[schema.into(), table.into(), column.into()],
        )
        .or_raise("checking the watermark column");
        if ok != Some(true) {
            SpineError::new(PgSqlErrorCode::ERRCODE_UNDEFINED_COLUMN, format!("{FUNC}: policy watermark \"{w}\" is not a date or timestamp column"))
                .hint("Name it as schema.table.column, e.g. \"marketplace.listings.first_seen_at\".")
                .raise()
        }
    }
    for c in &p.components {
        let exists = Spi::get_one_with_args::<bool>("SELECT pg_catalog.to_regclass($1) IS NOT NULL", &[c.clone().into()]).or_raise("checking a component");
        if exists != Some(true) {
            SpineError::new(PgSqlErrorCode::ERRCODE_UNDEFINED_TABLE, format!("{FUNC}: component \"{c}\" of {} does not exist", rel.name))
                .hint("Components are schema-qualified store names that must be certified for this store to pass.")
                .raise()
        }
    }
    writing(|| {
        Spi::run_with_args(
            "INSERT INTO audit.store_policies AS p (store, store_name, key_column, t0_column, label_columns, policy, registered_by, builtin)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (store) DO UPDATE SET store_name = EXCLUDED.store_name, key_column = EXCLUDED.key_column,
                 t0_column = EXCLUDED.t0_column, label_columns = EXCLUDED.label_columns, policy = EXCLUDED.policy,
                 registered_at = now(), registered_by = EXCLUDED.registered_by, builtin = EXCLUDED.builtin",
            &[rel.oid.into(), rel.name.clone().into(), key.into(), t0.into(), labels.into(), pgrx::JsonB(policy_json).into(), super::verdict::caller().into(), creating_extension().into()],
        )
    })
    .or_raise("writing the store policy");
    invalidate(rel.oid);
}

/// Registrations made by spine's own install script are `builtin` (pg_dump leaves them to
/// CREATE EXTENSION); any later registration by an admin is not.
fn creating_extension() -> bool {
    // SAFETY: plain read of a backend global
    unsafe { pg_sys::creating_extension }
}

fn invalidate(oid: pg_sys::Oid) {
    // every backend drops its cached guard pass for the store when this transaction commits
    unsafe { pg_sys::CacheInvalidateRelcacheByRelid(oid) };
    super::cache::forget(oid);
}

pub fn revoke(store: Option<RegClass>, reason: Option<String>) {
    const F: &str = "audit.revoke";
    let rel = crate::hashing::relation::lookup(store, F, &["r", "p", "v", "m", "f"]);
    let reason = need(reason, F, "reason", "Say why, e.g. audit.revoke('ml.x_v', 'source feed corrupted on 2026-11-20').");
    if reason.trim().is_empty() {
        SpineError::invalid(format!("{F}: reason must not be empty")).hint("Say why the certification is revoked; it is kept in the registry.").raise()
    }
    let last = Spi::get_one_with_args::<String>(
        "SELECT (SELECT action FROM audit.t0_cert_registry WHERE store = $1 ORDER BY cert_id DESC LIMIT 1)",
        &[rel.oid.into()],
    )
    .or_raise("reading the registry");
    if last.as_deref() != Some("certify") {
        SpineError::new(PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE, format!("{F}: {} has no active certification to revoke", rel.name))
            .detail(match last {
                Some(_) => "Its newest registry row is already a revocation.".to_string(),
                None => "It was never certified.".to_string(),
            })
            .hint("audit.certification_status shows every store's state.")
            .raise()
    }
    writing(|| {
        Spi::run_with_args(
            "INSERT INTO audit.t0_cert_registry (store, store_name, action, at, by_role, note, revokes)
             SELECT $1, $2, 'revoke', now(), $4, $3,
                    (SELECT cert_id FROM audit.t0_cert_registry WHERE store = $1 ORDER BY cert_id DESC LIMIT 1)",
            &[rel.oid.into(), rel.name.clone().into(), reason.into(), super::verdict::caller().into()],
        )
    })
    .or_raise("writing the revocation");
    invalidate(rel.oid);
}

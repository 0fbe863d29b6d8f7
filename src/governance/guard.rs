//! The checks behind `audit.require_certified` (fast) and `audit.require_certified_strict`.
//! Each returns `Ok(Pass)` or `Err(Failure)`; raising and recording happen in entry.rs.

use super::cache::{self, Entry};
use super::policy::split_watermark;
use super::profile;
use super::store::{self, Cert, Check, Failure, Store};
use crate::common::sqlstate::Sp;
use crate::hashing::viewdef;
use pgrx::pg_sys;

use pgrx::spi::{quote_identifier, SpiClient};
use serde_json::{json, Value};

/// Components are checked recursively; deeper nesting than this is refused (and catches cycles).
const MAX_COMPONENT_DEPTH: usize = 4;

#[derive(Debug, Clone, Default)]
pub struct Pass {
    pub cert_id: Option<i64>,
    pub warnings: Vec<String>,
    pub evidence: Option<Value>,
}

pub fn now() -> i64 {
    // SAFETY: plain read of the transaction's start time (= SQL now())
    unsafe { pg_sys::GetCurrentTransactionStartTimestamp() }
}

fn spi_fail(store: &str, what: &str, e: impl std::fmt::Display) -> Failure {
    Failure::new(Sp::CheckFailed, format!("{store}: {what} could not run"), e.to_string(), "The guard fails closed; fix the cause shown in DETAIL.")
}

/// Compares the current definition closure with the certified one; names what changed.
pub fn closure_unchanged(client: &SpiClient<'_>, s: &Store, cert: &Cert) -> Check<Vec<pg_sys::Oid>> {
    let (entries, relids) = viewdef::closure_with_relations(s.oid);
    if viewdef::closure_hash(&entries) == cert.viewdef_hash {
        return Ok(relids);
    }
    let base: Vec<(String, String, String)> = client
        .select(
            "SELECT object_type, object_identity, object_hash FROM audit.t0_viewdef_baseline WHERE cert_id = $1",
            None,
            &[cert.cert_id.into()],
        )
        .map_err(|e| spi_fail(&s.name, "reading the definition baseline", e))?
        .filter_map(|r| Some((r.get::<String>(1).ok()??, r.get::<String>(2).ok()??, r.get::<String>(3).ok()??)))
        .collect();
    let mut changes = Vec::new();
    for e in &entries {
        match base.iter().find(|b| b.0 == e.object_type && b.1 == e.identity) {
            Some(b) if b.2 != e.hash => changes.push(format!("{} {} changed", e.object_type, e.identity)),
            None => changes.push(format!("{} {} added", e.object_type, e.identity)),
            _ => {}
        }
    }
    for b in &base {
        if !entries.iter().any(|e| e.object_type == b.0 && e.identity == b.1) {
            changes.push(format!("{} {} removed", b.0, b.1));
        }
    }
    if changes.is_empty() {
        changes.push("the closure hash differs from the certified one".into());
    }
    Err(Failure::new(
        Sp::DefinitionChanged,
        format!("{}: its definition changed since certification {}", s.name, cert.cert_id),
        changes.join("; "),
        format!("Review the change; if it is intended, an admin re-certifies with audit.certify('{}').", s.name),
    )
    .cert(Some(cert.cert_id))
    .evidence(json!({"changed": changes})))
}

/// The newest T0 (or the policy's watermark column): (µs, text).
fn watermark(client: &SpiClient<'_>, s: &Store) -> Check<Option<(i64, String)>> {
    let sql = match &s.policy.watermark {
        Some(w) => {
            let Some((schema, table, column)) = split_watermark(w) else {
                return Err(spi_fail(&s.name, "the watermark", format!("policy watermark \"{w}\" is not schema.table.column")));
            };
            format!(
                "SELECT m::timestamptz, m::timestamptz::text FROM (SELECT max(s.{}) AS m FROM {}.{} s) x",
                quote_identifier(column),
                quote_identifier(schema),
                quote_identifier(table)
            )
        }
        None => format!("SELECT m::timestamptz, m::timestamptz::text FROM (SELECT max({}) AS m FROM {} s) x", s.q(&s.t0), s.name),
    };
    let row = client.select(&sql, Some(1), &[]).map_err(|e| spi_fail(&s.name, "the freshness check", e))?.into_iter().next();
    let Some(row) = row else { return Ok(None) };
    let t = row.get::<pgrx::datum::TimestampWithTimeZone>(1).map_err(|e| spi_fail(&s.name, "the freshness check", e))?;
    let text = row.get::<String>(2).map_err(|e| spi_fail(&s.name, "the freshness check", e))?.unwrap_or_default();
    Ok(t.map(|t| (t.into_inner(), text)))
}

/// `ts + interval` in µs, computed by PostgreSQL (months and days are calendar units).
fn plus(client: &SpiClient<'_>, s: &Store, ts: i64, interval: &str) -> Check<i64> {
    let t = pgrx::datum::TimestampWithTimeZone::try_from(ts).map_err(|e| spi_fail(&s.name, "interval arithmetic", format!("{e:?}")))?;
    client
        .select("SELECT ($1::timestamptz + $2::interval)", Some(1), &[t.into(), interval.into()])
        .map_err(|e| spi_fail(&s.name, "interval arithmetic", e))?
        .into_iter()
        .next()
        .and_then(|r| r.get::<pgrx::datum::TimestampWithTimeZone>(1).ok().flatten())
        .map(|t| t.into_inner())
        .ok_or_else(|| spi_fail(&s.name, "interval arithmetic", format!("{interval} is not an interval")))
}

fn ts_text(client: &SpiClient<'_>, t: i64) -> String {
    pgrx::datum::TimestampWithTimeZone::try_from(t)
        .ok()
        .and_then(|t| client.select("SELECT $1::timestamptz::text", Some(1), &[t.into()]).ok())
        .and_then(|r| r.into_iter().next())
        .and_then(|r| r.get::<String>(1).ok().flatten())
        .unwrap_or_else(|| t.to_string())
}

/// Freshness and future-dated data; returns when the data goes stale (None = no limit).
pub fn fresh(client: &SpiClient<'_>, s: &Store, now: i64) -> Check<Option<i64>> {
    let wm = watermark(client, s)?;
    let what = match &s.policy.watermark {
        Some(w) => format!("watermark {w}"),
        None => format!("newest {}", s.t0),
    };
    let Some((wm, wm_text)) = wm else {
        if s.policy.max_staleness.is_some() {
            return Err(Failure::new(
                Sp::Stale,
                format!("{} is stale: it has no data", s.name),
                format!("The {what} is NULL: the store is empty."),
                "Load data (the ingest pipeline) before training or scoring.",
            ));
        }
        return Ok(None);
    };
    if wm > now {
        return Err(Failure::new(
            Sp::Invariant,
            format!("{} has future-dated data", s.name),
            format!("The {what} is {wm_text}, after the current time {}.", ts_text(client, now)),
            "Find and correct the rows whose T0 lies in the future; a T0-correct store cannot contain them.",
        ));
    }
    let Some(max) = &s.policy.max_staleness else { return Ok(None) };
    let stale_at = plus(client, s, wm, max)?;
    if now >= stale_at {
        return Err(Failure::new(
            Sp::Stale,
            format!("{} is stale", s.name),
            format!("The {what} is {wm_text}, older than max_staleness {max} (now {}).", ts_text(client, now)),
            "Run the ingest pipeline (spine.run_pipeline('marketplace_ingest_and_audit')), or widen max_staleness with audit.register_store.",
        ));
    }
    Ok(Some(stale_at))
}

/// The full fast-path check of one store (no cache read); fills the cache on a pass.
pub fn fast(client: &SpiClient<'_>, oid: pg_sys::Oid, depth: usize) -> Check<Pass> {
    fast_checked(client, oid, depth).map(|(_, cert)| Pass { cert_id: Some(cert.cert_id), warnings: Vec::new(), evidence: None })
}

/// The fast checks; on a pass, the store and certification they read (the strict guard goes on
/// with them).
fn fast_checked(client: &SpiClient<'_>, oid: pg_sys::Oid, depth: usize) -> Check<(Store, Cert)> {
    let now = now();
    let s = store::load(client, oid)?;
    if s.policy.fast_checks() == 0 {
        return Err(Failure::new(
            Sp::CheckFailed,
            format!("{}: no checks configured", s.name),
            "Its policy switches off both max_staleness and max_age, so nothing would ever make a certification lapse.",
            format!("Set max_staleness or max_age with audit.register_store('{}', ...).", s.name),
        ));
    }
    let cert = store::active_cert(client, &s)?;
    if let Some(exp) = cert.expires_at {
        if now >= exp {
            return Err(Failure::new(
                Sp::Expired,
                format!("{}: certification {} expired", s.name, cert.cert_id),
                format!("Certified at {}, max_age {}, expired at {}.", ts_text(client, cert.at), s.policy.max_age.clone().unwrap_or_default(), ts_text(client, exp)),
                format!("An admin re-certifies it with audit.certify('{}').", s.name),
            )
            .cert(Some(cert.cert_id)));
        }
    }
    let relids = closure_unchanged(client, &s, &cert)?;
    let stale_at = fresh(client, &s, now).map_err(|f| f.cert(Some(cert.cert_id)))?;
    components(client, &s, depth)?;
    let valid_until = [cert.expires_at, stale_at].into_iter().flatten().min().unwrap_or(i64::MAX);
    cache::put(oid, Entry { cert_id: cert.cert_id, store_name: s.name.clone(), relids, valid_until, checked_at: now });
    Ok((s, cert))
}

/// Every component named in the policy passes the fast guard too.
fn components(client: &SpiClient<'_>, s: &Store, depth: usize) -> Check<()> {
    for name in &s.policy.components {
        if depth >= MAX_COMPONENT_DEPTH {
            return Err(Failure::new(
                Sp::CheckFailed,
                format!("{}: components nest deeper than {MAX_COMPONENT_DEPTH} levels", s.name),
                format!("at component {name}; a cycle among the stores' components?"),
                "Fix the components lists with audit.register_store.",
            ));
        }
        let oid = client
            .select("SELECT pg_catalog.to_regclass($1)::oid", Some(1), &[name.clone().into()])
            .map_err(|e| spi_fail(&s.name, "the component check", e))?
            .into_iter()
            .next()
            .and_then(|r| r.get::<pg_sys::Oid>(1).ok().flatten());
        let Some(oid) = oid else {
            return Err(Failure::new(
                Sp::NotCertified,
                format!("{}: its component {name} does not exist", s.name),
                format!("The policy of {} lists {name} as a component.", s.name),
                "Create and certify the component, or fix the components list with audit.register_store.",
            ));
        };
        if let Err(f) = fast(client, oid, depth + 1) {
            return Err(Failure::new(f.sp, format!("{}: component {name} fails its guard: {}", s.name, f.message), f.detail, f.hint).cert(f.cert_id));
        }
    }
    Ok(())
}

/// The strict check: everything the fast one does plus a fresh profile of the data.
pub fn strict(client: &SpiClient<'_>, oid: pg_sys::Oid) -> Check<Pass> {
    let (s, cert) = fast_checked(client, oid, 0)?;
    if s.policy.data_checks() == 0 {
        return Err(Failure::new(
            Sp::CheckFailed,
            format!("{}: no data checks configured", s.name),
            "Its policy switches off PSI, KS, null-rate and row-count checks and the store is not frozen: a strict guard would check nothing.",
            format!("Enable at least one of psi_block, ks_alpha, max_null_rate_change, max_row_count_change or frozen with audit.register_store('{}', ...).", s.name),
        )
        .cert(Some(cert.cert_id)));
    }
    let stats = profile::stats(client, &s).map_err(|f| f.cert(Some(cert.cert_id)))?;
    profile::invariants(&s, &stats).map_err(|f| f.cert(Some(cert.cert_id)))?;
    profile::duplicates(client, &s).map_err(|f| f.cert(Some(cert.cert_id)))?;
    let current = profile::profile(client, &s, &stats).map_err(|f| f.cert(Some(cert.cert_id)))?;
    let baseline = profile::load_baseline(client, &s, cert.cert_id)?;
    let report = profile::compare(&s, &cert, &stats, &baseline, &current, &mut || {
        pgrx::check_for_interrupts!();
    });
    let evidence = report.evidence.clone();
    if let Some(f) = report.failure {
        return Err(f.cert(Some(cert.cert_id)).evidence(evidence));
    }
    if s.policy.frozen {
        let now_hash = client
            .select(&format!("SELECT audit.dataset_hash({}::regclass)", pgrx::spi::quote_literal(&s.name)), Some(1), &[])
            .map_err(|e| spi_fail(&s.name, "the dataset hash", e))?
            .into_iter()
            .next()
            .and_then(|r| r.get::<String>(1).ok().flatten())
            .unwrap_or_default();
        if now_hash != cert.dataset_hash {
            return Err(Failure::new(
                Sp::HashMismatch,
                format!("{}: its data changed, but the store is frozen", s.name),
                format!("dataset hash {now_hash} differs from certified {} (certification {}, {} rows then, {} now)", cert.dataset_hash, cert.cert_id, cert.row_count, stats.rows),
                "Restore the certified data; if the change is intended, an admin re-certifies the store.",
            )
            .cert(Some(cert.cert_id))
            .evidence(evidence));
        }
    }
    for w in &report.warnings {
        pgrx::warning!("{}", w);
    }
    Ok(Pass { cert_id: Some(cert.cert_id), warnings: report.warnings, evidence: Some(evidence) })
}

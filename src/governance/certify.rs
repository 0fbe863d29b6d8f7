//! `audit.certify`: every check a certification rests on, then one registry row with its
//! baselines (definition closure per object, dataset hash, per-column profile).

use super::guard;
use super::leakage;
use super::profile;
use super::store::{self, Check, Failure};
use super::verdict::writing;
use crate::common::sqlstate::Sp;
use crate::hashing::viewdef;
use pgrx::pg_sys;
use pgrx::prelude::*;
use serde_json::json;

pub struct Certified {
    pub cert_id: i64,
    pub store_name: String,
    pub warnings: Vec<String>,
}

/// Runs the checks and appends the certification. Errors inside are the caller's to catch.
pub fn certify(oid: pg_sys::Oid, note: Option<String>) -> Check<Certified> {
    // one certification of a store at a time; guards are not blocked (they read committed rows)
    Spi::run_with_args("SELECT pg_catalog.pg_advisory_xact_lock(1936745829, $1::oid::int4)", &[oid.into()])
        .map_err(|e| Failure::new(Sp::CheckFailed, "could not lock the store for certification", e.to_string(), "Retry."))?;
    let (s, entries, stats, prof) = Spi::connect(|c| -> Check<_> {
        let s = store::load(&c, oid)?;
        if s.policy.fast_checks() == 0 || s.policy.data_checks() == 0 {
            return Err(Failure::new(
                Sp::CheckFailed,
                format!("{}: no checks configured", s.name),
                format!("fast checks (max_staleness, max_age): {}; data checks (PSI, KS, null rate, row count, frozen): {}", s.policy.fast_checks(), s.policy.data_checks()),
                format!("Enable at least one of each with audit.register_store('{}', ...).", s.name),
            ));
        }
        let entries = viewdef::closure(oid);
        let stats = profile::stats(&c, &s)?;
        if stats.rows == 0 {
            return Err(Failure::new(Sp::Stale, format!("{} cannot be certified: it has no rows", s.name), "An empty store has nothing to certify.", "Load data first."));
        }
        profile::invariants(&s, &stats)?;
        profile::duplicates(&c, &s)?;
        guard::fresh(&c, &s, guard::now())?;
        let prof = profile::profile(&c, &s, &stats)?;
        Ok((s, entries, stats, prof))
    })?;
    // components must hold their own certification
    Spi::connect(|c| -> Check<()> {
        for name in &s.policy.components {
            let coid = c
                .select("SELECT pg_catalog.to_regclass($1)::oid", Some(1), &[name.clone().into()])
                .ok()
                .and_then(|t| t.into_iter().next())
                .and_then(|r| r.get::<pg_sys::Oid>(1).ok().flatten());
            let Some(coid) = coid else {
                return Err(Failure::new(Sp::NotCertified, format!("{}: its component {name} does not exist", s.name), "listed in the policy's components", "Create and certify the component first."));
            };
            guard::fast(&c, coid, 1).map_err(|f| Failure::new(f.sp, format!("{}: component {name} fails its guard: {}", s.name, f.message), f.detail, f.hint))?;
        }
        Ok(())
    })?;
    let probed = if s.policy.leakage_probe { Some(leakage::probe(&s)?) } else { None };
    let dataset_hash = Spi::get_one_with_args::<String>("SELECT audit.dataset_hash($1::oid::regclass)", &[oid.into()])
        .map_err(|e| Failure::new(Sp::CheckFailed, format!("{}: the dataset hash could not be computed", s.name), e.to_string(), "Fix the cause in DETAIL."))?
        .unwrap_or_default();
    let closure_hash = viewdef::closure_hash(&entries);
    let policy = s.policy.to_json();
    let cert_id = writing(|| {
        Spi::get_one_with_args::<i64>(
            "INSERT INTO audit.t0_cert_registry (store, store_name, action, at, by_role, viewdef_hash, dataset_hash, row_count,
                                                 t0_min, t0_max, expires_at, policy, note)
             VALUES ($1, $2, 'certify', now(), $11, $3, $4, $5, $6, $7, now() + ($8)::interval, $9, $10)
             RETURNING cert_id",
            &[
                oid.into(),
                s.name.clone().into(),
                closure_hash.clone().into(),
                dataset_hash.clone().into(),
                stats.rows.into(),
                stats.t0_min.into(),
                stats.t0_max.into(),
                s.policy.max_age.clone().into(),
                pgrx::JsonB(json!({"policy": policy, "leakage_probe_entities": probed})).into(),
                note.clone().into(),
                super::verdict::caller().into(),
            ],
        )
    })
    .map_err(|e| Failure::new(Sp::CheckFailed, format!("{}: the registry row could not be written", s.name), e.to_string(), "Check the spine installation."))?
    .unwrap_or(0);
    writing(|| -> Result<(), pgrx::spi::SpiError> {
        Spi::run_with_args(
            "INSERT INTO audit.t0_dataset_hash_baseline (cert_id, store, dataset_hash, row_count, computed_at) VALUES ($1, $2, $3, $4, now())",
            &[cert_id.into(), oid.into(), dataset_hash.clone().into(), stats.rows.into()],
        )?;
        let (types, idents, hashes): (Vec<String>, Vec<String>, Vec<String>) = entries.iter().fold((vec![], vec![], vec![]), |mut a, e| {
            a.0.push(e.object_type.clone());
            a.1.push(e.identity.clone());
            a.2.push(e.hash.clone());
            a
        });
        Spi::run_with_args(
            "INSERT INTO audit.t0_viewdef_baseline (cert_id, store, object_type, object_identity, object_hash)
             SELECT $1, $2, t, i, h FROM unnest($3::text[], $4::text[], $5::text[]) AS u(t, i, h)",
            &[cert_id.into(), oid.into(), types.into(), idents.into(), hashes.into()],
        )
    })
    .map_err(|e| Failure::new(Sp::CheckFailed, format!("{}: the baselines could not be written", s.name), e.to_string(), "Check the spine installation."))?;
    profile::store_baseline(&s, cert_id, &prof);
    // every backend drops its cached verdict for this store when this transaction commits
    unsafe { pg_sys::CacheInvalidateRelcacheByRelid(oid) };
    super::cache::forget(oid);
    Ok(Certified { cert_id, store_name: s.name, warnings: Vec::new() })
}

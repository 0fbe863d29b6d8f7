//! The fast guard's per-backend cache: for each store that passed a full check, until when a
//! pass is still valid without looking at the catalog again.
//!
//! Correctness does not depend on timing: an entry is dropped by PostgreSQL's own invalidation
//! messages whenever something it was computed from may have changed —
//! - a relcache invalidation of the store or of any relation in its definition closure (view
//!   redefinition, column type change, rename; certify/revoke/register_store send one for the
//!   store explicitly, delivered to every backend when they commit);
//! - any syscache invalidation of functions, types, operators, casts or schemas (conservative:
//!   the next call recomputes the closure and compares it with the baseline).
//! Besides, an entry is only valid until min(certification expiry, watermark + max_staleness) and
//! for at most `spine.guard_recheck_interval` after the watermark was last read.

use pgrx::pg_sys;
use std::cell::RefCell;
use std::collections::HashMap;

/// More stores than this in one backend: the cache starts over (it only costs a recheck).
pub const MAX_ENTRIES: usize = 1024;

#[derive(Debug, Clone)]
pub struct Entry {
    pub cert_id: i64,
    pub store_name: String,
    /// The store and every relation of its definition closure.
    pub relids: Vec<pg_sys::Oid>,
    /// TimestampTz (µs since 2000) until which a pass stands: min(expiry, stale-at).
    pub valid_until: i64,
    /// Transaction timestamp of the full check that filled the entry.
    pub checked_at: i64,
}

thread_local! {
    /// (store, local transaction id, certification id) of strict guards that passed: the proof
    /// ml._train asks for, which no SQL can forge.
    static STRICT_PASSES: RefCell<Vec<(pg_sys::Oid, u32, i64)>> = const { RefCell::new(Vec::new()) };
    static CACHE: RefCell<HashMap<pg_sys::Oid, Entry>> = RefCell::new(HashMap::new());
    static REGISTERED: RefCell<bool> = const { RefCell::new(false) };
}

unsafe extern "C-unwind" fn on_relcache(_arg: pg_sys::Datum, relid: pg_sys::Oid) {
    CACHE.with(|c| {
        if let Ok(mut c) = c.try_borrow_mut() {
            if relid == pg_sys::InvalidOid {
                c.clear();
            } else {
                c.retain(|store, e| *store != relid && !e.relids.contains(&relid));
            }
        }
    });
}

unsafe extern "C-unwind" fn on_syscache(_arg: pg_sys::Datum, _cacheid: std::ffi::c_int, _hash: u32) {
    clear();
}

/// Registers the invalidation callbacks once per backend (PostgreSQL keeps them for the
/// backend's life).
pub fn ensure_callbacks() {
    REGISTERED.with(|r| {
        let mut r = r.borrow_mut();
        if *r {
            return;
        }
        // SAFETY: plain registration calls; the callbacks only touch this thread-local cache
        unsafe {
            pg_sys::CacheRegisterRelcacheCallback(Some(on_relcache), pg_sys::Datum::from(0));
            for id in [
                pg_sys::SysCacheIdentifier::PROCOID,
                pg_sys::SysCacheIdentifier::TYPEOID,
                pg_sys::SysCacheIdentifier::OPEROID,
                pg_sys::SysCacheIdentifier::CASTSOURCETARGET,
                pg_sys::SysCacheIdentifier::NAMESPACEOID,
            ] {
                pg_sys::CacheRegisterSyscacheCallback(id as std::ffi::c_int, Some(on_syscache), pg_sys::Datum::from(0));
            }
        }
        *r = true;
    });
}

pub fn get(store: pg_sys::Oid) -> Option<Entry> {
    CACHE.with(|c| c.borrow().get(&store).cloned())
}

pub fn put(store: pg_sys::Oid, e: Entry) {
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= MAX_ENTRIES && !c.contains_key(&store) {
            c.clear();
        }
        c.insert(store, e);
    });
}

pub fn forget(store: pg_sys::Oid) {
    CACHE.with(|c| {
        c.borrow_mut().remove(&store);
    });
}

pub fn clear() {
    CACHE.with(|c| {
        if let Ok(mut c) = c.try_borrow_mut() {
            c.clear();
        }
    });
}

/// The current local transaction id (ties a strict pass to its transaction).
pub fn local_xid() -> u32 {
    // SAFETY: MyProc is set for every backend that can run SQL
    unsafe { if pg_sys::MyProc.is_null() { 0 } else { (*pg_sys::MyProc).lxid } }
}

/// Remembers that the strict guard passed for `store` in the current transaction.
pub fn note_strict_pass(store: pg_sys::Oid, cert_id: i64) {
    let lxid = local_xid();
    STRICT_PASSES.with(|v| {
        let mut v = v.borrow_mut();
        v.retain(|(s, x, _)| *s != store && *x == lxid);
        v.push((store, lxid, cert_id));
    });
}

/// The certification under which the strict guard passed for `store` in this transaction.
pub fn strict_pass(store: pg_sys::Oid) -> Option<i64> {
    let lxid = local_xid();
    STRICT_PASSES.with(|v| v.borrow().iter().find(|(s, x, _)| *s == store && *x == lxid).map(|(_, _, c)| *c))
}

//! Dataset and view-definition hashing (DESIGN §3): `audit.hash_agg`, `audit.dataset_hash`,
//! `audit.viewdef_hash` and `audit.viewdef_closure`.

pub mod agg;
pub mod encode;
pub mod lthash;
pub mod relation;
pub mod viewdef;

use crate::common::error::OrRaise;
use crate::common::regclass::RegClass;
use pgrx::prelude::*;

// The aggregate and its support functions (fmgr V1 functions in agg.rs).
pgrx::extension_sql_file!("../../sql/010_hashing.sql", name = "hashing_aggregate");

const ROW_KINDS: &[&str] = &["r", "p", "v", "m", "f"];

#[pg_schema]
mod audit {
    use super::*;

    /// Order-independent, forgery-resistant hash of every row of a table, view or materialized
    /// view, bound to its column names and types (64 hex characters). Equals
    /// `SELECT audit.hash_agg(t) FROM rel t`, and is defined for an empty relation too.
    #[pg_extern(stable, parallel_unsafe)]
    fn dataset_hash(rel: Option<RegClass>) -> String {
        let r = super::relation::lookup(rel, "audit.dataset_hash", ROW_KINDS);
        // the relation is named by its regclass text (quoted), never by user text; `r.*` is the
        // whole row even when the relation has a column named r
        let digest = Spi::get_one::<String>(&format!("SELECT audit.hash_agg(r.*) FROM {} r", r.name)).or_raise("hashing the relation");
        digest.unwrap_or_else(|| super::agg::empty_digest(r.reltype))
    }
}

#[pg_schema]
mod audit_viewdef {
    use super::*;

    /// Hash of the definition closure of `rel` (64 hex characters): changes when the view, a
    /// view or function it uses, or a referenced column's type changes; not on an unrelated
    /// column, a COMMENT, VACUUM or ANALYZE.
    #[pg_extern(
        sql = "CREATE FUNCTION audit.viewdef_hash(rel regclass) RETURNS text STABLE PARALLEL SAFE
               SET search_path = pg_catalog, pg_temp SET quote_all_identifiers = off
               LANGUAGE c AS 'MODULE_PATHNAME', 'viewdef_hash_wrapper';"
    )]
    fn viewdef_hash(rel: Option<RegClass>) -> String {
        let r = crate::hashing::relation::lookup(rel, "audit.viewdef_hash", ROW_KINDS);
        crate::hashing::viewdef::closure_hash(&crate::hashing::viewdef::closure(r.oid))
    }

    /// The definition closure of `rel`, one row per object with the hash of its definition, so
    /// a changed closure can name the object that changed.
    #[pg_extern(
        sql = "CREATE FUNCTION audit.viewdef_closure(rel regclass)
               RETURNS TABLE(object_type text, object_identity text, object_hash text) STABLE PARALLEL SAFE
               SET search_path = pg_catalog, pg_temp SET quote_all_identifiers = off
               LANGUAGE c AS 'MODULE_PATHNAME', 'viewdef_closure_wrapper';"
    )]
    fn viewdef_closure(
        rel: Option<RegClass>,
    ) -> TableIterator<'static, (name!(object_type, String), name!(object_identity, String), name!(object_hash, String))> {
        let r = crate::hashing::relation::lookup(rel, "audit.viewdef_closure", ROW_KINDS);
        TableIterator::new(crate::hashing::viewdef::closure(r.oid).into_iter().map(|e| (e.object_type, e.identity, e.hash)))
    }
}

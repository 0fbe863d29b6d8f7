//! Looking up the relation a hashing function was given, with clear errors.

use crate::common::error::{OrRaise, SpineError};
use crate::common::regclass::RegClass;
use pgrx::prelude::*;
use pgrx::PgSqlErrorCode;

pub struct Relation {
    pub oid: pg_sys::Oid,
    /// `regclass` text: quoted, and qualified unless visible on the search_path.
    pub name: String,
    pub relkind: String,
    pub reltype: pg_sys::Oid,
}

/// The relation behind a `regclass` argument; NULL, a dropped relation or an object that holds
/// no rows (index, sequence, composite type) raise.
pub fn lookup(rel: Option<RegClass>, func: &str, kinds: &[&str]) -> Relation {
    let Some(RegClass(oid)) = rel else {
        SpineError::new(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, format!("{func}: relation must not be NULL"))
            .hint(format!("Pass a table or view, e.g. {func}('ml.survival_feature_store_t0_v1_v')."))
            .raise()
    };
    let row = Spi::get_three_with_args::<String, String, pg_sys::Oid>(
        "SELECT c.oid::regclass::text, c.relkind::text, c.reltype FROM pg_catalog.pg_class c WHERE c.oid = $1
         UNION ALL SELECT NULL, NULL, NULL WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class WHERE oid = $1)",
        &[oid.into()],
    )
    .or_raise("looking up the relation");
    match row {
        (Some(name), Some(relkind), Some(reltype)) => {
            if !kinds.contains(&relkind.as_str()) {
                SpineError::new(PgSqlErrorCode::ERRCODE_WRONG_OBJECT_TYPE, format!("{func}: {name} is not a table, view or materialized view"))
                    .detail(format!("relkind is '{relkind}'"))
                    .hint("Pass a relation that holds rows: a table, partitioned table, view, materialized view or foreign table.")
                    .raise()
            }
            Relation { oid, name, relkind, reltype }
        }
        _ => SpineError::new(PgSqlErrorCode::ERRCODE_UNDEFINED_TABLE, format!("{func}: relation with OID {} does not exist", oid.to_u32()))
            .hint("It was dropped, or the OID is wrong; pass the relation by name, e.g. 'schema.table'.")
            .raise(),
    }
}

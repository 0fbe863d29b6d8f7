//! spine: the operational spine of a vehicle-marketplace ML platform, inside PostgreSQL.
//! This file only lists the concerns and registers settings; see docs/ for the design.

use pgrx::prelude::*;

::pgrx::pg_module_magic!(name, version);

pub mod common;
pub mod demo;
pub mod governance;
pub mod hashing;
pub mod healing;
pub mod ingest;
pub mod models;
pub mod pipelines;
pub mod stores;
pub mod workers;

// Tables, indexes and comments of the data model (DESIGN §2), before any function.
pgrx::extension_sql_file!("../sql/001_schema.sql", name = "schema", bootstrap);
// Grants and revokes over the generated functions, after everything else.
pgrx::extension_sql_file!("../sql/999_finalize.sql", name = "finalize", finalize);

#[pg_guard]
pub extern "C-unwind" fn _PG_init() {
    common::guc::init();
    workers::init();
}

/// Required by `cargo pgrx test`.
#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    #[must_use]
    pub fn postgresql_conf_options() -> Vec<&'static str> {
        // pg_cron for the pipelines' scheduling tests (created by those tests, in their transaction)
        vec!["shared_preload_libraries = 'pg_cron'", "cron.database_name = 'pgrx_tests'"]
    }
}

//! The six pipelines of the seed (DESIGN §7): definitions, schedules, the runner and pg_cron.
pub mod cron;
pub mod defs;
pub mod retry;
pub mod rules;
pub mod settings;

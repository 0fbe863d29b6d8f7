//! Pieces every concern shares: error reporting and settings (GUCs).
pub mod args;
pub mod error;
pub mod guc;
pub mod regclass;
pub mod fmgr;
pub mod sqlstate;
pub mod subxact;

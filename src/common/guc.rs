//! spine's settings (GUCs). Registered in `_PG_init`; the README's GUC table lists them.

use pgrx::guc::{GucContext, GucFlags, GucRegistry, GucSetting};
use std::ffi::CString;

/// End of the demo generator's horizon (a timestamptz literal); empty = today, 00:00 UTC.
pub static DEMO_ANCHOR: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);

/// How long a cached pass of `audit.require_certified` stands before the full check reruns
/// (seconds; 0 = every call runs the full check).
pub static GUARD_RECHECK_INTERVAL: GucSetting<i32> = GucSetting::<i32>::new(60);

/// Superuser-only: lets a restore write the append-only audit tables (pg_dump's data).
pub static ALLOW_AUDIT_RESTORE: GucSetting<bool> = GucSetting::<bool>::new(false);

/// Superuser-only: the ONNX Runtime shared library loaded (once per backend) on first ONNX use.
pub static ONNXRUNTIME_PATH: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(Some(c"/usr/local/lib/spine/onnxruntime/libonnxruntime.so.1.31.1"));

/// Superuser-only: intra-op threads of a backend's ONNX Runtime (fixed when it is loaded).
pub static ONNX_THREADS: GucSetting<i32> = GucSetting::<i32>::new(1);

pub fn init() {
    GucRegistry::define_string_guc(
        c"spine.onnxruntime_path",
        c"The ONNX Runtime shared library (libonnxruntime.so, 1.31 or newer) spine loads on first ONNX use.",
        c"make setup installs ONNX Runtime 1.31.1 from the PyPI wheel onnxruntime==1.31.1 at the default path. Each backend loads the library once; a change takes effect in new sessions.",
        &ONNXRUNTIME_PATH,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"spine.onnx_threads",
        c"Intra-op threads of each backend's ONNX Runtime (1 = the backend's own thread only).",
        c"Fixed when a backend first loads ONNX Runtime; a change takes effect in new sessions.",
        &ONNX_THREADS,
        1,
        64,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"spine.guard_recheck_interval",
        c"Seconds a cached pass of audit.require_certified stands before the full check reruns (0 = always).",
        c"Invalidation messages drop a cached pass at once when the store's definition, a function, type or the registry changes; this bounds how long the freshness watermark is trusted.",
        &GUARD_RECHECK_INTERVAL,
        0,
        86_400,
        GucContext::Suset,
        GucFlags::UNIT_S,
    );
    GucRegistry::define_bool_guc(
        c"spine.allow_audit_restore",
        c"Lets this session insert into spine's append-only audit tables (for restoring a pg_dump).",
        c"Only a superuser can set it. Updates and deletes stay refused.",
        &ALLOW_AUDIT_RESTORE,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_string_guc(
        c"spine.demo_anchor",
        c"End of the synthetic marketplace's horizon (timestamptz); empty means today at 00:00 UTC.",
        c"spine.generate_demo_data observes listings in [anchor - days, anchor). Fix it to make generated data independent of the day it is generated on.",
        &DEMO_ANCHOR,
        GucContext::Userset,
        GucFlags::default(),
    );
}

/// The setting as text, `None` when unset or empty.
pub fn string(setting: &GucSetting<Option<CString>>) -> Option<String> {
    setting.get().and_then(|c| c.into_string().ok()).filter(|s| !s.trim().is_empty())
}

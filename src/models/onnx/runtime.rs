//! ONNX Runtime inside a backend: the shared library named by `spine.onnxruntime_path` is loaded
//! on first use (never in the postmaster), once per backend, with `ort::init_from`; one
//! environment per backend with a global intra-op pool of `spine.onnx_threads` threads, created
//! with every signal blocked so PostgreSQL's signals keep reaching the backend's own thread.
//! A missing or wrong library is an SQL error naming the path and the fix, never a panic.

use crate::common::error::SpineError;
use crate::common::guc;
use ort::environment::{Environment, GlobalThreadPoolOptions};
use ort::session::builder::GraphOptimizationLevel;
use ort::session::Session;
use pgrx::PgSqlErrorCode;
use std::cell::RefCell;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::path::Path;

/// The ONNX Runtime release spine is built and tested against (`make setup` installs it).
pub const ORT_VERSION: &str = "1.31.1";
/// Where `make setup` puts it (the default of `spine.onnxruntime_path`).
pub const DEFAULT_PATH: &str = "/usr/local/lib/spine/onnxruntime/libonnxruntime.so.1.31.1";

const FIX: &str = "Run 'make setup' (it installs ONNX Runtime 1.31.1 from the PyPI wheel onnxruntime==1.31.1 into /usr/local/lib/spine/onnxruntime/), or have a superuser point spine.onnxruntime_path at libonnxruntime.so of ONNX Runtime 1.31 or newer (ALTER SYSTEM SET spine.onnxruntime_path = '...'; it takes effect in new sessions).";

thread_local! {
    static ENV: RefCell<Option<(Environment, String, i32)>> = const { RefCell::new(None) };
}

/// The SQL error for a library that could not be loaded (pure: unit-tested).
pub fn load_error(func: &str, path: &str, e: &ort::LoadDynamicError) -> SpineError {
    use ort::LoadDynamicError as L;
    let (code, what) = match e {
        L::Dlopen { error, .. } => (PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE, format!("is not a loadable shared library ({error})")),
        L::MissingApi { .. } => (PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE, "is a shared library but not ONNX Runtime (no OrtGetApiBase)".to_string()),
        L::InvalidVersionString => (PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE, "returned a malformed version string".to_string()),
        L::BadVersion { version_str, .. } => (
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            format!("is ONNX Runtime {version_str}; spine needs 1.{} or newer (built against {ORT_VERSION})", ort::MINOR_VERSION),
        ),
    };
    SpineError::new(code, format!("{func}: the ONNX Runtime library at {path} (spine.onnxruntime_path) {what}")).hint(FIX)
}

/// The SQL error for a path that names no file.
pub fn missing_error(func: &str, path: &str) -> SpineError {
    if path.trim().is_empty() {
        return SpineError::invalid(format!("{func}: spine.onnxruntime_path is empty")).hint(FIX);
    }
    SpineError::new(PgSqlErrorCode::ERRCODE_UNDEFINED_FILE, format!("{func}: ONNX Runtime library not found at {path} (spine.onnxruntime_path)")).hint(FIX)
}

/// Runs `f` with every signal blocked in this thread (threads ONNX Runtime starts meanwhile
/// inherit the mask), restoring the mask after, even on a panic.
pub fn with_signals_blocked<T>(f: impl FnOnce() -> T) -> T {
    // SAFETY: plain sigset manipulation on this thread's mask
    let old = unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_BLOCK, &all, &mut old);
        old
    };
    let r = catch_unwind(AssertUnwindSafe(f));
    // SAFETY: restores the mask saved above
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut()) };
    match r {
        Ok(v) => v,
        Err(p) => resume_unwind(p),
    }
}

/// Runs an ONNX Runtime call, turning a panic inside `ort` into an error string.
pub fn guarded<T>(what: &str, f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => {
            let msg = p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default();
            Err(format!("{what}: ONNX Runtime failed unexpectedly ({msg})"))
        }
    }
}

/// This backend's ONNX Runtime environment, loading the library on first use.
pub fn environment(func: &str) -> Environment {
    if let Some(env) = ENV.with(|e| e.borrow().as_ref().map(|(env, _, _)| env.clone())) {
        return env;
    }
    let path = guc::string(&guc::ONNXRUNTIME_PATH).unwrap_or_default();
    if path.trim().is_empty() || !Path::new(&path).exists() {
        missing_error(func, &path).raise()
    }
    let builder = match ort::init_from(&path) {
        Ok(b) => b,
        Err(e) => load_error(func, &path, &e).raise(),
    };
    let threads = guc::ONNX_THREADS.get().max(1) as usize;
    let built = guarded("creating the ONNX Runtime environment", move || {
        with_signals_blocked(move || {
            let pool = GlobalThreadPoolOptions::default()
                .with_intra_threads(threads)
                .and_then(|p| p.with_inter_threads(1))
                .and_then(|p| p.with_spin_control(false))
                .map_err(|e| e.to_string())?;
            builder
                .with_name("spine")
                .with_telemetry(false)
                .with_global_thread_pool(pool)
                .build()
                .map_err(|e| e.to_string())
        })
    });
    match built {
        Ok(env) => {
            ENV.with(|e| *e.borrow_mut() = Some((env.clone(), path, threads as i32)));
            env
        }
        Err(e) => SpineError::internal(format!("{func}: {e}")).detail(format!("library: {path}")).hint(FIX).raise(),
    }
}

/// The version string of the ONNX Runtime library at `path`, which this process has loaded
/// (dlopen with RTLD_NOLOAD: nothing new is loaded).
fn loaded_version(path: &str) -> Option<String> {
    let c = std::ffi::CString::new(path).ok()?;
    // SAFETY: the handle refers to the library ort loaded; OrtGetApiBase has the C signature
    // ONNX Runtime documents and returns a static struct; the handle is released after use
    unsafe {
        let h = libc::dlopen(c.as_ptr(), libc::RTLD_NOW | libc::RTLD_NOLOAD);
        if h.is_null() {
            return None;
        }
        let sym = libc::dlsym(h, c"OrtGetApiBase".as_ptr());
        let v = if sym.is_null() {
            None
        } else {
            let get: unsafe extern "C" fn() -> *const ort::sys::OrtApiBase = std::mem::transmute(sym);
            let base = get();
            if base.is_null() {
                None
            } else {
                let s = ((*base).GetVersionString)();
                (!s.is_null()).then(|| std::ffi::CStr::from_ptr(s).to_string_lossy().into_owned())
            }
        };
        libc::dlclose(h);
        v
    }
}

/// (library path, ONNX Runtime version, build information, intra-op threads) of this backend's
/// runtime.
pub fn info(func: &str) -> (String, Option<String>, String, i32) {
    environment(func);
    let (path, threads) = ENV.with(|e| e.borrow().as_ref().map(|(_, p, t)| (p.clone(), *t))).unwrap_or_default();
    let build = guarded("reading the build information", || Ok(ort::info().to_string())).unwrap_or_else(|e| e);
    (path.clone(), loaded_version(&path), build, threads)
}

/// A session over a serialized model, on this backend's environment, with every graph
/// optimisation on (ORT_ENABLE_ALL, Python onnxruntime's default). Errors are ONNX
/// Runtime's message (invalid graph, unknown operator, …).
pub fn session(func: &str, bytes: &[u8]) -> Result<Session, String> {
    let env = environment(func);
    guarded("creating the session", || {
        with_signals_blocked(|| {
            let mut b = Session::builder(&env)
                .map_err(|e| e.to_string())?
                .with_optimization_level(GraphOptimizationLevel::All)
                .map_err(|e| e.to_string())?;
            b.commit_from_memory(bytes).map_err(|e| e.to_string())
        })
    })
}

#[cfg(test)]
#[path = "runtime_test.rs"]
mod tests;

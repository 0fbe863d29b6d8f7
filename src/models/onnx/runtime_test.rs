use super::*;
use std::path::PathBuf;

#[test]
fn load_errors_name_the_path_and_the_fix() {
    let e = missing_error("ml.predict", "/nope/libonnxruntime.so");
    assert_eq!(e.code, PgSqlErrorCode::ERRCODE_UNDEFINED_FILE);
    assert_eq!(e.message, "ml.predict: ONNX Runtime library not found at /nope/libonnxruntime.so (spine.onnxruntime_path)");
    assert!(e.hint.as_deref().unwrap().contains("make setup"));
    assert!(missing_error("f", " ").message.contains("is empty"));
    let bad = ort::LoadDynamicError::BadVersion { version_str: "1.17.3".into(), path: PathBuf::from("/x/lib.so") };
    let e = load_error("ml.import_onnx", "/x/lib.so", &bad);
    assert_eq!(e.code, PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE);
    assert_eq!(e.message, format!("ml.import_onnx: the ONNX Runtime library at /x/lib.so (spine.onnxruntime_path) is ONNX Runtime 1.17.3; spine needs 1.{} or newer (built against 1.31.1)", ort::MINOR_VERSION));
    let e = load_error("f", "/x", &ort::LoadDynamicError::MissingApi { path: PathBuf::from("/x") });
    assert!(e.message.contains("not ONNX Runtime"));
}

#[test]
fn signals_are_blocked_only_inside() {
    fn blocked() -> bool {
        unsafe {
            let mut cur: libc::sigset_t = std::mem::zeroed();
            libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), &mut cur);
            libc::sigismember(&cur, libc::SIGINT) == 1
        }
    }
    assert!(!blocked());
    assert!(with_signals_blocked(blocked));
    assert!(!blocked());
    let r = std::panic::catch_unwind(|| with_signals_blocked(|| panic!("boom")));
    assert!(r.is_err());
    assert!(!blocked(), "the mask is restored after a panic");
    assert_eq!(guarded("x", || -> Result<(), String> { panic!("inner") }).unwrap_err(), "x: ONNX Runtime failed unexpectedly (inner)");
}

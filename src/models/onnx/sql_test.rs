//! In-database tests (#[pg_test]) of the ONNX session cache.

use pgrx::prelude::*;

#[pg_schema]
mod tests {
    use crate::models::predict::{cached, MAX_ONNX_SESSIONS};
    use pgrx::prelude::*;

    const LOGREG: &[u8] = include_bytes!("../../../tests/fixtures/onnx/logreg.onnx");

    fn predict(name: &str) -> f64 {
        Spi::get_one_with_args::<f64>("SELECT ml.predict($1, ARRAY[0.1, 0.2, 0.3, 0.4])", &[name.into()]).unwrap().unwrap()
    }

    fn onnx_cached() -> Vec<String> {
        cached().into_iter().filter(|(_, onnx)| *onnx).map(|(n, _)| n).collect()
    }

    #[pg_test]
    fn pg_onnx_sessions_are_bounded_least_recently_used_first() {
        let n = MAX_ONNX_SESSIONS + 2;
        for k in 0..n {
            Spi::run_with_args("SELECT ml.import_onnx($1, $2, ARRAY['a', 'b', 'c', 'd'])", &[format!("cache_{k}").into(), LOGREG.to_vec().into()]).unwrap();
        }
        Spi::run("SELECT 1").unwrap(); // the imports' invalidations are processed here
        let first = predict("cache_0");
        for k in 1..n {
            assert_eq!(predict(&format!("cache_{k}")), first, "same graph, same score");
        }
        // only the MAX most recently used sessions are kept
        let want: Vec<String> = (n - MAX_ONNX_SESSIONS..n).map(|k| format!("cache_{k}")).collect();
        assert_eq!(onnx_cached(), want);
        // using one again makes it the most recent; the next load evicts the least recent
        predict(&format!("cache_{}", n - MAX_ONNX_SESSIONS));
        predict("cache_0");
        let kept = onnx_cached();
        assert_eq!(kept.len(), MAX_ONNX_SESSIONS);
        assert!(kept.contains(&"cache_0".to_string()) && kept.contains(&format!("cache_{}", n - MAX_ONNX_SESSIONS)));
        assert!(!kept.contains(&format!("cache_{}", n - MAX_ONNX_SESSIONS + 1)), "{kept:?}");
        // a deploy empties the cache (on every backend, at commit; here at once)
        Spi::run("SELECT ml.deploy('cache_0')").unwrap();
        assert!(onnx_cached().is_empty());
    }
}

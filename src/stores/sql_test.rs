//! In-database tests (#[pg_test]) of ml.multiset_median. The stores themselves are tested by
//! tests/pg_regress/sql/11_stores*.sql (hand-built marketplace, brute-force reference, leakage).

use pgrx::prelude::*;

#[pg_schema]
mod tests {
    use pgrx::prelude::*;

    #[pg_test]
    fn as_a_plain_aggregate_it_is_percentile_cont_of_what_remains() {
        // {10, 20, 20, 35} after adding 5 and removing it again, and 7 added twice and removed twice
        let got = Spi::get_one::<f64>(
            "SELECT ml.multiset_median(v, c) FROM (VALUES (10.0, 1), (5.0, 1), (20.0, 2), (7.0, 2), (35.0, 1), (5.0, -1), (7.0, -2),
                    (NULL, 1), (99.0, NULL)) AS x(v, c)",
        );
        let want = Spi::get_one::<f64>("SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v) FROM unnest(ARRAY[10.0, 20, 20, 35]) v");
        assert_eq!(got, want);
        assert_eq!(got, Ok(Some(20.0)));
        // nothing left, or no rows: NULL
        assert_eq!(Spi::get_one::<f64>("SELECT ml.multiset_median(v, c) FROM (VALUES (1.0, 1), (1.0, -1)) x(v, c)"), Ok(None));
        assert_eq!(Spi::get_one::<f64>("SELECT ml.multiset_median(v, 1) FROM unnest('{}'::float8[]) v"), Ok(None));
    }

    #[pg_test]
    fn as_a_sliding_window_it_equals_percentile_cont_over_the_window() {
        // each value enters at its position i and leaves at i + 17: the cumulative sweep must give
        // the median of the last 17 values at every position (recomputed from scratch here)
        let mismatches = Spi::get_one::<i64>(
            "WITH v AS (SELECT i, round((sin(i * 1.7) * 1000)::numeric, 1)::float8 AS x FROM generate_series(1, 400) i),
             rows AS (SELECT i AS at, 1 AS kind, x, 1 AS c FROM v UNION ALL SELECT i + 17, 0, x, -1 FROM v WHERE i + 17 <= 400),
             swept AS (SELECT at, kind, ml.multiset_median(x, c) OVER (ORDER BY at, kind ROWS UNBOUNDED PRECEDING) AS m FROM rows)
             SELECT count(*) FROM swept s
             WHERE s.kind = 1 AND s.m IS DISTINCT FROM
                   (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v.x) FROM v WHERE v.i > s.at - 17 AND v.i <= s.at)",
        );
        assert_eq!(mismatches, Ok(Some(0)));
        // per partition, and with many equal values
        let mismatches = Spi::get_one::<i64>(
            "WITH v AS (SELECT i, i % 3 AS g, (i % 5)::float8 AS x FROM generate_series(1, 300) i),
             swept AS (SELECT i, g, ml.multiset_median(x, 1) OVER (PARTITION BY g ORDER BY i ROWS UNBOUNDED PRECEDING) AS m FROM v)
             SELECT count(*) FROM swept s
             WHERE s.m IS DISTINCT FROM (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v.x) FROM v WHERE v.g = s.g AND v.i <= s.i)",
        );
        assert_eq!(mismatches, Ok(Some(0)));
    }

    #[pg_test(error = "ml.multiset_median: cannot remove 1 copy of 3: the multiset holds 0")]
    fn removing_a_value_that_is_not_there_is_an_error() {
        let _ = Spi::get_one::<f64>("SELECT ml.multiset_median(v, c) FROM (VALUES (1.0, 1), (3.0, -1)) x(v, c)");
    }

    #[pg_test(error = "ml.multiset_median: value NaN is not finite")]
    fn nan_is_an_error() {
        let _ = Spi::get_one::<f64>("SELECT ml.multiset_median('NaN'::float8, 1)");
    }

    #[pg_test(error = "ml.multiset_median: value inf is not finite")]
    fn infinity_is_an_error() {
        let _ = Spi::get_one::<f64>("SELECT ml.multiset_median('Infinity'::float8, 1)");
    }
}

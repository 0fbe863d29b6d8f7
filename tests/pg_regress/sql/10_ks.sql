-- audit.ks_2samp against scipy.stats.ks_2samp 1.17.1 (tests/reference/ks_reference.py prints the expected values)
-- 5 vs 6 values: D = 1/2, exact p = 165 of the C(11, 5) = 462 orderings = 5/14
SELECT * FROM audit.ks_2samp(ARRAY[1, 2, 3, 4, 5]::float8[], ARRAY[3, 4, 5, 6, 7, 8]::float8[]);
-- 200 vs 150 values, exact p-value: bit-equal to scipy
SELECT statistic, pvalue, statistic = 0.13 AS statistic_equals_scipy, pvalue = 0.10223791010642781 AS pvalue_equals_scipy
  FROM audit.ks_2samp((SELECT array_agg(((i * i) % 97)::float8 / 97 ORDER BY i) FROM generate_series(0, 199) i),
                      (SELECT array_agg(((j * j * j) % 101)::float8 / 101 + 0.05 ORDER BY j) FROM generate_series(0, 149) j));
-- 12 000 vs 8 000 values (more than 10 000: asymptotic p-value)
SELECT statistic = 0.01070833333333332 AS statistic_equals_scipy,
       abs(pvalue - 0.6367940875449657) <= 1e-12 * 0.6367940875449657 AS pvalue_matches_scipy, round(pvalue::numeric, 12) AS pvalue
  FROM audit.ks_2samp((SELECT array_agg(((i * 7919) % 10007)::float8 / 10007 ORDER BY i) FROM generate_series(0, 11999) i),
                      (SELECT array_agg(((j * 104729) % 10009)::float8 / 10009 + 0.01 ORDER BY j) FROM generate_series(0, 7999) j));
-- identical samples; disjoint samples (2 of C(10, 5) = 252 orderings); ties; argument order
SELECT * FROM audit.ks_2samp(ARRAY[3, 1, 2, 2]::float8[], ARRAY[2, 2, 1, 3]::float8[]);
SELECT statistic, abs(pvalue - 2.0 / 252) < 1e-17 AS pvalue_is_2_of_252
  FROM audit.ks_2samp(ARRAY[1, 2, 3, 4, 5]::float8[], ARRAY[10, 11, 12, 13, 14]::float8[]);
SELECT (SELECT row(statistic, pvalue) FROM audit.ks_2samp(ARRAY[1, 1, 2, 2]::float8[], ARRAY[1, 2, 2, 3, 4]::float8[]))
     = (SELECT row(statistic, pvalue) FROM audit.ks_2samp(ARRAY[1, 2, 2, 3, 4]::float8[], ARRAY[1, 1, 2, 2]::float8[])) AS symmetric;
-- bad input
SELECT * FROM audit.ks_2samp(NULL, ARRAY[1]::float8[]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM audit.ks_2samp(ARRAY[1]::float8[], ARRAY[1, NULL]::float8[]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM audit.ks_2samp(ARRAY[]::float8[], ARRAY[1]::float8[]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM audit.ks_2samp(ARRAY[1, 'NaN']::float8[], ARRAY[1]::float8[]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM audit.ks_2samp(ARRAY[1]::float8[], ARRAY['-Infinity']::float8[]);
\echo :LAST_ERROR_SQLSTATE

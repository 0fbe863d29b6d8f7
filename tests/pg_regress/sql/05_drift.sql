-- audit.psi against numpy (tests/reference/drift.py prints the expected values)
SELECT round(audit.psi(
         (SELECT array_agg(((i * i) % 37)::float8) FROM generate_series(0, 99) i),
         (SELECT array_agg(((i * i * i) % 41)::float8) FROM generate_series(0, 79) i))::numeric, 12) AS psi_10,
       0.2780312186792304 AS numpy_10;
SELECT abs(audit.psi(
         (SELECT array_agg(((i * i) % 37)::float8) FROM generate_series(0, 99) i),
         (SELECT array_agg(((i * i * i) % 41)::float8) FROM generate_series(0, 79) i), 5) - 0.1761300872969754) < 1e-12 AS psi_5_matches_numpy;
SELECT abs(audit.psi(
         (SELECT array_agg((i % 3)::float8) FROM generate_series(0, 89) i),
         (SELECT array_agg(((i % 5) * 0.5)::float8) FROM generate_series(0, 59) i)) - 0.09241962407465937) < 1e-12 AS psi_with_ties_matches_numpy;
-- the edges are percentile_cont of the expected sample
SELECT audit.psi(ARRAY[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]::float8[], ARRAY[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]::float8[]) AS identical;
-- bad input
SELECT audit.psi(NULL, ARRAY[1]::float8[]);
\echo :LAST_ERROR_SQLSTATE
SELECT audit.psi(ARRAY[1, NULL]::float8[], ARRAY[1]::float8[]);
\echo :LAST_ERROR_SQLSTATE
SELECT audit.psi(ARRAY[]::float8[], ARRAY[1]::float8[]);
\echo :LAST_ERROR_SQLSTATE
SELECT audit.psi(ARRAY[1]::float8[], ARRAY['NaN']::float8[]);
\echo :LAST_ERROR_SQLSTATE
SELECT audit.psi(ARRAY[1]::float8[], ARRAY[1]::float8[], 1);
\echo :LAST_ERROR_SQLSTATE

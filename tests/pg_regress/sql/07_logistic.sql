-- ml.logistic_fit against scikit-learn 1.9.1 (LogisticRegression, newton-cholesky, tol 1e-14)
-- on a 12-row case; the breast-cancer fits in src/models/logistic_test.rs check 1e-6 relative.
CREATE TEMP TABLE lx AS
SELECT ARRAY[[1, 2.5], [2, 1.0], [3, 3.5], [4, 2.0], [5, 4.5], [6, 3.0], [7, 5.5], [8, 4.0], [2.5, 3.0], [6.5, 1.5], [3.5, 0.5], [5.5, 5.0]]::float8[][] AS x,
       ARRAY[false, false, false, true, false, true, true, true, true, false, false, true] AS y;
SELECT c, abs(f.intercept - want_b) < 1e-8 AS intercept_matches,
       abs(f.coef[1] - want_1) < 1e-8 AND abs(f.coef[2] - want_2) < 1e-8 AS coef_matches,
       round(f.intercept::numeric, 6) AS intercept, round(f.coef[1]::numeric, 6) AS coef_1, round(f.coef[2]::numeric, 6) AS coef_2
FROM (VALUES (1.0::float8, -3.012035699058962, 0.35610390963674066, 0.4761340660582889),
             (0.1, -1.6676584503482494, 0.22881201787195485, 0.21366983955519978),
             ('Infinity', -3.439874696955184, 0.3767600540186721, 0.5911546627060401)) AS s(c, want_b, want_1, want_2),
     lx, LATERAL ml.logistic_fit(lx.x, lx.y, s.c) AS f
ORDER BY c;
-- the defaults are c = 1, standardize = false (same fit as the first row above)
SELECT round(intercept::numeric, 6) AS intercept, array_length(coef, 1) AS n_coef FROM lx, LATERAL ml.logistic_fit(x, y) f;
-- bad input
SELECT * FROM ml.logistic_fit(ARRAY[[1, 2], [3, 4]]::float8[][], ARRAY[true, true]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM ml.logistic_fit(ARRAY[1, 2, 3]::float8[], ARRAY[true, false]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM ml.logistic_fit(ARRAY[[1], [2], [3], [4]]::float8[][], ARRAY[false, false, true, true], 'Infinity');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM ml.logistic_fit(ARRAY[[1], [2]]::float8[][], ARRAY[true, false], -1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM ml.logistic_fit(ARRAY[[1], [NULL]]::float8[][], ARRAY[true, false]);
\echo :LAST_ERROR_SQLSTATE

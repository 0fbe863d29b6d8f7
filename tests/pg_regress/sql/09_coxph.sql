-- ml.coxph (Efron ties). Rossi and Waltons are checked against lifelines 0.30.3 in
-- src/models/cox_test.rs; this 15-row case was fitted with lifelines' CoxPHFitter too, with
-- fit_options precision=1e-12 (lifelines' default 1e-7 stops ~3e-5 short of the optimum here):
-- coef [3.7472621981357337, 3.1578007284373357], se [1.2192447637163506, 1.279014075585167],
-- log-likelihood -13.059176038480638, concordance 0.8831168831168831, p [0.0021161405, 0.0135516391]
WITH d AS (
  SELECT ARRAY[5, 3, 9, 8, 7, 4, 4, 3, 2, 5, 6, 7, 10, 12, 11]::float8[] AS t,
         ARRAY[true, true, true, true, true, true, false, false, true, true, true, false, true, false, true] AS e,
         ARRAY[[0.5, 1], [1.2, 0], [-0.3, 1], [0.0, 1], [0.8, 0], [1.5, 0], [-1.0, 1], [0.3, 0], [2.0, 0], [0.1, 1],
               [-0.5, 1], [0.7, 0], [-1.2, 1], [-0.8, 1], [0.2, 0]]::float8[][] AS x)
SELECT (f).names,
       abs((f).coef[1] - 3.7472621981357337) < 1e-6 AND abs((f).coef[2] - 3.1578007284373357) < 1e-6 AS coef_matches,
       abs((f).se[1] - 1.2192447637163506) < 1e-6 AND abs((f).se[2] - 1.279014075585167) < 1e-6 AS se_matches,
       abs((f).log_likelihood - -13.059176038480638) < 1e-9 AS loglik_matches,
       abs((f).concordance - 0.8831168831168831) < 1e-12 AS concordance_matches,
       round((f).p[1]::numeric, 9) AS p1, round((f).p[2]::numeric, 9) AS p2, (f).n, (f).events,
       (f).log_likelihood_null < (f).log_likelihood AS fit_beats_null
FROM (SELECT ml.coxph(t, e, x, ARRAY['x1', 'x2']) AS f FROM d) s;
-- bad input
SELECT ml.coxph(ARRAY[1, 2, 3]::float8[], ARRAY[true, false, true], ARRAY[[1], [1], [1]]::float8[][], ARRAY['c']);
\echo :LAST_ERROR_SQLSTATE
SELECT ml.coxph(ARRAY[1, 2, 3]::float8[], ARRAY[true, false, true], ARRAY[[1, 2], [2, 1], [3, 3]]::float8[][], ARRAY['a', 'a']);
\echo :LAST_ERROR_SQLSTATE
SELECT ml.coxph(ARRAY[1, 2, 3]::float8[], ARRAY[false, false, false], ARRAY[[1], [2], [3]]::float8[][], ARRAY['a']);
\echo :LAST_ERROR_SQLSTATE
SELECT ml.coxph(ARRAY[1, 2, 3]::float8[], ARRAY[true, true, true], ARRAY[[1], [2]]::float8[][], ARRAY['a']);
\echo :LAST_ERROR_SQLSTATE
-- a long fit honours statement_timeout and query cancellation (this fit takes ~0.7 s uncancelled)
CREATE TEMP TABLE big AS
SELECT array_agg((g % 97)::float8) AS t, array_agg(g % 3 = 0) AS e,
       array_agg(ARRAY[(g % 7)::float8, (g % 11)::float8, (g % 13)::float8, (g % 17)::float8, (g % 19)::float8,
                       (g % 23)::float8, (g % 29)::float8, (g % 31)::float8, (g % 37)::float8, (g % 41)::float8]) AS x
FROM generate_series(1, 400000) g;
SET statement_timeout = '150ms';
SELECT (ml.coxph(t, e, x, ARRAY['a','b','c','d','e','f','g','h','i','j'])).n FROM big;
\echo :LAST_ERROR_SQLSTATE
RESET statement_timeout;

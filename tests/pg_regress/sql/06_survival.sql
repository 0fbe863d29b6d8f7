-- Survival statistics (DESIGN §6). The same cases are checked against lifelines 0.30.3 to 1e-9
-- in src/models/survival_test.rs (tests/reference/survival.py); this pins the SQL surface.
SELECT time, at_risk, events, censored, round(survival::numeric, 9) AS survival,
       round(ci_lower::numeric, 9) AS ci_lower, round(ci_upper::numeric, 9) AS ci_upper
FROM ml.kaplan_meier(ARRAY[5, 3, 3, 8, 2, 9, 9, 12, 1, 4]::float8[],
                     ARRAY[true, true, false, true, false, true, true, false, true, true]);
SELECT ml.kaplan_meier_median(ARRAY[5, 3, 3, 8, 2, 9, 9, 12, 1, 4]::float8[],
                              ARRAY[true, true, false, true, false, true, true, false, true, true]) AS median,
       ml.kaplan_meier_median(ARRAY[1, 2, 3, 4]::float8[], ARRAY[true, false, false, false]) AS never_reaches_half;
SELECT time, round(cumulative_hazard::numeric, 9) AS cumulative_hazard
FROM ml.nelson_aalen(ARRAY[5, 3, 3, 8, 2, 9, 9, 12, 1, 4]::float8[],
                     ARRAY[true, true, false, true, false, true, true, false, true, true]);
-- lifelines' multivariate_logrank_test docs example: statistic 1.0800467314891906, p 0.5827346361862382
SELECT round(statistic::numeric, 12) AS statistic, dof, round(pvalue::numeric, 12) AS pvalue
FROM ml.logrank(ARRAY[5, 3, 9, 8, 7, 4, 4, 3, 2, 5, 6, 7]::float8[],
                ARRAY[true, true, true, true, true, true, false, false, true, true, true, false],
                ARRAY['0', '0', '0', '0', '1', '1', '1', '1', '1', '2', '2', '2']);
SELECT ml.concordance_index(ARRAY[5, 3, 3, 8, 2, 9, 9, 12, 1, 4]::float8[], ARRAY[3, 1, 2, 9, 0, 7, 9, 5, 1, 2]::float8[],
                            ARRAY[true, true, false, true, false, true, true, false, true, true]) AS c_index;
-- bad input
SELECT * FROM ml.kaplan_meier(ARRAY[1, 2]::float8[], ARRAY[true]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM ml.kaplan_meier(ARRAY[1, NULL]::float8[], ARRAY[true, false]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM ml.kaplan_meier(ARRAY['NaN']::float8[], ARRAY[true]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM ml.logrank(ARRAY[1, 2]::float8[], ARRAY[true, true], ARRAY['a', 'a']);
\echo :LAST_ERROR_SQLSTATE
SELECT ml.concordance_index(ARRAY[1, 2]::float8[], ARRAY[1, 2]::float8[], ARRAY[false, false]);
\echo :LAST_ERROR_SQLSTATE
SELECT ml.kaplan_meier_median(NULL, ARRAY[true]);
\echo :LAST_ERROR_SQLSTATE

-- ml.woe_bins: the optbinning cases are checked to 1e-12 in src/models/woe_test.rs
-- (tests/reference/woe.py); here a hand-computed case pins the SQL surface.
-- values 1..15 (2 twice), target as below, edges 3, 7.5, 12:
--   [-inf,3): 2 non-events, 1 event -> WOE ln((2/6)/(1/10)) = 1.203973, IV (2/6-1/10)*WOE = 0.280927
--   [12,inf): 0 non-events -> empty class: WOE 0, IV 0
SELECT bin, lower, upper, count, non_events, events, round(event_rate::numeric, 6) AS event_rate,
       round(woe::numeric, 6) AS woe, round(iv::numeric, 6) AS iv
FROM ml.woe_bins(ARRAY[1, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]::float8[],
                 ARRAY[false, false, true, false, false, true, false, true, true, true, false, true, true, true, true, true],
                 ARRAY[3, 7.5, 12]::float8[]);
-- no edges: quantile edges at k/4 of the values (percentile_cont), deduplicated
SELECT bin, lower, upper, count FROM ml.woe_bins(ARRAY[1, 2, 3, 4, 5, 6, 7, 8]::float8[],
                                              ARRAY[true, false, true, false, true, false, false, true], NULL, 4);
SELECT percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY v) AS same_edges FROM unnest(ARRAY[1, 2, 3, 4, 5, 6, 7, 8]::float8[]) v;
-- bad input
SELECT * FROM ml.woe_bins(ARRAY[1, 2]::float8[], ARRAY[true, true]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM ml.woe_bins(ARRAY[1, 2]::float8[], ARRAY[true, false], ARRAY[2, 1]::float8[]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM ml.woe_bins(ARRAY[1, 2]::float8[], ARRAY[true, NULL]);
\echo :LAST_ERROR_SQLSTATE

-- The SQL surface spine installs: schemas, tables, functions with their declared volatility,
-- strictness and parallel safety. A change here is a change to the contract.
CREATE EXTENSION spine;
\pset null '∅'

SELECT n.nspname AS schema, c.relname AS table, count(a.attnum) AS columns
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname IN ('marketplace', 'ml', 'audit', 'spine') AND c.relkind IN ('r', 'v', 'm', 'p')
GROUP BY 1, 2 ORDER BY 1, 2;

SELECT p.oid::regprocedure AS function,
       CASE p.provolatile WHEN 'i' THEN 'immutable' WHEN 's' THEN 'stable' ELSE 'volatile' END AS volatility,
       p.proisstrict AS strict,
       CASE p.proparallel WHEN 's' THEN 'safe' WHEN 'r' THEN 'restricted' ELSE 'unsafe' END AS parallel,
       p.prosecdef AS security_definer
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname IN ('marketplace', 'ml', 'audit', 'spine')
ORDER BY p.oid::regprocedure::text;

-- tables whose user rows pg_dump keeps
SELECT unnest(extconfig)::regclass::text AS dumped_config FROM pg_extension WHERE extname = 'spine' ORDER BY 1;

-- the destructive demo functions are not for PUBLIC
CREATE ROLE spine_regress_nobody;
SELECT f, has_function_privilege('spine_regress_nobody', f, 'EXECUTE') AS nobody_may_execute
FROM unnest(ARRAY['spine.clear_demo_data()', 'spine.generate_demo_data(integer,integer,integer)', 'spine.ingest_landing(bigint)']) AS f;
DROP ROLE spine_regress_nobody;

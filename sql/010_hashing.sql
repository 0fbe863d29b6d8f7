-- audit.hash_agg(record): LtHash16 over BLAKE3 (src/hashing). Parallel safe with combine,
-- serialize and deserialize functions, so parallel query and partitions split the work.
CREATE FUNCTION audit.hash_agg_trans(internal, record) RETURNS internal
    LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'spine_hash_agg_trans';
CREATE FUNCTION audit.hash_agg_combine(internal, internal) RETURNS internal
    LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'spine_hash_agg_combine';
CREATE FUNCTION audit.hash_agg_serial(internal) RETURNS bytea
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'spine_hash_agg_serial';
CREATE FUNCTION audit.hash_agg_deserial(bytea, internal) RETURNS internal
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'spine_hash_agg_deserial';
CREATE FUNCTION audit.hash_agg_final(internal) RETURNS text
    LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'spine_hash_agg_final';

CREATE AGGREGATE audit.hash_agg(record) (
    SFUNC = audit.hash_agg_trans,
    STYPE = internal,
    SSPACE = 2400,
    COMBINEFUNC = audit.hash_agg_combine,
    SERIALFUNC = audit.hash_agg_serial,
    DESERIALFUNC = audit.hash_agg_deserial,
    FINALFUNC = audit.hash_agg_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE audit.hash_agg(record) IS
    'Order-independent multiset hash (LtHash16 over BLAKE3 XOF) of rows, bound to their column names and types; 64 hex characters, NULL for no rows. Duplicates count; values are encoded with their binary send functions.';

//! `audit.hash_agg(record)`: the aggregate's support functions, written against the fmgr V1
//! interface because its state is `internal` (a fixed 2 KiB LtHash state, the schema header and
//! the cached encoding plan) and its argument is any row type. Declared in sql/010_hashing.sql.
//! Memory: the state is allocated once per group in the aggregate context; every value's
//! encoding lives in the per-row memory the executor resets, so memory is flat in the row count.

use super::encode::RowPlan;
use super::lthash::LtHash;
use crate::common::error::SpineError;
use pgrx::pg_sys::{self, Datum, FunctionCallInfo};
use pgrx::prelude::*;
use pgrx::{PgMemoryContexts, PgSqlErrorCode};

pub struct AggState {
    hash: LtHash,
    schema: Vec<u8>,
    plan: Option<RowPlan>,
    /// The client encoding differs from the database's: pin it while encoding each row.
    pin_encoding: bool,
    buf: Vec<u8>,
    values: Vec<Datum>,
    nulls: Vec<bool>,
}

impl AggState {
    fn new(hash: LtHash, schema: Vec<u8>) -> Self {
        AggState { hash, schema, plan: None, pin_encoding: false, buf: Vec::with_capacity(256), values: Vec::new(), nulls: Vec::new() }
    }
}

use crate::common::fmgr::{arg, finfo_v1};

finfo_v1!(pg_finfo_spine_hash_agg_trans);
finfo_v1!(pg_finfo_spine_hash_agg_combine);
finfo_v1!(pg_finfo_spine_hash_agg_serial);
finfo_v1!(pg_finfo_spine_hash_agg_deserial);
finfo_v1!(pg_finfo_spine_hash_agg_final);

unsafe fn agg_context(fcinfo: FunctionCallInfo, what: &str) -> pg_sys::MemoryContext {
    let mut ctx: pg_sys::MemoryContext = std::ptr::null_mut();
    if pg_sys::AggCheckCallContext(fcinfo, &mut ctx) == 0 {
        SpineError::new(PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED, format!("{what} can only be called as part of audit.hash_agg"))
            .hint("Use SELECT audit.hash_agg(t) FROM some_table t, or audit.dataset_hash('some_table').")
            .raise()
    }
    ctx
}

unsafe fn new_state(ctx: pg_sys::MemoryContext, state: AggState) -> *mut AggState {
    PgMemoryContexts::For(ctx).leak_and_drop_on_delete(state)
}

unsafe fn state_arg<'a>(fcinfo: FunctionCallInfo, i: usize) -> Option<&'a mut AggState> {
    arg(fcinfo, i).map(|d| &mut *(d.cast_mut_ptr::<AggState>()))
}

/// Send functions convert text to the client encoding; when it differs from the database's
/// (checked once per aggregate), pin it to the database encoding while a row is encoded, and
/// put it back even if encoding fails.
fn with_database_encoding<R>(pin: bool, f: impl FnOnce() -> R) -> R {
    if !pin {
        return f();
    }
    let (client, db) = unsafe { (pg_sys::pg_get_client_encoding(), pg_sys::GetDatabaseEncoding()) };
    unsafe { pg_sys::SetClientEncoding(db) };
    let result = PgTryBuilder::new(std::panic::AssertUnwindSafe(f)).finally(|| unsafe {
        pg_sys::SetClientEncoding(client);
    });
    result.execute()
}

/// SFUNC: (internal, record) -> internal
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn spine_hash_agg_trans(fcinfo: FunctionCallInfo) -> Datum {
    let ctx = agg_context(fcinfo, "spine_hash_agg_trans");
    let state: &mut AggState = match state_arg(fcinfo, 0) {
        Some(s) => s,
        None => &mut *new_state(ctx, AggState::new(LtHash::default(), Vec::new())),
    };
    match arg(fcinfo, 1) {
        None => state.hash.add_row(b"N"),
        Some(row) => {
            let header = pg_sys::pg_detoast_datum(row.cast_mut_ptr()) as pg_sys::HeapTupleHeader;
            let (type_id, typmod) = (pgrx::htup::heap_tuple_header_get_type_id(header), pgrx::htup::heap_tuple_header_get_typmod(header));
            match &state.plan {
                Some(p) if p.type_id == type_id && p.typmod == typmod => {}
                Some(_) => SpineError::new(PgSqlErrorCode::ERRCODE_DATATYPE_MISMATCH, "audit.hash_agg: rows of different row types in one aggregate")
                    .hint("Hash one relation or one query's rows at a time.")
                    .raise(),
                None => {
                    // the plan (tuple descriptor copy, send-function info) lives as long as the state
                    let mut old = PgMemoryContexts::For(ctx).set_as_current();
                    let plan = RowPlan::new(type_id, typmod);
                    old.set_as_current();
                    if state.schema.is_empty() {
                        state.schema = plan.schema.clone();
                    } else if state.schema != plan.schema {
                        SpineError::new(PgSqlErrorCode::ERRCODE_DATATYPE_MISMATCH, "audit.hash_agg: rows of different row types in one aggregate").raise()
                    }
                    state.plan = Some(plan);
                    state.pin_encoding = pg_sys::pg_get_client_encoding() != pg_sys::GetDatabaseEncoding();
                }
            }
            let AggState { hash, plan, buf, values, nulls, pin_encoding, .. } = state;
            if let Some(plan) = plan.as_ref() {
                buf.clear();
                with_database_encoding(*pin_encoding, || plan.encode_row(header, values, nulls, buf));
                hash.add_row(buf);
            }
        }
    }
    Datum::from(state as *mut AggState)
}

/// COMBINEFUNC: (internal, internal) -> internal
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn spine_hash_agg_combine(fcinfo: FunctionCallInfo) -> Datum {
    let ctx = agg_context(fcinfo, "spine_hash_agg_combine");
    let (a, b) = (state_arg(fcinfo, 0), state_arg(fcinfo, 1));
    let merged: *mut AggState = match (a, b) {
        (None, None) => {
            (*fcinfo).isnull = true;
            return Datum::from(0usize);
        }
        (Some(a), None) => a,
        (None, Some(b)) => new_state(ctx, AggState::new(b.hash.clone(), b.schema.clone())),
        (Some(a), Some(b)) => {
            if a.schema.is_empty() {
                a.schema = b.schema.clone();
            } else if !b.schema.is_empty() && a.schema != b.schema {
                SpineError::new(PgSqlErrorCode::ERRCODE_DATATYPE_MISMATCH, "audit.hash_agg: partial states of different row types").raise()
            }
            a.hash.combine(&b.hash);
            a
        }
    };
    Datum::from(merged)
}

/// SERIALFUNC: (internal) -> bytea
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn spine_hash_agg_serial(fcinfo: FunctionCallInfo) -> Datum {
    agg_context(fcinfo, "spine_hash_agg_serial");
    let Some(state) = state_arg(fcinfo, 0) else {
        (*fcinfo).isnull = true;
        return Datum::from(0usize);
    };
    let bytes = state.hash.serialize(&state.schema);
    Datum::from(pgrx::varlena::rust_byte_slice_to_bytea(&bytes).into_pg())
}

/// DESERIALFUNC: (bytea, internal) -> internal
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn spine_hash_agg_deserial(fcinfo: FunctionCallInfo) -> Datum {
    let ctx = agg_context(fcinfo, "spine_hash_agg_deserial");
    let Some(raw) = arg(fcinfo, 0) else {
        (*fcinfo).isnull = true;
        return Datum::from(0usize);
    };
    let v = pg_sys::pg_detoast_datum(raw.cast_mut_ptr());
    match LtHash::deserialize(pgrx::varlena::varlena_to_byte_slice(v)) {
        Ok((hash, schema)) => Datum::from(new_state(ctx, AggState::new(hash, schema))),
        Err(e) => SpineError::internal(format!("audit.hash_agg: corrupt partial state ({})", e.0)).raise(),
    }
}

/// FINALFUNC: (internal) -> text; NULL when there were no rows.
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn spine_hash_agg_final(fcinfo: FunctionCallInfo) -> Datum {
    agg_context(fcinfo, "spine_hash_agg_final");
    match state_arg(fcinfo, 0) {
        None => {
            (*fcinfo).isnull = true;
            Datum::from(0usize)
        }
        Some(state) => {
            let hex = state.hash.finalize(&state.schema);
            Datum::from(pgrx::varlena::rust_str_to_text_p(&hex).into_pg())
        }
    }
}

/// The digest of an empty relation with this row type: no rows, the schema still bound.
pub fn empty_digest(type_id: pg_sys::Oid) -> String {
    LtHash::default().finalize(&RowPlan::schema_of(type_id, -1))
}

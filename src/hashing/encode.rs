//! Canonical encoding of PostgreSQL values and rows for hashing. Each value is encoded as its
//! type's binary send output (network byte order), length-prefixed, with NULL as its own marker;
//! arrays and composites are encoded structurally (their send functions embed type OIDs, which a
//! dump/restore changes). Nothing here depends on TimeZone, DateStyle, extra_float_digits,
//! search_path or client_encoding (text is always encoded in the database encoding).
//!
//! Row:        'R' natts:u32be field*      (a NULL row value: 'N')
//! Field:      0x00 (NULL) | 0x01 len:u32be bytes
//! Array:      'A' ndim:u32be (dim:u32be lbound:i32be)* field*
//! Composite:  'C' natts:u32be field*
//! Scalars:    the send function's bytes (fast paths produce the same bytes for common types;
//!             every NaN is encoded as the canonical quiet NaN, as PostgreSQL treats all NaNs equal).

use crate::common::error::SpineError;
use pgrx::pg_sys::{self, Datum, Oid};
use pgrx::PgSqlErrorCode;
use std::ffi::CStr;

#[derive(Debug)]
pub enum Fixed {
    Bool,
    I16,
    I32,
    I64,
    F32,
    F64,
}

pub struct ArrayPlan {
    elem_type: Oid,
    elmlen: i16,
    elmbyval: bool,
    elmalign: std::ffi::c_char,
    elem: Box<Enc>,
}

pub enum Enc {
    Fixed(Fixed),
    /// Plain varlena whose send output is its bytes in the database encoding.
    Bytes,
    Send(Box<pg_sys::FmgrInfo>),
    Array(Box<ArrayPlan>),
    Composite(Box<RowPlan>),
}

/// How to encode one row type: one encoder per live attribute (None = dropped column).
pub struct RowPlan {
    pub type_id: Oid,
    pub typmod: i32,
    pub natts: usize,
    fields: Vec<Option<Enc>>,
    /// A private copy of the tuple descriptor, for heap_deform_tuple.
    tupdesc: pg_sys::TupleDesc,
    /// Column names and type signatures: the schema header that the digest is bound to.
    pub schema: Vec<u8>,
}

/// ReleaseTupleDesc: only reference-counted descriptors are released (a transient record
/// type's descriptor is not counted, and releasing it would corrupt the resource owner).
unsafe fn release_tupdesc(td: pg_sys::TupleDesc) {
    if (*td).tdrefcount >= 0 {
        pg_sys::DecrTupleDescRefCount(td);
    }
}

fn type_name(type_id: Oid, typmod: i32) -> String {
    // FORCE_QUALIFY: user types come out schema-qualified whatever the search_path
    let flags = (pg_sys::FORMAT_TYPE_TYPEMOD_GIVEN | pg_sys::FORMAT_TYPE_FORCE_QUALIFY) as pg_sys::bits16;
    unsafe {
        let p = pg_sys::format_type_extended(type_id, typmod, flags);
        let s = CStr::from_ptr(p).to_string_lossy().into_owned();
        pg_sys::pfree(p as *mut _);
        s
    }
}

/// Type signature used in the schema header: the type's name, and for domains, arrays and
/// composites the structure underneath (so a changed nested type changes the header).
fn signature(type_id: Oid, typmod: i32) -> String {
    let mut base_typmod = typmod;
    let base = unsafe { pg_sys::getBaseTypeAndTypmod(type_id, &mut base_typmod) };
    let mut s = type_name(type_id, typmod);
    if base != type_id {
        s.push('<');
        s.push_str(&signature(base, base_typmod));
        s.push('>');
        return s;
    }
    let elem = unsafe { pg_sys::get_element_type(type_id) };
    if elem != pg_sys::InvalidOid && unsafe { pg_sys::get_typlen(type_id) } == -1 {
        s.push('[');
        s.push_str(&signature(elem, -1));
        s.push(']');
    } else if type_id != pg_sys::RECORDOID && unsafe { pg_sys::type_is_rowtype(type_id) } {
        unsafe {
            let td = pg_sys::lookup_rowtype_tupdesc(type_id, typmod);
            s.push('{');
            for i in 0..(*td).natts as usize {
                let att = &*(*td).attrs.as_ptr().add(i);
                if att.attisdropped {
                    continue;
                }
                s.push_str(&CStr::from_ptr(att.attname.data.as_ptr()).to_string_lossy());
                s.push(' ');
                s.push_str(&signature(att.atttypid, att.atttypmod));
                s.push(';');
            }
            s.push('}');
            release_tupdesc(td);
        }
    }
    s
}

fn encoder(type_id: Oid, typmod: i32) -> Enc {
    let mut base_typmod = typmod;
    let t = unsafe { pg_sys::getBaseTypeAndTypmod(type_id, &mut base_typmod) };
    match t {
        pg_sys::BOOLOID => return Enc::Fixed(Fixed::Bool),
        pg_sys::INT2OID => return Enc::Fixed(Fixed::I16),
        pg_sys::INT4OID | pg_sys::DATEOID | pg_sys::OIDOID => return Enc::Fixed(Fixed::I32),
        pg_sys::INT8OID | pg_sys::TIMESTAMPOID | pg_sys::TIMESTAMPTZOID | pg_sys::TIMEOID => return Enc::Fixed(Fixed::I64),
        pg_sys::FLOAT4OID => return Enc::Fixed(Fixed::F32),
        pg_sys::FLOAT8OID => return Enc::Fixed(Fixed::F64),
        pg_sys::TEXTOID | pg_sys::VARCHAROID | pg_sys::BPCHAROID | pg_sys::BYTEAOID => return Enc::Bytes,
        _ => {}
    }
    let elem = unsafe { pg_sys::get_element_type(t) };
    if elem != pg_sys::InvalidOid && unsafe { pg_sys::get_typlen(t) } == -1 {
        let (mut elmlen, mut elmbyval, mut elmalign) = (0i16, false, 0 as std::ffi::c_char);
        unsafe { pg_sys::get_typlenbyvalalign(elem, &mut elmlen, &mut elmbyval, &mut elmalign) };
        return Enc::Array(Box::new(ArrayPlan { elem_type: elem, elmlen, elmbyval, elmalign, elem: Box::new(encoder(elem, -1)) }));
    }
    if t != pg_sys::RECORDOID && unsafe { pg_sys::type_is_rowtype(t) } {
        return Enc::Composite(Box::new(RowPlan::new(t, base_typmod)));
    }
    let (mut typlen, mut typbyval, mut typalign, mut typdelim, mut ioparam, mut send) = (0i16, false, 0, 0, pg_sys::InvalidOid, pg_sys::InvalidOid);
    unsafe {
        pg_sys::get_type_io_data(t, pg_sys::IOFuncSelector::IOFunc_send, &mut typlen, &mut typbyval, &mut typalign, &mut typdelim, &mut ioparam, &mut send);
    }
    if send == pg_sys::InvalidOid {
        SpineError::new(PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED, format!("spine hashing: type {} has no binary send function", type_name(t, base_typmod)))
            .detail("audit.hash_agg encodes every value with its type's binary send function, so that the hash does not depend on session settings.")
            .hint("Hash a view that casts the column to a type with one (for example text).")
            .raise()
    }
    let mut flinfo: Box<pg_sys::FmgrInfo> = Box::new(unsafe { std::mem::zeroed() });
    // fn_mcxt: the long-lived context the caller runs this in (the aggregate's)
    unsafe { pg_sys::fmgr_info_cxt(send, flinfo.as_mut(), pg_sys::CurrentMemoryContext) };
    Enc::Send(flinfo)
}

/// One line of the schema header: `name \t signature \n`.
fn push_schema_line(schema: &mut Vec<u8>, att: &pg_sys::FormData_pg_attribute) {
    schema.extend_from_slice(unsafe { CStr::from_ptr(att.attname.data.as_ptr()) }.to_bytes());
    schema.push(b'\t');
    schema.extend_from_slice(signature(att.atttypid, att.atttypmod).as_bytes());
    schema.push(b'\n');
}

impl RowPlan {
    /// Plans the encoding of rows of `type_id`/`typmod`. Runs in the memory context that must
    /// hold the plan (the aggregate context).
    pub fn new(type_id: Oid, typmod: i32) -> RowPlan {
        unsafe {
            let td = pg_sys::lookup_rowtype_tupdesc(type_id, typmod);
            let copy = pg_sys::CreateTupleDescCopy(td);
            release_tupdesc(td);
            let natts = (*copy).natts as usize;
            let mut fields = Vec::with_capacity(natts);
            let mut schema = Vec::new();
            for i in 0..natts {
                let att = &*(*copy).attrs.as_ptr().add(i);
                if att.attisdropped {
                    fields.push(None);
                    continue;
                }
                push_schema_line(&mut schema, att);
                fields.push(Some(encoder(att.atttypid, att.atttypmod)));
            }
            RowPlan { type_id, typmod, natts, fields, tupdesc: copy, schema }
        }
    }

    /// Schema header of a row type without planning its encoders (for an empty relation).
    pub fn schema_of(type_id: Oid, typmod: i32) -> Vec<u8> {
        let mut schema = Vec::new();
        unsafe {
            let td = pg_sys::lookup_rowtype_tupdesc(type_id, typmod);
            for i in 0..(*td).natts as usize {
                let att = &*(*td).attrs.as_ptr().add(i);
                if att.attisdropped {
                    continue;
                }
                push_schema_line(&mut schema, att);
            }
            release_tupdesc(td);
        }
        schema
    }

    /// Appends the encoding of one row to `out`.
    ///
    /// # Safety
    /// `header` must be a detoasted composite value of this plan's row type.
    pub unsafe fn encode_row(&self, header: pg_sys::HeapTupleHeader, values: &mut Vec<Datum>, nulls: &mut Vec<bool>, out: &mut Vec<u8>) {
        self.encode_tagged(b'R', header, values, nulls, out)
    }

    unsafe fn encode_tagged(&self, tag: u8, header: pg_sys::HeapTupleHeader, values: &mut Vec<Datum>, nulls: &mut Vec<bool>, out: &mut Vec<u8>) {
        let mut tuple: pg_sys::HeapTupleData = std::mem::zeroed();
        tuple.t_len = pgrx::htup::heap_tuple_header_get_datum_length(header) as u32;
        tuple.t_data = header;
        values.resize(self.natts, Datum::from(0usize));
        nulls.resize(self.natts, true);
        pg_sys::heap_deform_tuple(&mut tuple, self.tupdesc, values.as_mut_ptr(), nulls.as_mut_ptr());
        out.push(tag);
        let live = self.fields.iter().filter(|f| f.is_some()).count() as u32;
        out.extend_from_slice(&live.to_be_bytes());
        for (i, f) in self.fields.iter().enumerate() {
            if let Some(enc) = f {
                encode_field(enc, values[i], nulls[i], out);
            }
        }
    }
}

impl Drop for RowPlan {
    fn drop(&mut self) {
        // the copy lives in the memory context the plan was built in, which is being reset or
        // deleted when a plan is dropped; freeing it here would be a double free.
        self.tupdesc = std::ptr::null_mut();
    }
}

fn encode_field(enc: &Enc, value: Datum, isnull: bool, out: &mut Vec<u8>) {
    if isnull {
        out.push(0);
        return;
    }
    out.push(1);
    let at = out.len();
    out.extend_from_slice(&[0, 0, 0, 0]);
    unsafe { encode_value(enc, value, out) };
    let len = (out.len() - at - 4) as u32;
    out[at..at + 4].copy_from_slice(&len.to_be_bytes());
}

unsafe fn encode_value(enc: &Enc, value: Datum, out: &mut Vec<u8>) {
    match enc {
        Enc::Fixed(Fixed::Bool) => out.push((value.value() != 0) as u8),
        Enc::Fixed(Fixed::I16) => out.extend_from_slice(&(value.value() as i16).to_be_bytes()),
        Enc::Fixed(Fixed::I32) => out.extend_from_slice(&(value.value() as i32).to_be_bytes()),
        Enc::Fixed(Fixed::I64) => out.extend_from_slice(&(value.value() as i64).to_be_bytes()),
        Enc::Fixed(Fixed::F32) => {
            let v = f32::from_bits(value.value() as u32);
            let bits = if v.is_nan() { f32::NAN.to_bits() } else { v.to_bits() };
            out.extend_from_slice(&bits.to_be_bytes());
        }
        Enc::Fixed(Fixed::F64) => {
            let v = f64::from_bits(value.value() as u64);
            let bits = if v.is_nan() { f64::NAN.to_bits() } else { v.to_bits() };
            out.extend_from_slice(&bits.to_be_bytes());
        }
        Enc::Bytes => {
            // read in place unless the value is external or compressed (saves a guarded call
            // per value on the hot path)
            let p = value.cast_mut_ptr::<pg_sys::varlena>();
            let v = if pgrx::varlena::varatt_is_1b_e(p) || pgrx::varlena::varatt_is_4b_c(p) { pg_sys::pg_detoast_datum_packed(p) } else { p };
            out.extend_from_slice(pgrx::varlena::varlena_to_byte_slice(v));
        }
        Enc::Send(flinfo) => {
            let flinfo = (flinfo.as_ref() as *const pg_sys::FmgrInfo).cast_mut();
            let b = pg_sys::SendFunctionCall(flinfo, value);
            out.extend_from_slice(pgrx::varlena::varlena_to_byte_slice(b));
        }
        Enc::Array(plan) => encode_array(plan, value, out),
        Enc::Composite(plan) => {
            let mut values = Vec::new();
            let mut nulls = Vec::new();
            let header = pg_sys::pg_detoast_datum(value.cast_mut_ptr()) as pg_sys::HeapTupleHeader;
            plan.encode_tagged(b'C', header, &mut values, &mut nulls, out);
        }
    }
}

unsafe fn encode_array(plan: &ArrayPlan, value: Datum, out: &mut Vec<u8>) {
    let arr = pg_sys::pg_detoast_datum(value.cast_mut_ptr()) as *mut pg_sys::ArrayType;
    let ndim = (*arr).ndim as usize;
    let dims = (arr as *const u8).add(std::mem::size_of::<pg_sys::ArrayType>()) as *const i32;
    let lbounds = dims.add(ndim);
    out.push(b'A');
    out.extend_from_slice(&(ndim as u32).to_be_bytes());
    for d in 0..ndim {
        out.extend_from_slice(&(*dims.add(d) as u32).to_be_bytes());
        out.extend_from_slice(&(*lbounds.add(d)).to_be_bytes());
    }
    let mut elems: *mut Datum = std::ptr::null_mut();
    let mut nulls: *mut bool = std::ptr::null_mut();
    let mut n: i32 = 0;
    pg_sys::deconstruct_array(arr, plan.elem_type, plan.elmlen as i32, plan.elmbyval, plan.elmalign, &mut elems, &mut nulls, &mut n);
    for i in 0..n as usize {
        encode_field(&plan.elem, *elems.add(i), *nulls.add(i), out);
    }
}

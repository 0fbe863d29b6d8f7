#!/usr/bin/env python3
"""Independent reference for audit.dataset_hash / audit.hash_agg, written from the format in
docs/hashing.md (not from the Rust code): canonical row encoding, LtHash16 over BLAKE3 XOF,
final BLAKE3 over (schema header, row count, lanes).

It prints the expected digests pinned in tests/pg_regress/sql/04_hashing.sql. Regenerate with
    pip install blake3==1.0.11 && python3 tests/reference/dataset_hash.py
"""
import struct
import blake3

ROW_CONTEXT = "spine 2026-11 audit.hash_agg v1 row"
FINAL_CONTEXT = "spine 2026-11 audit.hash_agg v1 final"
LANES = 1024


def enc_int4(v): return struct.pack(">i", v)
def enc_int8(v): return struct.pack(">q", v)
def enc_bool(v): return b"\x01" if v else b"\x00"
def enc_float8(v): return struct.pack(">d", v)
def enc_text(v): return v.encode("utf-8")


def field(encoded):
    if encoded is None:
        return b"\x00"
    return b"\x01" + struct.pack(">I", len(encoded)) + encoded


def row(fields):
    return b"R" + struct.pack(">I", len(fields)) + b"".join(field(f) for f in fields)


def digest(schema_columns, rows):
    key = blake3.blake3(b"", derive_key_context=ROW_CONTEXT).digest()
    lanes = [0] * LANES
    for r in rows:
        out = blake3.blake3(row(r), key=key).digest(length=2 * LANES)
        for i in range(LANES):
            lanes[i] = (lanes[i] + int.from_bytes(out[2 * i:2 * i + 2], "little")) & 0xFFFF
    schema = b"".join(name.encode() + b"\t" + sig.encode() + b"\n" for name, sig in schema_columns)
    h = blake3.blake3(derive_key_context=FINAL_CONTEXT)
    h.update(struct.pack("<Q", len(schema)))
    h.update(schema)
    h.update(struct.pack("<Q", len(rows)))
    for lane in lanes:
        h.update(struct.pack("<H", lane))
    return h.hexdigest()


SCHEMA = [("id", "integer"), ("name", "pg_catalog.text"), ("active", "boolean"), ("score", "double precision"), ("big", "bigint")]
ROWS = [
    [enc_int4(1), enc_text("Zoë"), enc_bool(True), enc_float8(0.5), enc_int8(10**12)],
    [enc_int4(2), enc_text(""), enc_bool(False), enc_float8(-2.25), None],
    [enc_int4(3), None, None, None, enc_int8(-1)],
]

if __name__ == "__main__":
    print("three rows:", digest(SCHEMA, ROWS))
    print("three rows + duplicate of row 1:", digest(SCHEMA, ROWS + [ROWS[0]]))
    print("empty:", digest(SCHEMA, []))

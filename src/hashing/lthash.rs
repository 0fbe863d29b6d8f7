//! LtHash16 (Lewi et al., "Securing Update Propagation with Homomorphic Hashing", 2019): a
//! multiset hash. Each row is hashed with BLAKE3 in XOF mode to 2048 bytes, read as 1024
//! little-endian 16-bit lanes, and added lane-wise (mod 2^16) into the state. Addition is
//! commutative and associative, so the hash is independent of row order and partial states from
//! parallel workers or partitions combine by addition; duplicates add twice, so they count.
//! The final digest is BLAKE3 over (schema header, row count, state). Pure Rust; no PostgreSQL.

use std::sync::OnceLock;

pub const LANES: usize = 1024;
pub const XOF_BYTES: usize = 2 * LANES;
const ROW_CONTEXT: &str = "spine 2026-11 audit.hash_agg v1 row";
const FINAL_CONTEXT: &str = "spine 2026-11 audit.hash_agg v1 final";
const SERIAL_MAGIC: &[u8; 4] = b"SPH1";

fn row_key() -> &'static [u8; 32] {
    static KEY: OnceLock<[u8; 32]> = OnceLock::new();
    KEY.get_or_init(|| blake3::derive_key(ROW_CONTEXT, b""))
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LtHash {
    pub lanes: Box<[u16; LANES]>,
    pub count: u64,
}

impl Default for LtHash {
    fn default() -> Self {
        LtHash { lanes: Box::new([0u16; LANES]), count: 0 }
    }
}

/// Errors reading a serialized state (corrupt or from another version).
#[derive(Debug, PartialEq, Eq)]
pub struct BadState(pub &'static str);

impl LtHash {
    /// Adds one row, given its canonical encoding.
    pub fn add_row(&mut self, encoded_row: &[u8]) {
        let mut out = [0u8; XOF_BYTES];
        let mut reader = blake3::Hasher::new_keyed(row_key()).update(encoded_row).finalize_xof();
        reader.fill(&mut out);
        for (lane, pair) in self.lanes.iter_mut().zip(out.chunks_exact(2)) {
            *lane = lane.wrapping_add(u16::from_le_bytes([pair[0], pair[1]]));
        }
        self.count += 1;
    }

    /// Adds another state (the union of the two multisets).
    pub fn combine(&mut self, other: &LtHash) {
        for (a, b) in self.lanes.iter_mut().zip(other.lanes.iter()) {
            *a = a.wrapping_add(*b);
        }
        self.count += other.count;
    }

    /// The 64-hex-character digest of the multiset, bound to the schema header.
    pub fn finalize(&self, schema: &[u8]) -> String {
        let mut h = blake3::Hasher::new_derive_key(FINAL_CONTEXT);
        h.update(&(schema.len() as u64).to_le_bytes());
        h.update(schema);
        h.update(&self.count.to_le_bytes());
        for lane in self.lanes.iter() {
            h.update(&lane.to_le_bytes());
        }
        h.finalize().to_hex().to_string()
    }

    /// State + schema header as bytes (for parallel query's serialize function).
    pub fn serialize(&self, schema: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + 8 + 4 + schema.len() + XOF_BYTES);
        out.extend_from_slice(SERIAL_MAGIC);
        out.extend_from_slice(&self.count.to_le_bytes());
        out.extend_from_slice(&(schema.len() as u32).to_le_bytes());
        out.extend_from_slice(schema);
        for lane in self.lanes.iter() {
            out.extend_from_slice(&lane.to_le_bytes());
        }
        out
    }

    pub fn deserialize(bytes: &[u8]) -> Result<(LtHash, Vec<u8>), BadState> {
        let rest = bytes.strip_prefix(SERIAL_MAGIC.as_slice()).ok_or(BadState("not a spine hash_agg state"))?;
        if rest.len() < 12 {
            return Err(BadState("truncated state"));
        }
        let count = u64::from_le_bytes(rest[0..8].try_into().map_err(|_| BadState("count"))?);
        let slen = u32::from_le_bytes(rest[8..12].try_into().map_err(|_| BadState("schema length"))?) as usize;
        let rest = &rest[12..];
        if rest.len() != slen + XOF_BYTES {
            return Err(BadState("state length does not match"));
        }
        let schema = rest[..slen].to_vec();
        let mut h = LtHash { count, ..LtHash::default() };
        for (lane, pair) in h.lanes.iter_mut().zip(rest[slen..].chunks_exact(2)) {
            *lane = u16::from_le_bytes([pair[0], pair[1]]);
        }
        Ok((h, schema))
    }
}

#[cfg(test)]
#[path = "lthash_test.rs"]
mod tests;

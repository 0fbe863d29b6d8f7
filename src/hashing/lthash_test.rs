//! Unit tests of lthash.

use super::*;

fn of(rows: &[&[u8]]) -> LtHash {
    let mut h = LtHash::default();
    for r in rows {
        h.add_row(r);
    }
    h
}

#[test]
fn order_independent_and_duplicate_sensitive() {
    let (a, b, c): (&[u8], &[u8], &[u8]) = (b"row a", b"row b", b"row c");
    assert_eq!(of(&[a, b, c]).finalize(b"s"), of(&[c, a, b]).finalize(b"s"));
    assert_ne!(of(&[a, b]).finalize(b"s"), of(&[a, b, b]).finalize(b"s"));
    // XOR would cancel a pair of duplicates; LtHash does not
    assert_ne!(of(&[a]).finalize(b"s"), of(&[a, b, b]).finalize(b"s"));
    assert_ne!(of(&[]).finalize(b"s"), of(&[a, a]).finalize(b"s"));
}

#[test]
fn schema_and_count_are_bound() {
    assert_ne!(of(&[b"x"]).finalize(b"s1"), of(&[b"x"]).finalize(b"s2"));
    assert_ne!(of(&[]).finalize(b"s"), LtHash { count: 1, ..LtHash::default() }.finalize(b"s"));
    assert_eq!(of(&[b"x"]).finalize(b"s").len(), 64);
}

#[test]
fn combining_partial_states_equals_one_pass() {
    let rows: Vec<Vec<u8>> = (0..100u32).map(|i| i.to_le_bytes().to_vec()).collect();
    let whole = of(&rows.iter().map(|r| r.as_slice()).collect::<Vec<_>>());
    let mut left = of(&rows[..37].iter().map(|r| r.as_slice()).collect::<Vec<_>>());
    let right = of(&rows[37..].iter().map(|r| r.as_slice()).collect::<Vec<_>>());
    left.combine(&right);
    assert_eq!(left, whole);
}

#[test]
fn serialization_round_trips_and_rejects_garbage() {
    let h = of(&[b"a", b"b"]);
    let bytes = h.serialize(b"schema");
    assert_eq!(LtHash::deserialize(&bytes), Ok((h, b"schema".to_vec())));
    assert!(LtHash::deserialize(b"nope").is_err());
    assert!(LtHash::deserialize(&bytes[..bytes.len() - 1]).is_err());
}

#[test]
fn known_answer() {
    // Pins the construction (keys, lane order, final layout): changing any of them changes
    // every stored baseline, which must be a deliberate, versioned decision.
    let h = of(&[b"spine"]);
    assert_eq!(h.count, 1);
    let key = blake3::derive_key(ROW_CONTEXT, b"");
    let mut out = [0u8; XOF_BYTES];
    blake3::Hasher::new_keyed(&key).update(b"spine").finalize_xof().fill(&mut out);
    assert_eq!(h.lanes[0], u16::from_le_bytes([out[0], out[1]]));
    assert_eq!(h.lanes[LANES - 1], u16::from_le_bytes([out[XOF_BYTES - 2], out[XOF_BYTES - 1]]));
}

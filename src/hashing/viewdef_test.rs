//! Unit tests of viewdef.

use super::*;

fn e(t: &str, i: &str, h: &str) -> ClosureEntry {
    ClosureEntry { object_type: t.into(), identity: i.into(), hash: h.into() }
}

#[test]
fn closure_hash_depends_on_every_entry_and_field_boundaries() {
    let a = vec![e("view", "public.v", "1"), e("function", "public.f()", "2")];
    assert_eq!(closure_hash(&a), closure_hash(&a.clone()));
    assert_ne!(closure_hash(&a), closure_hash(&a[..1]));
    assert_ne!(closure_hash(&[e("view", "public.v", "1")]), closure_hash(&[e("view", "public.v", "2")]));
    // length prefixes: moving a character between fields changes the hash
    assert_ne!(closure_hash(&[e("ab", "c", "x")]), closure_hash(&[e("a", "bc", "x")]));
}

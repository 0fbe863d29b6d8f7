//! The definition closure of a relation: the relation and, recursively, every user object its
//! definition depends on (views and materialized views through their rewrite rules, functions
//! with their bodies, aggregates, operators, types: domains, enums, composites, ranges, arrays),
//! and of base tables only the columns that are referenced. Each object gets a hash of its
//! definition as PostgreSQL deparses it; the closure hash is BLAKE3 over the sorted list.
//! Catalog reads only. The SQL entry points pin search_path (so deparsed names are always
//! qualified) and quote_all_identifiers.

use crate::common::error::OrRaise;
use pgrx::prelude::*;
use std::collections::{BTreeMap, HashSet, VecDeque};

/// First OID of objects created after initdb: anything below is built in and not hashed.
const FIRST_NORMAL_OBJECT_ID: u32 = 16_384;
const OBJECT_CONTEXT: &str = "spine 2026-11 audit.viewdef v1 object";
const CLOSURE_CONTEXT: &str = "spine 2026-11 audit.viewdef v1 closure";

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Node {
    class: String,
    objid: u32,
    subid: i32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClosureEntry {
    pub object_type: String,
    pub identity: String,
    pub hash: String,
}

fn s(v: Option<String>) -> String {
    v.unwrap_or_default()
}

/// Objects a catalog row depends on (normal dependencies), as nodes.
fn depends(client: &pgrx::spi::SpiClient<'_>, class: &str, objid: u32) -> Vec<Node> {
    client
        .select(
            "SELECT refclassid::regclass::text, refobjid::int8, refobjsubid
             FROM pg_depend WHERE classid = $1::regclass AND objid = $2::oid AND deptype = 'n'",
            None,
            &[class.into(), (objid as i64).into()],
        )
        .or_raise("reading pg_depend")
        .filter_map(|r| {
            Some(Node { class: r.get::<String>(1).ok()??, objid: r.get::<i64>(2).ok()?? as u32, subid: r.get::<i32>(3).ok()??.max(0) })
        })
        .collect()
}

fn one_row(client: &pgrx::spi::SpiClient<'_>, sql: &str, objid: u32, subid: i32, cols: usize) -> Vec<Option<String>> {
    let table = client.select(sql, Some(1), &[(objid as i64).into(), subid.into()]).or_raise("reading the catalog");
    match table.into_iter().next() {
        Some(row) => (1..=cols).map(|i| row.get::<String>(i).ok().flatten()).collect(),
        None => vec![None; cols],
    }
}

/// (content, children) of one object.
fn describe(client: &pgrx::spi::SpiClient<'_>, n: &Node, root: bool) -> (String, Vec<Node>) {
    let oid = n.objid;
    match (n.class.as_str(), n.subid) {
        ("pg_class", 0) => {
            let r = one_row(
                client,
                "SELECT relkind::text, CASE WHEN relkind IN ('v', 'm') THEN pg_get_viewdef(oid) END FROM pg_class WHERE oid = $1::oid AND $2 = $2",
                oid,
                0,
                2,
            );
            let relkind = s(r[0].clone());
            if relkind == "v" || relkind == "m" {
                let rule: Vec<i64> = client
                    .select("SELECT oid::int8 FROM pg_rewrite WHERE ev_class = $1::oid AND rulename = '_RETURN'", None, &[(oid as i64).into()])
                    .or_raise("reading pg_rewrite")
                    .filter_map(|r| r.get::<i64>(1).ok().flatten())
                    .collect();
                let mut children = Vec::new();
                for rid in rule {
                    children.extend(depends(client, "pg_rewrite", rid as u32).into_iter().filter(|c| !(c.class == "pg_class" && c.objid == oid)));
                }
                (format!("relkind {relkind}\n{}", s(r[1].clone())), children)
            } else if root {
                // a table hashed directly: all its live columns are referenced
                let cols: Vec<i32> = client
                    .select("SELECT attnum::int4 FROM pg_attribute WHERE attrelid = $1::oid AND attnum > 0 AND NOT attisdropped", None, &[(oid as i64).into()])
                    .or_raise("reading pg_attribute")
                    .filter_map(|r| r.get::<i32>(1).ok().flatten())
                    .collect();
                (format!("relkind {relkind}"), cols.into_iter().map(|c| Node { class: "pg_class".into(), objid: oid, subid: c }).collect())
            } else {
                (format!("relkind {relkind}"), Vec::new())
            }
        }
        ("pg_class", col) => {
            let r = one_row(
                client,
                "SELECT format_type(a.atttypid, a.atttypmod), a.atttypid::int8::text, c.relkind::text,
                        CASE WHEN a.attcollation NOT IN (0, 100) THEN a.attcollation::regcollation::text END
                 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid WHERE a.attrelid = $1::oid AND a.attnum = $2",
                oid,
                col,
                4,
            );
            let mut children = Vec::new();
            if let Some(t) = r[1].as_deref().and_then(|t| t.parse::<u32>().ok()) {
                children.push(Node { class: "pg_type".into(), objid: t, subid: 0 });
            }
            if matches!(r[2].as_deref(), Some("v") | Some("m")) {
                children.push(Node { class: "pg_class".into(), objid: oid, subid: 0 });
            }
            (format!("column type {} collation {}", s(r[0].clone()), s(r[3].clone())), children)
        }
        ("pg_proc", _) => {
            let r = one_row(
                client,
                "SELECT p.prokind::text,
                        CASE WHEN p.prokind <> 'a' THEN pg_get_functiondef(p.oid)
                             ELSE format('aggregate transfn %s finalfn %s combinefn %s stype %s initval %s kind %s',
                                         a.aggtransfn::regprocedure, a.aggfinalfn::regprocedure, a.aggcombinefn::regprocedure,
                                         a.aggtranstype::regtype, a.agginitval, a.aggkind) END,
                        concat_ws(',', a.aggtransfn::int8, nullif(a.aggfinalfn::int8, 0), nullif(a.aggcombinefn::int8, 0))
                 FROM pg_proc p LEFT JOIN pg_aggregate a ON a.aggfnoid = p.oid WHERE p.oid = $1::oid AND $2 = $2",
                oid,
                0,
                3,
            );
            let mut children = depends(client, "pg_proc", oid);
            for f in s(r[2].clone()).split(',').filter_map(|x| x.parse::<u32>().ok()) {
                children.push(Node { class: "pg_proc".into(), objid: f, subid: 0 });
            }
            (s(r[1].clone()), children)
        }
        ("pg_type", _) => {
            let r = one_row(
                client,
                "SELECT t.typtype::text,
                        CASE t.typtype
                          WHEN 'd' THEN format('domain over %s not null %s default %s constraints %s', format_type(t.typbasetype, t.typtypmod), t.typnotnull, t.typdefault,
                               (SELECT string_agg(c.conname || ' ' || pg_get_constraintdef(c.oid), '; ' ORDER BY c.conname) FROM pg_constraint c WHERE c.contypid = t.oid))
                          WHEN 'e' THEN 'enum ' || (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid)
                          WHEN 'c' THEN 'composite ' || (SELECT string_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
                                                       FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped)
                          WHEN 'r' THEN format('range of %s', (SELECT format_type(rngsubtype, NULL) || ' opclass ' || rngsubopc::int8 || ' collation ' || rngcollation::int8 FROM pg_range WHERE rngtypid = t.oid))
                          ELSE format('type %s len %s input %s output %s send %s receive %s element %s', t.typtype, t.typlen, t.typinput::regproc, t.typoutput::regproc,
                                      t.typsend::regproc, t.typreceive::regproc, format_type(t.typelem, NULL))
                        END,
                        concat_ws(',', nullif(t.typbasetype::int8, 0), nullif(t.typelem::int8, 0),
                                  (SELECT string_agg(a.atttypid::int8::text, ',') FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped),
                                  (SELECT rngsubtype::int8 FROM pg_range WHERE rngtypid = t.oid)),
                        (SELECT c.relkind::text FROM pg_class c WHERE c.oid = t.typrelid), t.typrelid::int8::text
                 FROM pg_type t WHERE t.oid = $1::oid AND $2 = $2",
                oid,
                0,
                5,
            );
            let mut children: Vec<Node> =
                s(r[2].clone()).split(',').filter_map(|x| x.parse::<u32>().ok()).map(|t| Node { class: "pg_type".into(), objid: t, subid: 0 }).collect();
            if matches!(r[3].as_deref(), Some("r") | Some("p") | Some("v") | Some("m") | Some("f")) {
                // the row type of a relation: the relation itself is the dependency
                children.clear();
                if let Some(rel) = r[4].as_deref().and_then(|x| x.parse::<u32>().ok()) {
                    children.push(Node { class: "pg_class".into(), objid: rel, subid: 0 });
                }
            }
            (s(r[1].clone()), children)
        }
        ("pg_operator", _) => {
            let r = one_row(
                client,
                "SELECT format('operator %s(%s, %s) returns %s function %s', oprname, oprleft::regtype, oprright::regtype, oprresult::regtype, oprcode::regprocedure),
                        oprcode::int8::text, oprleft::int8::text, oprright::int8::text
                 FROM pg_operator WHERE oid = $1::oid AND $2 = $2",
                oid,
                0,
                4,
            );
            let mut children = vec![];
            if let Some(f) = r[1].as_deref().and_then(|x| x.parse::<u32>().ok()) {
                children.push(Node { class: "pg_proc".into(), objid: f, subid: 0 });
            }
            for t in [&r[2], &r[3]] {
                if let Some(t) = t.as_deref().and_then(|x| x.parse::<u32>().ok()) {
                    children.push(Node { class: "pg_type".into(), objid: t, subid: 0 });
                }
            }
            (s(r[0].clone()), children)
        }
        (class, sub) => {
            let r = one_row(client, &format!("SELECT pg_describe_object('{class}'::regclass, $1::oid, $2)"), oid, sub, 1);
            (s(r[0].clone()), Vec::new())
        }
    }
}

/// The closure of `rel`, sorted by (object type, identity).
pub fn closure(rel: pg_sys::Oid) -> Vec<ClosureEntry> {
    closure_with_relations(rel).0
}

/// The closure of `rel` and the OIDs of the relations in it (`rel` included): what a cached
/// guard verdict must be invalidated on.
pub fn closure_with_relations(rel: pg_sys::Oid) -> (Vec<ClosureEntry>, Vec<pg_sys::Oid>) {
    Spi::connect(|client| {
        let root = Node { class: "pg_class".into(), objid: rel.to_u32(), subid: 0 };
        let mut seen: HashSet<Node> = HashSet::new();
        let mut queue = VecDeque::from([root.clone()]);
        let mut out: BTreeMap<(String, String), String> = BTreeMap::new();
        seen.insert(root.clone());
        while let Some(n) = queue.pop_front() {
            let ident = one_row(
                &client,
                &format!("SELECT (pg_identify_object('{}'::regclass, $1::oid, $2)).type, (pg_identify_object('{}'::regclass, $1::oid, $2)).identity", n.class, n.class),
                n.objid,
                n.subid,
                2,
            );
            let (content, children) = describe(&client, &n, n == root);
            let (object_type, identity) = (s(ident[0].clone()), s(ident[1].clone()));
            let mut h = blake3::Hasher::new_derive_key(OBJECT_CONTEXT);
            for part in [&object_type, &identity, &content] {
                h.update(&(part.len() as u64).to_le_bytes());
                h.update(part.as_bytes());
            }
            out.insert((object_type, identity), h.finalize().to_hex().to_string());
            for c in children {
                // schemas: every identity names its schema already
                if c.objid >= FIRST_NORMAL_OBJECT_ID && c.class != "pg_namespace" && !seen.contains(&c) {
                    seen.insert(c.clone());
                    queue.push_back(c);
                }
            }
        }
        let relations = seen.iter().filter(|n| n.class == "pg_class").map(|n| pg_sys::Oid::from(n.objid)).collect();
        (out.into_iter().map(|((object_type, identity), hash)| ClosureEntry { object_type, identity, hash }).collect(), relations)
    })
}

/// BLAKE3 over the sorted closure: 64 hex characters.
pub fn closure_hash(entries: &[ClosureEntry]) -> String {
    let mut h = blake3::Hasher::new_derive_key(CLOSURE_CONTEXT);
    for e in entries {
        for part in [&e.object_type, &e.identity, &e.hash] {
            h.update(&(part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
    }
    h.finalize().to_hex().to_string()
}

#[cfg(test)]
#[path = "viewdef_test.rs"]
mod tests;

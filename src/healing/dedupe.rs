//! Dedupe of reposted listings (the seed's `dedupe_ai_sql` controller). Pure Rust.
//!
//! 1. Blocking: listings sharing a VIN; listings sharing (make, model, year, powertrain, region,
//!    colour) whose mileages lie within `MILEAGE_WINDOW` of each other (a sorted sweep inside the block,
//!    so a block of k listings costs O(k log k + pairs), not O(k²)).
//! 2. Scoring: evidence from the fields a repost keeps (VIN, colour, power, transmission, seller
//!    type, location), mileage that did not go down by more than a slip and did not jump, a price
//!    within 15 %, and text similarity of title and description (MinHash estimates of the
//!    Jaccard similarity of word 2-shingles, numbers masked). Each link keeps its score and the reasons.
//! 3. Clustering: links at or above the threshold, strongest first, joined by union-find that
//!    never merges two components a never-merge override separates; force-merge overrides join
//!    unconditionally. The canonical listing of a group is its earliest (first seen, then id).

use std::collections::HashMap;

pub const MILEAGE_WINDOW: i32 = 3_000;
pub const THRESHOLD: f64 = 0.70;
pub const MINHASH: usize = 32;

#[derive(Debug, Clone)]
pub struct Rec {
    pub id: i64,
    pub first_seen: i64,
    pub vin: Option<String>,
    /// hash of (make, model, year, powertrain, region)
    pub block: u64,
    pub mileage: Option<i32>,
    pub price: Option<f64>,
    pub colour: u64,
    pub power_kw: Option<i32>,
    pub transmission: u64,
    pub seller: u64,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub title: [u32; MINHASH],
    pub description: [u32; MINHASH],
}

fn fnv(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.as_bytes() {
        h ^= *b as u64;
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h
}

/// A hash of a normalised field (case and surrounding space ignored); 0 for NULL.
pub fn field_hash(s: Option<&str>) -> u64 {
    s.map(|s| fnv(&s.trim().to_lowercase())).unwrap_or(0)
}

pub fn block_key(make: &str, model: &str, year: i32, powertrain: Option<&str>, region: Option<&str>, colour: Option<&str>) -> u64 {
    fnv(&format!(
        "{}\u{1f}{}\u{1f}{year}\u{1f}{}\u{1f}{}\u{1f}{}",
        make.trim().to_lowercase(),
        model.trim().to_lowercase(),
        powertrain.unwrap_or(""),
        region.unwrap_or(""),
        colour.map(|c| c.trim().to_lowercase()).unwrap_or_default()
    ))
}

fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// MinHash signature of the word 2-shingles of `text`: lower-cased, letters and digits only, and
/// every number replaced by `#` (a repost's mileage or price moves; its wording does not). A
/// one-word text uses the word.
pub fn minhash(text: Option<&str>) -> [u32; MINHASH] {
    let mut sig = [u32::MAX; MINHASH];
    let Some(text) = text else { return sig };
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| if w.chars().all(|c| c.is_ascii_digit()) { "#".to_string() } else { w.to_lowercase() })
        .collect();
    let shingles: Vec<u64> = if words.len() < 2 {
        words.iter().map(|w| fnv(w)).collect()
    } else {
        words.windows(2).map(|w| fnv(&w.join(" "))).collect()
    };
    for s in shingles {
        for (k, slot) in sig.iter_mut().enumerate() {
            let h = (mix(s ^ (k as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)) >> 32) as u32;
            if h < *slot {
                *slot = h;
            }
        }
    }
    sig
}

/// Estimated Jaccard similarity of two signatures; None when either text was empty.
pub fn jaccard(a: &[u32; MINHASH], b: &[u32; MINHASH]) -> Option<f64> {
    if a[0] == u32::MAX || b[0] == u32::MAX {
        return None;
    }
    Some(a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / MINHASH as f64)
}

fn distance_km(a: &Rec, b: &Rec) -> Option<f64> {
    let (la1, lo1, la2, lo2) = (a.lat?, a.lon?, b.lat?, b.lon?);
    let (p1, p2) = (la1.to_radians(), la2.to_radians());
    let dp = p2 - p1;
    let dl = (lo2 - lo1).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    Some(2.0 * 6371.0 * h.sqrt().asin())
}

/// Candidate pairs (indices into `recs`, smaller first), each once.
pub fn candidates(recs: &[Rec]) -> Vec<(usize, usize)> {
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    let mut by_vin: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut by_block: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, r) in recs.iter().enumerate() {
        if let Some(v) = r.vin.as_deref() {
            by_vin.entry(v).or_default().push(i);
        }
        by_block.entry(r.block).or_default().push(i);
    }
    for v in by_vin.values() {
        for a in 0..v.len() {
            for b in a + 1..v.len() {
                pairs.push((v[a].min(v[b]), v[a].max(v[b])));
            }
        }
    }
    for members in by_block.values_mut() {
        members.sort_by_key(|&i| (recs[i].mileage.unwrap_or(i32::MIN), recs[i].id));
        for a in 0..members.len() {
            let ma = recs[members[a]].mileage;
            for &j in &members[a + 1..] {
                match (ma, recs[j].mileage) {
                    (Some(x), Some(y)) if y - x > MILEAGE_WINDOW => break,
                    (None, Some(_)) => break,
                    _ => {}
                }
                let i = members[a];
                pairs.push((i.min(j), i.max(j)));
            }
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}

/// Score in [0, 1] and the reasons behind it.
pub fn score(a: &Rec, b: &Rec) -> (f64, Vec<String>) {
    let mut s = 0.0;
    let mut why = Vec::new();
    let mut add = |w: f64, reason: String| {
        s += w;
        why.push(reason);
    };
    match (&a.vin, &b.vin) {
        (Some(x), Some(y)) if x == y => add(0.45, "same VIN".into()),
        (Some(_), Some(_)) => return (0.0, vec!["different VINs".into()]),
        _ => {}
    }
    if a.block == b.block {
        add(0.10, "same make, model, year, powertrain, region and colour".into());
    }
    // what a repost keeps: equal is evidence, different is evidence against (a car does not
    // change colour, power or gearbox between two listings)
    let mut same = |x_set: bool, equal: bool, w_same: f64, w_diff: f64, what: &str| {
        if x_set {
            if equal {
                add(w_same, format!("same {what}"));
            } else {
                add(-w_diff, format!("different {what}"));
            }
        }
    };
    same(a.colour != 0 && b.colour != 0, a.colour == b.colour, 0.06, 0.15, "colour");
    same(a.power_kw.is_some() && b.power_kw.is_some(), a.power_kw == b.power_kw, 0.08, 0.20, "power");
    same(a.transmission != 0 && b.transmission != 0, a.transmission == b.transmission, 0.02, 0.15, "transmission");
    same(a.seller != 0 && b.seller != 0, a.seller == b.seller, 0.02, 0.05, "seller type");
    if a.vin.is_some() != b.vin.is_some() {
        add(-0.10, "VIN on one listing only".into());
    }
    if let Some(d) = distance_km(a, b) {
        if d < 1.0 {
            add(0.10, format!("{d:.2} km apart"));
        }
    }
    // the later listing's mileage: the same or up to MILEAGE_WINDOW more (a small slip down allowed)
    let (early, late) = if (a.first_seen, a.id) <= (b.first_seen, b.id) { (a, b) } else { (b, a) };
    if let (Some(x), Some(y)) = (early.mileage, late.mileage) {
        if (-200..=MILEAGE_WINDOW).contains(&(y - x)) {
            add(0.05, format!("mileage {x} → {y} km"));
        }
    }
    if let (Some(x), Some(y)) = (a.price, b.price) {
        if x > 0.0 && y > 0.0 && (x / y - 1.0).abs() <= 0.15 {
            add(0.04, format!("prices within {:.0} %", (x / y - 1.0).abs() * 100.0));
        }
    }
    if let Some(j) = jaccard(&a.description, &b.description) {
        let w = 0.40 * ((j - 0.3) / 0.6).clamp(0.0, 1.0);
        if w > 0.0 {
            add(w, format!("description similarity {j:.2}"));
        }
    }
    if let Some(j) = jaccard(&a.title, &b.title) {
        let w = 0.08 * j;
        if w > 0.0 {
            add(w, format!("title similarity {j:.2}"));
        }
    }
    (s.clamp(0.0, 1.0), why)
}

pub struct Link {
    pub a: usize,
    pub b: usize,
    pub score: f64,
    pub reasons: Vec<String>,
}

/// Override decisions between two listing ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Override {
    NeverMerge,
    ForceMerge,
}

fn find(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

/// Clusters `links` (any score) and the overrides; returns, per record, the index of its
/// canonical record (itself when alone) and the links that were accepted.
pub fn cluster(recs: &[Rec], links: Vec<Link>, overrides: &[(usize, usize, Override)]) -> (Vec<usize>, Vec<Link>) {
    let n = recs.len();
    let mut parent: Vec<usize> = (0..n).collect();
    // per component root: the records it may never be merged with
    let mut forbidden: HashMap<usize, Vec<usize>> = HashMap::new();
    for &(a, b, o) in overrides {
        if o == Override::NeverMerge {
            forbidden.entry(a).or_default().push(b);
            forbidden.entry(b).or_default().push(a);
        }
    }
    let mut accepted = Vec::new();
    let mut edges: Vec<Link> = links.into_iter().filter(|l| l.score >= THRESHOLD).collect();
    for &(a, b, o) in overrides {
        if o == Override::ForceMerge {
            edges.push(Link { a, b, score: 1.0, reasons: vec!["force-merge override".into()] });
        }
    }
    edges.sort_by(|x, y| y.score.total_cmp(&x.score).then((x.a, x.b).cmp(&(y.a, y.b))));
    for e in edges {
        let forced = e.reasons.first().is_some_and(|r| r == "force-merge override");
        let (ra, rb) = (find(&mut parent, e.a), find(&mut parent, e.b));
        if ra == rb {
            accepted.push(e);
            continue;
        }
        let blocked = !forced && {
            let fa = forbidden.get(&ra).cloned().unwrap_or_default();
            let fb = forbidden.get(&rb).cloned().unwrap_or_default();
            fa.iter().any(|&x| find(&mut parent, x) == rb) || fb.iter().any(|&x| find(&mut parent, x) == ra)
        };
        if blocked {
            continue;
        }
        parent[rb] = ra;
        let moved = forbidden.remove(&rb).unwrap_or_default();
        forbidden.entry(ra).or_default().extend(moved);
        accepted.push(e);
    }
    // canonical = earliest member of each component
    let mut best: HashMap<usize, usize> = HashMap::new();
    for i in 0..n {
        let r = find(&mut parent, i);
        let cur = best.entry(r).or_insert(i);
        if (recs[i].first_seen, recs[i].id) < (recs[*cur].first_seen, recs[*cur].id) {
            *cur = i;
        }
    }
    let canonical = (0..n).map(|i| best[&find(&mut parent, i)]).collect();
    (canonical, accepted)
}

/// Precision, recall and F1 of predicted duplicate pairs against true ones, pairs counted
/// within groups (each listing's (listing, canonical) relation compared as same-group pairs).
pub fn pair_quality(predicted: &[(i64, i64)], truth: &[(i64, i64)]) -> (f64, f64, f64) {
    fn groups(pairs: &[(i64, i64)]) -> std::collections::HashSet<(i64, i64)> {
        let mut by: HashMap<i64, Vec<i64>> = HashMap::new();
        for &(l, c) in pairs {
            by.entry(c).or_default().push(l);
        }
        let mut out = std::collections::HashSet::new();
        for (c, mut ls) in by {
            ls.push(c);
            ls.sort_unstable();
            ls.dedup();
            for i in 0..ls.len() {
                for j in i + 1..ls.len() {
                    out.insert((ls[i], ls[j]));
                }
            }
        }
        out
    }
    let (p, t) = (groups(predicted), groups(truth));
    let tp = p.intersection(&t).count() as f64;
    let precision = if p.is_empty() { 1.0 } else { tp / p.len() as f64 };
    let recall = if t.is_empty() { 1.0 } else { tp / t.len() as f64 };
    let f1 = if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
    (precision, recall, f1)
}

#[cfg(test)]
#[path = "dedupe_test.rs"]
mod tests;

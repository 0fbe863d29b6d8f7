//! Weight-of-evidence binning (DESIGN §6), optbinning's conventions: bins left-closed
//! [lower, upper) from −∞ to +∞ around the interior `edges` (or, when none are given, the
//! values' linear quantiles at k/bins, deduplicated); event = target true;
//! WOE = ln(%non-event / %event); IV = (%non-event − %event) · WOE; a bin with an empty class
//! gets WOE 0 and IV 0. Pure Rust.

use crate::governance::drift::edges as quantile_cuts;

#[derive(Debug, PartialEq)]
pub enum WoeError {
    Empty,
    Lengths(usize, usize),
    NotFinite(&'static str, usize),
    Edges(usize),
    Bins(i32),
    OneClass,
}

impl std::fmt::Display for WoeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WoeError::Empty => write!(f, "no values"),
            WoeError::Lengths(a, b) => write!(f, "values has {a} elements but target has {b}"),
            WoeError::NotFinite(w, i) => write!(f, "{w}[{}] is NaN or infinite", i + 1),
            WoeError::Edges(i) => write!(f, "edges must be strictly increasing (edges[{}] is not above edges[{}])", i + 1, i),
            WoeError::Bins(b) => write!(f, "bins must be between 2 and 1000, got {b}"),
            WoeError::OneClass => write!(f, "target has a single class; weight of evidence needs events and non-events"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct WoeBin {
    pub bin: i32,
    pub lower: f64,
    pub upper: f64,
    pub count: i64,
    pub non_events: i64,
    pub events: i64,
    pub event_rate: f64,
    pub woe: f64,
    pub iv: f64,
}

/// Interior edges from quantiles of the values (numpy 'linear'), deduplicated.
pub fn quantile_edges(values: &[f64], bins: usize) -> Vec<f64> {
    let mut e = quantile_cuts(values, bins);
    e.dedup();
    e
}

pub fn woe_bins(values: &[f64], target: &[bool], edges: Option<&[f64]>, bins: i32) -> Result<Vec<WoeBin>, WoeError> {
    if values.is_empty() {
        return Err(WoeError::Empty);
    }
    if values.len() != target.len() {
        return Err(WoeError::Lengths(values.len(), target.len()));
    }
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(WoeError::NotFinite("values", i));
    }
    let edges: Vec<f64> = match edges {
        Some(e) => {
            if let Some(i) = e.iter().position(|v| !v.is_finite()) {
                return Err(WoeError::NotFinite("edges", i));
            }
            if let Some(i) = (1..e.len()).find(|&i| e[i] <= e[i - 1]) {
                return Err(WoeError::Edges(i));
            }
            e.to_vec()
        }
        None => {
            if !(2..=1000).contains(&bins) {
                return Err(WoeError::Bins(bins));
            }
            quantile_edges(values, bins as usize)
        }
    };
    let k = edges.len() + 1;
    let (mut ne, mut ev) = (vec![0i64; k], vec![0i64; k]);
    for (&v, &t) in values.iter().zip(target) {
        // left-closed: the number of edges at or below v
        let b = edges.partition_point(|e| *e <= v);
        if t {
            ev[b] += 1;
        } else {
            ne[b] += 1;
        }
    }
    let (tne, tev) = (ne.iter().sum::<i64>() as f64, ev.iter().sum::<i64>() as f64);
    if tne == 0.0 || tev == 0.0 {
        return Err(WoeError::OneClass);
    }
    Ok((0..k)
        .map(|b| {
            let (pn, pe) = (ne[b] as f64 / tne, ev[b] as f64 / tev);
            let (woe, iv) = if ne[b] == 0 || ev[b] == 0 { (0.0, 0.0) } else { let w = (pn / pe).ln(); (w, (pn - pe) * w) };
            let count = ne[b] + ev[b];
            WoeBin {
                bin: b as i32,
                lower: if b == 0 { f64::NEG_INFINITY } else { edges[b - 1] },
                upper: if b == k - 1 { f64::INFINITY } else { edges[b] },
                count,
                non_events: ne[b],
                events: ev[b],
                event_rate: if count == 0 { 0.0 } else { ev[b] as f64 / count as f64 },
                woe,
                iv,
            }
        })
        .collect())
}

#[cfg(test)]
#[path = "woe_test.rs"]
mod tests;

//! Drift statistics for strict guards. Pure Rust.
//!
//! PSI (population stability index), as DESIGN §4 fixes it: interior edges are the expected
//! sample's quantiles at k/bins with linear interpolation (numpy's default = PostgreSQL's
//! percentile_cont), bins right-closed (-inf, e1], (e1, e2], …, (e_{k-1}, +inf), shares are
//! count / n, a share of exactly 0 becomes 1e-4, and PSI = Σ (a − e) · ln(a / e).

pub const ZERO_SHARE: f64 = 1e-4;
pub const MAX_BINS: i32 = 1000;

#[derive(Debug, PartialEq)]
pub enum DriftError {
    Empty(&'static str),
    NotFinite(&'static str, usize),
    Bins(i32),
}

impl std::fmt::Display for DriftError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DriftError::Empty(which) => write!(f, "{which} sample is empty"),
            DriftError::NotFinite(which, i) => write!(f, "{which}[{}] is NaN or infinite", i + 1),
            DriftError::Bins(b) => write!(f, "bins must be between 2 and {MAX_BINS}, got {b}"),
        }
    }
}

fn check(which: &'static str, xs: &[f64]) -> Result<(), DriftError> {
    if xs.is_empty() {
        return Err(DriftError::Empty(which));
    }
    match xs.iter().position(|x| !x.is_finite()) {
        Some(i) => Err(DriftError::NotFinite(which, i)),
        None => Ok(()),
    }
}

/// numpy's `_lerp`: a + (b − a)·t, computed from the nearer end for t ≥ 0.5 (as numpy does).
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let d = b - a;
    if t >= 0.5 {
        b - d * (1.0 - t)
    } else {
        a + d * t
    }
}

/// Quantile `q` (0..=1) of sorted data with linear interpolation (numpy 'linear').
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let pos = q * (n - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    lerp(sorted[lo], sorted[hi], pos - lo as f64)
}

/// Interior bin edges of the expected sample: its quantiles at k/bins, k = 1..bins-1.
pub fn edges(expected: &[f64], bins: usize) -> Vec<f64> {
    let mut sorted = expected.to_vec();
    sorted.sort_by(f64::total_cmp);
    (1..bins).map(|k| quantile_sorted(&sorted, k as f64 / bins as f64)).collect()
}

/// Shares of `xs` in the right-closed bins defined by `edges`; zero shares become 1e-4.
pub fn shares(xs: &[f64], edges: &[f64]) -> Vec<f64> {
    let mut counts = vec![0u64; edges.len() + 1];
    for &x in xs {
        counts[edges.partition_point(|e| *e < x)] += 1;
    }
    let n = xs.len() as f64;
    counts.into_iter().map(|c| if c == 0 { ZERO_SHARE } else { c as f64 / n }).collect()
}

pub fn psi(expected: &[f64], actual: &[f64], bins: i32) -> Result<f64, DriftError> {
    if !(2..=MAX_BINS).contains(&bins) {
        return Err(DriftError::Bins(bins));
    }
    check("expected", expected)?;
    check("actual", actual)?;
    let e = edges(expected, bins as usize);
    let (se, sa) = (shares(expected, &e), shares(actual, &e));
    Ok(se.iter().zip(&sa).map(|(e, a)| (a - e) * (a / e).ln()).sum())
}

#[cfg(test)]
#[path = "drift_test.rs"]
mod tests;

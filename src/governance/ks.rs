//! Two-sample Kolmogorov–Smirnov test, equal to `scipy.stats.ks_2samp(a, b)` of scipy 1.17.1
//! (alternative='two-sided', method='auto'). Pure Rust.
//!
//! * statistic: D = max |F_a(x) − F_b(x)| over the pooled values, the empirical CDFs taken as
//!   count/n in float64 exactly as scipy's `searchsorted(..., side='right') / n` — bit-equal.
//! * p-value, when max(n_a, n_b) ≤ 10 000 (scipy's 'auto' picks 'exact'): D is snapped to the
//!   lattice h / lcm(n_a, n_b) (h = round-half-even(D·lcm), and that snapped D is also the
//!   statistic scipy returns), then the exact probability of a lattice path leaving the band:
//!   `_compute_prob_outside_square` when n_a = n_b, else Hodges' inside method as rewritten by
//!   Viehmann (`_compute_outer_prob_inside_method`). Same float64 operations in the same order,
//!   hence bit-equal. When that probability is not in [0, 1] scipy warns and falls back to the
//!   asymptotic p-value; so does this port ([`Method::ExactFellBack`]).
//! * otherwise (and on that fallback) the asymptotic p-value `kstwo.sf(D, round(n_a·n_b/(n_a+n_b)))`
//!   from [`super::kstwo`].
//! * the p-value is clipped to [0, 1].
//!
//! Where scipy propagates NaN (or sorts ±inf in), this refuses non-finite values with an error.

use super::kstwo::kstwo_sf;

/// scipy's `MAX_AUTO_N`: 'auto' attempts the exact p-value when both sizes are at most this.
pub const MAX_AUTO_N: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// exact lattice-path probability
    Exact,
    /// asymptotic (Kolmogorov distribution of D_n with n = round(n_a·n_b/(n_a+n_b)))
    Asymptotic,
    /// exact attempted, its result left [0, 1], asymptotic used (scipy warns, same result)
    ExactFellBack,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KsResult {
    pub statistic: f64,
    pub pvalue: f64,
    pub method: Method,
}

#[derive(Debug, PartialEq)]
pub enum KsError {
    Empty(&'static str),
    NotFinite(&'static str, usize),
}

impl std::fmt::Display for KsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KsError::Empty(which) => write!(f, "{which} sample is empty"),
            KsError::NotFinite(which, i) => write!(f, "{which}[{}] is NaN or infinite", i + 1),
        }
    }
}

fn check(which: &'static str, xs: &[f64]) -> Result<(), KsError> {
    if xs.is_empty() {
        return Err(KsError::Empty(which));
    }
    match xs.iter().position(|x| !x.is_finite()) {
        Some(i) => Err(KsError::NotFinite(which, i)),
        None => Ok(()),
    }
}

/// Statistic and p-value of the two-sided two-sample KS test, as `scipy.stats.ks_2samp(a, b)`.
pub fn ks_2samp(a: &[f64], b: &[f64]) -> Result<(f64, f64), KsError> {
    ks_2samp_detail(a, b).map(|r| (r.statistic, r.pvalue))
}

/// [`ks_2samp`] that also says which p-value method ran.
pub fn ks_2samp_detail(a: &[f64], b: &[f64]) -> Result<KsResult, KsError> {
    ks_2samp_with(a, b, &mut || {})
}

/// [`ks_2samp_detail`] calling `interrupt` once per lattice column of the exact inside method
/// (up to 10 000 columns, ~0.4 s at worst), so a caller can honour a cancel.
pub fn ks_2samp_with(a: &[f64], b: &[f64], interrupt: &mut dyn FnMut()) -> Result<KsResult, KsError> {
    check("a", a)?;
    check("b", b)?;
    let mut x = a.to_vec();
    let mut y = b.to_vec();
    x.sort_unstable_by(f64::total_cmp);
    y.sort_unstable_by(f64::total_cmp);
    let d = statistic_sorted(&x, &y);
    let (n1, n2) = (x.len() as u64, y.len() as u64);
    let g = gcd(n1, n2);
    if x.len().max(y.len()) <= MAX_AUTO_N {
        let (ok, d, prob) = attempt_exact(n1, n2, g, d, interrupt);
        if ok {
            return Ok(KsResult { statistic: d, pvalue: clip01(prob), method: Method::Exact });
        }
        return Ok(KsResult { statistic: d, pvalue: clip01(asymptotic_pvalue(n1, n2, d)), method: Method::ExactFellBack });
    }
    Ok(KsResult { statistic: d, pvalue: clip01(asymptotic_pvalue(n1, n2, d)), method: Method::Asymptotic })
}

/// np.clip(p, 0, 1)
fn clip01(p: f64) -> f64 {
    p.clamp(0.0, 1.0)
}

pub fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// max over the pooled values v of |#{a ≤ v}/n_a − #{b ≤ v}/n_b| for sorted finite samples,
/// with scipy's tie-break: the larger of max(F_a − F_b) and max(F_b − F_a) clipped to [0, 1].
pub fn statistic_sorted(x: &[f64], y: &[f64]) -> f64 {
    let (n1, n2) = (x.len(), y.len());
    let (fn1, fn2) = (n1 as f64, n2 as f64);
    let (mut i, mut j) = (0usize, 0usize);
    let mut max_s = f64::NEG_INFINITY;
    let mut min_s = f64::INFINITY;
    while i < n1 || j < n2 {
        let v = if j >= n2 || (i < n1 && x[i] <= y[j]) { x[i] } else { y[j] };
        while i < n1 && x[i] <= v {
            i += 1;
        }
        while j < n2 && y[j] <= v {
            j += 1;
        }
        let diff = i as f64 / fn1 - j as f64 / fn2;
        max_s = max_s.max(diff);
        min_s = min_s.min(diff);
    }
    let neg_min = (-min_s).clamp(0.0, 1.0);
    if neg_min > max_s {
        neg_min
    } else {
        max_s
    }
}

/// scipy's `_attempt_exact_2kssamp` (two-sided): (success, snapped statistic, probability).
pub fn attempt_exact(n1: u64, n2: u64, g: u64, d: f64, interrupt: &mut dyn FnMut()) -> (bool, f64, f64) {
    let lcm = (n1 / g) * n2;
    let h = (d * lcm as f64).round_ties_even() as i64;
    let d = h as f64 / lcm as f64;
    if h == 0 {
        return (true, d, 1.0);
    }
    let prob = if n1 == n2 { prob_outside_square(n1 as i64, h) } else { outer_prob_inside(n1 as i64, n2 as i64, g as i64, h, interrupt) };
    if !(0.0..=1.0).contains(&prob) {
        return (false, d, prob);
    }
    (true, d, prob)
}

/// P(D_{n,n} ≥ h/n): 2·Σ (−1)^(k−1) C(2n, n−kh) / C(2n, n), Horner-like (scipy
/// `_compute_prob_outside_square`).
pub fn prob_outside_square(n: i64, h: i64) -> f64 {
    let mut p = 0.0f64;
    let mut k = (n as f64 / h as f64).floor() as i64;
    while k >= 0 {
        let mut p1 = 1.0f64;
        for j in 0..h {
            p1 = (n - k * h - j) as f64 * p1 / (n + k * h + j + 1) as f64;
        }
        p = p1 * (1.0 - p);
        k -= 1;
    }
    2.0 * p
}

/// Proportion of lattice paths from (0, 0) to (m, n) that leave |x/m − y/n| < h/lcm(m, n)
/// (scipy `_compute_outer_prob_inside_method`, pythran-compiled there).
pub fn outer_prob_inside(m: i64, n: i64, g: i64, h: i64, interrupt: &mut dyn FnMut()) -> f64 {
    let (m, n) = if m < n { (n, m) } else { (m, n) };
    let (mg, ng) = (m / g, n / g);
    let mut minj: i64 = 0;
    let mut maxj: i64 = ((h as f64 / mg as f64).ceil() as i64).min(n + 1);
    let mut curlen = maxj - minj;
    let len_a = (2 * maxj + 2).min(n + 1) as usize;
    // numpy's array has len_a entries; one spare slot per column keeps every read in bounds
    // (scipy's window never reads past len_a; the spare entries stay 1 like its initial fill)
    let mut a = vec![1.0f64; (n + 2) as usize];
    for v in a.iter_mut().take(maxj.max(0) as usize).skip(minj as usize) {
        *v = 0.0;
    }
    for i in 1..=m {
        interrupt();
        let (lastminj, lastlen) = (minj, curlen);
        minj = ((((ng * i - h) as f64 / mg as f64).floor() as i64) + 1).max(0);
        minj = minj.min(n);
        maxj = (((ng * i + h) as f64 / mg as f64).ceil() as i64).min(n + 1);
        if maxj <= minj {
            return 1.0;
        }
        let fi = i as f64;
        let mut val = if minj == 0 { 0.0 } else { 1.0 };
        let off = (minj - lastminj) as usize;
        let width = (maxj - minj) as usize;
        for jj in 0..width {
            let j = (jj as i64 + minj) as f64;
            val = (a[jj + off] * fi + val * j) / (fi + j);
            a[jj] = val;
        }
        curlen = maxj - minj;
        if lastlen > curlen {
            let start = (maxj - minj) as usize;
            let stop = (start + (lastlen - curlen) as usize).min(len_a);
            for v in a.iter_mut().take(stop).skip(start) {
                *v = 1.0;
            }
        }
    }
    a[(maxj - minj - 1) as usize]
}

/// The asymptotic two-sided p-value scipy uses: `kstwo.sf(d, round(m·n/(m+n)))`.
pub fn asymptotic_pvalue(n1: u64, n2: u64, d: f64) -> f64 {
    let (m, n) = if n1 >= n2 { (n1 as f64, n2 as f64) } else { (n2 as f64, n1 as f64) };
    let en = m * n / (m + n);
    kstwo_sf(d, en.round_ties_even())
}

#[cfg(test)]
#[path = "ks_test.rs"]
mod tests;

//! Survival statistics as lifelines computes them (DESIGN §6): Kaplan–Meier with exponential
//! Greenwood confidence bands and median, Nelson–Aalen (Σ d/n), the multi-group log-rank test,
//! and Harrell's concordance index. Pure Rust.

use super::special::chi2_sf;
use std::collections::BTreeMap;

/// norm.ppf(0.975): the two-sided 95 % band lifelines draws by default.
pub const Z_975: f64 = 1.959_963_984_540_054;

#[derive(Debug, PartialEq)]
pub enum SurvivalError {
    Empty,
    Lengths(usize, usize, &'static str),
    BadDuration(usize, f64),
    BadScore(usize, f64),
    Groups(usize),
    NoPairs,
    Singular,
}

impl std::fmt::Display for SurvivalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SurvivalError::Empty => write!(f, "no observations"),
            SurvivalError::Lengths(a, b, what) => write!(f, "durations has {a} elements but {what} has {b}"),
            SurvivalError::BadDuration(i, v) => write!(f, "durations[{}] = {v} is not a finite, non-negative number", i + 1),
            SurvivalError::BadScore(i, v) => write!(f, "scores[{}] = {v} is not a finite number", i + 1),
            SurvivalError::Groups(n) => write!(f, "the log-rank test needs at least two groups, got {n}"),
            SurvivalError::NoPairs => write!(f, "no admissible pairs: every observation is censored before any event"),
            SurvivalError::Singular => write!(f, "the log-rank variance matrix is singular (a group never at risk when events happen)"),
        }
    }
}

pub fn check(durations: &[f64], other: usize, what: &'static str) -> Result<(), SurvivalError> {
    if durations.is_empty() {
        return Err(SurvivalError::Empty);
    }
    if durations.len() != other {
        return Err(SurvivalError::Lengths(durations.len(), other, what));
    }
    match durations.iter().position(|d| !d.is_finite() || *d < 0.0) {
        Some(i) => Err(SurvivalError::BadDuration(i, durations[i])),
        None => Ok(()),
    }
}

/// Per distinct time: (time, at risk, events, censored).
fn event_table(durations: &[f64], events: &[bool]) -> Vec<(f64, u64, u64, u64)> {
    let mut by_time: BTreeMap<u64, (f64, u64, u64)> = BTreeMap::new();
    for (&t, &e) in durations.iter().zip(events) {
        // durations are finite and non-negative: their bit patterns sort like the values
        let slot = by_time.entry(t.to_bits()).or_insert((t, 0, 0));
        if e {
            slot.1 += 1;
        } else {
            slot.2 += 1;
        }
    }
    let mut at_risk = durations.len() as u64;
    let mut out = Vec::with_capacity(by_time.len());
    for (_, (t, d, c)) in by_time {
        out.push((t, at_risk, d, c));
        at_risk -= d + c;
    }
    out
}

#[derive(Debug, Clone, PartialEq)]
pub struct KmRow {
    pub time: f64,
    pub at_risk: i64,
    pub events: i64,
    pub censored: i64,
    pub survival: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
}

/// Kaplan–Meier: S(t) = exp(Σ ln((n − d) / n)) as lifelines accumulates it; 95 % exponential
/// Greenwood band exp(−exp(ln(−ln S) ∓ z·√V / ln S)), V = Σ d / (n(n − d)) (a term with n = d
/// counts 0), and 1 where S = 1, as lifelines fills it.
pub fn kaplan_meier(durations: &[f64], events: &[bool]) -> Result<Vec<KmRow>, SurvivalError> {
    check(durations, events.len(), "events")?;
    let mut log_s = 0.0f64;
    let mut var = 0.0f64;
    let mut rows = Vec::new();
    for (t, n, d, c) in event_table(durations, events) {
        let (nf, df) = (n as f64, d as f64);
        log_s += (nf - df).ln() - nf.ln();
        if n > d {
            var += df / (nf * (nf - df));
        }
        let s = log_s.exp();
        let v = s.ln();
        // lifelines: exp(-exp(log(-v) -/+ z * sqrt(V) / v)), NaN (where S = 1) filled with 1
        let band = |sign: f64| -> f64 {
            let x = (-((-v).ln() + sign * Z_975 * var.sqrt() / v).exp()).exp();
            if x.is_nan() {
                1.0
            } else {
                x
            }
        };
        rows.push(KmRow { time: t, at_risk: n as i64, events: d as i64, censored: c as i64, survival: s, ci_lower: band(-1.0), ci_upper: band(1.0) });
    }
    Ok(rows)
}

/// The first time at which S(t) ≤ 0.5; +∞ when the curve stays above (lifelines' median).
pub fn kaplan_meier_median(durations: &[f64], events: &[bool]) -> Result<f64, SurvivalError> {
    let rows = kaplan_meier(durations, events)?;
    Ok(rows.iter().find(|r| r.survival <= 0.5).map(|r| r.time).unwrap_or(f64::INFINITY))
}

/// Nelson–Aalen cumulative hazard, Σ d / n per distinct time (no smoothing).
pub fn nelson_aalen(durations: &[f64], events: &[bool]) -> Result<Vec<(f64, f64)>, SurvivalError> {
    check(durations, events.len(), "events")?;
    let mut h = 0.0;
    Ok(event_table(durations, events)
        .into_iter()
        .map(|(t, n, d, _)| {
            h += d as f64 / n as f64;
            (t, h)
        })
        .collect())
}

/// Multi-group log-rank test (lifelines' multivariate_logrank_test): U = Zᵀ V⁻¹ Z over all
/// groups but the last in sorted order, chi-square with k − 1 degrees of freedom.
pub fn logrank(durations: &[f64], events: &[bool], groups: &[String]) -> Result<(f64, i32, f64), SurvivalError> {
    check(durations, events.len(), "events")?;
    check(durations, groups.len(), "groups")?;
    let mut names: Vec<&String> = groups.iter().collect();
    names.sort();
    names.dedup();
    let k = names.len();
    if k < 2 {
        return Err(SurvivalError::Groups(k));
    }
    let gi: Vec<usize> = groups.iter().map(|g| names.binary_search(&g).unwrap_or(0)).collect();
    // per distinct time and group: deaths and removals
    let mut by_time: BTreeMap<u64, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    for ((&t, &e), &g) in durations.iter().zip(events).zip(&gi) {
        let slot = by_time.entry(t.to_bits()).or_insert_with(|| (vec![0.0; k], vec![0.0; k]));
        if e {
            slot.0[g] += 1.0;
        }
        slot.1[g] += 1.0;
    }
    let mut at_risk = vec![0.0f64; k];
    for &g in &gi {
        at_risk[g] += 1.0;
    }
    let mut z = vec![0.0f64; k];
    let mut v = vec![vec![0.0f64; k]; k];
    for (_, (deaths, removed)) in by_time {
        let n: f64 = at_risk.iter().sum();
        let d: f64 = deaths.iter().sum();
        if d > 0.0 {
            let ratio = if n > 1.0 { (n - d) / (n - 1.0) } else { 1.0 };
            let factor = ratio * d / (n * n);
            for j in 0..k {
                z[j] += deaths[j] - at_risk[j] * d / n;
                for l in 0..k {
                    let cov = if j == l { at_risk[j] * (n - at_risk[j]) } else { -at_risk[j] * at_risk[l] };
                    v[j][l] += factor * cov;
                }
            }
        }
        for j in 0..k {
            at_risk[j] -= removed[j];
        }
    }
    let m = k - 1;
    let zr: Vec<f64> = z[..m].to_vec();
    let vr: Vec<Vec<f64>> = v[..m].iter().map(|row| row[..m].to_vec()).collect();
    let x = super::linalg::cholesky_solve(&vr, &zr).ok_or(SurvivalError::Singular)?;
    let u: f64 = zr.iter().zip(&x).map(|(a, b)| a * b).sum();
    Ok((u, m as i32, chi2_sf(u, m as f64)))
}

/// Harrell's C as lifelines computes it (higher score = longer survival): pairs whose earlier
/// time is an event, or with equal times and exactly one event (the event is the earlier);
/// equal scores count one half. O(n log n).
pub fn concordance_index(durations: &[f64], scores: &[f64], events: &[bool]) -> Result<f64, SurvivalError> {
    check(durations, scores.len(), "scores")?;
    check(durations, events.len(), "events")?;
    if let Some(i) = scores.iter().position(|s| !s.is_finite()) {
        return Err(SurvivalError::BadScore(i, scores[i]));
    }
    // ranks of the scores for a Fenwick tree
    let mut sorted: Vec<f64> = scores.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.dedup();
    let rank = |s: f64| sorted.partition_point(|x| *x < s);
    let mut tree = vec![0u64; sorted.len() + 1];
    let add = |tree: &mut Vec<u64>, r: usize| {
        let mut i = r + 1;
        while i < tree.len() {
            tree[i] += 1;
            i += i & i.wrapping_neg();
        }
    };
    // number of inserted scores with rank < r
    let below = |tree: &Vec<u64>, r: usize| -> u64 {
        let mut i = r;
        let mut s = 0;
        while i > 0 {
            s += tree[i];
            i -= i & i.wrapping_neg();
        }
        s
    };
    let mut order: Vec<usize> = (0..durations.len()).collect();
    order.sort_by(|&a, &b| durations[b].total_cmp(&durations[a]));
    let (mut pairs, mut correct, mut tied) = (0u64, 0u64, 0u64);
    let mut inserted = 0u64;
    let mut i = 0;
    while i < order.len() {
        let t = durations[order[i]];
        let mut j = i;
        while j < order.len() && durations[order[j]] == t {
            j += 1;
        }
        let group = &order[i..j];
        // censored observations at this time are comparable with the events at this time
        for &c in group.iter().filter(|&&c| !events[c]) {
            add(&mut tree, rank(scores[c]));
            inserted += 1;
        }
        for &e in group.iter().filter(|&&e| events[e]) {
            let r = rank(scores[e]);
            let lt = below(&tree, r);
            let le = below(&tree, r + 1);
            pairs += inserted;
            correct += inserted - le; // later (or tied-censored) ones with a higher score
            tied += le - lt;
        }
        for &e in group.iter().filter(|&&e| events[e]) {
            add(&mut tree, rank(scores[e]));
            inserted += 1;
        }
        i = j;
    }
    if pairs == 0 {
        return Err(SurvivalError::NoPairs);
    }
    Ok((correct as f64 + tied as f64 / 2.0) / pairs as f64)
}

#[cfg(test)]
#[path = "survival_test.rs"]
mod tests;

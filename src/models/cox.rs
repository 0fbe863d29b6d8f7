//! Cox proportional hazards with Efron's handling of ties (DESIGN §6), as lifelines'
//! CoxPHFitter: Newton–Raphson with step halving on the Efron partial log-likelihood,
//! model-based standard errors from the inverse information, Wald z and two-sided p, the
//! log-likelihood at the optimum and at β = 0, and Harrell's C of −Xβ. Pure Rust.

use super::linalg::cholesky_solve;
use super::special::gamma_q;
use super::survival::{check, concordance_index, SurvivalError};

#[derive(Debug, PartialEq)]
pub enum CoxError {
    Data(SurvivalError),
    Shape { values: usize, rows: usize, names: usize },
    NotFinite(usize, usize),
    NoEvents,
    Singular,
    NoConvergence,
}

impl std::fmt::Display for CoxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CoxError::Data(e) => write!(f, "{e}"),
            CoxError::Shape { values, rows, names } => write!(f, "covariates has {values} values: not {rows} rows × {names} named covariates"),
            CoxError::NotFinite(r, c) => write!(f, "covariates[{}][{}] is NaN or infinite", r + 1, c + 1),
            CoxError::NoEvents => write!(f, "no events: every duration is censored"),
            CoxError::Singular => write!(f, "the information matrix is singular: a covariate is constant or covariates are collinear"),
            CoxError::NoConvergence => write!(f, "did not converge: a covariate separates events from non-events (monotone likelihood)"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CoxFit {
    pub coef: Vec<f64>,
    pub se: Vec<f64>,
    pub z: Vec<f64>,
    pub p: Vec<f64>,
    pub log_likelihood: f64,
    pub log_likelihood_null: f64,
    pub concordance: f64,
    pub n: i64,
    pub events: i64,
}

/// Two-sided normal p-value 2·(1 − Φ(|z|)) = erfc(|z|/√2) = Q(½, z²/2).
pub fn normal_two_sided_p(z: f64) -> f64 {
    gamma_q(0.5, z * z / 2.0)
}

struct Data<'a> {
    order: Vec<usize>, // by time, descending
    t: &'a [f64],
    e: &'a [bool],
    x: Vec<f64>, // centred, row-major
    p: usize,
}

/// Efron partial log-likelihood, gradient and negative Hessian (information) at beta.
fn efron(d: &Data, beta: &[f64], tick: &mut dyn FnMut()) -> (f64, Vec<f64>, Vec<Vec<f64>>) {
    let p = d.p;
    let (mut ll, mut grad, mut info) = (0.0, vec![0.0; p], vec![vec![0.0; p]; p]);
    // risk-set sums, accumulated as times decrease
    let (mut s0, mut s1, mut s2) = (0.0, vec![0.0; p], vec![vec![0.0; p]; p]);
    let mut i = 0;
    let n = d.order.len();
    while i < n {
        if i & 0x3FFF == 0 {
            tick();
        }
        let time = d.t[d.order[i]];
        let mut j = i;
        // tied deaths at this time
        let (mut t0, mut t1, mut t2) = (0.0, vec![0.0; p], vec![vec![0.0; p]; p]);
        let mut deaths = 0usize;
        while j < n && d.t[d.order[j]] == time {
            let r = d.order[j];
            let xr = &d.x[r * p..(r + 1) * p];
            let w = xr.iter().zip(beta).map(|(a, b)| a * b).sum::<f64>().exp();
            s0 += w;
            for a in 0..p {
                s1[a] += w * xr[a];
                for b in 0..p {
                    s2[a][b] += w * xr[a] * xr[b];
                }
            }
            if d.e[r] {
                deaths += 1;
                t0 += w;
                ll += xr.iter().zip(beta).map(|(a, b)| a * b).sum::<f64>();
                for a in 0..p {
                    grad[a] += xr[a];
                    t1[a] += w * xr[a];
                    for b in 0..p {
                        t2[a][b] += w * xr[a] * xr[b];
                    }
                }
            }
            j += 1;
        }
        for l in 0..deaths {
            let frac = l as f64 / deaths as f64;
            let phi = s0 - frac * t0;
            ll -= phi.ln();
            let m: Vec<f64> = (0..p).map(|a| (s1[a] - frac * t1[a]) / phi).collect();
            for a in 0..p {
                grad[a] -= m[a];
                for b in 0..p {
                    info[a][b] += (s2[a][b] - frac * t2[a][b]) / phi - m[a] * m[b];
                }
            }
        }
        i = j;
    }
    (ll, grad, info)
}

/// `covariates` row-major: one row per duration, one column per name.
pub fn coxph(durations: &[f64], events: &[bool], covariates: &[f64], names: usize) -> Result<CoxFit, CoxError> {
    coxph_with(durations, events, covariates, names, &mut || {})
}

/// As `coxph`, calling `tick` regularly so the SQL layer can honour query cancellation.
pub fn coxph_with(durations: &[f64], events: &[bool], covariates: &[f64], names: usize, tick: &mut dyn FnMut()) -> Result<CoxFit, CoxError> {
    check(durations, events.len(), "events").map_err(CoxError::Data)?;
    let n = durations.len();
    if names == 0 || covariates.len() != n * names {
        return Err(CoxError::Shape { values: covariates.len(), rows: n, names });
    }
    let p = names;
    if let Some(k) = covariates.iter().position(|v| !v.is_finite()) {
        return Err(CoxError::NotFinite(k / p, k % p));
    }
    let n_events = events.iter().filter(|e| **e).count();
    if n_events == 0 {
        return Err(CoxError::NoEvents);
    }
    // centring leaves the partial likelihood unchanged and keeps exp() in range
    let means: Vec<f64> = (0..p).map(|j| (0..n).map(|i| covariates[i * p + j]).sum::<f64>() / n as f64).collect();
    let x: Vec<f64> = (0..n * p).map(|k| covariates[k] - means[k % p]).collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| durations[b].total_cmp(&durations[a]));
    let data = Data { order, t: durations, e: events, x, p };

    let mut beta = vec![0.0; p];
    let (ll0, _, _) = efron(&data, &beta, tick);
    let (mut ll, mut grad, mut info) = efron(&data, &beta, tick);
    let mut converged = false;
    for iteration in 0..100 {
        // singular at β = 0: constant or collinear covariates; later: β running off to infinity
        let step = cholesky_solve(&info, &grad).ok_or(if iteration == 0 { CoxError::Singular } else { CoxError::NoConvergence })?;
        let mut t = 1.0;
        let (mut cand, mut next);
        loop {
            cand = beta.iter().zip(&step).map(|(b, s)| b + t * s).collect::<Vec<f64>>();
            next = efron(&data, &cand, tick);
            if next.0 >= ll - 1e-12 * ll.abs() || t < 1e-10 {
                break;
            }
            t /= 2.0;
        }
        let moved = step.iter().map(|s| (t * s).abs()).fold(0.0f64, f64::max);
        beta = cand;
        (ll, grad, info) = next;
        if beta.iter().any(|b| !b.is_finite() || b.abs() > 1e4) {
            return Err(CoxError::NoConvergence);
        }
        if moved <= 1e-10 * beta.iter().map(|b| b.abs()).fold(1.0f64, f64::max) {
            converged = true;
            break;
        }
    }
    if !converged {
        return Err(CoxError::NoConvergence);
    }
    // variance = inverse information, column by column
    let mut se = vec![0.0; p];
    for j in 0..p {
        let mut unit = vec![0.0; p];
        unit[j] = 1.0;
        let col = cholesky_solve(&info, &unit).ok_or(CoxError::Singular)?;
        se[j] = col[j].sqrt();
    }
    let z: Vec<f64> = beta.iter().zip(&se).map(|(b, s)| b / s).collect();
    let pv: Vec<f64> = z.iter().map(|z| normal_two_sided_p(*z)).collect();
    let risk: Vec<f64> = (0..n).map(|i| -(0..p).map(|j| covariates[i * p + j] * beta[j]).sum::<f64>()).collect();
    let concordance = concordance_index(durations, &risk, events).map_err(CoxError::Data)?;
    Ok(CoxFit { coef: beta, se, z, p: pv, log_likelihood: ll, log_likelihood_null: ll0, concordance, n: n as i64, events: n_events as i64 })
}

#[cfg(test)]
#[path = "cox_test.rs"]
mod tests;

//! L2-penalised logistic regression solved to the optimum (DESIGN §6):
//! minimise Σ logloss(yᵢ, b + w·xᵢ) + ‖w‖² / (2C), the intercept b not penalised — the objective
//! scikit-learn's LogisticRegression(C) minimises. Newton–Raphson with step halving on the
//! exact Hessian; converged when the Newton step is below 1e-10 relative (not stopped early).
//! `standardize` fits on z-scored features (population standard deviation) and returns the
//! coefficients for the raw features. Pure Rust.

#[derive(Debug, PartialEq)]
pub enum FitError {
    Empty,
    Shape { values: usize, rows: usize },
    NotFinite(usize, usize),
    OneClass,
    BadC(f64),
    Singular,
    NoConvergence,
}

impl std::fmt::Display for FitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FitError::Empty => write!(f, "no rows"),
            FitError::Shape { values, rows } => write!(f, "x has {values} values, which is not a multiple of the {rows} labels"),
            FitError::NotFinite(r, c) => write!(f, "x[{}][{}] is NaN or infinite", r + 1, c + 1),
            FitError::OneClass => write!(f, "y has a single class; a logistic model needs both"),
            FitError::BadC(c) => write!(f, "c must be positive (or 'Infinity' for no penalty), got {c}"),
            FitError::Singular => write!(f, "the Hessian is singular: features are constant or collinear (or the classes are separable) and c = Infinity leaves them unidentified"),
            FitError::NoConvergence => write!(f, "did not converge: the classes are (quasi-)separable without a penalty"),
        }
    }
}

pub struct Fit {
    pub intercept: f64,
    pub coef: Vec<f64>,
    pub iterations: usize,
}

fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// log(1 + exp(z)) without overflow
fn log1pexp(z: f64) -> f64 {
    if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}

/// `x` row-major, `rows` = y.len() rows.
pub fn fit(x: &[f64], y: &[bool], c: f64, standardize: bool) -> Result<Fit, FitError> {
    fit_with(x, y, c, standardize, &mut || {})
}

/// As `fit`, calling `tick` regularly (every 65 536 rows of each pass) so the SQL layer can honour
/// query cancellation and statement_timeout on long fits.
pub fn fit_with(x: &[f64], y: &[bool], c: f64, standardize: bool, tick: &mut dyn FnMut()) -> Result<Fit, FitError> {
    fit_weighted(x, y, None, c, standardize, tick)
}

/// As `fit_with`, each row's loss multiplied by its weight (scikit-learn's `sample_weight`;
/// `class_weight='balanced'` is n / (2 · n_class)). Weights must be positive and finite.
pub fn fit_weighted(x: &[f64], y: &[bool], weights: Option<&[f64]>, c: f64, standardize: bool, tick: &mut dyn FnMut()) -> Result<Fit, FitError> {
    let n = y.len();
    let ones: Vec<f64>;
    let sw: &[f64] = match weights {
        Some(w) => w,
        None => {
            ones = vec![1.0; n];
            &ones
        }
    };
    if sw.len() != n || sw.iter().any(|w| !(w.is_finite() && *w > 0.0)) {
        return Err(FitError::Shape { values: sw.len(), rows: n });
    }
    if n == 0 {
        return Err(FitError::Empty);
    }
    if x.len() % n != 0 {
        return Err(FitError::Shape { values: x.len(), rows: n });
    }
    if !(c > 0.0) || c.is_nan() {
        return Err(FitError::BadC(c));
    }
    let p = x.len() / n;
    if let Some(i) = x.iter().position(|v| !v.is_finite()) {
        return Err(FitError::NotFinite(i / p.max(1), i % p.max(1)));
    }
    if y.iter().all(|v| *v) || y.iter().all(|v| !*v) {
        return Err(FitError::OneClass);
    }
    let (mut mu, mut sd) = (vec![0.0; p], vec![1.0; p]);
    if standardize {
        for j in 0..p {
            let m = (0..n).map(|i| x[i * p + j]).sum::<f64>() / n as f64;
            let v = (0..n).map(|i| (x[i * p + j] - m).powi(2)).sum::<f64>() / n as f64;
            mu[j] = m;
            sd[j] = if v > 0.0 { v.sqrt() } else { 1.0 };
        }
    }
    // the design matrix the fit sees: the raw features, or their z-scores
    let standardized: Vec<f64>;
    let z: &[f64] = if standardize {
        standardized = (0..n * p).map(|q| (x[q] - mu[q % p]) / sd[q % p]).collect();
        &standardized
    } else {
        x
    };
    let lambda = if c.is_infinite() { 0.0 } else { 1.0 / c };
    let k = p + 1;
    // objective from the linear predictor eta = b + z·w
    let objective = |eta: &[f64], beta: &[f64]| -> f64 {
        let loss: f64 = eta.iter().zip(y).zip(sw).map(|((&e, &yi), &s)| s * (log1pexp(e) - if yi { e } else { 0.0 })).sum();
        loss + 0.5 * lambda * beta[1..].iter().map(|b| b * b).sum::<f64>()
    };
    let mut beta = vec![0.0; k];
    let mut eta = vec![0.0; n];
    let mut f_old = objective(&eta, &beta);
    let mut h = vec![0.0; k * k];
    for iteration in 1..=200 {
        // gradient and Hessian (lower triangle, row-major) of the penalised objective
        let mut g = vec![0.0; k];
        h.iter_mut().for_each(|v| *v = 0.0);
        for i in 0..n {
            if i & 0xFFFF == 0 {
                tick();
            }
            let mu_i = sigmoid(eta[i]);
            let r = sw[i] * (mu_i - if y[i] { 1.0 } else { 0.0 });
            let w = sw[i] * mu_i * (1.0 - mu_i);
            let zi = &z[i * p..(i + 1) * p];
            g[0] += r;
            h[0] += w;
            for a in 1..k {
                let za = zi[a - 1];
                g[a] += r * za;
                let wa = w * za;
                let row = &mut h[a * k..a * k + a + 1];
                row[0] += wa;
                for (b, hb) in row[1..].iter_mut().enumerate() {
                    *hb += wa * zi[b];
                }
            }
        }
        let mut hm = vec![vec![0.0; k]; k];
        for a in 0..k {
            for b in 0..=a {
                hm[a][b] = h[a * k + b];
                hm[b][a] = h[a * k + b];
            }
        }
        for j in 1..k {
            g[j] += lambda * beta[j];
            hm[j][j] += lambda;
        }
        let step = super::linalg::cholesky_solve(&hm, &g).ok_or(FitError::Singular)?;
        // the step's effect on eta, so the line search costs O(n) per trial
        let d: Vec<f64> = (0..n).map(|i| step[0] + z[i * p..(i + 1) * p].iter().zip(&step[1..]).map(|(a, b)| a * b).sum::<f64>()).collect();
        // step halving: never accept a step that increases the objective
        let mut t = 1.0;
        let (mut candidate, mut eta_c, mut f_new);
        loop {
            candidate = beta.iter().zip(&step).map(|(b, s)| b - t * s).collect::<Vec<f64>>();
            eta_c = eta.iter().zip(&d).map(|(e, di)| e - t * di).collect::<Vec<f64>>();
            f_new = objective(&eta_c, &candidate);
            if f_new <= f_old || t < 1e-10 {
                break;
            }
            t /= 2.0;
        }
        let scale = beta.iter().map(|b| b.abs()).fold(1.0f64, f64::max);
        let moved = step.iter().map(|s| (t * s).abs()).fold(0.0f64, f64::max);
        beta = candidate;
        eta = eta_c;
        f_old = f_new;
        if beta.iter().any(|b| !b.is_finite() || b.abs() > 1e8) {
            return Err(FitError::NoConvergence);
        }
        if moved <= 1e-10 * scale {
            let coef: Vec<f64> = (0..p).map(|j| beta[j + 1] / sd[j]).collect();
            let intercept = beta[0] - (0..p).map(|j| beta[j + 1] * mu[j] / sd[j]).sum::<f64>();
            return Ok(Fit { intercept, coef, iterations: iteration });
        }
    }
    Err(FitError::NoConvergence)
}

#[cfg(test)]
#[path = "logistic_test.rs"]
mod tests;

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
    let n = y.len();
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
    let z = |i: usize, j: usize| (x[i * p + j] - mu[j]) / sd[j];
    let lambda = if c.is_infinite() { 0.0 } else { 1.0 / c };
    let objective = |beta: &[f64]| -> f64 {
        let mut s = 0.0;
        for i in 0..n {
            let mut eta = beta[0];
            for j in 0..p {
                eta += beta[j + 1] * z(i, j);
            }
            s += log1pexp(eta) - if y[i] { eta } else { 0.0 };
        }
        s + 0.5 * lambda * beta[1..].iter().map(|b| b * b).sum::<f64>()
    };
    let k = p + 1;
    let mut beta = vec![0.0; k];
    let mut f_old = objective(&beta);
    for iteration in 1..=200 {
        // gradient and Hessian of the penalised objective
        let mut g = vec![0.0; k];
        let mut h = vec![vec![0.0; k]; k];
        let mut row = vec![1.0; k];
        for i in 0..n {
            for j in 0..p {
                row[j + 1] = z(i, j);
            }
            let eta: f64 = beta.iter().zip(&row).map(|(b, r)| b * r).sum();
            let mu_i = sigmoid(eta);
            let r = mu_i - if y[i] { 1.0 } else { 0.0 };
            let w = mu_i * (1.0 - mu_i);
            for a in 0..k {
                g[a] += r * row[a];
                for b in 0..=a {
                    h[a][b] += w * row[a] * row[b];
                }
            }
        }
        for a in 0..k {
            for b in 0..a {
                h[b][a] = h[a][b];
            }
        }
        for j in 1..k {
            g[j] += lambda * beta[j];
            h[j][j] += lambda;
        }
        let step = super::linalg::cholesky_solve(&h, &g).ok_or(FitError::Singular)?;
        // step halving: never accept a step that increases the objective
        let mut t = 1.0;
        let mut candidate: Vec<f64>;
        let mut f_new;
        loop {
            candidate = beta.iter().zip(&step).map(|(b, s)| b - t * s).collect();
            f_new = objective(&candidate);
            if f_new <= f_old || t < 1e-10 {
                break;
            }
            t /= 2.0;
        }
        let scale = beta.iter().map(|b| b.abs()).fold(1.0f64, f64::max);
        let moved = step.iter().map(|s| (t * s).abs()).fold(0.0f64, f64::max);
        beta = candidate;
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

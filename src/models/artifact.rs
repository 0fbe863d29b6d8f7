//! Trained models as stored in `ml.models.artifact` (JSON, `artifact_format = 'spine-json-v1'`)
//! and how each scores one feature vector. Pure Rust.

use super::forest::Forest;
use serde::{Deserialize, Serialize};

/// Per-feature fill values for NULLs at scoring time (the training means), when the model was
/// trained with `impute = mean`.
pub type Impute = Option<Vec<f64>>;

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Model {
    /// P(class 1) = σ(intercept + coef·x)
    Logistic { intercept: f64, coef: Vec<f64>, impute: Impute },
    /// P(class 1) = share of trees voting 1
    Forest { forest: Forest, impute: Impute },
    /// Cox PH with the Breslow baseline: predicted median time = first t with S(t|x) ≤ 0.5
    /// (infinity when the curve never gets there, as lifelines' predict_median)
    Cox { coef: Vec<f64>, means: Vec<f64>, times: Vec<f64>, cumulative_hazard: Vec<f64>, impute: Impute },
    /// WOE scorecard: each feature mapped to its bin's WOE, then a logistic model on the WOEs
    WoeScorecard { edges: Vec<Vec<f64>>, woe: Vec<Vec<f64>>, intercept: f64, coef: Vec<f64>, impute: Impute },
    /// Stacked classifier: a logistic model on other models' outputs (classifiers as logits,
    /// Cox models as log relative hazards, pinned by model_id) and raw features.
    Stack { inputs: Vec<StackInput>, raw: Vec<usize>, intercept: f64, coef: Vec<f64>, impute: Impute, n_features: usize },
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct StackInput {
    pub name: String,
    pub model_id: i64,
    /// positions of the input model's features in the stack's feature vector
    pub index: Vec<usize>,
}

/// Finds a model by id (the registry, through the scoring cache).
pub type Resolve<'a> = &'a dyn Fn(i64) -> Result<std::rc::Rc<Model>, String>;

fn logit(p: f64) -> f64 {
    let q = p.clamp(1e-6, 1.0 - 1e-6);
    (q / (1.0 - q)).ln()
}

pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// WOE of `x` for a feature's left-closed bins [lower, upper): bin k holds edges[k-1] <= x < edges[k].
pub fn woe_of(edges: &[f64], woe: &[f64], x: f64) -> f64 {
    let k = edges.partition_point(|e| *e <= x);
    woe.get(k).copied().unwrap_or(0.0)
}

impl Model {
    pub fn n_features(&self) -> usize {
        match self {
            Model::Logistic { coef, .. } | Model::Cox { coef, .. } | Model::WoeScorecard { coef, .. } => coef.len(),
            Model::Forest { forest, .. } => forest.n_features,
            Model::Stack { n_features, .. } => *n_features,
        }
    }

    pub fn impute(&self) -> &Impute {
        match self {
            Model::Logistic { impute, .. }
            | Model::Forest { impute, .. }
            | Model::Cox { impute, .. }
            | Model::WoeScorecard { impute, .. }
            | Model::Stack { impute, .. } => impute,
        }
    }

    /// The value a stack takes from this model: a classifier's logit, a Cox model's log
    /// relative hazard.
    pub fn stack_value(&self, x: &[f64], resolve: Resolve<'_>) -> Result<f64, String> {
        match self {
            Model::Cox { coef, means, .. } => Ok(coef.iter().zip(x).zip(means).map(|((c, v), m)| c * (v - m)).sum()),
            other => other.predict_with(x, resolve).map(logit),
        }
    }

    /// The stack's design row: its inputs' values then its raw features.
    pub fn stack_row(inputs: &[StackInput], raw: &[usize], x: &[f64], resolve: Resolve<'_>) -> Result<Vec<f64>, String> {
        let mut row = Vec::with_capacity(inputs.len() + raw.len());
        for i in inputs {
            let m = resolve(i.model_id)?;
            let sub: Vec<f64> = i.index.iter().map(|&j| x[j]).collect();
            row.push(m.stack_value(&sub, resolve)?);
        }
        row.extend(raw.iter().map(|&j| x[j]));
        Ok(row)
    }

    /// As `predict`, resolving the models a stack is built on.
    pub fn predict_with(&self, x: &[f64], resolve: Resolve<'_>) -> Result<f64, String> {
        match self {
            Model::Stack { inputs, raw, intercept, coef, .. } => {
                let row = Model::stack_row(inputs, raw, x, resolve)?;
                Ok(sigmoid(intercept + row.iter().zip(coef).map(|(v, c)| c * v).sum::<f64>()))
            }
            other => other.predict(x),
        }
    }

    /// The model's value for one complete feature vector (length checked by the caller).
    pub fn predict(&self, x: &[f64]) -> Result<f64, String> {
        match self {
            Model::Stack { .. } => Err("a stacked model needs its input models: use predict_with".into()),
            Model::Logistic { intercept, coef, .. } => Ok(sigmoid(intercept + coef.iter().zip(x).map(|(c, v)| c * v).sum::<f64>())),
            Model::Forest { forest, .. } => forest.predict_one(x).map_err(|e| e.to_string()),
            Model::Cox { coef, means, times, cumulative_hazard, .. } => {
                let lp: f64 = coef.iter().zip(x).zip(means).map(|((c, v), m)| c * (v - m)).sum();
                let risk = lp.exp();
                Ok(times.iter().zip(cumulative_hazard).find(|(_, h)| (-(*h * risk)).exp() <= 0.5).map(|(t, _)| *t).unwrap_or(f64::INFINITY))
            }
            Model::WoeScorecard { edges, woe, intercept, coef, .. } => {
                let z: f64 = (0..coef.len()).map(|j| coef[j] * woe_of(&edges[j], &woe[j], x[j])).sum();
                Ok(sigmoid(intercept + z))
            }
        }
    }
}

/// Breslow's baseline cumulative hazard at the distinct event times, covariates centred at
/// `means` (lifelines' baseline_cumulative_hazard_).
pub fn breslow(durations: &[f64], events: &[bool], x: &[f64], coef: &[f64], means: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let p = coef.len();
    let n = durations.len();
    let risk: Vec<f64> = (0..n).map(|i| (0..p).map(|j| coef[j] * (x[i * p + j] - means[j])).sum::<f64>().exp()).collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| durations[b].total_cmp(&durations[a]));
    // walk from the longest duration down, accumulating the risk set
    let mut steps: Vec<(f64, f64)> = Vec::new();
    let mut at_risk = 0.0;
    let mut k = 0;
    while k < n {
        let t = durations[order[k]];
        let mut deaths = 0.0;
        while k < n && durations[order[k]] == t {
            at_risk += risk[order[k]];
            if events[order[k]] {
                deaths += 1.0;
            }
            k += 1;
        }
        steps.push((t, deaths / at_risk));
    }
    steps.reverse();
    let mut cum = 0.0;
    let (mut times, mut hazard) = (Vec::new(), Vec::new());
    for (t, h) in steps {
        cum += h;
        times.push(t);
        hazard.push(cum);
    }
    (times, hazard)
}

#[cfg(test)]
#[path = "artifact_test.rs"]
mod tests;

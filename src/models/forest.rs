//! Random forest classifier: bagged smartcore decision trees (CART, Gini), each grown on a
//! bootstrap sample and a random subset of the features (random subspaces, `max_features`).
//! smartcore 0.7's own forest has no probabilities, and its per-split feature sampling is not public, hence the subspace per tree. smartcore's trees predict their
//! leaf's majority class, so P(class 1) is the share of trees voting 1 (hard voting; scikit-learn
//! averages leaf class fractions instead). Seeded: the same data, params and seed give the same
//! forest. Pure Rust.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::tree::decision_tree_classifier::{DecisionTreeClassifier, DecisionTreeClassifierParameters};

type Tree = DecisionTreeClassifier<f64, u32, DenseMatrix<f64>, Vec<u32>>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForestParams {
    pub n_trees: usize,
    pub max_depth: u16,
    pub min_samples_leaf: usize,
    /// Share of the features each tree sees (at least one).
    pub max_features: f64,
    pub seed: u64,
}

impl Default for ForestParams {
    fn default() -> Self {
        ForestParams { n_trees: 100, max_depth: 12, min_samples_leaf: 5, max_features: 0.6, seed: 42 }
    }
}

#[derive(Serialize, Deserialize)]
pub struct Member {
    features: Vec<usize>,
    tree: Tree,
}

#[derive(Serialize, Deserialize)]
pub struct Forest {
    pub n_features: usize,
    pub params: ForestParams,
    members: Vec<Member>,
}

#[derive(Debug, PartialEq)]
pub enum ForestError {
    Empty,
    OneClass,
    Params(String),
    Fit(String),
}

impl std::fmt::Display for ForestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ForestError::Empty => write!(f, "no rows"),
            ForestError::OneClass => write!(f, "the target has a single class; a classifier needs both"),
            ForestError::Params(m) => write!(f, "{m}"),
            ForestError::Fit(m) => write!(f, "smartcore: {m}"),
        }
    }
}

/// `x` row-major with `p` columns.
pub fn fit(x: &[f64], p: usize, y: &[bool], params: &ForestParams, tick: &mut dyn FnMut()) -> Result<Forest, ForestError> {
    let n = y.len();
    if n == 0 || p == 0 {
        return Err(ForestError::Empty);
    }
    if y.iter().all(|v| *v) || y.iter().all(|v| !*v) {
        return Err(ForestError::OneClass);
    }
    if !(1..=1000).contains(&params.n_trees) || !(params.max_features > 0.0 && params.max_features <= 1.0) || params.max_depth == 0 || params.min_samples_leaf == 0 {
        return Err(ForestError::Params(format!(
            "n_trees must be 1..1000, max_features in (0, 1], max_depth and min_samples_leaf >= 1; got {params:?}"
        )));
    }
    let k = ((p as f64 * params.max_features).round() as usize).clamp(1, p);
    let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
    let mut members = Vec::with_capacity(params.n_trees);
    for t in 0..params.n_trees {
        tick();
        let mut features: Vec<usize> = (0..p).collect();
        features.shuffle(&mut rng);
        features.truncate(k);
        features.sort_unstable();
        let rows: Vec<usize> = (0..n).map(|_| rng.gen_range(0..n)).collect();
        let data: Vec<Vec<f64>> = rows.iter().map(|&i| features.iter().map(|&j| x[i * p + j]).collect()).collect();
        let labels: Vec<u32> = rows.iter().map(|&i| u32::from(y[i])).collect();
        let m = DenseMatrix::from_2d_vec(&data).map_err(|e| ForestError::Fit(e.to_string()))?;
        let mut tp = DecisionTreeClassifierParameters::default().with_max_depth(params.max_depth).with_min_samples_leaf(params.min_samples_leaf);
        tp.seed = Some(params.seed.wrapping_add(t as u64));
        let tree = Tree::fit(&m, &labels, tp).map_err(|e| ForestError::Fit(e.to_string()))?;
        members.push(Member { features, tree });
    }
    Ok(Forest { n_features: p, params: params.clone(), members })
}

impl Forest {
    /// P(class 1) (the share of trees voting 1) for one row of `n_features` values.
    pub fn predict_one(&self, row: &[f64]) -> Result<f64, ForestError> {
        let mut sum = 0.0;
        for m in &self.members {
            let sub: Vec<f64> = m.features.iter().map(|&j| row[j]).collect();
            let x = DenseMatrix::from_2d_vec(&vec![sub]).map_err(|e| ForestError::Fit(e.to_string()))?;
            let vote = m.tree.predict(&x).map_err(|e| ForestError::Fit(e.to_string()))?;
            if vote.first() == Some(&1) {
                sum += 1.0;
            }
        }
        Ok(sum / self.members.len() as f64)
    }
}

#[cfg(test)]
#[path = "forest_test.rs"]
mod tests;

//! Holdout metrics of binary classifiers (scikit-learn's definitions): ROC AUC (ties count ½),
//! accuracy at a threshold, Brier score, log loss (probabilities clipped to [1e-15, 1 − 1e-15]),
//! calibration by deciles of the prediction, and the precision-targeted threshold used by the
//! slow21 gate. Pure Rust.

use serde::Serialize;

/// ROC AUC = P(score of a random positive > score of a random negative), ties ½.
pub fn auc(y: &[bool], p: &[f64]) -> Option<f64> {
    let mut idx: Vec<usize> = (0..y.len()).collect();
    idx.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let (n1, n0) = (y.iter().filter(|v| **v).count() as f64, y.iter().filter(|v| !**v).count() as f64);
    if n1 == 0.0 || n0 == 0.0 {
        return None;
    }
    // rank sum of the positives with average ranks for ties
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && p[idx[j + 1]] == p[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += idx[i..=j].iter().filter(|&&k| y[k]).count() as f64 * avg;
        i = j + 1;
    }
    Some((rank_sum - n1 * (n1 + 1.0) / 2.0) / (n1 * n0))
}

pub fn accuracy(y: &[bool], p: &[f64], threshold: f64) -> f64 {
    y.iter().zip(p).filter(|(yi, pi)| (**pi >= threshold) == **yi).count() as f64 / y.len().max(1) as f64
}

pub fn brier(y: &[bool], p: &[f64]) -> f64 {
    y.iter().zip(p).map(|(yi, pi)| (pi - f64::from(u8::from(*yi))).powi(2)).sum::<f64>() / y.len().max(1) as f64
}

pub fn log_loss(y: &[bool], p: &[f64]) -> f64 {
    let eps = 1e-15;
    y.iter()
        .zip(p)
        .map(|(yi, pi)| {
            let q = pi.clamp(eps, 1.0 - eps);
            if *yi {
                -q.ln()
            } else {
                -(1.0 - q).ln()
            }
        })
        .sum::<f64>()
        / y.len().max(1) as f64
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalibrationBin {
    pub n: usize,
    pub mean_predicted: f64,
    pub observed_rate: f64,
}

/// Ten bins of equal count by predicted probability (fewer when there are fewer rows).
pub fn calibration(y: &[bool], p: &[f64]) -> Vec<CalibrationBin> {
    let mut idx: Vec<usize> = (0..y.len()).collect();
    idx.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let bins = 10.min(idx.len());
    (0..bins)
        .map(|b| {
            let part = &idx[b * idx.len() / bins..(b + 1) * idx.len() / bins];
            let n = part.len();
            CalibrationBin {
                n,
                mean_predicted: part.iter().map(|&i| p[i]).sum::<f64>() / n as f64,
                observed_rate: part.iter().filter(|&&i| y[i]).count() as f64 / n as f64,
            }
        })
        .collect()
}

/// The lowest threshold whose precision (TP / predicted positives) reaches `target`, with its
/// precision and recall; None when no threshold reaches it.
pub fn threshold_for_precision(y: &[bool], p: &[f64], target: f64) -> Option<(f64, f64, f64)> {
    let mut idx: Vec<usize> = (0..y.len()).collect();
    idx.sort_by(|&a, &b| p[b].total_cmp(&p[a]));
    let positives = y.iter().filter(|v| **v).count() as f64;
    let (mut tp, mut k) = (0.0, 0usize);
    let mut best = None;
    while k < idx.len() {
        // take every row tied at this score together
        let t = p[idx[k]];
        while k < idx.len() && p[idx[k]] == t {
            if y[idx[k]] {
                tp += 1.0;
            }
            k += 1;
        }
        let precision = tp / k as f64;
        if precision >= target {
            best = Some((t, precision, if positives > 0.0 { tp / positives } else { 0.0 }));
        }
    }
    best
}

/// The threshold with the highest precision among those whose recall is at least `min_recall`:
/// (threshold, precision, recall).
pub fn best_precision_threshold(y: &[bool], p: &[f64], min_recall: f64) -> Option<(f64, f64, f64)> {
    let mut idx: Vec<usize> = (0..y.len()).collect();
    idx.sort_by(|&a, &b| p[b].total_cmp(&p[a]));
    let positives = y.iter().filter(|v| **v).count() as f64;
    if positives == 0.0 {
        return None;
    }
    let (mut tp, mut k) = (0.0, 0usize);
    let mut best: Option<(f64, f64, f64)> = None;
    while k < idx.len() {
        let t = p[idx[k]];
        while k < idx.len() && p[idx[k]] == t {
            if y[idx[k]] {
                tp += 1.0;
            }
            k += 1;
        }
        let (precision, recall) = (tp / k as f64, tp / positives);
        if recall >= min_recall && best.is_none_or(|b| precision > b.1) {
            best = Some((t, precision, recall));
        }
    }
    best
}

#[cfg(test)]
#[path = "metrics_test.rs"]
mod tests;

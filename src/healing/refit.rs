//! Battery refit (the seed's `battery_refit_llm_v2`, without an LLM) and make/model spelling
//! keys. Pure Rust.
//!
//! Capacity: the capacities descriptions state, per model-year (make, model, year) and per model.
//! A stated value more than 35 % away from its model-year median (at least 3 stated values) is
//! implausible and replaced by that median; a missing one is filled with the model-year median
//! (at least 2 values) or else the model median (at least 2). State of health: ordinary least
//! squares SoH ~ 1 + age (years) + mileage (10 000 km) over the stated values (at least 10),
//! predictions clipped to 50..100. Every value carries its source and a confidence in [0, 1].

use std::collections::HashMap;

pub const IMPLAUSIBLE: f64 = 0.35;

#[derive(Debug, Clone)]
pub struct EvRow {
    pub model_year: String,
    pub model: String,
    pub age_years: f64,
    pub mileage_km: Option<f64>,
    pub stated_capacity: Option<f64>,
    pub stated_soh: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Refit {
    pub capacity: Option<f64>,
    pub capacity_source: &'static str,
    pub capacity_confidence: Option<f64>,
    pub soh: Option<f64>,
    pub soh_source: &'static str,
    pub soh_confidence: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SohModel {
    pub intercept: f64,
    pub per_year: f64,
    pub per_10k_km: f64,
    pub n: usize,
    pub rmse: f64,
}

pub fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 })
}

fn medians(rows: &[EvRow], key: impl Fn(&EvRow) -> &str) -> HashMap<String, (f64, usize)> {
    let mut groups: HashMap<String, Vec<f64>> = HashMap::new();
    for r in rows {
        if let Some(c) = r.stated_capacity {
            groups.entry(key(r).to_string()).or_default().push(c);
        }
    }
    groups.into_iter().filter_map(|(k, mut v)| Some((k, (median(&mut v)?, v.len())))).collect()
}

/// Fits SoH on age and mileage; None with fewer than 10 stated values or a singular design.
pub fn fit_soh(rows: &[EvRow]) -> Option<SohModel> {
    let data: Vec<(f64, f64, f64)> = rows.iter().filter_map(|r| Some((r.age_years, r.mileage_km? / 10_000.0, r.stated_soh?))).collect();
    if data.len() < 10 {
        return None;
    }
    let mut xtx = vec![vec![0.0; 3]; 3];
    let mut xty = vec![0.0; 3];
    for &(a, m, y) in &data {
        let x = [1.0, a, m];
        for i in 0..3 {
            xty[i] += x[i] * y;
            for j in 0..3 {
                xtx[i][j] += x[i] * x[j];
            }
        }
    }
    let b = crate::models::linalg::cholesky_solve(&xtx, &xty)?;
    let sse: f64 = data.iter().map(|&(a, m, y)| (y - (b[0] + b[1] * a + b[2] * m)).powi(2)).sum();
    Some(SohModel { intercept: b[0], per_year: b[1], per_10k_km: b[2], n: data.len(), rmse: (sse / data.len() as f64).sqrt() })
}

pub fn refit(rows: &[EvRow]) -> (Vec<Refit>, Option<SohModel>) {
    let by_my = medians(rows, |r| &r.model_year);
    let by_m = medians(rows, |r| &r.model);
    let soh_model = fit_soh(rows);
    let out = rows
        .iter()
        .map(|r| {
            let my = by_my.get(&r.model_year).copied();
            let m = by_m.get(&r.model).copied();
            let support = |n: usize, scale: f64| Some(scale * n as f64 / (n as f64 + 2.0));
            let (capacity, capacity_source, capacity_confidence) = match (r.stated_capacity, my, m) {
                (Some(c), Some((med, n)), _) if n >= 3 && (c / med - 1.0).abs() > IMPLAUSIBLE => (Some(med), "model_year_median", support(n, 0.9)),
                (Some(c), _, _) => (Some(c), "stated", Some(1.0)),
                (None, Some((med, n)), _) if n >= 2 => (Some(med), "model_year_median", support(n, 0.8)),
                (None, _, Some((med, n))) if n >= 2 => (Some(med), "model_median", support(n, 0.6)),
                _ => (None, "none", None),
            };
            let (soh, soh_source, soh_confidence) = match (r.stated_soh, &soh_model, r.mileage_km) {
                (Some(s), _, _) => (Some(s), "stated", Some(1.0)),
                (None, Some(sm), Some(km)) => (
                    Some((sm.intercept + sm.per_year * r.age_years + sm.per_10k_km * km / 10_000.0).clamp(50.0, 100.0)),
                    "age_mileage_regression",
                    Some((1.0 - sm.rmse / 15.0).clamp(0.1, 0.9)),
                ),
                _ => (None, "none", None),
            };
            Refit { capacity, capacity_source, capacity_confidence, soh, soh_source, soh_confidence }
        })
        .collect();
    (out, soh_model)
}

/// A spelling key: lower case, accents folded, only letters and digits.
pub fn spelling_key(s: &str) -> String {
    s.chars()
        .flat_map(|c| c.to_lowercase())
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' | 'ą' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'ę' | 'ě' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'ø' | 'ő' => 'o',
            'ú' | 'ù' | 'û' | 'ü' | 'ů' | 'ű' => 'u',
            'ç' | 'č' | 'ć' => 'c',
            'ñ' | 'ń' | 'ň' => 'n',
            'š' | 'ś' => 's',
            'ž' | 'ź' | 'ż' => 'z',
            'ř' => 'r',
            'ł' => 'l',
            'ý' | 'ÿ' => 'y',
            'ď' => 'd',
            'ť' => 't',
            other => other,
        })
        .filter(|c| c.is_alphanumeric())
        .collect()
}

#[cfg(test)]
#[path = "refit_test.rs"]
mod tests;

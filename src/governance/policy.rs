//! Store policies (DESIGN §4): the JSON an admin passes to `audit.register_store`, validated and
//! completed with documented defaults. Pure Rust: no PostgreSQL here. A key set to JSON `null`
//! switches that check off; an unknown key is refused (a typo must not silently disable a check).

use serde_json::{Map, Value};

/// Defaults, as documented in the README's policy table.
pub const DEFAULT_MAX_STALENESS: &str = "3 days";
pub const DEFAULT_MAX_AGE: &str = "30 days";
pub const DEFAULT_PSI_WARN: f64 = 0.1;
pub const DEFAULT_PSI_BLOCK: f64 = 0.25;
pub const DEFAULT_KS_ALPHA: f64 = 0.05;
pub const DEFAULT_MAX_NULL_RATE_CHANGE: f64 = 0.1;
pub const DEFAULT_MAX_ROW_COUNT_CHANGE: f64 = 0.5;
pub const DEFAULT_PROFILE_SAMPLE: i64 = 10_000;
pub const DEFAULT_PROBE_SAMPLE: i64 = 25;

#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Freshness: the newest T0 (or watermark) must be at most this old (interval text).
    pub max_staleness: Option<String>,
    /// Lifetime of a certification (interval text).
    pub max_age: Option<String>,
    /// The data must not change at all: strict guards compare the exact dataset hash.
    pub frozen: bool,
    pub psi_warn: Option<f64>,
    pub psi_block: Option<f64>,
    pub ks_alpha: Option<f64>,
    /// KS below `ks_alpha` blocks instead of warning.
    pub ks_block: bool,
    pub max_null_rate_change: Option<f64>,
    pub max_row_count_change: Option<f64>,
    /// `schema.table.column` whose maximum is the store's freshness watermark (default: the
    /// store's own T0 column).
    pub watermark: Option<String>,
    /// Run the leakage probe at certification (needs a key that names marketplace listings).
    pub leakage_probe: bool,
    pub probe_sample: i64,
    pub profile_sample: i64,
    /// Stores that must themselves be certified (e.g. the fusion store's components).
    pub components: Vec<String>,
    /// Invariants: columns that must never be NULL / never negative.
    pub not_null: Vec<String>,
    pub nonnegative: Vec<String>,
}

pub const KEYS: &[&str] = &[
    "max_staleness",
    "max_age",
    "frozen",
    "psi_warn",
    "psi_block",
    "ks_alpha",
    "ks_block",
    "max_null_rate_change",
    "max_row_count_change",
    "watermark",
    "leakage_probe",
    "probe_sample",
    "profile_sample",
    "components",
    "not_null",
    "nonnegative",
];

#[derive(Debug, PartialEq)]
pub struct PolicyError(pub String);

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn err<T>(msg: String) -> Result<T, PolicyError> {
    Err(PolicyError(msg))
}

/// `Some(default)` when absent, `None` when JSON null, else the value checked by `f`.
fn opt<T>(m: &Map<String, Value>, key: &str, default: Option<T>, f: impl Fn(&Value) -> Option<T>, expected: &str) -> Result<Option<T>, PolicyError> {
    match m.get(key) {
        None => Ok(default),
        Some(Value::Null) => Ok(None),
        Some(v) => match f(v) {
            Some(x) => Ok(Some(x)),
            None => err(format!("policy key \"{key}\" must be {expected}, got {v}")),
        },
    }
}

fn ratio(v: &Value) -> Option<f64> {
    v.as_f64().filter(|x| x.is_finite() && *x >= 0.0)
}

fn probability(v: &Value) -> Option<f64> {
    v.as_f64().filter(|x| *x > 0.0 && *x < 1.0)
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

fn bool_key(m: &Map<String, Value>, key: &str, default: bool) -> Result<bool, PolicyError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(v) => err(format!("policy key \"{key}\" must be true or false, got {v}")),
    }
}

fn list(m: &Map<String, Value>, key: &str) -> Result<Vec<String>, PolicyError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| text(v).ok_or_else(|| PolicyError(format!("policy key \"{key}\" must be an array of non-empty strings, got {v}"))))
            .collect(),
        Some(v) => err(format!("policy key \"{key}\" must be an array of strings, got {v}")),
    }
}

fn count(m: &Map<String, Value>, key: &str, default: i64, max: i64) -> Result<i64, PolicyError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => match v.as_i64() {
            Some(n) if (1..=max).contains(&n) => Ok(n),
            _ => err(format!("policy key \"{key}\" must be an integer between 1 and {max}, got {v}")),
        },
    }
}

impl Policy {
    pub fn parse(v: &Value) -> Result<Policy, PolicyError> {
        let Some(m) = v.as_object() else {
            return err(format!("the policy must be a JSON object, got {v}"));
        };
        if let Some(k) = m.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return err(format!("unknown policy key \"{k}\" (known keys: {})", KEYS.join(", ")));
        }
        let p = Policy {
            max_staleness: opt(m, "max_staleness", Some(DEFAULT_MAX_STALENESS.to_string()), text, "an interval such as \"3 days\"")?,
            max_age: opt(m, "max_age", Some(DEFAULT_MAX_AGE.to_string()), text, "an interval such as \"30 days\"")?,
            frozen: bool_key(m, "frozen", false)?,
            psi_warn: opt(m, "psi_warn", Some(DEFAULT_PSI_WARN), ratio, "a number >= 0")?,
            psi_block: opt(m, "psi_block", Some(DEFAULT_PSI_BLOCK), ratio, "a number >= 0")?,
            ks_alpha: opt(m, "ks_alpha", Some(DEFAULT_KS_ALPHA), probability, "a probability strictly between 0 and 1")?,
            ks_block: bool_key(m, "ks_block", false)?,
            max_null_rate_change: opt(m, "max_null_rate_change", Some(DEFAULT_MAX_NULL_RATE_CHANGE), ratio, "a number >= 0")?,
            max_row_count_change: opt(m, "max_row_count_change", Some(DEFAULT_MAX_ROW_COUNT_CHANGE), ratio, "a number >= 0")?,
            watermark: opt(m, "watermark", None, text, "\"schema.table.column\"")?,
            leakage_probe: bool_key(m, "leakage_probe", true)?,
            probe_sample: count(m, "probe_sample", DEFAULT_PROBE_SAMPLE, 1000)?,
            profile_sample: count(m, "profile_sample", DEFAULT_PROFILE_SAMPLE, 100_000)?,
            components: list(m, "components")?,
            not_null: list(m, "not_null")?,
            nonnegative: list(m, "nonnegative")?,
        };
        if let (Some(w), Some(b)) = (p.psi_warn, p.psi_block) {
            if w > b {
                return err(format!("psi_warn ({w}) must not exceed psi_block ({b})"));
            }
        }
        if p.ks_block && p.ks_alpha.is_none() {
            return err("ks_block needs ks_alpha".to_string());
        }
        if let Some(w) = &p.watermark {
            if split_watermark(w).is_none() {
                return err(format!("policy key \"watermark\" must be \"schema.table.column\", got \"{w}\""));
            }
        }
        Ok(p)
    }

    /// Checks the fast guard runs besides the definition closure: at least one of freshness and
    /// lifetime must be on, else a certification would never need renewing.
    pub fn fast_checks(&self) -> usize {
        usize::from(self.max_staleness.is_some()) + usize::from(self.max_age.is_some())
    }

    /// Data checks of the strict guard; zero means a strict guard would check nothing.
    pub fn data_checks(&self) -> usize {
        [self.psi_block.is_some() || self.psi_warn.is_some(), self.ks_alpha.is_some(), self.max_null_rate_change.is_some(), self.max_row_count_change.is_some(), self.frozen]
            .iter()
            .filter(|b| **b)
            .count()
    }

    /// The effective policy, defaults filled in, as JSON (stored with each certification).
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "max_staleness": self.max_staleness, "max_age": self.max_age, "frozen": self.frozen,
            "psi_warn": self.psi_warn, "psi_block": self.psi_block, "ks_alpha": self.ks_alpha, "ks_block": self.ks_block,
            "max_null_rate_change": self.max_null_rate_change, "max_row_count_change": self.max_row_count_change,
            "watermark": self.watermark, "leakage_probe": self.leakage_probe, "probe_sample": self.probe_sample,
            "profile_sample": self.profile_sample, "components": self.components, "not_null": self.not_null,
            "nonnegative": self.nonnegative,
        })
    }
}

/// `schema.table.column` → its three parts (simple identifiers or double-quoted ones).
pub fn split_watermark(s: &str) -> Option<(String, String, String)> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', false) if cur.is_empty() => quoted = true,
            ('"', true) => {
                if chars.peek() == Some(&'"') {
                    cur.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            }
            ('.', false) => parts.push(std::mem::take(&mut cur)),
            (c, true) => cur.push(c),
            (c, false) if c.is_alphanumeric() || c == '_' || c == '$' => cur.push(c.to_ascii_lowercase()),
            _ => return None,
        }
    }
    if quoted {
        return None;
    }
    parts.push(cur);
    match parts.as_slice() {
        [a, b, c] if !a.is_empty() && !b.is_empty() && !c.is_empty() => Some((a.clone(), b.clone(), c.clone())),
        _ => None,
    }
}

#[cfg(test)]
#[path = "policy_test.rs"]
mod tests;

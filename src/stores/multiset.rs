//! The median of a multiset that grows and shrinks: values are added with a positive
//! multiplicity and removed with a negative one. The feature stores sweep through time in one
//! ordered pass (a listing enters its market at t0 and leaves it when it ends), so the median of
//! the comparables active at each instant is this multiset's median after every change.
//!
//! Two ordered halves (`low` ≤ `high`, `low` holding the extra element of an odd count) keep
//! insert, remove and median at O(log n). The median is `percentile_cont(0.5)`'s value exactly:
//! the middle value, or `lo + (hi − lo) · 0.5` for an even count. Pure Rust.

use std::collections::BTreeMap;

#[derive(Debug, PartialEq)]
pub enum MultisetError {
    NotFinite(f64),
    /// (value, copies asked to remove, copies present)
    Missing(f64, u64, u64),
}

impl std::fmt::Display for MultisetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MultisetError::NotFinite(v) => write!(f, "value {v} is not finite"),
            MultisetError::Missing(v, asked, present) => {
                write!(f, "cannot remove {asked} cop{} of {v}: the multiset holds {present}", if *asked == 1 { "y" } else { "ies" })
            }
        }
    }
}

/// f64 → u64 with the same order (finite values only; −0 is folded into +0 by the caller).
fn key(v: f64) -> u64 {
    let b = v.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | (1 << 63)
    }
}

fn value(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

#[derive(Debug, Default, Clone)]
pub struct MedianMultiset {
    low: BTreeMap<u64, u64>,
    high: BTreeMap<u64, u64>,
    n_low: u64,
    n_high: u64,
}

fn take(map: &mut BTreeMap<u64, u64>, k: u64, n: u64) {
    if let Some(c) = map.get_mut(&k) {
        if *c > n {
            *c -= n;
        } else {
            map.remove(&k);
        }
    }
}

impl MedianMultiset {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> u64 {
        self.n_low + self.n_high
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds `copies` of `v` (copies > 0) or removes `-copies` of them (copies < 0).
    pub fn apply(&mut self, v: f64, copies: i64) -> Result<(), MultisetError> {
        if !v.is_finite() {
            return Err(MultisetError::NotFinite(v));
        }
        let k = key(if v == 0.0 { 0.0 } else { v });
        match copies {
            0 => Ok(()),
            c if c > 0 => {
                self.add(k, c as u64);
                Ok(())
            }
            c => self.remove(k, c.unsigned_abs()),
        }
    }

    fn add(&mut self, k: u64, n: u64) {
        let to_low = match self.low.last_key_value() {
            None => true,
            Some((&max_low, _)) => k <= max_low,
        };
        if to_low {
            *self.low.entry(k).or_insert(0) += n;
            self.n_low += n;
        } else {
            *self.high.entry(k).or_insert(0) += n;
            self.n_high += n;
        }
        self.rebalance();
    }

    fn remove(&mut self, k: u64, n: u64) -> Result<(), MultisetError> {
        let in_low = self.low.get(&k).copied().unwrap_or(0);
        let in_high = self.high.get(&k).copied().unwrap_or(0);
        if in_low + in_high < n {
            return Err(MultisetError::Missing(value(k), n, in_low + in_high));
        }
        let from_low = in_low.min(n);
        take(&mut self.low, k, from_low);
        self.n_low -= from_low;
        take(&mut self.high, k, n - from_low);
        self.n_high -= n - from_low;
        self.rebalance();
        Ok(())
    }

    /// Restores n_low = ceil(n / 2), moving the largest of `low` up or the smallest of `high`
    /// down (several copies of one value at a time).
    fn rebalance(&mut self) {
        let target = self.len().div_ceil(2);
        while self.n_low > target {
            let Some((&k, &c)) = self.low.last_key_value() else { break };
            let m = c.min(self.n_low - target);
            take(&mut self.low, k, m);
            self.n_low -= m;
            *self.high.entry(k).or_insert(0) += m;
            self.n_high += m;
        }
        while self.n_low < target {
            let Some((&k, &c)) = self.high.first_key_value() else { break };
            let m = c.min(target - self.n_low);
            take(&mut self.high, k, m);
            self.n_high -= m;
            *self.low.entry(k).or_insert(0) += m;
            self.n_low += m;
        }
    }

    /// The median (`percentile_cont(0.5)`), None when empty.
    pub fn median(&self) -> Option<f64> {
        let lo = value(*self.low.last_key_value()?.0);
        if self.len() % 2 == 1 {
            return Some(lo);
        }
        let hi = value(*self.high.first_key_value()?.0);
        Some(lo + (hi - lo) * 0.5)
    }
}

#[cfg(test)]
#[path = "multiset_test.rs"]
mod tests;

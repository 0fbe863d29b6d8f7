//! Which step errors are retried inside a run, and how long to wait between attempts.

/// Transient SQLSTATEs: the same work can succeed when tried again.
pub const TRANSIENT: [(&str, &str); 3] = [("40001", "serialization_failure"), ("40P01", "deadlock_detected"), ("55P03", "lock_not_available")];

/// Retry decision for a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// Wait this many milliseconds, then try again.
    RetryAfterMs(u64),
    /// Record the failure.
    Fail,
}

pub fn is_transient(sqlstate: &str) -> bool {
    TRANSIENT.iter().any(|(c, _)| *c == sqlstate)
}

/// After attempt `attempt` (1-based) failed with `sqlstate`: retry while attempts remain and the
/// error is transient. In a transaction whose snapshot is fixed (REPEATABLE READ, SERIALIZABLE)
/// a serialization failure repeats on every try, so it is not retried there.
///
/// Backoff: exponential from `base_ms` (base, 2·base, 4·base, … capped at `cap_ms`), each wait
/// spread by a deterministic jitter in [½, 1] of itself drawn from `seed` (the run id), so that
/// two runs that collided do not retry in lockstep.
pub fn decide(sqlstate: &str, attempt: u32, max_attempts: u32, fixed_snapshot: bool, base_ms: u64, cap_ms: u64, seed: u64) -> Decision {
    if attempt >= max_attempts || !is_transient(sqlstate) || (fixed_snapshot && sqlstate == "40001") {
        return Decision::Fail;
    }
    let exp = base_ms.saturating_mul(1u64 << (attempt - 1).min(20)).min(cap_ms);
    let jitter = splitmix(seed ^ u64::from(attempt)) % 1001; // 0..=1000 per mille
    Decision::RetryAfterMs(exp / 2 + exp * jitter / 2000)
}

/// SplitMix64 (Steele, Lea, Flood 2014): a well-mixed 64-bit hash of `x`.
fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
#[path = "retry_test.rs"]
mod tests;

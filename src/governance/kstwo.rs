//! Survival function of the two-sided one-sample Kolmogorov–Smirnov statistic D_n, as scipy
//! 1.17.1 computes it (`scipy.stats.kstwo.sf` = `scipy.stats._ksstats._kolmogn(n, x, cdf=False)`,
//! Simard & L'Ecuyer's selection of methods), and the one-sided Smirnov survival function
//! `scipy.special.smirnov(n, x)` it calls (xsf/cephes `kolmogorov.h`, double-double arithmetic).
//! `ks_2samp`'s asymptotic branch is `kstwo.sf(d, round(n1·n2/(n1+n2)))`.
//!
//! The port replays scipy's arithmetic step by step, including what numpy does underneath:
//! * the Durbin matrix power (`np.matmul`, OpenBLAS dgemm) accumulates each entry as one
//!   sequential fused multiply-add chain, which is what OpenBLAS's kernels do for matrices up
//!   to 64×64 (larger ones, only reached for n > ~17 500 and p > 0.9, can differ in the last bit);
//! * Pomeranz's convolutions (`np.convolve`) use numpy's correlate: a direct sum for kernels of
//!   at most 11 taps and OpenBLAS's `ddot` (SkylakeX kernel: 4×4-lane FMA accumulators per 16
//!   elements, then an FMA tail) otherwise;
//! * scipy rescales by the `np.longdouble` constant 2^±128, which silently turns the running
//!   product into an x87 80-bit value; [`Ext`] replays those extended-precision steps exactly.
//!
//! Transcendental functions are the C library's (as in xsf's C++); numpy's own SIMD `exp` and
//! `power` loops (used by the Pelz–Good branch and the Durbin matrix set-up) can differ from
//! them in the last bit, so those branches agree with scipy to ~1e-15 relative, not bit for bit.

/// 2^128 and 2^-128, scipy's `_EP128` / `_EM128`.
const EP128: f64 = f64::from_bits(0x47f0_0000_0000_0000);
const EM128: f64 = f64::from_bits(0x37f0_0000_0000_0000);

// ---------------------------------------------------------------------------------------------
// frexp / ldexp (C semantics)

/// C `frexp`: x = m · 2^e with 0.5 ≤ |m| < 1 (m = x for 0, ±inf, NaN, e = 0).
pub(crate) fn frexp(x: f64) -> (f64, i32) {
    if x == 0.0 || !x.is_finite() {
        return (x, 0);
    }
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    if biased == 0 {
        // subnormal: scale into the normal range first
        let (m, e) = frexp(x * 2f64.powi(54));
        return (m, e - 54);
    }
    let e = biased - 1022;
    let m = f64::from_bits((bits & !(0x7ffu64 << 52)) | (1022u64 << 52));
    (m, e)
}

/// C `ldexp` (musl's scalbn: correctly rounded, also into the subnormal range).
pub(crate) fn ldexp(x: f64, n: i32) -> f64 {
    let p1023 = f64::from_bits(0x7fe0_0000_0000_0000); // 2^1023
    let pm969 = f64::from_bits(0x0360_0000_0000_0000); // 2^-1022 · 2^53
    let mut y = x;
    let mut n = n;
    if n > 1023 {
        y *= p1023;
        n -= 1023;
        if n > 1023 {
            y *= p1023;
            n -= 1023;
            n = n.min(1023);
        }
    } else if n < -1022 {
        y *= pm969;
        n += 1022 - 53;
        if n < -1022 {
            y *= pm969;
            n += 1022 - 53;
            n = n.max(-1022);
        }
    }
    y * f64::from_bits(((0x3ff + n) as u64) << 52)
}

// ---------------------------------------------------------------------------------------------
// double-double (xsf/cephes dd_real.h)

fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let c = s - a;
    let d = b - c;
    let e = s - c;
    (s, (a - e) + d)
}

fn quick_two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let c = s - a;
    (s, b - c)
}

fn two_prod(a: f64, b: f64) -> (f64, f64) {
    let p = a * b;
    (p, a.mul_add(b, -p))
}

/// An unevaluated sum hi + lo (≥ 106-bit significand), operations as in xsf's dd_real.h.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Dd {
    pub hi: f64,
    pub lo: f64,
}

impl Dd {
    pub fn new(hi: f64) -> Dd {
        Dd { hi, lo: 0.0 }
    }
    fn pair(hi: f64, lo: f64) -> Dd {
        Dd { hi, lo }
    }
    fn neg(self) -> Dd {
        Dd::pair(-self.hi, -self.lo)
    }
    fn is_zero(self) -> bool {
        self.hi == 0.0 && self.lo == 0.0
    }
    pub fn add(self, r: Dd) -> Dd {
        let (s1, s2) = two_sum(self.hi, r.hi);
        let (t1, t2) = two_sum(self.lo, r.lo);
        let (s1, s2) = quick_two_sum(s1, s2 + t1);
        let (s1, s2) = quick_two_sum(s1, s2 + t2);
        Dd::pair(s1, s2)
    }
    pub fn add_f(self, r: f64) -> Dd {
        let (s1, s2) = two_sum(self.hi, r);
        let (s1, s2) = quick_two_sum(s1, s2 + self.lo);
        Dd::pair(s1, s2)
    }
    pub fn sub(self, r: Dd) -> Dd {
        self.add(r.neg())
    }
    pub fn sub_f(self, r: f64) -> Dd {
        let (s1, s2) = two_sum(self.hi, -r);
        let (s1, s2) = quick_two_sum(s1, s2 + self.lo);
        Dd::pair(s1, s2)
    }
    pub fn mul(self, r: Dd) -> Dd {
        let (p1, p2) = two_prod(self.hi, r.hi);
        let p2 = p2 + (self.hi * r.lo + self.lo * r.hi);
        let (p1, p2) = quick_two_sum(p1, p2);
        Dd::pair(p1, p2)
    }
    pub fn mul_f(self, r: f64) -> Dd {
        let (p1, e1) = two_prod(self.hi, r);
        let (p2, e2) = two_prod(self.lo, r);
        let (p1, e1) = quick_two_sum(p1, e2 + p2 + e1);
        Dd::pair(p1, e1)
    }
    pub fn div(self, r: Dd) -> Dd {
        let q1 = self.hi / r.hi;
        let rem = self.sub(r.mul_f(q1));
        let q2 = rem.hi / r.hi;
        let rem = rem.sub(r.mul_f(q2));
        let q3 = rem.hi / r.hi;
        let (q1, q2) = quick_two_sum(q1, q2);
        Dd::pair(q1, q2).add_f(q3)
    }
    pub fn div_f(self, r: f64) -> Dd {
        self.div(Dd::new(r))
    }
    fn floor(self) -> Dd {
        let hi = self.hi.floor();
        if hi == self.hi {
            let (hi, lo) = quick_two_sum(hi, self.lo.floor());
            return Dd::pair(hi, lo);
        }
        Dd::pair(hi, 0.0)
    }
    fn ldexp(self, e: i32) -> Dd {
        Dd::pair(ldexp(self.hi, e), ldexp(self.lo, e))
    }
    fn frexp(self) -> (Dd, i32) {
        let (mut man, mut e) = frexp(self.hi);
        let mut b1 = ldexp(self.lo, -e);
        if man.abs() == 0.5 && man * b1 < 0.0 {
            man *= 2.0;
            b1 *= 2.0;
            e -= 1;
        }
        (Dd::pair(man, b1), e)
    }
    fn is_finite(self) -> bool {
        self.hi.is_finite()
    }
}

// ---------------------------------------------------------------------------------------------
// cephes helpers

/// cephes `expm1` (xsf/cephes/unity.h; coefficients with the source's digits).
#[allow(clippy::excessive_precision)]
pub(crate) fn cephes_expm1(x: f64) -> f64 {
    const EP: [f64; 3] = [1.261_771_930_748_105_908_779_8e-4, 3.029_944_077_074_419_612_995_6e-2, 9.999_999_999_999_999_999_102_5e-1];
    const EQ: [f64; 4] =
        [3.001_985_051_386_644_550_415_9e-6, 2.524_483_403_496_841_041_922_4e-3, 2.272_655_482_081_550_287_659_3e-1, 2.000_000_000_000_000_000_089_7e0];
    if !x.is_finite() {
        return if x.is_nan() || x > 0.0 { x } else { -1.0 };
    }
    if !(-0.5..=0.5).contains(&x) {
        return x.exp() - 1.0;
    }
    let xx = x * x;
    let mut r = x * polevl(xx, &EP);
    r /= polevl(xx, &EQ) - r;
    r + r
}

fn polevl(x: f64, coef: &[f64]) -> f64 {
    let mut ans = coef[0];
    for c in &coef[1..] {
        ans = ans * x + c;
    }
    ans
}

/// log(2^-1075), cephes MINLOG.
#[allow(clippy::excessive_precision)]
const MINLOG: f64 = -7.451_332_191_019_412_076_235e2;
const SMIRNOV_MAX_COMPUTE_N: i64 = 1_000_000;
const SM_MAX_EXPONENT: i32 = 960;

// ---------------------------------------------------------------------------------------------
// Smirnov one-sided survival function (xsf/cephes/kolmogorov.h `_smirnov`, sf only)

fn next_power_of_2(x: f64) -> f64 {
    let q = ldexp(x, 1 - 53);
    let l = (q + x).abs();
    if l == 0.0 {
        return x.abs();
    }
    let lint = l as i32;
    if lint as f64 == l {
        lint as f64
    } else {
        l
    }
}

/// floor(n·x) and its fractional part, computed exactly.
fn mod_nx(n: i64, x: f64) -> (f64, i64, f64) {
    let nxd = Dd::new(x).mul_f(n as f64);
    let nxfloord = nxd.floor();
    let alphad = nxd.sub(nxfloord);
    let mut alpha = alphad.hi;
    let mut nxfloor = nxfloord.hi as i32 as i64;
    if alpha == 1.0 {
        nxfloor += 1;
        alpha = 0.0;
    }
    (alpha, nxfloor, nxd.hi)
}

fn update_binomial(cman: &mut Dd, cexpt: &mut i32, n: i64, j: i64) {
    let rat = Dd::new((n - j) as f64).div_f(j as f64 + 1.0);
    let (man2, expt) = cman.mul(rat).frexp();
    *cexpt += expt;
    *cman = man2;
}

fn pow_d(a: Dd, m: i32) -> Dd {
    if m <= 0 {
        if m == 0 {
            return Dd::new(1.0);
        }
        return Dd::new(1.0).div(pow_d(a, -m));
    }
    if a.is_zero() {
        return Dd::new(0.0);
    }
    let ans = a.hi.powf(m as f64);
    let r = a.lo / a.hi;
    let mut adj = m as f64 * r;
    if adj.abs() > 1e-8 {
        if adj.abs() < 1e-4 {
            adj += (m as f64 * r) * ((m - 1) as f64 / 2.0 * r);
        } else {
            adj = cephes_expm1(m as f64 * r.ln_1p());
        }
    }
    Dd::new(ans).add_f(ans * adj)
}

fn pow2(a: f64, b: f64, m: i32) -> f64 {
    pow_d(Dd::new(a).add_f(b), m).hi
}

/// a^m as (significand, exponent).
fn pow2_scaled_d(a: Dd, m: i32) -> (Dd, i32) {
    if m <= 0 {
        if m == 0 {
            return (Dd::new(1.0), 0);
        }
        let (ans, ae1) = pow2_scaled_d(a, -m);
        let (ans, ae2) = Dd::new(1.0).div(ans).frexp();
        return (ans, -ae1 + ae2);
    }
    let (y, ye) = a.frexp();
    if m == 1 {
        return (y, ye);
    }
    let mut max_expt = SM_MAX_EXPONENT;
    if m as f64 * (y.hi - 1.0) / y.hi < -SM_MAX_EXPONENT as f64 * std::f64::consts::LN_2 {
        let lg2y = y.hi.ln() / std::f64::consts::LN_2;
        let lg_ans = m as f64 * lg2y;
        if lg_ans <= -SM_MAX_EXPONENT as f64 {
            max_expt = (next_power_of_2(-SM_MAX_EXPONENT as f64 / lg2y + 1.0) / 2.0) as i32;
        }
    }
    if m <= max_expt {
        let (ans, mut anse) = pow_d(y, m).frexp();
        anse += m * ye;
        return (ans, anse);
    }
    let (q, r) = (m / max_expt, m % max_expt);
    let (y2r, y2re) = pow2_scaled_d(y, r);
    let (y2m, y2me) = pow2_scaled_d(y, max_expt);
    let (y2mq, mut y2mqe) = pow2_scaled_d(y2m, q);
    let (ans, mut anse) = y2r.mul(y2mq).frexp();
    y2mqe += y2me * q;
    anse += y2mqe + y2re;
    anse += m * ye;
    (ans, anse)
}

/// ((a+b)/(c+d))^m
fn pow4_d(a: f64, b: f64, c: f64, d: f64, m: i32) -> Dd {
    if m <= 0 {
        if m == 0 {
            return Dd::new(1.0);
        }
        return pow4_d(c, d, a, b, -m);
    }
    let aa = Dd::new(a).add_f(b);
    let cc = Dd::new(c).add_f(d);
    if aa.is_zero() {
        return if cc.is_zero() { Dd::pair(f64::NAN, f64::NAN) } else { Dd::new(0.0) };
    }
    if cc.is_zero() {
        return if aa.hi < 0.0 || (aa.hi == 0.0 && aa.lo < 0.0) {
            Dd::pair(f64::NEG_INFINITY, f64::NEG_INFINITY)
        } else {
            Dd::pair(f64::INFINITY, f64::INFINITY)
        };
    }
    pow_d(aa.div(cc), m)
}

/// A_v(n, x) = C(n, v) · (1 − x − v/n)^(n−v) · (x + v/n)^(v−1)
fn compute_av(n: i64, x: f64, v: i64, cman: Dd, cexpt: i32) -> Dd {
    let t2x = Dd::new((n - v) as f64).div_f(n as f64).sub_f(x);
    let (t2, t2e) = pow2_scaled_d(t2x, (n - v) as i32);
    let t1x = Dd::new(v as f64).div_f(n as f64).add_f(x);
    let (t1, t1e) = pow2_scaled_d(t1x, (v - 1) as i32);
    let ans = t1.mul(t2).mul(cman);
    ans.ldexp(cexpt + t1e + t2e)
}

/// `scipy.special.smirnov(n, x)`: P(D_n^+ ≥ x), one-sided.
pub fn smirnov(n: i64, x: f64) -> f64 {
    if x.is_nan() || !(n > 0 && (0.0..=1.0).contains(&x)) {
        return f64::NAN;
    }
    if n == 1 {
        return 1.0 - x;
    }
    if x == 0.0 {
        return 1.0;
    }
    if x == 1.0 {
        return 0.0;
    }
    let (alpha, nxfl, _nx) = mod_nx(n, x);
    let mut n1mxfl = n - nxfl - if alpha == 0.0 { 0 } else { 1 };
    let mut n1mxceil = n - nxfl;
    if alpha == 0.0 {
        n1mxfl -= 1;
        n1mxceil += 1;
    }
    // x <= 1/n
    if nxfl == 0 || (nxfl == 1 && alpha == 0.0) {
        let t = pow2(1.0, x, (n - 1) as i32);
        let cdf = x * t;
        return 1.0 - cdf;
    }
    // so large that the sf underflows
    if -2.0 * n as f64 * x * x < MINLOG {
        return 0.0;
    }
    // x >= 1 - 1/n
    if nxfl >= n - 1 {
        return pow2(1.0, -x, n as i32);
    }
    if n > SMIRNOV_MAX_COMPUTE_N {
        let logp = -(6.0 * n as f64 * x + 1.0).powf(2.0) / 18.0 / n as f64;
        return if logp < -std::f64::consts::LN_2 { logp.exp() } else { 1.0 - -cephes_expm1(logp) };
    }
    let n_upper_terms = n - n1mxceil + 1;
    let use_upper = (n_upper_terms <= 1 && x < 0.5) || (n >= 10 && n_upper_terms <= 3 && x <= 0.5 / (n as f64).sqrt());

    let (start, step, n_terms) = if use_upper { (n, -1i64, n - n1mxceil + 1) } else { (0, 1i64, n1mxfl + 1) };
    let vmid = n / 2;
    let mut cman = Dd::new(1.0);
    let mut cexpt = 0i32;
    let first = if use_upper { pow4_d(1.0, x, 1.0, 0.0, (n - 1) as i32) } else { pow4_d(1.0, -x, 1.0, 0.0, n as i32).div_f(x) };
    let mut aj_sum = Dd::new(0.0).add(first);
    update_binomial(&mut cman, &mut cexpt, n, 0);
    let mut j = 1;
    while j < n_terms {
        let v = start + j * step;
        let aj = compute_av(n, x, v, cman, cexpt);
        if aj.is_finite() && !aj.is_zero() {
            aj_sum = aj_sum.add(aj);
        }
        if !aj.is_zero() {
            if (4.0 * (n_terms - j) as f64 * aj.hi.abs()) < (f64::EPSILON * aj_sum.hi) && j != n_terms - 1 {
                break;
            }
        } else if j > vmid {
            break;
        }
        update_binomial(&mut cman, &mut cexpt, n, j);
        j += 1;
    }
    let prob = aj_sum.mul_f(x).hi;
    let sf = if step < 0 { 1.0 - prob } else { prob };
    sf.clamp(0.0, 1.0)
}

// ---------------------------------------------------------------------------------------------
// x87 80-bit extended precision, as np.longdouble on x86-64 Linux

/// A finite x87 extended value: (−1)^neg · mant · 2^exp, mant normalised (bit 63 set) or 0.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Ext {
    neg: bool,
    mant: u64,
    exp: i64,
}

impl Ext {
    pub fn from_f64(x: f64) -> Ext {
        if x == 0.0 {
            return Ext { neg: x.is_sign_negative(), mant: 0, exp: 0 };
        }
        let (m, e) = frexp(x.abs()); // m in [0.5, 1)
        let mant = ((m * 2f64.powi(53)) as u64) << 11; // 53 significant bits at the top
        Ext { neg: x < 0.0, mant, exp: e as i64 - 64 }
    }

    /// Round v · 2^exp (plus a non-zero remainder below v's last bit when `sticky`) to 64
    /// significant bits, to nearest, ties to even.
    fn round(neg: bool, v: u128, exp: i64, sticky: bool) -> Ext {
        if v == 0 {
            return Ext { neg, mant: 0, exp: 0 };
        }
        let bits = 128 - v.leading_zeros() as i64;
        if bits <= 64 {
            // exact (callers only pass a sticky remainder with more than 64 bits)
            return Ext { neg, mant: (v << (64 - bits)) as u64, exp: exp - (64 - bits) };
        }
        let shift = bits - 64;
        let kept = v >> shift;
        let rem = v & ((1u128 << shift) - 1);
        let half = 1u128 << (shift - 1);
        let up = rem > half || (rem == half && (sticky || kept & 1 == 1));
        let mut kept = kept + up as u128;
        let mut exp = exp + shift;
        if kept == 1u128 << 64 {
            kept = 1u128 << 63;
            exp += 1;
        }
        Ext { neg, mant: kept as u64, exp }
    }

    /// self · i, rounded.
    pub fn mul_u(self, i: u64) -> Ext {
        Ext::round(self.neg, self.mant as u128 * i as u128, self.exp, false)
    }

    /// self / d, rounded.
    pub fn div_u(self, d: u64) -> Ext {
        if self.mant == 0 {
            return self;
        }
        let num = (self.mant as u128) << 64;
        Ext::round(self.neg, num / d as u128, self.exp - 64, !num.is_multiple_of(d as u128))
    }

    pub fn ldexp(self, e: i64) -> Ext {
        if self.mant == 0 {
            return self;
        }
        Ext { exp: self.exp + e, ..self }
    }

    /// |self| < 2^k
    pub fn abs_lt_pow2(self, k: i64) -> bool {
        self.mant == 0 || self.exp + 64 <= k
    }

    /// |self| > 2^k
    pub fn abs_gt_pow2(self, k: i64) -> bool {
        self.mant != 0 && (self.exp + 63 > k || (self.exp + 63 == k && self.mant > 1u64 << 63))
    }

    /// Round to the nearest double, ties to even (numpy's longdouble → float64 cast).
    pub fn to_f64(self) -> f64 {
        if self.mant == 0 {
            return if self.neg { -0.0 } else { 0.0 };
        }
        let kept = self.mant >> 11;
        let rem = self.mant & 0x7ff;
        let up = rem > 0x400 || (rem == 0x400 && kept & 1 == 1);
        let (mut kept, mut exp) = (kept + up as u64, self.exp + 11);
        if kept == 1u64 << 53 {
            kept = 1u64 << 52;
            exp += 1;
        }
        let e = exp.clamp(-3000, 3000) as i32;
        let v = ldexp(kept as f64, e);
        if self.neg {
            -v
        } else {
            v
        }
    }

    /// 1 − self for 0 ≤ self ≤ 1, rounded to extended precision.
    fn one_minus(self) -> Ext {
        if self.mant == 0 {
            return Ext::from_f64(1.0);
        }
        let f = -self.exp; // self = mant / 2^f, f ≥ 63 since self ≤ 1
        if f <= 126 {
            let diff = (1u128 << f) - self.mant as u128;
            return Ext::round(false, diff, -f, false);
        }
        // self < 2^-62: keep 126 fractional bits and a sticky remainder
        let sh = f - 126;
        let (m, sticky) = if sh >= 64 { (0u128, true) } else { ((self.mant >> sh) as u128, self.mant & ((1u64 << sh) - 1) != 0) };
        let diff = (1u128 << 126) - m - sticky as u128;
        Ext::round(false, diff, -126, sticky)
    }
}

/// A probability held the way scipy holds it: a float64, or an np.longdouble once a 2^±128
/// rescale has promoted it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Prob {
    F(f64),
    X(Ext),
}

impl Prob {
    fn clip01(self) -> Prob {
        match self {
            Prob::F(p) => Prob::F(clip01(p)),
            Prob::X(e) => {
                if e.neg && e.mant != 0 {
                    Prob::X(Ext::from_f64(0.0))
                } else if e.abs_gt_pow2(0) {
                    Prob::X(Ext::from_f64(1.0))
                } else {
                    Prob::X(e)
                }
            }
        }
    }

    /// clip(1 − clip(p)) as a float64: `_select_and_clip_prob(cdf, 1.0 - cdf, cdf=False)`.
    fn sf_from_cdf(self) -> f64 {
        match self.clip01() {
            Prob::F(p) => clip01(1.0 - p),
            Prob::X(e) => e.one_minus().to_f64(),
        }
    }
}

/// np.clip(p, 0, 1); NaN stays NaN
fn clip01(p: f64) -> f64 {
    p.clamp(0.0, 1.0)
}

// ---------------------------------------------------------------------------------------------
// BLAS-order kernels

/// `C = A · B` for square row-major matrices, each entry one sequential FMA chain (OpenBLAS).
fn matmul(a: &[f64], b: &[f64], m: usize) -> Vec<f64> {
    let mut c = vec![0.0; m * m];
    for i in 0..m {
        let row = &a[i * m..(i + 1) * m];
        for j in 0..m {
            let mut acc = 0.0f64;
            for (k, aik) in row.iter().enumerate() {
                acc = aik.mul_add(b[k * m + j], acc);
            }
            c[i * m + j] = acc;
        }
    }
    c
}

/// OpenBLAS `ddot`, SkylakeX kernel (contiguous operands).
fn blas_ddot(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len().min(y.len());
    let n1 = n & !15;
    let mut dot = 0.0f64;
    if n1 > 0 {
        let mut acc = [[0.0f64; 4]; 4];
        let mut i = 0;
        let n32 = n1 & !31;
        if n32 > 0 {
            let mut acc5 = [[0.0f64; 8]; 4];
            while i < n32 {
                for (blk, a) in acc5.iter_mut().enumerate() {
                    for (l, al) in a.iter_mut().enumerate() {
                        let t = i + 8 * blk + l;
                        *al = x[t].mul_add(y[t], *al);
                    }
                }
                i += 32;
            }
            for blk in 0..4 {
                for l in 0..4 {
                    acc[blk][l] = acc5[blk][l] + acc5[blk][l + 4];
                }
            }
        }
        while i < n1 {
            for (blk, a) in acc.iter_mut().enumerate() {
                for (l, al) in a.iter_mut().enumerate() {
                    let t = i + 4 * blk + l;
                    *al = x[t].mul_add(y[t], *al);
                }
            }
            i += 16;
        }
        let s: Vec<f64> = (0..4).map(|l| ((acc[0][l] + acc[1][l]) + acc[2][l]) + acc[3][l]).collect();
        dot = (s[0] + s[2]) + (s[1] + s[3]);
    }
    for t in n1..n {
        dot = y[t].mul_add(x[t], dot);
    }
    dot
}

/// `np.convolve(a, v)` (mode 'full') for float64: numpy's `_pyarray_correlate(a, v[::-1])`.
fn np_convolve(a: &[f64], v: &[f64]) -> Vec<f64> {
    let (a, v) = if v.len() > a.len() { (v, a) } else { (a, v) };
    let (n1, n2) = (a.len(), v.len());
    let k: Vec<f64> = v.iter().rev().copied().collect(); // the reversed kernel, contiguous
    let mut out = Vec::with_capacity(n1 + n2 - 1);
    let dot = |x: &[f64], y: &[f64]| 0.0 + blas_ddot(x, y);
    // left edge: partial overlaps of growing length
    for i in 0..n2 - 1 {
        out.push(dot(&a[..i + 1], &k[n2 - 1 - i..]));
    }
    // full overlaps: numpy's small_correlate for kernels of at most 11 taps, else ddot
    for i in 0..=(n1 - n2) {
        if n2 <= 11 {
            let mut s = 0.0f64;
            for t in 0..n2 {
                s += a[i + t] * k[t];
            }
            out.push(s);
        } else {
            out.push(dot(&a[i..i + n2], &k));
        }
    }
    // right edge
    for i in 1..n2 {
        let start = n1 - n2 + i;
        out.push(dot(&a[start..], &k[..n2 - i]));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// kolmogn pieces (scipy/stats/_ksstats.py)

#[allow(clippy::excessive_precision)] // scipy's digits
const STIRLING_COEFFS: [f64; 8] = [
    -2.955_065_359_477_124_183e-2,
    6.410_256_410_256_410_256_4e-3,
    -1.917_526_917_526_917_526_9e-3,
    8.417_508_417_508_417_508_4e-4,
    -5.952_380_952_380_952_381e-4,
    7.936_507_936_507_936_507_9e-4,
    -2.777_777_777_777_777_777_8e-3,
    8.333_333_333_333_333_333_3e-2,
];

/// log(n! / n^n) by Stirling.
fn log_nfactorial_div_n_pow_n(n: i64) -> f64 {
    let nf = n as f64;
    let rn = 1.0 / nf;
    let x = rn / nf;
    let mut poly = 0.0;
    for c in STIRLING_COEFFS {
        poly = poly * x + c;
    }
    let log_2pi = (2.0 * std::f64::consts::PI).ln();
    nf.ln() / 2.0 - nf + log_2pi / 2.0 + rn * poly
}

/// Durbin's matrix algorithm (Marsaglia–Tsang–Wang): P(D_n ≤ d), clipped.
pub(crate) fn kolmogn_dmtw_cdf(n: i64, d: f64) -> Prob {
    if d >= 1.0 {
        return Prob::F(1.0);
    }
    let nd = n as f64 * d;
    if nd <= 0.5 {
        return Prob::F(0.0);
    }
    let k = nd.ceil() as usize;
    let h = k as f64 - nd;
    let m = 2 * k - 1;

    let mut v: Vec<f64> = (1..=m).map(|j| 1.0 - h.powf(j as f64)).collect();
    let mut w = vec![0.0; m];
    let mut fac = 1.0f64;
    for j in 1..=m {
        w[j - 1] = fac;
        fac /= j as f64;
        v[j - 1] *= fac;
    }
    let base = 2.0 * h - 1.0;
    let first = if 0.0 > base { 0.0 } else { base.powf(m as f64) };
    let tt = first - 2.0 * h.powf(m as f64);
    v[m - 1] = (1.0 + tt) * fac;

    let mut hm = vec![0.0; m * m];
    for i in 1..m {
        for r in (i - 1)..m {
            hm[r * m + i] = w[r - (i - 1)];
        }
    }
    for (r, vr) in v.iter().enumerate() {
        hm[r * m] = *vr;
    }
    for c in 0..m {
        hm[(m - 1) * m + c] = v[m - 1 - c];
    }

    let mut hpwr: Vec<f64> = (0..m * m).map(|t| if t / m == t % m { 1.0 } else { 0.0 }).collect();
    let mut nn = n;
    let mut expnt: i64 = 0;
    let mut hexpnt: i64 = 0;
    while nn > 0 {
        if nn % 2 == 1 {
            hpwr = matmul(&hpwr, &hm, m);
            expnt += hexpnt;
        }
        hm = matmul(&hm, &hm, m);
        hexpnt *= 2;
        if hm[(k - 1) * m + (k - 1)].abs() > EP128 {
            for x in hm.iter_mut() {
                *x /= EP128;
            }
            hexpnt += 128;
        }
        nn /= 2;
    }

    let mut p = Prob::F(hpwr[(k - 1) * m + (k - 1)]);
    let nf = n as f64;
    for i in 1..=n {
        p = match p {
            Prob::F(x) => {
                let y = i as f64 * x / nf;
                if y.abs() < EM128 {
                    expnt -= 128;
                    Prob::X(Ext::from_f64(y).ldexp(128))
                } else {
                    Prob::F(y)
                }
            }
            Prob::X(e) => {
                let y = e.mul_u(i as u64).div_u(n as u64);
                if y.abs_lt_pow2(-128) {
                    expnt -= 128;
                    Prob::X(y.ldexp(128))
                } else {
                    Prob::X(y)
                }
            }
        };
    }
    if expnt != 0 {
        p = match p {
            Prob::F(x) => Prob::F(ldexp(x, expnt.clamp(-5000, 5000) as i32)),
            Prob::X(e) => Prob::X(e.ldexp(expnt)),
        };
    }
    p.clip01()
}

fn pomeranz_j1j2(i: i64, n: i64, ll: i64, ceilf: i64, roundf: i64) -> (i64, i64) {
    let (j1, j2) = if i == 0 {
        (-ll - ceilf - 1, ll + ceilf - 1)
    } else {
        let (ip1div2, ip1mod2) = ((i + 1).div_euclid(2), (i + 1).rem_euclid(2));
        if ip1mod2 == 0 {
            if ip1div2 == n + 1 {
                (n - ll - ceilf - 1, n + ll + ceilf - 1)
            } else {
                (ip1div2 - 1 - ll - roundf - 1, ip1div2 + ll - 1 + ceilf - 1)
            }
        } else {
            (ip1div2 - 1 - ll - 1, ip1div2 + ll + roundf - 1)
        }
    };
    ((j1 + 2).max(0), j2.min(n))
}

/// Python slice bounds [start:stop] of a sequence of length len (step 1).
fn py_slice(len: usize, start: i64, stop: i64) -> (usize, usize) {
    let norm = |i: i64| -> usize {
        let l = len as i64;
        let j = if i < 0 { (i + l).max(0) } else { i.min(l) };
        j as usize
    };
    let (s, e) = (norm(start), norm(stop));
    (s, e.max(s))
}

/// Pomeranz's recursion: P(D_n ≤ x), clipped.
pub(crate) fn kolmogn_pomeranz_cdf(n: i64, x: f64) -> Prob {
    let t = n as f64 * x;
    let ll = t.floor() as i64;
    let f = t - ll as f64;
    let g = if 1.0 - f < f { 1.0 - f } else { f };
    let ceilf = (f > 0.0) as i64;
    let roundf = (f > 0.5) as i64;
    let npwrs = (2 * (ll + 1)) as usize;
    let nf = n as f64;
    let (g_over_n, two_g_over_n, one_minus_two_g_over_n) = (g / nf, 2.0 * g / nf, (1.0 - 2.0 * g) / nf);
    let mut gpower = vec![1.0; npwrs];
    let mut twogpower = vec![1.0; npwrs];
    let mut onem2gpower = vec![1.0; npwrs];
    for m in 1..npwrs {
        gpower[m] = gpower[m - 1] * g_over_n / m as f64;
        twogpower[m] = twogpower[m - 1] * two_g_over_n / m as f64;
        onem2gpower[m] = onem2gpower[m - 1] * one_minus_two_g_over_n / m as f64;
    }
    let mut v0 = vec![0.0; npwrs];
    let mut v1 = vec![0.0; npwrs];
    v1[0] = 1.0;
    let (mut v0s, mut v1s) = (0i64, 0i64);
    let mut expnt: i64 = 0;
    let (mut j1, mut _j2) = pomeranz_j1j2(0, n, ll, ceilf, roundf);
    for i in 1..(2 * n + 2) {
        let k1 = j1;
        std::mem::swap(&mut v0, &mut v1);
        std::mem::swap(&mut v0s, &mut v1s);
        v1.iter_mut().for_each(|x| *x = 0.0);
        let (nj1, nj2) = pomeranz_j1j2(i, n, ll, ceilf, roundf);
        j1 = nj1;
        _j2 = nj2;
        let pwrs = if i == 1 || i == 2 * n + 1 {
            &gpower
        } else if i % 2 == 1 {
            &twogpower
        } else {
            &onem2gpower
        };
        let ln2 = nj2 - k1 + 1;
        if ln2 > 0 {
            let (s0, e0) = py_slice(npwrs, k1 - v0s, k1 - v0s + ln2);
            let (_, pe) = py_slice(npwrs, 0, ln2);
            if e0 == s0 || pe == 0 {
                // np.convolve refuses empty input; scipy never gets here
                return Prob::F(f64::NAN);
            }
            let conv = np_convolve(&v0[s0..e0], &pwrs[..pe]);
            let conv_start = j1 - k1;
            let conv_len = nj2 - j1 + 1;
            let (cs, ce) = py_slice(conv.len(), conv_start, conv_start + conv_len);
            let (_, ve) = py_slice(npwrs, 0, conv_len);
            let len = (ce - cs).min(ve);
            v1[..len].copy_from_slice(&conv[cs..cs + len]);
            let vmax = v1.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if 0.0 < vmax && vmax < EM128 {
                v1.iter_mut().for_each(|x| *x *= EP128);
                expnt -= 128;
            }
            v1s = v0s + j1 - k1;
        }
    }
    // Python indexing: a negative index counts from the end
    let idx = if n - v1s < 0 { n - v1s + npwrs as i64 } else { n - v1s };
    let mut ans = match usize::try_from(idx).ok().and_then(|i| v1.get(i)) {
        Some(a) => Prob::F(*a),
        None => return Prob::F(f64::NAN),
    };
    for m in 1..=n {
        ans = match ans {
            Prob::F(a) => {
                if a.abs() > EP128 {
                    expnt += 128;
                    Prob::X(Ext::from_f64(a).ldexp(-128).mul_u(m as u64))
                } else {
                    Prob::F(a * m as f64)
                }
            }
            Prob::X(e) => {
                let e = if e.abs_gt_pow2(128) {
                    expnt += 128;
                    e.ldexp(-128)
                } else {
                    e
                };
                Prob::X(e.mul_u(m as u64))
            }
        };
    }
    if expnt != 0 {
        ans = match ans {
            Prob::F(a) => Prob::F(ldexp(a, expnt.clamp(-5000, 5000) as i32)),
            Prob::X(e) => Prob::X(e.ldexp(expnt)),
        };
    }
    ans.clip01()
}

/// Pelz–Good asymptotic P(D_n ≤ x) (not clipped).
pub(crate) fn kolmogn_pelz_good_cdf(n: i64, x: f64) -> f64 {
    use std::f64::consts::PI;
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let pi2 = PI.powf(2.0);
    let pi4 = PI.powf(4.0);
    let pi6 = PI.powf(6.0);
    let sqrt2pi = (2.0 * PI).sqrt();
    let nf = n as f64;
    let z = nf.sqrt() * x;
    let (zsquared, zthree, zfour, zsix) = (z.powf(2.0), z.powf(3.0), z.powf(4.0), z.powf(6.0));
    let qlog = -pi2 / 8.0 / zsquared;
    if qlog < -708.0 {
        return 0.0;
    }
    let q = qlog.exp();
    let k1a = -zsquared;
    let k1b = pi2 / 4.0;
    let k2a = 6.0 * zsix + 2.0 * zfour;
    let k2b = (2.0 * zfour - 5.0 * zsquared) * pi2 / 4.0;
    let k2c = pi4 * (1.0 - 2.0 * zsquared) / 16.0;
    let k3d = pi6 * (5.0 - 30.0 * zsquared) / 64.0;
    let k3c = pi4 * (-60.0 * zsquared + 212.0 * zfour) / 16.0;
    let k3b = pi2 * (135.0 * zfour - 96.0 * zsix) / 4.0;
    let k3a = -30.0 * zsix - 90.0 * z.powf(8.0);

    let mut k = [0.0f64; 4];
    let maxk = (16.0 * z / PI).ceil() as i64;
    for kk in (1..=maxk).rev() {
        let m = 2 * kk - 1;
        let (msquared, mfour, msix) = ((m * m) as f64, (m * m * m * m) as f64, (m * m * m * m * m * m) as f64);
        let qpower = q.powf((8 * kk) as f64);
        let coeffs = [
            1.0,
            k1a + k1b * msquared,
            k2a + k2b * msquared + k2c * mfour,
            k3a + k3b * msquared + k3c * mfour + k3d * msix,
        ];
        for (kv, c) in k.iter_mut().zip(coeffs) {
            *kv *= qpower;
            *kv += c;
        }
    }
    let div = [z, 6.0 * zfour, 72.0 * z.powf(7.0), 6480.0 * z.powf(10.0)];
    for (kv, d) in k.iter_mut().zip(div) {
        *kv *= q;
        *kv *= sqrt2pi;
        *kv /= d;
    }
    let q = (-pi2 / 2.0 / zsquared).exp();
    let ks: Vec<i64> = (1..=maxk).rev().collect();
    let sqrt3z = 3f64.sqrt() * z;
    let qpwers: Vec<f64> = ks.iter().map(|kk| q.powf((kk * kk) as f64)).collect();
    let t2: Vec<f64> = ks.iter().zip(&qpwers).map(|(kk, qp)| (kk * kk) as f64 * qp).collect();
    let mut k2extra = np_sum(&t2);
    k2extra *= pi2 * sqrt2pi / (-36.0 * zthree);
    k[2] += k2extra;
    let t3: Vec<f64> = ks
        .iter()
        .zip(&qpwers)
        .map(|(kk, qp)| {
            let kspi = PI * *kk as f64;
            (sqrt3z + kspi) * (sqrt3z - kspi) * (kk * kk) as f64 * qp
        })
        .collect();
    let mut k3extra = np_sum(&t3);
    k3extra *= pi2 * sqrt2pi / (216.0 * zsix);
    k[3] += k3extra;
    let powers = [1.0, nf.powf(0.5), nf.powf(1.0), nf.powf(1.5)];
    for (kv, p) in k.iter_mut().zip(powers) {
        *kv /= p;
    }
    ((0.0 + k[0]) + k[1]) + k[2] + k[3]
}

/// numpy's pairwise float64 sum (`np.sum` of a contiguous array).
fn np_sum(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        let mut res = 0.0;
        for x in a {
            res += x;
        }
        return res;
    }
    if n <= 128 {
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&a[..8]);
        let mut i = 8;
        while i < n - (n % 8) {
            for (j, rj) in r.iter_mut().enumerate() {
                *rj += a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        while i < n {
            res += a[i];
            i += 1;
        }
        return res;
    }
    let mut n2 = n / 2;
    n2 -= n2 % 8;
    np_sum(&a[..n2]) + np_sum(&a[n2..])
}

/// `scipy.stats._ksstats._kolmogn(n, x, cdf=False)`: P(D_n ≥ x).
pub fn kolmogn_sf(n: i64, x: f64) -> f64 {
    if n <= 0 || x.is_nan() {
        return f64::NAN;
    }
    if x >= 1.0 {
        return 0.0;
    }
    if x <= 0.0 {
        return 1.0;
    }
    let nf = n as f64;
    let t = nf * x;
    if t <= 1.0 {
        if t <= 0.5 {
            return 1.0;
        }
        let prob = if n <= 140 {
            let base = 1.0 / nf;
            let s = 2.0 * t - 1.0;
            let mut acc = 1.0 * base * s;
            for i in 2..=n {
                acc *= i as f64 * base * s;
            }
            acc
        } else {
            (log_nfactorial_div_n_pow_n(n) + nf * (2.0 * t - 1.0).ln()).exp()
        };
        return clip01(1.0 - prob);
    }
    if t >= (n - 1) as f64 {
        return clip01(2.0 * (1.0 - x).powf(nf));
    }
    if x >= 0.5 {
        return clip01(2.0 * smirnov(n, x));
    }
    let nxsquared = t * x;
    if n <= 140 {
        if nxsquared <= 0.754693 {
            return kolmogn_dmtw_cdf(n, x).sf_from_cdf();
        }
        if nxsquared <= 4.0 {
            return kolmogn_pomeranz_cdf(n, x).sf_from_cdf();
        }
        return clip01(2.0 * smirnov(n, x));
    }
    if nxsquared >= 370.0 {
        return 0.0;
    }
    if nxsquared >= 2.2 {
        return clip01(2.0 * smirnov(n, x));
    }
    let cdf = if n <= 100_000 && nf * x.powf(1.5) <= 1.4 {
        kolmogn_dmtw_cdf(n, x)
    } else {
        Prob::F(kolmogn_pelz_good_cdf(n, x))
    };
    cdf.sf_from_cdf()
}

/// `scipy.stats.kstwo.sf(x, n)` for a whole-number n ≥ 1 (the distribution's support is
/// (0.5/n, 1): at or below it the sf is 1, at or above 1 it is 0).
pub fn kstwo_sf(x: f64, n: f64) -> f64 {
    if x.is_nan() || n.is_nan() || n < 1.0 || n != n.round() {
        return f64::NAN;
    }
    if x <= 0.5 / n {
        return 1.0;
    }
    if x >= 1.0 {
        return 0.0;
    }
    kolmogn_sf(n as i64, x)
}

#[cfg(test)]
#[path = "kstwo_test.rs"]
mod tests;

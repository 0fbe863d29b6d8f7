#!/usr/bin/env python3
"""Reference values for audit.ks_2samp (src/governance/ks_test.rs, kstwo_test.rs and
tests/pg_regress/sql/10_ks.sql) from scipy 1.17.1: scipy.stats.ks_2samp(a, b) (two-sided,
method='auto'), scipy.stats.kstwo.sf(x, n) and scipy.special.smirnov(n, x).

The samples are not stored: both this script and the Rust tests build them from a documented
deterministic formula (splitmix64 → u = (z >> 11) / 2^53, exact in float64; see `sample`), so
the JSON stays small. Floats are stored as IEEE-754 bit patterns (hex) next to their repr so the
tests can demand bit equality.

Regenerate: pip install scipy==1.17.1 numpy && python3 tests/reference/ks_reference.py
(the Pelz–Good branch of kstwo.sf calls numpy's SIMD exp, so its last bit depends on the CPU;
the tests allow 1e-13 relative there.)"""
import json
import math
import os
import struct
import warnings

import numpy as np
import scipy
import scipy.special as sc
import scipy.stats as st

MASK = (1 << 64) - 1


def splitmix64(seed, n):
    """n raw 64-bit outputs of splitmix64 started at `seed`."""
    out, state = [], seed & MASK
    for _ in range(n):
        state = (state + 0x9E3779B97F4A7C15) & MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        out.append(z ^ (z >> 31))
    return out


def sample(kind, n, seed, shift, scale, levels):
    """uniform: u·scale + shift; ties: floor(u·levels)·scale + shift; tri: (u1 + u2)·scale + shift
    with u = (z >> 11) / 2^53 from splitmix64(seed) (tri takes consecutive pairs)."""
    z = splitmix64(seed, 2 * n if kind == "tri" else n)
    u = [(v >> 11) / 9007199254740992.0 for v in z]
    if kind == "uniform":
        return [x * scale + shift for x in u]
    if kind == "ties":
        return [math.floor(x * levels) * scale + shift for x in u]
    if kind == "tri":
        return [(u[2 * i] + u[2 * i + 1]) * scale + shift for i in range(n)]
    raise ValueError(kind)


def bits(x):
    return "0x%016x" % struct.unpack("<Q", struct.pack("<d", float(x)))[0]


def ks(a, b):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        r = st.ks_2samp(np.array(a), np.array(b))
    n1, n2 = len(a), len(b)
    if any("Exact calculation unsuccessful" in str(x.message) for x in w):
        method = "ExactFellBack"
    elif max(n1, n2) <= 10000:
        method = "Exact"
    else:
        method = "Asymptotic"
    return float(r.statistic), float(r.pvalue), method


def kstwo_branch(n, x):
    """Which branch of scipy.stats._ksstats._kolmogn(n, x, cdf=False) runs."""
    if x <= 0.5 / n:
        return "below_support"
    if x >= 1.0:
        return "above_support"
    t = n * x
    if t <= 1.0:
        return "ruben_gambino_low"
    if t >= n - 1:
        return "ruben_gambino_high"
    if x >= 0.5:
        return "smirnov_half"
    nx2 = t * x
    if n <= 140:
        return "durbin" if nx2 <= 0.754693 else ("pomeranz" if nx2 <= 4 else "smirnov")
    if nx2 >= 370:
        return "zero"
    if nx2 >= 2.2:
        return "smirnov"
    return "durbin" if n <= 100000 and n * x ** 1.5 <= 1.4 else "pelz_good"


def main():
    assert scipy.__version__ == "1.17.1", scipy.__version__
    rng = np.random.default_rng(20260601)
    specs = []
    # small and medium random shapes (exact branch), ties, equal sizes, common divisors
    kinds = ["uniform", "ties", "tri"]
    for i in range(90):
        if i < 30:
            n1, n2 = (int(v) for v in rng.integers(1, 40, 2))
        elif i < 45:
            n1 = n2 = int(rng.integers(2, 400))
        elif i < 60:
            g = int(rng.integers(2, 40))
            n1, n2 = (g * int(v) for v in rng.integers(1, 60, 2))
        else:
            n1, n2 = (int(v) for v in rng.integers(1, 2500, 2))
        kind = kinds[i % 3]
        specs.append({"kind": kind, "n1": n1, "n2": n2, "seed1": 1000 + i, "seed2": 5000 + i,
                      "shift": float(rng.choice([0.0, 0.0, 0.03, 0.1, 0.5])), "scale": float(rng.choice([1.0, 1.0, 1.25])),
                      "levels": int(rng.integers(2, 25))})
    # sizes around the exact/asymptotic switch and large asymptotic ones
    for (n1, n2, kind, shift, levels) in [
        (10000, 10000, "uniform", 0.01, 0), (10000, 9999, "uniform", 0.01, 0), (9999, 10000, "ties", 0.0, 50),
        (10001, 10000, "uniform", 0.01, 0), (10000, 10001, "tri", 0.0, 0), (10001, 10001, "uniform", 0.0, 0),
        (20000, 15000, "uniform", 0.02, 0), (12000, 100, "uniform", 0.1, 0), (50000, 120, "tri", 0.0, 0),
        (60000, 7, "uniform", 0.3, 0), (10001, 1, "uniform", 0.0, 0), (30000, 30000, "ties", 0.0, 1000),
        (100000, 100000, "uniform", 0.004, 0), (100000, 100000, "uniform", 0.2, 0),
    ]:
        specs.append({"kind": kind, "n1": n1, "n2": n2, "seed1": 77 + n1, "seed2": 91 + n2, "shift": shift, "scale": 1.0,
                      "levels": levels})
    # literal samples: scipy's exact square method returns 1.0000000000000002 for D = 1/n with
    # n = 5 and 1.0000000000000004 with n = 30, so it warns and falls back to the asymptotic p-value
    specs.append({"kind": "values", "a": [0.0, 1.0, 2.0, 3.0, 4.0], "b": [0.5, 1.5, 2.5, 3.5, 4.5]})
    specs.append({"kind": "values", "a": [float(i) for i in range(30)], "b": [i + 0.5 for i in range(30)]})
    specs.append({"kind": "values", "a": [-0.0, 0.0, 1.0], "b": [0.0, 2.0]})
    for s in specs:
        if s["kind"] == "values":
            a, b = s["a"], s["b"]
        else:
            a = sample(s["kind"], s["n1"], s["seed1"], 0.0, 1.0, s["levels"])
            b = sample(s["kind"], s["n2"], s["seed2"], s["shift"], s["scale"], s["levels"])
        d, p, method = ks(a, b)
        s.update({"statistic": d, "pvalue": p, "statistic_bits": bits(d), "pvalue_bits": bits(p), "method": method})

    # kstwo.sf over every branch of _kolmogn (the asymptotic p-value)
    kstwo_cases = []
    krng = np.random.default_rng(7)
    while len(kstwo_cases) < 160:
        n = int(krng.choice([krng.integers(1, 141), krng.integers(141, 5000), krng.integers(5000, 200000)]))
        r = krng.random()
        x = float(krng.random() * 2.6 / math.sqrt(n)) if r < 0.6 else (float(krng.random()) if r < 0.85 else float(krng.integers(1, n + 1)) / n)
        fixed = [(10, 0.05), (10, 1.0), (300, 0.002), (3, 0.9), (3, 0.3), (5, 0.19), (120, 0.008)]
        if len(kstwo_cases) < len(fixed):
            n, x = fixed[len(kstwo_cases)]
        branch = kstwo_branch(n, x)
        if branch == "durbin" and n > 17500:
            continue  # n > 17 500 needs Durbin matrices over 64×64, where OpenBLAS's summation order is not replayed
        kstwo_cases.append({"n": n, "x": x, "x_bits": bits(x), "sf": float(st.kstwo.sf(x, n)), "sf_bits": bits(st.kstwo.sf(x, n)), "branch": branch})

    smirnov_cases = []
    srng = np.random.default_rng(11)
    for _ in range(60):
        n = int(srng.choice([srng.integers(1, 50), srng.integers(50, 5000), srng.integers(5000, 300000), srng.integers(1000001, 2000000)]))
        x = float(srng.random()) if srng.random() < 0.4 else float(srng.random() * 3 / math.sqrt(n))
        smirnov_cases.append({"n": n, "x": x, "x_bits": bits(x), "sf": float(sc.smirnov(n, x)), "sf_bits": bits(sc.smirnov(n, x))})

    # x87 extended precision (np.longdouble) as scipy's Durbin/Pomeranz loops use it: start from
    # a float64 times 2^128, then p = i·p/n for i = 1..n, then float64(1 − p·2^-128·2^shift)
    longdouble = []
    for (x, n) in [(0.1, 37), (0.7234, 141), (1.0, 500), (3.3e-5, 1000), (0.9999999, 13), (0.123456789, 2000)]:
        p = np.float64(x) * np.longdouble(2.0) ** 128
        for i in range(1, n + 1):
            p = i * p / n
        for lower in (0, 40, 71):  # p in [0.5, 1), then about 2^-40 and 2^-71
            shift = 128 - int(np.frexp(p)[1]) - lower
            q = np.clip(np.ldexp(p, -128 + shift), 0.0, 1.0)
            longdouble.append({"x": x, "n": n, "shift": shift, "p": float(q), "p_bits": bits(np.float64(q)),
                               "one_minus_bits": bits(np.float64(1.0 - q))})

    # the pg_regress cases (tests/pg_regress/sql/10_ks.sql builds the same arrays with generate_series)
    a1 = [float((i * i) % 97) / 97 for i in range(200)]
    b1 = [float((j * j * j) % 101) / 101 + 0.05 for j in range(150)]
    a2 = [float((i * 7919) % 10007) / 10007 for i in range(12000)]
    b2 = [float((j * 104729) % 10009) / 10009 + 0.01 for j in range(8000)]
    sql = {"exact_200_150": ks(a1, b1), "asymptotic_12000_8000": ks(a2, b2),
           "small": ks([1.0, 2.0, 3.0, 4.0, 5.0], [3.0, 4.0, 5.0, 6.0, 7.0, 8.0])}
    for name, (d, p, m) in sql.items():
        print(f"{name}: statistic={d!r} pvalue={p!r} ({m})")

    out = {"ks": specs, "kstwo": kstwo_cases, "smirnov": smirnov_cases, "longdouble": longdouble,
           "sql": {k: {"statistic": v[0], "pvalue": v[1], "method": v[2]} for k, v in sql.items()}}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "ks_expected.json")
    with open(path, "w") as f:  # one case per line
        f.write("{\n")
        for i, (key, rows) in enumerate(out.items()):
            f.write(f'"{key}": ')
            if isinstance(rows, list):
                f.write("[\n" + ",\n".join(json.dumps(r) for r in rows) + "\n]")
            else:
                f.write(json.dumps(rows))
            f.write(",\n" if i < len(out) - 1 else "\n")
        f.write("}\n")
    print("wrote", path, "with", len(specs), "ks,", len(kstwo_cases), "kstwo,", len(smirnov_cases), "smirnov cases")


if __name__ == "__main__":
    main()

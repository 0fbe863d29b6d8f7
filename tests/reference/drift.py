#!/usr/bin/env python3
"""Reference PSI values for src/governance/drift_test.rs and tests/pg_regress/sql/05_drift.sql,
computed with numpy exactly as DESIGN §4 defines PSI.  pip install numpy && python3 drift.py"""
import numpy as np


def psi(expected, actual, bins=10):
    expected = np.asarray(expected, dtype=float)
    actual = np.asarray(actual, dtype=float)
    # numpy default (linear), one call per edge (the vectorised call can round the last bit differently)
    edges = np.array([np.quantile(expected, k / bins) for k in range(1, bins)])

    def shares(x):
        # right-closed bins (-inf, e1], (e1, e2], ..., (e_{k-1}, inf)
        idx = np.searchsorted(edges, x, side="left")
        s = np.bincount(idx, minlength=bins) / len(x)
        return np.where(s == 0, 1e-4, s)

    e, a = shares(expected), shares(actual)
    return float(np.sum((a - e) * np.log(a / e)))


expected = [(i * i) % 37 for i in range(100)]
actual = [(i * i * i) % 41 for i in range(80)]
print(repr(psi(expected, actual, 10)))
print(repr(psi(expected, actual, 5)))
# heavy ties: many equal edges, empty bins on both sides
ties_e = [i % 3 for i in range(90)]
ties_a = [(i % 5) * 0.5 for i in range(60)]
print(repr(psi(ties_e, ties_a, 10)))

#!/usr/bin/env python3
"""Benchmark baselines for ml.coxph and ml.logistic_fit (scripts/bench.sh, BENCH=models):
writes a synthetic 100k x 10 dataset as CSV for PostgreSQL to load, then fits it with
lifelines' CoxPHFitter and scikit-learn's LogisticRegression(lbfgs) and prints
'name seconds' lines plus the fitted coefficients for the equality check."""
import json
import sys
import time

import numpy as np

n, p = int(sys.argv[2]), 10
rng = np.random.default_rng(2026)
X = rng.normal(size=(n, p))
beta = np.linspace(-0.5, 0.5, p)
T = rng.exponential(scale=np.exp(-X @ beta) * 30.0)
C = rng.exponential(scale=40.0, size=n)
E = T <= C
T = np.minimum(T, C).round(2)  # rounding makes ties, as real durations in days have
Y = rng.random(n) < 1 / (1 + np.exp(-(X @ beta - 0.2)))
np.savetxt(sys.argv[1], np.column_stack([T, E, Y, X]), delimiter=",", fmt="%.10g")

import pandas as pd
from lifelines import CoxPHFitter
from sklearn.linear_model import LogisticRegression

df = pd.DataFrame(X, columns=[f"x{j}" for j in range(p)])
df["T"], df["E"] = T, E.astype(int)
t0 = time.perf_counter()
cph = CoxPHFitter().fit(df, "T", "E")
t_cox = time.perf_counter() - t0
t0 = time.perf_counter()
lr = LogisticRegression(C=1.0, solver="lbfgs", max_iter=1000).fit(X, Y)
t_lr = time.perf_counter() - t0
# the same solver run to the optimum ("equal numbers")
t0 = time.perf_counter()
lr_tight = LogisticRegression(C=1.0, solver="lbfgs", tol=1e-12, max_iter=100000).fit(X, Y)
t_lr_tight = time.perf_counter() - t0
print(json.dumps({"lifelines_coxph_s": t_cox, "sklearn_lbfgs_s": t_lr, "sklearn_lbfgs_tight_s": t_lr_tight,
                  "cox_coef": cph.params_.values.tolist(), "lr_coef": lr.coef_[0].tolist(), "lr_tight_coef": lr_tight.coef_[0].tolist()}))

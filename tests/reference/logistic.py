#!/usr/bin/env python3
"""Reference fits for ml.logistic_fit (src/models/logistic_test.rs), from scikit-learn on the
breast-cancer dataset shipped with scikit-learn (569 rows; five features used), solved tightly.
Regenerate: pip install scikit-learn==1.9.1 && python3 tests/reference/logistic.py"""
import json
import os

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
data = load_breast_cancer()
X = data.data[:, [0, 1, 4, 8, 20]]  # mean radius, mean texture, mean smoothness, mean symmetry, worst radius
y = data.target.astype(bool)
np.savetxt(os.path.join(here, "breast_cancer5.csv"), np.column_stack([X, y]), delimiter=",", fmt="%.10g")


def fit(X, y, C, standardize):
    Xf = X
    mu = sd = None
    if standardize:
        mu, sd = X.mean(axis=0), X.std(axis=0)  # population standard deviation
        Xf = (X - mu) / sd
    kw = dict(C=np.inf) if C == "inf" else dict(C=C)
    m = LogisticRegression(solver="newton-cholesky", tol=1e-14, max_iter=10000, **kw).fit(Xf, y)
    b, w = float(m.intercept_[0]), m.coef_[0].copy()
    if standardize:  # back to the raw features' scale
        b = b - float(np.sum(w * mu / sd))
        w = w / sd
    return {"C": C, "standardize": standardize, "intercept": b, "coef": [float(v) for v in w]}


out = [fit(X, y, 1.0, False), fit(X, y, 0.01, False), fit(X, y, 1.0, True), fit(X, y, 0.05, True), fit(X, y, "inf", True)]
with open(os.path.join(here, "logistic_expected.json"), "w") as f:
    json.dump(out, f, indent=1)
print(json.dumps(out, indent=1))

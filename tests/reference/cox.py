#!/usr/bin/env python3
"""Reference Cox fits for ml.coxph (src/models/cox_test.rs) from lifelines 0.30.3 (Efron ties)
on the Rossi recidivism data shipped with lifelines, and on Waltons with a tie-heavy covariate.
Regenerate: pip install lifelines==0.30.3 && python3 tests/reference/cox.py"""
import json
import os

from lifelines import CoxPHFitter
from lifelines.datasets import load_rossi, load_waltons
from lifelines.utils import concordance_index

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
rossi = load_rossi()
rossi.to_csv(os.path.join(here, "rossi.csv"), index=False)


def fit(df, T, E):
    c = CoxPHFitter().fit(df, T, E)
    s = c.summary
    return {
        "names": list(s.index),
        "coef": [float(v) for v in c.params_.values],
        "se": [float(v) for v in c.standard_errors_.values],
        "z": [float(v) for v in s["z"].values],
        "p": [float(v) for v in s["p"].values],
        "log_likelihood": float(c.log_likelihood_),
        # the likelihood-ratio statistic is 2 (ll - ll_null)
        "log_likelihood_null": float(c.log_likelihood_ - c.log_likelihood_ratio_test().test_statistic / 2),
        "concordance": float(c.concordance_index_),
    }


w = load_waltons()
w["treated"] = (w["group"] == "miR-137").astype(float)
w["k"] = (w.index % 5).astype(float)  # an uninformative covariate; Waltons has many tied times
out = {"rossi": fit(rossi, "week", "arrest"), "waltons": fit(w[["T", "E", "treated", "k"]], "T", "E")}
with open(os.path.join(here, "cox_expected.json"), "w") as f:
    json.dump(out, f, indent=1)
print(json.dumps(out, indent=1)[:1500])

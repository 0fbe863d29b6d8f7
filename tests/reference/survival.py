#!/usr/bin/env python3
"""Reference values for src/models/survival_test.rs (and tests/pg_regress/sql/06_survival.sql),
from lifelines on public data: the Waltons dataset shipped with lifelines (163 flies, two
groups), lifelines' own multivariate log-rank docs example (3 groups), and a small hand case.
Regenerate: pip install lifelines==0.30.3 && python3 tests/reference/survival.py
Writes tests/reference/data/waltons.csv and tests/reference/data/survival_expected.json."""
import json
import os

import numpy as np
from lifelines import KaplanMeierFitter, NelsonAalenFitter
from lifelines.datasets import load_waltons
from lifelines.statistics import multivariate_logrank_test
from lifelines.utils import concordance_index

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
os.makedirs(here, exist_ok=True)

waltons = load_waltons()
waltons.to_csv(os.path.join(here, "waltons.csv"), index=False)

docs = {  # lifelines multivariate_logrank_test docstring example
    "T": [5, 3, 9, 8, 7, 4, 4, 3, 2, 5, 6, 7],
    "E": [1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0],
    "G": ["0", "0", "0", "0", "1", "1", "1", "1", "1", "2", "2", "2"],
}
hand = {"T": [5, 3, 3, 8, 2, 9, 9, 12, 1, 4], "E": [1, 1, 0, 1, 0, 1, 1, 0, 1, 1]}


def km(T, E):
    k = KaplanMeierFitter().fit(T, E)
    sf = k.survival_function_.iloc[:, 0]
    ci = k.confidence_interval_
    et = k.event_table
    times = sorted(set(float(t) for t in T))  # one row per distinct time (no synthetic t = 0)
    rows = []
    for t in times:
        rows.append([t, int(et.loc[t, "at_risk"]), int(et.loc[t, "observed"]), int(et.loc[t, "censored"]),
                     float(sf.loc[t]), float(ci.iloc[:, 0].loc[t]), float(ci.iloc[:, 1].loc[t])])
    return {"rows": rows, "median": float(k.median_survival_time_)}


def na(T, E):
    n = NelsonAalenFitter(nelson_aalen_smoothing=False).fit(T, E)
    h = n.cumulative_hazard_.iloc[:, 0]
    return [[float(t), float(h.loc[t])] for t in sorted(set(float(t) for t in T))]


def lr(T, E, G):
    r = multivariate_logrank_test(T, G, E)
    return [float(r.test_statistic), int(r.degrees_of_freedom), float(r.p_value)]


T, E, G = list(waltons["T"]), [bool(e) for e in waltons["E"]], list(waltons["group"])
# a score with ties and signal: lower for the treated group, plus the rank of the id
scores = [(0.0 if g == "miR-137" else 10.0) + (i % 7) for i, g in enumerate(G)]
out = {
    "waltons_km": km(T, E),
    "waltons_na": na(T, E),
    "waltons_logrank": lr(T, E, G),
    "waltons_cindex": float(concordance_index(T, scores, E)),
    "waltons_scores": scores,
    "docs_logrank": lr(docs["T"], docs["E"], docs["G"]),
    "hand_km": km(hand["T"], hand["E"]),
    "hand_na": na(hand["T"], hand["E"]),
    "hand_cindex": float(concordance_index(hand["T"], [3, 1, 2, 9, 0, 7, 9, 5, 1, 2], hand["E"])),
    "never_half_median_is_inf": bool(np.isinf(KaplanMeierFitter().fit([1, 2, 3, 4], [1, 0, 0, 0]).median_survival_time_)),
}
with open(os.path.join(here, "survival_expected.json"), "w") as f:
    json.dump(out, f, indent=1)
print(json.dumps({k: v for k, v in out.items() if k not in ("waltons_km", "waltons_na", "waltons_scores", "hand_km", "hand_na")}, indent=1))

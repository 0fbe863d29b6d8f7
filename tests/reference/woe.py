#!/usr/bin/env python3
"""Reference WOE tables for ml.woe_bins (src/models/woe_test.rs), from optbinning's
BinningTable (WoE, IV) on the breast-cancer data shipped with scikit-learn. Bins are left-closed
[lower, upper) as optbinning's np.digitize(x, splits, right=False); with no edges given, the
interior edges are numpy's linear quantiles at k/bins, deduplicated (numpy's own code paths can
differ in the last bit, so the test compares edges to 1e-12).
Regenerate: pip install optbinning==1.0.0 scikit-learn==1.9.1 && python3 tests/reference/woe.py"""
import json
import os

import numpy as np
from optbinning.binning.binning_statistics import BinningTable

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
data = np.loadtxt(os.path.join(here, "breast_cancer5.csv"), delimiter=",")
x, y = data[:, 0], data[:, 5].astype(int)  # mean radius; target


def table(x, y, splits):
    splits = np.asarray(splits, dtype=float)
    idx = np.digitize(x, splits, right=False)
    k = len(splits) + 1
    ne = [int(np.sum((idx == b) & (y == 0))) for b in range(k)]
    ev = [int(np.sum((idx == b) & (y == 1))) for b in range(k)]
    bt = BinningTable("x", "numerical", None, splits, np.array(ne + [0, 0]), np.array(ev + [0, 0])).build()
    rows = []
    bounds = [-np.inf] + list(splits) + [np.inf]
    for b in range(k):
        rows.append({"bin": b, "lower": str(bounds[b]), "upper": str(bounds[b + 1]), "non_events": ne[b], "events": ev[b],
                     "woe": float(bt["WoE"].iloc[b]), "iv": float(bt["IV"].iloc[b])})
    return rows


out = {
    "user_edges": table(x, y, [11.0, 13.0, 15.0, 17.5]),
    "pure_bin": table(x, y, [12.0, 20.0]),  # every radius >= 20 is malignant (target 0): a bin with no events
    "quantile_10": table(x, y, np.unique([np.quantile(x, k / 10) for k in range(1, 10)])),
    "quantile_10_edges": [float(e) for e in np.unique([np.quantile(x, k / 10) for k in range(1, 10)])],
}
with open(os.path.join(here, "woe_expected.json"), "w") as f:
    json.dump(out, f, indent=1)
print(json.dumps(out["pure_bin"], indent=1))

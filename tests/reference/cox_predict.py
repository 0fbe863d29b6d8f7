"""Reference for spine's Cox deployment (src/models/artifact.rs): lifelines' Breslow baseline
cumulative hazard and predict_median on the rossi data. Run: python3 tests/reference/cox_predict.py"""
import json, os
import pandas as pd
from lifelines import CoxPHFitter

here = os.path.dirname(__file__)
df = pd.read_csv(os.path.join(here, "data", "rossi.csv"))
cph = CoxPHFitter().fit(df, "week", "arrest")
X = df.drop(columns=["week", "arrest"])
bh = cph.baseline_cumulative_hazard_
out = {
    "coef": cph.params_.values.tolist(),
    "means": X.mean().values.tolist(),
    "times": [float(t) for t in bh.index],
    "cumulative_hazard": bh.values.ravel().tolist(),
    "median_first_40": [None if v == float("inf") else float(v) for v in cph.predict_median(X.iloc[:40]).values],
}
with open(os.path.join(here, "data", "cox_predict_expected.json"), "w") as f:
    json.dump(out, f, indent=1)

"""Baseline for ml.predict: fetch the same rows into Python with psycopg and score them with
scikit-learn using the model's own coefficients. Prints seconds (fetch + score) as JSON.
Usage: predict_reference.py CONNINFO INTERCEPT COEF_JSON"""
import json, sys, time
import numpy as np
import psycopg
from sklearn.linear_model import LogisticRegression

conninfo, intercept, coef = sys.argv[1], float(sys.argv[2]), json.loads(sys.argv[3])
m = LogisticRegression()
m.classes_ = np.array([False, True])
m.coef_ = np.array([coef])
m.intercept_ = np.array([intercept])
m.n_features_in_ = len(coef)
t0 = time.perf_counter()
with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
    cur.execute("SELECT x0, x1, x2, x3, x4, x5, x6, x7, x8, x9 FROM bench_p")
    x = np.array(cur.fetchall(), dtype=float)
p = m.predict_proba(x)[:, 1]
t1 = time.perf_counter()
print(json.dumps({"seconds": t1 - t0, "sum": float(p.sum()), "rows": int(x.shape[0])}))

"""The libraries' side of the tree benchmarks (BENCHMARKS.md, issue 12): reads
the CSV of make_regression.py, trains on the first 80% of rows, scores the
last 20%, predicts every row, and prints one JSON line with the same keys as mlship's side
(crates/mlship-learn/examples/fit_large.rs): fit_seconds, predict_seconds,
holdout_r2, predict_all_seconds, predict_rows_per_second (every row). Peak memory comes from /usr/bin/time
around the whole process (the CSV read is in both).

    python peer_fit.py rf|lightgbm|xgboost|catboost data.csv [name=value …]

Pinned in BENCHMARKS.md: scikit-learn 1.9.1, lightgbm 4.7.0, xgboost 3.2.0.
"""
import json
import sys
import time

import numpy as np
import pandas as pd
from sklearn.metrics import r2_score


def model(name: str, params: dict):
    if name == "rf":
        from sklearn.ensemble import RandomForestRegressor

        return RandomForestRegressor(n_jobs=-1, random_state=123, **params)
    if name == "lightgbm":
        import lightgbm

        return lightgbm.LGBMRegressor(n_jobs=-1, random_state=123, verbose=-1, **params)
    if name == "xgboost":
        import xgboost

        return xgboost.XGBRegressor(tree_method="hist", n_jobs=-1, random_state=123, **params)
    if name == "catboost":
        import catboost

        return catboost.CatBoostRegressor(thread_count=-1, random_state=123, verbose=False, **params)
    raise SystemExit(f"unknown model {name}")


def parse(pairs):
    """`n_estimators=20` → {"n_estimators": 20}: numbers as numbers, the rest as text."""
    params = {}
    for pair in pairs:
        key, value = pair.split("=", 1)
        for cast in (int, float):
            try:
                value = cast(value)
                break
            except ValueError:
                pass
        params[key] = value
    return params


def main(name: str, path: str, params: dict) -> None:
    frame = pd.read_csv(path)
    x = frame.drop(columns="y").to_numpy(dtype=np.float64)
    y = frame["y"].to_numpy(dtype=np.float64)
    n_train = int(len(y) * 0.8)
    estimator = model(name, params)
    started = time.perf_counter()
    estimator.fit(x[:n_train], y[:n_train])
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    predicted = estimator.predict(x[n_train:])
    predict_seconds = time.perf_counter() - started
    started = time.perf_counter()
    every_row = estimator.predict(x)
    predict_all_seconds = time.perf_counter() - started
    print(json.dumps({
        "model": name,
        "fit_seconds": fit_seconds,
        "predict_seconds": predict_seconds,
        "holdout_r2": float(r2_score(y[n_train:], predicted)),
        "predict_all_rows": len(every_row),
        "predict_all_seconds": predict_all_seconds,
        "predict_rows_per_second": len(every_row) / predict_all_seconds,
    }))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], parse(sys.argv[3:]))

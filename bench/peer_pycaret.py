"""The peer's figures for the 1M-row benchmarks: PyCaret 3.3.2 scoring a CSV
with predict_model, and training the seed options on a large CSV.

    /tmp/pyc/bin/python bench/peer_pycaret.py predict MODEL_PATH rows_1m_nt.csv
    /tmp/pyc/bin/python bench/peer_pycaret.py train rows_1m.csv
"""
import sys
import time
import warnings

warnings.filterwarnings("ignore")
import pandas as pd
from pycaret.regression import create_model, load_model, predict_model, setup

started = time.perf_counter()
if sys.argv[1] == "predict":
    model = load_model(sys.argv[2], verbose=False)
    data = pd.read_csv(sys.argv[3])
    scored = predict_model(model, data=data, verbose=False)
    scored.to_csv("/tmp/peer_scored.csv", index=False)
    print(f"scored {len(scored)} rows in {time.perf_counter() - started:.2f} s")
else:
    data = pd.read_csv(sys.argv[2])
    setup(data, target="charges", session_id=123, normalize=True, polynomial_features=True,
          bin_numeric_features=["age", "bmi"], verbose=False, html=False, n_jobs=1)
    create_model("lr", verbose=False)
    print(f"trained on {len(data)} rows in {time.perf_counter() - started:.2f} s")

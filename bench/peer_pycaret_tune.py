"""The peer's tune_model, timed as one step after setup + create_model, on
the bundled insurance data (default setup, session_id 123, n_iter 10):
    /tmp/pyc/bin/python bench/peer_pycaret_tune.py data/insurance.csv charges rf
prints {"seconds": tune_model's wall time, "best_params": …, "R2": tuned CV mean}."""
import json
import sys
import time
import warnings

warnings.filterwarnings("ignore")
import pandas as pd
from pycaret.regression import RegressionExperiment

path, target, model_id = sys.argv[1:4]
experiment = RegressionExperiment()
experiment.setup(pd.read_csv(path), target=target, session_id=123, verbose=False, html=False)
model = experiment.create_model(model_id, verbose=False)
started = time.perf_counter()
tuned, tuner = experiment.tune_model(model, n_iter=10, verbose=False, return_tuner=True)
seconds = time.perf_counter() - started
best = {k.split("__", 1)[1]: str(v) for k, v in tuner.best_params_.items()}
print(json.dumps({"seconds": seconds, "best_params": best, "R2": float(experiment.pull().loc["Mean", "R2"])}))

"""MLflow's tracking store, measured like mlship's (crates/mlship-track/benches/store.rs).

    python bench/peer_mlflow.py sqlite:////tmp/mlflow-bench/mlflow.db
    python bench/peer_mlflow.py postgresql://mlship:mlship@127.0.0.1:5432/mlflow_bench

Fills an experiment with 10,000 runs shaped like `mlship train`'s (30 params,
28 metric keys, 37 points, one tag) once, then times, as medians:
- logging one run with 100 params and 1,000 metric points (log_batch, as
  fast as MLflow's client can log them);
- search_runs over the 10,000 runs ordered by a metric.
Needs `pip install mlflow-skinny sqlalchemy alembic` (+ psycopg2-binary for PostgreSQL).
"""

import statistics
import sys
import time

from mlflow.entities import Metric, Param, RunTag
from mlflow.tracking import MlflowClient

RUNS = 10_000


def train_like_metrics(i, now):
    x = (i * 0.6180339887) % 1.0
    metrics = []
    for m, name in enumerate(["mae", "mse", "rmse", "r2", "rmsle", "mape"]):
        for prefix, suffix in [("cv_", ""), ("cv_", "_std"), ("holdout_", "")]:
            metrics.append(Metric(f"{prefix}{name}{suffix}", x * (m + 1), now, 0))
    for fold in range(1, 11):
        metrics.append(Metric("fold_r2", x - fold * 0.001, now, fold))
    return metrics


def experiment(client, name):
    found = client.get_experiment_by_name(name)
    return found.experiment_id if found else client.create_experiment(name)


def fill(client, experiment_id):
    existing = len(client.search_runs([experiment_id], max_results=RUNS))
    started = time.perf_counter()
    for i in range(existing, RUNS):
        run = client.create_run(experiment_id, run_name=f"run-{i}")
        now = int(time.time() * 1000)
        params = [Param(f"param_{p:03}", f"value-{(i + p) % 7}") for p in range(30)]
        client.log_batch(run.info.run_id, metrics=train_like_metrics(i, now), params=params, tags=[RunTag("worker", str(i % 8))])
        client.set_terminated(run.info.run_id)
    if existing < RUNS:
        print(f"filled {RUNS - existing} runs in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def main():
    uri = sys.argv[1]
    client = MlflowClient(tracking_uri=uri)
    ten_thousand = experiment(client, "ten-thousand")
    fill(client, ten_thousand)
    logging = experiment(client, "logging")

    log_times = []
    for i in range(20):
        started = time.perf_counter()
        run = client.create_run(logging, run_name=f"log-{i}")
        params = [Param(f"param_{p:03}", f"value-{p % 7}") for p in range(100)]
        now = int(time.time() * 1000)
        metrics = [Metric(f"loss_{s % 4}", float(s), now, s // 4) for s in range(1000)]
        client.log_batch(run.info.run_id, params=params)
        client.log_batch(run.info.run_id, metrics=metrics)
        client.set_terminated(run.info.run_id)
        log_times.append(time.perf_counter() - started)

    search_times = []
    for _ in range(7):
        started = time.perf_counter()
        runs = client.search_runs([ten_thousand], order_by=["metrics.holdout_r2 DESC"], max_results=RUNS)
        search_times.append(time.perf_counter() - started)
        assert len(runs) == RUNS, len(runs)

    print(f"{uri.split(':')[0]}: log run (100 params, 1000 points) median {statistics.median(log_times) * 1000:.1f} ms; "
          f"search_runs 10,000 sorted by a metric median {statistics.median(search_times) * 1000:.0f} ms "
          f"(min {min(search_times) * 1000:.0f}, max {max(search_times) * 1000:.0f})")


if __name__ == "__main__":
    main()

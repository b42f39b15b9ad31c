"""The peer of `mlship monitor` in BENCHMARKS.md ("Monitoring (issue 14)"):
Evidently's DataDriftPreset on the reference and current CSVs of
bench/monitor/make_data.py, as a user of Evidently would run it. Run:

    /tmp/stattest-venv/bin/python bench/monitor/evidently_preset.py REF.csv CURRENT.csv [SHIFTED.json]

Pinned (the venv of fixtures/evidently_drift.py): evidently==0.7.23,
pandas==2.3.3 (evidently 0.7.23 does not import under pandas 3),
numpy==2.4.6, scipy==1.17.1.

The 20 feature columns are declared (15 numerical, 5 categorical) so that
Evidently tests exactly the columns mlship tests; the target `y` is left out
of the definition (mlship reports it apart, as target drift). Evidently
picks each column's test by its defaults (reference of 10,000 rows: normed
Wasserstein for numbers, Jensen-Shannon for categories, both at 0.1).

Prints one JSON object: the seconds spent reading the two CSVs (pandas) and
computing the report (Dataset.from_pandas + Report.run, which is the whole
of Evidently's work, its widgets included), the drifted count and share, and
per column the method, threshold, score and verdict (from the preset's own
per-column tests: `include_tests=True`, which only attaches the
drift_detected each ValueDrift computes anyway).
"""

import json
import sys
import time
import warnings

t_start = time.perf_counter()

import pandas as pd  # noqa: E402
import evidently  # noqa: E402
from evidently import DataDefinition, Dataset, Report  # noqa: E402
from evidently.presets import DataDriftPreset  # noqa: E402

warnings.filterwarnings("ignore")
assert evidently.__version__ == "0.7.23", evidently.__version__
assert pd.__version__ == "2.3.3", pd.__version__

NUMERICAL = [f"n_{i:02d}" for i in range(1, 16)]
CATEGORICAL = ["c_2", "c_5", "c_12", "c_30", "c_50"]


def main():
    reference_path, current_path = sys.argv[1], sys.argv[2]
    t_imported = time.perf_counter()
    reference = pd.read_csv(reference_path)
    current = pd.read_csv(current_path)
    t_read = time.perf_counter()

    definition = DataDefinition(numerical_columns=NUMERICAL, categorical_columns=CATEGORICAL)
    reference_data = Dataset.from_pandas(reference, data_definition=definition)
    current_data = Dataset.from_pandas(current, data_definition=definition)
    # include_tests only attaches the verdict each ValueDrift computes anyway (its drift_detected).
    report = Report([DataDriftPreset()], include_tests=True)
    snapshot = report.run(current_data, reference_data)
    t_computed = time.perf_counter()

    result = snapshot.dict()
    columns = {}
    drifted_count = None
    drifted_share = None
    for metric in result["metrics"]:
        config = metric["config"]
        kind = config.get("type", "")
        if kind.endswith("DriftedColumnsCount"):
            drifted_count = metric["value"]["count"]
            drifted_share = metric["value"]["share"]
        elif kind.endswith("ValueDrift"):
            columns[config["column"]] = {
                "method": config.get("method"),
                "threshold": config.get("threshold"),
                "drift_score": metric["value"],
            }
    for test in result["tests"]:
        name = test["name"]
        prefix = "Value Drift for column "
        if name.startswith(prefix):
            columns[name[len(prefix) :]]["drift_detected"] = test["status"] == "FAIL"
    drifted = sorted(c for c, v in columns.items() if v.get("drift_detected"))
    out = {
        "evidently": evidently.__version__,
        "reference_rows": len(reference),
        "current_rows": len(current),
        "seconds_import": round(t_imported - t_start, 3),
        "seconds_read": round(t_read - t_imported, 3),
        "seconds_compute": round(t_computed - t_read, 3),
        "number_of_drifted_columns": drifted_count,
        "share_of_drifted_columns": drifted_share,
        "dataset_drift": drifted_share is not None and drifted_share >= 0.5,
        "drifted_columns": drifted,
        "columns": columns,
    }
    if len(sys.argv) > 3:
        with open(sys.argv[3]) as f:
            truth = sorted(json.load(f)["shifted"])
        out["shifted_columns"] = truth
        out["verdicts_match_shifts"] = drifted == truth
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()

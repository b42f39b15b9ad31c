"""Holds `mlship monitor --json` reports against Evidently's preset
(bench/monitor/evidently_preset.py) and the shifts make_data.py made: the same
drifted columns, the same data-set verdict, and how far apart the scores are.
Standard library only. Run:

    python3 bench/monitor/compare_verdicts.py EVIDENTLY.json SHIFTED.json MLSHIP.json [MLSHIP.json ...]

Prints one line per mlship report; exits 1 when any verdict differs.
"""

import json
import sys


def main():
    evidently = json.load(open(sys.argv[1]))
    shifted = sorted(json.load(open(sys.argv[2]))["shifted"])
    peer_drifted = sorted(evidently["drifted_columns"])
    print(
        f"Evidently: {len(peer_drifted)} of {len(evidently['columns'])} drifted "
        f"(share {evidently['share_of_drifted_columns']}), dataset drift {evidently['dataset_drift']}, "
        f"drifted = shifted: {peer_drifted == shifted}"
    )
    failed = False
    for path in sys.argv[3:]:
        report = json.load(open(path))
        drift = report["data_drift"]
        columns = {c["column_name"]: c for c in drift["drift_by_columns"]}
        drifted = sorted(name for name, c in columns.items() if c["drift_detected"])
        tests = sorted({f"{c['column_type']}:{c['stattest_name']}" for c in columns.values()})
        gaps = []
        for name, peer in evidently["columns"].items():
            ours = columns.get(name, {}).get("drift_score")
            if ours is not None and peer["drift_score"] is not None:
                gaps.append((abs(ours - peer["drift_score"]), name))
        worst = max(gaps) if gaps else (float("nan"), "-")
        same = drifted == peer_drifted and drift["dataset_drift"] == evidently["dataset_drift"]
        failed |= not same
        print(
            f"{path}: {len(drifted)} of {len(columns)} drifted (share {drift['share_of_drifted_columns']}), "
            f"dataset drift {drift['dataset_drift']}; same verdicts as Evidently: {same}; "
            f"largest score gap {worst[0]:.3g} ({worst[1]}); tests {', '.join(tests)}"
        )
        if not same:
            print(f"  mlship drifted {drifted}\n  Evidently drifted {peer_drifted}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

"""The 1,000,000-row, 20-feature regression set of the tree benchmarks
(BENCHMARKS.md, issue 12). Deterministic (numpy's PCG64 with seed 12),
nonlinear so that trees and boosting have something to find:
Friedman #1 on features 0-4, a linear term on 5-9, an interaction on
10-11, ten pure-noise features, Gaussian noise with sigma 1.

    python3 bench/trees/make_regression.py 1000000 /tmp/mlship-bench/reg_1m.csv

Needs only numpy (any recent version).
"""
import sys

import numpy as np


def main(n_rows: int, path: str) -> None:
    rng = np.random.default_rng(12)
    x = rng.random((n_rows, 20))
    y = (
        10 * np.sin(np.pi * x[:, 0] * x[:, 1])
        + 20 * (x[:, 2] - 0.5) ** 2
        + 10 * x[:, 3]
        + 5 * x[:, 4]
        + x[:, 5:10] @ np.array([3.0, -2.0, 1.5, -1.0, 0.5])
        + 4 * (x[:, 10] > 0.5) * x[:, 11]
        + rng.normal(0.0, 1.0, n_rows)
    )
    header = ",".join([f"f{i}" for i in range(20)] + ["y"])
    np.savetxt(path, np.column_stack([x, y]), delimiter=",", fmt="%.6f", header=header, comments="")


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])

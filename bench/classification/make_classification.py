"""The 30,000-row binary classification set of the classification benchmarks:
20 feature columns (17 numeric, 3 categorical) and a text target, written
to the path given on the command line.

    /tmp/skl/bin/python bench/classification/make_classification.py /tmp/mlship-bench/clf_30k.csv

Deterministic for a given scikit-learn and numpy: make_classification with
random_state=12 (n_informative=8, n_redundant=4, n_repeated=0, 8 noise
features, two clusters per class, class weights 0.7 / 0.3 so the minority is
large enough to score and small enough for fix_imbalance to matter,
flip_y=0.01), unshuffled so that columns 0-7 are the informative ones, 8-11
the redundant ones and 12-19 noise, then its rows permuted by
RandomState(12). Three of the informative features (columns 0, 3, 6) become
text categoricals by their quantiles (region: 5 levels, plan: 3, channel: 4),
so the encoders have work to do while the signal stays; the other columns
keep six decimals. The
target column `churn` holds "yes" (class 1, the minority) and "no".
Pinned where it was first written: scikit-learn 1.9.1, numpy 2.4.

Only the script is committed; the CSV is generated where it is used.
"""
import os
import sys

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification

N_ROWS = 30_000
SEED = 12
# (column index in make_classification's output, name, levels in quantile order)
CATEGORICAL = [
    (0, "region", ["north", "east", "south", "west", "central"]),
    (3, "plan", ["basic", "plus", "pro"]),
    (6, "channel", ["web", "store", "phone", "partner"]),
]


def make(n_rows: int = N_ROWS) -> pd.DataFrame:
    x, y = make_classification(
        n_samples=n_rows,
        n_features=20,
        n_informative=8,
        n_redundant=4,
        n_repeated=0,
        n_classes=2,
        n_clusters_per_class=2,
        weights=[0.7, 0.3],
        flip_y=0.01,
        class_sep=1.0,
        shuffle=False,
        random_state=SEED,
    )
    # Unshuffled, the rows come sorted by class and cluster.
    order = np.random.RandomState(SEED).permutation(n_rows)
    x, y = x[order], y[order]
    categorical = {index: (name, levels) for index, name, levels in CATEGORICAL}
    columns = {}
    numeric = 0
    for index in range(x.shape[1]):
        if index in categorical:
            name, levels = categorical[index]
            edges = np.quantile(x[:, index], np.linspace(0, 1, len(levels) + 1)[1:-1])
            columns[name] = np.asarray(levels)[np.searchsorted(edges, x[:, index], side="right")]
        else:
            columns[f"x{numeric}"] = np.round(x[:, index], 6)
            numeric += 1
    frame = pd.DataFrame(columns)
    frame["churn"] = np.where(y == 1, "yes", "no")
    return frame


def main(path: str) -> None:
    frame = make()
    assert frame.shape == (N_ROWS, 21), frame.shape
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n")
    print(f"{path}: {frame.shape[0]} rows, {frame.shape[1] - 1} features + churn",
          dict(frame["churn"].value_counts()))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_classification.py OUTPUT.csv")
    main(sys.argv[1])

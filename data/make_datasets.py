"""Writes the bundled classification datasets from scikit-learn's own files
(sklearn/datasets/data/*.csv, read by load_iris / load_breast_cancer /
load_wine with as_frame=True). Run:

    cd data && /tmp/skl/bin/python make_datasets.py

Pinned: scikit-learn 1.9.1 (these three files have not changed in years).
Each CSV holds scikit-learn's feature names as columns, then the target:

- iris.csv: 150 rows, 4 features, `species` = the class NAME (setosa,
  versicolor, virginica; 50 each), what a data scientist classifies.
  scikit-learn's frame calls the column `target` and holds 0/1/2; a name
  column keeps the predictions readable.
- breast_cancer.csv: 569 rows, 30 features, `target` 0/1 exactly as
  scikit-learn ships it: 0 = malignant (212), 1 = benign (357). Kept as
  numbers so results compare one to one with load_breast_cancer; note that
  "positive" (class 1, what Recall / Prec. / F1 score) is benign.
- wine.csv: 178 rows, 13 features, `target` 0/1/2 (class_0..class_2: 59,
  71, 48), as scikit-learn ships it.

Sources (recorded in crates/mlship-data/src/datasets.rs): the UCI Machine
Learning Repository's Iris (Fisher, 1936), Breast Cancer Wisconsin
(Diagnostic) (Wolberg, Street, Mangasarian, 1995) and Wine (Forina et al.,
1988) data, as redistributed with scikit-learn under its BSD-3-Clause
licence. Each file is read back and compared with scikit-learn's frame
before the script finishes.
"""
import os

import numpy as np
import pandas as pd
import sklearn
from sklearn.datasets import load_breast_cancer, load_iris, load_wine

HERE = os.path.dirname(os.path.abspath(__file__))


def frame(loader, target_name, names=None):
    bunch = loader(as_frame=True)
    data = bunch.frame.drop(columns=["target"])
    target = bunch.frame["target"]
    data[target_name] = np.asarray(bunch.target_names)[target] if names else target
    return data


def write(name, data):
    path = os.path.join(HERE, f"{name}.csv")
    data.to_csv(path, index=False, lineterminator="\n")
    back = pd.read_csv(path)
    pd.testing.assert_frame_equal(back, data.reset_index(drop=True), check_exact=True, check_dtype=False)
    target = data.columns[-1]
    print(f"{path}: {data.shape[0]} rows x {data.shape[1]} columns, {target}:",
          dict(data[target].value_counts(sort=False).sort_index()))


def main():
    print("scikit-learn", sklearn.__version__)
    write("iris", frame(load_iris, "species", names=True))
    write("breast_cancer", frame(load_breast_cancer, "target"))
    write("wine", frame(load_wine, "target"))


if __name__ == "__main__":
    main()

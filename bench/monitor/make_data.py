"""The monitoring benchmark's data (BENCHMARKS.md, "Monitoring (issue 14)"):
a 10,000-row reference and a 1,000,000-row current table of 20 feature
columns (15 numeric of varied shapes, 5 categorical with 2..50 levels) and a
numeric target `y`, in which 8 of the 20 features (two fifths: below
Evidently's drift_share of one half, so the data set as a whole does not
drift) are shifted in the current table. Run:

    /tmp/stattest-venv/bin/python bench/monitor/make_data.py OUT_DIR

Pinned (the venv of fixtures/evidently_drift.py): numpy==2.4.6,
pandas==2.3.3, pyarrow==26.0.1 (for the Parquet copy of the current table).
Seed 14: the same files on every run.

Writes OUT_DIR/ref.csv, OUT_DIR/current.csv, OUT_DIR/current.parquet and
OUT_DIR/shifted.json (the shifted columns, the truth both tools are held to).

The shifts are chosen well clear of Evidently's large-reference thresholds
(normed Wasserstein 0.1, Jensen-Shannon 0.1) in one direction or the other,
so the verdicts test the tools, not sampling noise: a mean moved by half a
standard deviation, a spread doubled, a mixture's weights swapped, a rate
raised, levels' frequencies reshuffled. `n_10` carries 2% missing cells on
both sides; no shift touches the target's formula.
"""

import json
import os
import sys

import numpy as np
import pandas as pd

N_REFERENCE = 10_000
N_CURRENT = 1_000_000
SEED = 14

LEVELS = {
    "c_2": 2,
    "c_5": 5,
    "c_12": 12,
    "c_30": 30,
    "c_50": 50,
}
SHIFTED = ["n_01", "n_04", "n_06", "n_07", "n_12", "n_14", "c_5", "c_50"]


def level_probabilities(n_levels, rng):
    weights = rng.dirichlet(np.full(n_levels, 2.0))
    return weights / weights.sum()


def numeric_columns(n, rng, shifted):
    """15 numeric columns; `shifted` moves the ones named in SHIFTED."""
    s = shifted
    columns = {}
    columns["n_01"] = rng.normal(0.5 if s else 0.0, 1.0, n)  # normal, mean moved by 0.5 sd
    columns["n_02"] = rng.normal(100.0, 15.0, n)  # normal, large offset
    columns["n_03"] = rng.lognormal(0.0, 0.75, n)  # right-skewed
    columns["n_04"] = rng.exponential(2.0 if s else 1.0, n)  # exponential, scale doubled
    columns["n_05"] = rng.uniform(-3.0, 3.0, n)  # flat
    mix = rng.random(n) < (0.7 if s else 0.3)
    columns["n_06"] = np.where(mix, rng.normal(-2.0, 0.5, n), rng.normal(2.0, 0.5, n))  # bimodal
    columns["n_07"] = rng.normal(0.0, 2.0 if s else 1.0, n)  # normal, spread doubled
    columns["n_08"] = rng.standard_t(3, n)  # heavy tails
    columns["n_09"] = rng.beta(2.0, 5.0, n)  # bounded, skewed
    n_10 = rng.gamma(2.0, 3.0, n)
    n_10[rng.random(n) < 0.02] = np.nan  # 2% missing
    columns["n_10"] = n_10
    columns["n_11"] = rng.poisson(4.0, n).astype(float)  # counts, a dozen distinct values
    columns["n_12"] = rng.poisson(6.0 if s else 3.0, n).astype(float)  # counts, rate doubled
    columns["n_13"] = np.round(rng.normal(50.0, 10.0, n), 1)  # one decimal, many ties
    columns["n_14"] = rng.weibull(1.5, n) * (1.6 if s else 1.0)  # Weibull, scale up 60%
    columns["n_15"] = rng.integers(18, 90, n).astype(float)  # ages, uniform integers
    return columns


def categorical_columns(n, rng, probabilities, shifted):
    columns = {}
    for name, n_levels in LEVELS.items():
        p = probabilities[name]
        if shifted and name in SHIFTED:
            p = p[::-1]  # the most frequent levels become the rarest
        codes = rng.choice(n_levels, size=n, p=p)
        labels = np.array([f"{name[2:]}L{i:02d}" for i in range(n_levels)], dtype=object)
        columns[name] = labels[codes]
    return columns


def table(n, rng, probabilities, shifted):
    numeric = numeric_columns(n, rng, shifted)
    categorical = categorical_columns(n, rng, probabilities, shifted)
    frame = pd.DataFrame({**numeric, **categorical})
    # A target the features explain in part (the lr model has something to fit).
    y = (
        3.0 * frame["n_01"]
        - 2.0 * frame["n_05"]
        + 0.5 * frame["n_06"]
        + 0.1 * frame["n_02"]
        + np.where(frame["c_2"] == "2L00", 1.5, -1.5)
        + rng.normal(0.0, 1.0, n)
    )
    frame["y"] = np.round(y, 6)
    return frame


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(SEED)
    probabilities = {name: level_probabilities(k, rng) for name, k in LEVELS.items()}
    reference = table(N_REFERENCE, rng, probabilities, shifted=False)
    current = table(N_CURRENT, rng, probabilities, shifted=True)
    # Six significant digits: both tools read the same decimal text.
    reference.to_csv(os.path.join(out, "ref.csv"), index=False, float_format="%.6g")
    current.to_csv(os.path.join(out, "current.csv"), index=False, float_format="%.6g")
    # The Parquet copy holds the CSV's values, read back, so both formats carry the same numbers.
    pd.read_csv(os.path.join(out, "current.csv")).to_parquet(os.path.join(out, "current.parquet"), index=False)
    with open(os.path.join(out, "shifted.json"), "w") as f:
        json.dump({"shifted": SHIFTED, "features": [c for c in reference.columns if c != "y"]}, f)


if __name__ == "__main__":
    main()

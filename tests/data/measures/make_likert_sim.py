"""Regenerate likert_sim.csv, the reference data for tests/test_measures_*.py.

Four correlated latent dimensions (coverage, ideology, effectiveness, resource), four Likert
items each (1-5, already reverse-coded as after ingest), plus three outcomes. About 2 % of the
cells are blanked so that the tests exercise listwise / pairwise rules. The R reference values
pasted into the tests were computed on exactly this file; rerun this script only if you also
rerun R.

    python tests/data/measures/make_likert_sim.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

DIMENSIONS = ["coverage", "ideology", "effectiveness", "resource"]
LOADINGS = [0.80, 0.70, 0.65, 0.55]


def make(seed: int = 20251126, n: int = 240) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    phi = np.full((4, 4), 0.35) + np.eye(4) * 0.65
    latent = rng.multivariate_normal(np.zeros(4), phi, size=n)
    data: dict[str, np.ndarray] = {}
    for d, dim in enumerate(DIMENSIONS):
        for i, lam in enumerate(LOADINGS):
            cont = lam * latent[:, d] + np.sqrt(1 - lam**2) * rng.standard_normal(n)
            # Thresholds skewed to the agreeing side, as in real satisfaction-type surveys.
            data[f"{dim}_{i + 1}"] = np.digitize(cont, [-1.5, -0.6, 0.2, 1.1]) + 1
    df = pd.DataFrame(data).astype("float64")
    mask = rng.random(df.shape) < 0.02
    df = df.mask(mask)
    df["rd_intensity"] = np.round(3 + 0.8 * latent[:, 0] + rng.gamma(2.0, 1.0, n), 2)
    df["coop_projects"] = rng.poisson(np.exp(0.8 + 0.3 * latent[:, 3])).astype("float64")
    df["revenue_growth"] = np.round(5 + 2 * latent[:, 2] + 6 * rng.standard_normal(n), 2)
    df.loc[rng.random(n) < 0.03, "rd_intensity"] = np.nan
    return df


if __name__ == "__main__":
    out = Path(__file__).with_name("likert_sim.csv")
    make().to_csv(out, index=False, encoding="utf-8", lineterminator="\n", na_rep="")
    print(out)

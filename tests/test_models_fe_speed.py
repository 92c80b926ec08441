"""Absorbed fixed effects without dummy matrices (chainpb.models.fe), against explicit dummies.

References are computed in the test from the dense dummy matrix (numpy ``matrix_rank`` and
least squares) and from statsmodels OLS with ``C(city_key) + C(chain_id)`` — the textbook
dummy-variable regression the absorbed fit must reproduce.

Degrees of freedom: statsmodels' cluster correction (N−1)/(N−K) takes K as the number of
*columns* of the design, redundant dummies included (here the city dummies are redundant
given nested chains); the project (like R's lm + sandwich::vcovCL, which drop aliased
columns, and like the dense-SVD rank it replaced) uses the *rank*. The clustered statsmodels
SEs are therefore rescaled by sqrt((N−K_columns)/(N−K_rank)) before the comparison (with no
redundant column the factor is 1); statsmodels' HC1 already uses N − rank.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from chainpb.models import fe, fit_job, model_jobs
from chainpb.models.design import drop_collinear


def dense_dummies(codes: np.ndarray) -> np.ndarray:
    codes = codes[:, None] if codes.ndim == 1 else codes
    return np.hstack([np.eye(int(c.max()) + 1)[c] for c in codes.T])


def code_sets() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    n = 400
    chain = rng.integers(0, 24, n)
    nested = np.column_stack([chain % 4, chain])  # chains inside 4 cities: 4 components
    crossed = np.column_stack([rng.integers(0, 5, n), rng.integers(0, 30, n)])  # connected
    # Two separate blocks of levels that never meet: 2 components.
    block = rng.integers(0, 2, n)
    split = np.column_stack([block * 3 + rng.integers(0, 3, n), block * 7 + rng.integers(0, 7, n)])
    three = np.column_stack([chain % 4, chain, rng.integers(0, 6, n)])
    three_nested = np.column_stack([chain % 4, chain, chain % 2])  # third FE fully redundant
    out = {
        "one": chain,
        "nested": nested,
        "crossed": crossed,
        "split": split,
        "three": three,
        "three_nested": three_nested,
    }
    # Dense codes 0..L-1 with every level present, as group_codes gives them.
    return {
        k: np.column_stack([pd.factorize(c, sort=True)[0] for c in np.atleast_2d(v.T)])
        if v.ndim == 2
        else pd.factorize(v, sort=True)[0]
        for k, v in out.items()
    }


@pytest.mark.parametrize("name", list(code_sets()))
def test_rank_equals_rank_of_dense_dummies(name):
    codes = code_sets()[name]
    assert fe.fe_rank(codes) == np.linalg.matrix_rank(dense_dummies(codes))


def test_rank_of_two_fixed_effects_counts_components():
    # nested: 4 cities + 24 chains − 4 components; split: 6 + 14 − 2.
    sets = code_sets()
    assert fe.fe_rank(sets["nested"]) == 4 + 24 - 4
    assert fe.fe_rank(sets["split"]) == 6 + 14 - 2
    assert fe.fe_rank(sets["crossed"]) == 5 + 30 - 1


@pytest.mark.parametrize("name", list(code_sets()))
def test_demeaning_equals_dummy_least_squares_residuals(name):
    codes = code_sets()[name]
    rng = np.random.default_rng(11)
    Z = rng.normal(size=(len(codes), 3)) * [1.0, 50.0, 0.01] + codes.reshape(len(codes), -1)[:, :1]
    D = dense_dummies(codes)
    ref = Z - D @ np.linalg.lstsq(D, Z, rcond=None)[0]
    got = fe.demean(Z, codes)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-10 * np.abs(Z).max())


@pytest.mark.parametrize("name", ["nested", "crossed", "three"])
def test_alternating_projections_fallback_agrees(name, monkeypatch):
    codes = code_sets()[name]
    Z = np.random.default_rng(5).normal(size=(len(codes), 2))
    direct = fe.demean(Z, codes)
    monkeypatch.setattr(fe, "DIRECT_MAX_LEVELS", 0)
    iterated = fe.demean(Z, codes)
    np.testing.assert_allclose(iterated, direct, rtol=0, atol=1e-9)


def test_fast_rank_check_never_contradicts_drop_collinear():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(500, 4))
    assert fe._clearly_full_rank(X)
    assert drop_collinear(pd.DataFrame(X))[1] == ()
    collinear = np.column_stack([X, X[:, 0] - 2 * X[:, 1]])
    assert not fe._clearly_full_rank(collinear)
    assert drop_collinear(pd.DataFrame(collinear))[1] == (4,)
    near = np.column_stack([X, X[:, 0] + 1e-12 * rng.normal(size=500)])
    assert not fe._clearly_full_rank(near)  # undecided: left to drop_collinear
    assert not fe._clearly_full_rank(np.column_stack([X, np.zeros(500)]))


def firms(nested: bool) -> pd.DataFrame:
    """600 firms, 4 cities, 24 chains (nested in cities, or spread over them)."""
    rng = np.random.default_rng(21 if nested else 22)
    n = 600
    chain = rng.integers(0, 24, n)
    city = chain % 4 if nested else rng.integers(0, 4, n)
    df = pd.DataFrame(
        {
            "city_key": [f"city{c}" for c in city],
            "chain_id": [f"c{c:02d}" for c in chain],
            "alliance_member": rng.integers(0, 2, n).astype(float),
            "diff_resource": rng.integers(0, 2, n).astype(float),
            "log_employees": rng.normal(4, 1, n).round(4),
            "ownership": np.array(["国有", "民营", "外资"])[rng.integers(0, 3, n)],
        }
    )
    df["rd_intensity"] = (
        1
        + 0.8 * df["alliance_member"]
        - 0.3 * df["diff_resource"]
        + 0.25 * df["log_employees"]
        + rng.normal(0, 0.6, 24)[chain]
        + rng.normal(0, 0.6, 4)[city]
        + rng.normal(0, 1, n)
    ).round(4)
    return df


@pytest.mark.filterwarnings("ignore:The design matrix is rank-deficient")
@pytest.mark.parametrize("nested", [True, False])
@pytest.mark.parametrize("cluster", [["chain_id"], []])
def test_fit_matches_statsmodels_with_explicit_dummies(nested, cluster):
    df = firms(nested)
    spec = {
        "outcomes": ["rd_intensity"],
        "regressors": ["alliance_member", "diff_resource"],
        "controls": ["log_employees", "ownership"],
        "fixed_effects": ["city_key", "chain_id"],
        "cluster": cluster,
    }
    (job,) = model_jobs({"m": spec})
    (res,) = fit_job(df, job)
    ours = res.coefs.set_index("term")

    formula = (
        "rd_intensity ~ alliance_member + diff_resource + log_employees"
        " + C(ownership, Treatment('国有')) + C(city_key) + C(chain_id)"
    )
    if cluster:
        groups = pd.factorize(df["chain_id"])[0]
        ref = smf.ols(formula, df).fit(cov_type="cluster", cov_kwds={"groups": groups})
    else:
        ref = smf.ols(formula, df).fit(cov_type="HC1")
    exog = ref.model.exog
    n, k_cols = exog.shape
    k_rank = np.linalg.matrix_rank(exog)
    assert res.extra["k_total"] == k_rank
    assert res.extra["absorbed_levels"] == (4 + 24 - 4 if nested else 4 + 24 - 1)
    # Cluster correction: statsmodels counts columns, we count the rank. HC1's n/(n−K) in
    # statsmodels already uses df_resid = n − rank: no factor.
    factor = np.sqrt((n - k_cols) / (n - k_rank)) if cluster else 1.0
    names = {
        "alliance_member": "alliance_member",
        "diff_resource": "diff_resource",
        "log_employees": "log_employees",
        "C(ownership)[T.民营]": "C(ownership, Treatment('国有'))[T.民营]",
        "C(ownership)[T.外资]": "C(ownership, Treatment('国有'))[T.外资]",
    }
    for term, ref_term in names.items():
        assert ours.loc[term, "estimate"] == pytest.approx(ref.params[ref_term], rel=1e-8)
        assert ours.loc[term, "std_error"] == pytest.approx(ref.bse[ref_term] * factor, rel=1e-8)
    assert res.r2 == pytest.approx(ref.rsquared, rel=1e-10)

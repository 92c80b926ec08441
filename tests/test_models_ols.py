"""OLS: Petersen's clustered standard errors, sample alignment, interactions, winsorising."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels
import statsmodels.formula.api as smf

from chainpb.errors import ChainpbError
from chainpb.models import fit_job, model_jobs
from chainpb.models.design import winsorize

PETERSEN = Path(statsmodels.__file__).parent / "stats" / "tests" / "test_data.txt"


def fit_one(data: pd.DataFrame, spec: dict):
    (job,) = model_jobs({"m": spec})
    (res,) = fit_job(data, job)
    return res.coefs.set_index("term"), res


@pytest.fixture(scope="module")
def petersen() -> pd.DataFrame:
    # Petersen's test data (5000 rows: firmid, year, x, y), shipped with statsmodels.
    return pd.read_csv(
        PETERSEN, sep=r"\s+", header=None, names=["firmid", "year", "x", "y"], encoding="utf-8"
    )


@pytest.mark.parametrize(
    ("cluster", "se_intercept", "se_x", "g"),
    [
        # Published on Petersen's "Programming Advice — Estimating standard errors in finance
        # panel data sets" page (test_data.htm): OLS of y on x clustered by firm, by year, both.
        (["firmid"], 0.0670, 0.0506, 500),
        (["year"], 0.0234, 0.0334, 10),
        (["firmid", "year"], 0.0651, 0.0536, 10),
    ],
)
def test_petersen_clustered_standard_errors(petersen, cluster, se_intercept, se_x, g):
    c, res = fit_one(petersen, {"outcomes": ["y"], "regressors": ["x"], "cluster": cluster})
    assert round(c.loc["Intercept", "std_error"], 4) == se_intercept
    assert round(c.loc["x", "std_error"], 4) == se_x
    # Petersen's coefficients: intercept 0.0297, x 1.0348
    assert round(c.loc["x", "estimate"], 4) == 1.0348
    assert round(c.loc["Intercept", "estimate"], 4) == 0.0297
    assert res.n_clusters == g
    assert res.extra["df_inference"] == g - 1


def small_panel() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 60
    df = pd.DataFrame(
        {
            "chain_id": [f"c{i % 6}" for i in range(n)],
            "x": rng.normal(size=n),
            "m": rng.integers(0, 2, size=n).astype(float),
        }
    )
    df["y"] = 1 + 0.5 * df["x"] + 0.3 * df["m"] - 0.4 * df["x"] * df["m"] + rng.normal(size=n)
    return df


def test_listwise_deletion_keeps_cluster_groups_aligned():
    df = small_panel()
    # A seventh cluster with a single firm whose outcome is missing: it must vanish from G,
    # not shift the other firms' cluster ids or count as an empty cluster.
    extra = pd.DataFrame({"chain_id": ["lonely"], "x": [2.0], "m": [1.0], "y": [np.nan]})
    data = pd.concat([extra, df], ignore_index=True)
    spec = {"outcomes": ["y"], "regressors": ["x", "m"], "cluster": ["chain_id"]}
    c, res = fit_one(data, spec)
    assert res.nobs == 60
    assert res.n_clusters == 6
    assert res.extra["df_inference"] == 5
    # Same as fitting the complete rows directly with statsmodels' own cluster code.
    ref = smf.ols("y ~ x + m", df).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(df["chain_id"])[0]}, use_t=True
    )
    assert c.loc["x", "std_error"] == pytest.approx(ref.bse["x"], rel=1e-12)
    assert c.loc["x", "p_value"] == pytest.approx(ref.pvalues["x"], rel=1e-10)


def test_missing_cluster_value_is_an_error_naming_model_and_variable():
    df = small_panel()
    df.loc[4, "chain_id"] = None
    spec = {"outcomes": ["y"], "regressors": ["x"], "cluster": ["chain_id"]}
    with pytest.raises(ChainpbError) as err:
        fit_one(df, spec)
    msg = str(err.value)
    assert "聚类变量「chain_id」" in msg and "cluster variable 'chain_id'" in msg
    assert "模型「m」" in msg and "model 'm'" in msg
    # ... but a firm dropped anyway (its outcome is missing) may lack a cluster id.
    df.loc[4, "y"] = np.nan
    _, res = fit_one(df, spec)
    assert res.nobs == 59


def test_unknown_regressor_is_an_error():
    with pytest.raises(ChainpbError, match="rd_intensity_alt"):
        fit_one(small_panel(), {"outcomes": ["y"], "regressors": ["rd_intensity_alt"]})


def test_interaction_is_centred_with_simple_slopes():
    df = small_panel()
    spec = {
        "outcomes": ["y"],
        "regressors": ["x", "m"],
        "interactions": [["x", "m"]],
        "cluster": ["chain_id"],
    }
    c, res = fit_one(df, spec)
    xm, mm = df["x"].mean(), df["m"].mean()
    assert res.extra["centring_means"] == pytest.approx({"x": xm, "m": mm})
    # Fully centred reference model: main effects are effects at the other variable's mean.
    ref = smf.ols("y ~ xc + mc + xc:mc", df.assign(xc=df["x"] - xm, mc=df["m"] - mm)).fit()
    assert c.loc["x_c:m_c", "estimate"] == pytest.approx(ref.params["xc:mc"], rel=1e-10)
    assert c.loc["x", "estimate"] == pytest.approx(ref.params["xc"], rel=1e-10)
    assert c.loc["m", "estimate"] == pytest.approx(ref.params["mc"], rel=1e-10)
    # Binary moderator: slopes of x at m = 0 and m = 1 equal the raw model's b_x and b_x + b_xm.
    raw = smf.ols("y ~ x * m", df).fit()
    slopes = {s["at"]: s["estimate"] for s in res.extra["simple_slopes"]}
    assert slopes["0"] == pytest.approx(raw.params["x"], rel=1e-10)
    assert slopes["1"] == pytest.approx(raw.params["x"] + raw.params["x:m"], rel=1e-10)


def test_winsorize_clips_at_sample_quantiles():
    # numpy linear quantiles = R quantile(type = 7): for 1..101, the 1 % and 99 % quantiles
    # are 2 and 100 (1 + 0.01 * 100 and 1 + 0.99 * 100).
    s = pd.Series(np.arange(1, 102, dtype=float))
    clipped, bounds = winsorize(s, 0.01, 0.99)
    assert bounds == (2.0, 100.0)
    assert clipped.min() == 2.0 and clipped.max() == 100.0
    assert clipped.iloc[50] == 51.0


def test_winsor_variant_changes_only_the_outcome():
    df = small_panel()
    df.loc[0, "y"] = 50.0  # an outlier
    spec = {
        "outcomes": ["y"],
        "regressors": ["x"],
        "robustness": {"winsor": {"winsorize": [0.05, 0.95]}},
    }
    jobs = model_jobs({"m": spec})
    # sorted by (model, outcome): the main spec first, then its variants
    assert [j.key for j in jobs] == ["m__y", "m__winsor__y"]
    (w,) = fit_job(df, jobs[1])
    lo, hi = np.quantile(df["y"], [0.05, 0.95])
    ref = smf.ols("yw ~ x", df.assign(yw=df["y"].clip(lo, hi))).fit()
    assert w.coefs.set_index("term").loc["x", "estimate"] == pytest.approx(ref.params["x"])
    assert w.extra["winsorize"]["bounds"] == pytest.approx([lo, hi])
    assert w.variant == "winsor"

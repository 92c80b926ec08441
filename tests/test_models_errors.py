"""Models that cannot be estimated stop with a named bilingual message; dropped terms are reported.

Every data set here is small and built by hand so that the expected outcome is known without
running the estimator: a column of ones has no variation, ``chain_id == 'c0'`` selects exactly
one cluster, ``x2 = 2·x`` is collinear with ``x``, a city-level control is constant within the
city fixed effect.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from chainpb.errors import ChainpbError
from chainpb.models import ESTIMATES_COLUMNS, collect_estimates, fit_job, model_jobs
from chainpb.present.tables import regression_table


def data(n: int = 48) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    df = pd.DataFrame(
        {
            "chain_id": [f"c{i % 4}" for i in range(n)],  # 4 chains, 12 firms each
            "city_key": ["a", "b"] * (n // 2),
            "x": rng.normal(size=n),
            "z": rng.normal(size=n),
            "y": rng.normal(size=n),
            "ones": 1.0,
            "empty_ctl": np.nan,
        }
    )
    df["x2"] = 2 * df["x"]
    df["city_level"] = df["city_key"].map({"a": 3.0, "b": 5.0})
    # y constant within each city but different between them
    df["y_city"] = df["city_level"]
    return df


def fit(df: pd.DataFrame, spec: dict):
    (job,) = model_jobs({"m": spec})
    return fit_job(df, job)


def stop_message(df: pd.DataFrame, spec: dict) -> str:
    with pytest.raises(ChainpbError) as info:
        fit(df, spec)
    return str(info.value)


@pytest.mark.parametrize(
    "extra",
    [
        {},  # OLS, HC1
        {"cluster": ["chain_id"]},
        {"fixed_effects": ["city_key"], "cluster": ["chain_id"]},  # absorbed
        {"estimator": "logit"},
        {"estimator": "mixedlm", "group": "chain_id"},
    ],
)
def test_constant_outcome_stops_with_named_message(extra):
    # Before: statsmodels divided by a zero total sum of squares ("float division by zero"
    # under absorbed FE) or returned a meaningless fit.
    msg = stop_message(data(), {"outcomes": ["ones"], "regressors": ["x"], **extra})
    assert "模型「m」" in msg and "model 'm'" in msg
    assert "「ones」" in msg and "取值全部相同（1）" in msg and "48 行" in msg
    assert "takes the same value (1) in all 48 rows" in msg
    assert "outcomes" in msg  # what to change


def test_outcome_constant_within_fixed_effects_stops():
    msg = stop_message(
        data(), {"outcomes": ["y_city"], "regressors": ["x"], "fixed_effects": ["city_key"]}
    )
    assert "固定效应（city_key）的每一组内都取同一个值" in msg
    assert "constant within every group of the fixed effects (city_key)" in msg


@pytest.mark.parametrize("fe", [[], ["city_key"]])
def test_single_cluster_stops(fe):
    msg = stop_message(
        data(),
        {
            "outcomes": ["y"],
            "regressors": ["x"],
            "fixed_effects": fe,
            "cluster": ["chain_id"],
            "subset": "chain_id == 'c0'",
        },
    )
    assert "按「chain_id」聚类" in msg and "只有 1 个聚类（c0）" in msg
    assert "has only 1 cluster(s) (c0)" in msg and "at least 2" in msg
    assert "cluster: []" in msg  # what to change


def test_clusters_must_exceed_regressors_of_interest():
    # Rule (chainpb.models.design.check_clusters): stop when G < 2 or G <= q, q = number of
    # regressors of interest. Two chains (c0, c1) and q = 2 → stop; needs 3.
    two = data()[lambda d: d["chain_id"].isin(["c0", "c1"])]
    spec = {"outcomes": ["y"], "regressors": ["x", "z"], "cluster": ["chain_id"]}
    msg = stop_message(two, spec)
    assert "只有 2 个聚类（c0, c1）" in msg and "至少需要 3 个聚类" in msg
    # Three chains, q = 2: allowed, and the reported G is 3 with t(G-1) = t(2) inference.
    three = data()[lambda d: d["chain_id"].isin(["c0", "c1", "c2"])]
    (res,) = fit(three, spec)
    assert res.n_clusters == 3 and res.extra["df_inference"] == 2
    # Controls do not count in q: K = 4 coefficients > G - 1 = 2 still fits (t-tests are valid).
    (res,) = fit(three, {**spec, "controls": ["city_level"]})
    assert res.nobs == 36 and len(res.coefs) == 4


def test_mixed_model_with_one_group_stops():
    msg = stop_message(
        data(),
        {
            "outcomes": ["y"],
            "regressors": ["x"],
            "estimator": "mixedlm",
            "group": "chain_id",
            "subset": "chain_id == 'c1'",
        },
    )
    assert "随机截距变量「chain_id」在估计样本中只有 1 个组" in msg
    assert "estimator: ols" in msg


def test_empty_sample_after_subset_names_the_variable():
    # Subset keeps the 24 firms of city a; empty_ctl is missing everywhere → nothing left.
    msg = stop_message(
        data(),
        {
            "outcomes": ["y"],
            "regressors": ["x"],
            "controls": ["empty_ctl"],
            "subset": "city_key == 'a'",
        },
    )
    assert "估计样本为空" in msg and "subset「city_key == 'a'」选中的 24 行" in msg
    assert "empty_ctl (24/24)" in msg
    assert "empty estimation sample" in msg and "controls" in msg


def test_collinear_regressor_is_reported_in_estimates_and_table():
    df = data()
    (res,) = fit(df, {"outcomes": ["y"], "regressors": ["x", "x2", "z"], "cluster": ["chain_id"]})
    assert res.dropped_terms() == {"x2": ["x"]}
    # The kept coefficients are those of the regression without x2 (statsmodels formula OLS).
    ref = smf.ols("y ~ x + z", data=df).fit()
    coefs = res.coefs.set_index("term")["estimate"]
    assert coefs["x"] == pytest.approx(ref.params["x"], rel=1e-10)
    assert coefs["z"] == pytest.approx(ref.params["z"], rel=1e-10)

    est = collect_estimates([res])
    assert list(est.columns) == ESTIMATES_COLUMNS and ESTIMATES_COLUMNS[-1] == "note"
    row = est[est["term"] == "x2"].iloc[0]
    assert np.isnan(row["estimate"]) and np.isnan(row["std_error"])
    assert row["note"] == "x2 已删除：与 x 完全共线 / x2 was dropped: collinear with x"
    assert (est.loc[est["term"] != "x2", "note"] == "").all()

    zh = regression_table([res, res], language="zh")
    assert "第(1)、(2)列中，x2因与x完全共线而被删除，不报告其系数。" in zh.notes
    en = regression_table([res], language="en")
    assert "In column (1), x2 was dropped: collinear with x." in en.notes


def test_control_constant_within_absorbed_fe_is_collinear_with_the_fe():
    (res,) = fit(
        data(),
        {
            "outcomes": ["y"],
            "regressors": ["x"],
            "controls": ["city_level"],
            "fixed_effects": ["city_key"],
            "cluster": ["chain_id"],
        },
    )
    assert res.dropped_terms() == {"city_level": ["city_key"]}
    est = collect_estimates([res])
    assert (
        est.loc[est["term"] == "city_level", "note"]
        .item()
        .endswith("city_level was dropped: collinear with city_key")
    )


def test_dropped_terms_survive_the_json_round_trip():
    from chainpb.models.result import FitResult

    (res,) = fit(data(), {"outcomes": ["y"], "regressors": ["x", "x2"]})
    back = FitResult.from_dict(res.to_dict())
    assert back.dropped_terms() == {"x2": ["x"]}
    assert back.tidy().equals(res.tidy())


def test_fit_written_before_collinear_with_still_gets_a_note():
    from chainpb.models.result import FitResult

    (res,) = fit(data(), {"outcomes": ["y"], "regressors": ["x", "x2"]})
    d = res.to_dict()
    del d["extra"]["collinear_with"]  # as in a fits/*.json of an older run
    old = FitResult.from_dict(d)
    assert old.dropped_terms() == {"x2": None}
    assert old.tidy()["note"].iloc[-1] == (
        "x2 已删除：与其他变量完全共线 / x2 was dropped: collinear with other terms"
    )
    assert "第(1)列中，x2因与其他变量完全共线而被删除，不报告其系数。" in (
        regression_table([old], language="zh").notes
    )

"""Mediation: stepwise procedure of 温忠麟、叶宝娟 (2014) and the cluster bootstrap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chainpb.models import fit_job, model_jobs
from chainpb.models.mediation import (
    bootstrap_indirect,
    fit_mechanism_regression,
    mediation_verdict,
)


def chains(seed: int = 11, n_chains: int = 10, per_chain: int = 20) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(n_chains), per_chain)
    u = rng.normal(0, 0.5, n_chains)[g]
    x = rng.integers(0, 2, g.size).astype(float)
    m = 0.8 * x + u + rng.normal(size=g.size)
    y = 1.0 * x + 0.5 * m + u + rng.normal(size=g.size)
    return pd.DataFrame(
        {
            "chain_id": [f"c{i:02d}" for i in g],
            "city_key": np.where(g < 5, "suqian", "wuxi"),
            "alliance_member": x,
            "coop_projects": m,
            "revenue_growth": y,
        }
    )


SPEC = {
    "mechanism": {
        "type": "mediation",
        "treatment": "alliance_member",
        "mediator": "coop_projects",
        "outcomes": ["revenue_growth"],
        "fixed_effects": ["city_key"],
        "cluster": ["chain_id"],
        "bootstrap": {"reps": 200, "seed": 20251126, "level": 0.95},
    }
}


def test_three_paths_and_total_effect_decomposition():
    df = chains()
    (job,) = model_jobs(SPEC)
    c_res, a_res, b_res = fit_job(df, job)
    assert [r.model for r in (c_res, a_res, b_res)] == [
        "mechanism__c_path",
        "mechanism__a_path",
        "mechanism__b_path",
    ]
    assert a_res.outcome == "coop_projects" and c_res.outcome == "revenue_growth"
    med = b_res.extra["mediation"]
    # For OLS on one sample with the same controls, c = c' + a·b holds exactly
    # (MacKinnon, Warsi & Dwyer 1995), which checks that the three equations share the sample.
    assert med["c"] == pytest.approx(med["c_prime"] + med["a"] * med["b"], abs=1e-10)
    assert med["proportion_mediated"] == pytest.approx(med["indirect"] / med["c"])
    lo, hi = med["indirect_ci"]
    assert lo < med["indirect"] < hi
    assert med["bootstrap_unit"] == "chain_id"
    # The DGP has a = 0.8, b = 0.5, c' = 1.0, all clearly significant with 200 firms:
    assert med["verdict"] == "部分中介" and med["verdict_en"] == "partial mediation"


def test_cluster_bootstrap_is_reproducible_with_its_seed():
    df = chains()
    (job,) = model_jobs(SPEC)
    d1 = bootstrap_indirect(df, job, reps=30, seed=5)
    d2 = bootstrap_indirect(df, job, reps=30, seed=5)
    d3 = bootstrap_indirect(df, job, reps=30, seed=6)
    assert np.array_equal(d1, d2)
    assert not np.array_equal(d1, d3)
    # Row order of the input does not matter: clusters are drawn from their sorted list.
    shuffled = df.sample(frac=1.0, random_state=1)
    d4 = bootstrap_indirect(shuffled, job, reps=30, seed=5)
    assert d4 == pytest.approx(d1, rel=1e-9)


def test_cluster_bootstrap_resamples_whole_chains():
    # With one firm per chain repeated identically, resampling chains or rows is the same;
    # here instead every chain has identical firms, so a draw is a weighted mix of chain
    # means and the draws must vary only through which chains were drawn: with a single
    # chain there is nothing to vary.
    df = chains(n_chains=10)
    one = df[df["chain_id"] == "c00"].copy()
    one = pd.concat([one, one.assign(chain_id="c00")], ignore_index=True)
    spec = {**SPEC["mechanism"], "fixed_effects": []}
    (job,) = model_jobs({"mechanism": spec})
    draws = bootstrap_indirect(one, job, reps=10, seed=1)
    assert np.ptp(draws) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize(
    ("kw", "verdict"),
    [
        # a, b significant, c' not → full mediation
        ({"p_a": 0.01, "p_b": 0.01, "p_c_prime": 0.4, "ab": 0.3, "c_prime": 0.05}, "完全中介"),
        # a, b significant, c' significant with the same sign → partial
        ({"p_a": 0.01, "p_b": 0.01, "p_c_prime": 0.01, "ab": 0.3, "c_prime": 0.2}, "部分中介"),
        # ... with the opposite sign → suppression
        ({"p_a": 0.01, "p_b": 0.01, "p_c_prime": 0.01, "ab": 0.3, "c_prime": -0.5}, "遮掩效应"),
        # b not significant, bootstrap CI contains 0 → no indirect effect
        ({"p_a": 0.01, "p_b": 0.3, "p_c_prime": 0.01, "ab": 0.1, "c_prime": 0.2}, "不显著"),
    ],
)
def test_verdict_follows_the_2014_procedure(kw, verdict):
    ci = (-0.05, 0.25) if kw["p_b"] > 0.05 else (0.1, 0.5)
    out = mediation_verdict(p_c=0.01, ci=ci, **kw)
    assert out["verdict"] == verdict


def test_bootstrap_rescues_a_nonsignificant_path():
    # Step 3: a not significant but the bootstrap CI of ab excludes 0 → indirect significant.
    out = mediation_verdict(
        p_c=0.2, p_a=0.08, p_b=0.01, p_c_prime=0.5, ab=0.2, c_prime=0.1, ci=(0.02, 0.4)
    )
    assert out["indirect_significant"] and out["verdict"] == "完全中介"
    assert out["framing"] == "suppression"  # c not significant: 按遮掩效应立论


def test_mechanism_regression_uses_rows_without_the_outcome():
    df = chains()
    df.loc[:9, "revenue_growth"] = np.nan
    (job,) = model_jobs(SPEC)
    mech = fit_mechanism_regression(df, job)
    assert mech.nobs == len(df)  # Y missing does not drop firms from M ~ X
    assert mech.outcome == "coop_projects"
    _, a_res, _ = fit_job(df, job)
    assert a_res.nobs == len(df) - 10  # the stepwise a path uses the common sample

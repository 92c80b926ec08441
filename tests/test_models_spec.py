"""Model specs from the ``models:`` section: parsing, variants, validation, outputs."""

from __future__ import annotations

import pytest

from chainpb.errors import ConfigError
from chainpb.models import collect_estimates, fit_job, model_jobs, specs_json
from chainpb.models.result import ESTIMATES_COLUMNS

MODELS = {
    "baseline": {
        "label": "基准回归",
        "estimator": "ols",
        "outcomes": ["rd_intensity", "coop_projects"],
        "regressors": ["alliance_member"],
        "controls": ["log_employees"],
        "fixed_effects": ["city_key"],
        "cluster": ["chain_id"],
        "robustness": {
            "twoway": {"cluster": ["chain_id", "city_key"]},
            "alt": {"replace": {"rd_intensity": "rd_alt"}},
            "mixed": {"estimator": "mixedlm", "group": "chain_id"},
        },
    },
    "mechanism": {
        "type": "mediation",
        "treatment": "alliance_member",
        "mediator": "coop_projects",
        "outcomes": ["revenue_growth"],
        "bootstrap": {"reps": 50, "seed": 1, "level": 0.9},
    },
}


def test_jobs_are_expanded_sorted_and_variants_override():
    jobs = model_jobs(MODELS)
    assert [j.key for j in jobs] == [
        "baseline__coop_projects",
        "baseline__rd_intensity",
        "baseline__alt__coop_projects",
        "baseline__alt__rd_alt",
        "baseline__mixed__coop_projects",
        "baseline__mixed__rd_intensity",
        "baseline__twoway__coop_projects",
        "baseline__twoway__rd_intensity",
        "mechanism__revenue_growth",
    ]
    by_key = {j.key: j for j in jobs}
    tw = by_key["baseline__twoway__rd_intensity"].spec
    assert tw.cluster == ("chain_id", "city_key")
    assert tw.variant == "twoway" and tw.label == "基准回归"
    assert tw.controls == ("log_employees",)  # inherited
    assert by_key["baseline__mixed__rd_intensity"].spec.estimator == "mixedlm"
    assert by_key["baseline__rd_intensity"].spec.variant is None
    med = by_key["mechanism__revenue_growth"].spec
    assert (med.bootstrap.reps, med.bootstrap.seed, med.bootstrap.level) == (50, 1, 0.9)


@pytest.mark.parametrize(
    ("models", "needle"),
    [
        ({"m": {"estimator": "tobit", "outcomes": ["y"], "regressors": ["x"]}}, "tobit"),
        ({"m": {"outcomes": ["y"]}}, "regressors"),
        ({"m": {"outcomes": ["y"], "regressors": ["x"], "cluster": ["a", "b", "c"]}}, "cluster"),
        ({"m": {"estimator": "mixedlm", "outcomes": ["y"], "regressors": ["x"]}}, "group"),
        ({"bad__name": {"outcomes": ["y"], "regressors": ["x"]}}, "bad__name"),
        ({"m": {"outcomes": ["y"], "regressors": ["x"], "robustness": {"v": {"foo": 1}}}}, "foo"),
        ({"m": {"outcomes": ["y"], "regressors": ["x"], "winsorize": [0.9, 0.1]}}, "winsorize"),
        ({"m": {"type": "mediation", "outcomes": ["y"], "treatment": "x"}}, "mediator"),
        ({"m": {"outcomes": ["y"], "regressors": ["研发"]}}, "研发"),
    ],
)
def test_invalid_specs_raise_bilingual_errors(models, needle):
    with pytest.raises(ConfigError) as err:
        model_jobs(models)
    assert needle in str(err.value)
    assert "配置错误" in err.value.zh and "Config error" in err.value.en


def test_collect_estimates_and_specs_json_are_sorted_and_complete():
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    n = 80
    df = pd.DataFrame(
        {
            "alliance_member": rng.integers(0, 2, n),
            "log_employees": rng.normal(4, 1, n),
            "city_key": rng.choice(["suqian", "wuxi"], n),
            "chain_id": [f"c{i % 8}" for i in range(n)],
        }
    )
    df["coop_projects"] = df["alliance_member"] + rng.normal(size=n)
    df["rd_intensity"] = df["alliance_member"] + rng.normal(size=n)
    jobs = [j for j in model_jobs(MODELS) if j.key.startswith(("baseline__rd", "baseline__coop"))]
    results = [r for j in reversed(jobs) for r in fit_job(df, j)]
    est = collect_estimates(results)
    assert list(est.columns) == ESTIMATES_COLUMNS
    assert est[["model", "outcome"]].drop_duplicates().values.tolist() == [
        ["baseline", "coop_projects"],
        ["baseline", "rd_intensity"],
    ]
    spec = specs_json(results)
    assert spec["baseline__rd_intensity"]["formula"] == (
        "rd_intensity ~ alliance_member + log_employees | city_key"
    )
    assert spec["baseline__rd_intensity"]["cluster"] == ["chain_id"]
    # FitResult round-trips through JSON (the per-job file)
    from chainpb.models.result import FitResult

    back = FitResult.from_dict(results[0].to_dict())
    assert back.tidy().equals(results[0].tidy())

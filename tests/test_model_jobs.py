"""Model fits grouped into Snakemake jobs (config ``model_jobs``, chainpb.models.groups).

``family`` (default): one job per estimator family, formed from the expanded jobs (robustness
variants by their own estimator, heterogeneity groups as ordinary models, mediation models in a
family of their own). ``model``: one job per (model, outcome). The dry-run tests use a copy of
the project whose outputs are marked up to date by ``snakemake --touch`` (no fit runs), then
edit one model in a ``--configfile`` and read which fit jobs Snakemake would rerun.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import ROOT, SNAKEMAKE, _env, copy_project

from chainpb.errors import ChainpbError
from chainpb.models.groups import (
    family_of,
    fit_each,
    fit_groups,
    group_fitting_config,
    jobs_for_outputs,
    rule_name,
    stop_on_dropped_cities,
)
from chainpb.models.spec import expand_heterogeneity, model_jobs

OLS = {
    "estimator": "ols",
    "outcomes": ["rd_intensity", "coop_projects"],
    "regressors": ["alliance_member"],
    "controls": ["log_employees"],
    "fixed_effects": ["city_key"],
    "cluster": ["chain_id"],
}
MODELS = {
    "baseline": {
        **OLS,
        "tests": ["alliance_member = 0"],
        "robustness": {
            "winsor": {"winsorize": [0.01, 0.99]},
            "mixed": {"estimator": "mixedlm", "group": "chain_id", "cluster": []},
        },
    },
    "by_owner": {
        **OLS,
        "outcomes": ["rd_intensity"],
        "heterogeneity": {"民营": "ownership == '民营'", "国有": "ownership == '国有'"},
    },
    "who": {**OLS, "estimator": "logit", "outcomes": ["diff_coverage", "diff_resource"]},
    "resilience": {**OLS, "estimator": "ologit", "outcomes": ["resilience"]},
    "mechanism": {
        "type": "mediation",
        "treatment": "alliance_member",
        "mediator": "coop_projects",
        "outcomes": ["revenue_growth"],
    },
}


def _keys(groups):
    return {name: [job.key for job in jobs] for name, jobs in groups.items()}


def test_family_groups_are_formed_from_the_expanded_jobs() -> None:
    groups = fit_groups(expand_heterogeneity(MODELS))
    assert _keys(groups) == {
        "logit": ["who__diff_coverage", "who__diff_resource"],
        "mediation": ["mechanism__revenue_growth"],
        # the mixedlm variant of an OLS model sits with the mixed models
        "mixedlm": ["baseline__mixed__coop_projects", "baseline__mixed__rd_intensity"],
        "ologit": ["resilience__resilience"],
        # the pooled model stays; its two heterogeneity groups are OLS models of their own
        "ols": [
            "baseline__coop_projects",
            "baseline__rd_intensity",
            "baseline__winsor__coop_projects",
            "baseline__winsor__rd_intensity",
            "by_owner__rd_intensity",
            "by_owner_het1__rd_intensity",
            "by_owner_het2__rd_intensity",
        ],
    }
    # the same groups whether or not heterogeneity was written out before (common.smk does)
    assert _keys(fit_groups(MODELS)) == _keys(groups)
    # every job in exactly one group
    flat = sorted(job.key for jobs in groups.values() for job in jobs)
    assert flat == sorted(job.key for job in model_jobs(MODELS))
    # a mediation model is OLS underneath but is its own family (three equations, bootstrap)
    (med,) = groups["mediation"]
    assert med.spec.estimator == "ols" and family_of(med) == "mediation"


def test_model_mode_is_one_group_per_job() -> None:
    groups = fit_groups(MODELS, "model")
    assert list(groups) == sorted(job.key for job in model_jobs(MODELS))
    assert all(_keys(groups)[key] == [key] for key in groups)
    assert len(groups) == 13  # baseline 2 × 3, by_owner and its groups 3, who 2, 1, 1


def test_unknown_mode_is_a_bilingual_error() -> None:
    with pytest.raises(ChainpbError, match="model_jobs") as err:
        fit_groups(MODELS, "chain")
    assert "应为" in err.value.zh and "must be one of" in err.value.en


def test_rule_names_are_identifiers() -> None:
    assert rule_name("ols") == "fit_ols"
    assert rule_name("my-family.2") == "fit_my_family_2"
    assert rule_name("中介") == "fit___"
    assert all(rule_name(g).isidentifier() for g in fit_groups(MODELS))


def test_group_params_hold_exactly_the_group_models() -> None:
    groups = fit_groups(expand_heterogeneity(MODELS))
    config = expand_heterogeneity(MODELS)
    ols = group_fitting_config(config, groups["ols"])
    assert sorted(ols) == ["baseline", "by_owner", "by_owner_het1", "by_owner_het2"]
    # tests: and compare: are read from the stored fits: not a fitting parameter
    assert "tests" not in ols["baseline"] and "compare" not in ols["by_owner_het1"]
    # only the variants the group fits: editing the mixedlm variant does not refit OLS
    assert list(ols["baseline"]["robustness"]) == ["winsor"]
    mixed = group_fitting_config(config, groups["mixedlm"])
    assert list(mixed) == ["baseline"] and list(mixed["baseline"]["robustness"]) == ["mixed"]
    one = group_fitting_config(config, fit_groups(config, "model")["baseline__rd_intensity"])
    assert "robustness" not in one["baseline"]
    # the jobs of a group are found again from its params and its output files
    paths = [f"results/models/fits/{job.key}.json" for job in groups["ols"]]
    assert jobs_for_outputs(ols, paths) == groups["ols"]
    assert [j.key for j in jobs_for_outputs(mixed, paths[:0])] == []
    with pytest.raises(ChainpbError, match="who__diff_coverage"):
        jobs_for_outputs(ols, ["results/models/fits/who__diff_coverage.json"])


def test_group_params_do_not_depend_on_the_order_of_keys() -> None:
    """`snakemake --configfile extra.yaml` merges the main config into the extra file, so a
    model named there comes first, its keys in the extra file's order: no rerun for that."""
    config = expand_heterogeneity(MODELS)
    shuffled = {
        name: {k: spec[k] for k in reversed(list(spec))} for name, spec in reversed(config.items())
    }
    shuffled["baseline"]["robustness"] = dict(reversed(config["baseline"]["robustness"].items()))
    for jobs in fit_groups(config).values():
        assert repr(group_fitting_config(shuffled, jobs)) == repr(
            group_fitting_config(config, jobs)
        )
    # list order is the spec (the first control is not the last)
    swapped = {**config, "who": {**config["who"], "outcomes": ["diff_resource", "diff_coverage"]}}
    logit = fit_groups(config)["logit"]
    assert group_fitting_config(swapped, logit) != group_fitting_config(config, logit)


def test_a_fit_job_stops_when_a_city_drops_out_of_its_models() -> None:
    """The check's stop (chainpb.check), run by the fit job for its own models: a city whose
    rows all lack a control drops out of the model; a city with no rows in it does not."""
    data = pd.DataFrame(
        {
            "city_key": ["a", "a", "b", "b"],
            "diff_coverage": [0, 1, 0, 1],
            "diff_resource": [1, 0, 1, 0],
            "alliance_member": [1, 0, 0, 1],
            "log_employees": [1.0, 2.0, None, None],  # city b never asked it
            "chain_id": [1, 2, 3, 4],
        }
    )
    config = {"who": MODELS["who"]}
    jobs = fit_groups(config)["logit"]
    with pytest.raises(ChainpbError) as err:
        stop_on_dropped_cities(data, jobs, config, {"a": "甲市", "b": "乙市"})
    assert "乙市（b）在以下 2 个模型任务中的行全部因缺失被删除" in err.value.zh
    assert "「who」（diff_coverage、diff_resource）；缺：log_employees" in err.value.zh
    assert "b loses all its rows in 2 model jobs" in err.value.en
    allowed = {"who": {**MODELS["who"], "allow_missing_city": True}}
    stop_on_dropped_cities(data, jobs, allowed, {"a": "甲市", "b": "乙市"})  # allowed: no stop
    stop_on_dropped_cities(data[data.city_key == "a"], jobs, config, {"a": "甲市", "b": "乙市"})


def test_a_failing_fit_names_its_model_and_outcome(monkeypatch: pytest.MonkeyPatch) -> None:
    import chainpb.models.fit as fit

    jobs = fit_groups(MODELS)["logit"]
    data = pd.DataFrame({"x": [1.0]})
    seen = []

    def fake(data, job):  # the first job fits, the second fails
        seen.append(job.key)
        if job.outcome == "diff_resource":
            raise ChainpbError("模型错误：奇异矩阵", "Model error: singular matrix")
        return ["result"]

    monkeypatch.setattr(fit, "fit_job", fake)
    out = fit_each(data, jobs)
    assert next(out) == (jobs[0], ["result"])
    with pytest.raises(ChainpbError) as err:
        next(out)
    assert err.value.zh == "模型「who」（被解释变量 diff_resource）估计失败：模型错误：奇异矩阵"
    assert (
        err.value.en == "Model 'who' (outcome diff_resource) failed: Model error: singular matrix"
    )
    assert isinstance(err.value.__cause__, ChainpbError)  # its traceback goes to the log

    def bug(data, job):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(fit, "fit_job", bug)
    with pytest.raises(ZeroDivisionError) as err2:  # a bug keeps its type, with a note
        list(fit_each(data, jobs))
    assert err2.value.__notes__ == [
        "估计模型「who」（被解释变量 diff_coverage）时出错 / "
        "while fitting model 'who' (outcome diff_coverage)"
    ]


def test_a_failing_fit_from_the_library_names_the_job() -> None:
    """A real fit error (a variable the data lack) comes out with model and outcome in front."""
    jobs = fit_groups(MODELS, "model")["who__diff_coverage"]
    data = pd.DataFrame({"diff_coverage": [0, 1], "alliance_member": [1, 0]})
    with pytest.raises(ChainpbError) as err:
        list(fit_each(data, jobs))
    assert err.value.zh.startswith("模型「who」（被解释变量 diff_coverage）估计失败：")
    assert "log_employees" in err.value.zh and "log_employees" in err.value.en


# ---------------------------------------------------------------------------------------------
# Dry runs: which fit jobs an edit reruns.


def _run(project: Path, *args: str) -> str:
    env = _env(project.parent)
    env["PYTHONPATH"] = str(project / "src")  # the library as it is now, not as others edit it
    proc = subprocess.run(
        [*SNAKEMAKE, "--cores", "1", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def _fit_jobs(project: Path, *args: str) -> list[str]:
    """The fit jobs a dry run would run: rule name, with the job for rule fit_model."""
    out = _run(project, "--dry-run", *args)
    jobs = []
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", out):
        m = re.match(r"(?:local)?rule (fit_\w+):", block.strip())
        if m and m.group(1) != "fit_comparisons":
            wc = re.search(r"wildcards: job=(\w+)", block)
            jobs.append(m.group(1) + (f" {wc.group(1)}" if wc else ""))
    return sorted(jobs)


def _edit(tmp_path: Path, name: str, **changes: object) -> Path:
    """A --configfile that changes one model of the project's config."""
    models = yaml.safe_load((ROOT / "config/config.yaml").read_text(encoding="utf-8"))["models"]
    path = tmp_path / f"edit_{len(list(tmp_path.glob('edit_*')))}.yaml"
    path.write_text(
        yaml.safe_dump({"models": {name: {**models[name], **changes}}}, allow_unicode=True),
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def touched(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project with every output present (empty) and recorded as up to date."""
    project = copy_project(tmp_path_factory.mktemp("model_jobs") / "project")
    shutil.copytree(ROOT / "src", project / "src", ignore=shutil.ignore_patterns("*.egg-info"))
    summary = _run(project, "--summary")
    for line in summary.splitlines()[1:]:
        target = project / line.split("\t")[0]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.touch()
    _run(project, "--touch")
    return project


def _ols_model() -> str:
    """An OLS model of the config with one outcome, no variants and in no comparison."""
    models = yaml.safe_load((ROOT / "config/config.yaml").read_text(encoding="utf-8"))["models"]
    compared = {spec["compare"]["with"] for spec in models.values() if spec.get("compare")}
    return next(
        name
        for name, spec in models.items()
        if spec.get("estimator", "ols") == "ols"
        and spec.get("type", "regression") == "regression"
        and len(spec["outcomes"]) == 1
        and not spec.get("robustness")
        and not spec.get("compare")
        and not spec.get("heterogeneity")
        and name not in compared
    )


@pytest.mark.slow  # about 20 s on a quiet machine (four dry runs, two --touch runs)
def test_dry_run_reruns_exactly_the_edited_models_jobs(touched: Path, tmp_path: Path) -> None:
    assert _fit_jobs(touched) == []
    name = _ols_model()
    models = yaml.safe_load((ROOT / "config/config.yaml").read_text(encoding="utf-8"))["models"]
    fewer = {"controls": models[name]["controls"][:-1]}
    # family mode (the default): the OLS family's one job, no other family
    assert _fit_jobs(touched, "--configfile", str(_edit(tmp_path, name, **fewer))) == ["fit_ols"]
    # a mixedlm variant of an OLS model: its own family only, not the OLS family
    mixed = [
        (base, variant)
        for base, spec in models.items()
        if spec.get("estimator", "ols") == "ols"
        for variant, over in (spec.get("robustness") or {}).items()
        if (over or {}).get("estimator") == "mixedlm"
    ]
    if mixed:
        base, variant = mixed[0]
        robustness = {**models[base]["robustness"]}
        robustness[variant] = {**robustness[variant], "label_en": "edited"}
        edited = _edit(tmp_path, base, robustness=robustness)
        assert _fit_jobs(touched, "--configfile", str(edited)) == ["fit_mixedlm"]
    # a test is computed from the stored fits: no fit reruns
    tests = _edit(tmp_path, name, tests=["alliance_member = 0"])
    assert _fit_jobs(touched, "--configfile", str(tests)) == []
    # model mode: the outputs recorded by rule fit_model, then exactly the edited model's job
    mode = tmp_path / "mode.yaml"
    mode.write_text("model_jobs: model\n", encoding="utf-8")
    _run(touched, "--touch", "--configfile", str(mode))
    assert _fit_jobs(touched, "--configfile", str(mode)) == []
    edited = _edit(tmp_path, name, **fewer)
    outcome = models[name]["outcomes"][0]
    assert _fit_jobs(touched, "--configfile", str(mode), str(edited)) == [
        f"fit_model {name}__{outcome}"
    ]

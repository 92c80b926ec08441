"""Model fits grouped into Snakemake jobs (config ``model_jobs``).

Each (model, outcome) :class:`~chainpb.models.spec.ModelJob` writes its own
``results/models/fits/<model>__<outcome>.json``; this module decides which of them share one
Snakemake job. ``family`` (the default): one job per estimator family — ``ols``, ``logit``,
``probit``, ``ologit``, ``mixedlm``, and ``mediation`` for the mediation models (three OLS
equations and a bootstrap each) — so Python and statsmodels start once per family instead of
once per fit; an edit to one model then refits its whole family. ``model``: one job per
(model, outcome), so that an edit refits only that model's jobs (for large data).

本模块决定哪些拟合放在同一个 Snakemake 任务中：``family``（默认）按估计方法族每族一个任务，
``model`` 每个（模型，被解释变量）一个任务。
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from chainpb.errors import ChainpbError
from chainpb.models.spec import ModelJob, fitting_config, model_jobs

if TYPE_CHECKING:  # the fit modules import statsmodels; the Snakefile must not
    import pandas as pd

    from chainpb.models.result import FitResult

MODES = ("family", "model")
MEDIATION = "mediation"


def family_of(job: ModelJob) -> str:
    """The estimator family of a job: ``mediation`` for a mediation model, else its estimator
    (a robustness variant's own ``estimator`` counts, e.g. a ``mixedlm`` variant of an OLS
    model belongs to ``mixedlm``)."""
    return MEDIATION if job.spec.type == "mediation" else job.spec.estimator


def fit_groups(models_config: Mapping[str, Any], mode: str = "family") -> dict[str, list[ModelJob]]:
    """Group name → the jobs one Snakemake job fits, sorted by key.

    ``models_config`` is the ``models:`` section as the workflow sees it (heterogeneity
    written out); the groups are formed from the expanded jobs of :func:`model_jobs`. In
    ``family`` mode the group is the estimator family (:func:`family_of`); in ``model`` mode
    each job is its own group, named by its key.
    """
    if mode not in MODES:
        raise ChainpbError(
            f"配置错误：model_jobs 应为 {list(MODES)} 之一，实际为「{mode}」",
            f"Config error: model_jobs must be one of {list(MODES)}, got '{mode}'",
        )
    groups: dict[str, list[ModelJob]] = {}
    for job in model_jobs(models_config):
        groups.setdefault(job.key if mode == "model" else family_of(job), []).append(job)
    return {name: sorted(jobs) for name, jobs in sorted(groups.items())}


def rule_name(group: str) -> str:
    """A valid Snakemake rule name for a group: ``fit_<group>``, other characters → ``_``."""
    return "fit_" + re.sub(r"\W", "_", group, flags=re.ASCII)


def group_fitting_config(
    models_config: Mapping[str, Any], jobs: Iterable[ModelJob]
) -> dict[str, Any]:
    """The fitting config of exactly the models of ``jobs``: a rule parameter, so that editing
    one model reruns only the groups that fit it, and editing ``tests:`` or ``compare:`` reruns
    none (:func:`fitting_config`). A base model's ``robustness:`` keeps only the variants among
    ``jobs`` (editing the ``mixedlm`` variant of an OLS model does not refit the OLS family).
    Keys are sorted (:func:`_canonical`).
    :func:`model_jobs` of the result gives back these jobs (and perhaps others of the same
    models, which the group does not fit).
    """
    variants: dict[str, set[str]] = {}
    for job in jobs:
        base, _, variant = job.model.partition("__")
        variants.setdefault(base, set())
        if variant:
            variants[base].add(variant)
    out: dict[str, Any] = {}
    for base in sorted(variants):
        spec = fitting_config(models_config[base])
        robustness = spec.get("robustness")
        if isinstance(robustness, Mapping):
            kept = {k: v for k, v in robustness.items() if k in variants[base]}
            if kept:
                spec["robustness"] = kept
            else:
                spec.pop("robustness")
        out[base] = _canonical(spec)
    return out


def _canonical(value: Any) -> Any:
    """Mappings with sorted keys (lists keep their order): the parameter's text must not change
    when only the order of keys does, as after ``snakemake --configfile extra.yaml``, which
    merges the main config into the extra one. ``heterogeneity`` groups keep their order (it
    numbers them); the workflow has written them out before."""
    if isinstance(value, Mapping):
        return {
            k: (v if k == "heterogeneity" else _canonical(v))
            for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))
        }
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value


def jobs_for_outputs(models_config: Mapping[str, Any], paths: Iterable[str]) -> list[ModelJob]:
    """The jobs whose fit files are ``paths`` (``…/<model>__<outcome>.json``), in that order."""
    by_key = {job.key: job for job in model_jobs(models_config)}
    out = []
    for path in paths:
        key = re.sub(r"\.json$", "", str(path).replace("\\", "/").rsplit("/", 1)[-1])
        if key not in by_key:
            raise ChainpbError(
                f"配置错误：找不到模型任务「{key}」（输出文件 {path}）",
                f"Config error: no model job '{key}' (output file {path})",
            )
        out.append(by_key[key])
    return out


def stop_on_dropped_cities(
    data: pd.DataFrame,
    jobs: Sequence[ModelJob],
    models_config: Mapping[str, Any],
    cities: Mapping[str, str],
) -> None:
    """The pre-model check (:mod:`chainpb.check`) for these jobs alone, before they are fitted.

    A fit job does not wait for the ``check`` rule: that rule reads every model's spec, so it
    reruns on any model edit, and a job waiting for it would rerun with it — every family on
    every edit. Instead each fit job stops, with the check's message, when a city ``cities``
    (key → display name) would drop out of one of its models silently; the tables and
    estimates still wait for the full check.
    """
    from chainpb import check

    samples = check.model_city_samples(data, list(jobs), list(cities))
    check.stop_on_dropped_cities(check.mark_allowed(samples, models_config), cities)


def fit_each(
    data: pd.DataFrame, jobs: Iterable[ModelJob]
) -> Iterator[tuple[ModelJob, list[FitResult]]]:
    """Fit the jobs one after the other (:func:`chainpb.models.fit.fit_job`).

    A failure names the model and the outcome: a :class:`ChainpbError` is raised again with
    them in front of its message (the original, with its traceback, is chained for the log);
    any other exception is a bug and keeps its type, with a bilingual note naming the job.
    """
    from chainpb.models.fit import fit_job

    for job in jobs:
        try:
            results = fit_job(data, job)
        except ChainpbError as exc:
            raise ChainpbError(
                f"模型「{job.model}」（被解释变量 {job.outcome}）估计失败：{exc.zh}",
                f"Model '{job.model}' (outcome {job.outcome}) failed: {exc.en}",
            ) from exc
        except Exception as exc:
            exc.add_note(
                f"估计模型「{job.model}」（被解释变量 {job.outcome}）时出错 / "
                f"while fitting model '{job.model}' (outcome {job.outcome})"
            )
            raise
        yield job, results

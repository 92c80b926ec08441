"""Entry points for the Snakemake scripts: fit one job, collect estimates, describe specs."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import Any

import pandas as pd

from chainpb.models.result import ESTIMATES_COLUMNS, FitResult
from chainpb.models.spec import ModelJob


def fit_job(data: pd.DataFrame, job: ModelJob) -> list[FitResult]:
    """Fit one (model, outcome) job; a mediation job returns its three equations.

    Each result carries ``extra["sample"]`` and ``extra["transformations"]``
    (:func:`chainpb.models.design.design_facts`), which :func:`specs_json` writes out so that
    the fit can be reproduced from the analysis table and the spec alone.
    """
    from dataclasses import replace

    from chainpb.models.design import design_facts, reusing_samples

    out = []
    # One subset query and listwise deletion for the fit and its facts (same rows either way).
    with reusing_samples():
        for res in _fit_estimator(data, job):
            facts = design_facts(
                data,
                job,
                outcome=res.outcome,
                regressors=res.regressors if job.spec.type == "mediation" else None,
            )
            out.append(replace(res, extra={**res.extra, **facts}))
    return out


def _fit_estimator(data: pd.DataFrame, job: ModelJob) -> list[FitResult]:
    """The estimator of the job's spec (see :func:`fit_job`)."""
    spec = job.spec
    if spec.type == "mediation":
        from chainpb.models.mediation import fit_mediation

        return fit_mediation(data, job)
    if spec.estimator == "ols":
        from chainpb.models.ols import fit_ols

        return [fit_ols(data, job)]
    if spec.estimator in ("logit", "probit", "ologit"):
        from chainpb.models.glm import fit_glm

        return [fit_glm(data, job)]
    from chainpb.models.mixed import fit_mixed

    return [fit_mixed(data, job)]


def collect_estimates(results: Iterable[FitResult]) -> pd.DataFrame:
    """All tidy rows (ESTIMATES_COLUMNS), sorted by model, outcome, then term order of the fit."""
    frames = []
    for res in results:
        tidy = res.tidy()
        tidy["_order"] = range(len(tidy))
        frames.append(tidy)
    if not frames:
        return pd.DataFrame(columns=ESTIMATES_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    out = out.sort_values(["model", "outcome", "_order"], kind="mergesort")
    return out[ESTIMATES_COLUMNS].reset_index(drop=True)


def specs_json(results: Iterable[FitResult]) -> dict[str, Any]:
    """For each fitted model (``<model>__<outcome>``): how to refit it elsewhere.

    Besides the formula and the inference: ``sample`` (the subset query as written, the
    columns of the listwise deletion, N, and the sorted keys of the rows used with their
    SHA-256; a mediation path says that its sample is the common sample of the three paths)
    and ``transformations`` (winsorised variable and cut points, centring constants of the
    interaction variables, levels and reference of categorical terms); see
    :func:`chainpb.models.design.design_facts`.
    """
    out: dict[str, Any] = {}
    for res in sorted(results, key=lambda r: (r.model, r.outcome)):
        out[f"{res.model}__{res.outcome}"] = {
            "model": res.model,
            "outcome": res.outcome,
            "label": res.label,
            "variant": res.variant,
            "estimator": res.estimator,
            "formula": res.formula,
            "fixed_effects": list(res.fixed_effects),
            "cluster": list(res.cluster),
            "cov_type": res.cov_type,
            "subset": res.subset,
            "nobs": res.nobs,
            "n_clusters": res.n_clusters,
            # Enough to refit from analysis.parquet alone (tests/test_models_specs_reproduce.py
            # does so for every model; the Stata do-file follows the same entries).
            "regressors": list(res.regressors),
            "controls": list(res.controls),
            "terms": [str(t) for t in res.coefs["term"]],
            "dropped_collinear": list(res.extra.get("dropped_collinear") or []),
            "group": res.extra.get("group"),
            "mediation_path": res.extra.get("mediation_path"),
            # The b path names the three variables and the bootstrap of the indirect effect.
            "mediation": _mediation_settings(res.extra.get("mediation")),
            "sample": res.extra.get("sample"),
            "transformations": res.extra.get("transformations"),
        }
    return out


def _mediation_settings(summary: dict[str, Any] | None) -> dict[str, Any] | None:
    """Treatment, mediator, outcome and bootstrap settings of a mediation b path."""
    if not summary:
        return None
    keys = ("treatment", "mediator", "outcome", "bootstrap_reps", "bootstrap_seed")
    return {k: summary.get(k) for k in (*keys, "ci_level", "bootstrap_unit")}


def read_fits(paths: Iterable[str | os.PathLike[str]]) -> list[FitResult]:
    """Every FitResult in the per-job JSON files (``results/models/fits/*.json``), in order."""
    results: list[FitResult] = []
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            results.extend(FitResult.from_dict(d) for d in json.load(fh))
    return results

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
    """Fit one (model, outcome) job; a mediation job returns its three equations."""
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
    """For each fitted model (``<model>__<outcome>``): how to refit it elsewhere."""
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
        }
    return out


def read_fits(paths: Iterable[str | os.PathLike[str]]) -> list[FitResult]:
    """Every FitResult in the per-job JSON files (``results/models/fits/*.json``), in order."""
    results: list[FitResult] = []
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            results.extend(FitResult.from_dict(d) for d in json.load(fh))
    return results

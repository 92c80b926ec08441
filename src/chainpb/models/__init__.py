"""Regression models of enterprise outcomes on chain-Party-building measures.

Public API: :func:`model_jobs` (specs from config → jobs), :func:`fit_job`,
:func:`collect_estimates`, :func:`specs_json`; the contract is :class:`FitResult`.
"""

from chainpb.models.fit import collect_estimates, fit_job, read_fits, specs_json
from chainpb.models.result import ESTIMATES_COLUMNS, TIDY_COLUMNS, FitResult
from chainpb.models.spec import ModelJob, ModelSpec, job_by_key, model_jobs, parse_models

__all__ = [
    "ESTIMATES_COLUMNS",
    "TIDY_COLUMNS",
    "FitResult",
    "ModelJob",
    "ModelSpec",
    "collect_estimates",
    "fit_job",
    "job_by_key",
    "model_jobs",
    "parse_models",
    "read_fits",
    "specs_json",
]

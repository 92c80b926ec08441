"""Regression models of enterprise outcomes on chain-Party-building measures.

Public API: :func:`model_jobs` (specs from config → jobs), :func:`fit_job`,
:func:`collect_estimates`, :func:`specs_json`; the contract is :class:`FitResult`.
Linear hypotheses (``tests:``) and subgroup comparisons (``compare:``): :func:`comparison_jobs`,
:func:`chainpb.models.compare.fit_comparisons`, :func:`collect_tests`.
"""

from chainpb.models.fit import collect_estimates, fit_job, read_fits, specs_json
from chainpb.models.hypotheses import TESTS_COLUMNS, collect_tests
from chainpb.models.result import ESTIMATES_COLUMNS, TIDY_COLUMNS, FitResult
from chainpb.models.spec import (
    ComparisonJob,
    ModelJob,
    ModelSpec,
    comparison_jobs,
    job_by_key,
    model_jobs,
    parse_models,
)

__all__ = [
    "ESTIMATES_COLUMNS",
    "TESTS_COLUMNS",
    "TIDY_COLUMNS",
    "ComparisonJob",
    "FitResult",
    "ModelJob",
    "ModelSpec",
    "collect_estimates",
    "collect_tests",
    "comparison_jobs",
    "fit_job",
    "job_by_key",
    "model_jobs",
    "parse_models",
    "read_fits",
    "specs_json",
]

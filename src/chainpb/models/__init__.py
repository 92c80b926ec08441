"""Regression models of enterprise outcomes on chain-Party-building measures.

Public API: :func:`model_jobs` (specs from config → jobs), :func:`fit_job`,
:func:`collect_estimates`, :func:`specs_json`; the contract is :class:`FitResult`.
Linear hypotheses (``tests:``) and subgroup comparisons (``compare:``): :func:`comparison_jobs`,
:func:`chainpb.models.compare.fit_comparisons`, :func:`collect_tests`.

The names are imported on first use (PEP 562): the Snakefile reads the model specs on every
call, even a dry run, and must not pay for importing statsmodels and scipy.stats, which only the
fitting jobs need.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOME = {
    "collect_estimates": "fit",
    "fit_job": "fit",
    "read_fits": "fit",
    "specs_json": "fit",
    "TESTS_COLUMNS": "hypotheses",
    "collect_tests": "hypotheses",
    "ESTIMATES_COLUMNS": "result",
    "TIDY_COLUMNS": "result",
    "FitResult": "result",
    "ComparisonJob": "spec",
    "ModelJob": "spec",
    "ModelSpec": "spec",
    "comparison_jobs": "spec",
    "job_by_key": "spec",
    "model_jobs": "spec",
    "parse_models": "spec",
}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name in _HOME:
        value = getattr(importlib.import_module(f"chainpb.models.{_HOME[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'chainpb.models' has no attribute {name!r}")

"""TEMPORARY: the pre-``paper:`` table selection, for workflow copies whose scripts predate the
``paper:`` section (the shared example run). To be deleted once that run is rebuilt."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from chainpb.models.result import FitResult


def legacy_tables(
    results: Sequence[FitResult], measures: Mapping[str, pd.DataFrame], config: Mapping[str, Any]
) -> dict[str, Any]:
    from chainpb.present import tables as tb
    from chainpb.present.build import mediation_notes

    language = config.get("language", "zh")
    labels = config.get("labels", {})
    zh = language == "zh"
    tables: dict[str, Any] = {
        "descriptives": tb.descriptive_table(measures["descriptives"], labels, language),
        "correlations": tb.correlation_table(
            measures["correlations_r"].set_index("variable"),
            measures["correlations_p"].set_index("variable"),
            labels,
            language,
        ),
        "reliability": tb.reliability_table(
            measures["reliability"],
            language,
            scales=config.get("scales"),
            cities=config.get("cities"),
        ),
    }
    first = next(iter(config.get("models", {})), "")
    groups = {
        "baseline_regression": lambda r: r.model == first,
        "robustness": lambda r: r.model.startswith(f"{first}__"),
        "heterogeneity": lambda r: bool(r.subset) and not r.model.startswith(first),
        "moderation": lambda r: bool(r.extra.get("simple_slopes")),
        "mechanism": lambda r: "mediation_path" in r.extra,
    }
    for key, pred in groups.items():
        chosen = [r for r in results if pred(r)] or list(results[:1])
        tables[key] = tb.regression_table(
            chosen,
            labels=labels,
            language=language,
            title=key if not zh else None,
            notes=mediation_notes(chosen, language),
        )
    return tables

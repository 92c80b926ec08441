"""The reliability-and-validity bundle a paper reports for the four scales.

Gathers the statistics of :mod:`chainpb.measures.scales` and :mod:`chainpb.measures.descriptives`
into the tables the workflow writes: reliability per scale (α, CR, AVE, KMO), items (loading,
α if deleted, corrected item-total r), the rotated loadings of a joint EFA of all items (one
factor per configured scale), KMO and Bartlett for all items together, the Fornell-Larcker
table, descriptive statistics and the correlation matrix of the analysis variables.

When the scales differ by city (per-city ``scale_config``), reliability and items are given per
city on the city's own items and pooled over the items common to all cities; the joint EFA,
KMO/Bartlett and Fornell-Larcker use the pooled common items, and their tables say so in
``note_zh``/``note_en``.

The tables hold keys, not display text: scales by their config key (``coverage``), items and
variables by their column name. Labels are applied once, in the present stage
(:mod:`chainpb.labels`), so switching ``language`` re-runs the present stage only. (The
bilingual notes say which items were pooled and name the scales in both languages.)
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import pandas as pd

from chainpb.errors import ChainpbError
from chainpb.measures import descriptives, scales

log = logging.getLogger(__name__)


def _keys_only(analysed: scales.ScaleAnalysis) -> scales.ScaleAnalysis:
    """The analysis without scale labels, so that its tables name each scale by its key."""
    bare = {
        dim: {k: v for k, v in spec.items() if k not in ("label", "label_en")}
        for dim, spec in analysed.common.scales.items()
    }
    return replace(analysed, labels={}, common=replace(analysed.common, scales=bare))


def validity_tables(
    analysis: pd.DataFrame,
    scale_config: Mapping[str, Any],
    variables: Sequence[str] | None,
    min_items: int = 3,
) -> dict[str, pd.DataFrame]:
    """Every table of the measurement section, keyed by the file stem it is written to.

    ``scale_config`` is the global ``{dim: spec}`` or the per-city ``{city_key: {dim: spec}}``.
    ``variables`` are those of the descriptive statistics and the correlation matrix, in that
    order (config ``descriptive_variables`` and the derived variables); None takes every
    numeric column of ``analysis`` in table order. A listed variable the table lacks is left
    out and named in the log. Scale, item and variable columns hold keys (see the module
    docstring).
    """
    # Analysed once: per city on its own items, pooled on the items common to all cities. The
    # notes are written here with the labels of the config (both languages); the tables below
    # are made from the analysis without labels.
    analysed = _keys_only(scales.analyse_scales(analysis, scale_config))
    common = analysed.common
    if not common.scales:
        raise ChainpbError(
            f"没有任何量表可在合并样本上分析（{common.note_zh}）；请检查各城市的量表题项与数据。",
            f"no scale can be analysed on the pooled sample ({common.note_en}); check the "
            "cities' scale items against the data.",
        )
    groups = scales.scale_items(common.scales)
    all_items = [item for items in groups.values() for item in items]
    pooled = common.frame
    joint_efa = scales.efa(pooled, all_items, n_factors=len(groups), rotate="varimax")
    loadings = joint_efa.loadings.copy()
    loadings.insert(0, "item", loadings.index)
    loadings["communality"] = joint_efa.communalities.to_numpy()
    variance = joint_efa.variance.copy()
    variance.insert(0, "factor", variance.index)
    overall_kmo = scales.kmo(pooled, all_items)
    bartlett = scales.bartlett_sphericity(pooled, all_items)
    sampling = pd.DataFrame(
        [
            {
                "statistic": "KMO",
                "value": overall_kmo.overall,
                "df": None,
                "p_value": None,
                "n": overall_kmo.n,
            },
            {
                "statistic": "Bartlett chi2",
                "value": bartlett.chi2,
                "df": bartlett.df,
                "p_value": bartlett.p_value,
                "n": bartlett.n,
            },
        ]
    )
    fl = scales.fornell_larcker_from(common, min_items=min_items)
    fl.insert(0, "scale", fl.index)
    # Which items and cities the pooled analyses rest on (the note of the common items).
    for table in (sampling, variance, fl):
        table["note_zh"] = common.note_zh
        table["note_en"] = common.note_en
    present = described_variables(analysis, variables)
    r, p, formatted = descriptives.correlation_matrix(analysis, present)
    # Rows and columns by variable name (correlation_matrix would label the difficulties).
    formatted = pd.DataFrame(formatted.to_numpy(), index=present, columns=present)
    formatted.insert(0, "variable", formatted.index)
    return {
        "reliability": scales.reliability_from(analysed),
        "items": scales.items_from(analysed).drop(columns="label", errors="ignore"),
        "efa_loadings": loadings.reset_index(drop=True),
        "efa_variance": variance.reset_index(drop=True),
        "sampling_adequacy": sampling,
        "fornell_larcker": fl.reset_index(drop=True),
        "descriptives": descriptives.describe(analysis, present).drop(
            columns="label", errors="ignore"
        ),
        "correlations": formatted.reset_index(drop=True),
        "correlations_r": r.rename_axis("variable").reset_index(),
        "correlations_p": p.rename_axis("variable").reset_index(),
    }


def described_variables(analysis: pd.DataFrame, variables: Sequence[str] | None) -> list[str]:
    """The variables of the descriptive statistics and correlations (see :func:`validity_tables`)."""
    if variables is None:
        return [
            str(c)
            for c in analysis.columns
            if pd.api.types.is_bool_dtype(analysis[c]) or pd.api.types.is_numeric_dtype(analysis[c])
        ]
    missing = [v for v in variables if v not in analysis.columns]
    if missing:
        log.info(
            "描述统计与相关系数的变量 %s 不在分析总表中，未列入（%d 个）/ descriptive variables %s are "
            "not in the analysis table and are left out (%d)",
            ", ".join(missing),
            len(missing),
            ", ".join(missing),
            len(missing),
        )
    return [v for v in variables if v in analysis.columns]

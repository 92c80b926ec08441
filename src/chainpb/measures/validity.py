"""The reliability-and-validity bundle a paper reports for the four scales.

Gathers the statistics of :mod:`chainpb.measures.scales` and :mod:`chainpb.measures.descriptives`
into the tables the workflow writes: reliability per scale (α, CR, AVE, KMO), items (loading,
α if deleted, corrected item-total r), the rotated loadings of a joint EFA of all items (one
factor per configured scale), KMO and Bartlett for all items together, the Fornell-Larcker
table, descriptive statistics and the correlation matrix of the analysis variables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from chainpb.measures import descriptives, scales


def validity_tables(
    analysis: pd.DataFrame,
    scale_config: Mapping[str, Mapping[str, Any]],
    labels: Mapping[str, Mapping[str, str]],
    variables: Sequence[str],
    language: str = "zh",
    min_items: int = 3,
) -> dict[str, pd.DataFrame]:
    """Every table of the measurement section, keyed by the file stem it is written to."""
    groups = scales.scale_items(scale_config)
    all_items = [item for items in groups.values() for item in items]
    joint_efa = scales.efa(analysis, all_items, n_factors=len(groups), rotate="varimax")
    loadings = joint_efa.loadings.copy()
    loadings.insert(0, "item", loadings.index)
    loadings["communality"] = joint_efa.communalities.to_numpy()
    variance = joint_efa.variance.copy()
    variance.insert(0, "factor", variance.index)
    overall_kmo = scales.kmo(analysis, all_items)
    bartlett = scales.bartlett_sphericity(analysis, all_items)
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
    fl = scales.fornell_larcker(analysis, scale_config, min_items=min_items, language=language)
    fl.insert(0, "scale", fl.index)
    present = [v for v in variables if v in analysis.columns]
    r, p, formatted = descriptives.correlation_matrix(analysis, present, labels, language=language)
    formatted = formatted.copy()
    formatted.insert(0, "variable", formatted.index)
    return {
        "reliability": scales.reliability_table(analysis, scale_config, language=language),
        "items": scales.item_table(analysis, scale_config, language=language, item_labels=labels),
        "efa_loadings": loadings.reset_index(drop=True),
        "efa_variance": variance.reset_index(drop=True),
        "sampling_adequacy": sampling,
        "fornell_larcker": fl.reset_index(drop=True),
        "descriptives": descriptives.describe(analysis, present, labels, language=language),
        "correlations": formatted.reset_index(drop=True),
        "correlations_r": r.rename_axis("variable").reset_index(),
        "correlations_p": p.rename_axis("variable").reset_index(),
    }

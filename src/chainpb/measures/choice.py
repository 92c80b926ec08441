"""Which difficulty measure the analysis uses: the codebook (default) or the supervised coder.

Both are always kept in the analysis table — ``cb_<cat>`` from the codebook and ``ml_<cat>``
from the supervised coder — so that a robustness variant can swap one for the other; the
``diff_<cat>`` columns the models use are a copy of the measure chosen in config
(``text.measure``).
"""

from __future__ import annotations

import pandas as pd

from chainpb.errors import ChainpbError
from chainpb.labels import CATEGORIES


def combine_difficulty_measures(
    codebook: pd.DataFrame, supervised: pd.DataFrame, measure: str = "codebook"
) -> pd.DataFrame:
    """One row per firm with ``answer_status``, ``n_<cat>``, ``cb_<cat>``, ``ml_<cat>``, ``diff_<cat>``.

    ``codebook`` has ``city_key, enterprise_id, answer_status, diff_<cat>, n_<cat>``;
    ``supervised`` has ``city_key, enterprise_id, ml_<cat>``. Both must cover the same firms.
    """
    if measure not in ("codebook", "supervised"):
        raise ChainpbError(
            f"text.measure 应为 codebook 或 supervised，而不是 {measure!r}",
            f"text.measure must be codebook or supervised, not {measure!r}",
        )
    keys = ["city_key", "enterprise_id"]
    out = codebook.copy()
    for cat in CATEGORIES:
        out[f"cb_{cat}"] = out[f"diff_{cat}"]
    ml_cols = [f"ml_{cat}" for cat in CATEGORIES]
    merged = out.merge(
        supervised[keys + ml_cols], on=keys, how="outer", indicator=True, validate="1:1"
    )
    unmatched = merged[merged["_merge"] != "both"]
    if len(unmatched):
        ids = ", ".join(unmatched["enterprise_id"].astype(str).head(5))
        raise ChainpbError(
            f"码本编码与机器编码覆盖的企业不一致（{len(unmatched)} 家，例如 {ids}）",
            f"codebook and supervised measures cover different firms ({len(unmatched)}, e.g. {ids})",
        )
    merged = merged.drop(columns="_merge")
    if measure == "supervised":
        for cat in CATEGORIES:
            merged[f"diff_{cat}"] = merged[f"ml_{cat}"]
    return merged.sort_values(keys, kind="mergesort").reset_index(drop=True)

"""Which difficulty measure the analysis uses: codebook (default), supervised coder or hybrid.

All three are always kept in the analysis table — ``cb_<cat>`` from the codebook, ``ml_<cat>``
from the supervised coder and ``hy_<cat>`` from the hybrid (codebook OR a supervised call with
probability ≥ ``text.supervised.hybrid_min_probability``) — so that a robustness variant can
swap one for another; the ``diff_<cat>`` columns the models use are a copy of the measure
chosen in config (``text.measure``).
"""

from __future__ import annotations

import pandas as pd

from chainpb.errors import ChainpbError
from chainpb.labels import CATEGORIES

MEASURES: dict[str, str] = {"codebook": "cb_", "supervised": "ml_", "hybrid": "hy_"}


def combine_difficulty_measures(
    codebook: pd.DataFrame, supervised: pd.DataFrame, measure: str = "codebook"
) -> pd.DataFrame:
    """One row per firm: the codebook table plus ``cb_<cat>``, ``ml_<cat>``, ``hy_<cat>``.

    ``codebook`` has ``city_key, enterprise_id, answer_status, diff_<cat>, n_<cat>``;
    ``supervised`` (``firm_difficulty_supervised.parquet``) has ``city_key, enterprise_id,
    ml_<cat>, hy_<cat>``. Both must cover the same firms. ``diff_<cat>`` becomes the chosen
    measure's column.
    """
    if measure not in MEASURES:
        raise ChainpbError(
            f"text.measure 应为 codebook、supervised 或 hybrid，而不是 {measure!r}",
            f"text.measure must be codebook, supervised or hybrid, not {measure!r}",
        )
    keys = ["city_key", "enterprise_id"]
    kept = [f"{prefix}{cat}" for prefix in ("ml_", "hy_") for cat in CATEGORIES]
    absent = [c for c in kept if c not in supervised.columns]
    if absent:
        raise ChainpbError(
            f"机器编码结果缺少列：{', '.join(absent)}；请重新运行 text_measures。",
            f"the supervised measure lacks columns: {', '.join(absent)}; re-run text_measures.",
        )
    out = codebook.copy()
    for cat in CATEGORIES:
        out[f"cb_{cat}"] = out[f"diff_{cat}"]
    merged = out.merge(
        supervised[keys + kept], on=keys, how="outer", indicator=True, validate="1:1"
    )
    unmatched = merged[merged["_merge"] != "both"]
    if len(unmatched):
        ids = ", ".join(unmatched["enterprise_id"].astype(str).head(5))
        raise ChainpbError(
            f"码本编码与机器编码覆盖的企业不一致（{len(unmatched)} 家，例如 {ids}）",
            f"codebook and supervised measures cover different firms ({len(unmatched)}, e.g. {ids})",
        )
    merged = merged.drop(columns="_merge")
    prefix = MEASURES[measure]
    for cat in CATEGORIES:
        merged[f"diff_{cat}"] = merged[f"{prefix}{cat}"]
    return merged.sort_values(keys, kind="mergesort").reset_index(drop=True)

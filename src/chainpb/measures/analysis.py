"""The pooled analysis table (分析总表): one row per enterprise, everything the models need.

Joins are exact because a silently dropped or duplicated firm changes every estimate: each
survey row appears exactly once; a coded open answer without its survey row, a survey row
without its coded answer stops the run with a message that names what is missing. A city without
policy texts keeps its firms, with the policy-text measures missing (and a log line).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from chainpb.errors import ChainpbError
from chainpb.measures.scales import score_scales

# Industry (工业) size classes of 《统计上大中小微型企业划分办法（2017）》 by employees only: the
# official rule also uses revenue, which the survey does not ask. Lower bounds, inclusive.
SIZE_CLASS_BOUNDS: tuple[tuple[int, str], ...] = (
    (0, "微型"),
    (20, "小型"),
    (300, "中型"),
    (1000, "大型"),
)
SIZE_CLASSES: list[str] = [name for _, name in SIZE_CLASS_BOUNDS]
SIZE_CLASS_EN: dict[str, str] = {
    "微型": "micro",
    "小型": "small",
    "中型": "medium",
    "大型": "large",
}

log = logging.getLogger(__name__)

KEY = "enterprise_id"
SORT_KEYS = ["city_key", "enterprise_id"]
EXAMPLE_LIMIT = 5


def size_class(employees: pd.Series) -> pd.Series:
    """微型 < 20 ≤ 小型 < 300 ≤ 中型 < 1000 ≤ 大型 employees; missing stays missing.

    Returns an ordered categorical (微型 < 小型 < 中型 < 大型) with the index of ``employees``.
    """
    # Parquet gives nullable Int64; plain float64 turns <NA> into NaN for searchsorted.
    values = pd.to_numeric(employees, errors="coerce").astype("float64")
    lowers = [lo for lo, _ in SIZE_CLASS_BOUNDS]
    codes = np.searchsorted(lowers, values.to_numpy(dtype="float64"), side="right") - 1
    codes = np.where(values.isna() | (values < 0), -1, codes)
    return pd.Series(
        pd.Categorical.from_codes(codes, categories=SIZE_CLASSES, ordered=True),
        index=employees.index,
        name="size_class",
    )


def firm_age(founded_year: pd.Series, survey_year: int) -> pd.Series:
    """``survey_year - founded_year`` in years; a founding year after the survey is an error."""
    year = pd.to_numeric(founded_year, errors="coerce").astype("float64")
    late = year > survey_year
    if late.any():
        raise ChainpbError(
            f"有 {int(late.sum())} 家企业的成立年份晚于调查年份 {survey_year}"
            f"（例如 {_examples(year[late].astype(int).astype(str))}）；请检查 founded_year 或 config 的 survey_year。",
            f"{int(late.sum())} enterprises were founded after the survey year {survey_year} "
            f"(e.g. {_examples(year[late].astype(int).astype(str))}); check founded_year or "
            "survey_year in the config.",
        )
    return (survey_year - year).rename("firm_age")


def log_employees(employees: pd.Series) -> pd.Series:
    """ln(1 + employees), defined for firms reporting zero employees."""
    x = pd.to_numeric(employees, errors="coerce").astype("float64")
    if (x < 0).any():
        raise ChainpbError(
            "员工人数（employees）出现负数，无法取对数。",
            "employees has negative values; its logarithm is undefined.",
        )
    return np.log1p(x).rename("log_employees")


def _examples(values: pd.Series | Sequence[Any]) -> str:
    vals = sorted({str(v) for v in values})
    shown = ", ".join(vals[:EXAMPLE_LIMIT])
    return shown + (" …" if len(vals) > EXAMPLE_LIMIT else "")


def _require(df: pd.DataFrame, columns: Sequence[str], table_zh: str, table_en: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ChainpbError(
            f"{table_zh}缺少列：{', '.join(missing)}。",
            f"{table_en} lacks columns: {', '.join(missing)}.",
        )


def _check_unique(df: pd.DataFrame, keys: list[str], table_zh: str, table_en: str) -> None:
    dup = df.duplicated(keys, keep=False)
    if dup.any():
        ids = df.loc[dup, keys].astype(str).agg("/".join, axis=1)
        raise ChainpbError(
            f"{table_zh}中有重复的企业（{'/'.join(keys)}）：{_examples(ids)}；每家企业只能出现一次。",
            f"{table_en} has duplicated enterprises ({'/'.join(keys)}): {_examples(ids)}; each "
            "enterprise must appear once.",
        )


def _difficulty_columns(firm_difficulty: pd.DataFrame) -> list[str]:
    # diff_ is the measure the models use; cb_/ml_/hy_/p_ keep the codebook, supervised and
    # hybrid alternatives beside it for robustness variants (see chainpb.measures.choice).
    prefixes = ("diff_", "n_", "cb_", "ml_", "hy_", "p_")
    picked = [
        sorted(c for c in firm_difficulty.columns if c.startswith(prefix)) for prefix in prefixes
    ]
    return ["answer_status", *[c for group in picked for c in group]]


def join_difficulty(survey: pd.DataFrame, firm_difficulty: pd.DataFrame) -> pd.DataFrame:
    """Attach ``answer_status, diff_<cat>, n_<cat>`` to each survey row, exactly one to one.

    The join key is ``(city_key, enterprise_id)`` when ``firm_difficulty`` has ``city_key``,
    otherwise ``enterprise_id``. Unmatched rows on either side raise :class:`ChainpbError`.
    """
    keys = ["city_key", KEY] if "city_key" in firm_difficulty.columns else [KEY]
    _require(survey, keys, "调查数据（survey）", "survey")
    _require(
        firm_difficulty,
        [*keys, "answer_status"],
        "开放题编码结果（firm_difficulty）",
        "firm_difficulty",
    )
    _check_unique(survey, keys, "调查数据（survey）", "survey")
    _check_unique(firm_difficulty, keys, "开放题编码结果（firm_difficulty）", "firm_difficulty")
    cols = _difficulty_columns(firm_difficulty)
    clash = [c for c in cols if c in survey.columns]
    if clash:
        raise ChainpbError(
            f"调查数据与开放题编码结果有同名列：{', '.join(clash)}；无法合并。",
            f"survey and firm_difficulty share columns: {', '.join(clash)}; cannot join.",
        )
    merged = survey.merge(
        firm_difficulty[[*keys, *cols]], on=keys, how="outer", indicator="_join", validate="1:1"
    )
    orphans = merged.loc[merged["_join"] == "right_only", KEY]
    if len(orphans):
        raise ChainpbError(
            f"开放题编码结果中有 {len(orphans)} 家企业在调查数据中找不到（enterprise_id：{_examples(orphans)}）；"
            "请确认两者来自同一次数据导入。",
            f"firm_difficulty has {len(orphans)} enterprises without a survey row (enterprise_id: "
            f"{_examples(orphans)}); check that both come from the same ingest run.",
        )
    uncoded = merged.loc[merged["_join"] == "left_only", KEY]
    if len(uncoded):
        raise ChainpbError(
            f"调查数据中有 {len(uncoded)} 家企业没有开放题编码结果（enterprise_id：{_examples(uncoded)}）；"
            "空白回答也应以 answer_status = missing 出现在 firm_difficulty 中。",
            f"{len(uncoded)} survey enterprises have no row in firm_difficulty (enterprise_id: "
            f"{_examples(uncoded)}); blank answers must appear there with answer_status = missing.",
        )
    return merged.drop(columns="_join")


# Column prefix of each policy-text measure in the analysis table. Attention is a theme measure
# (mentions of an area), never a difficulty; difficulty statements are kept apart.
POLICY_PREFIXES: dict[str, str] = {"attention": "attention_", "difficulty": "policy_difficulty_"}


def policy_wide(policy_themes: pd.DataFrame) -> pd.DataFrame:
    """City × measure × category as columns ``attention_<cat>`` and ``policy_difficulty_<cat>``
    (hits per 1000 tokens), one row per city_key.

    Every city must have every category of both measures; a gap means the measure stage did
    not emit zero rows, and a silent NaN would drop the whole city from the models.
    """
    what_zh, what_en = "政策文本领域关注度与困难表述（policy_themes）", "policy_themes"
    _require(
        policy_themes, ["city_key", "measure", "category", "per_1000_tokens"], what_zh, what_en
    )
    _check_unique(policy_themes, ["city_key", "measure", "category"], what_zh, what_en)
    table = policy_themes.assign(
        column=[
            f"{POLICY_PREFIXES.get(str(m), str(m) + '_')}{c}"
            for m, c in zip(policy_themes["measure"], policy_themes["category"], strict=True)
        ]
    )
    wide = table.pivot(index="city_key", columns="column", values="per_1000_tokens")
    wide = wide.reindex(sorted(wide.columns), axis=1)
    gaps = wide.isna().stack()
    gaps = gaps[gaps]
    if len(gaps):
        where = [f"{city}/{col}" for city, col in gaps.index]
        raise ChainpbError(
            f"{what_zh}缺少城市/变量组合：{_examples(where)}；每个城市都应有全部类别（无命中记 0）。",
            f"{what_en} lacks city/variable pairs: {_examples(where)}; each city needs every "
            "category (0 when there are no hits).",
        )
    wide.columns.name = None
    return wide.reset_index()


def build_analysis_table(
    survey: pd.DataFrame,
    firm_difficulty: pd.DataFrame,
    policy_themes: pd.DataFrame,
    scales: Mapping[str, Mapping[str, Any]],
    survey_year: int,
    min_items: int = 3,
) -> pd.DataFrame:
    """One row per enterprise of the pooled survey, sorted by ``city_key, enterprise_id``.

    Columns: the survey columns as ingested; ``scale_<dim>`` (mean of at least ``min_items``
    answered items of the row's city — ``scales`` may be global ``{dim: spec}`` or per city
    ``{city_key: {dim: spec}}``, see :func:`chainpb.measures.scales.score_scales`); ``answer_status,
    diff_<cat>, n_<cat>`` from the coded open answer; ``attention_<cat>`` and
    ``policy_difficulty_<cat>`` (hits per 1000 tokens in the city's policy texts: mentions of
    the theme, and statements of the difficulty); ``firm_age``, ``log_employees``,
    ``size_class``.
    """
    _require(survey, ["city_key", "city_name", "chain_id", KEY], "调查数据（survey）", "survey")
    for col in ("founded_year", "employees"):
        _require(survey, [col], "调查数据（survey）", "survey")
    table = survey.reset_index(drop=True)
    scores = score_scales(table, scales, min_items=min_items)
    clash = [c for c in scores.columns if c in table.columns]
    table = pd.concat([table.drop(columns=clash), scores], axis=1)
    table = join_difficulty(table, firm_difficulty)

    wide = policy_wide(policy_themes)
    cities = sorted(set(table["city_key"].astype(str)))
    absent = [c for c in cities if c not in set(wide["city_key"].astype(str))]
    if absent:
        # A city may come without policy texts (config: no `policies`, or an empty manifest);
        # its policy measures are missing, never zero, and the log says so.
        log.warning(
            "以下城市没有政策文本，政策文本度量（attention_*、policy_difficulty_*）记为缺失：%s / "
            "no policy texts for these cities; their policy-text measures are missing: %s",
            "、".join(absent),
            ", ".join(absent),
        )
    table = table.merge(wide, on="city_key", how="left", validate="m:1")

    table["firm_age"] = firm_age(table["founded_year"], survey_year)
    table["log_employees"] = log_employees(table["employees"])
    table["size_class"] = size_class(table["employees"])
    return table.sort_values(SORT_KEYS, kind="mergesort").reset_index(drop=True)

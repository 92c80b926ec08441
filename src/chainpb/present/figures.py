"""Figures for papers and reports: one seaborn theme, Chinese labels by default.

Every ``plot_*`` function takes DataFrames (the tables described in docs/architecture.md) and
returns a matplotlib ``Figure``; it writes nothing. The caller saves it with
``chainpb.atomic.save_figure`` (PNG 300 dpi and PDF). Labels come from the config ``labels:``
section (``{var: {zh: ..., en: ...}}``), the four difficulty categories and the city display
names; ``language="en"`` switches every label to English.

Determinism: confidence intervals are computed in closed form (Wilson), never by seaborn's
bootstrap; strip-plot jitter uses a seeded generator; categories are sorted.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")  # figures are files, never windows; also keeps headless servers working

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter
from scipy.stats import norm

from chainpb.errors import ChainpbError
from chainpb.labels import (  # noqa: F401 — re-exported for the figure API
    CATEGORIES,
    CATEGORY_LABELS,
    DEFAULT_LABELS,
    SCALE_LABELS,
    Labels,
    Language,
    _check_language,
    category_key,
    category_label,
    city_label,
    scale_label,
    variable_label,
)
from chainpb.measures.scales import POOLED
from chainpb.models.result import FitResult
from chainpb.present.fonts import setup_cjk_font

# Okabe-Ito: distinguishable under the common colour-vision deficiencies and in greyscale print.
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#000000",
)
HEATMAP_CMAP = "Blues"
FONT_SCALE = 1.0
FIG_WIDTH = 6.5  # inches: the text width of a journal page, so figures are not rescaled

TEXT: dict[str, dict[str, str]] = {
    "prevalence_title": {
        "zh": "各城市企业报告四类困难的比例（95% Wilson 置信区间）",
        "en": "Share of firms reporting each difficulty (95% Wilson CI)",
    },
    "prevalence_y": {"zh": "报告该困难的企业比例", "en": "Share of firms"},
    "difficulty": {"zh": "困难类型", "en": "Difficulty"},
    "city": {"zh": "城市", "en": "City"},
    "themes_title": {
        "zh": "政策文本：对四个领域的关注度与困难表述（每千词）",
        "en": "Policy texts: attention to the four areas and statements of difficulty (per 1,000 tokens)",
    },
    "attention_panel": {"zh": "领域关注度（提及，含措施）", "en": "Attention (all mentions)"},
    "no_texts": {"zh": "无政策文本", "en": "no texts"},
    "difficulty_panel": {"zh": "困难表述", "en": "Difficulty statements"},
    "area": {"zh": "领域", "en": "Area"},
    "per_1000": {"zh": "每千词命中数", "en": "Hits per 1,000 tokens"},
    "cooc_title_count": {
        "zh": "四类困难的共现（同时报告的企业数）",
        "en": "Co-occurrence of difficulties (firms reporting both)",
    },
    "cooc_title_jaccard": {
        "zh": "四类困难的共现（Jaccard 系数）",
        "en": "Co-occurrence of difficulties (Jaccard index)",
    },
    "cooc_title_conditional": {
        "zh": "四类困难的共现：报告某一困难（行）的企业中同时报告另一困难（列）的比例",
        "en": "Co-occurrence: share of firms reporting the row difficulty that also report the column one",
    },
    "conditional": {"zh": "同时报告的比例", "en": "Share also reporting"},
    "cooc_rows": {"zh": "报告该困难的企业（n = 企业数）", "en": "Firms reporting (n)"},
    "cooc_cols": {"zh": "同时报告的困难", "en": "Also reporting"},
    "count": {"zh": "企业数", "en": "Firms"},
    "jaccard": {"zh": "Jaccard 系数", "en": "Jaccard index"},
    "top_terms_title": {"zh": "各类困难的高频词", "en": "Most frequent terms per difficulty"},
    "frequency": {"zh": "词频", "en": "Frequency"},
    "reliability_title": {
        "zh": "量表信度与收敛效度",
        "en": "Scale reliability and convergent validity",
    },
    "reliability_pooled": {
        "zh": "合并（各城市共同的题项）",
        "en": "Pooled (items common to all cities)",
    },
    "not_computed": {"zh": "未计算", "en": "n.a."},
    "n_items": {"zh": "{k}题", "en": "{k} items"},
    "n_item": {"zh": "{k}题", "en": "{k} item"},
    "scale": {"zh": "量表", "en": "Scale"},
    "value": {"zh": "取值", "en": "Value"},
    "outcomes_title": {
        "zh": "联盟成员与非成员企业的结果变量分布",
        "en": "Outcomes by chain-alliance membership",
    },
    "member": {"zh": "联盟成员", "en": "Member"},
    "non_member": {"zh": "非成员", "en": "Non-member"},
    "coef_title": {
        "zh": "核心解释变量的估计系数（95% 置信区间）",
        "en": "Estimated coefficients of the key regressors (95% CI)",
    },
    "coef_ame_title": {
        "zh": "核心解释变量的估计系数与平均边际效应（95% 置信区间）",
        "en": "Coefficients and average marginal effects of the key regressors (95% CI)",
    },
    "estimate": {"zh": "估计系数", "en": "Estimate"},
    "model": {"zh": "模型", "en": "Model"},
    "slopes_title": {"zh": "简单斜率分析", "en": "Simple slopes"},
    "slope": {"zh": "简单斜率（95% 置信区间）", "en": "Simple slope (95% CI)"},
    "moderator_value": {"zh": "调节变量取值", "en": "Moderator value"},
    "predicted": {"zh": "预测值", "en": "Predicted"},
    "units_test": {"zh": "测试集单元", "en": "test units"},
    "units_all": {"zh": "全部人工编码单元", "en": "all hand-coded units"},
    "agreement_title": {
        "zh": "编码一致性：精确率、召回率、F1 与 Cohen's κ",
        "en": "Coding agreement: precision, recall, F1 and Cohen's κ",
    },
    "metric": {"zh": "指标", "en": "Metric"},
    "precision": {"zh": "精确率", "en": "Precision"},
    "recall": {"zh": "召回率", "en": "Recall"},
    "f1": {"zh": "F1", "en": "F1"},
    "cohen_kappa": {"zh": "Cohen's κ", "en": "Cohen's κ"},
    "codebook_vs_gold": {"zh": "词典编码 vs 人工编码", "en": "Codebook vs gold"},
    "supervised_vs_gold": {"zh": "监督学习 vs 人工编码", "en": "Supervised vs gold"},
    "hybrid_vs_gold": {
        "zh": "混合（码本或高置信监督）vs 人工编码",
        "en": "Hybrid (codebook or confident supervised) vs gold",
    },
    "supervised_vs_codebook": {"zh": "监督学习 vs 词典编码", "en": "Supervised vs codebook"},
    "alpha": {"zh": "Cronbach's α", "en": "Cronbach's α"},
    "cr": {"zh": "组合信度 CR", "en": "Composite reliability (CR)"},
    "ave": {"zh": "平均方差抽取量 AVE", "en": "AVE"},
}


# Grouping variables that appear in table notes even when config ``labels:`` omits them.
# ---------------------------------------------------------------------------- labels and theme


def text(key: str, language: Language = "zh") -> str:
    """A fixed figure text (title, axis label) in the chosen language."""
    return TEXT[key][language]


def _tick(label: str, width: int = 14) -> str:
    """Wrap long English tick labels onto two lines; Chinese labels are short enough already."""
    return (
        "\n".join(textwrap.wrap(label, width, break_long_words=False)) if label.isascii() else label
    )


def apply_theme() -> str:
    """Set the one chainpb theme (seaborn ticks, Okabe-Ito palette) and the CJK font.

    seaborn's ``set_theme`` resets ``font.sans-serif``; the CJK font is therefore set after it.
    Called by every ``plot_*`` function, so figures look the same whatever ran before.
    """
    sns.set_theme(
        context="paper",
        style="ticks",
        palette=list(PALETTE),
        font_scale=FONT_SCALE,
        rc={
            "axes.spines.right": False,
            "axes.spines.top": False,
            "figure.dpi": 100,
            "savefig.dpi": 300,
            "legend.frameon": False,
        },
    )
    return setup_cjk_font()


def _require(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ChainpbError(
            f"绘制「{what}」所需的列缺失：{', '.join(missing)}；现有列：{', '.join(map(str, df.columns))}。",
            f"Columns needed for '{what}' are missing: {', '.join(missing)}; "
            f"present: {', '.join(map(str, df.columns))}.",
        )


def _pick(df: pd.DataFrame, *names: str) -> str | None:
    """The first of several accepted column names present in ``df`` (upstream naming varies)."""
    for name in names:
        if name in df.columns:
            return name
    return None


# ---------------------------------------------------------------------------- prevalence


def wilson_interval(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (as R ``prop.test(x, n, correct=FALSE)``).

    Preferred to the Wald interval because the shares can be near 0 or 1 in small city samples,
    where Wald intervals leave [0, 1]. ``n == 0`` gives ``(nan, nan)``.
    """
    if n < 0 or successes < 0 or successes > n:
        raise ChainpbError(
            f"Wilson 区间需要 0 ≤ 成功数 ≤ n，实际为 {successes}/{n}。",
            f"Wilson interval needs 0 <= successes <= n, got {successes}/{n}.",
        )
    if n == 0:
        return (float("nan"), float("nan"))
    z = float(norm.ppf(1 - (1 - level) / 2))
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # At 0 or n successes the bound is exactly 0 or 1; floating point would leave ±1e-17.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return (float(low), float(high))


def difficulty_prevalence(firm_difficulty: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Share of firms per city reporting each difficulty, with Wilson intervals.

    Input: ``firm_difficulty`` with ``city_key`` and ``diff_<cat>`` (0/1, missing for a blank
    answer). Blank answers are left out of the denominator, because a firm that wrote nothing
    told us nothing about its difficulties. Output columns: ``city_key, category, n, firms,
    share, conf_low, conf_high`` sorted by city and the category order of ``CATEGORIES``.
    """
    cats = [c for c in CATEGORIES if f"diff_{c}" in firm_difficulty.columns]
    _require(firm_difficulty, ["city_key"], "difficulty prevalence")
    if not cats:
        _require(firm_difficulty, [f"diff_{c}" for c in CATEGORIES], "difficulty prevalence")
    rows = []
    for city, group in sorted(firm_difficulty.groupby("city_key", sort=True), key=lambda g: g[0]):
        for cat in cats:
            values = pd.to_numeric(group[f"diff_{cat}"], errors="coerce").dropna()
            n = int(values.size)
            firms = int((values > 0).sum())
            low, high = wilson_interval(firms, n, level)
            rows.append(
                {
                    "city_key": city,
                    "category": cat,
                    "n": n,
                    "firms": firms,
                    "share": firms / n if n else float("nan"),
                    "conf_low": low,
                    "conf_high": high,
                }
            )
    return pd.DataFrame(
        rows, columns=["city_key", "category", "n", "firms", "share", "conf_low", "conf_high"]
    )


def plot_difficulty_prevalence(
    firm_difficulty: pd.DataFrame,
    *,
    cities: Mapping[str, Any] | None = None,
    language: Language = "zh",
    level: float = 0.95,
) -> Figure:
    """Grouped bars: share of firms reporting each difficulty, one bar per city, Wilson CIs."""
    _check_language(language)
    apply_theme()
    prev = difficulty_prevalence(firm_difficulty, level)
    city_keys = sorted(prev["city_key"].unique())
    cats = [c for c in CATEGORIES if c in set(prev["category"])]
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 3.8), layout="constrained")
    width = 0.8 / max(1, len(city_keys))
    x = np.arange(len(cats))
    for i, city in enumerate(city_keys):
        sub = prev[prev["city_key"] == city].set_index("category").reindex(cats)
        offset = (i - (len(city_keys) - 1) / 2) * width
        share = sub["share"].to_numpy(dtype=float)
        err = np.vstack(
            [share - sub["conf_low"].to_numpy(float), sub["conf_high"].to_numpy(float) - share]
        )
        err = np.clip(err, 0.0, None)  # rounding can leave −1e-17 at a share of 0 or 1
        ax.bar(
            x + offset,
            share,
            width=width * 0.95,
            color=PALETTE[i % len(PALETTE)],
            label=city_label(city, cities, language),
            yerr=err,
            capsize=2.5,
            error_kw={"elinewidth": 0.8, "ecolor": "#333333"},
        )
    ax.set_xticks(x, [_tick(category_label(c, language)) for c in cats])
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
    ax.set_ylim(0, min(1.0, max(0.1, float(np.nanmax(prev["conf_high"])) * 1.15)))
    ax.set_xlabel(text("difficulty", language))
    ax.set_ylabel(text("prevalence_y", language))
    ax.set_title(text("prevalence_title", language))
    ax.legend(title=text("city", language), loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


# ---------------------------------------------------------------------------- heatmaps


def plot_policy_themes(
    policy_themes: pd.DataFrame,
    *,
    cities: Mapping[str, Any] | None = None,
    language: Language = "zh",
) -> Figure:
    """Two heatmaps area × city from policy texts, annotated (mentions per 1,000 tokens):
    attention to each area (problems, remedies and denials: what the texts attend to, not a
    difficulty) and, apart, statements of each difficulty. One colour scale for both panels, so
    that their cells compare.

    Input: ``policy_themes`` with ``city_key, measure, category, per_1000_tokens``.
    """
    _check_language(language)
    _require(policy_themes, ["city_key", "measure", "category", "per_1000_tokens"], "policy themes")
    apply_theme()
    panels = []
    without_texts = {
        city_label(c, cities, language)
        for c in set(cities or ()) - set(policy_themes["city_key"].astype(str))
    }
    for measure in ("attention", "difficulty"):
        part = policy_themes[policy_themes["measure"] == measure]
        table = part.pivot_table(
            index="category", columns="city_key", values="per_1000_tokens", aggfunc="sum"
        )
        rows = [c for c in CATEGORIES if c in table.index]
        # Every configured city gets a column: a city without policy texts is shown as such,
        # not left out (its cells stay empty and say so).
        columns = sorted(set(table.columns) | set(cities or ()))
        table = table.reindex(index=rows, columns=columns)
        # attention rows name the area (组织覆盖), difficulty rows the difficulty (组织覆盖难)
        table.index = [
            scale_label(c, language) if measure == "attention" else category_label(c, language)
            for c in table.index
        ]
        table.columns = [city_label(c, cities, language) for c in table.columns]
        panels.append((measure, table))
    vmax = max(float(np.nanmax(t.to_numpy())) if t.size else 0.0 for _, t in panels) or 1.0
    fig, axes = plt.subplots(1, 2, figsize=(FIG_WIDTH, 3.6), layout="constrained")
    for ax, (measure, table) in zip(axes, panels, strict=True):
        sns.heatmap(
            table,
            ax=ax,
            annot=True,
            fmt=".2f",
            cmap=HEATMAP_CMAP,
            vmin=0.0,
            vmax=vmax,
            linewidths=0.5,
            linecolor="white",
            cbar=measure == "difficulty",
            cbar_kws={"label": text("per_1000", language)} if measure == "difficulty" else None,
        )
        for j, column in enumerate(table.columns):
            if column in without_texts:
                for i in range(len(table.index)):
                    ax.text(j + 0.5, i + 0.5, text("no_texts", language), ha="center",
                            va="center", fontsize=8, color="0.45")  # fmt: skip
        ax.set_title(text(f"{measure}_panel", language))
        ax.set_xlabel(text("city", language))
        ax.set_ylabel(text("area" if measure == "attention" else "difficulty", language))
        ax.tick_params(axis="y", rotation=0)
    fig.suptitle(text("themes_title", language))
    return fig


def jaccard_from_counts(cooccurrence: pd.DataFrame) -> pd.DataFrame:
    """Jaccard index J(i, j) = c_ij / (c_ii + c_jj − c_ij) from a symmetric count matrix.

    The diagonal c_ii is the number of firms reporting difficulty i at all; an empty pair gives 0.
    """
    c = cooccurrence.to_numpy(dtype=float)
    diag = np.diag(c)
    union = diag[:, None] + diag[None, :] - c
    with np.errstate(invalid="ignore", divide="ignore"):
        j = np.where(union > 0, c / union, 0.0)
    return pd.DataFrame(j, index=cooccurrence.index, columns=cooccurrence.columns)


def conditional_shares(cooccurrence: pd.DataFrame) -> pd.DataFrame:
    """P(column difficulty | row difficulty) = c_ij / c_ii: among the firms reporting the row's
    difficulty, the share also reporting the column's. The diagonal (always 1) is NaN; a row
    nobody reported is NaN."""
    c = cooccurrence.to_numpy(dtype=float)
    diag = np.diag(c)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(diag[:, None] > 0, c / diag[:, None], np.nan)
    np.fill_diagonal(share, np.nan)
    return pd.DataFrame(share, index=cooccurrence.index, columns=cooccurrence.columns)


def plot_difficulty_cooccurrence(
    cooccurrence: pd.DataFrame,
    *,
    jaccard: bool = False,
    measure: str | None = None,
    language: Language = "zh",
) -> Figure:
    """Heatmap of the 4×4 co-occurrence of the difficulties, the diagonal masked.

    ``measure``: ``"conditional"`` (default: row i, column j = share of the firms reporting i
    that also report j, :func:`conditional_shares`), ``"jaccard"`` (or ``jaccard=True``) or
    ``"count"`` (firms reporting both). The diagonal — firms reporting a difficulty at all — would
    dominate the colour scale, so it is left blank and its counts go into the row labels (n = …).
    Input: a square DataFrame whose index and columns are the categories (``coverage`` … or
    ``diff_coverage`` …); the diagonal holds the firms reporting that difficulty.
    """
    _check_language(language)
    apply_theme()
    measure = measure or ("jaccard" if jaccard else "conditional")
    keys = [category_key(str(c)) for c in cooccurrence.columns]
    matrix = cooccurrence.copy()
    matrix.index = [category_key(str(c)) for c in matrix.index]
    matrix.columns = keys
    order = [c for c in CATEGORIES if c in keys]
    matrix = matrix.reindex(index=order, columns=order)
    if measure == "jaccard":
        values = jaccard_from_counts(matrix)
    elif measure == "count":
        values = matrix.astype(float)
    else:
        values = conditional_shares(matrix)
    values = values.astype(float)
    mask = np.eye(len(order), dtype=bool)
    shown = values.copy()
    n = np.diag(matrix.to_numpy(dtype=float))
    shown.index = [
        f"{category_label(c, language)}\n(n = {int(k)})"
        if np.isfinite(k)
        else category_label(c, language)
        for c, k in zip(order, n, strict=True)
    ]
    shown.columns = [_tick(category_label(c, language), 10) for c in order]
    fig, ax = plt.subplots(figsize=(FIG_WIDTH * 0.85, 4.4), layout="constrained")
    sns.heatmap(
        shown,
        ax=ax,
        mask=mask,
        annot=True,
        fmt={"count": ".0f", "jaccard": ".2f"}.get(measure, ".0%"),
        cmap=HEATMAP_CMAP,
        square=True,
        linewidths=0.5,
        linecolor="white",
        vmin=0,
        vmax=None if measure == "count" else 1,
        cbar_kws={
            "label": text(
                {"count": "count", "jaccard": "jaccard"}.get(measure, "conditional"), language
            )
        },
    )
    ax.set_title(text(f"cooc_title_{measure}", language))
    ax.set_ylabel(text("cooc_rows", language) if measure == "conditional" else "")
    ax.set_xlabel(text("cooc_cols", language) if measure == "conditional" else "")
    ax.tick_params(axis="y", rotation=0)
    ax.tick_params(axis="x", rotation=0)
    return fig


# ---------------------------------------------------------------------------- terms


def plot_top_terms(
    term_frequency: pd.DataFrame,
    *,
    n_top: int = 10,
    language: Language = "zh",
) -> Figure:
    """Horizontal bars of the most frequent terms per difficulty, one panel per category.

    Input: ``category, term, count`` (any further column such as ``city_key`` is summed over).
    Ties are broken by the term so that the order is stable.
    """
    _check_language(language)
    count_col = _pick(term_frequency, "count", "n", "frequency", "freq")
    _require(term_frequency, ["category", "term"], "top terms")
    if count_col is None:
        _require(term_frequency, ["count"], "top terms")
    apply_theme()
    totals = (
        term_frequency.groupby(["category", "term"], as_index=False)[count_col]
        .sum()
        .rename(columns={count_col: "count"})
    )
    cats = [c for c in CATEGORIES if c in set(totals["category"])]
    ncols = 2 if len(cats) > 1 else 1
    nrows = int(np.ceil(len(cats) / ncols)) or 1
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(FIG_WIDTH, 0.22 * n_top * nrows + 1.0),
        layout="constrained",
        squeeze=False,
    )
    for ax, cat in zip(axes.flat, cats, strict=False):
        top = (
            totals[totals["category"] == cat]
            .sort_values(["count", "term"], ascending=[False, True])
            .head(n_top)
        )
        ax.barh(np.arange(len(top)), top["count"], color=PALETTE[CATEGORIES.index(cat)])
        ax.set_yticks(np.arange(len(top)), top["term"].tolist())
        ax.invert_yaxis()
        ax.set_title(category_label(cat, language))
        ax.set_xlabel(text("frequency", language))
    for ax in list(axes.flat)[len(cats) :]:
        ax.set_visible(False)
    fig.suptitle(text("top_terms_title", language))
    return fig


# ---------------------------------------------------------------------------- reliability


def scale_order(names: Sequence[str], scales: Mapping[str, Any] | None) -> list[str]:
    """Scales in the order of the config's ``scales:`` (``coverage`` or ``scale_coverage``);
    without it the four dimensions in their fixed order; anything else keeps its order."""
    keys = [str(k) for k in (scales or {})] or list(CATEGORIES)

    def rank(name: str) -> tuple[int, int]:
        bare = name.removeprefix("scale_")
        key = bare if bare in keys else category_key(name)
        return (keys.index(key) if key in keys else len(keys), list(names).index(name))

    return sorted(names, key=rank)


def plot_reliability(
    reliability: pd.DataFrame,
    *,
    scales: Mapping[str, Any] | None = None,
    language: Language = "zh",
    cities: Mapping[str, Any] | None = None,
) -> Figure:
    """Bars of Cronbach's α, CR and AVE per scale with reference lines at 0.7 and 0.5.

    Input: one row per scale with ``scale`` (``coverage`` or ``scale_coverage``) and the columns
    ``alpha`` (or ``cronbach_alpha``), ``cr`` (or ``composite_reliability``), ``ave``. 0.7 is the
    usual threshold for α and CR, 0.5 for AVE (Fornell & Larcker 1981).

    With a ``city`` column (results/measures/reliability.csv) there is one panel per group: the
    row pooled over the items common to all cities (``city`` = ``pooled/合并``) first, then each
    city on its own items (display names from ``cities``, the config ``cities:`` table). Tick
    labels then give the number of items (``n_items``), so that a city asking fewer items shows;
    a scale a city could not analyse is marked 未计算 / n.a. (the reason is in the table's note).
    """
    _check_language(language)
    _require(reliability, ["scale"], "reliability")
    columns = {
        "alpha": _pick(reliability, "alpha", "cronbach_alpha", "raw_alpha"),
        "cr": _pick(reliability, "cr", "composite_reliability", "CR"),
        "ave": _pick(reliability, "ave", "AVE"),
    }
    present = {k: v for k, v in columns.items() if v is not None}
    if not present:
        _require(reliability, ["alpha", "cr", "ave"], "reliability")
    apply_theme()
    names = list(dict.fromkeys(reliability["scale"].astype(str)))
    order = scale_order(names, scales)
    by_city = "city" in reliability.columns
    if by_city:
        keys = list(dict.fromkeys(reliability["city"].astype(str)))
        keys = sorted(keys, key=lambda k: (k != POOLED, keys.index(k)))
        groups = [(k, reliability[reliability["city"].astype(str) == k]) for k in keys]
        # One city: its panel would repeat the pooled one.
        if len(groups) == 2 and keys[0] == POOLED:
            groups = groups[:1]
    else:
        groups = [("", reliability)]
    # A negative α (items that do not hang together) must show below the axis, not be cut off.
    values = reliability[list(present.values())].to_numpy(dtype=float)
    low = min(0.0, float(np.nanmin(values))) if np.isfinite(values).any() else 0.0
    if len(groups) == 1:
        fig, ax = plt.subplots(figsize=(FIG_WIDTH, 3.6), layout="constrained")
        _reliability_panel(ax, groups[0][1], order, present, scales, language, by_city, low)
        ax.set_title(text("reliability_title", language))
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
        return fig
    ncols = 1 if len(groups) <= 3 else 2
    nrows = -(-len(groups) // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(FIG_WIDTH, 0.8 + 2.3 * nrows), layout="constrained", squeeze=False
    )
    flat = list(axes.ravel())
    for i, (ax, (key, part)) in enumerate(zip(flat, groups, strict=False)):
        _reliability_panel(ax, part, order, present, scales, language, True, low)
        title = (
            text("reliability_pooled", language)
            if key == POOLED
            else city_label(key, cities, language)
        )
        ax.set_title(title, loc="left")
        # Tick labels name the scales; one axis title per row and none below keeps panels apart.
        ax.set_xlabel("")
        if i % ncols:
            ax.set_ylabel("")
    for ax in flat[len(groups) :]:
        ax.set_visible(False)
    handles, labels = flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(present))
    fig.suptitle(text("reliability_title", language))
    return fig


def _reliability_panel(
    ax: Any,
    rows: pd.DataFrame,
    order: Sequence[str],
    present: Mapping[str, str],
    scales: Mapping[str, Any] | None,
    language: Language,
    show_items: bool,
    low: float,
) -> None:
    """One group's bars (α, CR, AVE per scale), value labels and the 0.7 / 0.5 lines."""
    data = rows.drop_duplicates("scale")
    data = data.set_index(data["scale"].astype(str)).reindex(order)
    x = np.arange(len(order))
    width = 0.8 / len(present)
    for i, (metric, col) in enumerate(present.items()):
        offset = (i - (len(present) - 1) / 2) * width
        vals = data[col].to_numpy(dtype=float)
        bars = ax.bar(
            x + offset, vals, width * 0.95, color=PALETTE[i], label=text(metric, language)
        )
        shown = ["" if np.isnan(v) else f"{v:.2f}" for v in vals]
        # Upright: three bars of a scale are narrower than three horizontal labels, which ran
        # together (0.820.82).
        ax.bar_label(bars, labels=shown, fontsize=7, padding=2, rotation=90)
    missing = data[list(present.values())].isna().all(axis=1).to_numpy()
    for xi in x[missing]:
        ax.text(xi, 0.04, text("not_computed", language), ha="center", fontsize=7, color="#555555")
    ax.axhline(0.7, color="#555555", linestyle="--", linewidth=0.8)
    ax.axhline(0.5, color="#555555", linestyle=":", linewidth=0.8)
    ticks = [_tick(scale_label(s, language, scales)) for s in order]
    if show_items and "n_items" in data.columns:
        ticks = [
            t
            if pd.isna(k)
            else f"{t}\n({text('n_item' if k == 1 else 'n_items', language).format(k=int(k))})"
            for t, k in zip(ticks, data["n_items"], strict=True)
        ]
    ax.set_xticks(x, ticks)
    # Fixed limits: a panel whose bars are all missing must still show every scale's place.
    ax.set_xlim(-0.5, len(order) - 0.5)
    # headroom above 1 for an upright label on a bar near 1
    ax.set_ylim(low - 0.2 if low < 0 else 0, 1.25)
    # ticks from the lowest value's level up to 1 (a tick below the limits would widen them)
    ax.set_yticks([t for t in np.arange(-1.0, 1.01, 0.2).round(1) + 0.0 if t >= low - 1e-9])
    ax.set_xlabel(text("scale", language))
    ax.set_ylabel(text("value", language))


# ---------------------------------------------------------------------------- outcomes


def plot_outcomes_by_membership(
    analysis: pd.DataFrame,
    outcomes: Sequence[str],
    *,
    labels: Labels | None = None,
    language: Language = "zh",
    seed: int = 20251126,
    membership: str = "alliance_member",
) -> Figure:
    """Box plot plus jittered points of each outcome for alliance members and non-members.

    One panel per outcome (own y scale). Jitter comes from ``numpy.random.default_rng(seed)``
    so that the same data give the same picture; rows missing the outcome are left out.
    """
    _check_language(language)
    _require(analysis, [membership, *outcomes], "outcomes by membership")
    apply_theme()
    rng = np.random.default_rng(seed)
    groups = [0, 1]
    group_names = [text("non_member", language), text("member", language)]
    ncols = min(3, len(outcomes))
    nrows = int(np.ceil(len(outcomes) / ncols))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(FIG_WIDTH, 2.8 * nrows + 0.4), layout="constrained", squeeze=False
    )
    for ax, outcome in zip(axes.flat, outcomes, strict=False):
        sub = analysis[[membership, outcome]].dropna()
        values = [sub.loc[sub[membership] == g, outcome].to_numpy(float) for g in groups]
        box = ax.boxplot(
            values,
            positions=groups,
            widths=0.5,
            showfliers=False,
            patch_artist=True,
            medianprops={"color": "black"},
        )
        for patch, colour in zip(box["boxes"], PALETTE, strict=False):
            patch.set_facecolor(colour)
            patch.set_alpha(0.35)
        for g, vals in zip(groups, values, strict=True):
            jitter = rng.uniform(-0.15, 0.15, size=vals.size)
            ax.scatter(g + jitter, vals, s=4, alpha=0.5, color=PALETTE[g], linewidths=0)
        ax.set_xticks(groups, group_names)
        ax.set_xlim(-0.6, 1.6)
        ax.set_title(variable_label(outcome, labels, language))
        ax.set_xlabel("")
    for ax in list(axes.flat)[len(outcomes) :]:
        ax.set_visible(False)
    fig.suptitle(text("outcomes_title", language))
    return fig


# ---------------------------------------------------------------------------- coefficients


# Estimator families: coefficients on one axis must share a scale (never log-odds beside OLS).
FAMILIES = {
    "ols": "linear",
    "mixedlm": "linear",
    "logit": "logit",
    "ologit": "logit",
    "probit": "probit",
}
# Panel families in drawing order. "ame": average marginal effects of logit/probit fits (rows
# with ``quantity == "ame"``), on the probability scale, never beside log-odds.
FAMILY_AXIS = {
    "linear": {"zh": "估计系数（线性模型）", "en": "Estimate (linear models)"},
    "ame": {
        "zh": "平均边际效应\n（logit/probit，概率）",  # two lines: three panels a row
        "en": "Average marginal effect\n(logit / probit, probability)",
    },
    "logit": {"zh": "对数几率（logit/有序logit）", "en": "Log-odds (logit / ordered logit)"},
    "probit": {"zh": "probit 系数", "en": "Probit coefficient"},
}


def plot_coefficients(
    estimates: pd.DataFrame,
    *,
    terms: Sequence[str] | None = None,
    labels: Labels | None = None,
    model_labels: Mapping[str, str] | None = None,
    language: Language = "zh",
) -> Figure:
    """Coefficient plot: point estimates with 95% intervals, one panel per (estimator family,
    outcome).

    Input: tidy estimates (``model, outcome, term, estimate, conf_low, conf_high`` and, as in
    results/models/estimates.csv, ``estimator``; without it every row counts as linear), and
    optionally ``quantity``: ``"ame"`` marks average marginal effects of a logit/probit fit
    (:func:`chainpb.present.build.coefficient_estimates`), anything else a coefficient.
    Linear models (OLS, mixed), AMEs (probability scale), logit-type coefficients (logit,
    ordered logit: log-odds) and probit coefficients never share an axis: panels of one family
    come together in that order, and each panel's x label names its scale. ``terms`` selects and orders the rows (default: every term except
    the intercept, in order of appearance); a panel shows only the terms it has, so there are no
    empty rows. Outcomes and models keep their order of appearance (the config order); a model
    has one colour across panels.
    """
    _check_language(language)
    _require(
        estimates, ["model", "outcome", "term", "estimate", "conf_low", "conf_high"], "coefficients"
    )
    apply_theme()
    data = estimates[estimates["term"] != "Intercept"].copy()
    data = data[np.isfinite(pd.to_numeric(data["estimate"], errors="coerce"))]
    if terms is not None:
        data = data[data["term"].isin(list(terms))]
        term_order = [t for t in terms if t in set(data["term"])]
    else:
        term_order = list(dict.fromkeys(data["term"]))
    estimator = data["estimator"] if "estimator" in data.columns else pd.Series("ols", data.index)
    data["family"] = estimator.map(lambda e: FAMILIES.get(str(e), "linear"))
    if "quantity" in data.columns:
        data.loc[data["quantity"].astype(str) == "ame", "family"] = "ame"
    models = list(dict.fromkeys(data["model"]))
    colour = {m: PALETTE[i % len(PALETTE)] for i, m in enumerate(models)}
    panels = [
        (family, outcome)
        for family in FAMILY_AXIS
        for outcome in dict.fromkeys(data.loc[data["family"] == family, "outcome"])
    ]
    panels = panels or [("linear", "")]
    # Two panels a row: three left each x axis so narrow that it got only two ticks.
    ncols = min(2, max(1, len(panels)))
    nrows = int(np.ceil(len(panels) / ncols))
    rows_per_panel = [
        len(set(data.loc[(data["family"] == f) & (data["outcome"] == o), "term"]))
        for f, o in panels
    ]
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(FIG_WIDTH, max(3.0, 0.5 * max([*rows_per_panel, 1]) * nrows + 1.8)),
        layout="constrained",
        squeeze=False,
    )
    seen: dict[str, Any] = {}
    for ax, (family, outcome) in zip(axes.flat, panels, strict=False):
        part = data[(data["family"] == family) & (data["outcome"] == outcome)]
        shown = [t for t in term_order if t in set(part["term"])]
        in_panel = [m for m in models if m in set(part["model"])]
        step = 0.7 / max(1, len(in_panel))
        for i, model in enumerate(in_panel):
            sub = part[part["model"] == model].drop_duplicates("term").set_index("term")
            sub = sub.reindex([t for t in shown if t in sub.index])
            y = np.array([shown.index(t) for t in sub.index], dtype=float)
            y = y + (i - (len(in_panel) - 1) / 2) * step
            est = sub["estimate"].to_numpy(float)
            bar = ax.errorbar(
                est,
                y,
                xerr=np.vstack(
                    [est - sub["conf_low"].to_numpy(float), sub["conf_high"].to_numpy(float) - est]
                ),
                fmt="o",
                markersize=3.5,
                capsize=2,
                linewidth=0.9,
                color=colour[model],
                label=(model_labels or {}).get(model, model),
            )
            seen.setdefault(model, bar)
        ax.axvline(0, color="#555555", linewidth=0.8, linestyle="--")
        ax.set_yticks(np.arange(len(shown)), [variable_label(t, labels, language) for t in shown])
        ax.set_ylim(len(shown) - 0.5, -0.5)  # first term on top
        ax.set_title(variable_label(outcome, labels, language) if outcome else "")
        ax.set_xlabel(
            text("estimate", language)
            if set(data["family"]) == {"linear"}
            else FAMILY_AXIS[family][language]
        )
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    fig.legend(
        list(seen.values()),
        [(model_labels or {}).get(m, m) for m in seen],
        title=text("model", language),
        loc="outside lower center",
        # at most three a row: a wider legend runs into the simulated-data mark (lower left)
        ncols=min(3, max(1, len(seen))),
    )
    has_ame = any(family == "ame" for family, _ in panels)
    fig.suptitle(text("coef_ame_title" if has_ame else "coef_title", language))
    return fig


# ---------------------------------------------------------------------------- moderation


AT_LABELS: dict[str, dict[str, str]] = {
    "mean-1sd": {"zh": "均值−1个标准差", "en": "Mean − 1 SD"},
    "mean": {"zh": "均值", "en": "Mean"},
    "mean+1sd": {"zh": "均值+1个标准差", "en": "Mean + 1 SD"},
    "0": {"zh": "取值为0", "en": "= 0"},
    "1": {"zh": "取值为1", "en": "= 1"},
}


def _at_label(at: str, language: Language) -> str:
    return AT_LABELS[at][language] if at in AT_LABELS else at


def plot_simple_slopes(
    fit: FitResult,
    *,
    labels: Labels | None = None,
    language: Language = "zh",
    pair: tuple[str, str] | None = None,
) -> Figure:
    """Simple slopes of the focal regressor at chosen moderator values (moderation model).

    Expected in ``fit.extra["simple_slopes"]``: a list of dicts, one per moderator value, with
    ``moderator_value``, ``conf_low``, ``conf_high`` and the slope as ``slope`` or ``estimate``
    (the models stage writes ``estimate``); the tick label is ``moderator_label`` or ``at``
    (``"0"``/``"1"`` for a binary moderator, ``"mean-1sd"``/``"mean"``/``"mean+1sd"`` otherwise,
    translated here); optional ``focal``/``moderator`` per row (default: ``fit.extra`` keys of the
    same name, else ``fit.regressors[0]`` and ``[1]``); when several interaction pairs are
    present, ``pair=(focal, moderator)`` picks one (default: the first). Optional ``intercept``
    per row = predicted outcome when the focal regressor is 0 at that moderator value
    (covariates at their means), with ``fit.extra["focal_range"] = [low, high]`` (default
    ``[0, 1]``, a binary treatment such as alliance_member).

    Left panel: each slope with its confidence interval. Right panel (only when every row has an
    ``intercept``): predicted outcome lines ``intercept + slope·x`` over ``focal_range``.
    """
    _check_language(language)
    if not fit.extra.get("simple_slopes"):
        raise ChainpbError(
            f"模型 {fit.model}（因变量 {fit.outcome}）的结果中没有 simple_slopes，无法绘制简单斜率图。",
            f"Model {fit.model} (outcome {fit.outcome}) has no extra['simple_slopes'] to plot.",
        )
    slopes = pd.DataFrame(list(fit.extra["simple_slopes"]))
    if "slope" not in slopes.columns and "estimate" in slopes.columns:
        slopes["slope"] = slopes["estimate"]
    if "moderator_label" not in slopes.columns:
        at = slopes["at"] if "at" in slopes.columns else slopes["moderator_value"]
        slopes["moderator_label"] = [_at_label(str(a), language) for a in at]
    _require(slopes, ["moderator_value", "slope", "conf_low", "conf_high"], "simple slopes")
    focal = fit.extra.get("focal") or (fit.regressors[0] if fit.regressors else "x")
    moderator = fit.extra.get("moderator") or (
        fit.regressors[1] if len(fit.regressors) > 1 else "m"
    )
    if "focal" in slopes.columns and "moderator" in slopes.columns:
        first = (str(slopes["focal"].iloc[0]), str(slopes["moderator"].iloc[0]))
        focal, moderator = pair or first
        slopes = slopes[(slopes["focal"] == focal) & (slopes["moderator"] == moderator)]
    slopes = slopes.sort_values("moderator_value", kind="stable").reset_index(drop=True)
    apply_theme()
    with_lines = "intercept" in slopes.columns and slopes["intercept"].notna().all()
    fig, axes = plt.subplots(
        1,
        2 if with_lines else 1,
        figsize=(FIG_WIDTH, 3.2) if with_lines else (FIG_WIDTH * 0.6, 3.2),
        layout="constrained",
        squeeze=False,
    )
    ax = axes[0, 0]
    x = np.arange(len(slopes))
    est = slopes["slope"].to_numpy(float)
    ax.errorbar(
        x,
        est,
        yerr=np.vstack(
            [est - slopes["conf_low"].to_numpy(float), slopes["conf_high"].to_numpy(float) - est]
        ),
        fmt="o",
        capsize=3,
        color=PALETTE[0],
    )
    ax.axhline(0, color="#555555", linewidth=0.8, linestyle="--")
    ax.set_xticks(x, slopes["moderator_label"].astype(str).tolist())
    ax.set_xlim(-0.5, len(slopes) - 0.5)
    ax.set_xlabel(
        f"{text('moderator_value', language)}：{variable_label(moderator, labels, language)}"
        if language == "zh"
        else f"{text('moderator_value', language)}: {variable_label(moderator, labels, language)}"
    )
    ax.set_ylabel(text("slope", language))
    ax.set_title(
        f"{variable_label(focal, labels, language)} → {variable_label(fit.outcome, labels, language)}"
    )
    if with_lines:
        ax2 = axes[0, 1]
        low, high = fit.extra.get("focal_range") or (0.0, 1.0)
        grid = np.array([float(low), float(high)])
        for i, row in slopes.iterrows():
            ax2.plot(
                grid,
                float(row["intercept"]) + float(row["slope"]) * grid,
                marker="o",
                color=PALETTE[int(i) % len(PALETTE)],
                label=str(row["moderator_label"]),
            )
        ax2.set_xticks(grid)
        ax2.set_xlabel(variable_label(focal, labels, language))
        ax2.set_ylabel(
            f"{text('predicted', language)}：{variable_label(fit.outcome, labels, language)}"
            if language == "zh"
            else f"{text('predicted', language)}: {variable_label(fit.outcome, labels, language)}"
        )
        ax2.legend(title=variable_label(moderator, labels, language))
    fig.suptitle(text("slopes_title", language))
    return fig


# ---------------------------------------------------------------------------- agreement


AGREEMENT_METRICS: tuple[str, ...] = ("precision", "recall", "f1", "cohen_kappa")


def plot_agreement(
    agreement: pd.DataFrame,
    *,
    language: Language = "zh",
) -> Figure:
    """Bars of precision, recall, F1 and Cohen's κ per category, one panel per comparison.

    Input: the long agreement table (``comparison, category, precision, recall, f1,
    cohen_kappa``); a ``macro`` category row, if present, is drawn last. κ can be negative or
    NaN (a category nobody coded): NaN bars are simply absent. When the table breaks the
    agreement down by ``split`` and ``source`` (the validation output does), the figure shows
    all sources of the ``test`` units — never trained or tuned on — when there are any, else
    all units; the title says which. The breakdown stays in the table.
    """
    _check_language(language)
    _require(agreement, ["comparison", "category", *AGREEMENT_METRICS], "agreement")
    apply_theme()
    title = text("agreement_title", language)
    if "source" in agreement.columns:
        agreement = agreement[agreement["source"].astype(str) == "all"]
    if "split" in agreement.columns:
        split = "test" if (agreement["split"].astype(str) == "test").any() else "all"
        agreement = agreement[agreement["split"].astype(str) == split]
        which = text(f"units_{split}", language)
        title = f"{title}（{which}）" if language == "zh" else f"{title} ({which})"
    comparisons = sorted(agreement["comparison"].unique())
    known = ["codebook_vs_gold", "supervised_vs_gold", "hybrid_vs_gold", "supervised_vs_codebook"]
    comparisons = [c for c in known if c in comparisons] + [
        c for c in comparisons if c not in known
    ]
    fig, axes = plt.subplots(
        len(comparisons),
        1,
        figsize=(FIG_WIDTH, 2.6 * len(comparisons) + 0.5),
        layout="constrained",
        squeeze=False,
        sharey=True,
    )
    width = 0.8 / len(AGREEMENT_METRICS)
    for ax, comparison in zip(axes[:, 0], comparisons, strict=True):
        sub = agreement[agreement["comparison"] == comparison]
        cats = [c for c in (*CATEGORIES, "macro") if c in set(sub["category"])]
        cats += sorted(c for c in set(sub["category"]) if c not in cats)
        sub = sub.set_index("category").reindex(cats)
        x = np.arange(len(cats))
        for i, metric in enumerate(AGREEMENT_METRICS):
            offset = (i - (len(AGREEMENT_METRICS) - 1) / 2) * width
            ax.bar(
                x + offset,
                sub[metric].to_numpy(float),
                width * 0.95,
                color=PALETTE[i],
                label=text(metric, language),
            )
        ax.set_xticks(x, [_tick(category_label(c, language)) for c in cats])
        ax.axhline(0, color="#333333", linewidth=0.6)
        ax.set_ylim(
            min(0.0, float(np.nanmin(agreement[list(AGREEMENT_METRICS)].to_numpy(float))) - 0.05),
            1.05,
        )
        ax.set_title(TEXT[comparison][language] if comparison in TEXT else comparison)
        ax.set_ylabel(text("value", language))
    axes[0, 0].legend(title=text("metric", language), loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.suptitle(title)
    return fig

"""Figures and the journal table of a text collection (config ``corpora:``): attention and
difficulty statements by group and over time, labelled here (the corpus stage writes keys).
The measures themselves are computed in :mod:`chainpb.corpora`."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from chainpb.corpora import ALL_DOCUMENTS, MEASURES
from chainpb.labels import CATEGORIES

FIGURE_TEXT: dict[str, dict[str, str]] = {
    "per_10k": {"zh": "每万字命中数", "en": "Hits per 10,000 characters"},
    "attention_panel": {"zh": "领域关注度", "en": "Attention to the area"},
    "difficulty_panel": {"zh": "困难表述", "en": "Difficulty statements"},
    "area": {"zh": "领域", "en": "Area"},
    "difficulty": {"zh": "困难", "en": "Difficulty"},
    "year": {"zh": "年份", "en": "Year"},
    "group": {"zh": "分组", "en": "Group"},
    "issuer": {"zh": "发文机关", "en": "Issuer"},
    "documents": {"zh": "文档数", "en": "Documents"},
    "no_value": {"zh": "未注明", "en": "not given"},
    "no_dates": {
        "zh": "语料中的文档没有可识别的年份，无法按时间展示",
        "en": "No document of the corpus carries a year; nothing to show over time",
    },
    "groups_title": {
        "zh": "{name}：按{by}的领域关注度与困难表述",
        "en": "{name}: attention and difficulty statements by {by}",
    },
    "time_title": {
        "zh": "{name}：领域关注度与困难表述的年度变化",
        "en": "{name}: attention and difficulty statements over time",
    },
}


def _t(key: str, language: str, **kwargs: str) -> str:
    return FIGURE_TEXT[key][language].format(**kwargs)


def plot_corpus_groups(groups: pd.DataFrame, *, name: str, language: str = "zh") -> Any:
    """Heatmaps area × group (first field of ``group_by``), per 10,000 characters: attention
    and difficulty statements, one colour scale; columns carry the number of documents."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    from chainpb.labels import category_label, scale_label
    from chainpb.present.figures import FIG_WIDTH, HEATMAP_CMAP, apply_theme

    apply_theme()
    by = str(groups["group_by"].iloc[0]) if len(groups) else "group"
    part = groups[groups["group_by"] == by]
    docs = part.drop_duplicates("value").set_index("value")["documents"]
    values = list(docs.index)
    column_labels = [f"{v or _t('no_value', language)}\n(n={int(docs[v])})" for v in values]
    panels = []
    for measure in MEASURES:
        table = part[part["measure"] == measure].pivot_table(
            index="category", columns="value", values="per_10k_chars", aggfunc="sum"
        )
        table = table.reindex(index=list(CATEGORIES), columns=values)
        label = scale_label if measure == "attention" else category_label
        table.index = [label(c, language) for c in table.index]
        table.columns = column_labels
        panels.append((measure, table))
    vmax = max(float(np.nanmax(t.to_numpy())) if t.size else 0.0 for _, t in panels) or 1.0
    width = min(max(FIG_WIDTH, 1.2 + 0.55 * len(values)), 16.0)
    fig, axes = plt.subplots(2, 1, figsize=(width, 6.4), layout="constrained")
    for ax, (measure, table) in zip(axes, panels, strict=True):
        sns.heatmap(
            table,
            ax=ax,
            annot=len(values) <= 16,
            fmt=".1f",
            cmap=HEATMAP_CMAP,
            vmin=0.0,
            vmax=vmax,
            linewidths=0.5,
            linecolor="white",
            cbar_kws={"label": _t("per_10k", language)},
        )
        ax.set_title(_t(f"{measure}_panel", language))
        ax.set_xlabel(_t(by, language))
        ax.set_ylabel(_t("area" if measure == "attention" else "difficulty", language))
        ax.tick_params(axis="y", rotation=0)
    by_text = _t(by, language)
    fig.suptitle(
        _t("groups_title", language, name=name, by=by_text if language == "zh" else by_text.lower())
    )
    return fig


def plot_corpus_time(time: pd.DataFrame, *, name: str, language: str = "zh") -> Any:
    """Over time (all documents): attention and difficulty statements per 10,000 characters, one
    line per area, and the number of documents per year; a note when no document has a year."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    from chainpb.labels import category_label, scale_label
    from chainpb.present.figures import FIG_WIDTH, PALETTE, apply_theme

    apply_theme()
    part = time[time["group"] == ALL_DOCUMENTS]
    if part.empty:
        fig, ax = plt.subplots(figsize=(FIG_WIDTH, 2.0), layout="constrained")
        ax.axis("off")
        ax.text(0.5, 0.5, _t("no_dates", language), ha="center", va="center")
        fig.suptitle(_t("time_title", language, name=name))
        return fig
    fig, axes = plt.subplots(
        3,
        1,
        figsize=(FIG_WIDTH, 7.0),
        sharex=True,
        layout="constrained",
        gridspec_kw={"height_ratios": [3, 3, 1.4]},
    )
    for ax, measure in zip(axes[:2], MEASURES, strict=True):
        cells = part[part["measure"] == measure]
        label = scale_label if measure == "attention" else category_label
        # one marker shape per area, so that areas with the same value in a year stay visible
        for colour, marker, cat in zip(PALETTE, "osD^", CATEGORIES, strict=False):
            line = cells[cells["category"] == cat]
            ax.plot(
                line["year"],
                line["per_10k_chars"],
                marker=marker,
                markersize=4,
                markerfacecolor="none",
                alpha=0.85,
                color=colour,
                label=label(cat, language),
            )
        ax.set_title(_t(f"{measure}_panel", language))
        ax.set_ylabel(_t("per_10k", language))
        ax.set_ylim(bottom=0)
    axes[0].legend(loc="upper left", fontsize=7, ncols=2)
    counts = part.drop_duplicates("year")
    axes[2].bar(counts["year"], counts["documents"], color="0.6")
    axes[2].set_ylabel(_t("documents", language))
    axes[2].set_xlabel(_t("year", language))
    axes[2].xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[2].yaxis.set_major_locator(MaxNLocator(integer=True))
    fig.suptitle(_t("time_title", language, name=name))
    return fig


TABLE_TEXT: dict[str, dict[str, str]] = {
    "title": {
        "zh": "{name}：领域关注度与困难表述的年度变化（每万字命中数）",
        "en": "{name}: attention and difficulty statements by year (hits per 10,000 characters)",
    },
    "year": {"zh": "年份", "en": "Year"},
    "documents": {"zh": "文档数", "en": "Documents"},
    "chars": {"zh": "字数", "en": "Characters"},
    "note": {
        "zh": "注：每格为当年全部文档的命中数 × 10,000 ÷ 其字数之和。领域关注度计困难、措施与否认的表述，困难表述只计"
        "困难。没有年份的文档未列入。",
        "en": "Note: each cell is the year's hits × 10,000 / the characters of all its documents. "
        "Attention counts problems, remedies and denials; difficulty statements count problems "
        "only. Documents without a year are not shown.",
    },
    "no_dates": {"zh": "没有可识别年份的文档。", "en": "No document carries a year."},
}


def over_time_table(time: pd.DataFrame, *, name: str, language: str = "zh") -> Any:
    """The over-time table of all documents as a journal table (三线表): one row per year with
    the number of documents and characters, then attention and difficulty statements per
    10,000 characters for each area."""
    from chainpb.labels import category_label, scale_label
    from chainpb.present.table_model import Table, format_count, format_number

    def t(key: str) -> str:
        return TABLE_TEXT[key][language].format(name=name)

    part = time[time["group"] == ALL_DOCUMENTS]
    top = ("", "", "")
    second = (t("year"), t("documents"), t("chars"))
    for measure in MEASURES:
        label = scale_label if measure == "attention" else category_label
        top += (_t(f"{measure}_panel", language),) * len(CATEGORIES)
        second += tuple(label(c, language) for c in CATEGORIES)  # type: ignore[arg-type]
    body = []
    for year, cells in part.groupby("year", sort=True):
        rate = cells.set_index(["measure", "category"])["per_10k_chars"]
        first = cells.iloc[0]
        row = (str(year), format_count(first["documents"]), format_count(first["n_chars"]))
        row += tuple(format_number(rate[(m, c)], 2) for m in MEASURES for c in CATEGORIES)
        body.append(row)
    notes = (t("note"),) if body else (t("no_dates"),)
    if not body:
        body = [("—",) * len(second)]
    return Table(
        title=t("title"), header=(top, second), body=tuple(body), notes=notes, label="corpus_time"
    )

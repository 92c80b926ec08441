"""Journal tables in the style of Chinese journals (三线表), written to Word, LaTeX and HTML.

A ``Table`` is plain text cells: builders (``regression_table``, ``descriptive_table``,
``correlation_table``, ``reliability_table``) format the numbers once, and the writers
(``table_to_docx``/``docx_bytes``, ``table_to_latex``, ``table_to_html``) only lay them out, so the
three formats always show the same numbers.

Three-line rules: a 1.5 pt rule above the header, a 0.75 pt rule under the header, a 1.5 pt rule
under the last row, no vertical lines. Equal consecutive cells in an upper header row are merged
(e.g. one outcome label over several model columns) and get a thin rule beneath them.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import math
import os
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import IO, Any, Literal

import pandas as pd
from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, Pt
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph

from chainpb.errors import ChainpbError
from chainpb.labels import city_label, variable_label
from chainpb.measures.descriptives import correlation_matrix
from chainpb.measures.descriptives import significance_stars as _stars
from chainpb.models.result import FitResult

Language = Literal["zh", "en"]
Labels = Mapping[str, Mapping[str, str]]

# Word: 五号 = 10.5 pt; border sizes are in eighths of a point (12 = 1.5 pt, 6 = 0.75 pt).
FONT_SIZE_PT = 10.5
NOTE_SIZE_PT = 9.0
EAST_ASIA_FONT = "宋体"
LATIN_FONT = "Times New Roman"
RULE_THICK = 12
RULE_THIN = 6
RULE_CMID = 4
# python-docx would stamp "now" into docProps/core.xml and the zip entries; a fixed date keeps
# reruns byte-identical (1980-01-01 is the earliest date a zip entry can carry).
FIXED_DATE = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

STAR_LEGEND = {
    "zh": "*、**、*** 分别表示在10%、5%、1%水平上显著",
    "en": "* p < 0.1, ** p < 0.05, *** p < 0.01",
}


@dataclass(frozen=True)
class Table:
    """A journal table as text cells.

    ``header`` holds one or more rows; ``body`` the data rows; every row has the same number of
    cells. ``align`` is one of ``l``/``c``/``r`` per column (default: first column left, the rest
    centred). ``notes`` are printed under the bottom rule, each as its own line.
    """

    title: str
    header: tuple[tuple[str, ...], ...]
    body: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...] = ()
    align: tuple[str, ...] | None = None
    label: str | None = None  # short ASCII key, used as the LaTeX \label and HTML id

    def __post_init__(self) -> None:
        widths = {len(r) for r in (*self.header, *self.body)}
        if len(widths) > 1:
            raise ChainpbError(
                f"表格「{self.title}」各行单元格数不一致：{sorted(widths)}。",
                f"Rows of table '{self.title}' have different numbers of cells: {sorted(widths)}.",
            )

    @property
    def n_cols(self) -> int:
        rows = (*self.header, *self.body)
        return len(rows[0]) if rows else 0

    def alignment(self) -> tuple[str, ...]:
        if self.align is not None:
            return self.align
        return ("l",) + ("c",) * (self.n_cols - 1)


# ---------------------------------------------------------------------------- formatting


# One star convention for every table: the descriptive-statistics module owns it.
significance_stars = _stars


def format_number(value: Any, digits: int = 3) -> str:
    """Fixed decimals; missing values are an empty cell; −0.000 is shown as 0.000."""
    if value is None:
        return ""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(x):
        return ""
    text = f"{x:.{digits}f}"
    return text[1:] if re.fullmatch(r"-0\.?0*", text) else text


def format_count(value: Any) -> str:
    """Integers with thousands separators (1,234) as journals print N."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return f"{int(value):,}"


def _label(var: str, labels: Labels | None, language: Language) -> str:
    return variable_label(var, labels, language)


def _yes_no(flag: bool, language: Language) -> str:
    return ("是" if flag else "否") if language == "zh" else ("Yes" if flag else "No")


# ---------------------------------------------------------------------------- regression table

CITY_FE = ("city_key", "city", "city_name")
CHAIN_FE = ("chain_id", "chain", "industry")


def _se_description(fit: FitResult, labels: Labels | None, language: Language) -> str:
    """What the parenthesised numbers are, in words, with FitResult.cov_type for the details."""
    if fit.estimator == "mixedlm":
        # Random-intercept models report model-based standard errors, not robust ones.
        if language == "zh":
            return f"随机截距混合模型的模型标准误（{fit.cov_type}）"
        return f"model-based standard errors of the random-intercept model ({fit.cov_type})"
    if fit.cluster:
        names = "、".join(_label(c, labels, language) for c in fit.cluster)
        if language == "zh":
            return f"在{names}层面聚类的稳健标准误（{fit.cov_type}）"
        return f"robust standard errors clustered by {', '.join(_label(c, labels, language) for c in fit.cluster)} ({fit.cov_type})"
    if language == "zh":
        return f"稳健标准误（{fit.cov_type}）"
    return f"robust standard errors ({fit.cov_type})"


def dropped_term_notes(
    results: Sequence[FitResult], labels: Labels | None, language: Language
) -> list[str]:
    """One note per term the fits dropped as collinear, naming the columns and the partners.

    Columns that dropped the same term for the same reason share one note.
    """
    zh = language == "zh"
    groups: dict[tuple[str, tuple[str, ...] | None], list[int]] = {}
    for i, fit in enumerate(results):
        for term, partners in fit.dropped_terms().items():
            key = None if partners is None else tuple(partners)
            groups.setdefault((term, key), []).append(i + 1)
    notes = []
    for (term, partners), columns in groups.items():
        name = _label(term, labels, language)
        with_ = [_label(p, labels, language) for p in partners or ()]
        if zh:
            cols = "、".join(f"({c})" for c in columns)
            why = f"与{'、'.join(with_)}完全共线" if with_ else "在估计样本中没有变异"
            why = "与其他变量完全共线" if partners is None else why
            notes.append(f"第{cols}列中，{name}因{why}而被删除，不报告其系数。")
        else:
            cols = ", ".join(f"({c})" for c in columns)
            why = f"collinear with {', '.join(with_)}" if with_ else "no variation in the sample"
            why = "collinear with other terms" if partners is None else why
            notes.append(f"In column {cols}, {name} was dropped: {why}.")
    return notes


def attach_hypothesis_tests(results: Sequence[FitResult], tests: pd.DataFrame) -> list[FitResult]:
    """The fits with their rows of ``results/models/tests.csv`` in ``extra["hypothesis_tests"]``.

    A row belongs to the fit of its (model, outcome); a comparison row (model
    ``<a>__vs__<b>``) to the fits of both compared models with that outcome, carrying both
    models' labels so that the note can name the groups.
    """
    if tests is None or tests.empty:
        return list(results)
    by_name = {f.model: f for f in results}
    rows: dict[tuple[str, str], list[dict]] = {}
    for rec in tests.to_dict(orient="records"):
        row = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in rec.items()}
        owners = [str(row["model"])]
        if row.get("kind") == "comparison":
            owners = str(row["model"]).split("__vs__")
            row["group_labels"] = {
                lang: [_model_label(by_name[m], lang) if m in by_name else m for m in owners]
                for lang in ("zh", "en")
            }
        for owner in owners:
            rows.setdefault((owner, str(row["outcome"])), []).append(row)
    out = []
    for fit in results:
        mine = rows.get((fit.model, fit.outcome))
        out.append(replace(fit, extra={**fit.extra, "hypothesis_tests": mine}) if mine else fit)
    return out


def _test_statistic(row: Mapping[str, Any], language: Language) -> str:
    """``F(1, 11) = 2.34，p = 0.154`` / ``χ²(2) = 5.10, p = 0.078``; or why it was not tested."""
    zh = language == "zh"
    if row.get("statistic") is None:
        # The note is "zh / en"; a comparison's note describes the pooled model first.
        zh_note, _, en_note = str(row.get("note") or "").partition(" / ")
        text, marker = (zh_note, "无法检验") if zh else (en_note, "not testable")
        reason = text[max(text.find(marker), 0) :]
        return reason.strip() or ("无法检验" if zh else "not testable")
    p = float(row["p_value"])
    p_text = "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
    df1 = int(row["df1"])
    if row.get("distribution") == "F":
        stat = f"F({df1}, {int(row['df2'])}) = {float(row['statistic']):.2f}"
    else:
        stat = f"χ²({df1}) = {float(row['statistic']):.2f}"
    return f"{stat}，{p_text}" if zh else f"{stat}, {p_text}"


def _restriction_label(
    row: Mapping[str, Any], fit: FitResult, labels: Labels | None, language: Language
) -> str:
    """The tested restriction with the table's variable labels (the raw text if it won't parse)."""
    from chainpb.models.restrictions import RestrictionError, parse_restrictions, render_all

    text = str(row.get("restriction") or row.get("test") or "")
    names = [*map(str, fit.coefs["term"]), *fit.dropped_terms()]
    try:
        parsed = parse_restrictions(text.split("; "), names)
    except RestrictionError:
        return text
    sep = "；" if language == "zh" else "; "
    return render_all(parsed, lambda n: _label(n, labels, language)).replace("; ", sep)


def hypothesis_test_notes(
    results: Sequence[FitResult], labels: Labels | None, language: Language
) -> list[str]:
    """One note per test (``tests:``) or comparison (``compare:``) of the table's columns.

    Columns with the same restriction share one line that names each column; a comparison
    shown in two columns (both groups in the table) appears once.
    """
    zh = language == "zh"
    groups: dict[tuple[str, str, str], list[tuple[int, Mapping[str, Any], FitResult]]] = {}
    for i, fit in enumerate(results):
        for row in fit.extra.get("hypothesis_tests") or []:
            key = (str(row.get("kind")), str(row.get("model")), str(row.get("restriction")))
            if row.get("kind") == "linear":
                key = (key[0], "", key[2])
            entries = groups.setdefault(key, [])
            if row.get("kind") == "comparison" and any(e[1] is row or e[1] == row for e in entries):
                continue
            entries.append((i + 1, row, fit))
    notes = []
    for (kind, _, _), entries in groups.items():
        _, first, fit = entries[0]
        if kind == "comparison":
            term = str(first["test"]).rsplit(": ", 1)[0]
            a, b = first["group_labels"]["zh" if zh else "en"]
            name = _label(term, labels, language)
            stat = _test_statistic(first, language)
            if zh:
                notes.append(f"组间系数相等检验（{a}与{b}，合并全交互回归）：{name} {stat}。")
            else:
                notes.append(
                    f"Equality across groups ({a} vs {b}; pooled fully interacted regression): "
                    f"{name} {stat}."
                )
            continue
        text = _restriction_label(first, fit, labels, language)
        several = len(results) > 1
        parts = []
        for column, row, _ in entries:
            stat = _test_statistic(row, language)
            if several:
                stat = f"第({column})列 {stat}" if zh else f"column ({column}) {stat}"
            parts.append(stat)
        if zh:
            notes.append(f"检验 {text}：{'；'.join(parts)}。")
        else:
            notes.append(f"Test of {text}: {'; '.join(parts)}.")
    return notes


def _model_label(fit: FitResult, language: Language) -> str:
    if language == "zh":
        return fit.label or fit.model
    return str(fit.extra.get("label_en") or fit.label or fit.model)


def regression_table(
    results: Sequence[FitResult],
    terms: Sequence[str] | None = None,
    labels: Labels | None = None,
    language: Language = "zh",
    notes: Sequence[str] = (),
    *,
    title: str | None = None,
    digits: int = 3,
    label: str | None = None,
) -> Table:
    """A regression table: one column (1)…(n) per FitResult, outcome label above each column.

    Rows: for each term the coefficient with stars and below it the standard error in
    parentheses; then 控制变量 / 城市固定效应 / 行业（产业链）固定效应 (是/否), 观测值, and the
    goodness-of-fit rows that apply: 调整R² (OLS without absorbed FE), 组内R² (absorbed FE), 伪R²
    (McFadden, logit/probit/ologit). Mixed models report none. ``terms`` selects and orders the
    rows (default: the regressors of all results in order, then 常数项 if any has an intercept).
    The first note gives the standard-error convention (from ``FitResult.cov_type``) and the
    star legend; ``notes`` are appended.
    """
    if not results:
        raise ChainpbError(
            "回归表至少需要一个模型结果。", "A regression table needs at least one result."
        )
    zh = language == "zh"
    if terms is None:
        seen: dict[str, None] = {}
        for fit in results:
            for t in fit.regressors:
                if t in set(fit.coefs["term"]):
                    seen[t] = None
            for t in fit.coefs["term"]:
                if ":" in str(t):
                    seen[str(t)] = None
        if not seen:
            for fit in results:
                for t in fit.coefs["term"]:
                    if t != "Intercept":
                        seen[str(t)] = None
        if any("Intercept" in set(fit.coefs["term"]) for fit in results):
            seen["Intercept"] = None
        terms = list(seen)

    n = len(results)
    model_names = [_model_label(f, language) for f in results]
    header = (
        ("", *[_label(f.outcome, labels, language) for f in results]),
        # Robustness and heterogeneity tables mix specifications: name each column's model.
        *([("", *model_names)] if len(set(model_names)) > 1 else []),
        ("变量" if zh else "Variable", *[f"({i + 1})" for i in range(n)]),
    )
    body: list[tuple[str, ...]] = []
    coefs = [f.coefs.set_index("term") for f in results]
    for term in terms:
        est_row = [_label(term, labels, language)]
        se_row = [""]
        for c in coefs:
            if term in c.index:
                row = c.loc[term]
                est_row.append(
                    format_number(row["estimate"], digits) + significance_stars(row["p_value"])
                )
                se = format_number(row["std_error"], digits)
                se_row.append(f"({se})" if se else "")
            else:
                est_row.append("")
                se_row.append("")
        body.append(tuple(est_row))
        body.append(tuple(se_row))

    body.append(
        ("控制变量" if zh else "Controls", *[_yes_no(bool(f.controls), language) for f in results])
    )
    body.append(
        (
            "城市固定效应" if zh else "City FE",
            *[_yes_no(any(fe in CITY_FE for fe in f.fixed_effects), language) for f in results],
        )
    )
    body.append(
        (
            "行业（产业链）固定效应" if zh else "Industry (chain) FE",
            *[_yes_no(any(fe in CHAIN_FE for fe in f.fixed_effects), language) for f in results],
        )
    )
    body.append(("观测值" if zh else "Observations", *[format_count(f.nobs) for f in results]))

    def fit_kind(f: FitResult) -> str:
        if f.estimator in ("logit", "probit", "ologit"):
            return "pseudo"
        if f.estimator == "mixedlm":
            return "none"
        return "within" if f.fixed_effects and f.within_r2 is not None else "adj"

    kinds = [fit_kind(f) for f in results]
    fit_rows = {
        "adj": ("调整R²" if zh else "Adj. R²", lambda f: f.adj_r2),
        "within": ("组内R²" if zh else "Within R²", lambda f: f.within_r2),
        "pseudo": ("伪R²" if zh else "Pseudo R²", lambda f: f.pseudo_r2),
    }
    for kind, (row_label, getter) in fit_rows.items():
        if kind in kinds:
            body.append(
                (
                    row_label,
                    *[
                        format_number(getter(f), digits) if k == kind else ""
                        for f, k in zip(results, kinds, strict=True)
                    ],
                )
            )

    # Columns sharing a convention are named together, so the note stays one readable line.
    by_convention: dict[str, list[int]] = {}
    for i, f in enumerate(results):
        by_convention.setdefault(_se_description(f, labels, language), []).append(i + 1)
    if len(by_convention) == 1:
        se_text = next(iter(by_convention))
    else:
        parts = []
        for description, columns in by_convention.items():
            cols = (
                "、".join(f"({c})" for c in columns) if zh else ", ".join(f"({c})" for c in columns)
            )
            parts.append(f"第{cols}列为{description}" if zh else f"columns {cols}: {description}")
        se_text = ("；" if zh else "; ").join(parts)
    if zh:
        first = f"注：括号内为{se_text}；{STAR_LEGEND['zh']}。"
    else:
        first = f"Notes: {se_text[0].upper() + se_text[1:]} in parentheses. {STAR_LEGEND['en']}."
    fit_note = []
    if "within" in kinds:
        fit_note.append(
            "吸收固定效应的模型报告组内R²（within R²）。"
            if zh
            else "Models with absorbed fixed effects report the within R²."
        )
    if "pseudo" in kinds:
        fit_note.append(
            "logit/probit/有序logit模型报告McFadden伪R²。"
            if zh
            else "Logit/probit/ordered logit models report McFadden's pseudo R²."
        )
    if any(":" in str(t) for t in terms):
        fit_note.append(
            "交互项由中心化（减去估计样本均值）后的变量相乘构成。"
            if zh
            else "Interaction terms are products of mean-centred variables (estimation-sample means)."
        )
    fit_note += dropped_term_notes(results, labels, language)
    fit_note += hypothesis_test_notes(results, labels, language)
    if title is None:
        model_label = results[0].label if zh else None
        title = model_label or ("回归结果" if zh else "Regression results")
    return Table(
        title=title,
        header=header,
        body=tuple(body),
        notes=(first, *fit_note, *notes),
        label=label,
    )


# ---------------------------------------------------------------------------- other tables


def _col(df: pd.DataFrame, *names: str) -> str | None:
    for name in names:
        if name in df.columns:
            return name
    return None


def descriptive_table(
    describe: pd.DataFrame,
    labels: Labels | None = None,
    language: Language = "zh",
    *,
    title: str | None = None,
    digits: int = 3,
    notes: Sequence[str] = (),
) -> Table:
    """Descriptive statistics: 变量, 样本量, 均值, 标准差, 最小值, 中位数, 最大值.

    Input: one row per variable with ``variable`` (or a ``label`` column already translated) and
    ``n``/``N``, ``mean``, ``sd``/``std``, ``min``, ``median`` (optional), ``max``.
    """
    zh = language == "zh"
    var_col = _col(describe, "variable", "var", "name")
    label_col = _col(describe, "label")
    spec = [
        (_col(describe, "n", "N", "count"), "样本量", "N", "count"),
        (_col(describe, "mean"), "均值", "Mean", "num"),
        (_col(describe, "sd", "SD", "std"), "标准差", "SD", "num"),
        (_col(describe, "min"), "最小值", "Min", "num"),
        (_col(describe, "median", "p50"), "中位数", "Median", "num"),
        (_col(describe, "max"), "最大值", "Max", "num"),
    ]
    spec = [s for s in spec if s[0] is not None]
    if (var_col is None and label_col is None) or len(spec) < 2:
        raise ChainpbError(
            f"描述统计表需要 variable、n、mean、sd 等列；现有列：{', '.join(map(str, describe.columns))}。",
            f"The descriptive table needs variable, n, mean, sd ... columns; got {', '.join(map(str, describe.columns))}.",
        )
    header = (("变量" if zh else "Variable", *[(s[1] if zh else s[2]) for s in spec]),)
    body = []
    for _, row in describe.iterrows():
        name = (
            str(row[label_col])
            if label_col and var_col is None
            else _label(str(row[var_col]), labels, language)
        )
        if label_col and var_col and not (labels and str(row[var_col]) in labels):
            name = str(row[label_col])
        body.append((name, *_statistic_cells(row, spec, digits)))
    return Table(
        title=title or ("描述性统计" if zh else "Descriptive statistics"),
        header=header,
        body=tuple(body),
        notes=tuple(notes),
    )


def _statistic_cells(
    row: pd.Series, spec: Sequence[tuple[str, str, str, str]], digits: int
) -> list[str]:
    """One table row's numbers: counts without decimals, statistics with ``digits``."""
    return [
        format_count(row[c]) if kind == "count" else format_number(row[c], digits)
        for c, _, _, kind in spec
    ]


def pearson_matrix(
    data: pd.DataFrame, variables: Sequence[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pearson r and two-sided p for each pair, on pairwise complete observations (as R cor.test)."""
    r, p, _ = correlation_matrix(data, list(variables))
    return r, p


def correlation_table(
    r: pd.DataFrame,
    p: pd.DataFrame,
    labels: Labels | None = None,
    language: Language = "zh",
    *,
    title: str | None = None,
    digits: int = 3,
    notes: Sequence[str] = (),
) -> Table:
    """Lower-triangle correlation table with stars; the diagonal is 1, the upper triangle empty.

    Rows are numbered "(1) 研发强度" and the columns "(1)" … so that the table stays narrow.
    """
    zh = language == "zh"
    variables = [str(v) for v in r.index]
    k = len(variables)
    header = (("变量" if zh else "Variable", *[f"({i + 1})" for i in range(k)]),)
    body = []
    for i, var in enumerate(variables):
        cells = []
        for j in range(k):
            if j < i:
                cells.append(format_number(r.iloc[i, j], digits) + significance_stars(p.iloc[i, j]))
            elif j == i:
                cells.append("1")
            else:
                cells.append("")
        body.append((f"({i + 1}) {_label(var, labels, language)}", *cells))
    legend = f"注：{STAR_LEGEND['zh']}。" if zh else f"Notes: {STAR_LEGEND['en']}."
    return Table(
        title=title or ("相关系数矩阵" if zh else "Correlation matrix"),
        header=header,
        body=tuple(body),
        notes=(legend, *notes),
    )


def reliability_table(
    reliability: pd.DataFrame,
    language: Language = "zh",
    *,
    scales: Mapping[str, Any] | None = None,
    title: str | None = None,
    digits: int = 3,
    notes: Sequence[str] = (),
    cities: Mapping[str, Any] | None = None,
) -> Table:
    """Reliability and validity per scale: 量表, 题项数, Cronbach's α, CR, AVE, KMO.

    Input: one row per scale with ``scale`` (or ``label``) and any of ``n_items``, ``alpha``
    (``cronbach_alpha``), ``cr`` (``composite_reliability``), ``ave``, ``kmo``; absent columns are
    left out of the table. With a ``city`` column (per-city rows and a ``pooled/合并`` row, as
    scale_validity writes them), a 城市 column names each row's city (display names from
    ``cities``) and the notes of the pooled rows (which common items, which cities) are printed
    under the table, so a city asked fewer items is never hidden in a scale's row.
    """
    from chainpb.present.figures import scale_label

    zh = language == "zh"
    spec = [
        (_col(reliability, "n_items", "items"), "题项数", "Items", "count"),
        (
            _col(reliability, "alpha", "cronbach_alpha", "raw_alpha"),
            "Cronbach's α",
            "Cronbach's α",
            "num",
        ),
        (_col(reliability, "cr", "composite_reliability", "CR"), "组合信度CR", "CR", "num"),
        (_col(reliability, "ave", "AVE"), "AVE", "AVE", "num"),
        (_col(reliability, "kmo", "KMO"), "KMO", "KMO", "num"),
    ]
    spec = [s for s in spec if s[0] is not None]
    name_col = _col(reliability, "scale", "label")
    if name_col is None or not spec:
        raise ChainpbError(
            f"信度表需要 scale 列及 alpha/cr/ave 等列；现有列：{', '.join(map(str, reliability.columns))}。",
            f"The reliability table needs scale and alpha/cr/ave columns; got {', '.join(map(str, reliability.columns))}.",
        )
    by_city = "city" in reliability.columns
    first = ("量表" if zh else "Scale",) + ((("城市" if zh else "City"),) if by_city else ())
    header = ((*first, *[(s[1] if zh else s[2]) for s in spec]),)
    body = []
    pooled_notes: list[str] = []
    note_col = "note_zh" if zh else "note_en"
    for _, row in reliability.iterrows():
        name = scale_label(str(row[name_col]), language, scales)
        if not by_city:
            body.append((name, *_statistic_cells(row, spec, digits)))
            continue
        city = str(row["city"])
        pooled = city.startswith("pooled")
        shown = (
            ("合并（共同题项）" if zh else "Pooled (common items)")
            if pooled
            else city_label(city, cities, language)
        )
        body.append((name, shown, *_statistic_cells(row, spec, digits)))
        note = row.get(note_col)
        if isinstance(note, str) and note.strip() and (pooled or pd.isna(row.get(spec[0][0]))):
            text = f"{name}（{shown}）：{note}" if zh else f"{name} ({shown}): {note}"
            if text not in pooled_notes:
                pooled_notes.append(text)
    return Table(
        title=title or ("量表信度与效度检验" if zh else "Reliability and validity"),
        header=header,
        body=tuple(body),
        notes=(*pooled_notes, *notes),
    )


# ---------------------------------------------------------------------------- header spans


def header_spans(row: Sequence[str], merge: bool) -> list[tuple[str, int, int]]:
    """``(text, first_col, span)`` runs: equal non-empty neighbours merge when ``merge``.

    The first column (the row labels) never merges with the columns of numbers.
    """
    runs: list[tuple[str, int, int]] = []
    for j, cell in enumerate(row):
        if merge and j > 1 and runs and runs[-1][0] == cell and cell != "":
            text, start, span = runs[-1]
            runs[-1] = (text, start, span + 1)
        else:
            runs.append((cell, j, 1))
    return runs


# ---------------------------------------------------------------------------- Word


def _set_run_font(run: Any, size_pt: float = FONT_SIZE_PT, bold: bool = False) -> None:
    """Latin Times New Roman, East Asian 宋体, on the run itself so that no theme font wins."""
    run.font.size = Pt(size_pt)
    run.font.bold = bold
    run.font.name = LATIN_FONT
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)
    rfonts.set(qn("w:ascii"), LATIN_FONT)
    rfonts.set(qn("w:hAnsi"), LATIN_FONT)
    rfonts.set(qn("w:cs"), LATIN_FONT)
    rfonts.set(qn("w:eastAsia"), EAST_ASIA_FONT)


def _tight(paragraph: Paragraph, align: str = "c") -> None:
    fmt = paragraph.paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    fmt.line_spacing = 1.0
    paragraph.alignment = {
        "l": WD_ALIGN_PARAGRAPH.LEFT,
        "c": WD_ALIGN_PARAGRAPH.CENTER,
        "r": WD_ALIGN_PARAGRAPH.RIGHT,
    }[align]


def _border(tag: str, size: int | None) -> Any:
    el = OxmlElement(tag)
    if size is None:
        el.set(qn("w:val"), "nil")
    else:
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), str(size))
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), "000000")
    return el


def _first_child(parent: Any, *tags: str) -> Any:
    """First existing child among ``tags`` (lxml elements are falsy when empty: test for None)."""
    for tag in tags:
        found = parent.find(qn(tag))
        if found is not None:
            return found
    return None


def _set_table_borders(tbl: DocxTable) -> None:
    """w:tblBorders: thick top and bottom, nothing else (no insideV, no insideH, no sides)."""
    tbl_pr = tbl._tbl.tblPr
    for old in tbl_pr.findall(qn("w:tblBorders")):
        tbl_pr.remove(old)
    borders = OxmlElement("w:tblBorders")
    for tag, size in (
        ("w:top", RULE_THICK),
        ("w:left", None),
        ("w:bottom", RULE_THICK),
        ("w:right", None),
        ("w:insideH", None),
        ("w:insideV", None),
    ):
        borders.append(_border(tag, size))
    # Schema order inside tblPr: tblStyle, ..., tblW, jc, ..., tblBorders, shd, tblLayout, ...
    anchor = _first_child(tbl_pr, "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook")
    if anchor is not None:
        anchor.addprevious(borders)
    else:
        tbl_pr.append(borders)


def _set_cell_bottom(cell: Any, size: int) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    borders = tc_pr.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        # tcBorders follows tcW/gridSpan/vMerge and precedes shd/vAlign in the schema.
        anchor = _first_child(tc_pr, "w:shd", "w:noWrap", "w:tcMar", "w:vAlign")
        if anchor is not None:
            anchor.addprevious(borders)
        else:
            tc_pr.append(borders)
    for old in borders.findall(qn("w:bottom")):
        borders.remove(old)
    borders.append(_border("w:bottom", size))


def _add_paragraph(
    doc: DocumentObject, text: str, *, size: float, bold: bool, align: str
) -> Paragraph:
    paragraph = doc.add_paragraph()
    _tight(paragraph, align)
    if text:
        _set_run_font(paragraph.add_run(text), size, bold)
    return paragraph


def set_document_fonts(doc: DocumentObject) -> None:
    """Normal style: Times New Roman / 宋体, 10.5 pt, so text typed later in Word matches."""
    style = doc.styles["Normal"]
    style.font.name = LATIN_FONT
    style.font.size = Pt(FONT_SIZE_PT)
    rpr = style.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)
    rfonts.set(qn("w:eastAsia"), EAST_ASIA_FONT)


def _set_orientation(doc: DocumentObject, landscape: bool, *, new_page: bool) -> None:
    """Switch to a landscape or portrait section (a new one unless the document is empty)."""
    current = doc.sections[-1]
    section = doc.add_section(WD_SECTION.NEW_PAGE) if new_page else current
    long_side = max(current.page_width, current.page_height)
    short_side = min(current.page_width, current.page_height)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width = long_side if landscape else short_side
    section.page_height = short_side if landscape else long_side
    # A new section copies the previous one's margins: set them both ways.
    margin = LANDSCAPE_MARGIN if landscape else PORTRAIT_MARGIN
    section.left_margin = section.right_margin = margin


def add_table_to_document(
    doc: DocumentObject,
    table: Table,
    *,
    caption: str | None = None,
    restore_portrait: bool = True,
) -> DocxTable:
    """Append title (or ``caption``), the three-line table and its notes to a Word document.

    A table too wide for a portrait page (a correlation matrix of many variables) gets a
    landscape section of its own, so that its cells do not wrap digit by digit; with
    ``restore_portrait`` the following content returns to portrait pages.
    """
    wide = _needed_width_dxa(table) > TEXT_WIDTH_DXA
    if wide:
        empty = not doc.element.body.findall(qn("w:p")) and not doc.tables
        _set_orientation(doc, landscape=True, new_page=not empty)
    _add_paragraph(
        doc,
        caption if caption is not None else table.title,
        size=FONT_SIZE_PT,
        bold=True,
        align="c",
    )
    n_header = len(table.header)
    rows = (*table.header, *table.body)
    tbl = doc.add_table(rows=len(rows), cols=table.n_cols)
    tbl.alignment = WD_TABLE_ALIGNMENT.CENTER
    tbl.autofit = True
    _set_table_borders(tbl)
    align = table.alignment()
    for i, row in enumerate(rows):
        is_header = i < n_header
        spans = header_spans(row, merge=is_header and i < n_header - 1)
        for text, start, span in spans:
            cell = tbl.cell(i, start)
            if span > 1:
                cell = cell.merge(tbl.cell(i, start + span - 1))
            paragraph = cell.paragraphs[0]
            _tight(paragraph, "c" if is_header and start > 0 else align[start])
            if text:
                _set_run_font(paragraph.add_run(text), WIDE_FONT_SIZE_PT if wide else FONT_SIZE_PT)
            if is_header and i == n_header - 1:
                # The rule under the header runs the full width: set it on every cell.
                for j in range(start, start + span):
                    _set_cell_bottom(tbl.cell(i, j), RULE_THIN)
            elif is_header and span > 1 and text:
                _set_cell_bottom(cell, RULE_CMID)
    _set_column_widths(tbl, table, LANDSCAPE_WIDTH_DXA if wide else TEXT_WIDTH_DXA)
    for note in table.notes:
        _add_paragraph(doc, note, size=NOTE_SIZE_PT, bold=False, align="l")
    if wide and restore_portrait:
        _set_orientation(doc, landscape=False, new_page=True)
    return tbl


TEXT_WIDTH_DXA = 9360  # Letter page with 1" margins (python-docx's template); fits A4 too
PORTRAIT_MARGIN = Emu(914400)  # python-docx's template: 1" side margins
LANDSCAPE_MARGIN = Emu(int(0.6 * 914400))  # 0.6" side margins on landscape pages
LANDSCAPE_WIDTH_DXA = 14112  # the same page turned: 11" less two 0.6" margins
WIDE_FONT_SIZE_PT = 9.0  # 小五号, the usual size of large matrices in Chinese journals


def _text_width_dxa(text: str) -> int:
    """Rough printed width at 10.5 pt: a CJK character is one em, Latin about half of one."""
    return sum(210 if ord(ch) > 0x2E80 else 110 for ch in text)


def _column_widths_dxa(table: Table) -> list[int]:
    widths = [
        max((_text_width_dxa(r[j]) for r in table.body), default=0) for j in range(table.n_cols)
    ]
    for i, row in enumerate(table.header):
        for text, start, span in header_spans(row, merge=i < len(table.header) - 1):
            if span == 1:
                widths[start] = max(widths[start], _text_width_dxa(text))
    return [w + 240 for w in widths]


def _needed_width_dxa(table: Table) -> int:
    return sum(_column_widths_dxa(table))


def _set_column_widths(tbl: DocxTable, table: Table, limit: int = TEXT_WIDTH_DXA) -> None:
    """Widths from the longest cell per column, so that 行业（产业链）固定效应 does not wrap.

    Word honours autofit, but WPS lays out by the stored cell widths; spanning header cells
    are left out of the estimate because they share their columns.
    """
    widths = _column_widths_dxa(table)
    total = sum(widths)
    if total > limit:
        widths = [w * limit // total for w in widths]
    grid = tbl._tbl.tblGrid
    for col, w in zip(grid.findall(qn("w:gridCol")), widths, strict=True):
        col.set(qn("w:w"), str(w))
    for row in tbl.rows:
        # Merged cells repeat in row.cells; their width is the sum of the spanned columns.
        for tc in row._tr.tc_lst:
            start = tc.grid_offset
            span = tc.grid_span
            tc.width = Emu(sum(widths[start : start + span]) * 635)


def new_document() -> DocumentObject:
    """A python-docx document with chainpb's fonts and fixed core properties."""
    doc = Document()
    set_document_fonts(doc)
    fix_core_properties(doc)
    return doc


def fix_core_properties(doc: DocumentObject, title: str = "") -> None:
    """Fixed created/modified/printed dates, revision 1 and author, for byte-identical reruns."""
    cp = doc.core_properties
    cp.created = FIXED_DATE
    cp.modified = FIXED_DATE
    cp.last_printed = FIXED_DATE
    cp.revision = 1
    cp.author = "chainpb"
    cp.last_modified_by = "chainpb"
    cp.title = title


def deterministic_docx_bytes(doc: DocumentObject) -> bytes:
    """Save ``doc`` and rewrite the zip with fixed entry timestamps and permissions.

    python-docx writes each zip entry with the current local time; the document XML itself is
    already deterministic once the core properties are fixed.
    """
    raw = io.BytesIO()
    doc.save(raw)
    raw.seek(0)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            fixed.create_system = 0
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def write_docx(doc: DocumentObject, path_or_buffer: str | os.PathLike[str] | IO[bytes]) -> None:
    """Write deterministic docx bytes to a path (atomically) or a binary buffer."""
    data = deterministic_docx_bytes(doc)
    if hasattr(path_or_buffer, "write"):
        path_or_buffer.write(data)  # type: ignore[union-attr]
    else:
        from chainpb.atomic import write_bytes

        write_bytes(path_or_buffer, data)  # type: ignore[arg-type]


def docx_bytes(table: Table) -> bytes:
    """One table as a Word document (title above, notes below), deterministic bytes."""
    doc = new_document()
    fix_core_properties(doc, table.title)
    add_table_to_document(doc, table, restore_portrait=False)
    return deterministic_docx_bytes(doc)


def table_to_docx(table: Table, path_or_buffer: str | os.PathLike[str] | IO[bytes]) -> None:
    """Write one table to a .docx file or buffer."""
    doc = new_document()
    fix_core_properties(doc, table.title)
    add_table_to_document(doc, table, restore_portrait=False)
    write_docx(doc, path_or_buffer)


# ---------------------------------------------------------------------------- LaTeX

_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def latex_escape(text: str) -> str:
    """Escape LaTeX special characters; CJK text is left as is (compile with XeLaTeX + ctex)."""
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)


def table_to_latex(table: Table) -> str:
    r"""A ``table`` float with booktabs rules and threeparttable notes.

    Needs ``\usepackage{booktabs,threeparttable}`` and, for Chinese, ``\usepackage{ctex}`` with
    XeLaTeX. Merged header cells become ``\multicolumn`` with a ``\cmidrule`` beneath.
    """
    align = "".join(table.alignment())
    lines = [
        r"\begin{table}[htbp]",
        r"\centering",
        r"\begin{threeparttable}",
        rf"\caption{{{latex_escape(table.title)}}}",
    ]
    if table.label:
        lines.append(rf"\label{{tab:{table.label}}}")
    lines += [rf"\begin{{tabular}}{{{align}}}", r"\toprule"]
    n_header = len(table.header)
    for i, row in enumerate(table.header):
        spans = header_spans(row, merge=i < n_header - 1)
        cells = []
        rules = []
        for text, start, span in spans:
            if span > 1:
                cells.append(rf"\multicolumn{{{span}}}{{c}}{{{latex_escape(text)}}}")
                rules.append(rf"\cmidrule(lr){{{start + 1}-{start + span}}}")
            else:
                cells.append(latex_escape(text))
        lines.append(" & ".join(cells) + r" \\")
        if rules:
            lines.append(" ".join(rules))
    lines.append(r"\midrule")
    for row in table.body:
        lines.append(" & ".join(latex_escape(c) for c in row) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    if table.notes:
        lines += [r"\begin{tablenotes}[flushleft]", r"\footnotesize"]
        lines += [rf"\item {latex_escape(note)}" for note in table.notes]
        lines.append(r"\end{tablenotes}")
    lines += [r"\end{threeparttable}", r"\end{table}", ""]
    return "\n".join(lines)


# ---------------------------------------------------------------------------- HTML

HTML_STYLE = """table.three-line { border-collapse: collapse; margin: 1em auto; font-family: "Times New Roman", "SimSun", "宋体", serif; font-size: 10.5pt; }
table.three-line caption { caption-side: top; font-weight: bold; padding-bottom: 0.4em; }
table.three-line thead { border-top: 1.5pt solid #000; }
table.three-line thead tr:last-child th { border-bottom: 0.75pt solid #000; }
table.three-line th.span { border-bottom: 0.5pt solid #000; }
table.three-line tbody { border-bottom: 1.5pt solid #000; }
table.three-line th, table.three-line td { padding: 0.15em 0.8em; text-align: center; border-left: none; border-right: none; }
table.three-line .l { text-align: left; }
table.three-line .r { text-align: right; }
table.three-line tfoot td { text-align: left; font-size: 9pt; border: none; }
"""


def table_to_html(table: Table, *, standalone: bool = False) -> str:
    """A ``<table class="three-line">`` with caption, header, body and notes in ``<tfoot>``.

    With ``standalone=True`` a complete UTF-8 HTML page including the CSS is returned;
    otherwise the CSS is in a ``<style>`` element right before the table.
    """
    esc = html.escape
    align = table.alignment()
    id_attr = f' id="tab-{esc(table.label)}"' if table.label else ""
    out = [
        f'<table class="three-line"{id_attr}>',
        f"<caption>{esc(table.title)}</caption>",
        "<thead>",
    ]
    n_header = len(table.header)
    for i, row in enumerate(table.header):
        cells = []
        for text, start, span in header_spans(row, merge=i < n_header - 1):
            classes = ["l"] if start == 0 else []
            if span > 1 and text:
                classes.append("span")
            cls = f' class="{" ".join(classes)}"' if classes else ""
            colspan = f' colspan="{span}"' if span > 1 else ""
            cells.append(f"<th{cls}{colspan}>{esc(text)}</th>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out += ["</thead>", "<tbody>"]
    for row in table.body:
        cells = []
        for j, text in enumerate(row):
            cls = f' class="{align[j]}"' if align[j] != "c" else ""
            cells.append(f"<td{cls}>{esc(text)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody>")
    if table.notes:
        out.append("<tfoot>")
        for note in table.notes:
            out.append(f'<tr><td colspan="{table.n_cols}">{esc(note)}</td></tr>')
        out.append("</tfoot>")
    out.append("</table>")
    body = "\n".join(out)
    if not standalone:
        return f"<style>\n{HTML_STYLE}</style>\n{body}\n"
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{esc(table.title)}</title>\n<style>\n{HTML_STYLE}</style>\n</head>\n<body>\n"
        f"{body}\n</body>\n</html>\n"
    )

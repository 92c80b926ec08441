"""Builders of the journal tables: regression, descriptive, correlation and reliability tables.

Each builder returns a :class:`~chainpb.present.table_model.Table` of formatted text cells; which
models a regression table shows is decided by the ``paper:`` section of the config
(:mod:`chainpb.present.paper`), never here. Every row of a regression table that describes a
column (fixed effects, clustering, sample, N, number of clusters) is read from that column's own
:class:`~chainpb.models.result.FitResult`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from chainpb.errors import ChainpbError
from chainpb.labels import city_label, variable_label
from chainpb.measures.descriptives import correlation_matrix
from chainpb.models.result import FitResult
from chainpb.present.table_model import (
    STAR_LEGEND,
    Labels,
    Language,
    Table,
    format_count,
    format_number,
    significance_stars,
)


def _label(var: str, labels: Labels | None, language: Language) -> str:
    return variable_label(var, labels, language)


def _yes_no(flag: bool, language: Language) -> str:
    return ("是" if flag else "否") if language == "zh" else ("Yes" if flag else "No")


# ---------------------------------------------------------------------------- regression table

# Below this many clusters, cluster-robust standard errors are too small on average and tests
# over-reject (Cameron, Gelbach & Miller 2008; Cameron & Miller 2015).
FEW_CLUSTERS = 30


def _names(variables: Sequence[str], labels: Labels | None, language: Language) -> str:
    """Variable labels joined for a sentence (English: lower-case unless an acronym)."""
    shown = [_label(v, labels, language) for v in variables]
    if language == "zh":
        return "和".join(shown)
    return " and ".join(t[:1].lower() + t[1:] if t[1:2].islower() else t for t in shown)


def _se_description(fit: FitResult, labels: Labels | None, language: Language) -> str:
    """What the parenthesised numbers are, in plain words, from the fit's own spec."""
    zh = language == "zh"
    if fit.estimator == "mixedlm":
        # Random-intercept models report model-based standard errors, not robust ones.
        return (
            "随机截距混合模型的模型标准误"
            if zh
            else "model-based standard errors (random intercepts)"
        )
    if len(fit.cluster) > 1:
        names = _names(fit.cluster, labels, language)
        return (
            f"按{names}双向聚类的稳健标准误"
            if zh
            else f"standard errors two-way clustered by {names}"
        )
    if fit.cluster:
        names = _names(fit.cluster, labels, language)
        return f"按{names}聚类的稳健标准误" if zh else f"standard errors clustered by {names}"
    return "异方差稳健标准误" if zh else "heteroskedasticity-robust standard errors"


def _reference_description(fit: FitResult, language: Language) -> str:
    """The reference distribution of the stars: t(G−1), t(N−K) or the normal (z)."""
    zh = language == "zh"
    df = fit.df_inference
    if df is None:
        return "正态分布（z 检验）" if zh else "the normal distribution (z)"
    if fit.cluster and fit.n_clusters is not None and round(df) == fit.n_clusters - 1:
        return "自由度为聚类数减1的t分布" if zh else "t with G−1 degrees of freedom"
    return f"自由度为{df:g}的t分布" if zh else f"t with {df:g} degrees of freedom"


def _by_columns(
    results: Sequence[FitResult], describe: Any, language: Language
) -> tuple[str, bool]:
    """``describe(fit)`` for the table: one text when all columns agree, else per column."""
    zh = language == "zh"
    groups: dict[str, list[int]] = {}
    for i, f in enumerate(results):
        groups.setdefault(describe(f), []).append(i + 1)
    if len(groups) == 1:
        return next(iter(groups)), True
    parts = []
    for text, columns in groups.items():
        cols = ("、" if zh else ", ").join(f"({c})" for c in columns)
        parts.append(f"第{cols}列为{text}" if zh else f"columns {cols}: {text}")
    return ("；" if zh else "; ").join(parts), False


_SUBSET_IN = re.compile(r"^\s*([A-Za-z_]\w*)\s+in\s+\[([^\]]*)\]\s*$")
_SUBSET_CMP = re.compile(r"^\s*([A-Za-z_]\w*)\s*(==|!=|>=|<=|>|<)\s*(.+?)\s*$")


def format_p(value: Any) -> str:
    """A p-value with three decimals; below 0.001 as ``<0.001`` (a bootstrap p of 0 is not 0)."""
    text = format_number(value, 3)
    if text and float(value) < 0.001:
        return "<0.001"
    return text


def describe_subset(subset: str, labels: Labels | None, language: Language) -> str:
    """A ``subset`` query in words for the 样本 row: ``ownership in ['国有', '混合所有制']`` →
    ``所有制：国有、混合所有制``; ``firm_age >= 5`` → ``企业年龄 ≥ 5``. Conditions joined by
    ``and``/``&`` are listed with 「；」. Anything else is shown as written."""
    zh = language == "zh"
    parts = []
    for cond in re.split(r"\s+and\s+|\s*&\s*", subset.strip()):
        cond = cond.strip().removeprefix("(").removesuffix(")")
        if m := _SUBSET_IN.match(cond):
            values = [v.strip().strip("'\"") for v in m.group(2).split(",") if v.strip()]
            sep = "、" if zh else ", "
            parts.append(
                f"{_label(m.group(1), labels, language)}：{sep.join(values)}"
                if zh
                else f"{_label(m.group(1), labels, language)}: {sep.join(values)}"
            )
        elif m := _SUBSET_CMP.match(cond):
            op = {"==": "=", "!=": "≠", ">=": "≥", "<=": "≤"}.get(m.group(2), m.group(2))
            value = m.group(3).strip("'\"")
            name = _label(m.group(1), labels, language)
            if op == "=":
                parts.append(f"{name}：{value}" if zh else f"{name}: {value}")
            else:
                parts.append(f"{name} {op} {value}")
        else:
            return subset
    return ("；" if zh else "; ").join(parts)


def wild_bootstrap(fit: FitResult) -> Mapping[str, Any] | None:
    """``extra["wild_bootstrap"]`` of a fit when the models stage computed one, else None."""
    wb = fit.extra.get("wild_bootstrap")
    return wb if isinstance(wb, Mapping) and wb.get("terms") else None


def se_note(results: Sequence[FitResult], labels: Labels | None, language: Language) -> list[str]:
    """Plain-language notes on the numbers in parentheses, the stars and their reference
    distribution, the wild cluster bootstrap p-values (when present) and few clusters."""
    zh = language == "zh"
    se_text, se_same = _by_columns(
        results, lambda f: _se_description(f, labels, language), language
    )
    if not se_same:
        se_text = f"标准误：{se_text}" if language == "zh" else f"standard errors — {se_text}"
    ref_text, same = _by_columns(results, lambda f: _reference_description(f, language), language)
    if zh:
        ref = f"显著性依据{ref_text}" if same else f"显著性检验：{ref_text}"
        notes = [f"注：括号内为{se_text}；{STAR_LEGEND['zh']}，{ref}。"]
    else:
        se_text = se_text[0].upper() + se_text[1:]
        ref = f"stars from {ref_text}" if same else f"reference distributions: {ref_text}"
        notes = [f"Notes: {se_text} in parentheses. {STAR_LEGEND['en']}; {ref}."]
    boot = [(i + 1, wb) for i, f in enumerate(results) if (wb := wild_bootstrap(f))]
    if boot:
        reps = sorted({int(wb.get("reps") or 0) for _, wb in boot})
        weights = sorted({str(wb.get("weights") or "webb") for _, wb in boot})
        reps_text = "、".join(map(str, reps)) if zh else ", ".join(map(str, reps))
        w_text = "、".join(weights).capitalize() if zh else ", ".join(weights).capitalize()
        notes.append(
            f"方括号内为野聚类自助法（wild cluster bootstrap，{w_text} 权重，{reps_text} 次，"
            "施加原假设）的 p 值。"
            if zh
            else f"Wild cluster bootstrap p-values ({w_text} weights, {reps_text} replications, "
            "null imposed) in brackets."
        )
    few = sorted(
        {
            f.n_clusters
            for f in results
            if f.cluster and f.n_clusters and f.n_clusters < FEW_CLUSTERS
        }
    )
    if few:
        g = "、".join(map(str, few)) if zh else ", ".join(map(str, few))
        if zh:
            notes.append(
                f"聚类数较少（G = {g}，少于 {FEW_CLUSTERS}）：聚类稳健标准误往往偏小，检验容易过度拒绝原假设"
                + ("，应以方括号内的野聚类自助法 p 值为准。" if boot else "，显著性应谨慎解读。")
            )
        else:
            notes.append(
                f"Few clusters (G = {g}, fewer than {FEW_CLUSTERS}): cluster-robust standard errors "
                "tend to be too small and tests over-reject"
                + (
                    "; rely on the wild cluster bootstrap p-values."
                    if boot
                    else "; read the stars with care."
                )
            )
    return notes


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
    results: Sequence[FitResult],
    labels: Labels | None,
    language: Language,
    *,
    skip_comparisons: Collection[tuple[str, str]] = (),
) -> list[str]:
    """One note per test (``tests:``) or comparison (``compare:``) of the table's columns.

    Columns with the same restriction share one line that names each column; a comparison
    shown in two columns (both groups in the table) appears once, and not at all when its
    difference is shown as rows of the table (``skip_comparisons``: (model, with) pairs).
    """
    zh = language == "zh"
    skipped = {f"{a}__vs__{b}" for a, b in skip_comparisons}
    groups: dict[tuple[str, str, str], list[tuple[int, Mapping[str, Any], FitResult]]] = {}
    for i, fit in enumerate(results):
        for row in fit.extra.get("hypothesis_tests") or []:
            if row.get("kind") == "comparison" and str(row.get("model")) in skipped:
                continue
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


@dataclass(frozen=True)
class ComparisonPair:
    """A subgroup comparison whose two groups are both columns of the table."""

    first: int  # 0-based column of the model carrying ``compare:`` (group A)
    second: int  # 0-based column of its ``with:`` model (group B)
    pooled: FitResult  # the pooled, fully interacted regression (results/models/comparisons.json)


def comparison_rows(
    results: Sequence[FitResult], comparisons: Sequence[FitResult]
) -> list[ComparisonPair]:
    """The comparisons of ``comparisons.json`` whose two models are columns of this table
    (same outcome), in the order of their first column."""
    pairs = []
    for pooled in comparisons:
        comp = pooled.extra.get("comparison") or {}
        a, b = comp.get("model"), comp.get("with")
        cols_a = [i for i, f in enumerate(results) if f.model == a and f.outcome == pooled.outcome]
        cols_b = [i for i, f in enumerate(results) if f.model == b and f.outcome == pooled.outcome]
        if cols_a and cols_b:
            pairs.append(ComparisonPair(cols_a[0], cols_b[0], pooled))
    return sorted(pairs, key=lambda p: (min(p.first, p.second), max(p.first, p.second)))


def _comparison_body(
    pairs: Sequence[ComparisonPair],
    n: int,
    labels: Labels | None,
    language: Language,
    digits: int,
) -> tuple[list[tuple[str, ...]], list[str]]:
    """Rows of the coefficient differences (B − A) and their p-values, in B's column, and
    one note per pair saying what was tested and how."""
    zh = language == "zh"
    rows: list[tuple[str, ...]] = []
    notes: list[str] = []
    for pair in pairs:
        comp = pair.pooled.extra["comparison"]
        coefs = pair.pooled.coefs.set_index("term")
        wb = wild_bootstrap(pair.pooled)
        for term in comp.get("terms", []):
            inter = comp.get("interaction_terms", {}).get(term, f"{term}:{comp.get('indicator')}")
            if inter not in coefs.index:
                continue
            row = coefs.loc[inter]
            name = _label(term, labels, language)
            est = [""] * n
            se = [""] * n
            pv = [""] * n
            est[pair.second] = format_number(row["estimate"], digits) + significance_stars(
                row["p_value"]
            )
            se[pair.second] = f"({format_number(row['std_error'], digits)})"
            pv[pair.second] = format_p(row["p_value"])
            rows.append((f"组间系数差异：{name}" if zh else f"Difference: {name}", *est))
            rows.append(("", *se))
            rows.append(("组间差异检验p值" if zh else "p-value of the difference", *pv))
            if wb and inter in wb["terms"]:
                boot = [""] * n
                boot[pair.second] = f"[{format_p(wb['terms'][inter].get('p_value'))}]"
                rows.append(("", *boot))
        lab = comp.get("labels", {})
        a_name = (lab.get(comp["model"]) or [comp["model"]] * 2)[0 if zh else 1]
        b_name = (lab.get(comp["with"]) or [comp["with"]] * 2)[0 if zh else 1]
        c1, c2 = pair.first + 1, pair.second + 1
        g = pair.pooled.n_clusters
        if zh:
            notes.append(
                f"组间系数差异为第({c2})列减第({c1})列（{b_name}－{a_name}），由两组样本合并的全交互回归"
                f"（两组各自的系数与固定效应，N = {format_count(pair.pooled.nobs)}"
                + (f"，{g} 个聚类" if g else "")
                + "）估计；其标准误与 p 值同时考虑了两组企业在同一聚类中的相关性。"
            )
        else:
            notes.append(
                f"Difference = column ({c2}) − column ({c1}) ({b_name} − {a_name}), from the pooled "
                f"fully interacted regression (group-specific coefficients and fixed effects, "
                f"N = {format_count(pair.pooled.nobs)}"
                + (f", {g} clusters" if g else "")
                + "); its standard error allows for firms of both groups in one cluster."
            )
    return rows, notes


MEDIATION_PATHS = {
    "c_path": {"zh": "总效应", "en": "Total effect"},
    "a_path": {"zh": "a 路径（中介变量）", "en": "a path (mediator)"},
    "b_path": {"zh": "b 路径与直接效应", "en": "b path and direct effect"},
}


def _default_terms(results: Sequence[FitResult]) -> list[str]:
    """The regressors of all columns in order, interactions, then 常数项 if any column has one."""
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
    return list(seen)


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
    headings: Sequence[str] | None = None,
    comparisons: Sequence[FitResult] = (),
) -> Table:
    """A regression table: one column (1)…(n) per FitResult, in the order given.

    Header: the outcome label above each column; a row naming each column (``headings``, or
    the model labels when the columns mix models); (1)…(n). Rows: for each term the coefficient
    with stars, the standard error in parentheses below, and — when the fit carries
    ``extra["wild_bootstrap"]`` — the wild cluster bootstrap p-value in brackets. ``terms``
    selects and orders the rows (default: the regressors of all columns, interactions, then
    常数项). For every compared subgroup pair among the columns (``comparisons``: the pooled fits of
    results/models/comparisons.json) the coefficient difference, its SE and p-value follow.
    Then rows read from each column's own FitResult: 控制变量, one 固定效应 row per absorbed
    variable, 样本 (when a column is a subsample), 观测值, 聚类数 (when clustered), and the fit
    statistics that apply: 调整R² (OLS), 组内R² (absorbed FE), 伪R² (logit/probit/ologit).
    Notes: standard errors and stars in plain words, few clusters, bootstrap, dropped terms,
    tests; ``notes`` are appended.
    """
    if not results:
        raise ChainpbError(
            "回归表至少需要一个模型结果。", "A regression table needs at least one result."
        )
    zh = language == "zh"
    terms = _default_terms(results) if terms is None else list(terms)
    n = len(results)
    if headings is not None and len(headings) != n:
        raise ChainpbError(
            f"表格「{title or ''}」的列标题（headings）有 {len(headings)} 个，但表中有 {n} 列。",
            f"Table '{title or ''}' has {len(headings)} headings for {n} columns.",
        )
    model_names = [_model_label(f, language) for f in results]
    # The three equations of a mediation are named by their path, not by the model.
    paths = [
        MEDIATION_PATHS.get(str(f.extra.get("mediation_path")), {}).get(language) for f in results
    ]
    model_names = [p or m for p, m in zip(paths, model_names, strict=True)]
    names_row = list(headings) if headings is not None else model_names
    show_names = headings is not None or len(set(model_names)) > 1
    header = (
        ("", *[_label(f.outcome, labels, language) for f in results]),
        *([("", *names_row)] if show_names else []),
        ("变量" if zh else "Variable", *[f"({i + 1})" for i in range(n)]),
    )
    body: list[tuple[str, ...]] = []
    coefs = [f.coefs.set_index("term") for f in results]
    boots = [wild_bootstrap(f) for f in results]
    for term in terms:
        est_row = [_label(term, labels, language)]
        se_row = [""]
        boot_row = [""]
        for c, wb in zip(coefs, boots, strict=True):
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
            p_boot = (wb or {}).get("terms", {}).get(term, {}).get("p_value")
            boot_row.append(f"[{format_p(p_boot)}]" if p_boot is not None else "")
        body.append(tuple(est_row))
        body.append(tuple(se_row))
        if any(boot_row[1:]):
            body.append(tuple(boot_row))

    pairs = comparison_rows(results, comparisons)
    diff_rows, diff_notes = _comparison_body(pairs, n, labels, language, digits)
    body += diff_rows

    body.append(
        ("控制变量" if zh else "Controls", *[_yes_no(bool(f.controls), language) for f in results])
    )
    for fe in dict.fromkeys(fe for f in results for fe in f.fixed_effects):
        name = _label(fe, labels, language)
        body.append(
            (
                f"{name}固定效应" if zh else f"{name[:1].upper()}{name[1:]} FE",
                *[_yes_no(fe in f.fixed_effects, language) for f in results],
            )
        )
    if any(f.subset for f in results):
        full = "全样本" if zh else "Full sample"
        body.append(
            (
                "样本" if zh else "Sample",
                *[
                    (describe_subset(f.subset, labels, language) if f.subset else full)
                    for f in results
                ],
            )
        )
    body.append(("观测值" if zh else "Observations", *[format_count(f.nobs) for f in results]))
    if any(f.cluster for f in results):
        body.append(
            (
                "聚类数" if zh else "Clusters",
                *[format_count(f.n_clusters) if f.cluster else "" for f in results],
            )
        )

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

    fit_note = []
    if "within" in kinds:
        fit_note.append(
            "吸收固定效应的模型报告组内R²（within R²）。"
            if zh
            else "Models with absorbed fixed effects report the within R²."
        )
    if any(f.extra.get("statistic") == "ame" for f in results):
        fit_note.append(
            "logit/probit 列报告平均边际效应（概率的平均变化，0/1 变量为由 0 变为 1 的离散变化），"
            "括号内为 delta 法标准误；伪R²为McFadden伪R²。"
            if zh
            else "Logit/probit columns report average marginal effects (average change in the "
            "probability; discrete change 0 → 1 for 0/1 variables), delta-method standard errors "
            "in parentheses; pseudo R² is McFadden's."
        )
    coefficient_glm = [
        k == "pseudo" and f.extra.get("statistic") != "ame"
        for f, k in zip(results, kinds, strict=True)
    ]
    if any(coefficient_glm):
        fit_note.append(
            "logit/probit/有序logit模型报告McFadden伪R²；其系数不是边际效应"
            "（logit与有序logit为对数几率）。"
            if zh
            else "Logit/probit/ordered logit models report McFadden's pseudo R²; their "
            "coefficients are not marginal effects (log-odds for logit and ordered logit)."
        )
    if any(":" in str(t) for t in terms):
        fit_note.append(
            "交互项由中心化（减去估计样本均值）后的变量相乘构成。"
            if zh
            else "Interaction terms are products of mean-centred variables (estimation-sample means)."
        )
    fit_note += diff_notes
    fit_note += dropped_term_notes(results, labels, language)
    shown = {
        (p.pooled.extra["comparison"]["model"], p.pooled.extra["comparison"]["with"]) for p in pairs
    }
    fit_note += hypothesis_test_notes(results, labels, language, skip_comparisons=shown)
    if title is None:
        model_label = results[0].label if zh else None
        title = model_label or ("回归结果" if zh else "Regression results")
    return Table(
        title=title,
        header=header,
        body=tuple(body),
        notes=(*se_note(results, labels, language), *fit_note, *notes),
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
    from chainpb.labels import scale_label

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

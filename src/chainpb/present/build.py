"""What the present stage produces, assembled from the figure and table functions.

The workflow calls :func:`figures_for_paper`, :func:`tables_for_paper` and
:func:`summary_sections`; each returns plain objects (matplotlib Figures, :class:`Table`,
:class:`Section`) that the scripts write with the atomic writers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from chainpb.labels import CATEGORIES
from chainpb.models.fit import read_fits  # noqa: F401 — used by the present scripts
from chainpb.models.result import FitResult
from chainpb.present import figures as fg
from chainpb.present import tables as tb
from chainpb.present.summary import FigureItem, Section

OUTCOMES = ("rd_intensity", "coop_projects", "revenue_growth", "resilience")
KEY_TERMS = ("alliance_member", *(f"diff_{c}" for c in CATEGORIES))
CORRELATION_VARIABLES = (
    "rd_intensity",
    "coop_projects",
    "revenue_growth",
    "alliance_member",
    *(f"scale_{c}" for c in CATEGORIES),
    *(f"diff_{c}" for c in CATEGORIES),
)

# File stem → (Chinese caption, English caption). The order is the order of the Word summary.
FIGURE_CAPTIONS: dict[str, tuple[str, str]] = {
    "difficulty_prevalence_by_city": (
        "各城市企业报告四类困难的比例（95% Wilson 置信区间）",
        "Share of firms reporting each difficulty, by city (95% Wilson intervals)",
    ),
    "policy_themes_heatmap": (
        "各城市政策文本对四个领域的关注度（提及，含措施）与困难表述（每千词）",
        "Policy texts by city: attention to the four areas (all mentions, remedies included) "
        "and statements of difficulty (per 1,000 tokens)",
    ),
    "difficulty_cooccurrence": (
        "四类困难的共现（企业数）",
        "Co-occurrence of the difficulties (firms)",
    ),
    "top_terms_by_difficulty": (
        "各类困难的高频编码词",
        "Most frequent codebook terms per difficulty",
    ),
    "scale_reliability": ("量表信度与效度概览", "Scale reliability and validity overview"),
    "outcomes_by_membership": (
        "是否加入产业链党建联盟的企业结果变量分布",
        "Outcomes by chain-alliance membership",
    ),
    "coefficients_key_regressors": (
        "核心解释变量的回归系数（95% 置信区间）",
        "Coefficients of the key regressors (95% intervals)",
    ),
    "codebook_agreement": (
        "码本编码、机器编码与人工编码的一致性",
        "Agreement of codebook, supervised coder and hand codes",
    ),
}


def moderation_fits(results: Sequence[FitResult]) -> list[FitResult]:
    return [r for r in results if r.extra.get("simple_slopes")]


def term_counts(kwic: pd.DataFrame) -> pd.DataFrame:
    """Hits that state a difficulty (status ``problem``) per category and term.

    Remedies, denials, excluded and out-of-context hits are left out: the figure shows the
    wording of the difficulties. (A KWIC without ``status`` — written before codebook 2.0 — falls
    back to hits neither negated nor excluded.)
    """
    if "status" in kwic.columns:
        counted = kwic[kwic["status"].astype(str) == "problem"]
    else:
        counted = kwic[~kwic["negated"].astype(bool) & ~kwic["excluded"].astype(bool)]
    out = counted.groupby(["category", "term"]).size().rename("count").reset_index()
    return out.sort_values(["category", "count", "term"], ascending=[True, False, True])


def square_cooccurrence(cooccurrence: pd.DataFrame) -> pd.DataFrame:
    return cooccurrence.set_index("category")[list(CATEGORIES)].loc[list(CATEGORIES)]


def figures_for_paper(
    *,
    firm_difficulty: pd.DataFrame,
    policy_themes: pd.DataFrame,
    cooccurrence: pd.DataFrame,
    kwic: pd.DataFrame,
    reliability: pd.DataFrame,
    analysis: pd.DataFrame,
    estimates: pd.DataFrame,
    agreement: pd.DataFrame,
    config: Mapping[str, Any],
) -> dict[str, Figure]:
    """Every fixed figure of the paper, keyed by file stem (see FIGURE_CAPTIONS)."""
    language = config.get("language", "zh")
    labels = config.get("labels", {})
    cities = config["cities"]
    baseline = estimates[estimates["model"].isin(sorted(config.get("models", {})))]
    return {
        "difficulty_prevalence_by_city": fg.plot_difficulty_prevalence(
            firm_difficulty, cities=cities, language=language
        ),
        "policy_themes_heatmap": fg.plot_policy_themes(
            policy_themes, cities=cities, language=language
        ),
        "difficulty_cooccurrence": fg.plot_difficulty_cooccurrence(
            square_cooccurrence(cooccurrence), language=language
        ),
        "top_terms_by_difficulty": fg.plot_top_terms(term_counts(kwic), language=language),
        "scale_reliability": fg.plot_reliability(
            reliability, scales=config.get("scales"), language=language, cities=cities
        ),
        "outcomes_by_membership": fg.plot_outcomes_by_membership(
            analysis,
            [o for o in OUTCOMES if o in analysis.columns],
            labels=labels,
            language=language,
            seed=int(config.get("seed", 20251126)),
        ),
        "coefficients_key_regressors": fg.plot_coefficients(
            baseline,
            terms=[t for t in KEY_TERMS if t in set(baseline["term"])],
            labels=labels,
            model_labels=model_labels(config, language),
            language=language,
        ),
        "codebook_agreement": fg.plot_agreement(agreement, language=language),
    }


def model_labels(config: Mapping[str, Any], language: str = "zh") -> dict[str, str]:
    """Display label of every model and robustness variant (``<spec>__<variant>``)."""
    key = "label" if language == "zh" else "label_en"
    out: dict[str, str] = {}
    for name, spec in config.get("models", {}).items():
        out[name] = spec.get(key) or spec.get("label") or name
        for variant, override in (spec.get("robustness") or {}).items():
            out[f"{name}__{variant}"] = override.get(key) or override.get("label") or variant
    return out


def _title(zh: str, en: str, language: str) -> str:
    return zh if language == "zh" else en


def tables_for_paper(
    results: Sequence[FitResult],
    measures: Mapping[str, pd.DataFrame],
    config: Mapping[str, Any],
) -> dict[str, tb.Table]:
    """Journal tables keyed by file stem: descriptives, correlations, reliability, baseline,
    robustness, heterogeneity, moderation and mechanism."""
    language = config.get("language", "zh")
    labels = config.get("labels", {})

    def pick(pred: Any) -> list[FitResult]:
        return sorted((r for r in results if pred(r)), key=lambda r: (r.model, r.outcome))

    # The journal correlation table shows the core variables; the full matrix stays in
    # results/measures/correlations.csv.
    r = measures["correlations_r"].set_index("variable")
    core = [v for v in CORRELATION_VARIABLES if v in r.index]
    r = r.loc[core, core]
    p = measures["correlations_p"].set_index("variable").loc[core, core]
    tables = {
        "descriptives": tb.descriptive_table(
            measures["descriptives"],
            labels,
            language,
            title=_title("描述性统计", "Descriptive statistics", language),
        ),
        "correlations": tb.correlation_table(
            r, p, labels, language, title=_title("相关系数矩阵", "Correlation matrix", language)
        ),
        "reliability": tb.reliability_table(
            measures["reliability"],
            language,
            scales=config.get("scales"),
            title=_title("量表信度与效度", "Reliability and validity of the scales", language),
            cities=config.get("cities"),
        ),
    }
    groups = {
        "baseline_regression": (
            lambda res: res.model == "baseline",
            ("基准回归结果", "Baseline regressions"),
        ),
        "robustness": (
            lambda res: res.model.startswith("baseline__") and res.outcome == "rd_intensity",
            ("稳健性检验（研发强度）", "Robustness checks (R&D intensity)"),
        ),
        "heterogeneity": (
            lambda res: bool(res.subset) and not res.model.startswith("baseline"),
            ("异质性分析", "Heterogeneity"),
        ),
        "moderation": (
            lambda res: bool(res.extra.get("simple_slopes")),
            ("调节效应", "Moderation"),
        ),
        "mechanism": (
            lambda res: (
                "mediation" in res.extra or res.model.endswith(("__a_path", "__b_path", "__c_path"))
            ),
            ("机制检验（中介效应）", "Mechanism (mediation)"),
        ),
    }
    for stem, (pred, (zh, en)) in groups.items():
        chosen = pick(pred)
        if stem == "mechanism":
            order = {"c_path": 0, "a_path": 1, "b_path": 2}
            chosen.sort(key=lambda res: order.get(res.model.rsplit("__", 1)[-1], 9))
        if chosen:
            tables[stem] = tb.regression_table(
                chosen,
                labels=labels,
                language=language,
                title=_title(zh, en, language),
                notes=mediation_notes(chosen, language),
            )
    return tables


def mediation_notes(results: Sequence[FitResult], language: str) -> list[str]:
    """The bootstrap CI of the indirect effect and the verdict, for the mechanism table."""
    notes = []
    for res in results:
        med = res.extra.get("mediation")
        if not med:
            continue
        low, high = med["indirect_ci"]
        indirect = med["indirect"]
        verdict = med.get("verdict" if language == "zh" else "verdict_en", "")
        reps = med.get("bootstrap_reps")
        if language == "zh":
            notes.append(
                f"间接效应 a×b = {indirect:.3f}，按聚类重抽样的 Bootstrap {reps} 次 95% 置信区间为 "
                f"[{low:.3f}, {high:.3f}]；判定：{verdict}。"
            )
        else:
            notes.append(
                f"Indirect effect a×b = {indirect:.3f}; cluster bootstrap ({reps} reps) 95% CI "
                f"[{low:.3f}, {high:.3f}]; verdict: {verdict}."
            )
    return notes


def summary_sections(
    tables: Mapping[str, tb.Table],
    figure_pngs: Mapping[str, str | Path],
    language: str = "zh",
    codebook_hash: str | None = None,
) -> list[Section]:
    """The Word summary (调研分析报告): tables and figures in the order of a paper."""

    def caption(stem: str) -> str:
        zh, en = FIGURE_CAPTIONS.get(stem, (stem, stem))
        return zh if language == "zh" else en

    def figs(*stems: str) -> list[FigureItem]:
        return [FigureItem(figure_pngs[s], caption(s)) for s in stems if s in figure_pngs]

    intro = (
        "本报告由 chainpb 流水线自动生成；所有表格均可在 Word/WPS 中编辑。"
        + (f"编码本哈希：{codebook_hash}。" if codebook_hash else "")
        if language == "zh"
        else "Generated by the chainpb pipeline; every table is editable in Word/WPS."
        + (f" Codebook hash: {codebook_hash}." if codebook_hash else "")
    )
    slopes = sorted(s for s in figure_pngs if s.startswith("simple_slopes_"))
    return [
        Section(
            _title("一、数据与描述统计", "1. Data and descriptives", language),
            [intro, *[tables[k] for k in ("descriptives", "correlations") if k in tables]],
        ),
        Section(
            _title("二、量表信度与效度", "2. Reliability and validity", language),
            [*[tables[k] for k in ("reliability",) if k in tables], *figs("scale_reliability")],
        ),
        Section(
            _title("三、产业链党建的四类困难", "3. The four difficulties", language),
            figs(
                "difficulty_prevalence_by_city",
                "policy_themes_heatmap",
                "difficulty_cooccurrence",
                "top_terms_by_difficulty",
                "codebook_agreement",
            ),
        ),
        Section(
            _title("四、回归分析", "4. Regressions", language),
            [
                *[
                    tables[k]
                    for k in ("baseline_regression", "robustness", "heterogeneity", "moderation")
                    if k in tables
                ],
                *figs("outcomes_by_membership", "coefficients_key_regressors", *slopes),
            ],
        ),
        Section(
            _title("五、机制检验", "5. Mechanism", language),
            [tables[k] for k in ("mechanism",) if k in tables],
        ),
    ]


def read_measure_tables(paths: Mapping[str, str | Path]) -> dict[str, pd.DataFrame]:
    """The measures-stage CSVs (UTF-8 with BOM) the tables need, keyed by name."""
    return {name: pd.read_csv(path, encoding="utf-8-sig") for name, path in paths.items()}


def paper_config(params: Any) -> dict[str, Any]:
    """The config keys the present stage reads, from a rule's params."""
    keys = ("language", "labels", "scales", "models", "cities", "seed")
    return {k: getattr(params, k) for k in keys if hasattr(params, k)}

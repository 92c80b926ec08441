"""What the present stage produces, assembled from the figure and table functions.

The workflow calls :func:`figures_for_paper`, :func:`tables_for_paper` and
:func:`summary_sections`; each returns plain objects (matplotlib Figures, :class:`Table`,
:class:`Section`) that the scripts write with the atomic writers. Which tables exist and which
models, outcomes and terms they show is the ``paper:`` section of the config
(:mod:`chainpb.present.paper`); nothing here names a model, an outcome or a city.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from chainpb.errors import ChainpbError
from chainpb.labels import CATEGORIES
from chainpb.models.fit import read_fits  # noqa: F401 — used by the present scripts
from chainpb.models.result import FitResult
from chainpb.present import summary as sm
from chainpb.present import tables as tb
from chainpb.present.paper import (
    COEFFICIENT_FIGURE,
    FIGURE_CAPTIONS,
    Paper,
    TableSpec,
    as_marginal_effects,
    figure_keys,
    resolve_paper,
    select_fits,
)
from chainpb.present.summary import FigureItem, Section

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    # matplotlib and seaborn load only where a figure is drawn: the tables and the Word report
    # import this module too, and seaborn (through scipy.stats) costs them about 1.5 s.
    from matplotlib.figure import Figure


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


def coefficient_fits(
    fits: Sequence[FitResult], paper: Paper, models_config: Mapping[str, Any]
) -> tuple[list[FitResult], list[str] | None]:
    """The fits and terms of the coefficient figure: its ``paper.figures`` entry, or by
    default every main regression model (not variants, not mediation) with its regressors."""
    spec = paper.figures.get(COEFFICIENT_FIGURE)
    if spec is None or not spec.models:
        from chainpb.present.paper import FigureSpec

        mains = [
            m
            for m, raw in models_config.items()
            if (raw or {}).get("type", "regression") == "regression"
        ]
        spec = FigureSpec(
            key=COEFFICIENT_FIGURE,
            models=tuple(mains),
            outcomes=spec.outcomes if spec else None,
            terms=spec.terms if spec else None,
        )
    chosen = select_fits(fits, spec, models_config)
    if spec.terms is not None:
        return chosen, list(spec.terms)
    terms = list(dict.fromkeys(t for f in chosen for t in f.regressors))
    return chosen, terms


def coefficient_estimates(fits: Sequence[FitResult]) -> pd.DataFrame:
    """Tidy rows of the coefficient figure, with a ``quantity`` column: a logit/probit fit with
    average marginal effects (``extra["ame"]``) contributes its AMEs (``"ame"``, probability
    scale), every other fit (OLS, mixed, ordered logit, a logit without AMEs) its coefficients
    (``"coefficient"``)."""
    frames = []
    for fit in fits:
        shown = as_marginal_effects(fit)
        frame = shown.tidy()
        frame["quantity"] = "ame" if shown.extra.get("statistic") == "ame" else "coefficient"
        frames.append(frame)
    if not frames:
        return pd.DataFrame(
            columns=["model", "outcome", "term", "estimate", "conf_low", "conf_high", "quantity"]
        )
    return pd.concat(frames, ignore_index=True)


def figures_for_paper(
    *,
    firm_difficulty: pd.DataFrame,
    policy_themes: pd.DataFrame,
    cooccurrence: pd.DataFrame,
    kwic: pd.DataFrame,
    reliability: pd.DataFrame,
    analysis: pd.DataFrame,
    fits: Sequence[FitResult] = (),
    agreement: pd.DataFrame,
    config: Mapping[str, Any],
) -> dict[str, Figure]:
    """Every fixed figure of the paper, keyed by file stem (see FIGURE_CAPTIONS)."""
    from chainpb.present import figures as fg

    language = config.get("language", "zh")
    labels = config.get("labels", {})
    cities = config["cities"]
    paper = resolve_paper(config)
    models_config = config.get("models", {})
    chosen, terms = coefficient_fits(fits, paper, models_config)
    # logit/probit panels show average marginal effects, not log-odds (issue 11)
    estimates = coefficient_estimates(chosen)
    _log_left_out(
        "coefficients_key_regressors",
        [t for t in terms or [] if t not in set(estimates["term"])],
        "没有任何所选模型估计这些变量 / no chosen model estimates them",
    )
    out = {
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
        COEFFICIENT_FIGURE: fg.plot_coefficients(
            estimates.dropna(subset=["estimate"]),
            terms=[t for t in terms or [] if t in set(estimates["term"])] or None,
            labels=labels,
            model_labels=model_labels(config, language),
            language=language,
        ),
        "codebook_agreement": fg.plot_agreement(agreement, language=language),
    }
    spec = paper.figures.get("outcomes_by_membership")
    if spec is not None:
        outcomes = [o for o in spec.outcomes or () if o in analysis.columns]
        _log_left_out(
            "outcomes_by_membership",
            [o for o in spec.outcomes or () if o not in analysis.columns],
            "分析总表中没有这些变量 / the analysis table has no such column",
        )
        out["outcomes_by_membership"] = fg.plot_outcomes_by_membership(
            analysis,
            outcomes,
            labels=labels,
            language=language,
            seed=int(config.get("seed", 20251126)),
            membership=str(spec.by),
        )
    return {k: out[k] for k in figure_keys(paper)}


def _log_left_out(figure: str, names: Sequence[str], why: str) -> None:
    """A variable the config names for a figure that the figure cannot show is named in the log."""
    if names:
        log.info(
            "图 %s 未显示 / figure %s leaves out: %s（%s）",
            figure,
            figure,
            ", ".join(names),
            why,
        )


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


def _listed_variables(spec: TableSpec, available: Iterable[str]) -> list[str]:
    """The variables a descriptives or correlations table lists that the measures hold, in the
    listed order; the others are named in the log (config ``descriptive_variables`` made them)."""
    held = set(available)
    absent = [v for v in spec.variables or () if v not in held]
    if absent:
        log.info(
            "表 %s 列出的变量 %s 不在描述统计中（config descriptive_variables），未显示 / "
            "table %s lists %s, which the descriptive statistics do not hold (config "
            "descriptive_variables); not shown",
            spec.key,
            ", ".join(absent),
            spec.key,
            ", ".join(absent),
        )
    return [v for v in spec.variables or () if v in held]


def _measure_table(
    spec: TableSpec, measures: Mapping[str, pd.DataFrame], config: Mapping[str, Any]
) -> tb.Table:
    language = config.get("language", "zh")
    labels = config.get("labels", {})
    title = spec.title_in(language)
    if spec.kind == "descriptives":
        describe = measures["descriptives"]
        if spec.variables is not None:
            col = "variable" if "variable" in describe.columns else describe.columns[0]
            rank = {v: i for i, v in enumerate(_listed_variables(spec, describe[col].astype(str)))}
            describe = describe[describe[col].astype(str).isin(rank)]
            describe = describe.sort_values(col, key=lambda s: s.astype(str).map(rank))
        return tb.descriptive_table(describe, labels, language, title=title)
    if spec.kind == "correlations":
        # The journal table shows the variables listed (default: all); the full matrix stays
        # in results/measures/correlations.csv.
        r = measures["correlations_r"].set_index("variable")
        shown = list(r.index) if spec.variables is None else _listed_variables(spec, r.index)
        p = measures["correlations_p"].set_index("variable").loc[shown, shown]
        return tb.correlation_table(r.loc[shown, shown], p, labels, language, title=title)
    return tb.reliability_table(
        measures["reliability"],
        language,
        scales=config.get("scales"),
        title=title,
        cities=config.get("cities"),
    )


def tables_for_paper(
    results: Sequence[FitResult],
    measures: Mapping[str, pd.DataFrame],
    config: Mapping[str, Any],
    comparisons: Sequence[FitResult] = (),
) -> dict[str, tb.Table]:
    """Every table of the ``paper:`` section (plus the automatic ones), keyed by file stem,
    in the order of the section. ``comparisons``: the pooled fits of
    results/models/comparisons.json (subgroup coefficient differences)."""
    language = config.get("language", "zh")
    labels = config.get("labels", {})
    paper = resolve_paper(config)
    models_config = config.get("models", {})
    tables: dict[str, tb.Table] = {}
    for spec in paper.tables:
        if spec.kind != "regression":
            tables[spec.key] = _measure_table(spec, measures, config)
            continue
        chosen = select_fits(results, spec, models_config)
        if not chosen:
            raise ChainpbError(
                f"表格 paper.tables.{spec.key} 没有任何模型结果（模型 {list(spec.models)}）；"
                "请确认这些模型已经估计",
                f"Table paper.tables.{spec.key} has no fitted model (models {list(spec.models)}); "
                "check that they were fitted",
            )
        tables[spec.key] = tb.regression_table(
            chosen,
            terms=spec.terms,
            labels=labels,
            language=language,
            title=spec.title_in(language),
            notes=mediation_notes(chosen, language),
            label=spec.key,
            headings=spec.headings_in(language),
            comparisons=comparisons,
        )
    return tables


def table_groups(results: Sequence[FitResult], config: Mapping[str, Any]) -> dict[str, str]:
    """Which part of the Word summary each table belongs to: ``data`` (descriptives,
    correlations), ``reliability``, ``regression`` or ``mechanism`` (a table with a mediation)."""
    paper = resolve_paper(config)
    out = {}
    for spec in paper.tables:
        if spec.kind in ("descriptives", "correlations"):
            out[spec.key] = "data"
        elif spec.kind == "reliability":
            out[spec.key] = "reliability"
        else:
            chosen = select_fits(results, spec, config.get("models", {}))
            mediation = any("mediation_path" in f.extra for f in chosen)
            out[spec.key] = "mechanism" if mediation else "regression"
    return out


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


@dataclass(frozen=True)
class Written:
    """The written parts of the Word summary, generated from the results (see
    :func:`written_summary`); each is a list of paragraphs, edit marks and tables."""

    sample: list[Any] = field(default_factory=list)
    difficulties: list[Any] = field(default_factory=list)
    findings: list[Any] = field(default_factory=list)
    limits: list[Any] = field(default_factory=list)
    recommendations: list[Any] = field(default_factory=list)


def findings_table(paper: Paper) -> TableSpec | None:
    """The table whose models the main findings report: the first regression table of the
    ``paper:`` section (None when the paper has no regression table)."""
    return next((t for t in paper.tables if t.kind == "regression"), None)


def written_summary(
    fits: Sequence[FitResult],
    config: Mapping[str, Any],
    reports: Sequence[Mapping[str, Any]],
    firm_difficulty: Mapping[str, pd.DataFrame],
    agreement: pd.DataFrame | None,
    simulated: bool,
) -> Written:
    """Sample and response, the four difficulties by city, the main findings (the fits of the
    first regression table of ``paper:``, sentence by sentence), limits and the draft 对策建议.

    ``reports``: the per-city ingest reports (survey_report.json); ``firm_difficulty``: city key
    → results/<city>/text/firm_difficulty.parquet; ``agreement``: the coding validation table
    (results/text/validation/agreement.csv) or None.
    """
    language = config.get("language", "zh")
    labels = config.get("labels", {})
    cities = config.get("cities")
    responses = sm.responses_from_reports(reports, cities, language)
    per_city, pooled = sm.difficulty_shares(firm_difficulty, cities, language)
    spec = findings_table(resolve_paper(config))
    chosen = select_fits(fits, spec, config.get("models", {})) if spec else []
    findings: list[Any] = []
    if spec is not None:
        findings.append(
            f"以下逐句报告「{spec.title_in(language)}」中各列的核心估计，数字与该表一致。"
            if language == "zh"
            else f"The main estimates of '{spec.title_in(language)}', column by column; the "
            "numbers are those of the table."
        )
        names = model_labels(config, language)
        findings += sm.finding_sentences(chosen, spec.terms, labels, names, language)
    return Written(
        sample=[*sm.sample_paragraphs(responses, language), sm.sample_table(responses, language)],
        difficulties=[
            *sm.difficulty_paragraphs(per_city, pooled, language),
            sm.difficulty_table(per_city, pooled, language),
        ],
        findings=findings,
        limits=sm.limit_paragraphs(chosen, simulated, sm.coding_validity(agreement), language),
        recommendations=sm.recommendation_items(pooled, language),
    )


_ZH_NUMBERS = "一二三四五六七八九十"


def summary_sections(
    tables: Mapping[str, tb.Table],
    figure_pngs: Mapping[str, str | Path],
    language: str = "zh",
    codebook_hash: str | None = None,
    groups: Mapping[str, str] | None = None,
    captions: Mapping[str, str] | None = None,
    written: Written | None = None,
) -> list[Section]:
    """The Word summary (调研分析报告): written sections, tables and figures in paper order.

    调查概况与样本 (sample, response rate, descriptives), 量表信度与效度, 四类困难 (by city),
    主要发现 (findings sentences, regression tables, figures), 机制检验 (if any), 研究局限,
    对策建议 (draft, marked for the researcher to edit). ``written`` (from
    :func:`written_summary`) holds the generated text; without it the sections hold tables and
    figures only. ``groups`` (from :func:`table_groups`) says where each table goes: ``data``,
    ``reliability``, ``regression`` or ``mechanism``; tables keep the order of ``tables`` (the
    paper section's). Without it every table is a regression table. ``captions`` adds figure
    captions by file stem (e.g. :func:`slope_captions`).
    """
    written = written or Written()

    def caption(stem: str) -> str:
        if stem in (captions or {}):
            return str((captions or {})[stem])
        zh, en = FIGURE_CAPTIONS.get(stem, (stem, stem))
        return zh if language == "zh" else en

    def figs(*stems: str) -> list[FigureItem]:
        return [FigureItem(figure_pngs[s], caption(s)) for s in stems if s in figure_pngs]

    def of(group: str) -> list[tb.Table]:
        return [t for k, t in tables.items() if (groups or {}).get(k, "regression") == group]

    intro = (
        "本报告由 chainpb 流水线根据调查数据和政策文本自动生成；所有表格均可在 Word/WPS 中编辑。"
        + (f"编码本哈希：{codebook_hash}。" if codebook_hash else "")
        if language == "zh"
        else "Generated by the chainpb pipeline from the survey and the policy texts; every "
        "table is editable in Word/WPS."
        + (f" Codebook hash: {codebook_hash}." if codebook_hash else "")
    )
    slopes = sorted(s for s in figure_pngs if s.startswith("simple_slopes_"))
    parts: list[tuple[str, str, list[Any]]] = [
        ("调查概况与样本", "Survey and sample", [intro, *written.sample, *of("data")]),
        (
            "量表信度与效度",
            "Reliability and validity",
            [*of("reliability"), *figs("scale_reliability")],
        ),
        (
            "产业链党建的四类困难",
            "The four difficulties",
            [
                *written.difficulties,
                *figs(
                    "difficulty_prevalence_by_city",
                    "policy_themes_heatmap",
                    "difficulty_cooccurrence",
                    "top_terms_by_difficulty",
                    "codebook_agreement",
                ),
            ],
        ),
        (
            "主要发现" if written.findings else "回归分析",
            "Main findings" if written.findings else "Regressions",
            [
                *written.findings,
                *of("regression"),
                *figs("outcomes_by_membership", COEFFICIENT_FIGURE, *slopes),
            ],
        ),
        ("机制检验", "Mechanism", of("mechanism")),
        ("研究局限", "Limits", list(written.limits)),
        ("对策建议", "Recommendations", list(written.recommendations)),
    ]
    sections = []
    for zh, en, items in parts:
        if not items:
            continue
        n = len(sections)
        sections.append(
            Section(_title(f"{_ZH_NUMBERS[n]}、{zh}", f"{n + 1}. {en}", language), items)
        )
    return sections


def slope_captions(config: Mapping[str, Any], language: str = "zh") -> dict[str, str]:
    """Captions of the simple-slopes figures (``simple_slopes_<model>__<outcome>``), from the
    model labels and the outcome labels, so that no caption is a file stem."""
    from chainpb.labels import variable_label
    from chainpb.present.paper import declared_models, model_outcomes

    models_config = config.get("models", {})
    names = model_labels(config, language)
    out = {}
    for model in declared_models(models_config):
        base, _, variant = model.partition("__")
        spec = models_config.get(base) or {}
        override = (spec.get("robustness") or {}).get(variant) or {} if variant else {}
        if spec.get("type") == "mediation" or not override.get(
            "interactions", spec.get("interactions")
        ):
            continue
        for outcome in model_outcomes(models_config, model):
            y = variable_label(outcome, config.get("labels", {}), language)  # type: ignore[arg-type]
            out[f"simple_slopes_{model}__{outcome}"] = (
                f"调节效应的简单斜率：{names.get(model, model)}（被解释变量：{y}）"
                if language == "zh"
                else f"Simple slopes: {names.get(model, model)} (outcome: {y})"
            )
    return out


def read_firm_difficulty(
    paths: Sequence[str | Path], city_keys: Sequence[str]
) -> dict[str, pd.DataFrame]:
    """results/<city>/text/firm_difficulty.parquet of each city, keyed by city key (the paths
    in the order of ``city_keys``, as the rule's per-city input lists them)."""
    if len(paths) != len(city_keys):
        raise ChainpbError(
            f"企业困难表的文件数（{len(paths)}）与城市数（{len(city_keys)}）不一致。",
            f"{len(paths)} firm difficulty file(s) for {len(city_keys)} cities.",
        )
    return {str(k): pd.read_parquet(p) for k, p in zip(city_keys, paths, strict=True)}


def read_agreement(path: str | Path | None) -> pd.DataFrame | None:
    """results/text/validation/agreement.csv, or None when there is none."""
    if not path or not Path(path).is_file():
        return None
    return pd.read_csv(path, encoding="utf-8-sig")


def read_measure_tables(paths: Mapping[str, str | Path]) -> dict[str, pd.DataFrame]:
    """The measures-stage CSVs (UTF-8 with BOM) the tables need, keyed by name."""
    return {name: pd.read_csv(path, encoding="utf-8-sig") for name, path in paths.items()}


def read_tests(path: str | Path) -> pd.DataFrame:
    """results/models/tests.csv (UTF-8 with BOM)."""
    return pd.read_csv(path, encoding="utf-8-sig")


def read_comparisons(path: str | Path) -> list[FitResult]:
    """The pooled subgroup regressions of results/models/comparisons.json."""
    with open(path, encoding="utf-8") as fh:
        return [FitResult.from_dict(d) for d in json.load(fh)]


def paper_config(params: Any) -> dict[str, Any]:
    """The config keys the present stage reads, from a rule's params."""
    keys = ("language", "labels", "scales", "models", "cities", "seed", "paper")
    return {k: getattr(params, k) for k in keys if hasattr(params, k)}


def simulated_input(report_paths: Sequence[str | Path]) -> bool:
    """Whether any city's survey is the bundled simulated example, as ingest recorded it in
    survey_report.json (the data's provenance, not a path test here)."""
    from chainpb.check import read_reports

    return sm.simulated_from_reports(read_reports(report_paths), [str(p) for p in report_paths])


def mark_simulated_table(table: tb.Table) -> tb.Table:
    """The table with :data:`~chainpb.present.summary.SIMULATED_MARK` after its title and a note
    saying the numbers come from simulated data."""
    from dataclasses import replace

    return replace(
        table,
        title=f"{table.title} {sm.SIMULATED_MARK}",
        notes=(
            *table.notes,
            "数据为流水线自带的模拟示例，数字不反映任何真实企业。/ The data are the pipeline's "
            "simulated example; the numbers describe no real firm.",
        ),
    )


def mark_simulated_figure(fig: Figure) -> Figure:
    """The figure with :data:`~chainpb.present.summary.SIMULATED_MARK` below its lower left
    corner: hanging from the figure's bottom edge (``va="top"``), it lies under the axis labels
    and legends, and the tight bounding box of the saved file takes it in (drawn inside the
    corner, it covered the tick labels of tall figures such as codebook_agreement)."""
    fig.text(0.005, 0.0, sm.SIMULATED_MARK, ha="left", va="top", fontsize=7, color="#b00000")
    return fig

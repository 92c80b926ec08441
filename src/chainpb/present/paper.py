"""The ``paper:`` section of the config: which journal tables and figures exist and what they show.

The config is the paper. Each entry of ``paper.tables`` is one table written to
``results/tables/<key>.{docx,tex,html}``::

    paper:
      tables:
        baseline_regression:
          title: 基准回归结果
          title_en: Baseline regressions
          models: [baseline]              # model names or glob patterns ("baseline__*")
          outcomes: [rd_intensity]        # optional filter
          terms: [alliance_member]        # optional rows (default: the regressors)
          headings: [全样本, {zh: 民营, en: Private}]   # optional, one per column
          statistic: ame                  # optional: logit/probit columns show average
                                          # marginal effects instead of coefficients
        descriptives: {kind: descriptives, title: 描述性统计, title_en: Descriptive statistics}

Rules (documented in config/README.md):

* Patterns are matched (``fnmatch``, case-sensitive) against the *declared model names*: every
  model of ``models:`` and every robustness variant ``<model>__<variant>``, in config order (a
  model, then its variants in the order written). Columns follow the order of ``models:``; a
  glob expands in config order, never alphabetically; a model named twice is shown once. Within
  a model, one column per outcome in the order of ``outcomes:`` of the table (if given) or of
  the model. A mediation model gives its three equations (c, a, b paths) in that order.
* A pattern that matches no declared model, or a table that ends up with no (model, outcome),
  stops the workflow before any job runs, naming the table key.
* Every declared model appears in at least one table: with ``auto_tables: true`` (the default),
  the models no table names are gathered per config model, in config order, into an automatic
  table keyed by the model's name (``<name>_models`` if a declared table already uses the key),
  titled with its label. A logit or ordered-logit model a user adds therefore always lands in
  a table.
* Fixed-effect, cluster, sample, N and cluster-count rows come from each fit, not from here.

Without a ``paper:`` section the default is the descriptive, correlation and reliability tables
plus one automatic table per model.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chainpb.errors import ConfigError
from chainpb.models.result import FitResult

TABLE_KINDS = ("regression", "descriptives", "correlations", "reliability")
MEASURE_KINDS = ("descriptives", "correlations", "reliability")
DEFAULT_MEASURE_TABLES: dict[str, tuple[str, str]] = {
    "descriptives": ("描述性统计", "Descriptive statistics"),
    "correlations": ("相关系数矩阵", "Correlation matrix"),
    "reliability": ("量表信度与效度", "Reliability and validity of the scales"),
}


@dataclass(frozen=True)
class TableSpec:
    """One table of the paper, its model patterns already expanded to declared model names."""

    key: str
    kind: str
    title: str
    title_en: str
    models: tuple[str, ...] = ()
    outcomes: tuple[str, ...] | None = None
    terms: tuple[str, ...] | None = None
    headings: tuple[tuple[str, str], ...] | None = None  # (zh, en) per column
    variables: tuple[str, ...] | None = None  # descriptives / correlations: rows shown
    automatic: bool = False
    statistic: str = "coefficient"  # "ame": logit/probit columns show average marginal effects

    def title_in(self, language: str) -> str:
        return self.title if language == "zh" else (self.title_en or self.title)

    def headings_in(self, language: str) -> list[str] | None:
        if self.headings is None:
            return None
        return [zh if language == "zh" else en for zh, en in self.headings]


@dataclass(frozen=True)
class FigureSpec:
    """A figure entry of ``paper.figures`` (models expanded like a table's)."""

    key: str
    models: tuple[str, ...] = ()
    outcomes: tuple[str, ...] | None = None
    terms: tuple[str, ...] | None = None
    by: str | None = None


@dataclass(frozen=True)
class Paper:
    tables: tuple[TableSpec, ...]
    figures: Mapping[str, FigureSpec]

    @property
    def table_keys(self) -> list[str]:
        return [t.key for t in self.tables]

    def table(self, key: str) -> TableSpec:
        for t in self.tables:
            if t.key == key:
                return t
        raise KeyError(key)


# ---------------------------------------------------------------------------- declared models


def declared_models(models_config: Mapping[str, Any]) -> list[str]:
    """Every model name a table can show, in config order: each model, then its variants."""
    names: list[str] = []
    for name, spec in (models_config or {}).items():
        names.append(str(name))
        for variant in (spec or {}).get("robustness") or {}:
            names.append(f"{name}__{variant}")
    return names


def model_outcomes(models_config: Mapping[str, Any], model: str) -> list[str]:
    """The outcomes of a declared model in config order (a variant's ``replace`` applied)."""
    base, _, variant = model.partition("__")
    spec = (models_config or {}).get(base) or {}
    outcomes = [str(o) for o in spec.get("outcomes") or []]
    override = ((spec.get("robustness") or {}).get(variant) or {}) if variant else {}
    swap = {**(spec.get("replace") or {}), **(override.get("replace") or {})}
    return [str(swap.get(o, o)) for o in outcomes]


def _model_label(models_config: Mapping[str, Any], model: str) -> tuple[str, str]:
    base, _, variant = model.partition("__")
    spec = (models_config or {}).get(base) or {}
    if variant:
        spec = (spec.get("robustness") or {}).get(variant) or {}
    zh = spec.get("label") or model
    return str(zh), str(spec.get("label_en") or zh)


def expand_models(
    patterns: Sequence[str], declared: Sequence[str], *, where: tuple[str, str]
) -> list[str]:
    """Declared model names matching ``patterns``: pattern order, then config order; no
    duplicates. A pattern matching nothing is a ConfigError naming ``where`` (zh, en)."""
    out: dict[str, None] = {}
    for pattern in patterns:
        hits = [m for m in declared if fnmatch.fnmatchcase(m, str(pattern))]
        if not hits:
            raise ConfigError(
                f"配置错误：{where[0]} 的 models 中「{pattern}」不匹配任何已声明的模型；"
                f"已声明的模型（含稳健性变体）：{', '.join(declared) or '（无）'}",
                f"Config error: {where[1]}: models entry '{pattern}' matches no declared model; "
                f"declared models (with robustness variants): {', '.join(declared) or '(none)'}",
            )
        out.update(dict.fromkeys(hits))
    return list(out)


# ---------------------------------------------------------------------------- resolving


def _where(key: str, section: str = "tables") -> tuple[str, str]:
    return f"paper.{section}.{key}", f"paper.{section}.{key}"


def _headings(raw: Any) -> tuple[tuple[str, str], ...] | None:
    if raw is None:
        return None
    out = []
    for h in raw:
        if isinstance(h, Mapping):
            zh = str(h.get("zh", ""))
            out.append((zh, str(h.get("en") or zh)))
        else:
            out.append((str(h), str(h)))
    return tuple(out)


def _optional(raw: Any) -> tuple[str, ...] | None:
    return None if raw is None else tuple(str(v) for v in raw)


def resolve_paper(config: Mapping[str, Any]) -> Paper:
    """The paper's tables and figures from ``config`` (validated by the JSON schema before).

    Cross-references the schema cannot see are checked here and stop the workflow with a
    ConfigError naming the table: a model pattern matching nothing, a table left without a
    (model, outcome), headings that do not match the number of columns.
    """
    models_config = config.get("models") or {}
    declared = declared_models(models_config)
    section = config.get("paper")
    if section is None:
        raw_tables: Mapping[str, Any] = {
            key: {"kind": key, "title": zh, "title_en": en}
            for key, (zh, en) in DEFAULT_MEASURE_TABLES.items()
        }
        section = {"tables": raw_tables, "auto_tables": True}
    tables: list[TableSpec] = []
    for key, raw in (section.get("tables") or {}).items():
        raw = raw or {}
        kind = str(raw.get("kind", "regression"))
        where = _where(str(key))
        spec = TableSpec(
            key=str(key),
            kind=kind,
            title=str(raw.get("title") or key),
            title_en=str(raw.get("title_en") or raw.get("title") or key),
            models=tuple(expand_models(raw.get("models") or [], declared, where=where))
            if kind == "regression"
            else (),
            outcomes=_optional(raw.get("outcomes")),
            terms=_optional(raw.get("terms")),
            headings=_headings(raw.get("headings")),
            variables=_optional(raw.get("variables")),
            statistic=str(raw.get("statistic", "coefficient")),
        )
        if kind == "regression":
            _check_columns(spec, models_config, where)
        tables.append(spec)
    if section.get("auto_tables", True):
        tables += automatic_tables(tables, models_config)
    figures = {
        str(key): FigureSpec(
            key=str(key),
            models=tuple(expand_models(raw["models"], declared, where=_where(key, "figures")))
            if raw.get("models")
            else (),
            outcomes=_optional(raw.get("outcomes")),
            terms=_optional(raw.get("terms")),
            by=raw.get("by"),
        )
        for key, raw in (section.get("figures") or {}).items()
    }
    return Paper(tables=tuple(tables), figures=figures)


def _check_columns(
    spec: TableSpec, models_config: Mapping[str, Any], where: tuple[str, str]
) -> None:
    columns = [
        (m, o)
        for m in spec.models
        for o in model_outcomes(models_config, m)
        if spec.outcomes is None or o in spec.outcomes
    ]
    if not columns:
        raise ConfigError(
            f"配置错误：{where[0]} 的模型 {list(spec.models)} 没有被解释变量 {list(spec.outcomes or [])}，"
            "表格将没有任何一列；请检查 outcomes",
            f"Config error: {where[1]}: models {list(spec.models)} have none of the outcomes "
            f"{list(spec.outcomes or [])}; the table would have no column. Check 'outcomes'",
        )
    if spec.headings is not None:
        # A mediation model gives three columns per outcome.
        n = sum(
            3 if ((models_config.get(m.partition("__")[0]) or {}).get("type") == "mediation") else 1
            for m, _ in columns
        )
        if len(spec.headings) != n:
            raise ConfigError(
                f"配置错误：{where[0]} 的 headings 有 {len(spec.headings)} 个，但表格有 {n} 列",
                f"Config error: {where[1]}: {len(spec.headings)} headings for {n} columns",
            )


def automatic_tables(
    tables: Sequence[TableSpec], models_config: Mapping[str, Any]
) -> list[TableSpec]:
    """One table per config model whose models (itself or variants) no table names."""
    covered = {m for t in tables for m in t.models}
    keys = {t.key for t in tables}
    out = []
    for name in models_config or {}:
        missing = [m for m in declared_models({name: models_config[name]}) if m not in covered]
        if not missing:
            continue
        key = str(name) if str(name) not in keys else f"{name}_models"
        zh, en = _model_label(models_config, str(name))
        if str(name) not in missing:
            zh, en = f"{zh}：稳健性检验", f"{en}: robustness"
        out.append(
            TableSpec(
                key=key,
                kind="regression",
                title=zh,
                title_en=en,
                models=tuple(missing),
                automatic=True,
            )
        )
        keys.add(key)
    return out


# ---------------------------------------------------------------------------- fits → columns


def declared_name(fit: FitResult) -> str:
    """The declared model a fit belongs to: its own name, or for a mediation equation
    (``<model>__c_path`` …) the mediation model's."""
    if fit.extra.get("mediation_path"):
        return fit.model.rsplit("__", 1)[0]
    return fit.model


def job_outcome(fit: FitResult) -> str:
    """The outcome of the job that produced the fit (a mediation a-path has the mediator as
    its outcome but belongs to the job of the mediation's outcome)."""
    return str(fit.extra.get("mediation_for_outcome") or fit.outcome)


def select_fits(
    fits: Iterable[FitResult], spec: TableSpec | FigureSpec, models_config: Mapping[str, Any]
) -> list[FitResult]:
    """The columns of a table: for each model of ``spec`` (in order), its fits in outcome order
    (the table's ``outcomes`` if given, else the model's), each job's fits in file order."""
    by_model: dict[str, list[FitResult]] = {}
    for fit in fits:
        by_model.setdefault(declared_name(fit), []).append(fit)
    out: list[FitResult] = []
    for model in spec.models:
        order = (
            list(spec.outcomes)
            if spec.outcomes is not None
            else model_outcomes(models_config, model)
        )
        mine = [
            f
            for f in by_model.get(model, [])
            if spec.outcomes is None or job_outcome(f) in spec.outcomes
        ]
        rank = {o: i for i, o in enumerate(order)}
        # sorted() is stable: the equations of one mediation job keep their file order.
        out += sorted(mine, key=lambda f: rank.get(job_outcome(f), len(rank)))
    if getattr(spec, "statistic", "coefficient") == "ame":
        out = [as_marginal_effects(f) for f in out]
    return out


def as_marginal_effects(fit: FitResult) -> FitResult:
    """A logit/probit fit with its average marginal effects (``extra["ame"]``) in place of the
    coefficients, marked ``extra["statistic"] = "ame"`` for the table notes; other fits (and a
    logit without AMEs, e.g. with interactions) unchanged. Dropped terms stay listed."""
    ame = fit.extra.get("ame")
    if fit.estimator not in ("logit", "probit") or not ame:
        return fit
    from dataclasses import replace

    from chainpb.models.margins import ame_table

    extra = {k: v for k, v in fit.extra.items() if k != "wild_bootstrap"}
    extra["statistic"] = "ame"
    return replace(fit, coefs=ame_table(ame), extra=extra, vcov=None)


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
        "四类困难的共现：报告某一困难的企业中同时报告另一困难的比例（对角线留空）",
        "Co-occurrence of the difficulties: share of the firms reporting one that also report "
        "another (diagonal blank)",
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
        "核心解释变量的回归系数（logit/probit 为平均边际效应；95% 置信区间）",
        "Coefficients of the key regressors (average marginal effects for logit/probit; "
        "95% intervals)",
    ),
    "codebook_agreement": (
        "码本编码、机器编码与人工编码的一致性",
        "Agreement of codebook, supervised coder and hand codes",
    ),
}

# Figures that exist only when the paper section declares them (they need a variable choice).
OPTIONAL_FIGURES = ("outcomes_by_membership",)
COEFFICIENT_FIGURE = "coefficients_key_regressors"


def figure_keys(paper: Paper) -> list[str]:
    """The fixed figures this paper draws (file stems, in FIGURE_CAPTIONS order)."""
    return [k for k in FIGURE_CAPTIONS if k not in OPTIONAL_FIGURES or k in paper.figures]

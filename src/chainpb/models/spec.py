"""Model specifications from the ``models:`` section of ``config/config.yaml``.

Each spec is a frozen dataclass; :func:`model_jobs` expands specs into one :class:`ModelJob` per
(model name, outcome). Robustness variants become their own model names ``<spec>__<variant>``:
a variant overrides keys of its parent spec (``winsorize``, ``cluster``, ``estimator``,
``replace``, ``subset``, ``fixed_effects``, ``controls``, ``regressors``, ``interactions``,
``group``, ``label``, ``label_en``, ``wild_bootstrap``). ``replace: {var: alt_var}`` swaps a
variable wherever it appears (outcome, regressors, controls, interactions, treatment,
mediator), e.g. an alternative measure of R&D.

The job key ``<model>__<outcome>`` is a Snakemake wildcard, so model names, variant names and
variable names must be ASCII identifiers and spec/variant names may not contain ``__``.

``tests:`` lists linear restrictions on a model's coefficients (see
:mod:`chainpb.models.restrictions` for the grammar); robustness variants inherit them, with
``replace`` applied, and may override them (``tests: []`` switches them off). ``compare:`` on a
subgroup model names another subgroup model and the terms whose coefficients are tested for
equality across the two in a pooled, fully interacted regression (:mod:`chainpb.models.compare`);
it belongs to the main spec only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from chainpb.errors import ChainpbError, ConfigError
from chainpb.models.restrictions import RestrictionError, parse_restrictions

ESTIMATORS = ("ols", "logit", "probit", "ologit", "mixedlm")
MODEL_TYPES = ("regression", "mediation")
VARIANT_KEYS = frozenset(
    {
        "winsorize",
        "cluster",
        "estimator",
        "replace",
        "subset",
        "fixed_effects",
        "controls",
        "regressors",
        "interactions",
        "group",
        "label",
        "label_en",
        "tests",
        "wild_bootstrap",
    }
)
SPEC_KEYS = frozenset(
    {
        "allow_missing_city",  # read by the pre-model check (chainpb.check), not by the fit
        "type",
        "label",
        "label_en",
        "estimator",
        "outcomes",
        "regressors",
        "controls",
        "fixed_effects",
        "cluster",
        "subset",
        "interactions",
        "group",
        "robustness",
        "winsorize",
        "replace",
        "treatment",
        "mediator",
        "bootstrap",
        "wild_bootstrap",
        "tests",
        "compare",
        "heterogeneity",
    }
)
COMPARE_KEYS = frozenset({"with", "terms"})

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class BootstrapSpec:
    """Cluster bootstrap of the indirect effect: replications, seed and CI level."""

    reps: int = 500
    seed: int = 20251126
    level: float = 0.95


@dataclass(frozen=True)
class WildBootstrapSpec:
    """Wild cluster bootstrap of OLS coefficients (:mod:`chainpb.models.wild`).

    ``when``: ``few_clusters`` (default: one cluster variable and G < 30), ``always`` (every
    one-way clustered OLS fit) or ``never``.
    """

    reps: int = 999
    seed: int = 20251126
    weights: str = "webb"
    when: str = "few_clusters"


@dataclass(frozen=True)
class HypothesisSpec:
    """One test of ``tests:``: the text as written and its restrictions (``replace`` applied)."""

    text: str  # as written in config; a list item is joined with ", "
    parts: tuple[str, ...]  # restriction strings, variables swapped by ``replace``


@dataclass(frozen=True)
class CompareSpec:
    """``compare: {with: other_model, terms: [...]}``: equal coefficients across two subgroups."""

    other: str
    terms: tuple[str, ...]


@dataclass(frozen=True)
class ModelSpec:
    """One model (main spec or robustness variant) before expansion over outcomes."""

    name: str
    type: str = "regression"
    estimator: str = "ols"
    outcomes: tuple[str, ...] = ()
    regressors: tuple[str, ...] = ()
    controls: tuple[str, ...] = ()
    fixed_effects: tuple[str, ...] = ()
    cluster: tuple[str, ...] = ()
    subset: str | None = None
    interactions: tuple[tuple[str, str], ...] = ()
    group: str | None = None
    winsorize: tuple[float, float] | None = None
    replace: tuple[tuple[str, str], ...] = ()
    label: str | None = None
    label_en: str | None = None
    variant: str | None = None
    treatment: str | None = None
    mediator: str | None = None
    bootstrap: BootstrapSpec = field(default_factory=BootstrapSpec)
    wild_bootstrap: WildBootstrapSpec = field(default_factory=WildBootstrapSpec)
    tests: tuple[HypothesisSpec, ...] = ()
    compare: tuple[CompareSpec, ...] = ()


@dataclass(frozen=True, order=True)
class ModelJob:
    """One fit: a spec applied to one outcome. ``key`` is the Snakemake wildcard."""

    model: str
    outcome: str
    spec: ModelSpec = field(compare=False)

    @property
    def key(self) -> str:
        return f"{self.model}__{self.outcome}"

    @property
    def variables(self) -> tuple[str, ...]:
        """Every data column the fit uses (listwise deletion runs over these)."""
        s = self.spec
        names: list[str] = [self.outcome]
        if s.type == "mediation":
            names += [s.treatment or "", s.mediator or ""]
        names += [*s.regressors, *s.controls, *s.fixed_effects, *s.cluster]
        for a, b in s.interactions:
            names += [a, b]
        if s.estimator == "mixedlm" and s.group:
            names.append(s.group)
        return tuple(dict.fromkeys(n for n in names if n))


@dataclass(frozen=True, order=True)
class ComparisonJob:
    """One pooled regression: ``model`` and ``other`` stacked, every term interacted with
    the indicator ``in_<other>``, for one outcome both models share."""

    model: str
    other: str
    outcome: str
    terms: tuple[str, ...] = field(compare=False)
    spec: ModelSpec = field(compare=False)
    other_spec: ModelSpec = field(compare=False)

    @property
    def name(self) -> str:
        """Output name of the pooled fit, e.g. ``private_firms__vs__state_firms``."""
        return f"{self.model}__vs__{self.other}"

    @property
    def indicator(self) -> str:
        """The group dummy: 1 for rows of ``other``, 0 for rows of ``model``."""
        return f"in_{self.other}"


def _where(model: str, key: str | None = None) -> tuple[str, str]:
    if key is None:
        return f"模型「{model}」", f"model '{model}'"
    return f"模型「{model}」的「{key}」", f"model '{model}', key '{key}'"


def _str_list(value: Any, model: str, key: str) -> tuple[str, ...]:
    zh, en = _where(model, key)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
        raise ConfigError(
            f"配置错误：{zh} 应为变量名列表，实际为 {value!r}",
            f"Config error: {en} must be a list of variable names, got {value!r}",
        )
    for v in value:
        if not _IDENT.match(v):
            raise ConfigError(
                f"配置错误：{zh} 中的变量名「{v}」须为英文标识符（字母、数字、下划线）",
                f"Config error: {en}: variable name '{v}' must be an ASCII identifier",
            )
    return tuple(value)


def _pairs(value: Any, model: str, key: str) -> tuple[tuple[str, str], ...]:
    zh, en = _where(model, key)
    out = []
    for pair in value or []:
        if not isinstance(pair, Sequence) or isinstance(pair, str) or len(pair) != 2:
            raise ConfigError(
                f"配置错误：{zh} 的每一项应为两个变量，如 [alliance_member, diff_resource]，实际为 {pair!r}",
                f"Config error: {en}: each entry must be a pair of variables, got {pair!r}",
            )
        a, b = _str_list(list(pair), model, key)
        out.append((a, b))
    return tuple(out)


def _winsor(value: Any, model: str) -> tuple[float, float] | None:
    if value is None:
        return None
    zh, en = _where(model, "winsorize")
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        lo, hi = -1.0, -1.0
    if not (0.0 <= lo < hi <= 1.0):
        raise ConfigError(
            f"配置错误：{zh} 应为两个分位数 [下, 上]，0 ≤ 下 < 上 ≤ 1，如 [0.01, 0.99]，实际为 {value!r}",
            f"Config error: {en} must be two quantiles [low, high] with 0 <= low < high <= 1, got {value!r}",
        )
    return (lo, hi)


def _wild(value: Any, model: str) -> WildBootstrapSpec:
    """``wild_bootstrap: {reps, seed, weights, when}``; the schema checks ranges and names."""
    if value is None:
        return WildBootstrapSpec()
    zh, en = _where(model, "wild_bootstrap")
    default = WildBootstrapSpec()
    try:
        if not isinstance(value, Mapping):
            raise TypeError(repr(value))
        spec = WildBootstrapSpec(
            reps=int(value.get("reps", default.reps)),
            seed=int(value.get("seed", default.seed)),
            weights=str(value.get("weights", default.weights)),
            when=str(value.get("when", default.when)),
        )
        if (
            set(value) - {"reps", "seed", "weights", "when"}
            or spec.weights not in ("webb", "rademacher")
            or spec.when not in ("few_clusters", "always", "never")
            or spec.reps < 1
        ):
            raise ValueError(repr(dict(value)))
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"配置错误：{zh} 应为 {{reps: 整数, seed: 整数, weights: webb|rademacher, "
            f"when: few_clusters|always|never}}：{exc}",
            f"Config error: {en} must be {{reps: int, seed: int, weights: webb|rademacher, "
            f"when: few_clusters|always|never}}: {exc}",
        ) from exc
    return spec


def _replace_map(value: Any, model: str) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    zh, en = _where(model, "replace")
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"配置错误：{zh} 应为映射 {{原变量: 替代变量}}，实际为 {value!r}",
            f"Config error: {en} must be a mapping {{variable: alternative}}, got {value!r}",
        )
    keys = _str_list(list(value.keys()), model, "replace")
    vals = _str_list(list(value.values()), model, "replace")
    return tuple(sorted(zip(keys, vals, strict=True)))


def _swap_names(text: str, m: Mapping[str, str]) -> str:
    """``text`` with every whole variable name in ``m`` swapped (also inside ``C(var)[T.x]``)."""
    if not m:
        return text
    pattern = re.compile(
        r"(?<![A-Za-z0-9_.])("
        + "|".join(map(re.escape, sorted(m, key=len, reverse=True)))
        + r")(?![A-Za-z0-9_])"
    )
    return pattern.sub(lambda hit: m[hit.group(1)], text)


def _tests(value: Any, model: str) -> tuple[HypothesisSpec, ...]:
    """``tests:`` items: a string (restrictions joined by commas) or a list of strings (joint)."""
    zh, en = _where(model, "tests")
    if value is None:
        return ()
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise ConfigError(
            f'配置错误：{zh} 应为检验列表，如 ["a + b = 0", ["a = 0", "b = 0"]]，实际为 {value!r}',
            f'Config error: {en} must be a list of tests, e.g. ["a + b = 0", ["a = 0", '
            f'"b = 0"]], got {value!r}',
        )
    out: list[HypothesisSpec] = []
    for item in value:
        parts = [item] if isinstance(item, str) else item
        if (
            not isinstance(parts, Sequence)
            or not parts
            or not all(isinstance(p, str) and p.strip() for p in parts)
        ):
            raise ConfigError(
                f'配置错误：{zh} 的每一项应为约束字符串（如 "a = b"）或约束字符串的列表（联合检验），'
                f"实际为 {item!r}",
                f'Config error: {en}: each entry must be a restriction string (e.g. "a = b") or '
                f"a list of them (a joint test), got {item!r}",
            )
        out.append(HypothesisSpec(text=", ".join(p.strip() for p in parts), parts=tuple(parts)))
    texts = [t.text for t in out]
    dup = sorted({t for t in texts if texts.count(t) > 1})
    if dup:
        raise ConfigError(
            f"配置错误：{zh} 中的检验重复：{dup}", f"Config error: {en} repeats tests {dup}"
        )
    return tuple(out)


def predicted_terms(spec: ModelSpec) -> tuple[str, ...]:
    """Coefficient names a spec can have before the data are seen (string controls become
    ``C(var)[T.level]`` dummies, whose names only the fit knows)."""
    from chainpb.models.design import INTERCEPT, interaction_term

    products = [interaction_term(a, b) for a, b in spec.interactions]
    return tuple(dict.fromkeys([INTERCEPT, *spec.regressors, *spec.controls, *products]))


def check_tests(spec: ModelSpec) -> None:
    """Each test parses and names only coefficients the spec can have.

    A name written as a dummy ``C(var)[T.level]`` is checked when the fit is known
    (:func:`chainpb.models.hypotheses.model_tests`).
    """
    zh, en = _where(spec.name, "tests")
    if spec.tests and spec.type == "mediation":
        raise ConfigError(
            f"配置错误：{zh}：中介效应模型不支持 tests（它由三个方程组成），请在单独的回归模型上写检验",
            f"Config error: {en}: a mediation model (three equations) takes no tests; declare "
            "them on a regression model",
        )
    names = predicted_terms(spec)
    for test in spec.tests:
        try:
            parse_restrictions(test.parts, names)
        except RestrictionError as exc:
            unknown = [u for u in exc.unknown if not u.startswith("C(")]
            if exc.unknown and not unknown:
                continue
            if not exc.unknown and "C(" in test.text:
                # A dummy name may hold characters the generic reader splits on: the fit's
                # own term names decide.
                continue
            where = f"{zh} 的检验「{test.text}」" + (
                f"（稳健性变体 {spec.variant}）" if spec.variant else ""
            )
            where_en = f"{en}, test '{test.text}'" + (
                f" (robustness variant {spec.variant})" if spec.variant else ""
            )
            if unknown:
                raise ConfigError(
                    f"配置错误：{where} 中的系数名 {unknown} 不在模型中；可用的系数名：{list(names)}"
                    "（字符串控制变量的虚拟变量写作 C(变量)[T.取值]）",
                    f"Config error: {where_en} names {unknown}, which are not coefficients of the "
                    f"model; available: {list(names)} (dummies of string controls are written "
                    "C(var)[T.level])",
                ) from exc
            raise ConfigError(
                f"配置错误：{where} 无法解析：{exc.zh}",
                f"Config error: {where_en} cannot be read: {exc.en}",
            ) from exc


def _compare(value: Any, model: str) -> tuple[CompareSpec, ...]:
    zh, en = _where(model, "compare")
    if value is None:
        return ()
    if not isinstance(value, Mapping) or set(value) != COMPARE_KEYS:
        raise ConfigError(
            f"配置错误：{zh} 应为 {{with: 另一个模型名, terms: [要比较的解释变量]}}，实际为 {value!r}",
            f"Config error: {en} must be {{with: other model, terms: [terms to compare]}}, "
            f"got {value!r}",
        )
    other = _check_name(value["with"], f"{zh} 的 with 模型", f"{en}: 'with' model")
    terms = _str_list(value["terms"], model, "compare.terms")
    if not terms:
        raise ConfigError(
            f"配置错误：{zh} 的 terms 不能为空", f"Config error: {en}: 'terms' is empty"
        )
    return (CompareSpec(other=other, terms=terms),)


def check_comparisons(specs: Sequence[ModelSpec]) -> None:
    """Each ``compare`` pairs two OLS subgroup models that differ only in ``subset``.

    The pooled, fully interacted regression reproduces both separate fits only when the two
    share outcome, regressors, controls, fixed effects, clustering and outcome treatment.
    """
    base = {s.name: s for s in specs if s.variant is None}
    seen: set[tuple[str, str]] = set()
    for spec in base.values():
        for comp in spec.compare:
            zh, en = _where(spec.name, "compare")
            other = base.get(comp.other)
            if other is None or other.name == spec.name:
                raise ConfigError(
                    f"配置错误：{zh} 的 with「{comp.other}」应为另一个模型的名字；现有模型：{sorted(base)}",
                    f"Config error: {en}: 'with: {comp.other}' must name another model; "
                    f"models: {sorted(base)}",
                )
            pair = tuple(sorted((spec.name, other.name)))
            if pair in seen:
                raise ConfigError(
                    f"配置错误：模型「{pair[0]}」与「{pair[1]}」的比较声明了不止一次",
                    f"Config error: the comparison of '{pair[0]}' and '{pair[1]}' is declared "
                    "more than once",
                )
            seen.add(pair)
            problems: list[str] = []
            for s in (spec, other):
                if s.type != "regression" or s.estimator != "ols":
                    problems.append(
                        f"{s.name}: type/estimator = {s.type}/{s.estimator} (need regression/ols)"
                    )
                if not s.subset:
                    problems.append(
                        f"{s.name}: subset missing (the two groups must be disjoint subsets)"
                    )
                if s.interactions:
                    problems.append(
                        f"{s.name}: interactions (centred within each group) not supported"
                    )
            for key in (
                "regressors",
                "controls",
                "fixed_effects",
                "cluster",
                "winsorize",
                "replace",
            ):
                if getattr(spec, key) != getattr(other, key):
                    problems.append(f"{key}: {getattr(spec, key)} ≠ {getattr(other, key)}")
            missing = [t for t in comp.terms if t not in (*spec.regressors, *spec.controls)]
            if missing:
                problems.append(f"terms {missing} not among regressors/controls")
            if not set(spec.outcomes) & set(other.outcomes):
                problems.append(
                    f"no common outcome ({list(spec.outcomes)} vs {list(other.outcomes)})"
                )
            if problems:
                raise ConfigError(
                    f"配置错误：{zh}：与「{other.name}」的组间系数比较要求两个模型都是 OLS 子样本回归、"
                    "除 subset 外设定相同（同样的解释变量、控制变量、固定效应、聚类、缩尾与替换），"
                    f"且比较的变量是其解释或控制变量。不满足：{'; '.join(problems)}",
                    f"Config error: {en}: comparing with '{other.name}' needs two OLS subgroup "
                    "models with the same specification except 'subset' (regressors, controls, "
                    "fixed effects, cluster, winsorize, replace) and terms among their regressors "
                    f"or controls. Not met: {'; '.join(problems)}",
                )


def fitting_config(raw: Mapping[str, Any], *, keep_compare: bool = False) -> dict[str, Any]:
    """A model's config without the keys only the tests read (``tests``, and ``compare``
    unless ``keep_compare``), so that editing a test does not re-fit the model: the tests are
    computed from the stored fits. Variants lose their ``tests`` too."""
    drop = {"tests"} if keep_compare else {"tests", "compare"}
    out = {k: v for k, v in raw.items() if k not in drop}
    if isinstance(out.get("robustness"), Mapping):
        out["robustness"] = {
            name: {k: v for k, v in (variant or {}).items() if k != "tests"}
            for name, variant in out["robustness"].items()
        }
    return out


def comparison_jobs(models_config: Mapping[str, Any]) -> list[ComparisonJob]:
    """One pooled regression per declared comparison and outcome common to both models."""
    specs = {s.name: s for s in parse_models(models_config)}
    jobs = []
    for spec in specs.values():
        for comp in spec.compare:
            other = specs[comp.other]
            for outcome in spec.outcomes:
                if outcome in other.outcomes:
                    jobs.append(
                        ComparisonJob(
                            model=spec.name,
                            other=other.name,
                            outcome=outcome,
                            terms=comp.terms,
                            spec=spec,
                            other_spec=other,
                        )
                    )
    return sorted(jobs)


def _apply_replace(spec: ModelSpec) -> ModelSpec:
    """Swap variables named in ``spec.replace`` everywhere they occur (tests included)."""
    if not spec.replace:
        return spec
    m = dict(spec.replace)

    def sub(names: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(m.get(n, n) for n in names)

    return replace(
        spec,
        outcomes=sub(spec.outcomes),
        regressors=sub(spec.regressors),
        controls=sub(spec.controls),
        interactions=tuple((m.get(a, a), m.get(b, b)) for a, b in spec.interactions),
        treatment=m.get(spec.treatment, spec.treatment) if spec.treatment else None,
        mediator=m.get(spec.mediator, spec.mediator) if spec.mediator else None,
        tests=tuple(
            replace(t, parts=tuple(_swap_names(p, m) for p in t.parts)) for t in spec.tests
        ),
    )


def _build_spec(name: str, raw: Mapping[str, Any], variant: str | None = None) -> ModelSpec:
    zh, en = _where(name)
    unknown = sorted(set(raw) - SPEC_KEYS)
    if unknown:
        raise ConfigError(
            f"配置错误：{zh} 含未知键 {unknown}；允许的键：{sorted(SPEC_KEYS)}",
            f"Config error: {en} has unknown keys {unknown}; allowed: {sorted(SPEC_KEYS)}",
        )
    mtype = raw.get("type", "regression")
    if mtype not in MODEL_TYPES:
        raise ConfigError(
            f"配置错误：{zh} 的类型「{mtype}」未知；应为 {list(MODEL_TYPES)} 之一",
            f"Config error: {en} has unknown type '{mtype}'; expected one of {list(MODEL_TYPES)}",
        )
    estimator = raw.get("estimator", "ols")
    if estimator not in ESTIMATORS:
        raise ConfigError(
            f"配置错误：{zh} 的估计方法「{estimator}」未知；应为 {list(ESTIMATORS)} 之一",
            f"Config error: {en} has unknown estimator '{estimator}'; expected one of {list(ESTIMATORS)}",
        )
    if mtype == "mediation" and estimator != "ols":
        raise ConfigError(
            f"配置错误：{zh} 是中介效应模型，只支持 estimator: ols（逐步法基于线性回归），实际为「{estimator}」",
            f"Config error: {en} is a mediation model; only estimator 'ols' is supported, got '{estimator}'",
        )
    cluster = _str_list(raw.get("cluster"), name, "cluster")
    if len(cluster) > 2:
        raise ConfigError(
            f"配置错误：{zh} 的聚类变量最多两个，实际为 {list(cluster)}",
            f"Config error: {en} allows at most two cluster variables, got {list(cluster)}",
        )
    subset = raw.get("subset")
    if subset is not None and not isinstance(subset, str):
        raise ConfigError(
            f"配置错误：{zh} 的 subset 应为 pandas 查询字符串，如 \"ownership == '民营'\"",
            f"Config error: {en}: subset must be a pandas query string, e.g. \"ownership == '民营'\"",
        )
    boot_raw = raw.get("bootstrap") or {}
    try:
        boot = BootstrapSpec(
            reps=int(boot_raw.get("reps", 500)),
            seed=int(boot_raw.get("seed", 20251126)),
            level=float(boot_raw.get("level", 0.95)),
        )
    except (TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(
            f"配置错误：{zh} 的 bootstrap 应为 {{reps: 整数, seed: 整数, level: 0–1}}：{exc}",
            f"Config error: {en}: bootstrap must be {{reps: int, seed: int, level: 0-1}}: {exc}",
        ) from exc
    if boot.reps < 1 or not 0 < boot.level < 1:
        raise ConfigError(
            f"配置错误：{zh} 的 bootstrap 需 reps ≥ 1 且 0 < level < 1",
            f"Config error: {en}: bootstrap needs reps >= 1 and 0 < level < 1",
        )
    label = raw.get("label")
    label_en = raw.get("label_en")
    spec = ModelSpec(
        name=name,
        type=mtype,
        estimator=estimator,
        outcomes=_str_list(raw.get("outcomes"), name, "outcomes"),
        regressors=_str_list(raw.get("regressors"), name, "regressors"),
        controls=_str_list(raw.get("controls"), name, "controls"),
        fixed_effects=_str_list(raw.get("fixed_effects"), name, "fixed_effects"),
        cluster=cluster,
        subset=subset,
        interactions=_pairs(raw.get("interactions"), name, "interactions"),
        group=(_str_list(raw.get("group"), name, "group") or (None,))[0],
        winsorize=_winsor(raw.get("winsorize"), name),
        replace=_replace_map(raw.get("replace"), name),
        label=None if label is None else str(label),
        label_en=None if label_en is None else str(label_en),
        variant=variant,
        treatment=(_str_list(raw.get("treatment"), name, "treatment") or (None,))[0],
        mediator=(_str_list(raw.get("mediator"), name, "mediator") or (None,))[0],
        bootstrap=boot,
        wild_bootstrap=_wild(raw.get("wild_bootstrap"), name),
        tests=_tests(raw.get("tests"), name),
        compare=_compare(raw.get("compare"), name),
    )
    if not spec.outcomes:
        raise ConfigError(
            f"配置错误：{zh} 缺少 outcomes（被解释变量列表）",
            f"Config error: {en} has no outcomes (list of dependent variables)",
        )
    if mtype == "mediation":
        if not spec.treatment or not spec.mediator:
            raise ConfigError(
                f"配置错误：{zh} 是中介效应模型，须给出 treatment（解释变量）和 mediator（中介变量）",
                f"Config error: {en} is a mediation model and needs 'treatment' and 'mediator'",
            )
    elif not spec.regressors:
        raise ConfigError(
            f"配置错误：{zh} 缺少 regressors（核心解释变量列表）",
            f"Config error: {en} has no regressors",
        )
    if spec.estimator == "mixedlm" and not spec.group:
        raise ConfigError(
            f"配置错误：{zh} 使用混合模型 mixedlm，须给出 group（随机截距的分组变量，如 chain_id）",
            f"Config error: {en} uses mixedlm and needs 'group' (random-intercept grouping, e.g. chain_id)",
        )
    spec = _apply_replace(spec)
    check_tests(spec)
    return spec


def _check_name(name: Any, what_zh: str, what_en: str) -> str:
    if not isinstance(name, str) or not _IDENT.match(name) or "__" in name:
        raise ConfigError(
            f"配置错误：{what_zh}名「{name}」须为英文标识符（字母、数字、单个下划线），不得含「__」",
            f"Config error: {what_en} name '{name}' must be an ASCII identifier without '__'",
        )
    return name


def expand_heterogeneity(models_config: Mapping[str, Any]) -> dict[str, Any]:
    """The ``models:`` section with every ``heterogeneity:`` declaration written out.

    ``heterogeneity: {民营: "ownership == '民营'", 国有及混合: "ownership in [...]"}`` on model
    ``m`` adds one subgroup model per group, ``m_het1``, ``m_het2``… in the order written: the
    same specification as ``m`` (robustness variants, tests and comparisons are not copied), its
    ``subset`` the group's filter (and ``m``'s own subset, if any), its label ``<m's label>：<group>``,
    and ``compare: {with: the next group, terms: m's regressors}`` — the pooled, fully interacted
    test of equal coefficients that the heterogeneity table shows beside the paired columns.
    ``m`` itself stays (the pooled model). A name that already exists stops the run.
    """
    out: dict[str, Any] = {}
    for name, raw in models_config.items():
        out[name] = raw
        groups = raw.get("heterogeneity") if isinstance(raw, Mapping) else None
        if not groups:
            continue
        out[name] = {k: v for k, v in raw.items() if k != "heterogeneity"}
        base = {
            k: v
            for k, v in raw.items()
            if k not in ("heterogeneity", "robustness", "tests", "compare", "label", "label_en")
        }
        names = [f"{name}_het{i}" for i in range(1, len(groups) + 1)]
        taken = sorted(set(names) & set(models_config))
        if taken:
            raise ConfigError(
                f"配置错误：模型「{name}」的 heterogeneity 要生成的模型名 {taken} 已被占用",
                f"Config error: model '{name}': heterogeneity would create models {taken}, "
                "which already exist",
            )
        regressors = list(raw.get("regressors") or [])
        for i, (group, subset) in enumerate(groups.items()):
            own = raw.get("subset")
            spec = {
                **base,
                "label": f"{raw.get('label', name)}：{group}",
                "label_en": f"{raw.get('label_en', raw.get('label', name))}: {group}",
                "subset": f"({own}) and ({subset})" if own else subset,
            }
            if i + 1 < len(names):
                spec["compare"] = {"with": names[i + 1], "terms": regressors}
            out[names[i]] = spec
    return out


def parse_models(models_config: Mapping[str, Any]) -> tuple[ModelSpec, ...]:
    """All specs of the ``models:`` section, variants expanded as ``<spec>__<variant>``, sorted."""
    if not isinstance(models_config, Mapping):
        raise ConfigError(
            "配置错误：models 应为 {模型名: 设定} 的映射",
            "Config error: 'models' must be a mapping {model name: specification}",
        )
    models_config = expand_heterogeneity(models_config)
    specs: list[ModelSpec] = []
    for name in sorted(models_config):
        raw = models_config[name]
        _check_name(name, "模型", "model")
        if not isinstance(raw, Mapping):
            raise ConfigError(
                f"配置错误：模型「{name}」的设定应为映射",
                f"Config error: model '{name}' must be a mapping",
            )
        base = {k: v for k, v in raw.items() if k != "robustness"}
        specs.append(_build_spec(name, base))
        # A comparison pairs two main specs; variants do not inherit it.
        base.pop("compare", None)
        robustness = raw.get("robustness") or {}
        if not isinstance(robustness, Mapping):
            raise ConfigError(
                f"配置错误：模型「{name}」的 robustness 应为 {{变体名: 覆盖的键}}",
                f"Config error: model '{name}': robustness must be a mapping {{variant: overrides}}",
            )
        for variant in sorted(robustness):
            _check_name(variant, "稳健性变体", "robustness variant")
            overrides = robustness[variant] or {}
            unknown = sorted(set(overrides) - VARIANT_KEYS)
            if unknown:
                raise ConfigError(
                    f"配置错误：模型「{name}」的稳健性变体「{variant}」含不可覆盖的键 {unknown}；"
                    f"可覆盖：{sorted(VARIANT_KEYS)}",
                    f"Config error: model '{name}', robustness variant '{variant}' overrides "
                    f"unknown keys {unknown}; allowed: {sorted(VARIANT_KEYS)}",
                )
            merged = {**base, **overrides}
            specs.append(_build_spec(f"{name}__{variant}", merged, variant=variant))
    check_comparisons(specs)
    return tuple(sorted(specs, key=lambda s: s.name))


def model_jobs(models_config: Mapping[str, Any]) -> list[ModelJob]:
    """One job per (model name, outcome), sorted by key."""
    jobs = [
        ModelJob(model=spec.name, outcome=outcome, spec=spec)
        for spec in parse_models(models_config)
        for outcome in spec.outcomes
    ]
    keys = [j.key for j in jobs]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        raise ConfigError(
            f"配置错误：模型任务名重复 {dup}（模型名与变体名拼接后冲突）",
            f"Config error: duplicate model job keys {dup}",
        )
    return sorted(jobs)


def job_by_key(models_config: Mapping[str, Any], key: str) -> ModelJob:
    """The job whose wildcard is ``key`` (used by the Snakemake script)."""
    for job in model_jobs(models_config):
        if job.key == key:
            return job
    raise ConfigError(
        f"配置错误：找不到模型任务「{key}」",
        f"Config error: no model job '{key}'",
    )


def validate_job(data: pd.DataFrame, job: ModelJob) -> None:
    """Check that every variable of ``job`` is a column of ``data`` and clusters are complete.

    A missing cluster value among rows that the model would otherwise use is an error: silently
    treating it as its own cluster (or dropping the row) would change the inference.
    """
    spec = job.spec
    zh, en = _where(job.model)
    for var in job.variables:
        if var not in data.columns:
            raise ChainpbError(
                f"模型错误：{zh}（被解释变量 {job.outcome}）用到的变量「{var}」不在分析数据中；"
                f"现有列：{', '.join(sorted(map(str, data.columns)))}",
                f"Model error: {en} (outcome {job.outcome}) uses variable '{var}', which is not "
                f"in the analysis data; available columns: {', '.join(sorted(map(str, data.columns)))}",
            )
    if not spec.cluster:
        return
    sample = apply_subset(data, job)
    others = [v for v in job.variables if v not in spec.cluster]
    usable = sample[others].notna().all(axis=1)
    for var in spec.cluster:
        bad = usable & sample[var].isna()
        if bad.any():
            rows = _row_labels(sample.loc[bad])
            raise ChainpbError(
                f"模型错误：{zh}（被解释变量 {job.outcome}）的聚类变量「{var}」有 {int(bad.sum())} 个缺失值"
                f"（行 {rows}）；聚类变量不得缺失，请补全或在 subset 中排除这些企业",
                f"Model error: {en} (outcome {job.outcome}): cluster variable '{var}' has "
                f"{int(bad.sum())} missing values (rows {rows}); cluster variables must not be "
                "missing: fill them in or exclude these firms with 'subset'",
            )


def _row_labels(rows: pd.DataFrame, limit: int = 5) -> str:
    """Rows a researcher can find: city and raw row number when present, else the index."""
    if "raw_row" in rows.columns:
        city = rows["city_key"].astype(str) + ":" if "city_key" in rows.columns else ""
        labels = (city + rows["raw_row"].astype(str)).tolist()
    else:
        labels = [str(i) for i in rows.index]
    more = "…" if len(labels) > limit else ""
    return ", ".join(labels[:limit]) + more


def apply_subset(data: pd.DataFrame, job: ModelJob) -> pd.DataFrame:
    """Rows selected by the spec's ``subset`` query (all rows when there is none)."""
    subset = job.spec.subset
    if not subset:
        return data
    try:
        out = data.query(subset, engine="python")
    except Exception as exc:
        zh, en = _where(job.model, "subset")
        raise ChainpbError(
            f"模型错误：{zh} 的查询「{subset}」无法执行：{exc}",
            f"Model error: {en}: query '{subset}' failed: {exc}",
        ) from exc
    if out.empty:
        zh, en = _where(job.model, "subset")
        raise ChainpbError(
            f"模型错误：{zh} 的查询「{subset}」没有选中任何企业",
            f"Model error: {en}: query '{subset}' selects no firms",
        )
    return out

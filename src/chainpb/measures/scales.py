"""Scale scores, reliability and validity of the four Likert dimensions (四个维度量表).

Researchers report, per scale, Cronbach's α, composite reliability (CR) and average variance
extracted (AVE); for the item pool, KMO and Bartlett's test before an exploratory factor
analysis. Every statistic here is checked against R's ``psych`` package (see the tests).

Conventions (documented once, used throughout):

* Items arrive already reverse-coded (ingest applies ``6 - x`` to ``scales.<dim>.reverse``).
* **Scale scores** are the mean of the answered items of the row, but only when at least
  ``min_items`` items are answered; otherwise the score is missing. With four items and
  ``min_items=3`` a respondent may skip one item.
* **Reliability and factor analysis use listwise complete cases** of the items involved, so
  that α, KMO, Bartlett and the loadings describe one and the same sample. (``psych`` defaults to
  pairwise correlations; the references in the tests were computed on ``na.omit`` data.)
* **EFA** is minimum residual (minres, the default of ``psych::fa``): the uniquenesses ψ
  minimise the sum of squared off-diagonal residuals of the correlation matrix (L-BFGS-B,
  ψ ∈ [0.005, 1], start 1 − SMC); loadings are the first eigenvectors of R − diag(ψ) scaled by
  √eigenvalue. Varimax is ``stats::varimax`` (Kaiser normalisation, ε = 1e-5). Factors are then
  sign-flipped so that each column sums to a positive number and ordered by decreasing sum of
  squared loadings — the conventions of ``psych::fa``.
* **CR and AVE** use the standardised loadings of a one-factor minres solution fitted to the
  items of each scale alone: CR = (Σλ)² / ((Σλ)² + Σ(1 − λ²)), AVE = Σλ² / k.

Scales that differ by city (``cities.<key>.scales`` in the config): every function that takes
``scales`` accepts either the global ``{dim: spec}`` or the per-city ``{city_key: {dim: spec}}``
(what ``chainpb.config.city_settings(config, key)["scales"]`` gives for each city).

* **Scores** of a city are the mean of *that city's* items; ``min_items`` applies per city,
  capped at the city's number of items (a city with 3 items and ``min_items=3`` needs all 3).
* **Reliability** is reported per city on the city's own items, and pooled over the items
  common to every city that has the scale (at least 2 configured items with answers). A value
  of an item that is not one of the city's items of the scale is never used for that city.
* **Joint EFA, KMO/Bartlett of all items and Fornell–Larcker** use the pooled common items.
* A city whose scale cannot be analysed (no items, one item, all answers missing, fewer than 3
  complete cases) keeps its row, with the reason in ``note_zh``/``note_en``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from chainpb.errors import ChainpbError

ScaleConfig = Mapping[str, Mapping[str, Any]]

#: ``city`` of the rows pooled over all cities (reliability and item tables).
POOLED = "pooled/合并"
#: Keys of one scale's spec; a mapping holding none of them is a per-city ``{dim: spec}``.
SPEC_KEYS = frozenset({"label", "label_en", "items", "reverse"})
#: Reliability needs at least this many complete cases (as :func:`_complete_items`).
MIN_CASES = 3

VARIMAX_EPS = 1e-5
VARIMAX_MAX_ITER = 1000
MINRES_LOWER = 0.005


# --------------------------------------------------------------------------------------------
# Items and scores


def scale_items(scales: ScaleConfig) -> dict[str, list[str]]:
    """Item columns per scale, in config order: ``{"coverage": ["coverage_1", ...], ...}``."""
    out: dict[str, list[str]] = {}
    for dim, spec in scales.items():
        items = list(spec.get("items") or [])
        if not items:
            raise ChainpbError(
                f"配置 scales.{dim} 没有题项（items 为空）。",
                f"config scales.{dim} has no items (items is empty).",
            )
        out[str(dim)] = [str(i) for i in items]
    return out


def scale_label(scales: ScaleConfig, dim: str, language: str = "zh") -> str:
    """The label of a scale in the chosen language, falling back to the scale key."""
    spec = scales.get(dim, {})
    key = "label" if language == "zh" else "label_en"
    return str(spec.get(key) or spec.get("label") or dim)


def _require_columns(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ChainpbError(
            f"{what}缺少列：{', '.join(missing)}；请检查 config 中 scales 的 items 与调查数据的列映射。",
            f"{what} lacks columns: {', '.join(missing)}; check the scale items in the config "
            "against the survey column map.",
        )


def is_per_city(scales: Mapping[str, Any]) -> bool:
    """True for per-city scales ``{city_key: {dim: spec}}``, False for global ``{dim: spec}``.

    A scale spec holds ``items``/``reverse``/``label``/``label_en``; the schema allows only the
    four dimension names as keys of a city's ``scales``, so the two shapes cannot be confused.
    """
    values = list(scales.values())
    specs = [isinstance(v, Mapping) and bool(SPEC_KEYS & set(v)) for v in values]
    if all(specs):
        return False
    if not any(specs) and all(
        isinstance(v, Mapping) and all(isinstance(x, Mapping) for x in v.values()) for v in values
    ):
        return True
    raise ChainpbError(
        "量表设置的格式无法识别：应为 {维度: {items: [...]}}（全局）或 "
        "{城市键: {维度: {items: [...]}}}（按城市）。",
        "the scale settings have an unknown shape: expected {dim: {items: [...]}} (global) or "
        "{city_key: {dim: {items: [...]}}} (per city).",
    )


def scales_by_city(scales: Mapping[str, Any], cities: Sequence[str]) -> dict[str, ScaleConfig]:
    """Each city's scales: the global ``scales`` for every city, or the city's own entry."""
    if not is_per_city(scales):
        return {city: scales for city in cities}
    missing = [city for city in cities if city not in scales]
    if missing:
        raise ChainpbError(
            f"数据中的城市 {', '.join(missing)} 在按城市的量表设置中没有条目；"
            "请确认 config 的 cities 与分析数据的 city_key 一致。",
            f"cities {', '.join(missing)} of the data have no entry in the per-city scale "
            "settings; check that the config's cities match the city_key of the analysis data.",
        )
    return {city: scales[city] for city in cities}


def city_scale_items(scales: ScaleConfig, dim: str) -> list[str]:
    """One city's items of scale ``dim``; none when the city has no items for it."""
    return [str(i) for i in (scales.get(dim) or {}).get("items") or []]


def _dims(per_city: Mapping[str, ScaleConfig]) -> list[str]:
    """Scale keys over all cities, in config order (first city first)."""
    out: list[str] = []
    for spec in per_city.values():
        out += [str(d) for d in spec if str(d) not in out]
    return out


def _merged_labels(per_city: Mapping[str, ScaleConfig]) -> dict[str, dict[str, Any]]:
    """``{dim: {label, label_en}}`` from the first city that names the scale."""
    out: dict[str, dict[str, Any]] = {}
    for spec in per_city.values():
        for dim, entry in spec.items():
            for key in ("label", "label_en"):
                if entry.get(key) and key not in out.setdefault(str(dim), {}):
                    out[str(dim)][key] = entry[key]
    return out


def _cities_of(df: pd.DataFrame, city_column: str) -> list[str]:
    return sorted(set(df[city_column].astype(str)))


def score_scales(
    df: pd.DataFrame,
    scales: Mapping[str, Any],
    min_items: int = 3,
    *,
    city_column: str = "city_key",
) -> pd.DataFrame:
    """Scale scores ``scale_<dim>`` = mean of the answered items, if at least ``min_items`` answered.

    Returns a DataFrame with the same index as ``df`` and one float column per scale. A row with
    fewer than ``min_items`` answered items gets a missing score rather than a mean of one or two
    items, which would be far noisier than the other respondents' scores.

    With per-city ``scales`` (``{city_key: {dim: spec}}``) each row is scored on its city's items
    only, and the minimum is ``min(min_items, number of the city's items)``; a city without items
    of a scale gets missing scores for it (the reliability table names it).
    """
    if min_items < 1:
        raise ChainpbError(
            f"min_items 必须至少为 1，收到 {min_items}。",
            f"min_items must be at least 1, got {min_items}.",
        )
    out = pd.DataFrame(index=df.index)
    if not is_per_city(scales):
        for dim, items in scale_items(scales).items():
            _require_columns(df, items, "调查数据 / survey data: ")
            block = df[items].apply(pd.to_numeric, errors="coerce").astype("float64")
            answered = block.notna().sum(axis=1)
            need = min(min_items, len(items))
            out[f"scale_{dim}"] = block.mean(axis=1, skipna=True).where(answered >= need)
        return out
    _require_columns(df, [city_column], "按城市计分的调查数据 / survey data scored per city: ")
    city_of_row = df[city_column].astype(str)
    per_city = scales_by_city(scales, _cities_of(df, city_column))
    for dim in _dims(per_city):
        score = pd.Series(np.nan, index=df.index, dtype="float64")
        for city, spec in per_city.items():
            items = city_scale_items(spec, dim)
            if not items:
                continue
            _require_columns(df, items, f"调查数据（城市 {city}）/ survey data (city {city}): ")
            rows = (city_of_row == city).to_numpy()
            block = df.loc[rows, items].apply(pd.to_numeric, errors="coerce").astype("float64")
            need = min(min_items, len(items))
            mean = block.mean(axis=1, skipna=True).where(block.notna().sum(axis=1) >= need)
            score[rows] = mean.to_numpy()
        out[f"scale_{dim}"] = score
    return out


def _complete_items(df: pd.DataFrame, items: Sequence[str]) -> np.ndarray:
    _require_columns(df, items, "数据 / data: ")
    block = df[list(items)].apply(pd.to_numeric, errors="coerce").astype("float64").dropna()
    if len(block) < 3 or len(items) < 2:
        raise ChainpbError(
            f"题项 {', '.join(items)} 的完整个案只有 {len(block)} 个，无法计算信度或因子分析（至少需要 3 个个案、2 个题项）。",
            f"items {', '.join(items)} have only {len(block)} complete cases; reliability and "
            "factor analysis need at least 3 cases and 2 items.",
        )
    return block.to_numpy()


# --------------------------------------------------------------------------------------------
# Cronbach's alpha


@dataclass(frozen=True)
class AlphaResult:
    """Cronbach's α of one scale (listwise complete cases).

    ``items`` has one row per item with ``alpha_if_deleted`` (raw α of the other items, as
    ``psych::alpha()$alpha.drop$raw_alpha``), ``std_alpha_if_deleted`` and ``r_drop`` (corrected
    item-total correlation: the item against the sum of the other items, ``$item.stats$r.drop``).
    """

    raw_alpha: float
    std_alpha: float
    n: int
    k: int
    items: pd.DataFrame


def _alpha_from_cov(cov: np.ndarray) -> float:
    k = cov.shape[0]
    return float(k / (k - 1) * (1 - np.trace(cov) / cov.sum()))


def cronbach_alpha(df: pd.DataFrame, items: Sequence[str]) -> AlphaResult:
    """Raw and standardised α, α if item deleted and corrected item-total r (listwise)."""
    x = _complete_items(df, items)
    cov = np.cov(x, rowvar=False, ddof=1)
    corr = np.corrcoef(x, rowvar=False)
    k = len(items)
    rows = []
    for i, item in enumerate(items):
        rest = [j for j in range(k) if j != i]
        sub_cov = cov[np.ix_(rest, rest)]
        sub_corr = corr[np.ix_(rest, rest)]
        # Covariance of the item with the sum of the others over the SDs gives the corrected
        # item-total correlation without building the sum column.
        r_drop = cov[i, rest].sum() / np.sqrt(cov[i, i] * sub_cov.sum())
        rows.append(
            {
                "item": item,
                "alpha_if_deleted": _alpha_from_cov(sub_cov) if k > 2 else np.nan,
                "std_alpha_if_deleted": _alpha_from_cov(sub_corr) if k > 2 else np.nan,
                "r_drop": float(r_drop),
            }
        )
    return AlphaResult(
        raw_alpha=_alpha_from_cov(cov),
        std_alpha=_alpha_from_cov(corr),
        n=int(x.shape[0]),
        k=k,
        items=pd.DataFrame(rows),
    )


# --------------------------------------------------------------------------------------------
# KMO and Bartlett


@dataclass(frozen=True)
class KMOResult:
    """Kaiser-Meyer-Olkin measure of sampling adequacy: overall and per item (MSA)."""

    overall: float
    per_item: pd.Series
    n: int


def kmo(df: pd.DataFrame, items: Sequence[str]) -> KMOResult:
    """KMO as in ``psych::KMO``: partial correlations from the inverse correlation matrix."""
    x = _complete_items(df, items)
    r = np.corrcoef(x, rowvar=False)
    inv = _inverse(r, items)
    d = 1 / np.sqrt(np.diag(inv))
    partial = -inv * np.outer(d, d)
    off = ~np.eye(len(items), dtype=bool)
    r2 = np.where(off, r**2, 0.0)
    q2 = np.where(off, partial**2, 0.0)
    per_item = r2.sum(axis=0) / (r2.sum(axis=0) + q2.sum(axis=0))
    overall = r2.sum() / (r2.sum() + q2.sum())
    return KMOResult(
        overall=float(overall),
        per_item=pd.Series(per_item, index=list(items), name="msa"),
        n=int(x.shape[0]),
    )


def _inverse(r: np.ndarray, items: Sequence[str]) -> np.ndarray:
    try:
        return np.linalg.inv(r)
    except np.linalg.LinAlgError as exc:
        raise ChainpbError(
            f"题项 {', '.join(items)} 的相关矩阵奇异（有题项完全相同或为常数），无法计算 KMO。",
            f"the correlation matrix of items {', '.join(items)} is singular (identical or "
            "constant items); KMO cannot be computed.",
        ) from exc


@dataclass(frozen=True)
class BartlettResult:
    """Bartlett's test of sphericity (H0: the correlation matrix is the identity)."""

    chi2: float
    df: int
    p_value: float
    n: int


def bartlett_sphericity(df: pd.DataFrame, items: Sequence[str]) -> BartlettResult:
    """χ² = −(n − 1 − (2p + 5)/6) · ln|R|, df = p(p − 1)/2, as ``psych::cortest.bartlett``."""
    x = _complete_items(df, items)
    n, p = x.shape
    r = np.corrcoef(x, rowvar=False)
    sign, logdet = np.linalg.slogdet(r)
    if sign <= 0:
        raise ChainpbError(
            f"题项 {', '.join(items)} 的相关矩阵不是正定的，无法进行 Bartlett 球形检验。",
            f"the correlation matrix of items {', '.join(items)} is not positive definite; "
            "Bartlett's test cannot be computed.",
        )
    chi2 = -(n - 1 - (2 * p + 5) / 6) * logdet
    dof = p * (p - 1) // 2
    return BartlettResult(
        chi2=float(chi2), df=int(dof), p_value=float(stats.chi2.sf(chi2, dof)), n=int(n)
    )


# --------------------------------------------------------------------------------------------
# Exploratory factor analysis (minres + varimax)


@dataclass(frozen=True)
class EFAResult:
    """Exploratory factor analysis.

    ``loadings``: items × factors (``F1``, ``F2``, ...); ``communalities``: Σ loading² per item;
    ``variance``: per factor ``ss_loadings``, ``proportion`` (of the number of items) and
    ``cumulative``. ``uniquenesses`` = 1 − communality.
    """

    loadings: pd.DataFrame
    communalities: pd.Series
    uniquenesses: pd.Series
    variance: pd.DataFrame
    n: int
    rotation: str


def smc(r: np.ndarray) -> np.ndarray:
    """Squared multiple correlations 1 − 1/diag(R⁻¹), the start values of minres."""
    return 1 - 1 / np.diag(np.linalg.inv(r))


def _minres_loadings(r: np.ndarray, psi: np.ndarray, n_factors: int) -> np.ndarray:
    reduced = r - np.diag(psi)
    values, vectors = np.linalg.eigh(reduced)
    order = np.argsort(values)[::-1][:n_factors]
    return vectors[:, order] * np.sqrt(np.maximum(values[order], 0.0))


def minres(r: np.ndarray, n_factors: int) -> np.ndarray:
    """Unrotated minres loadings of correlation matrix ``r`` (see module docstring)."""
    p = r.shape[0]
    lower = np.tril_indices(p, -1)

    def objective(psi: np.ndarray) -> float:
        reduced = r.copy()
        np.fill_diagonal(reduced, 1 - psi)
        values, vectors = np.linalg.eigh(reduced)
        order = np.argsort(values)[::-1][:n_factors]
        values = np.maximum(values[order], 100 * np.finfo(float).eps)
        load = vectors[:, order] * np.sqrt(values)
        resid = (reduced - load @ load.T)[lower]
        return float((resid**2).sum())

    def gradient(psi: np.ndarray) -> np.ndarray:
        load = _minres_loadings(r, psi, n_factors)
        return np.diag(load @ load.T + np.diag(psi) - r).copy()

    start = 1 - smc(r)
    upper = max(float(smc(r).max()), 1.0)
    res = optimize.minimize(
        objective,
        start,
        jac=gradient,
        method="L-BFGS-B",
        bounds=[(MINRES_LOWER, upper)] * p,
        options={"ftol": 1e-14, "gtol": 1e-10, "maxiter": 1000},
    )
    return _minres_loadings(r, res.x, n_factors)


def varimax(loadings: np.ndarray, normalize: bool = True, eps: float = VARIMAX_EPS) -> np.ndarray:
    """Varimax rotation, a line-by-line port of R's ``stats::varimax`` (Kaiser normalisation)."""
    x = np.asarray(loadings, dtype="float64")
    p, nc = x.shape
    if nc < 2:
        return x.copy()
    sc = np.sqrt((x**2).sum(axis=1)) if normalize else np.ones(p)
    x = x / sc[:, None]
    rot = np.eye(nc)
    d = 0.0
    for _ in range(VARIMAX_MAX_ITER):
        z = x @ rot
        b = x.T @ (z**3 - z @ np.diag((z**2).sum(axis=0)) / p)
        u, s, vt = np.linalg.svd(b)
        rot = u @ vt
        d_past = d
        d = float(s.sum())
        if d < d_past * (1 + eps):
            break
    return (x @ rot) * sc[:, None]


def efa(
    df: pd.DataFrame, items: Sequence[str], n_factors: int, rotate: str = "varimax"
) -> EFAResult:
    """Minres EFA with varimax (or ``rotate="none"``) on listwise complete cases."""
    if rotate not in {"varimax", "none"}:
        raise ChainpbError(
            f"不支持的旋转方法「{rotate}」，可选：varimax、none。",
            f"unsupported rotation '{rotate}'; choose varimax or none.",
        )
    x = _complete_items(df, items)
    if not 1 <= n_factors < len(items):
        raise ChainpbError(
            f"因子数 {n_factors} 无效：应在 1 到题项数 − 1（{len(items) - 1}）之间。",
            f"number of factors {n_factors} is invalid: it must be between 1 and the number "
            f"of items − 1 ({len(items) - 1}).",
        )
    r = np.corrcoef(x, rowvar=False)
    load = minres(r, n_factors)
    # psych flips signs before and after rotation; flipping before keeps varimax's start fixed.
    load = load * _positive_signs(load)
    if rotate == "varimax" and n_factors > 1:
        load = varimax(load)
    load = load * _positive_signs(load)
    ss = (load**2).sum(axis=0)
    order = np.argsort(-ss, kind="stable")
    load, ss = load[:, order], ss[order]
    names = [f"F{j + 1}" for j in range(n_factors)]
    loadings = pd.DataFrame(load, index=list(items), columns=names)
    communalities = pd.Series((load**2).sum(axis=1), index=list(items), name="communality")
    variance = pd.DataFrame(
        {
            "ss_loadings": ss,
            "proportion": ss / len(items),
            "cumulative": np.cumsum(ss) / len(items),
        },
        index=names,
    )
    return EFAResult(
        loadings=loadings,
        communalities=communalities,
        uniquenesses=(1 - communalities).rename("uniqueness"),
        variance=variance,
        n=int(x.shape[0]),
        rotation=rotate,
    )


def _positive_signs(load: np.ndarray) -> np.ndarray:
    signs = np.sign(load.sum(axis=0))
    signs[signs == 0] = 1
    return signs


# --------------------------------------------------------------------------------------------
# Convergent and discriminant validity


def composite_reliability(loadings: Sequence[float] | np.ndarray) -> float:
    """CR = (Σλ)² / ((Σλ)² + Σ(1 − λ²)) from standardised loadings."""
    lam = np.asarray(loadings, dtype="float64")
    s = lam.sum() ** 2
    return float(s / (s + (1 - lam**2).sum()))


def average_variance_extracted(loadings: Sequence[float] | np.ndarray) -> float:
    """AVE = Σλ² / k from standardised loadings."""
    lam = np.asarray(loadings, dtype="float64")
    return float((lam**2).mean())


def one_factor_loadings(df: pd.DataFrame, items: Sequence[str]) -> pd.Series:
    """Standardised loadings of a one-factor minres solution (the basis of CR and AVE)."""
    return efa(df, items, 1, rotate="none").loadings["F1"].rename("loading")


# --------------------------------------------------------------------------------------------
# Per city and pooled over the items common to all cities


@dataclass(frozen=True)
class ScaleGroup:
    """One scale in one city, or pooled (``city == POOLED``): the items used and the outcome.

    ``n`` counts the listwise complete cases of ``items``. ``statistics`` holds α, one-factor
    loadings and KMO when the group could be analysed; otherwise ``reason_zh``/``reason_en`` say
    why. ``note_zh``/``note_en`` explain the pooled row (which items, which cities).
    """

    dim: str
    city: str
    items: tuple[str, ...]
    n: int
    alpha: AlphaResult | None = None
    loadings: pd.Series | None = None
    kmo: float = float("nan")
    reason_zh: str = ""
    reason_en: str = ""
    note_zh: str = ""
    note_en: str = ""

    @property
    def analysed(self) -> bool:
        return self.alpha is not None


@dataclass(frozen=True)
class CommonItems:
    """The pooled data on the items common to all cities, for the joint EFA, KMO/Bartlett and
    Fornell–Larcker: ``frame`` holds those item columns (values of cities left out of a scale's
    pooled row are missing), ``scales`` is a global ``{dim: spec}`` with the common items, and
    ``note_zh``/``note_en`` say so."""

    frame: pd.DataFrame
    scales: dict[str, dict[str, Any]]
    note_zh: str
    note_en: str


def _join(items: Sequence[str]) -> str:
    return ", ".join(items)


def _unusable(items: Sequence[str], block: pd.DataFrame) -> tuple[str, str] | None:
    """Why a city's scale gives no items to pool (no items, one item, no answers), or None."""
    if not items:
        return ("本市未设置该量表的题项", "no items of this scale are configured for the city")
    if len(items) < 2:
        return (
            f"本市该量表只有 1 个题项（{items[0]}），信度至少需要 2 个题项",
            f"the city's scale has only 1 item ({items[0]}); reliability needs at least 2 items",
        )
    if not block.notna().any().any():
        return (
            f"本市该量表的题项（{_join(items)}）全部缺失",
            f"all answers to the city's items of this scale ({_join(items)}) are missing",
        )
    return None


def _few_cases(n: int) -> tuple[str, str]:
    return (
        f"所有题项均作答的个案只有 {n} 个，至少需要 {MIN_CASES} 个",
        f"only {n} cases answered all items; at least {MIN_CASES} are needed",
    )


def _analyse(
    dim: str, city: str, frame: pd.DataFrame, items: Sequence[str], *, strict: bool
) -> ScaleGroup:
    """α, one-factor loadings and KMO of ``items`` in ``frame``; ``strict`` raises on failure,
    otherwise the failure becomes the group's reason (a small city must not stop the run)."""
    n = int(frame[list(items)].dropna().shape[0])
    if n < MIN_CASES and not strict:
        zh, en = _few_cases(n)
        return ScaleGroup(dim, city, tuple(items), n, reason_zh=zh, reason_en=en)
    try:
        return ScaleGroup(
            dim,
            city,
            tuple(items),
            n,
            alpha=cronbach_alpha(frame, items),
            loadings=one_factor_loadings(frame, items),
            kmo=kmo(frame, items).overall,
        )
    except ChainpbError as err:
        if strict:
            raise
        return ScaleGroup(dim, city, tuple(items), n, reason_zh=err.zh, reason_en=err.en)


@dataclass(frozen=True)
class ScaleAnalysis:
    """Every scale analysed once: ``groups[dim]`` is the pooled group (common items) followed by
    one group per city (sorted keys); ``common`` is the pooled data on the common items;
    ``labels`` the scale labels (``{dim: {label, label_en}}``)."""

    dims: list[str]
    labels: dict[str, dict[str, Any]]
    groups: dict[str, list[ScaleGroup]]
    common: CommonItems


def analyse_scales(
    df: pd.DataFrame, scales: Mapping[str, Any], *, city_column: str = "city_key"
) -> ScaleAnalysis:
    """Per scale: each city on its own items, and the pooled row on the common items.

    Without ``city_column`` in ``df`` (global ``scales`` only) there is one pooled group per
    scale on all rows, as before scales could differ by city.
    """
    if city_column not in df.columns:
        if is_per_city(scales):
            raise ChainpbError(
                f"按城市设置的量表需要数据中的 {city_column} 列，以确定每行属于哪个城市。",
                f"per-city scale settings need the {city_column} column in the data to tell "
                "which city each row belongs to.",
            )
        return _plan_without_cities(df, scales)
    cities = _cities_of(df, city_column)
    per_city = scales_by_city(scales, cities)
    dims = _dims(per_city)
    labels = _merged_labels(per_city)
    own = {
        city: {dim: city_scale_items(spec, dim) for dim in dims} for city, spec in per_city.items()
    }
    union = list(dict.fromkeys(i for c in cities for d in dims for i in own[c][d]))
    _require_columns(df, union, "数据 / data: ")
    city_of_row = df[city_column].astype(str).to_numpy()
    # A city's answers to an item that is not one of its items of the scale are no data of
    # the scale (a column can exist in every city's table while only some cities asked it).
    data = df[union].apply(pd.to_numeric, errors="coerce").astype("float64")
    for city in cities:
        asked = {i for d in dims for i in own[city][d]}
        data.loc[city_of_row == city, [c for c in union if c not in asked]] = np.nan

    groups: dict[str, list[ScaleGroup]] = {}
    pooled_frame = pd.DataFrame(index=df.index)
    common_scales: dict[str, dict[str, Any]] = {}
    notes_zh: list[str] = []
    notes_en: list[str] = []
    for dim in dims:
        city_rows: list[ScaleGroup] = []
        pooled_cities: list[str] = []
        left_out: list[tuple[str, str, str]] = []
        for city in cities:
            items = own[city][dim]
            block = data.loc[city_of_row == city, items]
            why = _unusable(items, block)
            if why is not None:
                n = int(block.dropna().shape[0]) if items else 0
                zh, en = why
                left_out.append((city, zh, en))
                city_rows.append(
                    ScaleGroup(
                        dim,
                        city,
                        tuple(items),
                        n,
                        reason_zh=zh,
                        reason_en=en,
                        note_zh=f"{zh}；未计入合并行",
                        note_en=f"{en}; left out of the pooled row",
                    )
                )
                continue
            pooled_cities.append(city)
            group = _analyse(dim, city, data.loc[city_of_row == city], items, strict=False)
            if not group.analysed:
                group = _with_note(group, group.reason_zh, group.reason_en)
            city_rows.append(group)
        common, note_zh, note_en = _common_items(pooled_cities, own, dim, left_out)
        # Rows of cities left out of this scale's pooled row carry no data of it.
        frame = data[common].copy()
        frame.loc[~np.isin(city_of_row, pooled_cities), :] = np.nan
        if not pooled_cities:
            zh, en = (
                "没有任何城市可计算该量表（见各城市行的说明）",
                "no city can be analysed for this scale (see the notes of the city rows)",
            )
            pooled = ScaleGroup(dim, POOLED, (), 0, reason_zh=zh, reason_en=en)
        elif len(common) < 2:
            per = "; ".join(f"{c}: {_join(own[c][dim])}" for c in pooled_cities)
            zh = f"各城市共同的题项少于 2 个（{per}），无法合并计算"
            en = f"fewer than 2 items are common to the cities ({per}); nothing to pool"
            pooled = ScaleGroup(dim, POOLED, tuple(common), 0, reason_zh=zh, reason_en=en)
        else:
            pooled = _analyse(dim, POOLED, frame, common, strict=True)
            for col in common:
                pooled_frame[col] = frame[col]
            common_scales[dim] = {**labels.get(dim, {}), "items": list(common)}
        groups[dim] = [
            _with_note(pooled, note_zh, note_en, reason=not pooled.analysed),
            *city_rows,
        ]
        name = labels.get(dim, {}).get("label") or dim
        name_en = labels.get(dim, {}).get("label_en") or dim
        if dim in common_scales:
            notes_zh.append(f"{name}：{note_zh}")
            notes_en.append(f"{name_en}: {note_en}")
        else:
            notes_zh.append(f"{name}：未纳入（{pooled.reason_zh}）")
            notes_en.append(f"{name_en}: not included ({pooled.reason_en})")
    pooled_common = CommonItems(
        frame=pooled_frame,
        scales=common_scales,
        note_zh="基于合并样本中各城市共同的题项。" + "；".join(notes_zh),
        note_en="On the pooled sample, items common to all cities. " + "; ".join(notes_en),
    )
    return ScaleAnalysis(dims=dims, labels=labels, groups=groups, common=pooled_common)


def _with_note(group: ScaleGroup, zh: str, en: str, *, reason: bool = False) -> ScaleGroup:
    if reason:
        zh, en = f"{group.reason_zh}；{zh}", f"{group.reason_en}; {en}"
    return replace(group, note_zh=zh, note_en=en)


def _common_items(
    cities: Sequence[str],
    own: Mapping[str, Mapping[str, list[str]]],
    dim: str,
    left_out: Sequence[tuple[str, str, str]],
) -> tuple[list[str], str, str]:
    """Items every pooled city has (in config order) and the note naming what is left out."""
    union = list(dict.fromkeys(i for c in cities for i in own[c][dim]))
    common = [i for i in union if all(i in own[c][dim] for c in cities)]
    zh = f"合并 {len(cities)} 个城市（{_join(cities)}）共同的题项：{_join(common) or '无'}"
    en = (
        f"pooled over the items common to {len(cities)} "
        f"{'city' if len(cities) == 1 else 'cities'} ({_join(cities)}): {_join(common) or 'none'}"
    )
    gaps = [(i, [c for c in cities if i not in own[c][dim]]) for i in union if i not in common]
    if gaps:
        zh += "（" + "；".join(f"{'、'.join(cs)} 未设 {i}" for i, cs in gaps) + "）"
        en += " (" + "; ".join(f"{i} not asked in {', '.join(cs)}" for i, cs in gaps) + ")"
    if left_out:
        zh += "；未计入合并：" + "；".join(f"{c}（{r}）" for c, r, _ in left_out)
        en += "; left out of the pooled row: " + "; ".join(f"{c} ({r})" for c, _, r in left_out)
    return common, zh, en


def _plan_without_cities(df: pd.DataFrame, scales: ScaleConfig) -> ScaleAnalysis:
    """No city column: one pooled row per scale on all rows, as before per-city scales."""
    groups = scale_items(scales)
    labels = {dim: {k: v for k, v in scales[dim].items() if k != "items"} for dim in groups}
    items = [i for group in groups.values() for i in group]
    _require_columns(df, items, "数据 / data: ")
    frame = df[items].apply(pd.to_numeric, errors="coerce").astype("float64")
    zh = "全部样本（数据中没有城市列，不分城市）"
    en = "all rows (the data have no city column; no per-city rows)"
    return ScaleAnalysis(
        dims=list(groups),
        labels=labels,
        groups={
            dim: [_with_note(_analyse(dim, POOLED, frame, its, strict=True), zh, en)]
            for dim, its in groups.items()
        },
        common=CommonItems(
            frame=frame,
            scales={dim: {**labels[dim], "items": its} for dim, its in groups.items()},
            note_zh=zh,
            note_en=en,
        ),
    )


def common_items(
    df: pd.DataFrame, scales: Mapping[str, Any], *, city_column: str = "city_key"
) -> CommonItems:
    """The pooled data on the items common to all cities (see :class:`CommonItems`)."""
    return analyse_scales(df, scales, city_column=city_column).common


def fornell_larcker(
    df: pd.DataFrame,
    scales: Mapping[str, Any],
    min_items: int = 3,
    language: str = "zh",
    *,
    city_column: str = "city_key",
) -> pd.DataFrame:
    """Fornell-Larcker table: √AVE on the diagonal, Pearson r of scale scores below it.

    Discriminant validity holds for a scale when its √AVE exceeds its correlations with every
    other scale. Correlations use pairwise complete scale scores; the upper triangle is NaN.
    With per-city scales both use the pooled items common to all cities (see
    :func:`common_items`); scales without a pooled row are left out.
    """
    common = common_items(df, scales, city_column=city_column)
    return fornell_larcker_from(common, min_items=min_items, language=language)


def fornell_larcker_from(
    common: CommonItems, min_items: int = 3, language: str = "zh"
) -> pd.DataFrame:
    """:func:`fornell_larcker` of already pooled common items."""
    groups = scale_items(common.scales)
    scores = score_scales(common.frame, common.scales, min_items=min_items)
    corr = scores.corr(method="pearson").to_numpy()
    dims = list(groups)
    table = np.full((len(dims), len(dims)), np.nan)
    for i, dim in enumerate(dims):
        lam = one_factor_loadings(common.frame, groups[dim])
        table[i, i] = np.sqrt(average_variance_extracted(lam))
        for j in range(i):
            table[i, j] = corr[i, j]
    labels = [scale_label(common.scales, d, language) for d in dims]
    return pd.DataFrame(table, index=labels, columns=labels)


# --------------------------------------------------------------------------------------------
# Journal tables

_HEADERS = {
    "zh": {
        "scale": "维度",
        "n_items": "题项数",
        "n": "有效样本",
        "alpha": "Cronbach's α",
        "std_alpha": "标准化α",
        "cr": "组合信度CR",
        "ave": "平均方差抽取量AVE",
        "kmo": "KMO",
        "city": "城市",
        "items_used": "所用题项",
        "note_zh": "说明",
        "note_en": "说明（英文）",
        "item": "题项",
        "loading": "因子载荷",
        "alpha_if_deleted": "删除该题项后的α",
        "r_drop": "校正的题项-总分相关",
    },
    "en": {
        "scale": "Scale",
        "n_items": "Items",
        "n": "N",
        "alpha": "Cronbach's α",
        "std_alpha": "Standardised α",
        "cr": "CR",
        "ave": "AVE",
        "kmo": "KMO",
        "city": "City",
        "items_used": "Items used",
        "note_zh": "Note (Chinese)",
        "note_en": "Note",
        "item": "Item",
        "loading": "Loading",
        "alpha_if_deleted": "α if item deleted",
        "r_drop": "Corrected item-total r",
    },
}


def _headers(language: str) -> dict[str, str]:
    if language not in _HEADERS:
        raise ChainpbError(
            f"不支持的语言「{language}」，可选：zh、en。",
            f"unsupported language '{language}'; choose zh or en.",
        )
    return _HEADERS[language]


def reliability_table(
    df: pd.DataFrame,
    scales: Mapping[str, Any],
    language: str = "zh",
    relabel: bool = False,
    *,
    city_column: str = "city_key",
) -> pd.DataFrame:
    """Per scale: the pooled row, then one row per city — N (listwise), α, standardised α, CR,
    AVE, KMO.

    Column keys are ``scale, n_items, n, alpha, std_alpha, cr, ave, kmo, city, items_used,
    note_zh, note_en``; with ``relabel=True`` they are replaced by journal headers in
    ``language``. ``city`` is the city key, or :data:`POOLED` for the row pooled over the items
    common to all cities (``items_used`` lists them, the note names what was left out). A city
    whose scale cannot be analysed keeps its row with missing statistics and the reason in the
    note. Without a city column in ``df`` only the pooled rows are given. The scale label is
    always in ``language``. Numbers are unrounded: rounding belongs to the presentation layer.
    """
    analysis = analyse_scales(df, scales, city_column=city_column)
    return reliability_from(analysis, language=language, relabel=relabel)


def reliability_from(
    analysis: ScaleAnalysis, language: str = "zh", relabel: bool = False
) -> pd.DataFrame:
    """:func:`reliability_table` of an already analysed set of scales."""
    head = _headers(language)
    rows = []
    for dim in analysis.dims:
        label = scale_label(analysis.labels, dim, language)
        for g in analysis.groups[dim]:
            lam = g.loadings
            rows.append(
                {
                    "scale": label,
                    "n_items": len(g.items),
                    "n": g.n,
                    "alpha": g.alpha.raw_alpha if g.alpha else np.nan,
                    "std_alpha": g.alpha.std_alpha if g.alpha else np.nan,
                    "cr": composite_reliability(lam) if lam is not None else np.nan,
                    "ave": average_variance_extracted(lam) if lam is not None else np.nan,
                    "kmo": g.kmo,
                    "city": g.city,
                    "items_used": _join(g.items),
                    "note_zh": g.note_zh,
                    "note_en": g.note_en,
                }
            )
    out = pd.DataFrame(rows)
    return out.rename(columns=head) if relabel else out


def item_table(
    df: pd.DataFrame,
    scales: Mapping[str, Any],
    language: str = "zh",
    item_labels: Mapping[str, Mapping[str, str]] | None = None,
    relabel: bool = False,
    *,
    city_column: str = "city_key",
) -> pd.DataFrame:
    """One row per item of each scale, pooled (common items) then per city: scale, item, label,
    one-factor loading, α if deleted, corrected r, city, note.

    ``item_labels`` is the config ``labels:`` mapping (``{item: {zh:..., en:...}}``); an item
    without a label is shown by its column name. The items of a city whose scale cannot be
    analysed are listed with missing statistics and the reason (one row with an empty item when
    the city has no items of the scale).
    """
    analysis = analyse_scales(df, scales, city_column=city_column)
    return items_from(analysis, language=language, item_labels=item_labels, relabel=relabel)


def items_from(
    analysis: ScaleAnalysis,
    language: str = "zh",
    item_labels: Mapping[str, Mapping[str, str]] | None = None,
    relabel: bool = False,
) -> pd.DataFrame:
    """:func:`item_table` of an already analysed set of scales."""
    head = _headers(language)
    item_labels = item_labels or {}
    rows = []
    for dim in analysis.dims:
        label = scale_label(analysis.labels, dim, language)
        for g in analysis.groups[dim]:
            stats_ = g.alpha.items.set_index("item") if g.alpha else None
            note_zh, note_en = ("", "") if g.analysed else (g.reason_zh, g.reason_en)
            for item in g.items or ("",):
                lab = item_labels.get(item, {})
                rows.append(
                    {
                        "scale": label,
                        "item": item,
                        "label": str(lab.get(language) or lab.get("zh") or item),
                        "loading": float(g.loadings[item]) if g.loadings is not None else np.nan,
                        "alpha_if_deleted": (
                            float(stats_.loc[item, "alpha_if_deleted"])
                            if stats_ is not None
                            else np.nan
                        ),
                        "r_drop": (
                            float(stats_.loc[item, "r_drop"]) if stats_ is not None else np.nan
                        ),
                        "city": g.city,
                        "note_zh": note_zh,
                        "note_en": note_en,
                    }
                )
    out = pd.DataFrame(rows)
    return out.rename(columns=head) if relabel else out

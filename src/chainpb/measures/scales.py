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
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from chainpb.errors import ChainpbError

ScaleConfig = Mapping[str, Mapping[str, Any]]

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


def score_scales(df: pd.DataFrame, scales: ScaleConfig, min_items: int = 3) -> pd.DataFrame:
    """Scale scores ``scale_<dim>`` = mean of the answered items, if at least ``min_items`` answered.

    Returns a DataFrame with the same index as ``df`` and one float column per scale. A row with
    fewer than ``min_items`` answered items gets a missing score rather than a mean of one or two
    items, which would be far noisier than the other respondents' scores.
    """
    if min_items < 1:
        raise ChainpbError(
            f"min_items 必须至少为 1，收到 {min_items}。",
            f"min_items must be at least 1, got {min_items}.",
        )
    out = pd.DataFrame(index=df.index)
    for dim, items in scale_items(scales).items():
        _require_columns(df, items, "调查数据 / survey data: ")
        block = df[items].apply(pd.to_numeric, errors="coerce").astype("float64")
        answered = block.notna().sum(axis=1)
        need = min(min_items, len(items))
        out[f"scale_{dim}"] = block.mean(axis=1, skipna=True).where(answered >= need)
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


def fornell_larcker(
    df: pd.DataFrame, scales: ScaleConfig, min_items: int = 3, language: str = "zh"
) -> pd.DataFrame:
    """Fornell-Larcker table: √AVE on the diagonal, Pearson r of scale scores below it.

    Discriminant validity holds for a scale when its √AVE exceeds its correlations with every
    other scale. Correlations use pairwise complete scale scores; the upper triangle is NaN.
    """
    groups = scale_items(scales)
    scores = score_scales(df, scales, min_items=min_items)
    corr = scores.corr(method="pearson").to_numpy()
    dims = list(groups)
    table = np.full((len(dims), len(dims)), np.nan)
    for i, dim in enumerate(dims):
        table[i, i] = np.sqrt(average_variance_extracted(one_factor_loadings(df, groups[dim])))
        for j in range(i):
            table[i, j] = corr[i, j]
    labels = [scale_label(scales, d, language) for d in dims]
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
    df: pd.DataFrame, scales: ScaleConfig, language: str = "zh", relabel: bool = False
) -> pd.DataFrame:
    """One row per scale: label, items, N (listwise), α, standardised α, CR, AVE, KMO.

    Column keys are ``scale, n_items, n, alpha, std_alpha, cr, ave, kmo``; with ``relabel=True``
    they are replaced by journal headers in ``language``. The scale label is always in
    ``language``. Numbers are unrounded: rounding belongs to the presentation layer.
    """
    head = _headers(language)
    rows = []
    for dim, items in scale_items(scales).items():
        a = cronbach_alpha(df, items)
        lam = one_factor_loadings(df, items)
        rows.append(
            {
                "scale": scale_label(scales, dim, language),
                "n_items": len(items),
                "n": a.n,
                "alpha": a.raw_alpha,
                "std_alpha": a.std_alpha,
                "cr": composite_reliability(lam),
                "ave": average_variance_extracted(lam),
                "kmo": kmo(df, items).overall,
            }
        )
    out = pd.DataFrame(rows)
    return out.rename(columns=head) if relabel else out


def item_table(
    df: pd.DataFrame,
    scales: ScaleConfig,
    language: str = "zh",
    item_labels: Mapping[str, Mapping[str, str]] | None = None,
    relabel: bool = False,
) -> pd.DataFrame:
    """One row per item: scale, item, label, one-factor loading, α if deleted, corrected r.

    ``item_labels`` is the config ``labels:`` mapping (``{item: {zh:..., en:...}}``); an item
    without a label is shown by its column name.
    """
    head = _headers(language)
    item_labels = item_labels or {}
    rows = []
    for dim, items in scale_items(scales).items():
        a = cronbach_alpha(df, items).items.set_index("item")
        lam = one_factor_loadings(df, items)
        for item in items:
            lab = item_labels.get(item, {})
            rows.append(
                {
                    "scale": scale_label(scales, dim, language),
                    "item": item,
                    "label": str(lab.get(language) or lab.get("zh") or item),
                    "loading": float(lam[item]),
                    "alpha_if_deleted": float(a.loc[item, "alpha_if_deleted"]),
                    "r_drop": float(a.loc[item, "r_drop"]),
                }
            )
    out = pd.DataFrame(rows)
    return out.rename(columns=head) if relabel else out

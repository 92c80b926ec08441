"""The estimation sample and design matrix shared by every estimator.

Order of operations (each step documented because it changes the numbers):

1. ``subset`` query on the analysis table;
2. listwise deletion over *every* model variable (outcome, regressors, controls, fixed
   effects, cluster, random-intercept group) — before the design and the cluster groups are
   built, so that cluster ids stay aligned with the rows actually used;
3. winsorising of the outcome (robustness variants only) at the given quantiles *of the
   estimation sample*, with numpy's default linear quantiles (R ``quantile(type = 7)``);
4. interactions: each variable of a pair is centred at its estimation-sample mean and the
   product of the centred variables enters as the term ``a_c:b_c``. The main effects stay
   uncentred under their own names: the fitted values, the product coefficient and the main
   effect coefficients (each the effect at the other variable's mean) are the same as in the
   fully centred model; only the intercept differs;
5. string or categorical controls enter as treatment-coded dummies ``C(var)[T.level]`` with the
   first category (config order, else sorted) as reference; unused categories are dropped;
6. columns that are exactly collinear with earlier ones are dropped (as Stata "omitted") and
   listed in ``FitResult.extra["dropped_collinear"]``; ``extra["collinear_with"]`` names, for
   each dropped term, the kept terms (or fixed effects) it is a linear combination of. The
   fit script logs them, estimates.csv carries them as rows with an empty estimate and a
   ``note``, and the regression tables say so in a note. (The Gram–Schmidt pass is skipped
   when a Cholesky factor of the Gram matrix shows that it would drop nothing:
   :func:`clearly_full_rank`.)

Estimability (checked before any estimator runs, each a bilingual stop that names the model
and outcome): the estimation sample must not be empty, the outcome must vary, N must exceed
the number of estimated coefficients, and cluster-robust inference needs enough clusters —
see :func:`check_clusters` for the rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from chainpb.errors import ChainpbError
from chainpb.models.spec import ModelJob, apply_subset, validate_job

INTERCEPT = "Intercept"


@dataclass(frozen=True)
class Design:
    """Estimation sample of one job: outcome, regressors (named columns) and grouping columns."""

    y: pd.Series
    X: pd.DataFrame  # with Intercept column unless ``intercept=False``
    frame: pd.DataFrame  # the estimation-sample rows of every model variable
    fe_dummies: tuple[str, ...]  # columns of X that are fixed-effect dummies (not reported)
    formula: str
    centring: dict[str, float] = field(default_factory=dict)
    winsor_bounds: tuple[float, float] | None = None
    dropped_collinear: tuple[str, ...] = ()
    # dropped term -> kept terms / fixed effects it is a linear combination of ([] = all zero)
    collinear_with: dict[str, tuple[str, ...]] = field(default_factory=dict)


def interaction_term(a: str, b: str) -> str:
    """The name of the centred product term, e.g. ``alliance_member_c:diff_resource_c``."""
    return f"{a}_c:{b}_c"


# Within :func:`reusing_samples`: (id(data), id(job)) -> (data, job, sample).
_SAMPLES: ContextVar[dict | None] = ContextVar("chainpb_estimation_samples", default=None)


@contextmanager
def reusing_samples() -> Iterator[None]:
    """Inside the block, :func:`estimation_sample` computes each (table, job) sample once.

    ``fit_job`` uses it so that the fit and :func:`design_facts` (and the FWL arrays of the
    wild bootstrap, the three paths of a mediation) share one subset query and listwise
    deletion; every call still returns its own copy. The table must not change inside.
    """
    token = _SAMPLES.set({})
    try:
        yield
    finally:
        _SAMPLES.reset(token)


def estimation_sample(data: pd.DataFrame, job: ModelJob) -> pd.DataFrame:
    """Subset, then listwise deletion over every model variable; index preserved."""
    memo = _SAMPLES.get()
    if memo is None:
        return _estimation_sample(data, job)
    key = (id(data), id(job))
    if key not in memo:
        # data and job are kept in the entry so that their ids stay theirs while it lives.
        memo[key] = (data, job, _estimation_sample(data, job))
    return memo[key][2].copy()


def _estimation_sample(data: pd.DataFrame, job: ModelJob) -> pd.DataFrame:
    validate_job(data, job)
    sample = apply_subset(data, job)
    cols = list(job.variables)
    complete = sample[cols].notna().all(axis=1)
    if not complete.any():
        # Name the variables that are missing in the selected rows, worst first, so the user
        # sees which one emptied the sample (often a variable missing for a whole subgroup).
        missing = sample[cols].isna().sum().sort_values(ascending=False, kind="mergesort")
        worst = ", ".join(f"{v} ({int(k)}/{len(sample)})" for v, k in missing.items() if k)
        where = f"subset「{job.spec.subset}」选中的 " if job.spec.subset else ""
        where_en = (
            f"the {len(sample)} rows selected by subset '{job.spec.subset}'"
            if job.spec.subset
            else f"all {len(sample)} rows"
        )
        raise ChainpbError(
            f"模型错误：模型「{job.model}」（被解释变量 {job.outcome}）的估计样本为空："
            f"{where}{len(sample)} 行在删除缺失值后一行不剩；缺失最多的变量（缺失数/行数）：{worst}。"
            "请检查这些变量在该子样本中是否有数据，或修改 subset、或从 controls 中去掉它们",
            f"Model error: model '{job.model}' (outcome {job.outcome}) has an empty estimation "
            f"sample: {where_en} all have a missing value; variables missing most (missing/rows): "
            f"{worst}. Check that these variables have data in this subsample, or change "
            "'subset', or remove them from 'controls'",
        )
    sample = sample.loc[complete, cols].copy()
    return sample


def winsorize(values: pd.Series, low: float, high: float) -> tuple[pd.Series, tuple[float, float]]:
    """Clip to the [low, high] quantiles of ``values`` (numpy linear = R type 7)."""
    lo, hi = np.quantile(values.to_numpy(dtype=float), [low, high])
    return values.astype(float).clip(lower=lo, upper=hi), (float(lo), float(hi))


def _is_categorical(s: pd.Series) -> bool:
    return (
        isinstance(s.dtype, pd.CategoricalDtype)
        or s.dtype == object
        or pd.api.types.is_string_dtype(s)
    )


def _str_levels(s: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Codes 0..L-1 of ``str(value)`` and the distinct strings in Python's sorted order.

    The same numbers as ``pd.factorize(s.astype(str), sort=True)`` and
    ``sorted(s.astype(str).unique())``, without converting every row to a Python string:
    the column is factorised as it is and only its distinct values are converted and
    sorted (several values with one string share its code). String, integer and boolean
    columns without missing values take this path; any other column (object, float,
    categorical, missing values) is converted row by row as before.
    """
    dtype = s.dtype
    fast = not isinstance(dtype, pd.CategoricalDtype) and (
        isinstance(dtype, pd.StringDtype)
        or pd.api.types.is_integer_dtype(dtype)
        or pd.api.types.is_bool_dtype(dtype)
    )
    if fast:
        raw, uniques = pd.factorize(s, use_na_sentinel=True)
        if not (raw < 0).any():
            strs = pd.Series(uniques).astype(str).tolist()
            levels = sorted(set(strs))
            rank = {v: i for i, v in enumerate(levels)}
            to_level = np.array([rank[v] for v in strs], dtype=np.intp)
            return to_level[raw], levels
    codes, levels = pd.factorize(s.astype(str), sort=True)
    return np.asarray(codes), [str(v) for v in levels]


def _dummies(s: pd.Series, name: str, *, drop_first: bool) -> pd.DataFrame:
    out = {}
    if isinstance(s.dtype, pd.CategoricalDtype):
        cat = s.cat.remove_unused_categories()
        levels = list(cat.cat.categories)
        for level in levels[1:] if drop_first else levels:
            out[f"C({name})[T.{level}]"] = (cat == level).astype(float).to_numpy()
    else:
        # Levels sorted as strings (str(value)); a dummy per level from the integer codes.
        codes, levels = _str_levels(s)
        for i, level in enumerate(levels):
            if i or not drop_first:
                out[f"C({name})[T.{level}]"] = (codes == i).astype(float)
    return pd.DataFrame(out, index=s.index)


def drop_collinear(X: pd.DataFrame, tol: float = 1e-9) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Drop columns that are (numerically) linear combinations of earlier columns."""
    keep: list[str] = []
    dropped: list[str] = []
    q = np.empty((len(X), 0))
    for col in X.columns:
        v = X[col].to_numpy(dtype=float)
        norm = np.linalg.norm(v)
        resid = v - q @ (q.T @ v) if q.shape[1] else v
        rnorm = np.linalg.norm(resid)
        if norm == 0 or rnorm <= tol * max(norm, 1.0) * np.sqrt(len(v)):
            dropped.append(col)
            continue
        # Re-orthogonalise once: classical Gram-Schmidt loses orthogonality on dummies.
        resid = resid - q @ (q.T @ resid) if q.shape[1] else resid
        q = np.column_stack([q, resid / np.linalg.norm(resid)])
        keep.append(col)
    return X[keep], tuple(dropped)


def clearly_full_rank(X: np.ndarray, tol: float = 1e-9) -> bool:
    """True when :func:`drop_collinear` (same ``tol``) would certainly keep every column.

    The Cholesky factor of the column-scaled Gram matrix holds, on its diagonal, each column's
    residual norm on the earlier columns divided by its own norm — the quantity
    ``drop_collinear`` compares with ``tol · max(norm, 1) · sqrt(n) / norm``. When every
    diagonal entry clears that bound 100-fold (and 1e-6, far above the Gram matrix's
    rounding) no column can be dropped, and the O(n·k²) Gram–Schmidt pass can be skipped;
    otherwise (``False``: undecided) the caller runs ``drop_collinear`` itself. Only decides
    *whether* columns are dropped, so the design's numbers are the same either way.
    """
    n, k = X.shape
    if k == 0:
        return True
    gram = X.T @ X
    norms = np.sqrt(np.diag(gram))
    if not np.all(norms > 0):
        return False
    try:
        chol = np.linalg.cholesky(gram / np.outer(norms, norms))
    except np.linalg.LinAlgError:
        return False
    bound = tol * np.maximum(norms, 1.0) * np.sqrt(n) / norms
    return bool(np.all(np.diag(chol) > np.maximum(100 * bound, 1e-6)))


def collinear_partners(
    X: pd.DataFrame, dropped: tuple[str, ...], tol: float = 1e-7
) -> dict[str, tuple[str, ...]]:
    """For each dropped column, the kept columns with a non-zero weight in its exact fit.

    Least squares of the dropped column on the kept ones; a kept column counts when its
    contribution (|coefficient| · column norm) exceeds ``tol`` times the dropped column's norm.
    An all-zero column gets ``()`` (it has no variation at all).
    """
    if not dropped:
        return {}
    kept = [c for c in X.columns if c not in set(dropped)]
    K = X[kept].to_numpy(dtype=float)
    out: dict[str, tuple[str, ...]] = {}
    for col in dropped:
        v = X[col].to_numpy(dtype=float)
        norm = float(np.linalg.norm(v))
        if norm == 0.0 or not kept:
            out[col] = ()
            continue
        beta = np.linalg.lstsq(K, v, rcond=None)[0]
        weight = np.abs(beta) * np.linalg.norm(K, axis=0)
        out[col] = tuple(kept[i] for i in np.flatnonzero(weight > tol * norm))
    return out


def _fe_name(column: str, fixed_effects: tuple[str, ...]) -> str:
    """``C(city_key)[T.b]`` → ``city_key`` for a fixed-effect dummy, else the column itself."""
    for fe in fixed_effects:
        if column.startswith(f"C({fe})[T."):
            return fe
    return column


def check_outcome_varies(y: pd.Series, job: ModelJob) -> None:
    """A constant outcome has nothing to explain (and zero total sum of squares)."""
    values = pd.unique(y.to_numpy(dtype=float))
    if len(values) < 2:
        subset = f"（subset「{job.spec.subset}」）" if job.spec.subset else ""
        subset_en = f" (subset '{job.spec.subset}')" if job.spec.subset else ""
        raise ChainpbError(
            f"模型错误：模型「{job.model}」的被解释变量「{y.name}」在估计样本{subset}的 {len(y)} 行中"
            f"取值全部相同（{values[0]:g}），没有可解释的差异。请检查该变量的数据（是否整列为同一值），"
            "或修改 subset，或从 outcomes 中去掉它",
            f"Model error: model '{job.model}': outcome '{y.name}' takes the same value "
            f"({values[0]:g}) in all {len(y)} rows of the estimation sample{subset_en}, so there is "
            "nothing to explain. Check the data of this variable, change 'subset', or remove it "
            "from 'outcomes'",
        )


def check_sample_size(n: int, k: int, job: ModelJob, outcome: str) -> None:
    """Residual degrees of freedom must be positive for any standard error."""
    if n <= k:
        raise ChainpbError(
            f"模型错误：模型「{job.model}」（被解释变量 {outcome}）只有 {n} 个观测值，却要估计 {k} 个系数"
            "（含固定效应水平），残差自由度不为正。请减少控制变量或固定效应，或放宽 subset",
            f"Model error: model '{job.model}' (outcome {outcome}) has {n} observations for {k} "
            "coefficients (fixed-effect levels included), leaving no residual degrees of freedom. "
            "Use fewer controls or fixed effects, or a wider 'subset'",
        )


def check_clusters(design: Design, job: ModelJob, cluster: tuple[str, ...]) -> None:
    """Enough clusters for cluster-robust inference, else a named stop.

    Rule: with G clusters (the smallest dimension when clustering two ways) the CR1 factor
    G/(G-1) and the t(G-1) reference need G ≥ 2, and the cluster-robust covariance has rank at
    most G − 1 (Cameron & Miller 2015, J. Human Resources 50(2), §VI), so a joint test of the
    q regressors of interest (the spec's ``regressors`` and interaction terms) needs
    G − 1 ≥ q. We stop when G < 2 or G ≤ q. Controls do not count in q: individual t-tests
    stay valid with K > G − 1 (the default specification has 12 chains and more than 11
    coefficients). The same minimum G ≥ 2 applies to the random-intercept ``group``.
    """
    if not cluster:
        return
    q = len(job.spec.regressors) + len(job.spec.interactions)
    for var in cluster:
        levels = _str_levels(design.frame[var])[1]
        g = len(levels)
        if g >= 2 and g > q:
            continue
        shown = ", ".join(levels[:5]) + ("…" if g > 5 else "")
        subset = f"（subset「{job.spec.subset}」）" if job.spec.subset else ""
        subset_en = f" (subset '{job.spec.subset}')" if job.spec.subset else ""
        need = max(2, q + 1)
        raise ChainpbError(
            f"模型错误：模型「{job.model}」（被解释变量 {job.outcome}）按「{var}」聚类，但估计样本{subset}"
            f"只有 {g} 个聚类（{shown}）；聚类稳健推断至少需要 {need} 个聚类（G ≥ 2 且 G > 关注的"
            f"解释变量数 {q}）。请去掉 cluster（改用异方差稳健标准误，cluster: []）、改用更粗的聚类"
            "变量，或放宽 subset",
            f"Model error: model '{job.model}' (outcome {job.outcome}) clusters by '{var}', but "
            f"the estimation sample{subset_en} has only {g} cluster(s) ({shown}); cluster-robust "
            f"inference needs at least {need} (G ≥ 2 and G > the {q} regressor(s) of interest). "
            "Drop the clustering (cluster: [] for HC1 robust SEs), cluster by a coarser variable, "
            "or widen 'subset'",
        )


def build_design(
    data: pd.DataFrame,
    job: ModelJob,
    *,
    regressors: tuple[str, ...] | None = None,
    outcome: str | None = None,
    intercept: bool = True,
    fe_as_dummies: bool = False,
) -> Design:
    """Estimation sample and design of ``job``.

    ``regressors``/``outcome`` override the spec (the mediation paths reuse one job).
    ``fe_as_dummies`` puts the fixed effects into X as dummies (logit/probit/ologit/mixed,
    and the dummy-variable check of the absorbed estimator); otherwise they are left for
    absorption (:mod:`chainpb.models.fe`).
    """
    spec = job.spec
    sample = estimation_sample(data, job)
    outcome = outcome or job.outcome
    regressors = spec.regressors if regressors is None else regressors
    y = sample[outcome].astype(float)
    check_outcome_varies(y, job)
    bounds = None
    if spec.winsorize is not None:
        y, bounds = winsorize(y, *spec.winsorize)

    parts: list[pd.DataFrame] = []
    if intercept:
        parts.append(pd.DataFrame({INTERCEPT: np.ones(len(sample))}, index=sample.index))
    terms: list[str] = []
    for var in dict.fromkeys([*regressors, *spec.controls]):
        s = sample[var]
        if _is_categorical(s):
            parts.append(_dummies(s, var, drop_first=True))
            terms.append(f"C({var})")
        else:
            parts.append(pd.DataFrame({var: s.astype(float)}, index=sample.index))
            terms.append(var)
    centring: dict[str, float] = {}
    for a, b in spec.interactions:
        for v in (a, b):
            if _is_categorical(sample[v]):
                raise ChainpbError(
                    f"模型错误：模型「{job.model}」的交互项变量「{v}」不是数值型，无法中心化",
                    f"Model error: model '{job.model}': interaction variable '{v}' is not numeric "
                    "and cannot be centred",
                )
            centring[v] = float(sample[v].astype(float).mean())
        prod = (sample[a].astype(float) - centring[a]) * (sample[b].astype(float) - centring[b])
        name = interaction_term(a, b)
        parts.append(pd.DataFrame({name: prod}, index=sample.index))
        terms.append(name)
    fe_cols: list[str] = []
    if fe_as_dummies:
        for fe in spec.fixed_effects:
            # Always drop a reference level: without an intercept the design is an ordered
            # model's, whose thresholds already play the constant's role.
            d = _dummies(sample[fe], fe, drop_first=True)
            fe_cols += list(d.columns)
            parts.append(d)
    X_all = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=sample.index)
    if clearly_full_rank(X_all.to_numpy(dtype=float)):
        # No column can be dropped (see clearly_full_rank): skip the O(n·k²) pass.
        X, dropped = X_all, ()
    else:
        X, dropped = drop_collinear(X_all)
    partners = collinear_partners(X_all, dropped)
    fe_kept = tuple(c for c in fe_cols if c in X.columns)
    if fe_as_dummies:
        terms += [f"C({fe})" for fe in spec.fixed_effects]
    formula = f"{outcome} ~ {' + '.join(terms) if terms else '1'}"
    if spec.fixed_effects and not fe_as_dummies:
        # fixest/reghdfe notation: the part after "|" is absorbed.
        formula += " | " + " + ".join(spec.fixed_effects)
    return Design(
        y=y,
        X=X,
        frame=sample,
        fe_dummies=fe_kept,
        formula=formula,
        centring=centring,
        winsor_bounds=bounds,
        dropped_collinear=tuple(d for d in dropped if d not in fe_cols),
        collinear_with={
            d: tuple(dict.fromkeys(_fe_name(p, spec.fixed_effects) for p in partners[d]))
            for d in dropped
            if d not in fe_cols
        },
    )


def group_codes(frame: pd.DataFrame, cols: tuple[str, ...]) -> np.ndarray:
    """Integer codes (sorted levels) of the grouping columns, one column per variable."""
    codes = [_str_levels(frame[c])[0] for c in cols]
    return np.column_stack(codes) if len(codes) > 1 else np.asarray(codes[0])


def tidy_coefs(
    names: list[str], params: np.ndarray, cov: np.ndarray, df: float | None, level: float = 0.95
) -> pd.DataFrame:
    """TIDY_COLUMNS from estimates and covariance; t(df) inference, normal when ``df`` is None."""
    from scipy import stats

    var = np.diag(cov).astype(float)
    # A two-way cluster V (V_a + V_b - V_ab) can have negative diagonal entries; report NaN as
    # R's vcovCL(fix = FALSE) does, rather than a misleading zero.
    se = np.sqrt(np.where(var > 0, var, np.nan))
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = params / se
    dist = stats.norm if df is None else stats.t(df)
    p = 2 * dist.sf(np.abs(stat))
    q = dist.ppf(0.5 + level / 2)
    return pd.DataFrame(
        {
            "term": names,
            "estimate": params,
            "std_error": se,
            "statistic": stat,
            "p_value": p,
            "conf_low": params - q * se,
            "conf_high": params + q * se,
        }
    )


# Columns that can name a row of the analysis table (the first one present and unique is used).
ROW_KEYS: tuple[str, ...] = ("enterprise_id",)


def _sample_rows(data: pd.DataFrame, sample: pd.DataFrame) -> tuple[str, list[str]]:
    """Key column and the keys of the estimation-sample rows, sorted.

    ``enterprise_id`` when the table has it without duplicates; else ``row``, the 0-based
    position of the row in the analysis table (as written to analysis.parquet).
    """
    for key in ROW_KEYS:
        if key in data.columns and data[key].notna().all() and data[key].is_unique:
            # numpy sorts str by code point, as sorted() does (200,000 rows: 0.1 s less)
            return key, np.sort(data.loc[sample.index, key].to_numpy(dtype=str)).tolist()
    positions = np.sort(data.index.get_indexer(sample.index)).tolist()
    if not positions:
        return "row", []
    # The decimal text of each position, as str() and numpy's astype(str) write it: the repr
    # of the list of ints is built in C, so splitting it is 2-3 times faster for 200,000 rows.
    return "row", repr(positions)[1:-1].split(", ")


def design_facts(
    data: pd.DataFrame,
    job: ModelJob,
    *,
    outcome: str | None = None,
    regressors: tuple[str, ...] | None = None,
) -> dict:
    """What a refit elsewhere needs beside the formula: the sample and the transformations.

    Recomputed with the same functions :func:`build_design` uses (same numbers, bit for bit):

    * ``sample``: the ``subset`` query as written, the columns of the listwise deletion
      (``complete_on``), N, the key column and the sorted keys of the rows used, and the
      SHA-256 of the keys joined by newlines. A mediation job's three equations share one
      sample, complete on outcome, treatment and mediator (``common_sample_of``);
    * ``transformations``: the winsorised variable with its quantiles and the cut points
      actually used (computed on the estimation sample, numpy linear = R type 7); the centring
      constants of the interaction variables (``<v>_c = <v> − mean``) and the product terms;
      the levels and reference level of every categorical regressor, control or fixed effect.
    """
    import hashlib

    spec = job.spec
    outcome = outcome or job.outcome
    regressors = spec.regressors if regressors is None else regressors
    sample = estimation_sample(data, job)
    key, keys = _sample_rows(data, sample)
    facts_sample: dict = {
        "subset": spec.subset,
        "complete_on": list(job.variables),
        "rule": (
            "subset 查询后，在 complete_on 的所有列上删除缺失值（列表删除）/ the subset query, "
            "then listwise deletion over every column of complete_on"
        ),
        "n": len(sample),
        "key": key,
        "keys_sha256": hashlib.sha256("\n".join(keys).encode("utf-8")).hexdigest(),
        "keys": keys,
    }
    if spec.type == "mediation":
        facts_sample["common_sample_of"] = ["c_path", "a_path", "b_path"]
        facts_sample["rule"] += (
            "；中介模型三条路径（c、a、b）用同一个共同样本：a 路径（中介变量为被解释变量）也要求原被解释"
            f"变量 {job.outcome} 不缺失 / the three paths (c, a, b) share one common sample: the "
            f"a path (mediator as outcome) also needs the outcome {job.outcome} to be present"
        )
    transformations: dict = {}
    if spec.winsorize is not None:
        _, bounds = winsorize(sample[outcome].astype(float), *spec.winsorize)
        transformations["winsorize"] = [
            {
                "variable": outcome,
                "quantiles": list(spec.winsorize),
                "bounds": list(bounds),
                "computed_on": "estimation sample / 估计样本",
                "quantile_method": "numpy linear = R quantile(type = 7)",
            }
        ]
    if spec.interactions:
        centring: dict[str, dict] = {}
        for a, b in spec.interactions:
            for v in (a, b):
                if not _is_categorical(sample[v]):
                    centring[f"{v}_c"] = {
                        "variable": v,
                        "mean": float(sample[v].astype(float).mean()),
                    }
        transformations["centring"] = centring
        transformations["interactions"] = [[f"{a}_c", f"{b}_c"] for a, b in spec.interactions]
    categorical: dict[str, dict] = {}
    for var in dict.fromkeys([*regressors, *spec.controls, *spec.fixed_effects]):
        s = sample[var]
        if _is_categorical(s):
            if isinstance(s.dtype, pd.CategoricalDtype):
                levels = [str(v) for v in s.cat.remove_unused_categories().cat.categories]
            else:
                levels = sorted(s.astype(str).unique())
            categorical[var] = {"levels": levels, "reference": levels[0]}
    if categorical:
        transformations["categorical"] = categorical
    return {"sample": facts_sample, "transformations": transformations}

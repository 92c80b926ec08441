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
   listed in ``FitResult.extra["dropped_collinear"]``.
"""

from __future__ import annotations

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


def interaction_term(a: str, b: str) -> str:
    """The name of the centred product term, e.g. ``alliance_member_c:diff_resource_c``."""
    return f"{a}_c:{b}_c"


def estimation_sample(data: pd.DataFrame, job: ModelJob) -> pd.DataFrame:
    """Subset, then listwise deletion over every model variable; index preserved."""
    validate_job(data, job)
    sample = apply_subset(data, job)
    cols = list(job.variables)
    sample = sample.loc[sample[cols].notna().all(axis=1), cols].copy()
    if sample.empty:
        raise ChainpbError(
            f"模型错误：模型「{job.model}」（被解释变量 {job.outcome}）删除缺失值后没有剩余样本",
            f"Model error: model '{job.model}' (outcome {job.outcome}) has no rows left after "
            "dropping missing values",
        )
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


def _dummies(s: pd.Series, name: str, *, drop_first: bool) -> pd.DataFrame:
    if isinstance(s.dtype, pd.CategoricalDtype):
        cat = s.cat.remove_unused_categories()
    else:
        cat = pd.Categorical(s.astype(str), categories=sorted(s.astype(str).unique()))
        cat = pd.Series(cat, index=s.index)
    levels = list(cat.cat.categories)
    out = {}
    for level in levels[1:] if drop_first else levels:
        out[f"C({name})[T.{level}]"] = (cat == level).astype(float).to_numpy()
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
    X = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=sample.index)
    X, dropped = drop_collinear(X)
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
    )


def group_codes(frame: pd.DataFrame, cols: tuple[str, ...]) -> np.ndarray:
    """Integer codes (sorted levels) of the grouping columns, one column per variable."""
    codes = [pd.factorize(frame[c].astype(str), sort=True)[0] for c in cols]
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

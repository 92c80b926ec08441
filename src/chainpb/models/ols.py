"""OLS with heteroskedasticity- or cluster-robust standard errors.

Conventions (the ``cov_type`` string of each result says which one applied):

* no cluster: HC1, ``N/(N-K)``, inference t(N-K) — Stata ``regress, vce(robust)``,
  R ``sandwich::vcovHC(type = "HC1")``;
* one cluster variable: CR1, ``G/(G-1) · (N-1)/(N-K)``, inference t(G-1) — Stata
  ``regress, vce(cluster g)``, R ``sandwich::vcovCL(type = "HC1")`` (default ``cadjust``).
  Computed by statsmodels ``cov_type="cluster"`` with ``use_correction=True``,
  ``df_correction=True``, ``use_t=True``;
* two cluster variables: Cameron-Gelbach-Miller ``V = V_a + V_b - V_ab`` where each component
  carries its *own* ``G_i/(G_i-1)`` and the common ``(N-1)/(N-K)``, inference t(min(G_a, G_b)-1).
  This is R ``vcovCL(cluster = ~a + b, type = "HC1")`` and Petersen's / ``cgmreg`` convention
  (reproduces Petersen's published two-way SEs). Stata ``ivreg2``/``reghdfe`` instead apply
  ``G_min/(G_min-1)`` to all components; the difference is small when both G are large. No
  eigenvalue fix is applied to a non-positive-definite V (as ``vcovCL(fix = FALSE)``).

K counts every estimated coefficient, including absorbed fixed-effect levels (see
:mod:`chainpb.models.fe`).

Few clusters: with one cluster variable and G < 30 (the spec's ``wild_bootstrap``, default
``when: few_clusters``) every coefficient also gets a restricted wild cluster bootstrap p-value
and a test-inversion interval (Webb weights, 999 replications, seed from config), stored in
``extra["wild_bootstrap"]`` (:mod:`chainpb.models.wild`); absorbed fixed effects are partialled
out first (FWL). The fit log warns when G < 30.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd
import statsmodels.api as sm

from chainpb.models.design import (
    Design,
    build_design,
    check_clusters,
    check_sample_size,
    group_codes,
    tidy_coefs,
)
from chainpb.models.result import FitResult
from chainpb.models.spec import ModelJob
from chainpb.models.wild import FEW_CLUSTERS, few_clusters_warning, wild_cluster_bootstrap


def cov_type_label(cluster: tuple[str, ...], absorbed: bool = False) -> str:
    """Human-readable covariance convention, Chinese first."""
    if not cluster:
        label = "异方差稳健标准误 HC1: N/(N-K), t(N-K)"
    elif len(cluster) == 1:
        label = f"聚类稳健标准误 cluster({cluster[0]}): CR1 (G/(G-1))·((N-1)/(N-K)), t(G-1)"
    else:
        a, b = cluster
        label = (
            f"双向聚类稳健标准误 cluster({a}, {b}): Cameron-Gelbach-Miller V_a+V_b-V_ab, "
            "each component G_i/(G_i-1)·(N-1)/(N-K), t(min(G)-1)"
        )
    if absorbed:
        label += "; K 含被吸收的固定效应水平数 (areg/dummy-OLS convention)"
    return label


def robust_ols(
    y: np.ndarray,
    X: np.ndarray,
    clusters: np.ndarray | None,
    *,
    extra_df: int = 0,
    hasconst: bool | None = None,
) -> tuple[np.ndarray, np.ndarray, float, int | None, object]:
    """OLS estimates, robust covariance, inference df and number of clusters (smallest dimension).

    ``extra_df`` is the number of coefficients not in ``X`` that the model estimated (absorbed
    fixed-effect levels); K in the small-sample factors becomes ``X.shape[1] + extra_df``.
    ``clusters`` must already be aligned with the rows of ``X`` (one or two columns).
    ``hasconst`` is passed to ``statsmodels.OLS``: it only decides the R² convention of the
    returned statsmodels result (None: statsmodels detects a constant, with two SVDs of ``X``
    when no column is constant); estimates and covariance do not depend on it.
    """
    n, k = X.shape
    model = sm.OLS(y, X, hasconst=hasconst)
    if clusters is None:
        res = model.fit(cov_type="HC1", use_t=True)
        scale = (n - k) / (n - k - extra_df)
        df: float = n - k - extra_df
        n_clusters = None
    else:
        res = model.fit(
            cov_type="cluster",
            cov_kwds={"groups": clusters, "use_correction": True, "df_correction": True},
            use_t=True,
        )
        # statsmodels uses (N-1)/(N-k) with k = columns of X; replace k by the full K.
        scale = (n - k) / (n - k - extra_df)
        g = [len(pd.unique(c)) for c in np.atleast_2d(clusters.T)]
        n_clusters = min(g)
        df = n_clusters - 1
    cov = np.asarray(res.cov_params()) * scale
    return np.asarray(res.params), cov, df, n_clusters, res


def linear_result(
    job: ModelJob,
    design: Design,
    params: np.ndarray,
    cov: np.ndarray,
    df: float,
    n_clusters: int | None,
    *,
    r2: float,
    adj_r2: float,
    within_r2: float | None = None,
    absorbed: bool = False,
    extra: dict | None = None,
    model: str | None = None,
    regressors: tuple[str, ...] | None = None,
) -> FitResult:
    """Package a linear fit as a :class:`FitResult` (FE dummies are not reported)."""
    spec = job.spec
    names = list(design.X.columns)
    keep = [i for i, c in enumerate(names) if c not in design.fe_dummies]
    kept = [names[i] for i in keep]
    coefs = tidy_coefs(kept, params[keep], cov[np.ix_(keep, keep)], df)
    info = {
        "df_inference": float(df),
        "dropped_collinear": list(design.dropped_collinear),
        "collinear_with": {k: list(v) for k, v in design.collinear_with.items()},
        "label_en": spec.label_en,
        "replaced": dict(spec.replace),
    }
    if design.centring:
        info["centring_means"] = dict(design.centring)
        info["simple_slopes"] = simple_slopes(job, design, params, cov, df)
    if design.winsor_bounds is not None:
        info["winsorize"] = {
            "quantiles": list(spec.winsorize or ()),
            "bounds": list(design.winsor_bounds),
            "applied_to": design.y.name,
        }
    info.update(extra or {})
    return FitResult(
        model=model or job.model,
        outcome=str(design.y.name),
        estimator=spec.estimator,
        formula=design.formula,
        coefs=coefs,
        nobs=len(design.y),
        cov_type=cov_type_label(spec.cluster, absorbed),
        n_clusters=n_clusters,
        r2=float(r2),
        adj_r2=float(adj_r2),
        within_r2=None if within_r2 is None else float(within_r2),
        fixed_effects=spec.fixed_effects,
        controls=spec.controls,
        regressors=spec.regressors if regressors is None else regressors,
        cluster=spec.cluster,
        subset=spec.subset,
        label=spec.label,
        variant=spec.variant,
        extra=info,
        vcov=pd.DataFrame(cov[np.ix_(keep, keep)], index=kept, columns=kept),
        df_inference=float(df),
    )


def simple_slopes(
    job: ModelJob, design: Design, params: np.ndarray, cov: np.ndarray, df: float | None
) -> list[dict]:
    """Slopes of the first variable of each interaction pair at values of the second.

    At 0 and 1 when the moderator is binary, else at mean - 1 SD, mean, mean + 1 SD (SD of the
    estimation sample, ddof = 1). Slope = b_x + b_xm·(m - mean_m); its variance comes from the
    covariance matrix: V_xx + (m - mean_m)² V_ii + 2 (m - mean_m) V_xi.
    """
    from scipy import stats

    names = list(design.X.columns)
    out: list[dict] = []
    for focal, moderator in job.spec.interactions:
        term = f"{focal}_c:{moderator}_c"
        if focal not in names or term not in names:
            continue
        i, j = names.index(focal), names.index(term)
        m = design.frame[moderator].astype(float)
        mean = design.centring[moderator]
        if set(np.unique(m)) <= {0.0, 1.0}:
            points = [("0", 0.0), ("1", 1.0)]
        else:
            sd = float(m.std(ddof=1))
            points = [("mean-1sd", mean - sd), ("mean", mean), ("mean+1sd", mean + sd)]
        dist = stats.norm if df is None else stats.t(df)
        q = dist.ppf(0.975)
        for at_label, at in points:
            d = at - mean
            est = params[i] + params[j] * d
            se = float(np.sqrt(cov[i, i] + d * d * cov[j, j] + 2 * d * cov[i, j]))
            out.append(
                {
                    "focal": focal,
                    "moderator": moderator,
                    "at": at_label,
                    "moderator_value": float(at),
                    "estimate": float(est),
                    "std_error": se,
                    "p_value": float(2 * dist.sf(abs(est / se))),
                    "conf_low": float(est - q * se),
                    "conf_high": float(est + q * se),
                }
            )
    return out


def fit_ols(data: pd.DataFrame, job: ModelJob, **design_kw) -> FitResult:
    """OLS of one job; absorbed fixed effects go through :func:`chainpb.models.fe.fit_absorbed`."""
    if job.spec.fixed_effects:
        from chainpb.models.fe import fit_absorbed

        res = fit_absorbed(data, job, **design_kw)
        return _few_clusters(res, job, lambda: _absorbed_arrays(data, job, design_kw, res))
    model = design_kw.pop("model", None)
    regressors = design_kw.get("regressors")
    design = build_design(data, job, **design_kw)
    check_clusters(design, job, job.spec.cluster)
    check_sample_size(len(design.y), design.X.shape[1], job, str(design.y.name))
    clusters = group_codes(design.frame, job.spec.cluster) if job.spec.cluster else None
    y = design.y.to_numpy(float)
    X = design.X.to_numpy(float)
    params, cov, df, g, res = robust_ols(y, X, clusters)
    out = linear_result(
        job,
        design,
        params,
        cov,
        df,
        g,
        r2=res.rsquared,
        adj_r2=res.rsquared_adj,
        model=model,
        regressors=regressors,
    )
    return _few_clusters(out, job, lambda: (y, X, clusters, None))


def wild_bootstrap_due(job: ModelJob, n_clusters: int | None) -> bool:
    """Whether the spec's ``wild_bootstrap`` applies: one cluster variable, and G < 30 unless
    ``when: always`` (``when: never`` switches it off)."""
    when = job.spec.wild_bootstrap.when
    if len(job.spec.cluster) != 1 or n_clusters is None or when == "never":
        return False
    return when == "always" or n_clusters < FEW_CLUSTERS


def _few_clusters(
    res: FitResult,
    job: ModelJob,
    arrays: Callable[[], tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]],
) -> FitResult:
    """Add the wild cluster bootstrap when due and log the few-clusters warning.

    ``arrays()`` returns (y, X, cluster codes, FE codes or None) with X's columns the reported
    terms (demeaned when FE codes are given).
    """
    due = wild_bootstrap_due(job, res.n_clusters)
    few_clusters_warning(res.model, res.outcome, res.n_clusters, wild=due)
    if not due:
        return res
    y, X, clusters, fe_codes = arrays()
    wild = job.spec.wild_bootstrap
    record = wild_cluster_bootstrap(
        y,
        X,
        clusters,
        [str(t) for t in res.coefs["term"]],
        reps=wild.reps,
        seed=wild.seed,
        weights=wild.weights,
        fe_codes=fe_codes,
    )
    return replace(res, extra={**res.extra, "wild_bootstrap": record})


def _absorbed_arrays(
    data: pd.DataFrame, job: ModelJob, design_kw: dict, res: FitResult
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The absorbed fit's outcome and reported terms, demeaned by its fixed effects (FWL):
    the same design and the same demeaning (:func:`chainpb.models.fe.demean`) as :func:`fit_absorbed`."""
    from chainpb.models.fe import demean

    kw = {k: v for k, v in design_kw.items() if k != "model"}
    design = build_design(data, job, intercept=False, **kw)
    fe_codes = group_codes(design.frame, job.spec.fixed_effects)
    terms = [str(t) for t in res.coefs["term"]]
    both = demean(
        np.column_stack([design.y.to_numpy(float), design.X[terms].to_numpy(float)]), fe_codes
    )
    return both[:, 0], both[:, 1:], group_codes(design.frame, job.spec.cluster), fe_codes

"""Logit and probit for 0/1 outcomes, ordered logit for Likert outcomes (e.g. ``resilience``).

* Fixed effects enter as dummies (few levels: cities, chains); absorption is for OLS only,
  because the within transformation does not remove fixed effects from a nonlinear model.
* Standard errors: with a cluster variable, statsmodels ``cov_type="cluster"`` with
  ``use_correction=True``: ``G/(G-1) · (N-1)/(N-K)`` applied to the sandwich of the scores,
  which is R ``sandwich::vcovCL(fit, cluster = ~g, type = "HC1")`` (Stata's ``logit,
  vce(cluster)`` omits ``(N-1)/(N-K)``; the difference is < 0.1 % for N ≈ 1300). Two cluster
  variables use the Cameron-Gelbach-Miller sum as for OLS. Without clusters: HC1 sandwich.
  The convention is the same for logit, probit and ordered logit (K counts the thresholds of
  the ordered logit, as sandwich's ``estfun.polr`` does).
* Inference: with clusters, t(G−1) (two cluster variables: t(min(G)−1)) for p-values and
  intervals, as for OLS: with few clusters (12 chains) z over-rejects; ``df_inference = G − 1``
  (R: ``lmtest::coeftest(fit, vcov = vcovCL(fit, cluster = ~g, type = "HC1"), df = G - 1)``;
  Stata's ``logit, vce(cluster g)`` reports z). Without clusters: normal (z), as in Stata and
  R. The bread is the inverse
  *observed* information (Stata); for logit it equals R glm's expected information, for
  probit R ``vcovCL(glm)`` differs by about 1 % because glm uses the expected information.
* Ordered logit (``OrderedModel``, ``distr="logit"``): P(Y ≤ j) = F(τ_j − x'β), the same sign
  convention as R ``MASS::polr`` (polr's ``zeta`` are our thresholds τ_j). Thresholds are not
  regression terms: they go to ``extra["thresholds"]``.
* Pseudo R² is McFadden's, 1 − llf/llnull.
* Logit and probit also store average marginal effects of every reported term in
  ``extra["ame"]`` (:mod:`chainpb.models.margins`: derivative for continuous regressors, discrete
  change for 0/1 and categorical ones; delta-method SE from the same covariance, same t(G−1) or
  normal reference); models with interactions get none.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.miscmodels.ordinal_model import OrderedModel

from chainpb.errors import ChainpbError
from chainpb.models.design import (
    build_design,
    check_clusters,
    check_sample_size,
    group_codes,
    tidy_coefs,
)
from chainpb.models.margins import average_marginal_effects
from chainpb.models.ols import cov_type_label
from chainpb.models.result import FitResult
from chainpb.models.spec import ModelJob
from chainpb.models.wild import few_clusters_warning


def _glm_cov_label(cluster: tuple[str, ...]) -> str:
    if not cluster:
        return "异方差稳健标准误 HC1 sandwich: N/(N-K), z"
    # Same CR1 / two-way convention and t(G-1) / t(min(G)-1) reference as clustered OLS.
    return cov_type_label(cluster)


def fit_glm(data: pd.DataFrame, job: ModelJob) -> FitResult:
    """Logit, probit or ordered logit of one job, cluster-robust when the spec clusters."""
    spec = job.spec
    ordered = spec.estimator == "ologit"
    design = build_design(data, job, intercept=not ordered, fe_as_dummies=True)
    y = design.y
    values = set(np.unique(y))
    if not ordered and not values <= {0.0, 1.0}:
        raise ChainpbError(
            f"模型错误：模型「{job.model}」用 {spec.estimator} 估计，被解释变量「{job.outcome}」"
            f"应只取 0/1，实际取值 {sorted(values)[:10]}",
            f"Model error: model '{job.model}' uses {spec.estimator}; outcome '{job.outcome}' "
            f"must be 0/1, found values {sorted(values)[:10]}",
        )
    if ordered and len(values) < 3:
        raise ChainpbError(
            f"模型错误：模型「{job.model}」用有序 logit 估计，被解释变量「{job.outcome}」至少应有 3 个等级",
            f"Model error: model '{job.model}' uses ordered logit; outcome '{job.outcome}' "
            "needs at least 3 levels",
        )
    check_clusters(design, job, spec.cluster)
    # Ordered logit also estimates len(values) - 1 thresholds.
    k_total = design.X.shape[1] + (len(values) - 1 if ordered else 0)
    check_sample_size(len(y), k_total, job, job.outcome)
    clusters = group_codes(design.frame, spec.cluster) if spec.cluster else None
    fit_kw: dict = (
        {"cov_type": "cluster", "cov_kwds": {"groups": clusters, "use_correction": True}}
        if clusters is not None
        else {"cov_type": "HC1"}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if ordered:
                model = OrderedModel(y.astype(float), design.X, distr="logit")
                res = model.fit(method="bfgs", maxiter=5000, disp=0, gtol=1e-8, **fit_kw)
            elif spec.estimator == "logit":
                res = sm.Logit(y, design.X).fit(disp=0, maxiter=200, **fit_kw)
            else:
                res = sm.Probit(y, design.X).fit(disp=0, maxiter=200, **fit_kw)
        except Exception as exc:  # perfect separation, singular Hessian
            raise ChainpbError(
                f"模型错误：模型「{job.model}」（被解释变量 {job.outcome}）的 {spec.estimator} 无法估计：{exc}"
                "（常见原因：完全分离，某一组全为 0 或全为 1）",
                f"Model error: {spec.estimator} of model '{job.model}' (outcome {job.outcome}) "
                f"failed: {exc} (often perfect separation)",
            ) from exc
    converged = bool(res.mle_retvals.get("converged", True))
    names = list(design.X.columns)
    k = len(names)
    params = np.asarray(res.params)[:k]
    cov = np.asarray(res.cov_params())[:k, :k]
    keep = [i for i, c in enumerate(names) if c not in design.fe_dummies]
    kept = [names[i] for i in keep]
    n_clusters = (
        min(len(np.unique(c)) for c in np.atleast_2d(clusters.T)) if clusters is not None else None
    )
    # Clustered: t(G-1) (min(G)-1 with two cluster variables); otherwise normal.
    df = None if n_clusters is None else float(n_clusters - 1)
    coefs = tidy_coefs(kept, params[keep], cov[np.ix_(keep, keep)], df)
    few_clusters_warning(job.model, job.outcome, n_clusters)
    extra: dict = {
        "converged": converged,
        "llf": float(res.llf),
        "llnull": float(res.llnull),
        "dropped_collinear": list(design.dropped_collinear),
        "collinear_with": {k: list(v) for k, v in design.collinear_with.items()},
        "label_en": spec.label_en,
        "fixed_effects_as": "dummies",
    }
    if not ordered:
        ame = average_marginal_effects(design.X, params, cov, spec.estimator, kept, df)
        if ame is not None:
            extra["ame"] = ame
    if ordered:
        cuts = model.transform_threshold_params(np.asarray(res.params))[1:-1]
        levels = sorted(values)
        extra["thresholds"] = {
            f"{levels[i]:g}|{levels[i + 1]:g}": float(c) for i, c in enumerate(cuts)
        }
    return FitResult(
        model=job.model,
        outcome=job.outcome,
        estimator=spec.estimator,
        formula=design.formula,
        coefs=coefs,
        nobs=len(y),
        cov_type=_glm_cov_label(spec.cluster),
        n_clusters=n_clusters,
        pseudo_r2=float(1 - res.llf / res.llnull),
        fixed_effects=spec.fixed_effects,
        controls=spec.controls,
        regressors=spec.regressors,
        cluster=spec.cluster,
        subset=spec.subset,
        label=spec.label,
        variant=spec.variant,
        extra=extra,
        # Clustered: a linear hypothesis is tested with F(q, G-1); else chi-square(q).
        vcov=pd.DataFrame(cov[np.ix_(keep, keep)], index=kept, columns=kept),
        df_inference=df,
    )

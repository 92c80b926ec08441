"""Equal coefficients across two subgroup models, by one pooled, fully interacted regression.

For ``compare: {with: B, terms: [x]}`` on model A (two OLS models that differ only in their
disjoint ``subset``), the rows of A and of B are stacked with the indicator ``D = in_B``
(1 for B's rows) and every coefficient gets a group-specific version:

    y = Xβ + (X·D)δ + group-specific fixed effects (each FE interacted with D) + e

``Intercept`` (no fixed effects) becomes ``Intercept`` and ``in_B``; a product is named
``<term>:in_B``. β reproduces A's separate fit and β + δ B's, exactly; δ_x = β_B,x − β_A,x.
The covariance is clustered as both models cluster (CR1, ``G/(G−1)·(N−1)/(N−K)`` with the
pooled N, K and G, K counting the absorbed group-specific FE levels — :mod:`chainpb.models.ols`),
so a chain holding firms of both groups contributes the covariance between the two groups'
estimates that two separate fits ignore. The test of δ_x = 0 (:mod:`chainpb.models.hypotheses`)
is then a test of equal coefficients with a joint covariance — R:
``lm(y ~ 0 + factor(paste(fe, D)) + (x + controls) * D - D)`` with
``car::linearHypothesis(fit, "x:D = 0", vcov. = vcovCL(fit, cluster = ~g, type = "HC1"))``.

The two subsets must not share a row (checked before anything is fitted). Each group's
estimation sample is its model's own (subset, then listwise deletion); a winsorised outcome is
clipped within each group, as in the separate fits.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from chainpb.errors import ChainpbError
from chainpb.models.design import (
    INTERCEPT,
    Design,
    build_design,
    check_clusters,
    check_sample_size,
    collinear_partners,
    drop_collinear,
    estimation_sample,
    group_codes,
    winsorize,
)
from chainpb.models.fe import absorbed_rank, demean
from chainpb.models.ols import linear_result, robust_ols
from chainpb.models.result import FitResult
from chainpb.models.spec import ComparisonJob, ModelJob, _row_labels, apply_subset


def check_disjoint(data: pd.DataFrame, cjob: ComparisonJob) -> None:
    """Stop when a row is selected by both models' ``subset``."""
    job_a = ModelJob(cjob.model, cjob.outcome, cjob.spec)
    job_b = ModelJob(cjob.other, cjob.outcome, cjob.other_spec)
    rows_a = apply_subset(data, job_a).index
    rows_b = apply_subset(data, job_b).index
    both = rows_a.intersection(rows_b)
    if len(both):
        shown = _row_labels(data.loc[both])
        raise ChainpbError(
            f"模型错误：模型「{cjob.model}」（subset「{cjob.spec.subset}」）与「{cjob.other}」"
            f"（subset「{cjob.other_spec.subset}」）的子样本有 {len(both)} 个相同的企业（行 {shown}），"
            "组间系数比较要求两组互不重叠。请修改其中一个 subset，使两组不相交",
            f"Model error: the subsets of model '{cjob.model}' ('{cjob.spec.subset}') and "
            f"'{cjob.other}' ('{cjob.other_spec.subset}') share {len(both)} firms (rows {shown}); "
            "comparing coefficients across groups needs disjoint groups. Change one 'subset' so "
            "that they do not overlap",
        )


def fit_comparison(data: pd.DataFrame, cjob: ComparisonJob) -> FitResult:
    """The pooled, fully interacted OLS of one comparison (see the module docstring)."""
    if not data.index.is_unique:
        data = data.reset_index(drop=True)
    check_disjoint(data, cjob)
    spec = cjob.spec
    ind = cjob.indicator
    job_a = ModelJob(cjob.model, cjob.outcome, spec)
    job_b = ModelJob(cjob.other, cjob.outcome, cjob.other_spec)
    sample_a = estimation_sample(data, job_a)
    sample_b = estimation_sample(data, job_b)
    pooled = pd.concat([sample_a, sample_b])
    pooled[ind] = np.r_[np.zeros(len(sample_a)), np.ones(len(sample_b))]
    # One job over the stacked rows: no subset (the rows are already chosen), no winsorising
    # (done per group below); it yields the shared design columns and the cluster checks.
    pooled_spec = replace(spec, name=cjob.name, subset=None, winsorize=None, tests=(), compare=())
    pooled_job = ModelJob(cjob.name, cjob.outcome, pooled_spec)
    absorb = bool(spec.fixed_effects)
    design = build_design(pooled, pooled_job, intercept=not absorb)
    y = design.y.copy()
    winsor: dict[str, list[float]] = {}
    if spec.winsorize is not None:
        for name, rows in ((cjob.model, sample_a.index), (cjob.other, sample_b.index)):
            clipped, bounds = winsorize(y.loc[rows], *spec.winsorize)
            y.loc[rows] = clipped
            winsor[name] = list(bounds)
    d = pooled[ind].to_numpy(float)
    main = design.X
    products = main.mul(d, axis=0)
    products.columns = [ind if c == INTERCEPT else f"{c}:{ind}" for c in main.columns]
    X_all = pd.concat([main, products], axis=1)
    frame = design.frame.copy()
    frame[ind] = pooled[ind]
    fe_frame = frame.copy()
    for fe in spec.fixed_effects:
        # Group-specific fixed effects: each level of each FE once per group.
        fe_frame[fe] = frame[fe].astype(str) + "\x1f" + frame[ind].astype(int).astype(str)
    if absorb:
        codes = group_codes(fe_frame, spec.fixed_effects)
        both = demean(np.column_stack([y.to_numpy(float), X_all.to_numpy(float)]), codes)
        y_fit = both[:, 0]
        X_fit_all = pd.DataFrame(both[:, 1:], columns=X_all.columns, index=X_all.index)
        k_fe = absorbed_rank(fe_frame, spec.fixed_effects)
    else:
        y_fit = y.to_numpy(float)
        X_fit_all = X_all
        k_fe = 0
    X_fit, dropped = drop_collinear(X_fit_all)
    partners = collinear_partners(X_fit_all, dropped)
    fe_names = tuple(f"{fe}^{ind}" for fe in spec.fixed_effects)
    collinear_with = {
        t: tuple(dict.fromkeys([*partners[t], *fe_names])) if absorb else tuple(partners[t])
        for t in dropped
    }
    kept = list(X_fit.columns)
    terms = [*design.formula.split(" ~ ", 1)[1].split(" | ")[0].split(" + ")]
    formula = f"{cjob.outcome} ~ ({' + '.join(terms)}) * {ind}"
    if absorb:
        formula += " | " + " + ".join(fe_names)
    pooled_design = Design(
        y=y.rename(cjob.outcome),
        X=X_all[kept],
        frame=frame,
        fe_dummies=(),
        formula=formula,
        dropped_collinear=(*design.dropped_collinear, *dropped),
        collinear_with={**design.collinear_with, **collinear_with},
    )
    check_clusters(pooled_design, pooled_job, spec.cluster)
    check_sample_size(len(y_fit), X_fit.shape[1] + k_fe, pooled_job, cjob.outcome)
    clusters = group_codes(frame, spec.cluster) if spec.cluster else None
    params, cov, df, g, _ = robust_ols(y_fit, X_fit.to_numpy(float), clusters, extra_df=k_fe)
    n, k = len(y_fit), X_fit.shape[1] + k_fe
    ssr = float(np.sum((y_fit - X_fit.to_numpy(float) @ params) ** 2))
    yv = y.to_numpy(float)
    r2 = 1 - ssr / float(np.sum((yv - yv.mean()) ** 2))
    within = 1 - ssr / float(np.sum((y_fit - (0 if absorb else y_fit.mean())) ** 2))
    comparison = {
        "model": cjob.model,
        "with": cjob.other,
        "terms": list(cjob.terms),
        "indicator": ind,
        "interaction_terms": {t: f"{t}:{ind}" for t in cjob.terms},
        "subsets": {cjob.model: spec.subset, cjob.other: cjob.other_spec.subset},
        "nobs": {cjob.model: len(sample_a), cjob.other: len(sample_b)},
        "labels": {
            cjob.model: [spec.label or cjob.model, spec.label_en or spec.label or cjob.model],
            cjob.other: [
                cjob.other_spec.label or cjob.other,
                cjob.other_spec.label_en or cjob.other_spec.label or cjob.other,
            ],
        },
        "description": "合并全交互回归（两组各自的系数与固定效应）/ pooled fully interacted "
        "regression (group-specific coefficients and fixed effects)",
    }
    extra: dict = {"comparison": comparison, "absorbed_levels": k_fe, "k_total": k}
    if winsor:
        extra["winsorize_by_group"] = winsor
    return linear_result(
        pooled_job,
        pooled_design,
        params,
        cov,
        df,
        g,
        r2=r2,
        adj_r2=1 - (1 - r2) * (n - 1) / (n - k),
        within_r2=within if absorb else None,
        absorbed=absorb,
        extra=extra,
        model=cjob.name,
        regressors=(*spec.regressors, *(f"{t}:{ind}" for t in spec.regressors)),
    )


def fit_comparisons(data: pd.DataFrame, jobs: list[ComparisonJob]) -> list[FitResult]:
    """Every pooled regression, in job order."""
    return [fit_comparison(data, cjob) for cjob in jobs]

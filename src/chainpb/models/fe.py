"""Absorbed fixed effects for OLS (within transformation by alternating projections).

The outcome and every regressor are demeaned by each fixed effect in turn until no column
changes by more than 1e-10 (method of alternating projections, Guimarães & Portugal 2010,
the algorithm behind reghdfe/fixest); OLS on the demeaned data gives exactly the
dummy-variable OLS coefficients.

Degrees of freedom — areg / dummy-variable convention: every absorbed level counts in K,
``K = k_x + rank(FE dummies)`` (the rank includes the intercept and removes the redundancy
between two or more fixed effects, as the dummy regression would). Standard errors therefore
equal R ``lm(y ~ x + factor(fe))`` with ``sandwich::vcovCL(type = "HC1")`` exactly. reghdfe
would not count a fixed effect nested within a cluster variable; with the pipeline's default
(city FE, chain clusters nested in cities) the two conventions coincide, and elsewhere ours is
slightly more conservative by sqrt((N-K_reghdfe)/(N-K_areg)).

R²: ``r2``/``adj_r2`` are those of the dummy regression (overall, adj. with the full K);
``within_r2`` is the R² of the demeaned regression. Absorption applies to OLS only; logit,
probit, ordered logit and the mixed model take fixed effects as dummies.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chainpb.errors import ChainpbError
from chainpb.models.design import (
    INTERCEPT,
    build_design,
    check_clusters,
    check_sample_size,
    collinear_partners,
    drop_collinear,
    group_codes,
)
from chainpb.models.ols import linear_result, robust_ols
from chainpb.models.result import FitResult
from chainpb.models.spec import ModelJob

TOLERANCE = 1e-10
MAX_ITER = 10_000


def demean(values: np.ndarray, fe_codes: np.ndarray, tol: float = TOLERANCE) -> np.ndarray:
    """Columns of ``values`` with every fixed effect projected out (alternating projections).

    ``fe_codes`` holds one integer-coded column per fixed effect. One fixed effect needs one
    pass; several iterate until the largest change is below ``tol``.
    """
    out = np.array(values, dtype=float, copy=True)
    if out.ndim == 1:
        out = out[:, None]
    codes = np.asarray(fe_codes)
    if codes.ndim == 1:
        codes = codes[:, None]
    counts = [np.bincount(codes[:, j]) for j in range(codes.shape[1])]
    for _ in range(MAX_ITER):
        change = 0.0
        for j in range(codes.shape[1]):
            c = codes[:, j]
            means = np.vstack([np.bincount(c, weights=out[:, m]) for m in range(out.shape[1])]).T
            means /= counts[j][:, None]
            step = means[c]
            out -= step
            change = max(change, float(np.max(np.abs(step))) if step.size else 0.0)
        if codes.shape[1] == 1 or change < tol:
            return out
    raise ChainpbError(
        f"模型错误：固定效应的交替投影在 {MAX_ITER} 次迭代后仍未收敛（容差 {tol}）",
        f"Model error: alternating projections for the fixed effects did not converge after "
        f"{MAX_ITER} iterations (tolerance {tol})",
    )


def absorbed_rank(frame: pd.DataFrame, fixed_effects: tuple[str, ...]) -> int:
    """Rank of the full set of fixed-effect dummies (intercept included)."""
    codes = group_codes(frame, fixed_effects)
    codes = codes[:, None] if codes.ndim == 1 else codes
    if codes.shape[1] == 1:
        return int(codes[:, 0].max() + 1)
    blocks = [np.eye(int(c.max()) + 1)[c] for c in codes.T]
    return int(np.linalg.matrix_rank(np.hstack(blocks)))


def fit_absorbed(data: pd.DataFrame, job: ModelJob, **design_kw) -> FitResult:
    """OLS with the spec's fixed effects absorbed; see the module docstring for conventions."""
    spec = job.spec
    model = design_kw.pop("model", None)
    regressors = design_kw.get("regressors")
    design = build_design(data, job, intercept=False, **design_kw)
    frame = design.frame
    fe_codes = group_codes(frame, spec.fixed_effects)
    y = design.y.to_numpy(float)
    Xd = demean(np.column_stack([y, design.X.to_numpy(float)]), fe_codes)
    y_w, X_w = Xd[:, 0], Xd[:, 1:]
    check_clusters(design, job, spec.cluster)
    if float(np.sum(y_w**2)) <= 1e-20 * max(1.0, float(np.sum(y**2))):
        raise ChainpbError(
            f"模型错误：模型「{job.model}」的被解释变量「{design.y.name}」在固定效应"
            f"（{', '.join(spec.fixed_effects)}）的每一组内都取同一个值，吸收固定效应后没有剩余差异。"
            "请去掉这些固定效应，或检查该变量是否只在组间变化",
            f"Model error: model '{job.model}': outcome '{design.y.name}' is constant within "
            f"every group of the fixed effects ({', '.join(spec.fixed_effects)}), so nothing is "
            "left to explain once they are absorbed. Drop these fixed effects, or check whether "
            "the variable varies only between groups",
        )
    # A regressor constant within a fixed effect (a city-level control under city FE) is
    # demeaned to zero: drop it as the dummy regression would.
    Xw_all = pd.DataFrame(X_w, columns=design.X.columns, index=frame.index)
    Xw_df, dropped = drop_collinear(Xw_all)
    if dropped:
        # After demeaning, a dropped column is a combination of the fixed effects and of the
        # kept demeaned columns listed by collinear_partners.
        partners = collinear_partners(Xw_all, dropped)
        with_fe = {d: (*partners[d], *spec.fixed_effects) for d in dropped}
        design = type(design)(
            y=design.y,
            X=design.X[list(Xw_df.columns)],
            frame=design.frame,
            fe_dummies=design.fe_dummies,
            formula=design.formula,
            centring=design.centring,
            winsor_bounds=design.winsor_bounds,
            dropped_collinear=(*design.dropped_collinear, *dropped),
            collinear_with={**design.collinear_with, **with_fe},
        )
    X_w = Xw_df.to_numpy(float)
    k_fe = absorbed_rank(frame, spec.fixed_effects)
    check_sample_size(len(y), X_w.shape[1] + k_fe, job, str(design.y.name))
    clusters = group_codes(frame, spec.cluster) if spec.cluster else None
    params, cov, df, g, _ = robust_ols(y_w, X_w, clusters, extra_df=k_fe)
    n, k = len(y), X_w.shape[1] + k_fe
    ssr = float(np.sum((y_w - X_w @ params) ** 2))
    tss = float(np.sum((y - y.mean()) ** 2))
    tss_within = float(np.sum(y_w**2))
    r2 = 1 - ssr / tss
    return linear_result(
        job,
        design,
        params,
        cov,
        df,
        g,
        r2=r2,
        adj_r2=1 - (1 - r2) * (n - 1) / (n - k),
        within_r2=1 - ssr / tss_within,
        absorbed=True,
        extra={"absorbed_levels": k_fe, "k_total": k, "fe_tolerance": TOLERANCE},
        model=model,
        regressors=regressors,
    )


__all__ = ["INTERCEPT", "absorbed_rank", "demean", "fit_absorbed"]

"""Linear mixed model with a random intercept per ``group`` (statsmodels ``MixedLM``).

REML (``reml=True``), the default of R ``lme4::lmer``, so fixed effects and variance components
are comparable with ``lmer(y ~ x + (1 | group))``. Standard errors are the model-based ones
(inverse information), inference normal (z) — lmer reports no p-values and Satterthwaite df
need lmerTest. The random intercept models the within-group correlation, so ``cluster`` is
not applied on top (recorded in the cov_type string). Fixed effects enter as dummies.
``extra`` holds the group variance, the residual variance and the ICC.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm

from chainpb.errors import ChainpbError
from chainpb.models.design import build_design, check_sample_size, group_codes, tidy_coefs
from chainpb.models.result import FitResult
from chainpb.models.spec import ModelJob


def fit_mixed(data: pd.DataFrame, job: ModelJob) -> FitResult:
    """Random-intercept linear mixed model of one job (REML)."""
    spec = job.spec
    group = spec.group or ""
    design = build_design(data, job, fe_as_dummies=True)
    groups = group_codes(design.frame, (group,))
    n_groups = len(np.unique(groups))
    if n_groups < 2:
        # One group: the random-intercept variance is not identified.
        raise ChainpbError(
            f"模型错误：模型「{job.model}」（被解释变量 {job.outcome}）的随机截距变量「{group}」在估计样本中"
            f"只有 {n_groups} 个组，随机截距方差无法识别。请改用 OLS（estimator: ols），或放宽 subset",
            f"Model error: model '{job.model}' (outcome {job.outcome}): the random-intercept "
            f"variable '{group}' has only {n_groups} group in the estimation sample, so the "
            "random-intercept variance is not identified. Use estimator: ols, or widen 'subset'",
        )
    check_sample_size(len(design.y), design.X.shape[1] + 2, job, job.outcome)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = sm.MixedLM(design.y.to_numpy(float), design.X.to_numpy(float), groups=groups).fit(
                reml=True
            )
        except Exception as exc:
            raise ChainpbError(
                f"模型错误：模型「{job.model}」（被解释变量 {job.outcome}）的混合模型无法估计：{exc}",
                f"Model error: mixed model '{job.model}' (outcome {job.outcome}) failed: {exc}",
            ) from exc
    names = list(design.X.columns)
    k = len(names)
    params = np.asarray(res.fe_params)
    cov = np.asarray(res.cov_params())[:k, :k]
    keep = [i for i, c in enumerate(names) if c not in design.fe_dummies]
    kept = [names[i] for i in keep]
    coefs = tidy_coefs(kept, params[keep], cov[np.ix_(keep, keep)], None)
    var_group = float(np.asarray(res.cov_re)[0, 0])
    var_resid = float(res.scale)
    formula = design.formula.replace(" ~ ", " ~ ", 1) + f" + (1 | {group})"
    return FitResult(
        model=job.model,
        outcome=job.outcome,
        estimator="mixedlm",
        formula=formula,
        coefs=coefs,
        nobs=len(design.y),
        cov_type=f"混合模型 random intercept ({group}), REML, 模型标准误 model-based SE, z",
        n_clusters=len(np.unique(groups)),
        fixed_effects=spec.fixed_effects,
        controls=spec.controls,
        regressors=spec.regressors,
        cluster=(),
        subset=spec.subset,
        label=spec.label,
        variant=spec.variant,
        extra={
            "group": group,
            "reml": True,
            "var_group": var_group,
            "var_residual": var_resid,
            "icc": var_group / (var_group + var_resid),
            "converged": bool(res.converged),
            "llf": float(res.llf),
            "label_en": spec.label_en,
            "dropped_collinear": list(design.dropped_collinear),
            "collinear_with": {k: list(v) for k, v in design.collinear_with.items()},
        },
        # z inference: the tests of a linear hypothesis use chi-square(q).
        vcov=pd.DataFrame(cov[np.ix_(keep, keep)], index=kept, columns=kept),
        df_inference=None,
    )

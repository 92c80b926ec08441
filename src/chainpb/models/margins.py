"""Average marginal effects (AMEs) of logit and probit fits, with delta-method standard errors.

平均边际效应：logit/probit 系数换算为概率的平均变化（百分点 / 100），标准误用 delta 法。
Average marginal effects: the change in the probability of the outcome, averaged over the
estimation sample, with standard errors by the delta method from the fit's own covariance matrix
(clustered CR1 when the model clusters) and the fit's reference distribution (t(G−1) when
clustered, else normal).

Conventions (those of R ``marginaleffects::avg_slopes`` and Stata ``margins, dydx(*)``):

- a continuous regressor x_j: the mean over the sample of the derivative, f(x'β)·β_j, where f is
  the logistic or normal density;
- a 0/1 regressor (a column that takes only the values 0 and 1, e.g. ``has_party_org``): the
  mean of the discrete change F(x'β | x_j = 1) − F(x'β | x_j = 0);
- a level of a categorical variable (``C(var)[T.level]``): the discrete change from the reference
  level, every other dummy of the same variable set to 0 in both terms;
- fixed-effect dummies and the intercept get no AME; they stay at each row's own value.

The gradient of each AME with respect to β is analytic (f' = f·(1 − 2F) for the logistic,
−z·φ(z) for the normal), so Var(AME) = g' V g exactly for the stated V. Models with interaction
terms get no AMEs: the AME of a variable that enters an interaction needs the derivative through
the product, which this module does not take (``None`` is returned).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

AME_FIELDS = ("estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high")


def _cdf_pdf_dpdf(link: str, z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if link == "logit":
        cdf = 1.0 / (1.0 + np.exp(-z))
        pdf = cdf * (1.0 - cdf)
        return cdf, pdf, pdf * (1.0 - 2.0 * cdf)
    if link == "probit":
        from scipy import stats

        pdf = stats.norm.pdf(z)
        return stats.norm.cdf(z), pdf, -z * pdf
    raise ValueError(f"AME 只适用于 logit/probit / AMEs need logit or probit, not {link!r}")


def _factor_of(name: str) -> str | None:
    """``C(ownership)[T.民营]`` → ``ownership``; None for any other column."""
    if name.startswith("C(") and ")[T." in name:
        return name[2 : name.index(")[T.")]
    return None


def average_marginal_effects(
    X: pd.DataFrame,
    params: Sequence[float],
    cov: np.ndarray,
    link: str,
    terms: Sequence[str],
    df: float | None = None,
    level: float = 0.95,
) -> dict[str, dict[str, float]] | None:
    """AME of every column in ``terms`` (columns of ``X``); None when X has an interaction.

    ``params`` and ``cov`` cover every column of ``X`` (fixed-effect dummies included), in
    ``X``'s column order. ``df``: degrees of freedom of the t reference (None: normal).
    Returns ``{term: {estimate, std_error, statistic, p_value, conf_low, conf_high}}``.
    """
    names = [str(c) for c in X.columns]
    if any(":" in n for n in names):
        return None
    # scipy.stats only here: reading stored AMEs (ame_table, for the report) must not pay its
    # 1.4 s import
    from scipy import stats

    x = X.to_numpy(dtype="float64")
    beta = np.asarray(params, dtype="float64")
    v = np.asarray(cov, dtype="float64")
    factors: dict[str, list[int]] = {}
    for i, n in enumerate(names):
        f = _factor_of(n)
        if f is not None:
            factors.setdefault(f, []).append(i)
    crit = stats.t.ppf(0.5 + level / 2, df) if df is not None else stats.norm.ppf(0.5 + level / 2)
    out: dict[str, dict[str, float]] = {}
    for term in terms:
        if term not in names or term == "Intercept":
            continue
        j = names.index(term)
        col = x[:, j]
        factor = _factor_of(term)
        if factor is not None or set(np.unique(col)) <= {0.0, 1.0}:
            x1, x0 = x.copy(), x.copy()
            for k in factors.get(factor, []) if factor is not None else []:
                x1[:, k] = 0.0
                x0[:, k] = 0.0
            x1[:, j], x0[:, j] = 1.0, 0.0
            f1, d1, _ = _cdf_pdf_dpdf(link, x1 @ beta)
            f0, d0, _ = _cdf_pdf_dpdf(link, x0 @ beta)
            estimate = float(np.mean(f1 - f0))
            grad = (d1[:, None] * x1 - d0[:, None] * x0).mean(axis=0)
        else:
            _, pdf, dpdf = _cdf_pdf_dpdf(link, x @ beta)
            estimate = float(np.mean(pdf) * beta[j])
            grad = (dpdf[:, None] * x).mean(axis=0) * beta[j]
            grad[j] += float(np.mean(pdf))
        se = float(np.sqrt(grad @ v @ grad))
        stat = estimate / se if se > 0 else float("nan")
        if df is not None:
            p = float(2 * stats.t.sf(abs(stat), df))
        else:
            p = float(2 * stats.norm.sf(abs(stat)))
        out[term] = {
            "estimate": estimate,
            "std_error": se,
            "statistic": float(stat),
            "p_value": p,
            "conf_low": float(estimate - crit * se),
            "conf_high": float(estimate + crit * se),
        }
    return out


def ame_table(ame: dict[str, Any]) -> pd.DataFrame:
    """``extra["ame"]`` as a tidy frame (term + AME_FIELDS), in the stored order."""
    rows = [{"term": t, **{k: float(v[k]) for k in AME_FIELDS}} for t, v in ame.items()]
    return pd.DataFrame(rows, columns=["term", *AME_FIELDS])

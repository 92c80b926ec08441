"""Mediation (mechanism) tests: the stepwise procedure of 温忠麟、叶宝娟 (2014).

温忠麟, 叶宝娟 (2014). 中介效应分析：方法和模型发展. 心理科学进展, 22(5), 731–745.
Equations on one common estimation sample (listwise over X, M, Y, controls, FE, cluster):

* c path  ``Y = cX + controls``             → model ``<name>__c_path`` (total effect)
* a path  ``M = aX + controls``             → model ``<name>__a_path`` (outcome M)
* b, c'   ``Y = c'X + bM + controls``       → model ``<name>__b_path`` (direct effect c')

With several outcomes in one spec the a path is fitted per outcome sample and named
``<name>__a_path_<outcome>`` so that (model, outcome) rows stay unique in estimates.csv.

Procedure (significance at α = 1 − level):
1. c significant → argue for mediation (按中介效应立论); otherwise for suppression (按遮掩效应立论).
2. a and b both significant → indirect effect significant, go to 4.
3. otherwise: bootstrap CI of ab; excludes 0 → go to 4; else stop: 不显著 (no indirect effect).
4. c' not significant → 完全中介 (only an indirect effect).
5. c' significant: ab and c' of the same sign → 部分中介, proportion mediated ab/c;
   opposite signs → 遮掩效应, report |ab/c'|.

The bootstrap resamples whole clusters (the first cluster variable, normally ``chain_id``)
with replacement — rows when the spec does not cluster — re-estimates a and b by OLS with the
fixed effects as dummies (identical point estimates to absorption), and takes the percentile CI.
The generator is ``numpy.random.default_rng(seed)``; clusters are drawn from their sorted list,
so a seed reproduces the CI exactly.

:func:`fit_mechanism_regression` is the plain "mechanism regression" (M on X and controls, on
the sample complete for M — Y may be missing), which some economics journals report alone.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from chainpb.models.design import build_design
from chainpb.models.ols import fit_ols
from chainpb.models.result import FitResult
from chainpb.models.spec import ModelJob


def mediation_verdict(
    *,
    p_c: float,
    p_a: float,
    p_b: float,
    p_c_prime: float,
    ab: float,
    c_prime: float,
    ci: tuple[float, float],
    alpha: float = 0.05,
) -> dict:
    """The verdict of the 2014 stepwise procedure (see module docstring) with the steps taken."""
    steps: list[str] = []
    framing = "mediation" if p_c < alpha else "suppression"
    steps.append("1: c 显著，按中介效应立论" if p_c < alpha else "1: c 不显著，按遮掩效应立论")
    if p_a < alpha and p_b < alpha:
        steps.append("2: a、b 均显著，间接效应显著")
        indirect = True
    else:
        indirect = not (ci[0] <= 0.0 <= ci[1])
        steps.append(
            "3: a、b 至少一个不显著，Bootstrap 置信区间"
            + ("不含 0，间接效应显著" if indirect else "含 0，间接效应不显著，停止分析")
        )
    if not indirect:
        verdict, verdict_en = "不显著", "no indirect effect"
    elif p_c_prime >= alpha:
        steps.append("4: c' 不显著，只有中介效应")
        verdict, verdict_en = "完全中介", "full mediation"
    elif np.sign(ab) == np.sign(c_prime):
        steps.append("5: c' 显著，ab 与 c' 同号")
        verdict, verdict_en = "部分中介", "partial mediation"
    else:
        steps.append("5: c' 显著，ab 与 c' 异号")
        verdict, verdict_en = "遮掩效应", "suppression"
    return {
        "verdict": verdict,
        "verdict_en": verdict_en,
        "framing": framing,
        "indirect_significant": bool(indirect),
        "steps": steps,
    }


def _coef(result: FitResult, term: str) -> tuple[float, float]:
    row = result.coefs.set_index("term").loc[term]
    return float(row["estimate"]), float(row["p_value"])


def bootstrap_indirect(data: pd.DataFrame, job: ModelJob, *, reps: int, seed: int) -> np.ndarray:
    """Cluster-bootstrap draws of a·b (``reps`` values, in draw order)."""
    spec = job.spec
    x, m = spec.treatment or "", spec.mediator or ""
    full = build_design(data, job, regressors=(x, m), fe_as_dummies=True)
    a_eq = build_design(data, job, regressors=(x,), outcome=m, fe_as_dummies=True)
    Xf, yf = full.X.to_numpy(float), full.y.to_numpy(float)
    Xa, ya = a_eq.X.to_numpy(float), a_eq.y.to_numpy(float)
    ix_b = list(full.X.columns).index(m)
    ix_a = list(a_eq.X.columns).index(x)
    if spec.cluster:
        labels = full.frame[spec.cluster[0]].astype(str).to_numpy()
    else:
        labels = np.arange(len(yf)).astype(str)
    clusters = np.array(sorted(set(labels)))
    members = {c: np.flatnonzero(labels == c) for c in clusters}
    rng = np.random.default_rng(seed)
    draws = np.empty(reps)
    for r in range(reps):
        picked = rng.integers(0, len(clusters), size=len(clusters))
        idx = np.concatenate([members[clusters[i]] for i in picked])
        b = np.linalg.lstsq(Xf[idx], yf[idx], rcond=None)[0][ix_b]
        a = np.linalg.lstsq(Xa[idx], ya[idx], rcond=None)[0][ix_a]
        draws[r] = a * b
    return draws


def fit_mediation(data: pd.DataFrame, job: ModelJob) -> list[FitResult]:
    """The three equations of the stepwise procedure; the b-path result carries the verdict."""
    spec = job.spec
    x, m = spec.treatment or "", spec.mediator or ""
    a_name = f"{job.model}__a_path"
    if len(spec.outcomes) > 1:
        a_name += f"_{job.outcome}"
    c_res = fit_ols(data, job, regressors=(x,), model=f"{job.model}__c_path")
    a_res = fit_ols(data, job, regressors=(x,), outcome=m, model=a_name)
    b_res = fit_ols(data, job, regressors=(x, m), model=f"{job.model}__b_path")
    c, p_c = _coef(c_res, x)
    a, p_a = _coef(a_res, x)
    b, p_b = _coef(b_res, m)
    c_prime, p_cp = _coef(b_res, x)
    boot = spec.bootstrap
    draws = bootstrap_indirect(data, job, reps=boot.reps, seed=boot.seed)
    alpha = 1 - boot.level
    lo, hi = (float(v) for v in np.quantile(draws, [alpha / 2, 1 - alpha / 2]))
    ab = a * b
    verdict = mediation_verdict(
        p_c=p_c, p_a=p_a, p_b=p_b, p_c_prime=p_cp, ab=ab, c_prime=c_prime, ci=(lo, hi), alpha=alpha
    )
    summary = {
        "treatment": x,
        "mediator": m,
        "outcome": job.outcome,
        "c": c,
        "a": a,
        "b": b,
        "c_prime": c_prime,
        "indirect": ab,
        "indirect_ci": [lo, hi],
        "indirect_boot_se": float(np.std(draws, ddof=1)) if boot.reps > 1 else None,
        "ci_level": boot.level,
        "bootstrap_reps": boot.reps,
        "bootstrap_seed": boot.seed,
        "bootstrap_unit": spec.cluster[0] if spec.cluster else "row",
        "proportion_mediated": ab / c if c != 0 else None,
        "suppression_ratio": abs(ab / c_prime) if c_prime != 0 else None,
        "reference": "温忠麟, 叶宝娟 (2014). 中介效应分析：方法和模型发展. 心理科学进展, 22(5), 731–745.",
        **verdict,
    }
    paths = {"c_path": c_res, "a_path": a_res, "b_path": b_res}
    out = []
    for path, res in paths.items():
        extra = {**res.extra, "mediation_path": path, "mediation_for_outcome": job.outcome}
        if path == "b_path":
            extra["mediation"] = summary
        out.append(replace(res, extra=extra))
    return out


def fit_mechanism_regression(data: pd.DataFrame, job: ModelJob) -> FitResult:
    """M on X (and the spec's controls, FE, clusters) on the sample complete for M."""
    spec = job.spec
    m = spec.mediator or ""
    mech_spec = replace(spec, type="regression", outcomes=(m,), regressors=(spec.treatment or "",))
    mech_job = ModelJob(model=f"{job.model}__mechanism", outcome=m, spec=mech_spec)
    return fit_ols(data, mech_job)

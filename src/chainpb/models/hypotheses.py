"""Wald tests of linear hypotheses from the fit files: ``results/models/tests.csv``.

For restrictions ``R b = r`` (q rows) on the reported coefficients ``b`` with the covariance
``V`` that the model's standard errors come from (``FitResult.vcov``)::

    W = (R b − r)' (R V R')⁻¹ (R b − r)

The reference distribution follows the model's own coefficient tests, so a test of one
coefficient gives that coefficient's p-value:

* OLS, and logit/probit/ordered logit with clustered errors (``df_inference`` set — the
  few-cluster t(G − 1) reference of their coefficients): F = W / q against F(q, df) with df = G − 1 for one cluster
  variable (Stata ``test`` after ``regress, vce(cluster g)``), min(G) − 1 for two, and N − K
  for HC1 (Stata ``test`` after ``regress, vce(robust)``). With few clusters (12 chains) the
  denominator df G − 1 matters: F(1, 11) is far from chi²(1)/1. For q = 1, t = (Rb − r)/se and
  F = t².
* logit, probit, ordered logit without clusters (HC1) and the mixed model (z inference): W
  against chi²(q); for q = 1 the
  column ``t`` holds z = (Rb − r)/se, W = z².

R's ``car::linearHypothesis(fit, h, vcov. = vcovCL(fit, cluster = ~g, type = "HC1"),
test = "F")`` gives the same F; its p-value uses F(q, N − K) — the project uses F(q, G − 1)
for clustered OLS as Stata does (``pf(F, q, G - 1, lower.tail = FALSE)``).

Not testable — reported as a row with an empty statistic and the reason in ``note`` (never
dropped): a named term dropped as collinear; a fit file written before covariances were
stored; restrictions whose covariance ``R V R'`` is singular (a cluster-robust V has rank at most
G − 1, so q > G − 1 restrictions cannot be tested jointly).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from chainpb.errors import ConfigError
from chainpb.models.restrictions import (
    Restriction,
    RestrictionError,
    parse_restrictions,
    render_all,
    restriction_matrix,
)
from chainpb.models.result import FitResult, dropped_note
from chainpb.models.spec import HypothesisSpec, parse_models

TESTS_COLUMNS = [
    "model",
    "outcome",
    "kind",  # "linear" (tests: of the model) | "comparison" (compare: pooled interaction)
    "test",  # as written in config
    "restriction",  # as tested: canonical form, ``replace`` applied, "; " between restrictions
    "estimate",  # q = 1: R b − r (e.g. the sum of the coefficients); empty for q > 1
    "std_error",  # q = 1: sqrt(R V R')
    "t",  # q = 1: estimate / std_error (z when the distribution is chi2)
    "statistic",  # F = W / q (distribution F) or W (chi2)
    "df1",  # q
    "df2",  # df of the model's t reference (G − 1, min(G) − 1 or N − K); empty for chi2
    "p_value",
    "distribution",  # "F" | "chi2"
    "n_clusters",
    "nobs",
    "note",  # why a test could not be done; what a comparison fitted
]

# Eigenvalues of R V R' below this share of the largest count as zero.
SINGULAR_TOLERANCE = 1e-10


def wald_test(
    restrictions: Sequence[Restriction], vcov: pd.DataFrame, params: pd.Series, df: float | None
) -> dict[str, Any]:
    """Statistic, df and p-value of ``restrictions`` (see the module docstring)."""
    names = list(vcov.index)
    R, r = restriction_matrix(restrictions, names)
    b = params.reindex(names).to_numpy(float)
    V = vcov.to_numpy(float)
    q = len(restrictions)
    diff = R @ b - r
    VR = R @ V @ R.T
    VR = (VR + VR.T) / 2
    eig = np.linalg.eigvalsh(VR)
    if eig.min() <= SINGULAR_TOLERANCE * max(abs(eig.max()), 1e-300):
        rank = int(np.sum(eig > SINGULAR_TOLERANCE * max(abs(eig.max()), 1e-300)))
        return {
            "df1": q,
            "note": (
                f"无法检验：约束的协方差矩阵 R V R' 奇异（秩 {rank} < 约束数 {q}；聚类稳健协方差的秩"
                f"至多为 G − 1）/ not testable: R V R' is singular (rank {rank} < {q} restrictions; "
                "a cluster-robust covariance has rank at most G − 1)"
            ),
        }
    W = float(diff @ np.linalg.solve(VR, diff))
    out: dict[str, Any] = {"df1": q}
    if q == 1:
        se = float(np.sqrt(VR[0, 0]))
        out.update(estimate=float(diff[0]), std_error=se, t=float(diff[0]) / se)
    if df is None:
        out.update(statistic=W, p_value=float(stats.chi2.sf(W, q)), distribution="chi2")
    else:
        F = W / q
        out.update(
            statistic=F, df2=float(df), p_value=float(stats.f.sf(F, q, df)), distribution="F"
        )
    return out


def _available(fit: FitResult) -> list[str]:
    """Every name a test may use: reported terms, then terms the fit dropped as collinear."""
    terms = [str(t) for t in fit.coefs["term"]]
    return list(dict.fromkeys([*terms, *fit.dropped_terms()]))


def _row(fit: FitResult, kind: str, test: str, restriction: str, **values: Any) -> dict:
    return {
        "model": fit.model,
        "outcome": fit.outcome,
        "kind": kind,
        "test": test,
        "restriction": restriction,
        "n_clusters": fit.n_clusters,
        "nobs": fit.nobs,
        "note": "",
        **values,
    }


def _test_row(
    fit: FitResult, kind: str, test: str, restrictions: Sequence[Restriction], note: str = ""
) -> dict:
    """One row: the Wald test, or why it cannot be done."""
    text = render_all(restrictions)
    dropped = fit.dropped_terms()
    hit = [n for res in restrictions for n in res.names if n in dropped]
    if hit:
        names = list(dict.fromkeys(hit))
        zh = "；".join(dropped_note(t, dropped[t], "zh") for t in names)
        en = "; ".join(dropped_note(t, dropped[t], "en") for t in names)
        return _row(
            fit,
            kind,
            test,
            text,
            df1=len(restrictions),
            note=_join_notes(note, f"无法检验：{zh} / not testable: {en}"),
        )
    if fit.vcov is None:
        return _row(
            fit,
            kind,
            test,
            text,
            df1=len(restrictions),
            note=_join_notes(
                note,
                "无法检验：拟合文件未保存协方差矩阵（旧版本生成），请重新运行模型 / not testable: "
                "the fit file predates stored covariance matrices; re-run the model",
            ),
        )
    params = fit.coefs.set_index("term")["estimate"].astype(float)
    values = wald_test(restrictions, fit.vcov, params, fit.df_inference)
    values["note"] = _join_notes(note, values.get("note", ""))
    return _row(fit, kind, test, text, **values)


def _join_notes(*notes: str) -> str:
    """Notes of the form ``zh / en`` joined into one ``zh；zh / en; en`` (tables show one side)."""
    parts = [n.split(" / ", 1) for n in notes if n]
    if not parts:
        return ""
    zh = "；".join(p[0] for p in parts)
    en = "; ".join(p[-1] for p in parts)
    return f"{zh} / {en}"


def model_tests(fit: FitResult, tests: Sequence[HypothesisSpec]) -> list[dict]:
    """Rows of the ``tests:`` of the model ``fit`` belongs to; unknown names stop (ConfigError)."""
    names = _available(fit)
    rows = []
    for test in tests:
        try:
            restrictions = parse_restrictions(test.parts, names)
        except RestrictionError as exc:
            where = f"模型「{fit.model}」（被解释变量 {fit.outcome}）的检验「{test.text}」"
            where_en = f"model '{fit.model}' (outcome {fit.outcome}), test '{test.text}'"
            if exc.unknown:
                raise ConfigError(
                    f"配置错误：{where} 中的系数名 {list(exc.unknown)} 不在模型中；可用的系数名：{names}",
                    f"Config error: {where_en} names {list(exc.unknown)}, which are not "
                    f"coefficients of the model; available: {names}",
                ) from exc
            raise ConfigError(
                f"配置错误：{where} 无法解析：{exc.zh}",
                f"Config error: {where_en} cannot be read: {exc.en}",
            ) from exc
        rows.append(_test_row(fit, "linear", test.text, restrictions))
    return rows


def comparison_tests(pooled: FitResult) -> list[dict]:
    """One row per compared term of a pooled comparison fit: interaction = 0."""
    comp = pooled.extra["comparison"]
    rows = []
    for term in comp["terms"]:
        product = comp["interaction_terms"][term]
        test = f"{term}: {comp['model']} = {comp['with']}"
        restriction = Restriction(weights=((product, 1.0),), constant=0.0)
        a, b = comp["model"], comp["with"]
        n_a, n_b = comp["nobs"][a], comp["nobs"][b]
        note = (
            f"合并全交互回归（两组各自的系数与固定效应），{a} N = {n_a}，{b} N = {n_b}，"
            f"estimate = {b} − {a} / pooled fully interacted regression (group-specific "
            f"coefficients and fixed effects), {a} N = {n_a}, {b} N = {n_b}, estimate = {b} − {a}"
        )
        rows.append(_test_row(pooled, "comparison", test, [restriction], note))
    return rows


def collect_tests(
    results: Iterable[FitResult],
    comparisons: Iterable[FitResult],
    models_config: Mapping[str, Any],
) -> pd.DataFrame:
    """tests.csv: every declared test of every fitted model, then every comparison.

    Sorted by model, outcome, then the order written in config — deterministic for the same
    fits and config.
    """
    specs = {s.name: s for s in parse_models(models_config)}
    rows: list[dict] = []
    for fit in sorted(results, key=lambda r: (r.model, r.outcome)):
        spec = specs.get(fit.model)
        if spec is not None and spec.tests:
            rows += model_tests(fit, spec.tests)
    for pooled in sorted(comparisons, key=lambda r: (r.model, r.outcome)):
        rows += comparison_tests(pooled)
    out = pd.DataFrame(rows).reindex(columns=TESTS_COLUMNS)
    # Counts print as integers (11, not 11.0) also when some rows leave them empty.
    for col in ("df1", "df2", "n_clusters", "nobs"):
        out[col] = pd.to_numeric(out[col]).round().astype("Int64")
    if rows:
        out["_order"] = range(len(out))
        out = out.sort_values(["model", "outcome", "_order"], kind="mergesort")
    return out[TESTS_COLUMNS].reset_index(drop=True)

"""Absorbed fixed effects for OLS (within transformation without dummy matrices).

The outcome and every regressor are replaced by their residuals from the fixed-effect
dummies (the within transformation); OLS on the transformed data gives exactly the
dummy-variable OLS coefficients (Frisch–Waugh–Lovell). No dummy matrix is ever formed:

- **one fixed effect**: one pass of group means (``np.bincount``);
- **two or more**: the fixed effect with the most levels ``a`` is eliminated in closed form
  (its Gram matrix is diagonal: the group sizes), and the remaining levels ``m`` (all other
  fixed effects) are solved from the ``m × m`` Schur complement
  ``S = B'B − B'D_a (D_a'D_a)^{-1} D_a'B``, built from sparse cross-tabulations of the level
  codes (``scipy.sparse``); ``S`` is singular where the fixed effects overlap, so it is solved
  by its eigendecomposition on the non-null eigenvalues (for two fixed effects the null space
  has exactly one dimension per connected component, see below, and is dropped by count, not
  by a tolerance); if the residuals are not orthogonal to every level to 1e-12 of the data's
  scale, the projection is applied once more (one step of iterative refinement). This direct
  solve is used while ``m ≤ DIRECT_MAX_LEVELS``; beyond it (two large fixed
  effects, e.g. worker and firm) the columns are demeaned by alternating projections
  (Guimarães & Portugal 2010, the algorithm behind reghdfe/fixest) until no value changes by
  more than ``TOLERANCE``.

Degrees of freedom — areg / dummy-variable convention: every absorbed level counts in K,
``K = k_x + rank(FE dummies)`` (the rank includes the intercept and removes the redundancy
between two or more fixed effects, as the dummy regression would). The rank is found without
dummies either: one fixed effect: its number of levels ``L1``; two: ``L1 + L2 − C`` where
``C`` is the number of connected components of the bipartite graph whose nodes are the
levels and whose edges are the observed (level1, level2) pairs (Abowd, Creecy & Kramarz 2002);
three or more: ``L_a + rank(S)`` with ``S`` the Schur complement above (numerical rank from
its eigenvalues, numpy's default tolerance), which needs ``m ≤ RANK_MAX_LEVELS``.
Standard errors therefore equal R ``lm(y ~ x + factor(fe))`` with
``sandwich::vcovCL(type = "HC1")`` exactly. reghdfe would not count a fixed effect nested
within a cluster variable; with the pipeline's default (city FE, chain clusters nested in
cities) the two conventions coincide, and elsewhere ours is slightly more conservative by
sqrt((N-K_reghdfe)/(N-K_areg)). pyfixest's ``feols`` with ``ssc(k_fixef="full")`` and
statsmodels' cluster correction on explicit dummies count every dummy column
(``L1 + L2 − 1``) rather than the rank; they equal ours when no level is redundant, and
otherwise after the factor sqrt((N−K_columns)/(N−K_rank)) (benchmarks/fe_speed.py,
tests/test_models_fe_speed.py). Speed: 200,000 firms with city and chain effects fit in about
the time pyfixest takes (benchmarks/README.md).

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
    clearly_full_rank,
    collinear_partners,
    drop_collinear,
    group_codes,
)
from chainpb.models.ols import linear_result, robust_ols
from chainpb.models.result import FitResult
from chainpb.models.spec import ModelJob

TOLERANCE = 1e-10
MAX_ITER = 10_000
# Largest number of non-eliminated levels solved directly (dense m × m eigendecomposition,
# ~0.1 s at 1,000 levels, ~2 s at 3,000); above it, alternating projections.
DIRECT_MAX_LEVELS = 3_000
# Largest m for the rank of three or more fixed effects (no closed form exists).
RANK_MAX_LEVELS = 5_000


def _as_columns(fe_codes: np.ndarray) -> np.ndarray:
    codes = np.asarray(fe_codes)
    return codes[:, None] if codes.ndim == 1 else codes


def _counts(c: np.ndarray) -> np.ndarray:
    return np.bincount(c)


def _group_means(c: np.ndarray, counts: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Means of each column of ``values`` within the groups ``c`` (levels × columns)."""
    sums = np.vstack(
        [
            np.bincount(c, weights=values[:, m], minlength=len(counts))
            for m in range(values.shape[1])
        ]
    ).T
    return sums / counts[:, None]


def demean(values: np.ndarray, fe_codes: np.ndarray, tol: float = TOLERANCE) -> np.ndarray:
    """Columns of ``values`` with every fixed effect projected out.

    ``fe_codes`` holds one integer-coded column per fixed effect (codes 0..L-1, every level
    present). One fixed effect: group means; several: the direct solve of the module
    docstring, or alternating projections to ``tol`` when there are too many levels.
    """
    return _demean(values, fe_codes, tol)


def _demean(
    values: np.ndarray, fe_codes: np.ndarray, tol: float = TOLERANCE, components: int | None = None
) -> np.ndarray:
    """:func:`demean`; ``components`` (two fixed effects) when the caller has counted them."""
    out = np.array(values, dtype=float, copy=True)
    if out.ndim == 1:
        out = out[:, None]
    codes = _as_columns(fe_codes)
    if codes.shape[1] == 1:
        c = codes[:, 0]
        return out - _group_means(c, _counts(c), out)[c]
    # Two fixed effects: S has exactly one null direction per connected component.
    if codes.shape[1] == 2 and components is None:
        components = _components(codes)
    plan = _Schur(codes, null_dim=components if codes.shape[1] == 2 else None)
    if plan.m <= DIRECT_MAX_LEVELS:
        res = plan.residuals(out)
        # The residuals must be orthogonal to every level of the other fixed effects (those of
        # the eliminated one are by construction); if rounding left more than 1e-12 of the
        # scale, apply the projection once more (iterative refinement).
        scale = float(np.max(np.abs(plan.B.T @ np.abs(out)), initial=0.0))
        if float(np.max(np.abs(plan.B.T @ res), initial=0.0)) > 1e-12 * max(scale, 1.0):
            res = plan.residuals(res)
        return res
    return _alternating_projections(out, codes, tol)


def _alternating_projections(out: np.ndarray, codes: np.ndarray, tol: float) -> np.ndarray:
    counts = [_counts(codes[:, j]) for j in range(codes.shape[1])]
    for _ in range(MAX_ITER):
        change = 0.0
        for j in range(codes.shape[1]):
            c = codes[:, j]
            step = _group_means(c, counts[j], out)[c]
            out -= step
            change = max(change, float(np.max(np.abs(step))) if step.size else 0.0)
        if change < tol:
            return out
    raise ChainpbError(
        f"模型错误：固定效应的交替投影在 {MAX_ITER} 次迭代后仍未收敛（容差 {tol}）",
        f"Model error: alternating projections for the fixed effects did not converge after "
        f"{MAX_ITER} iterations (tolerance {tol})",
    )


class _Schur:
    """The fixed effect with most levels eliminated; the others' Schur complement ``S``."""

    def __init__(self, codes: np.ndarray, null_dim: int | None = None) -> None:
        from scipy import sparse

        self.null_dim = null_dim

        levels = [int(c.max()) + 1 for c in codes.T]
        a = int(np.argmax(levels))
        self.a_codes = codes[:, a]
        self.a_counts = _counts(self.a_codes)
        others = [j for j in range(codes.shape[1]) if j != a]
        offsets = np.cumsum([0] + [levels[j] for j in others])
        self.m = int(offsets[-1])
        n = codes.shape[0]
        # B: one column per level of the other fixed effects, stacked (offsets).
        self.b_codes = [codes[:, j] + offsets[i] for i, j in enumerate(others)]
        rows = np.tile(np.arange(n), len(others))
        cols = np.concatenate(self.b_codes)
        self.B = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, self.m))
        self._S = None

    @property
    def S(self) -> np.ndarray:
        if self._S is None:
            from scipy import sparse

            n = len(self.a_codes)
            Da = sparse.csr_matrix(
                (np.ones(n), (np.arange(n), self.a_codes)), shape=(n, len(self.a_counts))
            )
            C = (self.B.T @ Da).tocsr()  # m × L_a cross-tabulation
            BtB = (self.B.T @ self.B).toarray()
            S = BtB - (C @ sparse.diags(1.0 / self.a_counts) @ C.T).toarray()
            self._S = (S + S.T) / 2
        return self._S

    def eig(self) -> tuple[np.ndarray, np.ndarray]:
        if not hasattr(self, "_eig"):
            self._eig = np.linalg.eigh(self.S)
        return self._eig

    def rank(self) -> int:
        """Numerical rank of ``S`` (numpy's ``matrix_rank`` tolerance for a symmetric matrix)."""
        w, _ = self.eig()
        tol = float(np.max(np.abs(w), initial=0.0)) * self.m * np.finfo(float).eps
        return int(np.sum(w > tol))

    def residuals(self, Z: np.ndarray) -> np.ndarray:
        """``Z`` minus its projection on all fixed-effect dummies."""
        c = self.a_codes
        Za = Z - _group_means(c, self.a_counts, Z)[c]
        r = np.asarray(self.B.T @ Za)  # B' M_a Z = (M_a B)' Z
        w, V = self.eig()
        if self.null_dim is not None:  # eigh sorts ascending: drop the known null space
            keep = np.arange(len(w)) >= self.null_dim
        else:
            keep = w > float(np.max(np.abs(w), initial=0.0)) * self.m * np.finfo(float).eps
        beta = V[:, keep] @ ((V[:, keep].T @ r) / w[keep][:, None])
        fit = np.asarray(self.B @ beta)
        return Za - (fit - _group_means(c, self.a_counts, fit)[c])


def _components(codes: np.ndarray) -> int:
    """Connected components of the bipartite graph of two fixed effects' levels."""
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components

    # Nodes 0..L1-1 are the levels of the first FE, L1.. those of the second; an edge for
    # every observed pair.
    l1, l2 = int(codes[:, 0].max()) + 1, int(codes[:, 1].max()) + 1
    a, b = codes[:, 0], codes[:, 1]
    if l1 * l2 <= 4 * len(codes) + 1_000_000:
        # Few possible pairs (e.g. 13 cities × 300 chains): one edge per distinct observed
        # pair, from a count of the pairs, instead of a graph with one edge per row.
        pairs = np.flatnonzero(np.bincount(a * l2 + b, minlength=l1 * l2))
        a, b = pairs // l2, pairs % l2
    graph = sparse.coo_matrix((np.ones(len(a)), (a, b + l1)), shape=(l1 + l2, l1 + l2))
    return int(connected_components(graph, directed=False)[0])


def fe_rank(fe_codes: np.ndarray) -> int:
    """Rank of the full set of fixed-effect dummies (intercept included), from level codes."""
    return _fe_rank(fe_codes)


def _fe_rank(fe_codes: np.ndarray, components: int | None = None) -> int:
    """:func:`fe_rank`; ``components`` (two fixed effects) when the caller has counted them."""
    codes = _as_columns(fe_codes)
    levels = [int(c.max()) + 1 for c in codes.T]
    if codes.shape[1] == 1:
        return levels[0]
    if codes.shape[1] == 2:
        return levels[0] + levels[1] - (_components(codes) if components is None else components)
    plan = _Schur(codes)
    if plan.m > RANK_MAX_LEVELS:
        raise ChainpbError(
            f"模型错误：三个及以上固定效应时，除水平最多的一个外其余固定效应共有 {plan.m} 个水平，"
            f"超过可直接计算秩的上限 {RANK_MAX_LEVELS}。请减少固定效应，或把其中一个改为控制变量",
            f"Model error: with three or more fixed effects, the fixed effects other than the one "
            f"with most levels have {plan.m} levels together, above the limit of "
            f"{RANK_MAX_LEVELS} for computing the rank directly. Use fewer fixed effects, or "
            "enter one of them as a control",
        )
    return len(plan.a_counts) + plan.rank()


def absorbed_rank(frame: pd.DataFrame, fixed_effects: tuple[str, ...]) -> int:
    """Rank of the full set of fixed-effect dummies (intercept included)."""
    return fe_rank(group_codes(frame, fixed_effects))


# The fast full-rank check lives with drop_collinear (build_design uses it too).
_clearly_full_rank = clearly_full_rank


def fit_absorbed(data: pd.DataFrame, job: ModelJob, **design_kw) -> FitResult:
    """OLS with the spec's fixed effects absorbed; see the module docstring for conventions."""
    spec = job.spec
    model = design_kw.pop("model", None)
    regressors = design_kw.get("regressors")
    design = build_design(data, job, intercept=False, **design_kw)
    frame = design.frame
    fe_codes = group_codes(frame, spec.fixed_effects)
    # Two fixed effects: the connected components serve the demeaning and the rank (once).
    two = fe_codes.ndim == 2 and fe_codes.shape[1] == 2
    components = _components(fe_codes) if two else None
    y = design.y.to_numpy(float)
    Xd = _demean(np.column_stack([y, design.X.to_numpy(float)]), fe_codes, components=components)
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
    if _clearly_full_rank(X_w):
        Xw_df, dropped = Xw_all, ()
    else:
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
    k_fe = _fe_rank(fe_codes, components)
    check_sample_size(len(y), X_w.shape[1] + k_fe, job, str(design.y.name))
    clusters = group_codes(frame, spec.cluster) if spec.cluster else None
    # hasconst=False: the demeaned X has no constant column, and statsmodels would look for
    # an implicit one with two SVDs of X only to set the R² convention, which is computed
    # here instead (the estimates and covariance do not depend on it).
    params, cov, df, g, _ = robust_ols(y_w, X_w, clusters, extra_df=k_fe, hasconst=False)
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


__all__ = ["INTERCEPT", "absorbed_rank", "demean", "fe_rank", "fit_absorbed"]

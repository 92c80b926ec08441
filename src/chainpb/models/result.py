"""The result of one fitted (spec, outcome) model: the contract between models and tables.

One Snakemake job fits one model and writes ``FitResult.to_dict()`` as JSON; the collecting
job, the journal tables and the coefficient plots read it back with ``FitResult.from_dict``.

``vcov`` is the covariance matrix the reported standard errors come from (cluster CR1, HC1,
two-way or model-based — as ``cov_type`` says) over the reported terms, and ``df_inference``
the degrees of freedom of the t reference (None: normal/z), so that a linear hypothesis can be
tested from the fit file alone (:mod:`chainpb.models.hypotheses`). Fit files written before
these fields existed read back with ``vcov=None`` (such a test is reported as not testable).

``extra["wild_bootstrap"]`` (OLS with one cluster variable, by default when G < 30; see
:mod:`chainpb.models.wild`) holds ``{"reps", "seed", "weights": "webb", "type": "WCR",
"level", "n_clusters", "ci", "fixed_effects", "terms": {term: {"p_value", "conf_low",
"conf_high"}}}``; estimates.csv shows it in ``wild_p_value``, ``wild_conf_low`` and
``wild_conf_high`` (empty when not computed; a bound is empty when the interval is unbounded
on that side).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

TIDY_COLUMNS = [
    "term",
    "estimate",
    "std_error",
    "statistic",
    "p_value",
    "conf_low",
    "conf_high",
]

WILD_COLUMNS = ["wild_p_value", "wild_conf_low", "wild_conf_high"]

ESTIMATES_COLUMNS = [
    "model",
    "outcome",
    *TIDY_COLUMNS,
    # Wild cluster bootstrap (WCR, H0: coefficient = 0; interval by test inversion), empty
    # when not computed (see FitResult.extra["wild_bootstrap"]).
    *WILD_COLUMNS,
    "nobs",
    "n_clusters",
    "cov_type",
    "estimator",
    # Empty for estimated terms; for a term the fit dropped (estimate empty) the reason,
    # Chinese first, e.g. "已删除：与 Intercept 完全共线 / dropped: collinear with Intercept".
    "note",
]


def dropped_note(
    term: str, partners: list[str] | tuple[str, ...] | None, language: str = "both"
) -> str:
    """Why ``term`` was dropped: collinear with ``partners`` (no variation when empty; None
    when the fit predates ``collinear_with`` and the partners are unknown)."""
    if partners is None:
        zh = f"{term} 已删除：与其他变量完全共线"
        en = f"{term} was dropped: collinear with other terms"
    elif partners:
        zh = f"{term} 已删除：与 {'、'.join(partners)} 完全共线"
        en = f"{term} was dropped: collinear with {', '.join(partners)}"
    else:
        zh = f"{term} 已删除：在估计样本中全为 0，没有变异"
        en = f"{term} was dropped: all zero in the estimation sample (no variation)"
    return {"zh": zh, "en": en}.get(language, f"{zh} / {en}")


@dataclass(frozen=True)
class FitResult:
    model: str  # spec name from config (ASCII), e.g. "baseline" or "baseline__winsor"
    outcome: str  # outcome variable, e.g. "rd_intensity"
    estimator: str  # "ols" | "logit" | "probit" | "ologit" | "mixedlm"
    formula: str  # patsy/formulaic formula a user can refit elsewhere
    coefs: pd.DataFrame  # TIDY_COLUMNS, one row per reported term (FE dummies absorbed, not listed)
    nobs: int
    cov_type: str  # human-readable convention, e.g. "cluster(chain_id) CR1, t(G-1)"
    n_clusters: int | None = None  # smallest cluster dimension when clustered
    r2: float | None = None
    adj_r2: float | None = None
    within_r2: float | None = None
    pseudo_r2: float | None = None
    fixed_effects: tuple[str, ...] = ()
    controls: tuple[str, ...] = ()
    regressors: tuple[str, ...] = ()
    cluster: tuple[str, ...] = ()
    subset: str | None = None
    label: str | None = None  # Chinese column label for tables, e.g. "基准回归"
    variant: str | None = None  # robustness variant name, None for the main spec
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. mediation CI, df convention
    # Covariance of the reported terms (index = columns = term names), the one behind
    # std_error; None in fit files written before it was stored.
    vcov: pd.DataFrame | None = None
    # Degrees of freedom of the t reference of the coefficient tests: G-1 (clustered OLS,
    # logit, probit, ologit), min(G)-1 (two-way), N-K (HC1 OLS); None = normal (unclustered
    # logit/probit/ologit, mixedlm; fit files of clustered GLMs written before issue 11).
    df_inference: float | None = None

    def dropped_terms(self) -> dict[str, list[str] | None]:
        """Terms the fit dropped as collinear → the terms/fixed effects they are collinear with.

        ``None`` for a term of a fit written before ``extra["collinear_with"]`` existed.
        """
        with_ = self.extra.get("collinear_with")
        dropped = self.extra.get("dropped_collinear") or []
        if with_ is None:
            return dict.fromkeys(dropped)
        return {t: list(with_.get(t, [])) for t in dropped}

    def tidy(self) -> pd.DataFrame:
        """Rows in ESTIMATES_COLUMNS order, as written to results/models/estimates.csv.

        Estimated terms first; then one row per dropped term with empty estimates and the
        reason in ``note``.
        """
        df = self.coefs[TIDY_COLUMNS].copy()
        df["note"] = ""
        dropped = self.dropped_terms()
        if dropped:
            rows = pd.DataFrame(
                {"term": list(dropped), "note": [dropped_note(t, p) for t, p in dropped.items()]}
            )
            df = pd.concat([df, rows.reindex(columns=[*TIDY_COLUMNS, "note"])], ignore_index=True)
        wild = (self.extra.get("wild_bootstrap") or {}).get("terms") or {}
        for col in WILD_COLUMNS:
            key = col.removeprefix("wild_")
            df[col] = [
                np.nan if (v := (wild.get(t) or {}).get(key)) is None else float(v)
                for t in df["term"]
            ]
        df.insert(0, "outcome", self.outcome)
        df.insert(0, "model", self.model)
        df["nobs"] = self.nobs
        df["n_clusters"] = self.n_clusters
        df["cov_type"] = self.cov_type
        df["estimator"] = self.estimator
        return df[ESTIMATES_COLUMNS]

    @property
    def reference_distribution(self) -> str:
        """``"t"`` when the coefficient tests use t(df_inference), else ``"normal"``."""
        return "normal" if self.df_inference is None else "t"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["coefs"] = self.coefs[TIDY_COLUMNS].to_dict(orient="records")
        for key in ("fixed_effects", "controls", "regressors", "cluster"):
            d[key] = list(d[key])
        d["vcov"] = (
            None
            if self.vcov is None
            else {
                "terms": [str(t) for t in self.vcov.index],
                "matrix": self.vcov.to_numpy(dtype=float).tolist(),
            }
        )
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FitResult:
        d = dict(d)
        d["coefs"] = pd.DataFrame(d["coefs"], columns=TIDY_COLUMNS)
        for key in ("fixed_effects", "controls", "regressors", "cluster"):
            d[key] = tuple(d.get(key) or ())
        raw = d.get("vcov")
        d["vcov"] = (
            None
            if raw is None
            else pd.DataFrame(raw["matrix"], index=raw["terms"], columns=raw["terms"], dtype=float)
        )
        if "df_inference" not in d:
            # Fit files from before the field: OLS kept its df in extra, the others were z.
            df = (d.get("extra") or {}).get("df_inference")
            d["df_inference"] = None if df is None else float(df)
        return cls(**d)

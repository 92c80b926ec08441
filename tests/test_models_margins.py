"""Average marginal effects of logit and probit (chainpb.models.margins), checked against R.

Data: ``tests/data/wild_small.csv`` (212 firms, G = 10 chains, 3 cities; how it was drawn is in
tests/test_models_fewclusters.py). Model: ``yb ~ x1 + x2 + city`` (x1 0/1, x2 continuous, city a
factor with reference a), clustered by chain. Reference: R 4.2.2, sandwich 3.0.2, AMEs by hand
(no margins package on the machine), the delta method with a central-difference Jacobian::

    library(sandwich)
    d <- read.csv("tests/data/wild_small.csv"); G <- length(unique(d$chain))
    g <- glm(yb ~ x1 + x2 + city, family = binomial("logit"), data = d)   # or "probit"
    V <- vcovCL(g, cluster = ~chain, type = "HC1"); X <- model.matrix(g)
    F <- plogis; f <- dlogis                                               # pnorm, dnorm
    ame <- function(b) {
      eta <- drop(X %*% b)
      disc <- function(set1, zero) { X1 <- X; X1[, zero] <- 0; X0 <- X1; X1[, set1] <- 1
                                     mean(F(X1 %*% b) - F(X0 %*% b)) }
      c(x1 = disc("x1", "x1"), x2 = mean(f(eta)) * b[["x2"]],
        cityb = disc("cityb", c("cityb", "cityc")), cityc = disc("cityc", c("cityb", "cityc")))
    }
    b <- coef(g); a <- ame(b); h <- 1e-6
    J <- sapply(seq_along(b), function(k) { e <- rep(0, length(b)); e[k] <- h
                                            (ame(b + e) - ame(b - e)) / (2 * h) })
    se <- sqrt(diag(J %*% V %*% t(J))); p <- 2 * pt(-abs(a / se), df = G - 1)

This is the convention of ``marginaleffects::avg_slopes`` and Stata ``margins, dydx(*)``:
derivative for a continuous regressor, discrete change 0 → 1 for a 0/1 one, change from the
reference level for a factor level.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from chainpb.models import fit_job, model_jobs
from chainpb.models.margins import ame_table, average_marginal_effects
from chainpb.models.result import FitResult

DATA = Path(__file__).parent / "data" / "wild_small.csv"

# R output (format(digits = 10)): term → (AME, SE, p with t(G − 1 = 9))
R_LOGIT = {
    "x1": (0.21730940018, 0.06712157674, 0.01019859890),
    "x2": (0.07376737189, 0.02787431158, 0.02663165125),
    "C(city)[T.b]": (0.13631917585, 0.05210065797, 0.02797294538),
    "C(city)[T.c]": (-0.01766898869, 0.04118336524, 0.67798656167),
}
R_PROBIT = {
    "x1": (0.21761905570, 0.06750548503, 0.01042697046),
    "x2": (0.07469375755, 0.02777300574, 0.02481938295),
    "C(city)[T.b]": (0.13727454173, 0.05186829762, 0.02662424424),
    "C(city)[T.c]": (-0.01787896461, 0.04077760595, 0.67139553564),
}


@pytest.fixture(scope="module")
def d() -> pd.DataFrame:
    return pd.read_csv(DATA)


def fit(d: pd.DataFrame, **spec) -> FitResult:
    spec = {"outcomes": ["yb"], "regressors": ["x1", "x2", "city"], "cluster": ["chain"], **spec}
    (job,) = model_jobs({"m": spec})
    (res,) = fit_job(d, job)
    return res


def test_logit_ames_match_r_by_hand(d):
    res = fit(d, estimator="logit")
    ame = res.extra["ame"]
    assert list(ame) == list(R_LOGIT)  # Intercept has none; terms in the fit's order
    for term, (est, se, p) in R_LOGIT.items():
        assert ame[term]["estimate"] == pytest.approx(est, abs=1e-9)
        assert ame[term]["std_error"] == pytest.approx(se, rel=1e-6)
        assert ame[term]["p_value"] == pytest.approx(p, rel=1e-5)
        half = stats.t.ppf(0.975, 9) * ame[term]["std_error"]
        assert ame[term]["conf_low"] == pytest.approx(est - half, rel=1e-6)
        assert ame[term]["statistic"] == pytest.approx(est / se, rel=1e-6)


def test_probit_ames_match_r_by_hand(d):
    # Point AMEs agree to 1e-6 (the two optimisers stop at slightly different points); SEs within 3 % (2.3 % for x2): the bread is the observed information here and
    # the expected information in R's glm (differs for probit only; see chainpb.models.glm).
    ame = fit(d, estimator="probit").extra["ame"]
    for term, (est, se, _) in R_PROBIT.items():
        assert ame[term]["estimate"] == pytest.approx(est, abs=1e-6)
        assert ame[term]["std_error"] == pytest.approx(se, rel=0.03)


def test_ames_survive_the_fit_file_and_tabulate(d):
    res = fit(d, estimator="logit")
    back = FitResult.from_dict(res.to_dict())
    table = ame_table(back.extra["ame"])
    assert list(table["term"]) == list(R_LOGIT)
    assert table.loc[0, "estimate"] == pytest.approx(R_LOGIT["x1"][0], abs=1e-9)


def test_unclustered_ames_use_the_normal_reference(d):
    ame = fit(d, estimator="logit", cluster=[]).extra["ame"]
    r = ame["x2"]
    assert r["p_value"] == pytest.approx(2 * stats.norm.sf(abs(r["statistic"])), rel=1e-12)


def test_fixed_effects_stay_at_each_rows_value_and_get_no_ame(d):
    res = fit(d, estimator="logit", regressors=["x1", "x2"], fixed_effects=["city"])
    # With city as fixed effect the model is the same as with city as a regressor: same AMEs.
    ame = res.extra["ame"]
    assert set(ame) == {"x1", "x2"}
    assert ame["x2"]["estimate"] == pytest.approx(R_LOGIT["x2"][0], abs=1e-9)


def test_hand_computed_small_case_and_no_ames_with_interactions():
    # Two rows, logit, one continuous column: AME = mean(p(1 − p))·β, by hand.
    X = pd.DataFrame({"Intercept": [1.0, 1.0], "z": [0.0, 2.0]})
    beta = np.array([0.0, 0.5])
    out = average_marginal_effects(X, beta, np.eye(2) * 0.01, "logit", ["Intercept", "z"])
    p = 1 / (1 + np.exp(-np.array([0.0, 1.0])))
    assert out is not None and list(out) == ["z"]
    assert out["z"]["estimate"] == pytest.approx(float(np.mean(p * (1 - p)) * 0.5), rel=1e-12)
    X["z:w"] = [0.0, 1.0]
    assert average_marginal_effects(X, [0, 0.5, 0.1], np.eye(3), "logit", ["z"]) is None


def test_paper_table_with_statistic_ame_shows_the_ames(d):
    """`statistic: ame` in a `paper:` table swaps logit coefficients for AMEs (OLS untouched)."""
    from chainpb.present.paper import TableSpec, select_fits
    from chainpb.present.table_builders import regression_table

    logit = fit(d, estimator="logit")
    ols = fit(d, outcomes=["y"])
    spec = TableSpec(key="t", kind="regression", title="t", title_en="t", models=("m",))
    ame_spec = TableSpec(**{**spec.__dict__, "statistic": "ame"})
    models = {"m": {"outcomes": ["yb", "y"]}}
    plain = select_fits([logit, ols], spec, models)
    shown = select_fits([logit, ols], ame_spec, models)
    assert plain[0].coefs.equals(logit.coefs)
    x1 = shown[0].coefs.set_index("term").loc["x1"]
    assert x1["estimate"] == pytest.approx(R_LOGIT["x1"][0], abs=1e-9)
    assert "Intercept" not in set(shown[0].coefs["term"])
    assert shown[1] is ols  # OLS columns are unchanged
    table = regression_table(shown, terms=["x1", "x2"], language="zh")
    assert table.body[0][1] == "0.217**"  # AME 0.2173, p = 0.0102 < 0.05 (R above)
    assert table.body[1][1] == "(0.067)"
    assert any("平均边际效应" in n for n in table.notes)
    assert not any("其系数不是边际效应" in n for n in table.notes)

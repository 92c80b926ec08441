"""Few-cluster inference: t(G−1) for clustered logit/probit/ordered logit, and the restricted
wild cluster bootstrap (WCR, Webb weights) of OLS and absorbed-FE OLS.

Data: ``tests/data/wild_small.csv``, 212 firms in G = 10 chains (8 to 34 firms each) nested in
3 cities, written once by

    rng = np.random.default_rng(20251202); sizes = [8, 12, 15, 18, 20, 22, 25, 28, 30, 34]
    for g, sz in enumerate(sizes): city = "abc"[g % 3]; u = rng.normal(0, 0.8)
        share = rng.uniform(0.2, 0.8)
        for i in range(sz): x1 = int(rng.random() < share); x2 = round(rng.normal() + 0.5 * u, 4)
            y = round(1 + 0.3 * x1 + 0.5 * x2 + u + rng.normal() * (1 + 0.5 * x1), 4)

plus ``yb`` (0/1, logit with a chain effect) and ``yo`` (1–4, ordered logit), drawn from
``default_rng(7)``. The numbers below come from R 4.2.2 (Debian r-base-core, r-cran-sandwich
3.0, r-cran-lmtest, r-cran-mass) and from the Python package ``wildboottest`` 0.3.2 (not a
dependency: numba; no intervals), each call written beside its numbers.

The R WCR references use the weights of :func:`draw_weights` (``webb``, G = 10, B = 999, seed
20251126), written with ``np.savetxt("weights.csv", V, delimiter=",", fmt="%.17g")`` and read
by ``V <- as.matrix(read.csv("weights.csv", header = FALSE))``; clusters in sorted order,
``cl <- as.integer(factor(d$chain))``. Same weights → the same p-values exactly; R's own draws
(B = 99,999) → agreement within Monte Carlo error.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from chainpb.errors import ConfigError
from chainpb.models import collect_estimates, fit_job, model_jobs
from chainpb.models.result import ESTIMATES_COLUMNS, FitResult
from chainpb.models.wild import WEBB_VALUES, draw_weights, wild_cluster_bootstrap

DATA = Path(__file__).parent / "data" / "wild_small.csv"
SEED = 20251126


@pytest.fixture(scope="module")
def d() -> pd.DataFrame:
    return pd.read_csv(DATA)


def fit(d: pd.DataFrame, **spec):
    spec = {"outcomes": ["y"], "regressors": ["x1", "x2"], "cluster": ["chain"], **spec}
    (job,) = model_jobs({"m": spec})
    (res,) = fit_job(d, job)
    return res


def test_data_is_what_r_saw(d):
    assert d.shape == (212, 7) and d["chain"].nunique() == 10
    # cat(sprintf("%.4f %.4f %d %d", sum(d$y), sum(d$x2), sum(d$yb), sum(d$yo)))
    assert d["y"].sum() == pytest.approx(181.8025, abs=1e-9)
    assert d["x2"].sum() == pytest.approx(-20.4127, abs=1e-9)
    assert (d["yb"].sum(), d["yo"].sum()) == (104, 528)
    assert d.groupby("chain").size().tolist() == [8, 12, 15, 18, 20, 22, 25, 28, 30, 34]


# ---------------------------------------------------------------------------------------------
# 1. t(G−1) for clustered logit, probit, ordered logit
# ---------------------------------------------------------------------------------------------
# R:  G <- length(unique(d$chain))   # 10
#     g1 <- glm(yb ~ x1 + x2, family = binomial("logit"), data = d)
#     coeftest(g1, vcov = vcovCL(g1, cluster = ~chain, type = "HC1"), df = G - 1)
#     coefci(g1, vcov = vcovCL(g1, cluster = ~chain, type = "HC1"), df = G - 1)
# Convention: statsmodels' cluster covariance with use_correction=True multiplies the score
# sandwich by G/(G-1)·(N-1)/(N-K), which is vcovCL(type = "HC1") (cadjust G/(G-1) and HC1
# (N-1)/(N-K)); K counts the ordered logit's thresholds in both (estfun(polr) has 5 columns
# here). Stata's logit, vce(cluster) omits (N-1)/(N-K) and reports z.


def test_clustered_logit_uses_t_g_minus_1_as_r_coeftest(d):
    res = fit(d, estimator="logit", outcomes=["yb"])
    c = res.coefs.set_index("term")
    assert res.df_inference == 9.0 and res.reference_distribution == "t"
    assert "t(G-1)" in res.cov_type and ", z" not in res.cov_type
    # Estimate, Std. Error, Pr(>|t|) of coeftest(..., df = 9)
    assert c["estimate"].tolist() == pytest.approx(
        [-0.5076595753, 0.9572646540, 0.3439069882], abs=1e-7
    )
    assert c["std_error"].tolist() == pytest.approx(
        [0.1796122363, 0.2964274044, 0.1130914948], abs=1e-7
    )
    assert c["p_value"].tolist() == pytest.approx([0.019838, 0.010334, 0.013996], abs=1e-6)
    # coefci(..., df = 9): 2.5 % and 97.5 %
    assert c["conf_low"].tolist() == pytest.approx(
        [-0.9139706820152, 0.2866992779033, 0.0880762531608], abs=1e-6
    )
    assert c["conf_high"].tolist() == pytest.approx(
        [-0.101348468496, 1.627830030189, 0.599737723335], abs=1e-6
    )
    # Under z the p-value of x1 would be 0.00124: with 10 clusters the difference is large.
    assert 2 * stats.norm.sf(c.loc["x1", "statistic"]) == pytest.approx(0.00124, abs=1e-5)


def test_clustered_ordered_logit_uses_t_g_minus_1_as_r_polr(d):
    # p1 <- polr(factor(yo) ~ x1 + x2, data = d, method = "logistic", Hess = TRUE)
    # V <- vcovCL(p1, cluster = ~chain, type = "HC1")
    # coeftest(p1, vcov = V, df = G - 1); coefci(p1, vcov = V, df = G - 1)
    res = fit(d, estimator="ologit", outcomes=["yo"])
    c = res.coefs.set_index("term")
    assert res.df_inference == 9.0
    assert c["estimate"].tolist() == pytest.approx([0.4180719056, 0.4296776217], abs=1e-5)
    assert c["std_error"].tolist() == pytest.approx([0.3263365316, 0.1146634204], abs=1e-5)
    assert c["p_value"].tolist() == pytest.approx([0.2321800, 0.0045737], abs=1e-5)
    assert c["conf_low"].tolist() == pytest.approx([-0.320152616713, 0.170290943852], abs=1e-4)
    assert c["conf_high"].tolist() == pytest.approx([1.156296427983, 0.689064299509], abs=1e-4)


def test_clustered_probit_and_unclustered_glm(d):
    # Probit: t(9) from the reported statistic (its SEs use the observed information, so they
    # differ from glm's vcovCL by about 1 %; see test_models_reference).
    res = fit(d, estimator="probit", outcomes=["yb"])
    c = res.coefs.set_index("term")
    assert res.df_inference == 9.0
    assert c["p_value"].tolist() == pytest.approx(
        (2 * stats.t.sf(np.abs(c["statistic"]), 9)).tolist(), rel=1e-12
    )
    # Without clusters: HC1 sandwich and z, as before.
    res = fit(d, estimator="logit", outcomes=["yb"], cluster=[])
    assert res.df_inference is None and res.cov_type.endswith(", z")
    assert "wild_bootstrap" not in res.extra


class _Records(logging.Handler):
    """Collects the records of one logger (independent of propagation to the root logger,
    which the scripts' logger switches off)."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_few_clusters_warning_in_the_fit_log(d):
    logger = logging.getLogger("chainpb.models.wild")
    seen = _Records()
    logger.addHandler(seen)
    try:
        fit(d, estimator="logit", outcomes=["yb"])
        fit(d)
        logit_msg, ols_msg = seen.messages
        fit(d, cluster=[])  # not clustered: no warning
        assert len(seen.messages) == 2
    finally:
        logger.removeHandler(seen)
    for msg in (logit_msg, ols_msg):
        assert msg.startswith("m / ") and "G = 10" in msg and "t(G−1)" in msg
        assert "CR1 聚类稳健标准误偏小" in msg and "too small and tests over-reject" in msg
    assert "野聚类自助法" not in logit_msg and "wild cluster bootstrap" in ols_msg


# ---------------------------------------------------------------------------------------------
# 2. Wild cluster bootstrap
# ---------------------------------------------------------------------------------------------


def test_webb_weights_are_wildboottests_draw():
    # wildboottest.weights.webb: rng.choice(a=concat(-sqrt([3,2,1]/2), sqrt([1,2,3]/2)), size=n)
    assert WEBB_VALUES.tolist() == pytest.approx(
        [-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)], abs=1e-15
    )
    V = draw_weights("webb", 10, 999, SEED)
    assert V.shape == (10, 999)
    # The first weights as written to weights.csv for R.
    assert V[0, :3].tolist() == pytest.approx([np.sqrt(1.5), -np.sqrt(0.5), -np.sqrt(1.5)])
    assert V[1, :3].tolist() == pytest.approx([-1.0, np.sqrt(0.5), -np.sqrt(0.5)])
    # Six points, each about 1/6, mean 0 and variance 1.
    assert sorted(set(np.round(V.ravel(), 12))) == sorted(np.round(WEBB_VALUES, 12))
    assert abs(V.mean()) < 0.03 and V.var() == pytest.approx(1.0, abs=0.03)


# R, the textbook loop (lm + vcovCL at every replication) on the same weights:
#   wcr_loop <- function(f, term, V) {
#     fit <- lm(f, d)
#     t0 <- coef(fit)[term] / sqrt(vcovCL(fit, cluster = ~chain, type = "HC1")[term, term])
#     X <- model.matrix(fit)
#     r <- lm.fit(X[, colnames(X) != term, drop = FALSE], d$y)   # restricted: coef = 0
#     yfit <- d$y - r$residuals
#     tb <- numeric(ncol(V))
#     for (b in seq_len(ncol(V))) {
#       ys <- yfit + r$residuals * V[cl, b]
#       fb <- lm(ys ~ X - 1)
#       tb[b] <- coef(fb)[paste0("X", term)] /
#         sqrt(vcovCL(fb, cluster = d$chain, type = "HC1")[paste0("X", term), paste0("X", term)])
#     }
#     mean(abs(tb) > abs(t0))
#   }
#   wcr_loop(y ~ x1 + x2, "x1", V)                  # (Intercept) x1 x2 in turn
#   wcr_loop(y ~ x1 + x2 + factor(city), "x1", V)   # city fixed effects as dummies
# Intervals: the same test, vectorised over replications, inverted as chainpb does it (step out
# from the estimate by qt(.975, G - 1) * se, doubling, until p <= .05; bisect to 1e-9 se):
#   wcr_p <- function(X, y, j, beta0, V) {
#     A <- solve(crossprod(X)); bh <- A %*% crossprod(X, y); u <- as.vector(y - X %*% bh)
#     wv <- as.vector(X %*% A[j, ]); se <- sqrt(sum(rowsum(wv * u, cl)^2))
#     t0 <- (bh[j] - beta0) / se
#     r <- lm.fit(X[, -j, drop = FALSE], y - beta0 * X[, j]); ut <- r$residuals
#     Ys <- (y - ut) + ut * V[cl, ]; Bs <- A %*% crossprod(X, Ys); Us <- Ys - X %*% Bs
#     tb <- (Bs[j, ] - beta0) / sqrt(colSums(rowsum(wv * Us, cl)^2))
#     list(p = mean(abs(tb) > abs(t0)), est = bh[j], se = se) }
#   wcr_ci <- function(X, y, j, V) {
#     s <- wcr_p(X, y, j, 0, V); tol <- 1e-9 * s$se + 1e-15 * abs(s$est)
#     sapply(c(-1, 1), function(side) {
#       step <- qt(0.975, G - 1) * s$se; inside <- s$est; outside <- s$est + side * step
#       while (wcr_p(X, y, j, outside, V)$p > 0.05) {
#         inside <- outside; step <- 2 * step; outside <- s$est + side * step }
#       while (abs(outside - inside) > tol) {
#         mid <- (inside + outside) / 2
#         if (wcr_p(X, y, j, mid, V)$p <= 0.05) outside <- mid else inside <- mid }
#       (inside + outside) / 2 }) }
#   X0 <- model.matrix(~ x1 + x2, d); X1 <- model.matrix(~ x1 + x2 + factor(city), d)
#   wcr_ci(X0, d$y, 2, V)                           # and j = 1, 3; X1 with j = 2, 3
R_NO_FE = {  # term: (p-value, conf_low, conf_high)
    "Intercept": (0.00800800800801, 0.166635738272, 1.44631020222),
    "x1": (0.341341341341, -0.230909750047, 0.777179317278),
    "x2": (0.001001001001, 0.473453034175, 1.12296225673),
}
R_CITY_FE = {
    "x1": (0.371371371371, -0.222575654259, 0.710415034675),
    "x2": (0.001001001001, 0.445451596912, 1.05681235822),
}


def _check_against(record: dict, reference: dict) -> None:
    assert record["type"] == "WCR" and record["weights"] == "webb"
    assert record["reps"] == 999 and record["seed"] == SEED
    assert set(record["terms"]) == set(reference)
    for term, (p, lo, hi) in reference.items():
        got = record["terms"][term]
        assert got["p_value"] == pytest.approx(p, abs=1e-10), term
        assert got["conf_low"] == pytest.approx(lo, abs=1e-8), term
        assert got["conf_high"] == pytest.approx(hi, abs=1e-8), term


def test_wild_bootstrap_of_clustered_ols_matches_r_on_the_same_weights(d):
    res = fit(d)  # default: G = 10 < 30 → Webb, 999 replications, seed 20251126
    _check_against(res.extra["wild_bootstrap"], R_NO_FE)
    assert res.extra["wild_bootstrap"]["fixed_effects"] is None
    # wildboottest 0.3.2 on the same data and seed gives the same p-values:
    #   wildboottest(sm.OLS(d.y, X), B=999, cluster=pd.factorize(d.chain, sort=True)[0],
    #                param=p, weights_type="webb", seed=20251126)   # X: Intercept, x1, x2
    #   → 0.008008008008008008, 0.34134134134134136, 0.001001001001001001
    #   seed=1 → 0.006006006006006006, 0.33933933933933935, 0.001001001001001001
    p = {t: v["p_value"] for t, v in res.extra["wild_bootstrap"]["terms"].items()}
    assert list(p.values()) == pytest.approx([8 / 999, 341 / 999, 1 / 999], abs=1e-15)
    other = fit(d, wild_bootstrap={"seed": 1})
    p1 = [v["p_value"] for v in other.extra["wild_bootstrap"]["terms"].values()]
    assert p1 == pytest.approx([6 / 999, 339 / 999, 1 / 999], abs=1e-15)


def test_wild_bootstrap_with_absorbed_fe_is_the_dummy_regressions(d):
    # FWL: demeaned by city, then bootstrapped with the dummy regression's residuals M_[X,D].
    res = fit(d, fixed_effects=["city"])
    _check_against(res.extra["wild_bootstrap"], R_CITY_FE)
    assert res.extra["wild_bootstrap"]["fixed_effects"] == "FWL"
    # wildboottest 0.3.2 with the city dummies in X: x1 0.3713713713713714, x2 0.001001001001001001
    # The same with our function on the dummy design, bit for bit up to rounding:
    X = pd.get_dummies(d["city"], dtype=float).to_numpy()[:, 1:]
    X = np.column_stack([np.ones(len(d)), d["x1"], d["x2"], X])
    names = ["Intercept", "x1", "x2", "b", "c"]
    lsdv = wild_cluster_bootstrap(d["y"], X, d["chain"], names, reps=999, seed=SEED)
    for term in ("x1", "x2"):
        for key in ("p_value", "conf_low", "conf_high"):
            assert res.extra["wild_bootstrap"]["terms"][term][key] == pytest.approx(
                lsdv["terms"][term][key], abs=1e-10
            )


def test_naive_demeaned_bootstrap_would_differ(d):
    # The chains are nested within the cities, so the city FE are not nested within the
    # clusters: bootstrapping the demeaned data without projecting the city means of ũ·v out of
    # the bootstrap residuals is not the dummy regression's bootstrap (x2's bound moves ~0.04).
    from chainpb.models.fe import demean

    codes = pd.factorize(d["city"], sort=True)[0]
    w = demean(d[["y", "x1", "x2"]].to_numpy(float), codes)
    naive = wild_cluster_bootstrap(w[:, 0], w[:, 1:], d["chain"], ["x1", "x2"], reps=999, seed=SEED)
    assert naive["terms"]["x2"]["conf_low"] == pytest.approx(0.48731587, abs=1e-6)
    assert abs(naive["terms"]["x2"]["conf_low"] - R_CITY_FE["x2"][1]) > 0.04


def test_wild_bootstrap_p_values_within_monte_carlo_error_of_r_draws(d):
    # R's own generator, B = 99,999:
    #   set.seed(20251126)
    #   webb <- c(-sqrt(3/2), -1, -sqrt(1/2), sqrt(1/2), 1, sqrt(3/2))
    #   Vr <- matrix(sample(webb, G * 99999, replace = TRUE), G)
    #   wcr_p(X0, d$y, j, 0, Vr)$p: x1 0.330963309633, x2 0.00183001830018
    #   wcr_p(X1, d$y, j, 0, Vr)$p: x1 0.375203752038, x2 0.00137001370014
    # Ours with B = 99,999: the difference of two independent estimates of p has Monte Carlo
    # SE sqrt(p(1-p)(1/B_R + 1/B_py)) (0.0021 at p = 0.33, 0.00019 at p = 0.0018); allow 3 SE.
    from chainpb.models.fe import demean

    B = 99_999
    codes = pd.factorize(d["city"], sort=True)[0]
    X0 = np.column_stack([np.ones(len(d)), d["x1"], d["x2"]])
    w = demean(d[["y", "x1", "x2"]].to_numpy(float), codes)
    cases = [
        (wild_cluster_bootstrap(d["y"], X0, d["chain"], ["Intercept", "x1", "x2"], reps=B, seed=SEED),
         {"x1": 0.330963309633, "x2": 0.00183001830018}),
        (wild_cluster_bootstrap(w[:, 0], w[:, 1:], d["chain"], ["x1", "x2"], reps=B, seed=SEED, fe_codes=codes),
         {"x1": 0.375203752038, "x2": 0.00137001370014}),
    ]  # fmt: skip
    for record, ref in cases:
        for term, p_r in ref.items():
            p = record["terms"][term]["p_value"]
            mc_se = np.sqrt(p_r * (1 - p_r) * (1 / B + 1 / B))
            assert abs(p - p_r) < 3 * mc_se, (term, p, p_r, mc_se)


def test_same_seed_same_numbers_and_seed_matters(d):
    a = fit(d, fixed_effects=["city"]).to_dict()
    b = fit(d, fixed_effects=["city"]).to_dict()
    assert a["extra"]["wild_bootstrap"] == b["extra"]["wild_bootstrap"]
    c = fit(d, fixed_effects=["city"], wild_bootstrap={"seed": 7}).to_dict()
    assert c["extra"]["wild_bootstrap"]["seed"] == 7
    assert c["extra"]["wild_bootstrap"]["terms"] != a["extra"]["wild_bootstrap"]["terms"]
    # The FitResult round trip keeps the record exactly.
    assert FitResult.from_dict(a).extra["wild_bootstrap"] == a["extra"]["wild_bootstrap"]


def test_when_the_wild_bootstrap_runs(d):
    assert "wild_bootstrap" not in fit(d, wild_bootstrap={"when": "never"}).extra
    assert "wild_bootstrap" not in fit(d, cluster=[]).extra  # HC1: no clusters
    assert "wild_bootstrap" not in fit(d, cluster=["chain", "city"]).extra  # two-way: not done
    assert "wild_bootstrap" not in fit(d, estimator="logit", outcomes=["yb"]).extra
    # G >= 30: off by default, on with when: always.
    many = d.assign(firm_cluster=[f"f{i // 5:02d}" for i in range(len(d))])  # 43 clusters
    assert "wild_bootstrap" not in fit(many, cluster=["firm_cluster"]).extra
    rec = fit(many, cluster=["firm_cluster"], wild_bootstrap={"when": "always", "reps": 199})
    assert rec.extra["wild_bootstrap"]["reps"] == 199
    assert rec.extra["wild_bootstrap"]["n_clusters"] == 43
    # Rademacher weights on request.
    rad = fit(d, wild_bootstrap={"weights": "rademacher"}).extra["wild_bootstrap"]
    assert rad["weights"] == "rademacher" and rad["terms"]["x2"]["p_value"] < 0.05


def test_estimates_csv_columns(d):
    est = collect_estimates([fit(d), fit(d, cluster=[])])
    assert list(est.columns) == ESTIMATES_COLUMNS
    assert {"wild_p_value", "wild_conf_low", "wild_conf_high"} <= set(est.columns)
    assert ESTIMATES_COLUMNS[-1] == "note"
    clustered = est[est["cov_type"].str.contains("cluster")].set_index("term")
    assert clustered.loc["x1", "wild_p_value"] == pytest.approx(R_NO_FE["x1"][0], abs=1e-10)
    assert clustered.loc["x2", "wild_conf_high"] == pytest.approx(R_NO_FE["x2"][2], abs=1e-8)
    hc1 = est[~est["cov_type"].str.contains("cluster")]
    assert hc1[["wild_p_value", "wild_conf_low", "wild_conf_high"]].isna().all().all()


def test_robustness_variant_inherits_and_overrides(d):
    config = {
        "m": {
            "outcomes": ["y"],
            "regressors": ["x1", "x2"],
            "cluster": ["chain"],
            "wild_bootstrap": {"reps": 499, "seed": 3},
            "robustness": {"off": {"wild_bootstrap": {"when": "never"}}, "fe": {"fixed_effects": ["city"]}},
        }
    }  # fmt: skip
    specs = {j.model: j.spec for j in model_jobs(config)}
    assert specs["m"].wild_bootstrap.reps == 499
    assert specs["m__fe"].wild_bootstrap.seed == 3
    assert specs["m__off"].wild_bootstrap.when == "never"


@pytest.mark.parametrize(
    "value",
    [{"weights": "mammen"}, {"when": "sometimes"}, {"reps": "many"}, {"rep": 999}, [999]],
)
def test_bad_wild_bootstrap_settings_stop_with_the_key(value):
    with pytest.raises(ConfigError, match="wild_bootstrap"):
        model_jobs({"m": {"outcomes": ["y"], "regressors": ["x"], "wild_bootstrap": value}})


def test_schema_accepts_and_rejects_wild_bootstrap():
    import yaml

    from chainpb.config import validate_against_schema

    root = Path(__file__).parents[1] / "workflow" / "schemas" / "config.schema.yaml"
    schema = yaml.safe_load(root.read_text(encoding="utf-8"))
    model = {"$defs": schema["$defs"], "$ref": "#/$defs/model"}
    ok = {"outcomes": ["y"], "regressors": ["x"], "wild_bootstrap": {"reps": 999, "seed": 1}}
    validate_against_schema(ok, model, what="config")
    for bad in ({"weights": "mammen"}, {"when": "sometimes"}, {"reps": 10}, {"rep": 999}):
        with pytest.raises(ConfigError):
            validate_against_schema({**ok, "wild_bootstrap": bad}, model, what="config")
    variant = {"$defs": schema["$defs"], "$ref": "#/$defs/variant"}
    validate_against_schema({"wild_bootstrap": {"when": "never"}}, variant, what="config")

"""Models against R on a simulated clustered data set.

Reference numbers: R 4.x, sandwich, MASS, lme4 (Debian r-cran packages) on the CSV written by
``simulate_firms().to_csv(index=False)``; the R script is pasted next to each number.
Common R preamble:

    library(sandwich); library(MASS); library(lme4); options(digits = 12)
    d <- read.csv("sim.csv", encoding = "UTF-8")
    d$ownership <- factor(d$ownership, levels = c("国有", "外资", "民营", "混合所有制"))
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chainpb.models import fit_job, model_jobs


def simulate_firms(seed: int = 7, n_chains: int = 12, per_chain: int = 25) -> pd.DataFrame:
    """300 firms in 12 chains over 3 cities with a chain random intercept (values rounded to
    4 decimals so that the CSV handed to R holds exactly the same numbers)."""
    rng = np.random.default_rng(seed)
    rows = []
    cities = ["suqian", "suzhou", "wuxi"]
    own = ["国有", "民营", "外资", "混合所有制"]
    for g in range(n_chains):
        city = cities[g % 3]
        u = rng.normal(0, 0.7)
        for _ in range(per_chain):
            am = int(rng.random() < 0.5)
            dr = int(rng.random() < 0.4)
            le = round(float(rng.normal(4, 1)), 4)
            ow = own[int(rng.integers(0, 4))]
            coop = round(float(1 + 0.6 * am + 0.3 * dr + 0.2 * rng.normal() + u * 0.5), 4)
            rd = round(
                float(2 + 0.8 * am - 0.3 * dr + 0.25 * le + 0.4 * coop + u + rng.normal()), 4
            )
            p = 1 / (1 + np.exp(-(-0.5 + 0.9 * am + 0.3 * le - 1.2 + u)))
            yb = int(rng.random() < p)
            lat = -0.5 + 0.8 * am + 0.3 * dr + u + rng.logistic()
            res = int(np.digitize(lat, [-1.0, 0.0, 1.0, 2.0]) + 1)
            rows.append(
                {
                    "city_key": city,
                    "chain_id": f"{city}|c{g:02d}",
                    "alliance_member": am,
                    "diff_resource": dr,
                    "log_employees": le,
                    "ownership": ow,
                    "coop_projects": coop,
                    "rd_intensity": rd,
                    "has_patent": yb,
                    "resilience": res,
                    "year": int(rng.integers(0, 4)),
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def firms() -> pd.DataFrame:
    return simulate_firms()


BASE = {
    "outcomes": ["rd_intensity"],
    "regressors": ["alliance_member", "diff_resource"],
    "controls": ["log_employees", "ownership"],
}


def fit_one(data: pd.DataFrame, spec: dict):
    (job,) = model_jobs({"m": spec})
    (res,) = fit_job(data, job)
    return res.coefs.set_index("term"), res


def test_simulated_data_is_what_r_saw(firms):
    # Guards the reference: if numpy's generator stream changed, every number below would be
    # compared with R results on different data. Sums computed from /tmp sim.csv in R:
    # sum(d$rd_intensity) = 1164.737 ; nrow(d) = 300
    assert len(firms) == 300
    assert firms["rd_intensity"].sum() == pytest.approx(1164.737, abs=1e-6)


def test_absorbed_fe_oneway_cluster_matches_r_dummy_ols(firms):
    # f1 <- lm(rd_intensity ~ alliance_member + diff_resource + log_employees + ownership
    #          + factor(city_key), data = d)
    # coef(f1); sqrt(diag(vcovCL(f1, cluster = ~chain_id, type = "HC1")))
    # summary(f1)$r.squared; summary(f1)$adj.r.squared
    # Our df convention counts absorbed levels (areg), so K equals lm's K: no adjustment.
    c, res = fit_one(firms, {**BASE, "fixed_effects": ["city_key"], "cluster": ["chain_id"]})
    assert c.loc["alliance_member", "estimate"] == pytest.approx(1.2395474936706, abs=1e-8)
    assert c.loc["diff_resource", "estimate"] == pytest.approx(-0.1655474526860, abs=1e-8)
    assert c.loc["C(ownership)[T.混合所有制]", "estimate"] == pytest.approx(
        0.1623333403124, abs=1e-8
    )
    assert c.loc["alliance_member", "std_error"] == pytest.approx(0.1482096815549, abs=1e-8)
    assert c.loc["diff_resource", "std_error"] == pytest.approx(0.1687115076923, abs=1e-8)
    assert c.loc["log_employees", "std_error"] == pytest.approx(0.0684589826758, abs=1e-8)
    assert res.r2 == pytest.approx(0.241202971721, abs=1e-9)
    assert res.adj_r2 == pytest.approx(0.220342572318, abs=1e-9)
    assert res.n_clusters == 12
    assert "Intercept" not in c.index  # absorbed
    # t(G-1) = t(11): p for alliance_member from its t statistic
    from scipy import stats

    t = c.loc["alliance_member", "statistic"]
    assert c.loc["alliance_member", "p_value"] == pytest.approx(2 * stats.t(11).sf(abs(t)))


def test_absorbed_fe_twoway_cluster_matches_r(firms):
    # sqrt(diag(vcovCL(f1, cluster = ~chain_id + year, type = "HC1")))[2:4]
    c, res = fit_one(
        firms, {**BASE, "fixed_effects": ["city_key"], "cluster": ["chain_id", "year"]}
    )
    assert c.loc["alliance_member", "std_error"] == pytest.approx(0.0722007955976, abs=1e-8)
    assert c.loc["diff_resource", "std_error"] == pytest.approx(0.1198171812369, abs=1e-8)
    assert c.loc["log_employees", "std_error"] == pytest.approx(0.0274711172574, abs=1e-8)
    # R gives NaN for ownership外资 (negative variance in V_a + V_b - V_ab): so do we.
    assert np.isnan(c.loc["C(ownership)[T.外资]", "std_error"])
    assert res.n_clusters == 4  # min(G_chain = 12, G_year = 4)


def test_two_fixed_effects_match_r_dummy_ols(firms):
    # f2 <- lm(rd_intensity ~ alliance_member + diff_resource + factor(chain_id) + factor(year), d)
    # coef(f2)[2:3]; sqrt(diag(vcovCL(f2, cluster = ~chain_id, type = "HC1")))[2:3]
    # summary(f2)$r.squared
    spec = {
        "outcomes": ["rd_intensity"],
        "regressors": ["alliance_member", "diff_resource"],
        "fixed_effects": ["chain_id", "year"],
        "cluster": ["chain_id"],
    }
    c, res = fit_one(firms, spec)
    assert c.loc["alliance_member", "estimate"] == pytest.approx(1.10156483011, abs=1e-8)
    assert c.loc["diff_resource", "estimate"] == pytest.approx(-0.18502477682, abs=1e-8)
    assert c.loc["alliance_member", "std_error"] == pytest.approx(0.106388927052, abs=1e-9)
    assert c.loc["diff_resource", "std_error"] == pytest.approx(0.155547959804, abs=1e-9)
    assert res.r2 == pytest.approx(0.546412525165, abs=1e-9)
    assert res.extra["absorbed_levels"] == 12 + 4 - 1


def test_ols_without_fe_oneway_twoway_hc1_match_r(firms):
    # f0 <- lm(rd_intensity ~ alliance_member + diff_resource + log_employees + ownership, d)
    # sqrt(diag(vcovCL(f0, cluster = ~chain_id, type = "HC1")))
    c, _ = fit_one(firms, {**BASE, "cluster": ["chain_id"]})
    assert c.loc["Intercept", "std_error"] == pytest.approx(0.3599265557675, abs=1e-9)
    assert c.loc["alliance_member", "std_error"] == pytest.approx(0.1726876011204, abs=1e-9)
    # sqrt(diag(vcovCL(f0, cluster = ~chain_id + year, type = "HC1")))
    c, _ = fit_one(firms, {**BASE, "cluster": ["chain_id", "year"]})
    assert c.loc["alliance_member", "std_error"] == pytest.approx(0.127268627074, abs=1e-9)
    assert c.loc["C(ownership)[T.民营]", "std_error"] == pytest.approx(0.152564083200, abs=1e-9)
    # sqrt(diag(vcovHC(f0, type = "HC1")))
    c, res = fit_one(firms, BASE)
    assert c.loc["alliance_member", "std_error"] == pytest.approx(0.1535699517860, abs=1e-9)
    assert c.loc["log_employees", "std_error"] == pytest.approx(0.0720209095658, abs=1e-9)
    assert res.n_clusters is None
    assert res.extra["df_inference"] == 300 - 7


def test_logit_probit_match_r_glm_vcovcl(firms):
    # g1 <- glm(has_patent ~ alliance_member + log_employees, family = binomial("logit"), d)
    # coef(g1); sqrt(diag(vcovCL(g1, cluster = ~chain_id, type = "HC1")))
    spec = {
        "estimator": "logit",
        "outcomes": ["has_patent"],
        "regressors": ["alliance_member", "log_employees"],
        "cluster": ["chain_id"],
    }
    c, res = fit_one(firms, spec)
    assert c["estimate"].tolist() == pytest.approx(
        [-2.30217890370, 1.03828956870, 0.46480768704], abs=1e-6
    )
    assert c["std_error"].tolist() == pytest.approx(
        [0.500749015030, 0.188165417504, 0.112825164404], abs=1e-6
    )
    assert 0 < res.pseudo_r2 < 1
    # g2 <- glm(..., family = binomial("probit")); coef(g2)
    c, _ = fit_one(firms, {**spec, "estimator": "probit"})
    assert c["estimate"].tolist() == pytest.approx(
        [-1.421523612592, 0.641959054149, 0.286676584216], abs=1e-6
    )
    # Probit is not a canonical link: glm's bread is the expected information and gives
    # vcovCL SEs 0.303017870382 0.113864468455 0.068400142228; ours (statsmodels, Stata) use the
    # observed information. Reference with the observed Hessian in R:
    #   X <- model.matrix(g2); y <- d$has_patent; n <- nrow(X)
    #   nll <- function(b) { eta <- X %*% b; -sum(y * pnorm(eta, log.p = TRUE)
    #                                             + (1 - y) * pnorm(-eta, log.p = TRUE)) }
    #   B <- n * solve(optimHess(coef(g2), nll))
    #   sqrt(diag(B %*% meatCL(g2, cluster = ~chain_id, type = "HC1") %*% B / n))
    # (optimHess is numerical, hence abs=1e-5)
    assert c["std_error"].tolist() == pytest.approx(
        [0.3067932236956, 0.1139311202291, 0.0689360892738], abs=1e-5
    )


def test_ordered_logit_matches_r_polr(firms):
    # p1 <- polr(factor(resilience) ~ alliance_member + diff_resource, d, method = "logistic")
    # coef(p1): 1.007808479811 0.487582139912
    # p1$zeta: -0.198957113377 0.662866213863 1.503324646083 2.255853167638
    # polr: logit P(Y <= j) = zeta_j - x'b, the same signs as OrderedModel.
    spec = {
        "estimator": "ologit",
        "outcomes": ["resilience"],
        "regressors": ["alliance_member", "diff_resource"],
        "cluster": ["chain_id"],
    }
    c, res = fit_one(firms, spec)
    assert c.loc["alliance_member", "estimate"] == pytest.approx(1.007808479811, abs=1e-4)
    assert c.loc["diff_resource", "estimate"] == pytest.approx(0.487582139912, abs=1e-4)
    zeta = [-0.198957113377, 0.662866213863, 1.503324646083, 2.255853167638]
    assert list(res.extra["thresholds"].values()) == pytest.approx(zeta, abs=1e-4)
    assert list(res.extra["thresholds"]) == ["1|2", "2|3", "3|4", "4|5"]


def test_mixed_model_matches_lmer(firms):
    # m1 <- lmer(rd_intensity ~ alliance_member + diff_resource + log_employees + ownership
    #            + factor(city_key) + (1 | chain_id), data = d, REML = TRUE)
    # fixef(m1)[1:4]; sqrt(diag(as.matrix(vcov(m1))))[2]; as.data.frame(VarCorr(m1))$vcov
    spec = {**BASE, "estimator": "mixedlm", "group": "chain_id", "fixed_effects": ["city_key"]}
    c, res = fit_one(firms, spec)
    assert c["estimate"].iloc[:4].tolist() == pytest.approx(
        [2.5089985822407, 1.1006125928084, -0.1874991330850, 0.1900280513795], abs=1e-3
    )
    assert c.loc["alliance_member", "std_error"] == pytest.approx(0.1182943743679, abs=1e-3)
    assert res.extra["var_group"] == pytest.approx(0.90384193277, rel=1e-2)
    assert res.extra["var_residual"] == pytest.approx(1.01725091995, rel=1e-2)
    assert "C(city_key)[T.suzhou]" not in c.index  # FE dummies not reported

"""Linear hypotheses (``tests:``) and subgroup comparisons (``compare:``) against R.

Reference numbers: R 4.x with sandwich, lmtest and car (Debian r-cran packages) on the CSV that
``hypothesis_firms().to_csv("d.csv", index=False)`` writes. The R script (``options(digits = 15)``)::

    library(sandwich); library(lmtest); library(car)
    d <- read.csv("d.csv", encoding = "UTF-8"); d$city_key <- factor(d$city_key)
    fit <- lm(y ~ a + b + c + x + city_key, data = d)
    V <- vcovCL(fit, cluster = ~chain_id, type = "HC1"); G <- length(unique(d$chain_id))  # 10
    lh <- linearHypothesis(fit, "a + b = 0", vcov. = V, test = "F")
    lh$F[2]; lh[["Pr(>F)"]][2]                  # car: F and its p under F(1, N - K = 74)
    pf(lh$F[2], 1, G - 1, lower.tail = FALSE)   # the project's p: F(1, G - 1 = 9)
    L <- c(0, 1, 1, 0, 0, 0); sum(L * coef(fit)); sqrt(drop(t(L) %*% V %*% L))
    # likewise c("a = 0", "b = 0") (q = 2), "a = b", "2*b - c = 0.1"
    Vh <- vcovHC(fit, type = "HC1")            # no clusters: F(q, N - K) is the project's df too
    linearHypothesis(fit, c("a = 0", "b = 0"), vcov. = Vh, test = "F")
    gl <- glm(yb ~ a + b + x + city_key, data = d, family = binomial)
    linearHypothesis(gl, "a + b = 0", vcov. = vcovCL(gl, cluster = ~chain_id, type = "HC1"),
                     test = "Chisq")
    # comparison: private (民营) vs state (国有, 混合所有制), fully interacted, group-specific FE
    p <- subset(d, ownership %in% c("民营", "国有", "混合所有制"))
    p$D <- as.numeric(p$ownership != "民营"); p$fe <- factor(paste(p$city_key, p$D))
    pf_ <- lm(y ~ 0 + fe + a + b + x + a:D + b:D + x:D, data = p)
    Vp <- vcovCL(pf_, cluster = ~chain_id, type = "HC1")
    lh <- linearHypothesis(pf_, "a:D = 0", vcov. = Vp, test = "F")   # and "b:D = 0"
    pf(lh$F[2], 1, length(unique(p$chain_id)) - 1, lower.tail = FALSE)
    coef(lm(y ~ a + b + x + city_key, data = subset(p, D == 0)))["a"]  # and D == 1

car's F equals the project's F (both W/q with the same cluster-robust V); car's default p-value
uses F(q, N - K), the project's F(q, G - 1) as Stata's ``test`` after ``regress, vce(cluster)``
does, so the p-values below come from R's ``pf(F, q, G - 1)``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from chainpb.errors import ChainpbError, ConfigError
from chainpb.models import FitResult, collect_tests, comparison_jobs, fit_job, model_jobs
from chainpb.models.compare import fit_comparisons
from chainpb.models.restrictions import RestrictionError, parse_restrictions
from chainpb.models.spec import fitting_config, job_by_key, parse_models
from chainpb.present.tables import attach_hypothesis_tests, regression_table


def hypothesis_firms(seed: int = 20251201) -> pd.DataFrame:
    """80 firms, 10 chains in 2 cities, five ownership types; values rounded to 4 decimals so
    that the CSV handed to R holds the same numbers. ``z = b + c`` is exactly collinear."""
    rng = np.random.default_rng(seed)
    own = ["民营", "国有", "民营", "混合所有制", "外资"]
    rows = []
    for g in range(10):
        city = ("suqian", "wuxi")[g % 2]
        u = rng.normal(0, 0.5)
        for i in range(8):
            a = int(rng.random() < 0.5)
            b = round(float(rng.normal()), 4)
            c = round(float(rng.normal()), 4)
            x = round(float(rng.normal(4, 1)), 4)
            ow = own[(g + i) % 5]
            bonus = 0.4 * a if ow == "民营" else 0.0
            y = round(
                float(1 + 0.5 * a - 0.3 * b + 0.2 * c + 0.3 * x + bonus + u + rng.normal()), 4
            )
            yb = int(rng.random() < 1 / (1 + np.exp(-(-1 + 0.8 * a + 0.5 * b + u))))
            rows.append(
                {
                    "city_key": city,
                    "chain_id": f"c{g:02d}",
                    "region": f"r{g % 4}",
                    "ownership": ow,
                    "a": a,
                    "b": b,
                    "c": c,
                    "x": x,
                    "y": y,
                    "yb": yb,
                }
            )
    df = pd.DataFrame(rows)
    df["z"] = df["b"] + df["c"]
    return df


@pytest.fixture(scope="module")
def firms() -> pd.DataFrame:
    return hypothesis_firms()


MAIN = {
    "label": "基准",
    "outcomes": ["y"],
    "regressors": ["a", "b", "c"],
    "controls": ["x"],
    "fixed_effects": ["city_key"],
    "cluster": ["chain_id"],
    "tests": ["a + b = 0", ["a = 0", "b = 0"], "a = b", "2*b - c = 0.1"],
    "robustness": {"hc1": {"cluster": [], "tests": ["a = 0, b = 0"]}},
}
GROUP = {
    "outcomes": ["y"],
    "regressors": ["a", "b"],
    "controls": ["x"],
    "fixed_effects": ["city_key"],
    "cluster": ["chain_id"],
}
CONFIG = {
    "m": MAIN,
    "lg": {**GROUP, "estimator": "logit", "outcomes": ["yb"], "tests": ["a + b = 0"]},
    "private": {
        **GROUP,
        "label": "民营企业",
        "label_en": "Private firms",
        "subset": "ownership == '民营'",
        "compare": {"with": "state", "terms": ["a", "b"]},
    },
    "state": {
        **GROUP,
        "label": "国有企业",
        "label_en": "State firms",
        "subset": "ownership in ['国有', '混合所有制']",
    },
}


def fit_all(data: pd.DataFrame, config: dict) -> tuple[list[FitResult], list[FitResult]]:
    fits = [res for job in model_jobs(config) for res in fit_job(data, job)]
    return fits, fit_comparisons(data, comparison_jobs(config))


@pytest.fixture(scope="module")
def fitted(firms) -> tuple[list[FitResult], list[FitResult]]:
    return fit_all(firms, CONFIG)


@pytest.fixture(scope="module")
def tests_table(fitted) -> pd.DataFrame:
    return collect_tests(*fitted, CONFIG).set_index(["model", "restriction"])


def test_data_is_what_r_saw(firms):
    # R: nrow(d) 80, sum(d$y) 195.006, sum(d$b) 1.1554, sum(d$yb) 23; 民营 32, others 16 each
    assert len(firms) == 80
    assert firms["y"].sum() == pytest.approx(195.006, abs=1e-9)
    assert firms["b"].sum() == pytest.approx(1.1554, abs=1e-9)
    assert firms["yb"].sum() == 23
    assert firms["ownership"].value_counts().to_dict() == {
        "民营": 32,
        "国有": 16,
        "混合所有制": 16,
        "外资": 16,
    }


# restriction as tested → (F from car::linearHypothesis, p from pf(F, q, G - 1 = 9)); car's own
# p-values with df2 = N - K = 74 are 0.0036399457750373, 0.00115065051790162,
# 0.000245712627308141 and 2.27763771304944e-07 — not the project's.
CLUSTERED = {
    "a + b = 0": (9.02087810589188, 0.014872266812423, 1),
    "a = 0; b = 0": (7.4258437914003, 0.0124524637936701, 2),
    "a - b = 0": (14.8510713858534, 0.00388422960523574, 1),
    "2*b - c = 0.1": (32.5229840727445, 0.000293232384733066, 1),
}


@pytest.mark.parametrize("restriction", list(CLUSTERED))
def test_clustered_ols_wald_f_matches_car_with_g_minus_1_df(tests_table, restriction):
    F, p, q = CLUSTERED[restriction]
    row = tests_table.loc[("m", restriction)]
    assert row["statistic"] == pytest.approx(F, rel=1e-9)
    assert row["p_value"] == pytest.approx(p, rel=1e-9)
    assert (row["df1"], row["df2"], row["distribution"]) == (q, 9, "F")
    assert (row["n_clusters"], row["nobs"]) == (10, 80)


def test_single_restriction_reports_estimate_se_and_t(tests_table):
    # R: sum(L * coef(fit)) 0.569499824997004, sqrt(L' V L) 0.189613470726718, t 3.00347766861881
    row = tests_table.loc[("m", "a + b = 0")]
    assert row["estimate"] == pytest.approx(0.569499824997004, rel=1e-9)
    assert row["std_error"] == pytest.approx(0.189613470726718, rel=1e-9)
    assert row["t"] == pytest.approx(3.00347766861881, rel=1e-9)
    assert row["t"] ** 2 == pytest.approx(row["statistic"], rel=1e-12)
    # A joint test has no single estimate.
    assert math.isnan(tests_table.loc[("m", "a = 0; b = 0"), "t"])


def test_hc1_uses_f_with_n_minus_k(tests_table):
    # R: linearHypothesis(fit, c("a = 0", "b = 0"), vcov. = vcovHC(fit, type = "HC1"))
    # F 7.5898007078464, Res.Df 74, p 0.00100403564804959 (car's df2 = N - K is ours here)
    row = tests_table.loc[("m__hc1", "a = 0; b = 0")]
    assert row["statistic"] == pytest.approx(7.5898007078464, rel=1e-9)
    assert (row["df1"], row["df2"]) == (2, 74)
    assert row["p_value"] == pytest.approx(0.00100403564804959, rel=1e-9)
    assert pd.isna(row["n_clusters"])


def test_clustered_logit_uses_f_with_g_minus_1(tests_table):
    # Clustered logit uses t(G-1) for its coefficients (issue 11), so its Wald tests use
    # F(q, G-1) as clustered OLS does. R: linearHypothesis(gl, "a + b = 0",
    # vcov. = vcovCL(gl, ~chain_id, type = "HC1"), test = "Chisq"): Chisq 1.71300010420585
    # (= F for q = 1); pf(1.71300010420585, 1, 9, lower.tail = FALSE) = 0.223027771540694
    # (G = 10; MLE tolerance: rel 1e-6). Under chi²(1) p would be 0.190596584548702.
    row = tests_table.loc[("lg", "a + b = 0")]
    assert row["distribution"] == "F" and (row["df1"], row["df2"]) == (1, 9)
    assert row["statistic"] == pytest.approx(1.71300010420585, rel=1e-6)
    assert row["p_value"] == pytest.approx(0.223027771540694, rel=1e-6)
    assert row["t"] ** 2 == pytest.approx(row["statistic"], rel=1e-12)  # t² = F


def test_comparison_matches_r_fully_interacted_model(fitted, tests_table):
    _, comparisons = fitted
    (pooled,) = comparisons
    assert pooled.model == "private__vs__state" and pooled.nobs == 64 and pooled.n_clusters == 10
    # R: pooled F for a:D 0.0351603476071015, coef -0.0767402173899332, pf(., 1, 9) 0.855419325945486;
    # b:D 2.19586214547606, -0.390494413556688, 0.17252392980753
    for term, F, est, p in (
        ("a", 0.0351603476071015, -0.0767402173899332, 0.855419325945486),
        ("b", 2.19586214547606, -0.390494413556688, 0.17252392980753),
    ):
        row = tests_table.loc[("private__vs__state", f"{term}:in_state = 0")]
        assert row["kind"] == "comparison" and row["test"] == f"{term}: private = state"
        assert row["statistic"] == pytest.approx(F, rel=1e-9)
        assert row["estimate"] == pytest.approx(est, rel=1e-9)
        assert row["p_value"] == pytest.approx(p, rel=1e-9)
        assert (row["df2"], row["nobs"]) == (9, 64)
        assert "pooled fully interacted regression" in row["note"]
    # R: separate fits give a = 0.888315752646885 (private) and 0.811575535256953 (state); the
    # pooled main effect is the private slope and main + interaction the state slope.
    coefs = pooled.coefs.set_index("term")["estimate"]
    assert coefs["a"] == pytest.approx(0.888315752646885, rel=1e-9)
    assert coefs["a"] + coefs["a:in_state"] == pytest.approx(0.811575535256953, rel=1e-9)


def test_overlapping_subsets_stop_with_both_languages(firms):
    config = {
        "private": {**CONFIG["private"], "subset": "ownership != '国有'"},
        "state": CONFIG["state"],
    }
    with pytest.raises(ChainpbError) as err:
        fit_comparisons(firms, comparison_jobs(config))
    # 混合所有制 firms are in both subsets: 16 rows.
    assert "有 16 个相同的企业" in err.value.zh and "share 16 firms" in err.value.en
    assert "ownership != '国有'" in err.value.zh


@pytest.mark.parametrize(
    ("change", "zh", "en"),
    [
        ({"controls": ["x", "c"]}, "除 subset 外设定相同", "controls"),
        ({"estimator": "logit"}, "OLS", "need regression/ols"),
    ],
)
def test_comparison_needs_the_same_specification(change, zh, en):
    config = {"private": CONFIG["private"], "state": {**CONFIG["state"], **change}}
    with pytest.raises(ConfigError) as err:
        parse_models(config)
    assert zh in err.value.zh and en in err.value.en


def test_comparison_with_unknown_model_is_a_config_error():
    config = {"private": {**CONFIG["private"], "compare": {"with": "nobody", "terms": ["a"]}}}
    with pytest.raises(ConfigError) as err:
        parse_models(config)
    assert "nobody" in err.value.zh and "must name another model" in err.value.en


def test_collinear_term_is_reported_not_testable(firms):
    # z = b + c is dropped as collinear; a test of it is a row with the reason, not a gap.
    config = {"m": {**MAIN, "regressors": ["a", "b", "c", "z"], "tests": ["z = 0", "a = 0"]}}
    config["m"].pop("robustness")
    fits, _ = fit_all(firms, config)
    table = collect_tests(fits, [], config).set_index("restriction")
    assert math.isnan(table.loc["z = 0", "statistic"])
    assert "z 已删除：与 b、c 完全共线" in table.loc["z = 0", "note"]
    assert "not testable: z was dropped: collinear with b, c" in table.loc["z = 0", "note"]
    # The other test still runs and equals the coefficient's own t-test: F = t², same p.
    coef = fits[0].coefs.set_index("term").loc["a"]
    assert table.loc["a = 0", "statistic"] == pytest.approx(coef["statistic"] ** 2, rel=1e-12)
    assert table.loc["a = 0", "p_value"] == pytest.approx(coef["p_value"], rel=1e-10)


def test_singular_joint_test_is_reported(firms):
    # Clustered by 4 regions: V has rank at most G - 1 = 3, so q = 4 restrictions cannot be
    # tested jointly (Stata reports the same as "constraint dropped" / no F).
    config = {
        "m": {
            **GROUP,
            "regressors": ["a"],
            "controls": ["b", "c", "x"],
            "cluster": ["region"],
            "tests": [["a = 0", "b = 0", "c = 0", "x = 0"]],
        }
    }
    fits, _ = fit_all(firms, config)
    row = collect_tests(fits, [], config).iloc[0]
    assert math.isnan(row["statistic"]) and row["df1"] == 4
    assert "R V R' is singular (rank 3 < 4 restrictions" in row["note"]


def test_unknown_term_at_config_parse_names_model_test_and_terms():
    config = {"m": {**MAIN, "tests": ["a + diff_x = 0"]}}
    with pytest.raises(ConfigError) as err:
        parse_models(config)
    assert "模型「m」" in err.value.zh and "a + diff_x = 0" in err.value.zh
    assert "['diff_x']" in err.value.en and "'Intercept', 'a', 'b', 'c', 'x'" in err.value.en


def test_unknown_dummy_name_is_checked_against_the_fit(firms):
    # A dummy name can only be checked once the fit's terms are known (at collect time); 国有
    # is the reference level (first in sorted order), so it has no coefficient.
    config = {"m": {**GROUP, "controls": ["x", "ownership"], "tests": ["C(ownership)[T.外星] = 0"]}}
    fits, _ = fit_all(firms, config)
    with pytest.raises(ConfigError) as err:
        collect_tests(fits, [], config)
    assert "C(ownership)[T.外星]" in err.value.zh
    assert "C(ownership)[T.民营]" in err.value.en  # the available terms are listed
    ok = {"m": {**config["m"], "tests": ["C(ownership)[T.民营] - C(ownership)[T.混合所有制] = 0"]}}
    (row,) = collect_tests(fits, [], ok).to_dict(orient="records")
    assert row["distribution"] == "F" and row["df2"] == 9


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a b = 0", "a + or - is missing before 'b'"),
        ("2*(a + b) = 0", "no parentheses"),
        ("a = = b", "more than one '='"),
        ("a - a = 0", "restricts no coefficient"),
        ("a * b = 0", "restrictions are linear"),
        ("a = 0, a = 0", "linearly dependent"),
        ("a = 0,", "empty restriction"),
    ],
)
def test_parse_errors(text, message):
    with pytest.raises(RestrictionError) as err:
        parse_restrictions(text, ["a", "b"])
    assert message in err.value.en
    config = {"m": {**MAIN, "tests": [text]}}
    config["m"].pop("robustness")
    with pytest.raises(ConfigError) as cfg_err:
        parse_models(config)
    assert "模型「m」" in cfg_err.value.zh and message in cfg_err.value.en


def test_parser_reads_weights_constants_and_joint_forms():
    (r,) = parse_restrictions("2*a - b*3 + 1 = c - 0.5")
    assert r.weights == (("a", 2.0), ("b", -3.0), ("c", -1.0)) and r.constant == -1.5
    assert r.render() == "2*a - 3*b - c = -1.5"
    assert parse_restrictions(["a = 0", "b = 0"]) == parse_restrictions("a = 0, b = 0")
    # Known names are matched first, so a name may hold ':' or brackets.
    (p,) = parse_restrictions("a_c:b_c = 0", ["a_c:b_c", "a"])
    assert p.names == ("a_c:b_c",)


def test_variants_inherit_tests_with_replace():
    config = {
        "m": {
            **MAIN,
            "tests": ["a + b = 0"],
            "robustness": {"alt": {"replace": {"b": "z"}}, "off": {"tests": []}},
        }
    }
    specs = {s.name: s for s in parse_models(config)}
    assert specs["m__alt"].tests[0].parts == ("a + z = 0",)
    assert specs["m__alt"].tests[0].text == "a + b = 0"  # as written in config
    assert specs["m__off"].tests == ()


def test_mediation_takes_no_tests():
    config = {
        "med": {
            "type": "mediation",
            "treatment": "a",
            "mediator": "b",
            "outcomes": ["y"],
            "tests": ["a = 0"],
        }
    }
    with pytest.raises(ConfigError) as err:
        parse_models(config)
    assert "mediation" in err.value.en


def test_fit_file_round_trip_and_old_files(fitted):
    fit = next(f for f in fitted[0] if f.model == "m")
    back = FitResult.from_dict(fit.to_dict())
    assert back.vcov is not None and back.vcov.equals(fit.vcov)
    assert back.df_inference == 9.0 and back.reference_distribution == "t"
    # The stored V is the one behind the reported standard errors.
    se = np.sqrt(np.diag(fit.vcov.to_numpy()))
    assert np.allclose(se, fit.coefs["std_error"].to_numpy(), rtol=1e-12)
    # A fit file written before vcov/df_inference existed still reads; its df comes from extra.
    old = fit.to_dict()
    del old["vcov"], old["df_inference"]
    legacy = FitResult.from_dict(old)
    assert legacy.vcov is None and legacy.df_inference == 9.0
    (row,) = collect_tests([legacy], [], {"m": {**MAIN, "tests": ["a = 0"]}}).to_dict("records")
    assert math.isnan(row["statistic"]) and "predates stored covariance" in row["note"]


def test_tests_table_is_deterministic(firms, fitted, tmp_path):
    from chainpb.atomic import write_csv

    write_csv(tmp_path / "one.csv", collect_tests(*fitted, CONFIG))
    write_csv(tmp_path / "two.csv", collect_tests(*fit_all(firms, CONFIG), CONFIG))
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "two.csv").read_bytes()
    lines = (tmp_path / "one.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == (
        "model,outcome,kind,test,restriction,estimate,std_error,t,statistic,df1,df2,p_value,"
        "distribution,n_clusters,nobs,note"
    )
    # Sorted by model then config order; counts print as integers; HC1 has no cluster count.
    assert [line.split(",")[0] for line in lines[1:]] == [
        "lg",
        "m",
        "m",
        "m",
        "m",
        "m__hc1",
        "private__vs__state",
        "private__vs__state",
    ]
    assert ",1,9,0.0148722668124" in lines[2] and lines[2].endswith(",F,10,80,")
    assert ",2,74,0.00100403564" in lines[6] and ",F,,80," in lines[6]


def test_table_notes_show_each_test(fitted):
    tests = collect_tests(*fitted, CONFIG)
    fits = attach_hypothesis_tests(fitted[0], tests)
    labels = {"a": {"zh": "甲", "en": "A"}, "b": {"zh": "乙", "en": "B"}}
    main = [f for f in fits if f.model in ("m", "m__hc1")]
    notes = regression_table(main, labels=labels, language="zh").notes
    # F and p from the R numbers above, rounded as printed.
    assert "检验 甲 + 乙 = 0：第(1)列 F(1, 9) = 9.02，p = 0.015。" in notes
    assert (
        "检验 甲 = 0；乙 = 0：第(1)列 F(2, 9) = 7.43，p = 0.012；第(2)列 F(2, 74) = 7.59，p = 0.001。"
        in notes
    )
    groups = [f for f in fits if f.model in ("private", "state")]
    zh = regression_table(groups, labels=labels, language="zh").notes
    en = regression_table(groups, labels=labels, language="en").notes
    # Shown in both columns, the comparison is one note per term.
    assert (
        zh.count(
            "组间系数相等检验（民营企业与国有企业，合并全交互回归）：甲 F(1, 9) = 0.04，p = 0.855。"
        )
        == 1
    )
    assert (
        "Equality across groups (Private firms vs State firms; pooled fully interacted "
        "regression): B F(1, 9) = 2.20, p = 0.173."
    ) in en
    logit = [f for f in fits if f.model == "lg"]
    assert (
        "检验 甲 + 乙 = 0：F(1, 9) = 1.71，p = 0.223。"
        in regression_table(logit, labels=labels).notes
    )


def test_fit_jobs_do_not_read_tests_or_compare():
    # The fit job sees only its own model (models.smk base_spec): without stripping `compare`,
    # the partner model would be missing; without stripping `tests`, editing a test would
    # re-fit every job of the model although tests are computed from the stored fits.
    raw = CONFIG["private"]
    with pytest.raises(ConfigError):
        job_by_key({"private": raw}, "private__y")
    job = job_by_key({"private": fitting_config(raw)}, "private__y")
    assert job.spec.compare == () and job.spec.subset == raw["subset"]
    main = fitting_config(MAIN)
    assert "tests" not in main and "tests" not in main["robustness"]["hc1"]
    kept = fitting_config(raw, keep_compare=True)
    assert kept["compare"] == raw["compare"]


def test_heterogeneity_declared_once_gives_the_r_checked_comparison(firms):
    """``heterogeneity:`` on one base model writes out the two subgroup models and their
    comparison (chainpb.models.spec.expand_heterogeneity); the pooled test is then the same
    regression as the hand-written private/state pair above, so R's numbers apply unchanged:
    a:D F = 0.0351603476071015, estimate −0.0767402173899332, p = 0.855419325945486."""
    from chainpb.models.spec import expand_heterogeneity

    config = {
        "grp": {
            **GROUP,
            "label": "分组",
            "heterogeneity": {
                "民营": "ownership == '民营'",
                "国有及混合": "ownership in ['国有', '混合所有制']",
            },
        }
    }
    expanded = expand_heterogeneity(config)
    assert list(expanded) == ["grp", "grp_het1", "grp_het2"]
    assert "heterogeneity" not in expanded["grp"]
    assert expanded["grp_het1"]["label"] == "分组：民营"
    assert expanded["grp_het1"]["subset"] == "ownership == '民营'"
    assert expanded["grp_het1"]["compare"] == {"with": "grp_het2", "terms": ["a", "b"]}
    assert "compare" not in expanded["grp_het2"]
    # parse_models expands too: the library API and the workflow see the same models
    assert [j.key for j in model_jobs(config)] == ["grp__y", "grp_het1__y", "grp_het2__y"]
    (pooled,) = fit_comparisons(firms, comparison_jobs(config))
    assert pooled.model == "grp_het1__vs__grp_het2" and pooled.nobs == 64
    coefs = pooled.coefs.set_index("term")
    assert coefs.loc["a:in_grp_het2", "estimate"] == pytest.approx(-0.0767402173899332, rel=1e-9)
    assert coefs.loc["a", "estimate"] == pytest.approx(0.888315752646885, rel=1e-9)


def test_heterogeneity_names_must_be_free():
    from chainpb.models.spec import expand_heterogeneity

    config = {
        "grp": {**GROUP, "heterogeneity": {"甲": "x > 0", "乙": "x <= 0"}},
        "grp_het2": {**GROUP},
    }
    with pytest.raises(ConfigError, match="grp_het2"):
        expand_heterogeneity(config)

"""Descriptive statistics and correlations against base R and cor.test.

Data: tests/data/measures/likert_sim.csv plus the coverage score (mean of >= 3 of 4 items).
R (4.x) reference, run on exactly that file:

    d <- read.csv("tests/data/measures/likert_sim.csv")
    x <- d[, paste0("coverage_", 1:4)]; m <- rowMeans(x, na.rm=TRUE); m[rowSums(!is.na(x)) < 3] <- NA
    dd <- data.frame(d[, c("rd_intensity","coop_projects","revenue_growth")], scale_coverage=m)
    for (c in names(dd)) { x <- na.omit(dd[[c]]); c(length(x), mean(x), sd(x), min(x), median(x), max(x)) }
    cor.test(dd[[i]], dd[[j]])                     # Pearson, pairwise complete
    cor.test(dd$rd_intensity, dd$coop_projects, method="spearman", exact=FALSE)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chainpb.errors import ChainpbError
from chainpb.measures.descriptives import (
    correlation_matrix,
    describe,
    significance_stars,
    variable_label,
)
from chainpb.measures.scales import score_scales

DATA = Path(__file__).parent / "data" / "measures" / "likert_sim.csv"
VARS = ["rd_intensity", "coop_projects", "revenue_growth", "scale_coverage"]
LABELS = {
    "rd_intensity": {"zh": "研发强度(%)", "en": "R&D intensity (%)"},
    "coop_projects": {"zh": "链上合作项目数", "en": "Chain cooperation projects"},
    "scale_coverage": {"zh": "组织覆盖"},
}


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    d = pd.read_csv(DATA, encoding="utf-8")
    spec = {"coverage": {"items": [f"coverage_{i}" for i in range(1, 5)]}}
    return pd.concat([d, score_scales(d, spec, min_items=3)], axis=1)


def test_describe_against_r(data: pd.DataFrame) -> None:
    # R output:
    # rd_intensity   N=232 mean=5.0653879 sd=1.5744384 min=1.3700 med=4.8300 max=11.8300
    # coop_projects  N=240 mean=2.2166667 sd=1.5344487 min=0.0000 med=2.0000 max=8.0000
    # revenue_growth N=240 mean=4.9875000 sd=6.0297173 min=-11.4500 med=5.1500 max=22.0000
    # scale_coverage N=239 mean=3.2290795 sd=0.8069879 min=1.0000 med=3.2500 max=5.0000
    t = describe(data, VARS, LABELS, language="zh")
    assert t.columns.tolist() == ["variable", "label", "n", "mean", "sd", "min", "median", "max"]
    assert t["n"].tolist() == [232, 240, 240, 239]
    np.testing.assert_allclose(t["mean"], [5.0653879, 2.2166667, 4.9875, 3.2290795], atol=1e-7)
    np.testing.assert_allclose(t["sd"], [1.5744384, 1.5344487, 6.0297173, 0.8069879], atol=1e-7)
    np.testing.assert_allclose(t["min"], [1.37, 0.0, -11.45, 1.0])
    np.testing.assert_allclose(t["median"], [4.83, 2.0, 5.15, 3.25])
    np.testing.assert_allclose(t["max"], [11.83, 8.0, 22.0, 5.0])
    # Labels: zh given; revenue_growth has none -> its name.
    assert t["label"].tolist() == ["研发强度(%)", "链上合作项目数", "revenue_growth", "组织覆盖"]


def test_labels_language_switch() -> None:
    assert variable_label("rd_intensity", LABELS, "en") == "R&D intensity (%)"
    # No English label in config: a scale of the four dimensions takes its built-in English
    # name (chainpb.labels.SCALE_LABELS); any other variable its Chinese label, not a bare name.
    assert variable_label("scale_coverage", LABELS, "en") == "Organisational coverage"
    assert variable_label("firm_age", {"firm_age": {"zh": "企业年龄"}}, "en") == "企业年龄"
    with pytest.raises(ChainpbError, match="不支持的语言"):
        variable_label("rd_intensity", LABELS, "fr")


def test_pearson_r_and_p_against_cor_test(data: pd.DataFrame) -> None:
    # R cor.test output (r, p, n = df + 2):
    # rd_intensity~coop_projects     r=0.0852375 p=0.1957892    n=232
    # rd_intensity~revenue_growth    r=0.0680486 p=0.302033     n=232
    # rd_intensity~scale_coverage    r=0.4716641 p=3.379698e-14 n=231
    # coop_projects~revenue_growth   r=0.0216344 p=0.7387967    n=240
    # coop_projects~scale_coverage   r=0.1063229 p=0.1010581    n=239
    # revenue_growth~scale_coverage  r=0.1224804 p=0.05866456   n=239
    r, p, fmt = correlation_matrix(data, VARS, LABELS)
    expected = {
        ("rd_intensity", "coop_projects"): (0.0852375, 0.1957892),
        ("rd_intensity", "revenue_growth"): (0.0680486, 0.302033),
        ("rd_intensity", "scale_coverage"): (0.4716641, 3.379698e-14),
        ("coop_projects", "revenue_growth"): (0.0216344, 0.7387967),
        ("coop_projects", "scale_coverage"): (0.1063229, 0.1010581),
        ("revenue_growth", "scale_coverage"): (0.1224804, 0.05866456),
    }
    for (a, b), (r_ref, p_ref) in expected.items():
        assert r.loc[a, b] == pytest.approx(r_ref, abs=1e-7)
        assert r.loc[b, a] == pytest.approx(r_ref, abs=1e-7)
        assert p.loc[a, b] == pytest.approx(p_ref, rel=1e-5)
    assert np.isnan(p.loc["rd_intensity", "rd_intensity"])
    # Formatted lower triangle: p = 3.4e-14 -> ***, p = 0.0587 -> *, p = 0.196 -> none.
    assert fmt.loc["组织覆盖", "研发强度(%)"] == "0.472***"
    assert fmt.loc["组织覆盖", "revenue_growth"] == "0.122*"
    assert fmt.loc["链上合作项目数", "研发强度(%)"] == "0.085"
    assert fmt.loc["研发强度(%)", "研发强度(%)"] == "1"
    assert fmt.loc["研发强度(%)", "组织覆盖"] == ""


def test_spearman_against_cor_test(data: pd.DataFrame) -> None:
    # R: cor.test(dd$rd_intensity, dd$coop_projects, method="spearman", exact=FALSE)
    #    rho = 0.0646579, p-value = 0.3268162
    r, p, _ = correlation_matrix(data, ["rd_intensity", "coop_projects"], method="spearman")
    assert r.iloc[0, 1] == pytest.approx(0.0646579, abs=1e-7)
    assert p.iloc[0, 1] == pytest.approx(0.3268162, rel=1e-5)


@pytest.mark.parametrize(
    ("p", "stars"),
    [(0.0099, "***"), (0.01, "**"), (0.0499, "**"), (0.05, "*"), (0.0999, "*"), (0.1, ""),
     (float("nan"), "")],
)  # fmt: skip
def test_star_convention_boundaries(p: float, stars: str) -> None:
    # Documented convention: *** p < 0.01, ** p < 0.05, * p < 0.1 (strict inequalities).
    assert significance_stars(p) == stars


def test_non_numeric_variable_is_a_bilingual_error() -> None:
    df = pd.DataFrame({"ownership": ["国有", "民营", "外资"], "x": [1.0, 2.0, 3.0]})
    with pytest.raises(ChainpbError) as err:
        correlation_matrix(df, ["ownership", "x"])
    assert "ownership" in str(err.value) and "not numeric" in str(err.value)
    with pytest.raises(ChainpbError, match="没有变量"):
        describe(df, ["employees"])


def test_descriptive_variables_keep_config_order_name_the_missing_and_default_to_numeric(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """config ``descriptive_variables`` (chainpb.measures.validity.described_variables)."""
    from chainpb.measures.validity import described_variables

    frame = pd.DataFrame(
        {
            "city_key": ["a", "b"],
            "rd_intensity": [1.0, 2.0],
            "alliance_member": [True, False],
            "patents": [1, 2],
        }
    )
    # not set: every numeric (and boolean) column, in table order; the city key is text
    assert described_variables(frame, None) == ["rd_intensity", "alliance_member", "patents"]
    with caplog.at_level("INFO", logger="chainpb.measures.validity"):
        assert described_variables(frame, ["patents", "resilience", "rd_intensity"]) == [
            "patents",
            "rd_intensity",
        ]
    assert "resilience" in caplog.text and "不在分析总表中" in caplog.text

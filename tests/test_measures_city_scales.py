"""Scales that differ by city: scores on each city's own items, reliability per city and pooled
over the items common to all cities, and nothing dropped silently.

Reference data: tests/data/measures/likert_sim.csv (240 simulated firms, see
test_measures_scales.py), split into cities by row. The R numbers come from R 4.2.2 with psych
2.2.9, run on exactly that file:

    library(psych)
    d <- read.csv("tests/data/measures/likert_sim.csv")
    d$city_key <- rep(c("suqian", "wuxi"), each = 120)
    c3 <- paste0("coverage_", 1:3); c4 <- paste0("coverage_", 1:4); i4 <- paste0("ideology_", 1:4)
    stat <- function(x) {            # per city and pooled, listwise as chainpb
      x <- na.omit(x); a <- psych::alpha(x)
      l <- as.numeric(psych::fa(x, nfactors = 1, fm = "minres", rotate = "none")$loadings)
      c(nrow(x), a$total$raw_alpha, a$total$std.alpha, psych::KMO(x)$MSA,
        sum(l)^2 / (sum(l)^2 + sum(1 - l^2)), mean(l^2))
    }
    stat(d[d$city_key == "suqian", c4]); stat(d[d$city_key == "wuxi", c3]); stat(d[, c3])
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chainpb.errors import ChainpbError
from chainpb.measures import scales as sc
from chainpb.measures.analysis import build_analysis_table
from chainpb.measures.validity import validity_tables
from chainpb.present import figures as F

DATA = Path(__file__).parent / "data" / "measures" / "likert_sim.csv"
C3 = ["coverage_1", "coverage_2", "coverage_3"]
C4 = [*C3, "coverage_4"]
GLOBAL = {
    "coverage": {"label": "组织覆盖", "label_en": "Organisational coverage", "items": C4},
    "ideology": {
        "label": "思想引领",
        "label_en": "Ideological guidance",
        "items": [f"ideology_{i}" for i in range(1, 5)],
    },
    "effectiveness": {
        "label": "作用彰显",
        "label_en": "Effectiveness",
        "items": [f"effectiveness_{i}" for i in range(1, 5)],
    },
    "resource": {
        "label": "资源聚合",
        "label_en": "Resource pooling",
        "items": [f"resource_{i}" for i in range(1, 5)],
    },
}


def _city(items: dict[str, list[str]]) -> dict[str, dict]:
    """A city's effective scales as config.city_settings gives them: global with own items."""
    out = copy.deepcopy(GLOBAL)
    for dim, own in items.items():
        out[dim]["items"] = own
    return out


# suqian asks coverage_1..4, wuxi only coverage_1..3 (its coverage_4 column still holds values
# in the reference data: they must not be used for wuxi).
PER_CITY = {"suqian": _city({}), "wuxi": _city({"coverage": C3})}


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    d = pd.read_csv(DATA, encoding="utf-8")
    d["city_key"] = ["suqian"] * 120 + ["wuxi"] * 120
    return d


@pytest.fixture(scope="module")
def three_cities() -> tuple[pd.DataFrame, dict]:
    """suqian (rows 1-120, 4 coverage items), wuxi (121-200, 3 items), xuzhou (201-240): one
    coverage item only and no ideology answer at all."""
    d = pd.read_csv(DATA, encoding="utf-8")
    d["city_key"] = ["suqian"] * 120 + ["wuxi"] * 80 + ["xuzhou"] * 40
    d.loc[d["city_key"] == "xuzhou", GLOBAL["ideology"]["items"]] = np.nan
    per_city = {**PER_CITY, "xuzhou": _city({"coverage": ["coverage_1"]})}
    return d, per_city


def _row(table: pd.DataFrame, scale: str, city: str) -> pd.Series:
    hit = table[(table["scale"] == scale) & (table["city"] == city)]
    assert len(hit) == 1, (scale, city)
    return hit.iloc[0]


# ---------------------------------------------------------------- scores


def _survey() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "city_key": ["suqian", "suqian", "suqian", "huaian", "huaian"],
            "coverage_1": [1, 5, 1, 1, 4],
            "coverage_2": [2, 5, np.nan, 2, np.nan],
            "coverage_3": [3, 2, 3, 3, 5],
            "coverage_4": [4, np.nan, np.nan, 5, 5],
        }
    )


SCORE_SCALES = {
    "suqian": {"coverage": {"label": "组织覆盖", "items": C4}},
    "huaian": {"coverage": {"label": "组织覆盖", "items": C3}},
}


def test_scores_use_each_citys_own_items() -> None:
    # By hand, min_items=3: suqian (4 items) (1+2+3+4)/4 = 2.5; (5+5+2)/3 = 4.0 (3 of 4
    # answered); 1, 3 only 2 answered -> missing. huaian (3 items): (1+2+3)/3 = 2.0 — its
    # coverage_4 = 5 is not one of its items (with it the mean would be 2.75); 4, 5 answers 2
    # of 3 -> missing (the global 4-item rule would have given (4+5+5)/3 = 4.67).
    got = sc.score_scales(_survey(), SCORE_SCALES, min_items=3)["scale_coverage"]
    np.testing.assert_allclose(got.to_numpy(), [2.5, 4.0, np.nan, 2.0, np.nan])


def test_min_items_applies_per_city_capped_at_the_citys_items() -> None:
    # min_items=2: suqian row 3 (1+3)/2 = 2.0; huaian row 2 (4+5)/2 = 4.5.
    two = sc.score_scales(_survey(), SCORE_SCALES, min_items=2)["scale_coverage"]
    np.testing.assert_allclose(two.to_numpy(), [2.5, 4.0, 2.0, 2.0, 4.5])
    # min_items=4: suqian needs all 4 (only row 1); huaian has 3 items, so it needs its 3.
    four = sc.score_scales(_survey(), SCORE_SCALES, min_items=4)["scale_coverage"]
    np.testing.assert_allclose(four.to_numpy(), [2.5, np.nan, np.nan, 2.0, np.nan])


def test_global_scales_score_as_before() -> None:
    # The global form scores every row on the 4 items: huaian row 1 (1+2+3+5)/4 = 2.75.
    glob = {"coverage": {"label": "组织覆盖", "items": C4}}
    got = sc.score_scales(_survey(), glob, min_items=3)["scale_coverage"]
    np.testing.assert_allclose(got.to_numpy(), [2.5, 4.0, np.nan, 2.75, (4 + 5 + 5) / 3])


def test_analysis_table_scores_per_city() -> None:
    survey = _survey().assign(
        enterprise_id=["e1", "e2", "e3", "e4", "e5"],
        city_name=["宿迁市"] * 3 + ["淮安市"] * 2,
        chain_id="c",
        founded_year=2000,
        employees=10,
    )
    difficulty = survey[["city_key", "enterprise_id"]].assign(answer_status="none")
    themes = pd.DataFrame(
        [
            {"city_key": c, "measure": "attention", "category": "coverage", "per_1000_tokens": 1.0}
            for c in ("suqian", "huaian")
        ]
    )
    t = build_analysis_table(survey, difficulty, themes, SCORE_SCALES, survey_year=2025)
    got = dict(zip(t["enterprise_id"], t["scale_coverage"], strict=True))
    # Same hand values as test_scores_use_each_citys_own_items.
    assert got["e1"] == pytest.approx(2.5)
    assert got["e4"] == pytest.approx(2.0)
    assert math.isnan(got["e5"])


def test_per_city_scales_need_the_city_column() -> None:
    with pytest.raises(ChainpbError, match="city_key"):
        sc.score_scales(_survey().drop(columns="city_key"), SCORE_SCALES)


def test_a_city_missing_from_the_scale_settings_is_named() -> None:
    with pytest.raises(ChainpbError, match="xuzhou"):
        sc.score_scales(_survey().replace({"huaian": "xuzhou"}), SCORE_SCALES)


def test_shape_detection() -> None:
    assert sc.is_per_city(PER_CITY)
    assert not sc.is_per_city(GLOBAL)


# ---------------------------------------------------------------- reliability vs psych


def test_reliability_per_city_and_pooled_against_psych(data: pd.DataFrame) -> None:
    # R (module docstring), n raw_alpha std.alpha KMO CR AVE:
    #   suqian coverage_1..4   109 0.7051438 0.7085560 0.7180007 0.7300951 0.4234704
    #   wuxi   coverage_1..3   109 0.6675373 0.6672848 0.6495438 0.6726401 0.4103147
    #   pooled coverage_1..3   223 0.7134019 0.7140906 0.6660156 0.7183985 0.4625313
    #   suqian ideology_1..4   112 0.7483994 0.7507958 0.7591184 0.7524383 0.4333087
    #   wuxi   ideology_1..4   112 0.7296790 0.7291826 0.7560229 0.7320531 0.4086848
    t = sc.reliability_table(data, PER_CITY)
    assert t["city"].tolist()[:6] == [sc.POOLED, "suqian", "wuxi"] * 2
    expect = {
        ("组织覆盖", sc.POOLED): (3, 223, 0.7134019, 0.7140906, 0.6660156, 0.7183985, 0.4625313),
        ("组织覆盖", "suqian"): (4, 109, 0.7051438, 0.7085560, 0.7180007, 0.7300951, 0.4234704),
        ("组织覆盖", "wuxi"): (3, 109, 0.6675373, 0.6672848, 0.6495438, 0.6726401, 0.4103147),
        ("思想引领", "suqian"): (4, 112, 0.7483994, 0.7507958, 0.7591184, 0.7524383, 0.4333087),
        ("思想引领", "wuxi"): (4, 112, 0.7296790, 0.7291826, 0.7560229, 0.7320531, 0.4086848),
    }
    for (scale, city), (k, n, raw, std, kmo, cr, ave) in expect.items():
        row = _row(t, scale, city)
        assert (row["n_items"], row["n"]) == (k, n)
        assert row["alpha"] == pytest.approx(raw, abs=1e-7)
        assert row["std_alpha"] == pytest.approx(std, abs=1e-7)
        assert row["kmo"] == pytest.approx(kmo, abs=1e-7)
        assert row["cr"] == pytest.approx(cr, abs=1e-4)
        assert row["ave"] == pytest.approx(ave, abs=1e-4)
    # Pooled ideology (same 4 items everywhere) equals the global reference of
    # test_reliability_table_against_psych: n=224, raw alpha 0.7394379.
    pooled = _row(t, "思想引领", sc.POOLED)
    assert (pooled["n"], pooled["alpha"]) == (224, pytest.approx(0.7394379, abs=1e-7))


def test_pooled_row_names_its_common_items(data: pd.DataFrame) -> None:
    t = sc.reliability_table(data, PER_CITY)
    pooled = _row(t, "组织覆盖", sc.POOLED)
    assert pooled["items_used"] == "coverage_1, coverage_2, coverage_3"
    assert _row(t, "组织覆盖", "suqian")["items_used"] == ", ".join(C4)
    assert pooled["note_en"] == (
        "pooled over the items common to 2 cities (suqian, wuxi): coverage_1, coverage_2, "
        "coverage_3 (coverage_4 not asked in wuxi)"
    )
    assert pooled["note_zh"] == (
        "合并 2 个城市（suqian, wuxi）共同的题项：coverage_1, coverage_2, coverage_3"
        "（wuxi 未设 coverage_4）"
    )
    en = sc.reliability_table(data, PER_CITY, language="en", relabel=True)
    assert {"City", "Items used", "Note"} <= set(en.columns)


def test_item_table_per_city_against_psych(data: pd.DataFrame) -> None:
    # R: a <- psych::alpha(na.omit(d[d$city_key == "wuxi", c3])); a$alpha.drop$raw_alpha[1]
    #   0.50188988, a$item.stats$r.drop[1] 0.53057804; one-factor minres loading 0.74892145.
    # Pooled (na.omit(d[, c3])): coverage_3 alpha.drop 0.68417365, r.drop 0.48243697,
    #   loading 0.58289058.
    t = sc.item_table(data, PER_CITY)
    wuxi = t[(t["scale"] == "组织覆盖") & (t["city"] == "wuxi")]
    assert wuxi["item"].tolist() == C3
    first = wuxi.iloc[0]
    assert first["alpha_if_deleted"] == pytest.approx(0.50188988, abs=1e-7)
    assert first["r_drop"] == pytest.approx(0.53057804, abs=1e-7)
    assert first["loading"] == pytest.approx(0.74892145, abs=1e-4)
    pooled = t[(t["scale"] == "组织覆盖") & (t["city"] == sc.POOLED)].set_index("item")
    assert pooled.index.tolist() == C3
    assert pooled.loc["coverage_3", "alpha_if_deleted"] == pytest.approx(0.68417365, abs=1e-7)
    assert pooled.loc["coverage_3", "r_drop"] == pytest.approx(0.48243697, abs=1e-7)
    assert pooled.loc["coverage_3", "loading"] == pytest.approx(0.58289058, abs=1e-4)
    assert len(t[(t["city"] == "suqian") & (t["scale"] == "组织覆盖")]) == 4


def test_efa_kmo_bartlett_and_fornell_larcker_use_the_common_items(data: pd.DataFrame) -> None:
    # R: items <- c(c3, i4, paste0("effectiveness_", 1:4), paste0("resource_", 1:4))
    #   x <- na.omit(d[, items]); psych::KMO(x)$MSA 0.7259503 (n = 177)
    #   psych::cortest.bartlett(cor(x), n = nrow(x)): chisq 683.26105, df 105
    # Fornell-Larcker: sqrt(AVE) of pooled coverage_1..3 = sqrt(0.4625313) = 0.6800965;
    #   scores on common items, min 3 answered:
    #   sc <- function(cols, k) { m <- d[, cols]; ifelse(rowSums(!is.na(m)) >= k,
    #     rowMeans(m, na.rm = TRUE), NA) }; cor(sc(c3, 3), sc(i4, 3), use = "pairwise")
    #   = 0.1736255
    v = validity_tables(data, PER_CITY, ["rd_intensity"])
    assert "coverage_4" not in set(v["efa_loadings"]["item"])
    assert len(v["efa_loadings"]) == 15
    kmo, bartlett = v["sampling_adequacy"].to_dict("records")
    assert (kmo["n"], bartlett["n"], bartlett["df"]) == (177, 177, 105)
    assert kmo["value"] == pytest.approx(0.7259503, abs=1e-7)
    assert bartlett["value"] == pytest.approx(683.26105, abs=1e-4)
    assert "coverage_4 not asked in wuxi" in kmo["note_en"]
    assert "wuxi 未设 coverage_4" in kmo["note_zh"]
    fl = v["fornell_larcker"].set_index("scale")
    assert fl.loc["coverage", "coverage"] == pytest.approx(math.sqrt(0.4625313), abs=1e-4)
    assert fl.loc["ideology", "coverage"] == pytest.approx(0.1736255, abs=1e-7)
    assert fl["note_en"].iloc[0].startswith("On the pooled sample, items common to all cities.")
    assert "note_en" in v["efa_variance"].columns


# ---------------------------------------------------------------- nothing silent


def test_one_item_city_is_named_and_left_out_of_the_pooled_row(three_cities) -> None:
    d, per_city = three_cities
    t = sc.reliability_table(d, per_city)
    row = _row(t, "组织覆盖", "xuzhou")
    assert (row["n_items"], row["items_used"]) == (1, "coverage_1")
    assert math.isnan(row["alpha"]) and math.isnan(row["cr"])
    assert (
        row["note_zh"]
        == "本市该量表只有 1 个题项（coverage_1），信度至少需要 2 个题项；未计入合并行"
    )
    assert row["note_en"] == (
        "the city's scale has only 1 item (coverage_1); reliability needs at least 2 items; "
        "left out of the pooled row"
    )
    # The one-item city does not shrink the common set, and its rows are not pooled.
    # R: x <- na.omit(d[1:200, c3]); nrow(x) 185; psych::alpha(x)$total$raw_alpha 0.7341949
    pooled = _row(t, "组织覆盖", sc.POOLED)
    assert pooled["items_used"] == "coverage_1, coverage_2, coverage_3"
    assert pooled["n"] == 185
    assert pooled["alpha"] == pytest.approx(0.7341949, abs=1e-7)
    assert pooled["note_en"].endswith(
        "; left out of the pooled row: xuzhou (the city's scale has only 1 item (coverage_1); "
        "reliability needs at least 2 items)"
    )
    items = sc.item_table(d, per_city)
    xz = items[(items["city"] == "xuzhou") & (items["scale"] == "组织覆盖")]
    assert xz["item"].tolist() == ["coverage_1"]
    assert xz["note_en"].iloc[0].startswith("the city's scale has only 1 item")


def test_city_with_all_answers_missing_is_named(three_cities) -> None:
    d, per_city = three_cities
    t = sc.reliability_table(d, per_city)
    row = _row(t, "思想引领", "xuzhou")
    assert (row["n_items"], row["n"]) == (4, 0)
    assert math.isnan(row["alpha"])
    assert row["note_en"] == (
        "all answers to the city's items of this scale (ideology_1, ideology_2, ideology_3, "
        "ideology_4) are missing; left out of the pooled row"
    )
    assert "全部缺失" in row["note_zh"]
    # R: psych::alpha(na.omit(d[1:200, i4]))$total$raw_alpha 0.7552826, n 187
    pooled = _row(t, "思想引领", sc.POOLED)
    assert (pooled["n"], pooled["alpha"]) == (187, pytest.approx(0.7552826, abs=1e-7))
    assert "left out of the pooled row: xuzhou (all answers" in pooled["note_en"]


def test_city_with_too_few_complete_cases_is_named(data: pd.DataFrame) -> None:
    d = data.copy()
    d.loc[d.index[-2:], "city_key"] = "yangzhou"  # two firms: alpha needs at least 3
    t = sc.reliability_table(d, {**PER_CITY, "yangzhou": _city({})})
    row = _row(t, "资源聚合", "yangzhou")
    assert math.isnan(row["alpha"])
    assert row["n"] <= 2
    assert row["note_en"] == f"only {row['n']} cases answered all items; at least 3 are needed"
    # Still one of the cities of the pooled row: it has the scale, only few firms.
    assert "yangzhou" in _row(t, "资源聚合", sc.POOLED)["note_en"]


def test_no_common_items_is_named_not_dropped(data: pd.DataFrame) -> None:
    per_city = {
        "suqian": _city({"coverage": ["coverage_1", "coverage_2"]}),
        "wuxi": _city({"coverage": ["coverage_3", "coverage_4"]}),
    }
    t = sc.reliability_table(data, per_city)
    pooled = _row(t, "组织覆盖", sc.POOLED)
    assert math.isnan(pooled["alpha"])
    assert pooled["note_en"].startswith(
        "fewer than 2 items are common to the cities (suqian: coverage_1, coverage_2; "
        "wuxi: coverage_3, coverage_4)"
    )
    # The scale then drops out of the joint EFA, and the tables say so.
    v = validity_tables(data, per_city, [])
    assert not any(str(i).startswith("coverage") for i in v["efa_loadings"]["item"])
    note = v["sampling_adequacy"]["note_en"].iloc[0]
    assert "Organisational coverage: not included (fewer than 2 items" in note


# ---------------------------------------------------------------- figure


def test_reliability_figure_has_a_panel_per_city(three_cities) -> None:
    d, per_city = three_cities
    t = sc.reliability_table(d, per_city)
    fig = F.plot_reliability(t, cities={"suqian": {"name": "宿迁市"}})
    axes = [ax for ax in fig.axes if ax.get_visible()]
    titles = [ax.get_title(loc="left") for ax in axes]
    assert titles == ["合并（各城市共同的题项）", "宿迁市", "wuxi", "xuzhou"]
    ticks = {ax.get_title(loc="left"): [x.get_text() for x in ax.get_xticklabels()] for ax in axes}
    assert ticks["wuxi"][0] == "组织覆盖\n(3题)"
    assert ticks["宿迁市"][0] == "组织覆盖\n(4题)"
    assert ticks["xuzhou"][:2] == ["组织覆盖\n(1题)", "思想引领\n(4题)"]
    # Both of xuzhou's scales are marked as not computed; no other panel has the mark.
    marks = {
        ax.get_title(loc="left"): sum(t.get_text() == "未计算" for t in ax.texts) for ax in axes
    }
    assert marks == {"合并（各城市共同的题项）": 0, "宿迁市": 0, "wuxi": 0, "xuzhou": 2}
    # The pooled coverage α of this split (R: 0.7341949, see the one-item test) is printed on
    # its bar in the first panel.
    pooled_values = {t.get_text() for t in axes[0].texts}
    assert "0.73" in pooled_values
    assert fig._suptitle.get_text() == "量表信度与收敛效度"


def test_reliability_figure_with_one_city_has_one_panel(data: pd.DataFrame) -> None:
    # One city: the pooled row and the city row coincide, so the figure shows one panel.
    one = data[data["city_key"] == "suqian"]
    t = sc.reliability_table(one, {"suqian": PER_CITY["suqian"]})
    assert t["city"].tolist()[:2] == [sc.POOLED, "suqian"]
    assert t["note_en"].iloc[0].startswith("pooled over the items common to 1 city (suqian)")
    fig = F.plot_reliability(t)
    assert len(fig.axes) == 1
    assert fig.axes[0].get_title() == "量表信度与收敛效度"
    assert fig.axes[0].get_xticklabels()[0].get_text() == "组织覆盖\n(4题)"

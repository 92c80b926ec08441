"""Scale scores, reliability and validity against R's psych package.

Reference data: tests/data/measures/likert_sim.csv (simulated by make_likert_sim.py, seed
20251126; 240 firms, 16 Likert items, ~2 % blanks). All R numbers below come from R 4.x with
psych 2.2.9, run on exactly that file:

    d <- read.csv("tests/data/measures/likert_sim.csv")
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chainpb.errors import ChainpbError
from chainpb.measures import scales as sc

DATA = Path(__file__).parent / "data" / "measures" / "likert_sim.csv"
DIMS = ["coverage", "ideology", "effectiveness", "resource"]
SCALES = {
    "coverage": {"label": "组织覆盖", "label_en": "Organisational coverage",
                 "items": [f"coverage_{i}" for i in range(1, 5)], "reverse": ["coverage_4"]},
    "ideology": {"label": "思想引领", "label_en": "Ideological guidance",
                 "items": [f"ideology_{i}" for i in range(1, 5)], "reverse": ["ideology_3"]},
    "effectiveness": {"label": "作用彰显", "label_en": "Effectiveness",
                      "items": [f"effectiveness_{i}" for i in range(1, 5)], "reverse": ["effectiveness_2"]},
    "resource": {"label": "资源聚合", "label_en": "Resource pooling",
                 "items": [f"resource_{i}" for i in range(1, 5)], "reverse": ["resource_4"]},
}  # fmt: skip
COVERAGE = SCALES["coverage"]["items"]
ALL_ITEMS = [i for d in DIMS for i in SCALES[d]["items"]]


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(DATA, encoding="utf-8")


# ---------------------------------------------------------------- scores


def test_scores_mean_of_answered_items_with_minimum() -> None:
    # By hand: row 0 all four answered -> (1+2+3+4)/4 = 2.5; row 1 three answered -> (5+5+2)/3 = 4;
    # row 2 two answered -> missing with min_items=3, (1+3)/2 = 2 with min_items=2.
    df = pd.DataFrame(
        {
            "coverage_1": [1, 5, 1],
            "coverage_2": [2, 5, np.nan],
            "coverage_3": [3, np.nan, 3],
            "coverage_4": [4, 2, np.nan],
        }
    )
    spec = {"coverage": SCALES["coverage"]}
    got = sc.score_scales(df, spec, min_items=3)["scale_coverage"]
    assert got.iloc[0] == pytest.approx(2.5)
    assert got.iloc[1] == pytest.approx(4.0)
    assert np.isnan(got.iloc[2])
    assert sc.score_scales(df, spec, min_items=2)["scale_coverage"].iloc[2] == pytest.approx(2.0)


def test_scores_against_r_rowmeans(data: pd.DataFrame) -> None:
    # R: x <- d[, paste0(dm, "_", 1:4)]; m <- rowMeans(x, na.rm=TRUE); m[rowSums(!is.na(x)) < 3] <- NA
    # head(sc, 3): coverage 4.333333 2.25 3.00; ideology 4.25 3.75 4.75; effectiveness 3.25 3.00 3.50
    # colSums(!is.na(sc)): coverage 239, ideology 240, effectiveness 240, resource 239
    s = sc.score_scales(data, SCALES, min_items=3)
    assert list(s.columns) == [f"scale_{d}" for d in DIMS]
    np.testing.assert_allclose(s["scale_coverage"].iloc[:3], [4.333333, 2.25, 3.0], atol=1e-6)
    np.testing.assert_allclose(s["scale_ideology"].iloc[:3], [4.25, 3.75, 4.75], atol=1e-6)
    np.testing.assert_allclose(s["scale_effectiveness"].iloc[:3], [3.25, 3.0, 3.5], atol=1e-6)
    assert s.notna().sum().tolist() == [239, 240, 240, 239]


def test_missing_item_column_is_a_bilingual_error() -> None:
    with pytest.raises(ChainpbError) as err:
        sc.score_scales(pd.DataFrame({"coverage_1": [1]}), {"coverage": SCALES["coverage"]})
    assert "缺少列" in str(err.value) and "coverage_2" in str(err.value)
    assert "lacks columns" in str(err.value)


# ---------------------------------------------------------------- alpha


def test_alpha_against_psych(data: pd.DataFrame) -> None:
    # R: a <- psych::alpha(na.omit(d[, paste0("coverage_", 1:4)]))   # 212 complete cases
    #  a$total:      raw_alpha 0.6731128  std.alpha 0.6746132
    #  a$alpha.drop: raw_alpha 0.5345992 0.5566203 0.6031272 0.7130855
    #                std.alpha 0.5349070 0.5588611 0.6047414 0.7136075
    #  a$item.stats: r.drop    0.5631911 0.5275180 0.4599761 0.2870265
    a = sc.cronbach_alpha(data, COVERAGE)
    assert a.n == 212 and a.k == 4
    assert a.raw_alpha == pytest.approx(0.6731128, abs=1e-7)
    assert a.std_alpha == pytest.approx(0.6746132, abs=1e-7)
    np.testing.assert_allclose(
        a.items["alpha_if_deleted"], [0.5345992, 0.5566203, 0.6031272, 0.7130855], atol=1e-7
    )
    np.testing.assert_allclose(
        a.items["std_alpha_if_deleted"], [0.5349070, 0.5588611, 0.6047414, 0.7136075], atol=1e-7
    )
    np.testing.assert_allclose(
        a.items["r_drop"], [0.5631911, 0.5275180, 0.4599761, 0.2870265], atol=1e-7
    )


def test_alpha_by_hand_on_tiny_data() -> None:
    # Two perfectly parallel items (y = x + 1) give α = 1; by hand with k=2: 2*(1 - 2v/4v) = 1.
    df = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 3, 4, 5]})
    assert sc.cronbach_alpha(df, ["a", "b"]).raw_alpha == pytest.approx(1.0)


# ---------------------------------------------------------------- KMO, Bartlett


def test_kmo_and_bartlett_against_psych_coverage(data: pd.DataFrame) -> None:
    # R: x <- na.omit(d[, paste0("coverage_", 1:4)]); k <- psych::KMO(x)
    #  k$MSA 0.7122633; k$MSAi 0.6777007 0.7022381 0.7379003 0.8129930
    # R: psych::cortest.bartlett(cor(x), n = nrow(x))
    #  $chisq 139.5769502  $p.value 1.230926552e-27  $df 6
    k = sc.kmo(data, COVERAGE)
    assert k.overall == pytest.approx(0.7122633, abs=1e-7)
    np.testing.assert_allclose(k.per_item, [0.6777007, 0.7022381, 0.7379003, 0.8129930], atol=1e-7)
    b = sc.bartlett_sphericity(data, COVERAGE)
    assert (b.n, b.df) == (212, 6)
    assert b.chi2 == pytest.approx(139.5769502, abs=1e-6)
    assert b.p_value == pytest.approx(1.230926552e-27, rel=1e-6)


def test_kmo_and_bartlett_against_psych_all_items(data: pd.DataFrame) -> None:
    # R: items16 <- na.omit(d[, 1:16])   # 168 complete cases
    #  psych::KMO(items16)$MSA 0.7233005
    #  psych::cortest.bartlett(cor(items16), n=168): chisq 670.234627, df 120, p 2.447719378e-77
    assert sc.kmo(data, ALL_ITEMS).overall == pytest.approx(0.7233005, abs=1e-7)
    b = sc.bartlett_sphericity(data, ALL_ITEMS)
    assert (b.n, b.df) == (168, 120)
    assert b.chi2 == pytest.approx(670.234627, abs=1e-5)
    assert b.p_value == pytest.approx(2.447719378e-77, rel=1e-6)


# ---------------------------------------------------------------- EFA

# R: f4 <- psych::fa(items16, nfactors=4, fm="minres", rotate="varimax"); unclass(f4$loadings)
# psych names the columns MR2 MR3 MR4 MR1 (ordered by SS loadings); ours are F1..F4 in the same
# order. Rows: the 16 items in file order.
R_VARIMAX = np.array(
    [
        [0.2755650614, 0.032334215, 0.11495430, 0.676261699],
        [0.1288019271, 0.090782128, 0.11232541, 0.676511829],
        [0.0059722314, 0.102268949, 0.10727668, 0.671242152],
        [0.2307878250, -0.035338423, 0.09189160, 0.300542900],
        [-0.0054340749, 0.677712629, 0.13714128, 0.163395038],
        [0.0140745762, 0.695202915, 0.07645714, 0.042845580],
        [0.1440756158, 0.570286055, 0.08965050, 0.013239208],
        [0.1735936022, 0.603834226, 0.02334020, -0.005042458],
        [0.6245799500, 0.179989379, 0.06082115, 0.187346046],
        [0.7622389857, 0.008749314, -0.08341650, 0.118754513],
        [0.5755789775, 0.102703273, 0.13255437, 0.129160847],
        [0.5020648686, 0.082092138, 0.05416649, 0.051854396],
        [-0.0002481844, 0.125953068, 0.79119814, 0.113955043],
        [0.1921040743, 0.114542400, 0.64157017, 0.162615364],
        [0.0856543185, 0.034089667, 0.65783737, 0.122911673],
        [-0.0136178757, 0.035640240, 0.27973663, 0.019253167],
    ]
)


def test_efa_minres_varimax_against_psych(data: pd.DataFrame) -> None:
    e = sc.efa(data, ALL_ITEMS, n_factors=4, rotate="varimax")
    assert e.n == 168
    np.testing.assert_allclose(e.loadings.to_numpy(), R_VARIMAX, atol=1e-4)
    # R: f4$communality: coverage_1 0.54752598 ... resource_4 0.08007894
    assert e.communalities["coverage_1"] == pytest.approx(0.54752598, abs=1e-4)
    assert e.communalities["resource_4"] == pytest.approx(0.08007894, abs=1e-4)
    # R: f4$Vaccounted: SS loadings 1.7958397 1.7346144 1.6587908 1.6081046;
    #    Cumulative Var 0.1122400 0.2206534 0.3243278 0.4248343
    np.testing.assert_allclose(
        e.variance["ss_loadings"], [1.7958397, 1.7346144, 1.6587908, 1.6081046], atol=1e-4
    )
    np.testing.assert_allclose(
        e.variance["cumulative"], [0.1122400, 0.2206534, 0.3243278, 0.4248343], atol=1e-5
    )


def test_one_factor_minres_against_psych(data: pd.DataFrame) -> None:
    # R: psych::fa(na.omit(d[, paste0("coverage_", 1:4)]), nfactors=1, fm="minres", rotate="none")
    #  loadings 0.7535867 0.6832410 0.5880748 0.3407353
    lam = sc.one_factor_loadings(data, COVERAGE)
    np.testing.assert_allclose(lam, [0.7535867, 0.6832410, 0.5880748, 0.3407353], atol=1e-4)


def test_varimax_is_stats_varimax_on_a_textbook_matrix() -> None:
    # R: unclass(stats::varimax(matrix(c(.8,.7,.6,.2,.3,.2, .3,.2,.3,.7,.8,.6), 6))$loadings)
    # printed with digits = 7 (values in R_VARIMAX_TEXTBOOK below).
    a = np.array([[0.8, 0.3], [0.7, 0.2], [0.6, 0.3], [0.2, 0.7], [0.3, 0.8], [0.2, 0.6]])
    rot = sc.varimax(a)
    # Orthogonal rotation keeps communalities (row sums of squares) exactly.
    np.testing.assert_allclose((rot**2).sum(axis=1), (a**2).sum(axis=1), atol=1e-12)
    np.testing.assert_allclose(rot, R_VARIMAX_TEXTBOOK, atol=1e-6)


# R output of the call in the test above.
R_VARIMAX_TEXTBOOK = np.array(
    [
        [0.8077881, 0.2783495],
        [0.7051316, 0.1810785],
        [0.6078606, 0.2837349],
        [0.2187765, 0.6943608],
        [0.3214329, 0.7916318],
        [0.2160838, 0.5943970],
    ]
)


# ---------------------------------------------------------------- CR, AVE, tables


def test_cr_and_ave_by_hand() -> None:
    # λ = 0.8, 0.7, 0.6: Σλ = 2.1, (Σλ)² = 4.41, Σ(1-λ²) = 0.36 + 0.51 + 0.64 = 1.51
    # CR = 4.41 / 5.92 = 0.744932...; AVE = (0.64 + 0.49 + 0.36)/3 = 1.49/3 = 0.496667
    assert sc.composite_reliability([0.8, 0.7, 0.6]) == pytest.approx(4.41 / 5.92, abs=1e-12)
    assert sc.average_variance_extracted([0.8, 0.7, 0.6]) == pytest.approx(1.49 / 3, abs=1e-12)


def test_reliability_table_against_psych(data: pd.DataFrame) -> None:
    # R, per scale: x <- na.omit(d[, paste0(dm, "_", 1:4)]); a <- psych::alpha(x)
    #   l <- as.numeric(psych::fa(x, nfactors=1, fm="minres", rotate="none")$loadings)
    #   cr <- sum(l)^2/(sum(l)^2+sum(1-l^2)); ave <- mean(l^2); psych::KMO(x)$MSA
    # coverage      n=212 raw=0.6731128 std=0.6746132 kmo=0.7122633 cr=0.6909284 ave=0.3741609
    # ideology      n=224 raw=0.7394379 std=0.7405502 kmo=0.7606345 cr=0.7417658 ave=0.4191813
    # effectiveness n=213 raw=0.7099617 std=0.7122074 kmo=0.7390591 cr=0.7172288 ave=0.3927451
    # resource      n=229 raw=0.6729318 std=0.6681951 kmo=0.6959319 cr=0.6940700 ave=0.3857333
    t = sc.reliability_table(data, SCALES, language="zh")
    assert t["scale"].tolist() == ["组织覆盖", "思想引领", "作用彰显", "资源聚合"]
    assert t["n"].tolist() == [212, 224, 213, 229]
    assert t["n_items"].tolist() == [4, 4, 4, 4]
    np.testing.assert_allclose(t["alpha"], [0.6731128, 0.7394379, 0.7099617, 0.6729318], atol=1e-7)
    np.testing.assert_allclose(
        t["std_alpha"], [0.6746132, 0.7405502, 0.7122074, 0.6681951], atol=1e-7
    )
    np.testing.assert_allclose(t["kmo"], [0.7122633, 0.7606345, 0.7390591, 0.6959319], atol=1e-7)
    np.testing.assert_allclose(t["cr"], [0.6909284, 0.7417658, 0.7172288, 0.6940700], atol=1e-4)
    np.testing.assert_allclose(t["ave"], [0.3741609, 0.4191813, 0.3927451, 0.3857333], atol=1e-4)
    en = sc.reliability_table(data, SCALES, language="en", relabel=True)
    assert en.columns.tolist()[:3] == ["Scale", "Items", "N"]
    assert en["Scale"].iloc[3] == "Resource pooling"


def test_item_table(data: pd.DataFrame) -> None:
    labels = {"coverage_1": {"zh": "本企业已建立党组织", "en": "Party organisation set up"}}
    t = sc.item_table(data, SCALES, item_labels=labels)
    assert len(t) == 16
    row = t.iloc[0]
    assert (row["scale"], row["item"], row["label"]) == (
        "组织覆盖",
        "coverage_1",
        "本企业已建立党组织",
    )
    assert t.iloc[1]["label"] == "coverage_2"
    # psych references as in test_alpha_against_psych / test_one_factor_minres_against_psych
    assert row["loading"] == pytest.approx(0.7535867, abs=1e-4)
    assert row["alpha_if_deleted"] == pytest.approx(0.5345992, abs=1e-7)
    assert row["r_drop"] == pytest.approx(0.5631911, abs=1e-7)


def test_fornell_larcker_against_r(data: pd.DataFrame) -> None:
    # Diagonal: sqrt(ave) from the reliability reference: 0.6116870 0.6474421 0.6266938 0.6210743
    # Below: R cor(sc, use="pairwise") of the min-3-items scale scores:
    #   ideology~coverage 0.1687482; effectiveness~coverage 0.3000796; resource~ideology 0.2592361
    fl = sc.fornell_larcker(data, SCALES)
    m = fl.to_numpy()
    np.testing.assert_allclose(np.diag(m), [0.6116870, 0.6474421, 0.6266938, 0.6210743], atol=1e-4)
    assert m[1, 0] == pytest.approx(0.1687482, abs=1e-7)
    assert m[2, 0] == pytest.approx(0.3000796, abs=1e-7)
    assert m[3, 1] == pytest.approx(0.2592361, abs=1e-7)
    assert np.isnan(m[0, 1])
    assert fl.index.tolist() == ["组织覆盖", "思想引领", "作用彰显", "资源聚合"]


def test_efa_rejects_too_many_factors(data: pd.DataFrame) -> None:
    with pytest.raises(ChainpbError, match="因子数"):
        sc.efa(data, COVERAGE, n_factors=4)

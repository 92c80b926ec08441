"""Agreement statistics against hand computations and Krippendorff's published examples."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from chainpb.errors import ChainpbError
from chainpb.text.agreement import (
    REPORT_COLUMNS,
    ConfusionCounts,
    agreement_report,
    cohen_kappa,
    confusion_counts,
    disagreements,
    f1_score,
    krippendorff_alpha_nominal,
    krippendorff_alpha_two_coders,
    precision,
    recall,
)

# The 2x2 table of the Wikipedia article "Cohen's kappa" (worked example, 50 proposals):
#                 coder=1  coder=0
#   reference=1      20        5      (25)
#   reference=0      10       15      (25)
#                   (30)     (20)     n = 50
# Hand computation:
#   p_o = (20 + 15) / 50 = 0.70
#   p_e = 0.5 * 0.6 + 0.5 * 0.4 = 0.50
#   kappa = (0.70 - 0.50) / (1 - 0.50) = 0.40
#   precision = 20 / 30 = 0.6667, recall = 20 / 25 = 0.80, F1 = 40 / (40 + 10 + 5) = 0.72727
#   Krippendorff (two coders, nominal): n = 100 pairable values, n_1 = 25 + 30 = 55,
#   n_0 = 45, o_01 = 15 mismatching units -> alpha = 1 - 99 * 15 / (55 * 45) = 1 - 0.6 = 0.40
# R cross-check (psych 2.2.9):
#   ref <- c(rep(1,25), rep(0,25)); cod <- c(rep(1,20), rep(0,5), rep(1,10), rep(0,15))
#   psych::cohen.kappa(cbind(ref, cod))$kappa   # [1] 0.4
TABLE_REF = [1] * 25 + [0] * 25
TABLE_COD = [1] * 20 + [0] * 5 + [1] * 10 + [0] * 15


def test_confusion_counts_of_the_hand_table():
    assert confusion_counts(TABLE_REF, TABLE_COD) == ConfusionCounts(tp=20, fp=10, fn=5, tn=15)


def test_precision_recall_f1_of_the_hand_table():
    assert precision(TABLE_REF, TABLE_COD) == pytest.approx(20 / 30)
    assert recall(TABLE_REF, TABLE_COD) == pytest.approx(0.8)
    assert f1_score(TABLE_REF, TABLE_COD) == pytest.approx(40 / 55)
    # The reference is the first argument: swapping the coders swaps precision and recall.
    assert precision(TABLE_COD, TABLE_REF) == pytest.approx(0.8)


def test_cohen_kappa_of_the_hand_table():
    assert cohen_kappa(TABLE_REF, TABLE_COD) == pytest.approx(0.40)


def test_krippendorff_alpha_of_the_hand_table():
    assert krippendorff_alpha_two_coders(TABLE_REF, TABLE_COD) == pytest.approx(0.40)


# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: nominal data,
# 4 observers x 12 units with missing values; the paper reports alpha = 0.743.
N = np.nan
KRIPPENDORFF_2011_NOMINAL = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],  # observer A
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],  # observer B
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],  # observer C
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],  # observer D
]


def test_krippendorff_published_nominal_example_with_missing_values():
    assert krippendorff_alpha_nominal(KRIPPENDORFF_2011_NOMINAL) == pytest.approx(0.743, abs=5e-4)


def test_krippendorff_nominal_values_may_be_strings():
    # Relabelling the categories must not change a nominal alpha.
    labels = {1: "a", 2: "b", 3: "c", 4: "d", 5: "e"}
    relabelled = [
        [labels.get(v) if not np.isnan(v) else None for v in row]
        for row in KRIPPENDORFF_2011_NOMINAL
    ]
    assert krippendorff_alpha_nominal(relabelled) == pytest.approx(0.743, abs=5e-4)


# Krippendorff (2011), section A: binary data, two observers, 10 units; the paper gives
# alpha = 0.095. By hand: 5 units (0,0) -> o_00 = 10; 1 unit (1,1) -> o_11 = 2; 4 mismatching
# units -> o_01 = o_10 = 4; n_0 = 14, n_1 = 6, n = 20;
# alpha = 1 - (n - 1) * o_01 / (n_0 * n_1) = 1 - 19 * 4 / 84 = 8 / 84 = 0.0952.
# Cohen's kappa on the same data (A as reference): p_o = 6/10; A has 2 ones, B has 4;
# p_e = 0.2 * 0.4 + 0.8 * 0.6 = 0.56; kappa = (0.60 - 0.56) / 0.44 = 1/11 = 0.0909.
# R: psych::cohen.kappa(cbind(a = BINARY_A, b = BINARY_B))$kappa   # [1] 0.09090909
BINARY_A = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
BINARY_B = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]


def test_krippendorff_published_binary_two_coder_example():
    assert krippendorff_alpha_two_coders(BINARY_A, BINARY_B) == pytest.approx(8 / 84)
    assert krippendorff_alpha_two_coders(BINARY_A, BINARY_B) == pytest.approx(0.095, abs=5e-4)


def test_cohen_kappa_binary_example_by_hand():
    assert cohen_kappa(BINARY_A, BINARY_B) == pytest.approx(1 / 11)


def test_kappa_on_a_three_class_case():
    # By hand: agreement on 6 of 8 units, p_o = 48/64; marginals a: x3 y3 z2, b: x3 y2 z3;
    # p_e = (3*3 + 3*2 + 2*3) / 64 = 21/64; kappa = (48 - 21) / (64 - 21) = 27/43 = 0.62791.
    # Cross-check: sklearn.metrics.cohen_kappa_score(a, b) = 0.627906976744186;
    # R: psych::cohen.kappa(cbind(x = a, y = b))$kappa   # [1] 0.627907 (psych 2.2.9)
    a = ["x", "x", "x", "y", "y", "y", "z", "z"]
    b = ["x", "x", "z", "y", "y", "x", "z", "z"]
    assert cohen_kappa(a, b) == pytest.approx(27 / 43)


def test_degenerate_cases_are_nan_not_numbers():
    ones = [1, 1, 1, 1]
    zeros = [0, 0, 0, 0]
    # Both coders used one and the same class: kappa and alpha are 0/0.
    assert math.isnan(cohen_kappa(ones, ones))
    assert math.isnan(krippendorff_alpha_two_coders(zeros, zeros))
    # Each coder a different single class: p_o = p_e = 0, kappa = 0 (defined).
    assert cohen_kappa(ones, zeros) == 0.0
    # No positives anywhere: P, R and F1 are undefined.
    assert math.isnan(precision(zeros, zeros))
    assert math.isnan(recall(zeros, zeros))
    assert math.isnan(f1_score(zeros, zeros))
    # Coder never codes 1 but the reference does: precision undefined, recall 0.
    assert math.isnan(precision(ones, zeros))
    assert recall(ones, zeros) == 0.0
    # Only one pairable unit value: alpha undefined.
    assert math.isnan(krippendorff_alpha_nominal([[1, N], [N, 2]]))


def test_non_binary_codes_are_refused_with_a_bilingual_message():
    with pytest.raises(ChainpbError, match="0 或 1") as err:
        confusion_counts([0, 1, 2], [0, 1, 1])
    assert "must be 0 or 1" in str(err.value)


def _frames():
    # coverage is the hand table above (kappa 0.40); ideology is the Krippendorff binary example.
    unit_ids = [f"u{i:02d}" for i in range(50)]
    reference = pd.DataFrame(
        {"unit_id": unit_ids, "coverage": TABLE_REF, "ideology": BINARY_A + [0] * 40}
    )
    coded = pd.DataFrame(
        {"unit_id": unit_ids, "coverage": TABLE_COD, "ideology": BINARY_B + [0] * 40}
    )
    return reference, coded


def test_agreement_report_rows_and_values():
    reference, coded = _frames()
    # Shuffle the coder's rows: the report must align on unit_id, not on position.
    coded = coded.iloc[::-1].reset_index(drop=True)
    report = agreement_report(reference, coded, ["coverage", "ideology"], "gold", "codebook")
    assert list(report.columns) == REPORT_COLUMNS
    assert list(report["category"]) == ["coverage", "ideology", "macro"]
    cov = report.iloc[0]
    assert (cov.n, cov.tp, cov.fp, cov.fn, cov.tn) == (50, 20, 10, 5, 15)
    assert cov.prevalence_reference == pytest.approx(0.5)
    assert cov.prevalence_coder == pytest.approx(0.6)
    assert cov.cohen_kappa == pytest.approx(0.40)
    assert cov.krippendorff_alpha == pytest.approx(0.40)
    ide = report.iloc[1]
    # ideology: tp=1, fp=3, fn=1 -> P = 1/4, R = 1/2, F1 = 2/(2+3+1) = 1/3
    assert (ide.precision, ide.recall) == (pytest.approx(0.25), pytest.approx(0.5))
    assert ide.f1 == pytest.approx(1 / 3)
    macro = report.iloc[2]
    assert macro.precision == pytest.approx((20 / 30 + 0.25) / 2)
    assert macro.recall == pytest.approx((0.8 + 0.5) / 2)
    assert macro.f1 == pytest.approx((40 / 55 + 1 / 3) / 2)
    assert pd.isna(macro.cohen_kappa)
    assert set(report["reference"]) == {"gold"}
    assert set(report["coder"]) == {"codebook"}


def test_agreement_report_leaves_out_missing_codes():
    reference, coded = _frames()
    coded["coverage"] = coded["coverage"].astype(float)
    coded.loc[0, "coverage"] = np.nan  # a tp unit becomes uncoded
    report = agreement_report(reference, coded, ["coverage"])
    assert report.iloc[0].n == 49
    assert report.iloc[0].tp == 19


def test_agreement_report_refuses_mismatched_units():
    reference, coded = _frames()
    coded.loc[0, "unit_id"] = "other"
    with pytest.raises(ChainpbError, match="unit_id"):
        agreement_report(reference, coded, ["coverage"])


def test_disagreements_lists_each_differing_unit_and_category():
    gold = pd.DataFrame(
        {
            "unit_id": ["a", "b", "c"],
            "source": ["answers", "answers", "policies"],
            "text": ["流动党员多，覆盖难", "无", "两张皮问题突出"],
            "coverage": [1, 0, 0],
            "effectiveness": [0, 0, 1],
        }
    )
    coded = pd.DataFrame(
        {"unit_id": ["c", "b", "a"], "coverage": [1, 0, 0], "effectiveness": [1, 0, np.nan]}
    )
    out = disagreements(gold, coded, ["coverage", "effectiveness"])
    assert list(out.columns) == ["unit_id", "source", "text", "category", "gold", "coded"]
    # a/coverage: gold 1 vs 0; a/effectiveness: gold 0 vs uncoded; c/coverage: gold 0 vs 1.
    assert list(zip(out.unit_id, out.category, strict=True)) == [
        ("a", "coverage"),
        ("a", "effectiveness"),
        ("c", "coverage"),
    ]
    assert out.loc[0, "text"] == "流动党员多，覆盖难"
    assert pd.isna(out.loc[1, "coded"])
    assert (out.loc[2, "gold"], out.loc[2, "coded"]) == (0, 1)


# ----------------------------------------------------------------- validation orchestration

GOLD_COVERAGE = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
CODEBOOK_COVERAGE = [1, 1, 1, 0, 1, 0, 0, 0, 0, 0]


def _gold_and_codes():
    unit_ids = [f"u{i:02d}" for i in range(1, 11)]
    gold = pd.DataFrame(
        {
            "unit_id": unit_ids,
            "source": ["answers"] * 10,
            "city_key": ["suqian"] * 5 + ["wuxi"] * 5,
            "text": [f"文本{i}" for i in range(10)],
            "coverage": GOLD_COVERAGE,
            "ideology": [0, 0, 0, 0, 0, 1, 1, 0, 0, 0],
            "effectiveness": [0] * 10,
            "resource": [0, 0, 0, 0, 0, 0, 0, 1, 1, 1],
        }
    )
    codebook = pd.DataFrame(
        {
            "text_id": range(10),
            "coverage": CODEBOOK_COVERAGE,
            "ideology": [0, 0, 0, 0, 0, 1, 0, 0, 0, 0],
            "effectiveness": [0] * 10,
            "resource": [0, 0, 0, 0, 0, 0, 0, 1, 1, 0],
            "status": ["coded"] * 10,
        }
    )
    tokens = [["流动党员", "覆盖"] if g else ["企业", "发展"] for g in GOLD_COVERAGE]
    return gold, codebook, tokens


def test_validate_coding_shapes_and_a_hand_checked_row():
    from chainpb.text.validation import AGREEMENT_COLUMNS, COMPARISONS, validate_coding

    gold, codebook, tokens = _gold_and_codes()
    # hybrid_min_probability = 1: no fitted logistic model reaches p = 1, and the categories
    # without a positive gold code predict p = 0, so the hybrid equals the codebook here.
    result = validate_coding(gold, codebook, tokens, seed=20251126, hybrid_min_probability=1.0)
    agreement = result.agreement
    assert list(agreement.columns) == AGREEMENT_COLUMNS
    assert list(COMPARISONS) == [
        "codebook_vs_gold",
        "supervised_vs_gold",
        "hybrid_vs_gold",
        "supervised_vs_codebook",
    ]
    # All units are dev answers: split all|dev x source all|answers; no test or policies rows.
    assert list(agreement["comparison"].unique()) == list(COMPARISONS)
    assert set(zip(agreement["split"], agreement["source"], strict=True)) == {
        ("all", "all"),
        ("all", "answers"),
        ("dev", "all"),
        ("dev", "answers"),
    }
    assert len(agreement) == 4 * 4 * 5  # comparisons x subsets x (4 categories + macro)
    row = agreement.set_index(["comparison", "split", "source", "category"]).loc[
        ("codebook_vs_gold", "all", "all", "coverage")
    ]
    # By hand from GOLD_COVERAGE vs CODEBOOK_COVERAGE: tp=3, fn=1 (u04), fp=1 (u05), tn=5.
    # P = R = F1 = 3/4; p_o = 0.8, p_e = 0.4*0.4 + 0.6*0.6 = 0.52, kappa = 0.28/0.48 = 0.58333;
    # alpha: n = 20, n_1 = 8, n_0 = 12, o_01 = 2 -> 1 - 19*2/(8*12) = 0.604167.
    # R: psych::cohen.kappa(cbind(g, k))$kappa with the two vectors above -> [1] 0.5833333
    assert (row.tp, row.fp, row.fn, row.tn) == (3, 1, 1, 5)
    assert (row.precision, row.recall, row.f1) == (0.75, 0.75, 0.75)
    assert row.cohen_kappa == pytest.approx(0.28 / 0.48)
    assert row.krippendorff_alpha == pytest.approx(1 - 38 / 96)
    stats = ["tp", "fp", "fn", "tn", "precision", "recall", "f1"]
    codebook_rows = agreement[agreement["comparison"] == "codebook_vs_gold"][stats]
    hybrid_rows = agreement[agreement["comparison"] == "hybrid_vs_gold"][stats]
    pd.testing.assert_frame_equal(
        codebook_rows.reset_index(drop=True), hybrid_rows.reset_index(drop=True)
    )
    svc = agreement[agreement["comparison"] == "supervised_vs_codebook"]
    assert set(svc["reference"]) == {"codebook"}
    assert set(svc["coder"]) == {"supervised"}
    # Disagreements of the codebook with gold: u04/coverage, u05/coverage, u07/ideology, u10/resource.
    wrong = result.disagreements
    assert list(wrong.columns[:7]) == [
        "measure",
        "unit_id",
        "source",
        "text",
        "category",
        "gold",
        "coded",
    ]
    by_codebook = wrong[wrong["measure"] == "codebook"]
    assert list(zip(by_codebook.unit_id, by_codebook.category, strict=True)) == [
        ("u04", "coverage"),
        ("u05", "coverage"),
        ("u07", "ideology"),
        ("u10", "resource"),
    ]
    by_hybrid = wrong[wrong["measure"] == "hybrid"]
    assert by_hybrid[["unit_id", "category"]].values.tolist() == [
        ["u04", "coverage"],
        ["u05", "coverage"],
        ["u07", "ideology"],
        ["u10", "resource"],
    ]
    # The coverage tokens determine gold coverage, so out of fold the supervised coder gets it.
    units = result.supervised
    assert units["ml_coverage"].tolist() == GOLD_COVERAGE
    assert list(units["unit_id"]) == list(gold["unit_id"])
    assert set(units["prediction"]) == {"out_of_fold"}
    assert units["hy_coverage"].tolist() == CODEBOOK_COVERAGE
    assert units["hy_source_coverage"].tolist() == [
        "codebook" if c else "" for c in CODEBOOK_COVERAGE
    ]


def test_validate_coding_aligns_by_unit_id_and_is_deterministic(tmp_path):
    from chainpb.text.validation import validate_coding

    gold, codebook, tokens = _gold_and_codes()
    first = validate_coding(gold, codebook, tokens, seed=3, cv_folds=2)
    keyed = codebook.drop(columns="text_id").assign(unit_id=gold["unit_id"]).iloc[::-1]
    by_unit = dict(zip(gold["unit_id"], tokens, strict=True))
    second = validate_coding(gold, keyed, by_unit, seed=3, cv_folds=2)
    pd.testing.assert_frame_equal(first.agreement, second.agreement)
    pd.testing.assert_frame_equal(first.disagreements, second.disagreements)
    first.write(tmp_path / "a1.csv", tmp_path / "d1.csv", tmp_path / "s1.csv")
    second.write(tmp_path / "a2.csv", tmp_path / "d2.csv", tmp_path / "s2.csv")
    for name in ("a", "d", "s"):
        assert (tmp_path / f"{name}1.csv").read_bytes() == (tmp_path / f"{name}2.csv").read_bytes()


def _split_gold(flip_test: bool):
    """24 dev units whose label is one token, and 4 test units (one per source and label)."""
    rows = []
    for i in range(28):
        positive = i % 3 == 0
        rows.append(
            {
                "unit_id": f"v{i:02d}",
                "source": "answers" if i % 2 else "policies",
                "city_key": "none",
                "text": ("流动党员覆盖难" if positive else "企业发展良好") + f"第{i}条",
                "coverage": int(positive),
                "ideology": 0,
                "effectiveness": 0,
                "resource": 0,
                "split": "test" if i >= 24 else "dev",
            }
        )
    gold = pd.DataFrame(rows)
    if flip_test:
        test = gold["split"] == "test"
        gold.loc[test, "coverage"] = 1 - gold.loc[test, "coverage"]
        gold.loc[test, "ideology"] = 1
        gold.loc[test, "text"] = "只在测试集出现的泄漏词"
    tokens = [["流动党员", "覆盖难"] if c else ["企业", "发展"] for c in gold["coverage"]]
    if flip_test:
        tokens = [
            t if s == "dev" else ["泄漏词"] for t, s in zip(tokens, gold["split"], strict=True)
        ]
    codebook = gold[["unit_id", "coverage", "ideology", "effectiveness", "resource"]].copy()
    return gold, codebook, tokens


def test_test_split_never_trains_and_is_reported_apart():
    from chainpb.text.validation import validate_coding

    gold, codebook, tokens = _split_gold(flip_test=False)
    result = validate_coding(gold, codebook, tokens, seed=7, cv_folds=2)
    units = result.supervised.set_index("unit_id")
    assert (units.loc[gold["unit_id"][:24], "prediction"] == "out_of_fold").all()
    assert (units.loc[gold["unit_id"][24:], "prediction"] == "dev_model").all()
    # The test units (v24 and v27 positive, v25 and v26 negative) are coded by the coder
    # fitted on the dev units.
    assert units.loc[["v24", "v25", "v26", "v27"], "ml_coverage"].tolist() == [1, 0, 0, 1]
    subsets = set(zip(result.agreement["split"], result.agreement["source"], strict=True))
    assert ("test", "policies") in subsets and ("dev", "answers") in subsets
    test_row = result.agreement.set_index(["comparison", "split", "source", "category"]).loc[
        ("supervised_vs_gold", "test", "all", "coverage")
    ]
    assert (test_row.n, test_row.tp, test_row.tn) == (4, 2, 2)
    # Flipping the test units' codes and giving them words never seen in dev changes nothing
    # for the dev units, nor the thresholds the test units were coded with.
    flipped = validate_coding(*_split_gold(flip_test=True), seed=7, cv_folds=2)
    dev_columns = [
        c for c in result.supervised.columns if c.startswith(("ml_", "p_", "threshold_"))
    ]
    pd.testing.assert_frame_equal(
        flipped.supervised.iloc[:24][dev_columns], result.supervised.iloc[:24][dev_columns]
    )
    thresholds = [c for c in dev_columns if c.startswith("threshold_")]
    pd.testing.assert_frame_equal(
        flipped.supervised.iloc[24:][thresholds], result.supervised.iloc[24:][thresholds]
    )


GOLD_CSV = (
    "unit_id,source,city_key,text,coverage,ideology,effectiveness,resource\n"
    "a1,answers,suqian,流动党员多，覆盖难,1,0,0,0\n"
    "a2,answers,wuxi,黨建與業務兩張皮,0,0,1.0,0\n"
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_read_gold_accepts_utf8_bom_and_gb18030(tmp_path, encoding):
    from chainpb.text.validation import read_gold

    path = tmp_path / "gold.csv"
    path.write_bytes(GOLD_CSV.encode(encoding))
    gold = read_gold(path)
    assert gold["unit_id"].tolist() == ["a1", "a2"]
    assert gold["effectiveness"].tolist() == [0, 1]
    assert gold["coverage"].dtype == "int64"
    # Traditional characters are normalised like every other text (黨建與業務 -> 党建与业务).
    assert gold.loc[1, "text"] == "党建与业务两张皮"
    # Legacy 0/1 codes: 1 reads as P; no split column means every unit is dev.
    assert gold["code_effectiveness"].tolist() == ["0", "P"]
    assert gold["split"].tolist() == ["dev", "dev"]


PRD_CSV = (
    "unit_id,source,city_key,text,coverage,ideology,effectiveness,resource,split,note\n"
    "b1,answers,suqian,小微企业大多没有建立党组织,P,,0,r,dev,问题\n"
    "b2,policies,none,组建产业链联合党委，实现全覆盖,R,d, p ,1,TEST,\n"
    "b3,policies,none,不存在覆盖难的问题,D,0,,,,否认\n"
)


def test_read_gold_reads_problem_remedy_and_denial_codes(tmp_path):
    from chainpb.text.validation import read_gold

    path = tmp_path / "gold.csv"
    path.write_text(PRD_CSV, encoding="utf-8")
    gold = read_gold(path)
    # Difficulty = P (or legacy 1); theme = P, R or D; blank = 0; codes are case-insensitive.
    assert gold["coverage"].tolist() == [1, 0, 0]
    assert gold["theme_coverage"].tolist() == [1, 1, 1]
    assert gold["code_coverage"].tolist() == ["P", "R", "D"]
    assert gold["ideology"].tolist() == [0, 0, 0]
    assert gold["theme_ideology"].tolist() == [0, 1, 0]
    assert gold["effectiveness"].tolist() == [0, 1, 0]
    assert gold["resource"].tolist() == [0, 1, 0]
    assert gold["code_resource"].tolist() == ["R", "P", "0"]
    assert gold["theme_resource"].tolist() == [1, 1, 0]
    assert gold["split"].tolist() == ["dev", "test", "dev"]
    assert gold["note"].tolist() == ["问题", "", "否认"]


@pytest.mark.parametrize(
    ("csv_text", "row", "column", "fragment"),
    [
        (GOLD_CSV.replace(",1,0,0,0\n", ",2,0,0,0\n"), 2, "coverage", "0 或 1"),
        (GOLD_CSV.replace(",1,0,0,0\n", ",X,0,0,0\n"), 2, "coverage", "「X」"),
        (GOLD_CSV.replace("1.0,0\n", "是,0\n"), 3, "effectiveness", "是"),
        (GOLD_CSV.replace("a2,", "a1,"), 3, "unit_id", "第 2 行"),
        (GOLD_CSV.replace("黨建與業務兩張皮", ""), 3, "text", "文本为空"),
        (GOLD_CSV.replace("a2,answers", "a2,survey"), 3, "source", "survey"),
        (
            PRD_CSV.replace("TEST", "train"),
            3,
            "split",
            "train",
        ),
    ],
)
def test_read_gold_names_file_row_and_column(tmp_path, csv_text, row, column, fragment):
    from chainpb.errors import InputError
    from chainpb.text.validation import read_gold

    path = tmp_path / "gold.csv"
    path.write_text(csv_text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_gold(path)
    assert err.value.where.row == row
    assert err.value.where.column == column
    assert str(path) in str(err.value)
    assert fragment in str(err.value)


def test_read_gold_reports_missing_columns(tmp_path):
    from chainpb.errors import InputError
    from chainpb.text.validation import read_gold

    path = tmp_path / "gold.csv"
    path.write_text(GOLD_CSV.replace(",resource", ",resources"), encoding="utf-8")
    with pytest.raises(InputError, match="resource"):
        read_gold(path)


def test_read_golds_joins_files_and_refuses_an_id_in_two_files(tmp_path):
    from chainpb.errors import InputError
    from chainpb.text.validation import read_golds

    first = tmp_path / "answers.csv"
    second = tmp_path / "reports.csv"
    first.write_text(GOLD_CSV, encoding="utf-8")
    second.write_text(PRD_CSV, encoding="utf-8")
    gold = read_golds([first, second])
    assert gold["unit_id"].tolist() == ["a1", "a2", "b1", "b2", "b3"]
    assert gold["gold_file"].tolist() == [str(first)] * 2 + [str(second)] * 3
    assert gold["note"].tolist() == ["", "", "问题", "", "否认"]  # only in the second file
    assert read_golds(first)["unit_id"].tolist() == ["a1", "a2"]  # one path, not a list
    # b2 of the second file reuses a2 of the first: the error names both files and rows.
    second.write_text(PRD_CSV.replace("b2,", "a2,"), encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_golds([first, second])
    assert (err.value.where.file, err.value.where.row, err.value.where.column) == (
        str(second),
        3,
        "unit_id",
    )
    assert str(first) in err.value.zh and "第 3 行" in err.value.zh
    assert str(first) in err.value.en and "row 3" in err.value.en


def test_tokens_by_unit_orders_tokens():
    from chainpb.text.validation import tokens_by_unit

    table = pd.DataFrame(
        {
            "unit_id": ["b", "a", "a", "b"],
            "token_index": [1, 1, 0, 0],
            "token": ["难", "皮", "两张", "覆盖"],
        }
    )
    assert tokens_by_unit(table) == {"a": ["两张", "皮"], "b": ["覆盖", "难"]}

"""The supervised coder: features, calibration, thresholds, the hybrid, the firm measure."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from chainpb.errors import ChainpbError
from chainpb.text.agreement import CATEGORIES, agreement_report
from chainpb.text.supervised import (
    THRESHOLD_GRID,
    char_ngrams,
    choose_threshold,
    cross_validated_predictions,
    fit_supervised,
    fold_splitter,
    hybrid_codes,
    make_pipeline,
    token_ngrams,
)

# One trigger token per category: a unit has the category exactly when it holds the token.
TRIGGERS = {
    "coverage": "流动党员",
    "ideology": "认识不足",
    "effectiveness": "两张皮",
    "resource": "资源共享",
}
FILLER = ["企业", "产业链", "党建", "联盟", "工作", "开展", "推进", "发展", "园区", "支部", "活动"]


def synthetic_gold(
    n_units: int = 60, seed: int = 7
) -> tuple[list[str], list[list[str]], pd.DataFrame]:
    """Each unit holds 3 distinct filler tokens and at most one trigger, which alone sets its label."""
    rng = np.random.default_rng(seed)
    kinds = [None, *CATEGORIES]
    tokens: list[list[str]] = []
    rows = []
    for i in range(n_units):
        kind = kinds[int(rng.integers(len(kinds)))]
        doc = [str(t) for t in rng.choice(FILLER, size=3, replace=False)]
        if kind is not None:
            doc.insert(int(rng.integers(len(doc) + 1)), TRIGGERS[kind])
        tokens.append(doc)
        rows.append({"unit_id": f"g{i:03d}", **{cat: int(cat == kind) for cat in CATEGORIES}})
    # The text is the tokens joined with a comma, so no character n-gram spans two tokens.
    return ["，".join(doc) for doc in tokens], tokens, pd.DataFrame(rows)


def noisy_gold(n_units: int = 60, seed: int = 5) -> tuple[list[str], list[list[str]], pd.DataFrame]:
    """Multi-label units (each category with probability 0.4) and 6 filler tokens with repeats."""
    rng = np.random.default_rng(seed)
    tokens: list[list[str]] = []
    rows = []
    for i in range(n_units):
        labels = {cat: int(rng.random() < 0.4) for cat in CATEGORIES}
        doc = [str(t) for t in rng.choice(FILLER, size=6)]
        doc += [TRIGGERS[cat] for cat in CATEGORIES if labels[cat]]
        rng.shuffle(doc)
        tokens.append(doc)
        rows.append({"unit_id": f"g{i:03d}", **labels})
    return ["".join(doc) for doc in tokens], tokens, pd.DataFrame(rows)


# ----------------------------------------------------------------------------- features


def test_token_ngrams_are_unigrams_then_bigrams():
    assert token_ngrams(["流动党员", " ", "，", "覆盖", "难", "。"]) == [
        "流动党员",
        "覆盖",
        "难",
        "流动党员 覆盖",
        "覆盖 难",
    ]


def test_char_ngrams_stop_at_punctuation_and_spaces():
    # Runs 覆盖难 and 两张 (the comma and the space end a run); 1-, 2-, 3-grams of each run.
    assert char_ngrams("覆盖难，两张 ") == [
        "覆",
        "盖",
        "难",
        "覆盖",
        "盖难",
        "覆盖难",
        "两",
        "张",
        "两张",
    ]
    assert char_ngrams("。，") == []


# ------------------------------------------------------------------ threshold and calibration


def test_threshold_maximises_f1_and_takes_the_middle_of_ties():
    # By hand: y = 0 0 0 1 1 1, p = .10 .20 .60 .55 .70 .90.
    # t <= .10: all coded, tp 3 fp 3 -> F1 6/9; .15-.20: tp 3 fp 2 -> 6/8;
    # .25-.55: tp 3 fp 1 -> 6/7 (the maximum); .60: tp 2 fp 1 fn 1 -> 4/6;
    # .65-.70: tp 2 fn 1 -> 4/5; .75-.90: tp 1 fn 2 -> 2/4; .95: nothing coded -> 0.
    # Seven grid points (.25 .30 .35 .40 .45 .50 .55) tie at 6/7; the middle one is 0.40.
    y = [0, 0, 0, 1, 1, 1]
    p = [0.10, 0.20, 0.60, 0.55, 0.70, 0.90]
    threshold, f1 = choose_threshold(y, p)
    assert threshold == 0.40
    assert f1 == pytest.approx(6 / 7)
    assert THRESHOLD_GRID[0] == 0.05 and THRESHOLD_GRID[-1] == 0.95 and len(THRESHOLD_GRID) == 19
    # y = 0 1, p = .30 .60: F1 = 1 for .35 .40 .45 .50 .55 .60 (six points); the upper of the
    # two middle ones (.45, .50) is 0.50.
    assert choose_threshold([0, 1], [0.30, 0.60]) == (0.50, 1.0)
    # No positive label: F1 is 0 or undefined everywhere, so the default 0.5 stays.
    threshold, f1 = choose_threshold([0, 0, 0], [0.1, 0.6, 0.9])
    assert threshold == 0.5 and np.isnan(f1)


def _two_groups() -> tuple[list[str], list[list[str]], pd.DataFrame]:
    # By construction P(difficulty | 甲) = 30/40 = 0.75 and P(difficulty | 乙) = 12/120 = 0.10;
    # the two texts are the only features, so a calibrated model must return about these rates.
    texts = ["甲"] * 40 + ["乙"] * 120
    y = [1] * 30 + [0] * 10 + [1] * 12 + [0] * 108
    return texts, [[t] for t in texts], pd.DataFrame({"coverage": y})


def test_calibrated_probabilities_recover_the_rates_known_by_construction():
    texts, tokens, labels = _two_groups()
    coder = fit_supervised(texts, tokens, labels, seed=3, categories=["coverage"])
    assert coder.calibrated == {"coverage": True}
    p = coder.predict(["甲", "乙"], [["甲"], ["乙"]])["p_coverage"].tolist()
    # Platt scaling on 3 folds: within 0.05 of 0.75 and 0.10 (0.730 and 0.116 when written).
    assert p[0] == pytest.approx(0.75, abs=0.05)
    assert p[1] == pytest.approx(0.10, abs=0.05)
    # Without calibration the balanced class weights inflate both (0.89 and 0.24 when written).
    raw = make_pipeline(3).fit([(t, (t,)) for t in texts], labels["coverage"].to_numpy())
    raw_p = raw.predict_proba([("甲", ("甲",)), ("乙", ("乙",))])[:, 1]
    assert raw_p[0] > 0.85 and raw_p[1] > 0.2
    # Best F1 by construction: code 甲 as 1 and 乙 as 0 -> tp 30, fp 10, fn 12, F1 = 60/82;
    # every other split is worse (all 1: 84/202; all 0: 0). The chosen threshold must do that.
    summary = coder.summary().set_index("category")
    assert summary.at["coverage", "cv_f1"] == pytest.approx(60 / 82)
    assert p[1] < coder.thresholds["coverage"] <= p[0]
    assert coder.predict(["甲", "乙"], [["甲"], ["乙"]])["coverage"].tolist() == [1, 0]


def test_small_classes_are_not_calibrated():
    texts, tokens, labels = synthetic_gold(n_units=20)
    # 5 positives of coverage: fewer than 2 per calibration fold (MIN_CALIBRATION_CLASS = 6).
    labels = labels.assign(coverage=[1] * 5 + [0] * 15)
    coder = fit_supervised(texts, tokens, labels, seed=0, categories=["coverage"], cv_folds=3)
    assert coder.calibrated == {"coverage": False}


# ------------------------------------------------------------------ fitting and predicting


def test_out_of_fold_f1_is_perfect_when_one_token_determines_the_label():
    # If features, folds, calibration and thresholds are wired right, a label that is a
    # deterministic function of one token is learnt without error out of fold: F1 = 1.0.
    texts, tokens, gold = synthetic_gold()
    assert gold[list(CATEGORIES)].sum().min() >= 9  # each category has positives in every fold
    oof = cross_validated_predictions(texts, tokens, gold, seed=20251126, cv_folds=2)
    assert list(oof.columns) == [
        "unit_id",
        *CATEGORIES,
        *[f"p_{c}" for c in CATEGORIES],
        *[f"threshold_{c}" for c in CATEGORIES],
    ]
    assert list(oof["unit_id"]) == list(gold["unit_id"])
    report = agreement_report(gold, oof, CATEGORIES, "gold", "supervised")
    assert report["f1"].tolist() == [1.0] * 5
    assert report["cohen_kappa"].iloc[:4].tolist() == [1.0] * 4


def test_noisy_units_are_coded_well_and_far_better_than_shuffled_labels():
    # With repeated filler and several triggers per unit the signal must stand far above a
    # control whose labels are shuffled across units (no learnable signal: F1 near the
    # prevalence-driven chance level). Fitted on 40 units, judged on 30 others; two categories
    # keep the test fast. Macro F1 was 0.95 against 0.54 for the control when written.
    texts, tokens, gold = noisy_gold(n_units=70)
    two = ["coverage", "ideology"]
    fit, held = slice(0, 40), slice(40, 70)

    def macro_f1(labels: pd.DataFrame) -> float:
        coder = fit_supervised(texts[fit], tokens[fit], labels[fit], 20251126, two, cv_folds=3)
        predicted = coder.predict(texts[held], tokens[held])
        return agreement_report(labels[held], predicted, two)["f1"].iloc[-1]

    shuffled = gold.copy()
    rng = np.random.default_rng(0)
    for cat in two:
        shuffled[cat] = rng.permutation(shuffled[cat].to_numpy())
    assert macro_f1(gold) > 0.9
    assert macro_f1(shuffled) < 0.7


def test_cross_validation_is_deterministic_for_a_seed():
    texts, tokens, gold = noisy_gold(n_units=30, seed=3)
    one = ["coverage"]
    first = cross_validated_predictions(texts, tokens, gold, 11, one, cv_folds=2)
    second = cross_validated_predictions(texts, tokens, gold, 11, one, cv_folds=2)
    pd.testing.assert_frame_equal(first, second)
    other_seed = cross_validated_predictions(texts, tokens, gold, 12, one, cv_folds=2)
    # A different seed gives different folds, hence (here) different out-of-fold probabilities.
    assert not np.allclose(first["p_coverage"], other_seed["p_coverage"])


def test_fitted_coder_predicts_new_units_and_pickles():
    texts, tokens, gold = synthetic_gold(n_units=40)
    coder = fit_supervised(texts, tokens, gold, seed=1, cv_folds=2)
    new_tokens = [["企业", "流动党员", "工作"], ["两张皮", "园区", "联盟"], ["一切", "正常"]]
    new_texts = ["企业流动党员工作", "两张皮园区联盟", "一切正常"]
    pred = coder.predict(new_texts, new_tokens, unit_ids=["n1", "n2", "n3"])
    assert pred[list(CATEGORIES)].to_dict("list") == {
        "coverage": [1, 0, 0],
        "ideology": [0, 0, 0],
        "effectiveness": [0, 1, 0],
        "resource": [0, 0, 0],
    }
    assert ((pred["p_coverage"] >= 0) & (pred["p_coverage"] <= 1)).all()
    assert (pred["threshold_coverage"] == coder.thresholds["coverage"]).all()
    assert coder.top_terms("effectiveness", 1)[["kind", "term"]].values.tolist() == [
        ["word", "两张皮"]
    ]
    assert "char__两张皮" in coder.vocabulary("effectiveness")
    restored = pickle.loads(pickle.dumps(coder))
    pd.testing.assert_frame_equal(restored.predict(new_texts, new_tokens, ["n1", "n2", "n3"]), pred)


def test_a_category_without_positives_predicts_zero():
    texts, tokens, gold = synthetic_gold(n_units=20)
    gold["resource"] = 0
    oof = cross_validated_predictions(texts, tokens, gold, seed=0, cv_folds=3)
    assert oof["resource"].sum() == 0
    assert (oof["p_resource"] == 0).all()
    coder = fit_supervised(texts, tokens, gold, seed=0, cv_folds=3)
    assert coder.predict(["资源共享"], [["资源共享"]])["resource"].tolist() == [0]
    assert coder.vocabulary("resource") == frozenset()


def test_folds_shrink_when_the_rare_class_is_small():
    y = np.array([1, 1, 1] + [0] * 17)
    splitter = fold_splitter(y, n_splits=5, seed=0)
    assert splitter.get_n_splits() == 3
    # Stratified: each of the 3 test folds holds exactly one positive.
    assert [int(y[test].sum()) for _, test in splitter.split(np.zeros(len(y)), y)] == [1, 1, 1]


def test_labels_must_be_binary_and_aligned():
    texts, tokens, gold = synthetic_gold(n_units=10)
    bad = gold.copy()
    bad.loc[2, "ideology"] = 2
    with pytest.raises(ChainpbError, match="ideology"):
        fit_supervised(texts, tokens, bad, seed=0)
    with pytest.raises(ChainpbError, match="align"):
        cross_validated_predictions(texts, tokens[:-1], gold, seed=0)
    with pytest.raises(ChainpbError, match="cv_folds"):
        fit_supervised(texts, tokens, gold, seed=0, cv_folds=1)


# ----------------------------------------------------------------------------- hybrid


def test_hybrid_truth_table():
    codebook = pd.DataFrame({"coverage": pd.array([1, 1, 0, 0, None, 0], dtype="Int64")})
    p = pd.DataFrame({"p_coverage": [0.95, 0.5, 0.9, 0.89, 0.99, np.nan]})
    out = hybrid_codes(codebook, p, 0.9, ["coverage"])
    assert list(out.columns) == ["hy_coverage", "hy_source_coverage"]
    # cb 1 & p>=.9 -> both; cb 1 & p<.9 -> codebook; cb 0 & p=.9 (the bound counts) ->
    # supervised; cb 0 & p<.9 -> 0; a missing side (blank answer) -> missing.
    assert out["hy_coverage"].tolist() == [1, 1, 1, 0, pd.NA, pd.NA]
    assert out["hy_source_coverage"].tolist() == ["both", "codebook", "supervised", "", "", ""]
    assert str(out["hy_coverage"].dtype) == "Int64"
    with pytest.raises(ChainpbError, match="hybrid_min_probability"):
        hybrid_codes(codebook, p, 1.5, ["coverage"])


def test_hybrid_adds_no_supervised_call_on_a_denial():
    # Rows 2 and 3 have codebook 0 and p >= .9; row 2 is a denial the codebook saw, so the
    # supervised call is vetoed there (code 0, no source); row 3 keeps it. A codebook 1 is
    # never vetoed (denied_ is 0 wherever a difficulty is also stated, see coding.denied).
    codebook = pd.DataFrame({"coverage": pd.array([1, 0, 0, 0], dtype="Int64")})
    p = pd.DataFrame({"p_coverage": [0.95, 0.2, 0.97, 0.97]})
    denied = pd.DataFrame({"denied_coverage": [0, 1, 1, 0]})
    out = hybrid_codes(codebook, p, 0.9, ["coverage"], denied=denied)
    assert out["hy_coverage"].tolist() == [1, 0, 0, 1]
    assert out["hy_source_coverage"].tolist() == ["both", "", "", "supervised"]


# ------------------------------------------------------------------- firm measure (stage)


class CharSegmenter:
    """Stands in for jieba: one token per character (enough for the wiring under test)."""

    def tokens(self, text: str) -> list[str]:
        return list(text)


def _stage_inputs(flip_test: bool = False):
    texts, _tokens, gold = synthetic_gold(n_units=24)
    gold = gold.assign(
        source="answers",
        city_key="none",
        text=texts,
        split=["test" if i % 8 == 0 else "dev" for i in range(len(gold))],
    )
    if flip_test:
        test = gold["split"] == "test"
        for cat in CATEGORIES:
            gold.loc[test, cat] = 1 - gold.loc[test, cat]
        gold.loc[test, "text"] = "泄漏测试文本"
    answers = ["企业流动党员多", "", "两张皮现象突出", "一切正常"]
    survey = pd.DataFrame(
        {"enterprise_id": ["e1", "e2", "e3", "e4"], "city_key": "wuxi", "difficulty_text": answers}
    )
    token_rows = [
        {"doc_id": eid, "token_index": k, "token": ch}
        for eid, text in zip(survey["enterprise_id"], answers, strict=True)
        for k, ch in enumerate(text)
    ]
    codebook_firms = pd.DataFrame(
        {
            "city_key": "wuxi",
            "enterprise_id": ["e4", "e3", "e2", "e1"],
            "answer_status": ["coded", "coded", "missing", "coded"],
            "diff_coverage": pd.array([0, 0, None, 0], dtype="Int64"),
            "diff_ideology": pd.array([1, 0, None, 0], dtype="Int64"),
            "diff_effectiveness": pd.array([0, 1, None, 0], dtype="Int64"),
            "diff_resource": pd.array([0, 0, None, 0], dtype="Int64"),
        }
    )
    return gold, survey, pd.DataFrame(token_rows), codebook_firms


def _measure(gold, survey, tokens, firms, seed=5, cv_folds=2, answer_hits=None):
    """The workflow's three steps: fit once (supervised_coder), predict per city
    (supervised_predictions), combine with the codebook (supervised_measure)."""
    from chainpb.text.stage import supervised_coder, supervised_measure, supervised_predictions

    coder = supervised_coder(gold, CharSegmenter(), seed, cv_folds=cv_folds)
    predictions = supervised_predictions(coder, survey, tokens)
    measure = supervised_measure(predictions, firms, answer_hits=answer_hits)
    return measure, coder.summary()


def test_supervised_measure_adds_the_hybrid_and_ignores_test_units():
    gold, survey, tokens, firms = _stage_inputs()
    measure, summary = _measure(gold, survey, tokens, firms, seed=5, cv_folds=2)
    assert list(measure.columns) == [
        "city_key",
        "enterprise_id",
        *[f"{p}{c}" for p in ("ml_", "p_", "hy_", "hy_source_") for c in CATEGORIES],
    ]
    assert (
        str(measure["ml_coverage"].dtype) == "Int64"
        and str(measure["hy_coverage"].dtype) == "Int64"
    )
    row = measure.set_index("enterprise_id")
    # e2 answered nothing: every measure is missing, as in the codebook measure.
    assert pd.isna(row.at["e2", "ml_coverage"]) and pd.isna(row.at["e2", "hy_coverage"])
    assert np.isnan(row.at["e2", "p_coverage"])
    # e4: the codebook's ideology code (joined on enterprise_id, not on row order) is kept.
    assert (row.at["e4", "hy_ideology"], row.at["e4", "hy_source_ideology"]) == (1, "codebook")
    assert row.at["e1", "ml_coverage"] == 1 and row.at["e4", "ml_coverage"] == 0
    assert list(summary["category"]) == list(CATEGORIES)
    # Test rows never train: flipping their codes and replacing their texts changes nothing.
    flipped = _measure(*_stage_inputs(flip_test=True), seed=5, cv_folds=2)
    pd.testing.assert_frame_equal(flipped[0], measure)
    pd.testing.assert_frame_equal(flipped[1], summary)


def test_supervised_measure_vetoes_what_an_answer_denies():
    gold, survey, tokens, firms = _stage_inputs()
    plain = _measure(gold, survey, tokens, firms, seed=5, cv_folds=2)
    row = plain[0].set_index("enterprise_id")
    assert row.at["e1", "hy_coverage"] == 1  # the coder is sure e1 states coverage
    # The same answer with the codebook's hit table saying e1 denies coverage (a negated hit,
    # no counted one): the hybrid drops the supervised call, the coder's own code stays.
    hits = pd.DataFrame(
        {"doc_id": ["e1", "e3"], "category": ["coverage", "effectiveness"],
         "status": ["negated", "problem"]}
    )  # fmt: skip
    vetoed = _measure(gold, survey, tokens, firms, seed=5, cv_folds=2, answer_hits=hits)[
        0
    ].set_index("enterprise_id")
    assert vetoed.at["e1", "hy_coverage"] == 0 and vetoed.at["e1", "hy_source_coverage"] == ""
    assert vetoed.at["e1", "ml_coverage"] == 1
    changed = (vetoed != row) & ~(vetoed.isna() & row.isna())
    assert changed.sum().sum() == 2  # hy_coverage and hy_source_coverage of e1, nothing else


def test_measure_choice_copies_the_chosen_measure_into_diff():
    from chainpb.measures.choice import combine_difficulty_measures

    keys = {"city_key": ["wuxi", "wuxi"], "enterprise_id": ["e2", "e1"]}
    codebook = pd.DataFrame(
        {
            **keys,
            "answer_status": ["coded", "coded"],
            **{f"diff_{c}": pd.array([1, 0], dtype="Int64") for c in CATEGORIES},
            **{f"n_{c}": [1, 0] for c in CATEGORIES},
        }
    )
    supervised = pd.DataFrame(
        {
            "city_key": ["wuxi", "wuxi"],
            "enterprise_id": ["e1", "e2"],  # another row order: the join is on the keys
            **{f"ml_{c}": pd.array([1, 0], dtype="Int64") for c in CATEGORIES},
            **{f"p_{c}": [0.95, 0.2] for c in CATEGORIES},
            **{f"hy_{c}": pd.array([1, 1], dtype="Int64") for c in CATEGORIES},
        }
    )
    # Sorted by id: e1 has codebook 0, supervised 1, hybrid 1; e2 has 1, 0, 1.
    expected = {"codebook": [0, 1], "supervised": [1, 0], "hybrid": [1, 1]}
    for measure, diff in expected.items():
        out = combine_difficulty_measures(codebook, supervised, measure)
        assert out["enterprise_id"].tolist() == ["e1", "e2"]
        assert out["diff_coverage"].tolist() == diff
        assert out[["cb_resource", "ml_resource", "hy_resource"]].values.tolist() == [
            [0, 1, 1],
            [1, 0, 1],
        ]
    with pytest.raises(ChainpbError, match="hybrid"):
        combine_difficulty_measures(codebook, supervised, "mixed")
    with pytest.raises(ChainpbError, match="hy_coverage"):
        combine_difficulty_measures(codebook, supervised.drop(columns="hy_coverage"), "codebook")

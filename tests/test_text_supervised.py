"""The supervised second coder: wiring (perfectly learnable labels), determinism, edge cases."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from chainpb.errors import ChainpbError
from chainpb.text.agreement import CATEGORIES, agreement_report
from chainpb.text.supervised import (
    cross_validated_predictions,
    fit_supervised,
    fold_splitter,
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


def synthetic_gold(n_units: int = 80, seed: int = 7) -> tuple[list[list[str]], pd.DataFrame]:
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
    return tokens, pd.DataFrame(rows)


def noisy_gold(n_units: int = 80, seed: int = 5) -> tuple[list[list[str]], pd.DataFrame]:
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
    return tokens, pd.DataFrame(rows)


def test_token_ngrams_are_unigrams_then_bigrams():
    assert token_ngrams(["流动党员", " ", "，", "覆盖", "难", "。"]) == [
        "流动党员",
        "覆盖",
        "难",
        "流动党员 覆盖",
        "覆盖 难",
    ]


def test_out_of_fold_f1_is_perfect_when_one_token_determines_the_label():
    # If the features, folds and probability columns are wired right, a label that is a
    # deterministic function of one token is learnt without error out of fold: F1 = 1.0.
    # (With the data seeds 1-5 and 7 this holds as well; checked when the test was written.)
    tokens, gold = synthetic_gold()
    assert gold[list(CATEGORIES)].sum().min() >= 10  # each category has positives in every fold
    oof = cross_validated_predictions(tokens, gold, n_splits=5, seed=20251126)
    assert list(oof.columns) == [
        "unit_id",
        *CATEGORIES,
        *[f"p_{c}" for c in CATEGORIES],
    ]
    assert list(oof["unit_id"]) == list(gold["unit_id"])
    report = agreement_report(gold, oof, CATEGORIES, "gold", "supervised")
    assert report["f1"].tolist() == [1.0] * 5
    assert report["cohen_kappa"].iloc[:4].tolist() == [1.0] * 4


def test_noisy_units_are_coded_well_and_far_better_than_shuffled_labels():
    # With repeated filler and several triggers per unit, TF-IDF normalisation blurs a few
    # borderline units (macro F1 0.94 at the time of writing), but the signal must stand far
    # above a control whose labels are shuffled across units (no learnable signal: F1 near the
    # prevalence-driven chance level, about 0.4-0.5).
    tokens, gold = noisy_gold()
    oof = cross_validated_predictions(tokens, gold, n_splits=5, seed=20251126)
    macro_f1 = agreement_report(gold, oof, CATEGORIES)["f1"].iloc[-1]
    shuffled = gold.copy()
    rng = np.random.default_rng(0)
    for cat in CATEGORIES:
        shuffled[cat] = rng.permutation(shuffled[cat].to_numpy())
    control = cross_validated_predictions(tokens, shuffled, n_splits=5, seed=20251126)
    control_f1 = agreement_report(shuffled, control, CATEGORIES)["f1"].iloc[-1]
    assert macro_f1 > 0.9
    assert control_f1 < 0.65


def test_cross_validation_is_deterministic_for_a_seed():
    tokens, gold = noisy_gold(n_units=40, seed=3)
    first = cross_validated_predictions(tokens, gold, n_splits=5, seed=11)
    second = cross_validated_predictions(tokens, gold, n_splits=5, seed=11)
    pd.testing.assert_frame_equal(first, second)
    other_seed = cross_validated_predictions(tokens, gold, n_splits=5, seed=12)
    # A different seed gives different folds, hence (here) different out-of-fold probabilities.
    assert not np.allclose(first["p_coverage"], other_seed["p_coverage"])


def test_fitted_coder_predicts_new_units_and_pickles():
    tokens, gold = synthetic_gold()
    coder = fit_supervised(tokens, gold, seed=1)
    new = [["企业", "流动党员", "工作"], ["两张皮", "园区", "联盟"], ["一切", "正常"]]
    pred = coder.predict(new, unit_ids=["n1", "n2", "n3"])
    assert pred[list(CATEGORIES)].to_dict("list") == {
        "coverage": [1, 0, 0],
        "ideology": [0, 0, 0],
        "effectiveness": [0, 1, 0],
        "resource": [0, 0, 0],
    }
    assert ((pred["p_coverage"] >= 0) & (pred["p_coverage"] <= 1)).all()
    assert coder.top_terms("effectiveness", 1)["term"].tolist() == ["两张皮"]
    restored = pickle.loads(pickle.dumps(coder))
    pd.testing.assert_frame_equal(restored.predict(new, unit_ids=["n1", "n2", "n3"]), pred)


def test_a_category_without_positives_predicts_zero():
    tokens, gold = synthetic_gold(n_units=20)
    gold["resource"] = 0
    oof = cross_validated_predictions(tokens, gold, n_splits=5, seed=0)
    assert oof["resource"].sum() == 0
    assert (oof["p_resource"] == 0).all()
    coder = fit_supervised(tokens, gold, seed=0)
    assert coder.predict([["资源共享"]])["resource"].tolist() == [0]


def test_folds_shrink_when_the_rare_class_is_small():
    y = np.array([1, 1, 1] + [0] * 17)
    splitter = fold_splitter(y, n_splits=5, seed=0)
    assert splitter.get_n_splits() == 3
    # Stratified: each of the 3 test folds holds exactly one positive.
    assert [int(y[test].sum()) for _, test in splitter.split(np.zeros(len(y)), y)] == [1, 1, 1]


def test_labels_must_be_binary_and_aligned():
    tokens, gold = synthetic_gold(n_units=10)
    bad = gold.copy()
    bad.loc[2, "ideology"] = 2
    with pytest.raises(ChainpbError, match="ideology"):
        fit_supervised(tokens, bad, seed=0)
    with pytest.raises(ChainpbError, match="align"):
        cross_validated_predictions(tokens[:-1], gold, seed=0)

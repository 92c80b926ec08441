"""The supervised coder out of the codebook's rerun path (issue 13, item 4).

The workflow fits the coder once (supervised_coder), stores it, predicts each city's firms
(supervised_predict) and the gold units out of fold (supervised_out_of_fold) — none of which
reads the codebook — and combines the stored codes with the codebook in cheap jobs
(supervised_measure, validate_coding). The references here are the one-piece computations:
the split, with its files written and read back, must give the same tables and bytes.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from test_text_supervised import CharSegmenter, _stage_inputs

from chainpb.atomic import write_parquet
from chainpb.errors import ChainpbError
from chainpb.text.agreement import CATEGORIES
from chainpb.text.stage import (
    gold_out_of_fold,
    supervised_coder,
    supervised_measure,
    supervised_predictions,
)
from chainpb.text.supervised import coder_bytes, load_coder, save_coder
from chainpb.text.validation import compare_codings, validate_coding


def _gold_with_sources():
    """The 24 synthetic units (3 test) of test_text_supervised, half of them policy sentences."""
    gold, survey, tokens, firms = _stage_inputs()
    gold = gold.assign(source=["answers" if i % 2 else "policies" for i in range(len(gold))])
    return gold, survey, tokens, firms


def test_stored_coder_predicts_exactly_what_the_fitted_one_does(tmp_path: Path) -> None:
    gold, survey, tokens, firms = _gold_with_sources()
    coder = supervised_coder(gold, CharSegmenter(), 5, cv_folds=2)
    save_coder(tmp_path / "coder.pickle", coder)
    stored = load_coder(tmp_path / "coder.pickle")
    assert coder_bytes(stored) == coder_bytes(coder)
    predictions = supervised_predictions(coder, survey, tokens)
    pd.testing.assert_frame_equal(supervised_predictions(stored, survey, tokens), predictions)
    # e2 left the answer blank: missing codes and probabilities, like the codebook measure.
    blank = predictions.set_index("enterprise_id").loc["e2"]
    assert blank[[f"ml_{c}" for c in CATEGORIES]].isna().all()
    assert blank[[f"p_{c}" for c in CATEGORIES]].isna().all()
    # The predictions go through a Parquet file between the jobs: the measure is unchanged.
    write_parquet(tmp_path / "predictions.parquet", predictions)
    direct = supervised_measure(predictions, firms)
    via_file = supervised_measure(pd.read_parquet(tmp_path / "predictions.parquet"), firms)
    pd.testing.assert_frame_equal(via_file, direct)
    write_parquet(tmp_path / "a.parquet", direct)
    write_parquet(tmp_path / "b.parquet", via_file)
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()


def test_a_file_that_is_not_a_coder_is_refused_with_its_name(tmp_path: Path) -> None:
    garbage = tmp_path / "coder.pickle"
    garbage.write_bytes(b"not a pickle")
    with pytest.raises(ChainpbError, match=r"coder\.pickle"):
        load_coder(garbage)
    other = tmp_path / "other.pickle"
    other.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(ChainpbError, match="not a supervised coder"):
        load_coder(other)


def test_measure_names_missing_prediction_columns() -> None:
    gold, survey, tokens, firms = _gold_with_sources()
    coder = supervised_coder(gold, CharSegmenter(), 5, cv_folds=2)
    predictions = supervised_predictions(coder, survey, tokens).drop(columns="p_resource")
    with pytest.raises(ChainpbError, match="p_resource"):
        supervised_measure(predictions, firms)


_FIT_IN_SUBPROCESS = """
import hashlib, sys
sys.path.insert(0, {tests!r})
from test_text_supervised import CharSegmenter, _stage_inputs
from chainpb.text.stage import supervised_coder
from chainpb.text.supervised import coder_bytes
gold = _stage_inputs()[0]
print(hashlib.sha256(coder_bytes(supervised_coder(gold, CharSegmenter(), 5, cv_folds=2))).hexdigest())
"""


@pytest.mark.slow  # a second Python process importing scikit-learn: ~7 s under load
def test_the_stored_coder_does_not_depend_on_the_hash_seed() -> None:
    # Python salts str hashes per process (PYTHONHASHSEED): a set or a hash-ordered dict in the
    # pickle would change its bytes from one run to the next. (Checked on the example too: the
    # coder of the bundled gold fitted with PYTHONHASHSEED=1 and =2 gave the same 2.6 MB.)
    code = _FIT_IN_SUBPROCESS.format(tests=str(Path(__file__).parent))
    hash_seed = "1" if os.environ.get("PYTHONHASHSEED") != "1" else "2"
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    gold = _stage_inputs()[0]
    here = coder_bytes(supervised_coder(gold, CharSegmenter(), 5, cv_folds=2))
    assert out.stdout.strip() == hashlib.sha256(here).hexdigest()


def test_validation_from_stored_parts_equals_the_one_piece_validation(tmp_path: Path) -> None:
    gold, *_ = _gold_with_sources()
    segmenter = CharSegmenter()
    tokens = [segmenter.tokens(t) for t in gold["text"]]
    codebook = gold[["unit_id", *CATEGORIES]].copy()
    codebook["coverage"] = 1 - codebook["coverage"]  # a codebook that errs, so the tables differ
    one_piece = validate_coding(gold, codebook, tokens, 5, cv_folds=2, hybrid_min_probability=0.6)
    # The coder the workflow stores (fitted on the non-test units) codes the test units.
    coder = supervised_coder(gold, segmenter, 5, cv_folds=2)
    stored = gold_out_of_fold(gold, segmenter, 5, cv_folds=2, coder=coder)
    pd.testing.assert_frame_equal(stored, gold_out_of_fold(gold, segmenter, 5, cv_folds=2))
    assert stored["prediction"].value_counts().to_dict() == {"out_of_fold": 21, "dev_model": 3}
    # Through a Parquet file, in another row order (matched on unit_id): the same bytes.
    write_parquet(tmp_path / "oof.parquet", stored.iloc[::-1])
    split = compare_codings(
        gold, codebook, pd.read_parquet(tmp_path / "oof.parquet"), hybrid_min_probability=0.6
    )
    one_piece.write(tmp_path / "a1.csv", tmp_path / "d1.csv", tmp_path / "s1.csv")
    split.write(tmp_path / "a2.csv", tmp_path / "d2.csv", tmp_path / "s2.csv")
    for name in ("a", "d", "s"):
        first = (tmp_path / f"{name}1.csv").read_bytes()
        assert first == (tmp_path / f"{name}2.csv").read_bytes(), name
    # The codebook errs on coverage of every unit: 24 codebook disagreements of coverage.
    wrong = split.disagreements
    assert ((wrong["measure"] == "codebook") & (wrong["category"] == "coverage")).sum() == 24


def test_a_coder_fitted_on_other_units_is_not_used_for_the_test_units() -> None:
    gold, *_ = _gold_with_sources()
    segmenter = CharSegmenter()
    other_seed = supervised_coder(gold, segmenter, 6, cv_folds=2)
    with pytest.raises(ChainpbError, match="not fitted on these gold dev units"):
        gold_out_of_fold(gold, segmenter, 5, cv_folds=2, coder=other_seed)
    # row 0 is a test unit, row 1 a dev unit: one dev unit fewer
    fewer_units = supervised_coder(gold.iloc[2:], segmenter, 5, cv_folds=2)
    with pytest.raises(ChainpbError, match="supervised_coder"):
        gold_out_of_fold(gold, segmenter, 5, cv_folds=2, coder=fewer_units)


def test_stored_gold_codes_must_cover_every_gold_unit() -> None:
    gold, *_ = _gold_with_sources()
    segmenter = CharSegmenter()
    stored = gold_out_of_fold(gold, segmenter, 5, cv_folds=2)
    codebook = gold[["unit_id", *CATEGORIES]]
    with pytest.raises(ChainpbError, match="supervised_out_of_fold"):
        compare_codings(gold, codebook, stored.iloc[1:])

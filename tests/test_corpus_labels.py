"""The hand-labelled sentences of the real corpora (benchmarks/data/corpus_labels.csv).

The labels store only document title and character offsets; these tests check that they still
point at the sentences that were read and labelled, that the dev/test split is by document,
and that benchmarks/corpus_sample.py (seeded) reproduces exactly the labelled selection.
Skipped when the corpora are absent (found like tests/test_text_corpora.py: ../shared/corpora
beside the project, or $CHAINPB_CORPORA).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPORA = Path(os.environ.get("CHAINPB_CORPORA", ROOT.parent / "shared" / "corpora"))
LABELS = ROOT / "benchmarks" / "data" / "corpus_labels.csv"

sys.path.insert(0, str(ROOT / "benchmarks"))
import corpus_labels  # noqa: E402
import corpus_sample  # noqa: E402

pytestmark = pytest.mark.skipif(
    not (CORPORA / "government_work_reports.jsonl").is_file()
    or not (CORPORA / "cpc_congress_reports.jsonl").is_file(),
    reason=f"shared corpora not found at {CORPORA} (expected beside the project as ../shared/corpora, or set CHAINPB_CORPORA)",
)


@pytest.fixture(scope="module")
def labelled() -> pd.DataFrame:
    # Raises CorpusLabelError if any document is missing, any offset is out of range or any
    # sentence's sha1 prefix differs: loading at all is the check that every label fits.
    return corpus_labels.load_labelled_sentences(CORPORA)


def test_every_label_fits_its_sentence(labelled):
    assert len(labelled) == 420
    assert labelled["unit_id"].is_unique
    assert (labelled["start"] >= 0).all() and (labelled["end"] > labelled["start"]).all()
    assert (labelled["text"].map(corpus_labels.sha1_8) == labelled["sha1_8"]).all()
    # A sentence never spans a sentence end: 。！？； only as its last character, no line break.
    inner = labelled["text"].str[:-1]
    assert not inner.str.contains(r"[。！？；\n]").any()


def test_known_sentences(labelled):
    # Read in the corpora when labelling (2007 and 1992 CPC reports, 1923 report in traditional
    # characters); their codes are the ones written down for them.
    by_id = labelled.set_index("unit_id")
    assert by_id.at["corpus0127", "text"] == "一些基层党组织软弱涣散；"
    assert by_id.loc["corpus0127", list(corpus_labels.CATEGORIES)].tolist() == ["", "P", "", ""]
    assert (
        by_id.at["corpus0091", "text"]
        == "在其他各种经济组织中，也要从实际出发，抓紧建立健全党的组织和工作制度。"
    )
    assert by_id.at["corpus0091", "coverage"] == "R"
    assert by_id.at["corpus0010", "text"] == "首先我們忽略了黨員的教育工作。"
    assert by_id.at["corpus0010", "ideology"] == "P"


def test_codes_and_columns():
    df = corpus_labels.read_labels(LABELS)
    assert list(df.columns) == corpus_labels.COLUMNS
    for c in corpus_labels.CATEGORIES:
        assert set(df[c]) <= {"", "P", "R", "D"}
    assert set(df["corpus"]) == {"government_work_reports", "cpc_congress_reports"}
    assert set(df["stratum"]) == {"party", "hardneg", "random"}
    assert set(df["split"]) == {"dev", "test"}


def test_split_is_by_document():
    df = corpus_labels.read_labels(LABELS)
    splits_per_doc = df.groupby(["corpus", "title"])["split"].nunique()
    assert (splits_per_doc == 1).all()
    dev = set(df.loc[df["split"] == "dev", "title"])
    test = set(df.loc[df["split"] == "test", "title"])
    assert not dev & test
    # Sentence counts of the committed file (209 dev / 211 test): roughly half each.
    assert df["split"].value_counts().to_dict() == {"test": 211, "dev": 209}


def test_sampler_reproduces_the_labelled_selection():
    docs = corpus_sample.read_documents(CORPORA)
    rows = corpus_sample.sample(corpus_sample.candidates(docs), seed=20261126)
    got = pd.DataFrame(rows)[["unit_id", "corpus", "title", "start", "end", "sha1_8", "split"]]
    want = corpus_labels.read_labels(LABELS)[got.columns.tolist()]
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want, check_dtype=False)
    # Documents split by year, alternating: the 2007 report and the resolution on it share one.
    split_of = {d["title"]: d["split"] for d in docs}
    assert (
        split_of["2007年中华人民共和国国务院政府工作报告"]
        == split_of["第十届全国人民代表大会第五次会议关于政府工作报告的决议"]
    )


def test_changed_corpus_is_reported(tmp_path):
    # A copy of the corpora with one labelled sentence altered must fail with the unit named.
    for name in ("government_work_reports.jsonl", "cpc_congress_reports.jsonl"):
        shutil.copy(CORPORA / name, tmp_path / name)
    path = tmp_path / "cpc_congress_reports.jsonl"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "一些基层党组织软弱涣散；", "一些基层党组织软弱无力；"
        ),
        encoding="utf-8",
    )
    with pytest.raises(corpus_labels.CorpusLabelError, match="corpus0127"):
        corpus_labels.load_labelled_sentences(tmp_path)

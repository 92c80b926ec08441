"""Codebook loading/hash and dictionary coding with negation.

Expected values are read off the example sentences by hand against config/codebook.yaml.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import pytest
import yaml

from chainpb.errors import ConfigError
from chainpb.text.codebook import CATEGORIES, load_codebook, validate_codebook
from chainpb.text.coding import HIT_COLUMNS, code_texts, code_tokens, code_units
from chainpb.text.segment import Segmenter, segment_documents

ROOT = Path(__file__).resolve().parents[1]
CODEBOOK = ROOT / "config" / "codebook.yaml"
USER_DICT = ROOT / "config" / "dictionaries" / "domain_dict.txt"


@pytest.fixture(scope="module")
def segmenter(tmp_path_factory) -> Segmenter:
    return Segmenter(tmp_path_factory.mktemp("jieba"), USER_DICT)


@pytest.fixture(scope="module")
def codebook():
    return load_codebook(CODEBOOK)


@pytest.fixture(scope="module")
def compiled(codebook, segmenter):
    return codebook.compile(segmenter)


def hits_of(text: str, compiled, segmenter) -> pd.DataFrame:
    df = pd.DataFrame({"doc_id": ["x"], "text": [text]})
    tokens = segment_documents(df, "doc_id", "text", segmenter)
    return code_tokens(tokens, compiled, {"x": text})


def triples(hits: pd.DataFrame) -> list[tuple[str, str, bool]]:
    return list(zip(hits["term"], hits["category"], hits["negated"], strict=True))


# --- codebook -----------------------------------------------------------------------------


def test_codebook_has_four_categories_with_enough_terms(codebook):
    for cat in CATEGORIES:
        spec = codebook.category(cat)
        assert spec["label"] and spec["label_en"] and spec["description"]
        assert len(spec["terms"]) + len(spec["remedy_terms"]) >= 25, cat
    assert len(codebook.hash) == 12


def test_hash_changes_when_a_term_changes(codebook):
    data = copy.deepcopy(codebook.data)
    data["categories"]["coverage"]["terms"][0] = "覆盖困难"
    assert validate_codebook(data).hash != codebook.hash
    # and is stable for identical content
    assert validate_codebook(copy.deepcopy(codebook.data)).hash == codebook.hash


def test_invalid_codebook_names_the_key(codebook):
    data = copy.deepcopy(codebook.data)
    data["categories"]["ideology"]["terms"] = "无专职"  # a string, not a list
    with pytest.raises(ConfigError, match=r"categories\.ideology\.terms"):
        validate_codebook(data)
    data = copy.deepcopy(codebook.data)
    data["categories"]["resource"]["terms"].append("两张皮")  # already under effectiveness
    with pytest.raises(ConfigError, match="两张皮"):
        validate_codebook(data)
    data = copy.deepcopy(codebook.data)
    data["categories"]["coverage"]["patterns"] = ["(未闭合"]
    with pytest.raises(ConfigError, match=r"categories\.coverage\.patterns\[0\]"):
        validate_codebook(data)


def test_codebook_file_is_valid_yaml_with_schema_shape():
    with CODEBOOK.open(encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    assert set(raw) >= {"version", "negation", "categories", "none_answers"}


# --- matching -----------------------------------------------------------------------------


def test_multi_word_term_and_offsets(compiled, segmenter):
    # 没有建立 alone is not a coverage term (only 没有建立党组织): here it is the mechanism
    text = "链上企业各自为战，资源共享机制还没有建立。"
    h = hits_of(text, compiled, segmenter)
    assert triples(h) == [("各自为战", "resource", False), ("资源共享", "resource", False)]
    assert all(text[s:e] == t for t, s, e in zip(h["term"], h["start"], h["end"], strict=True))
    # 各自为战 starts after 链上企业 (4 characters); 资源共享 after the comma at 8
    assert h["start"].tolist() == [4, 9]
    assert list(h.columns) == HIT_COLUMNS
    h = hits_of("链上小微企业尚未建立党组织", compiled, segmenter)
    assert triples(h) == [("小微企业", "coverage", False), ("尚未建立党组织", "coverage", False)]


def test_longest_match_first(compiled, segmenter):
    # 作用不明显 (3 tokens: 作用/不/明显) wins over the post-cue 不明显, 党员人数 over 党员
    h = hits_of("党建作用不明显，党员人数少", compiled, segmenter)
    assert triples(h) == [("作用不明显", "effectiveness", False), ("党员人数", "coverage", False)]
    # 网络覆盖 (an exclude term) wins over 覆盖: kept, flagged, not counted
    h = hits_of("园区网络覆盖很好", compiled, segmenter)
    assert h["term"].tolist() == ["网络覆盖"] and h["excluded"].tolist() == [True]


def test_pre_cue_negates_in_the_same_clause(compiled, segmenter):
    h = hits_of("不存在覆盖难的问题", compiled, segmenter)
    assert triples(h) == [("覆盖难", "coverage", True)]
    assert h["cue"].tolist() == ["不存在"]


def test_post_cue_negates(compiled, segmenter):
    h = hits_of("两张皮的问题不明显", compiled, segmenter)
    assert triples(h) == [("两张皮", "effectiveness", True)]
    assert h["cue"].tolist() == ["不明显"]


def test_scope_ends_at_a_comma(compiled, segmenter):
    # the 不存在 belongs to the first clause only: 流动党员 after the comma counts
    h = hits_of("不存在覆盖难的问题，但流动党员多", compiled, segmenter)
    assert triples(h) == [("覆盖难", "coverage", True), ("流动党员", "coverage", False)]


def test_lack_of_full_time_staff_is_a_difficulty_not_a_negation(compiled, segmenter):
    # 没有/无 are part of the term: the domain brief lists "no full-time Party staff" under
    # ideology. 没有专职 is caught by the pattern because jieba cuts 专职党务工作者 variously.
    h = hits_of("没有专职党务工作者", compiled, segmenter)
    assert triples(h) == [("没有专职党务", "ideology", False)]
    # patterns take precedence over token terms, so the longer pattern match wins over 无专职
    h = hits_of("企业无专职党务干部", compiled, segmenter)
    assert triples(h) == [("无专职党务", "ideology", False)]
    # a term's own 无 does not negate a later term in the clause either
    h = hits_of("无专职人员导致党建边缘化", compiled, segmenter)
    assert triples(h) == [("无专职", "ideology", False), ("边缘化", "ideology", False)]


def test_remedy_terms_are_not_negated_by_absence(compiled, segmenter):
    # "no resource-sharing mechanism was formed" IS the resource difficulty
    h = hits_of("没有形成资源共享机制", compiled, segmenter)
    assert triples(h) == [("资源共享", "resource", False)]
    # ... but a post-cue still negates it
    # Codebook 1.2.0: the pattern "<remedy>(方面)?的?(困难|问题…)" now takes 资源共享的问题 as one
    # (difficulty) hit; it is still negated by the post-cue, only the hit text is longer.
    h = hits_of("资源共享的问题已经解决", compiled, segmenter)
    assert triples(h) == [("资源共享的问题", "resource", True)]
    h = hits_of("资源共享方面没有问题", compiled, segmenter)
    assert triples(h) == [("资源共享", "resource", True)]
    assert h["cue"].tolist() == ["没有问题"]
    # 不 before 两码事 in the same clause: "does not feel like two separate things"
    h = hits_of("党建和生产结合得挺好，不觉得是两码事", compiled, segmenter)
    assert triples(h) == [("两码事", "effectiveness", True)]


def test_pre_cue_denying_a_remedy_difficulty_is_negated(compiled, segmenter):
    # Codebook 1.2.0: "<remedy> 方面的困难" is a pattern (a difficulty term), so a pre-cue negates
    # it; before, the remedy term 资源共享 alone matched and pre-cues never negate remedy terms.
    h = hits_of("不存在资源共享方面的困难", compiled, segmenter)
    assert triples(h) == [("资源共享方面的困难", "resource", True)]
    assert h["cue"].tolist() == ["不存在"]
    h = hits_of("组织覆盖方面没有困难", compiled, segmenter)
    assert triples(h) == [("组织覆盖", "coverage", True)]
    # achieved coverage is an exclude term, not a coverage difficulty
    h = hits_of("园区党组织已经全覆盖了", compiled, segmenter)
    assert h["excluded"].tolist() == [True]


def test_code_texts_presence_and_status(codebook, segmenter):
    texts = ["无", "暂无。", "没什么困难", "", None, "不存在覆盖难的问题",
             "党建和业务两张皮，没有专职党务工作者，小微企业没有党员", "融资难"]  # fmt: skip
    out = code_texts(texts, codebook, segmenter)
    assert out["status"].tolist() == [
        "none", "none", "none", "missing", "missing", "coded", "coded", "coded",
    ]  # fmt: skip
    row = out.iloc[6]
    assert (row["coverage"], row["ideology"], row["effectiveness"], row["resource"]) == (1, 1, 1, 0)
    # the negated mention does not count
    assert out.iloc[5][list(CATEGORIES)].tolist() == [0, 0, 0, 0]
    assert out.iloc[3][list(CATEGORIES)].isna().all()


def test_units_table_counts_only_counted_hits(compiled, segmenter):
    text = "不存在覆盖难的问题。流动党员多，组织关系不在本地。"
    df = pd.DataFrame({"doc_id": ["x"], "text": [text]})
    tokens = segment_documents(df, "doc_id", "text", segmenter)
    hits = code_tokens(tokens, compiled, {"x": text})
    units = code_units(tokens, hits, "sentence")
    assert units["coverage"].tolist() == [0, 2]
    assert units["codebook_hash"].unique().tolist() == [compiled.hash]
    doc = code_units(tokens, hits, "document")
    assert doc["coverage"].tolist() == [2]


def test_coding_is_deterministic(compiled, segmenter):
    text = "链上企业各自为战，不重视党建，两张皮问题突出。"
    a = hits_of(text, compiled, segmenter)
    b = hits_of(text, compiled, segmenter)
    pd.testing.assert_frame_equal(a, b)

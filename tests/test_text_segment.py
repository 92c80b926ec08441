"""Segmentation: sentence/paragraph rules, offsets, private tokenizer, cache location."""

from __future__ import annotations

from pathlib import Path

import jieba
import pandas as pd
import pytest

from chainpb.errors import InputError
from chainpb.text.normalize import normalize_text
from chainpb.text.segment import (
    TOKEN_COLUMNS,
    Segmenter,
    read_user_dict,
    segment_documents,
    split_paragraphs,
    split_sentences,
)

ROOT = Path(__file__).resolve().parents[1]
USER_DICT = ROOT / "config" / "dictionaries" / "domain_dict.txt"
STOPWORDS = ROOT / "config" / "dictionaries" / "stopwords.txt"


@pytest.fixture(scope="module")
def segmenter(tmp_path_factory) -> Segmenter:
    return Segmenter(tmp_path_factory.mktemp("jieba"), USER_DICT, STOPWORDS)


def test_domain_dictionary_has_field_terms():
    entries = read_user_dict(USER_DICT)
    words = {w for w, _, _ in entries}
    assert len(words) >= 200
    for term in ["产业链党建", "党建联盟", "链主企业", "两个覆盖", "强链补链延链", "两新组织",
                 "联合党委", "联席会议", "流动党员", "两张皮", "空转", "自我循环", "应建尽建",
                 "专班", "党建引领", "一链一联盟"]:  # fmt: skip
        assert term in words, term
    # every entry carries a frequency and a POS tag
    assert all(f is not None and p for _, f, p in entries)


def test_domain_terms_stay_whole(segmenter):
    # Without the user dictionary jieba cuts 两张皮 into 两张/皮 and 链主企业 into 链主/企业.
    assert segmenter.tokens("党建和生产经营两张皮，链主企业带动") == [
        "党建", "和", "生产经营", "两张皮", "，", "链主企业", "带动",
    ]  # fmt: skip


def test_sentences_split_on_terminal_marks_and_line_breaks():
    text = "第一句。第二句！第三句？第四句；五\n六“引用。”七"
    got = [text[s.start : s.end] for s in split_sentences(text)]
    # closing quote stays with its sentence; a line break ends a sentence without a mark
    assert got == ["第一句。", "第二句！", "第三句？", "第四句；", "五", "六“引用。”", "七"]


def test_paragraphs_split_on_any_line_break():
    text = "甲段。\n乙段一。乙段二。\n\n丙段"
    got = [text[p.start : p.end] for p in split_paragraphs(text)]
    assert got == ["甲段。", "乙段一。乙段二。", "丙段"]


def test_offsets_point_at_the_token(segmenter):
    text = normalize_text("  党建联盟 覆盖 上下游企业。\n\n流动党员多，  组织关系不在本地！")
    df = pd.DataFrame({"doc_id": ["d1"], "text": [text]})
    tokens = segment_documents(df, "doc_id", "text", segmenter)
    assert list(tokens.columns) == TOKEN_COLUMNS
    assert all(
        text[s:e] == t
        for t, s, e in zip(tokens["token"], tokens["start"], tokens["end"], strict=True)
    )
    # whitespace tokens are dropped, punctuation kept
    assert not any(t.isspace() for t in tokens["token"])
    assert "，" in set(tokens["token"])
    # two paragraphs and two sentences: 。 and ！ end one, ， does not
    assert tokens["paragraph_id"].max() == 1
    assert tokens["sentence_id"].max() == 1
    assert tokens["token_index"].tolist() == list(range(len(tokens)))


def test_unit_ids(segmenter):
    df = pd.DataFrame({"doc_id": ["a"], "text": ["一句。二句。\n三句。"]})
    by_sentence = segment_documents(df, "doc_id", "text", segmenter, unit="sentence")
    by_paragraph = segment_documents(df, "doc_id", "text", segmenter, unit="paragraph")
    by_document = segment_documents(df, "doc_id", "text", segmenter, unit="document")
    assert sorted(set(by_sentence["unit_id"])) == [0, 1, 2]
    assert sorted(set(by_paragraph["unit_id"])) == [0, 1]
    assert set(by_document["unit_id"]) == {0}


def test_blank_and_missing_texts_give_no_rows_and_rows_are_sorted(segmenter):
    df = pd.DataFrame({"id": ["b", "a", "c", "d"], "t": ["乙。", "甲。", None, "  "]})
    tokens = segment_documents(df, "id", "t", segmenter)
    assert tokens["doc_id"].tolist() == ["a", "a", "b", "b"]


def test_duplicate_ids_are_an_input_error(segmenter):
    df = pd.DataFrame({"id": ["a", "a"], "t": ["甲", "乙"]})
    with pytest.raises(InputError, match="重复"):
        segment_documents(df, "id", "t", segmenter)


def test_private_tokenizer_cache_in_given_folder_and_quiet(tmp_path, capsys):
    seg = Segmenter(tmp_path / "cache", USER_DICT)
    seg.tokens("产业链党建")
    assert (tmp_path / "cache" / "jieba.cache").is_file()
    assert seg.tokenizer is not jieba.dt
    # our user dictionary does not leak into the global jieba
    assert jieba.dt.FREQ.get("一链一联盟") is None
    assert capsys.readouterr().out == ""


def test_bad_user_dictionary_line_is_reported(tmp_path):
    bad = tmp_path / "dict.txt"
    bad.write_text("# header\n党建联盟 1000 n\n链主企业 many n\n", encoding="utf-8")
    with pytest.raises(InputError, match="第 3 行"):
        read_user_dict(bad)

"""jieba and rjieba give the same codes (config ``text.segmenter``).

The two backends share jieba's dictionary and HMM; the domain dictionary is loaded into each
with ``add_word`` (frequency and tag from config/dictionaries/domain_dict.txt). Raw jieba-rs
differs from jieba only where jieba splits a run of ASCII letters/digits at a symbol
(``2011-2020``); the rjieba backend splits those tokens the same way. The tests below check
that the token tables and the *coded* outputs — the hits table (term, category, status,
character and token span, …) and the unit codes — are identical on the example's open answers
and policy texts and, when present, on the shared real corpora (../shared/corpora or
``CHAINPB_CORPORA``; marked slow). A difference fails the test and names the text.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from chainpb.errors import ChainpbError
from chainpb.ingest.policies import read_policy_folder
from chainpb.ingest.readers import read_survey_file
from chainpb.text.codebook import load_codebook
from chainpb.text.coding import code_tokens, code_units
from chainpb.text.normalize import normalize_text
from chainpb.text.segment import Segmenter, segment_documents

pytest.importorskip("rjieba")

ROOT = Path(__file__).resolve().parents[1]
USER_DICT = ROOT / "config/dictionaries/domain_dict.txt"
CORPORA = Path(os.environ.get("CHAINPB_CORPORA", ROOT.parent / "shared" / "corpora"))
EXAMPLE = ROOT / "resources" / "example"
# Tokens jieba splits and jieba-rs alone would keep whole (segment.py undoes the difference).
ASCII_RUNS = [
    "2011-2020年",
    "COVID-19疫情",
    "e-mail地址",
    "2.5-3.0倍",
    "x_1变量",
    "1.2.3版",
    "v2.0-beta",
    "第1-3季度",
    "2020-21",
    "1.5.6-7",
    "Wi-Fi",
    "iPhone-12",
    # and some both keep or split alike
    "增长3.5%",
    "A+B轮",
    "10%-20%",
    "C++语言",
    "R&D投入",
    "a--1",
    "O2O模式",
    "2011—2020年",
]


@pytest.fixture(scope="module")
def segmenters(tmp_path_factory) -> dict[str, Segmenter]:
    cache = tmp_path_factory.mktemp("jieba")
    return {b: Segmenter(cache, USER_DICT, backend=b) for b in ("jieba", "rjieba")}


@pytest.fixture(scope="module")
def codebook():
    return load_codebook(ROOT / "config" / "codebook.yaml")


def example_answers() -> dict[str, str]:
    maps = yaml.safe_load((EXAMPLE / "column_maps.yaml").read_text(encoding="utf-8"))
    out: dict[str, str] = {}
    for city, entry in maps.items():
        column = next(k for k, v in entry["column_map"].items() if v == "difficulty_text")
        data = read_survey_file(ROOT / entry["survey"]).data
        for i, text in enumerate(data[column].tolist()):
            if isinstance(text, str) and text.strip():
                out[f"{city}:{i}"] = normalize_text(text)
    return out


def example_policies() -> dict[str, str]:
    out: dict[str, str] = {}
    for folder in sorted(EXAMPLE.glob("*/policies")):
        table = read_policy_folder(folder, folder.parent.name, folder.parent.name)
        out.update(dict(zip(table["doc_id"].astype(str), table["text"], strict=True)))
    return out


def corpus_texts() -> dict[str, str]:
    out: dict[str, str] = {}
    for path in sorted(CORPORA.glob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            for i, line in enumerate(fh):
                if line.strip():
                    row = json.loads(line)
                    out[f"{path.stem}:{i}:{row.get('title', '')}"] = normalize_text(row["content"])
    return out


def segmented(texts: dict[str, str], segmenters) -> dict[str, pd.DataFrame]:
    df = pd.DataFrame({"doc_id": list(texts), "text": list(texts.values())})
    return {b: segment_documents(df, "doc_id", "text", s) for b, s in segmenters.items()}


def fail_naming_texts(what: str, a: pd.DataFrame, b: pd.DataFrame, texts: dict[str, str]):
    diff = pd.concat([a.assign(backend="jieba"), b.assign(backend="rjieba")])
    diff = diff.drop_duplicates(subset=list(a.columns), keep=False)
    docs = sorted(diff["doc_id"].astype(str).unique())
    shown = "\n".join(f"{d}: {texts[d][:200]}" for d in docs[:5])
    pytest.fail(
        f"jieba and rjieba differ ({what}) in {len(docs)} text(s):\n{shown}\n"
        f"{diff.sort_values(['doc_id', 'backend']).head(20).to_string()}"
    )


def assert_same(texts: dict[str, str], segmenters, codebook, gates: tuple[bool, ...]) -> None:
    """Tokens, hits and unit codes of the two backends are identical; else name the texts."""
    tokens = segmented(texts, segmenters)
    if not tokens["jieba"].equals(tokens["rjieba"]):
        fail_naming_texts("tokens", tokens["jieba"], tokens["rjieba"], texts)
    for gate in gates:
        out = {}
        for b, seg in segmenters.items():
            hits = code_tokens(tokens[b], codebook.compile(seg), texts, context_gate=gate)
            out[b] = (hits, code_units(tokens[b], hits))
        for i, what in enumerate(("hits", "unit codes")):
            a, b = out["jieba"][i], out["rjieba"][i]
            if not a.equals(b):
                fail_naming_texts(f"{what}, context gate {gate}", a, b, texts)


def test_codebook_terms_tokenize_the_same(segmenters, codebook):
    cj = codebook.compile(segmenters["jieba"])
    cr = codebook.compile(segmenters["rjieba"])

    # Compiled term token tuples (object addresses of the automaton aside).
    def strip(c) -> str:
        return re.sub(r" at 0x[0-9a-f]+", "", repr(c))

    assert strip(cj) == strip(cr)


def test_ascii_runs_are_split_as_jieba_splits_them(segmenters):
    for text in ASCII_RUNS:
        assert segmenters["rjieba"].cut(text) == segmenters["jieba"].cut(text), text
    rust = segmenters["rjieba"].tokenizer._tokenizer  # the raw jieba-rs tokenizer
    assert rust.cut("2011-2020年", True) == ["2011-2020", "年"]  # what is undone
    assert [
        t[3] for t in segmenters["rjieba"].iter_tokens("2011-2020年，链主企业带动链上企业。")
    ] == [
        "2011",
        "-",
        "2020",
        "年",
        "，",
        "链主企业",  # domain words loaded through add_word
        "带动",
        "链上企业",
        "。",
    ]


def test_offsets_index_the_text(segmenters):
    text = "党建和生产经营“两张皮”问题突出；\n\n2021—2025年 COVID-19 期间，链上企业 ABC-2 项目。"
    for seg in segmenters.values():
        for *_, tok, start, end in seg.iter_tokens(text):
            assert text[start:end] == tok


def test_token_columns_equal_iter_tokens(segmenters):
    # segment_documents builds its table with the numpy path; iter_tokens is the reference.
    texts = [*list(example_policies().values())[:5], *list(example_answers().values())[:200]]
    texts += ["", "  \n\n 甲。乙！\n   \n丙 丁\n", "句一。句二。 尾巴  ", *ASCII_RUNS]
    for seg in segmenters.values():
        for text in texts:
            rows = list(seg.iter_tokens(text))
            ref = list(zip(*rows, strict=True)) if rows else [()] * 6
            cols = seg.token_columns(text)
            assert [list(c) for c in cols] == [list(r) for r in ref], text[:80]


def test_segment_documents_accepts_a_segmenter_with_iter_tokens_only(segmenters):
    class RowsOnly:
        def iter_tokens(self, text):
            return segmenters["jieba"].iter_tokens(text)

    df = pd.DataFrame({"doc_id": ["b", "a"], "text": ["链主企业带动。\n党建", "两张皮"]})
    expected = segment_documents(df, "doc_id", "text", segmenters["jieba"])
    assert segment_documents(df, "doc_id", "text", RowsOnly()).equals(expected)


def test_unknown_backend_is_a_named_error(tmp_path):
    with pytest.raises(ChainpbError, match=r"text\.segmenter"):
        Segmenter(tmp_path, USER_DICT, backend="pkuseg")


def test_same_tokens_and_codes_on_example_answers(segmenters, codebook):
    texts = example_answers()
    assert len(texts) > 1000
    assert_same(texts, segmenters, codebook, gates=(False,))


def test_same_tokens_and_codes_on_example_policies(segmenters, codebook):
    texts = example_policies()
    assert texts
    assert_same(texts, segmenters, codebook, gates=(True,))


@pytest.mark.slow
@pytest.mark.skipif(
    not any(CORPORA.glob("*.jsonl")),
    reason=f"shared corpora not found at {CORPORA} (set CHAINPB_CORPORA)",
)
def test_same_tokens_and_codes_on_shared_corpora(segmenters, codebook):
    # 88 reports, 4.3 MB: ~20 s with jieba, ~3 s with rjieba, plus coding twice each.
    assert_same(corpus_texts(), segmenters, codebook, gates=(True, False))

"""Coding at the speed of lookup (issue 13 item 3): the fast matcher gives the same hits.

`code_tokens` now finds terms, and the words that let a pattern or slot rule match a sentence,
with numpy over the whole corpus (`chainpb.text.prefilter.SequenceFinder` / `WordFinder`)
instead of a Python loop per token and an automaton driven from Python. These tests check, with
no timing:

- the finders against a brute-force scan (every word at every position, overlaps included);
- the word set read off a rule that is one alternation, worked out by hand;
- that the sentences paired with a rule include every sentence where the rule matches;
- the hits and unit tables against a **recorded reference**: digests of the tables written by
  the implementation before this change (git HEAD e70965f, `code_tokens` with the
  Aho–Corasick prefilter and one Python lookup per token) on the written gold texts and on the
  shared real corpora, for the codebook they were recorded with (its hash is pinned; with
  another codebook the reference tests skip and say so, the other tests still run);
- that the shortcuts (table already sorted, Arrow-backed columns, the rule prefilter) give the
  same table as the plain paths (a shuffled table, object columns, every rule on every sentence).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chainpb.text.codebook import load_codebook
from chainpb.text.coding import HIT_COLUMNS, code_tokens, code_units
from chainpb.text.normalize import normalize_text
from chainpb.text.prefilter import RulePrefilter, SequenceFinder, WordFinder, branch_literals
from chainpb.text.segment import Segmenter, segment_documents

ROOT = Path(__file__).resolve().parents[1]
USER_DICT = ROOT / "config/dictionaries/domain_dict.txt"
CORPORA = Path(os.environ.get("CHAINPB_CORPORA", ROOT.parent / "shared" / "corpora"))

# The codebook the reference digests were recorded with (config/codebook.yaml at e70965f).
REFERENCE_CODEBOOK = "576cedd10534"
# (hits rows, sha256[:16] of hits CSV, units rows, sha256[:16] of units CSV), recorded with the
# implementation before this change; see _digest for the CSV form.
GOLD_REFERENCE = {
    ("paragraph", True): (885, "7a7e7a1963974b69", 867, "e6cf8ffedb56e500"),
    ("sentence", False): (885, "3ecb2ec15cfa2d9e", 867, "55351cb23d366e37"),
}
CORPORA_REFERENCE = {
    ("paragraph", True): (808, "df5a59e24daf4d8c", 38017, "fea213f3bbbae578"),
    ("paragraph", False): (808, "55e86235dd74c1cb", 38017, "ca0cc1a40fc67046"),
    ("sentence", True): (808, "04e89e84d3f96104", 38017, "080df0564f7cea38"),
    ("sentence", False): (808, "8ba9072a63e53217", 38017, "ca0cc1a40fc67046"),
}


def _digest(df: pd.DataFrame) -> str:
    return hashlib.sha256(df.to_csv(index=False, lineterminator="\n").encode()).hexdigest()[:16]


def _brute_force(words: list[str], text: str) -> list[tuple[int, int]]:
    out = []
    for k, word in enumerate(words):
        at = text.find(word)
        while at >= 0:
            out.append((at, k))
            at = text.find(word, at + 1)
    return sorted(out)


# ---------------------------------------------------------------- the finders


def test_word_finder_finds_every_occurrence_overlaps_included():
    words = [
        "党",
        "党组织",
        "组织",
        "组织覆盖",
        "织覆",
        "覆盖难",
        "难",
        "𠀀字",
        "a",
        "ab",
        "abc",
        "bc",
    ]
    text = "党组织覆盖难，组织覆盖党组织。𠀀字abcab\x00bc党"
    finder = WordFinder(words)
    at, which = finder.find(text)
    got = sorted(zip(at.tolist(), which.tolist(), strict=True))
    assert got == _brute_force(words, text)
    # Worked by hand: 党组织 at 0 and 11, 组织覆盖 at 1 and 7, 覆盖难 at 3.
    assert (0, 1) in got and (11, 1) in got and (1, 3) in got and (7, 3) in got and (3, 5) in got


def test_word_finder_on_random_texts_equals_brute_force():
    rng = random.Random(13)
    alphabet = "党组织覆盖难不没有的一是a\x00"
    for _ in range(50):
        words = sorted({"".join(rng.choices(alphabet, k=rng.randint(1, 5))) for _ in range(12)})
        text = "".join(rng.choices(alphabet, k=rng.randint(0, 300)))
        at, which = WordFinder(words).find(text)
        got = sorted(zip(at.tolist(), which.tolist(), strict=True))
        assert got == _brute_force(words, text)


def test_sequence_finder_on_integer_codes():
    seqs = [[3], [3, 4], [3, 4, 5], [4, 5], [7, 7], [9, 1, 2, 3]]
    arr = np.array([3, 4, 5, 7, 7, 7, 3, 9, 1, 2, 3, 4, 12, 0], dtype=np.int64)
    at, which = SequenceFinder(seqs).find_array(arr)
    got = sorted(zip(at.tolist(), which.tolist(), strict=True))
    expected = sorted(
        (i, k)
        for k, s in enumerate(seqs)
        for i in range(len(arr) - len(s) + 1)
        if arr[i : i + len(s)].tolist() == s
    )
    assert got == expected
    # By hand: [3] at 0, 6, 10; [3,4] at 0 and 10; [3,4,5] at 0; [4,5] at 1; [7,7] at 3, 4;
    # [9,1,2,3] at 7.
    assert len(got) == 10


def test_branch_literals_take_the_most_telling_word_of_each_alternative():
    # 为了?党建而党建: 为 is only the start; 党建而党建 is required and longer.
    pattern = re.compile("党建(搞|抓|做)党建|业务(搞|抓|做)业务|为了?党建而党建")
    assert branch_literals(pattern) == {
        "党建搞党建",
        "党建抓党建",
        "党建做党建",
        "业务搞业务",
        "业务抓业务",
        "业务做业务",
        "党建而党建",
    }
    assert branch_literals(re.compile("(很难|没法)(参加|参与)|参与不了")) == {
        "很难参加",
        "很难参与",
        "没法参加",
        "没法参与",
        "参与不了",
    }
    assert branch_literals(re.compile("(a|b)c")) is None  # not one alternation
    assert branch_literals(re.compile("(?i)abc|def")) is None


def test_rule_sentences_include_every_sentence_a_rule_matches():
    rules = [
        re.compile("(没有|缺乏)[^，。]{0,3}(党员|支部)"),
        re.compile("党建(搞|抓)党建|为了?党建而党建"),
        re.compile("[^，]{0,2}"),  # no word set: every sentence
        re.compile("(不够|不足)重视|重视(不够|不足)"),
    ]
    rng = random.Random(7)
    pieces = [
        "没有",
        "党员",
        "缺乏",
        "支部",
        "党建",
        "搞",
        "为了",
        "而",
        "重视",
        "不够",
        "，",
        "的",
    ]
    sentences = ["".join(rng.choices(pieces, k=rng.randint(0, 8))) for _ in range(400)]
    text = "\x00".join(sentences)
    starts, pos = [], 0
    for s in sentences:
        starts.append(pos)
        pos += len(s) + 1
    starts = np.array(starts, dtype=np.int64)
    ends = starts + np.array([len(s) for s in sentences], dtype=np.int64)
    sentence_of, rule_of = RulePrefilter(rules).rule_sentences(text, starts, ends)
    pairs = set(zip(sentence_of.tolist(), rule_of.tolist(), strict=True))
    matched = {
        (k, r)
        for k, s in enumerate(sentences)
        for r, rule in enumerate(rules)
        if any(m.end() > m.start() for m in rule.finditer(s))
    }
    assert matched <= pairs
    assert {(k, 2) for k in range(len(sentences))} <= pairs
    # Sorted by sentence, then rule, no repeats.
    keys = sentence_of * len(rules) + rule_of
    assert (np.diff(keys) > 0).all()


# ---------------------------------------------------------------- gold texts


@pytest.fixture(scope="module")
def segmenter(tmp_path_factory):
    pytest.importorskip("rjieba")
    return Segmenter(tmp_path_factory.mktemp("jieba"), USER_DICT, backend="rjieba")


@pytest.fixture(scope="module")
def compiled(segmenter):
    return load_codebook(ROOT / "config" / "codebook.yaml").compile(segmenter)


@pytest.fixture(scope="module")
def gold(segmenter):
    texts = []
    for name in ("written_answers.csv", "written_reports.csv", "written_answers_dev2.csv"):
        texts += pd.read_csv(ROOT / "resources" / "gold" / name)["text"].astype(str).tolist()
    texts = [normalize_text(t) for t in texts]
    docs = pd.DataFrame({"doc_id": [f"g{i:05d}" for i in range(len(texts))], "text": texts})
    tokens = segment_documents(docs, "doc_id", "text", segmenter)
    return tokens, dict(zip(docs["doc_id"], docs["text"], strict=True))


def _check_reference(reference, tokens, compiled, texts, label):
    if compiled.hash != REFERENCE_CODEBOOK:
        pytest.skip(
            f"参考结果按编码本 {REFERENCE_CODEBOOK} 记录，当前编码本为 {compiled.hash} / "
            f"the reference was recorded with codebook {REFERENCE_CODEBOOK}, not {compiled.hash}"
        )
    for (window, gate), (n_hits, hits_digest, n_units, units_digest) in reference.items():
        hits = code_tokens(tokens, compiled, texts, context_gate=gate, context_window=window)
        units = code_units(tokens, hits)
        got = (len(hits), _digest(hits), len(units), _digest(units))
        assert got == (n_hits, hits_digest, n_units, units_digest), (
            f"{label}: 编码结果与参考不同 / hits or units differ from the reference "
            f"(window={window}, gate={gate}): {got}"
        )


def test_gold_hits_and_units_match_the_recorded_reference(gold, compiled):
    tokens, texts = gold
    _check_reference(GOLD_REFERENCE, tokens, compiled, texts, "gold")


def test_shortcuts_give_the_same_table_as_the_plain_paths(gold, compiled):
    tokens, texts = gold
    fast = code_tokens(tokens, compiled, texts, context_gate=True)
    assert list(fast.columns) == HIT_COLUMNS
    assert (fast["rule"] != "term").sum() > 200  # the regex rules are exercised
    # A shuffled table (the sort path), object columns (no Arrow shortcut), every rule on every
    # sentence (no prefilter): the same table.
    shuffled = tokens.sample(frac=1.0, random_state=3)
    objects = tokens.astype({"doc_id": object, "token": object})
    exhaustive = replace(compiled, prefilter=None)
    for variant_tokens, variant_compiled in (
        (shuffled, compiled),
        (objects, compiled),
        (tokens, exhaustive),
    ):
        other = code_tokens(variant_tokens, variant_compiled, texts, context_gate=True)
        pd.testing.assert_frame_equal(fast, other)


def test_documents_without_text_and_empty_tables(gold, compiled):
    tokens, texts = gold
    some = dict(list(texts.items())[: len(texts) // 2])
    hits = code_tokens(tokens, compiled, some, context_gate=True)
    full = code_tokens(tokens, compiled, texts, context_gate=True)
    # Without its text a document keeps its term hits, has no pattern hits and is in context.
    rest = hits[~hits["doc_id"].isin(some)]
    assert len(rest) and (rest["rule"] == "term").all() and rest["in_context"].all()
    kept = full[full["doc_id"].isin(some)].reset_index(drop=True)
    pd.testing.assert_frame_equal(hits[hits["doc_id"].isin(some)].reset_index(drop=True), kept)
    empty = code_tokens(tokens.iloc[:0], compiled, texts, context_gate=True)
    assert list(empty.columns) == HIT_COLUMNS and len(empty) == 0
    pd.testing.assert_series_equal(empty.dtypes, full.dtypes)


# ---------------------------------------------------------------- the shared real corpora


@pytest.fixture(scope="module")
def corpora(segmenter):
    if not CORPORA.is_dir():
        pytest.skip(f"未找到共享语料 / shared corpora not found at {CORPORA} (set CHAINPB_CORPORA)")
    texts = []
    for path in sorted(CORPORA.glob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            texts += [json.loads(line)["content"] for line in fh if line.strip()]
    texts = [normalize_text(t) for t in texts]
    docs = pd.DataFrame({"doc_id": [f"d{i:03d}" for i in range(len(texts))], "text": texts})
    tokens = segment_documents(docs, "doc_id", "text", segmenter)
    return tokens, dict(zip(docs["doc_id"], docs["text"], strict=True))


FAST = (("paragraph", True), ("sentence", False))


def test_corpora_hits_and_units_match_the_recorded_reference(corpora, compiled):
    tokens, texts = corpora
    assert len(tokens) == 770_947  # the token table the reference was recorded on
    reference = {k: v for k, v in CORPORA_REFERENCE.items() if k in FAST}
    _check_reference(reference, tokens, compiled, texts, "corpora")


@pytest.mark.slow
def test_corpora_other_settings_and_no_prefilter(corpora, compiled):
    tokens, texts = corpora
    reference = {k: v for k, v in CORPORA_REFERENCE.items() if k not in FAST}
    _check_reference(reference, tokens, compiled, texts, "corpora")
    # Every rule on every one of the 38,017 sentences (about 10 s) against the prefiltered run.
    fast = code_tokens(tokens, compiled, texts, context_gate=True)
    slow = code_tokens(tokens, replace(compiled, prefilter=None), texts, context_gate=True)
    pd.testing.assert_frame_equal(fast, slow)

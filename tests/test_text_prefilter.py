"""The regex-rule prefilter: the word sets it reads off a rule, and that it never loses a hit.

The word sets below were worked out by hand from each expression: an element is required when
it is not optional, and its set is the literal strings its matches begin with.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest

from chainpb.text.codebook import load_codebook
from chainpb.text.coding import code_tokens
from chainpb.text.normalize import normalize_text
from chainpb.text.prefilter import RulePrefilter, required_literals
from chainpb.text.segment import segment_documents

ROOT = Path(__file__).resolve().parents[1]


def sets(pattern: str) -> list[set[str]]:
    return [set(s) for s in required_literals(re.compile(pattern))]


def test_word_sets_of_codebook_style_patterns():
    # Optional parts ((方面|上)?, 的?) give no set; mandatory groups give their alternatives.
    assert sets("(覆盖面|覆盖|组建)(方面|上)?的?(困难|问题)") == [
        {"覆盖面", "覆盖", "组建"},
        {"困难", "问题"},
    ]
    # Python's parser factors 党务|党建 into 党 + [务建]; the expansion restores both words.
    assert sets("(没有|缺乏)(专职|专门)的?(党务|党建)") == [
        {"没有", "缺乏"},
        {"专职", "专门"},
        {"党务", "党建"},
    ]
    # A top-level alternation gives one set: the first words of its alternatives.
    assert sets("(很难|没法)(参加|参与)|参与不了") == [
        {"很难参加", "很难参与", "没法参加", "没法参与", "参与不了"}
    ]
    # 建立? : 立 is optional, so only 建 is required of that alternative.
    assert sets("(建立?|组建)(组织|支部)") == [{"建", "组建"}, {"组织", "支部"}]
    # Gaps of any character, lookbehinds and a leading class say nothing.
    assert sets("对[^，。]{0,8}(党员|人数)") == [{"对"}, {"党员", "人数"}]
    assert sets("(?<!不)覆盖") == [{"覆盖"}]
    assert sets(r"\d+名党员") == [{"名党员"}]
    assert sets("(?i)party") == []  # case-folding: literals would not be exact


def test_candidates_are_the_sentences_holding_a_word_of_each_set():
    rules = [re.compile("(没有|缺乏)[^，。]{0,3}(党员|支部)"), re.compile("[^，]{0,2}")]
    prefilter = RulePrefilter(rules)
    text = "企业没有党员。缺乏场地。党员很少，没有经费。缺乏支部"
    starts, ends = [0, 7, 12, 22], [7, 12, 22, 26]
    first, second = prefilter.candidates(text, starts, ends)
    # Sentence 1 lacks 党员/支部; sentence 2 has both 党员 and 没有 (the rule will not match
    # there, which the regex decides — the filter only rules sentences out).
    assert list(first) == [0, 2, 3]
    assert list(second) == [0, 1, 2, 3]  # no word set: every sentence
    # A word that straddles two sentences belongs to neither: 党员 across 没有党 | 员.
    assert list(prefilter.candidates("没有党员", [0, 3], [3, 4])[0]) == []


@pytest.fixture(scope="module")
def segmenter(tmp_path_factory):
    from chainpb.text.segment import Segmenter

    return Segmenter(tmp_path_factory.mktemp("jieba"), ROOT / "config/dictionaries/domain_dict.txt")


def _hits_with_and_without_prefilter(texts: list[str], segmenter):
    from dataclasses import replace

    compiled = load_codebook(ROOT / "config" / "codebook.yaml").compile(segmenter)
    docs = pd.DataFrame({"doc_id": [f"d{i:05d}" for i in range(len(texts))], "text": texts})
    tokens = segment_documents(docs, "doc_id", "text", segmenter)
    text_map = dict(zip(docs["doc_id"], docs["text"], strict=True))
    filtered = code_tokens(tokens, compiled, text_map, context_gate=True)
    unfiltered = code_tokens(tokens, replace(compiled, prefilter=None), text_map, context_gate=True)
    return filtered, unfiltered


def test_prefilter_loses_no_hit_on_the_written_gold(segmenter):
    texts = []
    for name in ("written_answers.csv", "written_reports.csv", "written_answers_dev2.csv"):
        texts += pd.read_csv(ROOT / "resources" / "gold" / name)["text"].astype(str).tolist()
    filtered, unfiltered = _hits_with_and_without_prefilter(
        [normalize_text(t) for t in texts], segmenter
    )
    assert (filtered["rule"] != "term").sum() > 200  # the regex rules are exercised
    pd.testing.assert_frame_equal(filtered, unfiltered)


CORPORA = Path(os.environ.get("CHAINPB_CORPORA", ROOT.parent / "shared" / "corpora"))


@pytest.mark.skipif(not CORPORA.is_dir(), reason="shared corpora not available")
def test_prefilter_loses_no_hit_on_the_real_reports(segmenter):
    import json

    texts = []
    for path in sorted(CORPORA.glob("*.jsonl"))[:2]:
        with path.open(encoding="utf-8") as fh:
            texts += [json.loads(line)["content"] for line in fh if line.strip()][:20]
    filtered, unfiltered = _hits_with_and_without_prefilter(
        [normalize_text(t) for t in texts], segmenter
    )
    assert len(filtered) > 50
    pd.testing.assert_frame_equal(filtered, unfiltered)

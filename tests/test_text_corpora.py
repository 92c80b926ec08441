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
from chainpb.text.measures import document_themes
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


def code_one(text: str, segmenter, compiled) -> list[tuple[str, str, str]]:
    """(term, category, status) of each hit, with the Party-context gate on (policy texts)."""
    df = pd.DataFrame({"doc_id": ["x"], "text": [text]})
    hits = code_tokens(
        segment_documents(df, "doc_id", "text", segmenter),
        compiled,
        {"x": text},
        context_gate=True,
    )
    assert all(
        text[s:e] == t for t, s, e in zip(hits["term"], hits["start"], hits["end"], strict=True)
    )
    return list(zip(hits["term"], hits["category"], hits["status"], strict=True))


def test_2025_report_assessment_is_not_party_building(gov, segmenter, compiled):
    # "强化正向激励，完善考核评价体系，持续整治形式主义为基层减负，切实把面向基层的多头重复、
    #  指标细碎、方式繁琐的督查检查考核减下来，……" — assessment of officials, not Party building:
    # 激励, 考核评价, 考核 name incentives and assessment in general: exclude terms of the
    # resource category (only 党建/联盟…考核 is a remedy pattern); codebook 2.0.0 no longer
    # has 形式主义. Nothing counts.
    sent = sentence_with(
        {"2025": gov["2025年中华人民共和国国务院政府工作报告"]}, "持续整治形式主义"
    )
    assert code_one(sent, segmenter, compiled) == [
        ("激励", "resource", "excluded"),
        ("考核评价", "resource", "excluded"),
        ("考核", "resource", "excluded"),
    ]


def test_barriers_removed_are_a_remedy_out_of_context(gov, segmenter, compiled):
    # "促进民营企业健康发展，破除各种隐性壁垒，一视同仁给予政策支持，提振民间投资信心。"
    # 破除 (a reframe verb) makes 壁垒 a remedy; and the sentence is about the economy.
    sent = sentence_with(gov, "破除各种隐性壁垒")
    assert code_one(sent, segmenter, compiled) == [
        ("壁垒", "resource", "no_context"),
        ("政策支持", "resource", "no_context"),
    ]


def test_party_congress_grassroots_organisations(cpc, segmenter, compiled):
    # 19th congress: "坚持“三会一课”制度，推进党的基层组织设置和活动方式创新，……扩大基层党组织
    # 覆盖面，着力解决一些基层党组织弱化、虚化、边缘化问题。" — in Party-building context; all
    # remedies: 三会一课 (ideology), 党组织覆盖(面) (coverage: the pattern 党组织…覆盖), and
    # 弱化/虚化/边缘化 as the object of 着力解决. 组织设置 is missed here because jieba cuts
    # 基层组织|设置 (a known miss).
    sent = sentence_with(cpc, "扩大基层党组织覆盖面")
    assert code_one(sent, segmenter, compiled) == [
        ("三会一课", "ideology", "remedy"),
        ("党组织覆盖", "coverage", "remedy"),
        ("弱化", "ideology", "remedy"),
        ("虚化", "ideology", "remedy"),
        ("边缘化", "ideology", "remedy"),
    ]
    # 17th congress: "要落实党建工作责任制，……优化组织设置，扩大组织覆盖，……"
    sent = sentence_with(cpc, "优化组织设置，扩大组织覆盖")
    assert code_one(sent, segmenter, compiled) == [
        ("党建工作责任制", "ideology", "remedy"),
        ("组织设置", "coverage", "remedy"),
        ("组织覆盖", "coverage", "remedy"),
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
        # 党建 occurs in a report but never counts as a term; every hit is one of the statuses
        assert set(h["status"]) <= {"problem", "remedy", "negated", "excluded", "no_context"}
    # rerun gives identical tables
    pd.testing.assert_frame_equal(hits, code_tokens(tokens, compiled, texts))
    gated = code_tokens(tokens, compiled, texts, context_gate=True)
    # the gate changes only the status: same hits, same offsets
    pd.testing.assert_frame_equal(
        gated.drop(columns="status"), hits.drop(columns="status"), check_like=False
    )
    assert (gated["status"] == "no_context").sum() > 0
    themes = document_themes(tokens, gated)
    assert len(themes) == 2 * 2 * 4  # documents × measures × categories

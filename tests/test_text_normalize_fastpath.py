"""to_simplified passes OpenCC only the pieces that hold something a t2s entry changes
(chainpb.text.normalize._convertible); the result must equal OpenCC's on every text."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from opencc import OpenCC

from chainpb.text.normalize import _convertible, to_simplified

CORPORA = Path(
    os.environ.get("CHAINPB_CORPORA", Path(__file__).resolve().parents[2] / "shared" / "corpora")
)
OPENCC = OpenCC("t2s")

# phrase entries (一目瞭然 → 一目了然), characters shared by both scripts (乾隆, 著作, 覆蓋), a
# multi-character key of another length, mixed scripts, separators, and plain simplified text
TRICKY = [
    "一目瞭然，乾隆年間的著作。",
    "黨組織覆蓋不夠，聯盟活動「兩張皮」",
    "产业链党建联盟成员，覆盖上下游企业",
    "加強產業鏈黨建 — 建立聯盟；鏈主企業牽頭",
    "這麼多的問題，怎麼辦？",
    "",
    "2024年 計劃 ABC",
]


@pytest.mark.parametrize("text", TRICKY)
def test_equal_to_opencc_on_tricky_texts(text: str) -> None:
    assert to_simplified(text) == OPENCC.convert(text)


def test_plain_simplified_text_is_not_passed_to_opencc() -> None:
    assert _convertible().search("产业链党建联盟成员的企业") is None
    assert _convertible().search("黨建") is not None


@pytest.mark.skipif(
    not (CORPORA / "government_work_reports.jsonl").exists(),
    reason=f"shared corpora not found at {CORPORA} (or set CHAINPB_CORPORA)",
)
def test_equal_to_opencc_on_the_shared_corpora() -> None:
    """All 88 real reports (some in traditional characters), whole and converted back to
    traditional: identical to OpenCC's own t2s, character for character."""
    texts = []
    for name in ("government_work_reports.jsonl", "cpc_congress_reports.jsonl"):
        with (CORPORA / name).open(encoding="utf-8") as fh:
            texts += [json.loads(line).get("content") or "" for line in fh]
    s2t = OpenCC("s2t")
    traditional = [s2t.convert(t[:2000]) for t in texts[:10]]
    for text in [*texts, *traditional]:
        assert to_simplified(text) == OPENCC.convert(text)

"""Difficulty measures and audit tables on a small hand-coded example.

Every expected number below is counted by hand from the five answers and three policy texts,
reading them against config/codebook.yaml:
  e1 没有专职党务工作者，小微企业没有党员 -> ideology 1 (没有专职党务), coverage 2 (小微企业, 没有党员)
  e2 无                                   -> none
  e3 (blank)                              -> missing
  e4 两张皮，两张皮                         -> effectiveness 2
  e5 不存在覆盖难的问题                      -> coverage hit negated: coded, no difficulty
  p1 推进资源共享，扩大组织覆盖。 (suzhou)     -> resource 1, coverage 1; 4 words
  p2 强化考核。 (suzhou)                     -> resource 1; 2 words
  p3 加强学习。 (wuxi)                       -> nothing; 2 words
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chainpb.text import audit, measures
from chainpb.text.codebook import load_codebook
from chainpb.text.coding import code_tokens
from chainpb.text.segment import Segmenter, read_word_list, segment_documents

ROOT = Path(__file__).resolve().parents[1]
DICTS = ROOT / "config" / "dictionaries"


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    seg = Segmenter(tmp_path_factory.mktemp("jieba"), DICTS / "domain_dict.txt")
    cb = load_codebook(ROOT / "config" / "codebook.yaml")
    compiled = cb.compile(seg)
    answers = pd.DataFrame(
        {
            "enterprise_id": ["e1", "e2", "e3", "e4", "e5"],
            "difficulty_text": [
                "没有专职党务工作者，小微企业没有党员",
                "无",
                "",
                "两张皮，两张皮",
                "不存在覆盖难的问题",
            ],
            "city_key": ["suqian", "suqian", "wuxi", "wuxi", "wuxi"],
        }
    )
    a_tokens = segment_documents(answers, "enterprise_id", "difficulty_text", seg)
    a_texts = dict(zip(answers["enterprise_id"], answers["difficulty_text"], strict=True))
    a_hits = code_tokens(a_tokens, compiled, a_texts)
    policies = pd.DataFrame(
        {
            "city_key": ["suzhou", "suzhou", "wuxi"],
            "doc_id": ["p1", "p2", "p3"],
            "text": ["推进资源共享，扩大组织覆盖。", "强化党建考核。", "加强学习。资源共享不够。"],
        }
    )
    p_tokens = segment_documents(policies, "doc_id", "text", seg)
    p_hits = code_tokens(
        p_tokens, compiled, dict(zip(policies["doc_id"], policies["text"], strict=True))
    )
    return {
        "cb": cb,
        "answers": answers,
        "a_tokens": a_tokens,
        "a_texts": a_texts,
        "a_hits": a_hits,
        "policies": policies,
        "p_tokens": p_tokens,
        "p_hits": p_hits,
        "doc_city": dict(zip(answers["enterprise_id"], answers["city_key"], strict=True)),
    }


def test_firm_difficulty(setup):
    f = measures.firm_difficulty(setup["answers"], setup["a_hits"], setup["cb"])
    assert f["answer_status"].tolist() == ["coded", "none", "missing", "coded", "coded"]
    assert f["diff_coverage"].tolist() == [1, 0, pd.NA, 0, 0]
    assert f["diff_ideology"].tolist() == [1, 0, pd.NA, 0, 0]
    assert f["diff_effectiveness"].tolist() == [0, 0, pd.NA, 1, 0]
    # 小微企业没有党员 is one hit (the slot small_firms_no_org spans it)
    assert f["n_coverage"].tolist() == [1, 0, 0, 0, 0]
    assert f["n_effectiveness"].tolist() == [0, 0, 0, 2, 0]


def test_city_shares(setup):
    f = measures.firm_difficulty(setup["answers"], setup["a_hits"], setup["cb"])
    f = f.merge(setup["answers"][["enterprise_id", "city_key"]], on="enterprise_id")
    s = measures.city_difficulty_shares(f).set_index(["city_key", "category"])
    # suqian: e1, e2 answered; e1 reports coverage and ideology
    assert s.loc[("suqian", "coverage"), "n"] == 2
    assert s.loc[("suqian", "coverage"), "share"] == 0.5
    assert s.loc[("suqian", "effectiveness"), "share"] == 0.0
    # wuxi: e3 blank is left out of n; e4 reports effectiveness
    assert s.loc[("wuxi", "effectiveness"), "n"] == 2
    assert s.loc[("wuxi", "effectiveness"), "firms_reporting"] == 1


def test_policy_themes_and_documents(setup):
    pe = measures.policy_themes(setup["policies"], setup["p_tokens"], setup["p_hits"])
    pe = pe.set_index(["city_key", "measure", "category"])
    # suzhou: 7 words (推进 资源共享 扩大 组织覆盖 强化 党建 考核); three remedies: 资源共享 and
    # 党建考核 (resource) and 组织覆盖 (coverage) — attention to the areas, no difficulty stated
    assert pe.loc[("suzhou", "attention", "resource"), "hits"] == 2
    assert pe.loc[("suzhou", "attention", "resource"), "tokens"] == 7
    assert pe.loc[("suzhou", "attention", "resource"), "per_1000_tokens"] == pytest.approx(
        1000 * 2 / 7
    )
    assert pe.loc[("suzhou", "attention", "coverage"), "share"] == pytest.approx(1 / 3)
    assert pe.loc[("suzhou", "difficulty", "resource"), "hits"] == 0
    assert np.isnan(pe.loc[("suzhou", "difficulty", "coverage"), "share"])  # none: undefined
    # wuxi: 资源共享不够 states the resource difficulty (an absent remedy): in both measures
    assert pe.loc[("wuxi", "difficulty", "resource"), "hits"] == 1
    assert pe.loc[("wuxi", "attention", "resource"), "hits"] == 1
    assert pe.loc[("wuxi", "difficulty", "resource"), "share"] == 1.0
    de = measures.document_themes(setup["p_tokens"], setup["p_hits"]).set_index(
        ["doc_id", "measure", "category"]
    )
    assert de.loc[("p1", "attention", "coverage"), "per_1000_tokens"] == 250.0  # 1 of 4 words
    assert de.loc[("p2", "attention", "resource"), "per_1000_tokens"] == pytest.approx(1000 / 3)
    assert de.loc[("p2", "difficulty", "resource"), "per_1000_tokens"] == 0.0


def test_kwic_and_matrices(setup):
    k = audit.kwic(setup["a_hits"], setup["a_texts"], setup["doc_city"], "answers", width=4)
    first = k.iloc[0]
    assert (first["term"], first["left"], first["right"]) == ("没有专职党务", "", "工作者，")
    neg = k[k["negated"]].iloc[0]
    assert (neg["doc_id"], neg["left"], neg["term"], neg["cue"]) == (
        "e5",
        "不存在",
        "覆盖难",
        "不存在",
    )
    m = audit.category_city_matrix(audit.attach_city(setup["a_hits"], setup["doc_city"]))
    m = m.set_index("category")
    assert m.loc["coverage", "suqian"] == 1 and m.loc["coverage", "wuxi"] == 0  # e5 negated
    assert m.loc["effectiveness", "wuxi"] == 2
    # By source: a city without texts of a source is empty there ("no policy texts"), not 0.
    tagged = audit.attach_city(setup["a_hits"], setup["doc_city"]).assign(source="answers")
    by_source = audit.category_city_matrix(
        tagged, {"answers": ["suqian", "wuxi"], "policies": ["suqian"]}
    ).set_index(["source", "category"])
    assert list(by_source.columns) == ["suqian", "wuxi"]
    assert by_source.loc[("answers", "effectiveness"), "wuxi"] == 2
    assert by_source.loc[("policies", "coverage"), "suqian"] == 0  # has texts, no hit
    assert by_source.loc[("policies", "coverage"), "wuxi"] is pd.NA  # no policy texts
    f = measures.firm_difficulty(setup["answers"], setup["a_hits"], setup["cb"])
    co = audit.cooccurrence(f).set_index("category")
    assert co.loc["coverage", "ideology"] == 1  # e1 reports both
    assert co.loc["coverage", "effectiveness"] == 0
    assert co.loc["effectiveness", "effectiveness"] == 1


def test_top_words(setup):
    stop = frozenset(read_word_list(DICTS / "stopwords.txt"))
    t = audit.top_words(setup["a_tokens"], setup["a_hits"], setup["doc_city"], stop)
    wuxi = t[(t["group_type"] == "city") & (t["group"] == "wuxi")]
    # 两张皮 twice (e4); 覆盖 once (e5); 不/存在/的/问题 are stopwords, 难 a single character
    assert list(zip(wuxi["word"], wuxi["count"], strict=True)) == [("两张皮", 2), ("覆盖", 1)]
    cov = t[(t["group_type"] == "category") & (t["group"] == "coverage")]
    assert set(cov["word"]) == {"专职", "党务工作者", "小微企业", "党员"}

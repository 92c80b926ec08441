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
# Every expected hit below was read off the sentence by hand against config/codebook.yaml 2.0.0.


def quads(hits: pd.DataFrame) -> list[tuple[str, str, str, str]]:
    """(term, category, polarity, status) of each hit."""
    return list(zip(hits["term"], hits["category"], hits["polarity"], hits["status"], strict=True))


def test_multi_word_term_and_offsets(compiled, segmenter):
    # 资源共享 is a remedy; 还没有 after it says it is missing: an absent remedy, a difficulty
    text = "链上企业各自为战，资源共享机制还没有建立。"
    h = hits_of(text, compiled, segmenter)
    assert quads(h) == [
        ("各自为战", "resource", "problem", "problem"),
        ("资源共享", "resource", "absent_remedy", "problem"),
    ]
    assert h["cue"].tolist() == ["", "还没有"]
    assert all(text[s:e] == t for t, s, e in zip(h["term"], h["start"], h["end"], strict=True))
    # 各自为战 starts after 链上企业 (4 characters); 资源共享 after the comma at 8
    assert h["start"].tolist() == [4, 9]
    assert list(h.columns) == HIT_COLUMNS


def test_longest_match_first(compiled, segmenter):
    # 作用不明显 (a slot: 作用 + 不明显) wins over the post-cue 不明显; 党员人数少 is the slot
    # members_few (党员人数 + 少)
    h = hits_of("党建作用不明显，党员人数少", compiled, segmenter)
    assert quads(h) == [
        ("作用不明显", "effectiveness", "problem", "problem"),
        ("党员人数少", "coverage", "problem", "problem"),
    ]
    assert h["rule"].tolist() == ["slot:role_weak", "slot:members_few"]
    assert h["slots"].tolist() == ["作用+不明显", "党员人数+少"]
    # 网络覆盖 (an exclude term) wins over 覆盖: kept, flagged, not counted
    h = hits_of("园区网络覆盖很好", compiled, segmenter)
    assert h["term"].tolist() == ["网络覆盖"] and h["status"].tolist() == ["excluded"]


def test_pre_cue_negates_in_the_same_clause(compiled, segmenter):
    h = hits_of("不存在覆盖难的问题", compiled, segmenter)
    assert quads(h) == [("覆盖难", "coverage", "problem", "negated")]
    assert h["cue"].tolist() == ["不存在"]


def test_post_cue_negates(compiled, segmenter):
    h = hits_of("两张皮的问题不明显", compiled, segmenter)
    assert quads(h) == [("两张皮", "effectiveness", "problem", "negated")]
    assert h["cue"].tolist() == ["不明显"]


def test_scope_ends_at_a_comma_and_at_a_list_number(compiled, segmenter):
    # the 不存在 belongs to the first clause only: 流动党员多 after the comma counts
    h = hits_of("不存在覆盖难的问题，但流动党员多", compiled, segmenter)
    assert h["status"].tolist() == ["negated", "problem"]
    # "2、" starts a new point: the 不 of 转不过来 does not negate 书记兼职
    h = hits_of("1、流动党员多，关系转不过来 2、支部书记兼职，精力有限", compiled, segmenter)
    assert quads(h)[-1] == ("书记兼职", "ideology", "problem", "problem")


def test_lack_of_full_time_staff_is_a_difficulty_not_a_negation(compiled, segmenter):
    # 没有/无 are part of the term: the domain brief lists "no full-time Party staff" under
    # ideology; a term's own 无 negates neither itself nor a later term in the clause.
    assert quads(hits_of("没有专职党务工作者", compiled, segmenter)) == [
        ("没有专职党务", "ideology", "problem", "problem")
    ]
    # (党建边缘… is the slot party_sidelined, longer than the term 边缘化 alone)
    assert quads(hits_of("无专职人员导致党建边缘化", compiled, segmenter)) == [
        ("无专职", "ideology", "problem", "problem"),
        ("党建边缘", "ideology", "problem", "problem"),
    ]


# --- polarity: problem, remedy, absent remedy ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # remedies and achievements are attention to a theme, not a difficulty
        # 全覆盖 counts only with a Party object (a remedy pattern); bare 全覆盖 is excluded
        ("实现党组织全覆盖", [("党组织全覆盖", "coverage", "remedy", "remedy")]),
        ("搭建资源共享平台", [("搭建资源共享平台", "resource", "remedy", "remedy")]),
        ("园区党组织已经全覆盖了", [("党组织已经全覆盖", "coverage", "remedy", "remedy")]),
        ("基本医疗保险实现全覆盖", [("全覆盖", "coverage", "remedy", "excluded")]),
        # a difficulty named as the target of a measure (reframe verb) is a remedy
        ("打破资源壁垒", [("壁垒", "resource", "remedy", "remedy")]),
        ("防止党建和业务“两张皮”", [("两张皮", "effectiveness", "remedy", "remedy")]),
        # ... unless the measure itself is negated, missing or only wished for
        ("尚未解决两张皮问题", [("两张皮", "effectiveness", "problem", "problem")]),
        ("希望解决经费不足的问题", [("经费不足", "ideology", "problem", "problem")]),
        # a remedy said to be missing or weak: before (缺乏, 尚未) or after (不健全, 不够)
        ("缺乏资源共享机制", [("资源共享", "resource", "absent_remedy", "problem")]),
        ("资源共享机制不健全", [("资源共享", "resource", "absent_remedy", "problem")]),
        ("尚未建立联席会议制度", [("联席会议制度", "resource", "absent_remedy", "problem")]),
        # denials: of an absent remedy (不存在…不够), and a remedy followed by 没有问题
        ("不存在资源共享不够的问题", [("资源共享", "resource", "absent_remedy", "negated")]),
        ("资源共享方面没有问题", [("资源共享", "resource", "absent_remedy", "negated")]),
        ("不存在资源共享方面的困难", [("资源共享方面的困难", "resource", "problem", "negated")]),
        ("资源共享的问题已经解决", [("资源共享的问题", "resource", "problem", "negated")]),
        (
            "党建和生产结合得挺好，不觉得是两码事",
            [("两码事", "effectiveness", "problem", "negated")],
        ),
        # a difficulty made the topic: the denial may come in a later clause
        (
            "链上企业党组织经费不足的问题，已通过党费返还基本解决",
            [("经费不足", "ideology", "problem", "negated")],
        ),
        # a denial inside a slot's gap
        ("党建跟业务没脱节", [("党建跟业务没脱节", "effectiveness", "problem", "negated")]),
    ],
)
def test_polarity(text, expected, compiled, segmenter):
    assert quads(hits_of(text, compiled, segmenter)) == expected


# --- slots: compositional rules ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "category", "slots"),
    [
        # degree adverbs between the parts (slot_fillers): 不太, 不怎么, 也
        ("员工对党建兴趣也不高", "ideology", "兴趣+不高"),
        ("党员积极性不怎么高", "ideology", "积极性+不怎么高"),
        ("还不太清楚党建要干什么", "ideology", "不+清楚+党建"),
        # measure words and numerals: 两名, 三个
        ("只有两名党员", "coverage", "只有+两+党员"),
        ("就三个党员", "coverage", "就+三+党员"),
        # either order where Chinese allows it
        ("经费没有保障", "ideology", "经费+没有保障"),
        ("没有经费保障", "ideology", "经费+没有"),
        ("发挥不了作用", "effectiveness", "作用+发挥不了"),
        ("作用发挥不出来", "effectiveness", "作用+发挥不出来"),
        # a long gap where the slot allows it (gap: 16)
        ("对提升产品质量和效益没有帮助", "effectiveness", "对+没有帮助"),
        ("没什么业务往来", "resource", "业务往来+没什么"),
    ],
)
def test_slot_rules(text, category, slots, compiled, segmenter):
    h = hits_of(text, compiled, segmenter)
    assert h["category"].tolist() == [category]
    assert h["slots"].tolist() == [slots]
    assert h["rule"].str.startswith("slot:").all() and (h["status"] == "problem").all()


def test_slot_does_not_reach_across_a_clause_or_past_its_gap(compiled, segmenter):
    # 积极性很高，…不够 — the comma ends the clause; 就是党员 has no numeral
    assert hits_of("积极性很高，场地不够大", compiled, segmenter).empty
    assert hits_of("老板自己就是党员，很支持", compiled, segmenter).empty
    # the part-time-staff slot codes ideology, not coverage (顾不过来 is not a coverage term)
    h = hits_of("兼职党务人员一个人顾不过来", compiled, segmenter)
    assert h["category"].tolist() == ["ideology"]


def test_slot_regex_orders_and_gaps():
    from chainpb.text.codebook import slot_regexes

    slot = {"parts": [["经费"], ["没有保障"]], "order": "any", "gap": 0}
    regexes = slot_regexes(slot, ["太"])
    assert [order for _, order in regexes] == [(0, 1), (1, 0)]
    assert regexes[0][0].search("经费太没有保障") and regexes[1][0].search("没有保障经费")
    # gap 3: up to three other characters, but never a clause mark
    slot = {"parts": [["合作"], ["少"]], "order": "fixed", "gap": 3}
    ((regex, _),) = slot_regexes(slot, [])
    assert (
        regex.search("合作项目很少")
        and not regex.search("合作，少")
        and not regex.search("合作项目数量很少")
    )


# --- the Party-building context gate ----------------------------------------------------------


def test_context_gate(compiled, segmenter):
    text = "全面推进社会保险全覆盖，深化产业融合发展。\n基层党组织要实现全覆盖。"
    df = pd.DataFrame({"doc_id": ["x"], "text": [text]})
    tokens = segment_documents(df, "doc_id", "text", segmenter)
    gated = code_tokens(tokens, compiled, {"x": text}, context_gate=True)
    # bare 全覆盖 is an exclude term (social insurance); 融合发展 of industries has no Party word
    # in its paragraph; 党组织…全覆盖 is a coverage remedy in context
    assert quads(gated) == [
        ("全覆盖", "coverage", "remedy", "excluded"),
        ("融合发展", "effectiveness", "remedy", "no_context"),
        ("党组织要实现全覆盖", "coverage", "remedy", "remedy"),
    ]
    assert gated["in_context"].tolist() == [False, False, True]
    # without the gate (open answers) the same hits count, and in_context is still recorded
    open_ = code_tokens(tokens, compiled, {"x": text}, context_gate=False)
    assert open_["status"].tolist() == ["excluded", "remedy", "remedy"]
    assert open_["in_context"].tolist() == [False, False, True]


def test_context_exclude_phrases_do_not_open_the_gate(compiled, segmenter):
    # 联盟 is a context term (产业链党建联盟 is often shortened to 联盟), 工农联盟 is excluded
    for text, expected in [
        ("巩固工农联盟，推动产业融合发展。", "no_context"),
        ("联盟成员单位推动融合发展。", "remedy"),
    ]:
        df = pd.DataFrame({"doc_id": ["x"], "text": [text]})
        tokens = segment_documents(df, "doc_id", "text", segmenter)
        hits = code_tokens(tokens, compiled, {"x": text}, context_gate=True)
        assert hits["status"].tolist() == [expected], text


def test_context_window_sentence_or_paragraph(compiled, segmenter):
    # the Party word is in the paragraph's first sentence, the hit in the second
    text = "各级党组织要加强领导。推动资源共享机制不健全的问题得到解决。"
    df = pd.DataFrame({"doc_id": ["x"], "text": [text]})
    tokens = segment_documents(df, "doc_id", "text", segmenter)
    by_paragraph = code_tokens(tokens, compiled, {"x": text}, context_gate=True)
    by_sentence = code_tokens(
        tokens, compiled, {"x": text}, context_gate=True, context_window="sentence"
    )
    assert by_paragraph["in_context"].tolist() == [True]
    assert by_sentence["status"].tolist() == ["no_context"]


def test_code_texts_presence_and_status(codebook, segmenter):
    texts = ["无", "暂无。", "没什么困难", "", None, "不存在覆盖难的问题",
             "党建和业务两张皮，没有专职党务工作者，小微企业没有党员", "融资难"]  # fmt: skip
    out = code_texts(texts, codebook, segmenter)
    assert out["status"].tolist() == [
        "none", "none", "none", "missing", "missing", "coded", "coded", "coded",
    ]  # fmt: skip
    row = out.iloc[6]
    assert (row["coverage"], row["ideology"], row["effectiveness"], row["resource"]) == (1, 1, 1, 0)
    # the negated mention does not count as a difficulty, but speaks to the theme
    assert out.iloc[5][list(CATEGORIES)].tolist() == [0, 0, 0, 0]
    assert out.iloc[5]["theme_coverage"] == 1
    # ... and is marked as a denial (the hybrid then adds no supervised call of coverage)
    assert out.iloc[5]["denied_coverage"] == 1 and out.iloc[6]["denied_coverage"] == 0
    assert out.iloc[3][list(CATEGORIES)].isna().all()
    # 融资难 is a business problem, not a Party-building difficulty (codebook 2.0.0)
    assert out.iloc[7][list(CATEGORIES)].tolist() == [0, 0, 0, 0]


def test_units_table_counts_only_counted_hits(compiled, segmenter):
    text = "不存在覆盖难的问题。流动党员多，组织关系不在本地。"
    df = pd.DataFrame({"doc_id": ["x"], "text": [text]})
    tokens = segment_documents(df, "doc_id", "text", segmenter)
    hits = code_tokens(tokens, compiled, {"x": text})
    units = code_units(tokens, hits, "sentence")
    # 流动党员多 (a slot) and 组织关系不在本地 (a slot) state the difficulty; the denial counts
    # only for theme attention
    assert units["coverage"].tolist() == [0, 2]
    assert units["theme_coverage"].tolist() == [1, 2]
    assert units["codebook_hash"].unique().tolist() == [compiled.hash]
    doc = code_units(tokens, hits, "document")
    assert doc["coverage"].tolist() == [2]


def test_coding_is_deterministic(compiled, segmenter):
    text = "链上企业各自为战，不重视党建，两张皮问题突出。"
    a = hits_of(text, compiled, segmenter)
    b = hits_of(text, compiled, segmenter)
    pd.testing.assert_frame_equal(a, b)


def test_denied_pairs_are_denials_without_a_stated_difficulty():
    from chainpb.text.coding import denied

    hits = pd.DataFrame(
        {
            "doc_id": ["a", "a", "b", "b", "c"],
            "category": ["coverage", "coverage", "resource", "ideology", "coverage"],
            "status": ["negated", "problem", "negated", "remedy", "no_context"],
        }
    )
    # a states coverage as well as denying it elsewhere: not a denial; b only denies resource;
    # c's hit is out of context, which is not a denial.
    assert denied(hits) == {("b", "resource")}

"""Keyed hashing of enterprise ids, the hash key source, and PII masking (chainpb.ingest.privacy)."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pandas as pd
import pytest

from chainpb.errors import ChainpbError
from chainpb.ingest.options import IngestOptions
from chainpb.ingest.privacy import (
    DEMO_HASH_KEY,
    MASK_NAME,
    PiiMasker,
    hash_enterprise_id,
    load_hash_key,
    mask_pii,
)
from chainpb.ingest.spec import REDACTED
from chainpb.ingest.survey import ingest_city_survey, write_survey_ingest
from chainpb.ingest.validate import _shown_value
from chainpb.text.normalize import normalize_text


def test_hash_matches_openssl_reference() -> None:
    # Expected values computed independently with OpenSSL, first 16 hex characters:
    #   printf 'suqian:A001' | openssl dgst -sha256 -hmac 'test-key'
    #   -> ca664f74b3509c4db6914824bf2e5d3a6429e33a2e66f65eb54d92f5f5287095
    #   printf 'suzhou:A001' | openssl dgst -sha256 -hmac 'test-key'
    #   -> 11983a26f061be988b62dd7246bd99c4b23847fcbfc410667ce16cc81e942d00
    #   printf 'suqian:A001' | openssl dgst -sha256 -hmac 'other-key'
    #   -> e1b11650ca86157a87d972fb97f257dd5bd11cdbe32887feb89a88dbbee1e95f
    assert hash_enterprise_id("A001", "suqian", b"test-key") == "ca664f74b3509c4d"
    assert hash_enterprise_id("A001", "suzhou", b"test-key") == "11983a26f061be98"
    assert hash_enterprise_id("A001", "suqian", b"other-key") == "e1b11650ca86157a"


def test_demo_key_hash_is_documented_value() -> None:
    # printf 'suqian:A001' | openssl dgst -sha256 -hmac 'chainpb-demo-key-NOT-SECRET'
    # -> 568a0f469fef0e25c22248a5a0d43a212ebce6ca86c80c7375f4c4f49aa95713
    assert hash_enterprise_id("A001", "suqian", DEMO_HASH_KEY) == "568a0f469fef0e25"


def test_key_from_env_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key_file = tmp_path / "hash_key"
    key_file.write_text("from-file\n", encoding="utf-8")
    monkeypatch.setenv("CHAINPB_TEST_KEY", "from-env")
    key, source = load_hash_key("CHAINPB_TEST_KEY", key_file, allow_demo=False)
    assert key == b"from-env" and "CHAINPB_TEST_KEY" in source
    assert "from-env" not in source  # the log must never show the key


def test_key_from_file_with_tilde(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHAINPB_TEST_KEY", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".config").mkdir()
    (tmp_path / ".config" / "hash_key").write_text("  from-file \n", encoding="utf-8")
    key, source = load_hash_key("CHAINPB_TEST_KEY", "~/.config/hash_key", allow_demo=False)
    assert key == b"from-file" and "key file" in source


def test_demo_key_only_when_allowed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHAINPB_TEST_KEY", raising=False)
    key, source = load_hash_key("CHAINPB_TEST_KEY", tmp_path / "absent", allow_demo=True)
    assert key == DEMO_HASH_KEY and "demo" in source
    with pytest.raises(ChainpbError) as info:
        load_hash_key("CHAINPB_TEST_KEY", tmp_path / "absent", allow_demo=False)
    message = str(info.value)
    assert "export CHAINPB_TEST_KEY=" in message
    assert "secrets.token_hex(32)" in message
    assert "密钥" in message


def test_empty_env_var_falls_through(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINPB_TEST_KEY", "  ")
    with pytest.raises(ChainpbError):
        load_hash_key("CHAINPB_TEST_KEY", tmp_path / "absent", allow_demo=False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("联系人电话13912345678。", "联系人电话[手机号]。"),
        ("手机：139-1234-5678", "手机：[手机号]"),
        ("手机 139 1234 5678 张", "手机 [手机号] 张"),
        ("+86 139 1234 5678", "[手机号]"),
        ("+86-13912345678", "[手机号]"),
        ("8613912345678", "[手机号]"),
        ("座机0512-66881234，", "座机[电话]，"),
        ("电话025-12345678转", "电话[电话]转"),
        ("（0512）66881234", "[电话]"),
        ("身份证32058219900101123X。", "身份证[身份证号]。"),
        ("身份证号320582199001011234", "身份证号[身份证号]"),
        ("邮箱 zhang.san@example.com.cn 联系", "邮箱 [邮箱] 联系"),
        ("请发dj_office@suqian.gov.cn", "请发[邮箱]"),
    ],
)
def test_mask_pii_positives(text: str, expected: str) -> None:
    assert mask_pii(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2023年投入研发资金1200万元，同比增长12.5%。",
        "员工 350 人，专利 12 项，成立于 2008 年。",
        "营业收入 13500000 元",  # 8 digits: not a mobile number
        "合同编号139123456789",  # 12 digits: too long for a mobile number
        "订单号20230101123456789012",  # 20 digits: not an ID number
        "2013年12月至2014年3月",
        "产值增长 0.15，1,200 家企业",
        "第1391号文件",
    ],
)
def test_mask_pii_negatives(text: str) -> None:
    assert mask_pii(text) == text


def test_mask_pii_empty() -> None:
    assert mask_pii("") == ""


# --- Extended masking (issue 10, item 1) ---------------------------------------------------
# Every expected string below was written by hand from the rule in the privacy module docstring.


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # mobiles in Chinese numerals, 幺 for 1, spaces/dashes, mixed with digits, +86
        ("手机一三八一二三四五六七八", "手机[手机号]"),
        ("电话幺三八 幺二三四 五六七八。", "电话[手机号]。"),
        ("打138一二三四5678找我", "打[手机号]找我"),
        ("一三九-一二三四-五六七八", "[手机号]"),
        ("+86 一三八一二三四五六七八", "[手机号]"),
        ("+86 138-1234-5678", "[手机号]"),
        # old 15-digit ID (region 110105, born 85-06-12, sequence 001) and in Chinese numerals
        ("身份证110105850612001，", "身份证[身份证号]，"),
        ("身份证一一〇一〇五一九八五〇六一二〇〇一X", "身份证[身份证号]"),
        # e-mail beside Chinese text
        ("发到zhangwei1985@163.com即可", "发到[邮箱]即可"),
        # WeChat / QQ after cues; the cue stays
        ("微信号：zhangwei_88", "微信号：[微信号]"),
        ("加wx: ZhangW2023 联系", "加wx: [微信号] 联系"),
        ("VX zw-1985abc", "VX [微信号]"),
        ("微信同手机13812345678", "微信同手机[手机号]"),
        ("QQ：12345678", "QQ：[QQ号]"),
        ("qq号 987654321，", "qq号 [QQ号]，"),
        # names after cues, before 先生/女士, bare surname before a post
        ("联系人张伟电话13812345678", "联系人[姓名]电话[手机号]"),
        ("联系人：欧阳娜娜。", "联系人：[姓名]。"),
        ("法定代表人为李建国，", "法定代表人为[姓名]，"),
        ("负责人王强说人手不够", "负责人[姓名]说人手不够"),
        ("支部书记刘洋牵头", "支部书记[姓名]牵头"),
        ("请找王经理或李书记", "请找[姓名]经理或[姓名]书记"),
        ("张伟先生和陈女士", "[姓名]先生和[姓名]女士"),
        ("民营（法人张伟 11010519850612001X）", "民营（法人[姓名] [身份证号]）"),
    ],
)
def test_mask_pii_extended_positives(text: str, expected: str) -> None:
    assert mask_pii(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2023年投入研发资金1200万元，同比增长12.5%。",
        "二〇二三年以来，一二三四期工程",  # years and ordinal runs in Chinese numerals
        "营收一千二百万元，增长百分之十五",
        "统一社会信用代码91321300MA1XXXXX0X",  # 18 chars but letters inside
        "关注微信公众号，加入微信群和QQ群",  # cue without an id
        "QQ群人数1234",  # 4 digits: too short for a QQ number
        "深入学习贯彻习近平总书记重要讲话精神",
        "以习近平同志为核心的党中央",
        "国务院总理李克强所作的报告",
        "完善法人治理结构，稳定县域法人地位",
        "书记项目和书记领办，负责人员，负责人和技术骨干",
        "党委书记抓党建，支部书记带头",
        "班主任和项目经理，车间主任",
        "应当排定先生产什么设备",
        "职业经理人制度，主张总体推进",
    ],
)
def test_mask_pii_extended_negatives(text: str) -> None:
    assert mask_pii(text) == text


def test_own_names_masked_in_any_field() -> None:
    masker = PiiMasker(person_names=["赵子龙", "钱", None], firm_names=["宿迁赵子龙科技有限公司"])
    # The firm name contains the person's name: the longer firm mask wins; a one-character
    # name is ignored (it would wipe ordinary words such as 资金/钱).
    assert masker("宿迁赵子龙科技有限公司的赵子龙说缺钱") == "[企业名称]的[姓名]说缺钱"
    # Own names are masked with no cue at all, and the general rules still apply.
    assert masker("赵子龙 13812345678") == "[姓名] [手机号]"
    assert masker("") == ""


def test_masker_from_table_reads_name_columns() -> None:
    data = pd.DataFrame(
        {
            "respondent_name": ["孔明", None],
            "enterprise_name": ["卧龙公司", "草庐厂"],
            "chain": ["x", "y"],
        }
    )
    masker = PiiMasker.from_table(data)
    assert masker("孔明在卧龙公司和草庐厂") == "[姓名]在[企业名称]和[企业名称]"
    assert PiiMasker.from_table(pd.DataFrame({"chain": ["孔明"]}))("孔明") == "孔明"


def test_reject_value_is_masked_for_every_role() -> None:
    assert (
        _shown_value("民营（法人张伟 11010519850612001X）", "value")
        == "民营（法人[姓名] [身份证号]）"
    )
    assert _shown_value("13812345678", "value") == "[手机号]"
    assert _shown_value("张伟 13812345678", "pii") == REDACTED
    assert _shown_value("A001", "id") == REDACTED
    assert _shown_value(None, "value") == ""
    assert _shown_value("赵子龙", "value", PiiMasker(["赵子龙"])) == "[姓名]"


# --- The name rule on real policy language --------------------------------------------------

CORPORA = Path(
    os.environ.get("CHAINPB_CORPORA", Path(__file__).resolve().parents[2] / "shared" / "corpora")
)
CORPUS_FILES = [CORPORA / "government_work_reports.jsonl", CORPORA / "cpc_congress_reports.jsonl"]


@pytest.mark.skipif(
    not all(p.is_file() for p in CORPUS_FILES),
    reason=f"shared corpora not found at {CORPORA} (set CHAINPB_CORPORA)",
)
def test_name_rule_on_shared_corpora() -> None:
    texts = []
    for path in CORPUS_FILES:
        with path.open(encoding="utf-8") as fh:
            texts += [normalize_text(json.loads(ln)["content"]) for ln in fh if ln.strip()]
    corpus = "\n".join(texts)
    masked = mask_pii(corpus)
    # The three spans counted in the privacy module docstring (read by hand: all real names
    # of historical public figures after 主任 / before 先生); nothing else is masked.
    assert masked.count(MASK_NAME) == 3
    assert "国家计委副主任[姓名]同志" in masked
    assert "[姓名]先生" in masked and masked.count("[姓名]先生") == 2
    for mask in ("[手机号]", "[身份证号]", "[邮箱]", "[微信号]", "[QQ号]", "[电话]"):
        assert mask not in masked
    # Leaders' names in published policy texts are public and kept (counts from str.count on
    # the raw corpus, identical after masking).
    for name, n in (("习近平", 146), ("毛泽东", 218), ("邓小平", 207), ("李克强", 14)):
        assert corpus.count(name) == n and masked.count(name) == n
    # Real sentences: the leader is kept, the cue-named person is masked.
    sentence = next(s for s in corpus.split("。") if "以习近平同志为核心的党中央" in s)
    assert mask_pii(sentence) == sentence


# --- Seeded PII through ingest_city_survey: zero hits in every output table ----------------

SEED_COLUMNS = {
    "企业编号": "enterprise_id",
    "企业名称": "enterprise_name",
    "填写人": "respondent_name",
    "手机": "respondent_phone",
    "邮箱": "respondent_email",
    "身份证号": "respondent_id_number",
    "所属产业链": "chain",
    "所有制": "ownership",
    "员工人数": "employees",
    "组织覆盖1": "coverage_1",
    "联盟类型": "alliance_type",
    "遇到的困难": "difficulty_text",
}
SEED_HEADER = [*SEED_COLUMNS, "备注"]  # an unmapped column is dropped, never written
# What the scan looks for: every seeded name, phone (as written and as digits), ID, e-mail and
# WeChat/QQ id.
SEEDS = [
    "诸葛孔明",
    "司马仲达",
    "宿迁卧龙科技有限公司",
    "淮安草庐制造厂",
    "张伟",
    "李娜",
    "13812345678",
    "一三九一二三四五六七八",
    "13912345678",
    "11010519850612001X",
    "110105850612001",
    "kongming@example.com",
    "zhongda_1979",
    "123456789",
    "0527-84561234",
]
SEED_ROWS = [
    # row 2: valid; own names in the open answer, phone in Chinese numerals, WeChat id
    [
        "A001",
        "宿迁卧龙科技有限公司",
        "诸葛孔明",
        "13812345678",
        "kongming@example.com",
        "11010519850612001X",
        "集成电路",
        "民营",
        "120",
        "4",
        "",
        "诸葛孔明反映宿迁卧龙科技有限公司缺人，电话一三九一二三四五六七八，微信zhongda_1979",
        "司马仲达 13912345678",
    ],
    # row 3: valid; contact in the open answer
    [
        "A002",
        "淮安草庐制造厂",
        "司马仲达",
        "",
        "",
        "110105850612001",
        "新能源",
        "国有",
        "35",
        "5",
        "",
        "请联系负责人李娜，QQ 123456789，座机0527-84561234，或找司马仲达",
        "",
    ],
    # row 4: rejected; PII typed into a category, a Likert and a number cell
    [
        "A003",
        "宿迁卧龙科技有限公司",
        "诸葛孔明",
        "13912345678",
        "",
        "",
        "集成电路",
        "民营（法人张伟 11010519850612001X）",
        "kongming@example.com",
        "13812345678",
        "诸葛孔明负责",
        "",
        "",
    ],
    # row 5: rejected; a chain cell with a name and a phone (the chain is the cluster)
    [
        "A004",
        "淮安草庐制造厂二厂",
        "",
        "",
        "",
        "",
        "新能源（联系人张伟 13812345678）",
        "国有",
        "40",
        "3",
        "",
        "",
        "",
    ],
]


def _write_seed_file(path: Path) -> Path:
    if path.suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(SEED_HEADER)
            writer.writerows(SEED_ROWS)
    else:
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.append(SEED_HEADER)
        for row in SEED_ROWS:
            ws.append(row)
        wb.save(path)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_seeded_pii_never_reaches_outputs(tmp_path: Path, suffix: str) -> None:
    path = _write_seed_file(tmp_path / f"survey{suffix}")
    res = ingest_city_survey(
        path, "suqian", "宿迁市", SEED_COLUMNS, IngestOptions(survey_year=2025), b"k"
    )
    assert (res.n_accepted, res.n_rejected) == (2, 2)
    out_survey, out_rejects = tmp_path / "survey.parquet", tmp_path / "rejects.csv"
    write_survey_ingest(res, out_survey, out_rejects)
    tables = {
        "accepted": res.accepted.astype(str).to_csv(index=False),
        "rejects": res.rejects.astype(str).to_csv(index=False),
        "rejects.csv": out_rejects.read_text(encoding="utf-8-sig"),
        "survey.parquet": pd.read_parquet(out_survey).astype(str).to_csv(index=False),
        "log": "\n".join(res.log_lines()),
    }
    hits = [(where, seed) for where, text in tables.items() for seed in SEEDS if seed in text]
    assert hits == []
    # What is left is the masked text, so the reader still sees that a contact was given.
    accepted = res.accepted.set_index("raw_row")
    assert accepted.loc[2, "difficulty_text"] == (
        "[姓名]反映[企业名称]缺人，电话[手机号]，微信[微信号]"
    )
    assert accepted.loc[3, "chain_id"] == "suqian|新能源"
    assert accepted.loc[3, "difficulty_text"] == (
        "请联系负责人[姓名]，QQ [QQ号]，座机[电话]，或找[姓名]"
    )
    shown = dict(zip(res.rejects["variable"], res.rejects["value"], strict=True))
    assert shown["ownership"] == "民营（法人[姓名] [身份证号]）"
    assert shown["employees"] == "[邮箱]"
    assert shown["coverage_1"] == "[手机号]"
    assert shown["alliance_type"] == "[姓名]负责"
    assert shown["chain"] == "新能源（联系人[姓名] [手机号]）"  # quarantined, shown masked
    assert set(res.rejects.loc[res.rejects["variable"] == "chain", "raw_row"]) == {5}

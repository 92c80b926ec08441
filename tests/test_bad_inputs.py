"""The bad-input catalogue (issue 10, item 6): each case is a small input as a careless export
or a hurried data clerk produces it, plus the outcome the library must give — a stop whose
message contains given words, named rows quarantined with a reason, or the value accepted.

Inputs are built in tmp_path from the few lines below (bytes written in the named encoding,
.xlsx with openpyxl), so that every case is readable here; tests/bad_inputs/README.md lists
them. Expected values are the ones a reader of the input sees by eye (e.g. 4.0 on a 1–5 item
is 4; coverage_4 is reverse-coded 6 − x, so 2 is stored as 4).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from chainpb.errors import ChainpbError
from chainpb.ingest.options import IngestOptions
from chainpb.ingest.policies import read_policy_folder
from chainpb.ingest.survey import ingest_city_survey

KEY = b"catalogue-key"
OPTIONS = IngestOptions(survey_year=2025)
FILL = IngestOptions(survey_year=2025, fill_merged_cells=True)

COLUMN_MAP = {
    "企业编号": "enterprise_id",
    "企业名称": "enterprise_name",
    "所属产业链": "chain",
    "所有制": "ownership",
    "员工人数": "employees",
    "是否联盟成员": "alliance_member",
    "联盟类型": "alliance_type",
    "组织覆盖1": "coverage_1",
    "组织覆盖4": "coverage_4",
    "研发强度": "rd_intensity",
    "遇到的困难": "difficulty_text",
}
HEADER = [*COLUMN_MAP, "提交时间"]  # 提交时间 is not mapped
GOOD = {
    "企业编号": "A001",
    "企业名称": "宿迁甲公司",
    "所属产业链": "集成电路",
    "所有制": "民营",
    "员工人数": "120",
    "是否联盟成员": "是",
    "联盟类型": "龙头企业带动型",
    "组织覆盖1": "4",
    "组织覆盖4": "2",
    "研发强度": "3.5%",
    "遇到的困难": "人员流动大",
    "提交时间": "2025-03-01",
}


def row(**changes: Any) -> list[Any]:
    """A valid answer (GOOD) with some cells changed; keys are headers."""
    cells = dict(GOOD, **changes)
    return [cells[h] for h in HEADER]


def two_rows(**changes: Any) -> list[list[Any]]:
    """Row 2 is a valid A001, row 3 is A002 with the changes (so row 3 is the case)."""
    return [row(), row(**{"企业编号": "A002", **changes})]


def csv_file(rows: list[list[Any]], encoding: str = "utf-8", name: str = "s.csv") -> Callable:
    def build(tmp: Path) -> Path:
        lines = [",".join(HEADER)] + [",".join(str(c) for c in r) for r in rows]
        path = tmp / name
        path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
        return path

    return build


def to_traditional(text: str) -> str:
    from opencc import OpenCC

    return OpenCC("s2t").convert(text)


def big5_csv() -> Callable:
    def build(tmp: Path) -> Path:
        lines = [",".join(HEADER)] + [",".join(r) for r in two_rows()]
        path = tmp / "big5.csv"
        path.write_bytes(to_traditional("\n".join(lines) + "\n").encode("big5"))
        return path

    return build


def raw_file(name: str, data: bytes) -> Callable:
    def build(tmp: Path) -> Path:
        path = tmp / name
        path.write_bytes(data)
        return path

    return build


def xlsx_file(rows: list[list[Any]], merges: tuple[str, ...] = ()) -> Callable:
    def build(tmp: Path) -> Path:
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.append(HEADER)
        for r in rows:
            ws.append(r)
        for ref in merges:
            ws.merge_cells(ref)
        path = tmp / "s.xlsx"
        wb.save(path)
        return path

    return build


def policy_folder(
    data: bytes,
    title: str = "实施意见",
    issuer: str = "市委组织部",
    extra: dict[str, bytes] | None = None,
) -> Callable:
    """A folder with manifest.csv listing p1.txt (``data``) and unlisted ``extra`` files."""

    def build(tmp: Path) -> Path:
        folder = tmp / "policies"
        folder.mkdir()
        (folder / "manifest.csv").write_text(
            f"file,title,issuer,date\np1.txt,{title},{issuer},2024-05-01\n", encoding="utf-8"
        )
        (folder / "p1.txt").write_bytes(data)
        for name, content in (extra or {}).items():
            (folder / name).write_bytes(content)
        return folder

    return build


# .sav/.dta: ASCII variable names v0…v11 whose variable labels are the headers, as SPSS/Stata
# exports of a 问卷星 survey carry them; the column map names the labels. Counts and Likert
# items are numeric, the rest strings. Rows are numbered from 1 (no header row), so the case
# row (A002) is row 2.
STAT_NAMES = [f"v{i}" for i in range(len(HEADER))]
STAT_NUMERIC = ("员工人数", "组织覆盖1", "组织覆盖4")


def stat_file(suffix: str, **changes: Any) -> Callable:
    def build(tmp: Path) -> Path:
        import pandas as pd
        import pyreadstat

        frame = pd.DataFrame(two_rows(**changes), columns=STAT_NAMES)
        for name, header in zip(STAT_NAMES, HEADER, strict=True):
            if header in STAT_NUMERIC:
                frame[name] = pd.to_numeric(frame[name])
        path = tmp / f"s{suffix}"
        write = pyreadstat.write_sav if suffix == ".sav" else pyreadstat.write_dta
        write(frame, str(path), column_labels=list(HEADER))
        return path

    return build


@dataclass(frozen=True)
class Case:
    """One catalogue entry; exactly one of ``stop``, ``quarantined``, ``accepted`` is the point."""

    id: str
    build: Callable[[Path], Path]
    stop: tuple[str, ...] = ()
    quarantined: dict[int, str] = field(default_factory=dict)  # raw_row → column of the reject
    reason: str = ""  # fragment of reason_en of those rejects
    accepted: dict[tuple[int, str], Any] = field(default_factory=dict)  # (raw_row, var) → value
    options: IngestOptions = OPTIONS
    policy: bool = False
    column_map: dict[str, str] = field(default_factory=lambda: COLUMN_MAP)
    shown: str | None = None  # the ``value`` the quarantined rejects must show (masked)
    absent: tuple[str, ...] = ()  # PII that must be in no cell of any output table
    logged: tuple[str, ...] = ()  # words the ingest log must contain


BIG5_POLICY = "關於推進產業鏈黨建工作的實施意見\n各縣區黨委：加強產業鏈黨建，建立聯盟。\n"
MIXED = "企业编号,产业链\nA001,集成电路\n".encode() + "A002,新能源\n".encode("gbk")
ERR = "Excel error"
PII_CATEGORY = "民营（法人张伟 11010519850612001X）"

CASES = [
    # --- values that were rejected although valid ---------------------------------------------
    Case("likert_4_0", csv_file(two_rows(组织覆盖1="4.0")), accepted={(3, "coverage_1"): 4}),
    Case("likert_3_0", csv_file(two_rows(组织覆盖1="3.0")), accepted={(3, "coverage_1"): 3}),
    # coverage_4 is reverse-coded: "2.0" → 2 → 6 − 2 = 4.
    Case(
        "likert_2_0_reversed", csv_file(two_rows(组织覆盖4="2.0")), accepted={(3, "coverage_4"): 4}
    ),
    Case(
        "likert_fullwidth_4_0",
        csv_file(two_rows(组织覆盖1="４.０")),
        accepted={(3, "coverage_1"): 4},
    ),
    Case(
        "likert_4_5",
        csv_file(two_rows(组织覆盖1="4.5")),
        quarantined={3: "组织覆盖1"},
        reason="not a whole number",
    ),
    # --- ids compared after case and width folding --------------------------------------------
    # (ingest.duplicates: keep_first by default — the first copy stays, the second is quarantined)
    Case(
        "id_case_differs",
        csv_file([row(), row(企业编号="a001")]),
        quarantined={3: "企业编号"},
        reason="duplicate submission: same as row 2",
    ),
    Case(
        "id_width_differs",
        csv_file([row(), row(企业编号="Ａ００１")]),
        quarantined={3: "企业编号"},
        reason="ignoring case and full/half width",
    ),
    # --- short CSV rows -----------------------------------------------------------------------
    Case(
        # Row 3 lost its last 5 fields (组织覆盖1 … 提交时间): recorded on each mapped one.
        "short_row_last_5_missing",
        csv_file([row(), row(企业编号="A002")[:-5]]),
        quarantined={3: "组织覆盖1"},
        reason="has 7 fields but the header has 12",
    ),
    Case(
        # Only the unmapped 提交时间 is missing; the row may be shifted, so it is quarantined on
        # the last mapped column before the gap.
        "short_row_unmapped_missing",
        csv_file([row(), row(企业编号="A002")[:-1]]),
        quarantined={3: "遇到的困难"},
        reason="has 11 fields but the header has 12",
    ),
    # --- Excel error literals in CSV ----------------------------------------------------------
    Case(
        "ref_in_chain",
        csv_file(two_rows(所属产业链="#REF!")),
        quarantined={3: "所属产业链"},
        reason=f"{ERR} #REF!",
    ),
    Case(
        "na_in_chain",
        csv_file(two_rows(所属产业链="#N/A")),
        quarantined={3: "所属产业链"},
        reason=f"{ERR} #N/A",
    ),
    Case(
        "value_in_open_answer",
        csv_file(two_rows(遇到的困难="#VALUE!")),
        quarantined={3: "遇到的困难"},
        reason=f"{ERR} #VALUE!",
    ),
    Case(
        "div0_in_employees",
        csv_file(two_rows(员工人数="#DIV/0!")),
        quarantined={3: "员工人数"},
        reason=f"{ERR} #DIV/0!",
    ),
    Case(
        "name_in_ownership",
        csv_file(two_rows(所有制="#NAME?")),
        quarantined={3: "所有制"},
        reason=f"{ERR} #NAME?",
    ),
    Case(
        "null_in_rd",
        csv_file(two_rows(研发强度="#NULL!")),
        quarantined={3: "研发强度"},
        reason=f"{ERR} #NULL!",
    ),
    Case(
        "num_in_likert",
        csv_file(two_rows(组织覆盖1="#NUM!")),
        quarantined={3: "组织覆盖1"},
        reason=f"{ERR} #NUM!",
    ),
    Case(
        "na_lowercase_in_id",
        csv_file(two_rows(企业编号="#n/a")),
        quarantined={3: "企业编号"},
        reason=f"{ERR} #N/A",
    ),
    Case(
        # An error in a column the analysis does not use loses nothing: the row is accepted.
        "error_in_unmapped_column",
        csv_file(two_rows(提交时间="#VALUE!")),
        accepted={(3, "employees"): 120},
    ),
    # --- cross-field contradictions -----------------------------------------------------------
    Case(
        "alliance_type_but_not_member",
        csv_file(two_rows(是否联盟成员="否")),
        quarantined={3: "联盟类型"},
        reason="contradiction",
    ),
    Case(
        "alliance_type_but_member_0",
        csv_file(two_rows(是否联盟成员="0")),
        quarantined={3: "联盟类型"},
        reason="contradiction",
    ),
    Case(
        "not_member_no_type",
        csv_file(two_rows(是否联盟成员="否", 联盟类型="")),
        accepted={(3, "alliance_member"): 0},
    ),
    # --- encodings of the survey CSV ----------------------------------------------------------
    Case("csv_gbk", csv_file(two_rows(), "gbk"), accepted={(3, "chain"): "集成电路"}),
    Case("csv_gb18030", csv_file(two_rows(), "gb18030"), accepted={(3, "chain"): "集成电路"}),
    # Big5 from Taiwan/HK/Macao: headers and answers in traditional characters, read correctly
    # and converted (集成電路 → 集成电路, 民營 → 民营); the column map names the raw headers.
    Case(
        "csv_big5_traditional",
        big5_csv(),
        accepted={(3, "chain"): "集成电路", (3, "ownership"): "民营"},
        column_map={to_traditional(k): v for k, v in COLUMN_MAP.items()},
    ),
    Case("csv_utf8_bom", csv_file(two_rows(), "utf-8-sig"), accepted={(3, "chain"): "集成电路"}),
    Case("csv_utf16_bom", csv_file(two_rows(), "utf-16"), accepted={(3, "chain"): "集成电路"}),
    Case(
        "csv_utf16le_no_bom", csv_file(two_rows(), "utf-16-le"), accepted={(3, "chain"): "集成电路"}
    ),
    Case(
        "csv_utf16be_no_bom", csv_file(two_rows(), "utf-16-be"), accepted={(3, "chain"): "集成电路"}
    ),
    Case(
        "csv_mixed_gbk_utf8",
        raw_file("m.csv", MIXED),
        stop=("mixes two encodings", "first at line 3"),
    ),
    Case(
        # 0xFF on line 3 (offset 8 + 4) is invalid in every candidate encoding.
        "csv_undecodable_byte",
        raw_file("b.csv", b"a,b\n1,2\n3,4,\xff\n"),
        stop=("line 3", "offset 12"),
    ),
    # --- .xlsx: formulas, merged cells, error cells -------------------------------------------
    Case(
        "xlsx_formula_no_cached_value",
        xlsx_file(two_rows(员工人数="=1+1")),
        quarantined={3: "员工人数"},
        reason="holds a formula but the file stores no result",
    ),
    Case(
        # 所有制 (column D) merged over rows 2–4: rows 3 and 4 read as empty.
        "xlsx_merged_ownership",
        xlsx_file([row(), row(企业编号="A002"), row(企业编号="A003")], merges=("D2:D4",)),
        quarantined={3: "所有制", 4: "所有制"},
        reason="merged range D2:D4",
    ),
    Case(
        "xlsx_merged_ownership_filled",
        xlsx_file([row(), row(企业编号="A002", 所有制="国有"), row(企业编号="A003")], ("D2:D4",)),
        accepted={(3, "ownership"): "民营", (4, "ownership"): "民营"},
        options=FILL,
    ),
    Case(
        "xlsx_ref_in_chain",
        xlsx_file(two_rows(所属产业链="#REF!")),
        quarantined={3: "所属产业链"},
        reason=f"{ERR} #REF!",
    ),
    Case(
        "xlsx_na_in_likert",
        xlsx_file(two_rows(组织覆盖1="#N/A")),
        quarantined={3: "组织覆盖1"},
        reason=f"{ERR} #N/A",
    ),
    Case("xlsx_likert_float", xlsx_file(two_rows(组织覆盖1=4.0)), accepted={(3, "coverage_1"): 4}),
    # --- files that cannot be used at all (foundation list) -----------------------------------
    Case("empty_file", raw_file("e.csv", b""), stop=("the file is empty",)),
    Case(
        "header_only", raw_file("h.csv", ",".join(HEADER).encode()), stop=("header but no answers",)
    ),
    Case(
        "duplicated_header",
        raw_file(
            "d.csv", (",".join([*HEADER, "所有制"]) + "\n" + ",".join([*row(), "x"])).encode()
        ),
        stop=("duplicated headers", "所有制"),
    ),
    Case(
        "mapped_header_missing",
        raw_file("n.csv", "企业编号,所属产业链\nA001,集成电路\n".encode()),
        stop=("not in the file", "员工人数"),
    ),
    Case("old_xls", raw_file("s.xls", b"\xd0\xcf\x11\xe0"), stop=("unsupported file type", ".xls")),
    # --- personal data typed into any cell: masked wherever it lands ----------------------------
    Case(
        "pii_in_ownership",
        csv_file(two_rows(所有制=PII_CATEGORY)),
        quarantined={3: "所有制"},
        reason="not an allowed category",
        shown="民营（法人[姓名] [身份证号]）",
        absent=("张伟", "11010519850612001X"),
    ),
    Case(
        "pii_in_likert",
        csv_file(two_rows(组织覆盖1="4（联系人李娜 13812345678）")),
        quarantined={3: "组织覆盖1"},
        reason="not a valid scale answer",
        shown="4（联系人[姓名] [手机号]）",
        absent=("李娜", "13812345678"),
    ),
    Case(
        "pii_in_rd_number",
        csv_file(two_rows(研发强度="王经理说3%")),
        quarantined={3: "研发强度"},
        reason="not a number",
        shown="[姓名]经理说3%",
        absent=("王经理",),
    ),
    Case(
        # The chain is the cluster: a masked chain name would still be a cluster of its own,
        # so the row is quarantined and the reject shows the masked value.
        "pii_in_chain",
        csv_file(two_rows(所属产业链="新能源（联系人张伟 13812345678）")),
        quarantined={3: "所属产业链"},
        reason="holds personal data",
        shown="新能源（联系人[姓名] [手机号]）",
        absent=("张伟", "13812345678"),
    ),
    Case(
        "xlsx_pii_in_ownership",
        xlsx_file(two_rows(所有制=PII_CATEGORY)),
        quarantined={3: "所有制"},
        reason="not an allowed category",
        shown="民营（法人[姓名] [身份证号]）",
        absent=("张伟", "11010519850612001X"),
    ),
    Case(
        "phone_chinese_numerals",
        csv_file(two_rows(遇到的困难="请联系一三八一二三四五六七八")),
        accepted={(3, "difficulty_text"): "请联系[手机号]"},
        absent=("一三八一二三四五六七八",),
    ),
    Case(
        "phone_mixed_numerals",
        csv_file(two_rows(遇到的困难="电话138一二三四5678")),
        accepted={(3, "difficulty_text"): "电话[手机号]"},
        absent=("138一二三四5678",),
    ),
    Case(
        "phone_plus86_spaces",
        csv_file(two_rows(遇到的困难="电话+86 138 1234 5678")),
        accepted={(3, "difficulty_text"): "电话[手机号]"},
        absent=("1234 5678",),
    ),
    Case(
        "id15_in_open_answer",
        csv_file(two_rows(遇到的困难="负责人身份证110105850612001")),
        accepted={(3, "difficulty_text"): "负责人身份证[身份证号]"},
        absent=("110105850612001",),
    ),
    Case(
        "id18_lowercase_x",
        csv_file(two_rows(遇到的困难="身份证11010519850612001x")),
        accepted={(3, "difficulty_text"): "身份证[身份证号]"},
        absent=("11010519850612001x",),
    ),
    Case(
        "wechat_in_open_answer",
        csv_file(two_rows(遇到的困难="加微信 zhangwei_2025 详谈")),
        accepted={(3, "difficulty_text"): "加微信 [微信号] 详谈"},
        absent=("zhangwei_2025",),
    ),
    Case(
        "qq_in_open_answer",
        csv_file(two_rows(遇到的困难="QQ 123456789")),
        accepted={(3, "difficulty_text"): "QQ [QQ号]"},
        absent=("123456789",),
    ),
    Case(
        "email_in_open_answer",
        csv_file(two_rows(遇到的困难="发邮件 zw@example.com")),
        accepted={(3, "difficulty_text"): "发邮件 [邮箱]"},
        absent=("zw@example.com",),
    ),
    Case(
        # The firm's own name (企业名称 column of the same file) is masked in any field.
        "own_firm_name_in_open_answer",
        csv_file(two_rows(遇到的困难="宿迁甲公司人员流动大")),
        accepted={(3, "difficulty_text"): "[企业名称]人员流动大"},
        absent=("宿迁甲公司",),
    ),
    # --- SPSS .sav and Stata .dta (columns v0…v11, matched by their labels) --------------------
    Case(
        "sav_likert_out_of_range",
        stat_file(".sav", 组织覆盖1=7),
        quarantined={2: "v7"},
        reason="outside the valid range",
        shown="7",
    ),
    Case(
        "sav_pii_in_open_answer",
        stat_file(".sav", 遇到的困难="联系人张伟 13812345678"),
        accepted={(2, "difficulty_text"): "联系人[姓名] [手机号]", (2, "coverage_1"): 4},
        absent=("张伟", "13812345678"),
    ),
    Case(
        "sav_pii_in_ownership",
        stat_file(".sav", 所有制=PII_CATEGORY),
        quarantined={2: "v3"},
        reason="not an allowed category",
        shown="民营（法人[姓名] [身份证号]）",
        absent=("张伟", "11010519850612001X"),
    ),
    Case(
        "dta_likert_out_of_range",
        stat_file(".dta", 组织覆盖1=7),
        quarantined={2: "v7"},
        reason="outside the valid range",
        shown="7",
    ),
    Case(
        "dta_pii_in_open_answer",
        stat_file(".dta", 遇到的困难="联系人张伟 13812345678"),
        accepted={(2, "difficulty_text"): "联系人[姓名] [手机号]", (2, "employees"): 120},
        absent=("张伟", "13812345678"),
    ),
    Case(
        "dta_pii_in_ownership",
        stat_file(".dta", 所有制=PII_CATEGORY),
        quarantined={2: "v3"},
        reason="not an allowed category",
        shown="民营（法人[姓名] [身份证号]）",
        absent=("张伟", "11010519850612001X"),
    ),
    # --- headers matched after normalisation (traditional → simplified, NFKC) ------------------
    Case(
        # The same Big5 file as csv_big5_traditional, now with the simplified column map.
        "csv_big5_simplified_map",
        big5_csv(),
        accepted={(3, "chain"): "集成电路", (3, "ownership"): "民营"},
    ),
    Case(
        "header_fullwidth_digit",
        raw_file(
            "w.csv",
            "\n".join(
                [",".join(HEADER).replace("组织覆盖1", "组织覆盖１ ")]
                + [",".join(r) for r in two_rows(组织覆盖1="5")]
            ).encode(),
        ),
        accepted={(3, "coverage_1"): 5},
    ),
    Case(
        # 所屬產業鏈 and 所属产业链 are one header once simplified: which variable is meant?
        "header_matches_two_keys",
        csv_file(two_rows()),
        stop=("所属产业链", "所屬產業鏈", "chain", "ownership", "one header"),
        column_map={
            **{k: v for k, v in COLUMN_MAP.items() if k != "所有制"},
            "所屬產業鏈": "ownership",
        },
    ),
    Case(
        # Neither header is the key 研發強度 as written, and both are 研发强度 once simplified.
        "header_two_headers_one_key",
        raw_file(
            "t.csv",
            "\n".join(
                [",".join([*HEADER, "研發强度"])] + [",".join([*r, "1%"]) for r in two_rows()]
            ).encode(),
        ),
        stop=("研發強度", "「研发强度」", "研發强度", "several headers"),
        column_map={
            **{k: v for k, v in COLUMN_MAP.items() if k != "研发强度"},
            "研發強度": "rd_intensity",
        },
    ),
    # --- policy texts -------------------------------------------------------------------------
    Case(
        "policy_big5",
        policy_folder(BIG5_POLICY.encode("big5")),
        accepted={(0, "text"): "关于推进产业链党建工作的实施意见"},
        policy=True,
    ),
    Case(
        "policy_utf16le_no_bom",
        policy_folder("关于加强产业链党建的通知\n".encode("utf-16-le")),
        accepted={(0, "text"): "关于加强产业链党建的通知"},
        policy=True,
    ),
    Case(
        "policy_gbk",
        policy_folder("关于加强产业链党建的通知\n".encode("gbk")),
        accepted={(0, "text"): "关于加强产业链党建的通知"},
        policy=True,
    ),
    Case(
        "policy_utf16be_no_bom",
        policy_folder("关于加强产业链党建的通知\n".encode("utf-16-be")),
        accepted={(0, "text"): "关于加强产业链党建的通知"},
        policy=True,
    ),
    Case(
        "policy_zero_bytes",
        policy_folder(b""),
        stop=("0 字节", "0 bytes", "p1.txt"),
        policy=True,
    ),
    Case(
        "policy_whitespace_only",
        policy_folder("\n\u3000 \n".encode()),
        stop=("没有文字", "has no text", "p1.txt"),
        policy=True,
    ),
    Case(
        # A .pdf beside the texts is not read, but named in the log with what to do.
        "policy_pdf_in_folder",
        policy_folder("关于加强产业链党建的通知\n".encode(), extra={"scan.pdf": b"%PDF-1.4\n"}),
        accepted={(0, "text"): "关于加强产业链党建的通知"},
        logged=("未读取 not read", "scan.pdf", ".pdf files are not read"),
        policy=True,
    ),
    Case(
        "manifest_title_phone",
        policy_folder("通知正文\n".encode(), title="实施意见（联系人张伟 13812345678）"),
        accepted={(0, "title"): "实施意见（联系人[姓名] [手机号]）"},
        absent=("张伟", "13812345678"),
        policy=True,
    ),
    Case(
        "manifest_issuer_phone",
        policy_folder("通知正文\n".encode(), issuer="市委组织部王经理 139-1234-5678"),
        accepted={(0, "issuer"): "市委组织部[姓名]经理 [手机号]"},
        absent=("王经理", "139-1234-5678"),
        policy=True,
    ),
    Case(
        "policy_pii_in_text",
        policy_folder("联系人张伟，电话一三八一二三四五六七八\n".encode()),
        accepted={(0, "text"): "联系人[姓名]，电话[手机号]"},
        absent=("张伟", "一三八一二三四五六七八"),
        policy=True,
    ),
    Case(
        # Documented rule (chainpb.ingest.privacy): leaders' names follow no contact cue
        # (总书记 is not a cue) and are kept.
        "policy_leader_name_kept",
        policy_folder("习近平总书记强调产业链党建\n".encode()),
        accepted={(0, "text"): "习近平总书记强调产业链党建"},
        policy=True,
    ),
    Case(
        "policy_mixed",
        policy_folder("第一段\n".encode() + "第二段\n".encode("gbk")),
        stop=("mixes two encodings", "first at line 2", "p1.txt"),
        policy=True,
    ),
]


def cells(*tables: Any) -> list[str]:
    """Every cell of the output tables as text (column names included)."""
    out: list[str] = []
    for table in tables:
        out.extend(str(c) for c in table.columns)
        for column in table.columns:
            out.extend(str(v) for v in table[column].tolist())
    return out


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = case.build(tmp_path)
    caplog.set_level("INFO", logger="chainpb")
    if case.policy:

        def run() -> Any:
            return read_policy_folder(path, "sq", "宿迁")
    else:

        def run() -> Any:
            return ingest_city_survey(path, "sq", "宿迁", case.column_map, case.options, KEY)

    if case.stop:
        with pytest.raises(ChainpbError) as info:
            run()
        message = str(info.value)
        for word in case.stop:
            assert word in message
        # Bilingual: the Chinese line comes first.
        assert re.search(r"[\u4e00-\u9fff]", message.splitlines()[0])
        return
    result = run()
    for word in case.logged:
        assert word in caplog.text
    tables = (result,) if case.policy else (result.accepted, result.rejects)
    for secret in case.absent:
        assert not [c for c in cells(*tables) if secret in c], secret
    if case.policy:
        for (i, variable), expected in case.accepted.items():
            assert str(result[variable].iloc[i]).startswith(expected)
        return
    rejects = result.rejects
    for raw_row, column in case.quarantined.items():
        hits = rejects[(rejects["raw_row"] == raw_row) & (rejects["column"] == column)]
        assert len(hits) >= 1, rejects[["raw_row", "column", "reason_en"]]
        assert any(case.reason in r for r in hits["reason_en"])
        if case.shown is not None:
            assert list(hits["value"]) == [case.shown] * len(hits)
        assert all(r.strip() for r in hits["reason_zh"])
        assert raw_row not in set(result.accepted["raw_row"])
    # Whatever was quarantined, the balance holds and no error literal became data.
    assert result.n_raw == result.n_accepted + result.n_rejected
    for column in ("chain", "chain_id", "ownership", "difficulty_text"):
        assert not result.accepted[column].astype(str).str.contains("#").any()
    for (raw_row, variable), expected in case.accepted.items():
        match = result.accepted[result.accepted["raw_row"] == raw_row]
        assert len(match) == 1, result.rejects[["raw_row", "column", "reason_en"]]
        assert match[variable].iloc[0] == expected


def test_readme_lists_every_case() -> None:
    readme = (Path(__file__).parent / "bad_inputs" / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([a-z0-9_]+)` \|", readme, flags=re.MULTILINE))
    assert listed == {c.id for c in CASES}


def test_case_ids_are_unique() -> None:
    assert len({c.id for c in CASES}) == len(CASES)


def test_fill_down_is_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    build = xlsx_file([row(), row(企业编号="A002"), row(企业编号="A003")], ("D2:D4",))
    with caplog.at_level("INFO", logger="chainpb"):
        ingest_city_survey(build(tmp_path), "sq", "宿迁", COLUMN_MAP, FILL, KEY)
    assert "merged cells filled down: 「所有制」D2:D4 → 第 rows 3、4 行" in caplog.text

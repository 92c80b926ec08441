"""Column mapping, row validation, rejects, privacy and counts of one city's survey
(chainpb.ingest.validate, chainpb.ingest.survey)."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from chainpb.errors import ConfigError, InputError
from chainpb.ingest.options import IngestOptions
from chainpb.ingest.spec import REDACTED, REJECT_COLUMNS, SURVEY_COLUMNS
from chainpb.ingest.survey import (
    ingest_city_survey,
    pool_tables,
    survey_file_is_example,
    write_survey_ingest,
)

KEY = b"test-key"
# reject_all: this file's fixture checks that every copy of a shared id is quarantined (the
# default keep_first and the other policies are tested in test_ingest_duplicates.py).
OPTIONS = IngestOptions(survey_year=2025, duplicates="reject_all")

COLUMN_MAP = {
    "1. 企业编号": "enterprise_id",
    "2. 企业名称": "enterprise_name",
    "3. 填写人手机": "respondent_phone",
    "4. 所属产业链": "chain",
    "5. 所有制": "ownership",
    "6. 员工人数": "employees",
    "7. 成立年份": "founded_year",
    "8. 是否联盟成员": "alliance_member",
    "9. 组织覆盖1": "coverage_1",
    "10. 组织覆盖4": "coverage_4",
    "11. 研发强度": "rd_intensity",
    "12. 遇到的困难": "difficulty_text",
}
HEADER = [*COLUMN_MAP, "13. 提交时间"]

# One row per case; the comment says what the validator must do with it.
ROWS = [
    # row 2: valid; coverage_4 "非常同意" (5) is reverse-coded to 1
    [
        "A001",
        "宿迁甲公司",
        "13912345678",
        "集成电路",
        "民营",
        "1,200",
        "2008",
        "是",
        "5",
        "非常同意",
        "12.5%",
        "人员流动大，联系13800001111",
        "2025-03-01",
    ],
    # row 3: valid with skipped answers; coverage_4 = 2 → 4
    [
        "A002",
        "宿迁乙公司",
        "",
        "新能源",
        "国有",
        "35 人",
        "(跳过)",
        "否",
        "(跳过)",
        "2",
        "",
        "无",
        "2025-03-01",
    ],
    # row 4: three problems in one row → three records, one rejected row
    [
        "A003",
        "宿迁丙公司",
        "13900002222",
        "集成电路",
        "私营",
        "12.5",
        "2030",
        "是",
        "4",
        "3",
        "5%",
        "",
        "2025-03-02",
    ],
    # row 5: Likert number contradicts its label, binary not yes/no
    [
        "A004",
        "宿迁丁公司",
        "",
        "集成电路",
        "外资",
        "10",
        "2001",
        "2",
        "1 非常同意",
        "3",
        "1",
        "",
        "2025-03-02",
    ],
    # rows 6 and 8 share an id with row 7 → all three rejected, each naming the other two
    [
        "B100",
        "宿迁戊公司",
        "",
        "新能源",
        "民营",
        "20",
        "2015",
        "否",
        "3",
        "3",
        "2",
        "",
        "2025-03-03",
    ],
    [
        "B100",
        "宿迁戊公司",
        "13911113333",
        "新能源",
        "民营",
        "20",
        "2015",
        "否",
        "3",
        "3",
        "2",
        "",
        "2025-03-03",
    ],
    [
        "B100",
        "宿迁戊公司",
        "",
        "新能源",
        "民营",
        "21",
        "2015",
        "否",
        "3",
        "3",
        "2",
        "",
        "2025-03-04",
    ],
    # row 9: enterprise id missing; row 10: chain missing (both required)
    ["", "宿迁己公司", "", "集成电路", "民营", "5", "2020", "否", "3", "3", "1", "", "2025-03-04"],
    [
        "A010",
        "宿迁庚公司",
        "",
        "(跳过)",
        "民营",
        "5",
        "2020",
        "否",
        "3",
        "3",
        "1",
        "",
        "2025-03-05",
    ],
    # row 11: number not readable, percentage out of range
    [
        "A011",
        "宿迁辛公司",
        "",
        "新能源",
        "混合所有制",
        "约50",
        "2019",
        "否",
        "3",
        "3",
        "120%",
        "",
        "2025-03-05",
    ],
]


def write_csv_fixture(
    path: Path, rows: list[list[str]] = ROWS, header: list[str] = HEADER, encoding: str = "gbk"
) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def result(tmp_path: Path):
    path = write_csv_fixture(tmp_path / "survey.csv")
    return ingest_city_survey(
        path, "suqian", "宿迁市", COLUMN_MAP, OPTIONS, KEY, display_path="suqian/survey.csv"
    )


def rejects_of(result, raw_row: int) -> pd.DataFrame:
    return result.rejects[result.rejects["raw_row"] == raw_row]


def test_counts_balance(result) -> None:
    # 10 raw rows: rows 2 and 3 accepted, rows 4–11 rejected (8 rows).
    assert (result.n_raw, result.n_accepted, result.n_rejected) == (10, 2, 8)
    assert result.n_raw == result.n_accepted + result.n_rejected
    assert "原始 raw 10 = 接受 accepted 2 + 拒绝 rejected 8" in result.summary()
    assert any("13. 提交时间" in line for line in result.log_lines())  # unmapped column listed
    assert result.dropped_headers == ("13. 提交时间",)


def test_accepted_table(result) -> None:
    table = result.accepted
    assert list(table.columns) == list(SURVEY_COLUMNS)
    assert table["raw_row"].tolist() == [2, 3]
    # printf 'suqian:A001' | openssl dgst -sha256 -hmac 'test-key' → ca664f74b3509c4d… (first 16)
    assert table.loc[0, "enterprise_id"] == "ca664f74b3509c4d"
    assert table["chain_id"].tolist() == ["suqian|集成电路", "suqian|新能源"]
    assert table["employees"].tolist() == [1200, 35]
    assert table.loc[0, "rd_intensity"] == 12.5 and pd.isna(table.loc[1, "rd_intensity"])
    assert table["alliance_member"].tolist() == [1, 0]
    # Reverse item coverage_4: 6 - 5 = 1 and 6 - 2 = 4; coverage_1 is not reversed.
    assert table["coverage_4"].tolist() == [1, 4]
    assert table.loc[0, "coverage_1"] == 5 and pd.isna(table.loc[1, "coverage_1"])
    assert pd.isna(table.loc[1, "founded_year"])
    # Open answers normalised and masked; unmapped variables exist and are missing.
    assert table.loc[0, "difficulty_text"] == "人员流动大，联系[手机号]"
    assert table["patents"].isna().all() and table["resilience"].isna().all()
    assert str(table["coverage_4"].dtype) == "Int64" and table["rd_intensity"].dtype == "float64"


def test_pii_removed_everywhere(result) -> None:
    table = result.accepted
    for column in ("enterprise_name", "respondent_phone"):
        assert column not in table.columns
    everything = table.astype(str).to_csv() + result.rejects.to_csv()
    for secret in (
        "宿迁甲公司",
        "宿迁戊公司",
        "13912345678",
        "13911113333",
        "13800001111",
        "A001",
        "B100",
    ):
        assert secret not in everything


def test_row_with_several_problems(result) -> None:
    found = rejects_of(result, 4)
    # One record per problem cell, in file column order.
    assert found["variable"].tolist() == ["ownership", "employees", "founded_year"]
    assert found["column"].tolist() == ["5. 所有制", "6. 员工人数", "7. 成立年份"]
    assert found["value"].tolist() == ["私营", "12.5", "2030"]
    assert found["file"].unique().tolist() == ["suqian/survey.csv"]
    assert found["city_key"].unique().tolist() == ["suqian"]


@pytest.mark.parametrize(
    ("raw_row", "variable", "fragment"),
    [
        (5, "alliance_member", "not a valid yes/no answer"),
        (5, "coverage_1", "contradicts"),
        (9, "enterprise_id", "required value enterprise id is missing"),
        (10, "chain", "required value industrial chain is missing"),
        (11, "employees", "not a number"),
        (11, "rd_intensity", "outside the valid range"),
    ],
)
def test_reject_reasons(result, raw_row: int, variable: str, fragment: str) -> None:
    found = rejects_of(result, raw_row)
    reasons = found.loc[found["variable"] == variable, "reason_en"].tolist()
    assert len(reasons) == 1 and fragment in reasons[0]
    assert found.loc[found["variable"] == variable, "reason_zh"].iloc[0]


def test_duplicate_ids_reject_all_rows(result) -> None:
    for raw_row, others in ((6, "7, 8"), (7, "6, 8"), (8, "6, 7")):
        found = rejects_of(result, raw_row)
        assert found["variable"].tolist() == ["enterprise_id"]
        assert f"same as row(s) {others}" in found["reason_en"].iloc[0]
        assert found["value"].iloc[0] == REDACTED


def test_rejects_columns_and_file(result, tmp_path: Path) -> None:
    assert list(result.rejects.columns) == list(REJECT_COLUMNS)
    write_survey_ingest(
        result, tmp_path / "out" / "survey.parquet", tmp_path / "out" / "rejects.csv"
    )
    data = (tmp_path / "out" / "rejects.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel/WPS
    assert pd.read_parquet(tmp_path / "out" / "survey.parquet")["raw_row"].tolist() == [2, 3]


def test_outputs_are_byte_identical(tmp_path: Path) -> None:
    path = write_csv_fixture(tmp_path / "survey.csv")
    blobs = []
    for run in ("a", "b"):
        res = ingest_city_survey(path, "suqian", "宿迁市", COLUMN_MAP, OPTIONS, KEY)
        write_survey_ingest(res, tmp_path / run / "survey.parquet", tmp_path / run / "rejects.csv")
        blobs.append(
            (
                (tmp_path / run / "survey.parquet").read_bytes(),
                (tmp_path / run / "rejects.csv").read_bytes(),
            )
        )
    assert blobs[0] == blobs[1]


def test_key_changes_hash(tmp_path: Path) -> None:
    path = write_csv_fixture(tmp_path / "survey.csv")
    other = ingest_city_survey(path, "suqian", "宿迁市", COLUMN_MAP, OPTIONS, b"other-key")
    # printf 'suqian:A001' | openssl dgst -sha256 -hmac 'other-key' → e1b11650ca86157a…
    assert other.accepted.loc[0, "enterprise_id"] == "e1b11650ca86157a"


def test_missing_mapped_header_suggests_closest(tmp_path: Path) -> None:
    # 问卷星 renumbered the questions: "6. 员工人数" became "7. 员工人数" etc.
    header = [*HEADER]
    header[5] = "7. 员工人数"
    header[6] = "8. 成立年份"
    path = write_csv_fixture(tmp_path / "survey.csv", header=header)
    with pytest.raises(InputError) as info:
        ingest_city_survey(path, "suqian", "宿迁市", COLUMN_MAP, OPTIONS, KEY)
    message = str(info.value)
    assert "survey.csv" in message
    assert "'6. 员工人数' (closest headers: '7. 员工人数'" in message
    assert "'7. 成立年份' (closest headers: '8. 成立年份'" in message
    assert "2 header(s)" in message


@pytest.mark.parametrize(
    ("column_map", "fragment"),
    [
        ({**COLUMN_MAP, "13. 提交时间": "submitted_at"}, "unknown variables: submitted_at"),
        ({**COLUMN_MAP, "13. 提交时间": "employees"}, "several headers to one variable"),
        ({k: v for k, v in COLUMN_MAP.items() if v != "chain"}, "must map chain"),
    ],
)
def test_column_map_config_errors(
    tmp_path: Path, column_map: dict[str, str], fragment: str
) -> None:
    path = write_csv_fixture(tmp_path / "survey.csv")
    with pytest.raises(ConfigError, match=fragment):
        ingest_city_survey(path, "suqian", "宿迁市", column_map, OPTIONS, KEY)


def test_xlsx_wjx_export_end_to_end(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(
        ["序号", "1. 企业编号", "2. 所属产业链", "3. 组织覆盖4", "4. 研发强度", "5. 员工人数"]
    )
    ws.append([1, 1001, "集成电路", "比较同意", 0.032, 88])
    ws.append([2, 1002, "集成電路", "(跳过)", 0.5, 120])
    ws["E2"].number_format = "0.0%"
    ws["E3"].number_format = "0%"
    path = tmp_path / "wjx.xlsx"
    wb.save(path)
    column_map = {
        "1. 企业编号": "enterprise_id",
        "2. 所属产业链": "chain",
        "3. 组织覆盖4": "coverage_4",
        "4. 研发强度": "rd_intensity",
        "5. 员工人数": "employees",
    }
    res = ingest_city_survey(path, "suqian", "宿迁市", column_map, OPTIONS, KEY)
    assert res.n_accepted == 2 and res.rejects.empty
    table = res.accepted
    assert table["rd_intensity"].tolist() == [3.2, 50.0]  # percent-formatted cells
    assert table["coverage_4"].iloc[0] == 2  # 比较同意 = 4, reversed 6 - 4
    assert table["chain_id"].tolist() == [
        "suqian|集成电路",
        "suqian|集成电路",
    ]  # traditional → simplified
    assert res.dropped_headers == ("序号",)


def test_sav_mapped_by_variable_label(tmp_path: Path) -> None:
    import pyreadstat

    frame = pd.DataFrame(
        {
            "q1": [1.0, 2.0, 3.0],
            "q2": [1.0, 2.0, 1.0],
            "q3": [5.0, 99.0, -3.0],
            "q4": [1.0, 1.0, 2.0],
        }
    )
    path = tmp_path / "wuxi.sav"
    pyreadstat.write_sav(
        frame,
        str(path),
        column_labels={"q1": "企业编号", "q2": "产业链", "q3": "组织覆盖1", "q4": "所有制"},
        variable_value_labels={
            "q2": {1: "物联网", 2: "生物医药"},
            "q3": {5: "5 非常同意", 99: "不适用"},
            "q4": {1: "民营", 2: "国企"},
        },
        missing_ranges={"q3": [99, -3]},
    )
    # Headers may name the SPSS variable (q1) or its label (产业链).
    column_map = {
        "q1": "enterprise_id",
        "产业链": "chain",
        "组织覆盖1": "coverage_1",
        "q4": "ownership",
    }
    res = ingest_city_survey(path, "wuxi", "无锡市", column_map, OPTIONS, KEY)
    # Case 3 has ownership label 国企, not an allowed category → rejected; 99 declared missing.
    assert (res.n_raw, res.n_accepted, res.n_rejected) == (3, 2, 1)
    assert res.rejects["raw_row"].tolist() == [3] and res.rejects["column"].tolist() == ["q4"]
    assert res.accepted["chain"].tolist() == ["物联网", "生物医药"]
    assert res.accepted["coverage_1"].iloc[0] == 5 and pd.isna(res.accepted["coverage_1"].iloc[1])


def test_pool_tables_sorted(tmp_path: Path) -> None:
    path = write_csv_fixture(tmp_path / "survey.csv")
    a = ingest_city_survey(path, "wuxi", "无锡市", COLUMN_MAP, OPTIONS, KEY).accepted
    b = ingest_city_survey(path, "suqian", "宿迁市", COLUMN_MAP, OPTIONS, KEY).accepted
    pooled = pool_tables([a, b])
    assert pooled["city_key"].tolist() == ["suqian", "suqian", "wuxi", "wuxi"]
    for _, group in pooled.groupby("city_key"):
        assert group["enterprise_id"].tolist() == sorted(group["enterprise_id"])
    assert pool_tables([b, a]).equals(pooled)


def test_survey_file_is_example(tmp_path: Path) -> None:
    root = tmp_path / "resources" / "example"
    assert survey_file_is_example(root / "suqian" / "survey.xlsx", root)
    assert not survey_file_is_example(tmp_path / "data" / "survey.xlsx", root)


def test_sav_numeric_scale_with_word_labels_keeps_codes(tmp_path: Path) -> None:
    import pyreadstat

    frame = pd.DataFrame(
        {
            "id": ["W1", "W2", "W3", "W4"],
            "chain": ["物联网"] * 4,
            "res": [2.0, 5.0, -3.0, 8.0],
            "growth": [-3.0, 12.5, -3.0, 1.0],
            "party": [1.0, 2.0, 1.0, 2.0],
            "emp_growth": [-3.0, 0.0, 1.0, 1.0],
        }
    )
    path = tmp_path / "wuxi.sav"
    pyreadstat.write_sav(
        frame,
        str(path),
        variable_value_labels={
            "res": {1: "很弱", 2: "较弱", 3: "一般", 4: "较强", 5: "很强", -3: "拒答", 8: "不知道"},
            "party": {1: "是", 2: "否"},
            "growth": {-3: "跳过"},
        },
    )
    column_map = {
        "id": "enterprise_id",
        "chain": "chain",
        "res": "resilience",
        "party": "has_party_org",
        "growth": "revenue_growth",
        "emp_growth": "employment_growth",
    }
    res = ingest_city_survey(path, "wuxi", "无锡市", column_map, OPTIONS, KEY)
    # 较弱 = code 2 and 很强 = code 5 stay numbers; -3 is labelled 拒答 (a skip marker) → missing;
    # 8 (不知道) is neither a marker nor in 1–5 → rejected. Yes/no uses the labels 是/否.
    assert res.accepted["resilience"].tolist()[:2] == [2, 5]
    assert pd.isna(res.accepted["resilience"].iloc[2])
    assert res.accepted["has_party_org"].tolist() == [1, 0, 1]
    # -3 % growth would be a valid answer, but -3 carries the word label 跳过 and is a configured
    # missing code, so it is a skipped question (SPSS did not declare it missing here); the
    # unlabelled -3 of employment_growth is inside −100…1000 and stays an answer.
    assert (
        pd.isna(res.accepted["revenue_growth"].iloc[0])
        and res.accepted["revenue_growth"].iloc[1] == 12.5
    )
    assert res.accepted["employment_growth"].iloc[0] == -3.0
    assert res.rejects["raw_row"].tolist() == [4]
    assert "8 is outside the valid range" in res.rejects["reason_en"].iloc[0]

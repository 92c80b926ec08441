"""Raw survey readers (chainpb.ingest.readers): one fixture per format, built in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from chainpb.errors import InputError
from chainpb.ingest.readers import read_survey_file, restates_code, sniff_delimiter

HEADER = ["1. 企业编号", "2. 企业名称", "3. 所属产业链", "4. 员工人数", "5. 研发强度"]
ROWS = [
    ["A001", "宿迁某科技有限公司", "集成电路", "1,200", "12.5%"],
    ["A002", "宿迁某新材料公司", "新能源", "１２", "(跳过)"],
]


def _csv_text(delimiter: str = ",") -> str:
    lines = [delimiter.join(HEADER)] + [
        delimiter.join(f'"{c}"' if "," in c else c for c in r) for r in ROWS
    ]
    return "\n".join(lines) + "\n"


def _write_xlsx(
    path: Path, sheets: dict[str, list[list[object]]], percent_cells: tuple[str, ...] = ()
) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        for ref in percent_cells:
            ws[ref].number_format = "0.0%"
    wb.save(path)


def test_xlsx_cells_as_the_user_sees_them(tmp_path: Path) -> None:
    path = tmp_path / "wjx.xlsx"
    rows: list[list[object]] = [
        ["  1. 企业编号 ", "2. 组织覆盖", "3. 研发强度", "4. 员工人数", "5. 成立年份"],
        ["A001", "非常同意", 0.125, 1200, 2008],
        [None, None, None, None, None],  # blank row 3: skipped, later rows keep their numbers
        ["A003", "(跳过)", 0.05, 35.0, "2010年"],
    ]
    _write_xlsx(path, {"问卷": rows}, percent_cells=("C2", "C4"))
    raw = read_survey_file(path)
    assert raw.kind == "xlsx"
    # Surrounding whitespace of headers is stripped, nothing else.
    assert raw.headers == [
        "1. 企业编号",
        "2. 组织覆盖",
        "3. 研发强度",
        "4. 员工人数",
        "5. 成立年份",
    ]
    # Header is row 1, first answer row 2; the blank row 3 is skipped but row 4 stays row 4.
    assert raw.raw_rows == (2, 4)
    first = raw.data.iloc[0].tolist()
    # 0.125 formatted "0.0%" shows as 12.5% in Excel; integral numbers print without ".0".
    assert first == ["A001", "非常同意", "12.5%", "1200", "2008"]
    assert raw.data.iloc[1].tolist() == ["A003", "(跳过)", "5%", "35", "2010年"]


def test_xlsx_sheet_by_index_and_name(tmp_path: Path) -> None:
    path = tmp_path / "two.xlsx"
    _write_xlsx(path, {"说明": [["说明"], ["本表为说明"]], "数据": [["企业编号"], ["A9"]]})
    assert read_survey_file(path, sheet=1).data.iloc[0, 0] == "A9"
    assert read_survey_file(path, sheet="数据").data.iloc[0, 0] == "A9"
    assert read_survey_file(path).data.iloc[0, 0] == "本表为说明"
    with pytest.raises(InputError, match="说明"):  # lists the sheets that exist
        read_survey_file(path, sheet="问卷")


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"), ("gb18030", "gb18030")],
)
def test_csv_encodings(tmp_path: Path, encoding: str, expected: str) -> None:
    path = tmp_path / "survey.csv"
    path.write_bytes(_csv_text().encode(encoding))
    raw = read_survey_file(path)
    assert raw.encoding == expected
    assert raw.headers == HEADER
    assert raw.raw_rows == (2, 3)
    # Cells stay text as written; quoted "1,200" keeps its thousands separator for the parser.
    assert raw.data.iloc[0].tolist() == ROWS[0]
    assert raw.data.iloc[1].tolist() == ["A002", "宿迁某新材料公司", "新能源", "１２", "(跳过)"]


def test_csv_gb18030_only_character(tmp_path: Path) -> None:
    # 𠀀 (U+20000) cannot be written in GBK, only in GB18030.
    path = tmp_path / "survey.csv"
    path.write_bytes("企业编号,企业名称\nA1,𠀀科技\n".encode("gb18030"))
    raw = read_survey_file(path)
    assert raw.encoding == "gb18030" and raw.data.iloc[0, 1] == "𠀀科技"


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_delimiters(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "survey.csv"
    path.write_text(_csv_text(delimiter), encoding="utf-8")
    raw = read_survey_file(path)
    assert raw.delimiter == delimiter
    assert raw.headers == HEADER and raw.data.iloc[0, 3] == "1,200"


def test_sniff_delimiter_prefers_most_fields() -> None:
    assert sniff_delimiter("a;b;c\n1,5;2;3\n") == ";"
    assert sniff_delimiter("only\n1\n") == ","


def test_csv_multiline_cell_counts_as_one_row(tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    path.write_text('企业编号,困难\nA1,"第一行\n第二行"\nA2,无\n', encoding="utf-8")
    raw = read_survey_file(path)
    # Excel shows the record with the line break as one row (2), so A2 is row 3.
    assert raw.raw_rows == (2, 3)
    assert raw.data.iloc[0, 1] == "第一行\n第二行"


def _write_sav(path: Path) -> None:
    import pyreadstat

    frame = pd.DataFrame(
        {
            "id": ["W001", "W002", "W003"],
            "own": [1.0, 2.0, -3.0],
            "cov1": [5.0, 99.0, 3.0],
            "party": [1.0, 2.0, 1.0],
            "emp": [120.0, float("nan"), 99.0],
        }
    )
    pyreadstat.write_sav(
        frame,
        str(path),
        column_labels={
            "id": "企业编号",
            "own": "所有制",
            "cov1": "组织覆盖1",
            "party": "是否有党组织",
            "emp": "员工人数",
        },
        variable_value_labels={
            "own": {1: "国有", 2: "民营", -3: "拒答"},
            "cov1": {1: "1 非常不同意", 5: "5 非常同意", 99: "不适用"},
            "party": {1: "是", 2: "否"},
        },
        missing_ranges={"cov1": [99], "own": [-3]},
    )


def test_sav_value_labels_and_user_missing(tmp_path: Path) -> None:
    path = tmp_path / "wuxi.sav"
    _write_sav(path)
    raw = read_survey_file(path)
    assert raw.kind == "sav"
    assert raw.headers == ["id", "own", "cov1", "party", "emp"]
    assert raw.column_labels["own"] == "所有制"
    assert raw.raw_rows == (1, 2, 3)  # case numbers
    # Category codes become labels; "5 非常同意" only restates 5, so the Likert code stays numeric;
    # the declared user-missing codes 99 (cov1) and -3 (own) come out missing; unlabelled 99
    # employees stays a number (it is a valid head count).
    assert raw.data["own"].tolist() == ["国有", "民营", None]
    assert raw.data["cov1"].tolist() == [5, None, 3]
    assert raw.data["party"].tolist() == ["是", "否", "是"]
    assert raw.data["emp"].tolist() == [120, None, 99]


def test_dta_value_labels_without_declared_missing(tmp_path: Path) -> None:
    import pyreadstat

    path = tmp_path / "survey.dta"
    frame = pd.DataFrame({"id": ["D1", "D2"], "own": [1.0, -3.0], "cov1": [4.0, 99.0]})
    pyreadstat.write_dta(frame, str(path), variable_value_labels={"own": {1: "国有", 2: "民营"}})
    raw = read_survey_file(path)
    assert raw.kind == "dta" and raw.raw_rows == (1, 2)
    # Stata has no user-missing declaration: -3 and 99 stay numbers here and are turned into
    # missing later by ingest.missing_codes (see test_ingest_values).
    assert raw.data["own"].tolist() == ["国有", -3]
    assert raw.data["cov1"].tolist() == [4, 99]


@pytest.mark.parametrize(
    ("label", "code", "expected"),
    [
        ("1 非常不同意", 1, True),
        ("5=非常同意", 5, True),
        ("3", 3.0, True),
        ("2、不同意", 2, True),
        ("国有", 1, False),
        ("2 非常同意", 5, False),
        ("10年以上", 1, False),
    ],
)
def test_restates_code(label: str, code: float, expected: bool) -> None:
    assert restates_code(label, code) is expected


def test_wrong_suffix(tmp_path: Path) -> None:
    path = tmp_path / "survey.xls"
    path.write_bytes(b"old excel")
    with pytest.raises(InputError) as info:
        read_survey_file(path)
    assert "survey.xls" in str(info.value) and ".xlsx" in str(info.value)


@pytest.mark.parametrize("content", [b"", b"\n\n  \n"])
def test_empty_csv(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match="empty"):
        read_survey_file(path)


def test_header_only(tmp_path: Path) -> None:
    path = tmp_path / "head.csv"
    path.write_text("企业编号,产业链\n", encoding="utf-8")
    with pytest.raises(InputError, match="no answers"):
        read_survey_file(path)


def test_empty_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    _write_xlsx(path, {"Sheet1": []})
    with pytest.raises(InputError, match="empty"):
        read_survey_file(path)


def test_corrupt_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_text("this is not a zip file", encoding="utf-8")
    with pytest.raises(InputError, match="cannot read"):
        read_survey_file(path)


def test_duplicated_headers(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    # Duplicates after stripping spaces count: Excel users do not see the trailing space.
    path.write_text("企业编号,产业链,产业链 \nA1,x,y\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_survey_file(path)
    assert "产业链" in str(info.value) and "columns 2, 3" in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        read_survey_file(tmp_path / "absent.csv")


# --- issue 10: cells the reader cannot vouch for are marked, never guessed --------------------


def test_short_csv_row_marks_every_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    # Row 3 has 2 of 4 fields (export cut off): columns c and d are missing, not empty.
    path.write_text("a,b,c,d\n1,2,3,4\n5,6\n7,8,,\n", encoding="utf-8")
    raw = read_survey_file(path)
    assert sorted(raw.cell_problems) == [(3, "c"), (3, "d")]
    problem = raw.cell_problems[(3, "c")]
    assert problem.kind == "short_row"
    assert "第 3 行只有 2 个字段，表头有 4 个" in problem.reason_zh
    assert "row 3 has 2 fields but the header has 4" in problem.reason_en
    # Row 4 has all 4 fields (two of them empty): nothing is marked.
    assert raw.data.iloc[2].tolist() == ["7", "8", None, None]


def test_trailing_empty_header_does_not_make_rows_short(tmp_path: Path) -> None:
    # Excel writes "a,b," when a formatted column has no header; rows "1,2" are complete.
    path = tmp_path / "trailing.csv"
    path.write_text("a,b,\n1,2\n", encoding="utf-8")
    assert read_survey_file(path).cell_problems == {}


def test_excel_error_literals_are_marked(tmp_path: Path) -> None:
    path = tmp_path / "errors.csv"
    path.write_text("a,b\n#REF!,x\n#n/a,#DIV/0!\n", encoding="utf-8")
    raw = read_survey_file(path)
    assert sorted(raw.cell_problems) == [(2, "a"), (3, "a"), (3, "b")]
    assert "#N/A" in raw.cell_problems[(3, "a")].reason_en
    assert "第 2 行「a」是 Excel 错误值 #REF!" in raw.cell_problems[(2, "a")].reason_zh


def test_xlsx_formula_without_result_and_merged_cells(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["id", "own", "n"])
    ws.append(["A1", "民营", 1])
    ws.append(["A2", None, "=C2+1"])  # openpyxl stores no cached result for a formula
    ws.append(["A3", None, 3])
    ws.append(["A4", "国有", 4])
    ws.merge_cells("B2:B4")
    ws.merge_cells("A1:A1")  # a one-cell "merge" loses nothing
    path = tmp_path / "merged.xlsx"
    wb.save(path)
    raw = read_survey_file(path)
    assert sorted(raw.cell_problems) == [(3, "n"), (3, "own"), (4, "own")]
    assert raw.cell_problems[(3, "n")].kind == "formula"
    assert "第 3 行「n」是公式" in raw.cell_problems[(3, "n")].reason_zh
    merged = raw.cell_problems[(4, "own")]
    assert (merged.kind, merged.fill, merged.merge) == ("merged", "民营", "B2:B4")
    # The merged rows read as empty; the reader does not fill them itself.
    assert raw.data["own"].tolist() == ["民营", None, None, "国有"]

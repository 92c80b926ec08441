"""Readers that turn one raw survey file into a :class:`RawSurvey`: headers exactly as the
researcher sees them, cells as text (or as the number a statistics package stored), and the row
number a researcher would look up in the raw file.

Supported: ``.xlsx`` (问卷星/Excel exports), ``.csv`` (any encoding of :mod:`.encoding`,
delimiter ``,`` ``;`` or tab), ``.sav`` (SPSS) and ``.dta`` (Stata).

Decisions worth knowing:

- Row numbers: spreadsheets and CSV count the header as row 1, so the first answer is row 2
  (a CSV record spanning several physical lines counts once, as in Excel). SPSS/Stata rows are
  case numbers starting at 1. Completely blank rows are skipped (not respondents) but do not
  shift the numbers of the rows after them.
- xlsx cells are rendered the way a user reads them: integers without ``.0``, cells formatted as
  percentages as ``"12.5%"``, dates as ISO ``YYYY-MM-DD``; text is stripped of surrounding space.
- SPSS/Stata value labels: a code whose label merely restates the code (``1 = "1 非常不同意"``,
  ``"1=非常不同意"``, ``"1"``) keeps its numeric code, so numeric Likert answers stay numeric;
  any other labelled code becomes its label (``1 = "国有"`` → ``"国有"``, ``-3 = "拒答"`` →
  ``"拒答"``) and is parsed like text answers later (categories, 是/否, missing markers).
  Unlabelled values stay numeric. SPSS user-missing values (declared missing codes/ranges) come
  out as missing. The stored codes are kept too (``RawSurvey.codes``): for numeric variables
  (Likert items, counts, percentages) the validator uses the code unless its label is a skip
  marker, so a scale labelled 1 = "很弱" … 5 = "很强" stays 1–5; for yes/no, categories and
  text it uses the label (1 = "是", 2 = "否").
- Headers of SPSS/Stata files are the variable names; their variable labels are kept in
  ``RawSurvey.column_labels`` so that a column map may name either.

Cells a reader cannot vouch for are not dropped or guessed: they are marked in
``RawSurvey.cell_problems`` (keyed by raw row and header, with a bilingual reason naming both),
and the validator quarantines the row if the column is used (:mod:`.validate`):

- a CSV row with fewer fields than the header (a truncated export, or a lost delimiter that
  shifted every later value): every missing column is marked;
- an Excel error literal (``#REF!``, ``#N/A``, ``#VALUE!``, ``#DIV/0!``, ``#NAME?``,
  ``#NULL!``, ``#NUM!``, and the newer ``#SPILL!``, ``#CALC!``, ``#GETTING_DATA``), in .xlsx
  or in a CSV saved from Excel: it is the failure of a formula, not an answer;
- an .xlsx formula with no stored result (written by a library, or saved without
  recalculation): openpyxl reads it as empty although the cell is not;
- rows 2..n of a cell merged downwards in .xlsx (one ownership typed once for three rows):
  they read as empty. The mark carries the merged value; the validator fills it down when
  ``ingest.fill_merged_cells`` is true and reports it in the log, else quarantines the rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from chainpb.errors import InputError, Location
from chainpb.ingest.encoding import read_text_auto

SUPPORTED_SUFFIXES = (".xlsx", ".csv", ".sav", ".dta")
_CSV_DELIMITERS = (",", ";", "\t")
_RESTATED_CODE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(?:[=:：.、)）\s-]|$)")
_COLUMN = "\x00column\x00"  # placeholder in reasons made before the header is known
#: What Excel (and WPS) shows in a cell whose formula failed; never an answer.
EXCEL_ERRORS: tuple[str, ...] = (
    "#REF!",
    "#N/A",
    "#VALUE!",
    "#DIV/0!",
    "#NAME?",
    "#NULL!",
    "#NUM!",
    "#SPILL!",
    "#CALC!",
    "#GETTING_DATA",
)


@dataclass(frozen=True)
class CellProblem:
    """Why a reader cannot vouch for one cell (see module docstring).

    ``kind`` is ``short_row``, ``excel_error``, ``formula`` or ``merged``; for ``merged``,
    ``fill`` is the value of the merge and ``merge`` its range (``"E2:E4"``).
    """

    kind: str
    reason_zh: str
    reason_en: str
    fill: Any = None
    merge: str | None = None


@dataclass(frozen=True)
class RawSurvey:
    """One raw survey file, before column mapping.

    ``data`` has one column per raw header (object dtype: ``str``, ``int``, ``float`` or
    ``None`` for an empty cell) and one row per non-blank raw row; ``raw_rows[i]`` is the row
    number of ``data.iloc[i]`` as the user sees it. ``codes`` (.sav/.dta only) has the same
    shape with the stored codes before value labels were applied.
    """

    path: Path
    kind: str
    data: pd.DataFrame
    raw_rows: tuple[int, ...]
    encoding: str | None = None
    delimiter: str | None = None
    column_labels: dict[str, str] = field(default_factory=dict)
    value_labels: dict[str, dict[Any, str]] = field(default_factory=dict)
    codes: pd.DataFrame | None = None
    cell_problems: dict[tuple[int, str], CellProblem] = field(default_factory=dict)

    @property
    def headers(self) -> list[str]:
        return [str(h) for h in self.data.columns]

    @property
    def n_rows(self) -> int:
        return len(self.raw_rows)


def read_survey_file(path: str | os.PathLike[str], sheet: int | str | None = None) -> RawSurvey:
    """Read one survey export (.xlsx, .csv, .sav, .dta); see the module docstring for the rules.

    ``sheet`` (index or name) applies to .xlsx only; ``None`` means the first sheet.
    Raises InputError for an unsupported suffix, an unreadable or empty file, or duplicated headers.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputError(
            Location(str(path)),
            f"不支持的文件类型「{path.suffix or '（无后缀）'}」；支持 .xlsx、.csv、.sav、.dta"
            "（旧版 .xls 请在 Excel/WPS 中另存为 .xlsx）。",
            f"unsupported file type '{path.suffix or '(no suffix)'}'; supported: .xlsx, .csv, "
            ".sav, .dta (save old .xls files as .xlsx in Excel/WPS).",
        )
    if not path.is_file():
        raise InputError(Location(str(path)), "文件不存在。", "the file does not exist.")
    if path.stat().st_size == 0:
        raise _empty(path)
    if suffix == ".xlsx":
        return _read_xlsx(path, sheet)
    if suffix == ".csv":
        return _read_csv(path)
    return _read_stat(path, suffix)


# --- shared -----------------------------------------------------------------------------------


def _empty(
    path: Path, detail_zh: str = "文件为空", detail_en: str = "the file is empty"
) -> InputError:
    return InputError(
        Location(str(path)),
        f"{detail_zh}：需要第 1 行为表头、其后每行一份答卷。",
        f"{detail_en}: expected a header row followed by one row per respondent.",
    )


def _unreadable(path: Path, err: Exception) -> InputError:
    return InputError(
        Location(str(path)),
        f"无法读取文件（文件损坏或格式与后缀不符）：{type(err).__name__}: {err}",
        f"cannot read the file (corrupt, or content does not match the suffix): "
        f"{type(err).__name__}: {err}",
    )


def _clean_cell(value: Any) -> Any:
    """Strip text; blank text and NaN become None; integral floats become int."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer() and abs(value) < 2**53:
            return int(value)
    return value


def _build(
    path: Path,
    kind: str,
    header_cells: list[Any],
    body: list[tuple[int, list[Any]]],
    marks: Sequence[tuple[int, int, CellProblem]] = (),
    short_rows: bool = False,
    **extra: Any,
) -> RawSurvey:
    """Assemble headers and rows; drop blank rows and blank unnamed columns; check headers.

    ``marks`` are reader problems by (row number, column index); ``short_rows`` marks the
    missing cells of rows with fewer fields than the header (CSV). Excel error literals are
    marked here for every format.
    """
    width = max([len(header_cells)] + [len(cells) for _, cells in body])
    header_cells = list(header_cells) + [None] * (width - len(header_cells))
    lengths = {n: len(cells) for n, cells in body}
    rows = [
        (n, [_clean_cell(c) for c in cells] + [None] * (width - len(cells))) for n, cells in body
    ]
    rows = [(n, cells) for n, cells in rows if any(c is not None for c in cells)]
    headers: list[str] = []
    keep: list[int] = []
    for j, head in enumerate(header_cells):
        cleaned = _clean_cell(head)
        text = "" if cleaned is None else str(cleaned)
        if not text:
            if not any(cells[j] is not None for _, cells in rows):
                continue  # an empty unnamed column, e.g. trailing formatting in Excel
            text = f"<无表头列 unnamed column {j + 1}>"
        headers.append(text)
        keep.append(j)
    if not headers:
        raise _empty(path)
    duplicated = sorted(h for h, k in Counter(headers).items() if k > 1)
    if duplicated:
        where = "；".join(
            f"「{h}」第 {', '.join(str(i + 1) for i, x in enumerate(headers) if x == h)} 列"
            for h in duplicated
        )
        where_en = "; ".join(
            f"'{h}' in columns {', '.join(str(i + 1) for i, x in enumerate(headers) if x == h)}"
            for h in duplicated
        )
        raise InputError(
            Location(str(path), row=1),
            f"表头重复：{where}。每个表头必须唯一，请重命名后重试。",
            f"duplicated headers: {where_en}. Every header must be unique; rename and retry.",
        )
    if not rows:
        raise _empty(path, "文件只有表头、没有答卷", "the file has a header but no answers")
    data = pd.DataFrame(
        [[cells[j] for j in keep] for _, cells in rows], columns=headers, dtype=object
    )
    header_at = dict(zip(keep, headers, strict=True))
    problems: dict[tuple[int, str], CellProblem] = {}
    present = {n for n, _ in rows}
    for n, j, problem in marks:
        if n in present and j in header_at:
            # Marks are made before headers are known; name the column now.
            problems[(n, header_at[j])] = replace(
                problem,
                reason_zh=problem.reason_zh.replace(_COLUMN, header_at[j]),
                reason_en=problem.reason_en.replace(_COLUMN, header_at[j]),
            )
    for n, cells in rows:
        for j, head in header_at.items():
            if isinstance(cells[j], str) and cells[j].upper() in EXCEL_ERRORS:
                problems[(n, head)] = _excel_error(n, head, cells[j].upper())
        if short_rows and lengths[n] < keep[-1] + 1:
            lost = [head for j, head in header_at.items() if j >= lengths[n]]
            for head in lost:
                problems[(n, head)] = _short_row(n, lengths[n], keep[-1] + 1, lost)
    return RawSurvey(
        path=path,
        kind=kind,
        data=data,
        raw_rows=tuple(n for n, _ in rows),
        cell_problems=problems,
        **extra,
    )


def _excel_error(row: int, header: str, literal: str) -> CellProblem:
    return CellProblem(
        "excel_error",
        f"第 {row} 行「{header}」是 Excel 错误值 {literal}（公式计算失败），不是答案；"
        "请在原表中修正公式或填入实际值。",
        f"row {row}, column '{header}' holds the Excel error {literal} (a failed formula), not "
        "an answer; fix the formula or type the value in the original sheet.",
    )


def _short_row(row: int, n_fields: int, n_header: int, lost: list[str]) -> CellProblem:
    shown = "、".join(f"「{h}」" for h in lost[:5]) + ("等" if len(lost) > 5 else "")
    shown_en = ", ".join(f"'{h}'" for h in lost[:5]) + (" etc." if len(lost) > 5 else "")
    return CellProblem(
        "short_row",
        f"第 {row} 行只有 {n_fields} 个字段，表头有 {n_header} 个：{shown} 共 {len(lost)} 列缺失"
        "（导出被截断，或少了分隔符使后面的值错位），整行不能使用；请重新导出。",
        f"row {row} has {n_fields} fields but the header has {n_header}: {len(lost)} column(s) "
        f"missing ({shown_en}) — a truncated export, or a lost delimiter that shifted later "
        "values; the row cannot be used. Export the file again.",
    )


# --- xlsx -------------------------------------------------------------------------------------


def _render_xlsx(value: Any, number_format: str | None) -> Any:
    """A cell as the user reads it in Excel (see module docstring)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float):
        if number_format and "%" in number_format:
            return f"{_plain_number(value * 100)}%"
        return _plain_number(value)
    return str(value)


def _plain_number(x: float | int) -> str:
    # 12 significant digits hide binary noise (0.125*100 = 12.500000000000002) without
    # rounding away anything a questionnaire records.
    if float(x).is_integer():
        return str(int(x))
    return f"{x:.12g}"


def _read_xlsx(path: Path, sheet: int | str | None) -> RawSurvey:
    from openpyxl import load_workbook

    # Not read-only: read-only sheets do not know their merged cells.
    try:
        wb = load_workbook(path, data_only=True)
    except Exception as err:
        raise _unreadable(path, err) from err
    try:
        name = _sheet_name(path, sheet, wb.sheetnames)
        ws = wb[name]
        grid: list[tuple[int, list[Any]]] = []
        # iter_rows from row 1 yields every row (gaps as empty rows), so counting gives the row
        # number Excel shows.
        for number, row in enumerate(ws.iter_rows(min_row=1, min_col=1), start=1):
            cells = [_render_xlsx(c.value, getattr(c, "number_format", None)) for c in row]
            if cells:
                grid.append((number, cells))
        merges = [
            (m.coord, m.min_row, m.max_row, m.min_col, ws.cell(m.min_row, m.min_col))
            for m in ws.merged_cells.ranges
            if m.max_row > m.min_row
        ]
        merges = [
            (coord, r0, r1, c0, _render_xlsx(top.value, top.number_format))
            for coord, r0, r1, c0, top in merges
        ]
    except InputError:
        raise
    except Exception as err:
        raise _unreadable(path, err) from err
    finally:
        wb.close()
    grid = [(n, cells) for n, cells in grid if any(_clean_cell(c) is not None for c in cells)]
    if not grid:
        raise _empty(path)
    header_row = grid[0][0]
    marks = _formula_marks(path, name, grid)
    for coord, r0, r1, c0, value in sorted(merges, key=lambda m: (m[1], m[3])):
        if r0 <= header_row or _clean_cell(value) is None:
            continue  # a merged header, or an empty merge: nothing is lost
        for n in range(r0 + 1, r1 + 1):
            marks.append((n, c0 - 1, _merged(n, coord, value)))
    # Blank rows above the header are skipped; rows keep the numbers Excel shows.
    return _build(path, "xlsx", grid[0][1], grid[1:], marks=marks)


def _sheet_name(path: Path, sheet: int | str | None, names: list[str]) -> str:
    if sheet is None:
        sheet = 0
    if isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise _bad_sheet(path, sheet, names)
        return names[sheet]
    if sheet not in names:
        raise _bad_sheet(path, sheet, names)
    return sheet


def _formula_marks(
    path: Path, sheet: str, grid: list[tuple[int, list[Any]]]
) -> list[tuple[int, int, CellProblem]]:
    """Cells holding a formula whose stored result is empty (see module docstring)."""
    from openpyxl import load_workbook

    empty = {(n, j) for n, cells in grid for j, c in enumerate(cells) if _clean_cell(c) is None}
    if not empty:
        return []
    try:
        wb = load_workbook(path, read_only=True, data_only=False)
    except Exception as err:
        raise _unreadable(path, err) from err
    marks: list[tuple[int, int, CellProblem]] = []
    try:
        for number, row in enumerate(wb[sheet].iter_rows(min_row=1), start=1):
            for j, cell in enumerate(row):
                value = cell.value
                # A formula is a str starting with "=" (openpyxl marks it data_type "f"), or an
                # ArrayFormula / DataTableFormula object.
                is_formula = (isinstance(value, str) and value.startswith("=")) or type(
                    value
                ).__name__ in ("ArrayFormula", "DataTableFormula")
                if is_formula and (number, j) in empty:
                    marks.append((number, j, _formula(number)))
    finally:
        wb.close()
    return marks


def _formula(row: int) -> CellProblem:
    return CellProblem(
        "formula",
        f"第 {row} 行「{_COLUMN}」是公式，但文件没有保存计算结果（由程序生成或未重新计算），值未知；"
        "请在 Excel/WPS 中打开、重新计算并保存，或把公式粘贴为数值。",
        f"row {row}, column '{_COLUMN}' holds a formula but the file stores no result (written by a "
        "program, or saved without recalculation), so its value is unknown; open the file in "
        "Excel/WPS, recalculate and save, or paste the formulas as values.",
    )


def _merged(row: int, coord: str, value: Any) -> CellProblem:
    return CellProblem(
        "merged",
        f"第 {row} 行「{_COLUMN}」属于合并单元格 {coord}，读出为空（值只存在合并区域的第一行）；"
        "请取消合并并向下填充，或在配置中设 ingest.fill_merged_cells: true。",
        f"row {row}, column '{_COLUMN}' belongs to the merged range {coord} and reads as empty (the value "
        "is stored in its first row only); unmerge and fill down, or set "
        "ingest.fill_merged_cells: true in the config.",
        fill=value,
        merge=coord,
    )


def _bad_sheet(path: Path, sheet: int | str, names: list[str]) -> InputError:
    listed = "、".join(f"{i}:{n}" for i, n in enumerate(names))
    return InputError(
        Location(str(path)),
        f"找不到工作表「{sheet}」；该文件的工作表为 {listed}（可用序号或名称）。",
        f"sheet '{sheet}' not found; the workbook has {listed} (index or name).",
    )


# --- csv --------------------------------------------------------------------------------------


def sniff_delimiter(text: str) -> str:
    """The delimiter among , ; tab that splits the header into the most fields (ties: comma)."""
    first = text.split("\n", 1)[0]
    best, best_n = ",", 1
    for delim in _CSV_DELIMITERS:
        fields = next(csv.reader([first], delimiter=delim), [])
        if len(fields) > best_n:
            best, best_n = delim, len(fields)
    return best


def _read_csv(path: Path) -> RawSurvey:
    text, encoding = read_text_auto(path)
    if not text.strip():
        raise _empty(path)
    delimiter = sniff_delimiter(text)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as err:
        raise _unreadable(path, err) from err
    numbered = [(i + 1, rec) for i, rec in enumerate(records)]
    numbered = [(n, rec) for n, rec in numbered if any(c.strip() for c in rec)]
    if not numbered:
        raise _empty(path)
    return _build(
        path,
        "csv",
        list(numbered[0][1]),
        numbered[1:],
        short_rows=True,
        encoding=encoding,
        delimiter=delimiter,
    )


# --- sav / dta --------------------------------------------------------------------------------


def restates_code(label: str, code: Any) -> bool:
    """True when a value label only repeats its numeric code (``"1 非常不同意"`` for 1)."""
    match = _RESTATED_CODE.match(str(label))
    if not match:
        return False
    try:
        return float(match.group(1)) == float(code)
    except (TypeError, ValueError):
        return False


def _apply_labels(value: Any, labels: dict[Any, str]) -> Any:
    value = _clean_cell(value)
    if value is None or not labels:
        return value
    label = labels.get(value)
    if label is None and isinstance(value, int):
        label = labels.get(float(value))
    if label is None or restates_code(label, value):
        return value
    return str(label).strip()


def _read_stat(path: Path, suffix: str) -> RawSurvey:
    import pyreadstat

    reader = pyreadstat.read_sav if suffix == ".sav" else pyreadstat.read_dta
    try:
        # user_missing=False: SPSS declared missing codes arrive as NaN.
        frame, meta = reader(str(path), apply_value_formats=False, user_missing=False)
    except Exception as err:
        raise _unreadable(path, err) from err
    labels_by_var: dict[str, dict[Any, str]] = dict(meta.variable_value_labels or {})
    columns = [str(c) for c in frame.columns]
    body = []
    for i, values in enumerate(frame.itertuples(index=False, name=None)):
        cells = [
            _apply_labels(v, labels_by_var.get(col, {}))
            for col, v in zip(columns, values, strict=True)
        ]
        body.append((i + 1, cells))
    column_labels = {
        str(k): str(v).strip()
        for k, v in (meta.column_names_to_labels or {}).items()
        if v is not None and str(v).strip()
    }
    raw = _build(
        path,
        suffix.lstrip("."),
        columns,
        body,
        column_labels=column_labels,
        value_labels={str(k): dict(v) for k, v in labels_by_var.items()},
    )
    # The stored codes of the same rows, for numeric variables whose labels are words
    # (resilience 1 = "很弱" … 5 = "很强"): see the module docstring.
    kept = frame.iloc[[n - 1 for n in raw.raw_rows]]
    codes = pd.DataFrame(
        [[_clean_cell(v) for v in row] for row in kept.itertuples(index=False, name=None)],
        columns=columns,
        dtype=object,
    )
    return replace(raw, codes=codes[raw.headers])

"""Tabular corpora: a .csv, .xlsx or .jsonl file with one document per row.

A scraped collection or a database export arrives as a spreadsheet or JSON Lines with the text
in one column and its title, issuer, date, source URL and a grouping (province, year, document
type) in others. A column map (``{text: 全文, title: 标题, issuer: 发文机关, date: 日期, url:
链接, group: 省份}``) says which is which, instead of a manifest; only ``text`` is required.

- .csv: any encoding of :mod:`chainpb.ingest.encoding` (UTF-8 with or without BOM, GB18030,
  Big5, UTF-16), delimiter ``,`` ``;`` or tab (as for surveys); cells may hold line breaks
  (quoted) and any length. Row numbers are the row numbers Excel shows (header = row 1).
- .xlsx: the first sheet or the one named; cells rendered as for surveys
  (:func:`chainpb.ingest.readers.read_survey_file`). Excel keeps at most 32,767 characters in a
  cell: a text of exactly that length was probably cut, and the log names its rows.
- .jsonl: one JSON object per line, in any of the same encodings; numbers and null are read as
  text ("2025", ""). ``row`` is the line number.

Rows whose text is empty are left out and named in the log (a blank row at the end of a sheet,
a scraped page that lost its text). A mapped column that is absent stops the run naming the file,
the column and the columns that are there.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from chainpb.errors import InputError, Location
from chainpb.ingest.encoding import read_text_auto
from chainpb.ingest.readers import sniff_delimiter

log = logging.getLogger(__name__)

TABLE_FIELDS = ("text", "title", "issuer", "date", "url", "group")
TABLE_SUFFIXES = (".csv", ".xlsx", ".jsonl")
EXCEL_CELL_LIMIT = 32767


def read_document_table(
    path: str | os.PathLike[str],
    columns: Mapping[str, str],
    sheet: int | str | None = None,
) -> pd.DataFrame:
    """One row per document: ``row`` (as the user sees it) and the fields of TABLE_FIELDS.

    ``columns`` maps a field of TABLE_FIELDS to the file's column (``text`` required); fields
    not mapped are "". Every field is a string; rows without text are left out (logged).
    """
    path = Path(path)
    unknown = sorted(set(columns) - set(TABLE_FIELDS))
    if "text" not in columns or unknown:
        raise InputError(
            Location(str(path)),
            f"列映射须包含 text，且只能包含 {', '.join(TABLE_FIELDS)}（多余：{', '.join(unknown) or '无'}）。",
            f"the column map needs 'text' and may only name {', '.join(TABLE_FIELDS)} "
            f"(unknown: {', '.join(unknown) or 'none'}).",
        )
    suffix = path.suffix.lower()
    if suffix == ".csv":
        header, records = _read_csv(path)
    elif suffix == ".xlsx":
        header, records = _read_xlsx(path, sheet)
    elif suffix == ".jsonl":
        header, records = _read_jsonl(path)
    else:
        raise InputError(
            Location(str(path)),
            f"不支持的文本表格类型「{path.suffix}」；支持 .csv、.xlsx、.jsonl。",
            f"unsupported document table type '{path.suffix}'; supported: .csv, .xlsx, .jsonl.",
        )
    lacking = [c for c in columns.values() if c not in header]
    if lacking:
        raise InputError(
            Location(str(path), column=lacking[0]),
            f"缺少列 {', '.join(lacking)}；现有列：{', '.join(header)}。",
            f"lacks column(s) {', '.join(lacking)}; it has: {', '.join(header)}.",
        )
    rows = []
    empty: list[str] = []
    for number, record in records:
        values = {f: _as_text(record.get(columns[f])) if f in columns else "" for f in TABLE_FIELDS}
        if not values["text"].strip():
            empty.append(str(number))
            continue
        rows.append({"row": number, **values})
    if empty:
        log.warning(
            "正文为空的行未读取 rows without text, not read: %s — 行 rows %s",
            path,
            ", ".join(empty),
        )
    table = pd.DataFrame(rows, columns=["row", *TABLE_FIELDS])
    table["row"] = table["row"].astype("int64")
    for field_name in TABLE_FIELDS:
        table[field_name] = table[field_name].astype("str")
    if suffix == ".xlsx":
        cut = table.loc[table["text"].str.len() == EXCEL_CELL_LIMIT, "row"].tolist()
        if cut:
            log.warning(
                "正文恰为 Excel 单元格上限 32767 字，可能被截断 text exactly at Excel's "
                "32,767-character cell limit, probably cut: %s — 行 rows %s",
                path,
                ", ".join(map(str, cut)),
            )
    return table


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        if value.is_integer():
            return str(int(value))
    return str(value)


def _read_csv(path: Path) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    text, _ = read_text_auto(path)
    if not text.strip():
        raise InputError(Location(str(path)), "文件为空。", "the file is empty.")
    # Whole reports in a cell exceed the csv module's default 128 KiB field limit.
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(text) + 1))
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
        header: list[str] | None = None
        records: list[tuple[int, dict[str, Any]]] = []
        # Row numbers as Excel shows them: records counted from 1 (header = 1), a record with
        # line breaks inside a quoted cell counting once.
        for number, record in enumerate(reader, start=1):
            if header is None:
                header = [h.strip() for h in record]
            elif any(c.strip() for c in record):
                records.append((number, dict(zip(header, record, strict=False))))
    except csv.Error as err:
        raise InputError(
            Location(str(path)), f"CSV 格式错误：{err}", f"malformed CSV: {err}"
        ) from err
    finally:
        csv.field_size_limit(limit)
    return header or [], records


def _read_xlsx(
    path: Path, sheet: int | str | None
) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    from chainpb.ingest.readers import read_survey_file

    raw = read_survey_file(path, sheet)
    records = [
        (int(number), dict(zip(raw.headers, values, strict=True)))
        for number, values in zip(raw.raw_rows, raw.data.itertuples(index=False), strict=True)
    ]
    return raw.headers, records


def _read_jsonl(path: Path) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    text, _ = read_text_auto(path)
    header: list[str] = []
    records: list[tuple[int, dict[str, Any]]] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise InputError(
                Location(str(path), row=number),
                f"不是有效的 JSON（第 {err.colno} 个字符）：{err.msg}",
                f"not valid JSON (character {err.colno}): {err.msg}",
            ) from err
        if not isinstance(record, dict):
            raise InputError(
                Location(str(path), row=number),
                "每行须是一个 JSON 对象 {…}。",
                "each line must be one JSON object {…}.",
            )
        for key in record:
            if key not in header:
                header.append(key)
        records.append((number, record))
    if not records:
        raise InputError(Location(str(path)), "文件为空。", "the file is empty.")
    return header, records

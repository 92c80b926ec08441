"""Column mapping and row validation of one city's survey.

A row with any invalid value is quarantined as a whole (one reject record per problem cell),
so that a half-valid answer never reaches the analysis. Missing values are allowed except for
``enterprise_id`` and ``chain``. Rows that share an enterprise id (after NFKC and case folding:
``a001``, ``A001`` and ``Ａ００１`` are one firm) — or, for a survey without an id column,
identical answers — are copies of one submission, handled by ``ingest.duplicates`` (keep the
first, keep the last, or reject all; :mod:`.duplicates`).

Also quarantined, so that no value is lost without a record:

- cells the reader marked (:class:`chainpb.ingest.readers.CellProblem`: short CSV rows, Excel
  error literals, formulas without a stored result, rows 2..n of a merged cell) in a mapped
  column; a short row whose missing fields are all unmapped is still quarantined (its later
  values may have shifted), recorded on the last mapped column before the gap. With
  ``ingest.fill_merged_cells`` the merged value is filled down instead and each filled range
  is logged;
- cross-field contradictions: an alliance type given while alliance_member is 0 (否).
"""

from __future__ import annotations

import difflib
import logging
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from chainpb.errors import ConfigError, InputError, Location
from chainpb.ingest.duplicates import (
    ID_VARIABLE,
    WHOLE_ROW_COLUMN,
    generated_id_sources,
    mark_duplicates,
)
from chainpb.ingest.options import IngestOptions
from chainpb.ingest.privacy import PiiMasker, mask_pii
from chainpb.ingest.readers import RawSurvey
from chainpb.ingest.spec import REDACTED, REJECT_COLUMNS, REQUIRED_VARIABLES, VARIABLES
from chainpb.ingest.values import is_missing_marker, parse_value
from chainpb.text.normalize import normalize_text

log = logging.getLogger(__name__)

#: Kinds whose SPSS/Stata stored code, not its value label, is the answer.
NUMERIC_CODE_KINDS = ("likert", "int", "float")


@dataclass(frozen=True)
class MappedSurvey:
    """Raw cells under canonical names: ``data[variable]``; ``header_of[variable]`` is the raw header."""

    raw: RawSurvey
    data: pd.DataFrame
    header_of: dict[str, str]
    dropped_headers: tuple[str, ...]


def header_key(header: object) -> str:
    """A header as compared with column_map keys: the answers' normalisation (traditional →
    simplified, half-width, spacing), then NFKC so that （） and () also agree; trimmed."""
    return unicodedata.normalize("NFKC", normalize_text(str(header))).strip()


def map_columns(raw: RawSurvey, column_map: Mapping[str, str]) -> MappedSurvey:
    """Rename raw headers to canonical variables; drop unmapped columns.

    A mapped header is matched exactly (after trimming spaces); for .sav/.dta files it may also
    be the variable label; failing both, it is matched after :func:`header_key` (traditional →
    simplified, NFKC, trimmed), so a Big5 export with traditional headers maps with the
    simplified column map. A key matching several headers that way, or two keys landing on one
    header, is a ConfigError naming them. Raises ConfigError for unknown or doubly-mapped
    variables and for a map without chain, and InputError listing every mapped
    header the file lacks with the closest existing headers (问卷星 renumbers questions when a
    survey is edited).
    """
    where = str(raw.path)
    unknown = sorted({str(v) for v in column_map.values()} - set(VARIABLES))
    if unknown:
        raise ConfigError(
            f"column_map（{where}）含未知的变量名：{', '.join(unknown)}；允许的变量见 docs/architecture.md。",
            f"column_map ({where}) names unknown variables: {', '.join(unknown)}; see docs/architecture.md.",
        )
    targets: dict[str, list[str]] = defaultdict(list)
    for header, variable in column_map.items():
        targets[str(variable)].append(str(header))
    doubled = {v: hs for v, hs in targets.items() if len(hs) > 1}
    if doubled:
        listed = "; ".join(f"{v} ← {', '.join(hs)}" for v, hs in sorted(doubled.items()))
        raise ConfigError(
            f"column_map（{where}）把多个表头映射到同一变量：{listed}",
            f"column_map ({where}) maps several headers to one variable: {listed}",
        )
    # Without an enterprise id the ids are generated from the answers (:mod:`.duplicates`).
    lacking = [v for v in REQUIRED_VARIABLES if v not in targets and v != ID_VARIABLE]
    if lacking:
        raise ConfigError(
            f"column_map（{where}）必须映射 {', '.join(lacking)}。",
            f"column_map ({where}) must map {', '.join(lacking)}.",
        )
    headers = raw.headers
    by_label = {label: name for name, label in raw.column_labels.items() if name in headers}
    # Second chance after the normalisation the answers get: a Big5 export from Taiwan/HK/Macao
    # has traditional headers (所屬產業鏈) while config.yaml names the simplified ones.
    by_norm: dict[str, list[str]] = defaultdict(list)
    for name in headers:
        by_norm[header_key(name)].append(name)
    for label, name in by_label.items():
        if name not in by_norm[header_key(label)]:
            by_norm[header_key(label)].append(name)
    resolved: dict[str, str] = {}
    key_of: dict[str, str] = {}  # variable → the column_map key that matched
    missing: list[str] = []
    for header, variable in column_map.items():
        key = str(header).strip()
        key_of[str(variable)] = key
        if key in headers:
            resolved[str(variable)] = key
        elif key in by_label:
            resolved[str(variable)] = by_label[key]
        elif len(by_norm.get(header_key(key), [])) == 1:
            resolved[str(variable)] = by_norm[header_key(key)][0]
        elif len(by_norm.get(header_key(key), [])) > 1:
            candidates = by_norm[header_key(key)]
            shown_zh = "、".join(f"「{c}」" for c in candidates)
            shown_en = ", ".join(repr(c) for c in candidates)
            raise ConfigError(
                f"column_map（{where}）的「{key}」在繁简转换和全/半角统一后与多个表头相同："
                f"{shown_zh}；请在 config.yaml 中写出要用的那个表头的原文。",
                f"column_map ({where}) key '{key}' matches several headers after "
                f"traditional→simplified and width folding: {shown_en}; write the exact header "
                "to use in config.yaml.",
            )
        else:
            missing.append(key)
    claimed: dict[str, list[str]] = defaultdict(list)
    for variable, name in resolved.items():
        claimed[name].append(variable)
    shared = {name: vs for name, vs in claimed.items() if len(vs) > 1}
    if shared:
        zh = "；".join(
            f"表头「{n}」同时匹配 " + "、".join(f"「{key_of[v]}」（{v}）" for v in vs)
            for n, vs in shared.items()
        )
        en = "; ".join(
            f"header '{n}' matches " + " and ".join(f"'{key_of[v]}' ({v})" for v in vs)
            for n, vs in shared.items()
        )
        raise ConfigError(
            f"column_map（{where}）有两个键在繁简转换和全/半角统一后指向同一表头：{zh}。"
            "请删去其中一个键。",
            f"two column_map ({where}) keys point at one header after traditional→simplified "
            f"and width folding: {en}. Remove one of the keys.",
        )
    if missing:
        lines_zh, lines_en = [], []
        for key in missing:
            close = difflib.get_close_matches(key, headers, n=3, cutoff=0.4)
            shown = "、".join(f"「{c}」" for c in close)
            lines_zh.append(
                f"「{key}」" + (f"（最接近的表头：{shown}）" if close else "（无相近表头）")
            )
            lines_en.append(
                f"'{key}'"
                + (
                    f" (closest headers: {', '.join(repr(c) for c in close)})"
                    if close
                    else " (no similar header)"
                )
            )
        raise InputError(
            Location(where, row=1),
            f"配置 column_map 中的 {len(missing)} 个表头在文件中不存在：{'；'.join(lines_zh)}。"
            "请核对问卷题号（问卷星修改问卷后题号可能变化）并更新 config.yaml。",
            f"{len(missing)} header(s) of column_map are not in the file: {'; '.join(lines_en)}. "
            "Check the question numbers (问卷星 renumbers questions when a survey is edited) and update config.yaml.",
        )
    used = set(resolved.values())
    dropped = tuple(h for h in headers if h not in used)
    ordered = [v for v in VARIABLES if v in resolved]
    data = pd.DataFrame({v: raw.data[resolved[v]].tolist() for v in ordered}, dtype=object)
    return MappedSurvey(
        raw=raw, data=data, header_of={v: resolved[v] for v in ordered}, dropped_headers=dropped
    )


def _short_rows_on_unmapped(
    mapped: MappedSurvey, problems: dict[int, list[tuple[str, Any, str, str]]]
) -> None:
    """Quarantine short rows whose missing fields are all unmapped (see module docstring)."""
    raw = mapped.raw
    position = {h: k for k, h in enumerate(raw.headers)}
    variable_at = sorted((position[h], v) for v, h in mapped.header_of.items())
    by_row: dict[int, list[tuple[int, Any]]] = defaultdict(list)
    for (row, header), mark in raw.cell_problems.items():
        if mark.kind == "short_row":
            by_row[row].append((position[header], mark))
    index_of = {row: i for i, row in enumerate(raw.raw_rows)}
    mapped_positions = {k for k, _ in variable_at}
    for row, lost in sorted(by_row.items()):
        i = index_of[row]
        if any(pos in mapped_positions for pos, _ in lost):
            continue  # a mapped column is missing: already recorded on it
        first = min(pos for pos, _ in lost)
        before = [v for k, v in variable_at if k < first]
        variable = before[-1] if before else variable_at[0][1]
        mark = min(lost, key=lambda item: item[0])[1]
        problems[i].append(
            (variable, mapped.data[variable].iloc[i], mark.reason_zh, mark.reason_en)
        )


def _cross_field(
    parsed: dict[str, list[Any]],
    mapped: MappedSurvey,
    problems: dict[int, list[tuple[str, Any, str, str]]],
) -> None:
    """Answers that contradict each other within a row (see module docstring)."""
    if "alliance_member" in parsed and "alliance_type" in parsed:
        member_header = mapped.header_of["alliance_member"]
        for i, (member, kind) in enumerate(
            zip(parsed["alliance_member"], parsed["alliance_type"], strict=True)
        ):
            if member == 0 and kind is not None:
                problems[i].append(
                    (
                        "alliance_type",
                        mapped.data["alliance_type"].iloc[i],
                        f"前后矛盾：「{member_header}」答“否”（不是联盟成员），却填写了联盟类型；"
                        "请核对哪一项正确。",
                        f"contradiction: '{member_header}' says no (not an alliance member) but "
                        "an alliance type is given; check which answer is right.",
                    )
                )


@dataclass(frozen=True)
class ValidatedRows:
    """Parsed values of the valid rows (raw enterprise ids still in clear) and the reject records."""

    values: pd.DataFrame
    raw_rows: tuple[int, ...]
    rejects: pd.DataFrame
    n_raw: int
    n_rejected_rows: int


def _shown_value(raw_value: Any, role: str, masker: Callable[[str], str] = mask_pii) -> str:
    """What a reject record may show of a cell: never PII or ids; every other value masked.

    Not only free text: a name and ID number typed into a category or Likert cell
    (民营（法人张伟 11010519850612001X）) must show as 民营（法人[姓名] [身份证号]）.
    """
    if role in ("pii", "id"):
        return REDACTED
    if raw_value is None:
        return ""
    return masker(str(raw_value))


def validate_rows(
    mapped: MappedSurvey, city_key: str, options: IngestOptions, file: str | None = None
) -> ValidatedRows:
    """Parse and check every row; quarantine rows with any problem (see module docstring)."""
    file = str(mapped.raw.path) if file is None else file
    raw_rows = mapped.raw.raw_rows
    problems: dict[int, list[tuple[str, Any, str, str]]] = defaultdict(list)
    parsed_columns: dict[str, list[Any]] = {}
    marks = mapped.raw.cell_problems
    filled: dict[str, list[int]] = defaultdict(list)
    for variable in mapped.data.columns:
        spec = VARIABLES[variable]
        if spec.role == "pii":
            continue
        out: list[Any] = []
        cells = mapped.data[variable].tolist()
        codes = mapped.raw.codes
        if codes is not None and spec.kind in NUMERIC_CODE_KINDS:
            # Numbers from SPSS/Stata: the stored code is the answer. Its label counts only
            # when it marks the answer as missing: a skip marker ("拒答"), or any word label on
            # a configured missing code — a real answer of -3 % growth carries no value label.
            stored = codes[mapped.header_of[variable]].tolist()
            cells = [
                None
                if is_missing_marker(label, options)
                or (
                    isinstance(label, str)
                    and isinstance(code, int | float)
                    and code in options.missing_codes
                )
                else code
                for label, code in zip(cells, stored, strict=True)
            ]
        header = mapped.header_of[variable]
        for i, raw_value in enumerate(cells):
            mark = marks.get((raw_rows[i], header))
            if mark is not None and mark.kind == "merged" and options.fill_merged_cells:
                raw_value = mark.fill
                filled[f"「{header}」{mark.merge}"].append(raw_rows[i])
            elif mark is not None:
                problems[i].append((variable, raw_value, mark.reason_zh, mark.reason_en))
                out.append(None)
                continue
            parsed = parse_value(raw_value, spec, options)
            if not parsed.ok:
                problems[i].append(
                    (variable, raw_value, parsed.reason_zh or "", parsed.reason_en or "")
                )
            elif parsed.value is None and spec.required:
                problems[i].append(
                    (
                        variable,
                        raw_value,
                        f"必填项{spec.label_zh}为空。",
                        f"required value {spec.label_en} is missing.",
                    )
                )
            out.append(parsed.value)
        parsed_columns[variable] = out
    for where, rows in sorted(filled.items()):
        log.info(
            "合并单元格已向下填充 merged cells filled down: %s → 第 rows %s 行",
            where,
            "、".join(str(r) for r in rows),
        )
    _short_rows_on_unmapped(mapped, problems)
    _cross_field(parsed_columns, mapped, problems)
    if ID_VARIABLE not in mapped.header_of:
        parsed_columns[ID_VARIABLE] = generated_id_sources(mapped)
    mark_duplicates(mapped, parsed_columns, problems, options)
    order = {v: k for k, v in enumerate(mapped.raw.headers)}
    # Reasons quote the raw cell too («「…」不是数字»), so they pass the same masker.
    masker = PiiMasker.from_table(mapped.data)
    records = []
    for i in sorted(problems):
        for variable, raw_value, zh, en in sorted(
            problems[i], key=lambda p: order.get(mapped.header_of.get(p[0]), len(order))
        ):
            records.append(
                {
                    "city_key": city_key,
                    "file": file,
                    "raw_row": raw_rows[i],
                    # A duplicate found by its answers has no id cell: the whole row is meant.
                    "column": mapped.header_of.get(variable, WHOLE_ROW_COLUMN),
                    "variable": variable,
                    "value": _shown_value(raw_value, VARIABLES[variable].role, masker),
                    "reason_zh": masker(zh),
                    "reason_en": masker(en),
                }
            )
    rejects = pd.DataFrame(records, columns=list(REJECT_COLUMNS))
    rejects["raw_row"] = rejects["raw_row"].astype("int64")
    keep = [i for i in range(len(raw_rows)) if i not in problems]
    values = pd.DataFrame(
        {v: [col[i] for i in keep] for v, col in parsed_columns.items()}, dtype=object
    )
    return ValidatedRows(
        values=values,
        raw_rows=tuple(raw_rows[i] for i in keep),
        rejects=rejects,
        n_raw=len(raw_rows),
        n_rejected_rows=len(problems),
    )

"""One city's survey from raw export to ``survey.parquet`` + ``rejects.csv``.

``ingest_city_survey`` is what the Snakemake script calls: read → map columns → parse and
validate every row → reverse-code → drop PII, hash enterprise ids → typed table. Column types
of the accepted table: Likert items, binary flags and counts are nullable ``Int64``,
percentages ``float64``, text and categories ``str`` (plain strings; the allowed categories are
in the config), ``raw_row`` ``int64``. Variables a city does not map are present and missing, so
that all cities share one schema.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from chainpb.atomic import write_csv, write_parquet
from chainpb.errors import ChainpbError
from chainpb.ingest.options import IngestOptions
from chainpb.ingest.privacy import PiiMasker, hash_enterprise_id, mask_pii
from chainpb.ingest.readers import read_survey_file
from chainpb.ingest.spec import (
    LIKERT_MAX,
    LIKERT_MIN,
    REJECT_COLUMNS,
    SURVEY_COLUMNS,
    SURVEY_KEY_COLUMNS,
    VARIABLES,
)
from chainpb.ingest.validate import MappedSurvey, ValidatedRows, map_columns, validate_rows

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SurveyIngest:
    """The outcome of ingesting one city's survey file."""

    city_key: str
    city_name: str
    file: str
    accepted: pd.DataFrame
    rejects: pd.DataFrame
    n_raw: int
    n_accepted: int
    n_rejected: int
    dropped_headers: tuple[str, ...]
    encoding: str | None = None

    def summary(self) -> str:
        """The balance line the log prints: 原始 raw = 接受 accepted + 拒绝 rejected."""
        return (
            f"{self.city_key}（{self.city_name}）：原始 raw {self.n_raw} = 接受 accepted "
            f"{self.n_accepted} + 拒绝 rejected {self.n_rejected}（{len(self.rejects)} 条问题 problems）"
        )

    def log_lines(self) -> list[str]:
        lines = [self.summary()]
        if self.encoding:
            lines.append(f"编码 encoding: {self.encoding}")
        if self.dropped_headers:
            lines.append(
                "未映射、已丢弃的列 unmapped columns dropped: " + " | ".join(self.dropped_headers)
            )
        return lines


def typed_column(variable: str, values: Sequence[object]) -> pd.Series:
    """A column of the accepted table with the dtype its kind calls for (see module docstring)."""
    kind = VARIABLES[variable].kind
    if kind in ("int", "likert", "binary"):
        return pd.Series(pd.array(list(values), dtype="Int64"))
    if kind == "float":
        return pd.Series([float("nan") if v is None else float(v) for v in values], dtype="float64")
    return pd.Series(list(values), dtype="str")


def reverse_code(value: int | None) -> int | None:
    """(min + max) − x on the 1–5 scale."""
    return None if value is None else LIKERT_MIN + LIKERT_MAX - int(value)


def _mask_values(values: pd.DataFrame, masker: PiiMasker) -> pd.DataFrame:
    """Every accepted string value through the file's masker (own names, phones, IDs …).

    Open answers were masked at parsing without the file's own names; chain names and
    categories were not masked at all, and a chain cell such as 新能源（联系人张伟 13812345678）
    would otherwise become ``chain`` and ``chain_id`` verbatim.
    """
    values = values.copy()
    for variable in values.columns:
        if VARIABLES[variable].kind in ("text", "str", "category"):
            values[variable] = [
                masker(v) if isinstance(v, str) else v for v in values[variable].tolist()
            ]
    return values


def _quarantine_chains_with_personal_data(
    checked: ValidatedRows, masker: PiiMasker, mapped: MappedSurvey, city_key: str, file: str
) -> ValidatedRows:
    """Rows whose chain cell holds a name, phone, ID number or e-mail go to rejects.

    Decision (issue 10): the chain is the cluster of the models and part of ``chain_id``. A
    masked cell such as 新能源（联系人[姓名] [手机号]） would still be a chain of its own — one firm
    in a cluster nobody declared — so the row is quarantined (the reject shows the masked value)
    and the researcher corrects the chain name in the raw file.
    """
    chains = checked.values["chain"].tolist() if "chain" in checked.values.columns else []
    bad = [i for i, c in enumerate(chains) if isinstance(c, str) and masker(c) != c]
    if not bad:
        return checked
    header = mapped.header_of.get("chain", "chain")
    records = []
    for i in bad:
        shown = masker(chains[i])
        records.append(
            {
                "city_key": city_key,
                "file": file,
                "raw_row": checked.raw_rows[i],
                "column": header,
                "variable": "chain",
                "value": shown,
                "reason_zh": f"「{header}」一栏含有个人信息（姓名、电话、证件号或邮箱，已隐去）："
                f"「{shown}」；产业链一栏只应写链名，请在原表中改正",
                "reason_en": f"the {header} cell holds personal data (a name, phone, ID number or "
                f"e-mail, masked): '{shown}'; the chain cell should hold the chain's name only — "
                "correct it in the raw file",
            }
        )
    keep = [i for i in range(len(chains)) if i not in set(bad)]
    rejects = pd.concat(
        [checked.rejects, pd.DataFrame(records, columns=list(REJECT_COLUMNS))],
        ignore_index=True,
    )
    rejects = rejects.sort_values(["raw_row"], kind="stable").reset_index(drop=True)
    return ValidatedRows(
        values=checked.values.iloc[keep].reset_index(drop=True),
        raw_rows=tuple(checked.raw_rows[i] for i in keep),
        rejects=rejects,
        n_raw=checked.n_raw,
        n_rejected_rows=checked.n_rejected_rows + len(bad),
    )


def ingest_city_survey(
    path: str | os.PathLike[str],
    city_key: str,
    city_name: str,
    column_map: Mapping[str, str],
    options: IngestOptions,
    hash_key: bytes,
    sheet: int | str | None = None,
    display_path: str | None = None,
) -> SurveyIngest:
    """Ingest one city's survey export (see module docstring).

    ``display_path`` is the file name written into rejects and messages (e.g. the path relative
    to ``data_dir``); defaults to ``path``.
    """
    raw = read_survey_file(path, sheet=sheet)
    file = display_path if display_path is not None else str(path)
    mapped = map_columns(raw, column_map)
    checked = validate_rows(mapped, city_key, options, file=file)
    masker = PiiMasker.from_table(mapped.data)
    checked = _quarantine_chains_with_personal_data(checked, masker, mapped, city_key, file)
    values = _mask_values(checked.values, masker)
    n = len(checked.raw_rows)
    columns: dict[str, pd.Series] = {
        "city_key": pd.Series([city_key] * n, dtype="str"),
        "city_name": pd.Series([city_name] * n, dtype="str"),
        "raw_row": pd.Series(list(checked.raw_rows), dtype="int64"),
        "enterprise_id": pd.Series(
            [hash_enterprise_id(v, city_key, hash_key) for v in values["enterprise_id"].tolist()],
            dtype="str",
        ),
        "chain_id": pd.Series([f"{city_key}|{c}" for c in values["chain"].tolist()], dtype="str"),
    }
    reverse = set(options.reverse_items)
    for variable in SURVEY_COLUMNS[len(columns) :]:
        column = values[variable].tolist() if variable in values.columns else [None] * n
        if variable in reverse:
            column = [reverse_code(v) for v in column]
        columns[variable] = typed_column(variable, column)
    accepted = pd.DataFrame(columns, columns=list(SURVEY_COLUMNS))
    accepted = accepted.sort_values("raw_row", kind="stable").reset_index(drop=True)
    result = SurveyIngest(
        city_key=city_key,
        city_name=city_name,
        file=file,
        accepted=accepted,
        rejects=checked.rejects,
        n_raw=checked.n_raw,
        n_accepted=len(accepted),
        n_rejected=checked.n_rejected_rows,
        dropped_headers=mapped.dropped_headers,
        encoding=raw.encoding,
    )
    if result.n_raw != result.n_accepted + result.n_rejected:
        raise ChainpbError(
            f"内部错误：行数不平衡 {result.summary()}",
            f"internal error: row counts do not balance: {result.summary()}",
        )
    for line in result.log_lines():
        log.info(line)
    return result


def no_survey(city_key: str, city_name: str) -> SurveyIngest:
    """The ingest result of a city with policy texts only: no firms, no rejects.

    Its tables have every column, so that the text stage and pooling treat it like any city;
    the log says why it has no rows.
    """
    keys = {
        k: pd.Series([], dtype="int64" if k == "raw_row" else "str") for k in SURVEY_KEY_COLUMNS
    }
    rest = {v: typed_column(v, []) for v in SURVEY_COLUMNS if v not in keys}
    accepted = pd.DataFrame({**keys, **rest}, columns=list(SURVEY_COLUMNS))
    rejects = pd.DataFrame({c: pd.Series([], dtype="str") for c in REJECT_COLUMNS})
    rejects["raw_row"] = rejects["raw_row"].astype("int64")
    return SurveyIngest(city_key, city_name, "", accepted, rejects, 0, 0, 0, ())


def survey_report(result: SurveyIngest) -> dict[str, object]:
    """What the pre-model check needs of one city's ingest (survey_report.json)."""
    return {
        "city_key": result.city_key,
        "file": result.file,
        "n_raw": result.n_raw,
        "n_accepted": result.n_accepted,
        "n_rejected": result.n_rejected,
        # Headers are question wording, but a careless export may hold a name: masked too.
        "unmapped_columns": [mask_pii(h) for h in result.dropped_headers],
        "encoding": result.encoding,
    }


def write_survey_ingest(
    result: SurveyIngest, survey_path: str | os.PathLike[str], rejects_path: str | os.PathLike[str]
) -> None:
    """Write survey.parquet and rejects.csv (UTF-8 with BOM, for Excel/WPS) atomically."""
    write_parquet(survey_path, result.accepted)
    write_csv(rejects_path, result.rejects)


def pool_tables(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate per-city tables, sorted by city_key then enterprise_id (surveys) or doc_id
    (policies), whichever the tables have; the column order of the first table is kept."""
    frames = [f for f in frames]
    if not frames:
        raise ChainpbError("没有可合并的城市表。", "no city tables to pool.")
    columns = list(frames[0].columns)
    for frame in frames[1:]:
        if list(frame.columns) != columns:
            raise ChainpbError(
                f"各城市表的列不一致，无法合并：{columns} 与 {list(frame.columns)}",
                f"city tables have different columns and cannot be pooled: {columns} vs {list(frame.columns)}",
            )
    pooled = pd.concat([f for f in frames if len(f)] or frames[:1], ignore_index=True)
    keys = ["city_key"] + [k for k in ("enterprise_id", "doc_id") if k in columns]
    keys += [k for k in ("raw_row",) if k in columns]
    return pooled.sort_values(keys, kind="stable").reset_index(drop=True)


def survey_file_is_example(
    path: str | os.PathLike[str], example_root: str | os.PathLike[str]
) -> bool:
    """True when ``path`` lies under the bundled example folder (where the demo key is allowed)."""
    try:
        Path(path).resolve().relative_to(Path(example_root).resolve())
    except ValueError:
        return False
    return True

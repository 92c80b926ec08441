"""Validation of the codebook coder against a hand-coded gold sample, with a supervised second coder.

What a Snakemake script calls: :func:`read_gold` to load and check the researcher's gold file,
:func:`tokens_by_unit` to turn a ``tokens_<source>.parquet`` table into token lists, and
:func:`validate_coding` to compare three codings of the gold texts:

- ``codebook_vs_gold``: the dictionary coder against the hand codes (the headline result);
- ``supervised_vs_gold``: out-of-fold predictions of the supervised coder against the hand
  codes (out-of-fold, so a unit is never predicted by a model that saw its code);
- ``supervised_vs_codebook``: how far the two automatic coders agree (codebook as reference).

The gold file (UTF-8 with or without BOM, or GB18030 as Excel/WPS save it on Chinese Windows)
has the columns ``unit_id, source, city_key, text`` and one 0/1 column per category. Row numbers
in errors are those a user sees in a spreadsheet: the header is row 1.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from chainpb.atomic import write_csv
from chainpb.errors import ChainpbError, InputError, Location
from chainpb.ingest.encoding import read_text_auto
from chainpb.text.agreement import (
    CATEGORIES,
    REPORT_COLUMNS,
    agreement_report,
    disagreements,
)
from chainpb.text.normalize import normalize_text
from chainpb.text.supervised import cross_validated_predictions

GOLD_ID_COLUMNS: tuple[str, ...] = ("unit_id", "source", "city_key", "text")
COMPARISONS: tuple[str, ...] = (
    "codebook_vs_gold",
    "supervised_vs_gold",
    "supervised_vs_codebook",
)
AGREEMENT_COLUMNS: list[str] = ["comparison", *REPORT_COLUMNS]
_HEADER_ROW = 1  # the header is the first row a user sees; data start on row 2


def _parse_code(raw: str) -> int | None:
    """0/1 from a cell; tolerates '1.0' (Excel numeric export) and surrounding spaces."""
    value = raw.strip()
    if value in ("0", "1"):
        return int(value)
    try:
        number = float(value)
    except ValueError:
        return None
    return int(number) if number in (0.0, 1.0) else None


def check_gold(
    table: pd.DataFrame,
    file: str | os.PathLike[str],
    categories: Sequence[str] = CATEGORIES,
) -> pd.DataFrame:
    """Check a gold table read as strings and return it typed (codes int64, text normalised).

    ``table`` holds the file's cells as strings in file order. Raises InputError naming the
    file, the row a user sees (header = row 1) and the column when a required column is
    missing, a ``unit_id`` is blank or repeated, a text is blank, or a code is not 0 or 1.
    Extra columns are kept after the required ones.
    """
    table = table.rename(columns=lambda c: str(c).strip())
    required = [*GOLD_ID_COLUMNS, *categories]
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise InputError(
            Location(str(file), column=", ".join(missing)),
            f"金标准文件缺少必需的列：{', '.join(missing)}。必需列为：{', '.join(required)}。",
            f"the gold file lacks required columns: {', '.join(missing)}. "
            f"Required: {', '.join(required)}.",
        )
    table = table.fillna("").astype(str)
    seen: dict[str, int] = {}
    codes: dict[str, list[int]] = {c: [] for c in categories}
    for position, (_, record) in enumerate(table.iterrows()):
        row = position + _HEADER_ROW + 1
        unit_id = record["unit_id"].strip()
        if not unit_id:
            raise InputError(
                Location(str(file), row, "unit_id"),
                "unit_id 为空；每个金标准单元需要唯一编号。",
                "unit_id is blank; every gold unit needs a unique id.",
            )
        if unit_id in seen:
            raise InputError(
                Location(str(file), row, "unit_id"),
                f"unit_id「{unit_id}」重复（第 {seen[unit_id]} 行已出现）；编号必须唯一。",
                f"unit_id '{unit_id}' repeats (first on row {seen[unit_id]}); ids must be unique.",
            )
        seen[unit_id] = row
        if not record["text"].strip():
            raise InputError(
                Location(str(file), row, "text"),
                "文本为空；金标准单元必须有待编码的文本。",
                "the text is blank; a gold unit needs the text that was coded.",
            )
        for category in categories:
            code = _parse_code(record[category])
            if code is None:
                raise InputError(
                    Location(str(file), row, category),
                    f"编码应为 0 或 1，实际为「{record[category]}」。",
                    f"the code must be 0 or 1, found '{record[category]}'.",
                )
            codes[category].append(code)
    out = table[[*GOLD_ID_COLUMNS]].copy()
    out["unit_id"] = out["unit_id"].str.strip()
    out["source"] = out["source"].str.strip()
    out["city_key"] = out["city_key"].str.strip()
    # The codebook coder and the segmenter see normalised text; the gold text must match it.
    out["text"] = [normalize_text(t) for t in out["text"]]
    for category in categories:
        out[category] = pd.Series(codes[category], index=out.index, dtype="int64")
    extra = [c for c in table.columns if c not in required]
    for column in extra:
        out[column] = table[column]
    return out.reset_index(drop=True)


def read_gold(path: str | os.PathLike[str], categories: Sequence[str] = CATEGORIES) -> pd.DataFrame:
    """Read and check a researcher's gold file (CSV in UTF-8, UTF-8-BOM or GB18030)."""
    text, _encoding = read_text_auto(path)
    try:
        table = pd.read_csv(
            io.StringIO(text),
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=True,
            quoting=csv.QUOTE_MINIMAL,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise InputError(
            Location(str(path)),
            f"无法按 CSV 解析：{err}。请确认以逗号分隔、首行为列名。",
            f"cannot parse as CSV: {err}. Expected comma-separated values with a header row.",
        ) from err
    return check_gold(table, path, categories)


def tokens_by_unit(tokens: pd.DataFrame, unit_column: str = "unit_id") -> dict[str, list[str]]:
    """Token lists per unit from a ``tokens_<source>.parquet`` table (ordered by token_index)."""
    for column in (unit_column, "token_index", "token"):
        if column not in tokens.columns:
            raise ChainpbError(
                f"分词表缺少列「{column}」。", f"The token table lacks the column '{column}'."
            )
    ordered = tokens.sort_values([unit_column, "token_index"], kind="mergesort")
    return {
        str(unit): group["token"].astype(str).tolist()
        for unit, group in ordered.groupby(unit_column, sort=True)
    }


@dataclass(frozen=True)
class ValidationResult:
    """Agreement of the three codings, the codebook's disagreements with gold, the CV codes."""

    agreement: pd.DataFrame  # AGREEMENT_COLUMNS, comparisons in COMPARISONS order
    disagreements: pd.DataFrame  # codebook vs gold: unit_id, source, text, category, gold, coded
    supervised: pd.DataFrame  # out-of-fold codes: unit_id, <categories>, p_<category>

    def write(
        self,
        agreement_csv: str | os.PathLike[str],
        disagreements_csv: str | os.PathLike[str],
        supervised_csv: str | os.PathLike[str] | None = None,
    ) -> None:
        """Write the tables as UTF-8-BOM CSV (Excel/WPS open them with the Chinese intact)."""
        write_csv(agreement_csv, self.agreement)
        write_csv(disagreements_csv, self.disagreements)
        if supervised_csv is not None:
            write_csv(supervised_csv, self.supervised)


def _gold_token_lists(
    gold: pd.DataFrame, gold_tokens: Sequence[Sequence[str]] | Mapping[str, Sequence[str]]
) -> list[list[str]]:
    unit_ids = gold["unit_id"].astype(str).tolist()
    if isinstance(gold_tokens, Mapping):
        absent = [u for u in unit_ids if u not in gold_tokens]
        if absent:
            raise ChainpbError(
                f"以下金标准单元没有分词结果：{absent[:5]}。",
                f"These gold units have no tokens: {absent[:5]}.",
            )
        return [list(gold_tokens[u]) for u in unit_ids]
    token_lists = [list(doc) for doc in gold_tokens]
    if len(token_lists) != len(unit_ids):
        raise ChainpbError(
            f"分词结果有 {len(token_lists)} 个单元，金标准有 {len(unit_ids)} 个；两者须按行对应。",
            f"There are {len(token_lists)} token lists for {len(unit_ids)} gold units; they must align by row.",
        )
    return token_lists


def _codebook_with_ids(
    gold: pd.DataFrame, codebook_codes: pd.DataFrame, categories: Sequence[str]
) -> pd.DataFrame:
    """Codebook codes keyed by unit_id; without a unit_id column, rows follow the gold table."""
    if "unit_id" in codebook_codes.columns:
        codes = codebook_codes[["unit_id", *categories]].copy()
        codes["unit_id"] = codes["unit_id"].astype(str)
        return codes
    if len(codebook_codes) != len(gold):
        raise ChainpbError(
            f"词典编码有 {len(codebook_codes)} 行，金标准有 {len(gold)} 行，且没有 unit_id 列可对齐。",
            f"The codebook codes have {len(codebook_codes)} rows for {len(gold)} gold units and no unit_id to align on.",
        )
    codes = codebook_codes[list(categories)].reset_index(drop=True).copy()
    codes.insert(0, "unit_id", gold["unit_id"].astype(str).to_numpy())
    return codes


def validate_coding(
    gold: pd.DataFrame,
    codebook_codes: pd.DataFrame,
    gold_tokens: Sequence[Sequence[str]] | Mapping[str, Sequence[str]],
    seed: int,
    *,
    n_splits: int = 5,
    categories: Sequence[str] = CATEGORIES,
) -> ValidationResult:
    """Compare codebook, supervised (out-of-fold) and gold codes of the gold texts.

    ``gold`` is the table from :func:`read_gold`. ``codebook_codes`` has the 0/1 category columns
    (missing where the coder marks a blank text) and either ``unit_id`` or rows in gold order
    (as ``code_texts`` returns them). ``gold_tokens`` is the token list of each gold text,
    either in gold row order or as a mapping unit_id → tokens. ``seed`` fixes the folds and the
    classifiers, so equal inputs give equal outputs.
    """
    gold = gold.assign(unit_id=gold["unit_id"].astype(str)).reset_index(drop=True)
    codebook = _codebook_with_ids(gold, codebook_codes, categories)
    token_lists = _gold_token_lists(gold, gold_tokens)
    supervised = cross_validated_predictions(
        token_lists,
        gold[["unit_id", *categories]],
        n_splits=n_splits,
        seed=seed,
        categories=categories,
    )
    reports = {
        "codebook_vs_gold": agreement_report(gold, codebook, categories, "gold", "codebook"),
        "supervised_vs_gold": agreement_report(gold, supervised, categories, "gold", "supervised"),
        "supervised_vs_codebook": agreement_report(
            codebook, supervised, categories, "codebook", "supervised"
        ),
    }
    agreement = pd.concat(
        [report.assign(comparison=name) for name, report in reports.items()], ignore_index=True
    )[AGREEMENT_COLUMNS]
    return ValidationResult(
        agreement=agreement,
        disagreements=disagreements(gold, codebook, categories),
        supervised=supervised,
    )

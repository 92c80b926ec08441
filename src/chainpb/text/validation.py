"""Validation of the codebook, the supervised coder and their hybrid against hand-coded gold.

What the Snakemake scripts call: :func:`read_golds` to load and check the gold files the
config names (``text.gold``), :func:`training_units` for the rows a coder may learn from,
:func:`tokens_by_unit` to turn a ``tokens_<source>.parquet`` table into token lists, and
:func:`validate_coding` to compare the codings of the gold texts, side by side (the workflow
runs it in two parts: :func:`supervised_out_of_fold`, the costly fits, which do not depend on
the codebook, and :func:`compare_codings`, which does and is cheap):

- ``codebook_vs_gold``: the dictionary coder against the hand codes (the headline result);
- ``supervised_vs_gold``: the supervised coder against the hand codes. Dev units are predicted
  out of fold (a unit is never predicted by a model, calibration or threshold that saw its
  code); test units by the coder fitted on all dev units;
- ``hybrid_vs_gold``: codebook OR (supervised probability ≥ ``hybrid_min_probability``);
- ``supervised_vs_codebook``: how far the two automatic coders agree (codebook as reference).

Each comparison is reported on all units and on the ``dev`` and ``test`` splits, for all
sources and for ``answers`` and ``policies`` apart (subsets without units are left out).

Gold files (format in resources/gold/README.md; UTF-8 with or without BOM, or GB18030 as
Excel/WPS save it on Chinese Windows) have the columns ``unit_id, source, city_key, text``,
one code column per category (P, R, D, 0 or blank, legacy 1 = P; case-insensitive) and an
optional ``split`` (dev | test). Row numbers in errors are those a user sees in a spreadsheet:
the header is row 1. Rows whose split is ``test`` are never used to fit or tune anything.
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
    DISAGREEMENT_COLUMNS,
    REPORT_COLUMNS,
    agreement_report,
    disagreements,
)
from chainpb.text.normalize import normalize_text
from chainpb.text.supervised import (
    DEFAULT_CV_FOLDS,
    DEFAULT_HYBRID_MIN_PROBABILITY,
    SupervisedCoder,
    cross_validated_predictions,
    fit_supervised,
    hybrid_codes,
    probability_column,
    threshold_column,
    training_key,
)

GOLD_ID_COLUMNS: tuple[str, ...] = ("unit_id", "source", "city_key", "text")
SOURCES: tuple[str, ...] = ("answers", "policies")
SPLITS: tuple[str, ...] = ("dev", "test")
# Code as written (upper-cased) → canonical code. Blank is "not about the category".
GOLD_CODES: dict[str, str] = {"P": "P", "R": "R", "D": "D", "0": "0", "": "0", "1": "P"}
DIFFICULTY_CODES = frozenset({"P"})
THEME_CODES = frozenset({"P", "R", "D"})
COMPARISONS: tuple[str, ...] = (
    "codebook_vs_gold",
    "supervised_vs_gold",
    "hybrid_vs_gold",
    "supervised_vs_codebook",
)
MEASURES: tuple[str, ...] = ("codebook", "supervised", "hybrid")
AGREEMENT_COLUMNS: list[str] = ["comparison", "split", "source", *REPORT_COLUMNS]
VALIDATION_DISAGREEMENT_COLUMNS: list[str] = [
    "measure",
    *DISAGREEMENT_COLUMNS,
    "gold_code",
    "split",
    "gold_file",
]
_HEADER_ROW = 1  # the header is the first row a user sees; data start on row 2


def _parse_code(raw: str) -> str | None:
    """Canonical code P/R/D/0 of a cell, or None when it is not a code.

    Tolerates case, surrounding spaces and '1.0' / '0.0' (Excel numeric export).
    """
    value = raw.strip().upper()
    if value in GOLD_CODES:
        return GOLD_CODES[value]
    try:
        number = float(value)
    except ValueError:
        return None
    if number == 1.0:
        return "P"
    if number == 0.0:
        return "0"
    return None


def theme_column(category: str) -> str:
    """Gold column of theme attention (P, R or D) of a category, e.g. ``theme_coverage``."""
    return f"theme_{category}"


def code_column(category: str) -> str:
    """Gold column of the canonical code (P, R, D, 0) of a category, e.g. ``code_coverage``."""
    return f"code_{category}"


def check_gold(
    table: pd.DataFrame,
    file: str | os.PathLike[str],
    categories: Sequence[str] = CATEGORIES,
) -> pd.DataFrame:
    """Check a gold table read as strings and return it typed.

    ``table`` holds the file's cells as strings in file order. Returns ``unit_id, source,
    city_key, text`` (text normalised), per category ``<cat>`` (difficulty: 1 for P, int64),
    ``theme_<cat>`` (1 for P, R or D, int64) and ``code_<cat>`` (canonical code P, R, D or 0;
    legacy 1 → P, blank → 0), then ``split`` (dev when the column is absent or blank), then the
    file's other columns (a file column named like a derived one is dropped).

    Raises InputError naming the file, the row a user sees (header = row 1) and the column
    when a required column is missing, a ``unit_id`` is blank or repeated, a text is blank,
    a source is not answers/policies, a code is not one of P/R/D/0/1/blank, or a split is not
    dev/test.
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
    has_split = "split" in table.columns
    seen: dict[str, int] = {}
    codes: dict[str, list[str]] = {c: [] for c in categories}
    splits: list[str] = []
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
        if record["source"].strip() not in SOURCES:
            raise InputError(
                Location(str(file), row, "source"),
                f"来源应为 answers（开放题回答）或 policies（报告、政策文本的句子），实际为「{record['source']}」。",
                f"the source must be answers (open answer) or policies (sentence of a report or "
                f"policy text), found '{record['source']}'.",
            )
        for category in categories:
            code = _parse_code(record[category])
            if code is None:
                raise InputError(
                    Location(str(file), row, category),
                    f"编码应为 P（问题）、R（对策或成效）、D（否认困难）、0 或 1（旧格式，即 P），"
                    f"也可留空；实际为「{record[category]}」。",
                    f"the code must be P (problem), R (remedy or achievement), D (difficulty "
                    f"denied), 0 or 1 (legacy, read as P), or blank; found '{record[category]}'.",
                )
            codes[category].append(code)
        split = record["split"].strip().lower() if has_split else ""
        if split and split not in SPLITS:
            raise InputError(
                Location(str(file), row, "split"),
                f"split 应为 dev、test 或留空（即 dev），实际为「{record['split']}」。",
                f"split must be dev, test or blank (read as dev), found '{record['split']}'.",
            )
        splits.append(split or "dev")
    out = table[[*GOLD_ID_COLUMNS]].copy()
    for column in ("unit_id", "source", "city_key"):
        out[column] = out[column].str.strip()
    # The codebook coder and the segmenter see normalised text; the gold text must match it.
    out["text"] = [normalize_text(t) for t in out["text"]]
    for category in categories:
        out[category] = pd.Series(
            [int(c in DIFFICULTY_CODES) for c in codes[category]], index=out.index, dtype="int64"
        )
    for category in categories:
        out[theme_column(category)] = pd.Series(
            [int(c in THEME_CODES) for c in codes[category]], index=out.index, dtype="int64"
        )
    for category in categories:
        out[code_column(category)] = pd.Series(codes[category], index=out.index, dtype=object)
    out["split"] = pd.Series(splits, index=out.index, dtype=object)
    extra = [c for c in table.columns if c not in required and c not in out.columns]
    for column in extra:
        out[column] = table[column]
    return out.reset_index(drop=True)


def read_gold(path: str | os.PathLike[str], categories: Sequence[str] = CATEGORIES) -> pd.DataFrame:
    """Read and check one gold file (CSV in UTF-8, UTF-8-BOM or GB18030); see :func:`check_gold`."""
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


def read_golds(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    categories: Sequence[str] = CATEGORIES,
) -> pd.DataFrame:
    """Read several gold files into one table with a ``gold_file`` column (the path as given).

    A ``unit_id`` must be unique over all files: a repeat raises InputError naming both files
    and rows. Columns present in only some files are empty ('') in the others.
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    paths = list(paths)
    if not paths:
        raise ChainpbError(
            "没有金标准文件：text.gold 须列出至少一个文件。",
            "No gold file: text.gold must list at least one file.",
        )
    tables: list[pd.DataFrame] = []
    first_seen: dict[str, tuple[str, int]] = {}
    for path in paths:
        gold = read_gold(path, categories)
        for position, unit_id in enumerate(gold["unit_id"]):
            row = position + _HEADER_ROW + 1
            if unit_id in first_seen:
                other, other_row = first_seen[unit_id]
                raise InputError(
                    Location(str(path), row, "unit_id"),
                    f"unit_id「{unit_id}」已出现在金标准文件 {other} 第 {other_row} 行；"
                    "所有金标准文件的编号必须互不相同。",
                    f"unit_id '{unit_id}' already appears in gold file {other}, row {other_row}; "
                    "ids must be unique across all gold files.",
                )
            first_seen[unit_id] = (str(path), row)
        gold.insert(len(GOLD_ID_COLUMNS), "gold_file", str(path))
        tables.append(gold)
    combined = pd.concat(tables, ignore_index=True)
    # Extra columns (voice, note …) that only some files have: '' elsewhere, as in a blank cell.
    partial = [c for c in combined.columns if any(c not in t.columns for t in tables)]
    for column in partial:
        combined[column] = combined[column].fillna("")
    return combined


def training_units(gold: pd.DataFrame) -> pd.DataFrame:
    """The gold rows a coder may be fitted or tuned on: every row whose split is not ``test``."""
    if "split" not in gold.columns:
        return gold.reset_index(drop=True)
    return gold[gold["split"].astype(str) != "test"].reset_index(drop=True)


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
    """Agreement of the codings with gold and each other, their disagreements, the unit codes."""

    agreement: pd.DataFrame  # AGREEMENT_COLUMNS: comparison × split × source × category
    disagreements: pd.DataFrame  # VALIDATION_DISAGREEMENT_COLUMNS, one row per unit × category
    supervised: pd.DataFrame  # per unit: cb_, ml_, p_, threshold_, hy_, hy_source_ columns

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
    """Codebook codes in gold row order; matched on unit_id, else rows follow the gold table."""
    # denied_<cat> (a denial the codebook saw) travels with the codes when present
    keep = [*categories, *(c for c in codebook_codes.columns if c.startswith("denied_"))]
    if "unit_id" in codebook_codes.columns:
        codes = codebook_codes[["unit_id", *keep]].copy()
        codes["unit_id"] = codes["unit_id"].astype(str)
        ids = gold["unit_id"]
        if codes["unit_id"].duplicated().any() or not ids.isin(codes["unit_id"]).all():
            absent = list(ids[~ids.isin(codes["unit_id"])][:5])
            raise ChainpbError(
                f"词典编码的 unit_id 与金标准不一一对应（例如缺少 {absent}）。",
                f"The codebook codes' unit_ids do not match the gold units one to one "
                f"(e.g. missing {absent}).",
            )
        return codes.set_index("unit_id").loc[ids].reset_index()
    if len(codebook_codes) != len(gold):
        raise ChainpbError(
            f"词典编码有 {len(codebook_codes)} 行，金标准有 {len(gold)} 行，且没有 unit_id 列可对齐。",
            f"The codebook codes have {len(codebook_codes)} rows for {len(gold)} gold units and no unit_id to align on.",
        )
    codes = codebook_codes[keep].reset_index(drop=True).copy()
    codes.insert(0, "unit_id", gold["unit_id"].astype(str).to_numpy())
    return codes


def _gold_splits(gold: pd.DataFrame) -> pd.Series:
    if "split" not in gold.columns:
        return pd.Series(["dev"] * len(gold), dtype=object)
    splits = gold["split"].astype(str).str.strip().str.lower().replace("", "dev")
    bad = ~splits.isin(SPLITS)
    if bad.any():
        raise ChainpbError(
            f"金标准的 split 只能是 dev 或 test，出现了「{splits[bad].iloc[0]}」。",
            f"The gold split must be dev or test, found '{splits[bad].iloc[0]}'.",
        )
    return splits.reset_index(drop=True)


def _supervised_codes(
    gold: pd.DataFrame,
    token_lists: list[list[str]],
    splits: pd.Series,
    seed: int,
    cv_folds: int,
    categories: Sequence[str],
    coder: SupervisedCoder | None = None,
) -> pd.DataFrame:
    """Supervised codes of every gold unit, in gold order, honest for both splits."""
    dev = (splits == "dev").to_numpy()
    texts = gold["text"].astype(str).tolist()
    dev_rows = [i for i in range(len(gold)) if dev[i]]
    test_rows = [i for i in range(len(gold)) if not dev[i]]
    if len(dev_rows) < 2:
        raise ChainpbError(
            f"金标准只有 {len(dev_rows)} 个 dev 单元；机器编码至少需要 2 个可训练的单元。",
            f"The gold has {len(dev_rows)} dev units; the supervised coder needs at least 2 units "
            "to learn from.",
        )
    labels = gold.loc[dev_rows, ["unit_id", *categories]].reset_index(drop=True)
    dev_texts = [texts[i] for i in dev_rows]
    dev_tokens = [token_lists[i] for i in dev_rows]
    parts = [
        cross_validated_predictions(
            dev_texts, dev_tokens, labels, seed, categories, cv_folds=cv_folds
        ).assign(prediction="out_of_fold", _row=dev_rows)
    ]
    if test_rows:
        # Test units are coded by the coder a researcher would use: fitted on all dev units
        # (the stored one of the workflow when given, after checking it is that coder).
        if coder is None:
            coder = fit_supervised(
                dev_texts, dev_tokens, labels, seed, categories, cv_folds=cv_folds
            )
        elif coder.training_key != training_key(
            dev_texts, dev_tokens, labels, seed, categories, cv_folds=cv_folds
        ):
            raise ChainpbError(
                "所给的监督学习编码器不是在这些金标准 dev 单元上（以同样的种子和折数）训练的；"
                "请重新运行 supervised_coder。",
                "The supervised coder given was not fitted on these gold dev units (with the same "
                "seed and folds); re-run supervised_coder.",
            )
        predicted = coder.predict(
            [texts[i] for i in test_rows],
            [token_lists[i] for i in test_rows],
            unit_ids=gold.loc[test_rows, "unit_id"].tolist(),
        )
        parts.append(predicted.assign(prediction="dev_model", _row=test_rows))
    return (
        pd.concat(parts, ignore_index=True)
        .sort_values("_row", kind="mergesort")
        .drop(columns="_row")
        .reset_index(drop=True)
    )


def supervised_out_of_fold(
    gold: pd.DataFrame,
    gold_tokens: Sequence[Sequence[str]] | Mapping[str, Sequence[str]],
    seed: int,
    *,
    cv_folds: int = DEFAULT_CV_FOLDS,
    categories: Sequence[str] = CATEGORIES,
    coder: SupervisedCoder | None = None,
) -> pd.DataFrame:
    """The supervised coder's honest codes of every gold unit — the expensive, codebook-free part
    of :func:`validate_coding`.

    Dev units are coded out of fold (:func:`chainpb.text.supervised.cross_validated_predictions`),
    test units by the coder fitted on all dev units: ``coder`` when given (it must have been
    fitted on exactly these dev units, seed and folds, else ChainpbError), otherwise fitted
    here. Rows follow ``gold``; columns ``unit_id``, the categories (0/1), ``p_<cat>``,
    ``threshold_<cat>`` and ``prediction`` (``out_of_fold`` | ``dev_model``).
    """
    gold = gold.assign(unit_id=gold["unit_id"].astype(str)).reset_index(drop=True)
    return _supervised_codes(
        gold,
        _gold_token_lists(gold, gold_tokens),
        _gold_splits(gold),
        seed,
        cv_folds,
        categories,
        coder,
    )


def _supervised_with_ids(
    gold: pd.DataFrame, supervised: pd.DataFrame, categories: Sequence[str]
) -> pd.DataFrame:
    """The table of :func:`supervised_out_of_fold` in gold row order, matched on unit_id."""
    columns = [
        "unit_id",
        *categories,
        *(probability_column(c) for c in categories),
        *(threshold_column(c) for c in categories),
        "prediction",
    ]
    absent_columns = [c for c in columns if c not in supervised.columns]
    if absent_columns:
        raise ChainpbError(
            f"监督学习的金标准预测缺少列：{', '.join(absent_columns)}；请重新运行 "
            "supervised_out_of_fold。",
            f"The supervised gold predictions lack columns: {', '.join(absent_columns)}; re-run "
            "supervised_out_of_fold.",
        )
    table = supervised[columns].copy()
    table["unit_id"] = table["unit_id"].astype(str)
    ids = gold["unit_id"]
    if (
        table["unit_id"].duplicated().any()
        or len(table) != len(ids)
        or not ids.isin(table["unit_id"]).all()
    ):
        absent = list(ids[~ids.isin(table["unit_id"])][:5])
        raise ChainpbError(
            f"监督学习的金标准预测与金标准单元不一一对应（例如缺少 {absent}）；请重新运行 "
            "supervised_out_of_fold。",
            f"The supervised gold predictions do not match the gold units one to one (e.g. "
            f"missing {absent}); re-run supervised_out_of_fold.",
        )
    return table.set_index("unit_id").loc[ids].reset_index()


def _renamed(table: pd.DataFrame, prefix: str, categories: Sequence[str]) -> pd.DataFrame:
    """``unit_id`` and ``<prefix><cat>`` columns renamed to the bare category names."""
    return table[["unit_id", *[f"{prefix}{c}" for c in categories]]].rename(
        columns={f"{prefix}{c}": c for c in categories}
    )


def _agreement(
    codings: Mapping[str, pd.DataFrame],
    splits: pd.Series,
    sources: pd.Series,
    categories: Sequence[str],
) -> pd.DataFrame:
    pairs = {
        "codebook_vs_gold": ("gold", "codebook"),
        "supervised_vs_gold": ("gold", "supervised"),
        "hybrid_vs_gold": ("gold", "hybrid"),
        "supervised_vs_codebook": ("codebook", "supervised"),
    }
    reports = []
    for comparison in COMPARISONS:
        reference, coder = pairs[comparison]
        for split in ("all", *SPLITS):
            for source in ("all", *SOURCES):
                keep = (splits == split) if split != "all" else pd.Series(True, index=splits.index)
                if source != "all":
                    keep &= sources == source
                if not keep.any():
                    continue
                mask = keep.to_numpy()
                report = agreement_report(
                    codings[reference][mask], codings[coder][mask], categories, reference, coder
                )
                reports.append(report.assign(comparison=comparison, split=split, source=source))
    return pd.concat(reports, ignore_index=True)[AGREEMENT_COLUMNS]


def _disagreements(
    gold: pd.DataFrame,
    codings: Mapping[str, pd.DataFrame],
    splits: pd.Series,
    categories: Sequence[str],
) -> pd.DataFrame:
    by_unit = gold.set_index("unit_id")
    split_of = dict(zip(gold["unit_id"], splits, strict=True))
    frames = []
    for measure in MEASURES:
        table = disagreements(gold, codings[measure], categories)
        table.insert(0, "measure", measure)
        code_of = [
            str(by_unit.at[u, code_column(c)]) if code_column(c) in by_unit.columns else ""
            for u, c in zip(table["unit_id"], table["category"], strict=True)
        ]
        table["gold_code"] = pd.Series(code_of, index=table.index, dtype=object)
        table["split"] = pd.Series(
            [split_of[u] for u in table["unit_id"]], index=table.index, dtype=object
        )
        files = by_unit["gold_file"] if "gold_file" in by_unit.columns else None
        table["gold_file"] = pd.Series(
            [str(files.at[u]) if files is not None else "" for u in table["unit_id"]],
            index=table.index,
            dtype=object,
        )
        frames.append(table)
    out = pd.concat(frames, ignore_index=True)[VALIDATION_DISAGREEMENT_COLUMNS]
    return out.astype({"gold": "Int64", "coded": "Int64"})


def validate_coding(
    gold: pd.DataFrame,
    codebook_codes: pd.DataFrame,
    gold_tokens: Sequence[Sequence[str]] | Mapping[str, Sequence[str]],
    seed: int,
    *,
    cv_folds: int = DEFAULT_CV_FOLDS,
    hybrid_min_probability: float = DEFAULT_HYBRID_MIN_PROBABILITY,
    categories: Sequence[str] = CATEGORIES,
) -> ValidationResult:
    """Compare codebook, supervised and hybrid codes of the gold texts with gold and each other.

    ``gold`` is the table from :func:`read_golds` (or :func:`read_gold`; without a ``split``
    column every unit is dev). ``codebook_codes`` has the 0/1 category columns and either
    ``unit_id`` or rows in gold order (as ``code_texts`` returns them), and may have
    ``denied_<cat>`` (the hybrid then adds no supervised call on a denial). ``gold_tokens`` is the
    token list of each gold text, in gold row order or as a mapping unit_id → tokens. ``seed``
    fixes folds, calibration and classifiers, so equal inputs give equal outputs.

    The supervised coder learns only from dev units: dev units are coded out of fold (each
    outer fold chooses its own calibration and thresholds inside its training part), test
    units by the coder fitted on all dev units. The hybrid is :func:`hybrid_codes` of the
    codebook codes and those probabilities. The same as :func:`supervised_out_of_fold`
    followed by :func:`compare_codings` (the workflow runs the two as separate jobs, so that
    a codebook edit does not refit the coder).
    """
    supervised = supervised_out_of_fold(
        gold, gold_tokens, seed, cv_folds=cv_folds, categories=categories
    )
    return compare_codings(
        gold,
        codebook_codes,
        supervised,
        hybrid_min_probability=hybrid_min_probability,
        categories=categories,
    )


def compare_codings(
    gold: pd.DataFrame,
    codebook_codes: pd.DataFrame,
    supervised: pd.DataFrame,
    *,
    hybrid_min_probability: float = DEFAULT_HYBRID_MIN_PROBABILITY,
    categories: Sequence[str] = CATEGORIES,
) -> ValidationResult:
    """Agreement, disagreements and unit table of the codebook codes and the stored supervised
    codes of the gold units (the cheap, codebook-dependent part of :func:`validate_coding`).

    ``codebook_codes`` as in :func:`validate_coding`; ``supervised`` is the table of
    :func:`supervised_out_of_fold`, matched on ``unit_id``.
    """
    gold = gold.assign(unit_id=gold["unit_id"].astype(str)).reset_index(drop=True)
    splits = _gold_splits(gold)
    sources = gold["source"].astype(str).reset_index(drop=True)
    codebook = _codebook_with_ids(gold, codebook_codes, categories)
    supervised = _supervised_with_ids(gold, supervised, categories)
    denied_cols = [f"denied_{c}" for c in categories]
    hybrid = hybrid_codes(
        codebook[list(categories)],
        supervised,
        hybrid_min_probability,
        categories,
        denied=codebook[denied_cols] if set(denied_cols) <= set(codebook.columns) else None,
    )
    codings = {
        "gold": gold[["unit_id", *categories]],
        "codebook": codebook[["unit_id", *categories]],
        "supervised": supervised[["unit_id", *categories]],
        "hybrid": _renamed(hybrid.assign(unit_id=gold["unit_id"]), "hy_", categories),
    }
    units = pd.DataFrame({"unit_id": gold["unit_id"]})
    if "gold_file" in gold.columns:
        units["gold_file"] = gold["gold_file"].astype(str)
    units["source"] = sources
    units["split"] = splits
    units["prediction"] = supervised["prediction"]
    for category in categories:
        units[f"cb_{category}"] = pd.to_numeric(codebook[category]).astype("Int64")
    for category in categories:
        units[f"ml_{category}"] = supervised[category].astype("Int64")
    for category in categories:
        units[probability_column(category)] = supervised[probability_column(category)]
    for category in categories:
        units[threshold_column(category)] = supervised[threshold_column(category)]
    units = pd.concat([units, hybrid], axis=1)
    return ValidationResult(
        agreement=_agreement(codings, splits, sources, categories),
        disagreements=_disagreements(gold, codings, splits, categories),
        supervised=units,
    )

"""Hand coding, part 2: read the returned sheets, measure agreement, and feed the codebook loop.

- Agreement between human coders (every pair: percent agreement and Cohen's κ on the
  difficulty 0/1 coding and on the 4-way code P/R/D/0; Krippendorff's α nominal over all coders).
- The human reference: the adjudicated sheet for the units it lists, otherwise the units on
  which every coder who coded them gave the same code in all four categories.
- The machine (codebook) difficulty codes of the *current* units against the reference
  (P/R/F1/κ via :func:`chainpb.text.agreement.agreement_report`), so editing the codebook and
  re-running shows the change at once.
- Candidate terms (:mod:`chainpb.text.candidates`): character 2–4-grams over-represented in
  the units the machine missed.
- The reference as a gold file (format of resources/gold/README.md) for ``text.gold``.

Codes in this module are the letters ``P``, ``R``, ``D`` and ``0`` (blank = not about the
category); difficulty = 1 only for ``P``.
"""

from __future__ import annotations

import itertools
import os
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from chainpb.errors import ChainpbError, InputError, Location
from chainpb.labels import CATEGORIES
from chainpb.text.agreement import (
    REPORT_COLUMNS,
    agreement_report,
    cohen_kappa,
    disagreements,
    krippendorff_alpha_nominal,
    krippendorff_alpha_two_coders,
)
from chainpb.text.codebook import Codebook
from chainpb.text.handcoding_sheet import SHEET_CODING, theme_columns
from chainpb.text.normalize import normalize_text

VALID = ("P", "R", "D", "0")
POOLED = "pooled"
ALL_CODERS = "all"
HUMAN_COLUMNS: list[str] = [
    "category",
    "coder_a",
    "coder_b",
    "n",
    "n_p_a",
    "n_p_b",
    "percent_agreement_difficulty",
    "kappa_difficulty",
    "alpha_difficulty",
    "percent_agreement_code",
    "kappa_code",
    "alpha_code",
]
MACHINE_COLUMNS: list[str] = ["comparison", "source", *REPORT_COLUMNS]
GOLD_COLUMNS: list[str] = [
    "unit_id",
    "source",
    "city_key",
    "text",
    *CATEGORIES,
    "split",
    "basis",
]


# --- reading the returned sheets ---------------------------------------------------------------


def _header_key(header: Any, codebook: Codebook | None) -> str | None:
    """Canonical column of a sheet heading: sample_id, a category key, note, or None."""
    if header is None:
        return None
    text = unicodedata.normalize("NFKC", str(header)).strip()
    if not text:
        return None
    last = text.split()[-1].lower()
    if last in ("sample_id", "note"):
        return last
    if last in CATEGORIES:
        return last
    if codebook is not None:
        for category in CATEGORIES:
            if text == codebook.category(category)["label"]:
                return category
    return None


def parse_code(value: Any) -> str | None:
    """``P``/``R``/``D``/``0`` from a cell (blank and 0 → ``0``; case and full width ignored)."""
    if value is None:
        return "0"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "0" if value == 0 else None
    text = unicodedata.normalize("NFKC", str(value)).strip().upper()
    if text in ("", "0"):
        return "0"
    return text if text in VALID else None


def read_coding_sheet(
    path: str | os.PathLike[str],
    known_ids: Sequence[str] | set[str] | None = None,
    codebook: Codebook | None = None,
) -> pd.DataFrame:
    """One returned coding sheet → ``sample_id``, the four codes, ``note``, ``row`` (Excel row).

    Raises InputError naming the file, the row and the column for a missing column, a blank,
    repeated or unknown ``sample_id`` or a code other than P, R, D or blank. Fully blank rows
    are skipped; rows a coder deleted are simply not coded by that coder.
    """
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a file that is not xlsx
        raise InputError(
            Location(str(path)),
            f"无法作为 .xlsx 编码表读取：{exc}",
            f"cannot read as an .xlsx coding sheet: {exc}",
        ) from exc
    try:
        ws = wb[SHEET_CODING] if SHEET_CODING in wb.sheetnames else wb.worksheets[0]
        rows = list(ws.iter_rows(values_only=True))
    finally:
        wb.close()
    if not rows:
        raise InputError(Location(str(path)), "编码表为空。", "the coding sheet is empty.")
    columns: dict[str, int] = {}
    headers: dict[str, str] = {}
    for index, header in enumerate(rows[0]):
        key = _header_key(header, codebook)
        if key is None:
            continue
        if key in columns:
            raise InputError(
                Location(str(path), 1, str(header)),
                f"列「{key}」出现了两次。",
                f"the column '{key}' appears twice.",
            )
        columns[key] = index
        headers[key] = f"{str(header).strip()} ({get_column_letter(index + 1)})"
    missing = [c for c in ("sample_id", *CATEGORIES) if c not in columns]
    if missing:
        raise InputError(
            Location(str(path), 1, ", ".join(missing)),
            f"缺少必需的列：{', '.join(missing)}（表头须为 sample_id 和「名称 类别键」，"
            "如「组织覆盖难 coverage」）。",
            f"required columns are missing: {', '.join(missing)} (headings must be sample_id "
            "and '<label> <key>', e.g. '组织覆盖难 coverage').",
        )
    known = set(known_ids) if known_ids is not None else None
    records: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for offset, values in enumerate(rows[1:]):
        row = offset + 2
        cells = list(values) + [None] * (len(rows[0]) - len(values))
        if all(v is None or not str(v).strip() for v in cells):
            continue
        raw_id = cells[columns["sample_id"]]
        sample_id = "" if raw_id is None else str(raw_id).strip()
        where_id = Location(str(path), row, headers["sample_id"])
        if not sample_id:
            raise InputError(where_id, "sample_id 为空。", "sample_id is blank.")
        if sample_id in seen:
            raise InputError(
                where_id,
                f"sample_id「{sample_id}」重复（第 {seen[sample_id]} 行已出现）。",
                f"sample_id '{sample_id}' repeats (first on row {seen[sample_id]}).",
            )
        if known is not None and sample_id not in known:
            raise InputError(
                where_id,
                f"sample_id「{sample_id}」不在当前的编码单元中（是否改动了编码表，或改变了 "
                "text.unit / 分句？）。",
                f"sample_id '{sample_id}' is not among the current coding units (was the sheet "
                "edited, or did text.unit or the sentence splitting change?).",
            )
        seen[sample_id] = row
        record: dict[str, Any] = {"sample_id": sample_id}
        for category in CATEGORIES:
            value = cells[columns[category]]
            code = parse_code(value)
            if code is None:
                raise InputError(
                    Location(str(path), row, headers[category]),
                    f"编码应为 P、R、D 或留空，实际为「{value}」。",
                    f"the code must be P, R, D or blank, found '{value}'.",
                )
            record[category] = code
        note = cells[columns["note"]] if "note" in columns else None
        record["note"] = "" if note is None else str(note).strip()
        record["row"] = row
        records.append(record)
    return pd.DataFrame(records, columns=["sample_id", *CATEGORIES, "note", "row"])


def read_returned(
    paths: Sequence[str | os.PathLike[str]],
    known_ids: Sequence[str] | set[str] | None = None,
    codebook: Codebook | None = None,
) -> dict[str, pd.DataFrame]:
    """Coder name (the file stem) → codes, for every returned sheet."""
    out: dict[str, pd.DataFrame] = {}
    for path in paths:
        name = Path(path).stem
        if name in out:
            raise ChainpbError(
                f"两份回收的编码表文件名相同（{name}）；编码者以文件名区分，请改名。",
                f"Two returned sheets share the file name '{name}'; coders are named by the "
                "file name, rename one.",
            )
        out[name] = read_coding_sheet(path, known_ids, codebook)
    return out


# --- agreement between human coders ------------------------------------------------------------


def _wide(codings: Mapping[str, pd.DataFrame], category: str) -> pd.DataFrame:
    """units × coders table of one category's codes (NaN where a coder did not code the unit)."""
    series = {coder: frame.set_index("sample_id")[category] for coder, frame in codings.items()}
    return pd.DataFrame(series).sort_index()


def _stacked(codings: Mapping[str, pd.DataFrame], categories: Sequence[str]) -> pd.DataFrame:
    """(unit, category) × coders: all decisions of all categories as one nominal variable."""
    parts = []
    for category in categories:
        wide = _wide(codings, category)
        wide.index = pd.MultiIndex.from_product([wide.index, [category]])
        parts.append(wide)
    return pd.concat(parts)


def _difficulty(codes: pd.DataFrame) -> pd.DataFrame:
    return codes.apply(lambda s: s.map(lambda v: float("nan") if pd.isna(v) else int(v == "P")))


def _pair_row(wide: pd.DataFrame, a: str, b: str, category: str) -> dict[str, Any]:
    both = wide[[a, b]].dropna()
    codes_a, codes_b = both[a].to_numpy(dtype=object), both[b].to_numpy(dtype=object)
    diff_a = (codes_a == "P").astype(int)
    diff_b = (codes_b == "P").astype(int)
    n = len(both)
    nan = float("nan")
    return {
        "category": category,
        "coder_a": a,
        "coder_b": b,
        "n": n,
        "n_p_a": int(diff_a.sum()),
        "n_p_b": int(diff_b.sum()),
        "percent_agreement_difficulty": 100 * float(np.mean(diff_a == diff_b)) if n else nan,
        "kappa_difficulty": cohen_kappa(diff_a, diff_b) if n else nan,
        "alpha_difficulty": krippendorff_alpha_two_coders(diff_a, diff_b) if n else nan,
        "percent_agreement_code": 100 * float(np.mean(codes_a == codes_b)) if n else nan,
        "kappa_code": cohen_kappa(codes_a, codes_b) if n else nan,
        "alpha_code": krippendorff_alpha_two_coders(codes_a, codes_b) if n else nan,
    }


def _all_row(wide: pd.DataFrame, category: str) -> dict[str, Any]:
    pairable = wide[wide.notna().sum(axis=1) >= 2]
    diff = _difficulty(pairable)

    def _all_same(frame: pd.DataFrame) -> float:
        if not len(frame):
            return float("nan")
        return 100 * float(np.mean([row.dropna().nunique() == 1 for _, row in frame.iterrows()]))

    return {
        "category": category,
        "coder_a": ALL_CODERS,
        "coder_b": "",
        "n": len(pairable),
        "n_p_a": pd.NA,
        "n_p_b": pd.NA,
        "percent_agreement_difficulty": _all_same(diff),
        "kappa_difficulty": float("nan"),
        # Krippendorff's reliability data are coders × units: transpose.
        "alpha_difficulty": krippendorff_alpha_nominal(diff.T.to_numpy(dtype=object)),
        "percent_agreement_code": _all_same(pairable),
        "kappa_code": float("nan"),
        "alpha_code": krippendorff_alpha_nominal(pairable.T.to_numpy(dtype=object)),
    }


def human_agreement(
    codings: Mapping[str, pd.DataFrame], categories: Sequence[str] = CATEGORIES
) -> pd.DataFrame:
    """Per category and pooled: every pair of coders, then one row over all coders.

    A pair is compared on the units both coded. ``pooled`` stacks every (unit, category)
    decision into one nominal variable. The ``all`` row gives Krippendorff's α over all coders
    (units coded by fewer than two coders are not pairable) and the share of units on which
    every coder agrees; κ is pairwise only.
    """
    if len(codings) < 2:
        raise ChainpbError(
            "计算编码者间一致性至少需要两份编码表。",
            "Agreement between coders needs at least two returned sheets.",
        )
    coders = list(codings)
    rows = []
    for category in [*categories, POOLED]:
        wide = _stacked(codings, categories) if category == POOLED else _wide(codings, category)
        for a, b in itertools.combinations(coders, 2):
            rows.append(_pair_row(wide, a, b, category))
        rows.append(_all_row(wide, category))
    table = pd.DataFrame(rows, columns=HUMAN_COLUMNS)
    for column in ("n", "n_p_a", "n_p_b"):
        table[column] = table[column].astype("Int64")
    return table


def human_disagreements(
    codings: Mapping[str, pd.DataFrame],
    units: pd.DataFrame,
    categories: Sequence[str] = CATEGORIES,
) -> pd.DataFrame:
    """Every (unit, category) on which the coders who coded the unit differ, with each code.

    A coder's cell is empty when that coder did not code the unit. For the researcher to
    adjudicate; sorted by sample_id, then category.
    """
    info = units.set_index("sample_id")
    rows = []
    for category in categories:
        wide = _wide(codings, category)
        for sample_id, codes in wide.iterrows():
            present = codes.dropna()
            if present.nunique() > 1:
                row = {
                    "sample_id": sample_id,
                    "city_key": info.at[sample_id, "city_key"],
                    "source": info.at[sample_id, "source"],
                    "text": info.at[sample_id, "text"],
                    "category": category,
                }
                row.update({c: ("" if pd.isna(v) else v) for c, v in codes.items()})
                rows.append(row)
    columns = ["sample_id", "city_key", "source", "text", "category", *codings]
    out = pd.DataFrame(rows, columns=columns)
    order = {c: i for i, c in enumerate(categories)}
    out = out.assign(_o=out["category"].map(order)).sort_values(
        ["sample_id", "_o"], kind="mergesort"
    )
    return out.drop(columns="_o").reset_index(drop=True)


# --- the human reference and the machine ------------------------------------------------------


def reference_codes(
    codings: Mapping[str, pd.DataFrame],
    adjudicated: pd.DataFrame | None = None,
    categories: Sequence[str] = CATEGORIES,
) -> pd.DataFrame:
    """``sample_id``, the four codes and ``basis`` (adjudicated | agreed) of the reference units.

    Units the adjudicated sheet lists take its codes; other units count when at least two coders
    coded them and all of those gave the same code in every category.
    """
    agreed = []
    wides = {c: _wide(codings, c) for c in categories}
    index = wides[categories[0]].index
    for sample_id in index:
        codes = {}
        for category in categories:
            present = wides[category].loc[sample_id].dropna()
            if len(present) < 2 or present.nunique() != 1:
                break
            codes[category] = present.iloc[0]
        else:
            agreed.append({"sample_id": sample_id, **codes, "basis": "agreed"})
    table = pd.DataFrame(agreed, columns=["sample_id", *categories, "basis"])
    if adjudicated is not None and len(adjudicated):
        adj = adjudicated[["sample_id", *categories]].assign(basis="adjudicated")
        table = table[~table["sample_id"].isin(set(adj["sample_id"]))]
        table = pd.concat([adj, table], ignore_index=True)
    return table.sort_values("sample_id", kind="mergesort").reset_index(drop=True)


def _machine_binary(units: pd.DataFrame, ids: pd.Series, attention: bool = False) -> pd.DataFrame:
    info = units.set_index("sample_id").loc[ids.to_numpy()]
    out = pd.DataFrame({"unit_id": ids.to_numpy()})
    for category in CATEGORIES:
        hit = info[category].to_numpy() > 0
        if attention:
            hit = hit | (info[f"theme_{category}"].to_numpy() > 0)
        out[category] = hit.astype(int)
    return out


def _human_binary(reference: pd.DataFrame, attention: bool = False) -> pd.DataFrame:
    positive = ("P", "R", "D") if attention else ("P",)
    out = pd.DataFrame({"unit_id": reference["sample_id"].to_numpy()})
    for category in CATEGORIES:
        out[category] = reference[category].isin(positive).astype(int).to_numpy()
    return out


def machine_agreement(reference: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Codebook vs the human reference, per source and over both (``all``).

    ``difficulty``: machine count > 0 vs human ``P``. When the units carry ``theme_<cat>``
    counts, ``attention`` adds machine (difficulty or theme count > 0) vs human P, R or D.
    Sources without reference units are left out.
    """
    comparisons = ["difficulty"]
    if len(theme_columns(units)) == len(CATEGORIES):
        comparisons.append("attention")
    source_of = units.set_index("sample_id")["source"]
    frames = []
    for comparison in comparisons:
        attention = comparison == "attention"
        for source in ("answers", "policies", "all"):
            ref = reference
            if source != "all":
                ref = reference[reference["sample_id"].map(source_of) == source]
            if not len(ref):
                continue
            basis = "+".join(sorted(ref["basis"].unique()))
            table = agreement_report(
                _human_binary(ref, attention),
                _machine_binary(units, ref["sample_id"], attention),
                reference_name=f"human ({basis})",
                coder_name="codebook",
            )
            table.insert(0, "source", source)
            table.insert(0, "comparison", comparison)
            frames.append(table)
    if not frames:
        return pd.DataFrame(columns=MACHINE_COLUMNS)
    return pd.concat(frames, ignore_index=True)[MACHINE_COLUMNS]


def machine_disagreements(reference: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Every reference (unit, category) where the codebook's difficulty code differs from human P.

    ``human`` is the reference code letter, ``gold`` its difficulty 0/1, ``coded`` the machine's
    0/1 and ``machine_hits`` the counted codebook hits.
    """
    info = units.set_index("sample_id")
    gold = _human_binary(reference).merge(
        info.loc[reference["sample_id"], ["source", "text"]].reset_index(names="unit_id"),
        on="unit_id",
    )
    table = disagreements(gold, _machine_binary(units, reference["sample_id"]))
    letters = reference.set_index("sample_id")
    table.insert(1, "city_key", [info.at[u, "city_key"] for u in table["unit_id"]])
    table["human"] = [
        letters.at[u, c] for u, c in zip(table["unit_id"], table["category"], strict=True)
    ]
    table["machine_hits"] = [
        int(info.at[u, c]) for u, c in zip(table["unit_id"], table["category"], strict=True)
    ]
    return table.rename(columns={"unit_id": "sample_id"})


# --- the gold file ----------------------------------------------------------------------------


def gold_table(reference: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """The reference units in the gold format of resources/gold/README.md (``split = dev``).

    ``unit_id`` is the sample_id (stable per unit); codes are P, R, D or 0.
    """
    info = units.set_index("sample_id").loc[reference["sample_id"]]
    out = pd.DataFrame(
        {
            "unit_id": reference["sample_id"].to_numpy(),
            "source": info["source"].to_numpy(),
            "city_key": info["city_key"].to_numpy(),
            "text": [normalize_text(t) for t in info["text"]],
        }
    )
    for category in CATEGORIES:
        out[category] = reference[category].to_numpy()
    out["split"] = "dev"
    out["basis"] = reference["basis"].to_numpy()
    return out[GOLD_COLUMNS]

"""The analysis table as Stata .dta and SPSS .sav, with Chinese variable and value labels.

Decisions (documented for the researcher in docs/guide.md):

* **Names.** Stata names are ASCII, ≤ 32 characters and not reserved words; SPSS names
  must start with a letter, so names are kept only when they start with one. A column whose name breaks a rule
  gets a valid name (invalid characters → ``_``, a ``v`` in front, shortened with ``_2``, ``_3``
  … against clashes); :attr:`ExportTable.names` maps every column to its name in both files and
  the do-file lists each renamed one. The pipeline's own names are valid already.
* **Text columns.** Categorical text (ownership, city, chain, size class …) is stored as
  *labelled integers* 1, 2, … with the text as value label: Stata's factor variables
  (``i.ownership``), ``absorb()`` and ``vce(cluster)`` need numbers, and Stata users expect
  ``tab ownership`` to show labels. Code order: the order of a pandas categorical, else the
  order the config declares (``ingest.categories``, ``cities`` for ``city_key``), then any
  other value sorted. A text column is categorical when a model uses it, when the config
  declares its levels, when it is a pandas categorical, or when it has at most
  :data:`MAX_LEVELS` distinct values, each used by :data:`MIN_ROWS_PER_LEVEL` rows on average.
  Identifiers and free text (enterprise ids, open answers) stay text.
* **Value labels.** The text itself; for ``city_key`` the city's display name from the config
  (``cities.<key>.name``, or ``name_en`` when ``language: en``).
* **Variable labels.** :func:`chainpb.labels.variable_label` over config ``labels:`` plus the
  derived variables' labels (:func:`chainpb.labels.labels_with_derived`); none when a column
  has no label. Stata keeps at most 80 characters; longer labels are cut there (SPSS keeps
  them whole).
* **Missing values.** System missing (Stata ``.``, SPSS sysmis); text missing is ``""``.
* **Byte-identical reruns.** Both formats carry the time of writing in their header; it is set
  to 2000-01-01 00:00, as the Word and Excel writers do.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from chainpb.atomic import write_with
from chainpb.errors import ChainpbError
from chainpb.labels import variable_label

MAX_LEVELS = 100
MIN_ROWS_PER_LEVEL = 5
STATA_LABEL_CHARS = 80
STATA_NAME_CHARS = 32
# Stata reserved names (Stata manual [U] 11.3) and SPSS reserved keywords (case-insensitive).
STATA_RESERVED = frozenset(
    [
        "_all",
        "_b",
        "byte",
        "_coef",
        "_cons",
        "double",
        "float",
        "if",
        "in",
        "int",
        "long",
        "_n",
        "_N",
        "_pi",
        "_pred",
        "_rc",
        "_skip",
        "strL",
        "using",
        "with",
    ]
)
SPSS_RESERVED = frozenset(
    ["ALL", "AND", "BY", "EQ", "GE", "GT", "LE", "LT", "NE", "NOT", "OR", "TO", "WITH"]
)
_VALID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# Fixed header time (same convention as the Word/Excel writers): 2000-01-01 00:00.
DTA_TIMESTAMP = b"01 Jan 2000 00:00"
SAV_DATE, SAV_TIME = b"01 Jan 00", b"00:00:00"


@dataclass(frozen=True)
class ExportTable:
    """The analysis table ready for Stata/SPSS, with everything the do-file needs to know."""

    frame: pd.DataFrame  # columns already renamed to ``names`` values
    names: dict[str, str]  # analysis-table column → Stata/SPSS name
    column_labels: dict[str, str | None]  # by Stata name
    value_labels: dict[str, dict[int, str]]  # by Stata name: code → label
    codes: dict[str, dict[str, int]]  # by original column: text value → code
    renamed: dict[str, str] = field(default_factory=dict)  # only the changed names

    def code_of(self, column: str, value: Any) -> int:
        """Integer code of ``value`` in the encoded ``column`` (a bilingual error if none)."""
        try:
            return self.codes[column][str(value)]
        except KeyError:
            known = list(self.codes.get(column, {}))
            raise ChainpbError(
                f"导出错误：变量「{column}」没有取值「{value}」的编码；现有取值：{known}",
                f"Export error: variable '{column}' has no code for the value '{value}'; "
                f"values: {known}",
            ) from None


def valid_name(name: str) -> bool:
    """A name both Stata and SPSS accept as it is."""
    return (
        bool(_VALID.match(name))
        and len(name) <= STATA_NAME_CHARS
        and name not in STATA_RESERVED
        and name.upper() not in SPSS_RESERVED
    )


def stata_names(columns: Iterable[str]) -> dict[str, str]:
    """Every column → a name valid in Stata and SPSS; valid names are kept as they are."""
    columns = [str(c) for c in columns]
    taken = {c.lower() for c in columns if valid_name(c)}
    out: dict[str, str] = {}
    for col in columns:
        if valid_name(col):
            out[col] = col
            continue
        base = re.sub(r"[^A-Za-z0-9_]", "_", col.encode("ascii", "replace").decode("ascii"))
        if not base or not base[0].isalpha():
            base = "v" + base
        if base.upper() in SPSS_RESERVED or base in STATA_RESERVED:
            base = "v_" + base
        base = base[:STATA_NAME_CHARS]
        name, k = base, 1
        while name.lower() in taken:
            k += 1
            suffix = f"_{k}"
            name = base[: STATA_NAME_CHARS - len(suffix)] + suffix
        taken.add(name.lower())
        out[col] = name
    return out


def _is_text(s: pd.Series) -> bool:
    return (
        isinstance(s.dtype, pd.CategoricalDtype)
        or s.dtype == object
        or pd.api.types.is_string_dtype(s)
    )


def is_categorical_text(s: pd.Series, *, forced: bool = False) -> bool:
    """Whether a text column is stored as labelled integers (see the module docstring)."""
    if not _is_text(s):
        return False
    if forced or isinstance(s.dtype, pd.CategoricalDtype):
        return True
    values = s.dropna().astype(str)
    distinct = values.nunique()
    return distinct <= MAX_LEVELS and distinct * MIN_ROWS_PER_LEVEL <= len(values)


def level_order(s: pd.Series, declared: Sequence[str] | None = None) -> list[str]:
    """Code order of a categorical text column: categorical order, else declared, then sorted."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        return [str(c) for c in s.cat.categories]
    present = set(s.dropna().astype(str))
    first = [str(v) for v in declared or [] if str(v) in present]
    return first + sorted(present - set(first))


def _numeric(s: pd.Series) -> pd.Series:
    """Numbers Stata and SPSS take: bool → 0/1, nullable integers/booleans → float with NaN."""
    if pd.api.types.is_bool_dtype(s) and not s.isna().any():
        return s.astype("int8")
    if pd.api.types.is_extension_array_dtype(s.dtype) and pd.api.types.is_numeric_dtype(s):
        return s.astype("float64")
    if pd.api.types.is_bool_dtype(s):
        return s.astype("float64")
    return s


def export_table(
    data: pd.DataFrame,
    *,
    labels: Mapping[str, Mapping[str, str]] | None = None,
    cities: Mapping[str, Mapping[str, Any]] | None = None,
    categories: Mapping[str, Sequence[str]] | None = None,
    model_variables: Iterable[str] = (),
    language: str = "zh",
) -> ExportTable:
    """Encode, rename and label the analysis table (see the module docstring for the rules).

    ``labels``: config ``labels:`` with the derived variables' labels merged in;
    ``cities``: ``{key: {name, name_en}}`` in config order; ``categories``: declared level
    orders (config ``ingest.categories``); ``model_variables``: every variable a model uses
    (a text one among them is always encoded).
    """
    lang = "en" if language == "en" else "zh"
    cities = dict(cities or {})
    declared: dict[str, list[str]] = {k: list(v) for k, v in (categories or {}).items()}
    if cities:
        declared.setdefault("city_key", list(cities))
    forced = set(model_variables)
    names = stata_names(data.columns)
    out: dict[str, pd.Series] = {}
    column_labels: dict[str, str | None] = {}
    value_labels: dict[str, dict[int, str]] = {}
    codes: dict[str, dict[str, int]] = {}
    for col in data.columns:
        col = str(col)
        s = data[col]
        name = names[col]
        if is_categorical_text(s, forced=col in forced or col in declared):
            order = level_order(s, declared.get(col))
            mapping = {level: i + 1 for i, level in enumerate(order)}
            coded = s.astype(object).map(
                lambda v, m=mapping: m.get(str(v)) if pd.notna(v) else None
            )
            coded = pd.to_numeric(coded, errors="coerce")
            out[name] = coded.astype("int32") if coded.notna().all() else coded.astype("float64")
            codes[col] = mapping
            value_labels[name] = {
                code: _value_label(col, level, cities, lang) for level, code in mapping.items()
            }
        elif _is_text(s):
            out[name] = s.astype(object).where(s.notna(), "").astype(str)
        else:
            out[name] = _numeric(s)
        label = variable_label(col, labels, lang)  # type: ignore[arg-type]
        column_labels[name] = None if label == col else label
    frame = pd.DataFrame(out, index=data.index).reset_index(drop=True)
    return ExportTable(
        frame=frame,
        names=names,
        column_labels=column_labels,
        value_labels=value_labels,
        codes=codes,
        renamed={c: n for c, n in names.items() if c != n},
    )


def _value_label(col: str, level: str, cities: Mapping[str, Any], lang: str) -> str:
    if col == "city_key" and level in cities:
        entry = cities[level]
        shown = entry.get("name" if lang == "zh" else "name_en") or entry.get("name")
        return str(shown or level)
    return level


def _stata_labels(table: ExportTable) -> dict[str, str | None]:
    return {
        k: (None if v is None else v[:STATA_LABEL_CHARS]) for k, v in table.column_labels.items()
    }


def fix_dta_timestamp(path: Path) -> None:
    """Set the header time of a .dta (format 118/119) to :data:`DTA_TIMESTAMP`."""
    data = bytearray(path.read_bytes())
    tag = data.find(b"<timestamp>")
    if tag < 0:
        raise ChainpbError(
            f"导出错误：{path} 不是 Stata 118/119 格式（找不到 <timestamp>）",
            f"Export error: {path} is not a Stata 118/119 file (no <timestamp>)",
        )
    n = data[tag + len(b"<timestamp>")]
    start = tag + len(b"<timestamp>") + 1
    if n:
        data[start : start + n] = DTA_TIMESTAMP.ljust(n)[:n]
    path.write_bytes(bytes(data))


def fix_sav_timestamp(path: Path) -> None:
    """Set the creation date and time of a .sav header to 01 Jan 00 00:00:00.

    Header layout (SPSS system file): ``$FL2``, 60-byte product name, five int32 and one
    float64 (offsets 64–91), then the 9-byte date and the 8-byte time.
    """
    data = bytearray(path.read_bytes())
    if data[:4] not in (b"$FL2", b"$FL3"):
        raise ChainpbError(
            f"导出错误：{path} 不是 SPSS 系统文件", f"Export error: {path} is not an SPSS file"
        )
    assert struct.calcsize("<4s60s5id") == 92
    data[92:101] = SAV_DATE
    data[101:109] = SAV_TIME
    path.write_bytes(bytes(data))


def write_dta(path: str | Path, table: ExportTable) -> None:
    """Stata 14+ .dta (format 118, UTF-8) with variable and value labels, atomically."""
    import pyreadstat

    def writer(tmp: Path) -> None:
        pyreadstat.write_dta(
            table.frame,
            str(tmp),
            column_labels=_stata_labels(table),
            variable_value_labels=table.value_labels,
            version=14,
        )
        fix_dta_timestamp(tmp)

    write_with(path, writer)


def write_sav(path: str | Path, table: ExportTable) -> None:
    """SPSS .sav (UTF-8) with variable and value labels, atomically."""
    import pyreadstat

    def writer(tmp: Path) -> None:
        pyreadstat.write_sav(
            table.frame,
            str(tmp),
            column_labels=table.column_labels,
            variable_value_labels=table.value_labels,
        )
        fix_sav_timestamp(tmp)

    write_with(path, writer)


__all__ = [
    "ExportTable",
    "export_table",
    "is_categorical_text",
    "level_order",
    "stata_names",
    "valid_name",
    "write_dta",
    "write_sav",
]

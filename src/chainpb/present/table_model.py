"""The journal table as plain text cells (三线表 model) and the number formatting every
builder shares.

A :class:`Table` is text only: builders (:mod:`chainpb.present.table_builders`) format the numbers
once, and the writers (:mod:`chainpb.present.writers`) only lay them out, so Word, LaTeX and HTML
always show the same numbers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from chainpb.errors import ChainpbError
from chainpb.measures.descriptives import significance_stars as _stars

Language = Literal["zh", "en"]
Labels = Mapping[str, Mapping[str, str]]

STAR_LEGEND = {
    "zh": "*、**、*** 分别表示在10%、5%、1%水平上显著",
    "en": "* p < 0.1, ** p < 0.05, *** p < 0.01",
}


@dataclass(frozen=True)
class Table:
    """A journal table as text cells.

    ``header`` holds one or more rows; ``body`` the data rows; every row has the same number of
    cells. ``align`` is one of ``l``/``c``/``r`` per column (default: first column left, the rest
    centred). ``notes`` are printed under the bottom rule, each as its own line.
    """

    title: str
    header: tuple[tuple[str, ...], ...]
    body: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...] = ()
    align: tuple[str, ...] | None = None
    label: str | None = None  # short ASCII key, used as the LaTeX \label and HTML id

    def __post_init__(self) -> None:
        widths = {len(r) for r in (*self.header, *self.body)}
        if len(widths) > 1:
            raise ChainpbError(
                f"表格「{self.title}」各行单元格数不一致：{sorted(widths)}。",
                f"Rows of table '{self.title}' have different numbers of cells: {sorted(widths)}.",
            )

    @property
    def n_cols(self) -> int:
        rows = (*self.header, *self.body)
        return len(rows[0]) if rows else 0

    def alignment(self) -> tuple[str, ...]:
        if self.align is not None:
            return self.align
        return ("l",) + ("c",) * (self.n_cols - 1)


# ---------------------------------------------------------------------------- formatting


# One star convention for every table: the descriptive-statistics module owns it.
significance_stars = _stars


def format_number(value: Any, digits: int = 3) -> str:
    """Fixed decimals; missing values are an empty cell; −0.000 is shown as 0.000."""
    if value is None:
        return ""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(x):
        return ""
    text = f"{x:.{digits}f}"
    return text[1:] if re.fullmatch(r"-0\.?0*", text) else text


def format_count(value: Any) -> str:
    """Integers with thousands separators (1,234) as journals print N."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return f"{int(value):,}"


# ---------------------------------------------------------------------------- header spans


def header_spans(row: Sequence[str], merge: bool) -> list[tuple[str, int, int]]:
    """``(text, first_col, span)`` runs: equal non-empty neighbours merge when ``merge``.

    The first column (the row labels) never merges with the columns of numbers.
    """
    runs: list[tuple[str, int, int]] = []
    for j, cell in enumerate(row):
        if merge and j > 1 and runs and runs[-1][0] == cell and cell != "":
            text, start, span = runs[-1]
            runs[-1] = (text, start, span + 1)
        else:
            runs.append((cell, j, 1))
    return runs

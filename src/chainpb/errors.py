"""Errors that speak to a researcher: Chinese first, English beside it.

Every message names the file, and where it applies the row and the column, and says what was
expected, so that a researcher can fix the input without reading a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class ChainpbError(Exception):
    """Base class. ``str(err)`` is the bilingual message."""

    def __init__(self, zh: str, en: str) -> None:
        self.zh = zh
        self.en = en
        super().__init__(f"{zh}\n{en}")


class ConfigError(ChainpbError):
    """The configuration (config.yaml, codebook.yaml) is invalid."""


@dataclass(frozen=True)
class Location:
    """Where in an input file a problem sits; row is the row number a user sees in the raw file."""

    file: Path | str
    row: int | None = None
    column: str | None = None

    def zh(self) -> str:
        parts = [f"文件 {self.file}"]
        if self.row is not None:
            parts.append(f"第 {self.row} 行")
        if self.column is not None:
            parts.append(f"列「{self.column}」")
        return "，".join(parts)

    def en(self) -> str:
        parts = [f"file {self.file}"]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts)


class InputError(ChainpbError):
    """A raw input file cannot be used at all (unreadable, wrong format, missing columns)."""

    def __init__(self, where: Location, zh: str, en: str) -> None:
        self.where = where
        super().__init__(f"输入错误：{where.zh()}：{zh}", f"Input error: {where.en()}: {en}")

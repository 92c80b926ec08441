"""Atomic, deterministic writers.

Every output is written to a temporary name in the same folder and renamed into place, so a
crash never leaves a half-written file that Snakemake would take for a finished one. Writers
fix whatever would otherwise vary between runs (Parquet metadata, CSV line endings, PNG/PDF
timestamps) so that the same inputs give byte-identical files.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

UTF8_BOM = "utf-8-sig"


def current_umask() -> int:
    """The process umask, read without changing it where Linux allows (/proc, kernel ≥ 4.7)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    # Elsewhere the only way is to set and restore it (not thread-safe, but scripts are
    # single-threaded processes).
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` only on success.

    The result gets the mode an ordinary ``open(..., "w")`` would give, ``0o666 & ~umask``
    (0644 with the usual umask 022), not mkstemp's private 0600: colleagues sharing the
    project folder must be able to read the results.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~current_umask())
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_with(target: str | os.PathLike[str], writer: Callable[[Path], Any]) -> None:
    """Call ``writer(tmp_path)`` and move the result onto ``target`` atomically."""
    with atomic_path(target) as tmp:
        writer(tmp)


def write_text(target: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding=encoding, newline="\n")


def write_bytes(target: str | os.PathLike[str], data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_json(target: str | os.PathLike[str], obj: Any) -> None:
    """Sorted keys and a fixed indent so that equal objects give equal bytes."""
    text = json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True, default=_json_default)
    write_text(target, text + "\n")


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "item"):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


# Documents per row group of a table of texts (ingest writes policy texts and collections so):
# pyarrow reads a row group's column whole, so this bounds what one streamed read of the text
# stage holds (chainpb.text.stream).
DOCUMENT_ROW_GROUP = 64


def write_parquet(
    target: str | os.PathLike[str], df: pd.DataFrame, *, row_group_rows: int | None = None
) -> None:
    """Parquet without the pandas index and with a fixed writer, for byte-identical reruns.

    ``row_group_rows`` caps the rows per row group: tables of long texts are written in small
    groups so that the text stage can read them a few documents at a time (pyarrow reads a
    whole row group's column at once).
    """
    df = df.reset_index(drop=True)
    with atomic_path(target) as tmp:
        df.to_parquet(
            tmp, index=False, engine="pyarrow", compression="zstd", row_group_size=row_group_rows
        )


def write_csv(target: str | os.PathLike[str], df: pd.DataFrame, *, bom: bool = True) -> None:
    """Human-facing CSV: UTF-8 with BOM so that Excel (and WPS) open Chinese text correctly."""
    with atomic_path(target) as tmp:
        df.to_csv(tmp, index=False, encoding=UTF8_BOM if bom else "utf-8", lineterminator="\n")


def save_figure(fig: Any, targets: list[str | os.PathLike[str]], dpi: int = 300) -> None:
    """Save a matplotlib figure to each target (PNG/PDF/SVG by suffix) without timestamps."""
    for target in targets:
        suffix = Path(target).suffix.lower().lstrip(".")
        # Matplotlib stamps creation dates and software versions into PDF/PNG/SVG metadata;
        # clearing them keeps reruns byte-identical.
        metadata: dict[str, Any] = {
            "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
            "png": {"Software": None},
            "svg": {"Date": None, "Creator": None},
        }.get(suffix, {})
        with atomic_path(target) as tmp:
            fig.savefig(tmp, format=suffix, dpi=dpi, metadata=metadata, bbox_inches="tight")

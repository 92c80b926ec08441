"""Policy documents of one city: a folder with ``manifest.csv`` (file,title,issuer,date) and the
documents it lists (.txt in any encoding of :mod:`.encoding`, or .docx).

The manifest and the folder must agree exactly: a manifest row whose file is absent, or a
.txt/.docx that the manifest does not list, stops the run with both names — a silently skipped
policy would bias the city's emphasis measure. Office lock files (``~$*.docx``) and hidden files
are ignored.

Text of a .docx is its body in document order: each paragraph one line, each table row one line
with its cells joined by "；" (merged cells once). Every text is normalised
(:func:`chainpb.text.normalize.normalize_text`) and PII-masked; ``n_chars`` counts the
normalised text.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pandas as pd

from chainpb.errors import InputError, Location
from chainpb.ingest.encoding import read_text_auto
from chainpb.ingest.privacy import mask_pii
from chainpb.ingest.readers import sniff_delimiter
from chainpb.text.normalize import normalize_text

MANIFEST_NAME = "manifest.csv"
MANIFEST_COLUMNS = ("file", "title", "issuer", "date")
POLICY_COLUMNS = (
    "city_key",
    "city_name",
    "doc_id",
    "file",
    "title",
    "issuer",
    "date",
    "text",
    "n_chars",
)
DOCUMENT_SUFFIXES = (".txt", ".docx")
CELL_SEPARATOR = "；"


def read_docx_text(path: str | os.PathLike[str]) -> str:
    """Paragraphs and table rows of a .docx body, in document order, one per line."""
    from docx import Document
    from docx.table import Table

    try:
        document = Document(str(path))
    except Exception as err:
        raise InputError(
            Location(str(path)),
            f"无法读取 Word 文档（文件损坏或不是 .docx）：{type(err).__name__}: {err}",
            f"cannot read the Word document (corrupt or not .docx): {type(err).__name__}: {err}",
        ) from err
    lines: list[str] = []
    # iter_inner_content walks the body's block items, so tables stay where they are in the text.
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                cells: list[str] = []
                seen: set[int] = set()
                for cell in row.cells:
                    # A merged cell is returned once per grid column it spans; keep it once.
                    if id(cell._tc) in seen:
                        continue
                    seen.add(id(cell._tc))
                    text = " ".join(p.text.strip() for p in cell.paragraphs if p.text.strip())
                    if text:
                        cells.append(text)
                if cells:
                    lines.append(CELL_SEPARATOR.join(cells))
        else:
            text = block.text.strip()
            if text:
                lines.append(text)
    return "\n".join(lines)


def read_policy_text(path: str | os.PathLike[str]) -> str:
    """Raw text of one policy document (.txt in a detected encoding, or .docx)."""
    path = Path(path)
    if path.suffix.lower() == ".docx":
        return read_docx_text(path)
    if path.suffix.lower() == ".txt":
        return read_text_auto(path)[0]
    raise InputError(
        Location(str(path)),
        f"不支持的政策文件类型「{path.suffix}」；支持 .txt 和 .docx（.doc/.pdf 请先另存为 .docx 或 .txt）。",
        f"unsupported policy file type '{path.suffix}'; supported: .txt and .docx "
        "(save .doc/.pdf as .docx or .txt first).",
    )


def read_manifest(path: str | os.PathLike[str]) -> pd.DataFrame:
    """manifest.csv as strings (columns file,title,issuer,date), with the raw row number in ``raw_row``."""
    path = Path(path)
    if not path.is_file():
        raise InputError(
            Location(str(path)),
            "缺少 manifest.csv（列：file,title,issuer,date，每个政策文件一行）。",
            "manifest.csv is missing (columns file,title,issuer,date; one row per policy file).",
        )
    text, _ = read_text_auto(path)
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text)))
    if not records:
        raise InputError(Location(str(path)), "manifest.csv 为空。", "manifest.csv is empty.")
    header = [h.strip() for h in records[0]]
    lacking = [c for c in MANIFEST_COLUMNS if c not in header]
    if lacking:
        raise InputError(
            Location(str(path), row=1),
            f"manifest.csv 缺少列 {', '.join(lacking)}；现有列：{', '.join(header)}。",
            f"manifest.csv lacks column(s) {', '.join(lacking)}; it has: {', '.join(header)}.",
        )
    rows = []
    for number, record in enumerate(records[1:], start=2):
        if not any(c.strip() for c in record):
            continue
        cells = dict(zip(header, [c.strip() for c in record], strict=False))
        rows.append({"raw_row": number, **{c: cells.get(c, "") for c in MANIFEST_COLUMNS}})
    return pd.DataFrame(rows, columns=["raw_row", *MANIFEST_COLUMNS])


def _is_document(path: Path) -> bool:
    return (
        path.is_file()
        and path.suffix.lower() in DOCUMENT_SUFFIXES
        and not path.name.startswith(("~$", "."))
    )


def read_policy_folder(
    folder: str | os.PathLike[str], city_key: str, city_name: str
) -> pd.DataFrame:
    """All policy documents of one city as the policies.parquet table, sorted by doc_id."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(
            Location(str(folder)), "政策文件夹不存在。", "the policy folder does not exist."
        )
    manifest_path = folder / MANIFEST_NAME
    manifest = read_manifest(manifest_path)
    listed: dict[str, int] = {}
    for raw_row, name in zip(manifest["raw_row"], manifest["file"], strict=True):
        if not name:
            raise InputError(
                Location(str(manifest_path), row=int(raw_row), column="file"),
                "文件名为空。",
                "the file name is empty.",
            )
        if name in listed:
            raise InputError(
                Location(str(manifest_path), row=int(raw_row), column="file"),
                f"「{name}」已在第 {listed[name]} 行列出。",
                f"'{name}' is already listed in row {listed[name]}.",
            )
        listed[name] = int(raw_row)
    for name, raw_row in listed.items():
        if not (folder / name).is_file():
            raise InputError(
                Location(str(manifest_path), row=raw_row, column="file"),
                f"清单列出的文件 {folder / name} 不存在。",
                f"the listed file {folder / name} does not exist.",
            )
    on_disk = sorted(p.name for p in folder.iterdir() if _is_document(p))
    unlisted = [name for name in on_disk if name not in listed]
    if unlisted:
        raise InputError(
            Location(str(manifest_path)),
            f"文件夹中的 {', '.join(str(folder / n) for n in unlisted)} 未在 manifest.csv 中列出；"
            "请补充清单行（file,title,issuer,date）或移走该文件。",
            f"{', '.join(str(folder / n) for n in unlisted)} in the folder is not listed in "
            "manifest.csv; add a row (file,title,issuer,date) or move the file away.",
        )
    stems: dict[str, str] = {}
    rows = []
    for record in manifest.to_dict("records"):
        name = record["file"]
        doc_id = f"{city_key}-{Path(name).stem}"
        if doc_id in stems:
            raise InputError(
                Location(str(manifest_path), row=int(record["raw_row"]), column="file"),
                f"「{name}」与「{stems[doc_id]}」文件名主干相同，doc_id 会重复。",
                f"'{name}' and '{stems[doc_id]}' share a file stem, so their doc_id would clash.",
            )
        stems[doc_id] = name
        text = mask_pii(normalize_text(read_policy_text(folder / name)))
        rows.append(
            {
                "city_key": city_key,
                "city_name": city_name,
                "doc_id": doc_id,
                "file": name,
                "title": normalize_text(record["title"]),
                "issuer": normalize_text(record["issuer"]),
                "date": normalize_text(record["date"]),
                "text": text,
                "n_chars": len(text),
            }
        )
    table = pd.DataFrame(rows, columns=list(POLICY_COLUMNS))
    for column in POLICY_COLUMNS:
        table[column] = table[column].astype("int64" if column == "n_chars" else "str")
    return table.sort_values("doc_id", kind="stable").reset_index(drop=True)

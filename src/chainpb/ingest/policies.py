"""Policy documents of one city: a folder with ``manifest.csv`` (file,title,issuer,date) and the
documents it lists (.txt in any encoding of :mod:`.encoding`, or .docx).

The manifest and the folder must agree exactly: a manifest row whose file is absent, or a
.txt/.docx that the manifest does not list, stops the run with both names — a silently skipped
policy would bias the city's emphasis measure. Every other file in the folder (.pdf, .doc,
spreadsheets, Office lock files ``~$*.docx``, hidden files, sub-folders) is not read, and each is
named in the ingest log with the reason (:func:`skipped_files`), so a policy saved as .pdf does
not vanish unseen. A listed document whose text is empty (0 bytes, or only whitespace) stops the
run: an empty text would count as a policy that says nothing.

Text of a .docx is its body in document order: each paragraph one line, each table row one line
with its cells joined by "；" (merged cells once). Every text is normalised
(:func:`chainpb.text.normalize.normalize_text`) and PII-masked; ``n_chars`` counts the
normalised text. The manifest's title and issuer are masked too: a clerk may type a contact
(市委组织部（联系人张伟 13812345678）) into them, and they reach the report.
"""

from __future__ import annotations

import csv
import io
import logging
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
# Formats a policy often arrives in that the reader does not take, with what to do instead.
CONVERTIBLE_SUFFIXES = (".pdf", ".doc", ".wps", ".rtf", ".odt", ".html", ".htm")

log = logging.getLogger(__name__)  # a child of "chainpb": lands in the rule's log file


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


def skipped_files(folder: Path) -> list[tuple[str, str, str]]:
    """Files (and sub-folders) of ``folder`` the reader does not take: (name, reason zh, en).

    manifest.csv and the .txt/.docx documents are read (an unlisted document is an error
    elsewhere); everything else is reported here, sorted by name.
    """
    out: list[tuple[str, str, str]] = []
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        name = path.name
        suffix = path.suffix.lower()
        if name == MANIFEST_NAME or _is_document(path):
            continue
        if path.is_dir():
            reason = ("子文件夹，不读取其中的文件", "a sub-folder; its files are not read")
        elif name.startswith("~$"):
            reason = ("Office 临时锁文件，忽略", "an Office lock file; ignored")
        elif name.startswith("."):
            reason = ("隐藏文件，忽略", "a hidden file; ignored")
        elif suffix in CONVERTIBLE_SUFFIXES:
            reason = (
                f"{suffix} 文件不被读取（只读 .txt 和 .docx）；如是政策文本，请另存为 .docx 或 .txt，"
                "并在 manifest.csv 中列出",
                f"{suffix} files are not read (only .txt and .docx); if it is a policy text, "
                "save it as .docx or .txt and list it in manifest.csv",
            )
        else:
            reason = (
                f"不是政策文档（{suffix or '无扩展名'}），未读取",
                f"not a policy document ({suffix or 'no extension'}); not read",
            )
        out.append((name, *reason))
    return out


def _check_not_empty(path: Path, raw: str) -> None:
    """A listed document with no text stops the run, naming the file."""
    if raw.strip():
        return
    size = path.stat().st_size
    what_zh = "是 0 字节的空文件" if size == 0 else f"没有文字（{size} 字节，只有空白或空段落）"
    what_en = "is an empty file (0 bytes)" if size == 0 else f"has no text ({size} bytes of blanks)"
    raise InputError(
        Location(str(path)),
        f"政策文件{what_zh}；请放入正文（或从 manifest.csv 中删去这一行并移走该文件）。",
        f"the policy file {what_en}; put the text in it (or remove its manifest.csv row and "
        "move the file away).",
    )


def no_policies() -> pd.DataFrame:
    """The policies table of a city without policy texts: every column, no rows."""
    return pd.DataFrame(
        {c: pd.Series([], dtype="int64" if c == "n_chars" else "str") for c in POLICY_COLUMNS}
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
    for name, reason_zh, reason_en in skipped_files(folder):
        log.warning("未读取 not read: %s — %s / %s", folder / name, reason_zh, reason_en)
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
        raw = read_policy_text(folder / name)
        _check_not_empty(folder / name, raw)
        text = mask_pii(normalize_text(raw))
        rows.append(
            {
                "city_key": city_key,
                "city_name": city_name,
                "doc_id": doc_id,
                "file": name,
                "title": mask_pii(normalize_text(record["title"])),
                "issuer": mask_pii(normalize_text(record["issuer"])),
                "date": normalize_text(record["date"]),
                "text": text,
                "n_chars": len(text),
            }
        )
    if not rows:
        return no_policies()
    table = pd.DataFrame(rows, columns=list(POLICY_COLUMNS))
    for column in POLICY_COLUMNS:
        table[column] = table[column].astype("int64" if column == "n_chars" else "str")
    return table.sort_values("doc_id", kind="stable").reset_index(drop=True)

"""Policy documents of one city: a folder with ``manifest.csv`` (file,title,issuer,date) and the
documents it lists: .txt in any encoding of :mod:`.encoding`, .docx, .pdf with a text layer, and
saved web pages .html/.htm (readers in :mod:`chainpb.ingest.documents`).

The manifest and the folder must agree: a manifest row whose file is absent, or a .txt/.docx
that the manifest does not list, stops the run with both names — a silently skipped policy would
bias the city's emphasis measure. A .pdf/.html/.htm that the manifest does not list is not read
(it is often the original of a listed .docx, saved when only .txt/.docx were read) and is named
in the ingest log, as is every other file in the folder (.doc, spreadsheets, Office lock files
``~$*.docx``, hidden files, sub-folders; :func:`skipped_files`). A listed document whose text is
empty (0 bytes, or only whitespace) stops the run: an empty text would count as a policy that
says nothing. Listed PDFs without a text layer (scans) stop the run together, each named as
needing OCR.

Text of a .docx is its body in document order: each paragraph one line, each table row one line
with its cells joined by "；" (merged cells once). A PDF's text is its text layer page by page,
with the lines the PDF wrapped rejoined after cleaning; a web page's is its main text, and its
title and date fill a manifest row whose title or date is blank. Every text is normalised
(:func:`chainpb.text.normalize.normalize_text`), cleaned of boilerplate lines (config
``documents.cleaning``; counted per document in the cleaning report) and PII-masked; ``n_chars``
counts the final text. Documents that duplicate one listed before them (config
``documents.dedup``) are dropped and reported. The manifest's title and issuer are masked too: a
clerk may type a contact (市委组织部（联系人张伟 13812345678）) into them, and they reach the
report.
"""

from __future__ import annotations

import csv
import io
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from chainpb.errors import InputError, Location
from chainpb.ingest.documents.cleaning import (
    TOTAL_RULE,
    CleaningRules,
    clean_pages,
    cleaning_report,
)
from chainpb.ingest.documents.dedup import DedupSettings, drop_duplicates, find_duplicates
from chainpb.ingest.documents.html import read_html
from chainpb.ingest.documents.pdf import NeedsOcr, join_wrapped_lines, read_pdf_pages
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
DOCUMENT_SUFFIXES = (".txt", ".docx", ".pdf", ".html", ".htm")
# Documents that must be listed in manifest.csv; an unlisted .pdf/.html/.htm is only logged.
STRICT_SUFFIXES = (".txt", ".docx")
PAGED_SUFFIXES = (".pdf",)
CELL_SEPARATOR = "；"
# Formats a policy often arrives in that the reader does not take, with what to do instead.
CONVERTIBLE_SUFFIXES = (".doc", ".wps", ".rtf", ".odt")

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


@dataclass(frozen=True)
class RawDocument:
    """A document as read, before normalisation: its pages (one for all but PDFs), and the
    title and date the document itself carries ("" when none; web pages only)."""

    pages: list[str]
    title: str = ""
    date: str = ""

    @property
    def text(self) -> str:
        return "\n".join(self.pages)


def read_policy_document(path: str | os.PathLike[str]) -> RawDocument:
    """One policy document (.txt in a detected encoding, .docx, .pdf, .html/.htm), unnormalised."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".docx":
        return RawDocument([read_docx_text(path)])
    if suffix == ".txt":
        return RawDocument([read_text_auto(path)[0]])
    if suffix == ".pdf":
        return RawDocument(read_pdf_pages(path))
    if suffix in (".html", ".htm"):
        page = read_html(path)
        return RawDocument([page.text], title=page.title, date=page.date)
    raise InputError(
        Location(str(path)),
        f"不支持的政策文件类型「{path.suffix}」；支持 .txt、.docx、.pdf、.html/.htm"
        "（.doc/.wps 请先另存为 .docx）。",
        f"unsupported policy file type '{path.suffix}'; supported: .txt, .docx, .pdf, "
        ".html/.htm (save .doc/.wps as .docx first).",
    )


def read_policy_text(path: str | os.PathLike[str]) -> str:
    """Raw text of one policy document (pages of a PDF joined by line breaks, uncleaned)."""
    return read_policy_document(path).text


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


def _is_document(path: Path, suffixes: tuple[str, ...] = DOCUMENT_SUFFIXES) -> bool:
    return (
        path.is_file() and path.suffix.lower() in suffixes and not path.name.startswith(("~$", "."))
    )


def skipped_files(
    folder: Path, listed: frozenset[str] | set[str] = frozenset()
) -> list[tuple[str, str, str]]:
    """Files (and sub-folders) of ``folder`` the reader does not take: (name, reason zh, en).

    manifest.csv and the listed documents are read, and an unlisted .txt/.docx is an error
    elsewhere; everything else is reported here, sorted by name — an unlisted .pdf/.html/.htm
    too (``listed``: the file names in manifest.csv).
    """
    out: list[tuple[str, str, str]] = []
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        name = path.name
        suffix = path.suffix.lower()
        if name == MANIFEST_NAME or _is_document(path, STRICT_SUFFIXES) or name in listed:
            continue
        if path.is_dir():
            reason = ("子文件夹，不读取其中的文件", "a sub-folder; its files are not read")
        elif name.startswith("~$"):
            reason = ("Office 临时锁文件，忽略", "an Office lock file; ignored")
        elif name.startswith("."):
            reason = ("隐藏文件，忽略", "a hidden file; ignored")
        elif _is_document(path):
            reason = (
                f"{suffix} 文件未在 manifest.csv 中列出，不读取；如是政策文本，请在 manifest.csv 中"
                "补充一行（file,title,issuer,date）",
                f"{suffix} files are not read unless listed in manifest.csv; if it is a policy "
                "text, add a row (file,title,issuer,date)",
            )
        elif suffix in CONVERTIBLE_SUFFIXES:
            reason = (
                f"{suffix} 文件不被读取（读取 .txt、.docx、.pdf、.html）；如是政策文本，请另存为 "
                ".docx 或 .txt，并在 manifest.csv 中列出",
                f"{suffix} files are not read (read: .txt, .docx, .pdf, .html); if it is a policy "
                "text, save it as .docx or .txt and list it in manifest.csv",
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


@dataclass(frozen=True)
class PolicyIngest:
    """The policies table of a city with the two reports of its reading.

    ``cleaning``: :func:`chainpb.ingest.documents.cleaning.cleaning_report` of every document
    read (also those then dropped as duplicates); ``duplicates``:
    :func:`chainpb.ingest.documents.dedup.find_duplicates` (one row per dropped document).
    """

    table: pd.DataFrame
    cleaning: pd.DataFrame
    duplicates: pd.DataFrame

    @classmethod
    def empty(cls) -> PolicyIngest:
        """A city without policy texts: the empty table and empty reports (every column)."""
        return cls(no_policies(), cleaning_report([]), find_duplicates([], [], [], DedupSettings()))

    @property
    def lines_removed(self) -> int:
        """Lines the cleaning filter removed, all documents together."""
        totals = self.cleaning.loc[self.cleaning["rule"] == TOTAL_RULE, "lines_removed"]
        return int(totals.sum())


def read_policy_folder(
    folder: str | os.PathLike[str],
    city_key: str,
    city_name: str,
    cleaning: CleaningRules | None = None,
    dedup: DedupSettings | None = None,
) -> pd.DataFrame:
    """All policy documents of one city as the policies.parquet table, sorted by doc_id.

    Without ``cleaning`` only the running headers and footers of PDFs are removed (no line
    rules: their patterns live in config); without ``dedup`` no document is dropped.
    """
    return ingest_policy_folder(folder, city_key, city_name, cleaning, dedup).table


def ingest_policy_folder(
    folder: str | os.PathLike[str],
    city_key: str,
    city_name: str,
    cleaning: CleaningRules | None = None,
    dedup: DedupSettings | None = None,
) -> PolicyIngest:
    """Read, clean and deduplicate one city's policy folder (see the module docstring)."""
    cleaning = cleaning if cleaning is not None else CleaningRules()
    dedup = dedup if dedup is not None else DedupSettings(enabled=False)
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
    on_disk = sorted(p.name for p in folder.iterdir() if _is_document(p, STRICT_SUFFIXES))
    unlisted = [name for name in on_disk if name not in listed]
    if unlisted:
        raise InputError(
            Location(str(manifest_path)),
            f"文件夹中的 {', '.join(str(folder / n) for n in unlisted)} 未在 manifest.csv 中列出；"
            "请补充清单行（file,title,issuer,date）或移走该文件。",
            f"{', '.join(str(folder / n) for n in unlisted)} in the folder is not listed in "
            "manifest.csv; add a row (file,title,issuer,date) or move the file away.",
        )
    for name, reason_zh, reason_en in skipped_files(folder, set(listed)):
        log.warning("未读取 not read: %s — %s / %s", folder / name, reason_zh, reason_en)
    stems: dict[str, str] = {}
    rows = []
    cleaned_docs = []
    scans: list[NeedsOcr] = []
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
        try:
            raw = read_policy_document(folder / name)
        except NeedsOcr as scan:
            scans.append(scan)  # all scans are named together below
            continue
        _check_not_empty(folder / name, raw.text)
        cleaned = clean_pages([normalize_text(page) for page in raw.pages], cleaning)
        cleaned_docs.append((doc_id, name, cleaned))
        if Path(name).suffix.lower() in PAGED_SUFFIXES:
            text = "\n".join(join_wrapped_lines(cleaned.lines))
        else:
            text = cleaned.text
        if not text:
            raise InputError(
                Location(str(folder / name)),
                "清理后没有文字：每一行都被 documents.cleaning 的规则去除了"
                f"（{', '.join(cleaned.lines_removed)}）；请检查规则或文件。",
                "no text is left after cleaning: every line was removed by the rules of "
                f"documents.cleaning ({', '.join(cleaned.lines_removed)}); check the rules or the "
                "file.",
            )
        text = mask_pii(text)
        title, date = record["title"], record["date"]
        if not title and raw.title:
            title = raw.title
            log.info("标题取自文件 title taken from the document: %s — %s", name, raw.title)
        if not date and raw.date:
            date = raw.date
            log.info("日期取自文件 date taken from the document: %s — %s", name, raw.date)
        rows.append(
            {
                "city_key": city_key,
                "city_name": city_name,
                "doc_id": doc_id,
                "file": name,
                "title": mask_pii(normalize_text(title)),
                "issuer": mask_pii(normalize_text(record["issuer"])),
                "date": normalize_text(date),
                "text": text,
                "n_chars": len(text),
            }
        )
    if scans:
        raise _needs_ocr(folder, scans)
    report = cleaning_report(cleaned_docs)
    for _doc_id, name, cleaned in cleaned_docs:
        if cleaned.lines_removed:
            log.info(
                "清理 cleaned: %s — 去除 removed %d 行 lines, %d 字 characters (%s)",
                name,
                sum(cleaned.lines_removed.values()),
                sum(cleaned.chars_removed.values()),
                ", ".join(f"{r} {n}" for r, n in cleaned.lines_removed.items()),
            )
    rows, duplicates = drop_duplicates(rows, "file", dedup, log)
    if not rows:
        return PolicyIngest(no_policies(), report, duplicates)
    table = pd.DataFrame(rows, columns=list(POLICY_COLUMNS))
    for column in POLICY_COLUMNS:
        table[column] = table[column].astype("int64" if column == "n_chars" else "str")
    table = table.sort_values("doc_id", kind="stable").reset_index(drop=True)
    return PolicyIngest(table, report, duplicates)


def _needs_ocr(folder: Path, scans: list[NeedsOcr]) -> InputError:
    names_zh = "、".join(f"{s.path.name}（{s.n_pages} 页）" for s in scans)
    names_en = ", ".join(f"{s.path.name} ({s.n_pages} page(s))" for s in scans)
    return InputError(
        Location(str(folder)),
        f"以下 PDF 没有文字层（扫描件或图片），需要先做 OCR 文字识别：{names_zh}。请用 WPS/Adobe "
        "Acrobat 的“识别文字”或 ocrmypdf 生成带文字层的 PDF（或另存为 .docx）后替换原文件。",
        f"these PDFs have no text layer (scans or images) and need OCR first: {names_en}. Make a "
        "PDF with a text layer with WPS/Adobe Acrobat 'recognise text' or ocrmypdf (or save it as "
        ".docx) and replace the file.",
    )

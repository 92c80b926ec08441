"""The text layer of a PDF (pypdf), page by page, and the joining of lines a PDF wrapped.

A PDF downloaded from a government site is usually made from Word or WPS and carries its text;
a scanned PDF carries only page images. pypdf (BSD-3-Clause) reads the text layer; nothing here
guesses text from images. A PDF whose pages yield no text at all is not an empty policy: it is
named as needing OCR (:class:`NeedsOcr`), and the policy-folder reader stops the run listing every
such file. Pages without text inside a PDF that has text elsewhere (a scanned annex) are named in
the log.

A PDF breaks every line at the page edge, also inside a sentence, and the text stage ends a
sentence at a line break. :func:`join_wrapped_lines` therefore rejoins the lines of one paragraph
(after the cleaning filter has removed running headers, footers and page numbers, so that a
paragraph running over a page break is rejoined too). A line ends a paragraph when it ends with a
sentence mark (。！？…, optionally followed by a closing quote or bracket), or when it is clearly
shorter than the full lines of the document (a heading such as "各位代表：", a list item ending
in "；", or the last line of a paragraph without a final mark). A full line that happens to end
with 。 inside a paragraph is taken as a paragraph end: harmless for the text stage, which ends
a sentence there anyway. Two Latin letters meeting at a join get a space between them.
"""

from __future__ import annotations

import logging
import os
import re
import statistics
from pathlib import Path

from chainpb.errors import InputError, Location

log = logging.getLogger(__name__)

# A line ending with one of these (optionally followed by closing quotes/brackets) ends a paragraph.
_PARAGRAPH_END = re.compile(r"[。！？…!?][”’」』）)\]】]*$")
_LATIN = re.compile(r"[A-Za-z]")
# A line shorter than this share of the document's typical full line ends its paragraph.
SHORT_LINE_SHARE = 0.8


class NeedsOcr(InputError):
    """A PDF without a text layer (a scan): it must be run through OCR first."""

    def __init__(self, path: str | os.PathLike[str], n_pages: int) -> None:
        self.path = Path(path)
        self.n_pages = n_pages
        super().__init__(
            Location(str(path)),
            f"PDF 的 {n_pages} 页都没有文字层（扫描件或图片），需要先做 OCR 文字识别"
            "（例如用 WPS/Adobe Acrobat 的“识别文字”，或 ocrmypdf），再放回文件夹。",
            f"none of the PDF's {n_pages} page(s) has a text layer (a scan or images); run it "
            "through OCR first (e.g. WPS/Adobe Acrobat 'recognise text', or ocrmypdf) and put "
            "it back in the folder.",
        )


def read_pdf_pages(path: str | os.PathLike[str]) -> list[str]:
    """The text layer of each page, in page order (raw, before normalisation).

    Raises :class:`NeedsOcr` when no page has any text, InputError when the file is not a
    readable PDF (damaged, or encrypted with a password).
    """
    from pypdf import PdfReader

    path = Path(path)
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise InputError(
                Location(str(path)),
                "PDF 有打开密码，无法读取；请去掉密码后另存。",
                "the PDF is protected by a password; save a copy without it.",
            )
        pages = [page.extract_text() or "" for page in reader.pages]
    except InputError:
        raise
    except Exception as err:  # pypdf raises many kinds on damaged files, not only PdfReadError
        raise InputError(
            Location(str(path)),
            f"无法读取 PDF（文件损坏或不是 PDF）：{type(err).__name__}: {err}",
            f"cannot read the PDF (damaged or not a PDF): {type(err).__name__}: {err}",
        ) from err
    # pypdf may return NUL or other control characters for glyphs it cannot map.
    pages = [_drop_controls(text) for text in pages]
    if not any(text.strip() for text in pages):
        raise NeedsOcr(path, len(pages))
    empty = [str(i + 1) for i, text in enumerate(pages) if not text.strip()]
    if empty:
        log.warning(
            "PDF 部分页面没有文字层（可能是扫描的附件，需要 OCR）not every page has a text layer "
            "(a scanned annex? needs OCR): %s — 第 pages %s",
            path,
            ", ".join(empty),
        )
    return pages


def _drop_controls(text: str) -> str:
    return "".join(ch for ch in text if ch in "\n\t" or ord(ch) >= 32)


def join_wrapped_lines(lines: list[str]) -> list[str]:
    """Rejoin the lines of each paragraph that the PDF wrapped (see module docstring)."""
    lines = [line.strip() for line in lines if line.strip()]
    if not lines:
        return []
    lengths = sorted(len(line) for line in lines)
    # The typical full line: the median of the longer half of the lines.
    full = statistics.median(lengths[len(lengths) // 2 :])
    out: list[str] = []
    current = ""
    for line in lines:
        current = line if not current else _join(current, line)
        if _PARAGRAPH_END.search(line) or len(line) < SHORT_LINE_SHARE * full:
            out.append(current)
            current = ""
    if current:
        out.append(current)
    return out


def _join(left: str, right: str) -> str:
    # Two Latin words get a space; everything else (Chinese, a number broken at the page edge
    # such as "10." + "1斤") joins directly.
    if _LATIN.match(left[-1]) and _LATIN.match(right[0]):
        return f"{left} {right}"
    return left + right

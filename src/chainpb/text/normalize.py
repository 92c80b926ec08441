"""Normalisation of Chinese text before it is stored or segmented.

Ingest and segmentation share these functions so that the offsets the coder reports point at
the same characters a researcher sees in the ingested table.

- full-width ASCII (Ａ１，) → half-width; the full-width space U+3000 → a plain space. Chinese
  punctuation (，。；：？！「」) is kept: it marks clauses and sentences.
- traditional → simplified characters (OpenCC t2s tables, via opencc-python-reimplemented), so
  that 黨建 and 党建 match the same codebook term;
- whitespace: runs of spaces and tabs become one space, spaces between two CJK characters are
  dropped (irregular spacing in official texts), line breaks are kept (they end sentences).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_FULLWIDTH_OFFSET = 0xFEE0
# Keep these full-width: they are Chinese punctuation that the sentence splitter and the
# negation scope rely on, and converting them would change what a researcher reads.
_KEEP_FULLWIDTH = set("，。；：？！（）、")
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])[ \t]+(?=[{_CJK}])")
_SPACE_RUN = re.compile(r"[ \t\u00a0\u2002-\u200b\u202f\u205f]+")
_LINE_SPACE = re.compile(r" *\n *")
_BLANK_LINES = re.compile(r"\n{3,}")


def to_halfwidth(text: str) -> str:
    """Full-width ASCII letters, digits and symbols → half-width; U+3000 → space."""
    out = []
    for ch in text:
        code = ord(ch)
        if ch == "\u3000":
            out.append(" ")
        elif 0xFF01 <= code <= 0xFF5E and ch not in _KEEP_FULLWIDTH:
            out.append(chr(code - _FULLWIDTH_OFFSET))
        else:
            out.append(ch)
    return "".join(out)


@lru_cache(maxsize=1)
def _t2s():
    from opencc import OpenCC  # opencc-python-reimplemented

    return OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → simplified Chinese (OpenCC t2s)."""
    if not text:
        return text
    return _t2s().convert(text)


def normalize_whitespace(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _SPACE_RUN.sub(" ", text)
    text = _SPACE_BETWEEN_CJK.sub("", text)
    text = _LINE_SPACE.sub("\n", text)
    text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


def normalize_text(text: str | None, *, simplify: bool = True) -> str:
    """The one normalisation every text goes through (NFC, half-width, simplified, spacing)."""
    if text is None:
        return ""
    text = unicodedata.normalize("NFC", str(text))
    text = to_halfwidth(text)
    if simplify:
        text = to_simplified(text)
    return normalize_whitespace(text)

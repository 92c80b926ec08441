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


@lru_cache(maxsize=1)
def _convertible() -> re.Pattern[str]:
    """A pattern that finds, in a piece of text, anything some t2s entry would change.

    An entry (phrase or character) changes a text only where its key occurs and the key differs
    from its value. For keys as long as their values, the characters that differ are enough (a
    character class); the few keys of another length are matched whole. A piece of text without
    a match is returned by OpenCC unchanged — most pieces of mainland text — so the slow
    pure-Python conversion runs only on the others (identical results: tests compare both on
    the shared corpora).
    """
    converter = _t2s()
    converter.convert("")  # loads the dictionaries
    chars: set[str] = set()
    keys: set[str] = set()
    for group in converter._dict_chain_data:
        for _start, _end, table in group:
            for key, value in table.items():
                if key == value:
                    continue
                if len(key) == len(value):
                    chars |= {k for k, v in zip(key, value, strict=True) if k != v}
                else:
                    keys.add(key)
    alternatives = [re.escape(k) for k in sorted(keys, key=lambda k: (-len(k), k))]
    alternatives.append("[" + "".join(re.escape(c) for c in sorted(chars)) + "]")
    return re.compile("|".join(alternatives))


def to_simplified(text: str) -> str:
    """Traditional → simplified Chinese (OpenCC t2s).

    OpenCC converts the pieces between its separators (punctuation, blanks) one by one; only the
    pieces holding something convertible are passed to it, the rest are kept as they are.
    """
    if not text or not _convertible().search(text):
        return text
    converter = _t2s()
    pieces = converter.split_chars_re.split(text)
    # even positions: text between separators; odd positions: the separators themselves
    return "".join(
        converter.convert(piece) if i % 2 == 0 and _convertible().search(piece) else piece
        for i, piece in enumerate(pieces)
    )


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

"""Segmentation of normalised Chinese text into paragraphs, sentences and tokens.

Rules (what a researcher should know when reading ``tokens_<source>.parquet``):

- **Paragraphs** end at every line break. ``normalize_text`` keeps single line breaks and
  collapses blank-line runs to one blank line; open survey answers usually separate points with
  a single line break and official documents with a blank line, so treating any line break as a
  paragraph end gives the same paragraphs in both.
- **Sentences** end after 。！？；!?; (a run of them, plus closing quotes/brackets that follow,
  stays with the sentence) and at every line break. A sentence never spans two paragraphs.
- **Tokens** come from a private ``jieba.Tokenizer`` (never the global one, so that other code
  that uses jieba cannot change our segmentation and we cannot change theirs) with the domain
  user dictionary loaded. Whitespace tokens are dropped; punctuation tokens are kept, because
  the negation scope of the coder ends at clause marks (，；： …) and needs to see them.
- Every token keeps character offsets into the normalised text: ``text[start:end] == token``.

jieba writes its prefix-dictionary cache to a folder the caller passes (the workflow uses
``.cache/jieba`` inside the project) instead of the shared ``/tmp``, and its log messages are
silenced while it loads.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from chainpb.errors import InputError, Location

TOKEN_COLUMNS = [
    "doc_id",
    "unit_id",
    "sentence_id",
    "paragraph_id",
    "token_index",
    "token",
    "start",
    "end",
]
UNITS = ("sentence", "paragraph", "document")

# A sentence ends after a run of terminal marks plus any closing quotes or brackets that belong
# to it (…完成。” stays one sentence), or at a line break.
_SENTENCE_END = re.compile(r"[。！？；!?;]+[”’」』）)\]]*|\n")
_PARAGRAPH_SPLIT = re.compile(r"\n+")


@dataclass(frozen=True)
class Span:
    """A sentence or paragraph: ``text[start:end]``."""

    start: int
    end: int


def read_word_list(path: str | Path) -> list[str]:
    """Read a one-entry-a-line list (stopwords); ``#`` starts a comment line, blanks skipped."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError as exc:
        raise InputError(
            Location(path), "无法读取词表文件", f"cannot read word list: {exc}"
        ) from exc
    return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


def read_user_dict(path: str | Path) -> list[tuple[str, int | None, str | None]]:
    """Parse a jieba user dictionary: ``word [freq] [pos]`` a line; ``#`` lines are comments.

    Parsed here rather than by ``jieba.load_userdict`` so that the file may carry a header
    comment and so that a malformed line is reported with its line number.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError as exc:
        raise InputError(
            Location(path), "无法读取用户词典", f"cannot read user dictionary: {exc}"
        ) from exc
    entries: list[tuple[str, int | None, str | None]] = []
    for lineno, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        word = parts[0]
        freq: int | None = None
        pos: str | None = None
        if len(parts) >= 2:
            if not parts[1].isdigit():
                raise InputError(
                    Location(path, lineno),
                    f"词频应为非负整数，实际为「{parts[1]}」（格式：词 词频 词性）",
                    f"frequency must be a non-negative integer, got '{parts[1]}' (format: word freq pos)",
                )
            freq = int(parts[1])
        if len(parts) >= 3:
            pos = parts[2]
        entries.append((word, freq, pos))
    return entries


def split_paragraphs(text: str) -> list[Span]:
    """Paragraph spans: maximal runs of text between line breaks (empty runs skipped)."""
    spans: list[Span] = []
    pos = 0
    for m in _PARAGRAPH_SPLIT.finditer(text):
        if m.start() > pos:
            spans.append(Span(pos, m.start()))
        pos = m.end()
    if pos < len(text):
        spans.append(Span(pos, len(text)))
    return spans


def split_sentences(text: str) -> list[Span]:
    """Sentence spans; a sentence includes its end mark; blank sentences are skipped."""
    spans: list[Span] = []
    pos = 0
    for m in _SENTENCE_END.finditer(text):
        end = m.start() if m.group() == "\n" else m.end()
        if text[pos:end].strip():
            spans.append(_strip_span(text, pos, end))
        pos = m.end()
    if text[pos:].strip():
        spans.append(_strip_span(text, pos, len(text)))
    return spans


def _strip_span(text: str, start: int, end: int) -> Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end)


class Segmenter:
    """A private jieba tokenizer with the domain dictionary, loaded lazily and quietly.

    ``cache_dir`` receives jieba's prefix-dictionary cache (``jieba.cache``); pass a folder
    inside the project (``.cache/jieba``), never the shared ``/tmp``.
    """

    def __init__(
        self,
        cache_dir: str | Path,
        user_dict: str | Path | None = None,
        stopwords: str | Path | None = None,
        *,
        hmm: bool = True,
    ) -> None:
        self.cache_dir = Path(cache_dir)
        self.user_dict = Path(user_dict) if user_dict is not None else None
        self.stopwords: frozenset[str] = (
            frozenset(read_word_list(stopwords)) if stopwords is not None else frozenset()
        )
        self.hmm = hmm
        self._tokenizer = None
        self._lock = threading.Lock()

    @property
    def tokenizer(self):  # -> jieba.Tokenizer
        """The initialised private tokenizer (built on first use)."""
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    self._tokenizer = self._build()
        return self._tokenizer

    def _build(self):
        import jieba

        entries = read_user_dict(self.user_dict) if self.user_dict is not None else []
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        tok = jieba.Tokenizer()
        tok.tmp_dir = str(self.cache_dir)
        tok.cache_file = "jieba.cache"
        jieba_logger = logging.getLogger("jieba")
        old_level = jieba_logger.level
        # jieba announces "Building prefix dict ..." at DEBUG on its own handler; a researcher
        # running the workflow should not see that noise, so mute it only while we load.
        jieba_logger.setLevel(logging.WARNING)
        try:
            tok.initialize()
            for word, freq, pos in entries:
                tok.add_word(word, freq, pos)
        finally:
            jieba_logger.setLevel(old_level)
        return tok

    def cut(self, text: str) -> list[str]:
        """Tokens of ``text`` in order, whitespace tokens included (they carry offsets)."""
        return list(self.tokenizer.cut(text, HMM=self.hmm))

    def tokens(self, text: str) -> list[str]:
        """Tokens of a short string (a codebook term or cue), whitespace dropped."""
        return [t for t in self.cut(text) if not t.isspace()]

    def iter_tokens(self, text: str) -> Iterator[tuple[int, int, int, str, int, int]]:
        """Yield ``(paragraph_id, sentence_id, token_index, token, start, end)`` for ``text``.

        ``text`` must already be normalised (``normalize_text``); offsets index into it.
        """
        cut = self.tokenizer.cut
        hmm = self.hmm
        sentence_id = -1
        token_index = 0
        for paragraph_id, para in enumerate(split_paragraphs(text)):
            # One jieba call per paragraph, not per sentence: jieba emits every character outside
            # its word pattern (。！？；!?; quotes, line breaks) as a token of its own, so no
            # token can cross a sentence end and the tokens are the same as cutting sentence by
            # sentence, at a fraction of the per-call overhead.
            ends = [para.start + s.end for s in split_sentences(text[para.start : para.end])]
            if not ends:
                continue
            k = 0
            sentence_id += 1
            pos = para.start
            for tok in cut(text[para.start : para.end], HMM=hmm):
                end = pos + len(tok)
                if not tok.isspace():
                    while pos >= ends[k] and k + 1 < len(ends):
                        k += 1
                        sentence_id += 1
                    yield paragraph_id, sentence_id, token_index, tok, pos, end
                    token_index += 1
                pos = end
            sentence_id += len(ends) - 1 - k


def unit_of(unit: str, sentence_id: int, paragraph_id: int) -> int:
    """The coding-unit number of a token for ``unit`` (sentence | paragraph | document)."""
    if unit == "sentence":
        return sentence_id
    if unit == "paragraph":
        return paragraph_id
    return 0


def segment_documents(
    df: pd.DataFrame,
    id_col: str,
    text_col: str,
    segmenter: Segmenter,
    *,
    unit: str = "sentence",
) -> pd.DataFrame:
    """Token table (``tokens_<source>.parquet``) of every text in ``df``.

    ``id_col`` becomes ``doc_id`` (answers: ``enterprise_id``; policies: ``doc_id``);
    ``text_col`` holds normalised text (answers: ``difficulty_text``; policies: ``text``).
    ``unit_id`` numbers the coding unit within the document (the sentence, the paragraph, or 0
    for the whole document). Rows are sorted by ``doc_id`` then ``token_index``; blank or
    missing texts contribute no rows.
    """
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {UNITS}, got {unit!r}")
    pairs = sorted(_iter_texts(df, id_col, text_col), key=lambda p: p[0])
    doc_ids: list[str] = []
    rows: list[tuple[int, int, int, str, int, int]] = []
    for doc_id, text in pairs:
        before = len(rows)
        rows.extend(segmenter.iter_tokens(text))
        doc_ids.extend([doc_id] * (len(rows) - before))
    # Columns are built in one transposition rather than eight appends per token.
    pids, sids, idxs, toks, starts, ends = (
        (list(c) for c in zip(*rows, strict=True)) if rows else ([],) * 6
    )
    unit_ids = sids if unit == "sentence" else pids if unit == "paragraph" else [0] * len(rows)
    out = pd.DataFrame(
        {
            "doc_id": doc_ids,
            "unit_id": unit_ids,
            "sentence_id": sids,
            "paragraph_id": pids,
            "token_index": idxs,
            "token": toks,
            "start": starts,
            "end": ends,
        },
        columns=TOKEN_COLUMNS,
    )
    out["doc_id"] = out["doc_id"].astype("string")
    out["token"] = out["token"].astype("string")
    for c in ("unit_id", "sentence_id", "paragraph_id", "token_index", "start", "end"):
        out[c] = out[c].astype("int64")
    return out


def _iter_texts(df: pd.DataFrame, id_col: str, text_col: str) -> Iterable[tuple[str, str]]:
    for col in (id_col, text_col):
        if col not in df.columns:
            raise InputError(
                Location("<table>", column=col),
                f"缺少列「{col}」，需要文档编号列和文本列",
                f"missing column '{col}'; an id column and a text column are required",
            )
    seen: set[str] = set()
    for doc_id, text in zip(df[id_col].tolist(), df[text_col].tolist(), strict=True):
        key = str(doc_id)
        if key in seen:
            raise InputError(
                Location("<table>", column=id_col),
                f"编号「{key}」重复，每个文档/受访者只能出现一次",
                f"duplicate id '{key}'; each document/respondent must appear once",
            )
        seen.add(key)
        if text is None or (isinstance(text, float) and pd.isna(text)) or text is pd.NA:
            continue
        text = str(text)
        if text.strip():
            yield key, text

"""Segmentation of normalised Chinese text into paragraphs, sentences and tokens.

Rules (what a researcher should know when reading ``tokens_<source>.parquet``):

- **Paragraphs** end at every line break. ``normalize_text`` keeps single line breaks and
  collapses blank-line runs to one blank line; open survey answers usually separate points with
  a single line break and official documents with a blank line, so treating any line break as a
  paragraph end gives the same paragraphs in both.
- **Sentences** end after 。！？；!?; (a run of them, plus closing quotes/brackets that follow,
  stays with the sentence) and at every line break. A sentence never spans two paragraphs.
- **Tokens** come from a private tokenizer (never a global one, so that other code that uses
  jieba cannot change our segmentation and we cannot change theirs) with the domain user
  dictionary loaded word by word (``add_word`` with the file's frequency and tag). Two
  backends (config ``text.segmenter``): ``jieba`` (a private ``jieba.Tokenizer``) and
  ``rjieba`` (``rjieba.Jieba``, the Python binding of jieba-rs, the Rust port of jieba with
  the same dictionary, the same HMM and the same user-word rules; its tokenizer is about 15×
  and the whole token table about 7× faster on the shared corpora, benchmarks/README.md).
  Whitespace tokens are dropped; punctuation tokens are kept, because the negation scope of
  the coder ends at clause marks (，；： …) and needs to see them.
- **Where the two backends differ, and how that is undone**: jieba splits a run of ASCII
  letters and digits that is not a dictionary word at every symbol except a decimal point and
  a trailing % (``2011-2020`` → ``2011`` ``-`` ``2020``; ``COVID-19``, ``x_1``, ``1.2.3``
  likewise), while jieba-rs keeps such a run whole. The rjieba backend splits these tokens
  again with jieba's own pattern (``_JIEBA_SKIP``, from ``jieba.finalseg``), so the token
  tables are the same: on the shared corpora and the example (5.3 MB, 801,501 tokens) raw
  jieba-rs differed from jieba in two places only (``2011-2020``, ``2006-2020``), and after the
  split in none. Even unsplit, no code could change: the codebook is Chinese words and the
  coder's clause marks are Chinese punctuation — only token counts (``n_tokens``, the
  per-1,000-word policy rates) would. ``tests/test_text_segmenter_backends.py`` checks that the
  tokens, hits and unit codes are identical on the example and the shared corpora. With
  ``hmm=False`` the split is not applied (jieba-rs then follows jieba's no-HMM rule).
- Every token keeps character offsets into the normalised text: ``text[start:end] == token``.

jieba writes its prefix-dictionary cache to a folder the caller passes (the workflow uses
``.cache/jieba`` inside the project) instead of the shared ``/tmp``, and its log messages are
silenced while it loads; rjieba keeps its dictionary in memory and writes no cache.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from chainpb.errors import ChainpbError, InputError, Location

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
# Segmentation backends (config ``text.segmenter``; the schema lists the same two).
BACKENDS = ("jieba", "rjieba")

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


# jieba's HMM step (jieba.finalseg) splits a run of ASCII letters and digits that is not a
# dictionary word at every symbol but a decimal point and a trailing %; jieba-rs keeps
# 2011-2020, COVID-19, x_1, 1.2.3 whole. Such a token is split again with jieba's own pattern.
_JIEBA_SKIP = re.compile(r"([a-zA-Z0-9]+(?:\.\d+)?%?)")
# Only a text with an ASCII symbol between two letters/digits can hold such a token.
_ASCII_SYMBOL_RUN = re.compile(r"[a-zA-Z0-9][+#&._%\-]+[a-zA-Z0-9]")


class _Rjieba:
    """``rjieba.Jieba`` behind jieba's ``cut(text, HMM=...)`` call, with jieba's ASCII splits."""

    def __init__(self, tokenizer) -> None:
        self._tokenizer = tokenizer

    def cut(self, text: str, HMM: bool = True) -> list[str]:
        tokens = self._tokenizer.cut(text, HMM)
        if not HMM or not _ASCII_SYMBOL_RUN.search(text):
            return tokens
        out: list[str] = []
        for tok in tokens:
            if (
                len(tok) > 1
                and tok.isascii()
                and not tok.isalnum()
                and not self._tokenizer.has_word(tok)
            ):
                out.extend(part for part in _JIEBA_SKIP.split(tok) if part)
            else:
                out.append(tok)
        return out


class Segmenter:
    """A private tokenizer with the domain dictionary, loaded lazily and quietly.

    ``backend`` is ``"jieba"`` (default) or ``"rjieba"`` (see the module docstring for the
    differences). ``cache_dir`` receives jieba's prefix-dictionary cache (``jieba.cache``);
    pass a folder inside the project (``.cache/jieba``), never the shared ``/tmp``.
    """

    def __init__(
        self,
        cache_dir: str | Path,
        user_dict: str | Path | None = None,
        stopwords: str | Path | None = None,
        *,
        hmm: bool = True,
        backend: str = "jieba",
    ) -> None:
        if backend not in BACKENDS:
            raise ChainpbError(
                f"配置错误：text.segmenter 应为 {' 或 '.join(BACKENDS)}，实际为「{backend}」",
                f"Config error: text.segmenter must be one of {', '.join(BACKENDS)}, "
                f"got '{backend}'",
            )
        self.backend = backend
        self.cache_dir = Path(cache_dir)
        self.user_dict = Path(user_dict) if user_dict is not None else None
        self.stopwords: frozenset[str] = (
            frozenset(read_word_list(stopwords)) if stopwords is not None else frozenset()
        )
        self.hmm = hmm
        self._tokenizer = None
        self._lock = threading.Lock()

    @property
    def tokenizer(self):  # -> jieba.Tokenizer | _Rjieba
        """The initialised private tokenizer (built on first use); ``.cut(text, HMM=...)``."""
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    self._tokenizer = self._build()
        return self._tokenizer

    def _build(self):
        entries = read_user_dict(self.user_dict) if self.user_dict is not None else []
        if self.backend == "rjieba":
            import rjieba

            tok = rjieba.Jieba()
            for word, freq, pos in entries:
                tok.add_word(word, freq, pos)
            return _Rjieba(tok)
        import jieba

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

    def token_columns(self, text: str) -> tuple[np.ndarray, ...]:
        """The rows of :meth:`iter_tokens` as columns, computed with numpy.

        ``(paragraph_id, sentence_id, token_index, token, start, end)``: int64 arrays and an
        object array of the tokens, the same values as ``iter_tokens`` (which stays the
        reference; tests compare the two) without a Python step per token beyond the
        whitespace test, so the token table of a large corpus is built several times faster.
        """
        cut = self.tokenizer.cut
        hmm = self.hmm
        toks: list[str] = []
        counts: list[int] = []  # tokens of each kept (non-blank) paragraph
        para_ids: list[int] = []
        para_spans: list[tuple[int, int]] = []
        para_last: list[int] = []  # index of each kept paragraph's last sentence
        sent_ends: list[int] = []
        for paragraph_id, para in enumerate(split_paragraphs(text)):
            ends = [para.start + s.end for s in split_sentences(text[para.start : para.end])]
            if not ends:
                continue
            sent_ends.extend(ends)
            para_last.append(len(sent_ends) - 1)
            before = len(toks)
            toks.extend(cut(text[para.start : para.end], HMM=hmm))
            counts.append(len(toks) - before)
            para_ids.append(paragraph_id)
            para_spans.append((para.start, para.end))
        n = len(toks)
        if n == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty, np.zeros(0, dtype=object), empty, empty
        lengths = np.fromiter(map(len, toks), dtype=np.int64, count=n)
        counts_a = np.asarray(counts, dtype=np.int64)
        spans = np.asarray(para_spans, dtype=np.int64)
        which = np.repeat(np.arange(len(counts_a)), counts_a)  # kept paragraph of each token
        first = np.cumsum(counts_a) - counts_a  # index of each paragraph's first token
        cum = np.cumsum(lengths)
        before_para = np.where(first > 0, cum[np.maximum(first - 1, 0)], 0)
        ends = cum - before_para[which] + spans[which, 0]
        starts = ends - lengths
        covered = np.add.reduceat(lengths, first)
        bad = np.flatnonzero(covered != spans[:, 1] - spans[:, 0])
        if bad.size:
            self._not_covered(para_ids[int(bad[0])], *para_spans[int(bad[0])])
        keep = np.fromiter((not t.isspace() for t in toks), dtype=bool, count=n)
        sids = np.searchsorted(np.asarray(sent_ends, dtype=np.int64), starts, side="right")
        sids = np.minimum(sids, np.asarray(para_last, dtype=np.int64)[which])
        tok_arr = np.empty(n, dtype=object)
        tok_arr[:] = toks
        return (
            np.asarray(para_ids, dtype=np.int64)[which][keep],
            sids[keep],
            np.arange(int(keep.sum()), dtype=np.int64),
            tok_arr[keep],
            starts[keep],
            ends[keep],
        )

    def _not_covered(self, paragraph_id: int, start: int, end: int) -> None:
        # The offsets rest on the tokens covering the text exactly; a backend that drops or
        # alters characters would misplace every later token.
        raise ChainpbError(
            f"分词错误：{self.backend} 的分词结果拼接后与原文不一致（段落第 {paragraph_id} 段，"
            f"第 {start}–{end} 个字符），无法计算字符位置。请改用 text.segmenter: jieba",
            f"Segmentation error: the tokens of {self.backend} do not add up to the text "
            f"(paragraph {paragraph_id}, characters {start}-{end}), so their offsets cannot be "
            "computed. Use text.segmenter: jieba",
        )

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
            if pos != para.end:
                self._not_covered(paragraph_id, para.start, para.end)
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
    columns = getattr(segmenter, "token_columns", None)
    if columns is None:  # a stand-in segmenter with iter_tokens only
        columns = _columns_of_rows(segmenter)
    parts = [columns(text) for _, text in pairs]
    sizes = [len(part[0]) for part in parts]

    def cat(i: int, dtype) -> np.ndarray:
        return np.concatenate([p[i] for p in parts]) if parts else np.zeros(0, dtype=dtype)

    pids, sids, idxs = cat(0, np.int64), cat(1, np.int64), cat(2, np.int64)
    toks, starts, ends = cat(3, object), cat(4, np.int64), cat(5, np.int64)
    unit_ids = sids if unit == "sentence" else pids if unit == "paragraph" else np.zeros_like(sids)
    doc_ids = np.repeat(np.asarray([d for d, _ in pairs], dtype=object), sizes)
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


def _columns_of_rows(segmenter):
    def columns(text: str) -> tuple[np.ndarray, ...]:
        rows = list(segmenter.iter_tokens(text))
        pids, sids, idxs, toks, starts, ends = zip(*rows, strict=True) if rows else ([],) * 6
        tok_arr = np.empty(len(toks), dtype=object)
        tok_arr[:] = list(toks)
        ints = [np.asarray(c, dtype=np.int64) for c in (pids, sids, idxs, starts, ends)]
        return ints[0], ints[1], ints[2], tok_arr, ints[3], ints[4]

    return columns


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

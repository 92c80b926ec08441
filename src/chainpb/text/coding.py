"""Dictionary coding of the four difficulties with polarity, negation and a Party-building gate.

Matching
  Coding reads ``tokens_<source>.parquet`` (never re-segments). Regular-expression rules
  (``patterns``, ``remedy_patterns`` and the compiled ``slots``) are matched first, on the text
  of each sentence, longest match first, because they exist for phrasings jieba cuts variously;
  then terms are matched as token sequences, longest first, left to right, non-overlapping, and
  never across a sentence boundary. ``exclude`` terms take part in the same matching (so 网络覆盖
  wins over 覆盖) and their hits are kept with ``excluded=True`` but not counted.

Polarity (column ``polarity``)
  - ``problem``: a difficulty term, pattern or problem slot (覆盖不到, 两张皮, 积极性不高).
  - ``remedy``: a remedy term, pattern or slot (组建联合党委, 实现全覆盖, 搭建共享平台), and a
    difficulty named as the target of a measure: a ``reframe`` cue earlier in the clause
    (破解组织覆盖难, 打破资源壁垒, 防止“两张皮”) makes the hit a remedy — unless a blocker, a
    negation or an absence cue stands before that cue (尚未解决两张皮问题, 希望解决经费不足的问题
    stay problems).
  - ``absent_remedy``: a remedy with an ``absence`` cue in its clause, before it (缺乏协同机制,
    尚未建立联席会议) or after it (资源共享不够, 配套政策不完善). It states the difficulty.

Negation (a hit is kept with ``negated=True`` and the cue; it is not a difficulty)
  - pre-cue: a ``negation.cues`` sequence earlier in the same clause (不存在覆盖难的问题). The
    clause runs back to the previous clause mark (``negation.scope_end``) or the sentence start.
  - post-cue: a ``negation.post_cues`` sequence later in the same clause (两张皮现象不明显).
  - Tokens inside any hit are never cues: 无专职 / 没有专职 are difficulty terms, and their 无 /
    没有 neither negate themselves nor a later term in the clause.
  - Problems take both; an ``absent_remedy`` is negated by a pre-cue before its absence cue or
    a post-cue after it (不存在资源共享不够的问题); a plain remedy is never negated.

Party-building context (column ``in_context``)
  A hit is in context when its sentence or paragraph (``window``) contains a ``context.terms``
  word (党组织, 党建, 支部 …). With ``context_gate=True`` (policy texts, by default) a hit out of
  context gets status ``no_context`` and counts for nothing; it stays in the table so the KWIC
  shows it. Open answers to a question about Party-building difficulties are not gated.

Status (column ``status``), in order of precedence: ``excluded``, ``no_context``, ``negated``,
``problem`` (a difficulty: polarity problem or absent_remedy) and ``remedy``. Difficulty
measures count ``problem``; theme attention counts ``problem``, ``remedy`` and ``negated``
(a denial still speaks to the theme).
"""

from __future__ import annotations

import bisect
import itertools
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from chainpb.text.codebook import CATEGORIES, Codebook, CompiledCodebook, TermEntry
from chainpb.text.prefilter import SequenceFinder
from chainpb.text.segment import Segmenter, segment_documents, unit_of

HIT_COLUMNS = [
    "doc_id",
    "sentence_id",
    "paragraph_id",
    "category",
    "term",
    "start",
    "end",
    "polarity",
    "rule",
    "slots",
    "negated",
    "cue",
    "excluded",
    "in_context",
    "status",
    "codebook_hash",
]
STATUSES = ("coded", "none", "missing")
ATTENTION_STATUSES = frozenset({"problem", "remedy", "negated"})
CONTEXT_WINDOWS = ("sentence", "paragraph")


@dataclass
class _Hit:
    i0: int  # first token (global row index in the token table)
    i1: int  # one past the last token
    category: str
    term: str
    kind: str  # terms | remedy_terms | exclude
    start: int
    end: int
    rule: str = "term"
    slots: str = ""
    gaps: str = ""  # text between the parts of a slot match (where a denial may hide)
    polarity: str = "problem"
    negated: bool = False
    cue: str = ""
    in_context: bool = True
    status: str = "problem"


class _Tokens:
    """The token table as numpy columns, and the tokens the matcher compares as one list.

    ``codes[i]`` numbers token ``i`` in the codebook's vocabulary (every term, cue and clause
    mark), ``len(vocab)`` for any other token: every comparison the matcher makes is with a
    codebook word, so the other 95 % of a corpus need never become Python strings.
    ``toks[i]`` is that word, filled in (:meth:`load`) only for the sentences that hold a hit
    and ``None`` elsewhere and for other tokens; :meth:`text` reads the real token where one
    is needed (the number of a list item).
    """

    def __init__(self, tokens: pd.DataFrame, vocabulary: Sequence[str]) -> None:
        n = len(tokens)
        self.n = n
        docs, bounds = _doc_runs(tokens["doc_id"])
        if not _is_sorted(docs, bounds, tokens["token_index"]):
            tokens = tokens.sort_values(["doc_id", "token_index"], kind="stable")
            docs, bounds = _doc_runs(tokens["doc_id"])
        self.doc_bounds = bounds
        firsts = docs.take(pa.array(bounds[:-1])).to_pylist() if n else []
        self.doc_names = [str(d) for d in firsts]
        self.sids = tokens["sentence_id"].to_numpy(dtype="int64")
        self.pids = tokens["paragraph_id"].to_numpy(dtype="int64")
        self.starts = tokens["start"].to_numpy(dtype="int64")
        self.ends = tokens["end"].to_numpy(dtype="int64")
        self._raw = _arrow(tokens["token"])
        vocab = list(dict.fromkeys(vocabulary))
        if n and vocab:
            codes = _index_in(self._raw, pa.array(vocab, type=self._raw.type), len(vocab))
        else:
            codes = np.full(n, len(vocab), dtype=np.int32)
        self.codes = codes
        self.vocab = vocab
        self.code_of = {w: k for k, w in enumerate(vocab)}
        self._table = np.empty(len(vocab) + 1, dtype=object)
        self._table[: len(vocab)] = vocab
        self.toks: list[str | None] = [None] * n
        self._loaded: set[int] = set()
        self.sentence_bounds = self._runs(self.sids)
        self._sentence_list = self.sentence_bounds.tolist()

    def _runs(self, ids: np.ndarray) -> np.ndarray:
        """Start of every run of tokens with the same document and ``ids`` value, and n."""
        if not self.n:
            return np.zeros(1, dtype=np.int64)
        change = np.zeros(self.n, dtype=bool)
        change[self.doc_bounds[1:-1]] = True
        change[1:] |= ids[1:] != ids[:-1]
        change[0] = True
        return np.concatenate((np.flatnonzero(change), [self.n]))

    def sentence(self, i: int) -> tuple[int, int]:
        """Token range [a, b) of the sentence holding token ``i``."""
        k = bisect.bisect_right(self._sentence_list, i) - 1
        return self._sentence_list[k], self._sentence_list[k + 1]

    def load(self, i: int) -> None:
        """Fill ``toks`` over the sentence holding token ``i``."""
        a, b = self.sentence(i)
        if a not in self._loaded:
            self._loaded.add(a)
            self.toks[a:b] = self._table[self.codes[a:b]].tolist()

    def doc(self, i: int) -> str:
        """doc_id of token ``i``."""
        return self.doc_names[int(np.searchsorted(self.doc_bounds, i, side="right")) - 1]

    def text(self, i: int) -> str:
        """The token ``i`` itself ("" for a missing one)."""
        value = self._raw[i].as_py()
        return "" if value is None else str(value)


def _arrow(col: pd.Series) -> pa.ChunkedArray:
    """A pandas column as an Arrow array: no copy when it is Arrow-backed already."""
    try:
        out = pa.array(col.array)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        out = pa.array(col.astype(str).to_numpy(dtype=object), type=pa.string())
    if isinstance(out, pa.ChunkedArray):
        return out
    return pa.chunked_array([out])


def _index_in(values: pa.ChunkedArray, vocab: pa.Array, missing: int) -> np.ndarray:
    """Position of each value in ``vocab``, ``missing`` where it is absent or null."""
    found = pc.index_in(values, value_set=vocab)
    return pc.fill_null(found, missing).to_numpy(zero_copy_only=False)


def _doc_runs(doc_col: pd.Series) -> tuple[pa.ChunkedArray, np.ndarray]:
    """The doc_id column (as text where it has gaps, like ``astype(str)``) and the start of
    every run of equal doc_id, then n."""
    docs = _arrow(doc_col)
    if docs.null_count:
        docs = _arrow(doc_col.astype(str))
    n = len(docs)
    if n < 2:
        return docs, np.array([0, n][: n + 1], dtype=np.int64)
    change = pc.not_equal(docs[1:], docs[:-1]).to_numpy(zero_copy_only=False)
    return docs, np.concatenate(([0], np.flatnonzero(change) + 1, [n]))


def _is_sorted(docs: pa.ChunkedArray, bounds: np.ndarray, token_index: pd.Series) -> bool:
    """Is the table sorted by ``doc_id, token_index`` already (so a stable sort is a no-op)?

    True when each document is one run, the runs come in increasing doc_id order and
    token_index never falls within a run.
    """
    if len(docs) < 2:
        return True
    if docs.null_count:
        return False
    names = docs.take(pa.array(bounds[:-1])).to_pylist()
    try:
        if not all(a < b for a, b in itertools.pairwise(names)):
            return False
    except TypeError:  # doc_ids of mixed types
        return False
    idx = token_index.to_numpy(dtype="int64")
    rising = idx[1:] >= idx[:-1]
    rising[bounds[1:-1] - 1] = True
    return bool(rising.all())


def _vocabulary(cb: CompiledCodebook) -> list[str]:
    """Every token the matcher compares a corpus token with."""
    words: set[str] = set(cb.by_first)
    for entries in cb.by_first.values():
        for entry in entries:
            words.update(entry.tokens)
    for seqs in (
        cb.cues,
        cb.post_cues,
        cb.absence_cues,
        cb.absence_post_cues,
        cb.reframe_cues,
        cb.reframe_blockers,
    ):
        for seq in seqs:
            words.update(seq)
    words |= cb.topic_nouns | cb.scope_end | {"、"}
    return sorted(words)


class _CueIndex:
    """Cue sequences indexed by their first and by their last token, each list in the
    codebook's order (longest first), so a position is compared with the cues that can
    start or end there and the first one that matches is the same as in a full scan."""

    def __init__(self, cues: tuple[tuple[str, ...], ...]) -> None:
        self.by_first: dict[str, list[tuple[str, ...]]] = {}
        self.by_last: dict[str, list[tuple[str, ...]]] = {}
        for cue in cues:
            self.by_first.setdefault(cue[0], []).append(cue)
            self.by_last.setdefault(cue[-1], []).append(cue)


class _Cues:
    def __init__(self, cb: CompiledCodebook) -> None:
        self.cues = _CueIndex(cb.cues)
        self.post_cues = _CueIndex(cb.post_cues)
        self.absence_cues = _CueIndex(cb.absence_cues)
        self.absence_post_cues = _CueIndex(cb.absence_post_cues)
        self.reframe_cues = _CueIndex(cb.reframe_cues)
        self.reframe_blockers = _CueIndex(cb.reframe_blockers)


def code_tokens(
    tokens: pd.DataFrame,
    compiled: CompiledCodebook,
    texts: Mapping[str, str] | None = None,
    *,
    context_gate: bool = False,
    context_window: str = "paragraph",
) -> pd.DataFrame:
    """Hits table (``hits_<source>.parquet``) of a token table.

    ``texts`` maps ``doc_id`` to the normalised text; it is needed for the regular-expression
    rules and the context check (without it, both are skipped and every hit is in context).
    ``context_gate`` leaves hits out of a Party-building context uncounted; ``context_window``
    is ``sentence`` or ``paragraph``. Rows are sorted by ``doc_id, start, end, category``.
    """
    if context_window not in CONTEXT_WINDOWS:
        raise ValueError(f"context_window must be one of {CONTEXT_WINDOWS}, got {context_window!r}")
    t = _Tokens(tokens, _vocabulary(compiled))
    hits: list[_Hit] = []
    covered: set[int] = set()
    if texts is not None and compiled.regex_rules:
        hits.extend(_regex_hits(t, texts, compiled, covered))

    next_free = 0
    # Terms: where each could match is found in numpy; the longest-first, left-to-right,
    # non-overlapping choice runs in Python on those few positions only.
    for i, entries in _term_matches(t, compiled):
        if i < next_free or i in covered:
            continue
        for entry in entries:
            k = len(entry.tokens)
            if covered and any(x in covered for x in range(i, i + k)):
                continue
            j = i + k - 1
            hits.append(
                _Hit(
                    i,
                    i + k,
                    entry.category,
                    entry.term,
                    entry.kind,
                    int(t.starts[i]),
                    int(t.ends[j]),
                )
            )
            covered.update(range(i, i + k))
            next_free = i + k
            break

    for h in hits:
        t.load(h.i0)
    cues = _Cues(compiled)
    for h in hits:
        _resolve_polarity(h, t, covered, compiled, cues)
    if texts is not None and compiled.context is not None:
        _mark_context(hits, t, texts, compiled, context_window)
    for h in hits:
        h.status = _status(h, context_gate)

    first = np.array([h.i0 for h in hits], dtype=np.int64)
    docs = [t.doc_names[d] for d in (np.searchsorted(t.doc_bounds, first, "right") - 1).tolist()]
    # Rows by doc_id, start, end, category (a stable sort, as pandas' would be: the keys are
    # plain str and int, compared in the same order).
    order = sorted(
        range(len(hits)), key=lambda k: (docs[k], hits[k].start, hits[k].end, hits[k].category)
    )
    hits = [hits[k] for k in order]
    docs = [docs[k] for k in order]
    first = first[order] if hits else first
    out = pd.DataFrame(
        {
            "doc_id": pd.Series(docs, dtype="string"),
            "sentence_id": pd.Series(t.sids[first], dtype="int64"),
            "paragraph_id": pd.Series(t.pids[first], dtype="int64"),
            "category": pd.Series([h.category for h in hits], dtype="string"),
            "term": pd.Series([h.term for h in hits], dtype="string"),
            "start": pd.Series([h.start for h in hits], dtype="int64"),
            "end": pd.Series([h.end for h in hits], dtype="int64"),
            "polarity": pd.Series([h.polarity for h in hits], dtype="string"),
            "rule": pd.Series([h.rule for h in hits], dtype="string"),
            "slots": pd.Series([h.slots for h in hits], dtype="string"),
            "negated": pd.Series([h.negated for h in hits], dtype="bool"),
            "cue": pd.Series([h.cue for h in hits], dtype="string"),
            "excluded": pd.Series([h.kind == "exclude" for h in hits], dtype="bool"),
            "in_context": pd.Series([h.in_context for h in hits], dtype="bool"),
            "status": pd.Series([h.status for h in hits], dtype="string"),
            "codebook_hash": pd.Series([compiled.hash] * len(hits), dtype="string"),
        }
    )
    return out


_TERM_FINDERS: dict[int, tuple[weakref.ref, list[TermEntry], SequenceFinder | None]] = {}


def _term_finder(
    cb: CompiledCodebook, code_of: Mapping[str, int]
) -> tuple[list[TermEntry], SequenceFinder | None]:
    """The terms in the codebook's order and a finder of their token codes, built once per
    compiled codebook (the vocabulary, hence the codes, depends on the codebook only)."""
    cached = _TERM_FINDERS.get(id(cb))
    if cached is not None and cached[0]() is cb:
        return cached[1], cached[2]
    entries = [entry for options in cb.by_first.values() for entry in options]
    finder = (
        SequenceFinder([[code_of[tok] for tok in e.tokens] for e in entries]) if entries else None
    )
    if len(_TERM_FINDERS) >= 8:
        _TERM_FINDERS.clear()
    _TERM_FINDERS[id(cb)] = (weakref.ref(cb), entries, finder)
    return entries, finder


def _term_matches(t: _Tokens, cb: CompiledCodebook) -> list[tuple[int, list[TermEntry]]]:
    """Every position where a term's tokens follow one another inside one sentence, with
    the terms that match there in the codebook's order (longest first), by position."""
    entries, finder = _term_finder(cb, t.code_of)
    if not t.n or finder is None:
        return []
    pos, ids = finder.find_array(t.codes)
    # Inside one sentence: the last token before the end of the first token's sentence.
    bounds = t.sentence_bounds
    size = np.array([len(e.tokens) for e in entries], dtype=np.int64)
    inside = pos + size[ids] <= bounds[np.searchsorted(bounds, pos, side="right")]
    pos, ids = pos[inside], ids[inside]
    # Entries of one first token are numbered in the codebook's order, so sorting by
    # position then number lists the terms at a position in that order.
    order = np.lexsort((ids, pos))
    out: list[tuple[int, list[TermEntry]]] = []
    for i, e in zip(pos[order].tolist(), ids[order].tolist(), strict=True):
        if out and out[-1][0] == i:
            out[-1][1].append(entries[e])
        else:
            out.append((i, [entries[e]]))
    return out


def _status(h: _Hit, context_gate: bool) -> str:
    if h.kind == "exclude":
        return "excluded"
    if context_gate and not h.in_context:
        return "no_context"
    if h.negated:
        return "negated"
    return "remedy" if h.polarity == "remedy" else "problem"


def _resolve_polarity(
    h: _Hit, t: _Tokens, covered: set[int], cb: CompiledCodebook, cues: _Cues
) -> None:
    """Set polarity, negation and cue of one hit (see the module docstring)."""
    if h.kind == "exclude":
        h.polarity = "remedy"
        return
    lo, hi = _clause(h.i0, h.i1, t, cb.scope_end)
    toks = t.toks
    if h.kind == "terms":
        h.polarity = "problem"
        reframe, r_at = _find_before(h.i0, lo, toks, covered, cues.reframe_cues)
        if reframe:
            blocked, _ = _find_before(r_at, lo, toks, covered, cues.reframe_blockers)
            if not blocked:
                h.polarity, h.cue = "remedy", reframe
                return
            # 尚未解决两张皮问题: the cue negates the solving verb, not the difficulty
            lo = r_at + 1
        cue, _ = _find_before(h.i0, lo, toks, covered, cues.cues)
        if not cue:
            end = _topic_end(h.i1, hi, t, cb)
            cue, _, _ = _find_after(h.i1, end, toks, covered, cues.post_cues)
        if not cue:
            cue = _gap_denial(h.gaps, cb.gap_cues)
        if cue:
            h.negated, h.cue = True, cue
        return
    # remedy_terms: a remedy, unless an absence cue says it is missing or weak
    absent, a_at = _find_before(h.i0, lo, toks, covered, cues.absence_cues)
    after = h.i1
    if not absent:
        absent, a_start, a_end = _find_after(h.i1, hi, toks, covered, cues.absence_post_cues)
        # "资源共享方面没什么困难": the denial comes first and holds the absence word
        denial, d_start, _ = _find_after(h.i1, hi, toks, covered, cues.post_cues)
        if denial and (not absent or d_start < a_start):
            h.polarity, h.negated, h.cue = "absent_remedy", True, denial
            return
        a_at, after = h.i0, a_end
    if not absent:
        h.polarity = "remedy"
        return
    h.polarity, h.cue = "absent_remedy", absent
    denial, _ = _find_before(min(a_at, h.i0), lo, toks, covered, cues.cues)
    if not denial:
        end = _topic_end(after, hi, t, cb)
        denial, _, _ = _find_after(after, end, toks, covered, cues.post_cues)
    if denial:
        h.negated, h.cue = True, f"{denial}+{absent}"


_LIST_NUMBERS = frozenset("0123456789一二三四五六七八九十")


def _ends_clause(t: _Tokens, i: int, scope_end: frozenset[str]) -> bool:
    """A clause mark, or the number of a list item ("1、", "2、"), which starts a new point
    even where a respondent typed no comma before it."""
    tok = t.toks[i]
    if tok in scope_end:
        return True
    if tok != "、" or i <= 0:
        return False
    before = t.toks[i - 1]
    if before is None:  # not a codebook word: read the token itself
        before = t.text(i - 1)
    return bool(before) and set(before) <= _LIST_NUMBERS


def _gap_denial(gaps: str, cues: tuple[str, ...]) -> str:
    """A denial hidden between the parts of a slot match, or "".

    A cue of two or more characters anywhere in a gap ("考核中不存在重数量"), or a one-character
    cue right before the next part ("党建跟业务没脱节"); a lone 不 or 没 elsewhere in a gap is
    usually part of an ordinary word and is not taken.
    """
    for gap in gaps.split("|") if gaps else ():
        for cue in cues:
            if (len(cue) >= 2 and cue in gap) or gap.endswith(cue):
                return cue
    return ""


def _topic_end(i1: int, hi: int, t: _Tokens, cb: CompiledCodebook) -> int:
    """Where post-cues may be looked for after a hit that ends at token ``i1``.

    Normally the clause end ``hi``. When the difficulty is made the topic of the sentence —
    a ``negation.topic_nouns`` word within three tokens after it, as in "经费不足的问题，已通过…
    基本解决" — the comment on it may follow in the next clauses, so the search runs to the end
    of the sentence.
    """
    for j in range(i1, min(i1 + 3, hi)):
        if t.toks[j] in cb.topic_nouns:
            return max(hi, t.sentence(j)[1])
    return hi


def _clause(i0: int, i1: int, t: _Tokens, scope_end: frozenset[str]) -> tuple[int, int]:
    """Token range [lo, hi) of the clause around tokens [i0, i1)."""
    first, _ = t.sentence(i0)
    lo = i0
    while lo - 1 >= first and not _ends_clause(t, lo - 1, scope_end):
        lo -= 1
    _, last = t.sentence(max(i1 - 1, 0))
    hi = i1
    while hi < last and not _ends_clause(t, hi, scope_end):
        hi += 1
    return lo, hi


def _find_before(i0, lo, toks, covered, cues: _CueIndex) -> tuple[str, int]:
    """Nearest cue ending before token ``i0`` and starting at or after ``lo``: (cue, start)."""
    by_last = cues.by_last
    for end in range(i0 - 1, lo - 1, -1):
        options = by_last.get(toks[end])
        if not options or end in covered:
            continue
        for cue in options:
            s = end - len(cue) + 1
            if s < lo:
                continue
            if tuple(toks[s : end + 1]) == cue and not any(x in covered for x in range(s, end + 1)):
                return "".join(cue), s
    return "", -1


def _find_after(i1, hi, toks, covered, cues: _CueIndex) -> tuple[str, int, int]:
    """First cue starting at or after token ``i1`` and ending before ``hi``: (cue, start, end)."""
    by_first = cues.by_first
    for s in range(i1, hi):
        options = by_first.get(toks[s])
        if not options or s in covered:
            continue
        for cue in options:
            k = len(cue)
            if s + k > hi:
                continue
            if tuple(toks[s : s + k]) == cue and not any(x in covered for x in range(s, s + k)):
                return "".join(cue), s, s + k
    return "", -1, -1


def _regex_hits(t: _Tokens, texts, compiled: CompiledCodebook, covered: set[int]) -> list[_Hit]:
    """Hits of patterns and slots: per sentence, longest match first, non-overlapping.

    A rule describes one clause, so it is searched within each sentence, never across one.
    It is searched only in the sentences that hold a word of a required word set of it
    (:mod:`chainpb.text.prefilter`, one Aho–Corasick pass over the corpus): an exact filter,
    the hits are those of searching every sentence, at a fraction of the cost.
    """
    rules = compiled.regex_rules
    bounds = t.sentence_bounds
    if len(bounds) < 2:
        return []
    doc_text = [texts.get(name) for name in t.doc_names]
    has_text = np.array([x is not None for x in doc_text], dtype=bool)
    sent_doc = np.searchsorted(t.doc_bounds, bounds[:-1], side="right") - 1
    kept = np.flatnonzero(has_text[sent_doc])
    if not len(kept):
        return []
    s_start = t.starts[bounds[:-1]]
    s_end = t.ends[bounds[1:] - 1]
    if compiled.prefilter is not None:
        # The documents joined into one string (NUL between them, in no rule word), so one
        # automaton pass serves the whole corpus; sentence offsets shift with their document.
        offset = np.zeros(len(doc_text), dtype=np.int64)
        length = np.zeros(len(doc_text), dtype=np.int64)
        pieces: list[str] = []
        pos = 0
        for d in np.flatnonzero(has_text).tolist():
            offset[d], length[d] = pos, len(doc_text[d])
            pieces.append(doc_text[d])
            pos += len(doc_text[d]) + 1
        d_of = sent_doc[kept]
        lo = np.clip(s_start[kept], 0, length[d_of]) + offset[d_of]
        hi = np.clip(s_end[kept], 0, length[d_of]) + offset[d_of]
        hi = np.maximum(hi, lo)
        which, rule_of = compiled.prefilter.rule_sentences("\x00".join(pieces), lo, hi)
        sentence_of = kept[which]
    else:
        sentence_of = np.repeat(kept, len(rules))
        rule_of = np.tile(np.arange(len(rules)), len(kept))
    out: list[_Hit] = []
    current, found = -1, []
    for g, order in zip(sentence_of.tolist(), rule_of.tolist(), strict=True):
        if g != current:
            if found:
                _sentence_hits(t, bounds, current, found, rules, covered, out)
            current, found = g, []
            text = doc_text[sent_doc[g]]
            c_start, c_end = int(s_start[g]), int(s_end[g])
        for m in rules[order].regex.finditer(text, c_start, c_end):
            if m.end() > m.start():
                found.append((m.start() - m.end(), m.start(), order, m))
    if found:
        _sentence_hits(t, bounds, current, found, rules, covered, out)
    return out


def _sentence_hits(t: _Tokens, bounds, g: int, found, rules, covered, out) -> None:
    """The regex matches of sentence ``g`` taken longest first, none overlapping another."""
    a, b = int(bounds[g]), int(bounds[g + 1])
    tok_starts = t.starts[a:b].tolist()
    for _, c0, order, m in sorted(found, key=lambda f: f[:3]):
        rule = rules[order]
        c1 = m.end()
        # Tokens overlapping the match: from the token holding c0 to the one holding c1-1.
        i0 = a + max(bisect.bisect_right(tok_starts, c0) - 1, 0)
        i1 = a + bisect.bisect_left(tok_starts, c1)
        if any(x in covered for x in range(i0, i1)):
            continue
        slots, gaps = "", ""
        if rule.part_order:
            groups = m.groups()
            parts = [""] * len(rule.part_order)
            for pos, part in enumerate(rule.part_order):
                parts[part] = groups[pos]
            slots = "+".join(parts)
            gaps = "|".join(m.string[m.end(g) : m.start(g + 1)] for g in range(1, len(groups)))
        hit = _Hit(i0, i1, rule.category, m.string[c0:c1], rule.kind, c0, c1, rule.rule, slots)
        hit.gaps = gaps
        out.append(hit)
        covered.update(range(i0, i1))


def _mark_context(hits, t: _Tokens, texts, compiled: CompiledCodebook, window: str) -> None:
    """``in_context`` of every hit: does its sentence or paragraph hold a context term?

    Checked once per window (hits are few, the token table is long).
    """
    if not hits:
        return
    bounds = (t.sentence_bounds if window == "sentence" else t._runs(t.pids)).tolist()
    cache: dict[int, bool] = {}
    for h in hits:
        k = bisect.bisect_right(bounds, h.i0) - 1
        if k not in cache:
            a, b = bounds[k], bounds[k + 1] - 1
            text = texts.get(t.doc(a))
            cache[k] = text is None or compiled.in_context(text, int(t.starts[a]), int(t.ends[b]))
        h.in_context = cache[k]


def counted(hits: pd.DataFrame) -> pd.DataFrame:
    """Hits that state a difficulty (status ``problem``): the difficulty measures count these."""
    return hits[hits["status"] == "problem"]


def attended(hits: pd.DataFrame) -> pd.DataFrame:
    """Hits that speak to a theme (problem, remedy or a denial): theme attention counts these."""
    return hits[hits["status"].isin(ATTENTION_STATUSES)]


def denied(hits: pd.DataFrame) -> set[tuple[str, str]]:
    """(doc_id, category) pairs whose difficulty a document only denies: a negated hit of the
    category and no counted one (不存在覆盖难的问题). The hybrid measure never lets the
    supervised coder add a difficulty the codebook saw denied — a bag of n-grams cannot tell
    "经费不足" from "不存在经费不足的问题"."""
    negated = hits[hits["status"] == "negated"]
    stated = set(zip(counted(hits)["doc_id"].astype(str), counted(hits)["category"], strict=True))
    return {
        pair
        for pair in zip(negated["doc_id"].astype(str), negated["category"], strict=True)
        if pair not in stated
    }


def code_units(tokens: pd.DataFrame, hits: pd.DataFrame, unit: str = "sentence") -> pd.DataFrame:
    """Units table (``units_<source>.parquet``): one row per coding unit.

    Columns ``doc_id, unit_id, start, end, n_tokens``; per category the number of hits that
    state the difficulty (``coverage`` … ``resource``) and of hits that speak to the theme
    (``theme_coverage`` …); and ``codebook_hash``. ``unit`` is sentence, paragraph or document;
    ``unit_id`` is numbered as in ``segment_documents``.
    """
    # int64 even without rows: an empty shard's file has the types of a full one
    tok = tokens.assign(
        unit_id=np.array(
            [
                unit_of(unit, s, p)
                for s, p in zip(tokens["sentence_id"], tokens["paragraph_id"], strict=True)
            ],
            dtype=np.int64,
        )
    )
    units = (
        tok.groupby(["doc_id", "unit_id"], sort=True)
        .agg(start=("start", "min"), end=("end", "max"), n_tokens=("token", "size"))
        .reset_index()
    )
    for selected, prefix in ((counted(hits), ""), (attended(hits), "theme_")):
        c = selected.assign(
            unit_id=np.array(
                [
                    unit_of(unit, s, p)
                    for s, p in zip(selected["sentence_id"], selected["paragraph_id"], strict=True)
                ],
                dtype=np.int64,
            )
        )
        counts = (
            c.groupby(["doc_id", "unit_id", "category"]).size().unstack("category", fill_value=0)
        )
        counts = counts.reindex(columns=list(CATEGORIES), fill_value=0)
        counts.columns = [f"{prefix}{cat}" for cat in counts.columns]
        units = units.merge(counts.reset_index(), on=["doc_id", "unit_id"], how="left")
        for cat in CATEGORIES:
            units[f"{prefix}{cat}"] = units[f"{prefix}{cat}"].fillna(0).astype("int64")
    hash_values = hits["codebook_hash"].unique().tolist() if len(hits) else []
    units["codebook_hash"] = pd.Series(
        [hash_values[0] if hash_values else ""] * len(units), dtype="string"
    )
    units["doc_id"] = units["doc_id"].astype("string")
    return units.sort_values(["doc_id", "unit_id"], kind="stable").reset_index(drop=True)


def answer_status(text: object, n_counted: int, codebook: Codebook) -> str:
    """``missing`` (blank), ``coded`` (a counted hit, or a non-blank answer that is not "none"),
    or ``none`` (无, 暂无, 没有困难 … and no counted hit)."""
    if text is None or text is pd.NA or (isinstance(text, float) and pd.isna(text)):
        return "missing"
    text = str(text)
    if not text.strip():
        return "missing"
    if n_counted > 0:
        return "coded"
    return "none" if codebook.is_none_answer(text) else "coded"


def code_texts(
    texts: Sequence[str | None],
    codebook: Codebook | CompiledCodebook,
    segmenter: Segmenter,
    *,
    context_gate: bool = False,
    context_window: str = "paragraph",
) -> pd.DataFrame:
    """Code a list of (normalised) texts; one row per text, in input order.

    Columns: ``text_id`` (position); ``coverage, ideology, effectiveness, resource`` (0/1: a hit
    states the difficulty; missing for blank texts); ``theme_<cat>`` (0/1: a hit speaks to the
    theme — problem, remedy or denial); ``denied_<cat>`` (0/1: the text only denies the
    difficulty, see :func:`denied`); ``status``. For validation against hand codes.
    """
    compiled = codebook if isinstance(codebook, CompiledCodebook) else codebook.compile(segmenter)
    ids = [f"{i:09d}" for i in range(len(texts))]
    df = pd.DataFrame({"doc_id": ids, "text": list(texts)})
    tokens = segment_documents(df, "doc_id", "text", segmenter)
    text_map = {i: ("" if t is None else str(t)) for i, t in zip(ids, texts, strict=True)}
    hits = code_tokens(
        tokens, compiled, text_map, context_gate=context_gate, context_window=context_window
    )
    # plain dicts: a MultiIndex Series lookup per text and category cost most of this function
    per = counted(hits).groupby(["doc_id", "category"]).size().to_dict()
    theme = attended(hits).groupby(["doc_id", "category"]).size().to_dict()
    denials = denied(hits)
    rows = []
    for pos, (doc_id, text) in enumerate(zip(ids, texts, strict=True)):
        n_total = sum(int(per.get((doc_id, cat), 0)) for cat in CATEGORIES)
        status = answer_status(text, n_total, compiled.codebook)
        row: dict[str, object] = {"text_id": pos}
        for cat in CATEGORIES:
            row[cat] = pd.NA if status == "missing" else int(per.get((doc_id, cat), 0) > 0)
        for cat in CATEGORIES:
            row[f"theme_{cat}"] = (
                pd.NA if status == "missing" else int(theme.get((doc_id, cat), 0) > 0)
            )
        for cat in CATEGORIES:
            row[f"denied_{cat}"] = pd.NA if status == "missing" else int((doc_id, cat) in denials)
        row["status"] = status
        rows.append(row)
    columns = [
        "text_id",
        *CATEGORIES,
        *(f"theme_{c}" for c in CATEGORIES),
        *(f"denied_{c}" for c in CATEGORIES),
        "status",
    ]
    out = pd.DataFrame(rows, columns=columns)
    for col in columns[1:-1]:
        out[col] = out[col].astype("Int64")
    return out

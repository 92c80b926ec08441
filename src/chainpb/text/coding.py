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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from chainpb.text.codebook import CATEGORIES, Codebook, CompiledCodebook
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


@dataclass(frozen=True)
class _Tokens:
    """The token table as plain lists (one hashed lookup per token is the hot loop)."""

    doc_codes: list[int]  # one integer per token: its document (compared far more cheaply)
    doc_names: list[str]  # doc_id of each document code
    toks: list[str]
    sids: list[int]
    pids: list[int]
    starts: list[int]
    ends: list[int]

    def same_sentence(self, i: int, j: int) -> bool:
        return self.doc_codes[j] == self.doc_codes[i] and self.sids[j] == self.sids[i]

    def doc(self, i: int) -> str:
        """doc_id of token ``i``."""
        return self.doc_names[self.doc_codes[i]]


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
    tokens = tokens.sort_values(["doc_id", "token_index"], kind="stable")

    def ints(col: str) -> list[int]:
        return tokens[col].to_numpy(dtype="int64").tolist()

    # Documents as integer codes: a million token-level comparisons of ints, not strings.
    doc_codes, doc_names = pd.factorize(tokens["doc_id"].astype(str))
    t = _Tokens(
        doc_codes=doc_codes.tolist(),
        doc_names=[str(d) for d in doc_names],
        toks=tokens["token"].to_numpy(dtype=object, na_value="").tolist(),
        sids=ints("sentence_id"),
        pids=ints("paragraph_id"),
        starts=ints("start"),
        ends=ints("end"),
    )
    n = len(t.toks)

    hits: list[_Hit] = []
    covered: set[int] = set()
    if texts is not None and compiled.regex_rules:
        hits.extend(_regex_hits(t, texts, compiled, covered))

    # One hashed lookup per token over the whole corpus; only tokens that can open a term are
    # visited in Python.
    first = compiled.first_tokens
    candidates = [i for i, tok in enumerate(t.toks) if tok in first]
    by_first = compiled.by_first
    next_free = 0
    for i in candidates:
        if i < next_free or i in covered:
            continue
        for entry in by_first[t.toks[i]]:
            k = len(entry.tokens)
            j = i + k - 1
            if j >= n or not t.same_sentence(i, j):
                continue
            if k > 1 and tuple(t.toks[i : i + k]) != entry.tokens:
                continue
            if covered and any(x in covered for x in range(i, i + k)):
                continue
            hits.append(
                _Hit(i, i + k, entry.category, entry.term, entry.kind, t.starts[i], t.ends[j])
            )
            covered.update(range(i, i + k))
            next_free = i + k
            break

    for h in hits:
        _resolve_polarity(h, t, covered, compiled)
    if texts is not None and compiled.context is not None:
        _mark_context(hits, t, texts, compiled, context_window)
    for h in hits:
        h.status = _status(h, context_gate)

    out = pd.DataFrame(
        {
            "doc_id": pd.Series([t.doc(h.i0) for h in hits], dtype="string"),
            "sentence_id": pd.Series([t.sids[h.i0] for h in hits], dtype="int64"),
            "paragraph_id": pd.Series([t.pids[h.i0] for h in hits], dtype="int64"),
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
    return out.sort_values(["doc_id", "start", "end", "category"], kind="stable").reset_index(
        drop=True
    )


def _status(h: _Hit, context_gate: bool) -> str:
    if h.kind == "exclude":
        return "excluded"
    if context_gate and not h.in_context:
        return "no_context"
    if h.negated:
        return "negated"
    return "remedy" if h.polarity == "remedy" else "problem"


def _resolve_polarity(h: _Hit, t: _Tokens, covered: set[int], cb: CompiledCodebook) -> None:
    """Set polarity, negation and cue of one hit (see the module docstring)."""
    if h.kind == "exclude":
        h.polarity = "remedy"
        return
    lo, hi = _clause(h.i0, h.i1, t, cb.scope_end)
    if h.kind == "terms":
        h.polarity = "problem"
        reframe, r_at = _find_before(h.i0, lo, t.toks, covered, cb.reframe_cues)
        if reframe:
            blocked, _ = _find_before(r_at, lo, t.toks, covered, cb.reframe_blockers)
            if not blocked:
                h.polarity, h.cue = "remedy", reframe
                return
            # 尚未解决两张皮问题: the cue negates the solving verb, not the difficulty
            lo = r_at + 1
        cue, _ = _find_before(h.i0, lo, t.toks, covered, cb.cues)
        if not cue:
            end = _topic_end(h.i1, hi, t, cb)
            cue, _, _ = _find_after(h.i1, end, t.toks, covered, cb.post_cues)
        if not cue:
            cue = _gap_denial(h.gaps, cb.gap_cues)
        if cue:
            h.negated, h.cue = True, cue
        return
    # remedy_terms: a remedy, unless an absence cue says it is missing or weak
    absent, a_at = _find_before(h.i0, lo, t.toks, covered, cb.absence_cues)
    after = h.i1
    if not absent:
        absent, a_start, a_end = _find_after(h.i1, hi, t.toks, covered, cb.absence_post_cues)
        # "资源共享方面没什么困难": the denial comes first and holds the absence word
        denial, d_start, _ = _find_after(h.i1, hi, t.toks, covered, cb.post_cues)
        if denial and (not absent or d_start < a_start):
            h.polarity, h.negated, h.cue = "absent_remedy", True, denial
            return
        a_at, after = h.i0, a_end
    if not absent:
        h.polarity = "remedy"
        return
    h.polarity, h.cue = "absent_remedy", absent
    denial, _ = _find_before(min(a_at, h.i0), lo, t.toks, covered, cb.cues)
    if not denial:
        end = _topic_end(after, hi, t, cb)
        denial, _, _ = _find_after(after, end, t.toks, covered, cb.post_cues)
    if denial:
        h.negated, h.cue = True, f"{denial}+{absent}"


_LIST_NUMBERS = frozenset("0123456789一二三四五六七八九十")


def _ends_clause(t: _Tokens, i: int, scope_end: frozenset[str]) -> bool:
    """A clause mark, or the number of a list item ("1、", "2、"), which starts a new point
    even where a respondent typed no comma before it."""
    tok = t.toks[i]
    if tok in scope_end:
        return True
    return tok == "、" and i > 0 and bool(t.toks[i - 1]) and set(t.toks[i - 1]) <= _LIST_NUMBERS


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
    n = len(t.toks)
    for j in range(i1, min(i1 + 3, hi)):
        if t.toks[j] in cb.topic_nouns:
            end = hi
            while end < n and t.same_sentence(j, end):
                end += 1
            return end
    return hi


def _clause(i0: int, i1: int, t: _Tokens, scope_end: frozenset[str]) -> tuple[int, int]:
    """Token range [lo, hi) of the clause around tokens [i0, i1)."""
    lo = i0
    while lo - 1 >= 0 and t.same_sentence(i0, lo - 1) and not _ends_clause(t, lo - 1, scope_end):
        lo -= 1
    hi = i1
    anchor = max(i1 - 1, 0)
    n = len(t.toks)
    while hi < n and t.same_sentence(anchor, hi) and not _ends_clause(t, hi, scope_end):
        hi += 1
    return lo, hi


def _find_before(i0, lo, toks, covered, cues) -> tuple[str, int]:
    """Nearest cue ending before token ``i0`` and starting at or after ``lo``: (cue, start)."""
    for end in range(i0 - 1, lo - 1, -1):
        if end in covered:
            continue
        for cue in cues:
            s = end - len(cue) + 1
            if s < lo:
                continue
            if tuple(toks[s : end + 1]) == cue and not any(x in covered for x in range(s, end + 1)):
                return "".join(cue), s
    return "", -1


def _find_after(i1, hi, toks, covered, cues) -> tuple[str, int, int]:
    """First cue starting at or after token ``i1`` and ending before ``hi``: (cue, start, end)."""
    for s in range(i1, hi):
        if s in covered:
            continue
        for cue in cues:
            k = len(cue)
            if s + k > hi:
                continue
            if tuple(toks[s : s + k]) == cue and not any(x in covered for x in range(s, s + k)):
                return "".join(cue), s, s + k
    return "", -1, -1


def _sentences(t: _Tokens) -> dict[str, list[tuple[int, int]]]:
    """Token ranges [a, b) of the sentences of each document, in table order."""
    n = len(t.doc_codes)
    if n == 0:
        return {}
    # Boundaries where the document or the sentence changes, found with numpy (one pass in C
    # over ~10^6 tokens instead of a Python loop).
    doc_codes = np.asarray(t.doc_codes)
    sids = np.asarray(t.sids)
    change = np.flatnonzero((np.diff(doc_codes) != 0) | (np.diff(sids) != 0)) + 1
    bounds = [0, *change.tolist(), n]
    out: dict[str, list[tuple[int, int]]] = {}
    for a, b in itertools.pairwise(bounds):
        out.setdefault(t.doc(a), []).append((a, b))
    return out


def _regex_hits(t: _Tokens, texts, compiled: CompiledCodebook, covered: set[int]) -> list[_Hit]:
    """Hits of patterns and slots: per sentence, longest match first, non-overlapping.

    A rule describes one clause, so it is searched within each sentence, never across one.
    It is searched only in the sentences that hold a word of each of its word sets
    (:mod:`chainpb.text.prefilter`): an exact filter, the hits are those of searching every
    sentence, at a fraction of the cost on long reports.
    """
    out: list[_Hit] = []
    rules = compiled.regex_rules
    for doc, sentences in _sentences(t).items():
        text = texts.get(doc)
        if text is None or not sentences:
            continue
        starts = [t.starts[a] for a, _ in sentences]
        ends = [t.ends[b - 1] for _, b in sentences]
        if compiled.prefilter is not None:
            candidates = compiled.prefilter.candidates(text, starts, ends)
        else:
            candidates = [range(len(sentences))] * len(rules)
        found: dict[int, list] = {}
        for order, (rule, where) in enumerate(zip(rules, candidates, strict=True)):
            for k in where:
                for m in rule.regex.finditer(text, starts[k], ends[k]):
                    if m.end() > m.start():
                        found.setdefault(k, []).append((m.start() - m.end(), m.start(), order, m))
        for k in sorted(found):
            a, b = sentences[k]
            tok_starts = t.starts[a:b]
            for _, c0, order, m in sorted(found[k], key=lambda f: f[:3]):
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
                    gaps = "|".join(
                        m.string[m.end(g) : m.start(g + 1)] for g in range(1, len(groups))
                    )
                hit = _Hit(i0, i1, rule.category, text[c0:c1], rule.kind, c0, c1, rule.rule, slots)
                hit.gaps = gaps
                out.append(hit)
                covered.update(range(i0, i1))
    return out


def _mark_context(hits, t: _Tokens, texts, compiled: CompiledCodebook, window: str) -> None:
    """``in_context`` of every hit: does its sentence or paragraph hold a context term?

    The window is found by walking out from the hit's tokens, once per window (hits are few,
    the token table is long).
    """
    ids = t.sids if window == "sentence" else t.pids
    n = len(t.doc_codes)
    codes = t.doc_codes
    cache: dict[tuple[int, int], bool] = {}
    for h in hits:
        doc, unit = codes[h.i0], ids[h.i0]
        key = (doc, unit)
        if key not in cache:
            a = h.i0
            while a > 0 and codes[a - 1] == doc and ids[a - 1] == unit:
                a -= 1
            b = h.i0
            while b + 1 < n and codes[b + 1] == doc and ids[b + 1] == unit:
                b += 1
            text = texts.get(t.doc_names[doc])
            cache[key] = text is None or compiled.in_context(text, t.starts[a], t.ends[b])
        h.in_context = cache[key]


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
    tok = tokens.assign(
        unit_id=[
            unit_of(unit, s, p)
            for s, p in zip(tokens["sentence_id"], tokens["paragraph_id"], strict=True)
        ]
    )
    units = (
        tok.groupby(["doc_id", "unit_id"], sort=True)
        .agg(start=("start", "min"), end=("end", "max"), n_tokens=("token", "size"))
        .reset_index()
    )
    for selected, prefix in ((counted(hits), ""), (attended(hits), "theme_")):
        c = selected.assign(
            unit_id=[
                unit_of(unit, s, p)
                for s, p in zip(selected["sentence_id"], selected["paragraph_id"], strict=True)
            ]
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
    per = counted(hits).groupby(["doc_id", "category"]).size()
    theme = attended(hits).groupby(["doc_id", "category"]).size()
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

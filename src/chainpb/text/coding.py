"""Dictionary coding of the four difficulties with negation, on stored token tables.

Matching
  Coding reads ``tokens_<source>.parquet`` (never re-segments). Codebook ``patterns`` are
  matched first, on the text of each sentence, because they exist for phrases jieba cuts badly;
  then terms are matched as token sequences, longest first, left to right, non-overlapping, and
  never across a sentence boundary. ``exclude`` terms take part in the same matching (so 网络覆盖
  wins over 覆盖) and their hits are kept with ``excluded=True`` but not counted.

Negation (a hit is kept with ``negated=True`` and the cue, and is not counted)
  - pre-cue: a ``negation.cues`` token sequence earlier in the same clause (不存在覆盖难的问题).
    The clause runs back to the previous clause mark (``negation.scope_end``: ，。；：！？ …) or
    the start of the sentence.
  - post-cue: a ``negation.post_cues`` sequence later in the same clause (覆盖难的问题不存在,
    两张皮现象不明显).
  - Tokens inside any hit are never cues: 无专职 / 没有专职 are difficulty terms, and their 无 /
    没有 neither negate themselves nor a later term in the clause.
  - ``remedy_terms`` (资源共享, 粘性, 全覆盖 …) name what is missing; "没有形成资源共享机制" is the
    difficulty, so pre-cues do not negate them; post-cues do.
  A remedy framed as a problem ("不存在资源共享方面的困难") is matched as a whole by a
  ``patterns`` entry of the codebook (a difficulty expression), so the pre-cue negates it.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

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
    "negated",
    "cue",
    "excluded",
    "codebook_hash",
]
STATUSES = ("coded", "none", "missing")


@dataclass
class _Hit:
    i0: int  # first token (global row index in the token table)
    i1: int  # one past the last token
    category: str
    term: str
    kind: str
    start: int
    end: int
    negated: bool = False
    cue: str = ""


def code_tokens(
    tokens: pd.DataFrame,
    compiled: CompiledCodebook,
    texts: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Hits table (``hits_<source>.parquet``) of a token table.

    ``texts`` maps ``doc_id`` to the normalised text; it is needed only for ``patterns``
    (without it, patterns are skipped). Rows are sorted by ``doc_id, start, end, category``.
    """
    tokens = tokens.sort_values(["doc_id", "token_index"], kind="stable")
    docs: list[str] = tokens["doc_id"].astype(str).tolist()
    toks: list[str] = tokens["token"].astype(str).tolist()
    sids: list[int] = tokens["sentence_id"].tolist()
    pids: list[int] = tokens["paragraph_id"].tolist()
    starts: list[int] = tokens["start"].tolist()
    ends: list[int] = tokens["end"].tolist()
    n = len(toks)

    hits: list[_Hit] = []
    covered: set[int] = set()
    if texts is not None and compiled.patterns:
        hits.extend(_pattern_hits(docs, sids, starts, ends, texts, compiled, covered))

    # One hashed lookup per token over the whole corpus; only tokens that can open a term are
    # visited in Python.
    first = compiled.first_tokens
    candidates = [i for i, t in enumerate(toks) if t in first]
    by_first = compiled.by_first
    next_free = 0
    for i in candidates:
        if i < next_free or i in covered:
            continue
        for entry in by_first[toks[i]]:
            k = len(entry.tokens)
            j = i + k - 1
            if j >= n or sids[j] != sids[i] or docs[j] != docs[i]:
                continue
            if k > 1 and tuple(toks[i : i + k]) != entry.tokens:
                continue
            if covered and any(x in covered for x in range(i, i + k)):
                continue
            hits.append(_Hit(i, i + k, entry.category, entry.term, entry.kind, starts[i], ends[j]))
            covered.update(range(i, i + k))
            next_free = i + k
            break

    scope_end = compiled.scope_end
    for h in hits:
        cue = ""
        if h.kind != "remedy_terms":
            cue = _find_pre_cue(h.i0, toks, docs, sids, covered, scope_end, compiled.cues)
        if not cue:
            cue = _find_post_cue(h.i1, toks, docs, sids, covered, scope_end, compiled.post_cues)
        if cue:
            h.negated = True
            h.cue = cue

    out = pd.DataFrame(
        {
            "doc_id": pd.Series([docs[h.i0] for h in hits], dtype="string"),
            "sentence_id": pd.Series([sids[h.i0] for h in hits], dtype="int64"),
            "paragraph_id": pd.Series([pids[h.i0] for h in hits], dtype="int64"),
            "category": pd.Series([h.category for h in hits], dtype="string"),
            "term": pd.Series([h.term for h in hits], dtype="string"),
            "start": pd.Series([h.start for h in hits], dtype="int64"),
            "end": pd.Series([h.end for h in hits], dtype="int64"),
            "negated": pd.Series([h.negated for h in hits], dtype="bool"),
            "cue": pd.Series([h.cue for h in hits], dtype="string"),
            "excluded": pd.Series([h.kind == "exclude" for h in hits], dtype="bool"),
            "codebook_hash": pd.Series([compiled.hash] * len(hits), dtype="string"),
        }
    )
    return out.sort_values(["doc_id", "start", "end", "category"], kind="stable").reset_index(
        drop=True
    )


def _pattern_hits(docs, sids, starts, ends, texts, compiled, covered) -> list[_Hit]:
    out: list[_Hit] = []
    n = len(docs)
    a = 0
    while a < n:
        b = a
        while b < n and docs[b] == docs[a] and sids[b] == sids[a]:
            b += 1
        text = texts.get(docs[a])
        if text is not None:
            s0, s1 = starts[a], ends[b - 1]
            sentence = text[s0:s1]
            tok_starts = starts[a:b]
            for cat, pat in compiled.patterns:
                for m in pat.finditer(sentence):
                    if m.end() == m.start():
                        continue
                    c0, c1 = s0 + m.start(), s0 + m.end()
                    # Tokens overlapping the match: from the token holding c0 to the one
                    # holding c1 - 1.
                    i0 = a + max(bisect.bisect_right(tok_starts, c0) - 1, 0)
                    i1 = a + bisect.bisect_left(tok_starts, c1)
                    if any(x in covered for x in range(i0, i1)):
                        continue
                    out.append(_Hit(i0, i1, cat, text[c0:c1], "terms", c0, c1))
                    covered.update(range(i0, i1))
        a = b
    return out


def _find_pre_cue(i0, toks, docs, sids, covered, scope_end, cues) -> str:
    j = i0 - 1
    lo = i0
    while j >= 0 and docs[j] == docs[i0] and sids[j] == sids[i0] and toks[j] not in scope_end:
        lo = j
        j -= 1
    # Nearest cue first: walk back from the term to the clause start.
    for end in range(i0 - 1, lo - 1, -1):
        if end in covered:
            continue
        for cue in cues:
            k = len(cue)
            s = end - k + 1
            if s < lo:
                continue
            if tuple(toks[s : end + 1]) == cue and not any(x in covered for x in range(s, end + 1)):
                return "".join(cue)
    return ""


def _find_post_cue(i1, toks, docs, sids, covered, scope_end, cues) -> str:
    if i1 <= 0:
        return ""
    anchor = i1 - 1
    hi = i1
    n = len(toks)
    while (
        hi < n
        and docs[hi] == docs[anchor]
        and sids[hi] == sids[anchor]
        and toks[hi] not in scope_end
    ):
        hi += 1
    for s in range(i1, hi):
        if s in covered:
            continue
        for cue in cues:
            k = len(cue)
            if s + k > hi:
                continue
            if tuple(toks[s : s + k]) == cue and not any(x in covered for x in range(s, s + k)):
                return "".join(cue)
    return ""


def counted(hits: pd.DataFrame) -> pd.DataFrame:
    """Hits that count as the difficulty: neither negated nor excluded."""
    return hits[~hits["negated"] & ~hits["excluded"]]


def code_units(tokens: pd.DataFrame, hits: pd.DataFrame, unit: str = "sentence") -> pd.DataFrame:
    """Units table (``units_<source>.parquet``): one row per coding unit.

    Columns ``doc_id, unit_id, start, end, n_tokens`` and per category the number of counted
    hits (``coverage`` … ``resource``), plus ``codebook_hash``. ``unit`` is sentence, paragraph
    or document; ``unit_id`` is numbered as in ``segment_documents``.
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
    c = counted(hits)
    c = c.assign(
        unit_id=[
            unit_of(unit, s, p) for s, p in zip(c["sentence_id"], c["paragraph_id"], strict=True)
        ]
    )
    counts = c.groupby(["doc_id", "unit_id", "category"]).size().unstack("category", fill_value=0)
    counts = counts.reindex(columns=list(CATEGORIES), fill_value=0).reset_index()
    units = units.merge(counts, on=["doc_id", "unit_id"], how="left")
    for cat in CATEGORIES:
        units[cat] = units[cat].fillna(0).astype("int64")
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
) -> pd.DataFrame:
    """Code a list of (normalised) texts; one row per text, in input order.

    Columns: ``text_id`` (position), ``coverage, ideology, effectiveness, resource`` (0/1
    presence of a counted hit; missing for blank texts) and ``status``. For validation against
    gold codes.
    """
    compiled = codebook if isinstance(codebook, CompiledCodebook) else codebook.compile(segmenter)
    ids = [f"{i:09d}" for i in range(len(texts))]
    df = pd.DataFrame({"doc_id": ids, "text": list(texts)})
    tokens = segment_documents(df, "doc_id", "text", segmenter)
    text_map = {i: ("" if t is None else str(t)) for i, t in zip(ids, texts, strict=True)}
    hits = code_tokens(tokens, compiled, text_map)
    c = counted(hits)
    per = c.groupby(["doc_id", "category"]).size()
    rows = []
    for pos, (doc_id, text) in enumerate(zip(ids, texts, strict=True)):
        n_total = sum(int(per.get((doc_id, cat), 0)) for cat in CATEGORIES)
        status = answer_status(text, n_total, compiled.codebook)
        row: dict[str, object] = {"text_id": pos}
        for cat in CATEGORIES:
            row[cat] = pd.NA if status == "missing" else int(per.get((doc_id, cat), 0) > 0)
        row["status"] = status
        rows.append(row)
    out = pd.DataFrame(rows, columns=["text_id", *CATEGORIES, "status"])
    for cat in CATEGORIES:
        out[cat] = out[cat].astype("Int64")
    return out

"""Audit tables a researcher opens in Excel to check what the coder did.

All tables are plain DataFrames with sorted rows; the workflow writes them with
``chainpb.atomic.write_csv`` (UTF-8 with BOM, so Excel and WPS show Chinese correctly).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

import pandas as pd

from chainpb.text.codebook import CATEGORIES
from chainpb.text.coding import counted
from chainpb.text.measures import is_punctuation

KWIC_COLUMNS = [
    "city_key",
    "source",
    "doc_id",
    "sentence_id",
    "left",
    "term",
    "right",
    "category",
    "polarity",
    "status",
    "rule",
    "slots",
    "negated",
    "cue",
    "excluded",
    "in_context",
    "start",
    "end",
]


def attach_city(hits: pd.DataFrame, doc_city: Mapping[str, str]) -> pd.DataFrame:
    """Add ``city_key`` to a hits table from a ``doc_id → city_key`` map."""
    return hits.assign(city_key=hits["doc_id"].astype(str).map(dict(doc_city)).astype("string"))


def kwic(
    hits: pd.DataFrame,
    texts: Mapping[str, str],
    doc_city: Mapping[str, str],
    source: str,
    *,
    width: int = 20,
) -> pd.DataFrame:
    """Keyword-in-context concordance of every hit (negated, excluded and gated ones included).

    ``left``/``right`` are up to ``width`` characters of the normalised text on either side of
    the hit, with line breaks shown as ⏎ so that each hit stays on one spreadsheet row.
    ``polarity``, ``status``, ``rule`` (term, pattern, or ``slot:<id>``) and ``slots`` (the
    words each slot matched, joined by +) say why the hit counts or not.
    """
    rows = []
    for h in hits.itertuples(index=False):
        doc = str(h.doc_id)
        text = texts.get(doc, "")
        left = text[max(0, h.start - width) : h.start].replace("\n", "⏎")
        right = text[h.end : h.end + width].replace("\n", "⏎")
        rows.append(
            (
                doc_city.get(doc, ""),
                source,
                doc,
                int(h.sentence_id),
                left,
                text[h.start : h.end],
                right,
                h.category,
                h.polarity,
                h.status,
                h.rule,
                h.slots,
                bool(h.negated),
                h.cue,
                bool(h.excluded),
                bool(h.in_context),
                int(h.start),
                int(h.end),
            )
        )
    out = pd.DataFrame(rows, columns=KWIC_COLUMNS)
    return out.sort_values(["city_key", "source", "doc_id", "start"], kind="stable").reset_index(
        drop=True
    )


def category_city_matrix(
    hits: pd.DataFrame, sources: Mapping[str, Iterable[str]] | None = None
) -> pd.DataFrame:
    """Difficulty statements per category (rows, in codebook order) and city (columns, sorted).

    Without ``sources``: one row per category, answers and policy texts together. With
    ``sources`` (source → the cities that have texts of that source, e.g. ``{"answers": [...],
    "policies": [...]}``): rows per source and category (column ``source``), and a city without
    texts of a source is left empty in that source's rows — "no policy texts" is not 0 hits.
    ``hits`` needs ``city_key`` (and ``source`` when ``sources`` is given).
    """
    c = counted(hits)
    if sources is None:
        cities = sorted(hits["city_key"].dropna().astype(str).unique())
        table = c.groupby(["category", "city_key"]).size().unstack("city_key", fill_value=0)
        table = table.reindex(index=list(CATEGORIES), columns=cities, fill_value=0).fillna(0)
        table = table.astype("int64")
        table.index.name = "category"
        table.columns.name = None
        return table.reset_index()
    cities = sorted({str(city) for have in sources.values() for city in have})
    parts = []
    for source, have in sources.items():
        part = c[c["source"] == source]
        counts = part.groupby(["category", "city_key"]).size().unstack("city_key", fill_value=0)
        counts = counts.reindex(index=list(CATEGORIES), columns=cities).fillna(0)
        counts = counts.astype("int64").astype("Int64")
        for city in cities:
            if city not in {str(h) for h in have}:
                counts[city] = pd.array([pd.NA] * len(counts), dtype="Int64")
        counts.index.name = "category"
        counts.columns.name = None
        parts.append(counts.reset_index().assign(source=source))
    out = pd.concat(parts, ignore_index=True)
    return out[["source", "category", *cities]]


def cooccurrence(firms: pd.DataFrame) -> pd.DataFrame:
    """How many answers report both difficulties (diagonal: how many report the one).

    ``firms`` is ``firm_difficulty``; blank answers (diff missing) never count.
    """
    present = {cat: firms[f"diff_{cat}"].fillna(0).astype(int) == 1 for cat in CATEGORIES}
    data = {b: [int((present[a] & present[b]).sum()) for a in CATEGORIES] for b in CATEGORIES}
    out = pd.DataFrame(data, index=list(CATEGORIES))
    out.index.name = "category"
    return out.reset_index()


def _content(tokens: Iterable[str], stopwords: frozenset[str]) -> Iterable[str]:
    for t in tokens:
        if len(t) < 2 or t in stopwords or is_punctuation(t) or t.isdigit():
            continue
        yield t


def top_words(
    tokens: pd.DataFrame,
    hits: pd.DataFrame,
    doc_city: Mapping[str, str],
    stopwords: frozenset[str] | set[str],
    *,
    n: int = 20,
) -> pd.DataFrame:
    """Most frequent content words per city and per category.

    Stopwords, single characters, punctuation and numbers are left out. For a category, only
    words of sentences with a counted hit of that category are counted. Columns: ``group_type``
    (city | category), ``group``, ``rank`` (1 = most frequent; ties broken by the word),
    ``word``, ``count``.
    """
    stop = frozenset(stopwords)
    tok = tokens.assign(city_key=tokens["doc_id"].astype(str).map(dict(doc_city)))
    rows: list[tuple[str, str, int, str, int]] = []

    def emit(group_type: str, group: str, words: Iterable[str]) -> None:
        counts = Counter(_content(words, stop))
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
        rows.extend((group_type, group, r, w, c) for r, (w, c) in enumerate(ranked, start=1))

    for city, g in tok.dropna(subset=["city_key"]).groupby("city_key", sort=True):
        emit("city", str(city), g["token"].astype(str))
    c = counted(hits)
    keys = tok.set_index(["doc_id", "sentence_id"])["token"].astype(str)
    for cat in CATEGORIES:
        sent = c.loc[c["category"] == cat, ["doc_id", "sentence_id"]].drop_duplicates()
        idx = pd.MultiIndex.from_frame(sent)
        words = keys[keys.index.isin(idx)] if len(idx) else keys.iloc[:0]
        emit("category", cat, words)
    return pd.DataFrame(rows, columns=["group_type", "group", "rank", "word", "count"])

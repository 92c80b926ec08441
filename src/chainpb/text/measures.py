"""Difficulty and theme-attention measures from coded hits: per respondent, document, city.

Two measures, never mixed (chainpb.text.coding explains the statuses):

- **difficulty**: hits that state a difficulty (status ``problem``: a problem, or a remedy said
  to be missing or weak). Firms' ``diff_<cat>`` and the policy texts' difficulty statements.
- **attention**: hits that speak to a theme (``problem``, ``remedy`` or a denial), for policy
  texts only: how much a city's documents attend to an area, which is not a difficulty.

Hits that are negated-only, excluded or outside a Party-building context stay in the hits table
for audit and enter neither measure.
Token counts for densities leave out punctuation tokens, so that a density per 1,000 tokens
means per 1,000 words, whatever the punctuation style of a document.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd

from chainpb.text.codebook import CATEGORIES, Codebook
from chainpb.text.coding import answer_status, attended, counted


def is_punctuation(token: str) -> bool:
    """True for tokens made only of punctuation or symbols (，。、“” …)."""
    return all(unicodedata.category(ch)[0] in "PSZ" for ch in token)


def word_counts(tokens: pd.DataFrame) -> pd.Series:
    """Non-punctuation tokens per ``doc_id``."""
    # astype(bool): on an empty table the mask would be an object Series, which pandas reads
    # as a list of column labels (a city without policy texts has no tokens).
    words = tokens[~tokens["token"].astype(str).map(is_punctuation).astype(bool)]
    return words.groupby("doc_id").size()


def firm_difficulty(
    answers: pd.DataFrame,
    hits: pd.DataFrame,
    codebook: Codebook,
    *,
    id_col: str = "enterprise_id",
    text_col: str = "difficulty_text",
) -> pd.DataFrame:
    """``firm_difficulty.parquet``: one row per respondent.

    Columns: ``enterprise_id, answer_status, diff_<cat>`` (0/1; missing when the answer is blank)
    and ``n_<cat>`` (counted hits; 0 when blank) for the four categories, sorted by id.
    """
    c = counted(hits)
    per = c.groupby(["doc_id", "category"]).size()
    rows = []
    for raw_id, text in zip(answers[id_col].tolist(), answers[text_col].tolist(), strict=True):
        key = str(raw_id)
        n = {cat: int(per.get((key, cat), 0)) for cat in CATEGORIES}
        status = answer_status(text, sum(n.values()), codebook)
        row: dict[str, object] = {id_col: key, "answer_status": status}
        for cat in CATEGORIES:
            row[f"diff_{cat}"] = pd.NA if status == "missing" else int(n[cat] > 0)
        for cat in CATEGORIES:
            row[f"n_{cat}"] = n[cat]
        rows.append(row)
    cols = [
        id_col,
        "answer_status",
        *(f"diff_{c}" for c in CATEGORIES),
        *(f"n_{c}" for c in CATEGORIES),
    ]
    out = pd.DataFrame(rows, columns=cols)
    out[id_col] = out[id_col].astype("string")
    out["answer_status"] = out["answer_status"].astype("string")
    for cat in CATEGORIES:
        out[f"diff_{cat}"] = out[f"diff_{cat}"].astype("Int64")
        out[f"n_{cat}"] = out[f"n_{cat}"].astype("int64")
    return out.sort_values(id_col, kind="stable").reset_index(drop=True)


MEASURES: tuple[str, ...] = ("attention", "difficulty")


def _measure_hits(hits: pd.DataFrame, measure: str) -> pd.DataFrame:
    return attended(hits) if measure == "attention" else counted(hits)


def document_themes(tokens: pd.DataFrame, hits: pd.DataFrame) -> pd.DataFrame:
    """Per document, measure and category: ``doc_id, measure, category, hits, tokens,
    per_1000_tokens``. Every (document, measure, category) appears, with 0 where absent."""
    words = word_counts(tokens)
    rows = []
    for measure in MEASURES:
        per = _measure_hits(hits, measure).groupby(["doc_id", "category"]).size()
        rows += [
            (doc, measure, cat, int(per.get((doc, cat), 0)), int(words[doc]))
            for doc in sorted(words.index.astype(str))
            for cat in CATEGORIES
        ]
    out = pd.DataFrame(rows, columns=["doc_id", "measure", "category", "hits", "tokens"])
    out["per_1000_tokens"] = _per_1000(out["hits"], out["tokens"])
    for col in ("doc_id", "measure", "category"):
        out[col] = out[col].astype("string")
    return out.sort_values(["doc_id", "measure", "category"], kind="stable").reset_index(drop=True)


def _per_1000(hits: pd.Series, tokens: pd.Series) -> pd.Series:
    with np.errstate(divide="ignore", invalid="ignore"):
        vals = np.where(tokens > 0, hits * 1000.0 / tokens.where(tokens > 0, 1), np.nan)
    return pd.Series(vals, index=hits.index, dtype="float64")


def policy_themes(policies: pd.DataFrame, tokens: pd.DataFrame, hits: pd.DataFrame) -> pd.DataFrame:
    """``policy_themes.parquet``: per city, measure and category, from the city's policy texts.

    ``policies`` has ``city_key, doc_id``. Columns: ``city_key, measure`` (``attention`` —
    mentions of the theme; ``difficulty`` — statements of the difficulty), ``category, hits``,
    ``tokens`` (the city's word tokens), ``per_1000_tokens``, and ``share`` (the category's hits
    / all the city's hits of that measure; missing when the city has none).
    """
    doc_city = dict(
        zip(policies["doc_id"].astype(str), policies["city_key"].astype(str), strict=True)
    )
    words = word_counts(tokens)
    city_tokens: dict[str, int] = {}
    for doc, n in words.items():
        city = doc_city.get(str(doc))
        if city is not None:
            city_tokens[city] = city_tokens.get(city, 0) + int(n)
    rows = []
    for measure in MEASURES:
        c = _measure_hits(hits, measure)
        c = c.assign(city_key=c["doc_id"].astype(str).map(doc_city))
        per = c.groupby(["city_key", "category"]).size()
        for city in sorted(set(doc_city.values())):
            total = int(sum(per.get((city, cat), 0) for cat in CATEGORIES))
            for cat in CATEGORIES:
                h = int(per.get((city, cat), 0))
                share = h / total if total else np.nan
                rows.append((city, measure, cat, h, city_tokens.get(city, 0), share))
    out = pd.DataFrame(rows, columns=["city_key", "measure", "category", "hits", "tokens", "share"])
    out["per_1000_tokens"] = _per_1000(out["hits"], out["tokens"])
    out = out[["city_key", "measure", "category", "hits", "tokens", "per_1000_tokens", "share"]]
    for col in ("city_key", "measure", "category"):
        out[col] = out[col].astype("string")
    return out.sort_values(["city_key", "measure"], kind="stable").reset_index(drop=True)


def city_difficulty_shares(firms: pd.DataFrame) -> pd.DataFrame:
    """Share of firms reporting each difficulty, per city.

    ``firms`` is ``firm_difficulty`` with a ``city_key`` column. Columns: ``city_key, category,
    n`` (firms with a non-blank answer: coded or none), ``firms_reporting``, ``share``.
    """
    rows = []
    for city, g in firms.groupby("city_key", sort=True):
        answered = g[g["answer_status"] != "missing"]
        n = len(answered)
        for cat in CATEGORIES:
            k = int((answered[f"diff_{cat}"] == 1).sum())
            rows.append((str(city), cat, n, k, k / n if n else np.nan))
    out = pd.DataFrame(rows, columns=["city_key", "category", "n", "firms_reporting", "share"])
    out["city_key"] = out["city_key"].astype("string")
    out["category"] = out["category"].astype("string")
    return out

"""Candidate codebook terms from hand codes: n-grams over-represented in the units the codebook
missed (the researcher reads them and decides which to add to config/codebook.yaml)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from chainpb.labels import CATEGORIES
from chainpb.text.codebook import Codebook
from chainpb.text.supervised import char_ngrams

TERM_COLUMNS: list[str] = [
    "category",
    "rank",
    "ngram",
    "n_missed",
    "missed_units",
    "n_hit",
    "hit_units",
    "n_other",
    "other_units",
    "log_odds_vs_hit",
    "log_odds_vs_other",
    "score",
    "example_1_id",
    "example_1",
    "example_2_id",
    "example_2",
]


def distinct_char_ngrams(text: str, sizes: Sequence[int] = (2, 3, 4)) -> set[str]:
    """Distinct character n-grams of the given sizes, made of letters only: the supervised
    coder's n-grams (punctuation and spaces break them), without digits."""
    return {
        gram
        for gram in char_ngrams(text, n_max=max(sizes))
        if len(gram) in sizes and not any(ch.isdigit() for ch in gram)
    }


def codebook_words(codebook: Codebook) -> list[str]:
    """Every word the codebook already knows: terms, remedy terms, exclusions and the words of
    compositional ``slots`` rules where the codebook has them."""
    words = [term for _, _, term in codebook.entries()]
    for category in CATEGORIES:
        for slot in codebook.category(category).get("slots", []) or []:
            for part in slot.get("parts", []):
                words.extend(str(w) for w in part)
    return sorted(set(words))


def _log_odds(k: int, n: int) -> float:
    """Log odds of a unit containing the n-gram, add-0.5 (Haldane–Anscombe) smoothed."""
    return math.log((k + 0.5) / (n - k + 0.5))


def candidate_terms(
    reference: pd.DataFrame,
    units: pd.DataFrame,
    codebook: Codebook,
    top: int = 20,
    min_missed: int = 2,
) -> pd.DataFrame:
    """Character 2–4-grams that mark the units the codebook missed, per category.

    For category c the reference units split into *missed* (human P, no counted codebook hit),
    *hit* (human P, a hit) and *other* (not P). Counts are units containing the n-gram. Each
    n-gram gets two add-0.5 smoothed log odds ratios (Haldane–Anscombe correction, not the
    Monroe–Colaresi–Quinn informative prior): missed vs hit and missed vs other; ``score`` is the
    smaller, so a candidate must stand out against both. Kept: score > 0, in at least
    ``min_missed`` missed units, not a substring of any word of the codebook
    (:func:`codebook_words`), and not a fragment of a longer candidate found in exactly the
    same missed units with at least the same score. Top ``top`` per category.
    """
    known_terms = codebook_words(codebook)
    info = units.set_index("sample_id")
    rows: list[dict[str, Any]] = []
    for category in CATEGORIES:
        ids = reference["sample_id"].to_numpy()
        human_p = (reference[category] == "P").to_numpy()
        machine = info.loc[ids, category].to_numpy() > 0
        texts = info.loc[ids, "text"].astype(str).to_numpy()
        groups = {
            "missed": ids[human_p & ~machine],
            "hit": ids[human_p & machine],
            "other": ids[~human_p],
        }
        grams = {sid: distinct_char_ngrams(t) for sid, t in zip(ids, texts, strict=True)}
        support: dict[str, dict[str, list[str]]] = {}
        for group, members in groups.items():
            for sid in members:
                for gram in grams[sid]:
                    support.setdefault(gram, {"missed": [], "hit": [], "other": []})[group].append(
                        sid
                    )
        sizes = {g: len(m) for g, m in groups.items()}
        found = []
        for gram, where in support.items():
            a = len(where["missed"])
            if a < min_missed or any(gram in term for term in known_terms):
                continue
            vs_hit = _log_odds(a, sizes["missed"]) - _log_odds(len(where["hit"]), sizes["hit"])
            vs_other = _log_odds(a, sizes["missed"]) - _log_odds(
                len(where["other"]), sizes["other"]
            )
            score = min(vs_hit, vs_other)
            if score > 0:
                found.append((gram, where, vs_hit, vs_other, score))
        found = _drop_fragments(found)
        found.sort(key=lambda f: (-f[4], -len(f[1]["missed"]), f[0]))
        for rank, (gram, where, vs_hit, vs_other, score) in enumerate(found[:top], start=1):
            examples = sorted(where["missed"])[:2]
            row = {
                "category": category,
                "rank": rank,
                "ngram": gram,
                "n_missed": len(where["missed"]),
                "missed_units": sizes["missed"],
                "n_hit": len(where["hit"]),
                "hit_units": sizes["hit"],
                "n_other": len(where["other"]),
                "other_units": sizes["other"],
                "log_odds_vs_hit": vs_hit,
                "log_odds_vs_other": vs_other,
                "score": score,
            }
            for i in (1, 2):
                sid = examples[i - 1] if len(examples) >= i else ""
                row[f"example_{i}_id"] = sid
                row[f"example_{i}"] = info.at[sid, "text"] if sid else ""
            rows.append(row)
    return pd.DataFrame(rows, columns=TERM_COLUMNS)


def _drop_fragments(found: list[tuple]) -> list[tuple]:
    """Drop an n-gram inside a longer candidate with the same missed units and no lower score:
    抱团, 团取 and 取暖 say nothing that 抱团取暖 does not."""
    by_units: dict[frozenset[str], list[tuple]] = {}
    for item in found:
        by_units.setdefault(frozenset(item[1]["missed"]), []).append(item)
    keep = []
    for item in found:
        gram, where, _, _, score = item
        same = by_units[frozenset(where["missed"])]
        if not any(o[0] != gram and gram in o[0] and o[4] >= score for o in same):
            keep.append(item)
    return keep

"""Documents that are in a collection twice: the same text, or nearly the same.

A policy is often saved twice: from the issuer's site and from a WeChat copy, as .pdf and as
.docx, or reprinted by a district with a new first line. Counted twice, it doubles its weight
in the city's emphasis measure. Two documents are duplicates when

- **exact**: their texts are equal after normalisation with all blanks removed (so line breaks,
  spacing and full-width/half-width forms do not matter), or
- **near**: the Jaccard similarity of their sets of character ``ngram``-grams (default 5,
  blanks removed) is at least ``similarity`` (default 0.9). Character n-grams suit Chinese,
  which has no spaces between words; a reprint with a changed heading or a dropped credit line
  stays above 0.9, two different notices of one office (shared opening and closing formulas)
  stay far below.

The comparison is exact (all pairs, through a sparse document × n-gram matrix; scipy), not
sampled (no MinHash), so the result does not depend on a seed; the 88 shared reports (1.5
million characters) take a few seconds. The pairwise matrix is dense (n × n), which suits
collections of up to some thousands of documents. Which copy
is kept is fixed: the documents are taken in reading order (manifest order), and a document is
dropped when it duplicates one kept before it; the report names the kept document it duplicates
(the most similar kept one, the earliest on ties) and the similarity (1.0 for exact copies).
Texts shorter than ``ngram`` characters are compared exactly only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

REPORT_COLUMNS = ("dropped", "dropped_file", "kept", "kept_file", "kind", "similarity")
_BLANKS = re.compile(r"\s+")


@dataclass(frozen=True)
class DedupSettings:
    enabled: bool = True
    similarity: float = 0.9
    ngram: int = 5

    @classmethod
    def from_config(cls, section: Mapping[str, Any] | None) -> DedupSettings:
        """From the (schema-validated) ``documents.dedup`` section; None: no deduplication."""
        if not section:
            return cls(enabled=False)
        return cls(
            enabled=bool(section.get("enabled", True)),
            similarity=float(section.get("similarity", 0.9)),
            ngram=int(section.get("ngram", 5)),
        )


def _compact(text: str) -> str:
    return _BLANKS.sub("", text)


def _similarities(texts: Sequence[str], ngram: int) -> np.ndarray:
    """Pairwise Jaccard similarity of the texts' character n-gram sets (0 for short texts).

    |A ∩ B| for all pairs is one product of the sparse document × n-gram incidence matrix with
    its transpose; |A ∪ B| = |A| + |B| − |A ∩ B|.
    """
    from scipy.sparse import csr_matrix

    n = len(texts)
    long_enough = [i for i, t in enumerate(texts) if len(t) >= ngram]
    out = np.zeros((n, n))
    if len(long_enough) < 2:
        return out
    vocabulary: dict[str, int] = {}
    indices: list[int] = []
    indptr = [0]
    for i in long_enough:
        text = texts[i]
        grams = {text[j : j + ngram] for j in range(len(text) - ngram + 1)}
        indices.extend(sorted(vocabulary.setdefault(g, len(vocabulary)) for g in grams))
        indptr.append(len(indices))
    matrix = csr_matrix(
        (np.ones(len(indices), dtype=np.int64), np.array(indices), np.array(indptr)),
        shape=(len(long_enough), len(vocabulary)),
    )
    sizes = np.diff(matrix.indptr).astype(float)
    intersection = (matrix @ matrix.T).toarray().astype(float)
    union = sizes[:, None] + sizes[None, :] - intersection
    jaccard = np.divide(intersection, union, out=np.zeros_like(union), where=union > 0)
    index = np.array(long_enough)
    out[np.ix_(index, index)] = jaccard
    return out


def find_duplicates(
    doc_ids: Sequence[str],
    files: Sequence[str],
    texts: Sequence[str],
    settings: DedupSettings,
) -> pd.DataFrame:
    """The dropped documents (one row each) with the kept document they duplicate.

    Inputs are in reading order; the first of a group of duplicates is kept. Columns: dropped,
    dropped_file, kept, kept_file, kind (``exact``/``near``), similarity (rounded to 4 places).
    """
    rows: list[dict[str, Any]] = []
    if settings.enabled and len(texts) > 1:
        compact = [_compact(t) for t in texts]
        jaccard = _similarities(compact, settings.ngram)
        kept: list[int] = []
        for i in range(len(texts)):
            exact = [k for k in kept if compact[k] == compact[i]]
            if exact:
                best, kind, similarity = exact[0], "exact", 1.0
            else:
                near = [k for k in kept if jaccard[i, k] >= settings.similarity]
                if not near:
                    kept.append(i)
                    continue
                # The most similar kept document; the earliest on ties (max keeps the first).
                best = max(near, key=lambda k: jaccard[i, k])
                kind, similarity = "near", float(jaccard[i, best])
            rows.append(
                {
                    "dropped": doc_ids[i],
                    "dropped_file": files[i],
                    "kept": doc_ids[best],
                    "kept_file": files[best],
                    "kind": kind,
                    "similarity": round(similarity, 4),
                }
            )
    table = pd.DataFrame(rows, columns=list(REPORT_COLUMNS))
    for column in REPORT_COLUMNS:
        table[column] = table[column].astype("float64" if column == "similarity" else "str")
    return table


def drop_duplicates(
    rows: Sequence[Mapping[str, Any]], label_key: str, settings: DedupSettings, logger: Any
) -> tuple[list[Mapping[str, Any]], pd.DataFrame]:
    """``rows`` (each with ``doc_id``, ``text`` and the name under ``label_key``) without the
    duplicates :func:`find_duplicates` finds, each dropped one logged by name; and the report."""
    duplicates = find_duplicates(
        [r["doc_id"] for r in rows],
        [r[label_key] for r in rows],
        [r["text"] for r in rows],
        settings,
    )
    for dup in duplicates.to_dict("records"):
        logger.warning(
            "重复文档，已去除 duplicate dropped: %s — 与 duplicates %s（保留 kept），"
            "相似度 similarity %.4f (%s)",
            dup["dropped_file"],
            dup["kept_file"],
            dup["similarity"],
            dup["kind"],
        )
    dropped = set(duplicates["dropped"])
    return [r for r in rows if r["doc_id"] not in dropped], duplicates

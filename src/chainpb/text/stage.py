"""The text stage as the workflow runs it: one function per rule, composed of the text modules.

quanteda's shape: corpus (ingested table) → tokens (:func:`segment_source`) → dictionary lookup
(:func:`code_source`) → measures (:func:`city_measures`). Segmenting and coding are separate
functions and separate rules, so that editing the codebook never re-runs the segmenter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from chainpb.labels import CATEGORIES
from chainpb.text import audit, measures
from chainpb.text.codebook import Codebook
from chainpb.text.coding import code_tokens, code_units
from chainpb.text.segment import Segmenter, segment_documents
from chainpb.text.supervised import fit_supervised
from chainpb.text.validation import ValidationResult, validate_coding

SOURCE_COLUMNS = {"answers": ("enterprise_id", "difficulty_text"), "policies": ("doc_id", "text")}


def _columns(source: str) -> tuple[str, str]:
    if source not in SOURCE_COLUMNS:
        raise ValueError(f"source must be one of {sorted(SOURCE_COLUMNS)}, got {source!r}")
    return SOURCE_COLUMNS[source]


def source_texts(table: pd.DataFrame, source: str) -> dict[str, str]:
    """``doc_id → normalised text`` of one source (blank answers left out)."""
    id_col, text_col = _columns(source)
    out: dict[str, str] = {}
    for doc_id, text in zip(table[id_col].astype(str), table[text_col], strict=True):
        if isinstance(text, str) and text.strip():
            out[doc_id] = text
    return out


def segment_source(
    table: pd.DataFrame, source: str, segmenter: Segmenter, unit: str = "sentence"
) -> pd.DataFrame:
    """Tokens of the open answers (``answers``) or policy documents (``policies``)."""
    id_col, text_col = _columns(source)
    return segment_documents(table, id_col, text_col, segmenter, unit=unit)


def code_source(
    tokens: pd.DataFrame,
    table: pd.DataFrame,
    source: str,
    codebook: Codebook,
    segmenter: Segmenter,
    unit: str = "sentence",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(hits, units) of one source: every codebook match, and counted hits per coding unit."""
    compiled = codebook.compile(segmenter)
    hits = code_tokens(tokens, compiled, source_texts(table, source))
    return hits, code_units(tokens, hits, unit=unit)


def city_measures(
    survey: pd.DataFrame,
    policies: pd.DataFrame,
    answer_hits: pd.DataFrame,
    policy_hits: pd.DataFrame,
    policy_tokens: pd.DataFrame,
    codebook: Codebook,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(firm_difficulty, policy_emphasis, document_emphasis) of one city."""
    firms = measures.firm_difficulty(survey, answer_hits, codebook)
    city = survey[["enterprise_id", "city_key"]].astype({"enterprise_id": "string"})
    firms = firms.merge(city, on="enterprise_id", how="left", validate="1:1")
    firms = firms[["city_key", *[c for c in firms.columns if c != "city_key"]]]
    firms["codebook_hash"] = codebook.hash
    emphasis = measures.policy_emphasis(policies, policy_tokens, policy_hits)
    emphasis["codebook_hash"] = codebook.hash
    documents = measures.document_emphasis(policy_tokens, policy_hits)
    doc_city = dict(zip(policies["doc_id"].astype(str), policies["city_key"], strict=True))
    documents.insert(0, "city_key", documents["doc_id"].astype(str).map(doc_city))
    documents["codebook_hash"] = codebook.hash
    return firms, emphasis, documents


def supervised_measure(
    gold: pd.DataFrame,
    survey: pd.DataFrame,
    answer_tokens: pd.DataFrame,
    segmenter: Segmenter,
    seed: int,
) -> pd.DataFrame:
    """``ml_<cat>`` for every firm: the supervised coder, fitted on all gold units.

    Blank answers stay missing, like the codebook measure.
    """
    gold_tokens = [segmenter.tokens(t) for t in gold["text"].astype(str)]
    coder = fit_supervised(gold_tokens, gold[list(CATEGORIES)], seed)
    by_doc = answer_tokens.groupby("doc_id", sort=True)["token"].apply(list)
    ids = survey["enterprise_id"].astype(str).tolist()
    token_lists = [list(by_doc.get(i, [])) for i in ids]
    predicted = coder.predict(token_lists)
    out = pd.DataFrame({"city_key": survey["city_key"].astype(str).tolist(), "enterprise_id": ids})
    answered = [i in by_doc.index for i in ids]
    for cat in CATEGORIES:
        values = pd.array(predicted[cat].astype(int).tolist(), dtype="Int64")
        values[[not a for a in answered]] = pd.NA
        out[f"ml_{cat}"] = values
        out[f"p_{cat}"] = predicted[f"p_{cat}"].where(answered)
    return out.sort_values(["city_key", "enterprise_id"], kind="mergesort").reset_index(drop=True)


def validate_codebook(
    gold: pd.DataFrame, codebook: Codebook, segmenter: Segmenter, seed: int
) -> ValidationResult:
    """Codebook vs gold, supervised (cross-validated) vs gold, supervised vs codebook."""
    from chainpb.text.coding import code_texts

    texts = gold["text"].astype(str).tolist()
    codes = code_texts(texts, codebook, segmenter)
    gold_tokens = [segmenter.tokens(t) for t in texts]
    return validate_coding(gold, codes[list(CATEGORIES)], gold_tokens, seed)


@dataclass(frozen=True)
class AuditTables:
    kwic: pd.DataFrame
    category_city: pd.DataFrame
    cooccurrence: pd.DataFrame
    top_words: pd.DataFrame
    city_shares: pd.DataFrame


def audit_tables(
    tables: Mapping[str, pd.DataFrame],
    tokens: Mapping[str, pd.DataFrame],
    hits: Mapping[str, pd.DataFrame],
    firms: pd.DataFrame,
    stopwords: Sequence[str] | frozenset[str],
) -> AuditTables:
    """The researcher-facing audit files, pooled over cities.

    ``tables``, ``tokens`` and ``hits`` are keyed by source (``answers``, ``policies``) and
    already pooled across cities; ``firms`` is the pooled firm_difficulty table.
    """
    concordances = []
    tagged_hits = []
    tops = []
    for source in ("answers", "policies"):
        id_col, _ = _columns(source)
        table = tables[source]
        doc_city = dict(zip(table[id_col].astype(str), table["city_key"].astype(str), strict=True))
        concordances.append(audit.kwic(hits[source], source_texts(table, source), doc_city, source))
        tagged_hits.append(audit.attach_city(hits[source], doc_city))
        top = audit.top_words(tokens[source], hits[source], doc_city, frozenset(stopwords))
        top.insert(0, "source", source)
        tops.append(top)
    all_hits = pd.concat(tagged_hits, ignore_index=True)
    return AuditTables(
        kwic=pd.concat(concordances, ignore_index=True),
        category_city=audit.category_city_matrix(all_hits),
        cooccurrence=audit.cooccurrence(firms),
        top_words=pd.concat(tops, ignore_index=True),
        city_shares=measures.city_difficulty_shares(firms),
    )

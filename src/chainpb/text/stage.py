"""The text stage as the workflow runs it: one function per rule, composed of the text modules.

quanteda's shape: corpus (ingested table) → tokens (:func:`segment_source`) → dictionary lookup
(:func:`code_source`) → measures (:func:`city_measures`). Segmenting and coding are separate
functions and separate rules, so that editing the codebook never re-runs the segmenter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from chainpb.errors import ChainpbError
from chainpb.labels import CATEGORIES
from chainpb.text import audit, measures
from chainpb.text.codebook import Codebook
from chainpb.text.coding import code_texts, code_tokens, code_units, denied
from chainpb.text.segment import Segmenter, segment_documents
from chainpb.text.stream import SOURCE_COLUMNS
from chainpb.text.supervised import SupervisedCoder, fit_supervised, hybrid_codes
from chainpb.text.validation import (
    ValidationResult,
    compare_codings,
    supervised_out_of_fold,
    tokens_by_unit,
    training_units,
)


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
    *,
    context_gate: bool = False,
    context_window: str = "paragraph",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(hits, units) of one source: every codebook match, and counted hits per coding unit.

    ``context_gate`` (config ``text.context.gate.<source>``) leaves hits outside a
    Party-building sentence or paragraph (``context_window``) uncounted (status ``no_context``).
    """
    compiled = codebook.compile(segmenter)
    hits = code_tokens(
        tokens,
        compiled,
        source_texts(table, source),
        context_gate=context_gate,
        context_window=context_window,
    )
    return hits, code_units(tokens, hits, unit=unit)


def city_measures(
    survey: pd.DataFrame,
    policies: pd.DataFrame,
    answer_hits: pd.DataFrame,
    policy_hits: pd.DataFrame,
    policy_tokens: pd.DataFrame,
    codebook: Codebook,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(firm_difficulty, policy_themes, document_themes) of one city."""
    firms = measures.firm_difficulty(survey, answer_hits, codebook)
    city = survey[["enterprise_id", "city_key"]].astype({"enterprise_id": "string"})
    firms = firms.merge(city, on="enterprise_id", how="left", validate="1:1")
    firms = firms[["city_key", *[c for c in firms.columns if c != "city_key"]]]
    themes = measures.policy_themes(policies, policy_tokens, policy_hits)
    documents = measures.document_themes(policy_tokens, policy_hits)
    doc_city = dict(zip(policies["doc_id"].astype(str), policies["city_key"], strict=True))
    documents.insert(0, "city_key", documents["doc_id"].astype(str).map(doc_city))
    # No codebook hash in the measures: the hits they count carry it, and codebook_hash.txt
    # and the report name it. A codebook edit that changes no code then leaves these files
    # byte for byte the same, and every job after them restores its results (chainpb.memo).
    return firms, themes, documents


def supervised_coder(
    gold: pd.DataFrame, segmenter: Segmenter, seed: int, *, cv_folds: int = 5
) -> SupervisedCoder:
    """The supervised coder of the workflow, fitted once on the gold (no codebook involved).

    Fitted on the difficulty codes of every gold unit whose split is not ``test``
    (:func:`chainpb.text.validation.training_units`), each text segmented by ``segmenter``,
    with ``cv_folds``-fold threshold selection (:func:`chainpb.text.supervised.fit_supervised`).
    """
    train = training_units(gold)
    train_texts = train["text"].astype(str).tolist()
    return fit_supervised(
        train_texts,
        [segmenter.tokens(t) for t in train_texts],
        train[list(CATEGORIES)],
        seed,
        cv_folds=cv_folds,
    )


def supervised_predictions(
    coder: SupervisedCoder, survey: pd.DataFrame, answer_tokens: pd.DataFrame
) -> pd.DataFrame:
    """The coder's codes of every firm of one city (no codebook involved).

    Columns ``city_key, enterprise_id`` (survey order), ``ml_<cat>`` (0/1 at the coder's
    threshold, Int64) and ``p_<cat>`` (probability); both missing for a blank answer, like the
    codebook measure.
    """
    by_doc = tokens_by_unit(answer_tokens, "doc_id")
    texts = source_texts(survey, "answers")
    ids = survey["enterprise_id"].astype(str).tolist()
    predicted = coder.predict([texts.get(i, "") for i in ids], [by_doc.get(i, []) for i in ids])
    answered = [i in texts for i in ids]
    out = pd.DataFrame({"city_key": survey["city_key"].astype(str).tolist(), "enterprise_id": ids})
    for cat in CATEGORIES:
        values = pd.array(predicted[cat].astype(int).tolist(), dtype="Int64")
        values[[not a for a in answered]] = pd.NA
        out[f"ml_{cat}"] = values
    for cat in CATEGORIES:
        out[f"p_{cat}"] = (
            predicted[f"p_{cat}"]
            .where(pd.Series(answered), other=float("nan"))
            .to_numpy(dtype=float)
        )
    return out


def supervised_measure(
    predictions: pd.DataFrame,
    codebook_firms: pd.DataFrame,
    *,
    answer_hits: pd.DataFrame | None = None,
    hybrid_min_probability: float = 0.9,
) -> pd.DataFrame:
    """The supervised coder's and the hybrid's codes of one city's firms (cheap: no fitting).

    ``predictions`` is :func:`supervised_predictions` of the city (the coder of
    :func:`supervised_coder`); ``codebook_firms`` its codebook firm codes (firm_difficulty).
    The measure has ``city_key, enterprise_id``, then ``ml_<cat>`` (0/1 at the coder's
    threshold), ``p_<cat>`` (probability), ``hy_<cat>`` (codebook ``diff_<cat>`` of
    ``codebook_firms`` OR p ≥ ``hybrid_min_probability``) and ``hy_source_<cat>`` (codebook |
    supervised | both | ''), sorted by ``city_key, enterprise_id``. With ``answer_hits`` (the
    codebook's hit table), an answer that only denies a difficulty gets no supervised call of
    it (:func:`chainpb.text.coding.denied`). Blank answers stay missing, like the codebook
    measure.
    """
    ml_cols = [f"ml_{cat}" for cat in CATEGORIES]
    p_cols = [f"p_{cat}" for cat in CATEGORIES]
    lacking = [c for c in ("city_key", "enterprise_id", *ml_cols, *p_cols) if c not in predictions]
    if lacking:
        raise ChainpbError(
            f"机器编码预测缺少列：{', '.join(lacking)}；请重新运行 supervised_predict。",
            f"The supervised predictions lack columns: {', '.join(lacking)}; re-run "
            "supervised_predict.",
        )
    ids = predictions["enterprise_id"].astype(str).tolist()
    diff_cols = [f"diff_{cat}" for cat in CATEGORIES]
    firms = codebook_firms.assign(enterprise_id=codebook_firms["enterprise_id"].astype(str))
    firms = firms.drop_duplicates("enterprise_id").set_index("enterprise_id")
    absent = [i for i in ids if i not in firms.index]
    if absent:
        raise ChainpbError(
            f"词典编码（firm_difficulty）缺少 {len(absent)} 家企业，例如 {absent[:5]}；"
            "两者须来自同一次数据导入。",
            f"The codebook firm codes (firm_difficulty) lack {len(absent)} firms, e.g. "
            f"{absent[:5]}; both must come from the same ingest run.",
        )
    codebook_codes = firms.loc[ids, diff_cols].reset_index(drop=True)
    codebook_codes.columns = list(CATEGORIES)
    probabilities = predictions[p_cols].reset_index(drop=True).astype(float)
    denials = denied(answer_hits) if answer_hits is not None else set()
    denied_codes = pd.DataFrame(
        {f"denied_{cat}": [int((i, cat) in denials) for i in ids] for cat in CATEGORIES}
    )
    hybrid = hybrid_codes(
        codebook_codes, probabilities, hybrid_min_probability, denied=denied_codes
    )

    out = pd.DataFrame(
        {"city_key": predictions["city_key"].astype(str).tolist(), "enterprise_id": ids}
    )
    for column in ml_cols:
        out[column] = pd.array(predictions[column], dtype="Int64")
    for column in p_cols:
        out[column] = probabilities[column].to_numpy(dtype=float)
    for column in hybrid.columns:
        out[column] = hybrid[column].array  # keeps Int64 codes and string sources
    return out.sort_values(["city_key", "enterprise_id"], kind="mergesort").reset_index(drop=True)


def gold_codebook_codes(
    gold: pd.DataFrame,
    codebook: Codebook,
    segmenter: Segmenter,
    context: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Codebook codes of the gold units, each coded on its own, in gold order.

    ``context`` is config ``text.context`` (``window``, ``gate.<source>``): a gold unit of a
    gated source (policy sentences, by default) passes the same Party-building gate as in the
    workflow, with the unit itself as its sentence and paragraph — stricter than inside a
    document, where the paragraph may name the Party organisation. Columns: the categories
    (difficulty 0/1) and ``theme_<cat>``.
    """
    context = dict(context or {})
    gates = dict(context.get("gate") or {})
    window = context.get("window", "paragraph")
    compiled = codebook.compile(segmenter)
    parts = []
    for source, part in gold.groupby("source", sort=True):
        codes = code_texts(
            part["text"].astype(str).tolist(),
            compiled,
            segmenter,
            context_gate=bool(gates.get(source, source == "policies")),
            context_window=window,
        )
        codes.index = part.index
        parts.append(codes.drop(columns=["text_id", "status"]))
    return pd.concat(parts).loc[gold.index]


def gold_out_of_fold(
    gold: pd.DataFrame,
    segmenter: Segmenter,
    seed: int,
    *,
    cv_folds: int = 5,
    coder: SupervisedCoder | None = None,
) -> pd.DataFrame:
    """The supervised coder's honest codes of the gold units (no codebook involved).

    Dev units out of fold, test units by ``coder`` (the workflow's :func:`supervised_coder`,
    checked to be fitted on these dev units) or by a coder fitted here; see
    :func:`chainpb.text.validation.supervised_out_of_fold`.
    """
    gold = gold.reset_index(drop=True)
    gold_tokens = [segmenter.tokens(t) for t in gold["text"].astype(str)]
    return supervised_out_of_fold(gold, gold_tokens, seed, cv_folds=cv_folds, coder=coder)


def validate_codebook(
    gold: pd.DataFrame,
    codebook: Codebook,
    segmenter: Segmenter,
    supervised: pd.DataFrame,
    *,
    context: Mapping[str, Any] | None = None,
    hybrid_min_probability: float = 0.9,
) -> ValidationResult:
    """Codebook, supervised and hybrid codes of the gold units against gold and each other.

    The codebook codes come from :func:`gold_codebook_codes` (the context gate of config
    ``text.context`` applies per source); ``supervised`` is :func:`gold_out_of_fold` (stored by
    its own job, so that a codebook edit does not refit the coder). See
    :func:`chainpb.text.validation.compare_codings`.
    """
    gold = gold.reset_index(drop=True)
    codes = gold_codebook_codes(gold, codebook, segmenter, context)
    return compare_codings(
        gold,
        codes[[*CATEGORIES, *(f"denied_{c}" for c in CATEGORIES)]],
        supervised,
        hybrid_min_probability=hybrid_min_probability,
    )


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
    having: dict[str, list[str]] = {}  # source → cities with texts of it (others: "no texts")
    for source in ("answers", "policies"):
        id_col, _ = _columns(source)
        table = tables[source]
        doc_city = dict(zip(table[id_col].astype(str), table["city_key"].astype(str), strict=True))
        having[source] = sorted(set(doc_city.values()))
        concordances.append(audit.kwic(hits[source], source_texts(table, source), doc_city, source))
        tagged_hits.append(audit.attach_city(hits[source], doc_city).assign(source=source))
        top = audit.top_words(tokens[source], hits[source], doc_city, frozenset(stopwords))
        top.insert(0, "source", source)
        tops.append(top)
    all_hits = pd.concat(tagged_hits, ignore_index=True)
    return AuditTables(
        kwic=pd.concat(concordances, ignore_index=True),
        category_city=audit.category_city_matrix(all_hits, having),
        cooccurrence=audit.cooccurrence(firms),
        top_words=pd.concat(tops, ignore_index=True),
        city_shares=measures.city_difficulty_shares(firms),
    )

"""Text collections that are not cities (config ``corpora:``): read and measure (figures and
the over-time table: :mod:`chainpb.present.corpus`).

A corpus is one table of documents — a .csv, .xlsx or .jsonl with one document per row (a scraped
collection, a database export; :func:`chainpb.ingest.documents.read_document_table`) — grouped by
any of its fields (a province or document-type column mapped to ``group``, the year, the
issuer). It runs the text stage on its own: the same segmenter, codebook and context gate as the
policy texts of a city, then

- per document: theme attention and difficulty statements (hits and per 10,000 characters);
- per group (each field of ``group_by``): the same, with the number of documents;
- over time (when the documents carry a year): per year, all documents and per ``group``;
- a KWIC concordance and figures (attention by group; over time).

Rates are pooled: the hits of all documents in a cell × 10,000 / their characters (``n_chars``
after cleaning), so a long report weighs as its length — not the mean of per-document rates.
A document's year is the first 4-digit year (1900–2099) in its ``date``, else in its title;
documents without one are left out of the over-time table (the log counts them).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from chainpb.errors import ConfigError, InputError, Location
from chainpb.ingest.documents.cleaning import CleaningRules, clean_text, cleaning_report
from chainpb.ingest.documents.dedup import DedupSettings, drop_duplicates
from chainpb.ingest.documents.table import read_document_table
from chainpb.ingest.privacy import mask_pii
from chainpb.labels import CATEGORIES
from chainpb.text.coding import attended, counted
from chainpb.text.normalize import normalize_text

log = logging.getLogger(__name__)

GROUP_FIELDS = ("group", "year", "issuer")
MEASURES = ("attention", "difficulty")
PER = 10_000  # characters
ALL_DOCUMENTS = ""  # the group value of "all documents" in the over-time table
DOCUMENT_COLUMNS = (
    "corpus_key",
    "doc_id",
    "row",
    "title",
    "issuer",
    "date",
    "year",
    "url",
    "group",
    "text",
    "n_chars",
)
_YEAR = re.compile(r"(?<!\d)(19\d{2}|20\d{2})(?!\d)")


def year_of(date: str, title: str = "") -> int | None:
    """The first year 1900–2099 in ``date``, else in ``title``; None without one."""
    for text in (date, title):
        match = _YEAR.search(text or "")
        if match:
            return int(match.group(1))
    return None


@dataclass(frozen=True)
class CorpusIngest:
    """The documents table of a corpus with its cleaning and deduplication reports."""

    table: pd.DataFrame
    cleaning: pd.DataFrame
    duplicates: pd.DataFrame


def ingest_corpus(
    path: str | os.PathLike[str],
    key: str,
    columns: Mapping[str, str],
    *,
    sheet: int | str | None = None,
    cleaning: CleaningRules | None = None,
    dedup: DedupSettings | None = None,
) -> CorpusIngest:
    """Read, normalise, clean, PII-mask and deduplicate a table of documents.

    ``doc_id`` is ``<key>-r<row>`` (the row as the user sees it: Excel's row number, the JSON
    Lines line number). The ``file`` of the reports is ``<file name>#<row>``. Rows in file order.
    """
    path = Path(path)
    cleaning = cleaning if cleaning is not None else CleaningRules()
    dedup = dedup if dedup is not None else DedupSettings(enabled=False)
    raw = read_document_table(path, columns, sheet)
    rows = []
    cleaned_docs = []
    for record in raw.to_dict("records"):
        row = int(record["row"])
        doc_id = f"{key}-r{row}"
        cleaned = clean_text(normalize_text(record["text"]), cleaning)
        label = f"{path.name}#{row}"
        cleaned_docs.append((doc_id, label, cleaned))
        text = cleaned.text
        if not text:
            raise InputError(
                Location(str(path), row=row, column=columns["text"]),
                "清理后没有文字：每一行都被 documents.cleaning 的规则去除了"
                f"（{', '.join(cleaned.lines_removed)}）；请检查规则或该行。",
                "no text is left after cleaning: every line was removed by the rules of "
                f"documents.cleaning ({', '.join(cleaned.lines_removed)}); check the rules or "
                "the row.",
            )
        text = mask_pii(text)
        title = mask_pii(normalize_text(record["title"]))
        date = normalize_text(record["date"])
        rows.append(
            {
                "corpus_key": key,
                "doc_id": doc_id,
                "row": row,
                "title": title,
                "issuer": mask_pii(normalize_text(record["issuer"])),
                "date": date,
                "year": year_of(date, title),
                "url": record["url"].strip(),
                "group": normalize_text(record["group"]),
                "text": text,
                "n_chars": len(text),
                "_label": label,
            }
        )
    kept, duplicates = drop_duplicates(rows, "_label", dedup, log)
    table = pd.DataFrame(kept, columns=[*DOCUMENT_COLUMNS, "_label"]).drop(columns="_label")
    for column in DOCUMENT_COLUMNS:
        dtype = {"row": "int64", "n_chars": "int64", "year": "Int64"}.get(column, "str")
        table[column] = table[column].astype(dtype)
    return CorpusIngest(table.reset_index(drop=True), cleaning_report(cleaned_docs), duplicates)


# ------------------------------------------------------------------------------------ measures


def _per_10k(hits: pd.Series, chars: pd.Series) -> pd.Series:
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.where(chars > 0, hits * float(PER) / chars.where(chars > 0, 1), np.nan)
    return pd.Series(values, index=hits.index, dtype="float64")


def _doc_hits(hits: pd.DataFrame) -> dict[str, pd.Series]:
    """Per measure: hits per (doc_id, category)."""
    out = {}
    for measure in MEASURES:
        part = attended(hits) if measure == "attention" else counted(hits)
        out[measure] = (
            part.assign(doc_id=part["doc_id"].astype(str)).groupby(["doc_id", "category"]).size()
        )
    return out


def document_measures(documents: pd.DataFrame, hits: pd.DataFrame) -> pd.DataFrame:
    """Per document, measure and category: ``doc_id, row, title, issuer, group, year, measure,
    category, hits, n_chars, per_10k_chars`` (every combination, 0 where no hit), in file order."""
    per = _doc_hits(hits)
    rows = []
    for doc in documents.itertuples(index=False):
        for measure in MEASURES:
            for cat in CATEGORIES:
                n = int(per[measure].get((str(doc.doc_id), cat), 0))
                rows.append(
                    (
                        doc.doc_id,
                        doc.row,
                        doc.title,
                        doc.issuer,
                        doc.group,
                        doc.year,
                        measure,
                        cat,
                        n,
                        int(doc.n_chars),
                    )
                )
    columns = [
        "doc_id",
        *("row", "title", "issuer", "group", "year"),
        *("measure", "category", "hits", "n_chars"),
    ]
    out = pd.DataFrame(rows, columns=columns)
    out["row"] = out["row"].astype("int64")
    out["year"] = out["year"].astype("Int64")
    out["per_10k_chars"] = _per_10k(out["hits"], out["n_chars"])
    return out


def _aggregate(per_doc: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Cells of ``keys`` × measure × category: documents, n_chars, hits, per_10k_chars, share."""
    grouped = per_doc.groupby([*keys, "measure", "category"], sort=False, dropna=False)
    out = grouped.agg(
        documents=("doc_id", "nunique"), n_chars=("n_chars", "sum"), hits=("hits", "sum")
    ).reset_index()
    out["per_10k_chars"] = _per_10k(out["hits"], out["n_chars"])
    # The category's share of the cell's hits of that measure (missing when it has none).
    totals = out.groupby([*keys, "measure"], sort=False, dropna=False)["hits"].transform("sum")
    out["share"] = (out["hits"] / totals.where(totals > 0)).astype("float64")
    order = {c: i for i, c in enumerate(CATEGORIES)}
    out["_cat"] = out["category"].map(order)
    out["_measure"] = out["measure"].map({m: i for i, m in enumerate(MEASURES)})
    out = out.sort_values([*keys, "_measure", "_cat"], kind="stable", na_position="last")
    return out.drop(columns=["_cat", "_measure"]).reset_index(drop=True)


def group_measures(per_doc: pd.DataFrame, group_by: Sequence[str]) -> pd.DataFrame:
    """Per grouping field of ``group_by`` (``group``, ``year``, ``issuer``), value, measure and
    category: ``group_by, value, measure, category, documents, n_chars, hits, per_10k_chars,
    share``. A document without a value (no year, a blank group cell) is in value ""."""
    parts = []
    for name in group_by:
        if name not in GROUP_FIELDS:
            raise ValueError(f"group_by must be among {GROUP_FIELDS}, got {name!r}")
        values = per_doc[name]
        if name == "year":
            values = values.astype("Int64").astype("string").fillna("")
        frame = per_doc.assign(value=values.astype(str))
        part = _aggregate(frame, ["value"])
        part.insert(0, "group_by", name)
        parts.append(part)
    columns = ["group_by", "value", "measure", "category", "documents", "n_chars", "hits"]
    if not parts:
        return pd.DataFrame(columns=[*columns, "per_10k_chars", "share"])
    return pd.concat(parts, ignore_index=True)


def time_measures(per_doc: pd.DataFrame, *, by_group: bool = False) -> pd.DataFrame:
    """Per year (documents with a year only), measure and category, all documents (``group``
    "") and, with ``by_group``, per group: ``year, group, measure, category, documents,
    n_chars, hits, per_10k_chars, share``; sorted by year, then group ("" first)."""
    dated = per_doc[per_doc["year"].notna()]
    parts = [_aggregate(dated.assign(group=ALL_DOCUMENTS), ["year", "group"])]
    if by_group:
        parts.append(_aggregate(dated.assign(group=dated["group"].astype(str)), ["year", "group"]))
    out = pd.concat(parts, ignore_index=True)
    out["year"] = out["year"].astype("int64")
    out["_measure"] = out["measure"].map({m: i for i, m in enumerate(MEASURES)})
    out["_cat"] = out["category"].map({c: i for i, c in enumerate(CATEGORIES)})
    out = out.sort_values(["year", "group", "_measure", "_cat"], kind="stable")
    return out.drop(columns=["_measure", "_cat"]).reset_index(drop=True)


def corpus_kwic(documents: pd.DataFrame, hits: pd.DataFrame) -> pd.DataFrame:
    """KWIC of every hit in the corpus (:func:`chainpb.text.audit.kwic`), with the document's
    ``group`` and ``year`` in place of the city."""
    from chainpb.text.audit import kwic

    texts = dict(zip(documents["doc_id"].astype(str), documents["text"], strict=True))
    groups = dict(zip(documents["doc_id"].astype(str), documents["group"].astype(str), strict=True))
    out = kwic(hits, texts, groups, "policies").rename(columns={"city_key": "group"})
    years = dict(zip(documents["doc_id"].astype(str), documents["year"], strict=True))
    out.insert(1, "year", out["doc_id"].map(years).astype("Int64"))
    out = out.drop(columns=["source"])
    rows = dict(zip(documents["doc_id"].astype(str), documents["row"], strict=True))
    out["_row"] = out["doc_id"].map(rows)
    out = out.sort_values(["_row", "start"], kind="stable").drop(columns="_row")
    return out.reset_index(drop=True)


def city_policies(
    documents: pd.DataFrame,
    *,
    city_key: str,
    city_name: str,
    corpus_key: str,
    where: Mapping[str, Any],
) -> pd.DataFrame:
    """The policy table of a city whose texts are the documents of a text collection that
    belong to it (``cities.<key>.policies: {corpus, where}``), in the columns of a city's own
    policies.parquet (:data:`chainpb.ingest.policies.POLICY_COLUMNS`).

    ``where`` maps a document field (group, year, issuer, title) to a value or a list of values;
    a document belongs to the city when every field matches. The documents were cleaned and
    deduplicated when the collection was read. No matching document stops the run: a misspelt
    value would otherwise give the city no policy texts without a word.
    """
    from chainpb.ingest.policies import POLICY_COLUMNS

    keep = pd.Series(True, index=documents.index)
    for column, wanted in where.items():
        values = {str(v) for v in (wanted if isinstance(wanted, list) else [wanted])}
        keep &= documents[column].astype("string").fillna("").isin(values)
    chosen = documents[keep]
    if chosen.empty:
        shown = "; ".join(f"{c} = {v}" for c, v in where.items())
        raise ConfigError(
            f"配置项 cities.{city_key}.policies.where（{shown}）在文本集 {corpus_key} 中没有匹配的文档；"
            "请核对取值（区分大小写、年份为数字）",
            f"cities.{city_key}.policies.where ({shown}) matches no document of the text "
            f"collection {corpus_key}; check the values (case-sensitive; years are numbers)",
        )
    table = pd.DataFrame(
        {
            "city_key": city_key,
            "city_name": city_name,
            "doc_id": [f"{city_key}-{d}" for d in chosen["doc_id"]],
            "file": [f"{corpus_key}#{r}" for r in chosen["row"]],
            "title": chosen["title"].fillna("").to_numpy(),
            "issuer": chosen["issuer"].fillna("").to_numpy(),
            "date": chosen["date"].fillna("").to_numpy(),
            "text": chosen["text"].to_numpy(),
            "n_chars": chosen["n_chars"].to_numpy(),
        }
    )
    for column in POLICY_COLUMNS:
        table[column] = table[column].astype("int64" if column == "n_chars" else "str")
    return table[list(POLICY_COLUMNS)].reset_index(drop=True)

"""Policy documents as researchers collect them: readers for PDF, web pages and tables of texts,
the boilerplate filter with its cleaning report, and deduplication.

- :mod:`.pdf` — the text layer of a PDF (pypdf); a scan is named as needing OCR;
- :mod:`.html` — the main text, title and date of a saved web page (trafilatura);
- :mod:`.table` — .csv/.xlsx/.jsonl with one document per row and a column map;
- :mod:`.cleaning` — configurable line rules and running headers/footers, counted per document;
- :mod:`.dedup` — exact and near-duplicate documents (character n-gram Jaccard), first kept.

The per-city policy folder (:mod:`chainpb.ingest.policies`) uses all of them.
"""

from chainpb.ingest.documents.cleaning import (
    Cleaned,
    CleaningRules,
    clean_pages,
    clean_text,
    cleaning_report,
)
from chainpb.ingest.documents.dedup import DedupSettings, find_duplicates
from chainpb.ingest.documents.html import HtmlDocument, read_html
from chainpb.ingest.documents.pdf import NeedsOcr, join_wrapped_lines, read_pdf_pages
from chainpb.ingest.documents.table import TABLE_FIELDS, read_document_table

__all__ = [
    "TABLE_FIELDS",
    "Cleaned",
    "CleaningRules",
    "DedupSettings",
    "HtmlDocument",
    "NeedsOcr",
    "clean_pages",
    "clean_text",
    "cleaning_report",
    "find_duplicates",
    "join_wrapped_lines",
    "read_document_table",
    "read_html",
    "read_pdf_pages",
]

"""Journal tables in the style of Chinese journals (三线表), written to Word, LaTeX and HTML.

This module keeps the historical import path; the code lives in

* :mod:`chainpb.present.table_model` — the :class:`Table` of text cells, number formatting,
  header spans;
* :mod:`chainpb.present.table_builders` — ``regression_table``, ``descriptive_table``,
  ``correlation_table``, ``reliability_table`` and their notes;
* :mod:`chainpb.present.writers` — the Word (:mod:`~chainpb.present.writers.docx`), LaTeX
  (:mod:`~chainpb.present.writers.latex`) and HTML (:mod:`~chainpb.present.writers.html`) writers.
"""

from __future__ import annotations

from chainpb.present.table_builders import (
    attach_hypothesis_tests,
    comparison_rows,
    correlation_table,
    descriptive_table,
    dropped_term_notes,
    hypothesis_test_notes,
    pearson_matrix,
    regression_table,
    reliability_table,
    se_note,
)
from chainpb.present.table_model import (
    STAR_LEGEND,
    Labels,
    Language,
    Table,
    format_count,
    format_number,
    header_spans,
    significance_stars,
)
from chainpb.present.writers.docx import (
    EAST_ASIA_FONT,
    FIXED_DATE,
    FONT_SIZE_PT,
    LANDSCAPE_MARGIN,
    LANDSCAPE_WIDTH_DXA,
    LATIN_FONT,
    NOTE_SIZE_PT,
    PORTRAIT_MARGIN,
    TEXT_WIDTH_DXA,
    WIDE_FONT_SIZE_PT,
    _set_run_font,
    _tight,
    add_table_to_document,
    deterministic_docx_bytes,
    docx_bytes,
    fix_core_properties,
    new_document,
    set_document_fonts,
    table_to_docx,
    write_docx,
)
from chainpb.present.writers.html import HTML_STYLE, table_to_html
from chainpb.present.writers.latex import latex_escape, table_to_latex

__all__ = [
    "EAST_ASIA_FONT",
    "FIXED_DATE",
    "FONT_SIZE_PT",
    "HTML_STYLE",
    "LANDSCAPE_MARGIN",
    "LANDSCAPE_WIDTH_DXA",
    "LATIN_FONT",
    "NOTE_SIZE_PT",
    "PORTRAIT_MARGIN",
    "STAR_LEGEND",
    "TEXT_WIDTH_DXA",
    "WIDE_FONT_SIZE_PT",
    "Labels",
    "Language",
    "Table",
    "_set_run_font",
    "_tight",
    "add_table_to_document",
    "attach_hypothesis_tests",
    "comparison_rows",
    "correlation_table",
    "descriptive_table",
    "deterministic_docx_bytes",
    "docx_bytes",
    "dropped_term_notes",
    "fix_core_properties",
    "format_count",
    "format_number",
    "header_spans",
    "hypothesis_test_notes",
    "latex_escape",
    "new_document",
    "pearson_matrix",
    "regression_table",
    "reliability_table",
    "se_note",
    "set_document_fonts",
    "significance_stars",
    "table_to_docx",
    "table_to_html",
    "table_to_latex",
    "write_docx",
]

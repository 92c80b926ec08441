"""Writers of journal tables: Word (:mod:`.docx`), LaTeX (:mod:`.latex`) and HTML (:mod:`.html`)."""

from chainpb.present.writers.docx import docx_bytes, table_to_docx
from chainpb.present.writers.html import table_to_html
from chainpb.present.writers.latex import latex_escape, table_to_latex

__all__ = ["docx_bytes", "latex_escape", "table_to_docx", "table_to_html", "table_to_latex"]

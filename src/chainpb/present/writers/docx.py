"""Word writer: a :class:`Table` as a three-line table in a .docx (python-docx).

Three-line rules: a 1.5 pt rule above the header, a 0.75 pt rule under the header, a 1.5 pt rule
under the last row, no vertical lines. Equal consecutive cells in an upper header row are merged
and get a thin rule beneath them. Dates and zip timestamps are fixed so reruns are byte-identical.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import os
import zipfile
from typing import IO, Any

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, Pt
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph

from chainpb.present.table_model import Table, header_spans

# Word: 五号 = 10.5 pt; border sizes are in eighths of a point (12 = 1.5 pt, 6 = 0.75 pt).
FONT_SIZE_PT = 10.5
NOTE_SIZE_PT = 9.0
EAST_ASIA_FONT = "宋体"
LATIN_FONT = "Times New Roman"
RULE_THICK = 12
RULE_THIN = 6
RULE_CMID = 4
# python-docx would stamp "now" into docProps/core.xml and the zip entries; a fixed date keeps
# reruns byte-identical (1980-01-01 is the earliest date a zip entry can carry).
FIXED_DATE = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def _explicit_fonts(rpr: Any) -> Any:
    """The ``w:rFonts`` of a run or style properties, created if absent, without theme fonts
    (a theme font would override the fonts named explicitly)."""
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)
    return rfonts


# Run and paragraph properties built once per (size, bold) and per alignment, then copied: the
# python-docx property setters search the children in schema order on every call, which was a
# third of summary.docx's time. A copy of the XML they produced is the same XML.
_RUN_PROPERTIES: dict[tuple[float, bool], Any] = {}
_PARAGRAPH_PROPERTIES: dict[str, Any] = {}


def _set_run_font(run: Any, size_pt: float = FONT_SIZE_PT, bold: bool = False) -> None:
    """Latin Times New Roman, East Asian 宋体, on the run itself so that no theme font wins."""
    r = run._element
    key = (float(size_pt), bool(bold))
    if r.rPr is None and key in _RUN_PROPERTIES:
        r.insert(0, copy.deepcopy(_RUN_PROPERTIES[key]))
        return
    fresh = r.rPr is None
    run.font.size = Pt(size_pt)
    run.font.bold = bold
    run.font.name = LATIN_FONT
    rfonts = _explicit_fonts(r.get_or_add_rPr())
    rfonts.set(qn("w:ascii"), LATIN_FONT)
    rfonts.set(qn("w:hAnsi"), LATIN_FONT)
    rfonts.set(qn("w:cs"), LATIN_FONT)
    rfonts.set(qn("w:eastAsia"), EAST_ASIA_FONT)
    if fresh:
        _RUN_PROPERTIES[key] = copy.deepcopy(r.rPr)


def _tight(paragraph: Paragraph, align: str = "c") -> None:
    p = paragraph._p
    if p.pPr is None and align in _PARAGRAPH_PROPERTIES:
        p.insert(0, copy.deepcopy(_PARAGRAPH_PROPERTIES[align]))
        return
    fresh = p.pPr is None
    fmt = paragraph.paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    fmt.line_spacing = 1.0
    paragraph.alignment = {
        "l": WD_ALIGN_PARAGRAPH.LEFT,
        "c": WD_ALIGN_PARAGRAPH.CENTER,
        "r": WD_ALIGN_PARAGRAPH.RIGHT,
    }[align]
    if fresh:
        _PARAGRAPH_PROPERTIES[align] = copy.deepcopy(p.pPr)


def _border(tag: str, size: int | None) -> Any:
    el = OxmlElement(tag)
    if size is None:
        el.set(qn("w:val"), "nil")
    else:
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), str(size))
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), "000000")
    return el


def _first_child(parent: Any, *tags: str) -> Any:
    """First existing child among ``tags`` (lxml elements are falsy when empty: test for None)."""
    for tag in tags:
        found = parent.find(qn(tag))
        if found is not None:
            return found
    return None


def _set_table_borders(tbl: DocxTable) -> None:
    """w:tblBorders: thick top and bottom, nothing else (no insideV, no insideH, no sides)."""
    tbl_pr = tbl._tbl.tblPr
    for old in tbl_pr.findall(qn("w:tblBorders")):
        tbl_pr.remove(old)
    borders = OxmlElement("w:tblBorders")
    for tag, size in (
        ("w:top", RULE_THICK),
        ("w:left", None),
        ("w:bottom", RULE_THICK),
        ("w:right", None),
        ("w:insideH", None),
        ("w:insideV", None),
    ):
        borders.append(_border(tag, size))
    # Schema order inside tblPr: tblStyle, ..., tblW, jc, ..., tblBorders, shd, tblLayout, ...
    anchor = _first_child(tbl_pr, "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook")
    if anchor is not None:
        anchor.addprevious(borders)
    else:
        tbl_pr.append(borders)


def _set_cell_bottom(cell: Any, size: int) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    borders = tc_pr.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        # tcBorders follows tcW/gridSpan/vMerge and precedes shd/vAlign in the schema.
        anchor = _first_child(tc_pr, "w:shd", "w:noWrap", "w:tcMar", "w:vAlign")
        if anchor is not None:
            anchor.addprevious(borders)
        else:
            tc_pr.append(borders)
    for old in borders.findall(qn("w:bottom")):
        borders.remove(old)
    borders.append(_border("w:bottom", size))


def _add_paragraph(
    doc: DocumentObject, text: str, *, size: float, bold: bool, align: str
) -> Paragraph:
    paragraph = doc.add_paragraph()
    _tight(paragraph, align)
    if text:
        _set_run_font(paragraph.add_run(text), size, bold)
    return paragraph


def set_document_fonts(doc: DocumentObject) -> None:
    """Normal style: Times New Roman / 宋体, 10.5 pt, so text typed later in Word matches."""
    style = doc.styles["Normal"]
    style.font.name = LATIN_FONT
    style.font.size = Pt(FONT_SIZE_PT)
    _explicit_fonts(style.element.get_or_add_rPr()).set(qn("w:eastAsia"), EAST_ASIA_FONT)


def _set_orientation(doc: DocumentObject, landscape: bool, *, new_page: bool) -> None:
    """Switch to a landscape or portrait section (a new one unless the document is empty)."""
    current = doc.sections[-1]
    section = doc.add_section(WD_SECTION.NEW_PAGE) if new_page else current
    long_side = max(current.page_width, current.page_height)
    short_side = min(current.page_width, current.page_height)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width = long_side if landscape else short_side
    section.page_height = short_side if landscape else long_side
    # A new section copies the previous one's margins: set them both ways.
    margin = LANDSCAPE_MARGIN if landscape else PORTRAIT_MARGIN
    section.left_margin = section.right_margin = margin


def add_table_to_document(
    doc: DocumentObject,
    table: Table,
    *,
    caption: str | None = None,
    restore_portrait: bool = True,
) -> DocxTable:
    """Append title (or ``caption``), the three-line table and its notes to a Word document.

    A table too wide for a portrait page (a correlation matrix of many variables) gets a
    landscape section of its own, so that its cells do not wrap digit by digit; with
    ``restore_portrait`` the following content returns to portrait pages.
    """
    wide = _needed_width_dxa(table) > TEXT_WIDTH_DXA
    if wide:
        empty = not doc.element.body.findall(qn("w:p")) and not doc.tables
        _set_orientation(doc, landscape=True, new_page=not empty)
    _add_paragraph(
        doc,
        caption if caption is not None else table.title,
        size=FONT_SIZE_PT,
        bold=True,
        align="c",
    )
    n_header = len(table.header)
    rows = (*table.header, *table.body)
    tbl = doc.add_table(rows=len(rows), cols=table.n_cols)
    tbl.alignment = WD_TABLE_ALIGNMENT.CENTER
    tbl.autofit = True
    _set_table_borders(tbl)
    align = table.alignment()
    for i, row in enumerate(rows):
        is_header = i < n_header
        spans = header_spans(row, merge=is_header and i < n_header - 1)
        # The row's cells once (grid positions, a spanned cell repeated): Table.cell() walks
        # the whole table on every call, quadratic in its size (most of summary.docx's time).
        cells = tbl.rows[i].cells
        for text, start, span in spans:
            cell = cells[start]
            if span > 1:
                cell = cell.merge(cells[start + span - 1])
                cells = tbl.rows[i].cells  # the merged cell now fills those positions
            paragraph = cell.paragraphs[0]
            _tight(paragraph, "c" if is_header and start > 0 else align[start])
            if text:
                _set_run_font(paragraph.add_run(text), WIDE_FONT_SIZE_PT if wide else FONT_SIZE_PT)
            if is_header and i == n_header - 1:
                # The rule under the header runs the full width: set it on every cell.
                for j in range(start, start + span):
                    _set_cell_bottom(cells[j], RULE_THIN)
            elif is_header and span > 1 and text:
                _set_cell_bottom(cell, RULE_CMID)
    _set_column_widths(tbl, table, LANDSCAPE_WIDTH_DXA if wide else TEXT_WIDTH_DXA)
    for note in table.notes:
        _add_paragraph(doc, note, size=NOTE_SIZE_PT, bold=False, align="l")
    if wide and restore_portrait:
        _set_orientation(doc, landscape=False, new_page=True)
    return tbl


TEXT_WIDTH_DXA = 9360  # Letter page with 1" margins (python-docx's template); fits A4 too
PORTRAIT_MARGIN = Emu(914400)  # python-docx's template: 1" side margins
LANDSCAPE_MARGIN = Emu(int(0.6 * 914400))  # 0.6" side margins on landscape pages
LANDSCAPE_WIDTH_DXA = 14112  # the same page turned: 11" less two 0.6" margins
WIDE_FONT_SIZE_PT = 9.0  # 小五号, the usual size of large matrices in Chinese journals


def _text_width_dxa(text: str) -> int:
    """Rough printed width at 10.5 pt: a CJK character is one em, Latin about half of one."""
    return sum(210 if ord(ch) > 0x2E80 else 110 for ch in text)


def _column_widths_dxa(table: Table) -> list[int]:
    widths = [
        max((_text_width_dxa(r[j]) for r in table.body), default=0) for j in range(table.n_cols)
    ]
    for i, row in enumerate(table.header):
        for text, start, span in header_spans(row, merge=i < len(table.header) - 1):
            if span == 1:
                widths[start] = max(widths[start], _text_width_dxa(text))
    return [w + 240 for w in widths]


def _needed_width_dxa(table: Table) -> int:
    return sum(_column_widths_dxa(table))


def _set_column_widths(tbl: DocxTable, table: Table, limit: int = TEXT_WIDTH_DXA) -> None:
    """Widths from the longest cell per column, so that 行业（产业链）固定效应 does not wrap.

    Word honours autofit, but WPS lays out by the stored cell widths; spanning header cells
    are left out of the estimate because they share their columns.
    """
    widths = _column_widths_dxa(table)
    total = sum(widths)
    if total > limit:
        widths = [w * limit // total for w in widths]
    grid = tbl._tbl.tblGrid
    for col, w in zip(grid.findall(qn("w:gridCol")), widths, strict=True):
        col.set(qn("w:w"), str(w))
    for row in tbl.rows:
        # Merged cells repeat in row.cells; their width is the sum of the spanned columns.
        for tc in row._tr.tc_lst:
            start = tc.grid_offset
            span = tc.grid_span
            tc.width = Emu(sum(widths[start : start + span]) * 635)


def new_document() -> DocumentObject:
    """A python-docx document with chainpb's fonts and fixed core properties."""
    doc = Document()
    set_document_fonts(doc)
    fix_core_properties(doc)
    return doc


def fix_core_properties(doc: DocumentObject, title: str = "") -> None:
    """Fixed created/modified/printed dates, revision 1 and author, for byte-identical reruns."""
    cp = doc.core_properties
    cp.created = FIXED_DATE
    cp.modified = FIXED_DATE
    cp.last_printed = FIXED_DATE
    cp.revision = 1
    cp.author = "chainpb"
    cp.last_modified_by = "chainpb"
    cp.title = title


def deterministic_docx_bytes(doc: DocumentObject) -> bytes:
    """Save ``doc`` and rewrite the zip with fixed entry timestamps and permissions.

    python-docx writes each zip entry with the current local time; the document XML itself is
    already deterministic once the core properties are fixed.
    """
    raw = io.BytesIO()
    doc.save(raw)
    raw.seek(0)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            fixed.create_system = 0
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def write_docx(doc: DocumentObject, path_or_buffer: str | os.PathLike[str] | IO[bytes]) -> None:
    """Write deterministic docx bytes to a path (atomically) or a binary buffer."""
    data = deterministic_docx_bytes(doc)
    if hasattr(path_or_buffer, "write"):
        path_or_buffer.write(data)  # type: ignore[union-attr]
    else:
        from chainpb.atomic import write_bytes

        write_bytes(path_or_buffer, data)  # type: ignore[arg-type]


def docx_bytes(table: Table) -> bytes:
    """One table as a Word document (title above, notes below), deterministic bytes."""
    doc = new_document()
    fix_core_properties(doc, table.title)
    add_table_to_document(doc, table, restore_portrait=False)
    return deterministic_docx_bytes(doc)


def table_to_docx(table: Table, path_or_buffer: str | os.PathLike[str] | IO[bytes]) -> None:
    """Write one table to a .docx file or buffer."""
    doc = new_document()
    fix_core_properties(doc, table.title)
    add_table_to_document(doc, table, restore_portrait=False)
    write_docx(doc, path_or_buffer)

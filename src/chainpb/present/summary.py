"""The Word summary report (调研分析报告): title page, then tables and figures in order.

Researchers edit this report in Word or WPS before it goes to their unit, so it is plain
python-docx content: real paragraphs, real three-line tables (see ``tables``), PNG figures with
captions. Tables are numbered 表1, 表2 … (caption above), figures 图1, 图2 … (caption below),
in the order the sections list them. Bytes are deterministic: fixed core properties and zip
timestamps, no clock anywhere — the date on the title page is passed in by the caller.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from chainpb.errors import ChainpbError
from chainpb.present.tables import (
    EAST_ASIA_FONT,
    FONT_SIZE_PT,
    Table,
    _set_run_font,
    _tight,
    add_table_to_document,
    fix_core_properties,
    new_document,
    write_docx,
)

Language = Literal["zh", "en"]

HEADING_EAST_ASIA_FONT = "黑体"


@dataclass(frozen=True)
class FigureItem:
    """A figure already saved as PNG (by ``chainpb.atomic.save_figure``) and its caption."""

    path: Path | str
    caption: str
    width_cm: float = 15.0
    note: str | None = None  # e.g. the data source, printed under the caption


@dataclass(frozen=True)
class Section:
    """A heading followed by paragraphs (str), tables and figures, in this order."""

    heading: str
    items: Sequence[str | Table | FigureItem] = field(default_factory=tuple)


@dataclass(frozen=True)
class ReportMeta:
    """What the title page says. ``date_text`` is given by the caller (never read from a clock)."""

    title: str = "产业链党建调研分析报告"
    subtitle: str | None = None
    organisation: str | None = None
    date_text: str | None = None
    simulated: bool = False


SIMULATED_NOTICE = {
    "zh": "重要提示：本报告使用的是模拟数据（流水线自带的示例数据），仅用于演示分析流程，"
    "不反映任何真实企业、城市或产业链的情况，不得引用为研究结论。",
    "en": "Important: this report uses SIMULATED data (the pipeline's bundled example). It only "
    "demonstrates the analysis and says nothing about any real firm, city or chain.",
}


def _heading(doc, text: str, level: int) -> None:
    paragraph = doc.add_heading(level=level)
    paragraph.paragraph_format.space_before = Pt(12)
    paragraph.paragraph_format.space_after = Pt(6)
    run = paragraph.add_run(text)
    _set_run_font(run, size_pt={0: 22, 1: 15, 2: 12}.get(level, 12), bold=True)
    # Headings in 黑体 as Chinese reports do; the run-level font beats the template theme fonts.
    run._element.rPr.find(qn("w:rFonts")).set(qn("w:eastAsia"), HEADING_EAST_ASIA_FONT)
    # The template's heading colour is theme blue; journals and 党校 reports print black.
    run.font.color.rgb = RGBColor(0, 0, 0)


def _paragraph(doc, text: str, *, size: float = FONT_SIZE_PT, align: str = "l", bold: bool = False):
    paragraph = doc.add_paragraph()
    _tight(paragraph, align)
    paragraph.paragraph_format.space_after = Pt(4)
    paragraph.paragraph_format.line_spacing = 1.25
    if align == "l":
        # First-line indent of two characters, as Chinese body text expects.
        paragraph.paragraph_format.first_line_indent = Pt(size * 2)
    _set_run_font(paragraph.add_run(text), size, bold)
    return paragraph


def _title_page(doc, meta: ReportMeta, language: Language) -> None:
    for _ in range(6):
        doc.add_paragraph()
    title = doc.add_paragraph()
    _tight(title, "c")
    run = title.add_run(meta.title)
    _set_run_font(run, 24, bold=True)
    run._element.rPr.find(qn("w:rFonts")).set(qn("w:eastAsia"), HEADING_EAST_ASIA_FONT)
    for line in (meta.subtitle, meta.organisation, meta.date_text):
        if line:
            p = doc.add_paragraph()
            _tight(p, "c")
            p.paragraph_format.space_before = Pt(12)
            _set_run_font(p.add_run(line), 14)
    if meta.simulated:
        p = doc.add_paragraph()
        _tight(p, "c")
        p.paragraph_format.space_before = Pt(36)
        _set_run_font(p.add_run(SIMULATED_NOTICE[language]), 12, bold=True)
        # A box around the notice so nobody overlooks it when skimming the printout.
        p_pr = p._p.get_or_add_pPr()
        borders = OxmlElement("w:pBdr")
        for side in ("top", "left", "bottom", "right"):
            el = OxmlElement(f"w:{side}")
            el.set(qn("w:val"), "single")
            el.set(qn("w:sz"), "8")
            el.set(qn("w:space"), "4")
            el.set(qn("w:color"), "000000")
            borders.append(el)
        p_pr.append(borders)
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _figure(doc, item: FigureItem, number: int, language: Language) -> None:
    path = Path(item.path)
    if not path.is_file():
        raise ChainpbError(
            f"报告所需的图片文件不存在：{path}（图{number}：{item.caption}）。请先运行绘图步骤。",
            f"Figure file for the report not found: {path} (Figure {number}: {item.caption}); "
            "run the figure step first.",
        )
    paragraph = doc.add_paragraph()
    _tight(paragraph, "c")
    paragraph.paragraph_format.space_before = Pt(6)
    with path.open("rb") as handle:
        paragraph.add_run().add_picture(handle, width=Cm(item.width_cm))
    caption = doc.add_paragraph()
    _tight(caption, "c")
    caption.paragraph_format.space_after = Pt(8)
    prefix = f"图{number}　" if language == "zh" else f"Figure {number}. "
    _set_run_font(caption.add_run(prefix + item.caption), FONT_SIZE_PT, bold=True)
    if item.note:
        note = doc.add_paragraph()
        _tight(note, "c")
        _set_run_font(note.add_run(item.note), 9)


def build_summary_docx(
    sections: Sequence[Section],
    path_or_buffer: str | os.PathLike[str] | IO[bytes],
    *,
    meta: ReportMeta | None = None,
    language: Language = "zh",
) -> None:
    """Write the summary report: title page, then each section with its numbered tables/figures.

    ``sections`` usually are 数据与样本 (descriptives), 量表信度与效度 (reliability), 基准回归
    (baseline regressions), 机制检验 (mechanism), 文本分析 (figures). Table captions are
    "表n　<table.title>" above the table; figure captions "图n　<caption>" below the picture.
    """
    meta = meta or ReportMeta()
    doc = new_document()
    fix_core_properties(doc, meta.title)
    doc.styles["Normal"].element.get_or_add_rPr().find(qn("w:rFonts")).set(
        qn("w:eastAsia"), EAST_ASIA_FONT
    )
    _title_page(doc, meta, language)
    n_table = 0
    n_figure = 0
    for section in sections:
        _heading(doc, section.heading, 1)
        for item in section.items:
            if isinstance(item, Table):
                n_table += 1
                prefix = f"表{n_table}　" if language == "zh" else f"Table {n_table}. "
                add_table_to_document(doc, item, caption=prefix + item.title)
                doc.add_paragraph()
            elif isinstance(item, FigureItem):
                n_figure += 1
                _figure(doc, item, n_figure, language)
            elif isinstance(item, str):
                _paragraph(doc, item)
            else:
                raise ChainpbError(
                    f"报告章节「{section.heading}」中有无法识别的内容：{type(item).__name__}。",
                    f"Section '{section.heading}' holds an item of unknown type {type(item).__name__}.",
                )
    write_docx(doc, path_or_buffer)

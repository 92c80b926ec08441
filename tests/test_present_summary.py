"""The Word summary report: title page, numbered captions in order, determinism."""

from __future__ import annotations

import io
import re
import zipfile

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

from chainpb.atomic import save_figure
from chainpb.errors import ChainpbError
from chainpb.present.fonts import setup_cjk_font
from chainpb.present.summary import FigureItem, ReportMeta, Section, build_summary_docx
from chainpb.present.tables import Table


def _table(title: str) -> Table:
    return Table(title=title, header=(("变量", "均值"),), body=(("研发强度(%)", "3.200"),))


@pytest.fixture
def figure_png(tmp_path):
    setup_cjk_font()
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1], [0, 1])
    ax.set_title("组织覆盖难")
    path = tmp_path / "fig.png"
    save_figure(fig, [path], dpi=50)
    plt.close(fig)
    return path


def _sections(figure_png) -> list[Section]:
    return [
        Section("一、样本与描述统计", ["本报告基于三市企业问卷。", _table("描述性统计")]),
        Section("二、信度与回归", [_table("量表信度与效度检验"), _table("基准回归")]),
        Section("三、文本分析", [FigureItem(figure_png, "各城市企业报告四类困难的比例")]),
    ]


def _text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read("word/document.xml").decode("utf-8")
    return "".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", xml))


def test_summary_order_captions_and_simulated_notice(figure_png) -> None:
    buf = io.BytesIO()
    meta = ReportMeta(subtitle="宿迁市 · 苏州市 · 无锡市", date_text="2025年11月", simulated=True)
    build_summary_docx(_sections(figure_png), buf, meta=meta)
    text = _text(buf.getvalue())
    order = [
        "产业链党建调研分析报告",
        "模拟数据",
        "一、样本与描述统计",
        "表1　描述性统计",
        "表2　量表信度与效度检验",
        "表3　基准回归",
        "图1　各城市企业报告四类困难的比例",
    ]
    positions = [text.index(s) for s in order]
    assert positions == sorted(positions)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        assert any(n.startswith("word/media/") and n.endswith(".png") for n in z.namelist())


def test_real_data_report_has_no_simulated_notice(figure_png) -> None:
    buf = io.BytesIO()
    build_summary_docx(_sections(figure_png), buf, meta=ReportMeta(simulated=False))
    assert "模拟数据" not in _text(buf.getvalue())


def test_summary_bytes_identical(figure_png, tmp_path) -> None:
    meta = ReportMeta(date_text="2025年11月", simulated=True)
    a = tmp_path / "a.docx"
    b = tmp_path / "b.docx"
    build_summary_docx(_sections(figure_png), a, meta=meta)
    build_summary_docx(_sections(figure_png), b, meta=meta)
    assert a.read_bytes() == b.read_bytes()


def test_missing_figure_is_reported(tmp_path) -> None:
    sections = [Section("图", [FigureItem(tmp_path / "nope.png", "不存在的图")])]
    with pytest.raises(ChainpbError, match=r"nope\.png"):
        build_summary_docx(sections, io.BytesIO())

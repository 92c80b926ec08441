"""Policy documents as researchers collect them (issue 12): PDF, web pages, tables of texts,
the boilerplate filter with its cleaning report, and deduplication (chainpb.ingest.documents).

Real inputs: the PDFs, the web page and the CSV/JSON Lines corpora are written here from the
2025 State Council government work report and its neighbours in ../shared/corpora (read-only;
set CHAINPB_CORPORA elsewhere); the PDFs with fpdf2 (test-only dependency) and the SimHei
TrueType font that mplfonts ships. The tests on them are skipped when the corpora are absent;
the cleaning and deduplication tests on hand-written texts always run. Every expected count was
made by hand and is written beside its assertion.
"""

from __future__ import annotations

import importlib.resources
import json
import os
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from chainpb.config import validate_against_schema
from chainpb.errors import ConfigError, InputError
from chainpb.ingest.documents import (
    CleaningRules,
    DedupSettings,
    NeedsOcr,
    clean_pages,
    clean_text,
    cleaning_report,
    find_duplicates,
    join_wrapped_lines,
    read_document_table,
    read_html,
    read_pdf_pages,
)
from chainpb.ingest.policies import ingest_policy_folder
from chainpb.text.normalize import normalize_text

ROOT = Path(__file__).resolve().parents[1]
CORPORA = Path(os.environ.get("CHAINPB_CORPORA", ROOT.parent / "shared" / "corpora"))
REPORTS = CORPORA / "government_work_reports.jsonl"
needs_corpora = pytest.mark.skipif(
    not REPORTS.is_file(),
    reason=f"shared corpora not found at {CORPORA} (expected beside the project as "
    "../shared/corpora, or set CHAINPB_CORPORA)",
)
RUNNING_HEADER = "2025年国务院政府工作报告"  # 14 characters


# ------------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def documents_config() -> dict[str, Any]:
    """The ``documents`` section as the schema fills it in for a config that does not set it."""
    schema = yaml.safe_load((ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text())
    config: dict[str, Any] = {"cities": {"x": {"name": "某市", "policies": "p"}}}
    validate_against_schema(config, schema, what="test")
    return config["documents"]


@pytest.fixture(scope="module")
def rules(documents_config: dict[str, Any]) -> CleaningRules:
    return CleaningRules.from_config(documents_config["cleaning"])


def report_records(n: int) -> list[dict[str, Any]]:
    with REPORTS.open(encoding="utf-8") as handle:
        return [json.loads(next(handle)) for _ in range(n)]


def paragraphs(text: str) -> list[str]:
    """The normalised non-blank paragraphs of a text."""
    return [p for p in normalize_text(text).split("\n") if p.strip()]


def simhei() -> Path:
    return Path(str(importlib.resources.files("mplfonts").joinpath("fonts", "SimHei.ttf")))


def write_text_pdf(path: Path, body: list[str], header: str = RUNNING_HEADER) -> None:
    """An A5 PDF with a text layer: a running header, the paragraphs, "- n -" page numbers."""
    from fpdf import FPDF

    class Pdf(FPDF):
        def header(self) -> None:
            self.set_font("simhei", size=9)
            self.cell(0, 6, header, align="C", new_x="LMARGIN", new_y="NEXT")
            self.set_font("simhei", size=14)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("simhei", size=9)
            self.cell(0, 6, f"- {self.page_no()} -", align="C")

    pdf = Pdf(format=(148, 210))
    pdf.add_font("simhei", fname=str(simhei()))
    pdf.set_font("simhei", size=14)
    pdf.add_page()
    for paragraph in body:
        pdf.multi_cell(0, 7, paragraph, wrapmode="CHAR", new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


def write_scan_pdf(path: Path, lines: list[str]) -> None:
    """A PDF whose pages are only images of text (as a scanner makes): no text layer."""
    from fpdf import FPDF
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(simhei()), 28)
    image = Image.new("L", (900, 60 + 44 * len(lines)), color=255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((30, 30 + 44 * i), line, font=font, fill=0)
    pdf = FPDF(format=(148, 210))
    for _ in range(2):
        pdf.add_page()
        pdf.image(image, x=10, y=10, w=128)
    pdf.output(str(path))


def write_manifest(folder: Path, rows: list[tuple[str, str, str, str]]) -> None:
    text = "file,title,issuer,date\n" + "".join(",".join(r) + "\n" for r in rows)
    (folder / "manifest.csv").write_text(text, encoding="utf-8")


# ------------------------------------------------------------------------------------ PDF


@pytest.fixture(scope="module")
def report_pdf(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The first 7 paragraphs of the 2025 report (1,422 characters) as a 3-page PDF."""
    if not REPORTS.is_file():
        pytest.skip("shared corpora absent")
    body = paragraphs(report_records(1)[0]["content"])[:7]
    path = tmp_path_factory.mktemp("pdf") / "report.pdf"
    write_text_pdf(path, body)
    return path, body


@needs_corpora
def test_pdf_text_layer_matches_the_source(report_pdf, rules: CleaningRules) -> None:
    path, body = report_pdf
    pages = read_pdf_pages(path)
    assert len(pages) == 3
    # Each page starts with the running header and ends with its page number.
    for number, page in enumerate(pages, start=1):
        lines = [line.strip() for line in page.split("\n") if line.strip()]
        assert lines[0] == RUNNING_HEADER and lines[-1] == f"- {number} -"
    cleaned = clean_pages([normalize_text(p) for p in pages], rules)
    # By hand: 3 page numbers "- 1 -" … "- 3 -" of 5 characters; 3 running headers of 14.
    assert cleaned.lines_removed == {"page_number": 3, "running_header_footer": 3}
    assert cleaned.chars_removed == {"page_number": 15, "running_header_footer": 42}
    joined = join_wrapped_lines(cleaned.lines)
    # Not a character lost or added: the text equals the source without its line breaks ...
    assert "".join(joined) == "".join(body)
    # ... and every paragraph of the source starts a line. A wrapped line that happens to end
    # with 。 at the right margin also ends one (harmless: a sentence ends there anyway).
    starts = {0}
    for paragraph in body[:-1]:
        starts.add(max(starts) + len(paragraph))
    ends = set()
    position = 0
    for line in joined:
        ends.add(position)
        position += len(line)
    assert {s for s in starts if s < len("".join(body))} <= ends
    extra = sorted(ends - starts)
    assert all("".join(body)[e - 1] in "。！？" for e in extra)


def test_join_wrapped_lines() -> None:
    lines = [
        "各位代表：",  # short: a heading
        "过去一年，我国发展历程很不平凡。党的二十届三中全会胜利",
        "召开，对进一步全面深化改革作出部署。我们隆重庆祝中华人民",
        "共和国成立75周年，国内生产总值达到134.9万亿元、增长",
        "5%，亩产提升10.",
        "1斤。",
        "（一）加强组织覆盖；",  # short: a list item
        "the Party branch of the industrial chain alliance meets",
        "every month.",
    ]
    assert join_wrapped_lines(lines) == [
        "各位代表：",
        "过去一年，我国发展历程很不平凡。党的二十届三中全会胜利召开，对进一步全面深化改革作出部署。"
        "我们隆重庆祝中华人民共和国成立75周年，国内生产总值达到134.9万亿元、增长5%，亩产提升10.",
        "1斤。",
        "（一）加强组织覆盖；",
        "the Party branch of the industrial chain alliance meets every month.",
    ]


@needs_corpora
def test_pdf_without_text_layer_needs_ocr(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    write_scan_pdf(path, paragraphs(report_records(1)[0]["content"])[:3])
    with pytest.raises(NeedsOcr) as info:
        read_pdf_pages(path)
    message = str(info.value)
    assert "scan.pdf" in message and "需要先做 OCR" in message and "need" not in message[:10]
    assert "none of the PDF's 2 page(s) has a text layer" in message
    # In a policy folder every scan is named at once, with the other documents read first.
    folder = tmp_path / "policies"
    folder.mkdir()
    (tmp_path / "scan.pdf").rename(folder / "a_scan.pdf")
    write_scan_pdf(folder / "c_scan.pdf", ["第二份扫描件"])
    (folder / "b_text.txt").write_text("关于加强产业链党建的通知。\n", encoding="utf-8")
    write_manifest(
        folder,
        [
            ("a_scan.pdf", "扫描件", "某部门", "2024-01-01"),
            ("b_text.txt", "通知", "某部门", "2024-01-02"),
            ("c_scan.pdf", "扫描件二", "某部门", "2024-01-03"),
        ],
    )
    with pytest.raises(InputError) as info:
        ingest_policy_folder(folder, "x", "某市")
    message = str(info.value)
    assert "以下 PDF 没有文字层" in message and "a_scan.pdf（2 页）、c_scan.pdf（2 页）" in message
    assert "need OCR first: a_scan.pdf (2 page(s)), c_scan.pdf (2 page(s))" in message


def test_damaged_pdf_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\nnot really a pdf")
    with pytest.raises(InputError) as info:
        read_pdf_pages(path)
    message = str(info.value)
    assert "broken.pdf" in message and "无法读取 PDF（文件损坏或不是 PDF）" in message
    assert "cannot read the PDF (damaged or not a PDF)" in message


# ------------------------------------------------------------------------------- web page


def page_html(body: list[str], charset: str = "utf-8") -> str:
    """A government-site page: navigation, breadcrumb, tool and credit lines, share bar, footer."""
    paragraphs_html = "\n".join(f"<p>{p}</p>" for p in body)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="{charset}">
<title>2025年政府工作报告（摘要）_某市人民政府</title>
<meta name="PubDate" content="2025-03-05 09:00">
</head><body>
<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/xxgk">信息公开</a></li>
<li><a href="/zwdt">政务动态</a></li><li><a href="/hdjl">互动交流</a></li></ul></div>
<div class="crumb">当前位置：首页 &gt; 信息公开 &gt; 政府工作报告</div>
<div class="article">
<h1>2025年政府工作报告（摘要）</h1>
<div class="content">
<p>【字号 大 中 小】 【打印】</p>
{paragraphs_html}
<p>责任编辑：张伟</p>
<p>分享到：微信 微博 QQ空间</p>
</div>
</div>
<div class="footer"><p>版权所有：某市人民政府办公室</p>
<p>网站标识码：3213000001 苏ICP备05000000号</p>
<p><a href="#">网站地图</a> | <a href="#">联系我们</a></p></div>
</body></html>
"""


@needs_corpora
@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_html_main_text_title_and_date(tmp_path: Path, encoding: str, rules) -> None:
    body = paragraphs(report_records(1)[0]["content"])[3:5]
    path = tmp_path / "page.html"
    path.write_bytes(page_html(body, charset=encoding).encode(encoding))
    page = read_html(path)
    assert page.title == "2025年政府工作报告（摘要）"  # without the site name after "_"
    assert page.date == "2025-03-05"
    # Navigation, breadcrumb and footer are not in the main text; the lines inside the article
    # are, and the line rules remove them.
    cleaned = clean_text(normalize_text(page.text), rules)
    assert cleaned.lines == body
    assert cleaned.lines_removed == {"font_size": 1, "page_tools": 1, "credits": 1}
    # By hand, on the normalised lines (blanks between two CJK characters or brackets are
    # dropped): "【字号大中小】【打印】" 11, "分享到：微信微博 QQ空间" 13, "责任编辑：张伟" 7.
    assert cleaned.chars_removed == {"font_size": 11, "page_tools": 13, "credits": 7}
    report = cleaning_report([("x-page", "page.html", cleaned)])
    assert report["rule"].tolist() == ["font_size", "page_tools", "credits", "total"]
    assert report["lines_removed"].tolist() == [1, 1, 1, 3]
    assert report["chars_removed"].tolist() == [11, 13, 7, 31]
    # A published byline is kept as printed (mask_pii masks names only after contact cues).
    assert report.set_index("rule").loc["credits", "first_removed"] == "责任编辑：张伟"


def test_report_masks_contacts(rules: CleaningRules) -> None:
    cleaned = clean_text("正文。\n来源：市委组织部 电话 0527-84361234", rules)
    report = cleaning_report([("x-a", "a.txt", cleaned)])
    # The removed line is in the report for checking; a phone number in it is masked there.
    assert report["first_removed"].tolist() == ["来源：市委组织部 电话 [电话]", ""]
    assert report["chars_removed"].tolist() == [len("来源：市委组织部 电话 0527-84361234")] * 2


def test_html_without_main_text(tmp_path: Path) -> None:
    path = tmp_path / "empty.htm"
    path.write_text("<html><head><title>空</title></head><body><script>x=1</script></body></html>")
    with pytest.raises(InputError, match=r"empty\.htm.*找不到正文"):
        read_html(path)


# ------------------------------------------------------------------------ tabular corpora

COLUMNS = {"text": "全文", "title": "标题", "date": "年份", "url": "链接"}


def corpus_frame(n: int = 3) -> pd.DataFrame:
    """Three reports (2025, a 2025 resolution, 2024) as a researcher's table, one per row."""
    records = report_records(n)
    return pd.DataFrame(
        {
            "标题": [r["title"] for r in records],
            "年份": [r["year"] for r in records],  # null in the resolution's record
            "链接": [r["url"] for r in records],
            "全文": [r["content"] for r in records],
        }
    )


@needs_corpora
@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_csv_corpus_one_document_per_row(tmp_path: Path, encoding: str) -> None:
    frame = corpus_frame()
    path = tmp_path / "reports.csv"
    frame.to_csv(path, index=False, encoding=encoding)
    table = read_document_table(path, COLUMNS)
    records = report_records(3)
    # The texts come back exactly (line breaks inside quoted cells included), over the csv
    # module's default 128 KiB field limit or not.
    assert table["text"].tolist() == [r["content"] for r in records]
    assert table["title"].tolist() == [r["title"] for r in records]
    assert table["date"].tolist() == ["2025", "", "2024"]
    assert table["url"].tolist() == [r["url"] for r in records]
    assert table["issuer"].tolist() == ["", "", ""] and table["group"].tolist() == ["", "", ""]
    # Row numbers as Excel shows them: header = 1, one per record however many lines it spans.
    assert table["row"].tolist() == [2, 3, 4]


@needs_corpora
@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_jsonl_corpus_one_document_per_row(tmp_path: Path, encoding: str) -> None:
    lines = REPORTS.read_text(encoding="utf-8").split("\n")[:3]
    path = tmp_path / "reports.jsonl"
    # A blank line between records, and records written with non-ASCII kept (as exports do).
    text = "\n".join(
        [lines[0], "", *(json.dumps(json.loads(x), ensure_ascii=False) for x in lines[1:])]
    )
    path.write_bytes(text.encode(encoding))
    table = read_document_table(
        path, {"text": "content", "title": "title", "date": "year", "url": "url"}
    )
    records = report_records(3)
    assert table["text"].tolist() == [r["content"] for r in records]
    assert table["date"].tolist() == ["2025", "", "2024"]  # null → ""
    assert table["row"].tolist() == [1, 3, 4]  # line numbers


@needs_corpora
def test_xlsx_corpus(tmp_path: Path) -> None:
    frame = corpus_frame(2)
    path = tmp_path / "reports.xlsx"
    frame.to_excel(path, index=False, sheet_name="报告")
    table = read_document_table(path, COLUMNS, sheet="报告")
    assert table["text"].tolist() == [r["content"] for r in report_records(2)]
    assert table["row"].tolist() == [2, 3]


def test_table_rows_without_text_are_logged(tmp_path: Path, caplog) -> None:
    path = tmp_path / "t.csv"
    path.write_text("标题,全文\n甲,第一份\n乙,\n丙,第三份\n", encoding="utf-8")
    with caplog.at_level("WARNING", logger="chainpb.ingest.documents"):
        table = read_document_table(path, {"text": "全文", "title": "标题"})
    assert table["title"].tolist() == ["甲", "丙"] and table["row"].tolist() == [2, 4]
    assert "rows without text, not read" in caplog.text and "行 rows 3" in caplog.text


def test_table_missing_column_names_it(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("标题,正文\n甲,第一份\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_document_table(path, {"text": "全文", "title": "标题"})
    message = str(info.value)
    assert "t.csv" in message and "缺少列 全文" in message and "it has: 标题, 正文" in message
    with pytest.raises(InputError, match="may only name"):
        read_document_table(path, {"text": "正文", "province": "标题"})


# ------------------------------------------------------------------------------- cleaning

WECHAT_COPY = """点击上方蓝字关注我们
当前位置：首页 > 党建工作 > 产业链党建
关于推进产业链党建工作的通知
发布时间：2024-03-01　来源：市委组织部
【字号 大 中 小】
各产业链党建联盟：
为深入推进产业链党建工作，现就有关事项通知如下。
一、应建尽建，扩大组织覆盖。各地要打印并下载有关材料，分享经验做法。
编辑部要加强政治把关。
责任编辑：王芳
摄影：李强
打印本页 | 关闭窗口
阅读原文
版权所有：某市委组织部 苏ICP备12345678号
"""


def test_cleaning_report_counts_by_hand(rules: CleaningRules) -> None:
    cleaned = clean_text(normalize_text(WECHAT_COPY), rules)
    # Kept: the title, the salutation, the three sentences of substance — also those that
    # mention 打印/下载/分享/编辑 inside a sentence.
    assert cleaned.lines == [
        "关于推进产业链党建工作的通知",
        "各产业链党建联盟：",
        "为深入推进产业链党建工作，现就有关事项通知如下。",
        "一、应建尽建，扩大组织覆盖。各地要打印并下载有关材料，分享经验做法。",
        "编辑部要加强政治把关。",
    ]
    report = cleaning_report([("x-wechat", "wechat.txt", cleaned)])
    # By hand, on the normalised lines (the full-width space became a space; blanks between two
    # CJK characters or brackets are dropped, so "【字号 大 中 小】" is "【字号大中小】"):
    #   navigation  "当前位置：首页 > 党建工作 > 产业链党建"                      1 line, 22 chars
    #   font_size   "【字号大中小】"                                              1 line,  7 chars
    #   page_tools  "打印本页 | 关闭窗口"                                        1 line, 11 chars
    #   page_info   "发布时间：2024-03-01 来源：市委组织部"                      1 line, 24 chars
    #   credits     "责任编辑：王芳" 7 + "摄影：李强" 5                          2 lines, 12 chars
    #   wechat      "点击上方蓝字关注我们" 10 + "阅读原文" 4                     2 lines, 14 chars
    #   site_footer "版权所有：某市委组织部 苏ICP备12345678号"                   1 line, 25 chars
    expected = {
        "navigation": (1, 22),
        "font_size": (1, 7),
        "page_tools": (1, 11),
        "page_info": (1, 24),
        "credits": (2, 12),
        "wechat": (2, 14),
        "site_footer": (1, 25),
        "total": (9, 115),
    }
    got = {
        r: (n, c)
        for r, n, c in report[["rule", "lines_removed", "chars_removed"]].itertuples(index=False)
    }
    assert got == expected
    assert list(got) == list(expected)  # config order of the rules, total last
    assert report.set_index("rule").loc["credits", "first_removed"].startswith("责任编辑：")


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        # The examples of config/README.md (documents.cleaning), one per kind of line.
        ("当前位置：首页 > 信息公开 > 通知公告", "navigation"),
        ("首页 > 新闻中心", "navigation"),
        ("上一篇：关于开展产业链党建调研的通知", "navigation"),
        ("扫一扫在手机打开当前页", "navigation"),
        ("字体：【大】【中】【小】", "font_size"),
        ("发布时间：2024-03-01 来源：市委组织部 【字号 大 中 小】 【打印】", "font_size"),
        ("【打印】 【关闭窗口】", "page_tools"),
        ("打印本页 | 关闭窗口", "page_tools"),
        ("下载", "page_tools"),
        ("发布日期：2024-03-01", "page_info"),
        ("浏览次数：1024", "page_info"),
        ("（责任编辑：王芳）", "credits"),
        ("编辑：张三 审核：李四", "credits"),
        ("通讯员：赵六", "credits"),
        ("点击上方“宿迁组工”关注我们", "wechat"),
        ("长按识别二维码关注", "wechat"),
        ("往期推荐", "wechat"),
        ("微信扫一扫关注该公众号", "wechat"),
        ("Copyright © 2024 某市人民政府", "site_footer"),
        ("苏公网安备 32130202000001号", "site_footer"),
        ("技术支持：某某信息技术有限公司", "site_footer"),
        ("网站地图 | 联系我们", "site_footer"),
        ("建议使用1920×1080分辨率浏览", "site_footer"),
        ("— 3 —", "page_number"),
        ("－３－", "page_number"),
        ("第 3 页 共 12 页", "page_number"),
        ("共 12 页 第 3 页", "page_number"),
        ("3 / 12", "page_number"),
        ("Page 3 of 12", "page_number"),
        # Sentences of substance that mention the same words stay.
        ("各地要打印并下载有关材料，分享经验做法。", None),
        ("编辑部要加强政治把关。", None),
        ("来源于基层的经验值得推广，各地要认真总结，形成可复制、可推广的做法。", None),
        ("（一）加强组织覆盖", None),
        ("2024", None),
    ],
)
def test_default_rules(line: str, rule: str | None, rules: CleaningRules) -> None:
    assert rules.rule_of(normalize_text(line)) == rule


def test_running_headers_and_footers_with_changing_numbers(rules: CleaningRules) -> None:
    body = ["第一页正文。", "第二页正文。", "第三页正文。", "第四页正文。"]
    pages = [
        f"宿迁市人民政府文件\n{text}\n宿政发〔2024〕12号 第 {i} 页，共 4 页"
        for i, text in enumerate(body, start=1)
    ]
    cleaned = clean_pages(pages, rules)
    assert cleaned.lines == body
    # The header (9 characters) on 4 pages; the footer, normalised to "宿政发〔2024〕12号第 n
    # 页，共 4 页" (24 characters), differs only in its digits, so it is one running line too.
    assert cleaned.lines_removed == {"running_header_footer": 8}
    assert cleaned.chars_removed == {"running_header_footer": 4 * 9 + 4 * 24}
    # Two pages are not enough to tell a running line from the text (min_pages 3).
    assert clean_pages(pages[:2], rules).lines_removed == {}


def test_untouched_text_is_unchanged(rules: CleaningRules) -> None:
    text = normalize_text("宿迁市产业链党建工作方案\n\n  应建尽建，扩大覆盖。\n")
    cleaned = clean_text(text, rules)
    assert cleaned.text == text and cleaned.lines_removed == {}
    assert cleaning_report([("x-a", "a.txt", cleaned)]).to_dict("records") == [
        {
            "doc_id": "x-a",
            "file": "a.txt",
            "rule": "total",
            "lines_removed": 0,
            "chars_removed": 0,
            "first_removed": "",
        }
    ]


def test_cleaning_rules_from_config() -> None:
    rules = CleaningRules.from_config(
        {"rules": {"mine": ["内部资料.*"]}, "running_lines": {"enabled": False}}
    )
    assert clean_text("内部资料 注意保存\n正文。", rules).lines == ["正文。"]
    assert CleaningRules.from_config({"enabled": False}).rules == ()
    with pytest.raises(ConfigError) as info:
        CleaningRules.from_config({"rules": {"mine": ["ok", "(unclosed"]}})
    assert "documents.cleaning.rules.mine[1]" in str(info.value)


@needs_corpora
def test_default_rules_remove_nothing_from_the_shared_reports(rules: CleaningRules) -> None:
    # 88 official reports (72 government work reports, 16 congress reports; 10,537 non-blank
    # lines) carry no site furniture: every line removed would be a false positive.
    removed = 0
    n_lines = 0
    for name in ("government_work_reports.jsonl", "cpc_congress_reports.jsonl"):
        for line in (CORPORA / name).read_text(encoding="utf-8").splitlines():
            # Without the traditional → simplified step (5 of the 6 seconds here): the patterns
            # are simplified, so traditional lines could only match less.
            text = normalize_text(json.loads(line)["content"], simplify=False)
            cleaned = clean_text(text, rules)
            removed += sum(cleaned.lines_removed.values())
            n_lines += len(cleaned.lines)
    assert (removed, n_lines) == (0, 10537)


# -------------------------------------------------------------------------- deduplication


def test_jaccard_by_hand() -> None:
    # 5-grams of "产业链党建联盟" (7 characters): 产业链党建 业链党建联 链党建联盟 — 3.
    # "产业链党建联合": 产业链党建 业链党建联 链党建联合 — 3; shared 2, union 4: 0.5.
    texts = ["产业链党建联盟", "产业链党建联合", "产业链 党建\n联盟"]
    ids = ["a", "b", "c"]
    report = find_duplicates(ids, ["a.txt", "b.txt", "c.txt"], texts, DedupSettings(similarity=0.5))
    assert report.to_dict("records") == [
        {
            "dropped": "b",
            "dropped_file": "b.txt",
            "kept": "a",
            "kept_file": "a.txt",
            "kind": "near",
            "similarity": 0.5,
        },
        # Same text once blanks and line breaks are removed.
        {
            "dropped": "c",
            "dropped_file": "c.txt",
            "kept": "a",
            "kept_file": "a.txt",
            "kind": "exact",
            "similarity": 1.0,
        },
    ]
    assert find_duplicates(ids, ids, texts, DedupSettings(similarity=0.51))["dropped"].tolist() == [
        "c"
    ]
    assert find_duplicates(ids, ids, texts, DedupSettings(enabled=False)).empty


@needs_corpora
def test_near_duplicate_reprint_of_a_report() -> None:
    records = report_records(3)
    original = records[0]["content"]
    # A district's reprint: its own first line, the last 3 % left off.
    reprint = "某区转发：\n" + original[: int(len(original) * 0.97)]
    texts = [records[2]["content"], original, records[1]["content"], reprint]
    ids = ["r2024", "r2025", "resolution", "reprint"]
    report = find_duplicates(ids, ids, texts, DedupSettings())
    assert report[["dropped", "kept", "kind"]].values.tolist() == [["reprint", "r2025", "near"]]
    assert 0.95 < report["similarity"].iloc[0] < 0.99
    # The 2024 and 2025 reports share much wording, and stay far apart.
    assert find_duplicates(ids[:2], ids[:2], texts[:2], DedupSettings(similarity=0.3)).empty


# ------------------------------------------------------------------ the city policy folder


@needs_corpora
def test_policy_folder_with_pdf_html_and_a_duplicate(
    tmp_path: Path, documents_config: dict[str, Any], report_pdf, caplog
) -> None:
    pdf_path, body = report_pdf
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "a_report.pdf").write_bytes(pdf_path.read_bytes())
    # The same report as a .txt (listed after the PDF): a duplicate, dropped.
    (folder / "b_report.txt").write_text("\n\n".join(body) + "\n", encoding="gb18030")
    html_body = paragraphs(report_records(3)[2]["content"])[2:4]
    (folder / "c_page.html").write_text(page_html(html_body), encoding="utf-8")
    (folder / "d_unlisted.pdf").write_bytes(pdf_path.read_bytes())
    write_manifest(
        folder,
        [
            ("a_report.pdf", "政府工作报告", "国务院", "2025-03-05"),
            ("b_report.txt", "政府工作报告（文本）", "国务院", "2025-03-05"),
            ("c_page.html", "", "某市人民政府", ""),  # title and date from the page
        ],
    )
    with caplog.at_level("INFO", logger="chainpb"):
        result = ingest_policy_folder(
            folder,
            "x",
            "某市",
            CleaningRules.from_config(documents_config["cleaning"]),
            DedupSettings.from_config(documents_config["dedup"]),
        )
    table = result.table
    assert table["doc_id"].tolist() == ["x-a_report", "x-c_page"]
    texts = dict(zip(table["doc_id"], table["text"], strict=True))
    assert texts["x-a_report"].replace("\n", "") == "".join(body)
    assert texts["x-c_page"].split("\n") == html_body
    page = table.set_index("doc_id").loc["x-c_page"]
    assert (page["title"], page["date"]) == ("2025年政府工作报告（摘要）", "2025-03-05")
    assert table["n_chars"].tolist() == [len(t) for t in table["text"]]
    # The cleaning report lists every document read, the dropped duplicate too.
    totals = result.cleaning[result.cleaning["rule"] == "total"]
    assert totals[["doc_id", "lines_removed", "chars_removed"]].values.tolist() == [
        ["x-a_report", 6, 57],  # 3 page numbers (15) + 3 running headers (42)
        ["x-b_report", 0, 0],
        ["x-c_page", 3, 31],  # as in test_html_main_text_title_and_date
    ]
    assert result.duplicates.to_dict("records") == [
        {
            "dropped": "x-b_report",
            "dropped_file": "b_report.txt",
            "kept": "x-a_report",
            "kept_file": "a_report.pdf",
            "kind": "exact",
            "similarity": 1.0,
        }
    ]
    assert "duplicate dropped: b_report.txt" in caplog.text and "a_report.pdf" in caplog.text
    # An unlisted PDF is not read, and named in the log.
    assert re.search(
        r"未读取 not read: .*d_unlisted\.pdf — .*unless listed in manifest\.csv", caplog.text
    )

"""The Word summary report: title page, numbered captions in order, determinism, A4 with page
numbers, the written sections (sample, difficulties, findings, limits, 对策建议) and the
simulated-data mark."""

from __future__ import annotations

import datetime
import io
import re
import zipfile

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from docx import Document
from docx.shared import Mm

from chainpb.atomic import save_figure
from chainpb.errors import ChainpbError
from chainpb.models.result import TIDY_COLUMNS, FitResult
from chainpb.present.build import findings_table, summary_sections, written_summary
from chainpb.present.fonts import setup_cjk_font
from chainpb.present.paper import resolve_paper
from chainpb.present.summary import (
    SIMULATED_MARK,
    EditMark,
    FigureItem,
    ReportMeta,
    Section,
    build_summary_docx,
    coding_validity,
    difficulty_shares,
    finding_sentences,
    format_date,
    limit_paragraphs,
    recommendation_items,
    report_date,
    responses_from_reports,
    sample_paragraphs,
    simulated_from_reports,
)
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


# ---------------------------------------------------------------------------- A4, page numbers

TWIP = 635  # EMU


def test_pages_are_a4_with_a_page_field_in_the_footer(figure_png) -> None:
    wide = Table(
        title="宽表",
        header=(tuple(f"变量{i}" for i in range(16)),),
        body=(tuple("0.123***" for _ in range(16)),),
    )
    sections = [*_sections(figure_png), Section("四、宽表", [wide, "宽表之后的正文。"])]
    buf = io.BytesIO()
    build_summary_docx(sections, buf, meta=ReportMeta(date_text="2026年12月2日"))
    doc = Document(io.BytesIO(buf.getvalue()))
    first = doc.sections[0]
    # Word stores page sizes in twips: Mm(210) is 11905.5 twips, written as A4's 11906 × 16838
    # (what Word itself writes for A4), so compare to within a twip.
    assert first.page_width == pytest.approx(Mm(210), abs=TWIP)
    assert first.page_height == pytest.approx(Mm(297), abs=TWIP)
    assert len(doc.sections) == 3  # portrait, landscape for the wide table, portrait again
    for section in doc.sections:
        short, long_ = sorted((section.page_width, section.page_height))
        assert short == pytest.approx(Mm(210), abs=TWIP)
        assert long_ == pytest.approx(Mm(297), abs=TWIP)
    assert doc.sections[1].page_width == pytest.approx(Mm(297), abs=TWIP)
    # No number on the title page; the footer holds a PAGE field (Word fills in the number).
    assert first.different_first_page_header_footer
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        footers = [z.read(n).decode("utf-8") for n in z.namelist() if "footer" in n]
    assert any(re.search(r'<w:fldSimple w:instr=" PAGE "', xml) for xml in footers)
    assert "2026年12月2日" in _text(buf.getvalue())


def test_report_date_and_its_format() -> None:
    today = datetime.date(2025, 1, 31)
    assert report_date({}, today) == today
    # 1796169600 = 2026-12-02 00:00 UTC
    assert report_date({"SOURCE_DATE_EPOCH": "1796169600"}, today) == datetime.date(2026, 12, 2)
    assert format_date(datetime.date(2026, 12, 2)) == "2026年12月2日"
    assert format_date(datetime.date(2026, 12, 2), "en") == "2 December 2026"
    with pytest.raises(ChainpbError, match="SOURCE_DATE_EPOCH"):
        report_date({"SOURCE_DATE_EPOCH": "yesterday"}, today)


# ---------------------------------------------------------------------------- written sections


def _fit(model, outcome, estimator, rows, *, cluster=("chain_id",), g=12, nobs=1276, extra=None):
    coefs = pd.DataFrame(rows, columns=TIDY_COLUMNS)
    return FitResult(
        model=model,
        outcome=outcome,
        estimator=estimator,
        formula=f"{outcome} ~ x",
        coefs=coefs,
        nobs=nobs,
        cov_type="cluster",
        n_clusters=g if cluster else None,
        regressors=tuple(coefs["term"][:1]),
        cluster=tuple(cluster),
        extra=extra or {},
    )


OLS_ROWS = [
    # term, estimate, std_error, statistic, p_value, conf_low, conf_high
    ("x_member", 0.4567, 0.1234, 3.70, 0.0032, 0.1851, 0.7283),
    ("x_size", 0.05, 0.02, 2.5, 0.0291, 0.006, 0.094),
]
WILD = {"terms": {"x_member": {"p_value": 0.0123, "conf_low": 0.101, "conf_high": 0.802}}}
LABELS = {
    "x_member": {"zh": "联盟成员", "en": "Alliance member"},
    "y_rd": {"zh": "研发强度", "en": "R&D intensity"},
    "y_coop": {"zh": "合作项目", "en": "Cooperation projects"},
}


def test_finding_sentences_carry_the_fit_values() -> None:
    ols = _fit("m_a", "y_rd", "ols", OLS_ROWS, extra={"wild_bootstrap": WILD})
    logit = _fit(
        "m_b",
        "y_coop",
        "logit",
        [("x_member", -0.25, 0.2, -1.25, 0.2113, -0.642, 0.142)],
        cluster=(),
        nobs=900,
    )
    names = {"m_a": "模型甲", "m_b": "模型乙"}
    zh = finding_sentences([ols, logit], None, LABELS, names, "zh")
    # Checked by hand against OLS_ROWS / WILD: estimate, SE, CI, p, wild p and interval, N, G;
    # the verdict follows the wild bootstrap p (0.0123 < 0.05).
    assert zh == [
        "模型甲（被解释变量：研发强度，N = 1,276，聚类数 G = 12）：联盟成员的系数为 0.457"
        "（按产业链聚类的稳健标准误 0.123，95% 置信区间 [0.185, 0.728]，p = 0.003；"
        "野聚类自助法 p = 0.012，95% 区间 [0.101, 0.802]），在 5% 水平上显著。",
        "模型乙（被解释变量：合作项目，N = 900）：联盟成员的对数几率（log-odds）系数为 -0.250"
        "（稳健标准误 0.200，95% 置信区间 [-0.642, 0.142]，p = 0.211），在 10% 水平上不显著。",
    ]
    # Terms of the table: x_size only (p = 0.0291 → 5%); a term the fit lacks is skipped.
    en = finding_sentences([ols], ["x_size", "absent"], LABELS, names, "en")
    assert en == [
        "模型甲 (outcome: R&D intensity, N = 1,276, G = 12 clusters): the coefficient of x_size "
        "is 0.050 (standard error clustered by chain 0.020, 95% CI [0.006, 0.094], p = 0.029), "
        "significant at the 5% level."
    ]


def test_few_clusters_limit_only_below_30() -> None:
    few = limit_paragraphs([_fit("m", "y", "ols", OLS_ROWS, g=12)], False, None, "zh")
    assert "G = 12" in few[0] and "过度拒绝" in few[0] and "t(G−1)" in few[0]
    many = limit_paragraphs([_fit("m", "y", "ols", OLS_ROWS, g=40)], False, None, "zh")
    assert not any("聚类数少" in p for p in many)
    assert not any("模拟" in p for p in many)
    assert any("模拟数据" in p for p in limit_paragraphs([], True, None, "zh"))


def test_coding_validity_prefers_the_test_split() -> None:
    rows = []
    for split, kappas in (("dev", (0.95, 0.95, 0.95, 0.95)), ("test", (0.72, 0.90, 0.85, 0.80))):
        for cat, k in zip(
            ("coverage", "ideology", "effectiveness", "resource"), kappas, strict=True
        ):
            rows.append(("codebook_vs_gold", split, "answers", cat, 150, k, 0.9))
        rows.append(("codebook_vs_gold", split, "answers", "macro", 150, None, 0.87))
    rows.append(("codebook_vs_gold", "test", "policies", "coverage", 99, 0.1, 0.1))
    agreement = pd.DataFrame(
        rows, columns=["comparison", "split", "source", "category", "n", "cohen_kappa", "f1"]
    )
    v = coding_validity(agreement)
    assert v == {"split": "test", "n": 150, "kappa_min": 0.72, "kappa_max": 0.90, "macro_f1": 0.87}
    text = limit_paragraphs([], False, v, "zh")[0]
    assert "留出测试集，n = 150" in text and "0.72–0.90" in text and "F1 = 0.87" in text
    assert coding_validity(None) is None


REPORTS = [
    {"city_key": "c_a", "n_raw": 200, "n_accepted": 180, "n_rejected": 20, "simulated": False},
    {"city_key": "c_b", "n_raw": 100, "n_accepted": 95, "n_rejected": 5, "simulated": False},
]
CITIES = {
    "c_a": {"name": "甲市", "name_en": "City A"},
    "c_b": {"name": "乙市", "name_en": "City B"},
}


def _difficulty_frames() -> dict[str, pd.DataFrame]:
    def frame(rows):
        cols = ["diff_coverage", "diff_ideology", "diff_effectiveness", "diff_resource"]
        return pd.DataFrame(rows, columns=cols).astype("Int64")

    # c_a: 4 answers + 1 blank; c_b: 2 answers.
    a = frame([[1, 1, 0, 1], [1, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0], [None] * 4])
    b = frame([[1, 1, 0, 0], [0, 1, 1, 0]])
    return {"c_a": a, "c_b": b}


def test_sample_and_difficulty_numbers() -> None:
    rows = responses_from_reports(REPORTS, CITIES, "zh")
    text = sample_paragraphs(rows, "zh")[0]
    # 180/200 = 90.0%, 95/100 = 95.0%, pooled 275/300 = 91.7%
    assert "共回收问卷 300 份" in text and "有效问卷 275 份，剔除 25 份" in text
    assert "有效率（有效问卷/回收问卷）为 91.7%" in text
    assert "甲市 180/200（90.0%）、乙市 95/100（95.0%）" in text
    per_city, pooled = difficulty_shares(_difficulty_frames(), CITIES, "zh")
    assert [(s.city, s.n_answered) for s in per_city] == [("甲市", 4), ("乙市", 2)]
    assert per_city[0].shares == {
        "coverage": 0.5,
        "ideology": 0.25,
        "effectiveness": 0.0,
        "resource": 0.75,
    }
    assert per_city[1].shares["ideology"] == 1.0
    # pooled over 6 answers: 3/6, 3/6, 1/6, 3/6
    assert pooled.n_answered == 6
    assert pooled.shares["effectiveness"] == pytest.approx(1 / 6)
    items = recommendation_items(pooled, "zh")
    assert isinstance(items[0], EditMark) and "待研究者修改" in items[0].text
    # Most reported first (ties keep the order of the four difficulties).
    assert [i[:9] for i in items[1:]] == [
        "（一）针对组织覆盖",
        "（二）针对思想引领",
        "（三）针对资源聚合",
        "（四）针对作用彰显",
    ]
    assert "（16.7%的作答企业报告作用彰显难）" in items[4]


def test_simulated_comes_from_the_ingest_reports() -> None:
    assert not simulated_from_reports(REPORTS, ["a.json", "b.json"])
    assert simulated_from_reports([REPORTS[0], {**REPORTS[1], "simulated": True}], ["a", "b"])
    old = {k: v for k, v in REPORTS[0].items() if k != "simulated"}
    with pytest.raises(ChainpbError, match=r"results/c_a/ingest/survey_report\.json"):
        simulated_from_reports([old], ["results/c_a/ingest/survey_report.json"])


CONFIG = {
    "language": "zh",
    "labels": LABELS,
    "cities": CITIES,
    "models": {
        "m_a": {"type": "ols", "label": "模型甲", "outcomes": ["y_rd"], "regressors": ["x_member"]},
        "m_b": {"type": "ols", "label": "模型乙", "outcomes": ["y_rd"], "regressors": ["x_member"]},
    },
    # The findings follow the first regression table of the paper: m_b, not m_a.
    "paper": {
        "auto_tables": True,
        "tables": {
            "desc": {"kind": "descriptives"},
            "main": {"title": "主表", "models": ["m_b"], "terms": ["x_member"]},
        },
    },
}


def _summary(figure_png, simulated: bool) -> bytes:
    fits = [
        _fit("m_a", "y_rd", "ols", [("x_member", 9.9, 1.0, 9.9, 0.0, 7.9, 11.9)]),
        _fit("m_b", "y_rd", "ols", OLS_ROWS, g=40),
    ]
    assert findings_table(resolve_paper(CONFIG)).key == "main"
    written = written_summary(
        fits, CONFIG, REPORTS, _difficulty_frames(), None, simulated=simulated
    )
    tables = {"desc": _table("描述性统计"), "main": _table("主表")}
    groups = {"desc": "data", "main": "regression"}
    pngs = {"difficulty_prevalence_by_city": figure_png}
    sections = summary_sections(tables, pngs, "zh", None, groups, None, written)
    buf = io.BytesIO()
    build_summary_docx(sections, buf, meta=ReportMeta(simulated=simulated))
    return buf.getvalue()


def test_summary_on_real_data_reads_correctly(figure_png) -> None:
    data = _summary(figure_png, simulated=False)
    text = _text(data)
    assert "模拟" not in text and "simulated" not in text.lower()
    headings = ["一、调查概况与样本", "二、产业链党建的四类困难", "三、主要发现"]
    headings += ["四、研究局限", "五、对策建议"]
    assert [text.index(h) for h in headings] == sorted(text.index(h) for h in headings)
    assert "有效率（有效问卷/回收问卷）为 91.7%" in text
    # The findings are m_b's (first regression table), with its numbers; m_a (9.900) is absent.
    assert (
        "模型乙（被解释变量：研发强度，N = 1,276，聚类数 G = 40）：联盟成员的系数为 0.457" in text
    )
    assert "9.900" not in text
    # G = 40: no few-clusters limit; the recommendations are marked for the researcher.
    assert "聚类数少" not in text
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read("word/document.xml").decode("utf-8")
    mark = xml.index("待研究者修改")
    assert '<w:highlight w:val="yellow"/>' in xml[xml.rindex("<w:r>", 0, mark) : mark]


def test_summary_on_simulated_data_marks_every_table_and_figure(figure_png) -> None:
    text = _text(_summary(figure_png, simulated=True))
    # 4 tables (sample, difficulties, desc, main) and 1 figure, each caption marked
    assert text.count(SIMULATED_MARK) == 5
    assert f"表1　问卷回收与有效率 {SIMULATED_MARK}" in text
    assert f"图1　各城市企业报告四类困难的比例（95% Wilson 置信区间） {SIMULATED_MARK}" in text
    assert "本报告使用的是模拟数据" in text

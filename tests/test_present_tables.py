"""Journal tables: stars, layout, three-line Word XML, LaTeX/HTML structure, byte-identical docx."""

from __future__ import annotations

import io
import re
import zipfile

import numpy as np
import pandas as pd
import pytest

from chainpb.errors import ChainpbError
from chainpb.models.result import TIDY_COLUMNS, FitResult
from chainpb.present import tables as T

LABELS = {
    "alliance_member": {"zh": "产业链党建联盟成员", "en": "Chain alliance member"},
    "rd_intensity": {"zh": "研发强度(%)", "en": "R&D intensity (%)"},
    "coop_projects": {"zh": "链上合作项目数", "en": "Cooperation projects"},
    "chain_id": {"zh": "产业链", "en": "chain"},
}
CLUSTER_COV = "聚类稳健标准误 cluster(chain_id): CR1 (G/(G-1))·((N-1)/(N-K)), t(G-1)"


def _fit(outcome: str, rows: list[tuple], **kw) -> FitResult:
    coefs = pd.DataFrame(
        [(t, b, se, b / se, p, b - 2 * se, b + 2 * se) for t, b, se, p in rows],
        columns=TIDY_COLUMNS,
    )
    base = {
        "model": "baseline",
        "outcome": outcome,
        "estimator": "ols",
        "formula": f"{outcome} ~ alliance_member + diff_resource",
        "coefs": coefs,
        "nobs": 1234,
        "cov_type": CLUSTER_COV,
        "cluster": ("chain_id",),
        "n_clusters": 12,
        "df_inference": 11.0,
        "regressors": ("alliance_member", "diff_resource"),
        "controls": ("firm_age",),
        "fixed_effects": ("city_key",),
        "r2": 0.3,
        "adj_r2": 0.25,
        "within_r2": 0.12,
        "label": "基准回归",
    }
    base.update(kw)
    return FitResult(**base)


def _results() -> list[FitResult]:
    return [
        _fit(
            "rd_intensity",
            [("alliance_member", 0.8, 0.2, 0.099), ("diff_resource", -0.3, 0.1, 0.049)],
        ),
        _fit(
            "rd_intensity",
            [
                ("alliance_member", 0.5, 0.25, 0.0099),
                ("diff_resource", 0.1, 0.1, 0.5),
                ("Intercept", 1.0, 0.5, 0.1),
            ],
            fixed_effects=(),
            within_r2=None,
            controls=(),
        ),
        _fit(
            "coop_projects",
            [("alliance_member", 0.4, 0.2, 0.01)],
            estimator="logit",
            df_inference=None,
            pseudo_r2=0.081,
            fixed_effects=("city_key", "chain_id"),
            within_r2=None,
        ),
    ]


# ---------------------------------------------------------------- stars and numbers


@pytest.mark.parametrize(
    ("p", "stars"),
    [
        (0.099, "*"),
        (0.1, ""),
        (0.049, "**"),
        (0.05, "*"),
        (0.0099, "***"),
        (0.01, "**"),
        (0.5, ""),
        (float("nan"), ""),
    ],
)
def test_star_thresholds(p: float, stars: str) -> None:
    # * p<0.1, ** p<0.05, *** p<0.01 with strict inequalities (the convention of Stata's esttab)
    assert T.significance_stars(p) == stars


def test_number_formatting() -> None:
    assert T.format_number(-0.0001) == "0.000"  # no "-0.000" in a journal table
    assert T.format_number(1.23456, 2) == "1.23"
    assert T.format_number(np.nan) == ""
    assert T.format_count(12345) == "12,345"


# ---------------------------------------------------------------- regression table


def test_regression_table_layout() -> None:
    t = T.regression_table(_results(), labels=LABELS)
    assert t.header == (
        ("", "研发强度(%)", "研发强度(%)", "链上合作项目数"),
        ("变量", "(1)", "(2)", "(3)"),
    )
    body = {row[0]: row[1:] for row in t.body if row[0]}
    rows = list(t.body)
    i = [r[0] for r in rows].index("产业链党建联盟成员")
    assert rows[i][1:] == ("0.800*", "0.500***", "0.400**")
    assert rows[i + 1] == ("", "(0.200)", "(0.250)", "(0.200)")  # SE in parentheses below
    assert body["资源聚合难"] == ("-0.300**", "0.100", "")  # absent term → empty cell
    assert body["常数项"] == ("", "1.000", "")
    assert body["控制变量"] == ("是", "否", "是")
    # one fixed-effect row per absorbed variable, named by its label (from the fits, not the code)
    assert body["城市固定效应"] == ("是", "否", "是")
    assert body["产业链固定效应"] == ("否", "否", "是")
    assert body["观测值"] == ("1,234", "1,234", "1,234")
    assert body["聚类数"] == ("12", "12", "12")
    # fit rows: within R² for the absorbed-FE OLS, adj. R² for plain OLS, pseudo R² for logit
    assert body["组内R²"] == ("0.120", "", "")
    assert body["调整R²"] == ("", "0.250", "")
    assert body["伪R²"] == ("", "", "0.081")
    # plain Chinese, no code jargon: which SEs, the stars, the reference distribution per column
    assert t.notes[0].startswith("注：括号内为按产业链聚类的稳健标准误；")
    assert "*、**、*** 分别表示在10%、5%、1%水平上显著" in t.notes[0]
    assert "第(1)、(2)列为自由度为聚类数减1的t分布；第(3)列为正态分布（z 检验）" in t.notes[0]
    assert "CR1" not in " ".join(t.notes) and "chain_id" not in " ".join(t.notes)
    assert any("聚类数较少（G = 12，少于 30）" in n for n in t.notes)
    assert any("组内R²" in n for n in t.notes)
    assert t.title == "基准回归"


def test_regression_table_english_and_selected_terms() -> None:
    t = T.regression_table(
        _results(),
        terms=["alliance_member"],
        labels=LABELS,
        language="en",
        notes=["Data: simulated."],
    )
    assert t.header[1][0] == "Variable"
    assert [r[0] for r in t.body][:2] == ["Chain alliance member", ""]
    assert ("City FE", "Yes", "No", "Yes") in t.body
    assert ("Controls", "Yes", "No", "Yes") in t.body
    assert ("Clusters", "12", "12", "12") in t.body
    assert t.notes[0].startswith("Notes: Standard errors clustered by chain in parentheses.")
    assert t.notes[-1] == "Data: simulated."


def test_regression_table_needs_results() -> None:
    with pytest.raises(ChainpbError):
        T.regression_table([])


# ---------------------------------------------------------------- other tables


def test_correlation_table_against_r() -> None:
    data = pd.DataFrame({"x": [1, 2, 3, 4, 5, 6], "y": [2, 1, 4, 3, 7, 8], "z": [5, 3, 4, 1, 2, 0]})
    r, p = T.pearson_matrix(data, ["x", "y", "z"])
    # R: cor.test(y, x) → r = 0.9014600868, p = 0.0140867548
    #    cor.test(z, x) → r = -0.8857142857, p = 0.0188454810
    #    cor.test(z, y) → r = -0.6329400610, p = 0.1773719551
    assert r.loc["y", "x"] == pytest.approx(0.9014600868, abs=1e-9)
    assert p.loc["y", "x"] == pytest.approx(0.0140867548, abs=1e-9)
    assert p.loc["z", "y"] == pytest.approx(0.1773719551, abs=1e-9)
    t = T.correlation_table(r, p)
    assert t.body[0] == ("(1) x", "1", "", "")
    assert t.body[1] == ("(2) y", "0.901**", "1", "")
    assert t.body[2] == ("(3) z", "-0.886**", "-0.633", "1")
    assert t.header[0] == ("变量", "(1)", "(2)", "(3)")


def test_descriptive_and_reliability_tables_from_measures_shapes() -> None:
    describe = pd.DataFrame(
        {"variable": ["rd_intensity"], "label": ["研发强度(%)"], "n": [1300], "mean": [3.2],
         "sd": [1.05], "min": [0.0], "median": [3.0], "max": [9.5]}
    )  # fmt: skip
    d = T.descriptive_table(describe, LABELS)
    assert d.header[0] == ("变量", "样本量", "均值", "标准差", "最小值", "中位数", "最大值")
    assert d.body[0] == ("研发强度(%)", "1,300", "3.200", "1.050", "0.000", "3.000", "9.500")
    rel = pd.DataFrame(
        {"scale": ["组织覆盖"], "n_items": [4], "n": [1200], "alpha": [0.8123], "std_alpha": [0.81],
         "cr": [0.83], "ave": [0.552], "kmo": [0.76]}
    )  # fmt: skip
    r = T.reliability_table(rel)
    assert r.header[0] == ("量表", "题项数", "Cronbach's α", "组合信度CR", "AVE", "KMO")
    assert r.body[0] == ("组织覆盖", "4", "0.812", "0.830", "0.552", "0.760")


def test_reliability_table_names_each_city_and_the_common_items() -> None:
    # As scale_validity writes it for a city asked 3 of the 4 coverage items (issue 9).
    rel = pd.DataFrame(
        {
            "scale": ["组织覆盖"] * 3,
            "n_items": [3, 4, 3],
            "alpha": [0.7134, 0.7051, 0.6675],
            "city": ["pooled/合并", "suqian", "huaian"],
            "note_zh": ["合并 2 个城市共同的题项：coverage_1, coverage_2, coverage_3", "", ""],
            "note_en": ["pooled over the items common to 2 cities: coverage_1–3", "", ""],
        }
    )
    cities = {"suqian": {"name": "宿迁市", "name_en": "Suqian"}, "huaian": {"name": "淮安市"}}
    r = T.reliability_table(rel, cities=cities)
    assert r.header[0] == ("量表", "城市", "题项数", "Cronbach's α")
    assert [row[:3] for row in r.body] == [
        ("组织覆盖", "合并（共同题项）", "3"),
        ("组织覆盖", "宿迁市", "4"),
        ("组织覆盖", "淮安市", "3"),
    ]
    assert (
        r.notes[0]
        == "组织覆盖（合并（共同题项））：合并 2 个城市共同的题项：coverage_1, coverage_2, coverage_3"
    )
    en = T.reliability_table(rel, "en", cities=cities)
    assert en.body[1][1] == "Suqian" and en.body[2][1] == "淮安市"  # no name_en: the name
    assert en.notes[0].endswith("pooled over the items common to 2 cities: coverage_1–3")


def test_ragged_rows_are_rejected() -> None:
    with pytest.raises(ChainpbError):
        T.Table(title="x", header=(("a", "b"),), body=(("1",),))


# ---------------------------------------------------------------- Word


def _document_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read("word/document.xml").decode("utf-8")


def test_docx_has_three_line_borders_and_chinese_font() -> None:
    t = T.regression_table(_results(), labels=LABELS)
    xml = _document_xml(T.docx_bytes(t))
    borders = re.search(r"<w:tblBorders>(.*?)</w:tblBorders>", xml).group(1)
    assert re.search(r'<w:top w:val="single" w:sz="12"', borders)  # 1.5 pt
    assert re.search(r'<w:bottom w:val="single" w:sz="12"', borders)
    assert '<w:insideV w:val="nil"/>' in borders
    assert '<w:insideH w:val="nil"/>' in borders
    assert '<w:left w:val="nil"/>' in borders and '<w:right w:val="nil"/>' in borders
    # the rule under the header: 0.75 pt on every cell of the last header row (4 columns),
    # plus a thin rule under the merged outcome label over columns (1)–(2)
    assert xml.count('<w:bottom w:val="single" w:sz="6"') == 4
    assert xml.count('<w:gridSpan w:val="2"/>') == 1
    assert xml.count('<w:bottom w:val="single" w:sz="4"') == 1
    # East Asian text in 宋体, Latin in Times New Roman, 五号 = 10.5 pt = 21 half-points
    assert 'w:eastAsia="宋体"' in xml
    assert 'w:ascii="Times New Roman"' in xml
    assert '<w:sz w:val="21"/>' in xml
    assert "eastAsiaTheme" not in xml
    # title above the table, notes below it
    assert xml.index("基准回归") < xml.index("<w:tbl>") < xml.index("注：括号内为")


def test_docx_bytes_are_identical_and_undated() -> None:
    t = T.regression_table(_results(), labels=LABELS)
    first = T.docx_bytes(t)
    buf = io.BytesIO()
    T.table_to_docx(t, buf)
    assert buf.getvalue() == first
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        assert {info.date_time for info in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = z.read("docProps/core.xml").decode("utf-8")
    assert '<dcterms:created xsi:type="dcterms:W3CDTF">2000-01-01T00:00:00Z' in core
    assert '<dcterms:modified xsi:type="dcterms:W3CDTF">2000-01-01T00:00:00Z' in core
    assert "<cp:revision>1</cp:revision>" in core


def test_docx_to_path(tmp_path) -> None:
    t = T.regression_table(_results(), labels=LABELS)
    target = tmp_path / "tables" / "baseline.docx"
    T.table_to_docx(t, target)
    assert target.read_bytes() == T.docx_bytes(t)


# ---------------------------------------------------------------- LaTeX, HTML


def test_latex_structure_and_escaping() -> None:
    t = T.regression_table(_results(), labels=LABELS)
    tex = T.table_to_latex(t)
    lines = tex.splitlines()
    for rule in (r"\toprule", r"\midrule", r"\bottomrule"):
        assert lines.count(rule) == 1
    assert lines.index(r"\toprule") < lines.index(r"\midrule") < lines.index(r"\bottomrule")
    assert r"\begin{threeparttable}" in tex and r"\begin{tablenotes}" in tex
    assert r"\begin{tabular}{lccc}" in tex
    assert r"\multicolumn{2}{c}{研发强度(\%)} & 链上合作项目数 \\" in tex
    assert r"\cmidrule(lr){2-3}" in tex
    assert r"10\%、5\%、1\%" in tex
    assert "chain\\_id" not in tex  # notes in words, not variable names
    # every body row has n_cols − 1 column separators
    body = lines[lines.index(r"\midrule") + 1 : lines.index(r"\bottomrule")]
    assert all(row.count(" & ") == 3 and row.endswith(r"\\") for row in body)
    assert T.latex_escape("a_b & 50% {x} #1 $ ~ ^ \\") == (
        r"a\_b \& 50\% \{x\} \#1 \$ \textasciitilde{} \textasciicircum{} \textbackslash{}"
    )


def test_html_structure() -> None:
    t = T.regression_table(_results(), labels=LABELS)
    page = T.table_to_html(t, standalone=True)
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    assert '<table class="three-line">' in page
    assert "<caption>基准回归</caption>" in page
    assert '<th class="span" colspan="2">研发强度(%)</th>' in page
    assert page.count("<tr>") == len(t.header) + len(t.body) + len(t.notes)
    assert "border-top: 1.5pt solid" in page and "border-bottom: 0.75pt solid" in page
    assert "&lt;" in T.table_to_html(T.Table(title="t", header=(("a<b",),), body=(("1",),)))


def test_notes_group_columns_by_convention_and_mention_centring() -> None:
    hc1 = "异方差稳健标准误 HC1: N/(N-K), t(N-K)"  # cov_type text is not shown
    inter = ("alliance_member_c:diff_resource_c", -0.155, 0.184, 0.4)
    results = [
        _fit("rd_intensity", [("alliance_member", 0.8, 0.2, 0.2)]),
        _fit("coop_projects", [("alliance_member", 0.8, 0.2, 0.2)]),
        _fit(
            "coop_projects",
            [("alliance_member", 0.8, 0.2, 0.2), inter],
            cov_type=hc1,
            cluster=(),
            n_clusters=None,
            df_inference=1200.0,
        ),
    ]
    t = T.regression_table(results, labels=LABELS)
    assert t.notes[0].startswith("注：括号内为标准误：第(1)、(2)列为按产业链聚类的稳健标准误；")
    assert "第(3)列为异方差稳健标准误；" in t.notes[0]
    assert "第(3)列为自由度为1200的t分布" in t.notes[0]
    assert ("聚类数", "12", "12", "") in t.body
    assert ("产业链党建联盟成员 × 资源聚合难", "", "", "-0.155") in t.body
    assert any("中心化" in n for n in t.notes)


def test_mixed_specifications_get_a_model_row_and_honest_se_note() -> None:
    """A robustness table names each column's model; a mixed model's SEs are not 'robust'."""
    rows = [("alliance_member", 0.8, 0.1, 0.0001)]
    main = _fit("rd_intensity", rows, label="基准回归", model="baseline")
    mixed = _fit(
        "rd_intensity",
        rows,
        label="随机截距模型",
        model="baseline__mixed",
        estimator="mixedlm",
        cluster=(),
        cov_type="REML, model-based SE",
    )
    table = T.regression_table([main, mixed])
    assert table.header[1] == ("", "基准回归", "随机截距模型")
    assert table.header[-1] == ("变量", "(1)", "(2)")
    assert "第(2)列为随机截距混合模型的模型标准误" in table.notes[0]
    single = T.regression_table([main])
    assert len(single.header) == 2  # one specification: no model row


def test_wide_table_gets_a_landscape_section_and_portrait_resumes() -> None:
    """A 14-column correlation table cannot fit a portrait page without wrapping each cell."""
    from docx import Document
    from docx.enum.section import WD_ORIENT

    wide = T.Table(
        title="相关系数矩阵",
        header=(("变量", *[f"({i})" for i in range(1, 15)]),),
        body=tuple(("产业链党建联盟成员", *["0.472***"] * 14) for _ in range(3)),
    )
    doc = T.new_document()
    doc.add_paragraph("前文")
    T.add_table_to_document(doc, wide)
    doc.add_paragraph("后文")
    buf = io.BytesIO()
    T.write_docx(doc, buf)
    sections = Document(io.BytesIO(buf.getvalue())).sections
    assert [s.orientation for s in sections] == [
        WD_ORIENT.PORTRAIT,
        WD_ORIENT.LANDSCAPE,
        WD_ORIENT.PORTRAIT,
    ]
    assert sections[1].page_width > sections[1].page_height
    # Alone in its own file the table's only section is landscape.
    alone = Document(io.BytesIO(T.docx_bytes(wide))).sections
    assert [s.orientation for s in alone] == [WD_ORIENT.LANDSCAPE]

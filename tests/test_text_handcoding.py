"""Hand-coding loop: stratified sample, the coders' sheet, agreement, candidate terms, gold file.

Expected numbers are worked out by hand in the comments, or come from R (psych 2.2.9,
``psych::cohen.kappa``) and from the PyPI package ``krippendorff`` 0.9.0 (Castro's reference
implementation). irr (``irr::kappa2``, ``irr::kripp.alpha``) is not packaged for Debian 12 and
CRAN is out of reach here, so psych stands in for kappa2 (same unweighted κ) and the
krippendorff package for kripp.alpha(method = "nominal"); both α values of two coders are also
derived by hand. CI has neither R nor the package: the numbers are written into the tests.
"""

from __future__ import annotations

import hashlib
import math
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from chainpb.atomic import write_csv
from chainpb.errors import InputError
from chainpb.labels import CATEGORIES
from chainpb.text.candidates import candidate_terms, distinct_char_ngrams
from chainpb.text.codebook import validate_codebook
from chainpb.text.handcoding_report import (
    gold_table,
    human_agreement,
    human_disagreements,
    machine_agreement,
    machine_disagreements,
    parse_code,
    read_coding_sheet,
    read_returned,
    reference_codes,
)
from chainpb.text.handcoding_sheet import (
    CODE_MEANINGS,
    NOTE_HEADER,
    SHEET_CODEBOOK,
    SHEET_CODING,
    allocate,
    build_workbook,
    draw_sample,
    key_table,
    pool_units,
    sample_id_of,
    write_coding_sheet,
)
from chainpb.text.validation import read_gold


def _codebook():
    """A small valid codebook: the candidate-term test relies on its terms."""
    cats = {}
    for cat, label, terms in [
        ("coverage", "组织覆盖难", ["小微企业", "覆盖难"]),
        ("ideology", "思想引领难", ["认识不足"]),
        ("effectiveness", "作用彰显难", ["两张皮"]),
        ("resource", "资源聚合难", ["资源共享难", "各自为战"]),
    ]:
        cats[cat] = {
            "label": label,
            "label_en": cat.title(),
            "description": f"{label}的说明 / what {cat} means",
            "example": f"{label}的例句。",
            "terms": terms,
        }
    return validate_codebook({"version": "0.0.1", "negation": {"cues": ["不"]}, "categories": cats})


CODEBOOK = _codebook()


# --- sampling ----------------------------------------------------------------------------------


def test_allocation_by_hand():
    # N = 162; proportional shares of 20: a 12.35, b 6.17, c 1.23, d 0.25.
    # c and d fall below their floors (5, and the whole stratum of 2): fixed at 5 and 2.
    # 13 left for a, b (N = 150): a 8.67, b 4.33 < 5 -> b fixed at 5; 8 left for a.
    sizes = {"a": 100, "b": 50, "c": 10, "d": 2}
    assert allocate(sizes, 20, 5) == {"a": 8, "b": 5, "c": 5, "d": 2}


def test_allocation_largest_remainder_and_ties():
    # 10 over three equal strata: 3.33 each -> 3, 3, 3; the one left goes to the first name.
    assert allocate({"x": 10, "y": 10, "z": 10}, 10, 0) == {"x": 4, "y": 3, "z": 3}
    # 7 over sizes 30, 20, 10 (N = 60): 3.5, 2.33, 1.17 -> 3, 2, 1 plus the largest remainder
    # (0.5, x) -> x = 4.
    assert allocate({"x": 30, "y": 20, "z": 10}, 7, 0) == {"x": 4, "y": 2, "z": 1}


def test_allocation_edges():
    # Floors alone (3 x 5 = 15) exceed the sample size of 6: every stratum gets its floor.
    assert allocate({"a": 10, "b": 10, "c": 10}, 6, 5) == {"a": 5, "b": 5, "c": 5}
    # A sample at least as large as the population takes everything.
    assert allocate({"a": 3, "b": 4}, 50, 5) == {"a": 3, "b": 4}


def _units_and_tables():
    """Two cities x two sources; answers of 1 unit, policies of 3 sentences each."""
    units, tables = {}, {}
    for city in ("aa", "bb"):
        answers = [f"{city}回答{i}：党员少。" if i % 3 else f"{city}回答{i}。" for i in range(9)]
        survey = pd.DataFrame(
            {"enterprise_id": [f"{city}{i:02d}" for i in range(9)], "difficulty_text": answers}
        )
        tables[(city, "answers")] = survey
        units[(city, "answers")] = pd.DataFrame(
            {
                "doc_id": survey["enterprise_id"],
                "unit_id": 0,
                "start": 0,
                "end": [len(t) for t in answers],
                "n_tokens": 3,
                "coverage": [int(i % 3 != 0) for i in range(9)],
                "ideology": 0,
                "effectiveness": 0,
                "resource": 0,
                "codebook_hash": "abc",
            }
        )
        doc = "第一句。第二句有两张皮。第三句。"
        tables[(city, "policies")] = pd.DataFrame({"doc_id": [f"{city}-doc"], "text": [doc]})
        units[(city, "policies")] = pd.DataFrame(
            {
                "doc_id": f"{city}-doc",
                "unit_id": [0, 1, 2],
                "start": [0, 4, 12],
                "end": [4, 12, 16],
                "n_tokens": 2,
                "coverage": 0,
                "ideology": 0,
                "effectiveness": [0, 1, 0],
                "resource": 0,
                "codebook_hash": "abc",
            }
        )
    return units, tables


def test_pool_units_text_decision_stratum_and_ids():
    units, tables = _units_and_tables()
    pooled = pool_units(units, tables)
    assert len(pooled) == 2 * (9 + 3)
    row = pooled[(pooled["city_key"] == "bb") & (pooled["source"] == "policies")]
    assert row["text"].tolist() == ["第一句。", "第二句有两张皮。", "第三句。"]
    assert row["decision"].tolist() == ["uncoded", "coded", "uncoded"]
    assert row["stratum"].iloc[1] == "bb|policies|coded"
    expected = "hc-" + hashlib.sha256(b"bb\x1fpolicies\x1fbb-doc\x1f1").hexdigest()[:12]
    assert row["sample_id"].iloc[1] == expected == sample_id_of("bb", "policies", "bb-doc", 1)
    counts = pooled.groupby("stratum").size().to_dict()
    # answers: units 0, 3, 6 have no hit (uncoded), the other six are coded.
    assert counts == {
        "aa|answers|coded": 6,
        "aa|answers|uncoded": 3,
        "aa|policies|coded": 1,
        "aa|policies|uncoded": 2,
        "bb|answers|coded": 6,
        "bb|answers|uncoded": 3,
        "bb|policies|coded": 1,
        "bb|policies|uncoded": 2,
    }


def test_draw_sample_follows_the_allocation_and_the_seed():
    units, tables = _units_and_tables()
    pooled = pool_units(units, tables)
    sample, allocation = draw_sample(pooled, 10, 1, seed=7)
    # N = 24, 10 units, floor 1: shares 2.5 (answers coded), 1.25 (answers uncoded),
    # 0.42 (policies coded, -> 1), 0.83 (policies uncoded, -> 1). With the 4 policy strata fixed
    # at 1, 6 are left for the answer strata (N = 18): 4 and 2 -> coded 2, uncoded 1 per city.
    got = dict(zip(allocation["stratum"], allocation["n_sampled"], strict=True))
    assert got == {
        "aa|answers|coded": 2,
        "aa|answers|uncoded": 1,
        "aa|policies|coded": 1,
        "aa|policies|uncoded": 1,
        "bb|answers|coded": 2,
        "bb|answers|uncoded": 1,
        "bb|policies|coded": 1,
        "bb|policies|uncoded": 1,
    }
    assert sample.groupby("stratum").size().to_dict() == got
    assert sample["sample_id"].is_unique
    again, _ = draw_sample(pooled, 10, 1, seed=7)
    assert again["sample_id"].tolist() == sample["sample_id"].tolist()
    other, _ = draw_sample(pooled, 10, 1, seed=8)
    assert other["sample_id"].tolist() != sample["sample_id"].tolist()
    # Rows are shuffled: not grouped by stratum as drawn.
    assert sample["stratum"].tolist() != sorted(sample["stratum"])


def test_key_table_holds_machine_codes_and_themes():
    units, tables = _units_and_tables()
    units[("aa", "answers")]["theme_coverage"] = 1
    pooled = pool_units(units, tables)
    key = key_table(pooled)
    assert {"machine_coverage", "machine_resource", "stratum", "doc_id", "unit_id"} <= set(key)
    assert key["machine_theme_coverage"].sum() == 9  # aa answers only; others filled with 0


# --- the coders' sheet -------------------------------------------------------------------------


def _sample():
    units, tables = _units_and_tables()
    sample, _ = draw_sample(pool_units(units, tables), 10, 1, seed=7)
    return sample


def test_sheet_layout_hides_the_machine(tmp_path: Path):
    sample = _sample()
    path = tmp_path / "sheet.xlsx"
    write_coding_sheet(path, sample, CODEBOOK, seed=7)
    wb = load_workbook(path)
    assert wb.sheetnames == [SHEET_CODING, SHEET_CODEBOOK]
    ws = wb[SHEET_CODING]
    headers = [c.value for c in ws[1]]
    assert headers == [
        "sample_id",
        "city_key",
        "source",
        "text",
        "组织覆盖难 coverage",
        "思想引领难 ideology",
        "作用彰显难 effectiveness",
        "资源聚合难 resource",
        NOTE_HEADER,
    ]
    assert ws.max_row == len(sample) + 1
    assert [ws.cell(r, 1).value for r in range(2, ws.max_row + 1)] == sample["sample_id"].tolist()
    # Code and note columns are empty; nothing of the machine or the strata appears anywhere.
    for row in ws.iter_rows(min_row=2, min_col=5, max_col=9, values_only=True):
        assert all(v is None for v in row)
    everything = " ".join(
        str(v) for sheet in wb for row in sheet.iter_rows(values_only=True) for v in row if v
    )
    for leak in ("coded", "uncoded", "stratum", "machine", "|answers|", "abc"):
        assert leak not in everything
    assert ws.freeze_panes == "A2"
    assert ws.cell(2, 4).alignment.wrap_text
    assert ws.column_dimensions["D"].width >= 60
    (rule,) = ws.data_validations.dataValidation
    assert rule.type == "list" and rule.formula1 == '"P,R,D"' and rule.allow_blank
    assert str(rule.sqref) == f"E2:H{len(sample) + 1}"
    book = wb[SHEET_CODEBOOK]
    text = [str(v) for row in book.iter_rows(values_only=True) for v in row if v is not None]
    for _code, zh, _en, _d, _a in CODE_MEANINGS:
        assert zh in text
    for cat in CATEGORIES:
        spec = CODEBOOK.category(cat)
        assert spec["label"] in text and spec["description"] in text and spec["example"] in text


def test_sheet_bytes_are_deterministic(tmp_path: Path):
    sample = _sample()
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_coding_sheet(first, sample, CODEBOOK, seed=7)
    write_coding_sheet(second, sample, CODEBOOK, seed=7)
    assert first.read_bytes() == second.read_bytes()
    # What would vary between runs is fixed: the document dates and every zip-entry time
    # (zip times have a 2-second resolution, so equal bytes alone would not prove it).
    with zipfile.ZipFile(first) as zf:
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = zf.read("docProps/core.xml").decode()
    assert core.count("2000-01-01T00:00:00Z") == 2
    assert "dcterms:modified" in core


def _fill(path: Path, out: Path, codes: dict[str, dict[str, str]], note: str = "") -> None:
    """Fill a copy of the sheet as a coder would: codes by sample_id and category."""
    wb = load_workbook(path)
    ws = wb[SHEET_CODING]
    column = {c: 5 + i for i, c in enumerate(CATEGORIES)}
    for r in range(2, ws.max_row + 1):
        sid = ws.cell(r, 1).value
        for cat, code in codes.get(sid, {}).items():
            ws.cell(r, column[cat]).value = code
        if note:
            ws.cell(r, 9).value = note
    wb.save(out)


def test_round_trip_two_coders(tmp_path: Path):
    sample = _sample()
    sheet = tmp_path / "coding_sheet.xlsx"
    write_coding_sheet(sheet, sample, CODEBOOK)
    ids = sample["sample_id"].tolist()
    a = {ids[0]: {"coverage": "P"}, ids[1]: {"resource": "r"}, ids[2]: {"ideology": "Ｄ"}}
    b = {ids[0]: {"coverage": "P", "resource": "R"}, ids[2]: {"ideology": "0"}}
    _fill(sheet, tmp_path / "wang.xlsx", a, note="看不懂")
    _fill(sheet, tmp_path / "li.xlsx", b)
    codings = read_returned([tmp_path / "wang.xlsx", tmp_path / "li.xlsx"], set(ids), CODEBOOK)
    assert list(codings) == ["wang", "li"]
    wang = codings["wang"].set_index("sample_id")
    li = codings["li"].set_index("sample_id")
    assert len(wang) == len(li) == len(ids)
    # Lower case and full-width letters are read as codes; blank and 0 mean "not about it".
    assert wang.loc[ids[0], "coverage"] == "P"
    assert wang.loc[ids[1], "resource"] == "R"
    assert wang.loc[ids[2], "ideology"] == "D"
    assert li.loc[ids[2], "ideology"] == "0"
    assert li.loc[ids[0], "resource"] == "R"
    assert wang.loc[ids[5], list(CATEGORIES)].tolist() == ["0"] * 4
    assert wang["note"].eq("看不懂").all() and li["note"].eq("").all()
    assert wang.loc[ids[0], "row"] == 2


def _sheet_with(tmp_path: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    sheet = tmp_path / "coding_sheet.xlsx"
    write_coding_sheet(sheet, _sample(), CODEBOOK)
    wb = load_workbook(sheet)
    edit(wb[SHEET_CODING])
    out = tmp_path / "coder.xlsx"
    wb.save(out)
    return out


def test_bad_code_names_file_row_and_column(tmp_path: Path):
    path = _sheet_with(tmp_path, lambda ws: setattr(ws.cell(4, 6), "value", "X"))
    with pytest.raises(InputError) as err:
        read_coding_sheet(path, None, CODEBOOK)
    message = str(err.value)
    assert "coder.xlsx" in message and "第 4 行" in message and "row 4" in message
    assert "思想引领难 ideology (F)" in message and "'X'" in message


def test_unknown_and_repeated_sample_ids(tmp_path: Path):
    path = _sheet_with(tmp_path, lambda ws: setattr(ws.cell(3, 1), "value", "hc-nosuchunit"))
    known = set(_sample()["sample_id"])
    with pytest.raises(InputError, match=r"row 3.*hc-nosuchunit"):
        read_coding_sheet(path, known, CODEBOOK)

    def repeat(ws):  # type: ignore[no-untyped-def]
        ws.cell(5, 1).value = ws.cell(2, 1).value

    path = _sheet_with(tmp_path, repeat)
    with pytest.raises(InputError, match=r"row 5.*first on row 2"):
        read_coding_sheet(path, None, CODEBOOK)


def test_missing_column(tmp_path: Path):
    path = _sheet_with(tmp_path, lambda ws: setattr(ws.cell(1, 8), "value", "资源"))
    with pytest.raises(InputError, match="required columns are missing: resource"):
        read_coding_sheet(path, None, CODEBOOK)


def test_parse_code():
    assert [parse_code(v) for v in ("P", " r ", "ｄ", None, "", 0, "0")] == list("PRD0000")
    assert parse_code("1") is None and parse_code(1) is None and parse_code("PR") is None


# --- agreement ---------------------------------------------------------------------------------

A = ["P", "P", "P", "R", "R", "D", "0", "0", "0", "P", "R", "0"]
B = ["P", "P", "R", "R", "D", "D", "0", "0", "P", "0", "R", "0"]
C = ["P", "R", "P", "R", "R", "D", "0", "P", "0", "P", "R", "0"]
A2 = ["0", "0", "P", "0", "0", "0", "R", "0", "0", "0", "0", "P"]
B2 = ["0", "0", "P", "0", "0", "0", "0", "0", "0", "0", "0", "P"]
IDS = [f"u{i:02d}" for i in range(12)]


def _coding(coverage, ideology=None, ids=IDS):  # type: ignore[no-untyped-def]
    frame = pd.DataFrame({"sample_id": ids, "coverage": coverage[: len(ids)]})
    frame["ideology"] = (ideology or ["0"] * 12)[: len(ids)]
    frame["effectiveness"] = "0"
    frame["resource"] = "0"
    return frame


def _row(table, category, a, b=""):  # type: ignore[no-untyped-def]
    hit = table[(table["category"] == category) & (table["coder_a"] == a)]
    if b:
        hit = hit[hit["coder_b"] == b]
    (row,) = hit.itertuples(index=False)
    return row


def test_two_coders_against_r_and_by_hand():
    table = human_agreement({"a": _coding(A, A2), "b": _coding(B, B2)})
    row = _row(table, "coverage", "a", "b")
    assert row.n == 12 and row.n_p_a == 4 and row.n_p_b == 3
    # Difficulty: p_o = 9/12; p_e = (4/12)(3/12) + (8/12)(9/12) = 84/144; κ = 0.4.
    # R: psych::cohen.kappa(cbind(dif(A), dif(B)))$kappa  # [1] 0.4
    assert row.percent_agreement_difficulty == pytest.approx(75.0)
    assert row.kappa_difficulty == pytest.approx(0.4)
    # R: psych::cohen.kappa(cbind(num(A), num(B)))$kappa  # [1] 0.5428571429
    # (num: 0, P, R, D -> 0, 1, 2, 3)
    assert row.percent_agreement_code == pytest.approx(100 * 8 / 12)
    assert row.kappa_code == pytest.approx(0.5428571429)
    # α by hand: 24 values, n_1 = 7, n_0 = 17; 3 disagreeing units = 6 ordered pairs;
    # α = 1 − 23·6 / (2·7·17) = 50/119. krippendorff 0.9.0: 0.4201680672 and, on the 4-way
    # code, 0.5598086124.
    assert row.alpha_difficulty == pytest.approx(50 / 119)
    assert row.alpha_code == pytest.approx(0.5598086124)
    everyone = _row(table, "coverage", "all")
    assert everyone.alpha_difficulty == pytest.approx(50 / 119)
    assert everyone.percent_agreement_code == pytest.approx(100 * 8 / 12)
    assert math.isnan(everyone.kappa_code)
    # ideology: identical difficulty codes (κ = 1); 4-way differ on one R.
    # R: cohen.kappa(cbind(num(A2), num(B2)))$kappa  # [1] 0.76
    ideology = _row(table, "ideology", "a", "b")
    assert ideology.kappa_difficulty == pytest.approx(1.0)
    assert ideology.kappa_code == pytest.approx(0.76)
    # effectiveness: everybody blank everywhere -> κ and α undefined (NaN), agreement 100 %.
    blank = _row(table, "effectiveness", "a", "b")
    assert blank.percent_agreement_code == 100.0
    assert math.isnan(blank.kappa_code) and math.isnan(blank.alpha_code)
    # pooled: the 48 unit×category decisions stacked.
    # R: a <- c(A, A2, Z, Z); b <- c(B, B2, Z, Z); cohen.kappa(cbind(dif(a), dif(b)))$kappa
    #    # [1] 0.6923076923; with num(): 0.7189695550. krippendorff 0.9.0: 0.6951871658 and
    #    0.7215709261.
    pooled = _row(table, "pooled", "a", "b")
    assert pooled.n == 48
    assert pooled.kappa_difficulty == pytest.approx(0.6923076923)
    assert pooled.kappa_code == pytest.approx(0.7189695550)
    assert pooled.alpha_difficulty == pytest.approx(0.6951871658)
    assert pooled.alpha_code == pytest.approx(0.7215709261)


def test_three_coders_against_r_and_krippendorff():
    table = human_agreement({"a": _coding(A), "b": _coding(B), "c": _coding(C)})
    # R (psych 2.2.9): cohen.kappa for each pair, difficulty / 4-way code.
    expected = {
        ("a", "b"): (0.4, 0.5428571429),
        ("a", "c"): (0.625, 0.7669902913),
        ("b", "c"): (0.0, 0.3207547170),
    }
    for (x, y), (kd, kc) in expected.items():
        row = _row(table, "coverage", x, y)
        assert row.kappa_difficulty == pytest.approx(kd, abs=1e-9)
        assert row.kappa_code == pytest.approx(kc)
    # krippendorff 0.9.0, alpha(level_of_measurement="nominal") on the 3 x 12 matrix:
    # 0.3636363636 (difficulty) and 0.5522388060 (4-way code).
    everyone = _row(table, "coverage", "all")
    assert everyone.n == 12
    assert everyone.alpha_difficulty == pytest.approx(0.3636363636)
    assert everyone.alpha_code == pytest.approx(0.5522388060)


def test_three_coders_with_missing_units():
    # Coder c skipped the last two units (deleted their rows): α treats them as missing.
    # krippendorff 0.9.0 with NaN for c on units 11, 12: 0.3478260870 / 0.5274463007.
    c = _coding(C, ids=IDS[:10])
    table = human_agreement({"a": _coding(A), "b": _coding(B), "c": c})
    everyone = _row(table, "coverage", "all")
    assert everyone.alpha_difficulty == pytest.approx(0.3478260870)
    assert everyone.alpha_code == pytest.approx(0.5274463007)
    assert _row(table, "coverage", "a", "c").n == 10
    assert _row(table, "coverage", "a", "b").n == 12


def _units_frame(texts, machine):  # type: ignore[no-untyped-def]
    """Units table as pool_units gives it, for the report functions."""
    frame = pd.DataFrame(
        {
            "sample_id": [f"u{i:02d}" for i in range(len(texts))],
            "city_key": "aa",
            "source": ["answers" if i % 2 == 0 else "policies" for i in range(len(texts))],
            "text": texts,
        }
    )
    for cat in CATEGORIES:
        frame[cat] = [m.get(cat, 0) for m in machine]
    return frame


def test_human_disagreements_and_reference():
    a, b = _coding(A), _coding(B)
    units = _units_frame([f"句子{i}" for i in range(12)], [{}] * 12)
    differ = human_disagreements({"a": a, "b": b}, units)
    # A and B differ on units 3, 5, 9, 10 (P/R, R/D, 0/P, P/0) in coverage only.
    assert differ["sample_id"].tolist() == ["u02", "u04", "u08", "u09"]
    assert differ[["a", "b"]].to_numpy().tolist() == [
        ["P", "R"],
        ["R", "D"],
        ["0", "P"],
        ["P", "0"],
    ]
    assert set(differ["category"]) == {"coverage"}
    reference = reference_codes({"a": a, "b": b})
    assert len(reference) == 8 and set(reference["basis"]) == {"agreed"}
    assert "u02" not in set(reference["sample_id"])
    adjudicated = _coding(["R", "P"], ids=["u02", "u00"])
    reference = reference_codes({"a": a, "b": b}, adjudicated)
    # u02 added from adjudication, u00 overridden (P -> R from the adjudicated sheet).
    assert len(reference) == 9
    ref = reference.set_index("sample_id")
    assert ref.loc["u02", "coverage"] == "R" and ref.loc["u02", "basis"] == "adjudicated"
    assert ref.loc["u00", "coverage"] == "P" and ref.loc["u00", "basis"] == "adjudicated"
    assert ref.loc["u01", "basis"] == "agreed"


def test_machine_against_human_reference():
    # Reference coverage codes: P P R 0 0 0 (units 0-5); machine coverage counts 1 0 1 0 0 0.
    # Difficulty: human 1 1 0 0 0 0, machine 1 0 1 0 0 0 -> tp 1, fn 1, fp 1, tn 3:
    # P = R = F1 = 1/2; κ: p_o = 4/6, p_e = (2/6)^2 + (4/6)^2 = 20/36, κ = (24-20)/(36-20) = 0.25.
    reference = pd.DataFrame(
        {
            "sample_id": [f"u{i:02d}" for i in range(6)],
            "coverage": list("PPR000"),
            "ideology": "0",
            "effectiveness": "0",
            "resource": "0",
            "basis": "agreed",
        }
    )
    units = _units_frame(
        ["覆盖难", "党员流动", "实现全覆盖", "甲", "乙", "丙"],
        [{"coverage": 1}, {}, {"coverage": 2}, {}, {}, {}],
    )
    table = machine_agreement(reference, units)
    row = table[(table["source"] == "all") & (table["category"] == "coverage")].iloc[0]
    assert (row.tp, row.fp, row.fn, row.tn) == (1, 1, 1, 3)
    assert row.precision == pytest.approx(0.5) and row.f1 == pytest.approx(0.5)
    assert row.cohen_kappa == pytest.approx(0.25)
    assert row.reference == "human (agreed)"
    # Per source: answers are units 0, 2, 4 -> human 1 0 0, machine 1 1 0.
    answers = table[(table["source"] == "answers") & (table["category"] == "coverage")].iloc[0]
    assert (answers.tp, answers.fp, answers.fn, answers.tn) == (1, 1, 0, 1)
    assert set(table["comparison"]) == {"difficulty"}  # no theme counts in these units
    # With theme counts: attention = P/R/D vs difficulty-or-theme.
    for cat in CATEGORIES:
        units[f"theme_{cat}"] = 0
    units.loc[1, "theme_coverage"] = 1
    attention = machine_agreement(reference, units)
    att = attention[
        (attention["comparison"] == "attention")
        & (attention["source"] == "all")
        & (attention["category"] == "coverage")
    ].iloc[0]
    assert (att.tp, att.fp, att.fn, att.tn) == (3, 0, 0, 3)
    wrong = machine_disagreements(reference, units)
    assert wrong[["sample_id", "category", "human", "gold", "coded", "machine_hits"]].to_numpy(
        dtype=object
    ).tolist() == [["u01", "coverage", "P", 1, 0, 0], ["u02", "coverage", "R", 0, 1, 2]]


# --- candidate terms ---------------------------------------------------------------------------


def test_char_ngrams_skip_punctuation_and_digits():
    assert distinct_char_ngrams("抱团，取暖2", sizes=(2,)) == {"抱团", "取暖"}
    assert "团，取" not in distinct_char_ngrams("抱团，取暖")


def test_candidate_terms_on_a_known_example():
    texts = [
        "企业之间单打独斗，谁也不管谁。",  # missed (human P resource, machine 0)
        "链上企业还是单打独斗。",  # missed
        "各家单打独斗，信息不通。",  # missed
        "资源共享机制没有建立。",  # hit (human P, machine 1)
        "党建活动开展得很好。",  # other
        "组建了联合党委，谁也不管谁。",  # other
    ]
    machine = [{}, {}, {}, {"resource": 1}, {}, {}]
    units = _units_frame(texts, machine)
    reference = pd.DataFrame(
        {
            "sample_id": units["sample_id"],
            "coverage": "0",
            "ideology": "0",
            "effectiveness": "0",
            "resource": ["P", "P", "P", "P", "0", "0"],
            "basis": "agreed",
        }
    )
    terms = candidate_terms(reference, units, CODEBOOK)
    # 单打独斗 is in all 3 missed units and nowhere else. Its fragments (单打, 打独斗 …) have the
    # same units and score and are dropped; 企业 (2 missed units) is part of the codebook term
    # 小微企业 and dropped; 谁也不管谁 is in 1 missed unit only. So one candidate, with
    # vs hit:   log(3.5/0.5) − log(0.5/1.5) = log 21,
    # vs other: log(3.5/0.5) − log(0.5/2.5) = log 35; score = log 21.
    assert terms["ngram"].tolist() == ["单打独斗"]
    row = terms.iloc[0]
    assert (row.n_missed, row.missed_units, row.n_hit, row.hit_units) == (3, 3, 0, 1)
    assert (row.n_other, row.other_units) == (0, 2)
    assert row.log_odds_vs_hit == pytest.approx(np.log(21))
    assert row.log_odds_vs_other == pytest.approx(np.log(35))
    assert row.score == pytest.approx(np.log(21))
    assert (row.example_1_id, row.example_2_id) == ("u00", "u01")
    assert row.example_1 == texts[0]


def test_candidate_terms_drop_codebook_terms():
    # 各自为战 is a resource term: it never comes back as a candidate, nor do its fragments.
    texts = ["企业各自为战。", "链上各自为战。", "很好。"]
    units = _units_frame(texts, [{}, {}, {}])
    reference = pd.DataFrame(
        {
            "sample_id": units["sample_id"],
            "coverage": "0",
            "ideology": "0",
            "effectiveness": "0",
            "resource": ["P", "P", "0"],
            "basis": "agreed",
        }
    )
    assert candidate_terms(reference, units, CODEBOOK).empty


# --- gold file ---------------------------------------------------------------------------------


def test_gold_table_format(tmp_path: Path):
    reference = pd.DataFrame(
        {
            "sample_id": ["u00", "u01"],
            "coverage": ["P", "0"],
            "ideology": ["0", "R"],
            "effectiveness": ["D", "0"],
            "resource": ["0", "0"],
            "basis": ["agreed", "adjudicated"],
        }
    )
    units = _units_frame(["覆盖难。", "组建了党委。"], [{}, {}])
    gold = gold_table(reference, units)
    assert gold.columns.tolist() == [
        "unit_id",
        "source",
        "city_key",
        "text",
        "coverage",
        "ideology",
        "effectiveness",
        "resource",
        "split",
        "basis",
    ]
    assert gold.to_numpy(dtype=object).tolist() == [
        ["u00", "answers", "aa", "覆盖难。", "P", "0", "D", "0", "dev", "agreed"],
        ["u01", "policies", "aa", "组建了党委。", "0", "R", "0", "0", "dev", "adjudicated"],
    ]
    # The workflow's gold reader takes it as it is (P -> difficulty 1; R, D -> 0).
    path = tmp_path / "gold.csv"
    write_csv(path, gold)
    read = read_gold(path)
    assert read["unit_id"].tolist() == ["u00", "u01"]
    assert read[list(CATEGORIES)].to_numpy().tolist() == [[1, 0, 0, 0], [0, 0, 0, 0]]
    assert read["split"].tolist() == ["dev", "dev"]


def test_build_workbook_with_no_rows_has_no_validation():
    empty = _sample().iloc[0:0]
    wb = build_workbook(empty, CODEBOOK)
    assert wb[SHEET_CODING].max_row == 1
    assert not wb[SHEET_CODING].data_validations.dataValidation

"""Parsing of raw cells into typed values (chainpb.ingest.values) and options from the config."""

from __future__ import annotations

from typing import Any

import pytest

from chainpb.errors import ConfigError
from chainpb.ingest.options import IngestOptions
from chainpb.ingest.spec import VARIABLES
from chainpb.ingest.values import parse_value

OPTIONS = IngestOptions(survey_year=2025)


def value(variable: str, raw: Any) -> Any:
    parsed = parse_value(raw, VARIABLES[variable], OPTIONS)
    assert parsed.ok, parsed.reason_en
    return parsed.value


def problem(variable: str, raw: Any) -> str:
    parsed = parse_value(raw, VARIABLES[variable], OPTIONS)
    assert not parsed.ok, f"{raw!r} should be a problem for {variable}"
    assert parsed.reason_zh and parsed.reason_en
    return parsed.reason_en or ""


@pytest.mark.parametrize(
    ("variable", "raw", "expected"),
    [
        ("rd_intensity", "12.5%", 12.5),  # already in percent
        ("rd_intensity", "12.5％", 12.5),  # full-width percent sign
        ("rd_intensity", 3, 3.0),
        ("employees", "１２", 12),  # full-width digits
        ("employees", "1,200", 1200),
        ("employees", "1,200,000", 1_200_000),
        ("employees", " 35 人", 35),  # documented unit of employees
        ("employees", "35名", 35),
        ("employees", "12.0", 12),
        ("patents", "3项", 3),
        ("founded_year", "2008年", 2008),
        ("founded_year", 2025, 2025),  # the survey year itself is allowed
        ("revenue_growth", "－3.5", -3.5),  # full-width minus
        ("revenue_growth", "-100", -100.0),
        ("employment_growth", "+8", 8.0),
    ],
)
def test_numbers(variable: str, raw: Any, expected: Any) -> None:
    got = value(variable, raw)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize(
    ("variable", "raw", "fragment"),
    [
        ("employees", "约50", "not a number"),
        ("rd_intensity", "12,5", "not a number"),  # decimal comma is ambiguous
        ("employees", "35 元", "not a number"),  # not a unit of employees
        ("employees", "12%", "not a number"),  # % only for percent variables
        ("employees", "12.5", "not a whole number"),
        ("employees", -5, "outside the valid range"),
        ("rd_intensity", "120%", "outside the valid range"),
        ("revenue_growth", "-150", "outside the valid range"),
        ("founded_year", 2030, "outside the valid range"),
        ("founded_year", "1899", "outside the valid range"),
        ("patents", "1.5", "not a whole number"),
    ],
)
def test_number_problems(variable: str, raw: Any, fragment: str) -> None:
    assert fragment in problem(variable, raw)


@pytest.mark.parametrize(
    ("variable", "raw"),
    [
        ("coverage_1", None),
        ("coverage_1", "  "),
        ("coverage_1", "(跳过)"),
        ("coverage_1", "（跳过）"),
        ("rd_intensity", "N/A"),
        ("ownership", "拒答"),
        ("coverage_1", 99),  # missing code outside 1–5
        ("coverage_1", "-3"),
        ("resilience", 999),
        ("rd_intensity", 999),  # outside 0–100
        ("founded_year", "999"),  # outside 1900–2025
        ("has_party_org", -1),
    ],
)
def test_missing(variable: str, raw: Any) -> None:
    assert value(variable, raw) is None


@pytest.mark.parametrize(
    ("variable", "raw", "expected"),
    [
        # A missing code inside the valid range is an answer, not missing.
        ("employees", 99, 99),
        ("revenue_growth", -3, -3.0),
        ("revenue_growth", "-1%", -1.0),
    ],
)
def test_missing_codes_inside_range_are_answers(variable: str, raw: Any, expected: Any) -> None:
    assert value(variable, raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("非常同意", 5),
        ("比较同意", 4),
        ("说不清", 3),
        ("不同意", 2),
        ("非常不同意", 1),
        (" 同意 ", 4),
        ("5", 5),
        (4, 4),
        (4.0, 4),
        ("5 非常同意", 5),
        ("5=非常同意", 5),
        ("１ 非常不同意", 1),
        # SPSS and pandas write whole numbers as "4.0" in CSV exports (issue 10: a whole city
        # was rejected for this); full-width "４.０" too.
        ("4.0", 4),
        ("3.0", 3),
        ("４.０", 4),
        ("5.00", 5),
    ],
)
def test_likert(raw: Any, expected: int) -> None:
    assert value("ideology_2", raw) == expected


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("1 非常同意", "contradicts"),
        ("很好", "not a valid scale answer"),
        # A decimal string is a number now, so the message says why it is not an answer.
        ("3.5", "not a whole number"),
        ("6.0", "outside the valid range"),
        ("4.0 同意", "not a valid scale answer"),
        (3.5, "not a whole number"),
        (6, "outside the valid range"),
        ("0", "outside the valid range"),
    ],
)
def test_likert_problems(raw: Any, fragment: str) -> None:
    assert fragment in problem("ideology_2", raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("是", 1),
        ("否", 0),
        ("有", 1),
        ("没有", 0),
        ("无", 0),
        ("Y", 1),
        ("n", 0),
        (1, 1),
        ("0", 0),
        (1.0, 1),
    ],
)
def test_binary(raw: Any, expected: int) -> None:
    assert value("alliance_member", raw) == expected


@pytest.mark.parametrize("raw", ["2", 2, "也许", "yes"])
def test_binary_problems(raw: Any) -> None:
    assert "not a valid yes/no answer" in problem("chain_leader", raw)


def test_categories() -> None:
    assert value("ownership", " 民营 ") == "民营"
    assert value("alliance_type", "龙头企业带动型") == "龙头企业带动型"
    assert "not an allowed category" in problem("ownership", "私营")
    assert "expected one of: 职能部门牵引型" in problem("alliance_type", "龙头带动")


def test_text_is_normalised_and_masked() -> None:
    raw = "  黨建與業務「兩張皮」，聯系 139-1234-5678  "
    assert value("difficulty_text", raw) == "党建与业务「两张皮」，联系 [手机号]"
    assert value("chain", "集成電路") == "集成电路"
    assert value("enterprise_id", 1001) == "1001"
    assert value("enterprise_id", " A01 ") == "A01"
    assert value("enterprise_id", "Ａ０１") == "A01"  # full-width id = same firm


def test_options_from_config() -> None:
    config = {
        "survey_year": 2024,
        "privacy": {"hash_key_env": "MY_KEY", "hash_key_file": "~/k"},
        "ingest": {
            "likert_labels": {"很不同意": 1, "很同意": 5},
            "binary_labels": {"是": 1, "否": 0},
            "missing_markers": ["跳过"],
            "missing_codes": [-9],
            "categories": {"ownership": ["国有", "民营"]},
        },
        "scales": {
            "coverage": {"items": ["coverage_1"], "reverse": ["coverage_4"]},
            "ideology": {"items": ["ideology_1"], "reverse": []},
        },
    }
    options = IngestOptions.from_config(config)
    assert options.survey_year == 2024
    assert options.reverse_items == ("coverage_4",)
    assert options.missing_codes == (-9.0,)
    assert options.hash_key_env == "MY_KEY" and options.hash_key_file == "~/k"
    assert parse_value("很同意", VARIABLES["coverage_1"], options).value == 5
    assert parse_value(-9, VARIABLES["coverage_1"], options).value is None
    assert not parse_value("外资", VARIABLES["ownership"], options).ok
    assert not parse_value(2025, VARIABLES["founded_year"], options).ok


@pytest.mark.parametrize(
    "config",
    [
        {"survey_year": 2025, "scales": {"coverage": {"reverse": ["employees"]}}},
        {"survey_year": 2025, "ingest": {"likert_labels": {"非常同意": 7}}},
        {"ingest": {}},
    ],
)
def test_options_config_errors(config: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        IngestOptions.from_config(config)

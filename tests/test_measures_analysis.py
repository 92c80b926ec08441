"""The pooled analysis table: exact joins, derived variables, sort order.

All expected values are worked out by hand from the small frames below.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from chainpb.errors import ChainpbError
from chainpb.measures.analysis import (
    build_analysis_table,
    firm_age,
    log_employees,
    policy_wide,
    size_class,
)

CATS = ["coverage", "ideology", "effectiveness", "resource"]
SCALES = {
    "coverage": {"label": "组织覆盖", "items": ["coverage_1", "coverage_2", "coverage_3"]},
}


def _survey() -> pd.DataFrame:
    # Deliberately not in sorted order, to test the sort by (city_key, enterprise_id).
    return pd.DataFrame(
        {
            "enterprise_id": ["e2", "e1", "e3"],
            "city_key": ["wuxi", "suqian", "suqian"],
            "city_name": ["无锡市", "宿迁市", "宿迁市"],
            "raw_row": [2, 2, 3],
            "chain": ["集成电路", "新能源", "新能源"],
            "chain_id": ["wuxi|集成电路", "suqian|新能源", "suqian|新能源"],
            "ownership": ["民营", "国有", "外资"],
            "employees": [0, 299, 1000],
            "founded_year": [2025, 2000, 1990],
            "coverage_1": [5.0, 1.0, 2.0],
            "coverage_2": [4.0, np.nan, 2.0],
            "coverage_3": [3.0, np.nan, 5.0],
        }
    )


def _difficulty(with_city: bool = True) -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "enterprise_id": ["e1", "e2", "e3"],
            "city_key": ["suqian", "wuxi", "suqian"],
            "answer_status": ["coded", "none", "missing"],
            "diff_coverage": [1.0, 0.0, np.nan],
            "diff_resource": [0.0, 0.0, np.nan],
            "n_coverage": [2, 0, 0],
            "n_resource": [0, 0, 0],
        }
    )
    return df if with_city else df.drop(columns="city_key")


def _emphasis() -> pd.DataFrame:
    """policy_themes: attention = base + k/10, difficulty statements = (base + k/10) / 10."""
    rows = []
    for city, base in [("suqian", 1.0), ("wuxi", 2.0), ("suzhou", 3.0)]:
        for measure, scale in [("attention", 1.0), ("difficulty", 0.1)]:
            for k, cat in enumerate(CATS):
                rows.append(
                    {
                        "city_key": city,
                        "measure": measure,
                        "category": cat,
                        "hits": 1,
                        "tokens": 1000,
                        "per_1000_tokens": (base + k / 10) * scale,
                        "share": 0.25,
                    }
                )
    return pd.DataFrame(rows)


def test_table_rows_columns_and_values() -> None:
    t = build_analysis_table(_survey(), _difficulty(), _emphasis(), SCALES, survey_year=2025)
    # One row per survey firm, sorted by city_key then enterprise_id.
    assert list(zip(t["city_key"], t["enterprise_id"], strict=True)) == [
        ("suqian", "e1"),
        ("suqian", "e3"),
        ("wuxi", "e2"),
    ]
    # Scale: e1 has 1 of 3 items -> missing; e3 (2+2+5)/3 = 3; e2 (5+4+3)/3 = 4.
    assert np.isnan(t.loc[0, "scale_coverage"])
    assert t.loc[1, "scale_coverage"] == pytest.approx(3.0)
    assert t.loc[2, "scale_coverage"] == pytest.approx(4.0)
    # Difficulty joined by (city_key, enterprise_id).
    assert t["answer_status"].tolist() == ["coded", "missing", "none"]
    assert t.loc[0, "n_coverage"] == 2
    # Policy attention: suqian base 1.0 (+0.1 per category in CATS order), wuxi 2.0; suzhou
    # unused. Difficulty statements are a tenth of that, in their own columns.
    assert t.loc[0, "attention_coverage"] == pytest.approx(1.0)
    assert t.loc[0, "attention_resource"] == pytest.approx(1.3)
    assert t.loc[2, "attention_ideology"] == pytest.approx(2.1)
    assert t.loc[2, "policy_difficulty_ideology"] == pytest.approx(0.21)
    assert not any(c.startswith("policy_") and c[7:] in CATS for c in t.columns)
    # firm_age = 2025 - founded_year: e1 2000 -> 25, e3 1990 -> 35, e2 2025 -> 0.
    assert t["firm_age"].tolist() == [25.0, 35.0, 0.0]
    # log_employees = ln(1 + employees): 299 -> ln 300, 1000 -> ln 1001, 0 -> 0.
    np.testing.assert_allclose(t["log_employees"], [math.log(300), math.log(1001), 0.0])
    assert t["size_class"].astype(str).tolist() == ["小型", "大型", "微型"]
    # Survey columns are kept as ingested.
    assert t["chain_id"].tolist() == ["suqian|新能源", "suqian|新能源", "wuxi|集成电路"]
    assert t.index.tolist() == [0, 1, 2]


def test_join_without_city_key_in_difficulty() -> None:
    t = build_analysis_table(
        _survey(), _difficulty(with_city=False), _emphasis(), SCALES, survey_year=2025
    )
    assert t["answer_status"].tolist() == ["coded", "missing", "none"]


def test_same_inputs_same_table() -> None:
    a = build_analysis_table(_survey(), _difficulty(), _emphasis(), SCALES, survey_year=2025)
    shuffled = _survey().iloc[[2, 0, 1]]
    b = build_analysis_table(shuffled, _difficulty(), _emphasis(), SCALES, survey_year=2025)
    pd.testing.assert_frame_equal(a, b)


def test_difficulty_row_without_survey_row_is_an_error() -> None:
    extra = pd.concat(
        [_difficulty(), _difficulty().iloc[[0]].assign(enterprise_id="ghost")], ignore_index=True
    )
    with pytest.raises(ChainpbError) as err:
        build_analysis_table(_survey(), extra, _emphasis(), SCALES, survey_year=2025)
    assert "ghost" in str(err.value)
    assert "在调查数据中找不到" in err.value.zh and "without a survey row" in err.value.en


def test_survey_row_without_difficulty_row_is_an_error() -> None:
    with pytest.raises(ChainpbError) as err:
        build_analysis_table(
            _survey(), _difficulty().iloc[:2], _emphasis(), SCALES, survey_year=2025
        )
    assert "e3" in str(err.value) and "answer_status = missing" in err.value.en


def test_duplicated_difficulty_row_is_an_error() -> None:
    dup = pd.concat([_difficulty(), _difficulty().iloc[[0]]], ignore_index=True)
    with pytest.raises(ChainpbError, match="重复"):
        build_analysis_table(_survey(), dup, _emphasis(), SCALES, survey_year=2025)


def test_city_without_policy_texts_keeps_its_firms_with_missing_policy_measures(caplog) -> None:
    # Issue 9: a city may have a survey and no policy texts. Its firms stay; its policy-text
    # measures are missing (never 0, which would claim the texts ignore the theme), and the
    # log names the city.
    emphasis = _emphasis().query("city_key != 'wuxi'")
    with caplog.at_level("WARNING", logger="chainpb.measures.analysis"):
        table = build_analysis_table(_survey(), _difficulty(), emphasis, SCALES, survey_year=2025)
    assert len(table) == len(_survey())
    wuxi = table[table["city_key"] == "wuxi"]
    assert len(wuxi) > 0 and wuxi["attention_coverage"].isna().all()
    assert table.loc[table["city_key"] != "wuxi", "attention_coverage"].notna().all()
    assert "wuxi" in caplog.text and "no policy texts" in caplog.text


def test_city_missing_one_category_is_an_error() -> None:
    emphasis = _emphasis().query(
        "not (city_key == 'wuxi' and category == 'resource' and measure == 'attention')"
    )
    with pytest.raises(ChainpbError, match="wuxi/attention_resource"):
        policy_wide(emphasis)


def test_size_class_bounds() -> None:
    # 大中小微型企业划分办法 (industry, employees only): 微型 <20, 小型 20-299, 中型 300-999, 大型 >=1000
    emp = pd.Series([0, 19, 20, 299, 300, 999, 1000, 50000, np.nan])
    got = size_class(emp)
    assert got.astype(str).tolist()[:8] == [
        "微型",
        "微型",
        "小型",
        "小型",
        "中型",
        "中型",
        "大型",
        "大型",
    ]
    assert pd.isna(got.iloc[8])
    assert got.cat.ordered and list(got.cat.categories) == ["微型", "小型", "中型", "大型"]
    # Nullable integers, as read back from Parquet.
    nullable = size_class(pd.Series([5, None, 300], dtype="Int64"))
    assert [nullable.iloc[0], nullable.iloc[2]] == ["微型", "中型"]
    assert pd.isna(nullable.iloc[1])


def test_firm_age_and_log_employees() -> None:
    assert firm_age(pd.Series([2020, np.nan]), 2025).iloc[0] == 5.0
    assert np.isnan(firm_age(pd.Series([2020, np.nan]), 2025).iloc[1])
    with pytest.raises(ChainpbError, match="晚于调查年份"):
        firm_age(pd.Series([2026]), 2025)
    # ln(1 + 9) = ln 10 = 2.302585...
    assert log_employees(pd.Series([9])).iloc[0] == pytest.approx(2.302585093, abs=1e-9)
    with pytest.raises(ChainpbError):
        log_employees(pd.Series([-1]))

"""Derived variables of config ``derive:`` (chainpb.measures.derive).

Every expected value below is worked out by hand from the five-row table of :func:`table`
(the arithmetic is in the comment beside it); logarithms and roots are the standard constants
(ln 2 = 0.6931471805599453 …). Quantiles follow R ``quantile(type = 7)``:
h = (n − 1)·p, q = x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋ + 1] − x[⌊h⌋]) on the sorted present values.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_config import minimal  # the smallest valid config, one source for the tests

from chainpb.config import check_config, load_yaml
from chainpb.errors import ConfigError
from chainpb.labels import labels_with_derived, variable_label
from chainpb.measures.derive import FUNCTIONS, apply_derive, derive_summary, parse_derive
from chainpb.measures.descriptives import describe
from chainpb.models.design import winsorize
from chainpb.models.spec import model_jobs, validate_job

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = load_yaml(ROOT / "workflow" / "schemas" / "config.schema.yaml")
NA = np.nan


def table() -> pd.DataFrame:
    """Five firms in two cities, with the dtypes ingest writes (Int64, boolean, str, category)."""
    return pd.DataFrame(
        {
            "city_key": pd.Series(["a", "a", "a", "b", "b"], dtype="str"),
            "raw_row": [2, 3, 4, 2, 3],
            "x": [1.0, 2.0, 4.0, NA, 8.0],
            "coop": pd.array([0, 3, None, 1, 7], dtype="Int64"),
            "flag": pd.array([True, False, True, None, False], dtype="boolean"),
            "s1": [1.0, 2.0, 3.0, 4.0, 5.0],
            "s2": [3.0, NA, 3.0, 5.0, 1.0],
            "s3": [2.0, 2.0, NA, NA, 3.0],
            "scale_ideology": [3.0, 3.5, 4.0, 2.0, 1.0],
            "ownership": pd.Series(["民营", "国有", None, "民营", "外资"], dtype="str"),
            "size_class": pd.Categorical(["微型", "大型", "小型", None, "微型"]),
        }
    )


def derive_one(expr: str, data: pd.DataFrame | None = None) -> np.ndarray:
    out = apply_derive(table() if data is None else data, {"v": {"expr": expr}})
    assert out["v"].dtype == "float64"
    return out["v"].to_numpy()


def same(got: np.ndarray, expected: list[float]) -> None:
    np.testing.assert_allclose(got, np.array(expected, dtype=float), rtol=1e-12, equal_nan=True)


# --- operators ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("x + 1", [2, 3, 5, NA, 9]),
        ("x - 1", [0, 1, 3, NA, 7]),
        ("x * 2", [2, 4, 8, NA, 16]),
        ("x / 2", [0.5, 1, 2, NA, 4]),
        ("x ** 2", [1, 4, 16, NA, 64]),
        ("2 ** x", [2, 4, 16, NA, 256]),
        ("-x", [-1, -2, -4, NA, -8]),
        ("+x", [1, 2, 4, NA, 8]),
        ("(x + 1) * (s1 - 1)", [0, 3, 10, NA, 36]),  # (1+1)(1-1), (2+1)(2-1), 5·2, –, 9·4
        ("coop + 0", [0, 3, NA, 1, 7]),  # nullable Int64 <NA> → missing
        ("flag + 0", [1, 0, 1, NA, 0]),  # nullable boolean → 0/1, <NA> → missing
        ("s2 + s3", [5, NA, NA, NA, 4]),  # missing in either operand → missing
    ],
)
def test_arithmetic(expr: str, expected: list[float]) -> None:
    same(derive_one(expr), expected)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("x > 2", [0, 0, 1, NA, 1]),
        ("x >= 2", [0, 1, 1, NA, 1]),
        ("x < 2", [1, 0, 0, NA, 0]),
        ("x <= 2", [1, 1, 0, NA, 0]),
        ("x == 2", [0, 1, 0, NA, 0]),
        ("x != 2", [1, 0, 1, NA, 1]),
        ("1 < x <= 4", [0, 1, 1, NA, 0]),  # a chain is the `and` of its pairs
        ("s2 > s3", [1, NA, NA, NA, 0]),  # 3 > 2, –, –, –, 1 > 3
    ],
)
def test_comparisons_give_indicators_and_keep_missing(expr: str, expected: list[float]) -> None:
    same(derive_one(expr), expected)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("ownership == '民营'", [1, 0, NA, 1, 0]),
        ("'民营' == ownership", [1, 0, NA, 1, 0]),
        ("ownership != '民营'", [0, 1, NA, 0, 1]),
        ("size_class == '微型'", [1, 0, 0, NA, 1]),  # categorical column, missing row 4
    ],
)
def test_text_comparison_indicator(expr: str, expected: list[float]) -> None:
    same(derive_one(expr), expected)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        # x > 1: [0, 1, 1, –, 1]; coop > 0: [0, 1, –, 1, 1]
        ("x > 1 and coop > 0", [0, 1, NA, NA, 1]),
        ("x > 1 or coop > 0", [0, 1, NA, NA, 1]),
        ("x > 1 or s1 > 2", [0, 1, 1, NA, 1]),  # s1 > 2: [0, 0, 1, 1, 1]
        ("not x > 1", [1, 0, 0, NA, 0]),
        ("not flag", [0, 1, 0, NA, 1]),
        ("ownership == '民营' and s1 >= 4", [0, 0, NA, 1, 0]),
    ],
)
def test_and_or_not_on_indicators(expr: str, expected: list[float]) -> None:
    same(derive_one(expr), expected)


# --- functions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        # ln 1, ln 2, ln 4, –, ln 8
        ("log(x)", [0.0, 0.6931471805599453, 1.3862943611198906, NA, 2.0794415416798357]),
        # coop = 0, 3, –, 1, 7 → ln 1, ln 4, –, ln 2, ln 8
        ("log1p(coop)", [0.0, 1.3862943611198906, NA, 0.6931471805599453, 2.0794415416798357]),
        # e^1, e^2, e^4, –, e^8
        (
            "exp(x)",
            [2.718281828459045, 7.38905609893065, 54.598150033144236, NA, 2980.9579870417283],
        ),
        # √1, √2, √4, –, √8
        ("sqrt(x)", [1.0, 1.4142135623730951, 2.0, NA, 2.8284271247461903]),
        ("abs(x - 3)", [2, 1, 1, NA, 5]),
        ("isna(x)", [0, 0, 0, 1, 0]),
        ("isna(ownership)", [0, 0, 1, 0, 0]),
        ("isna(s2 + s3)", [0, 1, 1, 1, 0]),
    ],
)
def test_elementwise_functions(expr: str, expected: list[float]) -> None:
    same(derive_one(expr), expected)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        # rows (s1, s2, s3): (1,3,2) (2,–,2) (3,3,–) (4,5,–) (5,1,3)
        ("mean(s1, s2, s3)", [2, NA, NA, NA, 3]),  # default: all required; 6/3, 9/3
        ("mean(s1, s2, s3, min_valid=3)", [2, NA, NA, NA, 3]),
        ("mean(s1, s2, s3, min_valid=2)", [2, 2, 3, 4.5, 3]),  # 4/2, 6/2, 9/2
        ("mean(s2, s3, min_valid=1)", [2.5, 2, 3, 5, 2]),
        ("mean(s1, s2, s3) - 3", [-1, NA, NA, NA, 0]),
        ("sum(s1, s2, s3)", [6, NA, NA, NA, 9]),
        ("min(s1, s2, s3)", [1, NA, NA, NA, 1]),
        ("max(s1, s2, s3)", [3, NA, NA, NA, 5]),
        ("max(s1, 3)", [3, 3, 3, 4, 5]),
        ("ifelse(x > 2, x, 0)", [0, 0, 4, NA, 8]),
        # condition missing in row 3 → missing; row 4: ownership 民营 but x missing → missing
        ("ifelse(ownership == '民营', x, -1)", [1, -1, NA, NA, -1]),
    ],
)
def test_row_functions_and_ifelse(expr: str, expected: list[float]) -> None:
    same(derive_one(expr), expected)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        # groups by city_key: a = rows 1–3 (x 1, 2, 4), b = rows 4–5 (x –, 8)
        ("group_max(x, by=city_key)", [4, 4, 4, 8, 8]),
        ("group_min(x, by=city_key)", [1, 1, 1, 8, 8]),
        ("group_mean(x, by=city_key)", [7 / 3, 7 / 3, 7 / 3, 8, 8]),  # (1+2+4)/3; 8/1
        ("group_sum(x, by=city_key)", [7, 7, 7, 8, 8]),
        # an indicator: city a has a firm with x ≥ 4, city b too (8)
        ("group_max(x >= 4, by=city_key)", [1, 1, 1, 1, 1]),
        ("group_max(x > 5, by=city_key)", [0, 0, 0, 1, 1]),
        # the leave-one-out mean of the others in the group: (7 − x)/2 in a
        ("(group_sum(x, by=city_key) - x) / 2", [3, 2.5, 1.5, NA, 0]),
        # a text group column; the row whose ownership is missing gets a missing value
        ("group_max(s1, by=ownership)", [4, 2, NA, 4, 5]),
        # a group with no present value: missing (s3 is missing in rows 3, 4)
        ("group_sum(s3, by=s1)", [2, 2, NA, NA, 3]),
    ],
)
def test_group_functions(expr: str, expected: list[float]) -> None:
    same(derive_one(expr), expected)


@pytest.mark.parametrize(
    ("expr", "what"),
    [
        ("group_max(x)", "needs by="),
        ("group_max(x, by='city_key')", "must name a column"),
        ("group_max(x, by=chain)", "not a column of the analysis table"),
    ],
)
def test_group_function_errors(expr: str, what: str) -> None:
    assert what in error_of(expr).en


def test_standardize_uses_pooled_mean_and_sd_ddof1() -> None:
    # x present: 1, 2, 4, 8 → mean 15/4 = 3.75; deviations −2.75, −1.75, 0.25, 4.25; squares
    # 7.5625 + 3.0625 + 0.0625 + 18.0625 = 28.75; sd = √(28.75 / 3) = √(115/12) (ddof = 1)
    sd = math.sqrt(115 / 12)
    same(derive_one("standardize(x)"), [-2.75 / sd, -1.75 / sd, 0.25 / sd, NA, 4.25 / sd])


def test_winsorize_uses_pooled_type7_quantiles_like_the_models() -> None:
    # x present sorted 1, 2, 4, 8 (n = 4). p = 0.25: h = 0.75 → 1 + 0.75·(2 − 1) = 1.75;
    # p = 0.75: h = 2.25 → 4 + 0.25·(8 − 4) = 5 (R quantile(c(1,2,4,8), c(.25,.75)) = 1.75, 5)
    got = derive_one("winsorize(x, 0.25, 0.75)")
    same(got, [1.75, 2, 4, NA, 5])
    # … and the models' own function on the same present values agrees
    clipped, bounds = winsorize(pd.Series([1.0, 2.0, 4.0, 8.0]), 0.25, 0.75)
    assert bounds == (1.75, 5.0)
    same(got[~np.isnan(got)], clipped.tolist())


def test_chained_derived_variables_in_config_order() -> None:
    derive = {
        "double_x": {"expr": "x * 2"},
        "double_x_plus": {"expr": "double_x + 1"},  # 2x + 1
        "pb": {"expr": "mean(s1, s2, s3, min_valid=2) - 3"},
        "pb_high": {"expr": "pb > 0 and double_x_plus > 4"},  # pb: −1, −1, 0, 1.5, 0
    }
    original = table()
    out = apply_derive(original, derive)
    assert list(out.columns) == [*original.columns, *derive]
    assert list(original.columns) == list(table().columns)  # the input is not changed
    same(out["double_x_plus"].to_numpy(), [3, 5, 9, NA, 17])
    same(out["pb"].to_numpy(), [-1, -1, 0, 1.5, 0])
    same(out["pb_high"].to_numpy(), [0, 0, 0, NA, 0])
    assert (out.dtypes[list(derive)] == "float64").all()
    summary = derive_summary(out, derive)
    # double_x_plus: 4 present (3, 5, 9, 17), mean 34/4 = 8.5
    row = summary.set_index("variable").loc["double_x_plus"]
    assert (row["n"], row["missing"], row["mean"]) == (4, 1, 8.5)


def test_empty_derive_leaves_the_table_alone() -> None:
    original = table()
    assert apply_derive(original, {}) is original
    assert apply_derive(original, None) is original


# --- errors ---------------------------------------------------------------------------------


def error_of(expr: str, data: pd.DataFrame | None = None, name: str = "v") -> ConfigError:
    with pytest.raises(ConfigError) as err:
        apply_derive(table() if data is None else data, {name: {"expr": expr}})
    # every message names the derive key and the expression, in both languages
    assert f"derive.{name}" in err.value.zh and f"derive.{name}" in err.value.en
    assert expr.strip() in err.value.zh and expr.strip() in err.value.en
    return err.value


def test_unknown_name_suggests_the_closest_columns() -> None:
    err = error_of("scale_ideolgy + 1")
    assert "最接近的列：scale_ideology" in err.zh
    assert "closest columns: scale_ideology" in err.en


def test_unknown_function_lists_the_function_table() -> None:
    err = error_of("lg(x)")
    assert "未知函数「lg」" in err.zh and "log" in err.zh
    assert "unknown function 'lg' (did you mean log" in err.en


@pytest.mark.parametrize(
    ("expr", "what"),
    [
        ("__import__('os')", "unknown function '__import__'"),
        ("__import__('os').system('true')", "attribute access"),
        ("x.__class__", "attribute access"),
        ("open('/etc/passwd')", "unknown function 'open'"),
        ("eval('1')", "unknown function 'eval'"),
        ("x[0]", "subscript"),
        ("lambda: x", "lambda"),
        ("(lambda: 1)()", "a lambda is not allowed"),
        ("(1)(x)", "can be called, by name"),
        ("[v for v in x]", "comprehension"),
        ("sum(v for v in x)", "generator expression"),
        ("x if s1 else 0", "ifelse(c, a, b)"),
        ("x % 2", "modulo"),
        ("x > 1 & s1 > 1", "use 'and'"),
        ("ownership in ['民营', '国有']", "'in'"),
        ("x is None", "isna"),
        ("True + x", "constant True"),
        ("'a' + x", "quoted text may only be compared"),
        ("(y := x)", "assignment expression"),
        ("f'{x}' == 'a'", "f-string"),
        ("log(x, 2)", "takes 1 argument(s), got 2"),
        ("mean(s1, s2, n=2)", "no keyword 'n'"),
        ("mean(s1, s2, min_valid=3)", "min_valid must be a whole number from 1 to 2"),
        ("mean(s1, s2, min_valid=1.5)", "min_valid must be a whole number"),
        ("winsorize(x, 0.99, 0.01)", "0 <= low < high <= 1"),
        ("winsorize(x, s1, 0.9)", "0 <= low < high <= 1"),
        ("x +", "not a valid expression"),
    ],
)
def test_refused_syntax_is_a_config_error(expr: str, what: str) -> None:
    assert what in error_of(expr).en


def test_grammar_is_checked_without_data() -> None:
    # the workflow calls parse_derive when it reads the config, before any job runs
    with pytest.raises(ConfigError, match="attribute access"):
        parse_derive({"v": {"expr": "x.__class__"}})
    with pytest.raises(ConfigError, match="must be"):
        parse_derive({"v": {"label": "没有表达式"}})
    parsed = parse_derive({"a": {"expr": "x", "label": "甲", "label_en": "A"}})
    assert (parsed[0].name, parsed[0].label, parsed[0].label_en) == ("a", "甲", "A")


def test_forward_and_self_references_are_errors() -> None:
    with pytest.raises(ConfigError) as err:
        apply_derive(table(), {"a": {"expr": "b + 1"}, "b": {"expr": "x"}})
    assert "derive.a" in err.value.en and "defined after 'a'" in err.value.en
    assert "move b above a" in err.value.en and "定义在「a」之后" in err.value.zh
    assert "refer to itself" in error_of("v + 1").en


def test_name_clash_with_an_analysis_column_is_an_error() -> None:
    with pytest.raises(ConfigError) as err:
        apply_derive(table(), {"s1": {"expr": "s2 * 2"}})
    assert "s1" in err.value.zh and "already exist as columns" in err.value.en


def test_log_of_zero_counts_rows_names_an_example_and_suggests_log1p() -> None:
    # coop = 0 only in row a:2 (city a, raw-file row 2)
    err = error_of("log(coop)")
    assert "共 1 行" in err.zh and "a:2" in err.zh and "log1p" in err.zh
    assert "in 1 row(s)" in err.en and "a:2" in err.en and "log1p" in err.en


@pytest.mark.parametrize(
    ("expr", "what"),
    [
        ("log(x - 2)", "log of a value <= 0 is undefined; for counts with zeros use log1p"),
        ("log1p(-x)", "log1p of a value <= -1"),
        ("sqrt(x - 3)", "sqrt of a negative value in 2 row(s)"),  # x = 1, 2
        ("s1 / (x - 2)", "division by zero in 1 row(s) (e.g. city:raw-file row a:3)"),
        ("exp(x * 1000)", "infinite or undefined"),
        ("(x - 3) ** 0.5", "infinite or undefined"),
        ("standardize(s1 * 0)", "at least 2 present values that are not all equal"),
        ("x + ownership", "text (categorical) column"),
        ("ownership", "gives text"),
        ("ownership == 3", "text can only be compared with a text column"),
        ("ownership > '民营'", "compared with == or !="),
        ("1 + 2", "uses no variable"),
        ("x and s1 > 1", "needs an indicator (0/1"),
        ("ifelse(x, 1, 0)", "needs an indicator (0/1"),
    ],
)
def test_value_errors(expr: str, what: str) -> None:
    assert what in error_of(expr).en


def test_function_table_is_documented() -> None:
    readme = (ROOT / "config" / "README.md").read_text(encoding="utf-8")
    section = readme.split("## `derive`", 1)[1].split("\n## ", 1)[0]
    for name in FUNCTIONS:
        assert f"`{name}(" in section, name


# --- labels, descriptives, models and the schema --------------------------------------------


def test_labels_of_derived_variables_reach_tables() -> None:
    derive = {
        "pb": {"expr": "mean(s1, s2)", "label": "党建指数", "label_en": "PB index"},
        "unlabelled": {"expr": "x + 1"},
    }
    labels = labels_with_derived({"x": {"zh": "甲", "en": "X"}}, derive)
    assert variable_label("pb", labels, "zh") == "党建指数"
    assert variable_label("pb", labels, "en") == "PB index"
    assert variable_label("unlabelled", labels, "en") == "unlabelled"
    assert variable_label("x", labels, "en") == "X"
    out = apply_derive(table(), derive)
    desc = describe(out, ["pb"], labels, "en").iloc[0]
    # pb = mean(s1, s2), both required: (1+3)/2 = 2, –, (3+3)/2 = 3, (4+5)/2 = 4.5, (5+1)/2 = 3
    # → n 4, mean 12.5/4 = 3.125
    assert (desc["label"], desc["n"], desc["mean"]) == ("PB index", 4, 3.125)


def test_a_derived_label_in_labels_too_is_an_error() -> None:
    with pytest.raises(ConfigError, match="both labels and derive"):
        labels_with_derived({"pb": {"zh": "甲"}}, {"pb": {"expr": "x", "label": "乙"}})


def test_schema_accepts_derive_entries_and_defaults_to_empty(tmp_path: Path) -> None:
    assert check_config(minimal(tmp_path), SCHEMA, tmp_path)["derive"] == {}
    cfg = minimal(tmp_path)
    cfg["derive"] = {
        "log_x": {"expr": "log1p(x)", "label": "甲(对数)", "label_en": "X (log)"},
        "z2": {"expr": "standardize(x)"},
    }
    assert list(check_config(cfg, SCHEMA, tmp_path)["derive"]) == ["log_x", "z2"]


@pytest.mark.parametrize(
    ("entry", "where"),
    [
        ({"label": "无表达式"}, "lacks required key(s) ['expr']"),
        ({"expr": "x", "lable": "拼错"}, "unknown key(s) ['lable']"),
        ({"expr": 3}, "wrong type"),
        ({"expr": ""}, "derive.bad_one"),
    ],
)
def test_schema_refuses_bad_derive_entries(tmp_path: Path, entry: dict, where: str) -> None:
    cfg = minimal(tmp_path)
    cfg["derive"] = {"bad_one": entry}
    with pytest.raises(ConfigError) as err:
        check_config(cfg, SCHEMA, tmp_path)
    assert where in err.value.en


@pytest.mark.parametrize("name", ["LogX", "1x", "log-x", "对数"])
def test_schema_refuses_bad_derive_names(tmp_path: Path, name: str) -> None:
    cfg = minimal(tmp_path)
    cfg["derive"] = {name: {"expr": "x"}}
    with pytest.raises(ConfigError, match=r"\[a-z\]\[a-z0-9_\]\*"):
        check_config(cfg, SCHEMA, tmp_path)


def test_shipped_derive_block_feeds_one_model() -> None:
    cfg = check_config(copy.deepcopy(load_yaml(ROOT / "config" / "config.yaml")), SCHEMA, ROOT)
    derive = cfg["derive"]
    assert [v.name for v in parse_derive(derive)] == [
        "log_coop_projects",
        "pb_index",
        "chain_has_leader",
        "type_leading_firm",
        "type_local_committee",
        "type_association",
    ]
    labels = labels_with_derived(cfg["labels"], derive)
    assert variable_label("pb_index", labels, "zh") == "产业链党建指数"
    jobs = {job.key: job for job in model_jobs(cfg["models"])}
    job = jobs["moderation__log_coop_projects"]
    # the model spec takes a derived name like any column: validate_job checks the data only
    rows = 4
    data = pd.DataFrame(
        {v: np.arange(rows, dtype=float) for v in job.variables if v != job.outcome}
    )
    data["ownership"] = ["国有", "民营", "国有", "民营"]
    data["alliance_type"] = ["龙头企业带动型", None, "行业协会串联型", "职能部门牵引型"]
    data["coop_projects"] = [0.0, 1.0, 3.0, 7.0]
    for dim in ("coverage", "ideology", "effectiveness", "resource"):
        data[f"scale_{dim}"] = [3.0, 4.0, 2.0, 5.0]
    data = apply_derive(data, derive)
    validate_job(data, job)
    # log1p of 0, 1, 3, 7 = ln 1, ln 2, ln 4, ln 8; pb_index = 3 − 3, 4 − 3, 2 − 3, 5 − 3
    same(
        data["log_coop_projects"].to_numpy(),
        [0.0, 0.6931471805599453, 1.3862943611198906, 2.0794415416798357],
    )
    same(data["pb_index"].to_numpy(), [0, 1, -1, 2])
    # one firm per chain here: the chain's maximum is the firm's own value
    same(data["chain_has_leader"].to_numpy(), data["chain_leader"].to_numpy())
    # type dummies against 职能部门牵引型; a non-member (no type) is missing
    same(data["type_leading_firm"].to_numpy(), [1, NA, 0, 0])
    same(data["type_association"].to_numpy(), [0, NA, 1, 0])

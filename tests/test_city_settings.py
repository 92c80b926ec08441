"""Per-city harmonisation (issue 9): a city's own labels, value maps, reverse-coded items and
scale items; cities without a survey or without policy texts; the pre-model check."""

from __future__ import annotations

import copy
import csv
from pathlib import Path

import pandas as pd
import pytest

from chainpb import check
from chainpb.config import check_config, city_settings, load_yaml
from chainpb.errors import ChainpbError, ConfigError
from chainpb.ingest import IngestOptions, ingest_city_survey
from chainpb.ingest.policies import POLICY_COLUMNS, no_policies, read_policy_folder
from chainpb.ingest.spec import REJECT_COLUMNS, SURVEY_COLUMNS
from chainpb.ingest.survey import no_survey, survey_report
from chainpb.models import model_jobs

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = load_yaml(ROOT / "workflow" / "schemas" / "config.schema.yaml")
KEY = b"k" * 32


def _config() -> dict:
    return {
        "survey_year": 2025,
        "ingest": {
            "likert_labels": {"同意": 4, "不同意": 2},
            "binary_labels": {"是": 1, "否": 0},
            "missing_markers": ["(跳过)"],
            "missing_codes": [99],
            "categories": {"ownership": ["国有", "民营", "外资", "混合所有制"]},
            "value_maps": {"ownership": {"国企": "国有"}},
        },
        "scales": {
            "ideology": {
                "items": ["ideology_1", "ideology_2", "ideology_3"],
                "reverse": ["ideology_3"],
            },
            "coverage": {
                "items": ["coverage_1", "coverage_2", "coverage_4"],
                "reverse": ["coverage_4"],
            },
        },
        "cities": {
            "old": {"name": "旧市", "survey": "a.csv", "column_map": {"a": "enterprise_id"}},
            "new": {
                "name": "新市",
                "survey": "b.csv",
                "column_map": {"b": "enterprise_id"},
                "ingest": {
                    "likert_labels": {"比较符合": 4, "同意": 5},
                    "missing_markers": ["未填", "(跳过)"],
                    "value_maps": {"ownership": {"民营企业": "民营"}},
                },
                "scales": {"ideology": {"items": ["ideology_1", "ideology_2", "ideology_3"]}},
            },
        },
    }


def test_city_settings_lay_the_city_block_over_the_global_one():
    cfg = _config()
    old, new = city_settings(cfg, "old"), city_settings(cfg, "new")
    assert old["ingest"] == cfg["ingest"] and old["scales"] == cfg["scales"]
    # maps merge, the city wins a clash (同意 → 5 here); lists extend without repeats
    assert new["ingest"]["likert_labels"] == {"同意": 5, "不同意": 2, "比较符合": 4}
    assert new["ingest"]["missing_markers"] == ["(跳过)", "未填"]
    assert new["ingest"]["missing_codes"] == [99]
    assert new["ingest"]["value_maps"] == {"ownership": {"国企": "国有", "民营企业": "民营"}}
    # items given without reverse: none reversed in this city; other scales stay global
    assert new["scales"]["ideology"]["reverse"] == []
    assert new["scales"]["coverage"] == cfg["scales"]["coverage"]
    assert cfg["cities"]["new"]["scales"]["ideology"] == {
        "items": ["ideology_1", "ideology_2", "ideology_3"]
    }  # the config itself is not changed


def _options(cfg: dict, city: str) -> IngestOptions:
    settings = city_settings(cfg, city)
    return IngestOptions.from_config({**cfg, **settings})


def test_value_maps_must_name_a_category_and_map_onto_one():
    cfg = _config()
    cfg["ingest"]["value_maps"] = {"employees": {"几十": "50"}}
    with pytest.raises(ConfigError, match=r"value_maps\.employees") as err:
        _options(cfg, "old")
    assert "不是分类变量" in err.value.zh
    cfg["ingest"]["value_maps"] = {"ownership": {"私营": "私营企业"}}
    with pytest.raises(ConfigError, match="私营企业"):
        _options(cfg, "old")


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


HEADER = ["编号", "产业链", "性质", "思想1", "思想2", "思想3"]
COLUMN_MAP = {
    "编号": "enterprise_id",
    "产业链": "chain",
    "性质": "ownership",
    "思想1": "ideology_1",
    "思想2": "ideology_2",
    "思想3": "ideology_3",
}
ROWS = [
    ["E1", "光伏", "民营企业", "比较符合", "2", "1"],
    ["E2", "光伏", "国企", "同意", "未填", "4"],
    ["E3", "纺织", "私营", "3", "3", "3"],
    ["E4", "纺织", "国企", "同意", "2", "2"],
]


def test_a_city_ingests_with_its_own_labels_maps_and_reverse_items(tmp_path):
    cfg = _config()
    path = _write(tmp_path / "b.csv", HEADER, ROWS)
    new = ingest_city_survey(path, "new", "新市", COLUMN_MAP, _options(cfg, "new"), KEY)
    # By hand: E1 民营企业 → 民营, 比较符合 → 4, ideology_3 = 1 kept (not reversed in this city);
    # E2 国企 → 国有 (global map), 同意 → 5 (the city's label wins), 未填 → missing, 4 kept;
    # E3 私营 is in no map: quarantined with a hint at value_maps.
    # E4 国企 → 国有, 同意 → 5, ideology_3 = 2 kept.
    acc = new.accepted.set_index("raw_row")
    assert acc["ownership"].to_dict() == {2: "民营", 3: "国有", 5: "国有"}
    assert acc["ideology_1"].tolist() == [4, 5, 5]
    assert acc["ideology_2"].isna().tolist() == [False, True, False]
    assert acc["ideology_3"].tolist() == [1, 4, 2]
    assert new.rejects["raw_row"].tolist() == [4]
    assert "value_maps.ownership" in new.rejects["reason_zh"].iloc[0]
    # The other city knows neither 比较符合, 民营企业 nor the marker 未填 (rows 2, 3 and 4 are
    # quarantined) and reverses ideology_3: E4's 2 becomes 6 − 2 = 4; 同意 is 4 there.
    old = ingest_city_survey(path, "old", "旧市", COLUMN_MAP, _options(cfg, "old"), KEY)
    assert old.accepted.set_index("raw_row")[["ideology_1", "ideology_3"]].to_dict("index") == {
        5: {"ideology_1": 4, "ideology_3": 4}
    }
    assert sorted(set(old.rejects["raw_row"])) == [2, 3, 4]
    report = survey_report(new)
    assert (report["n_raw"], report["n_accepted"], report["n_rejected"]) == (4, 3, 1)


def _schema_ok(cfg: dict, tmp_path: Path) -> dict:
    (tmp_path / "data").mkdir(exist_ok=True)
    return check_config(copy.deepcopy(cfg), SCHEMA, tmp_path)


def test_schema_a_city_needs_a_survey_or_policies_and_a_survey_needs_a_column_map(tmp_path):
    base = {"data_dir": "data", "cities": {"x": {"name": "某市", "policies": "p"}}}
    assert _schema_ok(base, tmp_path)["cities"]["x"]["name"] == "某市"  # policy texts only
    with pytest.raises(ConfigError):
        _schema_ok({"data_dir": "data", "cities": {"x": {"name": "某市"}}}, tmp_path)
    with pytest.raises(ConfigError, match="column_map"):
        _schema_ok(
            {"data_dir": "data", "cities": {"x": {"name": "某市", "survey": "s.csv"}}}, tmp_path
        )
    bad_scale = {"name": "某市", "policies": "p", "scales": {"culture": {"items": ["a_1", "a_2"]}}}
    with pytest.raises(ConfigError):
        _schema_ok({"data_dir": "data", "cities": {"x": bad_scale}}, tmp_path)


def test_empty_tables_of_a_city_without_survey_or_policy_texts(tmp_path):
    survey = no_survey("x", "某市")
    assert list(survey.accepted.columns) == list(SURVEY_COLUMNS) and survey.accepted.empty
    assert list(survey.rejects.columns) == list(REJECT_COLUMNS)
    assert survey.n_raw == survey.n_accepted == survey.n_rejected == 0
    assert list(no_policies().columns) == list(POLICY_COLUMNS)
    # A manifest with a header and no documents: the same empty table, not a KeyError later.
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "manifest.csv").write_text("file,title,issuer,date\n", encoding="utf-8")
    table = read_policy_folder(folder, "x", "某市")
    assert table.empty and list(table.columns) == list(POLICY_COLUMNS)


MODELS = {
    "base": {
        "estimator": "ols",
        "outcomes": ["y"],
        "regressors": ["x"],
        "controls": ["firm_age"],
        "fixed_effects": [],
        "cluster": [],
    },
    "sub": {
        "estimator": "ols",
        "outcomes": ["y"],
        "regressors": ["x"],
        "subset": "x > 0",
        "allow_missing_city": True,
        "controls": ["firm_age"],
        "fixed_effects": [],
        "cluster": [],
    },
}


def _analysis() -> pd.DataFrame:
    # City a: 4 rows, firm_age missing once; city b never asked the founding year.
    return pd.DataFrame(
        {
            "city_key": ["a", "a", "a", "a", "b", "b", "b"],
            "y": [1.0, 2.0, 3.0, 4.0, 1.0, 2.0, None],
            "x": [1, 0, 1, 1, 1, 0, 1],
            "firm_age": [5.0, 6.0, None, 8.0, None, None, None],
        }
    )


def test_model_city_samples_count_rows_and_name_what_is_missing():
    samples = check.mark_allowed(
        check.model_city_samples(_analysis(), model_jobs(MODELS), ["a", "b"]), MODELS
    )
    got = samples.set_index(["model", "city_key"])
    # By hand: base/a keeps rows 1, 2, 4 (row 3 lacks firm_age); base/b keeps none of 3 rows.
    assert (got.at[("base", "a"), "rows"], got.at[("base", "a"), "kept"]) == (4, 3)
    assert got.at[("base", "a"), "missing_variables"] == "firm_age(1)"
    assert (got.at[("base", "b"), "rows"], got.at[("base", "b"), "kept"]) == (3, 0)
    assert got.at[("base", "b"), "missing_variables"] == "firm_age"
    # sub (x > 0): a has 3 rows, keeps 2; b has 2 rows, keeps none, which the model allows.
    assert (got.at[("sub", "a"), "rows"], got.at[("sub", "a"), "kept"]) == (3, 2)
    assert bool(got.at[("sub", "b"), "allow_missing_city"]) is True
    with pytest.raises(ChainpbError) as err:
        check.stop_on_dropped_cities(samples, {"b": "乙市"})
    assert (
        "乙市（b）在以下 1 个模型任务中的行全部因缺失被删除：「base」（y）；缺：firm_age"
        in err.value.zh
    )
    assert "sub" not in err.value.en.split("allow_missing_city")[0]
    assert "allow_missing_city: true" in err.value.en
    page = check.report_markdown(
        pd.DataFrame(
            columns=[
                "city_key",
                "city_name",
                "survey",
                "rows",
                "accepted",
                "rejected",
                "policy_documents",
                "mapped_columns",
                "scale_items",
            ]
        ),
        check.unmatched_values(pd.DataFrame(columns=list(REJECT_COLUMNS))),
        samples,
        {"b": ["序号", "提交答卷时间"]},
    )
    assert "| base | y | b | 3 | 0 **⚠ 整体退出 drops out** | firm_age |" in page
    assert "- b: 序号 | 提交答卷时间" in page


def test_a_city_losing_every_row_in_ingest_stops_the_run():
    reports = [
        {"city_key": "a", "file": "a.csv", "n_raw": 5, "n_accepted": 5, "n_rejected": 0},
        {"city_key": "b", "file": "b.xlsx", "n_raw": 641, "n_accepted": 0, "n_rejected": 641},
        {"city_key": "c", "file": "", "n_raw": 0, "n_accepted": 0, "n_rejected": 0},  # no survey
    ]
    with pytest.raises(ChainpbError) as err:
        check.stop_on_empty_cities(reports)
    assert "b（b.xlsx）的 641 行全部被拒收" in err.value.zh and "value_maps" in err.value.en
    check.stop_on_empty_cities([reports[0], reports[2]])  # no stop


def test_unmatched_values_are_counted_per_column():
    rejects = pd.DataFrame(
        [
            ["b", "f", "2", "性质", "ownership", "私营", "「私营」不是所有制的允许类别；…", "x"],
            ["b", "f", "3", "性质", "ownership", "私营", "「私营」不是所有制的允许类别；…", "x"],
            ["b", "f", "4", "思想1", "ideology_1", "很同意", "「很同意」不是有效的量表答案", "x"],
            ["b", "f", "5", "人数", "employees", "约50", "「约50」不是数字", "x"],
        ],
        columns=list(REJECT_COLUMNS),
    )
    out = check.unmatched_values(rejects)
    assert out[["variable", "value", "count"]].values.tolist() == [
        ["ownership", "私营", 2],
        ["ideology_1", "很同意", 1],
    ]

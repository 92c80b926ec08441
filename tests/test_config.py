"""Config validation: defaults, bilingual errors naming the key, city keys and path safety."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from chainpb.config import check_config, cities, load_yaml
from chainpb.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = load_yaml(ROOT / "workflow" / "schemas" / "config.schema.yaml")


def minimal(tmp_path: Path) -> dict:
    (tmp_path / "data").mkdir()
    return {
        "data_dir": "data",
        "cities": {
            "suqian": {
                "name": "宿迁市",
                "survey": "suqian.xlsx",
                "policies": "suqian_policies",
                "column_map": {"企业编号": "enterprise_id"},
            }
        },
    }


def test_defaults_are_filled(tmp_path: Path) -> None:
    cfg = check_config(minimal(tmp_path), SCHEMA, tmp_path)
    assert cfg["language"] == "zh"
    assert cfg["text"]["unit"] == "sentence"
    assert cfg["ingest"]["likert_labels"]["非常同意"] == 5
    assert cfg["privacy"]["hash_key_env"] == "CHAINPB_HASH_KEY"
    assert cfg["min_scale_items"] == 3


def test_shipped_config_is_valid() -> None:
    cfg = check_config(load_yaml(ROOT / "config" / "config.yaml"), SCHEMA, ROOT)
    assert set(cfg["cities"]) >= {"suqian", "suzhou", "wuxi"}
    table = cities(cfg, ROOT)
    assert table["suqian"].name == "宿迁市"
    assert all(c.is_example for c in table.values())


def test_wrong_enum_names_key_in_both_languages(tmp_path: Path) -> None:
    cfg = minimal(tmp_path)
    cfg["text"] = {"unit": "chapter"}
    with pytest.raises(ConfigError) as err:
        check_config(cfg, SCHEMA, tmp_path)
    assert "text.unit" in err.value.zh and "text.unit" in err.value.en
    assert "'chapter'" in err.value.en and "sentence" in err.value.en


def test_unknown_key_is_reported(tmp_path: Path) -> None:
    cfg = minimal(tmp_path)
    cfg["cities"]["suqian"]["survy"] = "x.csv"
    with pytest.raises(ConfigError, match="survy"):
        check_config(cfg, SCHEMA, tmp_path)


@pytest.mark.parametrize("key", ["Suqian", "宿迁", "1city", "su-qian"])
def test_city_key_must_be_ascii_snake(tmp_path: Path, key: str) -> None:
    cfg = minimal(tmp_path)
    cfg["cities"][key] = cfg["cities"].pop("suqian")
    with pytest.raises(ConfigError) as err:
        check_config(cfg, SCHEMA, tmp_path)
    assert "[a-z][a-z0-9_]*" in str(err.value)


def test_survey_suffix_checked(tmp_path: Path) -> None:
    cfg = minimal(tmp_path)
    cfg["cities"]["suqian"]["survey"] = "suqian.pdf"
    with pytest.raises(ConfigError, match=r"cities\.suqian\.survey"):
        check_config(cfg, SCHEMA, tmp_path)


def test_path_leaving_project_and_data_dir_is_refused(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    cfg = minimal(project)
    cfg["cities"]["suqian"]["survey"] = "../../elsewhere/suqian.csv"
    with pytest.raises(ConfigError) as err:
        check_config(copy.deepcopy(cfg), SCHEMA, project)
    assert "cities.suqian.survey" in err.value.zh and "refused" in err.value.en


def test_absolute_path_inside_data_dir_outside_project_is_allowed(tmp_path: Path) -> None:
    project = tmp_path / "project"
    data = tmp_path / "shared_data"
    project.mkdir()
    data.mkdir()
    cfg = minimal(project)
    cfg["data_dir"] = str(data)
    cfg["cities"]["suqian"]["survey"] = "suqian.csv"
    table = cities(check_config(cfg, SCHEMA, project), project)
    assert table["suqian"].survey == (data / "suqian.csv").resolve()

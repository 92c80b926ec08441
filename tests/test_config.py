"""Config validation: defaults, bilingual errors naming the key, city keys and path safety."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from chainpb.config import check_config, cities, load_yaml
from chainpb.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = load_yaml(ROOT / "workflow" / "schemas" / "config.schema.yaml")


def minimal(tmp_path: Path) -> dict:
    (tmp_path / "data").mkdir(exist_ok=True)
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


# --------------------------------------------------------------- decoding and YAML errors


def test_gbk_config_names_line_and_byte(tmp_path: Path) -> None:
    # "城市" in GBK is B3 C7 CA D0 ("城市".encode("gbk")); the first undecodable byte 0xB3
    # follows "  nm: " (6 bytes) on line 2, so it is byte 7 of the line and file offset
    # len("a: 1\n") + 6 = 11.
    path = tmp_path / "config.yaml"
    path.write_bytes(b"a: 1\n  nm: " + "城市".encode("gbk") + b"\n")
    with pytest.raises(ConfigError) as err:
        load_yaml(path)
    assert f"配置文件 {path} 不是 UTF-8 编码：第 2 行第 7 个字节（文件第 11 字节）" in err.value.zh
    assert "0xB3 0xC7 0xCA 0xD0" in err.value.zh  # GBK bytes of 城市 (checked with .encode)
    assert "可能是 GBK/GB18030 编码" in err.value.zh
    assert "at line 2, byte 7 of the line (byte offset 11)" in err.value.en
    assert err.value.__cause__ is None and err.value.__suppress_context__  # no chained traceback


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes("\ufeffname: 宿迁市\n".encode())
    assert load_yaml(path) == {"name": "宿迁市"}


@pytest.mark.parametrize(
    ("text", "line", "column", "problem", "hint"),
    [
        # Line/column are PyYAML's marks + 1, read off the inputs by hand.
        ("a: 1\nb: !foo bar\n", 2, 4, "constructor for the tag '!foo'", "YAML 标签"),
        ("a:\n\tb: 1\n", 2, 1, "found character '\\t'", "Tab"),
        ("a: 1\nurl: http: x\n", 2, 10, "mapping values are not allowed here", "冒号"),
    ],
)
def test_yaml_error_names_line_and_hint(tmp_path, text, line, column, problem, hint) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_yaml(path)
    assert f"配置文件 {path} 第 {line} 行第 {column} 列不是合法的 YAML" in err.value.zh
    assert hint in err.value.zh
    assert f"at line {line}, column {column}" in err.value.en and problem in err.value.en
    assert "the line reads:" in err.value.en


def test_preflight_rejects_non_mapping_and_ignores_missing(tmp_path: Path) -> None:
    from chainpb.config import preflight_configfile

    preflight_configfile(tmp_path / "absent.yaml")  # left to Snakemake / --configfile
    path = tmp_path / "config.yaml"
    path.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="must be a mapping"):
        preflight_configfile(path)


def test_snakemake_prints_bilingual_message_without_traceback(tmp_path: Path) -> None:
    """End to end: the Snakefile's preflight stops before Snakemake's own reader."""
    import subprocess
    import sys

    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_bytes(b"language: zh\nx: " + "党".encode("gbk"))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "-n",
            "--cores",
            "1",
            "-s",
            str(ROOT / "Snakefile"),
            "-d",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )
    out = proc.stdout + proc.stderr
    assert "ConfigError" in out and "不是 UTF-8 编码：第 2 行第 4 个字节" in out
    assert "is not UTF-8" in out
    assert "UnicodeDecodeError" not in out and "Traceback" not in out


def test_configfile_command_merges_and_names_line(tmp_path: Path, monkeypatch, capsys) -> None:
    """``python -m chainpb.config FILE``: the files given with ``snakemake --configfile`` merged
    over config/config.yaml as Snakemake merges them (nested keys one by one), then checked.
    Snakemake reads those files before the Snakefile runs, so its preflight cannot."""
    from chainpb.config import main

    for sub in ("config", "workflow/schemas"):
        (tmp_path / sub).mkdir(parents=True)
    (tmp_path / "workflow/schemas/config.schema.yaml").write_bytes(
        (ROOT / "workflow/schemas/config.schema.yaml").read_bytes()
    )
    base = minimal(tmp_path)
    (tmp_path / "config/config.yaml").write_text(yaml.safe_dump(base, allow_unicode=True))
    monkeypatch.chdir(tmp_path)
    # a nested override keeps the city's other keys: the merged config is valid
    (tmp_path / "rename.yaml").write_text("cities:\n  suqian:\n    name: 宿迁\n", encoding="utf-8")
    assert main(["rename.yaml"]) == 0
    assert "configuration OK: config/config.yaml + rename.yaml" in capsys.readouterr().out
    # GBK: line and byte named, no traceback
    (tmp_path / "gbk.yaml").write_bytes("language: zh\nx: 党\n".encode("gbk"))
    assert main(["gbk.yaml"]) == 1
    err = capsys.readouterr().err
    assert "gbk.yaml 不是 UTF-8 编码：第 2 行第 4 个字节" in err and "Traceback" not in err
    # a YAML tag: line, column and the hint
    (tmp_path / "tag.yaml").write_text("language: !!python/name:os.system zh\n", encoding="utf-8")
    assert main(["tag.yaml"]) == 1
    err = capsys.readouterr().err
    assert "tag.yaml 第 1 行第 11 列不是合法的 YAML" in err and "YAML tag" in err
    # a schema error in the merged config names the key
    (tmp_path / "fr.yaml").write_text("language: fr\n", encoding="utf-8")
    assert main(["fr.yaml"]) == 1
    assert "config key language has value 'fr'" in capsys.readouterr().err


def test_heterogeneity_needs_two_groups(tmp_path: Path) -> None:
    config = minimal(tmp_path)
    model = {
        "outcomes": ["rd_intensity"],
        "regressors": ["alliance_member"],
        "heterogeneity": {"民营": "ownership == '民营'", "国有": "ownership == '国有'"},
    }
    config["models"] = {"m": model}
    check_config(copy.deepcopy(config), SCHEMA, tmp_path)  # two groups: valid
    config["models"]["m"]["heterogeneity"] = {"民营": "ownership == '民营'"}
    with pytest.raises(ConfigError, match="heterogeneity"):
        check_config(config, SCHEMA, tmp_path)

"""Loading and validating ``config/config.yaml``.

The JSON Schema (``workflow/schemas/config.schema.yaml``, draft 2020-12) is the single source of
truth for keys, types and defaults. Validation fills in defaults and turns every schema error into
a bilingual message that names the key (``cities.suqian.survey``) and what was expected. Paths are
checked here too: every input must stay inside the project or the data folder the user named.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, validators

from chainpb.errors import ConfigError

CITY_KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
EXAMPLE_DIR = Path("resources") / "example"


def _extend_with_default(validator_class: type) -> type:
    """A validator that writes each schema ``default`` into the instance (jsonschema FAQ recipe)."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):  # type: ignore[no-untyped-def]
        if isinstance(instance, dict):
            for prop, subschema in properties.items():
                if "default" in subschema and prop not in instance:
                    instance[prop] = copy.deepcopy(subschema["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return validators.extend(validator_class, {"properties": set_defaults})


_DefaultingValidator = _extend_with_default(Draft202012Validator)


def _key_path(path: Any) -> str:
    parts = [str(p) for p in path]
    return ".".join(parts) if parts else "(根 root)"


def _explain(error: Any) -> tuple[str, str]:
    """Chinese and English explanation of one jsonschema error."""
    key = _key_path(error.absolute_path)
    validator = error.validator
    expected = error.validator_value
    if validator == "required":
        missing = [
            m for m in expected if isinstance(error.instance, dict) and m not in error.instance
        ]
        return (
            f"配置项 {key} 缺少必填键 {missing}",
            f"config key {key} lacks required key(s) {missing}",
        )
    if validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return (
            f"配置项 {key} 含有未知的键 {extra}（拼写错误？允许的键见 config/README.md）",
            f"config key {key} has unknown key(s) {extra} (a typo? allowed keys are in config/README.md)",
        )
    if validator == "propertyNames" or (
        validator == "pattern" and "propertyNames" in [str(p) for p in error.schema_path]
    ):
        bad = error.instance
        return (
            f"配置项 {key} 的键名「{bad}」不合规：城市键只能由小写英文字母、数字和下划线组成且以字母开头，例如 suqian",
            f"config key {key}: name '{bad}' is invalid; city keys must match [a-z][a-z0-9_]*, e.g. suqian",
        )
    if validator == "enum":
        return (
            f"配置项 {key} 的值 {error.instance!r} 不在允许范围内，应为 {expected} 之一",
            f"config key {key} has value {error.instance!r}; expected one of {expected}",
        )
    if validator == "type":
        return (
            f"配置项 {key} 的值 {error.instance!r} 类型不对，应为 {expected}",
            f"config key {key} has value {error.instance!r} of the wrong type; expected {expected}",
        )
    if validator == "pattern":
        return (
            f"配置项 {key} 的值 {error.instance!r} 格式不对，应匹配 {expected}",
            f"config key {key} has value {error.instance!r}; expected to match {expected}",
        )
    if validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return (
            f"配置项 {key} 的值 {error.instance!r} 超出范围（{validator} {expected}）",
            f"config key {key} has value {error.instance!r} out of range ({validator} {expected})",
        )
    if validator in ("minItems", "maxItems", "minProperties", "uniqueItems"):
        return (
            f"配置项 {key} 不满足 {validator}={expected}",
            f"config key {key} violates {validator}={expected}",
        )
    return (f"配置项 {key} 无效：{error.message}", f"config key {key} is invalid: {error.message}")


def load_yaml(path: str | Path) -> Any:
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"找不到配置文件 {path}", f"configuration file {path} not found") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"配置文件 {path} 不是合法的 YAML：{exc}",
            f"configuration file {path} is not valid YAML: {exc}",
        ) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"配置文件 {path} 不是 UTF-8 编码（请用 UTF-8 保存）",
            f"configuration file {path} is not UTF-8 encoded (save it as UTF-8)",
        ) from exc


def validate_against_schema(instance: Any, schema: Mapping[str, Any], *, what: str) -> Any:
    """Validate ``instance`` in place (filling defaults); raise ConfigError listing every problem."""
    validator = _DefaultingValidator(schema)
    errors = sorted(
        validator.iter_errors(instance), key=lambda e: [str(p) for p in e.absolute_path]
    )
    if errors:
        zh = [f"{what} 校验未通过（{len(errors)} 处）："]
        en = [f"{what} failed validation ({len(errors)} problem(s)):"]
        for err in errors:
            z, e = _explain(err)
            zh.append(f"  - {z}")
            en.append(f"  - {e}")
        raise ConfigError("\n".join(zh), "\n".join(en))
    return instance


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
    except ValueError:
        return False
    return True


def resolve_input_path(raw: str, *, key: str, project_dir: Path, data_dir: Path) -> Path:
    """Resolve ``raw`` against the data folder; refuse paths that leave project and data folder."""
    candidate = Path(raw).expanduser()
    if not candidate.is_absolute():
        candidate = data_dir / candidate
    resolved = candidate.resolve()
    if not (_inside(resolved, project_dir.resolve()) or _inside(resolved, data_dir.resolve())):
        raise ConfigError(
            f"配置项 {key} 的路径 {raw!r} 指向项目目录 {project_dir} 和数据目录 {data_dir} 之外，已拒绝",
            f"config key {key}: path {raw!r} leaves the project folder {project_dir} and the data "
            f"folder {data_dir}; refused",
        )
    return resolved


@dataclass(frozen=True)
class City:
    key: str
    name: str
    name_en: str
    survey: Path
    policies: Path
    column_map: dict[str, str]
    sheet: int | str | None = None
    # True when the survey lies inside <project>/resources/example: only then may the public
    # demo hash key be used.
    is_example: bool = False


def cities(config: Mapping[str, Any], project_dir: str | Path = ".") -> dict[str, City]:
    """The validated city table, paths resolved, sorted by city key."""
    project = Path(project_dir).resolve()
    data_dir = (project / Path(config.get("data_dir", ".")).expanduser()).resolve()
    out: dict[str, City] = {}
    for key in sorted(config["cities"]):
        if not CITY_KEY_PATTERN.match(key):
            raise ConfigError(
                f"城市键 {key!r} 不合规：只能由小写英文字母、数字和下划线组成且以字母开头",
                f"city key {key!r} is invalid: must match [a-z][a-z0-9_]*",
            )
        entry = config["cities"][key]
        survey = resolve_input_path(
            entry["survey"], key=f"cities.{key}.survey", project_dir=project, data_dir=data_dir
        )
        policies = resolve_input_path(
            entry["policies"], key=f"cities.{key}.policies", project_dir=project, data_dir=data_dir
        )
        out[key] = City(
            key=key,
            name=entry["name"],
            name_en=entry.get("name_en", key),
            survey=survey,
            policies=policies,
            column_map=dict(entry["column_map"]),
            sheet=entry.get("sheet"),
            is_example=_inside(survey, project / EXAMPLE_DIR),
        )
    return out


def load_config(
    path: str | Path, schema_path: str | Path, project_dir: str | Path = "."
) -> dict[str, Any]:
    """Read, validate (with defaults) and path-check a config file."""
    config = load_yaml(path)
    return check_config(config, load_yaml(schema_path), project_dir, source=str(path))


def check_config(
    config: Any, schema: Mapping[str, Any], project_dir: str | Path = ".", *, source: str = "config"
) -> dict[str, Any]:
    """Validate an already-loaded config (as Snakemake holds it) and check its paths."""
    validate_against_schema(config, schema, what=f"配置 config ({source})")
    cities(config, project_dir)  # path and key checks
    return config

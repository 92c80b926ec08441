"""Loading and validating ``config/config.yaml``.

The JSON Schema (``workflow/schemas/config.schema.yaml``, draft 2020-12) is the single source of
truth for keys, types and defaults. Validation fills in defaults and turns every schema error into
a bilingual message that names the key (``cities.suqian.survey``) and what was expected. Paths are
checked here too: every input must stay inside the project or the data folder the user named.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from chainpb.errors import ChainpbError, ConfigError

CITY_KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
EXAMPLE_DIR = Path("resources") / "example"


@functools.cache
def _defaulting_validator() -> type:
    """A Draft 2020-12 validator that writes each schema ``default`` into the instance (jsonschema
    FAQ recipe). Built on first use: a Snakemake call whose config is unchanged takes the checked
    config from chainpb.snakefile_cache and never imports jsonschema."""
    from jsonschema import Draft202012Validator, validators

    validate_properties = Draft202012Validator.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):  # type: ignore[no-untyped-def]
        if isinstance(instance, dict):
            for prop, subschema in properties.items():
                if "default" in subschema and prop not in instance:
                    instance[prop] = copy.deepcopy(subschema["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return validators.extend(Draft202012Validator, {"properties": set_defaults})


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
        # City keys, model names, derived-variable names …: all are used in paths or formulas.
        return (
            f"配置项 {key} 的键名「{bad}」不合规：键名只能由小写英文字母、数字和下划线组成且以字母开头，"
            "例如城市键 suqian、派生变量 log_coop_projects",
            f"config key {key}: name '{bad}' is invalid; names must match [a-z][a-z0-9_]*, e.g. "
            "the city key suqian or the derived variable log_coop_projects",
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


def _decode_error(path: Path, data: bytes, exc: UnicodeDecodeError) -> ConfigError:
    """Where the first non-UTF-8 byte sits (line, column, byte offset) and what it likely is."""
    start = exc.start
    line = data.count(b"\n", 0, start) + 1
    column = start - (data.rfind(b"\n", 0, start) + 1) + 1
    bad = " ".join(f"0x{b:02X}" for b in data[start : start + 4])
    # A hint only, in the order of likelihood for this audience; GB18030 decodes most byte
    # strings, so a UTF-16 byte-order mark is checked first.
    name = None
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        name = "UTF-16"
    else:
        for codec, label in (("gb18030", "GBK/GB18030"), ("big5", "Big5")):
            try:
                data.decode(codec)
            except UnicodeDecodeError:
                continue
            name = label
            break
    guess_zh = f"；可能是 {name} 编码（Windows 记事本、WPS 以「ANSI」保存时常见）" if name else ""
    guess_en = f"; it may be {name} (a common Windows Notepad/WPS 'ANSI' save)" if name else ""
    return ConfigError(
        f"配置文件 {path} 不是 UTF-8 编码：第 {line} 行第 {column} 个字节（文件第 {start} 字节）"
        f"的 {bad} 无法按 UTF-8 解码{guess_zh}。请用 UTF-8 重新保存（记事本：另存为 → 编码选 "
        "UTF-8；VS Code：右下角编码 → 通过编码保存 → UTF-8）",
        f"configuration file {path} is not UTF-8: the bytes {bad} at line {line}, byte {column} "
        f"of the line (byte offset {start}) cannot be decoded as UTF-8{guess_en}. Save it again "
        "as UTF-8 (Notepad: Save As → Encoding UTF-8; VS Code: encoding in the status bar → Save "
        "with Encoding → UTF-8)",
    )


def _yaml_error(path: Path, text: str, exc: yaml.YAMLError) -> ConfigError:
    """The YAML problem with its line and column, the line itself and a hint for common slips."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = " ".join(
        str(p) for p in (getattr(exc, "context", None), getattr(exc, "problem", None)) if p
    ) or str(exc)
    where_zh = where_en = ""
    shown = ""
    if mark is not None:
        where_zh = f"第 {mark.line + 1} 行第 {mark.column + 1} 列"
        where_en = f" at line {mark.line + 1}, column {mark.column + 1}"
        lines = text.splitlines()
        if mark.line < len(lines):
            shown = lines[mark.line].strip()[:80]
    hint_zh = hint_en = ""
    if "tag" in problem and "constructor" in problem:
        hint_zh = (
            "以 ! 开头的内容是 YAML 标签，本流水线不使用；若 ! 是值的一部分，请给整个值加英文引号"
        )
        hint_en = (
            "a value starting with ! is a YAML tag, which the pipeline does not use; "
            "if the ! belongs to the value, put the whole value in quotes"
        )
    elif "'\\t'" in problem:  # PyYAML: found character '\t' that cannot start any token
        hint_zh = "YAML 不允许用 Tab 缩进，请把 Tab 换成空格"
        hint_en = "YAML does not allow tab indentation; replace the tabs by spaces"
    elif ":" in shown and "mapping values" in problem:
        hint_zh = "值里含有冒号（:）时，请给整个值加英文引号"
        hint_en = "put a value that contains a colon (:) in quotes"
    line_zh = f"（该行内容：{shown}）" if shown else ""
    line_en = f" (the line reads: {shown})" if shown else ""
    return ConfigError(
        f"配置文件 {path} {where_zh}不是合法的 YAML：{problem}{line_zh}"
        + (f"。{hint_zh}" if hint_zh else ""),
        f"configuration file {path} is not valid YAML{where_en}: {problem}{line_en}"
        + (f". Hint: {hint_en}" if hint_en else ""),
    )


def parse_yaml(source: Any) -> Any:
    """``yaml.safe_load`` through libyaml when PyYAML has it: about 10× faster, and the
    Snakefile reads the config schema and the codebook on every call, even a no-op. Same
    constructor and resolver, so the same objects. A document libyaml rejects is read again by
    the pure-Python loader, whose error (marks and wording) the bilingual messages quote."""
    loader = getattr(yaml, "CSafeLoader", None)
    if loader is not None:
        text = source if isinstance(source, str) else source.read()
        try:
            return yaml.load(text, Loader=loader)  # CSafeLoader: the safe loader in C
        except yaml.YAMLError:
            source = text
    return yaml.safe_load(source)


def load_yaml(path: str | Path) -> Any:
    """Read a UTF-8 YAML file; decoding and syntax errors name the line (bilingual)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigError(f"找不到配置文件 {path}", f"configuration file {path} not found") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _decode_error(path, data, exc) from None
    try:
        return parse_yaml(text)
    except yaml.YAMLError as exc:
        raise _yaml_error(path, text, exc) from None


def preflight_configfile(path: str | Path) -> None:
    """Read ``path`` with :func:`load_yaml` before Snakemake's ``configfile:`` does.

    Snakemake's own reader shows a raw UnicodeDecodeError for a non-UTF-8 file and "not valid
    JSON or YAML … tab indentation" without a line for any YAML error; called in the Snakefile
    just before ``configfile:``, this stops first with a bilingual message naming the line. A
    missing file is left to Snakemake (``--configfile`` may replace it).
    """
    path = Path(path)
    if not path.exists():
        return
    config = load_yaml(path)
    if not isinstance(config, dict):
        raise ConfigError(
            f"配置文件 {path} 的顶层应是「键: 值」形式的映射，实际是 {type(config).__name__}",
            f"configuration file {path} must be a mapping of keys at the top level, "
            f"found {type(config).__name__}",
        )


def validate_against_schema(instance: Any, schema: Mapping[str, Any], *, what: str) -> Any:
    """Validate ``instance`` in place (filling defaults); raise ConfigError listing every problem."""
    validator = _defaulting_validator()(schema)
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
    survey: Path | None  # None: a city with policy texts only
    policies: Path | None  # None: a city with a survey only ("no policy texts")
    column_map: dict[str, str]
    sheet: int | str | None = None
    # True when the survey lies inside <project>/resources/example: only then may the public
    # demo hash key be used.
    is_example: bool = False
    # {"corpus": key, "where": {column: value or values}} when the city's policy texts are the
    # documents of a text collection (config corpora:) that belong to it; then policies is None.
    policy_corpus: dict[str, Any] | None = None


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
        paths = {
            part: resolve_input_path(
                entry[part], key=f"cities.{key}.{part}", project_dir=project, data_dir=data_dir
            )
            if isinstance(entry.get(part), str) and entry[part]
            else None
            for part in ("survey", "policies")
        }
        policy_corpus = entry.get("policies") if isinstance(entry.get("policies"), dict) else None
        if policy_corpus is not None and policy_corpus["corpus"] not in (
            config.get("corpora") or {}
        ):
            raise ConfigError(
                f"配置项 cities.{key}.policies.corpus 指向的文本集「{policy_corpus['corpus']}」"
                f"不在 corpora 中（已声明：{', '.join(sorted(config.get('corpora') or {})) or '无'}）",
                f"cities.{key}.policies.corpus names the text collection "
                f"'{policy_corpus['corpus']}', which is not declared under corpora (declared: "
                f"{', '.join(sorted(config.get('corpora') or {})) or 'none'})",
            )
        survey = paths["survey"]
        out[key] = City(
            key=key,
            name=entry["name"],
            name_en=entry.get("name_en", key),
            survey=survey,
            policies=paths["policies"],
            column_map=dict(entry.get("column_map") or {}),
            sheet=entry.get("sheet"),
            is_example=survey is not None and _inside(survey, project / EXAMPLE_DIR),
            policy_corpus=dict(policy_corpus) if policy_corpus is not None else None,
        )
    return out


@dataclass(frozen=True)
class Corpus:
    """One configured corpus (config ``corpora.<key>``), its file resolved."""

    key: str
    name: str
    name_en: str
    file: Path
    columns: dict[str, str]
    group_by: tuple[str, ...]
    sheet: int | str | None = None
    documents: dict[str, Any] = field(default_factory=dict)


def corpora(config: Mapping[str, Any], project_dir: str | Path = ".") -> dict[str, Corpus]:
    """The validated corpus table (config ``corpora``), sorted by key, files resolved and checked."""
    project = Path(project_dir).resolve()
    data_dir = (project / Path(config.get("data_dir", ".")).expanduser()).resolve()
    out: dict[str, Corpus] = {}
    cities = set(config.get("cities") or {})
    for key in sorted(config.get("corpora") or {}):
        entry = config["corpora"][key]
        if not CITY_KEY_PATTERN.match(key):
            raise ConfigError(
                f"语料键 {key!r} 不合规：只能由小写英文字母、数字和下划线组成且以字母开头",
                f"corpus key {key!r} is invalid: must match [a-z][a-z0-9_]*",
            )
        if key in cities:
            raise ConfigError(
                f"配置项 corpora.{key} 与城市 cities.{key} 同名；请换一个键。",
                f"config key corpora.{key} has the name of the city cities.{key}; choose another.",
            )
        columns = dict(entry["columns"])
        group_by = tuple(entry.get("group_by") or ("group" if "group" in columns else "year",))
        for name in group_by:
            if name != "year" and name not in columns:
                raise ConfigError(
                    f"配置项 corpora.{key}.group_by 含 {name}，但 columns 中没有映射 {name} 列。",
                    f"config key corpora.{key}.group_by names {name}, but columns maps no {name} "
                    "column.",
                )
        path = resolve_input_path(
            entry["file"], key=f"corpora.{key}.file", project_dir=project, data_dir=data_dir
        )
        if not path.is_file():
            raise ConfigError(
                f"配置项 corpora.{key}.file：文件 {path} 不存在。",
                f"config key corpora.{key}.file: the file {path} does not exist.",
            )
        out[key] = Corpus(
            key=key,
            name=entry["name"],
            name_en=entry.get("name_en", key),
            file=path,
            columns=columns,
            group_by=group_by,
            sheet=entry.get("sheet"),
            documents=corpus_documents(config, key),
        )
    return out


def corpus_documents(config: Mapping[str, Any], key: str) -> dict[str, Any]:
    """The effective ``documents`` settings of one corpus: the global block with the corpus's
    own ``corpora.<key>.documents`` laid over it key by key (``cleaning.running_lines`` one level
    deeper); a ``rules`` block replaces the global rules as a whole."""
    shared = config.get("documents") or {}
    own = (config["corpora"][key].get("documents")) or {}
    out: dict[str, Any] = {}
    for section in ("cleaning", "dedup"):
        merged = {**dict(shared.get(section) or {}), **dict(own.get(section) or {})}
        if section == "cleaning":
            merged["running_lines"] = {
                **dict((shared.get("cleaning") or {}).get("running_lines") or {}),
                **dict((own.get("cleaning") or {}).get("running_lines") or {}),
            }
        out[section] = merged
    return out


# Keys of ``ingest`` a city block may override: maps are merged (the city's entries win), lists
# are extended (a city's own missing marker adds to the shared ones), value maps merge per variable.
CITY_INGEST_MAPS = ("likert_labels", "binary_labels")
CITY_INGEST_LISTS = ("missing_markers", "missing_codes")


def city_settings(config: Mapping[str, Any], key: str) -> dict[str, Any]:
    """The effective ``ingest`` and ``scales`` of one city: the global blocks with the city's
    own ``cities.<key>.ingest`` and ``cities.<key>.scales`` laid over them.

    - ``likert_labels``, ``binary_labels``: the city's labels are added; the city wins a clash.
    - ``missing_markers``, ``missing_codes``: the city's are added to the shared ones.
    - ``value_maps``: merged per variable, the city's mapping wins a clash.
    - any other ingest key (``fill_merged_cells``, ``duplicates`` …): the city's value replaces.
    - ``scales.<dim>``: the city's ``items`` and ``reverse`` replace the global ones for that
      city (a positively worded item must not be reversed because another city's was); a city
      that sets ``items`` without ``reverse`` reverses none of them.

    Only this city's settings reach its jobs, so editing one city's block re-runs that city's
    jobs and the pooled ones, not the other cities'.
    """
    entry = config["cities"][key]
    shared = dict(config.get("ingest") or {})
    own = dict(entry.get("ingest") or {})
    ingest = {**shared}
    for name, value in own.items():
        if name in CITY_INGEST_MAPS:
            ingest[name] = {**(shared.get(name) or {}), **value}
        elif name in CITY_INGEST_LISTS:
            base = list(shared.get(name) or [])
            ingest[name] = base + [v for v in value if v not in base]
        elif name == "value_maps":
            merged = {var: dict(m) for var, m in (shared.get("value_maps") or {}).items()}
            for var, mapping in value.items():
                merged[var] = {**merged.get(var, {}), **mapping}
            ingest[name] = merged
        else:
            ingest[name] = value
    scales = {dim: dict(spec) for dim, spec in (config.get("scales") or {}).items()}
    for dim, spec in (entry.get("scales") or {}).items():
        base = scales.setdefault(dim, {})
        if "items" in spec:
            base["items"] = list(spec["items"])
            base["reverse"] = list(spec.get("reverse") or [])
        elif "reverse" in spec:
            base["reverse"] = list(spec["reverse"])
    return {"ingest": ingest, "scales": scales}


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


def _merge_over(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Nested dicts merged key by key, other values replaced — as Snakemake merges
    ``--configfile`` files over the ``configfile:`` of the Snakefile."""
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _merge_over(base[key], value)
        else:
            base[key] = value
    return base


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m chainpb.config [FILE ...]``: check config/config.yaml with the files given
    merged over it, as ``snakemake --configfile FILE ...`` would read them.

    Snakemake reads ``--configfile`` files itself before the Snakefile runs, so a file in GBK or
    with a YAML tag gets Snakemake's own message (a raw UnicodeDecodeError, or "not valid JSON or
    YAML" with no line). This command gives the bilingual message with the line instead.
    """
    import sys

    files = list(sys.argv[1:] if argv is None else argv)
    try:
        config = load_yaml("config/config.yaml")
        for name in files:
            override = load_yaml(name)
            if not isinstance(override, Mapping):
                raise ConfigError(
                    f"配置文件 {name} 的顶层应是「键: 值」形式的映射",
                    f"configuration file {name} must be a mapping of keys at the top level",
                )
            _merge_over(config, override)
        schema = load_yaml("workflow/schemas/config.schema.yaml")
        check_config(config, schema, ".", source=" + ".join(["config/config.yaml", *files]))
    except ChainpbError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"配置无误 / configuration OK: {' + '.join(['config/config.yaml', *files])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

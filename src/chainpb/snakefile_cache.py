"""What the Snakefile derives from files on every Snakemake call, kept between calls (issue 13,
item 4: a no-op run in ≤ 3 s).

Each ``snakemake`` call — a no-op, a dry run, ``--report`` — parses the workflow, and the
workflow validates the config against its JSON Schema, validates the codebook to get its hash,
and hashes the library code of every script. Together with their imports (jsonschema, the
codebook's modules) that was about 0.4 s of a 3 s no-op, recomputed from files that had not
changed. Here each value is stored in ``.cache/snakefile/<name>.json`` under a key made of
everything it is computed from:

- the **bytes** of those files — never their dates, so a ``git checkout`` or a copy that only
  touches dates keeps the stored values, and an edit within the same second is still seen;
- the bytes of every library module and schema (``src/chainpb``, ``scripts``,
  ``workflow/schemas``): an upgrade of the validation code recomputes;
- Python's version and the installed package versions (jsonschema fills the config's
  defaults).

Values keep their key order (JSON objects are written in order), and the order is part of the
key: the config's order is the paper's (tables, scales), and Snakemake compares rule
parameters by their text, so a reordered dict would rerun jobs.

A key that differs recomputes the value exactly as before and stores it; a value that JSON
cannot hold exactly (a YAML date, an integer key) is never stored, so a stored value is always
the computed one. Errors are not stored either: an invalid config or codebook fails on every
call with its message. Deleting ``.cache/snakefile`` recomputes everything; a read-only project
simply computes every time.

Imports here are the standard library only: a hit must not pay for the imports it avoids.

Snakefile 每次解析都要校验配置与编码本、计算各脚本的代码哈希；这些值按所依据文件的内容（而非修改时间）
缓存在 .cache/snakefile/，内容不变则直接取用，结果与重新计算完全相同。
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import sys
from collections.abc import Callable, Iterable, MutableMapping
from functools import cached_property
from pathlib import Path
from typing import Any

CACHE_DIR = Path(".cache") / "snakefile"
# Library files whose bytes are part of every key (suffixes of code and schemas).
_CODE_SUFFIXES = (".py", ".yaml", ".json")


def _json(value: Any) -> str:
    # Key order kept: it is part of the value (tables and scales in config order, and
    # Snakemake compares rule parameters by their repr, so a reordered dict reruns jobs).
    return json.dumps(value, ensure_ascii=False)


def _digest(parts: Iterable[bytes]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


def _files(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.suffix in suffixes and p.is_file())


class SnakefileCache:
    """The stored values of one project (``project`` is the folder holding the Snakefile)."""

    def __init__(self, project: str | Path, src_root: str | Path) -> None:
        self.project = Path(project)
        self.src_root = Path(src_root)  # the folder that holds chainpb/
        self.folder = self.project / CACHE_DIR

    @cached_property
    def code(self) -> str:
        """Digest of the library, the scripts and the schemas (relative names and bytes), of
        Python's version and of the installed packages."""
        from chainpb.memo import installed_packages

        roots = [
            (self.src_root, self.src_root / "chainpb"),
            (self.project, self.project / "scripts"),
            (self.project, self.project / "workflow" / "schemas"),
        ]
        parts = [sys.version.encode("utf-8"), _json(installed_packages()).encode("utf-8")]
        for base, folder in roots:
            for path in _files(folder, _CODE_SUFFIXES):
                parts.append(path.relative_to(base).as_posix().encode("utf-8"))
                parts.append(path.read_bytes())
        return _digest(parts)

    def get(self, name: str, key_parts: Iterable[bytes], compute: Callable[[], Any]) -> Any:
        """The value stored under ``name`` when its key is that of ``key_parts`` (and of the
        library), else ``compute()``, stored when JSON holds it exactly."""
        key = _digest([self.code.encode("ascii"), *key_parts])
        path = self.folder / f"{name}.json"
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            if entry.get("key") == key:
                return entry["value"]
        except (OSError, ValueError, AttributeError, KeyError):
            pass  # no entry, or an unreadable one: compute
        value = compute()
        text = _json_or_none(value)
        if text is not None:
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
                tmp.write_text(f'{{"key": "{key}", "value": {text}}}', encoding="utf-8")
                os.replace(tmp, path)
            except OSError:
                pass  # a read-only project: compute again next time
        return value


def _json_or_none(value: Any) -> str | None:
    """``value`` as JSON text when JSON gives back exactly ``value``, else None."""
    try:
        text = _json(value)
    except (TypeError, ValueError):
        return None
    back = json.loads(text)
    return text if back == value and _same_types(value, back) else None


def _same_types(a: Any, b: Any) -> bool:
    """``==`` takes 1 for 1.0 and True for 1 and ignores key order; a stored value must come back
    as the same types with its keys in the same order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same_types(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return all(_same_types(x, y) for x, y in zip(a, b, strict=True))
    return True


def checked_config(
    cache: SnakefileCache,
    config: MutableMapping[str, Any],
    schema_path: str | Path,
    *,
    source: str,
) -> None:
    """:func:`chainpb.config.check_config` on Snakemake's ``config`` in place (the schema's
    defaults filled in), from the cache when the config, the schema and the library are those of
    a config that passed before."""

    def compute() -> dict[str, Any]:
        from chainpb.config import check_config, load_yaml

        checked = copy.deepcopy(dict(config))
        return check_config(checked, load_yaml(schema_path), cache.project, source=source)

    raw = _json_or_none(config)
    if raw is None:  # not JSON (a YAML date …): check, no cache
        checked = compute()
    else:
        parts = [raw.encode("utf-8"), str(cache.project.resolve()).encode("utf-8"), source.encode()]
        checked = cache.get("config", parts, compute)
    config.clear()
    config.update(checked)


def codebook_hash(cache: SnakefileCache, path: str | Path) -> str:
    """The semantic hash of the codebook at ``path`` (:func:`chainpb.text.codebook.load_codebook`,
    which validates it), from the cache when the file's bytes are those of a valid codebook."""

    def compute() -> str:
        from chainpb.text.codebook import load_codebook

        return load_codebook(path).hash

    try:
        data = Path(path).read_bytes()
    except OSError:
        return compute()  # load_codebook names the missing file
    return cache.get("codebook", [str(path).encode("utf-8"), data], compute)


def script_code_hashes(cache: SnakefileCache, scripts: str | Path) -> dict[str, str]:
    """:func:`chainpb.codehash.code_hash` of every script in ``scripts`` (by file name), from
    the cache when no script, module or schema changed."""

    def compute() -> dict[str, str]:
        from chainpb.codehash import code_hash

        return {p.name: code_hash(p, cache.src_root) for p in sorted(Path(scripts).glob("*.py"))}

    return cache.get("code_hashes", [str(scripts).encode("utf-8")], compute)

"""Values the Snakefile derives on every call, kept by content (chainpb.snakefile_cache; issue 13,
item 4: a no-op run in ≤ 3 s).

Each test states what a stored value must equal: the value computed without the cache by the
function the Snakefile used before (check_config, load_codebook(...).hash, code_hash).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chainpb.codehash import SRC_ROOT, code_hash, library_closure
from chainpb.config import check_config, load_yaml
from chainpb.errors import ConfigError
from chainpb.snakefile_cache import (
    CACHE_DIR,
    SnakefileCache,
    checked_config,
    codebook_hash,
    script_code_hashes,
)
from chainpb.text.codebook import load_codebook

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    """A project folder with the real config, codebook, schemas and scripts, and a copy of the
    library (so that a test can edit a module)."""
    project = tmp_path / "project"
    for part in ("config", "scripts", "workflow/schemas"):
        shutil.copytree(ROOT / part, project / part)
    shutil.copytree(
        SRC_ROOT / "chainpb", tmp_path / "src" / "chainpb", ignore=shutil.ignore_patterns("*.pyc")
    )
    return project


def _cache(project: Path) -> SnakefileCache:
    return SnakefileCache(project, project.parent / "src")


def test_a_stored_value_is_returned_without_computing_and_a_changed_input_recomputes(
    project: Path,
) -> None:
    calls: list[int] = []

    def compute() -> dict[str, int]:
        calls.append(1)
        return {"n": len(calls)}

    assert _cache(project).get("x", [b"a"], compute) == {"n": 1}
    assert _cache(project).get("x", [b"a"], compute) == {"n": 1}  # a new process: from the file
    assert len(calls) == 1
    assert _cache(project).get("x", [b"b"], compute) == {"n": 2}  # other bytes: recomputed
    assert len(calls) == 2


def test_a_library_edit_recomputes_and_a_date_change_does_not(project: Path) -> None:
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return 7

    _cache(project).get("x", [b"a"], compute)
    module = project.parent / "src" / "chainpb" / "labels.py"
    later = module.stat().st_mtime + 3600
    os.utime(module, (later, later))  # a checkout or copy that only changes the date
    _cache(project).get("x", [b"a"], compute)
    assert len(calls) == 1
    module.write_text(module.read_text(encoding="utf-8") + "\n# edit\n", encoding="utf-8")
    _cache(project).get("x", [b"a"], compute)
    assert len(calls) == 2
    script = project / "scripts" / "tables.py"
    script.write_text(script.read_text(encoding="utf-8") + "\n# edit\n", encoding="utf-8")
    _cache(project).get("x", [b"a"], compute)
    assert len(calls) == 3


@pytest.mark.parametrize(
    "value",
    [
        {"when": dt.date(2024, 1, 1)},  # a YAML date: JSON would give a string back
        {1: "a"},  # an integer key: JSON gives "1"
        {"x": 1.0, "y": [1]},  # JSON gives 1.0 and [1] back exactly: stored
        {"t": (1, 2)},  # a tuple would come back as a list
        {"b": {"y": 1, "x": 2}},  # stored in this order: exact
    ],
)
def test_only_values_json_gives_back_exactly_are_stored(project: Path, value: object) -> None:
    _cache(project).get("x", [b"a"], lambda: value)
    stored = project / CACHE_DIR / "x.json"
    exact = value in ({"x": 1.0, "y": [1]}, {"b": {"y": 1, "x": 2}})
    assert stored.is_file() == exact
    if exact:
        back = _cache(project).get("x", [b"a"], lambda: None)
        assert back == value and json.dumps(back) == json.dumps(value)


def test_an_unreadable_entry_is_recomputed(project: Path) -> None:
    _cache(project).get("x", [b"a"], lambda: 1)
    (project / CACHE_DIR / "x.json").write_text("{not json", encoding="utf-8")
    assert _cache(project).get("x", [b"a"], lambda: 2) == 2
    (project / CACHE_DIR / "x.json").write_text("[1, 2]", encoding="utf-8")
    assert _cache(project).get("x", [b"a"], lambda: 3) == 3


def test_the_checked_config_is_check_config_from_the_cache_too(project: Path) -> None:
    raw = load_yaml(project / "config" / "config.yaml")
    expected = check_config(copy.deepcopy(raw), load_yaml(SCHEMA), project, source="c")
    for _ in range(2):  # computed, then from .cache/snakefile
        config = copy.deepcopy(raw)
        checked_config(
            _cache(project), config, project / "workflow/schemas/config.schema.yaml", source="c"
        )
        assert config == expected
        # in the same key order too: Snakemake compares parameters by their text (a sorted
        # dict reran every job) and the config's order is the paper's
        assert json.dumps(config, ensure_ascii=False) == json.dumps(expected, ensure_ascii=False)
    assert (project / CACHE_DIR / "config.json").is_file()


def test_an_invalid_config_fails_on_every_call(project: Path) -> None:
    raw = load_yaml(project / "config" / "config.yaml")
    raw["text"]["shards"] = 0
    for _ in range(2):
        with pytest.raises(ConfigError, match="shards"):
            checked_config(
                _cache(project),
                copy.deepcopy(raw),
                project / "workflow/schemas/config.schema.yaml",
                source="c",
            )
    assert not (project / CACHE_DIR / "config.json").exists()


def test_the_codebook_hash_is_that_of_load_codebook_and_follows_an_edit(project: Path) -> None:
    path = project / "config" / "codebook.yaml"
    expected = load_codebook(ROOT / "config" / "codebook.yaml").hash
    assert codebook_hash(_cache(project), path) == expected
    assert codebook_hash(_cache(project), path) == expected  # from the cache
    text = path.read_text(encoding="utf-8")
    edited = text.replace("terms: [组织覆盖难,", "terms: [新增测试词条, 组织覆盖难,", 1)
    assert edited != text
    path.write_text(edited, encoding="utf-8")
    assert codebook_hash(_cache(project), path) == load_codebook(path).hash != expected


def test_an_invalid_codebook_fails_on_every_call(project: Path) -> None:
    path = project / "config" / "codebook.yaml"
    path.write_text("categories: [", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(ConfigError):
            codebook_hash(_cache(project), path)


def test_script_code_hashes_are_code_hash_of_each_script(project: Path) -> None:
    src = project.parent / "src"
    hashes = script_code_hashes(_cache(project), project / "scripts")
    assert sorted(hashes) == sorted(p.name for p in (ROOT / "scripts").glob("*.py"))
    for name, value in hashes.items():
        assert value == code_hash.__wrapped__(project / "scripts" / name, src)
    # an edit of a module changes exactly the hashes of the scripts that import it
    module = src / "chainpb" / "text" / "prefilter.py"
    importers = {n for n in hashes if module in library_closure(project / "scripts" / n, src)}
    module.write_text(module.read_text(encoding="utf-8") + "\n# edit\n", encoding="utf-8")
    code_hash.cache_clear()
    after = script_code_hashes(_cache(project), project / "scripts")
    assert {n for n in hashes if hashes[n] != after[n]} == importers
    assert "code_text.py" in importers and "tables.py" not in importers


def test_a_project_where_nothing_can_be_stored_computes_every_time(project: Path) -> None:
    (project / ".cache").write_text("", encoding="utf-8")  # mkdir .cache/snakefile fails
    calls: list[int] = []
    for _ in range(2):
        assert _cache(project).get("x", [b"a"], lambda: calls.append(1) or 5) == 5
    assert len(calls) == 2


def test_a_cached_snakefile_start_imports_no_jsonschema(project: Path) -> None:
    """A hit must not pay for the imports the cache saves (jsonschema, the codebook modules)."""
    code = f"""
import sys
from pathlib import Path
from chainpb.config import load_yaml
from chainpb.snakefile_cache import SnakefileCache, checked_config, codebook_hash
project = Path({str(project)!r})
cache = SnakefileCache(project, Path({str(SRC_ROOT)!r}))
config = load_yaml(project / "config" / "config.yaml")
checked_config(cache, config, project / "workflow/schemas/config.schema.yaml", source="c")
codebook_hash(cache, project / "config" / "codebook.yaml")
print(" ".join(sys.modules))
"""

    def loaded() -> set[str]:
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
        return set(out.split())

    first = loaded()
    assert {"jsonschema", "chainpb.text.codebook"} <= first  # computed
    second = loaded()
    assert not {"jsonschema", "chainpb.text.codebook", "pandas"} & second  # from the cache

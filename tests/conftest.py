"""Shared fixtures: one run of the whole workflow on the bundled example, in a temporary copy.

Used by the end-to-end tests (test_workflow.py) and the browser test of the HTML report.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COPIED = ["Snakefile", "workflow", "scripts", "config", "resources", "pyproject.toml"]
CITIES = ["suqian", "suzhou", "wuxi"]
TRUTH = json.loads((ROOT / "resources/example/truth/truth.json").read_text(encoding="utf-8"))
SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    # A real key in the developer's environment must not leak into the example run, and the
    # example must work with no key at all (it falls back to the demo key).
    env.pop("CHAINPB_HASH_KEY", None)
    env["HOME"] = str(home)
    env["MPLBACKEND"] = "Agg"
    # The title-page date of summary.docx is today unless SOURCE_DATE_EPOCH fixes it: fixed here
    # so that a rebuild compared byte for byte cannot straddle midnight.
    env["SOURCE_DATE_EPOCH"] = "1764633600"  # 2025-12-02
    return env


def snakemake(project: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [*SNAKEMAKE, *args],
        cwd=project,
        env=_env(project.parent),
        capture_output=True,
        text=True,
        encoding="utf-8",
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def copy_project(dst: Path, src: Path = ROOT, *, with_results: bool = False) -> Path:
    dst.mkdir(parents=True, exist_ok=True)
    names = [*COPIED, ".cache"] + (["results", "logs", ".snakemake"] if with_results else [])
    for name in names:
        path = src / name
        if path.is_dir():
            shutil.copytree(path, dst / name, symlinks=True)
        elif path.exists():
            shutil.copy2(path, dst / name)
    return dst


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("e2e") / "project")
    snakemake(project, "--cores", "2")
    return project


@pytest.fixture
def run_copy(run_dir: Path, tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project", run_dir, with_results=True)

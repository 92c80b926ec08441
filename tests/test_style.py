"""The code style the project keeps (ruff, ruff format, snakefmt), checked where CI runs the tests.

The tools come with the ``test`` extra; each check runs the tool on the whole project and fails
with its report, so a style slip stops CI like any other failure.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYTHON_PATHS = ["src", "scripts", "tests", "benchmarks"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*args], cwd=ROOT, capture_output=True, text=True, encoding="utf-8", check=False
    )


def test_ruff_lint_is_clean() -> None:
    proc = _run(sys.executable, "-m", "ruff", "check", *PYTHON_PATHS)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_format_is_clean() -> None:
    proc = _run(sys.executable, "-m", "ruff", "format", "--check", *PYTHON_PATHS)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_snakefmt_is_clean() -> None:
    snakefmt = shutil.which("snakefmt", path=str(Path(sys.executable).parent))
    if snakefmt is None:
        pytest.skip("snakefmt not installed (pip install -e '.[test]')")
    rules = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "workflow" / "rules").glob("*.smk"))
    proc = _run(snakefmt, "--check", "Snakefile", *rules)
    assert proc.returncode == 0, proc.stdout + proc.stderr

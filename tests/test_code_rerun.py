"""An upgrade of the library reruns exactly the stages whose code changed (issue 13, item 4).

Each rule carries ``code=code_of("<script>")`` (workflow/rules/common.smk, chainpb.codehash):
a hash of its script and of the chainpb modules that script imports. Here a finished example
run is given its own copy of src/ (PYTHONPATH), so that a module can be edited as an upgrade
would, and a dry run shows which jobs Snakemake would rerun.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT, SNAKEMAKE, _env

pytestmark = pytest.mark.e2e

PRESENT_RULES = {"tables", "figures", "summary_docx", "simple_slopes_figure"}


def _dry_run_rules(project: Path) -> list[str]:
    env = _env(project.parent)
    env["PYTHONPATH"] = str(project / "src")
    proc = subprocess.run(
        [*SNAKEMAKE, "--dry-run", "--cores", "1"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
    )
    rules = re.findall(r"^(?:local)?rule (\w+):", proc.stdout, flags=re.MULTILINE)
    return [r for r in rules if r != "all"]


def test_library_edit_reruns_only_the_rules_that_import_it(run_copy: Path) -> None:
    shutil.copytree(ROOT / "src", run_copy / "src", ignore=shutil.ignore_patterns("*.egg-info"))
    # the same code from another folder: nothing to do (the hash is over relative paths and bytes)
    assert _dry_run_rules(run_copy) == []
    # an upgrade of the HTML table writer: the present stage reruns, nothing before it
    writer = run_copy / "src/chainpb/present/writers/html.py"
    writer.write_text(writer.read_text(encoding="utf-8") + "\n# upgraded\n", encoding="utf-8")
    rules = _dry_run_rules(run_copy)
    assert "tables" in rules and set(rules) <= PRESENT_RULES, rules

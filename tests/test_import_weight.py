"""Start-up cost of the report jobs (issue 13, cheap reruns).

The Word report is rebuilt after every codebook edit and is the last job of the run, so its
imports are on the critical path. It reads stored fits and PNGs: it needs neither scipy.stats
(1.4 s, once pulled in through the AME helpers) nor matplotlib/seaborn (2 s, once pulled in
through a label helper of the figure module). Measured in a fresh interpreter, since this test
process has them imported already.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _loaded(modules: list[str]) -> set[str]:
    code = "import sys\n" + "".join(f"import {m}\n" for m in modules) + "print(*sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.split()
    return {m.split(".")[0] if not m.startswith("scipy.") else m for m in out}


@pytest.mark.parametrize("script", ["summary_docx.py", "tables.py"])
def test_the_report_and_tables_import_no_plotting_or_scipy_stats(script: str) -> None:
    text = (ROOT / "scripts" / script).read_text(encoding="utf-8")
    modules = sorted(set(re.findall(r"^from (chainpb[\w.]*) import", text, flags=re.MULTILINE)))
    # imported at run time by chainpb.present.paper.as_marginal_effects (logit tables)
    modules.append("chainpb.models.margins")
    heavy = _loaded(modules) & {"scipy.stats", "matplotlib", "seaborn", "statsmodels", "sklearn"}
    assert not heavy, f"scripts/{script} imports {modules}, which load {sorted(heavy)}"

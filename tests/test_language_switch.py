"""Labels once (issue 11, item 8): switching ``language`` re-runs the present stage only.

The measures stage writes keys (scale keys, variable names); the figures, tables, Word summary
and the labelled Stata/SPSS export label them from one source (config ``labels:`` with the
defaults of chainpb.labels). A dry run after ``language: en`` on a finished run of the example
must therefore list no ingest, text, measures or models job (end-to-end, marked e2e); the
measures tables themselves hold no label (a fast unit test).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import snakemake
from test_workflow import dry_run_jobs

from chainpb.labels import CATEGORY_LABELS, SCALE_LABELS
from chainpb.measures.scales import POOLED
from chainpb.measures.validity import validity_tables

DIMS = ("coverage", "ideology", "effectiveness", "resource")


def test_measures_tables_hold_keys_only() -> None:
    # Four 3-item scales (item = factor + noise), a difficulty dummy and an outcome.
    rng = np.random.default_rng(11)
    n = 300
    data: dict[str, np.ndarray] = {}
    for dim in DIMS:
        factor = rng.normal(size=n)
        for i in (1, 2, 3):
            data[f"{dim}_{i}"] = np.clip(np.round(3 + factor + rng.normal(size=n)), 1, 5)
    data["diff_coverage"] = rng.integers(0, 2, n).astype(float)
    data["rd_intensity"] = rng.normal(4, 1, n)
    frame = pd.DataFrame(data)
    scales = {
        d: {"label": SCALE_LABELS[d]["zh"], "label_en": SCALE_LABELS[d]["en"]}
        | {"items": [f"{d}_{i}" for i in (1, 2, 3)]}
        for d in DIMS
    }
    tables = validity_tables(frame, scales, ["rd_intensity", "diff_coverage"])
    assert tables["reliability"]["scale"].tolist() == list(DIMS)
    assert (tables["reliability"]["city"] == POOLED).all()
    assert tables["fornell_larcker"]["scale"].tolist() == list(DIMS)
    assert list(tables["fornell_larcker"].columns[1:5]) == list(DIMS)
    assert "label" not in tables["items"].columns and "label" not in tables["descriptives"]
    assert tables["descriptives"]["variable"].tolist() == ["rd_intensity", "diff_coverage"]
    assert list(tables["correlations"].columns) == ["variable", "rd_intensity", "diff_coverage"]
    assert tables["correlations"]["variable"].tolist() == ["rd_intensity", "diff_coverage"]
    # No display label anywhere outside the bilingual notes (which name the pooled items).
    labels = {v for d in (*SCALE_LABELS.values(), *CATEGORY_LABELS.values()) for v in d.values()}
    for name, table in tables.items():
        shown = table.drop(columns=["note_zh", "note_en"], errors="ignore")
        cells = {str(c) for c in shown.columns} | {str(v) for v in shown.to_numpy().ravel()}
        assert not cells & labels, (name, sorted(cells & labels))


# Rules that turn results into text for people (labels, captions, headings): the only ones a
# language switch may re-run. export_stata writes Chinese/English variable and value labels.
PRESENT_RULES = {
    "figures",
    "simple_slopes_figure",
    "tables",
    "summary_docx",
    "export_stata",
    "report",
    "all",
}


@pytest.mark.e2e
def test_language_switch_reruns_present_rules_only(run_copy: Path) -> None:
    assert not [r for r, _ in dry_run_jobs(run_copy) if r != "all"]  # the copy is up to date
    cfg_path = run_copy / "config/config.yaml"
    cfg = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
    assert cfg["language"] == "zh"
    cfg["language"] = "en"
    cfg_path.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    rules = {rule for rule, _ in dry_run_jobs(run_copy)}
    assert rules <= PRESENT_RULES, sorted(rules - PRESENT_RULES)
    assert {"figures", "tables", "summary_docx"} <= rules
    assert "scale_validity" not in rules
    # The dry run must not have failed silently.
    assert snakemake(run_copy, "--dry-run").returncode == 0

"""The simulated-data mark on every figure and journal table (issue 11, item 5), decided from
the ingest reports' ``simulated`` key — the data's provenance — not from a path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from chainpb.errors import ChainpbError
from chainpb.present.build import mark_simulated_figure, mark_simulated_table, simulated_input
from chainpb.present.summary import SIMULATED_MARK
from chainpb.present.table_model import Table


def _reports(tmp_path: Path, *flags: bool | None) -> list[Path]:
    paths = []
    for i, flag in enumerate(flags):
        report = {"city_key": f"c{i}", "n_raw": 10, "n_accepted": 9, "n_rejected": 1}
        if flag is not None:
            report["simulated"] = flag
        path = tmp_path / f"r{i}.json"
        path.write_text(json.dumps(report), encoding="utf-8")
        paths.append(path)
    return paths


def test_simulated_when_any_city_is_the_example(tmp_path: Path) -> None:
    assert simulated_input(_reports(tmp_path, False, True)) is True
    assert simulated_input(_reports(tmp_path, False, False)) is False
    with pytest.raises(ChainpbError, match="simulated"):
        simulated_input(_reports(tmp_path, False, None))  # written by an older ingest


def test_table_mark_in_title_and_note() -> None:
    table = Table("基准回归结果", (("变量", "(1)"),), (("联盟成员", "0.801"),), notes=("注：…",))
    marked = mark_simulated_table(table)
    assert marked.title == f"基准回归结果 {SIMULATED_MARK}"
    assert marked.notes[0] == "注：…" and "simulated example" in marked.notes[-1]
    assert marked.body == table.body and marked.header == table.header


def test_figure_mark_is_drawn() -> None:
    fig = Figure()
    fig.add_subplot().plot([0, 1], [0, 1])
    mark_simulated_figure(fig)
    assert [t.get_text() for t in fig.texts] == [SIMULATED_MARK]

"""End-to-end: the hand-coding loop on the bundled example, in a copy of the finished run.

The default run builds the coders' sheet. The test fills two copies as two synthetic coders:
coder A codes the example's truth where the truth is known for the unit (a one-sentence open
answer: the firm's true codes from resources/example/truth/answer_codes.csv) and otherwise the
machine's codes; coder B is coder A with a seeded set of planted changes. It lists both in
``handcoding.returned``, runs the report rule, and checks the disagreements against the planted
changes and κ/α against values computed here from the two filled sheets with the library's
agreement functions.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from chainpb.labels import CATEGORIES
from chainpb.text.agreement import cohen_kappa, krippendorff_alpha_two_coders
from chainpb.text.handcoding_sheet import SHEET_CODING

pytestmark = pytest.mark.e2e

from conftest import ROOT, snakemake  # noqa: E402

SHEET = "results/handcoding/coding_sheet.xlsx"
REPORT = [
    f"results/handcoding/{name}.csv"
    for name in (
        "agreement_human",
        "agreement_machine",
        "disagreements_human",
        "disagreements_machine",
        "candidate_terms",
        "gold",
    )
]
N_PLANTED = 15
CYCLE = {None: "P", "P": "R", "R": "D", "D": None}  # every planted change alters the code


def _truth_codes(project: Path) -> dict[tuple[str, str], dict[str, str | None]]:
    """(city, doc_id) → true codes of the firms whose answer is one coding unit."""
    truth = pd.read_csv(ROOT / "resources/example/truth/answer_codes.csv", encoding="utf-8-sig")
    out = {}
    for city in truth["city_key"].unique():
        survey = pd.read_parquet(project / f"results/{city}/ingest/survey.parquet")
        units = pd.read_parquet(project / f"results/{city}/text/units_answers.parquet")
        single = units.groupby("doc_id").size()
        single = set(single.index[single == 1])
        doc_of = dict(zip(survey["raw_row"], survey["enterprise_id"].astype(str), strict=True))
        for row in truth[truth["city_key"] == city].itertuples(index=False):
            doc = doc_of.get(row.raw_row)
            if doc in single:
                out[(city, doc)] = {c: ("P" if getattr(row, c) == 1 else None) for c in CATEGORIES}
    return out


def _coder_a(project: Path) -> tuple[dict[str, dict[str, str | None]], int]:
    key = pd.read_csv(
        project / "results/handcoding/sample_key.csv", encoding="utf-8-sig", dtype={"doc_id": str}
    )
    truth = _truth_codes(project)
    codes, from_truth = {}, 0
    for row in key.itertuples(index=False):
        known = truth.get((row.city_key, str(row.doc_id))) if row.source == "answers" else None
        if known is not None:
            codes[row.sample_id] = known
            from_truth += 1
        else:
            codes[row.sample_id] = {
                c: ("P" if getattr(row, f"machine_{c}") > 0 else None) for c in CATEGORIES
            }
    return codes, from_truth


def _fill(sheet: Path, out: Path, codes: dict[str, dict[str, str | None]]) -> None:
    wb = load_workbook(sheet)
    ws = wb[SHEET_CODING]
    for r in range(2, ws.max_row + 1):
        for i, category in enumerate(CATEGORIES):
            ws.cell(r, 5 + i).value = codes[ws.cell(r, 1).value][category]
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)


def _read_back(path: Path) -> pd.DataFrame:
    """The filled codes as the coder left them, read with openpyxl only (blank → "0")."""
    ws = load_workbook(path)[SHEET_CODING]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    frame = pd.DataFrame({"sample_id": [r[0] for r in rows]})
    for i, category in enumerate(CATEGORIES):
        frame[category] = [r[4 + i] or "0" for r in rows]
    return frame.set_index("sample_id").sort_index()


def test_handcoding_loop(run_dir: Path, run_copy: Path) -> None:
    project = run_copy
    sheet = project / SHEET
    assert sheet.exists() and (project / "results/handcoding/sample_key.csv").exists()
    log = (project / "logs/handcoding/handcoding_sheet.log").read_text(encoding="utf-8")
    assert "层 stratum suqian|answers|coded" in log and "sampled 200 units" in log

    # Rerunning the sheet rule gives byte-identical output.
    # The target goes first: --forcerun takes every name after it.
    snakemake(project, SHEET, "--cores", "1", "--forcerun", "handcoding_sheet")
    assert sheet.read_bytes() == (run_dir / SHEET).read_bytes()

    codes_a, from_truth = _coder_a(project)
    assert from_truth > 20  # enough units carry the example's truth rather than the machine's
    rng = np.random.default_rng(20251126)
    ids = sorted(codes_a)
    cells = [(sid, cat) for sid in ids for cat in CATEGORIES]
    planted = {cells[i] for i in rng.choice(len(cells), size=N_PLANTED, replace=False)}
    codes_b = {sid: dict(c) for sid, c in codes_a.items()}
    for sid, cat in planted:
        codes_b[sid][cat] = CYCLE[codes_b[sid][cat]]
    _fill(sheet, project / "handcoding/coder_a.xlsx", codes_a)
    _fill(sheet, project / "handcoding/coder_b.xlsx", codes_b)

    config = project / "config/config.yaml"
    text = config.read_text(encoding="utf-8")
    assert text.count("\n  returned: []") == 1
    config.write_text(
        text.replace(
            "\n  returned: []", "\n  returned: [handcoding/coder_a.xlsx, handcoding/coder_b.xlsx]"
        ),
        encoding="utf-8",
    )
    proc = snakemake(project, "--cores", "2", *REPORT)
    # Only the report job ran: listing the returned sheets re-runs nothing upstream.
    assert "handcoding_report" in proc.stderr + proc.stdout
    for upstream in ("code_text", "segment", "handcoding_sheet"):
        assert not re.search(rf"rule {upstream}:", proc.stderr + proc.stdout), upstream

    out = project / "results/handcoding"
    differ = pd.read_csv(out / "disagreements_human.csv", encoding="utf-8-sig", dtype=str)
    assert len(differ) == N_PLANTED
    assert set(zip(differ["sample_id"], differ["category"], strict=True)) == planted
    for row in differ.itertuples(index=False):
        assert row.coder_a == (codes_a[row.sample_id][row.category] or "0")
        assert row.coder_b == (codes_b[row.sample_id][row.category] or "0")

    a = _read_back(project / "handcoding/coder_a.xlsx")
    b = _read_back(project / "handcoding/coder_b.xlsx")
    human = pd.read_csv(out / "agreement_human.csv", encoding="utf-8-sig")
    n = len(ids)
    for category in [*CATEGORIES, "pooled"]:
        cats = list(CATEGORIES) if category == "pooled" else [category]
        code_a = np.concatenate([a[c].to_numpy(dtype=object) for c in cats])
        code_b = np.concatenate([b[c].to_numpy(dtype=object) for c in cats])
        diff_a, diff_b = (code_a == "P").astype(int), (code_b == "P").astype(int)
        row = human[(human["category"] == category) & (human["coder_a"] == "coder_a")].iloc[0]
        assert row["coder_b"] == "coder_b" and row["n"] == n * len(cats)
        assert row["kappa_difficulty"] == pytest.approx(cohen_kappa(diff_a, diff_b))
        assert row["kappa_code"] == pytest.approx(cohen_kappa(code_a, code_b))
        assert row["alpha_difficulty"] == pytest.approx(
            krippendorff_alpha_two_coders(diff_a, diff_b)
        )
        assert row["alpha_code"] == pytest.approx(krippendorff_alpha_two_coders(code_a, code_b))
        everyone = human[(human["category"] == category) & (human["coder_a"] == "all")].iloc[0]
        assert everyone["alpha_code"] == pytest.approx(row["alpha_code"])
    pooled = human[(human["category"] == "pooled") & (human["coder_a"] == "coder_a")].iloc[0]
    # The planted changes are the only disagreements: 4n decisions, N_PLANTED of them differ.
    assert pooled["percent_agreement_code"] == pytest.approx(100 * (1 - N_PLANTED / (4 * n)))
    assert 0.5 < pooled["kappa_code"] < 1

    gold = pd.read_csv(out / "gold.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    touched = {sid for sid, _ in planted}
    assert len(gold) == n - len(touched)
    assert set(gold["unit_id"]) == set(ids) - touched
    assert set(gold["split"]) == {"dev"} and set(gold["basis"]) == {"agreed"}
    for row in gold.head(20).itertuples(index=False):
        for category in CATEGORIES:
            assert getattr(row, category) == (codes_a[row.unit_id][category] or "0")

    machine = pd.read_csv(out / "agreement_machine.csv", encoding="utf-8-sig")
    both = machine[(machine["comparison"] == "difficulty") & (machine["source"] == "all")]
    key = pd.read_csv(out / "sample_key.csv", encoding="utf-8-sig").set_index("sample_id")
    for category in CATEGORIES:
        row = both[both["category"] == category].iloc[0]
        human_p = gold[category] == "P"
        machine_p = key.loc[gold["unit_id"], f"machine_{category}"].to_numpy() > 0
        assert row["n"] == len(gold)
        assert row["tp"] == int((human_p.to_numpy() & machine_p).sum())
        assert row["fn"] == int((human_p.to_numpy() & ~machine_p).sum())

    terms = pd.read_csv(out / "candidate_terms.csv", encoding="utf-8-sig")
    assert (terms["n_missed"] >= 2).all() and (terms["score"] > 0).all()
    assert terms.groupby("category").size().max() <= 20
    report_log = (project / "logs/handcoding/handcoding_report.log").read_text(encoding="utf-8")
    assert "编码者之间不一致 15 处" in report_log and "15 coder disagreements" in report_log


def test_report_needs_two_returned_sheets(run_copy: Path) -> None:
    proc = snakemake(run_copy, "--dry-run", REPORT[0], check=False)
    assert proc.returncode != 0
    assert "handcoding.returned" in proc.stdout + proc.stderr

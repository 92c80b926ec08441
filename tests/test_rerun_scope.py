"""What a rerun reruns (issue 13, item 4): dry runs in a copy of a finished example run.

- A comment or layout edit of the codebook reruns nothing: the codebook is an ``ancient()``
  input and its *semantic* hash a parameter (workflow/rules/common.smk).
- An edit of its meaning reruns coding and what follows, never ingest or segmentation, and never
  the supervised coder's fits; when the analysis table comes out the same, the model fits
  restore their results (chainpb.memo) rather than refit: its jobs (supervised_coder, supervised_predict,
  supervised_out_of_fold) read the gold, the dictionaries and the tokens, not the codebook; the
  jobs that combine their stored codes with the codebook (text_measures, validate_coding)
  are cheap.
- ``text.shards`` reruns segmenting and coding as shard jobs joined by gather jobs (whose files
  are byte-identical to the unsharded ones, tests/test_text_stream.py).

The finished run is the session's e2e run (``run_copy``), or — to check a change without a
whole workflow run — an existing finished run named by ``CHAINPB_FINISHED_RUN`` (a project
folder with results/, logs/ and .snakemake/ made by the code under test; its own src/, if
any, is put on PYTHONPATH so that the code hashes match those it was run with).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import SNAKEMAKE, _env, copy_project

FINISHED = os.environ.get("CHAINPB_FINISHED_RUN")
pytestmark = [] if FINISHED else [pytest.mark.e2e]

CODER_RULES = {"supervised_coder", "supervised_predict", "supervised_out_of_fold"}


@pytest.fixture
def finished_run(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Path, dict[str, str]]:
    if not FINISHED:
        project = request.getfixturevalue("run_copy")
        return project, _env(project.parent)
    project = copy_project(tmp_path / "project", Path(FINISHED), with_results=True)
    env = _env(project.parent)
    if (Path(FINISHED) / "src").is_dir():
        shutil.copytree(Path(FINISHED) / "src", project / "src", symlinks=True)
        env["PYTHONPATH"] = str(project / "src")
    return project, env


def _dry_run(project: Path, env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [*SNAKEMAKE, "--dry-run", "--cores", "1", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
    ).stdout


def _dry_run_rules(project: Path, env: dict[str, str], *args: str) -> set[str]:
    stdout = _dry_run(project, env, *args)
    return set(re.findall(r"^(?:local)?rule (\w+):", stdout, flags=re.MULTILINE)) - {"all"}


NEVER_FOR_CODEBOOK = CODER_RULES | {"segment", "ingest_survey", "ingest_policies", "pool_ingest"}


def test_codebook_edits_rerun_exactly_coding_and_after(
    finished_run: tuple[Path, dict[str, str]],
) -> None:
    project, env = finished_run
    defined = {
        m
        for smk in (project / "workflow/rules").glob("*.smk")
        for m in re.findall(r"^rule (\w+):", smk.read_text(encoding="utf-8"), re.MULTILINE)
    }
    assert defined >= CODER_RULES  # the coder's fits are jobs of their own
    assert _dry_run_rules(project, env) == set()  # a finished run: nothing to do
    codebook = project / "config/codebook.yaml"
    original = codebook.read_text(encoding="utf-8")

    # A comment, a blank line: same meaning, nothing to do (the file is newer than every output).
    codebook.write_text(
        original + "\n# 备注：下周与课题组核对 / note: check with the team\n", "utf-8"
    )
    assert _dry_run_rules(project, env) == set()

    data = yaml.safe_load(original)
    data["categories"]["coverage"]["terms"].append("组织关系转不过来")
    codebook.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    rules = _dry_run_rules(project, env)
    assert {"code_text", "text_measures", "validate_coding"} <= rules, rules
    assert not rules & NEVER_FOR_CODEBOOK, rules

    # The term occurs in no example answer: coding reruns, the analysis table comes out byte
    # for byte the same, so every fit restores its results (chainpb.memo) instead of refitting.
    results = project / "results"
    analysis = (results / "analysis/analysis.parquet").read_bytes()
    kept = {p: p.read_bytes() for p in (results / "models").rglob("*") if p.is_file()}
    subprocess.run(
        [*SNAKEMAKE, "--cores", "2"], cwd=project, env=env, capture_output=True, check=True
    )
    assert (results / "analysis/analysis.parquet").read_bytes() == analysis
    assert {p: p.read_bytes() for p in kept} == kept
    # the measures carry no codebook hash, so the analysis table and the figures restore too
    fit_logs = sorted((project / "logs/models").glob("fit_*.log"))
    assert fit_logs
    restored = [*fit_logs, project / "logs/analysis/analysis_table.log"]
    restored.append(project / "logs/present/figures.log")
    for log in restored:
        assert "restored, not recomputed" in log.read_text(encoding="utf-8"), log.name
    assert _dry_run_rules(project, env) == set()


def test_shards_rerun_the_text_stage_as_shard_jobs(
    finished_run: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    project, env = finished_run
    extra = tmp_path / "shards.yaml"
    extra.write_text("text:\n  shards: 2\n", encoding="utf-8")
    stdout = _dry_run(project, env, "--configfile", str(extra))
    rules = set(re.findall(r"^(?:local)?rule (\w+):", stdout, flags=re.MULTILINE))
    assert {"segment", "code_text", "gather_tokens", "gather_codes"} <= rules, rules
    # two shard jobs per city source: 3 cities x 2 sources x 2 shards (the example's config)
    assert len(re.findall(r"^rule segment:", stdout, flags=re.MULTILINE)) == 3 * 2 * 2
    assert "shards/tokens_answers_1.parquet" in stdout
    assert not rules & {"ingest_survey", "ingest_policies"}, rules

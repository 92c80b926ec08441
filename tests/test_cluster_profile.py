"""The Slurm profile (workflow/profiles/slurm/config.yaml): its keys, and a dry run through it.

The key checks always run. The dry run needs the optional plugin (`pip install -e ".[slurm]"`)
and a Slurm controller that answers `sinfo`; without either it is skipped with the reason.
docs/cluster.md says how to set up a one-machine test cluster.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, copy_project, snakemake

PROFILE = ROOT / "workflow" / "profiles" / "slurm" / "config.yaml"
HEAVY_RULES = ["segment", "code_text", "fit_model", "fit_ols", "fit_mediation"]


def family_rules() -> set[str]:
    """The fit rules models.smk makes in a loop (model_jobs: family): one per estimator of the
    schema's enum and one for mediation (chainpb.models.groups.family_of)."""
    from chainpb.models.groups import MEDIATION, rule_name

    schema = yaml.safe_load(
        (ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text(encoding="utf-8")
    )
    estimators = schema["$defs"]["model"]["properties"]["estimator"]["enum"]
    return {rule_name(f) for f in [*estimators, MEDIATION]}


def rule_names() -> set[str]:
    names: set[str] = family_rules()
    for smk in [ROOT / "Snakefile", *sorted((ROOT / "workflow" / "rules").glob("*.smk"))]:
        for line in smk.read_text(encoding="utf-8").splitlines():
            # indented too: fit_model is defined under `if config["model_jobs"] == "model":`
            line = line.strip()
            if line.startswith("rule ") and line.endswith(":"):
                names.add(line[len("rule ") :].rstrip(": \n"))
    return names


@pytest.fixture(scope="module")
def profile() -> dict:
    return yaml.safe_load(PROFILE.read_text(encoding="utf-8"))


def test_profile_uses_slurm_executor(profile: dict) -> None:
    assert profile["executor"] == "slurm"
    assert isinstance(profile["jobs"], int) and profile["jobs"] > 0
    assert profile["latency-wait"] >= 5
    assert profile["retries"] >= 1
    assert profile["printshellcmds"] is True
    assert profile["rerun-incomplete"] is True


def test_default_resources(profile: dict) -> None:
    res = profile["default-resources"]
    assert isinstance(res["mem_mb"], int) and res["mem_mb"] >= 1000
    # runtime is minutes (sbatch -t); a bare integer, not a "30m" string
    assert isinstance(res["runtime"], int) and 0 < res["runtime"] <= 24 * 60
    assert res["cpus_per_task"] == 1
    # site-specific values stay out of the shared profile (docs/cluster.md)
    assert "slurm_account" not in res


def test_set_resources_name_real_rules(profile: dict) -> None:
    rules = rule_names()
    overrides = profile.get("set-resources", {})
    assert set(HEAVY_RULES) <= set(overrides)
    # every family's fit job gets the model-fit resources, not the default
    assert family_rules() <= set(overrides), family_rules() - set(overrides)
    for rule, res in overrides.items():
        assert rule in rules, f"set-resources names unknown rule {rule!r}"
        assert set(res) <= {"mem_mb", "runtime", "cpus_per_task", "slurm_partition"}, rule


def test_plugin_settings_are_plugin_options(profile: dict) -> None:
    settings = {k for k in profile if k.startswith("slurm-")}
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        pytest.skip('snakemake-executor-plugin-slurm not installed (pip install -e ".[slurm]")')
    from dataclasses import fields

    from snakemake_executor_plugin_slurm import ExecutorSettings

    known = {"slurm-" + f.name.replace("_", "-") for f in fields(ExecutorSettings)}
    assert settings <= known, settings - known


def _slurm_unavailable() -> str | None:
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        return 'snakemake-executor-plugin-slurm not installed (pip install -e ".[slurm]")'
    if shutil.which("sinfo") is None:
        return "no Slurm client (sinfo) on PATH; see docs/cluster.md"
    try:
        proc = subprocess.run(["sinfo", "-h"], capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired:
        return "sinfo timed out: no Slurm controller answering"
    if proc.returncode != 0:
        return f"sinfo failed, no Slurm controller answering: {proc.stderr.strip()[:200]}"
    return None


def test_dry_run_through_slurm_profile(tmp_path: Path) -> None:
    reason = _slurm_unavailable()
    if reason:
        pytest.skip(reason)
    project = copy_project(tmp_path / "project")
    proc = snakemake(project, "--profile", "workflow/profiles/slurm", "--dry-run")
    out = proc.stdout + proc.stderr
    assert "This was a dry-run" in out
    assert "summary_docx" in out

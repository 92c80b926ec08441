"""Provenance of a run (src/chainpb/provenance.py): hashes and package versions."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from chainpb.provenance import NOT_INSTALLED, PACKAGES, package_version, provenance
from chainpb.text.codebook import load_codebook

PROJECT = Path(__file__).resolve().parents[1]


def test_provenance_of_the_project(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    shutil.copy(PROJECT / "config" / "codebook.yaml", tmp_path / "config" / "codebook.yaml")
    (tmp_path / "config" / "config.yaml").write_text("seed: 1\n", encoding="utf-8")
    config = {"text": {"codebook": "config/codebook.yaml"}}

    out = provenance(config, tmp_path)

    assert out["codebook_hash"] == load_codebook(PROJECT / "config" / "codebook.yaml").hash
    assert out["config_sha256"] == hashlib.sha256(b"seed: 1\n").hexdigest()[:12]
    assert list(out["versions"]) == ["python", *PACKAGES]
    assert out["versions"]["chainpb"] != NOT_INSTALLED
    assert all(isinstance(v, str) for v in out["versions"].values())


def test_missing_package_is_reported_not_raised() -> None:
    assert package_version("chainpb-no-such-distribution") == NOT_INSTALLED

"""Provenance of a run: codebook hash, config-file hash and package versions.

The workflow stores the result in ``config["provenance"]`` (workflow/rules/common.smk) so that
the front page of the Snakemake report (workflow/report/workflow.rst) can show which codebook,
which configuration and which library versions produced the results.
本模块记录一次运行的来源信息：编码本哈希、配置文件哈希与各依赖包版本，供报告首页展示。
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import platform
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: Distributions whose versions are reported, in display order (names as on PyPI).
PACKAGES: tuple[str, ...] = (
    "chainpb",
    "snakemake",
    "pandas",
    "numpy",
    "statsmodels",
    "scikit-learn",
    "jieba",
    "seaborn",
    "matplotlib",
    "python-docx",
    "pyreadstat",
    "openpyxl",
)

#: What is shown when a distribution is not installed.
NOT_INSTALLED = "未安装 not installed"


def package_version(name: str) -> str:
    """Installed version of distribution ``name``, or NOT_INSTALLED."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return NOT_INSTALLED


def file_sha256(path: str | Path, length: int = 12) -> str:
    """First ``length`` hex digits of the SHA-256 of the file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:length]


def _in_project(raw: str | Path, project_dir: Path) -> Path:
    path = Path(raw).expanduser()
    return path if path.is_absolute() else project_dir / path


def provenance(
    config: Mapping[str, Any],
    project_dir: str | Path,
    config_file: str | Path = "config/config.yaml",
    codebook_hash: str | None = None,
) -> dict[str, Any]:
    """Codebook hash, config-file hash and package versions of this run.

    ``config`` is the validated workflow config; the codebook is read from
    ``config["text"]["codebook"]`` and ``config_file`` (relative paths are taken relative to
    ``project_dir``); ``codebook_hash``, when the caller has loaded the codebook already (the
    Snakefile), saves reading and validating it a second time. Returns plain strings only, so
    the dict can live in the Snakemake config::

        {"codebook": "config/codebook.yaml", "codebook_hash": "e9b8b3d123ed",
         "config_file": "config/config.yaml", "config_sha256": "…12 hex…",
         "versions": {"python": "3.11.2", "chainpb": "0.1.0", …}}
    """
    project = Path(project_dir)
    codebook_path = config["text"]["codebook"]
    if codebook_hash is None:
        from chainpb.text.codebook import load_codebook  # here: the Snakefile passes the hash

        codebook_hash = load_codebook(_in_project(codebook_path, project)).hash
    versions = {"python": platform.python_version()}
    versions.update({name: package_version(name) for name in PACKAGES})
    return {
        "codebook": str(codebook_path),
        "codebook_hash": codebook_hash,
        "config_file": str(config_file),
        "config_sha256": file_sha256(_in_project(config_file, project)),
        "versions": versions,
    }

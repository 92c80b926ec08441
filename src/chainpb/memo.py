"""Restore a job's results when its inputs, parameters and code are those of the run that wrote
them (issue 13, item 4: cheap reruns).

Snakemake decides what to rerun before anything runs: once coding reruns after a codebook edit,
every job after it is scheduled, even when the analysis table it rewrites is byte for byte the
one before (an edit that changes no firm's code). Those jobs — fits, tables, figures — call
:meth:`Memo.restored` first: when the bytes of every input, the rule's parameters (which carry
the hash of the library code it runs, ``code``), the installed package versions and the
environment variables that reach results are those recorded when the current results were
written, the job puts those results back (hard links, checked against their recorded SHA-256)
and exits without importing pandas, statsmodels or matplotlib. Results are deterministic (the
same inputs and config give byte-identical results), so a restored file is the file a rerun
would write. Otherwise the job runs and :meth:`Memo.save` records its results.

The record lives in ``.cache/memo/`` of the project (one folder per job: its outputs, the
log, ``entry.json``); deleting the folder, or ``CHAINPB_MEMO=0`` in the environment, makes every
job compute again. Imports here are the standard library only: the check runs before a job's
heavy imports.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

MEMO_DIR = Path(".cache") / "memo"
# Environment variables that reach results: timestamps of written documents, the
# pseudonymisation key (hashed, never stored), the corpus folder.
_ENV = ("SOURCE_DATE_EPOCH", "CHAINPB_HASH_KEY", "CHAINPB_CORPORA")
_CHUNK = 1 << 20


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file's bytes, or of a folder's files (relative names and bytes)."""
    path = Path(path)
    digest = hashlib.sha256()
    if path.is_dir():
        for sub in sorted(p for p in path.rglob("*") if p.is_file()):
            digest.update(str(sub.relative_to(path)).encode("utf-8") + b"\0")
            digest.update(file_digest(sub).encode("ascii"))
        return digest.hexdigest()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def installed_packages() -> list[str]:
    """The installed distributions with their versions (``pandas-3.1.1.dist-info`` …, the
    folder names on ``sys.path``: no metadata file is read), sorted: an upgrade recomputes."""
    seen = set()
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        seen.update(n for n in names if n.endswith((".dist-info", ".egg-info")))
    return sorted(seen)


def _environment() -> dict[str, str]:
    env = {}
    for name in _ENV:
        value = os.environ.get(name)
        if value is not None:
            env[name] = hashlib.sha256(value.encode("utf-8")).hexdigest()
    return env


def _named(items: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    return {str(k): v for k, v in items}


class Memo:
    """The record of one Snakemake script job (``snakemake`` object of the script)."""

    def __init__(self, sm: Any, root: str | Path = ".") -> None:
        self.rule = str(sm.rule)
        self.inputs = [str(p) for p in sm.input]
        self.outputs = [str(p) for p in sm.output]
        self.log = str(sm.log[0]) if len(sm.log) else None
        self.params = _named(sm.params.items())
        self.wildcards = _named(sm.wildcards.items())
        job = json.dumps([self.rule, self.outputs], ensure_ascii=False)
        self.folder = Path(root) / MEMO_DIR / hashlib.sha256(job.encode("utf-8")).hexdigest()[:32]
        self._key: str | None = None

    @property
    def enabled(self) -> bool:
        return os.environ.get("CHAINPB_MEMO", "1") != "0"

    def key(self) -> str:
        """SHA-256 of everything a result depends on: rule, wildcards, parameters (the library
        code hash among them), input bytes, Python and package versions, environment."""
        if self._key is None:
            content = {
                "rule": self.rule,
                "wildcards": self.wildcards,
                "params": self.params,
                "inputs": [[p, file_digest(p)] for p in self.inputs],
                "outputs": self.outputs,
                "python": sys.version,
                "packages": installed_packages(),
                "env": _environment(),
            }
            text = json.dumps(content, ensure_ascii=False, sort_keys=True, default=repr)
            self._key = hashlib.sha256(text.encode("utf-8")).hexdigest()
        return self._key

    def _entry(self) -> dict[str, Any] | None:
        try:
            return json.loads((self.folder / "entry.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def restored(self) -> bool:
        """Put back the recorded results if this job's key is the recorded one and every stored
        file still has its recorded SHA-256; True when done (the job then has nothing to do)."""
        if not self.enabled:
            return False
        entry = self._entry()
        if entry is None or entry.get("key") != self.key():
            return False
        stored = entry.get("outputs", [])
        if [o["path"] for o in stored] != self.outputs:
            return False
        for i, out in enumerate(stored):
            copy = self.folder / f"out{i}"
            if not copy.is_file() or file_digest(copy) != out["sha256"]:
                return False
        for i, out in enumerate(stored):
            _place(self.folder / f"out{i}", Path(out["path"]))
        if self.log is not None:
            previous = self.folder / "log"
            text = previous.read_text(encoding="utf-8") if previous.is_file() else ""
            Path(self.log).parent.mkdir(parents=True, exist_ok=True)
            Path(self.log).write_text(
                "输入、参数、代码与写出这些结果的那次运行完全相同：恢复其结果，未重新计算"
                "（.cache/memo；CHAINPB_MEMO=0 可关闭）。以下是那次运行的日志。\n"
                "Inputs, parameters and code are those of the run that wrote these results: "
                "restored, not recomputed (.cache/memo; CHAINPB_MEMO=0 turns it off). That "
                "run's log follows.\n" + text,
                encoding="utf-8",
            )
        return True

    def save(self) -> None:
        """Record the results this job has just written (call after the last output)."""
        if not self.enabled:
            return
        key = self.key()
        (self.folder / "entry.json").unlink(missing_ok=True)  # no valid entry while replacing
        self.folder.mkdir(parents=True, exist_ok=True)
        stored = []
        for i, path in enumerate(self.outputs):
            _place(Path(path), self.folder / f"out{i}")
            stored.append({"path": path, "sha256": file_digest(path)})
        if self.log is not None and Path(self.log).is_file():
            for handler in _log_handlers():
                handler.flush()
            shutil.copyfile(self.log, self.folder / "log")
        tmp = self.folder / "entry.json.tmp"
        tmp.write_text(
            json.dumps({"rule": self.rule, "key": key, "outputs": stored}, ensure_ascii=False),
            encoding="utf-8",
        )
        os.replace(tmp, self.folder / "entry.json")


def _log_handlers() -> list[Any]:
    import logging

    return [h for lg in (logging.getLogger(), logging.getLogger("chainpb")) for h in lg.handlers]


def _place(source: Path, target: Path) -> None:
    """``target`` becomes a hard link to ``source`` (a copy across file systems), atomically."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.memo.tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(source, tmp)
    except OSError:
        shutil.copyfile(source, tmp)
    os.replace(tmp, target)

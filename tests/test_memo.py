"""chainpb.memo: a job restores its results only when its inputs, parameters and code are those
of the run that wrote them (issue 13, item 4).

A fake ``snakemake`` object stands in for the one Snakemake injects (same attribute names:
rule, input, output, log, params, wildcards; Namedlists with ``items()``). The end-to-end side
— fits restored after a codebook edit that changes no code, results byte-identical — is in
tests/test_rerun_scope.py.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from chainpb.memo import MEMO_DIR, Memo, file_digest


class Named(list):
    """A Snakemake Namedlist in miniature: a list of values with ``items()`` by name."""

    def __init__(self, **named: object) -> None:
        super().__init__(named.values())
        self._named = named

    def items(self):
        return self._named.items()


def job(root: Path, params: dict | None = None) -> SimpleNamespace:
    return SimpleNamespace(
        rule="fit_ols",
        input=Named(analysis=str(root / "analysis.csv")),
        output=Named(a=str(root / "out" / "a.json"), b=str(root / "out" / "b.json")),
        log=[str(root / "logs" / "fit_ols.log")],
        params=Named(**(params or {"code": "abc123", "models": {"m": {"y": ["x"]}}})),
        wildcards=Named(),
    )


def run(sm: SimpleNamespace, root: Path, content: str) -> bool:
    """What a script does: restore, or write the outputs and the log and save."""
    memo = Memo(sm, root=root)
    if memo.restored():
        return True
    for path in sm.output:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(f"{content} {Path(path).name}", encoding="utf-8")
    Path(sm.log[0]).parent.mkdir(parents=True, exist_ok=True)
    Path(sm.log[0]).write_text("INFO fitted\n", encoding="utf-8")
    memo.save()
    return False


def remove_outputs(sm: SimpleNamespace) -> None:
    """Snakemake deletes a job's outputs and log before running it."""
    for path in [*sm.output, *sm.log]:
        Path(path).unlink()


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("CHAINPB_MEMO", raising=False)
    (tmp_path / "analysis.csv").write_text("firm,y,x\n1,2,3\n", encoding="utf-8")
    return tmp_path


def test_file_digest_is_sha256_of_the_bytes(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(b"abc")
    # SHA-256("abc"), FIPS 180-2 appendix B.1
    assert file_digest(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert file_digest(path) == hashlib.sha256(b"abc").hexdigest()


def test_same_inputs_restore_the_same_bytes(root: Path) -> None:
    sm = job(root)
    assert run(sm, root, "first") is False  # nothing recorded yet: computes
    before = {p: Path(p).read_bytes() for p in sm.output}
    remove_outputs(sm)
    assert run(sm, root, "second") is True  # same inputs: restored, not recomputed
    assert {p: Path(p).read_bytes() for p in sm.output} == before  # "first", not "second"
    log = Path(sm.log[0]).read_text(encoding="utf-8")
    assert log.startswith("输入、参数、代码与写出这些结果的那次运行完全相同")
    assert "restored, not recomputed" in log
    assert log.endswith("INFO fitted\n")  # the computing run's log follows
    assert (root / MEMO_DIR).is_dir()


@pytest.mark.parametrize(
    "change",
    ["input bytes", "params", "code hash", "environment", "outputs"],
)
def test_any_change_recomputes(root: Path, change: str, monkeypatch: pytest.MonkeyPatch) -> None:
    sm = job(root)
    run(sm, root, "first")
    remove_outputs(sm)
    if change == "input bytes":
        (root / "analysis.csv").write_text("firm,y,x\n1,2,4\n", encoding="utf-8")
    elif change == "params":
        sm = job(root, {"code": "abc123", "models": {"m": {"y": ["x", "z"]}}})
    elif change == "code hash":  # a library upgrade changes the rule's `code` param
        sm = job(root, {"code": "def456", "models": {"m": {"y": ["x"]}}})
    elif change == "environment":
        monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")
    elif change == "outputs":  # the job writes another set of files: its own record
        sm.output = Named(a=str(root / "out" / "a.json"))
    assert run(sm, root, "second") is False
    assert Path(sm.output[0]).read_text(encoding="utf-8") == "second a.json"


def test_a_stored_file_changed_since_is_not_restored(root: Path) -> None:
    sm = job(root)
    run(sm, root, "first")
    # The stored copy is a hard link to the result: an in-place edit of the result (a
    # spreadsheet saved over it) changes the stored bytes, which no longer match the record.
    with open(sm.output[1], "a", encoding="utf-8") as f:
        f.write(" edited")
    remove_outputs(sm)
    assert run(sm, root, "second") is False
    assert Path(sm.output[1]).read_text(encoding="utf-8") == "second b.json"


def test_memo_off_by_environment(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sm = job(root)
    run(sm, root, "first")
    remove_outputs(sm)
    monkeypatch.setenv("CHAINPB_MEMO", "0")
    assert run(sm, root, "second") is False
    assert Path(sm.output[0]).read_text(encoding="utf-8") == "second a.json"


def test_restored_file_is_a_new_name_for_the_stored_bytes(root: Path) -> None:
    sm = job(root)
    run(sm, root, "first")
    remove_outputs(sm)
    run(sm, root, "second")
    # atomic placement leaves no temporary file behind
    assert sorted(os.listdir(root / "out")) == ["a.json", "b.json"]

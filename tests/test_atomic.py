"""Atomic writes: results honour the umask (0644 with umask 022), and a failed write leaves nothing.

Expected modes are POSIX arithmetic: 0o666 & ~0o022 = 0o644, 0o666 & ~0o077 = 0o600,
0o666 & ~0o002 = 0o664 — what ``open(path, "w")`` would create under the same umask.
"""

from __future__ import annotations

import os
import stat
import sys

import pandas as pd
import pytest

from chainpb import atomic


@pytest.fixture
def umask():
    """Set a umask for one test and restore the previous one afterwards."""
    old = os.umask(0o022)
    os.umask(old)

    def set_(mask: int) -> None:
        os.umask(mask)

    yield set_
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_every_writer_honours_the_umask(tmp_path, umask, mask, expected):
    umask(mask)
    assert atomic.current_umask() == mask
    df = pd.DataFrame({"a": [1, 2]})
    atomic.write_text(tmp_path / "t.txt", "x")
    atomic.write_bytes(tmp_path / "b.bin", b"x")
    atomic.write_json(tmp_path / "j.json", {"a": 1})
    atomic.write_csv(tmp_path / "c.csv", df)
    atomic.write_parquet(tmp_path / "p.parquet", df)
    atomic.write_with(tmp_path / "w.txt", lambda p: p.write_text("y", encoding="utf-8"))
    for name in ("t.txt", "b.bin", "j.json", "c.csv", "p.parquet", "w.txt"):
        assert mode(tmp_path / name) == expected, name
    # Same as a plain open() under that umask (the reference behaviour).
    plain = tmp_path / "plain.txt"
    plain.write_text("z", encoding="utf-8")
    assert mode(plain) == expected


def test_overwrite_replaces_a_private_file_with_a_readable_one(tmp_path, umask):
    umask(0o022)
    target = tmp_path / "r.csv"
    target.write_text("old", encoding="utf-8")
    os.chmod(target, 0o600)  # as the old atomic writer left it
    atomic.write_text(target, "new")
    assert target.read_text(encoding="utf-8") == "new"
    assert mode(target) == 0o644


def test_failed_write_leaves_no_file(tmp_path):
    target = tmp_path / "x.txt"

    def boom(path):
        path.write_text("half", encoding="utf-8")
        raise RuntimeError("crash")

    with pytest.raises(RuntimeError):
        atomic.write_with(target, boom)
    assert list(tmp_path.iterdir()) == []

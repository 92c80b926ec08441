"""Encoding detection from bytes (chainpb.ingest.encoding)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainpb.errors import InputError
from chainpb.ingest.encoding import detect_encoding, detect_encoding_bytes, read_text_auto

TEXT = "企业编号,产业链\nA001,集成电路\n"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (TEXT.encode("utf-8-sig"), "utf-8-sig"),
        (b"\xff\xfe" + TEXT.encode("utf-16-le"), "utf-16-le"),
        (b"\xfe\xff" + TEXT.encode("utf-16-be"), "utf-16-be"),
        (TEXT.encode("gbk"), "gb18030"),
        # 𠀀 (U+20000) exists only in GB18030 (4-byte sequence), not in GBK.
        ("企业𠀀".encode("gb18030"), "gb18030"),
        (b"plain ascii", "utf-8"),
    ],
)
def test_detects_encoding_from_bytes(data: bytes, expected: str) -> None:
    assert detect_encoding_bytes(data) == expected


def test_file_name_is_ignored(tmp_path: Path) -> None:
    # A GBK file named like a UTF-8 export is still read as GB18030.
    path = tmp_path / "survey_utf8.csv"
    path.write_bytes(TEXT.encode("gbk"))
    assert detect_encoding(path) == "gb18030"
    text, encoding = read_text_auto(path)
    assert text == TEXT and encoding == "gb18030"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_bom_is_not_part_of_the_text(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(TEXT.encode(encoding))  # Python's utf-16 writes a BOM (LE on this machine)
    text, _ = read_text_auto(path)
    assert text == TEXT


def test_undecodable_bytes_name_file_and_offset(tmp_path: Path) -> None:
    # "ab" then 0x80 (a lone UTF-8 continuation byte, also invalid as a GB18030 lead byte) at
    # offset 2; then 0xFF, invalid in both. UTF-8 fails at offset 2, GB18030 at offset 2 too.
    path = tmp_path / "broken.csv"
    path.write_bytes(b"ab\x80\xffcd")
    with pytest.raises(InputError) as info:
        detect_encoding(path)
    message = str(info.value)
    assert "broken.csv" in message
    assert "偏移量 2" in message and "offset 2" in message


def test_offset_reports_furthest_attempt(tmp_path: Path) -> None:
    # Valid GBK "企业" (4 bytes: c6 f3 d2 b5) is invalid UTF-8 at offset 0, then 0xFF at offset 4
    # breaks GB18030: the report names offset 4, where the file most likely breaks.
    data = "企业".encode("gbk") + b"\xff"
    assert data[:4] == bytes.fromhex("c6f3d2b5")
    path = tmp_path / "mixed.txt"
    path.write_bytes(data)
    with pytest.raises(InputError, match="offset 4"):
        detect_encoding(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        detect_encoding(tmp_path / "nope.csv")

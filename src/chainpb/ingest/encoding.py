"""Encoding detection for text-ish inputs (CSV exports, policy .txt files, manifests).

Chinese survey exports come as UTF-8 (with or without the BOM Excel writes), UTF-16 (Excel's
"Unicode text"), or GBK/GB18030 (Excel and WPS on Chinese Windows). The encoding is decided
from the bytes alone, never from the file name, in this order:

1. a byte-order mark: UTF-8-sig, UTF-16 LE, UTF-16 BE;
2. strict UTF-8 — a GBK file almost never decodes as valid UTF-8, so trying UTF-8 first is safe;
3. strict GB18030, a superset of GBK and GB2312.

If none decodes, the error names the file and the byte offset of the first byte that is not
valid, taken from the UTF-8 attempt (the more likely intent) unless GB18030 got further.
"""

from __future__ import annotations

import os
from pathlib import Path

from chainpb.errors import InputError, Location

_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def detect_encoding_bytes(data: bytes, source: str | os.PathLike[str] = "<bytes>") -> str:
    """Return the name of the encoding that decodes ``data`` (see module docstring for the order).

    Raises InputError naming ``source`` and the byte offset of the first undecodable byte.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                data[len(bom) :].decode(name.replace("-sig", ""), errors="strict")
            except UnicodeDecodeError as err:
                raise _undecodable(source, name, err.start + len(bom)) from err
            return name
    failures: list[tuple[str, int]] = []
    for name in ("utf-8", "gb18030"):
        try:
            data.decode(name, errors="strict")
        except UnicodeDecodeError as err:
            failures.append((name, err.start))
            continue
        return name
    # Report the attempt that got furthest: that is where the file most likely breaks.
    name, offset = max(failures, key=lambda item: item[1])
    raise _undecodable(source, name, offset)


def _undecodable(source: str | os.PathLike[str], tried: str, offset: int) -> InputError:
    return InputError(
        Location(str(source)),
        f"无法识别文件编码（已尝试 UTF-8、UTF-16、GB18030）；第一个无法解码的字节位于偏移量 {offset}"
        f"（按 {tried} 解码）。请用 Excel/WPS 另存为“CSV UTF-8”或纯文本 UTF-8 后重试。",
        f"cannot determine the text encoding (tried UTF-8, UTF-16, GB18030); first undecodable "
        f"byte at offset {offset} (decoding as {tried}). Save the file as 'CSV UTF-8' or plain "
        f"UTF-8 text and retry.",
    )


def detect_encoding(path: str | os.PathLike[str]) -> str:
    """Encoding of the file at ``path``, detected from its bytes."""
    return detect_encoding_bytes(_read_bytes(path), path)


def read_text_auto(path: str | os.PathLike[str]) -> tuple[str, str]:
    """Read a text file in its detected encoding; return ``(text, encoding)``.

    Line endings are left as they are: the CSV reader needs them intact inside quoted cells.
    """
    data = _read_bytes(path)
    encoding = detect_encoding_bytes(data, path)
    # UTF-16 codecs with an explicit byte order keep the BOM as U+FEFF; drop it like utf-8-sig does.
    return data.decode(encoding).removeprefix("\ufeff"), encoding


def _read_bytes(path: str | os.PathLike[str]) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError as err:
        raise InputError(Location(str(path)), "文件不存在。", "the file does not exist.") from err
    except OSError as err:
        raise InputError(
            Location(str(path)), f"无法读取文件：{err}", f"cannot read the file: {err}"
        ) from err

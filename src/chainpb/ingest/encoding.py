"""Encoding detection for text-ish inputs (CSV exports, policy .txt files, manifests).

Chinese survey exports and policy texts come as UTF-8 (with or without the BOM Excel writes),
UTF-16 (Excel's "Unicode text", with or without BOM), GBK/GB18030 (Excel and WPS on Chinese
Windows on the mainland) or Big5 (Taiwan, Hong Kong, Macao; traditional characters are
converted later by :func:`chainpb.text.normalize.normalize_text`). The encoding is decided from
the bytes alone, never from the file name, in this order:

1. a byte-order mark: UTF-8-sig, UTF-16 LE, UTF-16 BE;
2. NUL bytes: text in UTF-8, GB18030 or Big5 never contains byte 0, UTF-16 of any text with
   ASCII (digits, commas, line ends) does. The byte order is the side the NULs fall on
   (odd offsets → little endian);
3. strict UTF-8 — a GBK or Big5 file almost never decodes as valid UTF-8;
4. a file whose non-ASCII lines are partly valid UTF-8 and partly not is refused as mixed
   (two exports pasted together), naming the first line of each kind: decoding it as one
   encoding would garble the other part silently;
5. strict GB18030 (a superset of GBK and GB2312) and strict Big5: if only one decodes it is
   chosen; if both do (Big5 bytes are nearly always valid GB18030, and read as mojibake), the
   one whose characters are more frequent in Chinese (mean log frequency in jieba's dictionary,
   after traditional → simplified) — right even for a two-character text, where the maintained
   detector charset-normalizer is not; charset-normalizer decides a near tie.

If none decodes, the error names the file, the line (counted from 1, as an editor shows it) and
the byte offset of the first byte that is not valid, taken from the attempt that got furthest.
Every decision is logged with the file name (``INFO``), so each rule's log says how its inputs
were read.
"""

from __future__ import annotations

import functools
import logging
import math
import os
from pathlib import Path

from chainpb.errors import InputError, Location

log = logging.getLogger(__name__)

_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_DOUBLE_BYTE = ("gb18030", "big5")


def detect_encoding_bytes(data: bytes, source: str | os.PathLike[str] = "<bytes>") -> str:
    """Return the name of the encoding that decodes ``data`` (see module docstring for the order).

    Raises InputError naming ``source``, the line and the byte offset of the first undecodable
    byte, or the lines where a file mixes UTF-8 with another encoding.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                data[len(bom) :].decode(name.replace("-sig", ""), errors="strict")
            except UnicodeDecodeError as err:
                raise _undecodable(source, data, name, err.start + len(bom)) from err
            return name
    if b"\x00" in data:
        odd = data[1::2].count(0)
        even = data[0::2].count(0)
        name = "utf-16-le" if odd >= even else "utf-16-be"
        try:
            data.decode(name, errors="strict")
        except UnicodeDecodeError as err:
            raise _undecodable(source, data, name, err.start) from err
        return name
    try:
        data.decode("utf-8", errors="strict")
    except UnicodeDecodeError as err:
        utf8_offset = err.start
    else:
        return "utf-8"
    _refuse_mixed(data, source)
    decodable: list[str] = []
    failures: list[tuple[str, int]] = [("utf-8", utf8_offset)]
    for name in _DOUBLE_BYTE:
        try:
            data.decode(name, errors="strict")
        except UnicodeDecodeError as err:
            failures.append((name, err.start))
            continue
        decodable.append(name)
    if len(decodable) == 1:
        return decodable[0]
    if decodable:
        return _choose(data, decodable)
    # Report the attempt that got furthest: that is where the file most likely breaks.
    name, offset = max(failures, key=lambda item: item[1])
    raise _undecodable(source, data, name, offset)


def _choose(data: bytes, candidates: list[str]) -> str:
    """The candidate whose text reads most like Chinese (see :func:`_plausibility`).

    charset-normalizer alone is right on long texts but not on short ones: 联盟 or 企业书记 in
    GBK was read as Big5 (羛幅, わ珛抎暮). The mean log frequency of the decoded characters
    separates the two at any length (a wrong decoding yields rare characters, kana and private
    use code points); charset-normalizer decides only a tie.
    """
    scores = {name: _plausibility(data.decode(name)) for name in candidates}
    ranked = sorted(candidates, key=lambda name: scores[name], reverse=True)
    if len(ranked) > 1 and scores[ranked[0]] - scores[ranked[1]] > _TIE:
        return ranked[0]
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=candidates).best()
    if best is not None and best.encoding in candidates:
        return best.encoding
    return "gb18030" if "gb18030" in candidates else candidates[0]


_TIE = 0.5  # nats of mean log frequency; real/garbled pairs differ by 3 or more


@functools.lru_cache(maxsize=1)
def _char_log_frequency() -> tuple[dict[str, float], float]:
    """log relative frequency of each simplified character in jieba's bundled dictionary (the
    word counts of its corpus, summed over the words a character occurs in), and the log
    frequency given to a character the dictionary does not hold."""
    import jieba

    counts: dict[str, int] = {}
    dictionary = Path(jieba.__file__).with_name("dict.txt")
    with dictionary.open(encoding="utf-8") as fh:
        for line in fh:
            word, count = line.split(" ", 2)[:2]
            for char in word:
                counts[char] = counts.get(char, 0) + int(count)
    total = float(sum(counts.values()))
    return {c: math.log((n + 1) / total) for c, n in counts.items()}, math.log(1 / total)


def _plausibility(text: str) -> float:
    """Mean log frequency of the non-ASCII characters of ``text`` after traditional →
    simplified conversion (Big5 text is traditional); 0 when there is none."""
    from opencc import OpenCC

    chars = [c for c in OpenCC("t2s").convert(text) if ord(c) > 0x7F and not c.isspace()]
    if not chars:
        return 0.0
    log_freq, unseen = _char_log_frequency()
    return sum(log_freq.get(c, unseen) for c in chars) / len(chars)


def _refuse_mixed(data: bytes, source: str | os.PathLike[str]) -> None:
    first_utf8: int | None = None
    first_other: int | None = None
    n_utf8 = n_other = 0
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8", errors="strict")
        except UnicodeDecodeError:
            n_other += 1
            first_other = first_other or number
        else:
            n_utf8 += 1
            first_utf8 = first_utf8 or number
    if first_utf8 is None or first_other is None:
        return
    raise InputError(
        Location(str(source)),
        f"文件混用了两种编码：{n_utf8} 行为 UTF-8（第一处在第 {first_utf8} 行），"
        f"{n_other} 行不是 UTF-8（可能为 GBK/GB18030 或 Big5，第一处在第 {first_other} 行）。"
        "按任何一种编码读取都会使另一部分变成乱码。请在 Excel/WPS 中分别打开两部分，"
        "统一另存为“CSV UTF-8”后再合并。",
        f"the file mixes two encodings: {n_utf8} line(s) are UTF-8 (first at line {first_utf8}), "
        f"{n_other} are not (probably GBK/GB18030 or Big5; first at line {first_other}). Reading it "
        "as either would garble the other part. Open both parts in Excel/WPS, save each as "
        "'CSV UTF-8', then combine them.",
    )


def _line_of(data: bytes, encoding: str, offset: int) -> int:
    """Line number (from 1) of byte ``offset``: newlines in the valid prefix, plus one."""
    prefix = data[:offset]
    if encoding.startswith("utf-16"):
        return prefix.decode(encoding.replace("-sig", ""), errors="replace").count("\n") + 1
    # In UTF-8, GB18030 and Big5 the byte 0x0A is always a line end, never part of a character.
    return prefix.count(b"\n") + 1


def _undecodable(
    source: str | os.PathLike[str], data: bytes, tried: str, offset: int
) -> InputError:
    line = _line_of(data, tried, offset)
    return InputError(
        Location(str(source), row=line),
        f"无法识别文件编码（已尝试 UTF-8、UTF-16、GB18030、Big5）；第 {line} 行有无法解码的字节"
        f"（字节偏移量 {offset}，按 {tried} 解码）。请用 Excel/WPS 另存为“CSV UTF-8”或纯文本 "
        "UTF-8 后重试。",
        f"cannot determine the text encoding (tried UTF-8, UTF-16, GB18030, Big5); line {line} "
        f"has an undecodable byte (byte offset {offset}, decoding as {tried}). Save the file as "
        "'CSV UTF-8' or plain UTF-8 text and retry.",
    )


def detect_encoding(path: str | os.PathLike[str]) -> str:
    """Encoding of the file at ``path``, detected from its bytes."""
    return detect_encoding_bytes(_read_bytes(path), path)


def read_text_auto(path: str | os.PathLike[str]) -> tuple[str, str]:
    """Read a text file in its detected encoding; return ``(text, encoding)``.

    Line endings are left as they are: the CSV reader needs them intact inside quoted cells.
    The chosen encoding is logged with the file name.
    """
    data = _read_bytes(path)
    encoding = detect_encoding_bytes(data, path)
    log.info("编码 encoding: %s ← %s", encoding, Path(path).name)
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

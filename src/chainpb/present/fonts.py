"""A CJK font for every figure, shipped with the Python dependencies.

Researchers run the pipeline on laptops and servers that often have no Chinese system font; then
matplotlib draws tofu boxes (□) for every Chinese label. ``mplfonts`` bundles Noto Sans CJK SC
inside its wheel, so we register that file directly with matplotlib's font manager. We do not
call mplfonts' own installer because it copies files into matplotlib's data folder, which may be
read-only and would make a run depend on what an earlier run installed.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import matplotlib
from matplotlib import font_manager

from chainpb.errors import ChainpbError

CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"
CJK_FAMILY = "Noto Sans CJK SC"
LATIN_FALLBACK = "DejaVu Sans"
# A fixed salt makes SVG element ids (and thus SVG bytes) identical between runs.
SVG_HASHSALT = "chainpb"


def cjk_font_path() -> Path:
    """Path of the Noto Sans CJK SC file inside the installed ``mplfonts`` package."""
    try:
        root = importlib.resources.files("mplfonts")
    except ModuleNotFoundError as err:
        raise ChainpbError(
            "找不到 Python 包 mplfonts（用于图中的中文字体）。请在虚拟环境中安装：pip install mplfonts",
            "Python package mplfonts (the CJK font for figures) is not installed: pip install mplfonts",
        ) from err
    path = Path(str(root.joinpath("fonts", CJK_FONT_FILE)))
    if not path.is_file():
        raise ChainpbError(
            f"mplfonts 包中缺少字体文件 {CJK_FONT_FILE}（应位于 {path}）。请重新安装 mplfonts。",
            f"Font file {CJK_FONT_FILE} is missing from mplfonts (expected at {path}); reinstall mplfonts.",
        )
    return path


def setup_cjk_font() -> str:
    """Register the bundled CJK font and make it the default family; return the family name.

    Idempotent: registering the same file twice leaves one entry. Latin glyphs missing from the
    CJK font fall back to DejaVu Sans (matplotlib >= 3.6 falls back glyph by glyph along
    ``font.sans-serif``). Also sets ``pdf.fonttype``/``ps.fonttype`` 42 so that journals can edit
    the text in PDFs, turns off the Unicode minus (absent from many CJK fonts) and fixes the SVG
    hash salt for byte-identical SVGs.
    """
    path = cjk_font_path()
    registered = {Path(f.fname) for f in font_manager.fontManager.ttflist}
    if path not in registered:
        font_manager.fontManager.addfont(str(path))
    family = font_manager.FontProperties(fname=str(path)).get_name()
    rc = matplotlib.rcParams
    rc["font.family"] = "sans-serif"
    rc["font.sans-serif"] = [family, LATIN_FALLBACK]
    rc["axes.unicode_minus"] = False
    rc["pdf.fonttype"] = 42
    rc["ps.fonttype"] = 42
    rc["svg.hashsalt"] = SVG_HASHSALT
    return family


def resolved_font_file(family: str) -> Path:
    """The file matplotlib actually uses for ``family`` (no silent fallback to DejaVu)."""
    found = font_manager.findfont(
        font_manager.FontProperties(family=family), fallback_to_default=False
    )
    return Path(found)

"""The bundled CJK font renders Chinese labels without missing glyphs, on any machine."""

from __future__ import annotations

import io
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

from chainpb.present.fonts import (
    CJK_FONT_FILE,
    cjk_font_path,
    resolved_font_file,
    setup_cjk_font,
)

CHINESE = "产业链党建联盟成员 组织覆盖难 思想引领难 作用彰显难 资源聚合难 −0.5"


def _render_and_collect(fmt: str) -> list[str]:
    fig, ax = plt.subplots()
    ax.set_title(CHINESE)
    ax.set_xlabel("研发强度(%) R&D intensity")
    ax.set_ylabel("宿迁市 苏州市 无锡市")
    ax.plot([-1, 0, 1], [1, -2, 3])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(io.BytesIO(), format=fmt)
    plt.close(fig)
    return [str(w.message) for w in caught]


def test_font_file_is_the_bundled_noto_cjk() -> None:
    path = cjk_font_path()
    assert path.name == CJK_FONT_FILE
    assert "mplfonts" in path.parts
    family = setup_cjk_font()
    assert family == "Noto Sans CJK SC"
    assert resolved_font_file(family) == path
    assert matplotlib.rcParams["font.sans-serif"][:2] == ["Noto Sans CJK SC", "DejaVu Sans"]
    assert matplotlib.rcParams["pdf.fonttype"] == 42
    assert matplotlib.rcParams["axes.unicode_minus"] is False
    assert matplotlib.rcParams["svg.hashsalt"] == "chainpb"


@pytest.mark.parametrize("fmt", ["png", "pdf", "svg"])
def test_chinese_labels_have_no_missing_glyphs(fmt: str) -> None:
    setup_cjk_font()
    messages = _render_and_collect(fmt)
    assert not [m for m in messages if "missing from font" in m], messages


def test_missing_glyph_detection_works_without_the_cjk_font() -> None:
    # Guard for the test above: with DejaVu only, the same figure must warn, otherwise the
    # absence of warnings would prove nothing.
    setup_cjk_font()
    with matplotlib.rc_context({"font.sans-serif": ["DejaVu Sans"]}):
        messages = _render_and_collect("png")
    assert any("missing from font" in m for m in messages)


def test_setup_is_idempotent() -> None:
    from matplotlib import font_manager

    def entries() -> int:
        return sum(f.fname == str(cjk_font_path()) for f in font_manager.fontManager.ttflist)

    setup_cjk_font()
    first = entries()
    setup_cjk_font()
    # matplotlib registers one OTF under several names; a second call must add none.
    assert first >= 1
    assert entries() == first

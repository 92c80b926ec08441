"""The Snakemake HTML report opened in a real headless Chromium.

The report (results/report.html) is a self-contained React app: its text is \\u-escaped inside
inline JavaScript and only becomes readable once the scripts have run. Chromium's
``--dump-dom`` after a virtual-time budget gives the rendered DOM; we check the front page
(workflow/report/workflow.rst), the category menu and the captions, and take a screenshot.

Skips when Chromium is not installed. Uses results/report.html when it exists, otherwise
builds the report from the end-to-end run of the example (tests/conftest.py).
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.browser

PROJECT = Path(__file__).resolve().parents[1]
REPORT = PROJECT / "results" / "report.html"
BUILD_HINT = "run `snakemake --cores 4 && snakemake --report results/report.html` first"

CATEGORIES = [
    "1 数据导入 Ingest",
    "2 文本编码 Text coding",
    "3 量表与描述统计 Measures",
    "4 回归模型 Models",
    "5 图 Figures",
    "6 表 Tables",
    "7 报告 Summary",
]
TITLE = "产业链党建研究流水线 chainpb 分析报告"
SIMULATED = "示例数据为模拟数据，不代表真实企业"
# One sentence of each kind of caption (workflow/report/*.rst), as rendered by docutils.
CAPTION_SENTENCES = [
    "误差线为 95% Wilson 置信区间",  # fig_difficulty_prevalence_by_city.rst
    "Watch for: overlapping intervals are not a formal test",
    "标准误按产业链聚类（CR1 小样本校正），显著性检验使用自由度为 G−1 的 t 分布",  # table_baseline_regression.rst
]
CHROMIUM_TIMEOUT = 180


def _chromium() -> str | None:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


@pytest.fixture(scope="module")
def chromium() -> str:
    exe = _chromium()
    if exe is None:
        pytest.skip("headless Chromium not found (/usr/bin/chromium or `chromium` on PATH)")
    return exe


@pytest.fixture(scope="module")
def report(chromium: str, request: pytest.FixtureRequest) -> Path:
    """The project's own report if built, otherwise one built from the shared example run."""
    if REPORT.is_file():
        return REPORT
    from conftest import snakemake

    run_dir = request.getfixturevalue("run_dir")
    snakemake(run_dir, "--report", "results/report.html")
    return run_dir / "results" / "report.html"


def _run_chromium(exe: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [
        exe,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=15000",
        *args,
    ]
    result = subprocess.run(
        cmd, capture_output=True, text=True, encoding="utf-8", timeout=CHROMIUM_TIMEOUT
    )
    assert result.returncode == 0, f"chromium failed ({result.returncode}): {result.stderr[-2000:]}"
    return result


@pytest.fixture(scope="module")
def dom(chromium: str, report: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    profile = tmp_path_factory.mktemp("chromium-dom")
    return _run_chromium(chromium, profile, "--dump-dom", report.as_uri()).stdout


def _visible_text(html: str) -> str:
    """Text of the DOM without <script>/<style> contents and tags, whitespace collapsed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    text = re.sub(r"<[^>]+>", " ", html)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return re.sub(r"\s+", " ", text)


def _is_example_config() -> bool:
    config = yaml.safe_load((PROJECT / "config" / "config.yaml").read_text(encoding="utf-8"))
    return all(
        str(city["survey"]).startswith("resources/example/") for city in config["cities"].values()
    )


def test_front_page_and_categories_are_rendered(dom: str) -> None:
    text = _visible_text(dom)
    # The React app replaced its loading placeholder by the report.
    assert TITLE in text, "front page (workflow/report/workflow.rst) not rendered"
    for category in CATEGORIES:
        assert category in text, f"category {category!r} missing from the rendered menu"
    assert "报告结构 How the report is organised" in text
    assert "snakemake --report results/report.html" in text
    assert "编码本哈希 Codebook hash" in text
    assert re.search(r"snakemake \d+\.\d+", text), "package versions table not rendered"
    if _is_example_config():
        assert SIMULATED in text, "the simulated-data warning is missing"


def test_captions_are_embedded_and_rendered(dom: str) -> None:
    # Captions of results are shown on click; their HTML sits JSON-escaped in the app's data.
    for sentence in CAPTION_SENTENCES:
        escaped = json.dumps(sentence)[1:-1]
        assert escaped in dom or sentence in dom, f"caption sentence missing: {sentence}"
    # Jinja was rendered and docutils reported no error in any caption.
    for leftover in ("{{", "{%", "System Message", "Undefined substitution"):
        assert json.dumps(leftover)[1:-1] not in dom


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_screenshot(chromium: str, report: Path, tmp_path: Path) -> None:
    png = tmp_path / "report.png"
    _run_chromium(
        chromium,
        tmp_path / "profile",
        f"--screenshot={png}",
        "--window-size=1400,1000",
        report.as_uri(),
    )
    data = png.read_bytes()
    assert _png_size(data) == (1400, 1000)
    assert len(data) > 20_000, "screenshot is (almost) blank"

    from PIL import Image

    with Image.open(png) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 50, "screenshot has too few colours"

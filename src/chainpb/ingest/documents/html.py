"""The main text of a saved web page (.html/.htm), with its title and date when the page has them.

trafilatura (Apache-2.0) finds the article in the page and leaves out what surrounds it: the
site's navigation, breadcrumbs, side bars, comment boxes and the footer. Its title comes from the
page (``<title>``, ``<h1>`` or metadata, without a trailing "_网站名"), its date from the page's
metadata or a "发布时间" line (htmldate, ISO ``YYYY-MM-DD``). What the extractor leaves of
site furniture inside the article (【字号 大 中 小】, 【打印】, 责任编辑 …) is removed by the
configurable line filter afterwards (:mod:`.cleaning`), and counted there.

The bytes are decoded as every other text input is (:mod:`chainpb.ingest.encoding`: UTF-8,
GB18030 and Big5 pages all occur on Chinese government sites), not from the page's
``<meta charset>``, which saved copies often get wrong. Nothing is fetched: links, images and
scripts of the page are not followed.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from chainpb.errors import InputError, Location
from chainpb.ingest.encoding import read_text_auto

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HtmlDocument:
    """The main text of a page (paragraphs one per line), its title and ISO date ("" if none)."""

    text: str
    title: str
    date: str
    page_chars: int  # non-blank characters of all the page's visible text, for the log


@lru_cache(maxsize=1)
def _config() -> Any:
    from trafilatura.settings import use_config

    config = use_config()
    # No signal-based time limit (it fails outside the main thread), and keep short notices:
    # the default drops a main text under 250 characters.
    config.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", "1")
    config.set("DEFAULT", "MIN_OUTPUT_SIZE", "1")
    return config


def read_html(path: str | os.PathLike[str]) -> HtmlDocument:
    """Main text, title and date of one saved web page; InputError if it has no main text."""
    import trafilatura

    path = Path(path)
    markup, _ = read_text_auto(path)
    try:
        document = trafilatura.bare_extraction(
            markup,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            favor_recall=True,
            config=_config(),
            date_extraction_params={
                "extensive_search": True,
                "original_date": True,
                "outputformat": "%Y-%m-%d",
            },
        )
    except Exception as err:  # lxml/trafilatura raise many kinds on broken markup
        raise InputError(
            Location(str(path)),
            f"无法解析网页：{type(err).__name__}: {err}",
            f"cannot parse the web page: {type(err).__name__}: {err}",
        ) from err
    text = (getattr(document, "text", None) or "").strip() if document is not None else ""
    page_text = trafilatura.html2txt(markup) or ""
    page_chars = sum(1 for ch in page_text if not ch.isspace())
    if not text:
        raise InputError(
            Location(str(path)),
            "网页中找不到正文（只有导航、脚本或图片？）；请另存正文为 .txt 或 .docx。",
            "no main text found in the web page (only navigation, scripts or images?); save "
            "the text as .txt or .docx instead.",
        )
    title = (getattr(document, "title", None) or "").strip()
    date = (getattr(document, "date", None) or "").strip()
    main_chars = sum(1 for ch in text if not ch.isspace())
    log.info(
        "网页正文 main text: %s — 正文 %d 字 / 网页全部文字 %d 字 (%d of %d characters kept)",
        path.name,
        main_chars,
        page_chars,
        main_chars,
        page_chars,
    )
    return HtmlDocument(text=text, title=title, date=date, page_chars=page_chars)

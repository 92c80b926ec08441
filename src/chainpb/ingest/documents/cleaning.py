"""The boilerplate filter: lines of web pages, WeChat copies and PDFs that are not the policy.

A policy saved from a government site or a WeChat article carries lines that are not policy
language: breadcrumbs (当前位置：首页 > …), font-size controls (【字号 大 中 小】), print, share and
close buttons (【打印】 分享到：微信 微博), editor and photo credits (责任编辑：…, 摄影：…),
WeChat prompts (点击上方蓝字关注我们, 阅读原文), site footers (版权所有, ICP备…), and in PDFs
page numbers (- 3 -, 第 3 页) and running headers and footers repeated on every page. Left in,
they count as characters of the document (diluting every per-10,000-character measure) and some
(分享, 关注) can even match codebook terms.

Two steps, both on the normalised text (:func:`chainpb.text.normalize.normalize_text`: half-width
digits, simplified characters, single spaces), line by line:

1. **Line rules** from config (``documents.cleaning.rules``: rule name → regular expressions). A
   line is removed when, trimmed, it matches one expression *as a whole* (``re.fullmatch``): a
   sentence that merely mentions 打印 or 编辑 stays. The first rule (in config order) that
   matches is the one the report names. The patterns are data, not code: the defaults are in
   the config schema, and a researcher can change them in config.yaml.
2. **Running headers and footers** (``running_header_footer``; PDFs, and any document read as
   pages): a line among the first or last ``edge_lines`` lines of a page whose text, with runs
   of digits replaced by ``#`` and blanks removed, is found at the edge of at least
   ``min_share`` of the pages (and at least 2), in a document of at least ``min_pages`` pages.
   "宿迁市人民政府文件 第 3 页" and "… 第 4 页" are one running line.

Every removed line is counted per document and rule (lines and characters, plus the first line
removed by that rule, PII-masked) in the cleaning report (:func:`cleaning_report`), so that a
researcher can check that nothing of substance went.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from chainpb.errors import ConfigError
from chainpb.ingest.privacy import mask_pii

RUNNING_RULE = "running_header_footer"
TOTAL_RULE = "total"
REPORT_COLUMNS = ("doc_id", "file", "rule", "lines_removed", "chars_removed", "first_removed")
_DIGITS = re.compile(r"\d+")
_BLANKS = re.compile(r"\s+")
_BLANK_RUN = re.compile(r"\n{3,}")
EXAMPLE_CHARS = 60


@dataclass(frozen=True)
class CleaningRules:
    """Compiled line rules and the running header/footer settings."""

    rules: tuple[tuple[str, tuple[re.Pattern[str], ...]], ...] = ()
    min_pages: int = 3
    min_share: float = 0.5
    edge_lines: int = 2
    running_lines: bool = True

    @classmethod
    def from_config(
        cls, section: Mapping[str, Any] | None, key: str = "documents.cleaning"
    ) -> CleaningRules:
        """Rules from the (schema-validated) ``documents.cleaning`` section; None: no cleaning."""
        if not section or not section.get("enabled", True):
            return cls(rules=(), running_lines=False)
        compiled: list[tuple[str, tuple[re.Pattern[str], ...]]] = []
        for name, patterns in (section.get("rules") or {}).items():
            out = []
            for i, pattern in enumerate(patterns):
                try:
                    out.append(re.compile(pattern))
                except re.error as err:
                    raise ConfigError(
                        f"配置 {key}.rules.{name}[{i}] 不是有效的正则表达式「{pattern}」：{err}",
                        f"config {key}.rules.{name}[{i}] is not a valid regular expression "
                        f"'{pattern}': {err}",
                    ) from err
            compiled.append((str(name), tuple(out)))
        running = section.get("running_lines") or {}
        return cls(
            rules=tuple(compiled),
            min_pages=int(running.get("min_pages", 3)),
            min_share=float(running.get("min_share", 0.5)),
            edge_lines=int(running.get("edge_lines", 2)),
            running_lines=bool(running.get("enabled", True)),
        )

    def rule_of(self, line: str) -> str | None:
        """Name of the first rule one of whose patterns matches the whole (trimmed) line."""
        for name, patterns in self.rules:
            if any(p.fullmatch(line) for p in patterns):
                return name
        return None


@dataclass
class Cleaned:
    """What the filter kept (non-blank lines, per page) and what it removed, per rule."""

    pages: list[list[str]]
    lines_removed: dict[str, int] = field(default_factory=dict)
    chars_removed: dict[str, int] = field(default_factory=dict)
    first_removed: dict[str, str] = field(default_factory=dict)

    @property
    def lines(self) -> list[str]:
        """The kept non-blank lines of all pages, in order."""
        return [line for page in self.pages for line in page if line]

    @property
    def text(self) -> str:
        """The kept lines, blank lines included (runs of them collapsed as normalisation does)."""
        text = "\n".join("\n".join(page) for page in self.pages)
        return _BLANK_RUN.sub("\n\n", text).strip()

    def _remove(self, rule: str, line: str) -> None:
        self.lines_removed[rule] = self.lines_removed.get(rule, 0) + 1
        self.chars_removed[rule] = self.chars_removed.get(rule, 0) + len(line)
        self.first_removed.setdefault(rule, line)


def clean_pages(pages: Sequence[str], rules: CleaningRules) -> Cleaned:
    """Apply the line rules, then the running header/footer step, to a document's pages.

    ``pages`` are normalised texts (one per PDF page; a single element for any other document).
    Lines are trimmed; blank lines are kept (and never counted), so that a text from which
    nothing is removed comes out unchanged (:attr:`Cleaned.text`).
    """
    out = Cleaned(pages=[])
    for page in pages:
        kept: list[str] = []
        for raw in page.split("\n"):
            line = raw.strip()
            if not line:
                kept.append("")  # kept, so that an untouched text comes out as it went in
                continue
            rule = rules.rule_of(line)
            if rule is None:
                kept.append(line)
            else:
                out._remove(rule, line)
        out.pages.append(kept)
    if rules.running_lines:
        _remove_running_lines(out, rules)
    # Report order: the config order of the rules, the running header/footer step last.
    order = {name: i for i, (name, _) in enumerate(rules.rules)}
    order[RUNNING_RULE] = len(order)
    for counts in (out.lines_removed, out.chars_removed, out.first_removed):
        ordered = sorted(counts.items(), key=lambda item: order[item[0]])
        counts.clear()
        counts.update(ordered)
    return out


def clean_text(text: str, rules: CleaningRules) -> Cleaned:
    """:func:`clean_pages` for a document that is not divided into pages."""
    return clean_pages([text], rules)


def _running_key(line: str) -> str:
    return _DIGITS.sub("#", _BLANKS.sub("", line))


def _edge_positions(n_lines: int, edge: int) -> list[int]:
    return sorted(set(range(min(edge, n_lines))) | set(range(max(0, n_lines - edge), n_lines)))


def _remove_running_lines(cleaned: Cleaned, rules: CleaningRules) -> None:
    n_pages = len(cleaned.pages)
    if n_pages < max(rules.min_pages, 2):
        return

    def edges(page: list[str]) -> set[int]:
        filled = [i for i, line in enumerate(page) if line]
        return {filled[j] for j in _edge_positions(len(filled), rules.edge_lines)}

    pages_with: dict[str, int] = {}
    for page in cleaned.pages:
        for key in {_running_key(page[i]) for i in edges(page)}:
            pages_with[key] = pages_with.get(key, 0) + 1
    needed = max(2, math.ceil(rules.min_share * n_pages - 1e-9))
    running = {key for key, n in pages_with.items() if n >= needed}
    if not running:
        return
    for index, page in enumerate(cleaned.pages):
        at_edge = edges(page)
        kept = []
        for i, line in enumerate(page):
            if i in at_edge and _running_key(line) in running:
                cleaned._remove(RUNNING_RULE, line)
            else:
                kept.append(line)
        cleaned.pages[index] = kept


def cleaning_report(documents: Sequence[tuple[str, str, Cleaned]]) -> pd.DataFrame:
    """One row per document and rule that removed something, then a ``total`` row per document.

    ``documents`` are (doc_id, file, Cleaned) in reading order. Every document has its total
    row, also when nothing was removed (0, 0), so the report lists every document read.
    ``first_removed`` is the first line the rule removed (PII-masked, cut to 60 characters).
    """
    rows: list[dict[str, Any]] = []
    for doc_id, file, cleaned in documents:
        for rule in cleaned.lines_removed:
            rows.append(
                {
                    "doc_id": doc_id,
                    "file": file,
                    "rule": rule,
                    "lines_removed": cleaned.lines_removed[rule],
                    "chars_removed": cleaned.chars_removed[rule],
                    "first_removed": _example(cleaned.first_removed[rule]),
                }
            )
        rows.append(
            {
                "doc_id": doc_id,
                "file": file,
                "rule": TOTAL_RULE,
                "lines_removed": sum(cleaned.lines_removed.values()),
                "chars_removed": sum(cleaned.chars_removed.values()),
                "first_removed": "",
            }
        )
    table = pd.DataFrame(rows, columns=list(REPORT_COLUMNS))
    for column in REPORT_COLUMNS:
        dtype = "int64" if column in ("lines_removed", "chars_removed") else "str"
        table[column] = table[column].astype(dtype)
    return table


def _example(line: str) -> str:
    line = mask_pii(line)
    return line if len(line) <= EXAMPLE_CHARS else line[: EXAMPLE_CHARS - 1] + "…"

"""Duplicate submissions of one city's survey, and enterprise ids for surveys without an id column.

A questionnaire platform records a second click on "submit" as a second answer. Which copies
are kept is the researcher's choice, ``ingest.duplicates`` (per city:
``cities.<key>.ingest.duplicates``):

- ``keep_first`` (default): the first copy in the file's row order is kept (问卷星 exports list
  answers in submission order), every other copy is quarantined naming the kept row;
- ``keep_last``: the last copy is kept (a firm that resubmitted to correct an answer);
- ``reject_all``: every copy is quarantined, each naming the others — the pipeline cannot know
  which of them is right.

What makes two rows copies of one submission:

- **with an enterprise id mapped**: the same id after NFKC and case folding (``a001``,
  ``A001`` and ``Ａ００１`` are one firm), whatever the answers. When the answers differ, the
  reason names the columns that differ (never their values), so that the researcher can check
  that the kept copy is the right one;
- **without one**: identical answers. The answer content of a row is every mapped column other
  than ``enterprise_id``, compared after NFKC, case folding and trimming, as exported. Columns
  that are not mapped (序号, 提交答卷时间, 所用时间, 来自IP …) are never part of it — there is no
  canonical variable for a running number or a timestamp, so they cannot be mapped except as
  ``enterprise_id``, and a second submission differs from the first exactly there. Personal
  columns that are mapped (企业名称, 填写人电话 …) are part of it: they are what tells two firms
  that answered every question alike apart. The enterprise id of such a survey is generated
  (:func:`generated_id_sources`): ``HMAC-SHA256(key, "<city_key>:content:<SHA-256 of the
  answer content>")`` through :func:`chainpb.ingest.privacy.hash_enterprise_id`, so identical
  submissions get one id, the same file gives the same ids on every run, and the same answers
  in two cities give two ids.

The kept copy is the first (last) copy that has no other problem: a copy with an invalid value
is quarantined for that value anyway, and a valid resubmission should not be lost with it. Each
invalid copy also gets the duplicate record, so fixing its value does not bring a second copy
back unnoticed. When no copy is valid, none is kept and each copy's record says so.

With an id mapped, rows with different ids but identical answers are not touched (two firms may
answer alike), but the log warns about them: if the id column is the platform's running number
(序号), every submission has its own id and a double submission goes through twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import unicodedata
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chainpb.errors import ConfigError
from chainpb.ingest.options import IngestOptions
from chainpb.ingest.spec import VARIABLES

if TYPE_CHECKING:  # validate.py imports this module: no import cycle at run time
    from chainpb.ingest.validate import MappedSurvey

log = logging.getLogger(__name__)

POLICIES: tuple[str, ...] = ("keep_first", "keep_last", "reject_all")
ID_VARIABLE = "enterprise_id"
#: The ``column`` of a reject record about a whole answer (no id column to point at).
WHOLE_ROW_COLUMN = "（整行答案 whole answer）"
#: Differing columns named in one reason; the rest are counted.
MAX_COLUMNS_NAMED = 8

Problems = dict[int, list[tuple[str, Any, str, str]]]


@dataclass(frozen=True)
class DuplicateReport:
    """What :func:`mark_duplicates` found, in raw row numbers.

    ``groups`` are the copies of each submission that occurs more than once; ``kept`` the row
    kept of each group (``None`` under ``reject_all`` or when no copy is valid);
    ``rejected_as_duplicates`` the rows quarantined only because they are copies (their other
    values are valid); ``also_invalid`` copies quarantined for other problems as well.
    """

    policy: str
    by: str  # "id" or "content"
    groups: tuple[tuple[int, ...], ...]
    kept: tuple[int | None, ...]
    rejected_as_duplicates: tuple[int, ...]
    also_invalid: tuple[int, ...]

    def log_line(self) -> str:
        by_zh = "企业编号" if self.by == "id" else "答案内容（未映射企业编号）"
        by_en = "enterprise id" if self.by == "id" else "answer content (no enterprise id mapped)"
        kept = [r for r in self.kept if r is not None]
        return (
            f"重复提交 duplicate submissions（按{by_zh} by {by_en}；ingest.duplicates: "
            f"{self.policy}）：{len(self.groups)} 组 groups，"
            f"{sum(len(g) for g in self.groups)} 行 rows；保留 kept {len(kept)} 行 rows"
            f"{_rows_suffix(kept)}；因重复而拒绝 rejected as duplicates "
            f"{len(self.rejected_as_duplicates)} 行 rows{_rows_suffix(self.rejected_as_duplicates)}"
            f"；另有其他问题的副本 copies with other problems too {len(self.also_invalid)} 行 rows"
            f"{_rows_suffix(self.also_invalid)}"
        )


def _rows_suffix(rows: Sequence[int]) -> str:
    if not rows:
        return ""
    shown = ", ".join(str(r) for r in rows[:20])
    return f"（{shown}{' …' if len(rows) > 20 else ''}）"


def id_key(value: Any) -> str:
    """An enterprise id as compared for duplicates: NFKC, case-folded, trimmed."""
    return unicodedata.normalize("NFKC", str(value)).casefold().strip()


def cell_text(value: Any) -> str:
    """A raw cell as compared for answer content: NFKC, case-folded, trimmed; empty if missing.

    Whole floats lose their ``.0`` as in the parsers (an SPSS 3.0 is the answer 3).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).casefold().strip()


def content_variables(mapped: MappedSurvey) -> list[str]:
    """The variables whose answers make up a row's content (module docstring), in contract order."""
    return [v for v in mapped.data.columns if v != ID_VARIABLE]


def content_key(mapped: MappedSurvey, i: int) -> str:
    """Row ``i``'s answer content as one canonical string (JSON of variable → cell text)."""
    variables = content_variables(mapped)
    cells = {v: cell_text(mapped.data[v].iloc[i]) for v in variables}
    return json.dumps(cells, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def generated_id_sources(mapped: MappedSurvey) -> list[str]:
    """The clear-text ids of a survey without an id column: ``content:<SHA-256 of content>``.

    ``ingest_city_survey`` hashes them like read ids (keyed, with the city key), so no answer
    ever appears in clear in the id; the digest keeps personal answers out of the id column
    before that step too. Logs, zh + en, that the ids were generated and why.
    """
    keys = [
        "content:" + hashlib.sha256(content_key(mapped, i).encode("utf-8")).hexdigest()
        for i in range(len(mapped.data))
    ]
    n_columns = len(content_variables(mapped))
    log.warning(
        "%s：column_map 未映射 enterprise_id，企业编号按“城市键 + 整行答案（已映射的 %d 列）”的带"
        "密钥哈希生成；答案完全相同的提交得到同一编号，按 ingest.duplicates 处理。这样的编号不能与其他"
        "调查年份或数据源的企业对应。/ no enterprise_id in column_map: ids are generated as the "
        "keyed hash of city key + the row's answers (the %d mapped columns); identical "
        "submissions get one id and are handled by ingest.duplicates. Such ids cannot be linked "
        "to other survey waves or data sources.",
        mapped.raw.path.name,
        n_columns,
        n_columns,
    )
    return keys


def _answer_tokens(
    mapped: MappedSurvey, parsed: Mapping[str, Sequence[Any]], problems: Problems, i: int
) -> dict[str, Any]:
    """What row ``i`` answered per content variable, for naming the columns copies differ in.

    The parsed value where the cell is valid (so ``1,200`` and ``1200`` agree), else the raw
    cell text; personal columns are not parsed and compare by their text.
    """
    bad = {p[0] for p in problems.get(i, ())}
    tokens: dict[str, Any] = {}
    for variable in content_variables(mapped):
        if VARIABLES[variable].role == "pii" or variable in bad or variable not in parsed:
            tokens[variable] = ("text", cell_text(mapped.data[variable].iloc[i]))
        else:
            tokens[variable] = ("value", parsed[variable][i])
    return tokens


def _differing(
    mapped: MappedSurvey, tokens: Mapping[int, Mapping[str, Any]], rows: Sequence[int]
) -> list[str]:
    """Raw headers of the content columns on which the given copies do not all agree."""
    return [
        mapped.header_of[v]
        for v in content_variables(mapped)
        if len({repr(tokens[i][v]) for i in rows}) > 1
    ]


def _differ_text(headers: Sequence[str], kept: bool) -> tuple[str, str]:
    if not headers:
        return "", ""
    named = headers[:MAX_COLUMNS_NAMED]
    more = len(headers) - len(named)
    zh_cols = "、".join(f"「{h}」" for h in named) + (f" 等 {len(headers)} 列" if more else "")
    en_cols = ", ".join(f"'{h}'" for h in named) + (f" and {more} more" if more else "")
    if kept:
        return (
            f"但答案不同，不同的列：{zh_cols}；请核对保留的一份是否正确。",
            f" The answers differ in {en_cols}: check that the kept copy is the right one.",
        )
    return (
        f"各份答案不同的列：{zh_cols}。",
        f" The copies' answers differ in {en_cols}.",
    )


def _rows_zh(rows: Sequence[int]) -> str:
    return "、".join(str(r) for r in rows)


def _rows_en(rows: Sequence[int]) -> str:
    return ", ".join(str(r) for r in rows)


def mark_duplicates(
    mapped: MappedSurvey,
    parsed: Mapping[str, Sequence[Any]],
    problems: Problems,
    options: IngestOptions,
) -> DuplicateReport:
    """Find the copies of each submission and add a problem to every copy not kept.

    ``parsed`` holds the parsed column of every variable (``enterprise_id`` included; for a
    survey without an id column, :func:`generated_id_sources`); ``problems`` the problems found
    so far (row index → records), to which the duplicate records are added. The record is on
    ``enterprise_id`` (its value is shown redacted), or on the whole row when no id is mapped.
    """
    policy = options.duplicates
    if policy not in POLICIES:
        raise ConfigError(
            f"ingest.duplicates 的取值「{policy}」无效；应为 {'、'.join(POLICIES)} 之一。",
            f"ingest.duplicates '{policy}' is not valid; expected one of {', '.join(POLICIES)}.",
        )
    raw_rows = mapped.raw.raw_rows
    by_id = ID_VARIABLE in mapped.header_of
    ids = parsed[ID_VARIABLE]
    members_of: dict[str, list[int]] = defaultdict(list)
    for i, value in enumerate(ids):
        if value is not None:
            members_of[id_key(value) if by_id else str(value)].append(i)
    groups = [m for m in members_of.values() if len(m) > 1]
    groups.sort(key=lambda m: m[0])
    if by_id:
        _warn_same_answers_other_ids(mapped, ids)
    invalid_before = {i for i in problems if problems[i]}
    kept_rows: list[int | None] = []
    rejected: list[int] = []
    also_invalid: list[int] = []
    if by_id:
        same_zh = "企业编号相同，不区分大小写和全/半角"
        same_en = "same enterprise id, ignoring case and full/half width"
    else:
        same_zh = "全部已映射列的答案相同；未映射企业编号，按答案识别"
        same_en = (
            "identical answers in all mapped columns; no enterprise id is mapped, so copies are "
            "recognised by their answers"
        )
    for members in groups:
        tokens = {i: _answer_tokens(mapped, parsed, problems, i) for i in members}
        valid = [i for i in members if i not in invalid_before]
        keep: int | None = None
        if policy != "reject_all" and valid:
            keep = valid[0] if policy == "keep_first" else valid[-1]
        kept_rows.append(None if keep is None else raw_rows[keep])
        for i in members:
            if i == keep:
                continue
            if keep is not None:
                k = raw_rows[keep]
                zh = f"重复提交：与第 {k} 行相同（{same_zh}；保留第 {k} 行，ingest.duplicates: {policy}）。"
                en = (
                    f"duplicate submission: same as row {k} ({same_en}; row {k} kept, "
                    f"ingest.duplicates: {policy})."
                )
                differ_zh, differ_en = _differ_text(_differing(mapped, tokens, [keep, i]), True)
            else:
                others = [raw_rows[j] for j in members if j != i]
                zh = f"重复提交：与第 {_rows_zh(others)} 行相同（{same_zh}）；"
                en = f"duplicate submission: same as row(s) {_rows_en(others)} ({same_en}); "
                if policy == "reject_all":
                    zh += "ingest.duplicates 为 reject_all，各份均被拒绝，请核对后保留一份。"
                    en += "ingest.duplicates is reject_all, so every copy is rejected — keep one."
                else:
                    zh += "各份都有其他问题，未保留任何一份。"
                    en += "every copy has other problems, so none is kept."
                differ_zh, differ_en = _differ_text(_differing(mapped, tokens, members), False)
            (also_invalid if i in invalid_before else rejected).append(raw_rows[i])
            variable = ID_VARIABLE
            raw_value = mapped.data[ID_VARIABLE].iloc[i] if by_id else None
            problems[i].append((variable, raw_value, zh + differ_zh, en + differ_en))
    report = DuplicateReport(
        policy=policy,
        by="id" if by_id else "content",
        groups=tuple(tuple(raw_rows[i] for i in m) for m in groups),
        kept=tuple(kept_rows),
        rejected_as_duplicates=tuple(sorted(rejected)),
        also_invalid=tuple(sorted(also_invalid)),
    )
    log.info("%s", report.log_line())
    return report


def _warn_same_answers_other_ids(mapped: MappedSurvey, ids: Sequence[Any]) -> None:
    """Warn about rows with different enterprise ids but identical answers (module docstring)."""
    rows_of: dict[str, list[int]] = defaultdict(list)
    for i in range(len(mapped.data)):
        rows_of[content_key(mapped, i)].append(i)
    raw_rows = mapped.raw.raw_rows
    suspicious = [
        [raw_rows[i] for i in m]
        for m in rows_of.values()
        if len({id_key(ids[i]) for i in m if ids[i] is not None}) > 1
    ]
    if not suspicious:
        return
    more = " …" if len(suspicious) > 5 else ""
    shown_zh = "；".join(_rows_zh(g) for g in suspicious[:5]) + more
    shown_en = "; ".join(_rows_en(g) for g in suspicious[:5]) + more
    header = mapped.header_of[ID_VARIABLE]
    log.warning(
        "%s 组行的企业编号不同、答案却完全相同（第 %s 行）。若「%s」是问卷平台的序号（每次提交都不同），"
        "重复提交无法识别：请映射真正的企业编号，或去掉 enterprise_id 的映射，改用按答案生成的编号。/ "
        "%s group(s) of rows have different enterprise ids but identical answers (rows %s). If "
        "'%s' is the platform's running number (new for every submission), double submissions "
        "cannot be recognised: map the real enterprise id, or remove the enterprise_id mapping to "
        "use ids generated from the answers.",
        len(suspicious),
        shown_zh,
        header,
        len(suspicious),
        shown_en,
        header,
    )

"""Hand coding, part 1: draw a stratified sample of coding units and write the coders' sheet.

What NVivo's coding comparison and ATLAS.ti's intercoder agreement start from: a sample of the
researcher's own units that two or more people code by hand, blind to the machine's codes.

- The units are the ``units_<source>.parquet`` rows of every city, with their text
  (``text[start:end]`` of the ingested answer or policy document).
- Strata are city × source × machine decision (``coded`` when the codebook counted a difficulty
  of any category in the unit, else ``uncoded``), so that the sample holds both units the machine
  flagged (its precision) and units it did not (its recall).
- ``sample_id`` names the *unit* (a hash of city, source, doc_id and unit_id), not the draw: a
  returned sheet can still be matched to its units after the codebook is edited and the sample
  redrawn. The coders' sheet never shows the machine codes or the strata; those go to the
  researcher's key file (``sample_key.csv``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
import re
import zipfile
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from chainpb.atomic import write_bytes
from chainpb.errors import ChainpbError
from chainpb.labels import CATEGORIES
from chainpb.text.codebook import Codebook
from chainpb.text.stage import source_texts

SOURCES: tuple[str, ...] = ("answers", "policies")
CODES: tuple[str, ...] = ("P", "R", "D")
SHEET_CODING = "编码 coding"
SHEET_CODEBOOK = "编码说明 codebook"
NOTE_HEADER = "备注 note"
BASE_COLUMNS: list[str] = ["sample_id", "city_key", "source", "text"]
# The code meanings of resources/gold/README.md, shown to coders on the codebook sheet.
CODE_MEANINGS: list[tuple[str, str, str, int, int]] = [
    (
        "P",
        "问题：陈述了该困难，包括说某项措施缺失或薄弱（缺乏协同机制、资源共享不够、尚未建立联席会议）",
        "problem: the difficulty is stated, including a remedy said to be missing or weak",
        1,
        1,
    ),
    (
        "R",
        "措施或成效：谈到该主题的做法或成绩（组建联合党委、实现全覆盖、搭建共享平台）",
        "remedy or achievement on the theme (组建联合党委, 实现全覆盖, 搭建共享平台)",
        0,
        1,
    ),
    (
        "D",
        "否认：提到该困难只是为了否认它（不存在覆盖难的问题）",
        "the difficulty is mentioned only to deny it (不存在覆盖难的问题)",
        0,
        1,
    ),
    ("", "留空：该单元与此类别无关", "blank: the unit is not about this category", 0, 0),
]
# Fixed document dates and zip-entry times so that the same sample gives the same bytes.
FIXED_DATE = dt.datetime(2000, 1, 1, 0, 0, 0)
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_W3CDTF = "2000-01-01T00:00:00Z"


def theme_columns(frame: pd.DataFrame) -> list[str]:
    """``theme_<cat>`` columns present in a units table (the codebook's remedy counts)."""
    return [f"theme_{c}" for c in CATEGORIES if f"theme_{c}" in frame.columns]


def sample_id_of(city_key: str, source: str, doc_id: str, unit_id: int | str) -> str:
    """Stable id of one unit: ``hc-`` and 12 hex digits of a sha256 of its identity."""
    raw = "\x1f".join([str(city_key), str(source), str(doc_id), str(unit_id)])
    return "hc-" + hashlib.sha256(raw.encode("utf-8")).hexdigest()[:12]


def pool_units(
    units: Mapping[tuple[str, str], pd.DataFrame], tables: Mapping[tuple[str, str], pd.DataFrame]
) -> pd.DataFrame:
    """All units of all cities and sources, with text, machine decision and stratum.

    ``units`` and ``tables`` are keyed by ``(city_key, source)``; ``tables`` holds the ingested
    survey (answers) or policies table of that city. Rows are sorted by city, source, doc_id and
    unit_id so that a seeded draw does not depend on file order.
    """
    frames = []
    for (city_key, source), table in sorted(units.items()):
        if (city_key, source) not in tables:
            raise ChainpbError(
                f"缺少 {city_key}/{source} 的入库文本表。",
                f"The ingested text table of {city_key}/{source} is missing.",
            )
        texts = source_texts(tables[(city_key, source)], source)
        frame = table.copy()
        frame["doc_id"] = frame["doc_id"].astype(str)
        missing = sorted(set(frame["doc_id"]) - set(texts))
        if missing:
            raise ChainpbError(
                f"{city_key}/{source}：编码单元的 doc_id 在入库表中找不到，例如 {missing[:3]}；"
                "请重新运行文本阶段。",
                f"{city_key}/{source}: unit doc_ids are not in the ingested table, e.g. "
                f"{missing[:3]}; re-run the text stage.",
            )
        frame.insert(0, "source", source)
        frame.insert(0, "city_key", city_key)
        frame["text"] = [
            texts[d][int(s) : int(e)]
            for d, s, e in zip(frame["doc_id"], frame["start"], frame["end"], strict=True)
        ]
        frames.append(frame)
    if not frames:
        raise ChainpbError("没有任何编码单元。", "There are no coding units.")
    pooled = pd.concat(frames, ignore_index=True)
    for column in [*CATEGORIES, *theme_columns(pooled)]:
        pooled[column] = pd.to_numeric(pooled[column]).fillna(0).astype("int64")
    pooled["sample_id"] = [
        sample_id_of(c, s, d, u)
        for c, s, d, u in zip(
            pooled["city_key"], pooled["source"], pooled["doc_id"], pooled["unit_id"], strict=True
        )
    ]
    if pooled["sample_id"].duplicated().any():
        dup = pooled.loc[pooled["sample_id"].duplicated(), "sample_id"].iloc[0]
        raise ChainpbError(
            f"两个编码单元得到相同的 sample_id「{dup}」（哈希冲突或单元重复）。",
            f"Two coding units share the sample_id '{dup}' (hash collision or repeated unit).",
        )
    coded = (pooled[list(CATEGORIES)] > 0).any(axis=1)
    pooled["decision"] = np.where(coded, "coded", "uncoded")
    pooled["stratum"] = pooled["city_key"] + "|" + pooled["source"] + "|" + pooled["decision"]
    return pooled.sort_values(
        ["city_key", "source", "doc_id", "unit_id"], kind="mergesort"
    ).reset_index(drop=True)


def allocate(sizes: Mapping[str, int], total: int, minimum: int) -> dict[str, int]:
    """Units to draw per stratum: proportional to size, at least ``minimum`` (or the whole stratum).

    1. ``total`` ≥ all units: take every unit.
    2. Otherwise a stratum whose proportional share ``total·N_h/N`` falls below its floor
       ``min(N_h, minimum)`` gets the floor and leaves the pool; shares of the rest are recomputed
       from what is left, until no share falls below its floor.
    3. The remaining shares are rounded by largest remainder (Hamilton), ties to the larger
       stratum, then to the stratum name, so the allocation sums to ``total``.
    When the floors alone exceed ``total`` every stratum gets its floor and the sample is larger
    than asked for.
    """
    if total < 1 or minimum < 0:
        raise ChainpbError(
            "样本量必须至少为 1，每层最少单元数不能为负。",
            "The sample size must be at least 1 and the per-stratum minimum not negative.",
        )
    sizes = {k: int(v) for k, v in sizes.items() if int(v) > 0}
    if total >= sum(sizes.values()):
        return dict(sizes)
    floors = {k: min(n, minimum) for k, n in sizes.items()}
    fixed: dict[str, int] = {}
    while True:
        rest = {k: n for k, n in sizes.items() if k not in fixed}
        budget = total - sum(fixed.values())
        pool = sum(rest.values())
        shares = {k: budget * n / pool for k, n in rest.items()} if pool and budget > 0 else {}
        low = {k for k in rest if shares.get(k, 0.0) < floors[k]}
        if not low:
            break
        fixed.update({k: floors[k] for k in low})
        if len(fixed) == len(sizes):
            return fixed
    out = dict(fixed)
    out.update({k: math.floor(v) for k, v in shares.items()})
    left = total - sum(out.values())
    order = sorted(shares, key=lambda k: (-(shares[k] - math.floor(shares[k])), -sizes[k], k))
    for k in order[:left]:
        out[k] += 1
    return {k: out[k] for k in sizes}


def draw_sample(
    units: pd.DataFrame, sample_size: int, min_per_stratum: int, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(sample in sheet order, allocation per stratum) from :func:`pool_units` output.

    Within each stratum (in name order) units are drawn without replacement with one seeded
    generator; the drawn rows are then shuffled with the same generator, so coders cannot read
    the strata from the row order.
    """
    sizes = units.groupby("stratum", sort=True).size()
    take = allocate(sizes.to_dict(), sample_size, min_per_stratum)
    rng = np.random.default_rng(seed)
    parts = []
    for stratum in sizes.index:
        rows = units.index[units["stratum"] == stratum]
        chosen = rng.choice(len(rows), size=take[stratum], replace=False)
        parts.append(units.loc[rows[np.sort(chosen)]])
    sample = pd.concat(parts)
    sample = sample.iloc[rng.permutation(len(sample))].reset_index(drop=True)
    allocation = pd.DataFrame(
        {
            "stratum": sizes.index,
            "n_units": sizes.to_numpy(),
            "n_sampled": [take[s] for s in sizes.index],
        }
    )
    return sample, allocation


def key_table(sample: pd.DataFrame) -> pd.DataFrame:
    """The researcher's key (``sample_key.csv``): where each sampled unit comes from and what the
    machine coded at sampling time. Never shown to coders."""
    machine = [*CATEGORIES, *theme_columns(sample)]
    columns = ["sample_id", "city_key", "source", "doc_id", "unit_id", "start", "end"]
    out = sample[[*columns, "stratum", "decision", *machine]].copy()
    out = out.rename(columns={c: f"machine_{c}" for c in machine})
    if "codebook_hash" in sample.columns:
        out["codebook_hash"] = sample["codebook_hash"].astype(str)
    return out.reset_index(drop=True)


def category_header(category: str, codebook: Codebook) -> str:
    """Column heading of a category on the coders' sheet, e.g. ``组织覆盖难 coverage``."""
    return f"{codebook.category(category)['label']} {category}"


_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_WRAP_TOP = Alignment(wrap_text=True, vertical="top")
_CENTER = Alignment(horizontal="center", vertical="top")


def build_workbook(sample: pd.DataFrame, codebook: Codebook, seed: int | None = None) -> Workbook:
    """The coders' workbook: sheet 1 to code, sheet 2 the code meanings and the categories."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_CODING
    headers = [*BASE_COLUMNS, *(category_header(c, codebook) for c in CATEGORIES), NOTE_HEADER]
    ws.append(headers)
    for record in sample[BASE_COLUMNS].itertuples(index=False):
        ws.append([str(v) for v in record] + [None] * (len(CATEGORIES) + 1))
    n = len(sample)
    widths = [17, 10, 10, 70, *([16] * len(CATEGORIES)), 30]
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    for cell in ws[1]:
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    first_code = len(BASE_COLUMNS) + 1
    last_code = first_code + len(CATEGORIES) - 1
    for row in ws.iter_rows(min_row=2, max_row=n + 1):
        for cell in row:
            code_col = first_code <= cell.column <= last_code
            cell.alignment = _CENTER if code_col else _WRAP_TOP
    ws.freeze_panes = "A2"
    if n:
        rule = DataValidation(
            type="list",
            formula1='"' + ",".join(CODES) + '"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="编码无效 invalid code",
            error="请填 P、R、D 或留空 / enter P, R, D or leave blank",
            promptTitle="编码 code",
            prompt="P 问题 problem, R 措施 remedy, D 否认 denied, 留空 blank = 无关 not about it",
            showInputMessage=True,
        )
        ws.add_data_validation(rule)
        rule.add(f"{get_column_letter(first_code)}2:{get_column_letter(last_code)}{n + 1}")
    _codebook_sheet(wb.create_sheet(SHEET_CODEBOOK), codebook, n, seed)
    wb.properties.creator = "chainpb"
    wb.properties.lastModifiedBy = "chainpb"
    wb.properties.created = FIXED_DATE
    wb.properties.modified = FIXED_DATE
    return wb


def _codebook_sheet(ws: Any, codebook: Codebook, n: int, seed: int | None) -> None:
    ws.append(["编码说明 / Coding instructions"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(
        [
            "每行一个编码单元（一句回答或政策文本中的一句）。对每个类别填写 P、R、D 或留空；"
            "一个单元可以有多个类别。只按文本本身判断，不要猜测其他企业或文件。"
        ]
    )
    ws.append(
        [
            "One coding unit per row (a sentence of an answer or a policy text). For each "
            "category enter P, R, D or leave it blank; a unit may have several categories. "
            "Judge the text itself only."
        ]
    )
    ws.append([])
    ws.append(["代码 code", "含义", "meaning", "困难 difficulty", "主题关注 attention"])
    header_rows = [ws.max_row]
    for code, zh, en, difficulty, attention in CODE_MEANINGS:
        ws.append([code or "（留空 blank）", zh, en, difficulty, attention])
    ws.append([])
    ws.append(["类别 key", "名称 label", "English", "说明 description", "示例 example"])
    header_rows.append(ws.max_row)
    for category in CATEGORIES:
        spec = codebook.category(category)
        ws.append(
            [
                category,
                spec["label"],
                spec.get("label_en", ""),
                " ".join(str(spec.get("description", "")).split()),
                spec.get("example", ""),
            ]
        )
    ws.append([])
    ws.append([f"样本 sample: {n} 个单元 units; 编码本 codebook {codebook.version}"])
    if seed is not None:
        ws.append([f"随机种子 seed: {seed}"])
    for row_number in header_rows:
        for cell in ws[row_number]:
            cell.font = _HEADER_FONT
            cell.fill = _HEADER_FILL
    for i, width in enumerate([18, 40, 40, 60, 45], start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    for row in ws.iter_rows(min_row=5):
        for cell in row:
            cell.alignment = _WRAP_TOP


_CORE_DATE = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def workbook_bytes(wb: Workbook) -> bytes:
    """Save ``wb`` with fixed document dates and zip-entry times (byte-identical reruns).

    openpyxl stamps ``dcterms:modified`` with the current time when it saves, whatever the
    properties say, and zipfile stamps every entry with the local time.
    """
    raw = io.BytesIO()
    wb.save(raw)
    raw.seek(0)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _CORE_DATE.sub(rb"\g<1>" + _W3CDTF.encode() + rb"\g<3>", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            fixed.create_system = 0
            dst.writestr(fixed, data)
    return out.getvalue()


def write_coding_sheet(
    path: Any, sample: pd.DataFrame, codebook: Codebook, seed: int | None = None
) -> None:
    """Write the coders' workbook atomically with deterministic bytes."""
    write_bytes(path, workbook_bytes(build_workbook(sample, codebook, seed)))


def units_by_key(
    cities: Sequence[str], files: Sequence[Any], source: str
) -> dict[tuple[str, str], Any]:
    """Pair per-city inputs (in ``cities`` order) with ``(city_key, source)`` keys."""
    if len(cities) != len(files):
        raise ChainpbError(
            f"城市数（{len(cities)}）与 {source} 文件数（{len(files)}）不一致。",
            f"{len(cities)} cities but {len(files)} {source} files.",
        )
    return {(c, source): f for c, f in zip(cities, files, strict=True)}


def read_pooled_units(
    cities: Sequence[str],
    answer_units: Sequence[Any],
    policy_units: Sequence[Any],
    surveys: Sequence[Any],
    policies: Sequence[Any],
) -> pd.DataFrame:
    """:func:`pool_units` from the workflow's files, each list in ``cities`` order."""
    units: dict[tuple[str, str], pd.DataFrame] = {}
    tables: dict[tuple[str, str], pd.DataFrame] = {}
    for source, unit_files, table_files in (
        ("answers", answer_units, surveys),
        ("policies", policy_units, policies),
    ):
        for key, path in units_by_key(cities, unit_files, source).items():
            units[key] = pd.read_parquet(path)
        for key, path in units_by_key(cities, table_files, source).items():
            tables[key] = pd.read_parquet(path)
    return pool_units(units, tables)

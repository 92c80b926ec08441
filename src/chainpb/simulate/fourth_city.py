"""A fourth simulated city whose questionnaire differs from the bundled three (for tests and the
guide's walk-through; 模拟数据，非真实企业).

What differs, as real cities differ:

- its own 问卷星 headers, and no enterprise-id question (the platform's 序号 only);
- three items per scale; ``ideology_3`` is asked in a positive wording (本企业参与产业链党建活动
  是出于自身发展需要), so it must not be reversed in this city, while the other cities reverse it;
- its own Likert labels (完全不符合 … 完全符合) and ownership spellings (民营企业, 国有企业 …);
- no chain-leader and no founding-year question (a control the models use is missing);
- no policy texts;
- one submission sent twice (same answers, a later 序号 and time).

Writes ``survey.xlsx`` and ``city.yaml`` (the city's config block) into a folder.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import yaml

from chainpb.atomic import write_text, write_with
from chainpb.simulate import dgp

CITY_KEY = "huaian"
N_FIRMS = 160
SEED = 20251202
CHAINS = {
    "绿色食品": "盐化工",
    "高端纺织": "绿色食品",
    "光伏新能源": "新能源汽车",
    "机电装备": "电子信息",
}
OWNERSHIP_SPELLING = {
    "国有": "国有企业",
    "民营": "民营企业",
    "外资": "外资企业",
    "混合所有制": "混合所有制企业",
}
LIKERT = {1: "完全不符合", 2: "不太符合", 3: "说不准", 4: "比较符合", 5: "完全符合"}
# canonical item → this city's wording; ideology_3 is positive here (not reversed)
ITEMS = {
    "coverage_1": "园区党组织把上下游企业都联系起来了",
    "coverage_2": "企业党员在链上党组织有归属感",
    "coverage_3": "新进入产业链的企业能很快被党组织覆盖",
    "ideology_1": "企业负责人支持参与产业链党建",
    "ideology_2": "员工知道产业链党建是做什么的",
    "ideology_3": "本企业参与产业链党建活动是出于自身发展需要",
    "effectiveness_1": "链上党建活动和生产经营结合得好",
    "effectiveness_3": "链上党建帮企业解决了实际问题",
    "effectiveness_4": "党组织在企业重大决策中起作用",
    "resource_1": "通过党建联盟拿到了上下游的资源和信息",
    "resource_2": "联盟企业之间能共享资源、共担风险",
    "resource_3": "党建联盟帮企业对接了政策、资金或人才",
}
HEADERS = {
    "chain": "所在产业链",
    "ownership": "企业性质",
    "employees": "职工人数",
    "has_party_org": "是否成立了党组织",
    "alliance_member": "是否加入了产业链党建联盟",
    "alliance_type": "联盟属于哪种类型",
    **ITEMS,
    "difficulty_text": "您觉得参与产业链党建最大的难处是什么？",
    "revenue_growth": "去年营收增长（%）",
    "employment_growth": "去年用工增长（%）",
    "rd_intensity": "研发投入占营收比（%）",
    "patents": "去年授权专利（件）",
    "coop_projects": "和链上企业合作项目（个）",
    "resilience": "供应链抗风险能力自评（1–5）",
}


def _frame(seed: int):
    # The DGP's parameters of a city are keyed by the bundled cities; this city borrows
    # Suqian's and gets its own name, chains and size.
    spec = dataclasses.replace(dgp.CITIES[0], n=N_FIRMS)
    firms = dgp.simulate_firms(spec, np.random.default_rng([seed, 0]), 2025)
    answers = dgp.simulate_answers(np.random.default_rng([seed, 1]), firms)
    firms["difficulty_text"] = answers["difficulty_text"]
    # Asked positively here: the raw answer is the construct's direction (6 − the mirrored one).
    firms["ideology_3"] = 6 - firms["ideology_3"]
    return firms


def _cell(var: str, value):
    if var in ITEMS:
        return LIKERT[int(value)]
    if var in ("has_party_org", "alliance_member"):
        return "是" if value == 1 else "否"
    if var == "ownership":
        return OWNERSHIP_SPELLING[value]
    if var == "chain":
        return CHAINS[value]
    if var == "alliance_type":
        return value if isinstance(value, str) else "(跳过)"
    if var == "difficulty_text":
        return value or "(空)"
    return value.item() if isinstance(value, np.generic) else value


def write_fourth_city(out: str | Path, seed: int = SEED) -> dict:
    """Write ``survey.xlsx`` and ``city.yaml`` into ``out``; return the city's config block."""
    from openpyxl import Workbook

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    firms = _frame(seed)
    order = list(HEADERS)
    numbered = {v: f"{i}、{HEADERS[v]}" for i, v in enumerate(order, start=1)}
    rows = [[_cell(v, rec[v]) for v in order] for rec in firms.to_dict("records")]
    rows.insert(57, list(rows[41]))  # submitted twice: same answers, sent again later
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["序号", "提交答卷时间", "所用时间", *(numbered[v] for v in order)])
    start = dt.datetime(2025, 5, 6, 9, 0)
    for i, cells in enumerate(rows):
        submitted = start + dt.timedelta(minutes=37 * i)
        ws.append([i + 1, submitted.strftime("%Y/%m/%d %H:%M:%S"), f"{300 + 7 * i}秒", *cells])
    wb.properties.creator = "chainpb.simulate"
    wb.properties.created = wb.properties.modified = dt.datetime(2025, 6, 1)
    write_with(out / "survey.xlsx", lambda tmp: wb.save(tmp))

    block = {
        "name": "淮安市",
        "name_en": "Huaian",
        "survey": str(out / "survey.xlsx"),
        "column_map": {numbered[v]: v for v in order},
        "ingest": {
            "likert_labels": {label: score for score, label in LIKERT.items()},
            "value_maps": {"ownership": {v: k for k, v in OWNERSHIP_SPELLING.items()}},
        },
        "scales": {
            "coverage": {"items": ["coverage_1", "coverage_2", "coverage_3"]},
            "ideology": {"items": ["ideology_1", "ideology_2", "ideology_3"]},
            "effectiveness": {"items": ["effectiveness_1", "effectiveness_3", "effectiveness_4"]},
            "resource": {"items": ["resource_1", "resource_2", "resource_3"]},
        },
    }
    write_text(
        out / "city.yaml",
        "# 模拟的第四个城市（问卷不同）/ a simulated fourth city with its own questionnaire\n"
        + yaml.safe_dump({CITY_KEY: block}, allow_unicode=True, sort_keys=False),
    )
    return block


if __name__ == "__main__":  # python -m chainpb.simulate.fourth_city tests/data/fourth_city
    import sys

    write_fourth_city(sys.argv[1] if len(sys.argv) > 1 else "tests/data/fourth_city")

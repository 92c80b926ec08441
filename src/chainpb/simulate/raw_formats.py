"""Write one city's survey the way a researcher receives it: 问卷星 xlsx, GB18030 csv, SPSS sav.

Each writer takes the canonical frame (one row per firm, canonical variable names, bad rows
already planted) and returns the raw header → canonical variable map it used, so that the column
map in ``column_maps.yaml`` is generated from the same code that wrote the file.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from chainpb.atomic import write_with
from chainpb.simulate.dgp import ALLIANCE_TYPES, OWNERSHIP, SCALES

LIKERT_LABELS = {1: "非常不同意", 2: "不同意", 3: "一般", 4: "同意", 5: "非常同意"}
ITEM_WORDING = {
    "coverage_1": "本企业所在园区的党组织已将产业链上下游企业纳入覆盖",
    "coverage_2": "本企业的党员都能在产业链党组织中找到组织归属",
    "coverage_3": "产业链党组织能够及时跟进新进入链条的企业",
    "coverage_4": "本企业所在产业链上仍有不少企业没有建立党组织",
    "ideology_1": "本企业负责人认为参与产业链党建对企业发展有帮助",
    "ideology_2": "本企业员工了解产业链党建的目的和做法",
    "ideology_3": "本企业参与产业链党建活动主要是应付上级要求",
    "ideology_4": "本企业为党建工作配备了必要的人员和经费",
    "effectiveness_1": "产业链党建活动与本企业的生产经营结合紧密",
    "effectiveness_2": "产业链党建活动和企业业务是“两张皮”",
    "effectiveness_3": "通过产业链党建，本企业解决了实际经营中的问题",
    "effectiveness_4": "党组织在本企业重大决策中发挥了作用",
    "resource_1": "通过产业链党建联盟，本企业获得了上下游的资源和信息",
    "resource_2": "联盟内企业之间建立了资源共享、风险共担的机制",
    "resource_3": "产业链党建帮助本企业对接了政策、资金或人才",
    "resource_4": "本企业从产业链党建中得不到看得见摸得着的好处",
}
ITEMS = list(ITEM_WORDING)
_SCALE_ZH = {
    "coverage": "组织覆盖",
    "ideology": "思想引领",
    "effectiveness": "作用彰显",
    "resource": "资源聚合",
}
OUTCOMES = [
    "revenue_growth",
    "employment_growth",
    "rd_intensity",
    "patents",
    "coop_projects",
    "resilience",
]
# Issue 11: asked after the outcomes (appended, so earlier question numbers stay as they were).
NEW_ITEMS = ["leader_supplier", "mech_joint_meeting", "mech_consultation", "mech_shared_platform"]
_YES_NO = ("leader_supplier", "mech_joint_meeting", "mech_consultation", "mech_shared_platform")
FIRM_VARS = ["enterprise_id", "enterprise_name", "respondent_name", "respondent_phone", "chain",
             "ownership", "employees", "founded_year", "has_party_org", "alliance_member",
             "chain_leader", "alliance_type"]  # fmt: skip

_WJX_QUESTIONS = {
    "enterprise_id": "企业统一编号", "enterprise_name": "企业名称", "respondent_name": "您的姓名",
    "respondent_phone": "联系电话", "chain": "贵企业所属产业链：", "ownership": "贵企业的所有制性质：",
    "employees": "贵企业现有员工人数（人）：", "founded_year": "贵企业成立年份：",
    "has_party_org": "贵企业是否建立党组织？", "alliance_member": "贵企业是否加入产业链党建联盟？",
    "chain_leader": "贵企业是否为产业链链主企业？", "alliance_type": "贵企业所在产业链党建联盟的类型：",
    **ITEM_WORDING,
    "difficulty_text": "贵企业在参与产业链党建工作中遇到的主要困难有哪些？",
    "revenue_growth": "上一年度营业收入增长率（%）", "employment_growth": "上一年度员工人数增长率（%）",
    "rd_intensity": "上一年度研发投入占营业收入比重（%）", "patents": "上一年度获得授权专利数（件）",
    "coop_projects": "与产业链上下游企业开展的合作项目数（个）",
    "resilience": "您如何评价本企业供应链的韧性？（1=很弱，5=很强）",
    "leader_supplier": "贵企业是否为本产业链链主企业的配套（供应）企业？",
    "mech_joint_meeting": "贵企业是否参加了产业链党建联席会议？",
    "mech_consultation": "贵企业是否通过问题会商机制解决过经营中的问题？",
    "mech_shared_platform": "贵企业是否使用了产业链共建共享的平台（实验室、人才、培训等）？",
}  # fmt: skip
WJX_ORDER = [*FIRM_VARS, *ITEMS, "difficulty_text", *OUTCOMES, *NEW_ITEMS]

_CSV_HEADERS = {
    "enterprise_id": "企业编号", "enterprise_name": "企业名称", "respondent_name": "填表人",
    "respondent_phone": "手机号", "chain": "产业链", "ownership": "所有制", "employees": "员工人数",
    "founded_year": "成立年份", "has_party_org": "是否有党组织", "alliance_member": "是否联盟成员",
    "chain_leader": "是否链主", "alliance_type": "联盟类型",
    **{f"{s}_{k}": f"{_SCALE_ZH[s]}{k}" for s in SCALES for k in range(1, 5)},
    "difficulty_text": "主要困难", "revenue_growth": "营收增长率", "employment_growth": "就业增长率",
    "rd_intensity": "研发强度", "patents": "专利数", "coop_projects": "合作项目数", "resilience": "供应链韧性",
    "leader_supplier": "链主配套企业", "mech_joint_meeting": "参加联席会议",
    "mech_consultation": "参与问题会商", "mech_shared_platform": "使用共建共享平台",
}  # fmt: skip

_SAV_LABELS = {
    "enterprise_id": "企业统一社会信用代码", "enterprise_name": "企业名称", "respondent_name": "填表人姓名",
    "respondent_phone": "填表人手机", "chain": "所属产业链", "ownership": "所有制性质",
    "employees": "员工人数", "founded_year": "成立年份", "has_party_org": "是否建立党组织",
    "alliance_member": "是否加入产业链党建联盟", "chain_leader": "是否链主企业",
    "alliance_type": "联盟类型", **ITEM_WORDING, "difficulty_text": "参与产业链党建遇到的困难（开放题）",
    "revenue_growth": "营业收入增长率(%)", "employment_growth": "员工人数增长率(%)",
    "rd_intensity": "研发强度(%)", "patents": "授权专利数", "coop_projects": "链上合作项目数",
    "resilience": "供应链韧性自评", "position": "填表人职务",
    "leader_supplier": "是否为链主企业配套企业", "mech_joint_meeting": "是否参加联席会议",
    "mech_consultation": "是否参与问题会商", "mech_shared_platform": "是否使用共建共享平台",
}  # fmt: skip
SAV_MISSING = {"skipped": -3, "refused": 99}


def write_wjx_xlsx(path: Path, df: pd.DataFrame, rng: np.random.Generator) -> dict[str, str]:
    """问卷星 export: metadata columns, numbered question headers, text answers, (跳过)/(空)."""
    from openpyxl import Workbook

    headers = {var: f"{i}、{_WJX_QUESTIONS[var]}" for i, var in enumerate(WJX_ORDER, start=1)}
    start = dt.datetime(2025, 3, 3, 8, 30)
    offsets = np.sort(rng.integers(0, 40 * 24 * 3600, len(df)))
    sources = ["微信", "手机提交", "链接", "微信"]
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(
        ["序号", "提交答卷时间", "所用时间", "来源", "来自IP"] + [headers[v] for v in WJX_ORDER]
    )
    for i, row in enumerate(df.itertuples(index=False)):
        rec = row._asdict()
        submitted = start + dt.timedelta(seconds=int(offsets[i]))
        ip = f"{rng.choice([58, 114, 117, 221])}.{rng.integers(1, 255)}.{rng.integers(1, 255)}.{rng.integers(1, 255)}(江苏-宿迁)"
        meta = [i + 1, submitted.strftime("%Y/%m/%d %H:%M:%S"), f"{rng.integers(180, 1500)}秒",
                sources[int(rng.integers(4))], ip]  # fmt: skip
        cells = []
        for var in WJX_ORDER:
            v = rec[var]
            if var in ITEMS:
                v = "(跳过)" if rng.random() < 0.003 else LIKERT_LABELS.get(v, v)
            elif var in ("has_party_org", "alliance_member", "chain_leader", *_YES_NO):
                v = "是" if v == 1 else "否"
            elif var == "alliance_type":
                v = v if isinstance(v, str) else "(跳过)"
            elif var == "difficulty_text":
                v = v or "(空)"
            elif isinstance(v, np.generic):
                v = v.item()
            cells.append(v)
        ws.append(meta + cells)
    wb.properties.creator = "chainpb.simulate"
    wb.properties.created = wb.properties.modified = dt.datetime(2025, 4, 15)
    write_with(path, lambda tmp: wb.save(tmp))
    return {headers[v]: v for v in WJX_ORDER}


def _fullwidth_digits(s: str) -> str:
    return s.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})


def write_gb18030_csv(path: Path, df: pd.DataFrame, rng: np.random.Generator) -> dict[str, str]:
    """Short headers, numbers as typed by hand (12.5%, １２０, 1,200), missing as blank or '-'."""
    order = [*FIRM_VARS, *ITEMS, "difficulty_text", *OUTCOMES]
    order += [v for v in NEW_ITEMS if v in df.columns]
    out = {}
    for var in order:
        col = []
        for v in df[var]:
            if var in ("has_party_org", "alliance_member", "chain_leader", *_YES_NO):
                yes, no = ("有", "没有") if var == "has_party_org" else ("是", "否")
                s = yes if v == 1 else no
            elif var == "employees":
                s = str(v)
                if isinstance(v, (int, np.integer)) and v >= 1000 and rng.random() < 0.6:
                    s = f"{v:,}"
                elif rng.random() < 0.04:
                    s = _fullwidth_digits(s)
            elif var in ("rd_intensity", "revenue_growth") and rng.random() < 0.12:
                s = f"{v}%"
            elif var in ITEMS and rng.random() < 0.004:
                s = "-" if rng.random() < 0.5 else ""
            elif v is None or (isinstance(v, float) and np.isnan(v)):
                s = ""
            else:
                s = str(v)
            col.append(s)
        out[_CSV_HEADERS[var]] = col
    raw = pd.DataFrame(out)
    write_with(
        path, lambda tmp: raw.to_csv(tmp, index=False, encoding="gb18030", lineterminator="\r\n")
    )
    return {_CSV_HEADERS[v]: v for v in order}


def write_spss_sav(path: Path, df: pd.DataFrame, rng: np.random.Generator) -> dict[str, str]:
    """SPSS file: Q1…Q36, Chinese variable labels, value labels, user-missing −3 (跳过) and 99 (拒答)."""
    import pyreadstat

    order = [*FIRM_VARS, *ITEMS, "difficulty_text", *OUTCOMES, "position"]
    order += [v for v in NEW_ITEMS if v in df.columns]
    names = {var: f"Q{i}" for i, var in enumerate(order, start=1)}
    chains = sorted(df["chain"].unique())
    positions = ["党支部书记", "办公室主任", "人力资源部经理", "总经理助理", "行政专员"]
    frame = pd.DataFrame(index=range(len(df)))
    for var in order:
        if var == "position":
            frame[names[var]] = [positions[int(i)] for i in rng.integers(0, 5, len(df))]
        elif var in ("enterprise_id", "enterprise_name", "respondent_name", "respondent_phone",
                     "difficulty_text"):  # fmt: skip
            frame[names[var]] = df[var].fillna("").astype(str).to_numpy()
        elif var == "chain":
            frame[names[var]] = [float(chains.index(v) + 1) for v in df[var]]
        elif var == "ownership":
            frame[names[var]] = [
                float(OWNERSHIP.index(v) + 1) if v in OWNERSHIP else 5.0 for v in df[var]
            ]
        elif var == "alliance_type":
            frame[names[var]] = [float(ALLIANCE_TYPES.index(v) + 1) if isinstance(v, str)
                                 else float(SAV_MISSING["skipped"]) for v in df[var]]  # fmt: skip
        else:
            values = df[var].astype(float).to_numpy().copy()
            if var in ITEMS:
                values[rng.random(len(values)) < 0.003] = SAV_MISSING["skipped"]
            if var == "revenue_growth":
                values[rng.random(len(values)) < 0.01] = SAV_MISSING["refused"]
            frame[names[var]] = values
    yes_no = {1.0: "是", 0.0: "否"}
    likert = {float(k): v for k, v in LIKERT_LABELS.items()}
    missing_labels = {-3.0: "跳过", 99.0: "拒答"}
    value_labels = {
        names["chain"]: {float(i + 1): c for i, c in enumerate(chains)},
        names["ownership"]: {float(i + 1): c for i, c in enumerate(OWNERSHIP)},
        names["alliance_type"]: {
            **{float(i + 1): c for i, c in enumerate(ALLIANCE_TYPES)},
            **missing_labels,
        },
        **{
            names[v]: dict(yes_no)
            for v in ("has_party_org", "alliance_member", "chain_leader", *_YES_NO)
            if v in names
        },
        **{names[v]: {**likert, **missing_labels} for v in ITEMS},
        names["resilience"]: {1.0: "很弱", 2.0: "较弱", 3.0: "一般", 4.0: "较强", 5.0: "很强"},
        names["revenue_growth"]: dict(missing_labels),
    }
    missing_ranges = {names[v]: [-3] for v in [*ITEMS, "alliance_type"]}
    missing_ranges[names["revenue_growth"]] = [-3, 99]
    labels = [_SAV_LABELS[v] for v in order]
    write_with(path, lambda tmp: pyreadstat.write_sav(
        frame, str(tmp), column_labels=labels, variable_value_labels=value_labels,
        missing_ranges=missing_ranges))  # fmt: skip
    return {names[v]: v for v in order if v != "position"}

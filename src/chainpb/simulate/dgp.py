"""The data-generating process of the simulated example (模拟数据，非真实企业).

Every planted effect sits in the module-level dictionaries below, which are also written to
``truth/truth.json`` so that a regression on the ingested data can be checked against them.
All randomness comes from the ``numpy.random.Generator`` passed in; nothing reads the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from chainpb.simulate.phrases import DIFFICULTIES, NEGATED_BANK, NONE_ANSWERS, PHRASE_BANK

OWNERSHIP: Final = ("国有", "民营", "外资", "混合所有制")
ALLIANCE_TYPES: Final = ("职能部门牵引型", "龙头企业带动型", "属地党委整合型", "行业协会串联型")
SCALES: Final = ("coverage", "ideology", "effectiveness", "resource")
REVERSE_ITEMS: Final = {"coverage": 4, "ideology": 3, "effectiveness": 2, "resource": 4}


@dataclass(frozen=True)
class CitySpec:
    key: str
    name: str
    name_en: str
    short: str
    chains: tuple[str, str, str, str]
    n: int
    region_code: str
    policy_emphasis: str
    alliance_type_p: tuple[float, float, float, float]


CITIES: Final = (
    CitySpec("suqian", "宿迁市", "Suqian", "宿迁", ("绿色食品", "高端纺织", "光伏新能源", "机电装备"),
             450, "321300", "coverage", (0.2, 0.25, 0.4, 0.15)),
    CitySpec("suzhou", "苏州市", "Suzhou", "苏州", ("集成电路", "生物医药", "纳米新材料", "高端装备"),
             440, "320500", "resource", (0.2, 0.4, 0.2, 0.2)),
    CitySpec("wuxi", "无锡市", "Wuxi", "无锡", ("物联网", "集成电路", "生物医药", "新能源汽车零部件"),
             460, "320200", "effectiveness", (0.25, 0.25, 0.2, 0.3)),
)  # fmt: skip

CHAIN_P: Final = (0.30, 0.27, 0.23, 0.20)
OWNERSHIP_P: Final = (0.12, 0.62, 0.12, 0.14)
LOG_EMPLOYEES_MEAN: Final = 4.3
LOG_EMPLOYEES_SD: Final = 1.1

# Logistic indices: linear predictor on the log-odds scale; x_le = log(employees) - 4.3.
TREATMENT_MODEL: Final = {
    "has_party_org": {"intercept": -0.6, "x_le": 0.7, "soe": 1.8, "mixed": 0.8},
    "chain_leader": {"intercept": -4.2, "x_le": 1.3},
    "alliance_member": {"intercept": -0.5, "has_party_org": 1.2, "chain_leader": 2.0, "x_le": 0.3},
}
DIFFICULTY_MODEL: Final = {
    "coverage": {"intercept": -0.1, "x_le": -0.5, "has_party_org": -0.8, "alliance_member": -0.9},
    "ideology": {"intercept": -0.5, "has_party_org": -0.6, "soe": -0.4},
    "effectiveness": {"intercept": -0.7, "has_party_org": 0.4},
    "resource": {"intercept": -0.3, "alliance_member": -0.7, "x_le": -0.2},
}

# Outcome equations (linear unless noted). Chain effects are random intercepts per city × chain.
EFFECTS: Final = {
    "rd_intensity": {"intercept": 2.8, "alliance_member": 0.80, "has_party_org": 0.30,
                     "chain_leader": 0.40, "log_employees": 0.25},
    "coop_projects": {"intercept": 6.0, "alliance_member": 1.5, "d_coverage": -0.8,
                      "d_ideology": -0.5, "d_effectiveness": -0.7, "d_resource": -0.9,
                      "alliance_member:d_resource": 0.4},
    "revenue_growth": {"intercept": 4.0, "coop_projects": 0.6, "alliance_member": 1.0,
                       "chain_leader": 0.5, "log_employees": 0.3},
    "employment_growth": {"intercept": 1.0, "revenue_growth": 0.3, "alliance_member": 0.5},
    "patents": {"link": "log (Poisson)", "intercept": -2.0, "rd_intensity": 0.25,
                "log_employees": 0.35},
    "resilience": {"link": "ordered probit-like cut of a latent", "latent_resource": 0.8,
                   "alliance_member": 0.5, "cuts": [-1.5, -0.5, 0.6, 1.6]},
}  # fmt: skip
NOISE_SD: Final = {"rd_intensity": 1.0, "coop_projects": 1.2, "revenue_growth": 3.0,
                   "employment_growth": 2.5, "resilience": 1.0}  # fmt: skip
CHAIN_SD: Final = {"rd_intensity": 0.6, "coop_projects": 0.8, "revenue_growth": 1.0}
CITY_SHIFT: Final = {
    "suqian": {"rd_intensity": -0.3, "coop_projects": -0.3, "revenue_growth": 0.5},
    "suzhou": {"rd_intensity": 0.4, "coop_projects": 0.3, "revenue_growth": 1.0},
    "wuxi": {"rd_intensity": 0.0, "coop_projects": 0.0, "revenue_growth": 0.0},
}

LIKERT: Final = {
    "factor_correlation": 0.4,
    "difficulty_shift": -0.8,  # latent mean of a scale drops when the firm meets that difficulty
    "alliance_shift": 0.3,
    "cuts": [-1.6, -0.8, 0.1, 1.1],
    "loadings": {"coverage": [0.82, 0.76, 0.71, 0.68], "ideology": [0.78, 0.84, 0.66, 0.73],
                 "effectiveness": [0.80, 0.67, 0.77, 0.72], "resource": [0.85, 0.74, 0.70, 0.65]},
}  # fmt: skip

# Planted in issue 11 (the paper's argument). Drawn from a separate random stream (``extra`` in
# :func:`simulate_firms`) after the original draws, so every original column is unchanged except
# alliance_type (now one type per chain) and revenue_growth (the shifts below are added to it;
# employment_growth still follows revenue growth before these shifts).
# Alliance type is chain-level: each city's four chains get the four types in a random order.
# Effects on revenue_growth of members, relative to the first type (职能部门牵引型).
TYPE_EFFECTS: Final = {"龙头企业带动型": 1.5, "属地党委整合型": 0.5, "行业协会串联型": 1.0}
# 链主 spillover: a non-leader firm that supplies (配套) the chain leader of its chain.
SPILLOVER: Final = {
    "link_model": {"intercept": -1.0, "alliance_member": 0.8, "x_le": 0.3},
    "effect_revenue_growth": 1.2,
}
# Mechanisms adopted (binary survey items) and their effect on revenue_growth.
MECHANISMS: Final = ("mech_joint_meeting", "mech_consultation", "mech_shared_platform")
MECHANISM_MODEL: Final = {
    "mech_joint_meeting": {"intercept": -1.2, "alliance_member": 1.8, "has_party_org": 0.5},
    "mech_consultation": {"intercept": -1.5, "alliance_member": 1.5, "has_party_org": 0.3},
    "mech_shared_platform": {"intercept": -1.8, "alliance_member": 1.6, "x_le": 0.3},
}
MECHANISM_EFFECTS: Final = {
    "mech_joint_meeting": 0.8,
    "mech_consultation": 0.6,
    "mech_shared_platform": 1.0,
}

ANSWERS: Final = {"p_blank": 0.05, "p_none_if_no_difficulty": 0.6, "p_extra_negation": 0.01}

# Global missing codes (-3, -2, -1, 99, 999) would swallow a real value of 99 or 999, so such
# values are nudged by one; documented in README.
MISSING_CODE_VALUES: Final = (-3, -2, -1, 99, 999)

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦傅方邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉梅晓东海燕鹏辉宇浩然子涵欣怡俊杰文博雨轩思远嘉怡婷雪峰春晖立新"
_NAME_HEAD = "恒华瑞鑫盛泰宏远嘉德天润金诚永安博晟中科锦瀚富达新源汇通振兴长信广利"
_NAME_INDUSTRY = {
    "绿色食品": ["食品", "生物科技", "农业开发", "粮油"], "高端纺织": ["纺织", "服饰", "新材料", "织造"],
    "光伏新能源": ["光伏科技", "新能源", "能源科技", "电力"], "机电装备": ["机电", "机械", "智能装备", "电气"],
    "集成电路": ["半导体", "微电子", "芯片科技", "电子"], "生物医药": ["生物医药", "制药", "医疗科技", "生物技术"],
    "纳米新材料": ["纳米科技", "新材料", "材料科技", "精细化工"], "高端装备": ["精密机械", "智能装备", "装备制造", "自动化"],
    "物联网": ["物联科技", "信息技术", "传感技术", "智能科技"], "新能源汽车零部件": ["汽车部件", "动力科技", "电驱", "精工"],
}  # fmt: skip
_SUFFIX = ("有限公司", "股份有限公司", "有限责任公司")


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _index(coefs: dict[str, float], data: dict[str, np.ndarray]) -> np.ndarray:
    return coefs["intercept"] + sum(v * data[k] for k, v in coefs.items() if k != "intercept")


def _avoid_missing_codes(x: np.ndarray) -> np.ndarray:
    x = x.copy()
    for code in MISSING_CODE_VALUES:
        x[x == code] = code + 1
    return x


def simulate_firms(
    city: CitySpec,
    rng: np.random.Generator,
    survey_year: int,
    extra: np.random.Generator | None = None,
) -> pd.DataFrame:
    """One city's firms: canonical variables, true difficulties ``d_<cat>`` and latent factors.

    Values are already rounded as the raw files show them, so that the truth and the ingested
    data agree exactly on the outcomes. ``extra`` is the separate stream of the issue-11 variables
    (chain-level alliance type, supplier link to the chain leader, mechanisms and their effects on
    revenue_growth); without it the firms are drawn as before (per-firm type, no new variables).
    """
    n = city.n
    chain_idx = rng.choice(4, size=n, p=CHAIN_P)
    ownership_idx = rng.choice(4, size=n, p=OWNERSHIP_P)
    log_emp_raw = rng.normal(LOG_EMPLOYEES_MEAN, LOG_EMPLOYEES_SD, n)
    employees = np.clip(np.round(np.exp(log_emp_raw)), 5, 20000).astype(int)
    employees = _avoid_missing_codes(employees)
    log_employees = np.log(employees)
    age = np.clip(np.round(np.exp(rng.normal(2.3, 0.6, n))), 1, 60).astype(int)
    data: dict[str, np.ndarray] = {
        "x_le": log_employees - LOG_EMPLOYEES_MEAN,
        "soe": (ownership_idx == 0).astype(float),
        "mixed": (ownership_idx == 3).astype(float),
        "log_employees": log_employees,
    }
    for var in ("has_party_org", "chain_leader", "alliance_member"):
        p = _logistic(_index(TREATMENT_MODEL[var], data))
        data[var] = (rng.random(n) < p).astype(float)
    member = data["alliance_member"].astype(bool)
    atype_idx = rng.choice(4, size=n, p=city.alliance_type_p)
    if extra is not None:  # one type per chain (the per-firm draw above keeps the stream)
        atype_idx = extra.permutation(4)[chain_idx]
    alliance_type = np.where(member, np.array(ALLIANCE_TYPES, dtype=object)[atype_idx], None)
    new = _extra_variables(extra, data, member, atype_idx) if extra is not None else None

    d = np.column_stack(
        [
            (rng.random(n) < _logistic(_index(DIFFICULTY_MODEL[cat], data))).astype(float)
            for cat in DIFFICULTIES
        ]
    )
    # An open answer names at most three difficulties; drop one at random when all four occur.
    for i in np.flatnonzero(d.sum(axis=1) == 4):
        d[i, rng.integers(4)] = 0.0
    for j, cat in enumerate(DIFFICULTIES):
        data[f"d_{cat}"] = d[:, j]

    # Four correlated latent factors behind the Likert items.
    rho = LIKERT["factor_correlation"]
    corr = np.full((4, 4), rho) + (1 - rho) * np.eye(4)
    factors = rng.normal(size=(n, 4)) @ np.linalg.cholesky(corr).T
    factors += (
        LIKERT["difficulty_shift"] * d + LIKERT["alliance_shift"] * data["alliance_member"][:, None]
    )
    items: dict[str, np.ndarray] = {}
    for j, scale in enumerate(SCALES):
        for k, loading in enumerate(LIKERT["loadings"][scale], start=1):
            x = loading * factors[:, j] + np.sqrt(1 - loading**2) * rng.normal(size=n)
            answer = 1 + np.searchsorted(LIKERT["cuts"], x)
            if REVERSE_ITEMS[scale] == k:
                answer = 6 - answer  # negatively worded: raw answer mirrors the construct
            items[f"{scale}_{k}"] = answer.astype(int)

    chain_effects = {
        out: rng.normal(0.0, sd, 4) for out, sd in CHAIN_SD.items()
    }  # per city × chain
    shift = CITY_SHIFT[city.key]

    def chain_part(out: str) -> np.ndarray:
        return shift[out] + chain_effects[out][chain_idx]

    rd = _index(EFFECTS["rd_intensity"], data) + chain_part("rd_intensity")
    rd = rd + rng.normal(0, NOISE_SD["rd_intensity"], n)
    n_rd_truncated = int((rd < 0).sum())
    rd = np.round(np.clip(rd, 0, None), 2)

    coop_eq = {k: v for k, v in EFFECTS["coop_projects"].items() if ":" not in k}
    coop = _index(coop_eq, data) + 0.4 * data["alliance_member"] * data["d_resource"]
    coop = coop + chain_part("coop_projects") + rng.normal(0, NOISE_SD["coop_projects"], n)
    n_coop_truncated = int((coop < 0).sum())
    coop = _avoid_missing_codes(np.round(np.clip(coop, 0, None)).astype(int))
    data["coop_projects"] = coop.astype(float)

    rev = _index(EFFECTS["revenue_growth"], data) + chain_part("revenue_growth")
    rev_latent = rev + rng.normal(0, NOISE_SD["revenue_growth"], n)
    rev = np.round(rev_latent, 1)
    data["revenue_growth"] = rev  # employment_growth follows revenue before the issue-11 shifts
    emp = _index(EFFECTS["employment_growth"], data)
    emp = np.round(emp + rng.normal(0, NOISE_SD["employment_growth"], n), 1)
    if new is not None:
        rev = np.round(rev_latent + new.pop("_revenue_shift"), 1)
    pat_eq = EFFECTS["patents"]
    rate = np.exp(
        pat_eq["intercept"] + pat_eq["rd_intensity"] * rd + pat_eq["log_employees"] * log_employees
    )
    patents = _avoid_missing_codes(rng.poisson(rate))
    res_eq = EFFECTS["resilience"]
    res_latent = (
        res_eq["latent_resource"] * factors[:, 3]
        + res_eq["alliance_member"] * data["alliance_member"]
    )
    res_latent = res_latent + rng.normal(0, NOISE_SD["resilience"], n)
    resilience = 1 + np.searchsorted(res_eq["cuts"], res_latent)

    df = pd.DataFrame(
        {
            "city_key": city.key,
            "chain": np.array(city.chains, dtype=object)[chain_idx],
            "ownership": np.array(OWNERSHIP, dtype=object)[ownership_idx],
            "employees": employees,
            "founded_year": survey_year - age,
            "has_party_org": data["has_party_org"].astype(int),
            "alliance_member": data["alliance_member"].astype(int),
            "chain_leader": data["chain_leader"].astype(int),
            "alliance_type": alliance_type,
            **items,
            "revenue_growth": rev,
            "employment_growth": emp,
            "rd_intensity": rd,
            "patents": patents.astype(int),
            "coop_projects": coop,
            "resilience": resilience.astype(int),
            **{f"d_{cat}": d[:, j].astype(int) for j, cat in enumerate(DIFFICULTIES)},
            **(new or {}),
        }
    )
    df.attrs["chain_effects"] = {
        out: {city.chains[c]: round(float(v[c]), 4) for c in range(4)}
        for out, v in chain_effects.items()
    }
    df.attrs["truncated"] = {"rd_intensity": n_rd_truncated, "coop_projects": n_coop_truncated}
    df.attrs["mediation_a_total"] = _total_a(data)
    return df


def _extra_variables(
    extra: np.random.Generator,
    data: dict[str, np.ndarray],
    member: np.ndarray,
    atype_idx: np.ndarray,
) -> dict[str, np.ndarray]:
    """Supplier link, mechanisms and the revenue shift they and the alliance type plant."""
    n = len(member)
    leader = data["chain_leader"].astype(bool)
    p_link = _logistic(_index(SPILLOVER["link_model"], data))
    link = ((extra.random(n) < p_link) & ~leader).astype(int)  # asked of every firm; 否 for 链主
    shift = SPILLOVER["effect_revenue_growth"] * link
    type_effect = np.array([0.0, *TYPE_EFFECTS.values()])
    shift = shift + np.where(member, type_effect[atype_idx], 0.0)
    out: dict[str, np.ndarray] = {"leader_supplier": link}
    for mech in MECHANISMS:
        m = (extra.random(n) < _logistic(_index(MECHANISM_MODEL[mech], data))).astype(int)
        shift = shift + MECHANISM_EFFECTS[mech] * m
        out[mech] = m
    out["_revenue_shift"] = shift
    return out


def mechanism_a(data_frame: pd.DataFrame) -> dict[str, float]:
    """Average effect of membership on the probability of each mechanism (the mediation a)."""
    le = np.log(data_frame["employees"].to_numpy(dtype=float))
    data = {
        "x_le": le - LOG_EMPLOYEES_MEAN,
        "has_party_org": data_frame["has_party_org"].to_numpy(dtype=float),
    }
    out = {}
    for mech, eq in MECHANISM_MODEL.items():
        on = _logistic(_index(eq, {**data, "alliance_member": np.ones(len(le))}))
        off = _logistic(_index(eq, {**data, "alliance_member": np.zeros(len(le))}))
        out[mech] = float(np.mean(on - off))
    return out


def _total_a(data: dict[str, np.ndarray]) -> float:
    """Average effect of alliance membership on coop_projects, through fewer difficulties too.

    The mediation model regresses coop_projects on alliance_member without the difficulties, so
    its ``a`` is the total effect: 1.5 + 0.4·P(d_res | member) + Σ β_d · ΔP(d). Computed from the
    firms' own probabilities with membership switched on and off (ignores the rare truncation).
    """
    eq = EFFECTS["coop_projects"]
    on, off = dict(data), dict(data)
    on["alliance_member"] = np.ones_like(data["alliance_member"])
    off["alliance_member"] = np.zeros_like(data["alliance_member"])
    p_on = {c: _logistic(_index(DIFFICULTY_MODEL[c], on)) for c in DIFFICULTIES}
    p_off = {c: _logistic(_index(DIFFICULTY_MODEL[c], off)) for c in DIFFICULTIES}
    effect = eq["alliance_member"] + eq["alliance_member:d_resource"] * p_on["resource"]
    for c in DIFFICULTIES:
        effect = effect + eq[f"d_{c}"] * (p_on[c] - p_off[c])
    return float(np.mean(effect))


def chinese_name(rng: np.random.Generator) -> str:
    """A plausible simulated Chinese personal name (surname + one or two given characters)."""
    given = "".join(rng.choice(list(_GIVEN), size=int(rng.integers(1, 3))))
    return str(rng.choice(list(_SURNAMES))) + given


def mobile_number(rng: np.random.Generator) -> str:
    """An 11-digit simulated mainland mobile number 1[3-9]xxxxxxxxx."""
    return "1" + str(rng.integers(3, 10)) + "".join(str(x) for x in rng.integers(0, 10, 9))


def id_number(rng: np.random.Generator, region_code: str) -> str:
    """An 18-character simulated resident ID number with a valid GB 11643 check digit."""
    year = int(rng.integers(1965, 2000))
    month, day = int(rng.integers(1, 13)), int(rng.integers(1, 29))
    body = f"{region_code[:4]}{int(rng.integers(1, 30)):02d}{year}{month:02d}{day:02d}"
    body += "".join(str(x) for x in rng.integers(0, 10, 3))
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]
    return body + check


def enterprise_ids(rng: np.random.Generator, region_code: str, n: int) -> list[str]:
    """Unique simulated 18-character unified social credit codes (format only, no checksum)."""
    alphabet = list("0123456789ABCDEFGHJKLMNPQRTUWXY")
    seen: set[str] = set()
    out = []
    while len(out) < n:
        code = "91" + region_code + "".join(rng.choice(alphabet, size=10))
        if code not in seen:
            seen.add(code)
            out.append(code)
    return out


def enterprise_name(rng: np.random.Generator, city: CitySpec, chain: str) -> str:
    head = "".join(rng.choice(list(_NAME_HEAD), size=2))
    return f"{city.short}{head}{rng.choice(_NAME_INDUSTRY[chain])}{rng.choice(_SUFFIX)}"


_JOIN_STYLES = ("plain", "numbered", "main_also", "sentences")
_FILLERS = ("其他方面总体还可以", "希望上级继续加强指导", "其他都还好", "总体感觉还不错")


def compose_answer(
    rng: np.random.Generator, difficulties: list[str], negated: list[str]
) -> tuple[str, frozenset[str]]:
    """Write one open answer naming ``difficulties`` and denying ``negated``; return text, reading.

    The reading is the union of the bank readings of the phrases used (negations read as 0).
    """
    phrases = [PHRASE_BANK[c][int(rng.integers(len(PHRASE_BANK[c])))] for c in difficulties]
    reading = frozenset().union(*(r for _, r in phrases)) if phrases else frozenset()
    parts = [p for p, _ in phrases]
    denials = [NEGATED_BANK[c][int(rng.integers(len(NEGATED_BANK[c])))] for c in negated]
    if not parts:
        filler = _FILLERS[int(rng.integers(len(_FILLERS)))]
        return "，".join([*denials, filler]) + "。", reading
    style = _JOIN_STYLES[int(rng.integers(len(_JOIN_STYLES)))]
    if style == "numbered" and len(parts) > 1:
        nums = "一二三"
        body = "；".join(f"{nums[i]}是{p}" for i, p in enumerate(parts)) + "。"
    elif style == "main_also" and len(parts) > 1:
        body = f"主要是{parts[0]}，另外" + "，".join(parts[1:]) + "。"
    elif style == "sentences":
        body = "。".join(parts) + "。"
    else:
        body = "；".join(parts) + "。"
    if denials:
        body = (
            "，".join(denials) + "。" + body
            if rng.random() < 0.5
            else body + "，".join(denials) + "。"
        )
    return body, reading


def simulate_answers(rng: np.random.Generator, firms: pd.DataFrame) -> pd.DataFrame:
    """Open answers with their intended codes (generator truth) and the phrase-level reading.

    ``denied`` holds the difficulties an answer names only to deny them (the gold codes them D);
    it is carried here rather than found again in the text.
    """
    rows = []
    for d in firms[[f"d_{c}" for c in DIFFICULTIES]].to_numpy():
        present = [c for c, v in zip(DIFFICULTIES, d, strict=True) if v]
        u = rng.random()
        if u < ANSWERS["p_blank"]:
            rows.append(("", "missing", frozenset(), False, frozenset()))
            continue
        if not present and rng.random() < ANSWERS["p_none_if_no_difficulty"]:
            none_text = NONE_ANSWERS[int(rng.integers(len(NONE_ANSWERS)))]
            rows.append((none_text, "none", frozenset(), False, frozenset()))
            continue
        absent = [c for c in DIFFICULTIES if c not in present]
        negated: list[str] = []
        if not present or rng.random() < ANSWERS["p_extra_negation"]:
            k = 1 if present or rng.random() < 0.7 else 2
            negated = [absent[i] for i in sorted(rng.choice(len(absent), size=k, replace=False))]
        order = [present[i] for i in rng.permutation(len(present))]
        text, reading = compose_answer(rng, order, negated)
        rows.append((text, "coded", reading, bool(negated), frozenset(negated)))
    out = pd.DataFrame(
        rows, columns=["difficulty_text", "answer_status", "reading", "has_negation", "denied"]
    )
    out.index = firms.index
    return out

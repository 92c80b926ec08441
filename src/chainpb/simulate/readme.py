"""README files of the simulated example, written from the truth so that they never drift."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from chainpb.atomic import write_text

_HEAD = """# 模拟示例数据 / Simulated example data

**本目录全部为模拟数据，不涉及任何真实企业、真实人员或真实文件。**
**Everything in this folder is SIMULATED data: no real enterprise, person or document.**
企业名称、姓名、手机号、身份证号均为随机生成；政策文件为按公文文体拼写的模拟文本，发文单位标注“（模拟）”。
Names, phone and ID numbers are random; the policy texts are composed in the register of municipal
documents and their issuers are marked “（模拟）”.

重新生成 / regenerate: `python -m chainpb.simulate --out resources/example` (seed {seed}).
同一种子给出相同的解析内容（xlsx/docx 的字节可能不同）/ the same seed gives the same parsed content.

## 文件 / Files

| 城市 city | 问卷 survey | 格式 format | 政策文件 policies |
| --- | --- | --- | --- |
| suqian 宿迁市 | `suqian/survey.xlsx` | 问卷星导出：序号/提交答卷时间/所用时间/来源/来自IP + 题目全文表头；量表为文字（非常不同意…非常同意），跳题为“(跳过)”，空答为“(空)” | 6 份：.txt UTF-8、.txt GBK、.docx |
| suzhou 苏州市 | `suzhou/survey.csv` | GB18030 编码，简短中文表头；量表为数字 1–5；数字书写不规范（“12.5%”、全角“１２０”、千分位“1,200”）；缺失为空或“-” | 同上 |
| wuxi 无锡市 | `wuxi/survey.sav` | SPSS：变量名 Q1…Q36，中文变量标签与值标签；用户缺失值 −3 = 跳过、99 = 拒答 | 同上（含繁体字与不规则空白的文件 `2025_points.txt`） |

Each `policies/manifest.csv` (UTF-8 BOM) lists `file,title,issuer,date`. One .docx per city
(`2024_notice.docx`) carries a 任务分工表 table.
`truth/` holds the truth: `truth.json` (all parameters), `firms.csv` (canonical values and true
difficulties `d_*` per firm, keyed by raw enterprise id and raw row), `answer_codes.csv`
(intended codes of every open answer). `gold/` holds the hand-read gold sample (see its README).
`column_maps.yaml` holds, per city, raw header → canonical variable (metadata columns such as
序号/来自IP and wuxi's Q36 填表人职务 are deliberately unmapped).

## 数据生成过程 / Data-generating process

Per city: n = {n_per_city}; four chains, ownership 国有/民营/外资/混合所有制 with p = 0.12/0.62/0.12/0.14;
log(employees) ~ N(4.3, 1.1²) (clipped to 5–20 000); firm age = round(exp(N(2.3, 0.6²))), 1–60.
has_party_org, chain_leader, alliance_member are logistic in size, ownership and each other; the true
difficulties d_coverage … d_resource are Bernoulli, logistic in size, has_party_org and membership
(members report fewer coverage and resource difficulties); at most three per firm. Likert items come
from four latent factors (correlation 0.4; loadings 0.65–0.85, see truth.json) whose means drop by
0.8 when the firm meets that difficulty and rise by 0.3 for members; cut points −1.6/−0.8/0.1/1.1.
The reverse-worded items {reverse} are written as the mirror 6 − x and are **not** reversed in the
files. Chains have random intercepts (sd in the table below), cities fixed shifts; values 99 and 999
(global missing codes) never occur as real counts (nudged by one).

Open answers: 5 % blank (status missing); firms without difficulty answer “无/暂无/没有困难…” with
p = 0.6 (status none), otherwise deny one or two difficulties (“不存在覆盖难的问题”, coded all 0);
firms with difficulties name one phrase per difficulty from a bank of ≥ 42 phrasings each
(`chainpb.simulate.phrases`), and 1 % add a negated mention of another one. Five answers per city
carry a phone or 18-digit ID number (truth.json `pii_in_answers`).

### 设定效应 / Planted effects

| 结果 outcome | 项 term | 真值 true value |
| --- | --- | --- |
{effects_rows}

Mediation alliance_member → coop_projects → revenue_growth: structural a = {a_s} (at d_resource = 0),
average total a = {a} (membership also lowers difficulties), b = {b}, **indirect a·b = {ind}**,
direct = {direct} (structural 1.0 plus the average type effect of members and Σ b·a of the mechanisms
below). Interaction alliance_member × d_resource on coop_projects = +0.4.

Added for the paper's argument (issue 11), drawn from a separate random stream so that every other
column is unchanged: the alliance type is **one per chain** (each city's four chains get the four
types in a random order: {type_of_chain}); among members, revenue growth is higher by {type_effects}
than under 职能部门牵引型. A non-leader firm supplies the chain leader (`leader_supplier`, asked of
every firm, 否 for 链主) with logit index {link}; a supplier's revenue growth is +{spill} higher
(every chain of the example has a 链主). Mechanisms (是/否 questions `mech_*`): each is logistic in
membership (average effect of membership on the probability: {mech_a}) and raises revenue growth
by {mech_b}. employment_growth follows revenue growth before these shifts. The true difficulties
depend on size, Party organisation, ownership (ideology) and membership, not on being a 链主:
average marginal effects of the true model {ame}.
Chain random-intercept sd: {chain_sd}; noise sd: {noise_sd}.
Truncated at 0: {truncated}.
Policy emphasis planted on purpose: {emphasis}.

## 列映射 / Column maps
{maps}

## 故意埋入的问题行 / Planted bad rows

Row numbers as a user sees them: spreadsheet/CSV header = row 1; .sav = case number.

| city | file | raw_row | column | reason |
| --- | --- | --- | --- | --- |
{bad_rows}
"""

_GOLD = """# 金标准样本编码规则 / Gold-sample coding rules

模拟数据 / SIMULATED data. `gold_codes.csv` (UTF-8 BOM): `unit_id, source, city_key, text,
coverage, ideology, effectiveness, resource` — {n_a} open answers and {n_p} policy sentences
({n_p0} of them about none of the four difficulties). The format is that of every gold file
(`resources/gold/README.md`); each category column holds one code:

| code | meaning | difficulty measure | theme attention |
| --- | --- | --- | --- |
| `P` | 问题：困难被陈述 / problem: the difficulty is stated, including a remedy said to be missing or weak | 1 | 1 |
| `R` | 对策或成效 / remedy, measure or achievement on the theme | 0 | 1 |
| `D` | 只为否认而提及 / the difficulty is named only to deny it | 0 | 1 |
| `0` | 与该类别无关 / not about this category | 0 | 0 |

Here answers carry only `P`, `D` and `0` (an open answer states difficulties, it proposes no
remedy); policy sentences carry only `P`, `R` and `0` (no sentence of the bank denies a difficulty).
Read `P` alone for the difficulty measure, `P`/`R`/`D` for attention to the theme.

每个单位按领域说明（shared brief）中的四类描述阅读后编码 / each unit was coded by reading it
against the four category descriptions of the domain brief:

1. 一个单位可以属于多个类别，也可以不属于任何类别 / a unit may carry several codes or none.
2. 计入条件 / when it counts: the text states (answers) or addresses (policies) the situation the
   category describes, with or without its keyword — “党员跟着项目跑，组织关系转不过来” is coverage;
   “党建活动和生产经营是两码事” is effectiveness.
3. 否定 / negation: a difficulty named only to deny it (“不存在覆盖难的问题”, “思想认识方面没有什么障碍”)
   is `D`, never `P`; a difficulty both stated and denied in one answer would be `P`.
   “无/暂无/没有困难” answers are all 0.
4. 政策文本：问题与对策分开 / policy texts, problem vs remedy. Remedies map onto the axes as the
   brief says: building organisations on the chain, 两个覆盖, 应建尽建, 流动党员 → coverage;
   institutions and leadership (联席会议制度, 书记责任, 专职党务力量, 经费, 学习教育, 认同) → ideology;
   services, business environment and fusing Party work with business (同谋划同部署, 防止两张皮,
   服务企业) → effectiveness; integrating resources (资源共享, 共商共议, 风险共担, 配套政策, 考核办法,
   要素保障, 强链补链延链) → resource. A remedy, measure, plan or achievement is `R` — also when it
   names the gap it targets (“对尚未建立党组织的小微企业，选派党建指导员”, “缓解融资难题”). A sentence
   that states the difficulty or says a remedy is missing or weak (the “存在的问题” sentences:
   “组织覆盖仍有空白”, “共商共享、风险共担等机制还不健全”) is `P`, coded like an answer.
5. 与四类无关的句子全为 0 并纳入样本 / sentences about none of the four (guiding thought, dates,
   boilerplate such as “各地要结合实际细化工作安排”) are all 0 and included.
6. Headings (“（一）健全产业链组织体系。”) are units too and are coded by what they announce.
7. A sentence that lists all four pillars (“组织共建、思想共融、发展共促、资源共享”) carries all four codes.

Answers vs generator truth: the gold keeps the reading. In {n_diff} answers the reading is wider
than the generator's intended codes because a phrase honestly shows a second difficulty, e.g.
“有的企业党组织名存实亡，覆盖只是个统计数字” (coverage, read also as ideology: branch on paper only),
“党建考核只看材料，不看对企业经营的贡献” (effectiveness, read also as resource: assessment rules),
“宣传不到位，很多企业根本没听说过联盟” (ideology, read also as coverage: work coverage).

How the readings were made: every bank phrase and bank sentence was read and coded by hand when
it was written (`chainpb/simulate/phrases.py`, `policy_bank.py`, the `reading|text` lines); an
answer's `P` codes are the union of its phrases' readings and its `D` codes the difficulties its
negation phrases deny. A policy sentence's `P`/`R` comes from the bank section it was drawn from
(`problem_<axis>` → `P`, any other → `R`; every sentence was read to check that this holds). This
is one coder's reading, not an inter-coder consensus; a second coder is welcome.
"""


def _md_table(rows: list[list[str]]) -> str:
    return "\n".join("| " + " | ".join(str(c) for c in r) + " |" for r in rows)


def write_readmes(out: Path, truth: dict[str, Any], gold: pd.DataFrame) -> None:
    eff_rows = []
    for outcome in (
        "rd_intensity",
        "coop_projects",
        "revenue_growth",
        "employment_growth",
        "patents",
        "resilience",
    ):
        for term, value in truth["effects"][outcome].items():
            eff_rows.append([outcome, term, value])
    maps = []
    for city, cmap in truth["column_maps"].items():
        maps.append(f"\n### {city}\n\n| raw header | variable |\n| --- | --- |")
        maps.append(_md_table([[h, v] for h, v in cmap.items()]))
    maps.append("\nwuxi: SPSS user-missing codes −3 (跳过 skipped), 99 (拒答 refused).")
    bad = [[b["city_key"], b["file"], b["raw_row"], b["column"], f"{b['reason_zh']} / {b['reason_en']}"]
           for b in truth["bad_rows"]]  # fmt: skip
    med = truth["effects"]["mediation"]
    eff = truth["effects"]
    text = _HEAD.format(
        seed=truth["seed"], n_per_city=truth["n_per_city"], reverse=", ".join(truth["reverse_items"]),
        effects_rows=_md_table(eff_rows), a_s=med["a_structural"], a=med["a"], b=med["b"],
        ind=med["indirect"], direct=med["direct"],
        type_of_chain=eff["alliance_type"]["type_of_chain"], type_effects=eff["alliance_type"]["effects"],
        link=eff["spillover"]["link_model"], spill=eff["spillover"]["effect"],
        mech_a={m: v["a"] for m, v in eff["mechanisms"].items()},
        mech_b={m: v["b"] for m, v in eff["mechanisms"].items()},
        ame=eff["difficulty_determinants"]["ame"], chain_sd=truth["chain_sd"], noise_sd=truth["noise_sd"],
        truncated=truth["truncated"], emphasis=truth["policy_emphasis"], maps="\n".join(maps),
        bad_rows=_md_table(bad),
    )  # fmt: skip
    write_text(out / "README.md", text)
    g = truth["gold"]
    write_text(out / "gold" / "README.md", _GOLD.format(
        n_a=g["n_answers"], n_p=g["n_policy_sentences"], n_p0=g["n_policy_none"],
        n_diff=g["answers_reading_differs_from_generator"]))  # fmt: skip

"""The canonical survey variables and what a valid value of each looks like.

One row per variable of docs/architecture.md. ``kind`` drives parsing (see :mod:`.values`),
``role`` drives privacy: ``id`` is hashed, ``pii`` is removed, ``text`` is normalised and masked.

Plausible ranges that are a judgement call, documented here once:

- ``revenue_growth`` and ``employment_growth`` (percent): −100 … 1000. A firm cannot lose more
  than all of its revenue or staff; growth beyond tenfold in one year is, in a survey answer,
  almost always a typo (an amount typed into the percent field).
- ``rd_intensity`` (percent of revenue): 0 … 100.
- ``founded_year``: 1900 … survey year (the upper bound comes from the config).
- Likert items and ``resilience``: integers 1 … 5.

Trailing units that may be stripped from numbers (and only these): employees 人/名,
patents 项/件/个, coop_projects 项/个, founded_year 年, and ``%`` for percent variables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["id", "pii", "text", "str", "category", "int", "float", "likert", "binary"]
Role = Literal["id", "pii", "text", "value"]

LIKERT_MIN = 1
LIKERT_MAX = 5
SCALE_DIMENSIONS = ("coverage", "ideology", "effectiveness", "resource")


@dataclass(frozen=True)
class VariableSpec:
    """What one canonical variable may hold."""

    name: str
    kind: Kind
    label_zh: str
    label_en: str
    minimum: float | None = None
    maximum: float | None = None
    units: tuple[str, ...] = ()
    percent: bool = False
    required: bool = False

    @property
    def role(self) -> Role:
        if self.kind in ("id", "pii", "text"):
            return self.kind  # type: ignore[return-value]
        return "value"

    @property
    def numeric(self) -> bool:
        return self.kind in ("int", "float", "likert", "binary")


def _likert(name: str, dim_zh: str, dim_en: str, i: int) -> VariableSpec:
    return VariableSpec(
        name, "likert", f"{dim_zh}第{i}题", f"{dim_en} item {i}", LIKERT_MIN, LIKERT_MAX
    )


_DIM_LABELS = {
    "coverage": ("组织覆盖", "coverage"),
    "ideology": ("思想引领", "ideology"),
    "effectiveness": ("作用彰显", "effectiveness"),
    "resource": ("资源聚合", "resource"),
}

_SPECS: list[VariableSpec] = [
    VariableSpec("enterprise_id", "id", "企业编号", "enterprise id", required=True),
    VariableSpec("enterprise_name", "pii", "企业名称", "enterprise name"),
    VariableSpec("respondent_name", "pii", "填写人姓名", "respondent name"),
    VariableSpec("respondent_phone", "pii", "填写人电话", "respondent phone"),
    VariableSpec("respondent_email", "pii", "填写人邮箱", "respondent e-mail"),
    VariableSpec("respondent_id_number", "pii", "填写人身份证号", "respondent ID number"),
    VariableSpec("chain", "str", "所属产业链", "industrial chain", required=True),
    VariableSpec("ownership", "category", "所有制类型", "ownership"),
    VariableSpec("employees", "int", "员工人数", "employees", minimum=0, units=("人", "名")),
    VariableSpec("founded_year", "int", "成立年份", "founding year", minimum=1900, units=("年",)),
    VariableSpec("has_party_org", "binary", "是否建立党组织", "has a Party organisation", 0, 1),
    VariableSpec(
        "alliance_member", "binary", "是否产业链党建联盟成员", "chain alliance member", 0, 1
    ),
    VariableSpec("chain_leader", "binary", "是否链主企业", "chain leader", 0, 1),
    VariableSpec("alliance_type", "category", "联盟类型", "alliance type"),
    *[_likert(f"{dim}_{i}", *_DIM_LABELS[dim], i) for dim in SCALE_DIMENSIONS for i in range(1, 5)],
    VariableSpec("difficulty_text", "text", "遇到的困难（开放题）", "difficulties (open answer)"),
    VariableSpec(
        "revenue_growth",
        "float",
        "营业收入增长率(%)",
        "revenue growth (%)",
        -100,
        1000,
        percent=True,
    ),
    VariableSpec(
        "employment_growth",
        "float",
        "从业人数增长率(%)",
        "employment growth (%)",
        -100,
        1000,
        percent=True,
    ),
    VariableSpec("rd_intensity", "float", "研发强度(%)", "R&D intensity (%)", 0, 100, percent=True),
    VariableSpec(
        "patents", "int", "授权专利数", "patents granted", minimum=0, units=("项", "件", "个")
    ),
    VariableSpec(
        "coop_projects",
        "int",
        "链上合作项目数",
        "cooperation projects",
        minimum=0,
        units=("项", "个"),
    ),
    VariableSpec(
        "resilience", "likert", "供应链韧性自评", "supply-chain resilience", LIKERT_MIN, LIKERT_MAX
    ),
    # 链主溢出与联盟机制（问卷是/否题）/ 链主 spillover and alliance mechanisms (yes/no items)
    VariableSpec(
        "leader_supplier", "binary", "是否为链主企业配套企业", "supplies the chain leader", 0, 1
    ),
    VariableSpec("mech_joint_meeting", "binary", "参加联席会议", "joins the joint meetings", 0, 1),
    VariableSpec("mech_consultation", "binary", "参与问题会商", "uses problem consultation", 0, 1),
    VariableSpec(
        "mech_shared_platform", "binary", "使用共建共享平台", "uses shared platforms", 0, 1
    ),
]

#: Canonical variables in contract order.
VARIABLES: dict[str, VariableSpec] = {spec.name: spec for spec in _SPECS}
PII_VARIABLES: tuple[str, ...] = tuple(s.name for s in _SPECS if s.role == "pii")
REQUIRED_VARIABLES: tuple[str, ...] = tuple(s.name for s in _SPECS if s.required)
LIKERT_ITEMS: tuple[str, ...] = tuple(
    s.name for s in _SPECS if s.name.split("_")[0] in SCALE_DIMENSIONS
)
#: Columns of survey.parquet that the ingest adds in front of the canonical variables.
SURVEY_KEY_COLUMNS: tuple[str, ...] = (
    "city_key",
    "city_name",
    "raw_row",
    "enterprise_id",
    "chain_id",
)
#: Columns of survey.parquet in order.
SURVEY_COLUMNS: tuple[str, ...] = SURVEY_KEY_COLUMNS + tuple(
    s.name for s in _SPECS if s.role != "pii" and s.name != "enterprise_id"
)
REJECT_COLUMNS: tuple[str, ...] = (
    "city_key",
    "file",
    "raw_row",
    "column",
    "variable",
    "value",
    "reason_zh",
    "reason_en",
)
REDACTED = "<已隐去 redacted>"

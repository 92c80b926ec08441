"""Compose the simulated policy documents of one city from the paragraph bank.

City emphasis is planted by giving the emphasised difficulty's task paragraphs more room (three
paragraphs instead of one, plus the city's own mechanism paragraph), which a dictionary measure
of ``per_1000_tokens`` should pick up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from chainpb.simulate.dgp import CitySpec
from chainpb.simulate.phrases import DIFFICULTIES
from chainpb.simulate.policy_bank import PARAGRAPHS

_NUMERALS = "一二三四五六七八九十"
_SUB_HEADING = re.compile(r"^（[一二三四五六七八九十]+）")
_ORDINAL = re.compile(r"^[一二三四五六七八九十]是")


class Sentence(NamedTuple):
    """One filled bank sentence with its hand-read categories and the bank section it came from.

    The section travels with the sentence so that the gold can tell a stated difficulty
    (``problem_<axis>``) from a remedy without matching strings (see ``policy_bank.section_code``).
    """

    text: str
    codes: frozenset[str]
    section: str


@dataclass
class PolicyDoc:
    stem: str
    title: str
    issuer: str
    date: str
    fmt: str  # txt-utf8 | txt-gbk | docx
    # (heading or None, [Sentence, ...]) per paragraph, already filled in
    paragraphs: list[tuple[str | None, list[Sentence]]] = field(default_factory=list)
    table: list[list[str]] | None = None

    def text(self) -> str:
        """Plain text as written to .txt (and, paragraph by paragraph, to .docx)."""
        lines = [self.title, ""]
        for heading, sentences in self.paragraphs:
            if heading:
                lines.append(heading)
            if sentences:
                lines.append("\u3000\u3000" + "".join(s.text for s in sentences))
        lines += ["", self.issuer, self.date_zh()]
        return "\n".join(lines) + "\n"

    def date_zh(self) -> str:
        y, m, d = (int(x) for x in self.date.split("-"))
        return f"{y}年{m}月{d}日"


_DOCS = (
    (
        "plan",
        "关于深入推进产业链党建工作的实施方案",
        "txt-utf8",
        "中共{city}委组织部",
        "2024-03-18",
    ),
    (
        "summary",
        "2024年{city}产业链党建联盟工作总结",
        "txt-gbk",
        "{city}产业链党建联盟办公室",
        "2024-12-26",
    ),
    ("notice", "关于建立产业链党建联盟工作机制的通知", "docx", "中共{city}委组织部", "2024-05-09"),
    ("points", "{city}2025年产业链党建工作要点", "txt-utf8", "中共{city}委组织部", "2025-02-20"),
    (
        "report",
        "关于{city}产业链党建工作情况的调研报告",
        "docx",
        "中共{city}委党校课题组",
        "2024-10-15",
    ),
    (
        "opinion",
        "关于实施“党建强链”行动的意见",
        "txt-gbk",
        "中共{city}委 {city}人民政府",
        "2024-07-01",
    ),
)


def _fill(sentence: str, city: CitySpec, numbers: dict[str, int]) -> str:
    return sentence.format(
        city=city.name, short=city.short, chains="、".join(city.chains), chain_a=city.chains[0],
        year=2024, year_next=2025, **numbers,
    )  # fmt: skip


class _Composer:
    def __init__(self, city: CitySpec, rng: np.random.Generator) -> None:
        self.city, self.rng = city, rng
        self.numbers = {
            "n_alliance": int(rng.integers(8, 30)), "n_org": int(rng.integers(40, 160)),
            "n_act": int(rng.integers(200, 900)), "n_prob": int(rng.integers(100, 600)),
            "n_coop": int(rng.integers(30, 150)), "n_train": int(rng.integers(500, 3000)),
        }  # fmt: skip

    def pick(self, section: str, k: int = 1) -> list[list[Sentence]]:
        bank = PARAGRAPHS[section]
        idx = self.rng.choice(len(bank), size=min(k, len(bank)), replace=False)
        return [
            [Sentence(_fill(s, self.city, self.numbers), c, section) for s, c in bank[i]]
            for i in sorted(idx)
        ]

    def tasks(self, emphasis_k: int) -> list[list[Sentence]]:
        out = []
        for axis in DIFFICULTIES:
            k = emphasis_k if axis == self.city.policy_emphasis else 1
            out += self.pick(axis, k)
            if axis == self.city.policy_emphasis:
                out += self.pick(f"city_{self.city.key}")
        return _renumber(out, _SUB_HEADING, lambda i: f"（{_NUMERALS[i]}）")

    def problems(self) -> list[list[Sentence]]:
        out = []
        for axis in DIFFICULTIES:
            out += self.pick(f"problem_{axis}", 2 if axis == self.city.policy_emphasis else 1)
        return _renumber(out, _ORDINAL, lambda i: f"{_NUMERALS[i]}是")


def _renumber(paragraphs, pattern: re.Pattern[str], label):
    count = 0
    out = []
    for para in paragraphs:
        new = []
        for sentence in para:
            if pattern.match(sentence.text):
                sentence = sentence._replace(text=pattern.sub(label(count), sentence.text, count=1))
                count += 1
            new.append(sentence)
        out.append(new)
    return out


def compose_documents(city: CitySpec, rng: np.random.Generator) -> list[PolicyDoc]:
    """The six simulated policy documents of one city, in a fixed order."""
    comp = _Composer(city, rng)
    docs = []
    for kind, title, fmt, issuer, date in _DOCS:
        doc = PolicyDoc(
            stem=f"{date[:4]}_{kind}",
            title=title.format(city=city.name),
            issuer="（模拟）" + issuer.format(city=city.name),
            date=date,
            fmt=fmt,
        )
        sections: list[tuple[str | None, list]] = []
        if kind == "plan":
            sections = [(None, comp.pick("intro")), ("一、指导思想", comp.pick("guiding")),
                        ("二、工作目标", comp.pick("goal")), ("三、主要任务", comp.tasks(3)),
                        ("四、保障措施", comp.pick("safeguard", 2)), (None, comp.pick("closing"))]  # fmt: skip
        elif kind == "summary":
            sections = [(None, comp.pick("intro")), ("一、主要做法", comp.tasks(2)),
                        ("二、工作成效", comp.pick("achievement", 2)), ("三、存在的问题", comp.problems()),
                        ("四、下一步工作打算", comp.pick("plan", 2))]  # fmt: skip
        elif kind == "notice":
            sections = [(f"各县（区）委组织部，{city.name}各有关单位：", comp.pick("intro")),
                        ("一、工作目标", comp.pick("goal")), ("二、重点任务", comp.tasks(2)),
                        ("三、工作要求", comp.pick("safeguard", 2)), (None, comp.pick("closing"))]  # fmt: skip
        elif kind == "points":
            sections = [("一、总体要求", comp.pick("guiding") + comp.pick("goal")),
                        ("二、重点工作", comp.tasks(3)), ("三、工作安排", comp.pick("plan", 2))]  # fmt: skip
        elif kind == "report":
            sections = [("一、基本情况", comp.pick("intro") + comp.pick("achievement", 2)),
                        ("二、存在的问题", comp.problems()), ("三、对策建议", comp.tasks(2))]  # fmt: skip
        else:
            sections = [(None, comp.pick("intro")), ("一、总体要求", comp.pick("guiding") + comp.pick("goal")),
                        ("二、重点任务", comp.tasks(3)), ("三、保障措施", comp.pick("safeguard", 2))]  # fmt: skip
        for heading, paras in sections:
            for j, para in enumerate(paras):
                # A task paragraph opens with its （一） heading sentence: put it on its own line.
                if para and _SUB_HEADING.match(para[0].text):
                    doc.paragraphs.append((heading if j == 0 else None, []))
                    doc.paragraphs.append((para[0].text, para[1:]))
                else:
                    doc.paragraphs.append((heading if j == 0 else None, para))
        if kind == "notice":
            doc.table = _task_table(city)
        docs.append(doc)
    return docs


def _task_table(city: CitySpec) -> list[list[str]]:
    return [
        ["序号", "重点任务", "牵头单位", "责任单位", "完成时限"],
        ["1", "组建重点产业链党建联盟", "市委组织部", "各县（区）委组织部", "2024年6月底"],
        ["2", "建立联席会议制度和问题会商机制", "市委组织部", "市工业和信息化局", "2024年7月底"],
        [
            "3",
            "编制需求清单、资源清单、项目清单",
            "市工业和信息化局",
            "各产业链联盟牵头单位",
            "2024年9月底",
        ],
        ["4", "推动链上资源共享和供需对接", "市发展改革委", "市科技局、市人社局", "长期坚持"],
        ["5", f"培育{city.short}产业链党建示范项目", "市委组织部", "各产业链联盟", "2024年12月底"],
    ]


# A few traditional characters and irregular blanks, as in a document pasted from another system.
_TRADITIONAL = {"党建": "黨建", "产业链": "產業鏈", "组织": "組織", "发展": "發展"}


def roughen(text: str) -> str:
    """Traditional characters in the first occurrences, full-width and doubled blanks."""
    for simp, trad in _TRADITIONAL.items():
        text = text.replace(simp, trad, 2)
    text = text.replace("工作目标", "工作\u3000目标", 1).replace("主要任务", "主要  任务", 1)
    return text.replace("。", "。 ", 3)

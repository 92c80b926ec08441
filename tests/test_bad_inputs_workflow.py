"""A handful of the bad-input catalogue end to end (issue 10, item 6): through the workflow's
``ingest_survey`` rule — config, schema, script, log and outputs — not only the library.

A city ``carelesscity`` is added to a copy of the project with one CSV survey that holds seven
catalogue cases (tests/test_bad_inputs.py builds the rows; tests/bad_inputs/README.md lists the
cases). Only that city's ingest job runs (a few seconds), so the test stays cheap. Expected
outcomes are what a reader of the eight raw lines sees by eye:

raw row 2  A001 valid                                   → accepted
raw row 3  A002 组织覆盖1 = "4.0" (SPSS/pandas export)      → accepted, coverage_1 = 4
raw row 4  A003 last 5 fields missing (short CSV row)    → quarantined, 组织覆盖1
raw row 5  A004 所属产业链 = "#REF!"                         → quarantined, Excel error
raw row 6  A005 所有制 with a name and an ID number         → quarantined, value masked
raw row 7  A006 not a member but an alliance type given   → quarantined, contradiction
raw row 8  A007 open answer with a name, phone, e-mail    → accepted, text masked
raw row 9  A008 员工人数 = "#DIV/0!"                         → quarantined, Excel error
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import copy_project, snakemake
from test_bad_inputs import COLUMN_MAP, HEADER, PII_CATEGORY, row

pytestmark = pytest.mark.e2e

CITY = "carelesscity"
OPEN_ANSWER_PII = "联系人王建国，电话13812345678，邮箱wjg@example.com，联盟活动太少"
PII = ("张伟", "11010519850612001X", "王建国", "13812345678", "wjg@example.com")


def _survey_lines() -> list[str]:
    rows = [
        row(),
        row(企业编号="A002", 组织覆盖1="4.0"),
        row(企业编号="A003")[:-5],
        row(企业编号="A004", 所属产业链="#REF!"),
        row(企业编号="A005", 所有制=PII_CATEGORY),
        row(企业编号="A006", 是否联盟成员="否"),
        row(企业编号="A007", 遇到的困难=OPEN_ANSWER_PII),
        row(企业编号="A008", 员工人数="#DIV/0!"),
    ]
    return [",".join(HEADER), *(",".join(str(c) for c in r) for r in rows)]


@pytest.fixture(scope="module")
def careless_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("careless") / "project")
    data = project / "mydata" / CITY
    data.mkdir(parents=True)
    (data / "survey.csv").write_text("\n".join(_survey_lines()) + "\n", encoding="utf-8")
    # not example data: a hash key is needed (HOME is the project's parent in these runs)
    key = project.parent / ".config/chainpb/hash_key"
    key.parent.mkdir(parents=True, exist_ok=True)
    key.write_text("test-key-careless-city\n", encoding="utf-8")
    cfg_path = project / "config/config.yaml"
    cfg = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
    cfg["cities"][CITY] = {
        "name": "粗心市",
        "name_en": "Careless",
        "survey": f"mydata/{CITY}/survey.csv",
        "column_map": COLUMN_MAP,
        # its questionnaire has two coverage items only
        "scales": {"coverage": {"items": ["coverage_1", "coverage_4"], "reverse": ["coverage_4"]}},
    }
    cfg_path.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    snakemake(project, "--cores", "1", f"results/{CITY}/ingest/survey.parquet")
    return project


def test_catalogue_cases_quarantined_through_the_workflow(careless_run: Path) -> None:
    ingest = careless_run / "results" / CITY / "ingest"
    rejects = pd.read_csv(ingest / "rejects.csv", encoding="utf-8-sig", dtype=str)
    by_row = rejects.groupby(rejects["raw_row"].astype(int))
    assert sorted(by_row.groups) == [4, 5, 6, 7, 9]
    reason = by_row["reason_en"].apply(" ".join)
    assert "has 7 fields but the header has 12" in reason[4]
    assert "Excel error #REF!" in reason[5]
    assert "contradiction" in reason[7]
    assert "Excel error #DIV/0!" in reason[9]
    # the rejected ownership cell is shown masked, never verbatim
    shown = rejects.loc[rejects["raw_row"] == "6", "value"].item()
    assert shown == "民营（法人[姓名] [身份证号]）"

    survey = pd.read_parquet(ingest / "survey.parquet")
    assert len(survey) == 3  # rows 2, 3 and 8
    report = json.loads((ingest / "survey_report.json").read_text(encoding="utf-8"))
    assert (report["n_raw"], report["n_accepted"], report["n_rejected"]) == (8, 3, 5)
    coverage_1 = dict(zip(survey["raw_row"], survey["coverage_1"], strict=True))
    assert coverage_1[3] == 4
    answer = survey.loc[survey["raw_row"] == 8, "difficulty_text"].item()
    assert answer.endswith("联盟活动太少") and "王建国" not in answer


def test_no_personal_data_from_the_careless_city_anywhere(careless_run: Path) -> None:
    hits = []
    for folder in ("results", "logs", ".snakemake"):
        for path in sorted((careless_run / folder).rglob("*")):
            if not path.is_file():
                continue
            data = path.read_bytes()
            text = data.decode("utf-8", "ignore")
            hits += [(str(path.relative_to(careless_run)), v) for v in PII if v in text]
    assert not hits, hits
    # the rule's log says what happened to the rows, in both languages
    log = (careless_run / "logs" / CITY / "ingest_survey.log").read_text(encoding="utf-8")
    assert "原始 raw 8 = 接受 accepted 3 + 拒绝 rejected 5" in log
    assert "未映射、已丢弃的列 unmapped columns dropped: 提交时间" in log

"""Duplicate submissions (ingest.duplicates) and generated enterprise ids for surveys without an
id column (chainpb.ingest.duplicates, through validate_rows and ingest_city_survey)."""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import pandas as pd
import pytest

from chainpb.config import check_config, city_settings, load_yaml
from chainpb.errors import ConfigError
from chainpb.ingest.duplicates import WHOLE_ROW_COLUMN
from chainpb.ingest.options import IngestOptions
from chainpb.ingest.readers import read_survey_file
from chainpb.ingest.spec import REDACTED
from chainpb.ingest.survey import SurveyIngest, ingest_city_survey, write_survey_ingest
from chainpb.ingest.validate import map_columns

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = load_yaml(ROOT / "workflow" / "schemas" / "config.schema.yaml")
KEY = b"test-key"

HEADER = ["序号", "提交答卷时间", "企业编号", "企业名称", "所属产业链", "员工人数", "组织覆盖1"]
# Raw row numbers (header = row 1) in the comments; what each row is for.
ROWS = [
    ["1", "2025-03-01 09:00", "A001", "甲公司", "集成电路", "10", "3"],  # 2
    # 3: a001 is A001 (case); same answers (１０ is 10): a second click on submit
    ["2", "2025-03-01 09:01", "a001", "甲公司", "集成电路", "１０", "3"],
    # 4: Ａ００１ is A001 (width), but other answers: 员工人数 and 组织覆盖1 differ
    ["3", "2025-03-02 10:00", "Ａ００１", "甲公司", "集成电路", "12", "4"],
    ["4", "2025-03-02 11:00", "B002", "乙公司", "新能源", "5", "4"],  # 5: unique
    # 6 and 7: one firm; row 6's 员工人数 is invalid, row 7 is the valid resubmission
    ["5", "2025-03-03 08:00", "C003", "丙公司", "新能源", "约50", "2"],
    ["6", "2025-03-03 08:30", "c003", "丙公司", "新能源", "50", "2"],
    # 8 and 9: one firm, both copies invalid
    ["7", "2025-03-04 08:00", "E005", "戊公司", "新能源", "约5", "1"],
    ["8", "2025-03-04 08:05", "e005", "戊公司", "新能源", "约5", "1"],
]
ID_MAP = {
    "企业编号": "enterprise_id",
    "企业名称": "enterprise_name",
    "所属产业链": "chain",
    "员工人数": "employees",
    "组织覆盖1": "coverage_1",
}
NO_ID_MAP = {k: v for k, v in ID_MAP.items() if v != "enterprise_id"}

SAME_ID_ZH = "企业编号相同，不区分大小写和全/半角"
SAME_ID_EN = "same enterprise id, ignoring case and full/half width"
DIFFER_ZH = "但答案不同，不同的列：「员工人数」、「组织覆盖1」；请核对保留的一份是否正确。"
DIFFER_EN = (
    " The answers differ in '员工人数', '组织覆盖1': check that the kept copy is the right one."
)

# printf 'suqian:A001' | openssl dgst -sha256 -hmac test-key → ca664f74b3509c4d… (first 16);
# the same reference value as in test_ingest_survey.py.
HASH_A001 = "ca664f74b3509c4d"
# Content of rows 2 and 3 without an id column (mapped columns but enterprise_id, by variable
# name, NFKC + casefold + trimmed, JSON with sorted keys):
#   C='{"chain":"集成电路","coverage_1":"3","employees":"10","enterprise_name":"甲公司"}'
#   H=$(printf '%s' "$C" | sha256sum | cut -c1-64)   → 42c4c1bb33943c36…328efbff
#   printf 'suqian:content:%s' $H | openssl dgst -sha256 -hmac test-key → 43419a977a885c9e…
#   printf 'huaian:content:%s' $H | openssl dgst -sha256 -hmac test-key → 0b9333a2522c4fbd…
CONTENT_HASH = "42c4c1bb33943c366cee318011bab553d4ff21865eb7423f018625be328efbff"
GENERATED_SUQIAN = "43419a977a885c9e"
GENERATED_HUAIAN = "0b9333a2522c4fbd"


def write_survey(path: Path, rows: list[list[str]] = ROWS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def ingest(
    tmp_path: Path,
    policy: str,
    column_map: dict[str, str] = ID_MAP,
    city: str = "suqian",
) -> SurveyIngest:
    path = tmp_path / "survey.csv"
    if not path.exists():
        write_survey(path)
    options = IngestOptions(survey_year=2025, duplicates=policy)
    return ingest_city_survey(
        path, city, "某市", column_map, options, KEY, display_path="city/survey.csv"
    )


def records(result: SurveyIngest, raw_row: int) -> list[tuple[str, str, str, str, str]]:
    found = result.rejects[result.rejects["raw_row"] == raw_row]
    return list(
        zip(
            found["column"],
            found["variable"],
            found["value"],
            found["reason_zh"],
            found["reason_en"],
            strict=True,
        )
    )


def duplicate_reason(result: SurveyIngest, raw_row: int) -> tuple[str, str]:
    found = [r for r in records(result, raw_row) if r[3].startswith("重复提交")]
    assert len(found) == 1, records(result, raw_row)
    return found[0][3], found[0][4]


def balance(result: SurveyIngest) -> None:
    assert result.n_raw == result.n_accepted + result.n_rejected == len(ROWS)
    assert result.rejects["raw_row"].nunique() == result.n_rejected
    assert set(result.accepted["raw_row"]).isdisjoint(set(result.rejects["raw_row"]))


# --- with an enterprise id: each policy --------------------------------------------------------


def test_keep_first_by_id(tmp_path: Path) -> None:
    result = ingest(tmp_path, "keep_first")
    balance(result)
    # Group A001 (rows 2, 3, 4) keeps row 2; group C003 keeps row 7, the first *valid* copy;
    # group E005 has no valid copy; B002 is alone.
    assert result.accepted["raw_row"].tolist() == [2, 5, 7]
    assert result.accepted["enterprise_id"].iloc[0] == HASH_A001
    assert (result.n_accepted, result.n_rejected) == (3, 5)
    kept = f"（{SAME_ID_ZH}；保留第 2 行，ingest.duplicates: keep_first）。"
    kept_en = f" ({SAME_ID_EN}; row 2 kept, ingest.duplicates: keep_first)."
    # Row 3 answers like row 2 (１０ parses as 10): no column named.
    assert records(result, 3) == [
        (
            "企业编号",
            "enterprise_id",
            REDACTED,
            "重复提交：与第 2 行相同" + kept,
            "duplicate submission: same as row 2" + kept_en,
        )
    ]
    # Row 4: same id, other answers; the columns are named, the values are not.
    assert duplicate_reason(result, 4) == (
        "重复提交：与第 2 行相同" + kept + DIFFER_ZH,
        "duplicate submission: same as row 2" + kept_en + DIFFER_EN,
    )
    # Row 6: the duplicate record naming the kept row 7 (on 企业编号, which comes before 员工人数
    # in the file) and its own problem; 员工人数 differs (约50 vs 50).
    assert [r[1] for r in records(result, 6)] == ["enterprise_id", "employees"]
    assert duplicate_reason(result, 6) == (
        f"重复提交：与第 7 行相同（{SAME_ID_ZH}；保留第 7 行，ingest.duplicates: keep_first）。"
        "但答案不同，不同的列：「员工人数」；请核对保留的一份是否正确。",
        f"duplicate submission: same as row 7 ({SAME_ID_EN}; row 7 kept, ingest.duplicates: "
        "keep_first). The answers differ in '员工人数': check that the kept copy is the right one.",
    )
    # Rows 8 and 9: both invalid, none kept; each names the other.
    for row, other in ((8, 9), (9, 8)):
        assert duplicate_reason(result, row) == (
            f"重复提交：与第 {other} 行相同（{SAME_ID_ZH}）；各份都有其他问题，未保留任何一份。",
            f"duplicate submission: same as row(s) {other} ({SAME_ID_EN}); every copy has other "
            "problems, so none is kept.",
        )
        assert [r[1] for r in records(result, row)] == ["enterprise_id", "employees"]


def test_keep_last_by_id(tmp_path: Path) -> None:
    result = ingest(tmp_path, "keep_last")
    balance(result)
    assert result.accepted["raw_row"].tolist() == [4, 5, 7]
    # Row 4's id Ａ００１ is NFKC-folded to A001 before hashing: the same hash as row 2's.
    assert result.accepted["enterprise_id"].iloc[0] == HASH_A001
    kept = f"（{SAME_ID_ZH}；保留第 4 行，ingest.duplicates: keep_last）。"
    kept_en = f" ({SAME_ID_EN}; row 4 kept, ingest.duplicates: keep_last)."
    # Rows 2 and 3 both differ from row 4 in 员工人数 (10 vs 12) and 组织覆盖1 (3 vs 4).
    for row in (2, 3):
        assert duplicate_reason(result, row) == (
            "重复提交：与第 4 行相同" + kept + DIFFER_ZH,
            "duplicate submission: same as row 4" + kept_en + DIFFER_EN,
        )
    assert "保留第 7 行，ingest.duplicates: keep_last" in duplicate_reason(result, 6)[0]


def test_reject_all_by_id(tmp_path: Path) -> None:
    result = ingest(tmp_path, "reject_all")
    balance(result)
    assert result.accepted["raw_row"].tolist() == [5]
    assert sorted(set(result.rejects["raw_row"])) == [2, 3, 4, 6, 7, 8, 9]
    # Every copy names the others; the columns named are those where the copies disagree.
    assert duplicate_reason(result, 2) == (
        f"重复提交：与第 3、4 行相同（{SAME_ID_ZH}）；ingest.duplicates 为 reject_all，各份均被"
        "拒绝，请核对后保留一份。各份答案不同的列：「员工人数」、「组织覆盖1」。",
        f"duplicate submission: same as row(s) 3, 4 ({SAME_ID_EN}); ingest.duplicates is "
        "reject_all, so every copy is rejected — keep one. The copies' answers differ in "
        "'员工人数', '组织覆盖1'.",
    )
    assert duplicate_reason(result, 7)[1].startswith("duplicate submission: same as row(s) 6 (")
    # Row 7 is valid: its only record is the duplicate one.
    assert [r[1] for r in records(result, 7)] == ["enterprise_id"]


def test_log_names_the_duplicates_and_the_policy(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="chainpb"):
        ingest(tmp_path, "keep_first")
    lines = [r.getMessage() for r in caplog.records if r.name == "chainpb.ingest.duplicates"]
    assert lines == [
        "重复提交 duplicate submissions（按企业编号 by enterprise id；ingest.duplicates: "
        "keep_first）：3 组 groups，7 行 rows；保留 kept 2 行 rows（2, 7）；因重复而拒绝 rejected "
        "as duplicates 2 行 rows（3, 4）；另有其他问题的副本 copies with other problems too 3 行 "
        "rows（6, 8, 9）"
    ]


def test_no_personal_data_in_outputs(tmp_path: Path) -> None:
    for policy in ("keep_first", "keep_last", "reject_all"):
        result = ingest(tmp_path, policy)
        everything = result.accepted.astype(str).to_csv() + result.rejects.to_csv()
        for secret in ("A001", "a001", "Ａ００１", "C003", "甲公司", "丙公司", "戊公司"):
            assert secret not in everything, (policy, secret)


def test_same_input_twice_gives_identical_files(tmp_path: Path) -> None:
    blobs = []
    for run in ("a", "b"):
        for policy, column_map in (("keep_first", ID_MAP), ("keep_last", NO_ID_MAP)):
            result = ingest(tmp_path, policy, column_map)
            out = tmp_path / run / policy
            write_survey_ingest(result, out / "survey.parquet", out / "rejects.csv")
            blobs.append((out / "survey.parquet").read_bytes() + (out / "rejects.csv").read_bytes())
    assert blobs[:2] == blobs[2:]


def test_unknown_policy_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        ingest(tmp_path, "keep_newest")
    assert "ingest.duplicates" in err.value.zh and "keep_first" in err.value.en


# --- without an enterprise id: ids generated from the answers ---------------------------------


def test_content_duplicates_without_id_column(tmp_path: Path) -> None:
    result = ingest(tmp_path, "keep_first", NO_ID_MAP)
    balance(result)
    # Rows 2/3 answer alike (１０ = 10 after NFKC): one submission; row 4 answers otherwise and
    # is another "firm" now; rows 6 and 7 differ in 员工人数 (约50 vs 50); rows 8/9 alike.
    assert result.accepted["raw_row"].tolist() == [2, 4, 5, 7]
    assert records(result, 3) == [
        (
            WHOLE_ROW_COLUMN,
            "enterprise_id",
            REDACTED,
            "重复提交：与第 2 行相同（全部已映射列的答案相同；未映射企业编号，按答案识别；保留第 2 "
            "行，ingest.duplicates: keep_first）。",
            "duplicate submission: same as row 2 (identical answers in all mapped columns; no "
            "enterprise id is mapped, so copies are recognised by their answers; row 2 kept, "
            "ingest.duplicates: keep_first).",
        )
    ]
    assert [r[1] for r in records(result, 6)] == ["employees"]  # not a duplicate
    # The whole-row record comes after the cell records of the row.
    assert [r[0] for r in records(result, 8)] == ["员工人数", WHOLE_ROW_COLUMN]
    assert "各份都有其他问题，未保留任何一份" in duplicate_reason(result, 8)[0]


def test_generated_ids_by_hand(tmp_path: Path) -> None:
    first = ingest(tmp_path, "keep_first", NO_ID_MAP)
    assert first.accepted["enterprise_id"].iloc[0] == GENERATED_SUQIAN
    ids = first.accepted["enterprise_id"].tolist()
    assert len(set(ids)) == len(ids) and all(len(i) == 16 for i in ids)
    # keep_last keeps row 3: the same answers, so the same id.
    last = ingest(tmp_path, "keep_last", NO_ID_MAP)
    assert last.accepted["raw_row"].tolist() == [3, 4, 5, 7]
    assert last.accepted["enterprise_id"].iloc[0] == GENERATED_SUQIAN
    # Stable across runs, different in another city (the city key is hashed with the content).
    again = ingest(tmp_path, "keep_first", NO_ID_MAP)
    assert again.accepted["enterprise_id"].tolist() == ids
    other = ingest(tmp_path, "keep_first", NO_ID_MAP, city="huaian")
    assert other.accepted["enterprise_id"].iloc[0] == GENERATED_HUAIAN
    assert set(other.accepted["enterprise_id"]).isdisjoint(ids)


def test_unmapped_columns_are_not_content(tmp_path: Path) -> None:
    # 序号 and 提交答卷时间 differ on every row but are not mapped: rows 2 and 3 stay copies.
    # Mapping a personal column makes it content: another 企业名称 is another firm.
    rows = [list(r) for r in ROWS]
    rows[1][3] = "甲分公司"
    write_survey(tmp_path / "survey.csv", rows)
    result = ingest(tmp_path, "keep_first", NO_ID_MAP)
    assert 3 in set(result.accepted["raw_row"])
    without_name = {k: v for k, v in NO_ID_MAP.items() if v != "enterprise_name"}
    result = ingest(tmp_path, "keep_first", without_name)
    assert 3 not in set(result.accepted["raw_row"])


def test_generated_ids_are_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="chainpb"):
        ingest(tmp_path, "keep_first", NO_ID_MAP)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "column_map 未映射 enterprise_id，企业编号按“城市键 + 整行答案（已映射的 4 列）”" in text
    assert "no enterprise_id in column_map: ids are generated as the keyed hash" in text
    assert "按答案内容（未映射企业编号） by answer content (no enterprise id mapped)" in text


def test_map_without_id_is_accepted_but_chain_is_still_required(tmp_path: Path) -> None:
    raw = read_survey_file(write_survey(tmp_path / "survey.csv"))
    assert "enterprise_id" not in map_columns(raw, NO_ID_MAP).header_of
    no_chain = {k: v for k, v in NO_ID_MAP.items() if v != "chain"}
    with pytest.raises(ConfigError) as err:
        map_columns(raw, no_chain)
    assert "must map chain." in err.value.en and "enterprise_id" not in err.value.en


def test_running_number_as_id_is_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # 序号 mapped as the id: every submission has its own, so nothing is a duplicate by id —
    # but rows 2/3 and 8/9 answer alike, and the log says so.
    running = {"序号": "enterprise_id", **NO_ID_MAP}
    with caplog.at_level(logging.INFO, logger="chainpb"):
        result = ingest(tmp_path, "keep_first", running)
    assert result.accepted["raw_row"].tolist() == [2, 3, 4, 5, 7]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(
        "2 组行的企业编号不同、答案却完全相同（第 2、3；8、9 行）。若「序号」是问卷平台的序号" in w
        and "(rows 2, 3; 8, 9)" in w
        for w in warnings
    ), warnings


# --- config: global block, per-city override, schema -----------------------------------------


def config_with(tmp_path: Path, global_policy: str | None, city_policy: str | None) -> dict:
    (tmp_path / "data").mkdir(exist_ok=True)
    cfg: dict = {
        "data_dir": "data",
        "cities": {
            key: {"name": name, "survey": "survey.csv", "column_map": dict(NO_ID_MAP)}
            for key, name in (("suqian", "宿迁市"), ("huaian", "淮安市"))
        },
    }
    if global_policy is not None:
        cfg["ingest"] = {"duplicates": global_policy}
    if city_policy is not None:
        cfg["cities"]["huaian"]["ingest"] = {"duplicates": city_policy}
    return check_config(cfg, SCHEMA, tmp_path)


def options_of(cfg: dict, city: str) -> IngestOptions:
    return IngestOptions.from_config({"survey_year": 2025, **city_settings(cfg, city)})


def test_default_and_global_policy(tmp_path: Path) -> None:
    cfg = config_with(tmp_path, None, None)
    assert cfg["ingest"]["duplicates"] == "keep_first"  # schema default
    assert options_of(cfg, "suqian").duplicates == "keep_first"
    assert IngestOptions.from_config({"survey_year": 2025}).duplicates == "keep_first"
    cfg = config_with(tmp_path, "keep_last", None)
    assert options_of(cfg, "huaian").duplicates == "keep_last"


def test_city_policy_replaces_global_one(tmp_path: Path) -> None:
    cfg = config_with(tmp_path, "keep_last", "reject_all")
    assert options_of(cfg, "huaian").duplicates == "reject_all"
    assert options_of(cfg, "suqian").duplicates == "keep_last"


@pytest.mark.parametrize(
    ("global_policy", "city_policy", "key"),
    [("keep_newest", None, "ingest.duplicates"), (None, "first", "cities.huaian.ingest")],
)
def test_schema_names_a_wrong_policy(tmp_path, global_policy, city_policy, key) -> None:
    with pytest.raises(ConfigError) as err:
        config_with(tmp_path, global_policy, city_policy)
    assert key in err.value.zh and "keep_first" in err.value.en


def test_end_to_end_with_city_override(tmp_path: Path) -> None:
    # Same file in two cities; huaian overrides the global keep_first with reject_all.
    cfg = config_with(tmp_path, "keep_first", "reject_all")
    path = write_survey(tmp_path / "survey.csv")
    results = {
        city: ingest_city_survey(path, city, city, ID_MAP, options_of(cfg, city), KEY)
        for city in ("suqian", "huaian")
    }
    assert results["suqian"].accepted["raw_row"].tolist() == [2, 5, 7]
    assert results["huaian"].accepted["raw_row"].tolist() == [5]
    for result in results.values():
        balance(result)
    assert "ingest.duplicates 为 reject_all" in duplicate_reason(results["huaian"], 2)[0]
    # rejects.csv as written: one row per problem, duplicate records included.
    write_survey_ingest(
        results["huaian"], tmp_path / "out" / "survey.parquet", tmp_path / "out" / "rejects.csv"
    )
    written = pd.read_csv(tmp_path / "out" / "rejects.csv", encoding="utf-8-sig")
    assert len(written) == len(results["huaian"].rejects) == 7 + 3  # 7 copies + 3 invalid cells

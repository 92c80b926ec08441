"""Text collections that are not cities (config ``corpora:``; :mod:`chainpb.corpora`).

Real files: tests/data/corpora/ holds the first five rows of the shared
government_work_reports.jsonl (State Council reports 2025, 2024, 2023 and the NPC resolutions on
the 2025 and 2024 reports, whose ``year`` is null and whose titles carry no year), once as UTF-8
CSV with Chinese headers and a document-type column 文件类型 (报告/决议), once as GB18030 JSON
Lines with the original fields plus ``type``. Measures are checked on a hand-made hits table
whose cells are counted by hand in the comments. The end-to-end test runs only the corpus
targets of the workflow on the GB18030 file.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from chainpb.config import corpora, corpus_documents
from chainpb.corpora import (
    corpus_kwic,
    document_measures,
    group_measures,
    ingest_corpus,
    time_measures,
    year_of,
)
from chainpb.errors import ConfigError
from chainpb.ingest.documents import DedupSettings

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "corpora"
JSONL = DATA / "gov_reports_gb18030.jsonl"
CSV = DATA / "gov_reports_utf8.csv"
JSONL_COLUMNS = {"text": "content", "title": "title", "url": "url", "date": "year", "group": "type"}
CSV_COLUMNS = {"text": "全文", "title": "标题", "url": "链接", "date": "年份", "group": "文件类型"}


# ------------------------------------------------------------------------------ reading


def test_year_from_date_then_title():
    assert year_of("2025") == 2025
    assert year_of("2024年3月5日") == 2024
    assert year_of("", "2023年中华人民共和国国务院政府工作报告") == 2023
    assert year_of("", "第十四届全国人民代表大会第三次会议关于政府工作报告的决议") is None
    assert year_of("12025") is None  # not a year inside a longer number
    assert year_of("2025-03-05", "2019年报告") == 2025  # the date wins


def test_gb18030_jsonl_and_utf8_csv_give_the_same_documents():
    jsonl = ingest_corpus(JSONL, "gwr", JSONL_COLUMNS).table
    csv = ingest_corpus(CSV, "gwr", CSV_COLUMNS).table
    # JSON Lines rows are line numbers; CSV rows are Excel's (header = row 1).
    assert jsonl["doc_id"].tolist() == ["gwr-r1", "gwr-r2", "gwr-r3", "gwr-r4", "gwr-r5"]
    assert csv["doc_id"].tolist() == ["gwr-r2", "gwr-r3", "gwr-r4", "gwr-r5", "gwr-r6"]
    assert jsonl["text"].tolist() == csv["text"].tolist()
    assert jsonl["title"].tolist() == csv["title"].tolist()
    assert jsonl["year"].tolist() == [2025, pd.NA, 2024, pd.NA, 2023]
    assert jsonl["group"].tolist() == ["报告", "决议", "报告", "决议", "报告"]
    # The text against the source: the 2025 report's opening, read from the shared JSON Lines
    # (UTF-8) and the GB18030 copy alike.
    first = json.loads(JSONL.read_bytes().decode("gb18030").splitlines()[0])
    assert first["title"] == "2025年中华人民共和国国务院政府工作报告"
    assert jsonl["text"][0].startswith("各位代表：\n\n现在，我代表国务院，向大会报告政府工作")
    assert jsonl["url"][0] == first["url"]
    assert (jsonl["n_chars"] == jsonl["text"].str.len()).all()


def test_duplicate_rows_are_dropped_and_reported(tmp_path):
    rows = [json.loads(line) for line in JSONL.read_bytes().decode("gb18030").splitlines()]
    path = tmp_path / "dup.jsonl"
    # row 3 repeats row 1 (a scraper that saved a page twice)
    lines = [rows[0], rows[1], rows[0]]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in lines), encoding="utf-8")
    result = ingest_corpus(path, "d", JSONL_COLUMNS, dedup=DedupSettings())
    assert result.table["doc_id"].tolist() == ["d-r1", "d-r2"]
    dup = result.duplicates.to_dict("records")
    assert [(d["dropped"], d["kept"], d["kind"]) for d in dup] == [("d-r3", "d-r1", "exact")]
    assert dup[0]["dropped_file"] == "dup.jsonl#3"
    # every row read is in the cleaning report (also the dropped one)
    totals = result.cleaning[result.cleaning["rule"] == "total"]
    assert totals["doc_id"].tolist() == ["d-r1", "d-r2", "d-r3"]


# ----------------------------------------------------------------------------- config


def _config(**corpus):
    entry = {"name": "报告", "file": "tests/data/corpora/gov_reports_utf8.csv"}
    entry.update(corpus)
    return {
        "cities": {"suqian": {}},
        "documents": {
            "cleaning": {"enabled": True, "rules": {"x": ["a"]}, "running_lines": {"min_pages": 3}},
            "dedup": {"enabled": True, "similarity": 0.9, "ngram": 5},
        },
        "corpora": {"gwr": entry},
    }


def test_corpus_config_defaults_and_documents_override():
    config = _config(
        columns={"text": "全文", "group": "文件类型"},
        documents={
            "dedup": {"similarity": 0.95},
            "cleaning": {"running_lines": {"min_share": 0.8}},
        },
    )
    corpus = corpora(config, ROOT)["gwr"]
    assert corpus.group_by == ("group",)  # a group column is mapped
    assert corpus.file == CSV
    assert corpus.documents["dedup"] == {"enabled": True, "similarity": 0.95, "ngram": 5}
    assert corpus.documents["cleaning"]["rules"] == {"x": ["a"]}
    assert corpus.documents["cleaning"]["running_lines"] == {"min_pages": 3, "min_share": 0.8}
    assert corpus_documents(_config(columns={"text": "全文"}), "gwr") == config_documents()
    assert corpora(_config(columns={"text": "全文"}), ROOT)["gwr"].group_by == ("year",)


def config_documents():
    shared = _config()["documents"]
    return {"cleaning": shared["cleaning"], "dedup": shared["dedup"]}


def test_corpus_config_errors_name_the_key():
    with pytest.raises(ConfigError, match=r"corpora\.gwr\.group_by"):
        corpora(_config(columns={"text": "全文"}, group_by=["group"]), ROOT)
    with pytest.raises(ConfigError, match=r"corpora\.gwr\.file"):
        corpora(_config(columns={"text": "全文"}, file="tests/data/corpora/none.csv"), ROOT)
    clash = _config(columns={"text": "全文"})
    clash["corpora"]["suqian"] = clash["corpora"].pop("gwr")
    with pytest.raises(ConfigError, match=r"cities\.suqian"):
        corpora(clash, ROOT)


# ---------------------------------------------------------------------------- measures
#
# Four documents (characters): r2 A 2020 (1,000), r3 A 2021 (3,000), r4 B 2020 (2,000),
# r5 B no year (4,000). Hits: attention counts problem, remedy and negated; difficulty counts
# problem only; excluded and no_context count in neither.

DOCS = pd.DataFrame(
    {
        "doc_id": ["c-r2", "c-r3", "c-r4", "c-r5"],
        "row": [2, 3, 4, 5],
        "title": ["甲", "乙", "丙", "丁"],
        "issuer": ["省政府", "省政府", "省政府", "省委"],
        "group": ["A", "A", "B", "B"],
        "year": pd.array([2020, 2021, 2020, None], dtype="Int64"),
        "n_chars": [1000, 3000, 2000, 4000],
    }
)
HITS = pd.DataFrame(
    [
        ("c-r2", "coverage", "problem"),
        ("c-r2", "coverage", "remedy"),
        ("c-r2", "ideology", "negated"),
        ("c-r2", "resource", "excluded"),
        ("c-r3", "coverage", "problem"),
        ("c-r4", "coverage", "no_context"),
        ("c-r4", "effectiveness", "problem"),
        ("c-r4", "effectiveness", "problem"),
        ("c-r5", "resource", "remedy"),
    ],
    columns=["doc_id", "category", "status"],
)


def _cell(table, **where):
    mask = pd.Series(True, index=table.index)
    for column, value in where.items():
        mask &= table[column] == value
    assert mask.sum() == 1, where
    return table[mask].iloc[0]


def test_document_measures_per_10000_characters():
    per_doc = document_measures(DOCS, HITS)
    assert len(per_doc) == 4 * 2 * 4  # documents × measures × categories
    r2 = _cell(per_doc, doc_id="c-r2", measure="attention", category="coverage")
    assert (r2["hits"], r2["per_10k_chars"]) == (2, 20.0)  # 2 × 10,000 / 1,000
    assert _cell(per_doc, doc_id="c-r2", measure="difficulty", category="coverage")["hits"] == 1
    assert _cell(per_doc, doc_id="c-r2", measure="attention", category="resource")["hits"] == 0
    r4 = _cell(per_doc, doc_id="c-r4", measure="difficulty", category="effectiveness")
    assert (r4["hits"], r4["per_10k_chars"]) == (2, 10.0)  # 2 × 10,000 / 2,000
    assert _cell(per_doc, doc_id="c-r4", measure="attention", category="coverage")["hits"] == 0


def test_grouping_by_a_column_counts_documents_and_pools_characters():
    groups = group_measures(document_measures(DOCS, HITS), ["group"])
    a = _cell(groups, value="A", measure="attention", category="coverage")
    # A = r2 + r3: 2 documents, 4,000 characters, 2 + 1 hits → 7.5 per 10,000; share 3 of 4
    assert (a["documents"], a["n_chars"], a["hits"]) == (2, 4000, 3)
    assert a["per_10k_chars"] == pytest.approx(7.5)
    assert a["share"] == pytest.approx(0.75)
    assert _cell(groups, value="A", measure="difficulty", category="coverage")[
        "per_10k_chars"
    ] == pytest.approx(5.0)  # 1 + 1 of 4,000
    b = _cell(groups, value="B", measure="difficulty", category="effectiveness")
    # B = r4 + r5: 6,000 characters; 2 statements → 3.333…; the only difficulty: share 1
    assert (b["documents"], b["n_chars"], b["hits"]) == (2, 6000, 2)
    assert b["per_10k_chars"] == pytest.approx(10 / 3)
    assert b["share"] == 1.0
    assert _cell(groups, value="B", measure="attention", category="resource")[
        "per_10k_chars"
    ] == pytest.approx(5 / 3)


def test_grouping_by_issuer():
    groups = group_measures(document_measures(DOCS, HITS), ["issuer"])
    assert groups["value"].unique().tolist() == ["省委", "省政府"]
    # 省政府 = r2 + r3 + r4: 6,000 characters; difficulty effectiveness 2 (r4) → 3.333
    cell = _cell(groups, value="省政府", measure="difficulty", category="effectiveness")
    assert (cell["documents"], cell["n_chars"], cell["hits"]) == (3, 6000, 2)
    assert cell["per_10k_chars"] == pytest.approx(10 / 3)


def test_grouping_by_year_keeps_undated_documents_apart():
    groups = group_measures(document_measures(DOCS, HITS), ["year"])
    assert sorted(groups["value"].unique()) == ["", "2020", "2021"]
    y2020 = _cell(groups, value="2020", measure="attention", category="effectiveness")
    # 2020 = r2 + r4: 3,000 characters; 2 hits in r4 → 6.667
    assert (y2020["documents"], y2020["n_chars"], y2020["hits"]) == (2, 3000, 2)
    assert y2020["per_10k_chars"] == pytest.approx(20 / 3)
    undated = _cell(groups, value="", measure="attention", category="resource")
    assert (undated["documents"], undated["hits"], undated["per_10k_chars"]) == (1, 1, 2.5)
    # no attention hit in 2021's other areas: share is 1 for coverage, 0 for the rest
    assert _cell(groups, value="2021", measure="attention", category="coverage")["share"] == 1.0


def test_over_time_all_documents_and_per_group():
    time = time_measures(document_measures(DOCS, HITS), by_group=True)
    assert sorted(time["year"].unique()) == [2020, 2021]  # r5 has no year: left out
    assert time["group"].unique().tolist() == ["", "A", "B"]  # "" = all documents, first
    every = _cell(time, year=2020, group="", measure="difficulty", category="coverage")
    # 2020, all documents: r2 + r4, 3,000 characters, one coverage statement (r2) → 3.333
    assert (every["documents"], every["n_chars"], every["hits"]) == (2, 3000, 1)
    assert every["per_10k_chars"] == pytest.approx(10 / 3)
    a = _cell(time, year=2020, group="A", measure="attention", category="coverage")
    assert (a["documents"], a["n_chars"], a["hits"], a["per_10k_chars"]) == (1, 1000, 2, 20.0)
    b = _cell(time, year=2020, group="B", measure="attention", category="effectiveness")
    assert (b["documents"], b["hits"], b["per_10k_chars"]) == (1, 2, 10.0)
    assert len(time[(time["year"] == 2021) & (time["group"] == "B")]) == 0  # no B in 2021
    only_all = time_measures(document_measures(DOCS, HITS))
    assert only_all["group"].unique().tolist() == [""]


def test_over_time_journal_table():
    from chainpb.present.corpus import over_time_table

    time = time_measures(document_measures(DOCS, HITS), by_group=True)
    table = over_time_table(time, name="测试", language="zh")
    assert table.header[1][:4] == ("年份", "文档数", "字数", "组织覆盖")
    assert table.header[0][3:] == ("领域关注度",) * 4 + ("困难表述",) * 4
    # all documents only: 2020 = 2 documents, 3,000 characters; attention coverage 2 → 6.67,
    # ideology 1 → 3.33, effectiveness 2 → 6.67; difficulty coverage 1 → 3.33, effectiveness 6.67
    assert table.body == (
        ("2020", "2", "3,000", "6.67", "3.33", "6.67", "0.00", "3.33", "0.00", "6.67", "0.00"),
        ("2021", "1", "3,000", "3.33", "0.00", "0.00", "0.00", "3.33", "0.00", "0.00", "0.00"),
    )
    empty = over_time_table(time.iloc[:0], name="x", language="en")
    assert empty.notes == ("No document carries a year.",)


def test_kwic_of_a_coded_corpus(tmp_path):
    from chainpb.text.codebook import load_codebook
    from chainpb.text.segment import Segmenter
    from chainpb.text.stage import code_source, segment_source

    path = tmp_path / "c.csv"
    path.write_text(
        "正文,分组,日期\n产业链党组织覆盖面不够广，部分企业尚未建立党组织。,A,2020年5月\n"
        "今年经济增长百分之五。,B,\n",
        encoding="utf-8",
    )
    docs = ingest_corpus(path, "c", {"text": "正文", "group": "分组", "date": "日期"}).table
    segmenter = Segmenter(tmp_path / "jieba", ROOT / "config/dictionaries/domain_dict.txt")
    codebook = load_codebook(ROOT / "config/codebook.yaml")
    tokens = segment_source(docs, "policies", segmenter)
    hits, _ = code_source(tokens, docs, "policies", codebook, segmenter, context_gate=True)
    kwic = corpus_kwic(docs, hits)
    assert kwic[["group", "year", "doc_id", "term", "status"]].values.tolist() == [
        ["A", 2020, "c-r2", "党组织覆盖", "problem"],
        ["A", 2020, "c-r2", "尚未建立党组织", "problem"],
    ]
    assert kwic["left"].tolist()[0] == "产业链"
    per_doc = document_measures(docs, hits)
    r2 = _cell(per_doc, doc_id="c-r2", measure="difficulty", category="coverage")
    assert r2["hits"] == 2 and r2["n_chars"] == 25  # 2 × 10,000 / 25 = 800
    assert r2["per_10k_chars"] == pytest.approx(800.0)


# ------------------------------------------------------------------------- end to end


@pytest.mark.e2e
def test_corpus_targets_run_alone(tmp_path):
    """Only the corpus jobs run (``snakemake corpora``), on the GB18030 slice grouped by type
    and year; city jobs are not touched."""
    from conftest import copy_project, snakemake

    project = copy_project(tmp_path / "project")
    (project / "data").mkdir()
    shutil.copy(JSONL, project / "data" / JSONL.name)
    (project / "corpus.yaml").write_text(
        "corpora:\n  gwr:\n    name: 国务院政府工作报告\n    name_en: Government work reports\n"
        f"    file: data/{JSONL.name}\n"
        "    columns: {text: content, title: title, url: url, date: year, group: type}\n"
        "    group_by: [group, year]\n"
        # a city whose policy texts are the collection's reports
        "cities:\n  gwrcity:\n    name: 报告市\n"
        "    policies: {corpus: gwr, where: {group: 报告}}\n",
        encoding="utf-8",
    )
    proc = snakemake(project, "corpora", "--cores", "1", "--configfile", "corpus.yaml")
    ran = proc.stdout + proc.stderr
    assert "rule segment_corpus" in ran and "rule segment:" not in ran
    out = project / "results" / "corpora" / "gwr"
    groups = pd.read_csv(out / "text" / "groups.csv", encoding="utf-8-sig", keep_default_na=False)
    documents = groups.drop_duplicates(["group_by", "value"]).set_index(["group_by", "value"])
    # by hand from the file: 3 reports, 2 resolutions; years 2023, 2024, 2025 and 2 without
    assert documents.loc[("group", "报告"), "documents"] == 3
    assert documents.loc[("group", "决议"), "documents"] == 2
    assert documents.loc[("year", ""), "documents"] == 2
    time = pd.read_csv(out / "text" / "over_time.csv", encoding="utf-8-sig", keep_default_na=False)
    assert sorted(time["year"].unique()) == [2023, 2024, 2025]
    assert set(time["group"]) == {"", "报告"}
    for name in ("groups", "over_time"):
        assert (out / "figures" / f"{name}.png").stat().st_size > 0
        assert (out / "figures" / f"{name}.pdf").stat().st_size > 0
    assert (out / "tables" / "over_time.docx").stat().st_size > 0
    tex = (out / "tables" / "over_time.tex").read_text(encoding="utf-8")
    assert "2025 & 1 & 18,581" in tex  # the 2025 report: 18,581 characters after normalising
    assert not (project / "results" / "suqian").exists()
    # the city's policy texts: the 3 reports of the collection, nothing else run again
    target = "results/gwrcity/ingest/policies.parquet"
    snakemake(project, target, "--cores", "1", "--configfile", "corpus.yaml")
    policies = pd.read_parquet(project / target)
    assert len(policies) == 3 and set(policies["city_key"]) == {"gwrcity"}
    assert all(d.startswith("gwrcity-") for d in policies["doc_id"])
    assert all("政府工作报告" in t for t in policies["title"])


def test_city_policies_from_a_collection_by_hand() -> None:
    """A city's documents of a collection: every where-field must match (a list is any of its
    values); none matching stops with the key named."""
    from chainpb.corpora import city_policies

    documents = pd.DataFrame(
        {
            "doc_id": ["c-r2", "c-r3", "c-r4"],
            "row": [2, 3, 4],
            "title": ["甲", "乙", None],
            "issuer": ["宿迁市委", "苏州市委", "宿迁市委"],
            "date": ["2024-01-02", "", "2025-03-04"],
            "year": pd.array([2024, pd.NA, 2025], dtype="Int64"),
            "group": ["宿迁", "苏州", "宿迁"],
            "text": ["一二三", "四五", "六"],
            "n_chars": [3, 2, 1],
        }
    )
    table = city_policies(
        documents, city_key="suqian", city_name="宿迁市", corpus_key="c", where={"group": "宿迁"}
    )
    assert list(table["doc_id"]) == ["suqian-c-r2", "suqian-c-r4"]
    assert list(table["file"]) == ["c#2", "c#4"] and list(table["title"]) == ["甲", ""]
    by_year = city_policies(
        documents,
        city_key="suqian",
        city_name="宿迁市",
        corpus_key="c",
        where={"group": "宿迁", "year": [2025, 2026]},
    )
    assert list(by_year["doc_id"]) == ["suqian-c-r4"] and by_year["n_chars"].tolist() == [1]
    with pytest.raises(ConfigError, match=r"cities.suqian.policies.where"):
        city_policies(
            documents,
            city_key="suqian",
            city_name="宿迁市",
            corpus_key="c",
            where={"group": "无锡"},
        )


def test_city_pointing_at_an_undeclared_collection_is_refused(tmp_path) -> None:
    from chainpb.config import cities

    (tmp_path / "s.xlsx").write_bytes(b"")
    config = {
        "cities": {
            "suqian": {
                "name": "宿迁市",
                "survey": "s.xlsx",
                "column_map": {"编号": "enterprise_id"},
                "policies": {"corpus": "reports", "where": {"group": "宿迁"}},
            }
        },
        "corpora": {},
    }
    with pytest.raises(ConfigError, match="not declared under corpora"):
        cities(config, tmp_path)

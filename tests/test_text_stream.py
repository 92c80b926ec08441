"""The sharded, streamed text stage (issue 13 item 2): the same bytes for any shard count and
batch size, and progress lines for long jobs.

`chainpb.text.stream` splits a source into ``text.shards`` shards (contiguous ranges of the
sorted document ids), segments and codes each shard in batches of about ``text.batch_mb`` MB of
text, and `gather` concatenates the shard files. These tests check, on the example's policy
texts (all three cities) and on short open answers written here:

- that the gathered token, hit and unit files are byte-identical whether the source runs as one
  shard in one batch, or as 3 or 25 shards (more shards than documents, so some are empty) with
  every document its own batch — and equal, frame for frame, to the whole-source functions
  (`segment_documents`, `code_tokens`, `code_units`), which is what stream.py documents;
- that a table not sorted by id (the survey, in questionnaire order) gives the same files as
  the sorted one;
- empty shards, duplicate ids and missing columns;
- how `document_batches` cuts, the progress line, and the row groups of `TableWriter`.
"""

from __future__ import annotations

import importlib.util
import itertools
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from chainpb.errors import InputError
from chainpb.ingest.policies import read_policy_folder
from chainpb.text import stream
from chainpb.text.codebook import load_codebook
from chainpb.text.coding import HIT_COLUMNS, code_tokens, code_units
from chainpb.text.segment import TOKEN_COLUMNS, Segmenter, segment_documents
from chainpb.text.stream import (
    ROW_GROUP_ROWS,
    Progress,
    TableWriter,
    batch_chars,
    code_shard,
    document_batches,
    gather,
    segment_shard,
    shard_of,
)

ROOT = Path(__file__).resolve().parents[1]
TEXT = yaml.safe_load((ROOT / "config/config.yaml").read_text(encoding="utf-8"))["text"]
EXAMPLE = ROOT / "resources" / "example"
OUTPUTS = ("tokens", "hits", "units")
WHOLE = 10**9  # batch_chars larger than any table here: one batch per shard

# Open answers in the survey's own words, each with a phrase of the codebook (the answers
# test asserts that they give hits), one blank and one missing answer among them. The ids are
# in questionnaire order, not sorted (as strings "E10" < "E2").
ANSWERS = {
    "E7": "党员分散在各个门店，见一面都难，店长也不支持请假参加活动",
    "E2": "党建作用发挥不明显，成效难以量化，老板问有什么用我也说不清楚",
    "E10": "我们就两个党员，在联盟里也就是凑个数，分不到什么资源",
    "E1": "没有困难",
    "E5": "   ",
    "E3": None,
    "E12": "企业没有成立党组织，党员太少，组织覆盖难。\n职工思想工作不好做，年轻人对党建不感兴趣。",
    "E4": "党建和生产经营两张皮，作用发挥不明显；资源整合难，缺少经费和场地。",
    "E11": "流动党员多，组织关系不在企业，很难管理",
}


# ---------------------------------------------------------------- fixtures and helpers


@pytest.fixture(scope="module")
def segmenter(tmp_path_factory) -> Segmenter:
    # the configured backend; jieba where rjieba is not installed (same tokens, see
    # tests/test_text_segmenter_backends.py)
    backend = TEXT["segmenter"] if importlib.util.find_spec("rjieba") else "jieba"
    return Segmenter(
        tmp_path_factory.mktemp("jieba"),
        ROOT / TEXT["user_dict"],
        ROOT / TEXT["stopwords"],
        backend=backend,
    )


@pytest.fixture(scope="module")
def compiled(segmenter):
    return load_codebook(ROOT / TEXT["codebook"]).compile(segmenter)


@pytest.fixture(scope="module")
def policies(tmp_path_factory) -> Path:
    """The example's policy texts of all three cities, sorted by doc_id as ingest writes them."""
    folders = sorted(EXAMPLE.glob("*/policies"))
    table = pd.concat(
        [read_policy_folder(f, f.parent.name, f.parent.name) for f in folders], ignore_index=True
    )
    table = table[["doc_id", "city_key", "text"]].sort_values("doc_id").reset_index(drop=True)
    assert len(table) == 18  # 6 documents in each of 3 cities
    path = tmp_path_factory.mktemp("policies") / "policies.parquet"
    table.to_parquet(path, index=False)
    return path


def answers_table(order: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "enterprise_id": order,
            "city_key": ["suzhou"] * len(order),
            "difficulty_text": [ANSWERS[i] for i in order],
        }
    )


def run_stage(
    table: Path,
    id_col: str,
    text_col: str,
    shards: int,
    chars: int,
    out: Path,
    segmenter: Segmenter,
    compiled,
    *,
    gate: bool,
) -> dict[str, Path]:
    """Segment and code every shard as the workflow's jobs do, then gather; the gathered files.

    The counts the shard jobs log (tokens, documents with tokens, hits per status, units),
    summed over the shards, are those of the gathered tables.
    """
    out.mkdir(parents=True)
    parts: dict[str, list[Path]] = {k: [] for k in OUTPUTS}
    n_tokens = n_documents = n_units = 0
    status = pd.Series(dtype="int64")
    for number in range(shards):
        shard = shard_of(table, id_col, text_col, shards, number)
        files = {k: out / f"{k}_{number}.parquet" for k in OUTPUTS}
        tokens, documents = segment_shard(shard, segmenter, files["tokens"], batch_chars=chars)
        shard_status, units = code_shard(
            shard,
            files["tokens"],
            compiled,
            files["hits"],
            files["units"],
            context_gate=gate,
            context_window=TEXT["context"]["window"],
            batch_chars=chars,
        )
        n_tokens, n_documents, n_units = n_tokens + tokens, n_documents + documents, n_units + units
        status = status.add(shard_status, fill_value=0)
        for k in OUTPUTS:
            parts[k].append(files[k])
    gathered = {k: out / f"{k}.parquet" for k in OUTPUTS}
    rows = {k: gather(parts[k], gathered[k]) for k in OUTPUTS}
    assert (rows["tokens"], rows["units"]) == (n_tokens, n_units)
    assert pd.read_parquet(gathered["tokens"])["doc_id"].nunique() == n_documents
    counted = pd.read_parquet(gathered["hits"])["status"].value_counts()
    assert status.astype("int64").sort_index().to_dict() == counted.sort_index().to_dict()
    return gathered


def assert_same_bytes(a: dict[str, Path], b: dict[str, Path]) -> None:
    for k in OUTPUTS:
        assert a[k].read_bytes() == b[k].read_bytes(), f"{k}: {a[k]} and {b[k]} differ"


def whole_source(table: pd.DataFrame, id_col, text_col, segmenter, compiled, *, gate: bool):
    """The non-streamed path on the whole table (as scripts/segment.py and code_text.py did
    before the stream: `segment_source` and `code_source`)."""
    tokens = segment_documents(table, id_col, text_col, segmenter)
    texts = {
        str(i): t
        for i, t in zip(table[id_col], table[text_col], strict=True)
        if isinstance(t, str) and t.strip()
    }
    hits = code_tokens(
        tokens, compiled, texts, context_gate=gate, context_window=TEXT["context"]["window"]
    )
    units = code_units(tokens, hits)
    # code_units stamps the hits' hash ("" without hits); the stream stamps the codebook's on
    # every unit (code_shard's docstring)
    units["codebook_hash"] = pd.Series([compiled.hash] * len(units), dtype="string")
    return {"tokens": tokens, "hits": hits, "units": units}


# ---------------------------------------------------------------- 1. identity


def test_policies_same_bytes_for_any_shards_and_batches(tmp_path, policies, segmenter, compiled):
    one = run_stage(
        policies, "doc_id", "text", 1, WHOLE, tmp_path / "one", segmenter, compiled, gate=True
    )
    frames = {k: pd.read_parquet(one[k]) for k in OUTPUTS}
    # the example's policies state difficulties and remedies: hits are not empty, so the
    # comparison below covers real hit rows
    assert len(frames["hits"]) > 0 and (frames["hits"]["status"] == "problem").any()
    assert frames["tokens"]["doc_id"].nunique() == 18
    # a single shard's file is the gathered file itself (stream.py's docstring)
    again = run_stage(
        policies, "doc_id", "text", 1, WHOLE, tmp_path / "again", segmenter, compiled, gate=True
    )
    assert_same_bytes(one, again)
    for k in OUTPUTS:
        gather([one[k]], tmp_path / f"regathered_{k}.parquet")
        assert (tmp_path / f"regathered_{k}.parquet").read_bytes() == one[k].read_bytes()

    # batch_chars=1: every document is its own batch; 25 shards > 18 documents: 7 are empty
    for shards in (3, 25):
        many = run_stage(
            policies,
            "doc_id",
            "text",
            shards,
            1,
            tmp_path / f"s{shards}",
            segmenter,
            compiled,
            gate=True,
        )
        assert_same_bytes(one, many)

    table = pd.read_parquet(policies)
    expected = whole_source(table, "doc_id", "text", segmenter, compiled, gate=True)
    for k in OUTPUTS:
        pd.testing.assert_frame_equal(frames[k], expected[k], check_dtype=True)


def test_same_bytes_across_row_groups(tmp_path, monkeypatch, policies, segmenter, compiled):
    """The example's tables fit in one row group of ROW_GROUP_ROWS rows; with 500-row groups
    (patched) the token table of one city has many, batches and shards end inside them, and
    the token cursor of code_shard reads them across the batches' ends."""
    monkeypatch.setattr(stream, "ROW_GROUP_ROWS", 500)
    table = pd.read_parquet(policies)
    city = tmp_path / "suzhou.parquet"
    table[table["city_key"] == "suzhou"].to_parquet(city, index=False)
    one = run_stage(
        city, "doc_id", "text", 1, WHOLE, tmp_path / "one", segmenter, compiled, gate=True
    )
    expected = whole_source(pd.read_parquet(city), "doc_id", "text", segmenter, compiled, gate=True)
    # 6 documents of 1,100-1,400 characters give some 3,900 tokens (3,873 with the dictionary
    # of this writing): full groups of 500 and a shorter last one
    n = len(expected["tokens"])
    assert n > 2_000
    tokens = pq.ParquetFile(one["tokens"]).metadata
    sizes = [tokens.row_group(i).num_rows for i in range(tokens.num_row_groups)]
    assert sizes == [500] * (n // 500) + ([n % 500] if n % 500 else [])
    many = run_stage(
        city, "doc_id", "text", 4, 1, tmp_path / "many", segmenter, compiled, gate=True
    )
    assert_same_bytes(one, many)
    for k in OUTPUTS:
        pd.testing.assert_frame_equal(pd.read_parquet(one[k]), expected[k])


# ---------------------------------------------------------------- 2. unsorted tables


def test_unsorted_answers_same_as_sorted(tmp_path, segmenter, compiled):
    order = list(ANSWERS)  # questionnaire order
    unsorted = tmp_path / "survey.parquet"
    answers_table(order).to_parquet(unsorted, index=False)
    ordered = tmp_path / "survey_sorted.parquet"
    answers_table(sorted(order)).to_parquet(ordered, index=False)
    # the two reading paths: held per shard, and streamed
    assert not shard_of(unsorted, "enterprise_id", "difficulty_text", 1, 0).table_sorted
    assert shard_of(ordered, "enterprise_id", "difficulty_text", 1, 0).table_sorted

    cols = ("enterprise_id", "difficulty_text")
    base = run_stage(ordered, *cols, 1, WHOLE, tmp_path / "a", segmenter, compiled, gate=False)
    hits = pd.read_parquet(base["hits"])
    # every answer written above with a difficulty phrase gives a hit; "没有困难", the blank
    # and the missing answer give none
    assert set(hits["doc_id"]) == {"E7", "E2", "E10", "E12", "E4", "E11"}
    assert (hits["status"] == "problem").any()

    for shards, chars in ((1, WHOLE), (3, 1), (4, 20)):
        got = run_stage(
            unsorted,
            *cols,
            shards,
            chars,
            tmp_path / f"u{shards}",
            segmenter,
            compiled,
            gate=False,
        )
        assert_same_bytes(base, got)

    expected = whole_source(answers_table(order), *cols, segmenter, compiled, gate=False)
    for k in OUTPUTS:
        pd.testing.assert_frame_equal(pd.read_parquet(base[k]), expected[k])


def test_integer_ids_out_of_string_order(tmp_path, segmenter, compiled):
    """Ids 1..12 as integers are sorted as numbers but not as strings ("10" < "2"): read per
    shard, and ordered as strings, as the token table is."""
    texts = [*ANSWERS.values(), *list(ANSWERS.values())[:3]]
    table = pd.DataFrame({"enterprise_id": range(1, 13), "difficulty_text": texts})
    path = tmp_path / "ints.parquet"
    table.to_parquet(path, index=False)
    shard = shard_of(path, "enterprise_id", "difficulty_text", 1, 0)
    assert not shard.table_sorted
    assert shard.ids == ("1", "10", "11", "12", "2", "3", "4", "5", "6", "7", "8", "9")
    cols = ("enterprise_id", "difficulty_text")
    one = run_stage(path, *cols, 1, WHOLE, tmp_path / "one", segmenter, compiled, gate=False)
    three = run_stage(path, *cols, 3, 1, tmp_path / "three", segmenter, compiled, gate=False)
    assert_same_bytes(one, three)
    expected = whole_source(table, *cols, segmenter, compiled, gate=False)
    for k in OUTPUTS:
        pd.testing.assert_frame_equal(pd.read_parquet(one[k]), expected[k])


# ---------------------------------------------------------------- 3. empty shards


def test_empty_shard_writes_empty_files_that_gather_skips(tmp_path, policies, segmenter, compiled):
    # 25 shards of 18 documents: shard k holds ids[k*18//25 : (k+1)*18//25]; k=1 gets
    # [18//25, 36//25) = [0, 1) — one document — and k=0 gets [0, 0) — none
    empty = shard_of(policies, "doc_id", "text", 25, 0)
    assert empty.ids == () and len(shard_of(policies, "doc_id", "text", 25, 1).ids) == 1
    files = {k: tmp_path / f"{k}.parquet" for k in OUTPUTS}
    assert segment_shard(empty, segmenter, files["tokens"]) == (0, 0)
    status, units = code_shard(empty, files["tokens"], compiled, files["hits"], files["units"])
    assert units == 0 and status.sum() == 0

    full = run_stage(
        policies, "doc_id", "text", 1, WHOLE, tmp_path / "full", segmenter, compiled, gate=True
    )
    for k in OUTPUTS:
        meta = pq.ParquetFile(files[k]).metadata
        assert meta.num_rows == 0 and meta.num_row_groups == 0
        # the same columns as a table with rows
        assert pq.read_schema(files[k]).names == pq.read_schema(full[k]).names
        # gather skips the empty part, wherever it sits: the bytes of the full table
        for parts in ([files[k], full[k]], [full[k], files[k]], [files[k], full[k], files[k]]):
            target = tmp_path / f"g_{k}.parquet"
            assert gather(parts, target) == pq.ParquetFile(full[k]).metadata.num_rows
            assert target.read_bytes() == full[k].read_bytes()
        # only empty parts: an empty table with the columns, no row group
        target = tmp_path / f"e_{k}.parquet"
        assert gather([files[k], files[k]], target) == 0
        assert pq.ParquetFile(target).metadata.num_rows == 0
        assert pd.read_parquet(target).columns.tolist() == pd.read_parquet(full[k]).columns.tolist()
    assert pq.read_schema(files["tokens"]).names == TOKEN_COLUMNS
    assert pq.read_schema(files["hits"]).names == HIT_COLUMNS
    # token dtypes come from segment_documents and do not depend on the rows
    assert pq.read_schema(files["tokens"]).types == pq.read_schema(full["tokens"]).types


def test_empty_units_file_has_the_types_of_a_full_one(tmp_path, policies, segmenter, compiled):
    empty = shard_of(policies, "doc_id", "text", 25, 0)
    full = shard_of(policies, "doc_id", "text", 25, 1)
    types = []
    for name, shard in (("empty", empty), ("full", full)):
        files = {k: tmp_path / f"{name}_{k}.parquet" for k in OUTPUTS}
        segment_shard(shard, segmenter, files["tokens"])
        code_shard(shard, files["tokens"], compiled, files["hits"], files["units"])
        types.append(pq.read_schema(files["units"]).types)
    assert types[0] == types[1]


# ---------------------------------------------------------------- 4. bad tables


def test_duplicate_id_names_file_column_and_id(tmp_path):
    for ids in (["a", "b", "b", "c"], ["c", "a", "c"]):  # sorted but for the repeat; unsorted
        path = tmp_path / f"dup{len(ids)}.parquet"
        pd.DataFrame({"doc_id": ids, "text": ["文本"] * len(ids)}).to_parquet(path, index=False)
        with pytest.raises(InputError) as err:
            shard_of(path, "doc_id", "text", 2, 0)
        message = str(err.value)
        dup = "b" if len(ids) == 4 else "c"
        assert str(path) in message and "列「doc_id」" in message and "column 'doc_id'" in message
        assert f"编号「{dup}」重复" in message and f"duplicate id '{dup}'" in message


def test_missing_column_names_file_and_column(tmp_path):
    path = tmp_path / "survey.parquet"
    pd.DataFrame({"enterprise_id": ["1"], "answer": ["文本"]}).to_parquet(path, index=False)
    with pytest.raises(InputError) as err:
        shard_of(path, "enterprise_id", "difficulty_text", 1, 0)
    message = str(err.value)
    assert str(path) in message
    assert "缺少列「difficulty_text」" in message and "missing column 'difficulty_text'" in message


# ---------------------------------------------------------------- 5. batches


def _batches(path: Path, count: int, number: int, chars: int) -> list[list[str]]:
    shard = shard_of(path, "doc_id", "text", count, number)
    return [b["doc_id"].tolist() for b in document_batches(shard, chars)]


def test_document_batches_cut_before_overflow(tmp_path):
    # lengths 3, 4, 2, 10, 0 (missing), 1, 1 with batch_chars 6, worked by hand:
    # [d1] (3; with d2 it would be 7 > 6), [d2, d3] (4 + 2 = 6, not > 6), [d4] (10 > 6: alone,
    # and even the 0 characters of d5 would leave it at 10 > 6), [d5, d6, d7] (0 + 1 + 1 = 2)
    texts = {"d1": "一二三", "d2": "一二三四", "d3": "一二", "d4": "一" * 10, "d5": None}
    texts |= {"d6": "一", "d7": "二"}
    expected = [["d1"], ["d2", "d3"], ["d4"], ["d5", "d6", "d7"]]
    sorted_path = tmp_path / "sorted.parquet"
    pd.DataFrame({"doc_id": list(texts), "text": list(texts.values())}).to_parquet(sorted_path)
    shuffled = tmp_path / "shuffled.parquet"
    order = ["d4", "d7", "d1", "d5", "d3", "d6", "d2"]
    pd.DataFrame({"doc_id": order, "text": [texts[i] for i in order]}).to_parquet(shuffled)
    for path in (sorted_path, shuffled):
        assert _batches(path, 1, 0, 6) == expected
        # shard 2 of 2 holds ids[3:7] = d4..d7
        assert _batches(path, 2, 1, 6) == [["d4"], ["d5", "d6", "d7"]]
        assert _batches(path, 1, 0, WHOLE) == [list(texts)]
    assert batch_chars(1) == 333_333  # 1 MB of Chinese text at 3 UTF-8 bytes a character


def test_document_batches_stream_across_reads_once_each_in_id_order(tmp_path):
    # 700 one-character documents in row groups of 50 (reads of 256 rows cross them), batch 100
    ids = [f"d{i:04d}" for i in range(700)]
    path = tmp_path / "many.parquet"
    pq.write_table(pa.table({"doc_id": ids, "text": ["字"] * 700}), path, row_group_size=50)
    for count in (1, 3):
        seen = []
        for number in range(count):
            batches = _batches(path, count, number, 100)
            assert all(len(b) <= 100 for b in batches)
            seen.extend(d for b in batches for d in b)
        assert seen == ids  # every document once, in id order, shards in order
    # one shard: 700 documents of 1 character in batches of 100 → 7 full batches
    assert [len(b) for b in _batches(path, 1, 0, 100)] == [100] * 7


# ---------------------------------------------------------------- 6. progress


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_progress_line_by_hand(caplog):
    log = logging.getLogger("test_text_stream.progress")
    clock = FakeClock()
    progress = Progress(log, "苏州 answers", 200, every=10.0, clock=clock)
    assert progress.line() == (
        "苏州 answers: 0/200 篇 documents, 0.0 MB, 0.00 MB/s, 约剩 about ? left"
    )
    with caplog.at_level(logging.INFO, logger=log.name):
        clock.now = 10.0
        # 50 of 200 documents, 5 MB in 10 s: 0.5 MB/s; 150 left at 10 s per 50 → 30 s
        progress.advance(50, 5_000_000)
        clock.now = 15.0  # 5 s after the last line: no line
        progress.advance(10, 1_000_000)
        clock.now = 3_700.0
        # 200 of 200 done: no progress line (finish writes the last one)
        progress.advance(140, 14_000_000)
        progress.finish()
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "苏州 answers: 50/200 篇 documents, 5.0 MB, 0.50 MB/s, 约剩 about 0:00:30 left",
        # 20 MB in 3,700 s = 0.0054 MB/s; nothing left
        "苏州 answers: 200/200 篇 documents, 20.0 MB, 0.01 MB/s, 约剩 about 0:00:00 left",
    ]
    # 1 of 200 in 3,700 s → 199 × 3,700 s = 736,300 s = 204 h 31 min 40 s
    slow = Progress(log, "x", 200, clock=FakeClock())
    slow.advance(1, 0)
    assert slow.line(now=3_700.0).endswith("约剩 about 204:31:40 left")


def test_segment_shard_logs_its_progress(tmp_path, caplog, segmenter):
    path = tmp_path / "survey.parquet"
    answers_table(list(ANSWERS)).to_parquet(path, index=False)
    shard = shard_of(path, "enterprise_id", "difficulty_text", 2, 1)
    log = logging.getLogger("test_text_stream.segment")
    with caplog.at_level(logging.INFO, logger=log.name):
        segment_shard(shard, segmenter, tmp_path / "t.parquet", log=log, name="苏州")
    # shard 2 of 2 holds the last 9 - 9//2 = 5 of the 9 answers
    assert any("苏州 分片 shard 2/2: 5/5 篇 documents" in r.getMessage() for r in caplog.records)


# ---------------------------------------------------------------- 7. row groups


def test_table_writer_row_groups_of_exactly_row_group_rows(tmp_path):
    n = 2 * ROW_GROUP_ROWS + 1_234
    values = np.arange(n, dtype=np.int64)
    frame = pd.DataFrame({"i": values})
    # uneven chunks, one of them crossing two row-group boundaries, and an empty one
    cuts = [0, 1, 40_000, 40_000, 2 * ROW_GROUP_ROWS + 7, n]
    chunked = tmp_path / "chunked.parquet"
    with TableWriter(chunked) as out:
        for a, b in itertools.pairwise(cuts):
            out.write_frame(frame.iloc[a:b])
    meta = pq.ParquetFile(chunked).metadata
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    assert sizes == [ROW_GROUP_ROWS, ROW_GROUP_ROWS, 1_234]
    assert out.rows_written == n
    assert np.array_equal(pq.read_table(chunked).column("i").to_numpy(), values)

    # the same bytes as one write of the whole table, and as a gather of uneven parts
    whole = tmp_path / "whole.parquet"
    with TableWriter(whole) as out:
        out.write_frame(frame)
    assert whole.read_bytes() == chunked.read_bytes()
    parts = []
    for k, (a, b) in enumerate(((0, 3), (3, 3), (3, 70_000), (70_000, n))):
        parts.append(tmp_path / f"part{k}.parquet")
        with TableWriter(parts[-1], empty=frame.iloc[0:0]) as out:
            out.write_frame(frame.iloc[a:b])
    assert gather(parts, tmp_path / "gathered.parquet") == n
    assert (tmp_path / "gathered.parquet").read_bytes() == whole.read_bytes()


def test_same_bytes_when_a_column_outgrows_its_dictionary(tmp_path, monkeypatch):
    # 20,000 distinct strings of 20 CJK characters (3 UTF-8 bytes each): 20,000 x (60 + 4)
    # bytes = 1.28 MB of dictionary in a row group of 20,000 rows, over the 1 MB limit
    monkeypatch.setattr(stream, "ROW_GROUP_ROWS", 20_000)
    rng = np.random.default_rng(13)
    n = 20_000
    codes = rng.integers(0x4E00, 0x9FA5, size=(n, 20))
    frame = pd.DataFrame({"s": ["".join(map(chr, row)) for row in codes]}, dtype="string")
    assert frame["s"].nunique() == n
    whole, chunked = tmp_path / "whole.parquet", tmp_path / "chunked.parquet"
    with TableWriter(whole) as out:
        out.write_frame(frame)
    with TableWriter(chunked) as out:
        for a, b in itertools.pairwise([0, 3, 1_003, 7_000, n]):
            out.write_frame(frame.iloc[a:b])
    assert pq.read_table(chunked).equals(pq.read_table(whole))  # the same rows either way
    assert chunked.read_bytes() == whole.read_bytes()

"""The text stage in shards and streamed batches: flat memory, every core, the same bytes.

A city's open answers or policy texts, or a text collection, are split into ``text.shards``
shards that run as separate jobs (so ``--cores N`` and a cluster use every core). A shard is a
contiguous range of the *sorted* document ids, so the shards' outputs, concatenated in shard
order, are the outputs of the whole source; :func:`gather` concatenates them. The shard count is
a number in the config, not a size, so that the whole job graph (and a dry run) is known before
anything runs.

Within a shard, documents are read, segmented, coded and written in batches of about
``text.batch_mb`` MB of text: the token, hit and unit tables are never held whole, so peak memory
depends on the batch size and on the largest single document, not on the size of the corpus.
Every parquet file is written in row groups of exactly :data:`ROW_GROUP_ROWS` rows (the last one
shorter), whatever the batches, so a gathered file is byte-identical for any shard count and
batch size, and a single shard's file is the gathered file itself.

Reading streams when the table is sorted by document id (ingest writes policy texts and text
collections so). A table that is not (the survey, in questionnaire order) is read per shard:
the shard's answers are held in memory, which open answers, being short, allow.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from chainpb.atomic import atomic_path
from chainpb.errors import InputError, Location
from chainpb.text.codebook import CompiledCodebook
from chainpb.text.coding import code_tokens, code_units
from chainpb.text.segment import Segmenter, segment_documents

# Identifier and text column of each source of a city (defined here, where the shard jobs read
# them, so that those jobs need not import the whole stage: validation, audit, ingest).
SOURCE_COLUMNS = {"answers": ("enterprise_id", "difficulty_text"), "policies": ("doc_id", "text")}

ROW_GROUP_ROWS = 65_536  # rows per parquet row group of every text-stage table
_READ_ROWS = 256  # documents per parquet read batch (a policy text can be long)


@dataclass(frozen=True)
class Shard:
    """One shard of a source: its sorted document ids and how to read them."""

    path: str
    id_col: str
    text_col: str
    ids: tuple[str, ...]
    table_sorted: bool  # the table's rows are in id order, so reading can stream
    number: int  # 0-based
    count: int

    @property
    def label(self) -> str:
        return f"{self.number + 1}/{self.count}"


def shard_of(path: str | Path, id_col: str, text_col: str, count: int, number: int) -> Shard:
    """Shard ``number`` (0-based) of ``count`` of the table at ``path``.

    Ids are compared as strings (the order of the token table). Only the id column is read
    here. A missing column or a duplicate id stops with the file and column named.
    """
    if not 0 <= number < count:
        raise ValueError(f"shard number must be in [0, {count}), got {number}")
    names = pq.ParquetFile(path).schema_arrow.names
    for col in (id_col, text_col):
        if col not in names:
            raise InputError(
                Location(str(path), column=col),
                f"缺少列「{col}」，需要文档编号列和文本列",
                f"missing column '{col}'; an id column and a text column are required",
            )
    ids = [str(i) for i in pq.read_table(path, columns=[id_col]).column(0).to_pylist()]
    table_sorted = all(a < b for a, b in itertools.pairwise(ids))
    keys = ids if table_sorted else sorted(ids)
    if not table_sorted:
        for a, b in itertools.pairwise(keys):
            if a == b:
                raise InputError(
                    Location(str(path), column=id_col),
                    f"编号「{a}」重复，每个文档/受访者只能出现一次",
                    f"duplicate id '{a}'; each document/respondent must appear once",
                )
    n = len(keys)
    own = tuple(keys[number * n // count : (number + 1) * n // count])
    return Shard(str(path), id_col, text_col, own, table_sorted, number, count)


def batch_chars(batch_mb: float) -> int:
    """Characters per batch for config ``text.batch_mb`` (Chinese text: 3 UTF-8 bytes each)."""
    return max(1, int(batch_mb * 1_000_000 / 3))


def _reader(path: str | Path) -> pq.ParquetFile:
    # No read-ahead buffering: a streamed read holds one batch, not the next row groups too.
    return pq.ParquetFile(path, pre_buffer=False)


def _lean_arrow() -> None:
    """Arrow allocations from jemalloc, which returns freed batches to the system; the default
    pool (mimalloc) keeps them, and a streamed job's memory then grows with the corpus
    (benchmarks/README.md, text-stage memory)."""
    # a pyarrow built without jemalloc keeps its default pool
    with contextlib.suppress(NotImplementedError, AttributeError):
        pa.set_memory_pool(pa.jemalloc_memory_pool())
        pa.jemalloc_set_decay(0)  # return freed pages at once, not after 10 s


def _malloc_trim() -> Callable[[], object]:
    """glibc's ``malloc_trim(0)``, or nothing elsewhere (macOS, musl)."""
    try:
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return lambda: None
    return lambda: trim(0)


# After each batch, freed heap goes back to the system: glibc otherwise keeps the holes the
# batch's Python objects leave, and a streamed job's resident memory creeps up with the number
# of batches, not with the batch size (benchmarks/README.md, text-stage memory).
_give_back = _malloc_trim()


def _chars(text: object) -> int:
    return len(text) if isinstance(text, str) else 0


def _utf8_bytes(texts: Sequence[object]) -> int:
    return sum(len(t.encode("utf-8")) for t in texts if isinstance(t, str))


def document_batches(shard: Shard, batch_chars: int) -> Iterator[pd.DataFrame]:
    """The shard's documents as frames ``(id_col, text_col)`` in id order.

    A batch holds at most ``batch_chars`` characters of text, or one document longer than
    that: it closes *before* a document that would overflow it, so the largest batch — and the
    job's peak memory — does not depend on how many documents the corpus has.
    """
    if not shard.ids:
        return
    wanted = frozenset(shard.ids)
    last = shard.ids[-1]
    rows: list[tuple[str, object]] = []
    reader = _reader(shard.path).iter_batches(
        batch_size=_READ_ROWS, columns=[shard.id_col, shard.text_col], use_threads=False
    )
    for record in reader:
        keys = [str(i) for i in record.column(shard.id_col).to_pylist()]
        if shard.table_sorted and keys and keys[0] > last:
            break
        texts = record.column(shard.text_col).to_pylist()
        rows.extend((k, t) for k, t in zip(keys, texts, strict=True) if k in wanted)
        if shard.table_sorted:  # in id order already: pass on every full batch at once
            *full, rows = _cut(rows, batch_chars, keep_last=True)
            yield from (_frame(shard, part) for part in full)
    if not shard.table_sorted:
        rows.sort(key=lambda row: row[0])
    yield from (_frame(shard, part) for part in _cut(rows, batch_chars, keep_last=False) if part)


def _cut(
    rows: list[tuple[str, object]], batch_chars: int, *, keep_last: bool
) -> list[list[tuple[str, object]]]:
    """``rows`` cut into batches of at most ``batch_chars`` characters (a longer document alone);
    with ``keep_last`` the last, still open batch is returned last (possibly empty)."""
    parts: list[list[tuple[str, object]]] = []
    current: list[tuple[str, object]] = []
    chars = 0
    for row in rows:
        size = _chars(row[1])
        if current and chars + size > batch_chars:
            parts.append(current)
            current, chars = [], 0
        current.append(row)
        chars += size
    if keep_last or current:
        parts.append(current)
    return parts


def _frame(shard: Shard, rows: list[tuple[str, object]]) -> pd.DataFrame:
    return pd.DataFrame({shard.id_col: [r[0] for r in rows], shard.text_col: [r[1] for r in rows]})


class TableWriter:
    """A parquet table written batch by batch in row groups of exactly ``ROW_GROUP_ROWS`` rows.

    Use as a context manager: the file appears at ``target`` (atomically) only when the block
    ends without an exception. The schema, with pandas' dtype metadata, is ``schema`` or the
    first batch's; later batches are cast to it. Without any batch, ``empty`` (a frame with the
    table's columns) gives the schema of the empty table.
    """

    def __init__(
        self,
        target: str | Path,
        empty: pd.DataFrame | None = None,
        schema: pa.Schema | None = None,
    ) -> None:
        self._target = Path(target)
        self._empty = empty
        self._schema = schema
        self._writer: pq.ParquetWriter | None = None
        self._pending: list[pa.Table] = []
        self._rows = 0
        self.rows_written = 0

    def __enter__(self) -> TableWriter:
        self._context = atomic_path(self._target)
        self._tmp = self._context.__enter__()
        if self._schema is not None:
            self._writer = pq.ParquetWriter(self._tmp, self._schema, compression="zstd")
        return self

    def write_frame(self, frame: pd.DataFrame) -> None:
        if len(frame):
            table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
            self.write_table(table)

    def write_table(self, table: pa.Table) -> None:
        if not table.num_rows:
            return
        if self._writer is None:
            self._schema = table.schema
            self._writer = pq.ParquetWriter(self._tmp, self._schema, compression="zstd")
        elif table.schema != self._schema:
            table = table.cast(self._schema)
        self._pending.append(table)
        self._rows += table.num_rows
        while self._rows >= ROW_GROUP_ROWS:
            self._flush(ROW_GROUP_ROWS)

    def _flush(self, n: int) -> None:
        assert self._writer is not None
        whole = pa.concat_tables(self._pending)
        # One chunk per row group: the writer cuts dictionary and data pages along chunks, so
        # without this a column past the 1 MB dictionary limit would differ by batch size.
        self._writer.write_table(whole.slice(0, n).combine_chunks(), row_group_size=n)
        self.rows_written += n
        rest = whole.slice(n)
        self._pending = [rest] if rest.num_rows else []
        self._rows = rest.num_rows

    def _finish(self) -> None:
        if self._writer is None:
            if self._empty is None:
                raise ValueError("TableWriter: no batch and no empty frame to take a schema from")
            empty = pa.Table.from_pandas(self._empty.reset_index(drop=True), preserve_index=False)
            # no row group at all, as a gathered file of empty shards has
            self._writer = pq.ParquetWriter(self._tmp, empty.schema, compression="zstd")
        if self._rows:
            self._flush(self._rows)
        self._writer.close()

    def __exit__(self, exc_type, exc, tb) -> bool | None:
        if exc_type is None:
            try:
                self._finish()
            except BaseException as failure:
                return self._context.__exit__(type(failure), failure, failure.__traceback__)
            return self._context.__exit__(None, None, None)
        if self._writer is not None:
            self._writer.close()
        return self._context.__exit__(exc_type, exc, tb)


def gather(parts: Sequence[str | Path], target: str | Path) -> int:
    """Concatenate the shard files ``parts`` (in shard order) into ``target``; return the rows.

    Row groups are re-cut to :data:`ROW_GROUP_ROWS`, so the result does not depend on how the
    source was sharded. The schema is the first non-empty part's (an empty shard's frame may
    carry looser dtypes).
    """
    _lean_arrow()
    files = [_reader(p) for p in parts]
    with_rows = [f for f in files if f.metadata.num_rows]
    if not with_rows:  # every shard empty: the first one is the whole (empty) table
        with TableWriter(target, schema=files[0].schema_arrow) as out:
            out.write_table(files[0].read())
        return 0
    with TableWriter(target, schema=with_rows[0].schema_arrow) as out:
        for f in with_rows:
            for record in f.iter_batches(batch_size=ROW_GROUP_ROWS, use_threads=False):
                out.write_table(pa.Table.from_batches([record]))
    return out.rows_written


class Progress:
    """Log lines of a long job: documents done of total, MB/s and the time left.

    One line at most every ``every`` seconds, and one at the end; the wall-clock figures make
    these the only lines of a text-stage log that differ between two runs.
    """

    def __init__(
        self,
        log: logging.Logger,
        name: str,
        total: int,
        every: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.log, self.name, self.total, self.every, self.clock = log, name, total, every, clock
        self.done, self.bytes = 0, 0
        self.started = self.last = clock()

    def advance(self, documents: int, utf8_bytes: int) -> None:
        self.done += documents
        self.bytes += utf8_bytes
        now = self.clock()
        if now - self.last >= self.every and self.done < self.total:
            self.last = now
            self.log.info("%s", self.line(now))

    def line(self, now: float | None = None) -> str:
        now = self.clock() if now is None else now
        elapsed = max(now - self.started, 1e-9)
        mb = self.bytes / 1e6
        rate = mb / elapsed
        left = elapsed * (self.total - self.done) / self.done if self.done else float("nan")
        return (
            f"{self.name}: {self.done}/{self.total} 篇 documents, {mb:.1f} MB, "
            f"{rate:.2f} MB/s, 约剩 about {_duration(left)} left"
        )

    def finish(self) -> None:
        self.log.info("%s", self.line())


def _duration(seconds: float) -> str:
    if seconds != seconds:  # nan: nothing done yet
        return "?"
    seconds = round(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class _TokenCursor:
    """Reads a token table (sorted by ``doc_id``) forward, a range of documents at a time."""

    def __init__(self, path: str | Path) -> None:
        self._batches = _reader(path).iter_batches(batch_size=ROW_GROUP_ROWS, use_threads=False)
        self._pending: pd.DataFrame | None = None
        self._exhausted = False

    def through(self, last_id: str) -> pd.DataFrame:
        """The tokens of every document up to ``last_id`` not yet returned."""
        parts = []
        while True:
            if self._pending is None:
                if self._exhausted:
                    break
                record = next(self._batches, None)
                if record is None:
                    self._exhausted = True
                    break
                self._pending = record.to_pandas()
            ids = self._pending["doc_id"].astype(str)
            inside = (ids <= last_id).to_numpy()
            if inside.all():
                parts.append(self._pending)
                self._pending = None
                continue
            parts.append(self._pending[inside])
            self._pending = self._pending[~inside].reset_index(drop=True)
            break
        if not parts:
            return self._empty()
        return pd.concat(parts, ignore_index=True)

    def _empty(self) -> pd.DataFrame:
        return self._pending.iloc[0:0] if self._pending is not None else pd.DataFrame()


def _texts(batch: pd.DataFrame, id_col: str, text_col: str) -> dict[str, str]:
    """``doc_id → text`` of the batch's non-blank texts (as the whole-source coding reads)."""
    return {
        str(i): t
        for i, t in zip(batch[id_col], batch[text_col], strict=True)
        if isinstance(t, str) and t.strip()
    }


def segment_shard(
    shard: Shard,
    segmenter: Segmenter,
    target: str | Path,
    *,
    unit: str = "sentence",
    batch_chars: int = 1_000_000,
    log: logging.Logger | None = None,
    name: str = "",
) -> tuple[int, int]:
    """Segment the shard's documents batch by batch into the token table ``target``.

    Returns (tokens, documents with tokens). The table is the part of ``segment_documents``'
    output for the shard's documents, row for row.
    """
    log = log or logging.getLogger(__name__)
    _lean_arrow()
    empty_batch = pd.DataFrame({shard.id_col: [], shard.text_col: []})
    empty = segment_documents(empty_batch, shard.id_col, shard.text_col, segmenter, unit=unit)
    progress = Progress(log, f"{name} 分片 shard {shard.label}", len(shard.ids))
    documents = 0
    with TableWriter(target, empty) as out:
        for batch in document_batches(shard, batch_chars):
            tokens = segment_documents(batch, shard.id_col, shard.text_col, segmenter, unit=unit)
            out.write_frame(tokens)
            documents += tokens["doc_id"].nunique()
            progress.advance(len(batch), _utf8_bytes(batch[shard.text_col].tolist()))
            del tokens
            _give_back()
    progress.finish()
    return out.rows_written, documents


def code_shard(
    shard: Shard,
    tokens_path: str | Path,
    compiled: CompiledCodebook,
    hits_target: str | Path,
    units_target: str | Path,
    *,
    unit: str = "sentence",
    context_gate: bool = False,
    context_window: str = "paragraph",
    batch_chars: int = 1_000_000,
    log: logging.Logger | None = None,
    name: str = "",
) -> tuple[pd.Series, int]:
    """Code the shard's tokens batch by batch into ``hits_target`` and ``units_target``.

    Each batch is coded as :func:`chainpb.text.coding.code_tokens` codes the whole source
    (coding never looks across documents), so the tables are the whole source's rows for the
    shard's documents. Every unit carries the codebook's hash, also in a batch without hits.
    Returns (hits per status, units).
    """
    log = log or logging.getLogger(__name__)
    _lean_arrow()
    cursor = _TokenCursor(tokens_path)
    empty_batch = pd.DataFrame({shard.id_col: [], shard.text_col: []})
    empty_tokens = segment_documents(
        empty_batch, shard.id_col, shard.text_col, _NoSegmenter(), unit=unit
    )
    empty_hits = code_tokens(empty_tokens, compiled, {})
    empty_units = _units(empty_tokens, empty_hits, unit, compiled.hash)
    progress = Progress(log, f"{name} 分片 shard {shard.label}", len(shard.ids))
    status = pd.Series(dtype="int64")
    with (
        TableWriter(hits_target, empty_hits) as hits_out,
        TableWriter(units_target, empty_units) as units_out,
    ):
        for batch in document_batches(shard, batch_chars):
            tokens = cursor.through(str(batch[shard.id_col].iloc[-1]))
            if not len(tokens):
                tokens = empty_tokens
            hits = code_tokens(
                tokens,
                compiled,
                _texts(batch, shard.id_col, shard.text_col),
                context_gate=context_gate,
                context_window=context_window,
            )
            hits_out.write_frame(hits)
            units_out.write_frame(_units(tokens, hits, unit, compiled.hash))
            status = status.add(hits["status"].value_counts(), fill_value=0)
            progress.advance(len(batch), _utf8_bytes(batch[shard.text_col].tolist()))
            del tokens, hits
            _give_back()
    progress.finish()
    return status.astype("int64"), units_out.rows_written


def _units(tokens: pd.DataFrame, hits: pd.DataFrame, unit: str, codebook_hash: str) -> pd.DataFrame:
    units = code_units(tokens, hits, unit=unit)
    units["codebook_hash"] = pd.Series([codebook_hash] * len(units), dtype="string")
    return units


class _NoSegmenter:
    """Stands in for a segmenter where only the columns of an empty token table are needed."""

    def token_columns(self, text: str):  # pragma: no cover — never called on an empty batch
        raise AssertionError("no text to segment")

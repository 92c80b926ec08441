"""Snakemake script: code one shard of a city's tokens, or of a text collection's (rule
code_corpus), with the codebook (negation-aware), in streamed batches."""

from chainpb.runlog import script_logger
from chainpb.text.codebook import load_codebook
from chainpb.text.segment import Segmenter
from chainpb.text.stage import SOURCE_COLUMNS
from chainpb.text.stream import batch_chars, code_shard, shard_of

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

codebook = load_codebook(sm.input.codebook)
segmenter = Segmenter(
    sm.params.cache_dir, sm.input.user_dict, sm.input.stopwords, backend=sm.params.segmenter
)
shard = shard_of(
    sm.input.table, *SOURCE_COLUMNS[sm.params.source], sm.params.shards, sm.params.shard
)
status, n_units = code_shard(
    shard,
    sm.input.tokens,
    codebook.compile(segmenter),
    sm.output.hits,
    sm.output.units,
    unit=sm.params.unit,
    context_gate=sm.params.context_gate,
    context_window=sm.params.context_window,
    batch_chars=batch_chars(sm.params.batch_mb),
    log=log,
    name=sm.params.name,
)
log.info(
    "%s 分片 shard %s: 码本 codebook %s, %d 处命中 hits: %d 困难 problem, %d 措施 remedy, "
    "%d 否定 negated, %d 排除 excluded, %d 无党建语境 no Party-building context (党建语境门槛 "
    "context gate: %s, 范围 window: %s); %d 个单元 units",
    sm.params.name,
    shard.label,
    codebook.hash,
    int(status.sum()),
    *(int(status.get(k, 0)) for k in ("problem", "remedy", "negated", "excluded", "no_context")),
    "on" if sm.params.context_gate else "off",
    sm.params.context_window,
    n_units,
)

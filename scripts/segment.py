"""Snakemake script: segment one shard of a city's open answers or policy texts, or of a text
collection (rule segment_corpus), with jieba's dictionary and rules, in streamed batches."""

from chainpb.runlog import script_logger
from chainpb.text.segment import Segmenter
from chainpb.text.stream import SOURCE_COLUMNS, batch_chars, segment_shard, shard_of

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

segmenter = Segmenter(
    sm.params.cache_dir, sm.input.user_dict, sm.input.stopwords, backend=sm.params.segmenter
)
shard = shard_of(
    sm.input.table, *SOURCE_COLUMNS[sm.params.source], sm.params.shards, sm.params.shard
)
n_tokens, n_documents = segment_shard(
    shard,
    segmenter,
    sm.output.tokens,
    unit=sm.params.unit,
    batch_chars=batch_chars(sm.params.batch_mb),
    log=log,
    name=sm.params.name,
)
log.info(
    "%s 分片 shard %s: %d 个词 tokens in %d 篇 texts",
    sm.params.name,
    shard.label,
    n_tokens,
    n_documents,
)

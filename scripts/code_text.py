"""Snakemake script: code one shard of each of a city's sources (answers, policy texts), or of a
text collection's (rule code_corpus), with the codebook (negation-aware), in streamed batches.
The codebook is loaded and compiled once for all of them."""

from chainpb.runlog import script_logger
from chainpb.text.codebook import load_codebook
from chainpb.text.segment import Segmenter
from chainpb.text.stream import SOURCE_COLUMNS, batch_chars, code_shard, shard_of

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

codebook = load_codebook(sm.input.codebook)
segmenter = Segmenter(
    sm.params.cache_dir, sm.input.user_dict, sm.input.stopwords, backend=sm.params.segmenter
)
compiled = codebook.compile(segmenter)
for source, name, context_gate, table, tokens, hits, units in zip(
    sm.params.sources,
    sm.params.names,
    sm.params.context_gate,
    sm.input.tables,
    sm.input.tokens,
    sm.output.hits,
    sm.output.units,
    strict=True,
):
    shard = shard_of(table, *SOURCE_COLUMNS[source], sm.params.shards, sm.params.shard)
    status, n_units = code_shard(
        shard,
        tokens,
        compiled,
        hits,
        units,
        unit=sm.params.unit,
        context_gate=context_gate,
        context_window=sm.params.context_window,
        batch_chars=batch_chars(sm.params.batch_mb),
        log=log,
        name=name,
    )
    log.info(
        "%s 分片 shard %s: 码本 codebook %s, %d 处命中 hits: %d 困难 problem, %d 措施 remedy, "
        "%d 否定 negated, %d 排除 excluded, %d 无党建语境 no Party-building context (党建语境门槛 "
        "context gate: %s, 范围 window: %s); %d 个单元 units",
        name,
        shard.label,
        codebook.hash,
        int(status.sum()),
        *(
            int(status.get(k, 0))
            for k in ("problem", "remedy", "negated", "excluded", "no_context")
        ),
        "on" if context_gate else "off",
        sm.params.context_window,
        n_units,
    )

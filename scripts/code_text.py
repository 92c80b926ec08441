"""Snakemake script: code one city's tokens, or one text collection's (rule code_corpus), with
the codebook (negation-aware)."""

import pandas as pd

from chainpb.atomic import write_parquet
from chainpb.runlog import script_logger
from chainpb.text.codebook import load_codebook
from chainpb.text.segment import Segmenter
from chainpb.text.stage import code_source

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

codebook = load_codebook(sm.input.codebook)
segmenter = Segmenter(
    sm.params.cache_dir, sm.input.user_dict, sm.input.stopwords, backend=sm.params.segmenter
)
hits, units = code_source(
    pd.read_parquet(sm.input.tokens),
    pd.read_parquet(sm.input.table),
    sm.params.source,
    codebook,
    segmenter,
    sm.params.unit,
    context_gate=sm.params.context_gate,
    context_window=sm.params.context_window,
)
write_parquet(sm.output.hits, hits)
write_parquet(sm.output.units, units)
status = hits["status"].value_counts()
log.info(
    "%s: 码本 codebook %s, %d 处命中 hits: %d 困难 problem, %d 措施 remedy, %d 否定 negated, "
    "%d 排除 excluded, %d 无党建语境 no Party-building context (党建语境门槛 context gate: %s, "
    "范围 window: %s); %d 个单元 units",
    sm.params.name,
    codebook.hash,
    len(hits),
    *(int(status.get(k, 0)) for k in ("problem", "remedy", "negated", "excluded", "no_context")),
    "on" if sm.params.context_gate else "off",
    sm.params.context_window,
    len(units),
)

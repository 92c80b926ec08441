"""Snakemake script: code one city's tokens with the codebook (negation-aware)."""

import pandas as pd

from chainpb.atomic import write_parquet
from chainpb.runlog import script_logger
from chainpb.text.codebook import load_codebook
from chainpb.text.segment import Segmenter
from chainpb.text.stage import code_source

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

codebook = load_codebook(sm.input.codebook)
segmenter = Segmenter(sm.params.cache_dir, sm.input.user_dict, sm.input.stopwords)
hits, units = code_source(
    pd.read_parquet(sm.input.tokens),
    pd.read_parquet(sm.input.table),
    sm.params.source,
    codebook,
    segmenter,
    sm.params.unit,
)
write_parquet(sm.output.hits, hits)
write_parquet(sm.output.units, units)
log.info(
    "%s/%s: 码本 codebook %s, %d 处命中 hits (%d 处否定 negated, %d 处排除 excluded), %d 个单元 units",
    sm.wildcards.city,
    sm.params.source,
    codebook.hash,
    len(hits),
    int(hits["negated"].sum()),
    int(hits["excluded"].sum()),
    len(units),
)

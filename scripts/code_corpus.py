"""Snakemake script: code one corpus's tokens with the codebook (as a city's policy texts)."""

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
    "policies",
    codebook,
    segmenter,
    sm.params.unit,
    context_gate=sm.params.context_gate,
    context_window=sm.params.context_window,
)
write_parquet(sm.output.hits, hits)
write_parquet(sm.output.units, units)
log.info(
    "%s: 码本 codebook %s, %d 处命中 hits, 状态 status %s",
    sm.wildcards.corpus,
    codebook.hash,
    len(hits),
    hits["status"].value_counts().sort_index().to_dict(),
)

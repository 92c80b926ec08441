"""Snakemake script: segment one city's open answers or policy texts, or one text collection
(rule segment_corpus), with jieba's dictionary and rules."""

import pandas as pd

from chainpb.atomic import write_parquet
from chainpb.runlog import script_logger
from chainpb.text.segment import Segmenter
from chainpb.text.stage import segment_source

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

segmenter = Segmenter(
    sm.params.cache_dir, sm.input.user_dict, sm.input.stopwords, backend=sm.params.segmenter
)
tokens = segment_source(
    pd.read_parquet(sm.input.table), sm.params.source, segmenter, sm.params.unit
)
write_parquet(sm.output.tokens, tokens)
log.info(
    "%s: %d 个词 tokens in %d 篇 texts",
    sm.params.name,
    len(tokens),
    tokens["doc_id"].nunique(),
)

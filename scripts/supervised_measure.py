"""Snakemake script: the supervised coder's difficulty codes for one city's open answers."""

import pandas as pd

from chainpb.atomic import write_parquet
from chainpb.runlog import script_logger
from chainpb.text.segment import Segmenter
from chainpb.text.stage import supervised_measure
from chainpb.text.validation import read_gold

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

segmenter = Segmenter(sm.params.cache_dir, sm.input.user_dict, sm.input.stopwords)
measure = supervised_measure(
    read_gold(sm.input.gold),
    pd.read_parquet(sm.input.survey),
    pd.read_parquet(sm.input.answer_tokens),
    segmenter,
    sm.params.seed,
)
write_parquet(sm.output.measure, measure)
log.info("%s: 机器编码 supervised codes for %d firms", sm.wildcards.city, len(measure))

"""Snakemake script: the supervised coder's and the hybrid's difficulty codes for one city's firms."""

import pandas as pd

from chainpb.atomic import write_parquet
from chainpb.runlog import script_logger
from chainpb.text.stage import supervised_measure

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

measure = supervised_measure(
    pd.read_parquet(sm.input.predictions),
    pd.read_parquet(sm.input.firm_difficulty),
    answer_hits=pd.read_parquet(sm.input.answer_hits),
    hybrid_min_probability=sm.params.hybrid_min_probability,
)
write_parquet(sm.output.measure, measure)
sources = measure.filter(like="hy_source_")
log.info(
    "%s: 机器编码与混合度量 supervised and hybrid codes for %d firms; "
    "混合度量中仅由机器编码加入 added by the coder alone: %d codes",
    sm.wildcards.city,
    len(measure),
    int((sources == "supervised").sum().sum()),
)

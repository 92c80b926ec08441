"""Snakemake script: per-firm difficulty codes (codebook, supervised coder, hybrid); per-city
theme attention and difficulty statements in policy texts."""

import pandas as pd

from chainpb.atomic import write_csv, write_parquet
from chainpb.runlog import script_logger
from chainpb.text.codebook import load_codebook
from chainpb.text.stage import city_measures, supervised_measure

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

answer_hits = pd.read_parquet(sm.input.answer_hits)
firms, themes, documents = city_measures(
    pd.read_parquet(sm.input.survey),
    pd.read_parquet(sm.input.policies),
    answer_hits,
    pd.read_parquet(sm.input.policy_hits),
    pd.read_parquet(sm.input.policy_tokens),
    load_codebook(sm.input.codebook),
)
write_parquet(sm.output.firm_difficulty, firms)
write_parquet(sm.output.policy_themes, themes)
write_csv(sm.output.document_themes, documents)
log.info(
    "%s: 作答状态 answer status %s",
    sm.wildcards.city,
    firms["answer_status"].value_counts().sort_index().to_dict(),
)

# The supervised coder's and the hybrid's codes: from the firm codes as written (read back, so
# that they are the stored file's values and types).
supervised = supervised_measure(
    pd.read_parquet(sm.input.predictions),
    pd.read_parquet(sm.output.firm_difficulty),
    answer_hits=answer_hits,
    hybrid_min_probability=sm.params.hybrid_min_probability,
)
write_parquet(sm.output.supervised, supervised)
sources = supervised.filter(like="hy_source_")
log.info(
    "%s: 机器编码与混合度量 supervised and hybrid codes for %d firms; "
    "混合度量中仅由机器编码加入 added by the coder alone: %d codes",
    sm.wildcards.city,
    len(supervised),
    int((sources == "supervised").sum().sum()),
)

"""Snakemake script: per-firm difficulty codes; per-city theme attention and difficulty statements
in policy texts."""

import pandas as pd

from chainpb.atomic import write_csv, write_parquet
from chainpb.runlog import script_logger
from chainpb.text.codebook import load_codebook
from chainpb.text.stage import city_measures

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

firms, themes, documents = city_measures(
    pd.read_parquet(sm.input.survey),
    pd.read_parquet(sm.input.policies),
    pd.read_parquet(sm.input.answer_hits),
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

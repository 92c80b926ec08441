"""Snakemake script: pool the per-city ingested tables (with city key and display name)."""

import pandas as pd

from chainpb.atomic import write_csv, write_parquet
from chainpb.check import read_reports, stop_on_empty_cities
from chainpb.ingest import pool_tables
from chainpb.runlog import script_logger

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

# A city whose every row was rejected would vanish from the pooled table with exit 0.
stop_on_empty_cities(read_reports(sm.input.reports))
survey = pool_tables(pd.read_parquet(p) for p in sm.input.surveys)
policies = pool_tables(pd.read_parquet(p) for p in sm.input.policies)
rejects = pool_tables(
    pd.read_csv(p, encoding="utf-8-sig", dtype=str, keep_default_na=False) for p in sm.input.rejects
)
write_parquet(sm.output.survey, survey)
write_parquet(sm.output.policies, policies)
write_csv(sm.output.rejects, rejects)
log.info(
    "合并 pooled: %d 家企业 firms, %d 份政策文本 documents, %d 条拒收问题 reject records",
    len(survey),
    len(policies),
    len(rejects),
)

"""Snakemake script: reliability, validity, descriptive statistics and correlations."""

import pandas as pd

from chainpb.atomic import write_csv
from chainpb.measures.validity import validity_tables
from chainpb.runlog import script_logger

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

analysis = pd.read_parquet(sm.input.analysis)
tables = validity_tables(
    analysis,
    sm.params.scales,
    sm.params.labels,
    sm.params.variables,
    language=sm.params.language,
    min_items=sm.params.min_items,
)
for name, table in tables.items():
    write_csv(sm.output[f"{name}_table"], table)
rel = tables["reliability"]
for row in rel.itertuples(index=False):
    log.info(
        "量表 scale %s: alpha=%.3f CR=%.3f AVE=%.3f KMO=%.3f (n=%d)",
        row.scale,
        row.alpha,
        row.cr,
        row.ave,
        row.kmo,
        row.n,
    )

"""Snakemake script: reliability, validity, descriptive statistics and correlations."""

from chainpb.memo import Memo

# Inputs, parameters and code those of the run that wrote the results: restore them before any
# heavy import (chainpb.memo; a codebook edit that changes no code refits nothing).
memo = Memo(snakemake)  # noqa: F821 — injected by Snakemake
if memo.restored():
    raise SystemExit(0)

import math

import pandas as pd

from chainpb.atomic import write_csv
from chainpb.measures.scales import POOLED, is_per_city
from chainpb.measures.validity import validity_tables
from chainpb.runlog import script_logger

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

analysis = pd.read_parquet(sm.input.analysis)
# params.scales: each city's effective scales ({city_key: {dim: spec}}, config.city_settings).
if is_per_city(sm.params.scales):
    in_data = set(analysis["city_key"].astype(str))
    for city in sorted(set(sm.params.scales) - in_data):
        log.info(
            "城市 %s 没有调查数据，不参与信度分析 / city %s has no survey rows; not in reliability",
            city,
            city,
        )
# Keys only (scale keys, variable names): the present stage labels them in the chosen language.
tables = validity_tables(
    analysis, sm.params.scales, sm.params.variables, min_items=sm.params.min_items
)
for name, table in tables.items():
    write_csv(sm.output[f"{name}_table"], table)
for row in tables["reliability"].itertuples(index=False):
    if math.isnan(row.alpha):
        # A city (or the pooled row) that could not be analysed is named with the reason.
        log.warning(
            "量表 scale %s [%s] 未计算 not computed: %s / %s",
            row.scale,
            row.city,
            row.note_zh,
            row.note_en,
        )
        continue
    log.info(
        "量表 scale %s [%s] items %s: alpha=%.3f CR=%.3f AVE=%.3f KMO=%.3f (n=%d)",
        row.scale,
        row.city,
        row.items_used,
        row.alpha,
        row.cr,
        row.ave,
        row.kmo,
        row.n,
    )
    if row.city == POOLED:
        log.info("合并行 pooled row: %s / %s", row.note_zh, row.note_en)
note = tables["sampling_adequacy"].iloc[0]
log.info("EFA、KMO/Bartlett、Fornell-Larcker: %s / %s", note["note_zh"], note["note_en"])
memo.save()

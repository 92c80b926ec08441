"""Snakemake script: the pooled analysis table (one row per enterprise), derived variables last."""

from chainpb.memo import Memo

# Inputs, parameters and code those of the run that wrote the results: restore them before any
# heavy import (chainpb.memo; a codebook edit that changes no code refits nothing).
memo = Memo(snakemake)  # noqa: F821 — injected by Snakemake
if memo.restored():
    raise SystemExit(0)

import pandas as pd

from chainpb.atomic import write_csv, write_parquet
from chainpb.measures.analysis import build_analysis_table
from chainpb.measures.choice import combine_difficulty_measures
from chainpb.measures.derive import apply_derive, derive_summary
from chainpb.runlog import script_logger

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

survey = pd.read_parquet(sm.input.survey)
codebook = pd.concat([pd.read_parquet(p) for p in sm.input.firm_difficulty], ignore_index=True)
supervised = pd.concat([pd.read_parquet(p) for p in sm.input.supervised], ignore_index=True)
themes = pd.concat([pd.read_parquet(p) for p in sm.input.policy_themes], ignore_index=True)
difficulty = combine_difficulty_measures(codebook, supervised, sm.params.measure)
table = build_analysis_table(
    survey, difficulty, themes, sm.params.scales, sm.params.survey_year, sm.params.min_items
)
# config derive: on the pooled table, so standardize/winsorize use every city's firms
table = apply_derive(table, sm.params.derive)
write_parquet(sm.output.parquet, table)
write_csv(sm.output.csv, table)
log.info("分析总表 analysis table: %d 家企业 firms x %d 列 columns", len(table), table.shape[1])
log.info("困难度量 difficulty measure used for diff_<cat>: %s", sm.params.measure)
for row in derive_summary(table, sm.params.derive).itertuples(index=False):
    log.info(
        "派生变量 derived variable %s = %s: 非缺失 non-missing %d，缺失 missing %d "
        "（输入缺失 inputs missing），均值 mean %.4f",
        row.variable,
        sm.params.derive[row.variable]["expr"],
        row.n,
        row.missing,
        row.mean,
    )
memo.save()

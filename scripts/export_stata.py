"""Snakemake script: the analysis table as Stata .dta and SPSS .sav, and the Stata do-file."""

from chainpb.memo import Memo

# Inputs, parameters and code those of the run that wrote the results: restore them before any
# heavy import (chainpb.memo; a codebook edit that changes no code refits nothing).
memo = Memo(snakemake)  # noqa: F821 — injected by Snakemake
if memo.restored():
    raise SystemExit(0)

import json
from pathlib import Path

import pandas as pd

from chainpb.atomic import write_text
from chainpb.export import build_dofile, export_table, write_dta, write_sav
from chainpb.export.dofile import model_variables
from chainpb.runlog import script_logger

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

data = pd.read_parquet(sm.input.analysis)
specs = json.loads(Path(sm.input.specs).read_text(encoding="utf-8"))
table = export_table(
    data,
    labels=sm.params.labels,
    cities=sm.params.cities,
    categories=sm.params.categories,
    model_variables=model_variables(specs),
    language=sm.params.language,
)
write_dta(sm.output.dta, table)
write_sav(sm.output.sav, table)
write_text(sm.output.dofile, build_dofile(specs, table, dta=Path(sm.output.dta).name))
log.info(
    "导出 exported %d 行 rows × %d 列 columns；编码为带值标签整数的类别变量 labelled-integer "
    "categoricals: %s；do-file 含 %d 个模型 models",
    len(table.frame),
    table.frame.shape[1],
    ", ".join(table.codes) or "-",
    len(specs),
)
for old, new in sorted(table.renamed.items()):
    log.warning("变量改名以符合 Stata 命名规则 / renamed for Stata: %s -> %s", old, new)
for line in build_dofile(specs, table).splitlines():
    if line.startswith("* 未自动运行 not run:"):
        log.warning("%s", line[2:])
memo.save()

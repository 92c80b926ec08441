"""Snakemake script: the pooled, fully interacted regressions of every `compare:` in config."""

from chainpb.memo import Memo

# Inputs, parameters and code those of the run that wrote the results: restore them before any
# heavy import (chainpb.memo; a codebook edit that changes no code refits nothing).
memo = Memo(snakemake)  # noqa: F821 — injected by Snakemake
if memo.restored():
    raise SystemExit(0)

import pandas as pd

from chainpb.atomic import write_json
from chainpb.models import comparison_jobs
from chainpb.models.compare import fit_comparisons
from chainpb.runlog import script_logger

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

jobs = comparison_jobs(sm.params.models)
results = fit_comparisons(pd.read_parquet(sm.input.analysis), jobs) if jobs else []
write_json(sm.output.fits, [res.to_dict() for res in results])
log.info("组间比较 comparisons: %d 个合并回归 pooled regressions", len(results))
for res in results:
    comp = res.extra["comparison"]
    log.info(
        "%s / %s: N=%d (%s %d + %s %d), G=%s, %s",
        res.model,
        res.outcome,
        res.nobs,
        comp["model"],
        comp["nobs"][comp["model"]],
        comp["with"],
        comp["nobs"][comp["with"]],
        res.n_clusters,
        res.cov_type,
    )
memo.save()

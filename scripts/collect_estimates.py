"""Snakemake script: gather every fitted model into estimates.csv and specs.json."""

from chainpb.memo import Memo

# Inputs, parameters and code those of the run that wrote the results: restore them before any
# heavy import (chainpb.memo; a codebook edit that changes no code refits nothing).
memo = Memo(snakemake)  # noqa: F821 — injected by Snakemake
if memo.restored():
    raise SystemExit(0)

from chainpb.atomic import write_csv, write_json
from chainpb.models import collect_estimates, read_fits, specs_json
from chainpb.models.result import dropped_note
from chainpb.runlog import script_logger

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

results = read_fits(sm.input.fits)
write_csv(sm.output.estimates, collect_estimates(results))
write_json(sm.output.specs, specs_json(results))
log.info("汇总 collected %d 个模型 fitted models from %d jobs", len(results), len(sm.input.fits))
for res in results:
    for term, partners in res.dropped_terms().items():
        log.warning("%s / %s: %s", res.model, res.outcome, dropped_note(term, partners))
memo.save()

"""Snakemake script: fit the (model, outcome) jobs whose fit files are this rule's outputs (one
job, or a whole estimator family: config model_jobs) and write each job's FitResult(s) as JSON."""

from chainpb.memo import Memo

# Inputs, parameters and code those of the run that wrote the results: restore them before any
# heavy import (chainpb.memo; a codebook edit that changes no code refits nothing).
memo = Memo(snakemake)  # noqa: F821 — injected by Snakemake
if memo.restored():
    raise SystemExit(0)

import pandas as pd

from chainpb.atomic import write_json
from chainpb.models.groups import fit_each, jobs_for_outputs, stop_on_dropped_cities
from chainpb.models.result import dropped_note
from chainpb.runlog import script_logger

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

jobs = jobs_for_outputs(sm.params.models, sm.output)
data = pd.read_parquet(sm.input.analysis)
# The check's stop for these models (a city dropping out silently), before any of them is fitted.
stop_on_dropped_cities(data, jobs, sm.params.models, sm.params.cities)
for path, (_job, results) in zip(sm.output, fit_each(data, jobs), strict=True):
    write_json(path, [res.to_dict() for res in results])
    for res in results:
        log.info(
            "%s / %s: %s, N=%d, %s", res.model, res.outcome, res.estimator, res.nobs, res.cov_type
        )
        # A dropped term is reported, not hidden: estimates.csv gets a row and the table a note.
        for term, partners in res.dropped_terms().items():
            log.warning("%s / %s: %s", res.model, res.outcome, dropped_note(term, partners))
memo.save()

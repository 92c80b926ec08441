"""Snakemake script: fit one (model, outcome) job and write its FitResult(s) as JSON."""

import pandas as pd

from chainpb.atomic import write_json
from chainpb.models import fit_job, job_by_key
from chainpb.models.result import dropped_note
from chainpb.runlog import script_logger

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

job = job_by_key(sm.params.models, sm.wildcards.job)
results = fit_job(pd.read_parquet(sm.input.analysis), job)
write_json(sm.output.fit, [res.to_dict() for res in results])
for res in results:
    log.info("%s / %s: %s, N=%d, %s", res.model, res.outcome, res.estimator, res.nobs, res.cov_type)
    # A dropped term is reported, not hidden: estimates.csv gets a row and the table a note.
    for term, partners in res.dropped_terms().items():
        log.warning("%s / %s: %s", res.model, res.outcome, dropped_note(term, partners))

"""Snakemake script: the pre-model check (results/check/check.md), stopping a run that would
let a city drop out of a model silently."""

from chainpb.memo import Memo

# Inputs, parameters and code those of the run that wrote the results: restore them before any
# heavy import (chainpb.memo; a codebook edit that changes no code refits nothing).
memo = Memo(snakemake)  # noqa: F821 — injected by Snakemake
if memo.restored():
    raise SystemExit(0)

import pandas as pd

from chainpb import check
from chainpb.atomic import write_csv, write_text
from chainpb.models import model_jobs
from chainpb.runlog import script_logger

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

cities = sm.params.cities
keys = list(cities)
reports = dict(zip(keys, check.read_reports(sm.input.reports), strict=True))
policies = {k: pd.read_parquet(p) for k, p in zip(keys, sm.input.policies, strict=True)}
rejects = pd.read_csv(sm.input.rejects, encoding="utf-8-sig", dtype=str, keep_default_na=False)
analysis = pd.read_parquet(sm.input.analysis)

overview = check.city_overview(cities, reports, policies)
unmatched = check.unmatched_values(rejects)
samples = check.mark_allowed(
    check.model_city_samples(analysis, model_jobs(sm.params.models), keys), sm.params.models
)
page = check.report_markdown(
    overview, unmatched, samples, {k: r["unmapped_columns"] for k, r in reports.items()}
)
# The page goes to the log too: when the check stops the run, Snakemake removes its outputs,
# and the researcher still needs to read it.
log.info("\n%s", page)
check.stop_on_dropped_cities(samples, {k: c["name"] for k, c in cities.items()})
write_text(sm.output.report, page)
write_csv(sm.output.samples, samples)
write_csv(sm.output.unmatched, unmatched)
for row in check.dropped_cities(samples).itertuples(index=False):
    log.warning(
        "%s 整体退出模型 %s（%s），allow_missing_city: true / %s drops out of %s (%s) as allowed; "
        "lacking: %s",
        row.city_key,
        row.model,
        row.outcome,
        row.city_key,
        row.model,
        row.outcome,
        row.missing_variables,
    )
memo.save()

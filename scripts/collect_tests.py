"""Snakemake script: Wald tests of every `tests:` and `compare:` in config → tests.csv."""

from chainpb.memo import Memo

# Inputs, parameters and code those of the run that wrote the results: restore them before any
# heavy import (chainpb.memo; a codebook edit that changes no code refits nothing).
memo = Memo(snakemake)  # noqa: F821 — injected by Snakemake
if memo.restored():
    raise SystemExit(0)

import json

from chainpb.atomic import write_csv
from chainpb.models import FitResult, collect_tests, read_fits
from chainpb.runlog import script_logger

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

with open(sm.input.comparisons, encoding="utf-8") as fh:
    comparisons = [FitResult.from_dict(d) for d in json.load(fh)]
tests = collect_tests(read_fits(sm.input.fits), comparisons, sm.params.models)
write_csv(sm.output.tests, tests)
log.info("检验 tests: %d 行 rows", len(tests))
# A test that could not be done is a row with the reason; say so in the log as well.
for row in tests[tests["statistic"].isna()].itertuples():
    log.warning("%s / %s: %s — %s", row.model, row.outcome, row.test, row.note)
memo.save()

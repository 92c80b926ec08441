"""Snakemake script: draw the stratified hand-coding sample and write the coders' sheet + key."""

from chainpb.atomic import write_csv
from chainpb.runlog import script_logger
from chainpb.text.codebook import load_codebook
from chainpb.text.handcoding_sheet import (
    draw_sample,
    key_table,
    read_pooled_units,
    write_coding_sheet,
)

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

codebook = load_codebook(sm.input.codebook)
units = read_pooled_units(
    list(sm.params.cities),
    list(sm.input.answer_units),
    list(sm.input.policy_units),
    list(sm.input.surveys),
    list(sm.input.policies),
)
sample, allocation = draw_sample(
    units, int(sm.params.sample_size), int(sm.params.min_per_stratum), int(sm.params.seed)
)
write_coding_sheet(sm.output.sheet, sample, codebook, int(sm.params.seed))
write_csv(sm.output.key, key_table(sample))
for row in allocation.itertuples(index=False):
    log.info(
        "层 stratum %s: %d 个单元 units, 抽取 sampled %d", row.stratum, row.n_units, row.n_sampled
    )
log.info(
    "共抽取 %d 个单元（目标 %d，每层至少 %d，种子 %d），来自 %d 个单元；码本 %s / "
    "sampled %d units (target %d, at least %d per stratum, seed %d) of %d; codebook %s",
    len(sample),
    sm.params.sample_size,
    sm.params.min_per_stratum,
    sm.params.seed,
    len(units),
    codebook.hash,
    len(sample),
    sm.params.sample_size,
    sm.params.min_per_stratum,
    sm.params.seed,
    len(units),
    codebook.hash,
)
if len(sample) > int(sm.params.sample_size):
    log.warning(
        "各层最少单元数之和超过了样本量，样本比要求的大 / the per-stratum minimums add up to "
        "more than the sample size, so the sample is larger than asked for"
    )

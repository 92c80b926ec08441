"""Snakemake script: simple slopes of one moderation model."""

from chainpb.memo import Memo

# Inputs, parameters and code those of the run that wrote the results: restore them before any
# heavy import (chainpb.memo; a codebook edit that changes no code refits nothing).
memo = Memo(snakemake)  # noqa: F821 — injected by Snakemake
if memo.restored():
    raise SystemExit(0)

from matplotlib import pyplot as plt

from chainpb.atomic import save_figure
from chainpb.present.build import (
    mark_simulated_figure,
    moderation_fits,
    read_fits,
    simulated_input,
)
from chainpb.present.figures import plot_simple_slopes
from chainpb.runlog import script_logger

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

fit = moderation_fits(read_fits([sm.input.fit]))[0]
fig = plot_simple_slopes(fit, labels=sm.params.labels, language=sm.params.language)
if simulated_input(sm.input.reports):
    mark_simulated_figure(fig)
save_figure(fig, [sm.output.png, sm.output.pdf])
plt.close(fig)
log.info("简单斜率 simple slopes: %s / %s", fit.model, fit.outcome)
memo.save()

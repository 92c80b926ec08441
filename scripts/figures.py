"""Snakemake script: the paper's figures as PNG (300 dpi) and PDF."""

from chainpb.memo import Memo

# Inputs, parameters and code those of the run that wrote the results: restore them before any
# heavy import (chainpb.memo; a codebook edit that changes no code refits nothing).
memo = Memo(snakemake)  # noqa: F821 — injected by Snakemake
if memo.restored():
    raise SystemExit(0)

import pandas as pd
from matplotlib import pyplot as plt

from chainpb.atomic import save_figure
from chainpb.present.build import (
    figures_for_paper,
    mark_simulated_figure,
    paper_config,
    read_fits,
    simulated_input,
)
from chainpb.runlog import script_logger

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])


def csv(path):
    return pd.read_csv(path, encoding="utf-8-sig")


figures = figures_for_paper(
    firm_difficulty=pd.concat([pd.read_parquet(p) for p in sm.input.firm_difficulty]),
    policy_themes=pd.concat([pd.read_parquet(p) for p in sm.input.policy_themes]),
    cooccurrence=csv(sm.input.cooccurrence),
    kwic=csv(sm.input.kwic),
    reliability=csv(sm.input.reliability),
    analysis=pd.read_parquet(sm.input.analysis),
    fits=read_fits(sm.input.fits),
    agreement=csv(sm.input.agreement),
    config=paper_config(sm.params),
)
simulated = simulated_input(sm.input.reports)
for name, fig in figures.items():
    if simulated:
        mark_simulated_figure(fig)
    save_figure(fig, [sm.output[f"{name}_png"], sm.output[f"{name}_pdf"]])
    plt.close(fig)
    log.info("图 figure: %s", name)
memo.save()

"""Snakemake script: codebook, supervised coder and hybrid against the hand-coded gold units."""

import pandas as pd

from chainpb.runlog import script_logger
from chainpb.text.codebook import load_codebook
from chainpb.text.segment import Segmenter
from chainpb.text.stage import validate_codebook
from chainpb.text.validation import read_golds

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

gold = read_golds(sm.input.gold)
codebook = load_codebook(sm.input.codebook)
segmenter = Segmenter(
    sm.params.cache_dir, sm.input.user_dict, sm.input.stopwords, backend=sm.params.segmenter
)
result = validate_codebook(
    gold,
    codebook,
    segmenter,
    pd.read_parquet(sm.input.supervised),
    context=sm.params.context,
    hybrid_min_probability=sm.params.hybrid_min_probability,
)
result.write(sm.output.agreement, sm.output.disagreements, sm.output.supervised)
log.info(
    "金标准 gold: %d units from %d files (%s)",
    len(gold),
    gold["gold_file"].nunique(),
    gold.groupby(["source", "split"]).size().to_dict(),
)
macro = result.agreement[result.agreement["category"] == "macro"]
for row in macro.itertuples(index=False):
    log.info(
        "%s [%s/%s]: macro P=%.3f R=%.3f F1=%.3f (n=%d, codebook %s)",
        row.comparison,
        row.split,
        row.source,
        row.precision,
        row.recall,
        row.f1,
        row.n,
        codebook.hash,
    )

"""Snakemake script: codebook and supervised coder against the hand-coded gold sample."""

from chainpb.runlog import script_logger
from chainpb.text.codebook import load_codebook
from chainpb.text.segment import Segmenter
from chainpb.text.stage import validate_codebook
from chainpb.text.validation import read_gold

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

gold = read_gold(sm.input.gold)
codebook = load_codebook(sm.input.codebook)
segmenter = Segmenter(sm.params.cache_dir, sm.input.user_dict, sm.input.stopwords)
result = validate_codebook(gold, codebook, segmenter, sm.params.seed)
result.write(sm.output.agreement, sm.output.disagreements, sm.output.supervised)
macro = result.agreement[result.agreement["category"] == "macro"]
for row in macro.itertuples(index=False):
    log.info(
        "%s: macro P=%.3f R=%.3f F1=%.3f (n=%d gold units, codebook %s)",
        row.comparison,
        row.precision,
        row.recall,
        row.f1,
        len(gold),
        codebook.hash,
    )

"""Snakemake script: the supervised coder's out-of-fold codes of the gold units (no codebook)."""

from chainpb.atomic import write_parquet
from chainpb.runlog import script_logger
from chainpb.text.segment import Segmenter
from chainpb.text.stage import gold_out_of_fold
from chainpb.text.supervised import load_coder
from chainpb.text.validation import read_golds

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

gold = read_golds(sm.input.gold)
segmenter = Segmenter(
    sm.params.cache_dir, sm.input.user_dict, sm.input.stopwords, backend=sm.params.segmenter
)
predictions = gold_out_of_fold(
    gold,
    segmenter,
    sm.params.seed,
    cv_folds=sm.params.cv_folds,
    coder=load_coder(sm.input.coder),
)
write_parquet(sm.output.predictions, predictions)
log.info(
    "金标准 gold: %d units from %d files; 机器编码 supervised: %s",
    len(gold),
    gold["gold_file"].nunique(),
    predictions["prediction"].value_counts().sort_index().to_dict(),
)

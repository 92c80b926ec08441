"""Snakemake script: fit the supervised coder once on the gold units (the codebook plays no part)."""

from chainpb.runlog import script_logger
from chainpb.text.segment import Segmenter
from chainpb.text.stage import supervised_coder
from chainpb.text.supervised import save_coder
from chainpb.text.validation import read_golds

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

gold = read_golds(sm.input.gold)
segmenter = Segmenter(
    sm.params.cache_dir, sm.input.user_dict, sm.input.stopwords, backend=sm.params.segmenter
)
coder = supervised_coder(gold, segmenter, sm.params.seed, cv_folds=sm.params.cv_folds)
save_coder(sm.output.coder, coder)
n_test = int((gold["split"] == "test").sum())
log.info(
    "机器编码器 supervised coder: trained on %d gold units (%d test units left out)",
    len(gold) - n_test,
    n_test,
)
for row in coder.summary().itertuples(index=False):
    log.info(
        "%s: 阈值 threshold=%.2f, 校准 calibrated=%s, 交叉验证 cv F1=%.3f",
        row.category,
        row.threshold,
        row.calibrated,
        row.cv_f1,
    )

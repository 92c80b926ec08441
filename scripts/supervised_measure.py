"""Snakemake script: the supervised coder's and the hybrid's difficulty codes for one city's firms."""

import pandas as pd

from chainpb.atomic import write_parquet
from chainpb.runlog import script_logger
from chainpb.text.segment import Segmenter
from chainpb.text.stage import supervised_measure
from chainpb.text.validation import read_golds

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

gold = read_golds(sm.input.gold)
segmenter = Segmenter(
    sm.params.cache_dir, sm.input.user_dict, sm.input.stopwords, backend=sm.params.segmenter
)
measure, coder = supervised_measure(
    gold,
    pd.read_parquet(sm.input.survey),
    pd.read_parquet(sm.input.answer_tokens),
    pd.read_parquet(sm.input.firm_difficulty),
    segmenter,
    sm.params.seed,
    answer_hits=pd.read_parquet(sm.input.answer_hits),
    cv_folds=sm.params.cv_folds,
    hybrid_min_probability=sm.params.hybrid_min_probability,
)
write_parquet(sm.output.measure, measure)
n_test = int((gold["split"] == "test").sum())
log.info(
    "%s: 机器编码 supervised codes for %d firms; trained on %d gold units (%d test units left out)",
    sm.wildcards.city,
    len(measure),
    len(gold) - n_test,
    n_test,
)
for row in coder.itertuples(index=False):
    log.info(
        "%s: 阈值 threshold=%.2f, 校准 calibrated=%s, 交叉验证 cv F1=%.3f",
        row.category,
        row.threshold,
        row.calibrated,
        row.cv_f1,
    )

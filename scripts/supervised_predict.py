"""Snakemake script: the stored supervised coder's codes and probabilities for one city's firms."""

import pandas as pd

from chainpb.atomic import write_parquet
from chainpb.runlog import script_logger
from chainpb.text.stage import supervised_predictions
from chainpb.text.supervised import load_coder

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

predictions = supervised_predictions(
    load_coder(sm.input.coder),
    pd.read_parquet(sm.input.survey),
    pd.read_parquet(sm.input.answer_tokens),
)
write_parquet(sm.output.predictions, predictions)
log.info(
    "%s: 机器编码预测 supervised predictions for %d firms (%d with an answer)",
    sm.wildcards.city,
    len(predictions),
    int(predictions.filter(like="p_").notna().any(axis=1).sum()),
)

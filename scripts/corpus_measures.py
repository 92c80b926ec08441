"""Snakemake script: one corpus's measures per document, per group and over time (per 10,000
characters, with document counts), and its KWIC concordance."""

import pandas as pd

from chainpb.atomic import write_csv
from chainpb.corpora import corpus_kwic, document_measures, group_measures, time_measures
from chainpb.runlog import script_logger

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

documents = pd.read_parquet(sm.input.table)
hits = pd.read_parquet(sm.input.hits)
per_doc = document_measures(documents, hits)
write_csv(sm.output.documents, per_doc)
write_csv(sm.output.groups, group_measures(per_doc, sm.params.group_by))
write_csv(sm.output.over_time, time_measures(per_doc, by_group=sm.params.by_group))
write_csv(sm.output.kwic, corpus_kwic(documents, hits))
undated = int(documents["year"].isna().sum())
if undated:
    log.warning(
        "%d 份文档没有可识别的年份，不计入年度表 documents without a year, left out of "
        "over_time.csv: %s",
        undated,
        ", ".join(documents.loc[documents["year"].isna(), "doc_id"].astype(str)),
    )
log.info("%s: %d 份文档 documents, %d 处命中 hits", sm.wildcards.corpus, len(documents), len(hits))

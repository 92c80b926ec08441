"""Snakemake script: read one city's policy texts (.txt any encoding, .docx, .pdf, .html) with the
manifest; clean boilerplate lines and drop duplicate documents (config documents:), writing the
cleaning and deduplication reports beside the table."""

import pandas as pd

from chainpb.atomic import DOCUMENT_ROW_GROUP, write_csv, write_parquet
from chainpb.corpora import city_policies
from chainpb.ingest.documents import CleaningRules, DedupSettings
from chainpb.ingest.policies import PolicyIngest, ingest_policy_folder
from chainpb.runlog import script_logger

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

if sm.params.corpus is not None:
    # The city's documents of a text collection, read, cleaned and deduplicated with it.
    pointer = sm.params.corpus
    table = city_policies(
        pd.read_parquet(sm.input.files[0]),
        city_key=sm.params.city,
        city_name=sm.params.city_name,
        corpus_key=pointer["corpus"],
        where=pointer["where"],
    )
    log.info(
        "%s：政策文本取自文本集 %s（%s），清理与去重见 results/corpora/%s/ingest/。/ policy texts "
        "from the text collection %s; cleaning and deduplication are reported there.",
        sm.params.city,
        pointer["corpus"],
        pointer["where"],
        pointer["corpus"],
        pointer["corpus"],
    )
    empty = PolicyIngest.empty()
    result = PolicyIngest(table, empty.cleaning, empty.duplicates)
elif sm.params.folder is None:
    # A city with a survey only: an empty table, shown as "no policy texts" in the text tables.
    log.info(
        "%s：本市未配置政策文本（cities.%s.policies）。/ no policy texts configured for this city.",
        sm.params.city,
        sm.params.city,
    )
    result = PolicyIngest.empty()
else:
    result = ingest_policy_folder(
        sm.params.folder,
        sm.params.city,
        sm.params.city_name,
        CleaningRules.from_config(sm.params.documents["cleaning"]),
        DedupSettings.from_config(sm.params.documents["dedup"]),
    )
    if result.table.empty:
        log.warning(
            "%s：manifest.csv 中没有文件，本市按“无政策文本”处理。/ manifest.csv lists no files; "
            "the city is treated as having no policy texts.",
            sm.params.city,
        )
table = result.table
# Small row groups: the text stage reads a few documents at a time (chainpb.text.stream).
write_parquet(sm.output.policies, table, row_group_rows=DOCUMENT_ROW_GROUP)
write_csv(sm.output.cleaning, result.cleaning)
write_csv(sm.output.dedup, result.duplicates)
log.info(
    "%s: %d 份政策文本 policy documents, %d 字 characters; 清理去除 cleaning removed %d 行 lines; "
    "%d 份重复文档已去除 duplicate documents dropped",
    sm.params.city,
    len(table),
    int(table["n_chars"].sum()),
    result.lines_removed,
    len(result.duplicates),
)

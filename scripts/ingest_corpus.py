"""Snakemake script: read one corpus (a .csv/.xlsx/.jsonl with one document per row), clean
boilerplate lines and drop duplicates (config documents: with the corpus's own settings), writing
the cleaning and deduplication reports beside the documents table."""

from chainpb.atomic import DOCUMENT_ROW_GROUP, write_csv, write_parquet
from chainpb.corpora import ingest_corpus
from chainpb.ingest.documents import CleaningRules, DedupSettings
from chainpb.runlog import script_logger

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

key = sm.params.corpus
result = ingest_corpus(
    sm.input.table,
    key,
    sm.params.columns,
    sheet=sm.params.sheet,
    cleaning=CleaningRules.from_config(
        sm.params.documents["cleaning"], key=f"corpora.{key}.documents.cleaning"
    ),
    dedup=DedupSettings.from_config(sm.params.documents["dedup"]),
)
table = result.table
# Small row groups: the text stage reads a few documents at a time (chainpb.text.stream).
write_parquet(sm.output.documents, table, row_group_rows=DOCUMENT_ROW_GROUP)
write_csv(sm.output.cleaning, result.cleaning)
write_csv(sm.output.dedup, result.duplicates)
totals = result.cleaning[result.cleaning["rule"] == "total"]
log.info(
    "%s: %d 份文档 documents, %d 字 characters, %d 份有年份 with a year; 清理去除 cleaning "
    "removed %d 行 lines; %d 份重复文档已去除 duplicate documents dropped",
    key,
    len(table),
    int(table["n_chars"].sum()),
    int(table["year"].notna().sum()),
    int(totals["lines_removed"].sum()),
    len(result.duplicates),
)

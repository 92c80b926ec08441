"""Snakemake script: read one city's policy texts (.txt any encoding, .docx, .pdf, .html) with the
manifest; clean boilerplate lines and drop duplicate documents (config documents:), writing the
cleaning and deduplication reports beside the table."""

from chainpb.atomic import write_csv, write_parquet
from chainpb.ingest.documents import CleaningRules, DedupSettings
from chainpb.ingest.policies import PolicyIngest, ingest_policy_folder
from chainpb.runlog import script_logger

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

if sm.params.folder is None:
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
write_parquet(sm.output.policies, table)
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

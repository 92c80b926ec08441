"""Snakemake script: read one city's policy texts (.txt any encoding, .docx) with the manifest."""

from chainpb.atomic import write_parquet
from chainpb.ingest import read_policy_folder
from chainpb.ingest.policies import no_policies
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
    table = no_policies()
else:
    table = read_policy_folder(sm.params.folder, sm.params.city, sm.params.city_name)
    if table.empty:
        log.warning(
            "%s：manifest.csv 中没有文件，本市按“无政策文本”处理。/ manifest.csv lists no files; "
            "the city is treated as having no policy texts.",
            sm.params.city,
        )
write_parquet(sm.output.policies, table)
log.info(
    "%s: %d 份政策文本 policy documents, %d 字 characters",
    sm.params.city,
    len(table),
    int(table["n_chars"].sum()),
)

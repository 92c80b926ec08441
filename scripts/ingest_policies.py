"""Snakemake script: read one city's policy texts (.txt any encoding, .docx) with the manifest."""

from chainpb.atomic import write_parquet
from chainpb.ingest import read_policy_folder
from chainpb.runlog import script_logger

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

table = read_policy_folder(sm.params.folder, sm.params.city, sm.params.city_name)
write_parquet(sm.output.policies, table)
log.info(
    "%s: %d 份政策文本 policy documents, %d 字 characters",
    sm.params.city,
    len(table),
    int(table["n_chars"].sum()),
)

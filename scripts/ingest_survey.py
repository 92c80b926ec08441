"""Snakemake script: ingest one city's survey file (validate, de-identify, quarantine bad rows)."""

import os

from chainpb.ingest import IngestOptions, ingest_city_survey, load_hash_key, write_survey_ingest
from chainpb.runlog import script_logger

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

options = IngestOptions.from_config(
    {
        "ingest": sm.params.ingest,
        "scales": sm.params.scales,
        "survey_year": sm.params.survey_year,
        "privacy": sm.params.privacy,
    }
)
key, key_source = load_hash_key(
    sm.params.privacy["hash_key_env"], sm.params.privacy["hash_key_file"], sm.params.is_example
)
log.info("企业编号哈希密钥来源 hash key source: %s", key_source)
survey = sm.input.survey
result = ingest_city_survey(
    survey,
    sm.params.city,
    sm.params.city_name,
    sm.params.column_map,
    options,
    key,
    sheet=sm.params.sheet,
    display_path=os.path.relpath(survey),
)
# ingest_city_survey logs its balance line (raw = accepted + rejected) itself.
write_survey_ingest(result, sm.output.survey, sm.output.rejects)

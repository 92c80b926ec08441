"""Snakemake script: ingest one city's survey file (validate, de-identify, quarantine bad rows)."""

import os

from chainpb.atomic import write_json
from chainpb.ingest import IngestOptions, ingest_city_survey, load_hash_key, write_survey_ingest
from chainpb.ingest.survey import no_survey, survey_report
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
if not sm.input.survey:
    # A city with policy texts only: its survey tables are empty, the text stage runs alone.
    log.info(
        "%s：本市未配置问卷（cities.%s.survey），只处理政策文本。/ no survey configured for this "
        "city; only its policy texts are processed.",
        sm.params.city,
        sm.params.city,
    )
    result = no_survey(sm.params.city, sm.params.city_name)
else:
    key, key_source = load_hash_key(
        sm.params.privacy["hash_key_env"], sm.params.privacy["hash_key_file"], sm.params.is_example
    )
    log.info("企业编号哈希密钥来源 hash key source: %s", key_source)
    survey = sm.input.survey
    # ingest_city_survey logs its balance line (raw = accepted + rejected) itself.
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
write_survey_ingest(result, sm.output.survey, sm.output.rejects)
# `simulated`: the survey file is the bundled example (config is_example); the Word summary
# marks every table and figure from it (模拟数据 / SIMULATED).
write_json(sm.output.report, {**survey_report(result), "simulated": bool(sm.params.is_example)})

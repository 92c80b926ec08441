"""Ingest: raw survey exports and policy texts → the typed, private tables of docs/architecture.md.

Entry points for the workflow scripts:

- :func:`ingest_city_survey` → :class:`SurveyIngest` (accepted table, rejects, counts), written
  with :func:`write_survey_ingest`;
- :func:`read_policy_folder` → the policies table; :func:`pool_tables` pools per-city tables;
- :class:`IngestOptions` from the config; :func:`load_hash_key` for the enterprise-id key.
"""

from chainpb.ingest.encoding import detect_encoding, detect_encoding_bytes, read_text_auto
from chainpb.ingest.options import IngestOptions
from chainpb.ingest.policies import (
    POLICY_COLUMNS,
    read_docx_text,
    read_manifest,
    read_policy_folder,
)
from chainpb.ingest.privacy import DEMO_HASH_KEY, hash_enterprise_id, load_hash_key, mask_pii
from chainpb.ingest.readers import RawSurvey, read_survey_file
from chainpb.ingest.spec import REJECT_COLUMNS, SURVEY_COLUMNS, VARIABLES, VariableSpec
from chainpb.ingest.survey import (
    SurveyIngest,
    ingest_city_survey,
    pool_tables,
    survey_file_is_example,
    write_survey_ingest,
)
from chainpb.ingest.validate import map_columns, validate_rows
from chainpb.ingest.values import Parsed, parse_value

__all__ = [
    "DEMO_HASH_KEY",
    "POLICY_COLUMNS",
    "REJECT_COLUMNS",
    "SURVEY_COLUMNS",
    "VARIABLES",
    "IngestOptions",
    "Parsed",
    "RawSurvey",
    "SurveyIngest",
    "VariableSpec",
    "detect_encoding",
    "detect_encoding_bytes",
    "hash_enterprise_id",
    "ingest_city_survey",
    "load_hash_key",
    "map_columns",
    "mask_pii",
    "parse_value",
    "pool_tables",
    "read_docx_text",
    "read_manifest",
    "read_policy_folder",
    "read_survey_file",
    "read_text_auto",
    "survey_file_is_example",
    "validate_rows",
    "write_survey_ingest",
]

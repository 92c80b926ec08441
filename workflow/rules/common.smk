# Helpers shared by all rule files: config validation, the city table, input functions and
# wildcard constraints. Validation runs when the Snakefile is parsed, before any job.
import os
from pathlib import Path

from chainpb import config as cpconfig

PROJECT = Path(workflow.basedir).resolve()
cpconfig.check_config(
    config,
    cpconfig.load_yaml(PROJECT / "workflow" / "schemas" / "config.schema.yaml"),
    PROJECT,
    source="config/config.yaml",
)
CITIES = cpconfig.cities(config, PROJECT)
CITY_KEYS = list(CITIES)
SOURCES = ["answers", "policies"]
CATEGORIES = ["coverage", "ideology", "effectiveness", "resource"]
TEXT = config["text"]
# text.gold may name one file or a list; rules always see a list.
GOLD_FILES = [TEXT["gold"]] if isinstance(TEXT["gold"], str) else list(TEXT["gold"])


wildcard_constraints:
    city="|".join(CITY_KEYS),
    source="answers|policies",


def city_of(wildcards):
    return CITIES[wildcards.city]


def project_path(path):
    """Relative to the project when inside it, so that moving the project re-runs nothing."""
    rel = os.path.relpath(path, PROJECT)
    return str(path) if rel.startswith("..") else rel


def survey_file(wildcards):
    return project_path(city_of(wildcards).survey)


def policy_files(wildcards):
    """Every file in the city's policy folder, so that editing, adding or removing one re-runs
    ingest — including files the reader skips (.pdf, .doc), whose skipping the log then names.
    Hidden files and Office lock files (~$…) are left out: they come and go as Word opens.
    """
    folder = city_of(wildcards).policies
    if not folder.is_dir():
        return [project_path(folder / "manifest.csv")]
    files = [
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(("~$", "."))
    ]
    return sorted(project_path(p) for p in files)


def ingested(source):
    """Ingested table that holds the texts of one source."""
    return (
        "results/{city}/ingest/"
        + ("survey" if source == "answers" else "policies")
        + ".parquet"
    )


def per_city(pattern, **kwargs):
    return expand(pattern, city=CITY_KEYS, **kwargs)


# Variables of the descriptive-statistics and correlation tables (in this order).
DESCRIPTIVE_VARIABLES = [
    "revenue_growth",
    "employment_growth",
    "rd_intensity",
    "patents",
    "coop_projects",
    "resilience",
    "alliance_member",
    "has_party_org",
    "chain_leader",
    "scale_coverage",
    "scale_ideology",
    "scale_effectiveness",
    "scale_resource",
    "diff_coverage",
    "diff_ideology",
    "diff_effectiveness",
    "diff_resource",
    "log_employees",
    "firm_age",
]


def all_outputs():
    """What `snakemake` builds by default: every table, figure and document of the pipeline."""
    return [
        "results/pooled/rejects.csv",
        "results/analysis/analysis.parquet",
        "results/measures/reliability.csv",
        "results/text/kwic.csv",
        "results/text/validation/agreement.csv",
        "results/models/estimates.csv",
        *PRESENT_OUTPUTS,
        *HANDCODING_OUTPUTS,
    ]


# Provenance for the report's front page (workflow/report/workflow.rst): codebook hash,
# config-file hash and package versions. Set after validation; 由流水线自动填写.
from chainpb.provenance import provenance

config["provenance"] = provenance(config, PROJECT)

# Helpers shared by all rule files: config validation, the city table, input functions and
# wildcard constraints. Validation runs when the Snakefile is parsed, before any job.
from pathlib import Path

from chainpb import config as cpconfig

PROJECT = Path(workflow.basedir)
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


wildcard_constraints:
    city="|".join(CITY_KEYS),
    source="answers|policies",


def city_of(wildcards):
    return CITIES[wildcards.city]


def survey_file(wildcards):
    return str(city_of(wildcards).survey)


def policy_files(wildcards):
    """The manifest and every document in the city's policy folder, so edits re-run ingest."""
    folder = city_of(wildcards).policies
    if not folder.is_dir():
        return [str(folder / "manifest.csv")]
    files = [
        p for p in folder.iterdir() if p.suffix.lower() in {".txt", ".docx", ".csv"}
    ]
    return sorted(str(p) for p in files)


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
    ]

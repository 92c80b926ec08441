# Helpers shared by all rule files: config validation, the city table, input functions and
# wildcard constraints. Validation runs when the Snakefile is parsed, before any job.
import os
from pathlib import Path

from chainpb import config as cpconfig
from chainpb.codehash import SRC_ROOT
from chainpb.snakefile_cache import (
    SnakefileCache,
    checked_config,
    codebook_hash,
    script_code_hashes,
)

PROJECT = Path(workflow.basedir).resolve()
# The config check, the codebook hash and the code hashes below come from .cache/snakefile when
# the files they are computed from have the same bytes (chainpb.snakefile_cache): a no-op run
# does not validate and hash again what has not changed.
SNAKEFILE_CACHE = SnakefileCache(PROJECT, SRC_ROOT)
CODE_HASHES = script_code_hashes(SNAKEFILE_CACHE, PROJECT / "scripts")


def code_of(script):
    """Hash of scripts/<script> and of every chainpb module it imports (chainpb.codehash):
    a rule parameter, so an upgrade of the library reruns exactly the jobs whose code changed.
    """
    return CODE_HASHES[script]


checked_config(
    SNAKEFILE_CACHE,
    config,
    PROJECT / "workflow" / "schemas" / "config.schema.yaml",
    source="config/config.yaml",
)
CITIES = cpconfig.cities(config, PROJECT)
# Derived variables (config derive:): grammar checked now, before any job; their label/label_en
# join `labels` here, once, so every rule's labels param (tables, figures) carries them.
from chainpb.labels import CATEGORIES, labels_with_derived
from chainpb.measures.derive import parse_derive

parse_derive(config["derive"])
# heterogeneity: on a model becomes its subgroup models (<model>_het1, …) here, once, so that
# every rule (fits, check, tables, export) sees them as ordinary models.
from chainpb.models.spec import expand_heterogeneity

config["models"] = expand_heterogeneity(config["models"])
config["labels"] = labels_with_derived(config["labels"], config["derive"])
CITY_KEYS = list(CITIES)
# Display names, the only part of the city table the present stage needs.
CITY_NAMES = {k: {"name": c.name, "name_en": c.name_en} for k, c in CITIES.items()}
SOURCES = ["answers", "policies"]
TEXT = config["text"]
# text.gold may name one file or a list; rules always see a list.
GOLD_FILES = [TEXT["gold"]] if isinstance(TEXT["gold"], str) else list(TEXT["gold"])
# The codebook is an ancient() input (its file date is ignored) of every rule that reads it,
# with its semantic hash as a parameter: a comment or layout edit reruns nothing, a change of
# meaning reruns exactly the rules that read it and what follows (Snakemake's params trigger).
CODEBOOK = ancient(TEXT["codebook"])
CODEBOOK_HASH = codebook_hash(SNAKEFILE_CACHE, PROJECT / TEXT["codebook"])


def sharded(path):
    """The file one shard job of the text stage writes: ``path`` itself when `text.shards` is 1,
    else ``<folder>/shards/<name>_<shard><ext>``, joined into ``path`` by a gather rule.
    """
    if TEXT["shards"] == 1:
        return path
    folder, name = os.path.split(path)
    stem, ext = os.path.splitext(name)
    return os.path.join(folder, "shards", f"{stem}_{{shard}}{ext}")


def shard_files(path):
    """Input function: every shard's file of ``path``, in shard order."""
    return lambda wc: [
        sharded(path).format(shard=k, **dict(wc.items())) for k in range(TEXT["shards"])
    ]


def shard_number(wildcards):
    return int(wildcards.get("shard", 0))


wildcard_constraints:
    city="|".join(CITY_KEYS),
    source="answers|policies",
    shard=r"\d+",


def city_of(wildcards):
    return CITIES[wildcards.city]


def project_path(path):
    """Relative to the project when inside it, so that moving the project re-runs nothing."""
    rel = os.path.relpath(path, PROJECT)
    return str(path) if rel.startswith("..") else rel


def city_settings(wildcards):
    """One city's effective ingest and scale settings (global block + the city's own)."""
    return cpconfig.city_settings(config, wildcards.city)


def survey_file(wildcards):
    """The city's survey file; none for a city with policy texts only."""
    survey = city_of(wildcards).survey
    return [] if survey is None else project_path(survey)


def policy_folder(wildcards):
    folder = city_of(wildcards).policies
    return None if folder is None else project_path(folder)


def policy_corpus(wildcards):
    """{corpus, where} when the city's policy texts are documents of a text collection."""
    return city_of(wildcards).policy_corpus


def policy_files(wildcards):
    """Every file in the city's policy folder, so that editing, adding or removing one re-runs
    ingest — including files the reader skips (.pdf, .doc), whose skipping the log then names.
    Hidden files and Office lock files (~$…) are left out: they come and go as Word opens.
    A city whose texts come from a text collection depends on that collection's documents.
    """
    pointer = city_of(wildcards).policy_corpus
    if pointer is not None:
        return [f"results/corpora/{pointer['corpus']}/ingest/documents.parquet"]
    folder = city_of(wildcards).policies
    if folder is None:
        return []
    if not folder.is_dir():
        return [project_path(folder / "manifest.csv")]
    files = [
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(("~$", "."))
    ]
    return sorted(project_path(p) for p in files)


def check_cities():
    """What the pre-model check shows of each city (name, survey, column map, scale items)."""
    out = {}
    for key, city in CITIES.items():
        out[key] = {
            "name": city.name,
            "survey": "" if city.survey is None else project_path(city.survey),
            "column_map": city.column_map,
            "scales": cpconfig.city_settings(config, key)["scales"],
        }
    return out


def ingested(source):
    """Ingested table that holds the texts of one source."""
    return (
        "results/{city}/ingest/"
        + ("survey" if source == "answers" else "policies")
        + ".parquet"
    )


def per_city(pattern, **kwargs):
    return expand(pattern, city=CITY_KEYS, **kwargs)


def per_source(path):
    """The sharded file of ``path`` for each source of a city, in SOURCES order ({city} and
    {shard} left as wildcards)."""
    return expand(sharded(path), source=SOURCES, allow_missing=True)


# Variables of the descriptive-statistics and correlation tables (config descriptive_variables,
# in this order; derived variables follow in config order). Not set: every numeric column.
DESCRIPTIVE_VARIABLES = (
    None
    if config.get("descriptive_variables") is None
    else list(dict.fromkeys([*config["descriptive_variables"], *config["derive"]]))
)


def all_outputs():
    """What `snakemake` builds by default: every table, figure and document of the pipeline."""
    return [
        "results/pooled/rejects.csv",
        "results/analysis/analysis.parquet",
        "results/measures/reliability.csv",
        "results/text/kwic.csv",
        "results/text/validation/agreement.csv",
        "results/models/estimates.csv",
        "results/models/tests.csv",
        "results/check/check.md",
        *PRESENT_OUTPUTS,
        *HANDCODING_OUTPUTS,
        *EXPORT_OUTPUTS,
        *CORPUS_OUTPUTS,
    ]


# Provenance for the report's front page (workflow/report/workflow.rst): codebook hash,
# config-file hash and package versions. Set after validation; 由流水线自动填写.
from chainpb.provenance import provenance

config["provenance"] = provenance(config, PROJECT, codebook_hash=CODEBOOK_HASH)

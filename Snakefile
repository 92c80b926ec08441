# chainpb — 产业链党建研究流水线
# Entry point: validates the config, includes one rule file per stage, and names the final
# outputs. All logic lives in the library src/chainpb/; rules only wire files to scripts.
from snakemake.utils import min_version

min_version("9.14.8")

from chainpb.config import preflight_configfile

# Our reader first: Snakemake's own gives a raw UnicodeDecodeError or a YAML message
# without a line number (a bilingual ConfigError with the line instead).
preflight_configfile("config/config.yaml")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/ingest.smk"
include: "workflow/rules/text.smk"
include: "workflow/rules/corpora.smk"
include: "workflow/rules/handcoding.smk"
include: "workflow/rules/measures.smk"
include: "workflow/rules/check.smk"
include: "workflow/rules/models.smk"
include: "workflow/rules/present.smk"
include: "workflow/rules/export.smk"


rule all:
    default_target: True
    input:
        all_outputs(),

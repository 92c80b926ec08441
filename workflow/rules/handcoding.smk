# Hand coding of the researcher's own units (NVivo's coding comparison, ATLAS.ti's intercoder
# agreement): a blind, stratified coding sheet; once two or more filled copies are listed in
# `handcoding.returned`, agreement between coders, the codebook against the humans, candidate
# terms for the codebook and a gold file. The report reads the *current* units, so editing the
# codebook and re-running shows at once how the machine fares against the same human codes.
from chainpb.errors import ConfigError

HANDCODING = config["handcoding"]
HANDCODING_SHEET = "results/handcoding/coding_sheet.xlsx"
HANDCODING_REPORT = {
    name: f"results/handcoding/{name}.csv"
    for name in (
        "agreement_human",
        "agreement_machine",
        "disagreements_human",
        "disagreements_machine",
        "candidate_terms",
        "gold",
    )
}
# Built by default: the sheet always, the report once two returned sheets are listed.
HANDCODING_OUTPUTS = [HANDCODING_SHEET] + (
    list(HANDCODING_REPORT.values()) if len(HANDCODING["returned"]) >= 2 else []
)


def handcoding_returned(wildcards):
    returned = HANDCODING["returned"]
    if len(returned) < 2:
        raise ConfigError(
            "handcoding.returned 至少要列出两份填好的编码表，才能计算编码者间一致性。",
            "handcoding.returned must list at least two filled coding sheets to measure "
            "agreement between coders.",
        )
    return [project_path(PROJECT / path) for path in returned]


def handcoding_adjudicated(wildcards):
    path = HANDCODING["adjudicated"]
    return [project_path(PROJECT / path)] if path else []


HANDCODING_UNITS = dict(
    answer_units=per_city("results/{city}/text/units_answers.parquet"),
    policy_units=per_city("results/{city}/text/units_policies.parquet"),
    surveys=per_city("results/{city}/ingest/survey.parquet"),
    policies=per_city("results/{city}/ingest/policies.parquet"),
)


rule handcoding_sheet:
    input:
        **HANDCODING_UNITS,
        codebook=CODEBOOK,
    output:
        sheet=HANDCODING_SHEET,
        key="results/handcoding/sample_key.csv",
    log:
        "logs/handcoding/handcoding_sheet.log",
    params:
        # the library code this script runs: an upgrade reruns exactly what changed
        code=code_of("handcoding_sheet.py"),
        # the codebook's meaning: a comment or layout edit reruns nothing
        codebook_hash=CODEBOOK_HASH,
        cities=CITY_KEYS,
        seed=config["seed"],
        sample_size=HANDCODING["sample_size"],
        min_per_stratum=HANDCODING["min_per_stratum"],
    script:
        "../../scripts/handcoding_sheet.py"


rule handcoding_report:
    input:
        **HANDCODING_UNITS,
        codebook=CODEBOOK,
        returned=handcoding_returned,
        adjudicated=handcoding_adjudicated,
    output:
        agreement_human=report(
            HANDCODING_REPORT["agreement_human"],
            caption="../report/handcoding_agreement_human.rst",
            category="2 文本编码 Text coding",
            subcategory="人工编码 Hand coding",
        ),
        agreement_machine=report(
            HANDCODING_REPORT["agreement_machine"],
            caption="../report/handcoding_agreement_machine.rst",
            category="2 文本编码 Text coding",
            subcategory="人工编码 Hand coding",
        ),
        disagreements_human=report(
            HANDCODING_REPORT["disagreements_human"],
            caption="../report/handcoding_disagreements_human.rst",
            category="2 文本编码 Text coding",
            subcategory="人工编码 Hand coding",
        ),
        disagreements_machine=HANDCODING_REPORT["disagreements_machine"],
        candidate_terms=report(
            HANDCODING_REPORT["candidate_terms"],
            caption="../report/handcoding_candidate_terms.rst",
            category="2 文本编码 Text coding",
            subcategory="人工编码 Hand coding",
        ),
        gold=HANDCODING_REPORT["gold"],
    log:
        "logs/handcoding/handcoding_report.log",
    params:
        # the library code this script runs: an upgrade reruns exactly what changed
        code=code_of("handcoding_report.py"),
        # the codebook's meaning: a comment or layout edit reruns nothing
        codebook_hash=CODEBOOK_HASH,
        cities=CITY_KEYS,
        adjudicated=lambda wc: (
            handcoding_adjudicated(wc)[0] if HANDCODING["adjudicated"] else ""
        ),
    script:
        "../../scripts/handcoding_report.py"

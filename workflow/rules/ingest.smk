# Stage 1 — ingest: raw survey files and policy texts → validated, de-identified tables.


rule ingest_survey:
    input:
        survey=survey_file,
    output:
        survey="results/{city}/ingest/survey.parquet",
        rejects="results/{city}/ingest/rejects.csv",
        # rows, accepted, rejected and unmapped columns, for the pre-model check
        report="results/{city}/ingest/survey_report.json",
    log:
        "logs/{city}/ingest_survey.log",
    benchmark:
        "benchmarks/out/{city}/ingest_survey.tsv"
    params:
        # the library code this script runs: an upgrade reruns exactly what changed
        code=code_of("ingest_survey.py"),
        city=lambda wc: wc.city,
        city_name=lambda wc: city_of(wc).name,
        column_map=lambda wc: city_of(wc).column_map,
        sheet=lambda wc: city_of(wc).sheet,
        is_example=lambda wc: city_of(wc).is_example,
        # Only this city's effective settings: editing another city's block re-runs nothing here.
        ingest=lambda wc: city_settings(wc)["ingest"],
        scales=lambda wc: city_settings(wc)["scales"],
        survey_year=config["survey_year"],
        privacy=config["privacy"],
    script:
        "../../scripts/ingest_survey.py"


rule ingest_policies:
    input:
        files=policy_files,
    output:
        policies="results/{city}/ingest/policies.parquet",
        # lines removed per document and rule (documents.cleaning), to check nothing of substance went
        cleaning="results/{city}/ingest/cleaning.csv",
        # documents dropped as duplicates of an earlier one (documents.dedup)
        dedup="results/{city}/ingest/dedup.csv",
    log:
        "logs/{city}/ingest_policies.log",
    params:
        # the library code this script runs: an upgrade reruns exactly what changed
        code=code_of("ingest_policies.py"),
        city=lambda wc: wc.city,
        city_name=lambda wc: city_of(wc).name,
        # None: the city has no policy texts (an empty table, "no policy texts" in the tables)
        folder=lambda wc: policy_folder(wc),
        # {corpus, where}: the city's texts are documents of a text collection (corpora:)
        corpus=lambda wc: policy_corpus(wc),
        documents=config["documents"],
    script:
        "../../scripts/ingest_policies.py"


rule pool_ingest:
    input:
        surveys=per_city("results/{city}/ingest/survey.parquet"),
        policies=per_city("results/{city}/ingest/policies.parquet"),
        rejects=per_city("results/{city}/ingest/rejects.csv"),
        reports=per_city("results/{city}/ingest/survey_report.json"),
    output:
        survey="results/pooled/survey.parquet",
        policies="results/pooled/policies.parquet",
        rejects=report(
            "results/pooled/rejects.csv",
            caption="../report/rejects.rst",
            category="1 数据导入 Ingest",
        ),
    log:
        "logs/pooled/pool_ingest.log",
    params:
        # the library code this script runs: an upgrade reruns exactly what changed
        code=code_of("pool_ingest.py"),
    script:
        "../../scripts/pool_ingest.py"

# Stage 1 — ingest: raw survey files and policy texts → validated, de-identified tables.


rule ingest_survey:
    input:
        survey=survey_file,
    output:
        survey="results/{city}/ingest/survey.parquet",
        rejects="results/{city}/ingest/rejects.csv",
    log:
        "logs/{city}/ingest_survey.log",
    benchmark:
        "benchmarks/out/{city}/ingest_survey.tsv"
    params:
        city=lambda wc: wc.city,
        city_name=lambda wc: city_of(wc).name,
        column_map=lambda wc: city_of(wc).column_map,
        sheet=lambda wc: city_of(wc).sheet,
        is_example=lambda wc: city_of(wc).is_example,
        ingest=config["ingest"],
        scales=config["scales"],
        survey_year=config["survey_year"],
        privacy=config["privacy"],
    script:
        "../../scripts/ingest_survey.py"


rule ingest_policies:
    input:
        files=policy_files,
    output:
        policies="results/{city}/ingest/policies.parquet",
    log:
        "logs/{city}/ingest_policies.log",
    params:
        city=lambda wc: wc.city,
        city_name=lambda wc: city_of(wc).name,
        folder=lambda wc: project_path(city_of(wc).policies),
    script:
        "../../scripts/ingest_policies.py"


rule pool_ingest:
    input:
        surveys=per_city("results/{city}/ingest/survey.parquet"),
        policies=per_city("results/{city}/ingest/policies.parquet"),
        rejects=per_city("results/{city}/ingest/rejects.csv"),
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
    script:
        "../../scripts/pool_ingest.py"

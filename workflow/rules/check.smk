# The pre-model check (数据核查): per city, what ingest read and rejected, the scale items, the
# policy texts; per model, outcome and city, the rows kept. Each fit job applies the check's stop
# (a city dropping out of a model) to its own models before fitting; no estimate leaves the fits
# before this whole check has passed (collect_estimates and collect_tests take its output).
# `snakemake --cores 1 check` runs it and what it needs alone.


rule check:
    input:
        reports=per_city("results/{city}/ingest/survey_report.json"),
        rejects="results/pooled/rejects.csv",
        policies=per_city("results/{city}/ingest/policies.parquet"),
        analysis="results/analysis/analysis.parquet",
    output:
        report=report(
            "results/check/check.md",
            caption="../report/check.rst",
            category="1 数据导入 Ingest",
        ),
        samples="results/check/model_samples.csv",
        unmatched="results/check/unmatched_values.csv",
    log:
        "logs/check/check.log",
    params:
        # the library code this script runs: an upgrade reruns exactly what changed
        code=code_of("check.py"),
        cities=check_cities(),
        models=config["models"],
    script:
        "../../scripts/check.py"

# Stage 5 — models: one job per (model, outcome), declared in config `models:`.
from chainpb.models import comparison_jobs, model_jobs
from chainpb.models.spec import fitting_config

MODEL_JOBS = {job.key: job for job in model_jobs(config["models"])}
# The models paired by a `compare:` key: only their specs reach the pooled-regression job.
COMPARED_MODELS = sorted(
    {name for c in comparison_jobs(config["models"]) for name in (c.model, c.other)}
)


wildcard_constraints:
    job="|".join(MODEL_JOBS) or "NO_MODELS",


def base_spec(wildcards):
    """Only this job's own spec, so that editing one model re-runs only its jobs (and editing
    its `tests:` or `compare:` re-runs none: tests are computed from the stored fits).
    """
    name = MODEL_JOBS[wildcards.job].model.split("__")[0]
    return {name: fitting_config(config["models"][name])}


rule fit_model:
    input:
        analysis="results/analysis/analysis.parquet",
        # No model is fitted before the check has run (a city dropping out stops the run).
        check="results/check/model_samples.csv",
    output:
        fit="results/models/fits/{job}.json",
    log:
        "logs/models/{job}.log",
    benchmark:
        "benchmarks/out/models/{job}.tsv"
    params:
        # the library code this script runs: an upgrade reruns exactly what changed
        code=code_of("fit_model.py"),
        models=base_spec,
    script:
        "../../scripts/fit_model.py"


rule collect_estimates:
    input:
        fits=expand("results/models/fits/{job}.json", job=sorted(MODEL_JOBS)),
    output:
        estimates=report(
            "results/models/estimates.csv",
            caption="../report/estimates.rst",
            category="4 回归模型 Models",
        ),
        specs="results/models/specs.json",
    log:
        "logs/models/collect_estimates.log",
    params:
        # the library code this script runs: an upgrade reruns exactly what changed
        code=code_of("collect_estimates.py"),
    script:
        "../../scripts/collect_estimates.py"


# One job for every `compare:` (pooled, fully interacted regressions), one for the tests.
rule fit_comparisons:
    input:
        analysis="results/analysis/analysis.parquet",
        # As fit_model: nothing is fitted before the data check has run.
        check="results/check/model_samples.csv",
    output:
        fits="results/models/comparisons.json",
    log:
        "logs/models/fit_comparisons.log",
    benchmark:
        "benchmarks/out/models/fit_comparisons.tsv"
    params:
        # the library code this script runs: an upgrade reruns exactly what changed
        code=code_of("fit_comparisons.py"),
        models={
            name: fitting_config(config["models"][name], keep_compare=True)
            for name in COMPARED_MODELS
        },
    script:
        "../../scripts/fit_comparisons.py"


rule collect_tests:
    input:
        fits=expand("results/models/fits/{job}.json", job=sorted(MODEL_JOBS)),
        comparisons="results/models/comparisons.json",
    output:
        tests=report(
            "results/models/tests.csv",
            caption="../report/tests.rst",
            category="4 回归模型 Models",
        ),
    log:
        "logs/models/collect_tests.log",
    params:
        # the library code this script runs: an upgrade reruns exactly what changed
        code=code_of("collect_tests.py"),
        models=config["models"],
    script:
        "../../scripts/collect_tests.py"

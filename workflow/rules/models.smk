# Stage 5 — models: one job per (model, outcome), declared in config `models:`.
from chainpb.models import model_jobs

MODEL_JOBS = {job.key: job for job in model_jobs(config["models"])}


wildcard_constraints:
    job="|".join(MODEL_JOBS) or "NO_MODELS",


def base_spec(wildcards):
    """Only this job's own spec, so that editing one model re-runs only its jobs."""
    name = MODEL_JOBS[wildcards.job].model.split("__")[0]
    return {name: config["models"][name]}


rule fit_model:
    input:
        analysis="results/analysis/analysis.parquet",
    output:
        fit="results/models/fits/{job}.json",
    log:
        "logs/models/{job}.log",
    benchmark:
        "benchmarks/out/models/{job}.tsv"
    params:
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
    script:
        "../../scripts/collect_estimates.py"

# Stage 5 — models: one fit file per (model, outcome), declared in config `models:`; config
# `model_jobs` decides how many fits one Snakemake job runs: `family` (default) one job per
# estimator family (fit_ols, fit_logit, …, fit_mediation), `model` one job per (model, outcome)
# (rule fit_model).
from chainpb.models import comparison_jobs, model_jobs
from chainpb.models.groups import fit_groups, group_fitting_config, rule_name
from chainpb.models.spec import fitting_config

MODEL_JOBS = {job.key: job for job in model_jobs(config["models"])}
FIT_GROUPS = fit_groups(config["models"], config["model_jobs"])
# City key → display name: the fit jobs' own check names a city that would drop out.
FIT_CITIES = {key: names["name"] for key, names in CITY_NAMES.items()}
# The models paired by a `compare:` key: only their specs reach the pooled-regression job.
COMPARED_MODELS = sorted(
    {name for c in comparison_jobs(config["models"]) for name in (c.model, c.other)}
)


wildcard_constraints:
    job="|".join(MODEL_JOBS) or "NO_MODELS",


def base_spec(wildcards):
    """Only this job's own model, so that editing one model re-runs only its jobs (and editing
    its `tests:` or `compare:` re-runs none: tests are computed from the stored fits).
    """
    return group_fitting_config(config["models"], [MODEL_JOBS[wildcards.job]])


if config["model_jobs"] == "model":

    rule fit_model:
        input:
            # Not the check's output: the check reruns on every model edit (it reads all specs)
            # and would rerun every fit with it. The job runs the check's stop for its own
            # models before fitting (a city dropping out); estimates wait for the full check.
            analysis="results/analysis/analysis.parquet",
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
            cities=FIT_CITIES,
        script:
            "../../scripts/fit_model.py"

else:
    # One rule per estimator family, each writing the fit files of its jobs. Its params are
    # the specs of exactly its models, so editing one model re-runs only its family.
    for _group, _jobs in FIT_GROUPS.items():

        rule:
            name:
                rule_name(_group)
            input:
                # As fit_model: the job checks its own models (not the check's output).
                analysis="results/analysis/analysis.parquet",
            output:
                [f"results/models/fits/{job.key}.json" for job in _jobs],
            log:
                f"logs/models/{rule_name(_group)}.log",
            benchmark:
                f"benchmarks/out/models/{rule_name(_group)}.tsv"
            params:
                # the library code this script runs: an upgrade reruns exactly what changed
                code=code_of("fit_model.py"),
                models=group_fitting_config(config["models"], _jobs),
                cities=FIT_CITIES,
            script:
                "../../scripts/fit_model.py"


rule collect_estimates:
    input:
        fits=expand("results/models/fits/{job}.json", job=sorted(MODEL_JOBS)),
        # No estimate leaves the fits before the whole data check has passed.
        check="results/check/model_samples.csv",
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
        # Nothing is fitted before the data check has run (a city dropping out stops the run).
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
        # As collect_estimates: only after the whole data check has passed.
        check="results/check/model_samples.csv",
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

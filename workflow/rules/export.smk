# Stage 7 — export: the analysis table for Stata (.dta) and SPSS (.sav) with Chinese variable
# and value labels, and a Stata do-file that refits every model of specs.json from the .dta.

EXPORT_OUTPUTS = [
    "results/export/analysis.dta",
    "results/export/analysis.sav",
    "results/export/models.do",
]


rule export_stata:
    input:
        analysis="results/analysis/analysis.parquet",
        specs="results/models/specs.json",
    output:
        dta="results/export/analysis.dta",
        sav="results/export/analysis.sav",
        dofile="results/export/models.do",
    log:
        "logs/export/export_stata.log",
    benchmark:
        "benchmarks/out/export/export_stata.tsv"
    params:
        # the library code this script runs: an upgrade reruns exactly what changed
        code=code_of("export_stata.py"),
        labels=config["labels"],
        cities=CITY_NAMES,
        categories=config["ingest"].get("categories", {}),
        language=config["language"],
    script:
        "../../scripts/export_stata.py"

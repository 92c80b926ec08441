# Stage 4 — measures: the pooled analysis table, scale scores, reliability and validity.


rule analysis_table:
    input:
        survey="results/pooled/survey.parquet",
        firm_difficulty=per_city("results/{city}/text/firm_difficulty.parquet"),
        supervised=per_city("results/{city}/text/firm_difficulty_supervised.parquet"),
        policy_themes=per_city("results/{city}/text/policy_themes.parquet"),
    output:
        parquet="results/analysis/analysis.parquet",
        csv="results/analysis/analysis.csv",
    log:
        "logs/analysis/analysis_table.log",
    params:
        # the library code this script runs: an upgrade reruns exactly what changed
        code=code_of("analysis_table.py"),
        # Each city's effective scales: its own items (cities.<key>.scales) score its firms.
        scales={
            city: cpconfig.city_settings(config, city)["scales"] for city in CITY_KEYS
        },
        survey_year=config["survey_year"],
        min_items=config["min_scale_items"],
        measure=TEXT["measure"],
        derive=config.get("derive", {}),
    script:
        "../../scripts/analysis_table.py"


MEASURE_TABLES = [
    "reliability",
    "items",
    "efa_loadings",
    "efa_variance",
    "sampling_adequacy",
    "fornell_larcker",
    "descriptives",
    "correlations",
    "correlations_r",
    "correlations_p",
]


rule scale_validity:
    input:
        analysis="results/analysis/analysis.parquet",
    output:
        **{
            f"{name}_table": (
                report(
                    f"results/measures/{name}.csv",
                    caption=f"../report/measures_{name}.rst",
                    category="3 量表与描述统计 Measures",
                )
                if name
                in (
                    "reliability",
                    "items",
                    "efa_loadings",
                    "descriptives",
                    "correlations",
                )
                else f"results/measures/{name}.csv"
            )
            for name in MEASURE_TABLES
        },
    log:
        "logs/measures/scale_validity.log",
    params:
        # the library code this script runs: an upgrade reruns exactly what changed
        code=code_of("scale_validity.py"),
        # Per city: reliability per city on its own items and pooled over the common items.
        scales={
            city: cpconfig.city_settings(config, city)["scales"] for city in CITY_KEYS
        },
        # No labels or language: the tables hold keys, labelled in present/ (a language
        # switch re-runs the present stage only).
        min_items=config["min_scale_items"],
        variables=DESCRIPTIVE_VARIABLES,
    script:
        "../../scripts/scale_validity.py"

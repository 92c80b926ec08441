# Stage 6 — present: figures (PNG 300 dpi + PDF), journal tables (Word, LaTeX, HTML), the Word
# summary. Every figure and table is in the `snakemake --report` HTML report with a caption.
from chainpb.present.build import FIGURE_CAPTIONS

FIGURES = list(FIGURE_CAPTIONS)
MODERATION_JOBS = [
    key
    for key, job in MODEL_JOBS.items()
    if job.spec.interactions and job.spec.type != "mediation"
]
TABLES = [
    "descriptives",
    "correlations",
    "reliability",
    "baseline_regression",
    "robustness",
    "heterogeneity",
    "moderation",
    "mechanism",
]
PRESENT_OUTPUTS = [
    *expand("results/figures/{figure}.{ext}", figure=FIGURES, ext=["png", "pdf"]),
    *expand(
        "results/figures/simple_slopes_{job}.{ext}",
        job=MODERATION_JOBS,
        ext=["png", "pdf"],
    ),
    *expand("results/tables/{table}.{ext}", table=TABLES, ext=["docx", "tex", "html"]),
    "results/summary.docx",
]


rule figures:
    input:
        firm_difficulty=per_city("results/{city}/text/firm_difficulty.parquet"),
        policy_themes=per_city("results/{city}/text/policy_themes.parquet"),
        cooccurrence="results/text/cooccurrence.csv",
        kwic="results/text/kwic.csv",
        reliability="results/measures/reliability.csv",
        analysis="results/analysis/analysis.parquet",
        estimates="results/models/estimates.csv",
        agreement="results/text/validation/agreement.csv",
    output:
        **{
            f"{figure}_png": report(
                f"results/figures/{figure}.png",
                caption=f"../report/fig_{figure}.rst",
                category="5 图 Figures",
            )
            for figure in FIGURES
        },
        **{f"{figure}_pdf": f"results/figures/{figure}.pdf" for figure in FIGURES},
    log:
        "logs/present/figures.log",
    benchmark:
        "benchmarks/out/present/figures.tsv"
    params:
        language=config["language"],
        labels=config["labels"],
        cities=CITY_NAMES,
        scales=config["scales"],
        models=config["models"],
        seed=config["seed"],
    script:
        "../../scripts/figures.py"


rule simple_slopes_figure:
    input:
        fit="results/models/fits/{job}.json",
    output:
        png=report(
            "results/figures/simple_slopes_{job}.png",
            caption="../report/fig_simple_slopes.rst",
            category="5 图 Figures",
            subcategory="调节效应 Moderation",
        ),
        pdf="results/figures/simple_slopes_{job}.pdf",
    log:
        "logs/present/simple_slopes_{job}.log",
    params:
        language=config["language"],
        labels=config["labels"],
    script:
        "../../scripts/simple_slopes_figure.py"


rule tables:
    input:
        fits=expand("results/models/fits/{job}.json", job=sorted(MODEL_JOBS)),
        tests="results/models/tests.csv",
        descriptives="results/measures/descriptives.csv",
        correlations_r="results/measures/correlations_r.csv",
        correlations_p="results/measures/correlations_p.csv",
        reliability="results/measures/reliability.csv",
    output:
        **{
            f"{table}_html": report(
                f"results/tables/{table}.html",
                caption=f"../report/table_{table}.rst",
                category="6 表 Tables",
            )
            for table in TABLES
        },
        **{f"{table}_docx": f"results/tables/{table}.docx" for table in TABLES},
        **{f"{table}_tex": f"results/tables/{table}.tex" for table in TABLES},
    log:
        "logs/present/tables.log",
    params:
        language=config["language"],
        labels=config["labels"],
        # display names for the 城市 column of the per-city reliability table
        cities=CITY_NAMES,
        scales=config["scales"],
        models=config["models"],
    script:
        "../../scripts/tables.py"


rule summary_docx:
    input:
        fits=expand("results/models/fits/{job}.json", job=sorted(MODEL_JOBS)),
        descriptives="results/measures/descriptives.csv",
        correlations_r="results/measures/correlations_r.csv",
        correlations_p="results/measures/correlations_p.csv",
        reliability="results/measures/reliability.csv",
        figures=expand("results/figures/{figure}.png", figure=FIGURES),
        slopes=expand("results/figures/simple_slopes_{job}.png", job=MODERATION_JOBS),
        codebook_hash="results/text/codebook_hash.txt",
    output:
        summary=report(
            "results/summary.docx",
            caption="../report/summary.rst",
            category="7 报告 Summary",
        ),
    log:
        "logs/present/summary_docx.log",
    params:
        language=config["language"],
        labels=config["labels"],
        scales=config["scales"],
        models=config["models"],
        cities=CITY_NAMES,
        simulated=all(c.is_example for c in CITIES.values()),
    script:
        "../../scripts/summary_docx.py"

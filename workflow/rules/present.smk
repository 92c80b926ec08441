# Stage 6 — present: figures (PNG 300 dpi + PDF), journal tables (Word, LaTeX, HTML), the Word
# summary. Every figure and table is in the `snakemake --report` HTML report with a caption.
# Which tables exist (and what they show) is the `paper:` section of the config; a model no
# table names gets an automatic table (chainpb.present.paper).
from chainpb.present.paper import figure_keys, resolve_paper

PAPER = resolve_paper(config)
FIGURES = figure_keys(PAPER)
MODERATION_JOBS = [
    key
    for key, job in MODEL_JOBS.items()
    if job.spec.interactions and job.spec.type != "mediation"
]
TABLES = PAPER.table_keys


def table_caption(table):
    """The table's own caption file if there is one, else the generic one of its kind."""
    own = PROJECT / "workflow" / "report" / f"table_{table}.rst"
    kind = PAPER.table(table).kind
    return f"../report/table_{table if own.exists() else f'generic_{kind}'}.rst"


def paper_params():
    return config.get("paper")


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
        # simulated or not, as ingest recorded it: marks every figure and table
        reports=per_city("results/{city}/ingest/survey_report.json"),
        firm_difficulty=per_city("results/{city}/text/firm_difficulty.parquet"),
        policy_themes=per_city("results/{city}/text/policy_themes.parquet"),
        cooccurrence="results/text/cooccurrence.csv",
        kwic="results/text/kwic.csv",
        reliability="results/measures/reliability.csv",
        analysis="results/analysis/analysis.parquet",
        fits=expand("results/models/fits/{job}.json", job=sorted(MODEL_JOBS)),
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
        # the library code this script runs: an upgrade reruns exactly what changed
        code=code_of("figures.py"),
        language=config["language"],
        labels=config["labels"],
        cities=CITY_NAMES,
        scales=config["scales"],
        models=config["models"],
        seed=config["seed"],
        paper=paper_params(),
    script:
        "../../scripts/figures.py"


rule simple_slopes_figure:
    input:
        # simulated or not, as ingest recorded it: marks every figure and table
        reports=per_city("results/{city}/ingest/survey_report.json"),
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
        # the library code this script runs: an upgrade reruns exactly what changed
        code=code_of("simple_slopes_figure.py"),
        language=config["language"],
        labels=config["labels"],
    script:
        "../../scripts/simple_slopes_figure.py"


rule tables:
    input:
        # simulated or not, as ingest recorded it: marks every figure and table
        reports=per_city("results/{city}/ingest/survey_report.json"),
        fits=expand("results/models/fits/{job}.json", job=sorted(MODEL_JOBS)),
        tests="results/models/tests.csv",
        comparisons="results/models/comparisons.json",
        descriptives="results/measures/descriptives.csv",
        correlations_r="results/measures/correlations_r.csv",
        correlations_p="results/measures/correlations_p.csv",
        reliability="results/measures/reliability.csv",
    output:
        **{
            f"{table}_html": report(
                f"results/tables/{table}.html",
                caption=table_caption(table),
                category="6 表 Tables",
            )
            for table in TABLES
        },
        **{f"{table}_docx": f"results/tables/{table}.docx" for table in TABLES},
        **{f"{table}_tex": f"results/tables/{table}.tex" for table in TABLES},
    log:
        "logs/present/tables.log",
    params:
        # the library code this script runs: an upgrade reruns exactly what changed
        code=code_of("tables.py"),
        language=config["language"],
        labels=config["labels"],
        # display names for the 城市 column of the per-city reliability table
        cities=CITY_NAMES,
        scales=config["scales"],
        models=config["models"],
        paper=paper_params(),
    script:
        "../../scripts/tables.py"


rule summary_docx:
    input:
        fits=expand("results/models/fits/{job}.json", job=sorted(MODEL_JOBS)),
        tests="results/models/tests.csv",
        comparisons="results/models/comparisons.json",
        descriptives="results/measures/descriptives.csv",
        correlations_r="results/measures/correlations_r.csv",
        correlations_p="results/measures/correlations_p.csv",
        reliability="results/measures/reliability.csv",
        figures=expand("results/figures/{figure}.png", figure=FIGURES),
        slopes=expand("results/figures/simple_slopes_{job}.png", job=MODERATION_JOBS),
        codebook_hash="results/text/codebook_hash.txt",
        # sample and response rate, and whether the data are simulated (recorded by ingest)
        reports=per_city("results/{city}/ingest/survey_report.json"),
        firm_difficulty=per_city("results/{city}/text/firm_difficulty.parquet"),
        # coding validity (codebook vs hand codes) for the limits section
        agreement="results/text/validation/agreement.csv",
    output:
        summary=report(
            "results/summary.docx",
            caption="../report/summary.rst",
            category="7 报告 Summary",
        ),
    log:
        "logs/present/summary_docx.log",
    params:
        # the library code this script runs: an upgrade reruns exactly what changed
        code=code_of("summary_docx.py"),
        language=config["language"],
        labels=config["labels"],
        scales=config["scales"],
        models=config["models"],
        cities=CITY_NAMES,
        paper=paper_params(),
    script:
        "../../scripts/summary_docx.py"

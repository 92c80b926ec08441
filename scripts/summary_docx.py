"""Snakemake script: the Word summary report (调研分析报告)."""

from chainpb.memo import Memo

# Inputs, parameters and code those of the run that wrote the results: restore them before any
# heavy import (chainpb.memo; a codebook edit that changes no code refits nothing).
memo = Memo(snakemake)  # noqa: F821 — injected by Snakemake
if memo.restored():
    raise SystemExit(0)

import datetime
import os
from pathlib import Path

from chainpb.check import read_reports
from chainpb.present.build import (
    paper_config,
    read_agreement,
    read_comparisons,
    read_firm_difficulty,
    read_fits,
    read_measure_tables,
    read_tests,
    slope_captions,
    summary_sections,
    table_groups,
    tables_for_paper,
    written_summary,
)
from chainpb.present.summary import (
    REPORT_TITLE,
    ReportMeta,
    build_summary_docx,
    format_date,
    report_date,
    simulated_from_reports,
)
from chainpb.present.tables import attach_hypothesis_tests
from chainpb.runlog import script_logger

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

config = paper_config(sm.params)
language = config["language"]
measures = read_measure_tables(
    {k: sm.input[k] for k in ("descriptives", "correlations_r", "correlations_p", "reliability")}
)
fits = attach_hypothesis_tests(read_fits(sm.input.fits), read_tests(sm.input.tests))
tables = tables_for_paper(fits, measures, config, read_comparisons(sm.input.comparisons))
pngs = {Path(p).stem: p for p in [*sm.input.figures, *sm.input.slopes]}
codebook_hash = Path(sm.input.codebook_hash).read_text(encoding="utf-8").strip()
groups = table_groups(fits, config)
captions = slope_captions(config, language)
# Simulated or not is what ingest recorded for each city's survey file (survey_report.json).
reports = read_reports(sm.input.reports)
simulated = simulated_from_reports(reports, list(sm.input.reports))
written = written_summary(
    fits,
    config,
    reports,
    read_firm_difficulty(sm.input.firm_difficulty, list(sm.params.cities)),
    read_agreement(sm.input.agreement),
    simulated,
)
sections = summary_sections(tables, pngs, language, codebook_hash, groups, captions, written)
day = report_date(os.environ, datetime.date.today())
meta = ReportMeta(
    title=REPORT_TITLE[language], date_text=format_date(day, language), simulated=simulated
)
build_summary_docx(sections, sm.output.summary, meta=meta, language=language)
log.info(
    "调研分析报告 summary: %d 节 sections, codebook %s, 模拟数据 simulated=%s",
    len(sections),
    codebook_hash,
    simulated,
)
memo.save()

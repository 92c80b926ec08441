"""Snakemake script: the Word summary report (调研分析报告)."""

from pathlib import Path

from chainpb.present.build import (
    paper_config,
    read_fits,
    read_measure_tables,
    summary_sections,
    tables_for_paper,
)
from chainpb.present.summary import ReportMeta, build_summary_docx
from chainpb.runlog import script_logger

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

config = paper_config(sm.params)
measures = read_measure_tables(
    {k: sm.input[k] for k in ("descriptives", "correlations_r", "correlations_p", "reliability")}
)
tables = tables_for_paper(read_fits(sm.input.fits), measures, config)
pngs = {Path(p).stem: p for p in [*sm.input.figures, *sm.input.slopes]}
codebook_hash = Path(sm.input.codebook_hash).read_text(encoding="utf-8").strip()
sections = summary_sections(tables, pngs, config["language"], codebook_hash)
meta = ReportMeta(simulated=sm.params.simulated)
build_summary_docx(sections, sm.output.summary, meta=meta, language=config["language"])
log.info("调研分析报告 summary: %d 节 sections, codebook %s", len(sections), codebook_hash)

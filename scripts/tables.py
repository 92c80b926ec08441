"""Snakemake script: the journal tables (三线表) of the config's `paper:` section, as Word,
LaTeX and HTML."""

from chainpb.memo import Memo

# Inputs, parameters and code those of the run that wrote the results: restore them before any
# heavy import (chainpb.memo; a codebook edit that changes no code refits nothing).
memo = Memo(snakemake)  # noqa: F821 — injected by Snakemake
if memo.restored():
    raise SystemExit(0)

from chainpb.atomic import write_text
from chainpb.present.build import (
    mark_simulated_table,
    paper_config,
    read_comparisons,
    read_fits,
    read_measure_tables,
    read_tests,
    simulated_input,
    tables_for_paper,
)
from chainpb.present.tables import (
    attach_hypothesis_tests,
    table_to_docx,
    table_to_html,
    table_to_latex,
)
from chainpb.runlog import script_logger

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

measures = read_measure_tables(
    {k: sm.input[k] for k in ("descriptives", "correlations_r", "correlations_p", "reliability")}
)
# Each model's linear hypotheses and subgroup comparisons become notes under its table.
fits = attach_hypothesis_tests(read_fits(sm.input.fits), read_tests(sm.input.tests))
comparisons = read_comparisons(sm.input.comparisons)
tables = tables_for_paper(fits, measures, paper_config(sm.params), comparisons)
if simulated_input(sm.input.reports):
    tables = {name: mark_simulated_table(t) for name, t in tables.items()}
for name in sorted(k[: -len("_html")] for k in sm.output.keys() if k.endswith("_html")):  # noqa: SIM118 — Namedlist iterates values
    table = tables[name]
    table_to_docx(table, sm.output[f"{name}_docx"])
    write_text(sm.output[f"{name}_tex"], table_to_latex(table))
    write_text(sm.output[f"{name}_html"], table_to_html(table, standalone=True))
    log.info("表 table: %s (%d 行 rows)", name, len(table.body))
memo.save()

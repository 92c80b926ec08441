"""Snakemake script: one corpus's figures — attention and difficulty statements by group, and
over time (per 10,000 characters) — and the over-time journal table (Word, LaTeX, HTML)."""

import matplotlib.pyplot as plt
import pandas as pd

from chainpb.atomic import save_figure, write_bytes, write_text
from chainpb.present.corpus import over_time_table, plot_corpus_groups, plot_corpus_time
from chainpb.present.writers import docx_bytes, table_to_html, table_to_latex
from chainpb.runlog import script_logger

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

# keep_default_na=False: a group value "" (not given) stays "", not NaN
groups = pd.read_csv(
    sm.input.groups,
    encoding="utf-8-sig",
    keep_default_na=False,
    dtype={"value": str, "group_by": str},
)
groups["per_10k_chars"] = pd.to_numeric(groups["per_10k_chars"], errors="coerce")
over_time = pd.read_csv(
    sm.input.over_time, encoding="utf-8-sig", keep_default_na=False, dtype={"group": str}
)
over_time["per_10k_chars"] = pd.to_numeric(over_time["per_10k_chars"], errors="coerce")
for fig, targets in (
    (
        plot_corpus_groups(groups, name=sm.params.name, language=sm.params.language),
        sm.output.groups,
    ),
    (
        plot_corpus_time(over_time, name=sm.params.name, language=sm.params.language),
        sm.output.over_time,
    ),
):
    save_figure(fig, list(targets))
    plt.close(fig)
table = over_time_table(over_time, name=sm.params.name, language=sm.params.language)
write_bytes(sm.output.table_docx, docx_bytes(table))
write_text(sm.output.table_tex, table_to_latex(table))
write_text(sm.output.table_html, table_to_html(table, standalone=True))
log.info(
    "%s: 图 figures %s", sm.wildcards.corpus, ", ".join([*sm.output.groups, *sm.output.over_time])
)

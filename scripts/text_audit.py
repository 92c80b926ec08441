"""Snakemake script: audit files (KWIC, category x city, co-occurrence, top words, shares)."""

import pandas as pd

from chainpb.atomic import write_csv, write_text
from chainpb.runlog import script_logger
from chainpb.text.codebook import load_codebook
from chainpb.text.segment import read_word_list
from chainpb.text.stage import audit_tables

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])


def pooled(paths):
    return pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True)


tables = audit_tables(
    {"answers": pooled(sm.input.surveys), "policies": pooled(sm.input.policies)},
    {"answers": pooled(sm.input.answer_tokens), "policies": pooled(sm.input.policy_tokens)},
    {"answers": pooled(sm.input.answer_hits), "policies": pooled(sm.input.policy_hits)},
    pooled(sm.input.firm_difficulty),
    read_word_list(sm.input.stopwords),
)
for name in ("kwic", "category_city", "cooccurrence", "top_words", "city_shares"):
    write_csv(sm.output[name], getattr(tables, name))
codebook = load_codebook(sm.input.codebook)
write_text(sm.output.codebook_hash, codebook.hash + "\n")
log.info("KWIC: %d 行 rows; 码本 codebook %s", len(tables.kwic), codebook.hash)

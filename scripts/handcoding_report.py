"""Snakemake script: agreement of the returned hand codings, machine vs humans, candidate terms."""

from chainpb.atomic import write_csv
from chainpb.runlog import script_logger
from chainpb.text.candidates import candidate_terms
from chainpb.text.codebook import load_codebook
from chainpb.text.handcoding_report import (
    ALL_CODERS,
    POOLED,
    gold_table,
    human_agreement,
    human_disagreements,
    machine_agreement,
    machine_disagreements,
    read_coding_sheet,
    read_returned,
    reference_codes,
)
from chainpb.text.handcoding_sheet import read_pooled_units

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

codebook = load_codebook(sm.input.codebook)
units = read_pooled_units(
    list(sm.params.cities),
    list(sm.input.answer_units),
    list(sm.input.policy_units),
    list(sm.input.surveys),
    list(sm.input.policies),
)
known = set(units["sample_id"])
codings = read_returned(list(sm.input.returned), known, codebook)
for coder, frame in codings.items():
    log.info("编码者 coder %s: %d 个单元 units coded", coder, len(frame))
adjudicated = None
if sm.params.adjudicated:
    adjudicated = read_coding_sheet(sm.params.adjudicated, known, codebook)
    log.info(
        "裁定表 adjudicated sheet %s: %d 个单元 units", sm.params.adjudicated, len(adjudicated)
    )

human = human_agreement(codings)
write_csv(sm.output.agreement_human, human)
for row in human.itertuples(index=False):
    if row.coder_a == ALL_CODERS:
        log.info(
            "%s 所有编码者 all coders: n=%d, 全体一致 all agree %.1f%% (困难 difficulty) / "
            "%.1f%% (四类编码 4-way code), Krippendorff α=%.3f / %.3f",
            row.category,
            row.n,
            row.percent_agreement_difficulty,
            row.percent_agreement_code,
            row.alpha_difficulty,
            row.alpha_code,
        )
        continue
    log.info(
        "%s %s–%s: n=%d, 困难一致率 agreement %.1f%%, κ=%.3f, α=%.3f; 四类编码 4-way code "
        "%.1f%%, κ=%.3f, α=%.3f",
        row.category,
        row.coder_a,
        row.coder_b,
        row.n,
        row.percent_agreement_difficulty,
        row.kappa_difficulty,
        row.alpha_difficulty,
        row.percent_agreement_code,
        row.kappa_code,
        row.alpha_code,
    )
pooled = human[(human["category"] == POOLED) & (human["coder_a"] == ALL_CODERS)].iloc[0]
log.info(
    "合并 pooled: 全体编码者 Krippendorff α（困难 0/1）= %.3f，（P/R/D/0）= %.3f / "
    "Krippendorff's α over all coders: difficulty %.3f, 4-way code %.3f",
    pooled.alpha_difficulty,
    pooled.alpha_code,
    pooled.alpha_difficulty,
    pooled.alpha_code,
)

differ = human_disagreements(codings, units)
write_csv(sm.output.disagreements_human, differ)
log.info(
    "编码者之间不一致 %d 处（%d 个单元），请逐条裁定 / %d coder disagreements in %d units to "
    "adjudicate",
    len(differ),
    differ["sample_id"].nunique(),
    len(differ),
    differ["sample_id"].nunique(),
)

reference = reference_codes(codings, adjudicated)
counts = reference["basis"].value_counts()
log.info(
    "人工参照 human reference: %d 个单元 units（裁定 adjudicated %d，一致 agreed %d）",
    len(reference),
    int(counts.get("adjudicated", 0)),
    int(counts.get("agreed", 0)),
)
machine = machine_agreement(reference, units)
write_csv(sm.output.agreement_machine, machine)
for row in machine[machine["category"] == "macro"].itertuples(index=False):
    log.info(
        "码本对人工 codebook vs human (%s, %s): 宏平均 macro P=%.3f R=%.3f F1=%.3f, n=%d",
        row.comparison,
        row.source,
        row.precision,
        row.recall,
        row.f1,
        row.n,
    )
write_csv(sm.output.disagreements_machine, machine_disagreements(reference, units))

terms = candidate_terms(reference, units, codebook)
write_csv(sm.output.candidate_terms, terms)
for category, group in terms.groupby("category", sort=False):
    log.info(
        "候选词 candidate terms %s: %d 个 (前几个 top: %s)",
        category,
        len(group),
        "、".join(group["ngram"].head(5)),
    )
gold = gold_table(reference, units)
write_csv(sm.output.gold, gold)
log.info("金标准 gold.csv: %d 个单元 units（可加入 text.gold / add it to text.gold）", len(gold))

"""Validity of the three difficulty measures on text the simulator did not write.

    python benchmarks/coding_validity.py                 # development parts (safe to tune on)
    python benchmarks/coding_validity.py --split test    # the held-out test parts (report only)
    python benchmarks/coding_validity.py --show effectiveness   # dev disagreements of a category

Sets (protocol and provenance in benchmarks/README.md):

- ``answers``: ``resources/gold/written_answers.csv`` — open answers written in the voice of
  firm managers, staff and owners (source ``answers``: no context gate); ``answers2``
  (``written_answers_dev2.csv``, a second writer, development only);
- ``reports``: ``resources/gold/written_reports.csv`` — report and policy sentences written in
  the voice of organisation departments and Party workers (source ``policies``: gated);
  ``reports2`` (``written_reports_dev2.csv``, a second writer, development only);
- ``corpus``: ``benchmarks/data/corpus_labels.csv`` — sentences of the shared government work
  and CPC congress reports, labelled by hand, text read from ``../shared/corpora`` (or
  ``$CHAINPB_CORPORA``) at run time; split by document year (gated);
- ``example``: the simulated example's gold (``resources/example/gold``): a smoke test only,
  its phrasings come from the simulator's own banks. It has no test part.

Measures, scored against the hand codes ``P`` (difficulty stated) per category:

- ``codebook``: ``chainpb.text.coding.code_texts`` with config/codebook.yaml and the context
  gate of ``config.yaml`` for policy sentences;
- ``supervised``: ``chainpb.text.supervised`` trained on every non-test row of the gold files
  that ``config.yaml`` names (``text.gold``). Dev rows of those files are scored out of fold
  (cross-validated: the unit, its calibration and its threshold never saw it); test rows and
  the corpus sentences are scored by the coder fitted on all training rows;
- ``hybrid``: codebook OR supervised probability ≥ ``text.supervised.hybrid_min_probability``,
  except where the codebook saw the difficulty denied (as in the workflow).

Besides P/R/F1 per category and macro-F1 it prints the share of *remedy-only* units (some R,
no P) coded with any difficulty, of *off-topic* units (no code at all) coded with any
difficulty, and the number of denied categories (D) coded as that difficulty. With
``--csv PATH`` the table is also written as CSV. Prints and writes nothing else.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from chainpb.text.agreement import confusion_counts, f1_from_counts
from chainpb.text.codebook import CATEGORIES, load_codebook
from chainpb.text.segment import Segmenter
from chainpb.text.stage import gold_codebook_codes
from chainpb.text.supervised import (
    cross_validated_predictions,
    fit_supervised,
    hybrid_codes,
    probability_column,
)
from chainpb.text.validation import check_gold, code_column, read_gold

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus_labels import load_labelled_sentences  # noqa: E402

CORPORA = Path(os.environ.get("CHAINPB_CORPORA", ROOT.parent / "shared" / "corpora"))
SETS = {
    "answers": ROOT / "resources" / "gold" / "written_answers.csv",
    "answers2": ROOT / "resources" / "gold" / "written_answers_dev2.csv",
    "reports": ROOT / "resources" / "gold" / "written_reports.csv",
    "reports2": ROOT / "resources" / "gold" / "written_reports_dev2.csv",
    "example": ROOT / "resources" / "example" / "gold" / "gold_codes.csv",
}
MEASURES = ("codebook", "supervised", "hybrid")
# codebook_attention rows score theme attention (any mention: P, R or D in the gold); in those
# rows offtopic_coded counts off-topic units given any attention (the context gate's misses)
# and remedy_coded counts remedy units given attention (as it should be).


def load_config() -> dict:
    return yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))


def gold_files(config: dict) -> list[Path]:
    gold = config["text"]["gold"]
    return [ROOT / g for g in ([gold] if isinstance(gold, str) else gold)]


def corpus_set() -> pd.DataFrame:
    """The labelled corpus sentences, checked and typed by the workflow's own gold reader."""
    raw = load_labelled_sentences(CORPORA)
    table = raw[["unit_id", "text", "split", *CATEGORIES]].fillna("").astype(str)
    table.insert(1, "source", "policies")
    table.insert(2, "city_key", "none")
    return check_gold(table, "benchmarks/data/corpus_labels.csv")


def score(units: pd.DataFrame, coded: pd.DataFrame, prefix: str = "") -> dict[str, float]:
    """P/R/F1 per category against the gold difficulty codes (``prefix`` "") or the gold theme
    codes (``prefix`` "theme_": P, R or D), plus the remedy, off-topic and denial counts."""
    row: dict[str, float] = {"n": len(units)}
    f1s = []
    for cat in CATEGORIES:
        c = confusion_counts(units[prefix + cat].to_numpy(), coded[cat].to_numpy())
        f1 = f1_from_counts(c)
        row[f"{cat}_p"] = c.tp / (c.tp + c.fp) if c.tp + c.fp else np.nan
        row[f"{cat}_r"] = c.tp / (c.tp + c.fn) if c.tp + c.fn else np.nan
        row[f"{cat}_f1"] = f1
        if c.tp + c.fn:  # a category with no difficulty in the set has no recall to average
            f1s.append(0.0 if np.isnan(f1) else f1)
    row["macro_f1"] = float(np.mean(f1s)) if f1s else np.nan
    codes = units[[code_column(c) for c in CATEGORIES]].to_numpy()
    any_coded = coded[list(CATEGORIES)].to_numpy().sum(axis=1) > 0
    has_p = (codes == "P").any(axis=1) | (codes == "1").any(axis=1)
    remedy_only = (codes == "R").any(axis=1) & ~has_p
    off_topic = ~np.isin(codes, ["P", "1", "R", "D"]).any(axis=1)
    row["remedy_units"] = int(remedy_only.sum())
    row["remedy_coded"] = int((any_coded & remedy_only).sum())
    row["offtopic_units"] = int(off_topic.sum())
    row["offtopic_coded"] = int((any_coded & off_topic).sum())
    denied = codes == "D"
    row["denied"] = int(denied.sum())
    row["denied_coded"] = int((denied & (coded[list(CATEGORIES)].to_numpy() == 1)).sum())
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=["dev", "test"], default="dev")
    ap.add_argument("--show", default="", help="print dev disagreements of this category")
    ap.add_argument("--csv", type=Path, help="also write the table as CSV")
    args = ap.parse_args()
    if args.show and args.split != "dev":
        ap.error("--show prints disagreements of the development parts only")

    config = load_config()
    text_cfg = config["text"]
    seed = int(config["seed"])
    sup_cfg = text_cfg.get("supervised", {})
    folds = int(sup_cfg.get("cv_folds", 5))
    min_p = float(sup_cfg.get("hybrid_min_probability", 0.9))
    seg = Segmenter(ROOT / ".cache" / "jieba", ROOT / text_cfg["user_dict"])
    codebook = load_codebook(ROOT / text_cfg["codebook"])

    sets = {name: read_gold(path) for name, path in SETS.items()}
    if CORPORA.is_dir():
        sets["corpus"] = corpus_set()
    else:
        print(f"(corpora not found at {CORPORA}: the corpus set is skipped)", file=sys.stderr)
    for table in sets.values():
        table["split"] = table["split"].astype(str).str.strip().replace("", "dev")

    # The training pool: every non-test row of every gold file the config names.
    pool = pd.concat(
        [read_gold(p).assign(gold_file=p.name) for p in gold_files(config)], ignore_index=True
    )
    pool["split"] = pool["split"].astype(str).str.strip().replace("", "dev")
    train = pool[pool["split"] != "test"].reset_index(drop=True)
    train_tokens = [seg.tokens(t) for t in train["text"]]
    t0 = time.perf_counter()
    oof = cross_validated_predictions(
        train["text"].tolist(), train_tokens, train[["unit_id", *CATEGORIES]], seed,
        cv_folds=folds,
    ).set_index("unit_id")  # fmt: skip
    coder = fit_supervised(
        train["text"].tolist(), train_tokens, train[list(CATEGORIES)], seed, cv_folds=folds
    )
    print(
        f"supervised coder: {len(train)} training units (non-test rows of "
        f"{', '.join(p.name for p in gold_files(config))}), {folds}-fold, "
        f"{time.perf_counter() - t0:.0f} s; thresholds "
        + ", ".join(f"{c} {v:.2f}" for c, v in coder.thresholds.items())
    )

    rows = []
    # Pooled over the real-wording sets (not the simulated example): units and codes per measure.
    pooled: dict[str, list[tuple[pd.DataFrame, pd.DataFrame]]] = {}
    for name, table in sets.items():
        units = table[table["split"] == args.split].reset_index(drop=True)
        if units.empty:
            continue
        coded_all = gold_codebook_codes(units, codebook, seg, text_cfg.get("context", {}))
        coded_all = coded_all.fillna(0).astype(int)
        cb = coded_all[list(CATEGORIES)]
        attention = coded_all[[f"theme_{c}" for c in CATEGORIES]].set_axis(list(CATEGORIES), axis=1)
        in_pool = units["unit_id"].isin(oof.index) & (units["split"] != "test")
        predicted = coder.predict(units["text"].tolist(), [seg.tokens(t) for t in units["text"]])
        # Rows the coder trained on are scored out of fold, never by the coder that saw them.
        for i in np.flatnonzero(in_pool.to_numpy()):
            uid = units.at[i, "unit_id"]
            for cat in CATEGORIES:
                predicted.at[i, cat] = oof.at[uid, cat]
                predicted.at[i, probability_column(cat)] = oof.at[uid, probability_column(cat)]
        sup = predicted[list(CATEGORIES)].astype(int)
        denied = coded_all[[f"denied_{c}" for c in CATEGORIES]]
        hyb = hybrid_codes(cb, predicted, min_p, denied=denied)
        hyb = hyb[[f"hy_{c}" for c in CATEGORIES]].fillna(0).astype(int)
        hyb.columns = list(CATEGORIES)
        for measure, coded in zip(MEASURES, (cb, sup, hyb), strict=True):
            rows.append(
                {"set": name, "split": args.split, "measure": measure, **score(units, coded)}
            )
            if name != "example":
                pooled.setdefault(measure, []).append((units, coded))
        # Theme attention (codebook only): any mention of the theme — P, R or D in the gold.
        rows.append(
            {
                "set": name,
                "split": args.split,
                "measure": "codebook_attention",
                **score(units, attention, prefix="theme_"),
            }
        )
        if args.show:
            cat = args.show
            for i in range(len(units)):
                g, c = units.at[i, cat], cb.at[i, cat]
                if g != c:
                    tag = "MISS " if g else "FALSE"
                    print(f"  {name:8s} {tag} {units.at[i, 'unit_id']} {units.at[i, 'text'][:80]}")
    for measure, parts in pooled.items():
        units = pd.concat([u for u, _ in parts], ignore_index=True)
        coded = pd.concat([c for _, c in parts], ignore_index=True)
        rows.append(
            {"set": "real_pooled", "split": args.split, "measure": measure, **score(units, coded)}
        )
    table = pd.DataFrame(rows)
    shown = ["set", "measure", "n", "macro_f1", *(f"{c}_f1" for c in CATEGORIES),
             "remedy_coded", "remedy_units", "offtopic_coded", "offtopic_units", "denied_coded",
             "denied"]  # fmt: skip
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(f"\nsplit = {args.split}")
        print(table[shown].round(3).to_string(index=False))
    if args.csv:
        table.to_csv(args.csv, index=False, encoding="utf-8-sig")
    return 0


if __name__ == "__main__":
    sys.exit(main())

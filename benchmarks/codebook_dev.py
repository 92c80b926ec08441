"""Codebook development set: agreement of the codebook with the generator's true codes.

    python benchmarks/codebook_dev.py [--codebook config/codebook.yaml] [--disagreements]
                                      [--category ideology] [--limit 40]

Why this exists: ``resources/example/gold/gold_codes.csv`` is the HELD-OUT test set of the
codebook; tuning terms on it would make its P/R/F1 meaningless. This script builds a separate
development set from the simulated example data instead:

- texts: the open answers (the column mapped to ``difficulty_text``) of every city's raw survey
  file (``chainpb.ingest.read_survey_file`` + the ``column_map`` of ``config/config.yaml``),
  normalised with ``chainpb.text.normalize.normalize_text``;
- codes: the generator's intended codes in ``resources/example/truth/answer_codes.csv``, joined
  on ``(city_key, raw enterprise id, raw row)`` (the id is the column mapped to
  ``enterprise_id``; the raw row separates the few deliberately duplicated ids); blank answers
  (status ``missing``) are left out;
- exclusion: every answer whose normalised text (or its PII-masked form) equals the text of a
  gold unit is dropped. The gold file is read only to build that set of texts; nothing of it is
  printed or compared.

It prints per-category precision, recall, F1 and Cohen's κ of the codebook coder
(``chainpb.text.coding.code_texts`` + ``chainpb.text.agreement.agreement_report``) on the dev
set. With ``--disagreements`` it also prints the dev answers the codebook misses (truth 1,
coded 0) and its false hits (truth 0, coded 1) with the codebook hits of each answer, to
study. Caveat: the generator's codes are its *intended* codes; the gold coder sometimes reads
an answer more widely (see resources/example/gold/README.md), so a few dev "false hits" are
defensible readings.

Run by hand, not in tests. Prints only; writes nothing except jieba's cache in ``.cache/``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd
import yaml

from chainpb.ingest import mask_pii, read_survey_file
from chainpb.text.agreement import agreement_report
from chainpb.text.codebook import CATEGORIES, load_codebook
from chainpb.text.coding import code_texts, code_tokens
from chainpb.text.normalize import normalize_text
from chainpb.text.segment import Segmenter, segment_documents
from chainpb.text.validation import read_gold

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config" / "config.yaml"
TRUTH = ROOT / "resources" / "example" / "truth" / "answer_codes.csv"
CACHE = ROOT / ".cache" / "jieba"
SHOWN = ["category", "n", "tp", "fp", "fn", "precision", "recall", "f1", "cohen_kappa"]


def _gold_texts(config: dict) -> frozenset[str]:
    """Normalised texts of the gold units: only to exclude them from the dev set."""
    gold = read_gold(
        ROOT / config.get("text", {}).get("gold", "resources/example/gold/gold_codes.csv")
    )
    return frozenset(gold["text"].astype(str))


def _raw_answers(config: dict) -> pd.DataFrame:
    """``city_key, enterprise_id_raw, raw_row, text`` of every survey row (text normalised, may be '')."""
    data_dir = (ROOT / config.get("data_dir", ".")).expanduser()
    frames = []
    for city, spec in config["cities"].items():
        raw = read_survey_file(data_dir / spec["survey"], spec.get("sheet"))
        cmap = spec["column_map"]
        by_var = {var: header for header, var in cmap.items()}
        labels = {lab.strip(): name for name, lab in raw.column_labels.items()}

        def column(var: str, raw=raw, by_var=by_var, labels=labels) -> pd.Series:
            header = str(by_var[var]).strip()
            header = header if header in raw.data.columns else labels[header]
            return raw.data[header]

        ids = column("enterprise_id")
        texts = column("difficulty_text")
        frames.append(
            pd.DataFrame(
                {
                    "city_key": city,
                    "enterprise_id_raw": [str(i).strip() for i in ids],
                    "raw_row": list(raw.raw_rows),
                    "text": [normalize_text(t) if isinstance(t, str) else "" for t in texts],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def build_dev_set(config: dict) -> tuple[pd.DataFrame, int]:
    """(dev table, n answers excluded as gold texts, n truth rows without a survey row)."""
    truth = pd.read_csv(TRUTH, encoding="utf-8-sig", dtype={"enterprise_id_raw": str})
    answers = _raw_answers(config)
    dev = truth.merge(
        answers, on=["city_key", "enterprise_id_raw", "raw_row"], how="inner", validate="1:1"
    )
    # A few rows carry a deliberately duplicated id (ingest rejects them); they do not match.
    n_unmatched = len(truth) - len(dev)
    if n_unmatched > 10:
        sys.exit(f"only {len(dev)} of {len(truth)} truth rows matched a survey row")
    dev = dev[dev["status"] != "missing"]
    dev = dev[dev["text"].str.strip() != ""]
    gold = _gold_texts(config)
    in_gold = dev["text"].map(lambda t: t in gold or mask_pii(t) in gold)
    dev = dev[~in_gold].reset_index(drop=True)
    for cat in CATEGORIES:
        dev[cat] = dev[cat].astype("int64")
    return dev, int(in_gold.sum()), n_unmatched


def _hits_by_text(texts: list[str], codebook, segmenter: Segmenter) -> dict[int, list[str]]:
    """Every hit of each text as 'category:term' (with [neg:cue] / [excl]) for reading."""
    compiled = codebook.compile(segmenter)
    ids = [f"{i:09d}" for i in range(len(texts))]
    tokens = segment_documents(pd.DataFrame({"d": ids, "t": texts}), "d", "t", segmenter)
    hits = code_tokens(tokens, compiled, dict(zip(ids, texts, strict=True)))
    out: dict[int, list[str]] = {}
    for h in hits.itertuples():
        tag = f"{h.category}:{h.term}"
        if h.negated:
            tag += f"[neg:{h.cue}]"
        if h.excluded:
            tag += "[excl]"
        out.setdefault(int(h.doc_id), []).append(tag)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--codebook", default=str(ROOT / "config" / "codebook.yaml"))
    parser.add_argument("--disagreements", action="store_true", help="print misses and false hits")
    parser.add_argument("--category", choices=CATEGORIES, help="only this category's disagreements")
    parser.add_argument("--limit", type=int, default=0, help="at most N disagreements per kind")
    args = parser.parse_args(argv)

    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    text_cfg = config.get("text", {})
    segmenter = Segmenter(
        CACHE, ROOT / text_cfg.get("user_dict", "config/dictionaries/domain_dict.txt")
    )
    codebook = load_codebook(args.codebook)
    dev, n_excluded, n_unmatched = build_dev_set(config)
    texts = dev["text"].tolist()
    codes = code_texts(texts, codebook, segmenter)
    report = agreement_report(dev, codes, CATEGORIES, "truth", "codebook")

    print(
        f"dev set: {len(dev)} non-blank generated answers "
        f"({n_excluded} equal to a gold text excluded, {n_unmatched} truth rows with a "
        f"duplicated raw id unmatched); codebook {codebook.version} "
        f"({codebook.hash})"
    )
    with pd.option_context("display.width", 120, "display.float_format", "{:.3f}".format):
        print(report[SHOWN].to_string(index=False))

    if args.disagreements:
        hits = _hits_by_text(texts, codebook, segmenter)
        cats = [args.category] if args.category else list(CATEGORIES)
        for cat in cats:
            for kind, truth_value in (("MISS", 1), ("FALSE HIT", 0)):
                rows = dev.index[(dev[cat] == truth_value) & (codes[cat] != truth_value)]
                print(f"\n## {cat} {kind} ({len(rows)})")
                for n, i in enumerate(rows):
                    if args.limit and n >= args.limit:
                        break
                    truth = "".join(c[0] for c in CATEGORIES if dev.at[i, c] == 1) or "-"
                    print(f"[{truth}] {texts[i]}  <- {'; '.join(hits.get(i, [])) or 'no hit'}")


if __name__ == "__main__":
    main()

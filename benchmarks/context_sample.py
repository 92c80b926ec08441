"""Precision of the Party-building context gate on real policy language (issue: coding validity).

    python benchmarks/context_sample.py --draw        # draw the sample, print it for reading
    python benchmarks/context_sample.py               # score the recorded judgements

Codes every report of ``../shared/corpora`` (or ``$CHAINPB_CORPORA``) with the project's
segmenter and codebook, policy settings of ``config/config.yaml`` (the context gate on, its
window), and collects the hits that count for theme attention (status problem, remedy or
negated: in a Party-building context, not excluded). ``--draw`` takes every such hit of the
government work reports (there are few: these reports seldom speak of Party building) and
fills the sample to ``--size`` (50) with a seeded random draw from the CPC congress reports. It
writes the sample with its keyword-in-context lines to ``benchmarks/data/context_sample.csv``
(git-ignored: corpus text stays outside the project) and the keys to judge to
``benchmarks/data/context_judgements.csv`` (committed): ``corpus, title, start, end, term,
category, polarity`` (offsets into the normalised text), and the reader's ``about_party_building``
(1/0: is the hit about Party building?), ``theme_fits`` (1/0: does it speak to the category it
was coded with?) and ``note``. Without ``--draw`` it re-codes the corpora, matches the recorded
judgements to the hits (a hit the codebook no longer makes is reported as dropped, a new hit as
unjudged) and prints the precision.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from chainpb.text.codebook import load_codebook
from chainpb.text.coding import attended, code_tokens
from chainpb.text.normalize import normalize_text
from chainpb.text.segment import Segmenter, segment_documents

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus_labels import CORPORA as CORPUS_FILES  # noqa: E402
from corpus_labels import read_corpus  # noqa: E402

CORPORA = Path(os.environ.get("CHAINPB_CORPORA", ROOT.parent / "shared" / "corpora"))
SAMPLE = ROOT / "benchmarks" / "data" / "context_sample.csv"
JUDGEMENTS = ROOT / "benchmarks" / "data" / "context_judgements.csv"
KEY = ["corpus", "title", "start", "end", "term"]


def coded_hits(corpora: Path = CORPORA) -> tuple[pd.DataFrame, dict[tuple[str, str], str]]:
    """Attention hits of every report, with the policy settings of config/config.yaml."""
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
    text_cfg = config["text"]
    context = text_cfg.get("context", {})
    window = context.get("window", "paragraph")
    gate = context.get("gate", {}).get("policies", True)
    seg = Segmenter(ROOT / ".cache" / "jieba", ROOT / text_cfg["user_dict"])
    compiled = load_codebook(ROOT / text_cfg["codebook"]).compile(seg)
    frames = []
    texts: dict[tuple[str, str], str] = {}
    for corpus in CORPUS_FILES:
        rows = read_corpus(corpora, corpus)
        docs = pd.DataFrame(
            {
                "doc_id": [r["title"] for r in rows],
                "text": [normalize_text(r["content"]) for r in rows],
            }
        )
        doc_texts = dict(zip(docs["doc_id"], docs["text"], strict=True))
        tokens = segment_documents(docs, "doc_id", "text", seg)
        hits = code_tokens(tokens, compiled, doc_texts, context_gate=gate, context_window=window)
        hits = attended(hits).assign(corpus=corpus).rename(columns={"doc_id": "title"})
        frames.append(hits)
        texts.update({(corpus, t): x for t, x in doc_texts.items()})
    hits = pd.concat(frames, ignore_index=True)
    hits["title"] = hits["title"].astype(str)
    return hits, texts


def kwic_line(text: str, start: int, end: int, width: int = 40) -> str:
    left = text[max(0, start - width) : start].replace("\n", "⏎")
    right = text[end : end + width].replace("\n", "⏎")
    return f"{left}【{text[start:end]}】{right}"


def draw(size: int, seed: int) -> None:
    hits, texts = coded_hits()
    gov = hits[hits["corpus"] == "government_work_reports"]
    cpc = hits[hits["corpus"] == "cpc_congress_reports"]
    rng = np.random.default_rng(seed)
    k = max(0, min(size - len(gov), len(cpc)))
    pick = cpc.iloc[np.sort(rng.choice(len(cpc), size=k, replace=False))]
    sample = pd.concat([gov, pick], ignore_index=True)
    sample["kwic"] = [
        kwic_line(texts[(c, t)], s, e)
        for c, t, s, e in zip(
            sample["corpus"], sample["title"], sample["start"], sample["end"], strict=True
        )
    ]
    cols = [*KEY, "category", "polarity", "status"]
    sample[[*cols, "kwic"]].to_csv(SAMPLE, index=False, encoding="utf-8-sig")
    keys = sample[cols].assign(about_party_building="", theme_fits="", note="")
    if not JUDGEMENTS.exists():
        keys.to_csv(JUDGEMENTS, index=False, encoding="utf-8-sig")
    print(
        f"government work reports: {len(gov)} attention hits (all taken); "
        f"congress reports: {len(cpc)} hits, {k} drawn (seed {seed})"
    )
    for i, row in enumerate(sample.itertuples(index=False), start=1):
        print(f"{i:3d} {row.corpus[:3]} {row.category:14s} {row.polarity:13s} {row.kwic}")


def score() -> int:
    hits, _ = coded_hits()
    judged = pd.read_csv(JUDGEMENTS, encoding="utf-8-sig", dtype={"title": str})
    merged = judged.merge(hits[KEY], on=KEY, how="left", indicator=True)
    dropped = merged[merged["_merge"] == "left_only"]
    kept = merged[merged["_merge"] == "both"]
    gov_hits = hits[hits["corpus"] == "government_work_reports"]
    unjudged = gov_hits.merge(judged[KEY], on=KEY, how="left", indicator=True)
    unjudged = unjudged[unjudged["_merge"] == "left_only"]
    print(
        f"judged hits still made by the codebook: {len(kept)}; no longer made: {len(dropped)}; "
        f"government-report hits not judged: {len(unjudged)}"
    )
    for corpus, part in [("all", kept), *kept.groupby("corpus")]:
        n = len(part)
        about = int(part["about_party_building"].sum())
        fits = int(part["theme_fits"].sum())
        print(
            f"{corpus:26s} n={n:3d}  about Party building {about}/{n} = {about / n:.2f}; "
            f"theme fits {fits}/{n} = {fits / n:.2f}"
        )
    return 0 if len(unjudged) == 0 else 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draw", action="store_true", help="draw a new sample and print it")
    ap.add_argument("--size", type=int, default=50)
    ap.add_argument("--seed", type=int, default=20261202)
    args = ap.parse_args()
    if not CORPORA.is_dir():
        print(f"corpora not found at {CORPORA}", file=sys.stderr)
        return 2
    if args.draw:
        draw(args.size, args.seed)
        return 0
    return score()


if __name__ == "__main__":
    sys.exit(main())

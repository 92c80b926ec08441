"""Speed of the text stage on the shared real corpora (run by hand, not in tests).

    python benchmarks/text_speed.py [--runs 3]

Reads every ``content`` of ../shared/corpora/*.jsonl, then times, in the same run and on the
same text: (1) normalise + segment (``normalize_text`` + ``segment_documents``), (2) coding
(``code_tokens`` on the stored token table), (3) plain ``jieba.lcut`` of the normalised texts as
a reference. Prints MB/s (UTF-8 bytes of the normalised text / median seconds) and how much
coding adds to segmentation time (target: <= 15 %).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import time
from pathlib import Path

import jieba
import pandas as pd

from chainpb.text.codebook import load_codebook
from chainpb.text.coding import code_tokens
from chainpb.text.normalize import normalize_text
from chainpb.text.segment import Segmenter, segment_documents

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT.parent / "shared" / "corpora"
CACHE = ROOT / ".cache" / "jieba"


def load_raw() -> list[str]:
    texts = []
    for path in sorted(CORPORA.glob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            texts.extend(json.loads(line)["content"] for line in fh if line.strip())
    return texts


def timed(fn, runs: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def machine() -> str:
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in subprocess.run(
                ["lscpu"], capture_output=True, text=True
            ).stdout.splitlines()
            if line.startswith("Model name")
        )
    except (OSError, StopIteration):
        model = platform.processor() or "unknown"
    import os

    return (
        f"{model}; {os.cpu_count()} cores; Python {platform.python_version()}; "
        f"jieba {jieba.__version__}; pandas {pd.__version__}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    raw = load_raw()
    seg = Segmenter(CACHE, ROOT / "config/dictionaries/domain_dict.txt")
    seg.tokens("预热")  # load the dictionary outside the timed runs
    compiled = load_codebook(ROOT / "config" / "codebook.yaml").compile(seg)
    jieba.dt.tmp_dir = str(CACHE)  # keep the reference tokenizer's cache out of /tmp too
    jieba.setLogLevel(30)
    jieba.lcut("预热")

    def segment():
        norm = [normalize_text(t) for t in raw]
        df = pd.DataFrame({"doc_id": [f"d{i:03d}" for i in range(len(norm))], "text": norm})
        return df, segment_documents(df, "doc_id", "text", seg)

    t_seg, (df, tokens) = timed(segment, args.runs)
    t_norm, _ = timed(lambda: [normalize_text(t) for t in raw], args.runs)
    texts = dict(zip(df["doc_id"], df["text"], strict=True))
    mb = sum(len(t.encode("utf-8")) for t in df["text"]) / 1e6
    t_code, hits = timed(lambda: code_tokens(tokens, compiled, texts), args.runs)
    t_lcut, _ = timed(lambda: [jieba.lcut(t) for t in df["text"]], args.runs)

    print(f"machine: {machine()}")
    print(f"corpus: {len(df)} documents, {mb:.2f} MB UTF-8, {len(tokens)} tokens, {len(hits)} hits")
    print(f"median of {args.runs} runs")
    print(f"  normalise + segment : {t_seg:7.2f} s  {mb / t_seg:6.3f} MB/s")
    print(f"    of which normalise: {t_norm:7.2f} s  {mb / t_norm:6.3f} MB/s")
    print(f"  coding              : {t_code:7.2f} s  {mb / t_code:6.3f} MB/s")
    print(f"  plain jieba.lcut    : {t_lcut:7.2f} s  {mb / t_lcut:6.3f} MB/s")
    print(f"  coding adds {100 * t_code / t_seg:.1f} % to segmentation time (target <= 15 %)")


if __name__ == "__main__":
    main()

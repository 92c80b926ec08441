"""Speed of the text stage on the shared real corpora (run by hand, not in tests).

    python benchmarks/text_speed.py [--runs 3]

Reads every ``content`` of ../shared/corpora/*.jsonl, then times, in the same run and on the
same text: (1) normalise + segment (``normalize_text`` + ``segment_documents``), (2) coding
(``code_tokens`` on the stored token table), (3) plain ``jieba.lcut`` of the normalised texts as
a reference. Prints MB/s (UTF-8 bytes of the normalised text / median seconds) and how much
coding adds to segmentation time (target: <= 15 %).

Then (skip with ``--no-backends``) the two segmentation backends of ``text.segmenter`` side
by side on the same normalised texts, runs interleaved so that load from other jobs falls on
both alike: ``segment_documents`` with jieba and with rjieba (the token table the workflow
writes), the plain tokenizers with the same domain dictionary (jieba's private ``Tokenizer.cut``
and ``rjieba.Jieba.cut`` after ``add_word``), whether the two token tables are identical, and
coding time (``code_tokens`` on the rjieba token table, timed in the same rounds) as a share of
the rjieba and of the jieba segmentation, in wall-clock and in CPU time.
"""

from __future__ import annotations

import argparse
import gc
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
from chainpb.text.segment import BACKENDS, Segmenter, read_user_dict, segment_documents

ROOT = Path(__file__).resolve().parents[1]
CODING = "code_tokens (rjieba tokens, codebook.yaml)"
CORPORA = ROOT.parent / "shared" / "corpora"
CACHE = ROOT / ".cache" / "jieba"
USER_DICT = ROOT / "config/dictionaries/domain_dict.txt"


def load_raw() -> list[str]:
    texts = []
    for path in sorted(CORPORA.glob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            texts.extend(json.loads(line)["content"] for line in fh if line.strip())
    return texts


def timed(fn, runs: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(runs):
        out = None
        gc.collect()  # outside the timing: no variant pays for another's garbage
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def cpu_model() -> str:
    """The processor's model name (lscpu), for the machine line of every benchmark."""
    try:
        return next(
            line.split(":", 1)[1].strip()
            for line in subprocess.run(
                ["lscpu"], capture_output=True, text=True
            ).stdout.splitlines()
            if line.startswith("Model name")
        )
    except (OSError, StopIteration):
        return platform.processor() or "unknown"


def machine() -> str:
    import os

    return (
        f"{cpu_model()}; {os.cpu_count()} cores; Python {platform.python_version()}; "
        f"jieba {jieba.__version__}; pandas {pd.__version__}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-backends", action="store_true", help="skip the jieba/rjieba table")
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
    if not args.no_backends:
        compare_backends(df, mb, args.runs)


def compare_backends(df: pd.DataFrame, mb: float, runs: int) -> None:
    """jieba vs rjieba on the same normalised texts; runs interleaved; median of ``runs``."""
    from importlib.metadata import version

    import rjieba

    segs = {b: Segmenter(CACHE, USER_DICT, backend=b) for b in BACKENDS}
    for seg in segs.values():
        seg.tokens("预热")
    rust = rjieba.Jieba()
    for word, freq, pos in read_user_dict(USER_DICT):
        rust.add_word(word, freq, pos)
    py_tok = segs["jieba"].tokenizer
    texts = df["text"].tolist()
    compiled = load_codebook(ROOT / "config" / "codebook.yaml").compile(segs["rjieba"])
    doc_texts = dict(zip(df["doc_id"], df["text"], strict=True))
    tok_fixed = segment_documents(df, "doc_id", "text", segs["rjieba"])
    variants = {
        "segment_documents, jieba": lambda: segment_documents(df, "doc_id", "text", segs["jieba"]),
        "segment_documents, rjieba": lambda: segment_documents(
            df, "doc_id", "text", segs["rjieba"]
        ),
        "plain jieba Tokenizer.cut (domain dict)": lambda: [list(py_tok.cut(t)) for t in texts],
        "plain rjieba.Jieba.cut (domain dict)": lambda: [rust.cut(t) for t in texts],
        # Coding the rjieba token table, timed in the same rounds as the segmenters so that
        # load from other jobs falls on both alike.
        CODING: lambda: code_tokens(tok_fixed, compiled, doc_texts),
    }
    times: dict[str, list[float]] = {k: [] for k in variants}
    cpu: dict[str, list[float]] = {k: [] for k in variants}
    out: dict[str, object] = {}
    keep = {"segment_documents, jieba", "segment_documents, rjieba", CODING}
    for _ in range(runs):
        for name, fn in variants.items():
            # A full garbage collection before each timed call, outside the timing, so that one
            # variant does not pay for the objects another left behind (millions of tokens).
            gc.collect()
            c0, t0 = time.process_time(), time.perf_counter()
            result = fn()
            times[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
            out[name] = result if name in keep else None
            del result
    med = {k: statistics.median(v) for k, v in times.items()}
    med_cpu = {k: statistics.median(v) for k, v in cpu.items()}
    tok_j, tok_r = out["segment_documents, jieba"], out["segment_documents, rjieba"]
    t_code = med.pop(CODING)
    base = med["segment_documents, jieba"]
    print(f"\nbackends (rjieba {version('rjieba')}), median of {runs}:")
    print("| segmentation | median s | MB/s | speed-up vs jieba segment_documents |")
    print("| --- | ---: | ---: | ---: |")
    for name, t in med.items():
        print(f"| {name} | {t:.2f} | {mb / t:.3f} | {base / t:.1f}× |")
    print(f"token tables identical: {tok_j.equals(tok_r)} ({len(tok_j)} / {len(tok_r)} tokens)")
    seg_r, seg_j = med["segment_documents, rjieba"], med["segment_documents, jieba"]
    print(
        f"coding {t_code:.3f} s ({len(out[CODING])} hits) adds {100 * t_code / seg_r:.1f} % "
        f"to rjieba segmentation ({seg_r:.3f} s, segment_documents, normalisation excluded; "
        f"target <= 15 %) and {100 * t_code / seg_j:.1f} % to jieba's ({seg_j:.3f} s)"
    )
    c_code, c_seg = med_cpu[CODING], med_cpu["segment_documents, rjieba"]
    print(
        f"CPU time (process_time, medians): coding {c_code:.3f} s, rjieba segmentation "
        f"{c_seg:.3f} s, ratio {100 * c_code / c_seg:.1f} %"
    )


if __name__ == "__main__":
    main()

"""Peak memory of the streamed text stage at 1×, 5× and 20× the shared corpora (run by hand).

    python benchmarks/text_memory.py [--scales 1 5 20] [--batch-mb 1] [--runs 1]

Builds, under --work (default /tmp/chainpb_text_memory), a document table of the real texts of
../shared/corpora/*.jsonl repeated k times (ids ``<file>_<line>_r<copy>``, sorted, normalised as
ingest does), then runs, each in a fresh Python process, the text stage as the workflow's jobs
run it: the segment job of one shard (``segment_shard``, rjieba) and the code job of the same
shard (``code_shard``, codebook config/codebook.yaml, context gate on). The peak resident set
size of each process (``ru_maxrss`` of the child) and the wall time are printed as a table.
Target (issue 13, item 2): peak RSS at 20× ≤ 1.2 × peak RSS at 1×.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPORA = Path(os.environ.get("CHAINPB_CORPORA", ROOT.parent / "shared" / "corpora"))

JOB = r"""
import sys
from chainpb.text.codebook import load_codebook
from chainpb.text.segment import Segmenter
from chainpb.text.stream import code_shard, segment_shard, shard_of
stage, table, tokens, hits, units, batch = sys.argv[1:7]
root = sys.argv[7]
segmenter = Segmenter(root + "/.cache/jieba", root + "/config/dictionaries/domain_dict.txt",
                      root + "/config/dictionaries/stopwords.txt", backend="rjieba")
shard = shard_of(table, "doc_id", "text", 1, 0)
if stage == "segment":
    segment_shard(shard, segmenter, tokens, batch_chars=int(batch))
else:
    compiled = load_codebook(root + "/config/codebook.yaml").compile(segmenter)
    code_shard(shard, tokens, compiled, hits, units, context_gate=True, batch_chars=int(batch))
"""


def build_table(scale: int, work: Path) -> tuple[Path, int]:
    import pandas as pd

    from chainpb.atomic import DOCUMENT_ROW_GROUP, write_parquet
    from chainpb.text.normalize import normalize_text

    path = work / f"documents_x{scale}.parquet"
    base = []
    for source in sorted(CORPORA.glob("*.jsonl")):
        with source.open(encoding="utf-8") as fh:
            for i, line in enumerate(fh):
                if line.strip():
                    base.append(
                        (f"{source.stem}_{i:04d}", normalize_text(json.loads(line)["content"]))
                    )
    ids = [f"{doc}_r{copy:03d}" for copy in range(scale) for doc, _ in base]
    texts = [text for _ in range(scale) for _, text in base]
    table = pd.DataFrame({"doc_id": ids, "text": texts}).sort_values("doc_id", kind="stable")
    # Row groups of 64 documents, as ingest writes document tables, so that reading streams.
    write_parquet(path, table, row_group_rows=DOCUMENT_ROW_GROUP)
    return path, sum(len(t.encode("utf-8")) for t in texts)


def run_job(stage: str, table: Path, work: Path, batch_chars: int) -> tuple[float, float]:
    """(peak RSS MB, wall s) of one job in a fresh process."""
    args = [
        sys.executable,
        "-c",
        JOB,
        stage,
        str(table),
        str(work / f"{table.stem}_tokens.parquet"),
        str(work / f"{table.stem}_hits.parquet"),
        str(work / f"{table.stem}_units.parquet"),
        str(batch_chars),
        str(ROOT),
    ]
    t0 = time.perf_counter()
    proc = subprocess.Popen(args)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if status:
        raise SystemExit(f"{stage} job failed on {table}")
    return usage.ru_maxrss / 1024, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 5, 20])
    parser.add_argument("--batch-mb", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--work", type=Path, default=Path("/tmp/chainpb_text_memory"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    batch_chars = int(args.batch_mb * 1e6 / 3)  # text.batch_mb → characters, as the rules do
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; batch {args.batch_mb} MB; runs {args.runs}"
    )
    print("| scale | MB | segment peak MB | segment s | code peak MB | code s |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for scale in args.scales:
        table, nbytes = build_table(scale, args.work)
        seg = [run_job("segment", table, args.work, batch_chars) for _ in range(args.runs)]
        code = [run_job("code", table, args.work, batch_chars) for _ in range(args.runs)]
        med = lambda xs, i: statistics.median(x[i] for x in xs)  # noqa: E731
        print(
            f"| {scale}× | {nbytes / 1e6:.1f} | {med(seg, 0):.0f} | {med(seg, 1):.1f} "
            f"| {med(code, 0):.0f} | {med(code, 1):.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()

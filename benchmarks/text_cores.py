"""Throughput of the workflow's text stage on the shared corpora, by backend and cores (by hand).

    python benchmarks/text_cores.py [--runs 3] [--project .] [--scale 10] [--backends rjieba]

Copies the project (``git ls-files -co --exclude-standard``, as benchmarks/rerun_speed.py; the
same environment: temporary HOME, ``PYTHONPATH=<copy>/src``) to a temporary folder, puts the
shared corpora ($CHAINPB_CORPORA, default ../shared/corpora: government_work_reports.jsonl and
cpc_congress_reports.jsonl) into the copy (the corpus files must lie inside the project or
``data_dir``) and declares them as two text collections (config ``corpora:``) in a
``--configfile``. With ``--scale k`` each corpus holds every document k times (copy c ≥ 1 with
``#copy<c>`` after its url and title, deduplication off), so that segmenting and coding, not
the fixed cost of each job, dominate. Their ingest runs once, timed and reported apart. Then, for each segmenter
(``text.segmenter``: jieba, rjieba) and each of

- ``--cores 1``, ``text.shards: 1`` (the plain baseline),
- ``--cores 1``, ``text.shards: 2``,
- ``--cores 2``, ``text.shards: 2``,

it times ``snakemake --cores C <hits and units of both corpora> --forcerun segment_corpus
--configfile <cfg>``: the segment and code jobs of both corpora, and the gather jobs when
shards > 1; the ingested documents are up to date, so ingest is not rerun. Each timing is the
whole Snakemake call (its start-up, ≈ the dry-run time printed, included). The rounds are
interleaved (every variant once per round, ``--runs`` rounds) so that load from other jobs
falls on all alike; medians are printed.

MB = UTF-8 bytes of the ingested (cleaned, deduplicated, normalised) documents' ``text``, which
is what the segment jobs read. Beside them, in this process on the same texts: the plain
tokenizers with the domain dictionary (jieba's private ``Tokenizer.cut`` and ``rjieba.Jieba.cut``
after ``add_word``, as benchmarks/text_speed.py times them).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import pandas as pd
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rerun_speed import copy_project, environment, snakemake
from text_speed import machine, timed

ROOT = Path(__file__).resolve().parents[1]
CORPORA = Path(os.environ.get("CHAINPB_CORPORA", ROOT.parent / "shared" / "corpora"))
COLLECTIONS = {
    "gov_reports": {
        "name": "国务院政府工作报告",
        "name_en": "Government work reports",
        "file": "corpora/government_work_reports.jsonl",
        "columns": {"text": "content", "title": "title", "url": "url", "date": "year"},
        "group_by": ["year"],
    },
    "cpc_reports": {
        "name": "党的全国代表大会报告",
        "name_en": "CPC National Congress reports",
        "file": "corpora/cpc_congress_reports.jsonl",
        "columns": {"text": "content", "title": "title", "url": "url"},
        "group_by": ["year"],
    },
}
BACKENDS = ("jieba", "rjieba")
GRID = ((1, 1), (1, 2), (2, 2))  # (cores, shards); (1, 1) is the baseline


def configfile(work: Path, segmenter: str, shards: int, scale: int = 1) -> Path:
    path = work / f"bench_{segmenter}_{shards}.yaml"
    corpora = COLLECTIONS
    if scale > 1:  # the copies are duplicates by design: keep them
        corpora = {
            k: {**c, "documents": {"dedup": {"enabled": False}}} for k, c in COLLECTIONS.items()
        }
    cfg = {"corpora": corpora, "text": {"segmenter": segmenter, "shards": shards}}
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def scaled_copy(source: Path, target: Path, scale: int) -> None:
    """The .jsonl corpus ``source`` with every document ``scale`` times (see the module doc)."""
    if scale == 1:
        shutil.copy2(source, target)
        return
    lines = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line]
    with target.open("w", encoding="utf-8") as out:
        for copy in range(scale):
            for doc in lines:
                if copy:
                    doc = {**doc, "url": f"{doc['url']}#copy{copy}"}
                    doc["title"] = f"{doc['title']}#copy{copy}"
                out.write(json.dumps(doc, ensure_ascii=False) + "\n")


def tokenizers(project: Path):
    """jieba's private tokenizer and rjieba's, with the domain dictionary. Built before the
    workflow runs: jieba writes its prefix-dictionary cache to the copy's .cache/jieba (the
    folder the jobs use), so that the first jieba job does not pay for building it."""
    import rjieba

    from chainpb.text.segment import Segmenter, read_user_dict

    user_dict = project / "config/dictionaries/domain_dict.txt"
    py_tok = Segmenter(project / ".cache/jieba", user_dict, backend="jieba").tokenizer
    list(py_tok.cut("预热"))
    rust = rjieba.Jieba()
    for word, freq, pos in read_user_dict(user_dict):
        rust.add_word(word, freq, pos)
    return py_tok, rust


def plain_cuts(py_tok, rust, texts: list[str], runs: int) -> dict[str, float]:
    """Median seconds of the bare tokenizers (dictionaries loaded outside the timing)."""
    out = {}
    for name, fn in {
        "plain jieba `Tokenizer.cut` (in-process)": lambda: [list(py_tok.cut(t)) for t in texts],
        "plain `rjieba.Jieba.cut` (in-process)": lambda: [rust.cut(t) for t in texts],
    }.items():
        out[name] = timed(fn, runs)[0]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--project", type=Path, default=ROOT, help="project to copy")
    parser.add_argument("--keep", action="store_true", help="keep the copy (path on stderr)")
    parser.add_argument("--scale", type=int, default=1, help="copies of every document")
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    args = parser.parse_args()
    missing = [
        c["file"] for c in COLLECTIONS.values() if not (CORPORA / Path(c["file"]).name).is_file()
    ]
    if missing:
        raise SystemExit(f"未找到共享语料 / shared corpora not found in {CORPORA}: {missing}")
    work = Path(tempfile.mkdtemp(prefix="chainpb_text_cores_"))
    print(f"work folder: {work}", file=sys.stderr)
    try:
        project = copy_project(args.project.resolve(), work / "project")
        home = work / "home"
        home.mkdir()
        env = environment(project, home)
        (project / "corpora").mkdir()
        for c in COLLECTIONS.values():
            scaled_copy(CORPORA / Path(c["file"]).name, project / c["file"], args.scale)
        keys = sorted(COLLECTIONS)
        documents = [f"results/corpora/{k}/ingest/documents.parquet" for k in keys]
        targets = [f"results/corpora/{k}/text/{f}.parquet" for k in keys for f in ("hits", "units")]
        cfg = {
            (b, s): configfile(work, b, s, args.scale)
            for b in BACKENDS
            for s in {s for _, s in GRID}
        }

        t_ingest, n_ingest, _, _ = snakemake(
            project, env, "--cores", "2", *documents, "--configfile", str(cfg["rjieba", 1])
        )
        texts = [
            t
            for path in documents
            for t in pd.read_parquet(project / path, columns=["text"])["text"]
        ]
        mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
        t_dry = statistics.median(
            snakemake(project, env, "-n", *targets, "--configfile", str(cfg["rjieba", 1]))[0]
            for _ in range(args.runs)
        )

        py_tok, rust = tokenizers(project)
        times: dict[tuple[str, int, int], list[float]] = {}
        jobs: dict[tuple[str, int, int], int] = {}
        for r in range(args.runs):
            for backend in args.backends:
                for cores, shards in GRID:
                    seconds, n, _, _ = snakemake(
                        project,
                        env,
                        "--cores",
                        str(cores),
                        *targets,
                        # --forcerun and --configfile take several values: after the targets
                        "--forcerun",
                        "segment_corpus",
                        "--configfile",
                        str(cfg[backend, shards]),
                    )
                    times.setdefault((backend, cores, shards), []).append(seconds)
                    jobs[backend, cores, shards] = n
                    print(
                        f"  round {r + 1}: {backend} cores {cores} shards {shards}: "
                        f"{seconds:.2f} s, {n} jobs",
                        file=sys.stderr,
                        flush=True,
                    )
        plain = plain_cuts(py_tok, rust, texts, args.runs)
    finally:
        if args.keep:
            print(f"kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)

    print(f"machine: {machine()}")
    print(
        f"corpora: {', '.join(keys)} from {CORPORA}, ×{args.scale}; {len(texts)} documents "
        "after ingest, "
        f"{mb:.2f} MB UTF-8; median of {args.runs} runs"
    )
    print(
        f"ingest (both corpora, --cores 2, once, not in the table): {t_ingest:.2f} s, "
        f"{n_ingest} jobs; dry run of the targets (Snakemake start-up, in every row): "
        f"{t_dry:.2f} s"
    )
    print("| backend | cores | shards | median s | MB/s | speed-up vs 1 core |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for backend in args.backends:
        base = statistics.median(times[backend, 1, 1])
        for cores, shards in GRID:
            t = statistics.median(times[backend, cores, shards])
            print(
                f"| workflow, {backend} | {cores} | {shards} | {t:.2f} | {mb / t:.3f} "
                f"| {base / t:.2f}× |"
            )
    for name, t in plain.items():
        print(f"| {name} | 1 | – | {t:.2f} | {mb / t:.3f} | – |")
    print(
        "jobs per call (segment, code, and gather when shards > 1; targets named, no `all` job): "
        + ", ".join(f"{b} c{c} s{s}: {n}" for (b, c, s), n in jobs.items())
    )


if __name__ == "__main__":
    main()

"""Whole-workflow runs and reruns of the bundled example (run by hand, not in tests).

    python benchmarks/rerun_speed.py [--project .] [--runs 5] [--runs-cold 1] [--runs-edit 1]
        [--cores 2]

Copies the project's files (``git ls-files -co --exclude-standard`` of ``--project``: what a
fresh clone plus the working tree's changes holds; no results, no jieba cache) into a temporary
folder and runs Snakemake there as the tests do (tests/conftest.py ``_env``: HOME a temporary
folder, no ``CHAINPB_HASH_KEY``, ``SOURCE_DATE_EPOCH`` fixed, ``MPLBACKEND=Agg``), with
``PYTHONPATH=<copy>/src`` so that the copy's library is the one imported and hashed
(chainpb.codehash). Then, each scenario starting from a finished run (the edits are kept, in
this order, so that no restore is needed):

1. cold: ``snakemake --cores 2`` on the fresh copy (``--runs-cold`` copies, median);
2. no-op: the same command again (median of ``--runs``), each in turn with the same no-op of a
   one-rule workflow (Snakemake's own start-up, its pandas import included): the median of the
   paired differences is the workflow's own part, whatever the host's speed;
3. dry run: ``snakemake -n`` of the finished project (median of ``--runs``);
4. a comment line appended to config/codebook.yaml (a new line each of ``--runs`` times; the
   codebook's semantic hash is a rule parameter, so this should do nothing);
5. a term appended to ``categories.coverage.terms`` of the codebook (as
   tests/test_rerun_scope.py does): coding and what follows rerun; it occurs in no example
   answer, so no firm's code changes and the jobs after the measures restore their results
   (``--runs-edit`` times, a new term each: median);
5b. the first ten coverage terms deleted: firms' codes change (the table says whether the
   analysis table did), so the analysis, fits, tables and figures are computed again;
6. a comment line appended to one library module (``--module``, default
   ``chainpb/present/paper.py``): only the rules whose scripts import it rerun;
7. a fourth city (tests/data/fourth_city, as the slow test in tests/test_workflow.py adds it,
   with ``allow_missing_city: true`` on every model and a hash key in HOME; only Huai'an, not
   the policies-only city) added to config/config.yaml.

For each: wall seconds (``time.perf_counter`` around the Snakemake process: start-up included),
jobs run (``N of N steps``, which counts the ``all`` target job too; 0 for "Nothing to be
done"), and the ratio to the cold run; below the table, the rules each rerun ran. Prints one
markdown table. The copy is deleted at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
SOURCE_DATE_EPOCH = "1764633600"  # 2025-12-02, as tests/conftest.py
NEW_TERM = "组织关系转不过来"  # the term tests/test_rerun_scope.py appends
DROPPED_TERMS = 10  # coverage terms deleted in the scenario whose edit changes firms' codes
STEPS = re.compile(r"(\d+) of (\d+) steps")
# Snakemake's floor: a rule with a parameter makes Snakemake import pandas to compare parameters
# (snakemake.persistence), as it does for this workflow.
ONE_RULE_WORKFLOW = """rule all:
    input:
        "done.txt",


rule done:
    output:
        "done.txt",
    params:
        x=1,
    shell:
        "echo done > {output}"
"""
STATS = re.compile(r"^Job stats:\n(.*?)^total\s+\d+", re.MULTILINE | re.DOTALL)


@dataclass
class Result:
    run: str
    command: str
    seconds: list[float] = field(default_factory=list)
    jobs: int = 0
    rules: dict[str, int] = field(default_factory=dict)


def copy_project(src: Path, dst: Path) -> Path:
    """The files git knows of or would add (tracked + untracked, not ignored), as in the tree."""
    listed = subprocess.run(
        ["git", "-C", str(src), "ls-files", "-co", "--exclude-standard", "-z"],
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8")
    for name in filter(None, listed.split("\0")):
        path = src / name
        if not (path.exists() or path.is_symlink()):  # deleted in the working tree
            continue
        target = dst / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target, follow_symlinks=False)
    return dst


def environment(project: Path, home: Path) -> dict[str, str]:
    env = dict(os.environ)
    # as tests/conftest.py _env: the developer's key must not leak into the example run
    env.pop("CHAINPB_HASH_KEY", None)
    env["HOME"] = str(home)
    env["MPLBACKEND"] = "Agg"
    env["SOURCE_DATE_EPOCH"] = SOURCE_DATE_EPOCH
    # Python's default: compiled modules are kept in __pycache__. Some shells (this benchmark
    # machine's, CI images) set PYTHONDONTWRITEBYTECODE=1, which recompiles the copy's library
    # (src/chainpb) on every Snakemake call and every job: a cost a researcher's machine
    # does not have.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    # the copy's library, not the editable install: its code hashes are those of the copy
    env["PYTHONPATH"] = os.pathsep.join(
        [str(project / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    return env


def snakemake(project: Path, env: dict[str, str], *args: str) -> tuple[float, int, dict, str]:
    """Wall seconds, jobs run, {rule: jobs} and the output of one Snakemake call."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [*SNAKEMAKE, *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
    )
    seconds = time.perf_counter() - t0
    out = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise SystemExit(f"snakemake {' '.join(args)} 失败 / failed:\n{out[-4000:]}")
    steps = STEPS.findall(out)
    jobs = int(steps[-1][0]) if steps else 0
    rules: dict[str, int] = {}
    if stats := STATS.search(out):
        for line in stats.group(1).splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1].isdigit():
                rules[parts[0]] = int(parts[1])
    return seconds, jobs, rules, out


def timed(
    result: Result, project: Path, env: dict[str, str], args: list[str], before=None, n: int = 1
) -> Result:
    for i in range(n):
        if before is not None:
            before(i)
        seconds, jobs, rules, _ = snakemake(project, env, *args)
        result.seconds.append(seconds)
        result.jobs, result.rules = jobs, rules
        print(f"  {result.run}: {seconds:.2f} s, {jobs} jobs", file=sys.stderr, flush=True)
    return result


def machine() -> str:
    from importlib.metadata import version

    from text_speed import cpu_model

    return (
        f"{cpu_model()}; {os.cpu_count()} cores; Python {platform.python_version()}; "
        f"Snakemake {version('snakemake')}"
    )


def commit(project: Path) -> str:
    run = lambda *a: subprocess.run(  # noqa: E731
        ["git", "-C", str(project), *a], capture_output=True, text=True
    ).stdout.strip()
    dirty = " + uncommitted changes" if run("status", "--porcelain", "--untracked-files=no") else ""
    return run("rev-parse", "--short", "HEAD") + dirty


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=ROOT, help="project to copy")
    parser.add_argument("--runs", type=int, default=5, help="runs of no-op, dry run, comment")
    parser.add_argument("--runs-cold", type=int, default=1, help="cold runs (a fresh copy each)")
    parser.add_argument(
        "--runs-edit", type=int, default=1, help="reruns after a term added (a new term each)"
    )
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--module", default="chainpb/present/paper.py", help="under src/")
    parser.add_argument("--keep", action="store_true", help="keep the copy (path on stderr)")
    args = parser.parse_args()
    project_src = args.project.resolve()
    cores = ["--cores", str(args.cores)]
    work = Path(tempfile.mkdtemp(prefix="chainpb_rerun_"))
    print(f"work folder: {work}", file=sys.stderr)
    results: list[Result] = []
    try:
        cold = Result("冷启动 cold", f"`snakemake --cores {args.cores}` (fresh copy)")
        for i in range(args.runs_cold):
            project = copy_project(project_src, work / f"cold{i}" / "project")
            home = project.parent / "home"
            home.mkdir()
            env = environment(project, home)
            timed(cold, project, env, cores)
        results.append(cold)

        # The no-op, in turn with the same call on a one-rule workflow (Snakemake's own
        # start-up): the paired difference is what this workflow adds, whatever the host's speed.
        floor = work / "snakemake_alone"
        floor.mkdir()
        (floor / "Snakefile").write_text(ONE_RULE_WORKFLOW, encoding="utf-8")
        snakemake(floor, env, *cores)
        noop = Result("无事可做 no-op", f"`snakemake --cores {args.cores}` again")
        alone = Result(
            "Snakemake 本身 Snakemake alone",
            "the same no-op of a one-rule workflow with one parameter (Snakemake's start-up, "
            "its pandas import included)",
        )
        for _ in range(args.runs):
            timed(noop, project, env, cores)
            timed(alone, floor, env, cores)
        results += [noop, alone]
        results.append(
            timed(Result("空运行 dry run", "`snakemake -n`"), project, env, ["-n"], n=args.runs)
        )

        codebook = project / "config/codebook.yaml"

        def comment(i: int) -> None:
            with codebook.open("a", encoding="utf-8") as fh:
                fh.write(f"# 备注 {i}：与课题组核对 / note {i}: check with the team\n")

        results.append(
            timed(
                Result(
                    "编码本改注释 codebook comment",
                    "`echo '# …' >> config/codebook.yaml; snakemake …`",
                ),
                project,
                env,
                cores,
                before=comment,
                n=args.runs,
            )
        )

        def new_term(i: int) -> None:
            # a different term each time (the first is the test's), none in any example answer
            data = yaml.safe_load(codebook.read_text(encoding="utf-8"))
            data["categories"]["coverage"]["terms"].append(NEW_TERM + ("" if i == 0 else f"{i}号"))
            codebook.write_text(
                yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"
            )

        results.append(
            timed(
                Result(
                    "编码本加一个词 codebook term added",
                    f"`{NEW_TERM}` appended to `categories.coverage.terms`"
                    + (
                        f" (then `{NEW_TERM}1号`, … one more each run)"
                        if args.runs_edit > 1
                        else ""
                    ),
                ),
                project,
                env,
                cores,
                before=new_term,
                n=args.runs_edit,
            )
        )

        analysis = project / "results/analysis/analysis.parquet"
        before_codes = hashlib.sha256(analysis.read_bytes()).hexdigest()

        def drop_terms(_: int) -> None:
            data = yaml.safe_load(codebook.read_text(encoding="utf-8"))
            del data["categories"]["coverage"]["terms"][:DROPPED_TERMS]
            codebook.write_text(
                yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"
            )

        dropped = timed(
            Result(
                "编码本删十个词 ten codebook terms removed",
                f"the first {DROPPED_TERMS} of `categories.coverage.terms` deleted",
            ),
            project,
            env,
            cores,
            before=drop_terms,
        )
        changed = hashlib.sha256(analysis.read_bytes()).hexdigest() != before_codes
        dropped.command += (
            "; firms' codes changed, so the analysis table, fits, tables and figures rerun"
            if changed
            else "; no firm's code changed"
        )
        results.append(dropped)

        module = project / "src" / args.module
        from chainpb.codehash import library_closure

        users = sorted(
            s.name
            for s in (project / "scripts").glob("*.py")
            if module in library_closure(s, project / "src")
        )

        def touch_module(_: int) -> None:
            with module.open("a", encoding="utf-8") as fh:
                fh.write("# benchmark: a comment line changes the module's bytes\n")

        results.append(
            timed(
                Result(
                    "库代码改一行 library edit",
                    f"`# …` appended to `src/{args.module}` (imported by {', '.join(users)})",
                ),
                project,
                env,
                cores,
                before=touch_module,
            )
        )

        def add_city(_: int) -> None:
            # tests/test_workflow.py _add_fourth_city (Huai'an only) with allow_missing_city
            data = project / "mydata" / "huaian"
            data.mkdir(parents=True, exist_ok=True)
            shutil.copy2(project / "tests/data/fourth_city/survey.xlsx", data / "survey.xlsx")
            block = yaml.safe_load(
                (project / "tests/data/fourth_city/city.yaml").read_text(encoding="utf-8")
            )
            block["huaian"]["survey"] = "mydata/huaian/survey.xlsx"
            key_file = home / ".config/chainpb/hash_key"  # not example data: a key is needed
            key_file.parent.mkdir(parents=True, exist_ok=True)
            key_file.write_text("benchmark-key-for-the-fourth-city\n", encoding="utf-8")
            cfg_path = project / "config/config.yaml"
            cfg = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
            cfg["cities"].update(block)
            for spec in cfg["models"].values():
                spec["allow_missing_city"] = True
            cfg_path.write_text(
                yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8"
            )

        results.append(
            timed(
                Result(
                    "加一个城市 a fourth city",
                    "tests/data/fourth_city added to `config/config.yaml`",
                ),
                project,
                env,
                cores,
                before=add_city,
            )
        )
    finally:
        if args.keep:
            print(f"kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)

    base = statistics.median(cold.seconds)
    print(f"machine: {machine()}")
    print(f"project: {project_src} at {commit(project_src)}; --cores {args.cores}")
    print("| 运行 run | 命令 command | 秒 seconds | 任务 jobs | 占冷启动 % of cold |")
    print("| --- | --- | ---: | ---: | ---: |")
    for r in results:
        med = statistics.median(r.seconds)
        n = len(r.seconds)
        spread = f" (median of {n}; {min(r.seconds):.2f}–{max(r.seconds):.2f})" if n > 1 else ""
        print(
            f"| {r.run} | {r.command} | {med:.2f}{spread} | {r.jobs} | {100 * med / base:.1f} % |"
        )
    own = statistics.median(a - b for a, b in zip(noop.seconds, alone.seconds, strict=True))
    print(
        f"\nthe workflow's own part of a no-op (median of the paired differences no-op − "
        f"Snakemake alone): {own:.2f} s"
    )
    print("\njobs count the `all` target job; rules run by each rerun:")
    for r in results[4:]:
        ran = ", ".join(f"{k}×{v}" for k, v in sorted(r.rules.items()) if k != "all")
        print(f"- {r.run}: {ran or 'none'}")


if __name__ == "__main__":
    main()

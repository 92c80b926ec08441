"""Hand labels of real report sentences, joined to their text from the shared corpora.

    from corpus_labels import load_labelled_sentences   # with benchmarks/ on sys.path
    df = load_labelled_sentences(corpora_dir)

``benchmarks/data/corpus_labels.csv`` holds no corpus text, only where each sentence is: the
corpus (``government_work_reports`` | ``cpc_congress_reports``), the document ``title`` and the
character offsets ``start``/``end`` into the raw ``content`` string of that JSON line (Python
slicing: ``content[start:end]``). ``sha1_8`` (first 8 hex digits of the SHA-1 of the UTF-8
sentence) detects a corpus that has changed since labelling. The rows were selected by
``benchmarks/corpus_sample.py`` (strata and the dev/test split by document are described
there) and labelled by reading each sentence: ``coverage``, ``ideology``, ``effectiveness``,
``resource`` are P / R / D / blank as in ``resources/gold/README.md``.

Only pandas and the standard library: benchmarks and tests import it without chainpb.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

LABELS = Path(__file__).resolve().parent / "data" / "corpus_labels.csv"
CORPORA = ("government_work_reports", "cpc_congress_reports")
CATEGORIES = ("coverage", "ideology", "effectiveness", "resource")
CODES = frozenset({"", "P", "R", "D"})
COLUMNS = [
    "unit_id", "corpus", "title", "start", "end", "sha1_8", "stratum", "split",
    *CATEGORIES, "note",
]  # fmt: skip


class CorpusLabelError(ValueError):
    """The labels do not fit the corpora (missing document, offsets, changed text)."""


def sha1_8(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]


def read_labels(labels_path: Path | str = LABELS) -> pd.DataFrame:
    """The label table as stored (no text): codes as '' / P / R / D, offsets as int."""
    df = pd.read_csv(labels_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    missing = [c for c in COLUMNS if c not in df.columns and c != "note"]
    if missing:
        raise CorpusLabelError(f"标签文件缺少列 / label file lacks columns: {missing}")
    if "note" not in df.columns:
        df["note"] = ""
    for c in CATEGORIES:
        df[c] = df[c].str.strip().str.upper()
        bad = sorted(set(df[c]) - CODES)
        if bad:
            raise CorpusLabelError(f"{c} 列有无效编码 / invalid codes in {c}: {bad}")
    df["start"] = df["start"].astype(int)
    df["end"] = df["end"].astype(int)
    return df


def read_corpus(corpora_dir: Path, corpus: str) -> list[dict]:
    """The documents (JSON objects: title, url, content, …) of one corpus file, in file order."""
    path = Path(corpora_dir) / f"{corpus}.jsonl"
    if not path.is_file():
        raise FileNotFoundError(
            f"找不到语料 {path}（应在项目旁的 ../shared/corpora，或设置 CHAINPB_CORPORA）/ "
            f"corpus not found: {path} (expected at ../shared/corpora or $CHAINPB_CORPORA)"
        )
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _read_contents(corpora_dir: Path) -> dict[tuple[str, str], str]:
    return {
        (corpus, row["title"]): row["content"]
        for corpus in CORPORA
        for row in read_corpus(corpora_dir, corpus)
    }


def load_labelled_sentences(
    corpora_dir: Path | str, labels_path: Path | str = LABELS
) -> pd.DataFrame:
    """Labels plus ``text`` = content[start:end]; raises CorpusLabelError if any row does not fit.

    Every row is checked (document present, 0 <= start < end <= len(content), SHA-1 prefix) and
    all problems are reported together, so a changed corpus shows how much of it moved.
    """
    df = read_labels(labels_path)
    contents = _read_contents(Path(corpora_dir))
    texts, problems = [], []
    for r in df.itertuples(index=False):
        content = contents.get((r.corpus, r.title))
        if content is None:
            problems.append(f"{r.unit_id}: 语料中没有该文档 / no document {r.corpus}/{r.title!r}")
            texts.append("")
            continue
        if not 0 <= r.start < r.end <= len(content):
            problems.append(
                f"{r.unit_id}: 偏移越界 / offsets {r.start}:{r.end} outside 0:{len(content)}"
            )
            texts.append("")
            continue
        text = content[r.start : r.end]
        if sha1_8(text) != r.sha1_8:
            problems.append(
                f"{r.unit_id}: 句子已改变（sha1 {sha1_8(text)} ≠ {r.sha1_8}）/ sentence changed "
                f"in {r.title!r} at {r.start}:{r.end}"
            )
        texts.append(text)
    if problems:
        head = "\n  ".join(problems[:10])
        more = f"\n  … 另有 {len(problems) - 10} 条 / {len(problems) - 10} more" * (
            len(problems) > 10
        )
        raise CorpusLabelError(
            f"{len(problems)} 条标签与语料不符，语料可能已更新 / "
            f"{len(problems)} labels do not fit the corpora (has the corpus changed?):\n  "
            f"{head}{more}"
        )
    df["text"] = texts
    return df

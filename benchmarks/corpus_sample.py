"""Candidate sentences of the real corpora for a hand-labelled dev/test set of the text coder.

    python benchmarks/corpus_sample.py [--seed 20261126] [--out benchmarks/data/corpus_candidates.csv]

Reads ``government_work_reports.jsonl`` (72 State Council government work reports) and
``cpc_congress_reports.jsonl`` (16 CPC congress reports) from ``$CHAINPB_CORPORA`` or, if that
is unset, from ``../shared/corpora`` beside the project root. The corpora are not ours to
redistribute: the output CSV holds the sentence text for the labeller and is git-ignored; the
committed labels (``benchmarks/data/corpus_labels.csv``) keep only document title and character
offsets (see ``benchmarks/corpus_labels.py``).

Sentences. The raw ``content`` string (not normalised, so that offsets point into the file as
it is) is cut after 。！？； and at line breaks; the terminator stays in the sentence, leading
and trailing blanks (including U+3000 and zero-width characters) are trimmed off the span.
``content[start:end]`` is the sentence. Sentences shorter than 10 or longer than 300 characters
are left out (headings, and the few paragraphs of old reports that have no full stop).
Keywords are matched on the OpenCC t2s form of the sentence, so the traditional-character
reports (1954, 1957 …) are found too; offsets always refer to the raw text.

Strata (a sentence belongs to the first that matches):

- ``party``: contains a Party-building word (``PARTY_TERMS``: 党建, 党组织, 党员, 党支部 …);
- ``hardneg``: contains a word that a difficulty codebook fires on (``HARD_TERMS``: 覆盖,
  组建, 考核, 融合发展, 专班 …) and no Party-building word — hard negatives for the
  Party-context gate;
- ``random``: any other sentence.

Sampling (``random.Random(seed)``, candidates sorted by document and offset first, so the
sample depends only on the seed and the corpora). For ``party`` and ``hardneg``: first up to
``PER_TERM_MIN`` sentences for each term, rarest term first, so that rare words (两新组织,
专班, 抱团 …) are present; then the rest of the quota is filled era by era in proportion to
the remaining sentences of each era (eras: ≤1977, 1978–1999, 2000–2012, 2013–2025; a CPC
congress report takes its congress year). ``random`` is drawn era by era in proportion to all
sentences of the era. Quotas: party 170, hardneg 170, random 80.

Split (by DOCUMENT, so no document is in both): each document has a year — its ``year``
field, else the year in its title; an undated NPC resolution (决议) the year of the session it
closes (第N届…第M次会议); a CPC report its congress year. Within each corpus the distinct years
are sorted and alternate: the 1st, 3rd, 5th … year → ``dev``, the 2nd, 4th … → ``test``; every
document of a year (a report and the resolution on it; the two 一大 reports) takes its year's
split. Alternating along the years keeps both splits spread over all eras.

Run by hand; writes only the candidates CSV.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import re
from collections import defaultdict
from pathlib import Path

from corpus_labels import CORPORA, read_corpus, sha1_8

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "data" / "corpus_candidates.csv"

PARTY_TERMS = (
    "党建",
    "党组织",
    "基层党组织",
    "党员",
    "党支部",
    "两新组织",
    "非公有制经济组织",
    "新社会组织",
    "党的组织",
)
HARD_TERMS = (
    "覆盖",
    "全覆盖",
    "融合发展",
    "深度融合",
    "组建",
    "考核",
    "资源共享",
    "整合",
    "协同",
    "跨区域",
    "小微企业",
    "专班",
    "壁垒",
    "抱团",
    "流动人口",
    "脱节",
    "形式主义",
    "走过场",
)
QUOTA = {"party": 170, "hardneg": 170, "random": 80}
PER_TERM_MIN = 6
MIN_LEN, MAX_LEN = 10, 300
ERAS = ((0, 1977, "-1977"), (1978, 1999, "1978-1999"), (2000, 2012, "2000-2012"))
LAST_ERA = "2013-2025"

# CPC congress number → year it met (the corpus carries the number, not the year).
CONGRESS_YEAR = {
    1: 1921, 2: 1922, 3: 1923, 4: 1925, 5: 1927, 6: 1928, 7: 1945, 8: 1956, 9: 1969,
    10: 1973, 11: 1977, 12: 1982, 13: 1987, 14: 1992, 15: 1997, 16: 2002, 17: 2007,
    18: 2012, 19: 2017, 20: 2022,
}  # fmt: skip
# 第N届全国人民代表大会第M次会议 met in year FIRST[N] + M - 1 (resolutions have no year field).
NPC_FIRST_YEAR = {1: 1954, 2: 1959, 3: 1964, 4: 1975, 5: 1978, 6: 1983, 7: 1988, 8: 1993,
                  9: 1998, 10: 2003, 11: 2008, 12: 2013, 13: 2018, 14: 2023}  # fmt: skip
CN_NUM = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}

_SENT_END = re.compile(r"[。！？；]|\n")
_TRIM = " \t\r\n\u3000\u00a0\u200b\u200c\u200d\ufeff"


def corpora_dir() -> Path:
    """$CHAINPB_CORPORA, else ../shared/corpora beside the project root."""
    return Path(os.environ.get("CHAINPB_CORPORA", ROOT.parent / "shared" / "corpora"))


def _cn_int(s: str) -> int:
    """十三 → 13, 四 → 4, 十 → 10 (enough for 届 and 次 numbers)."""
    if "十" not in s:
        return CN_NUM[s]
    tens, _, ones = s.partition("十")
    return (CN_NUM[tens] if tens else 1) * 10 + (CN_NUM[ones] if ones else 0)


def doc_year(corpus: str, row: dict) -> int:
    if corpus == "cpc_congress_reports":
        return CONGRESS_YEAR[int(row["congress"])]
    if row.get("year"):
        return int(row["year"])
    m = re.match(r"(\d{4})年", row["title"])
    if m:
        return int(m.group(1))
    m = re.match(r"第(.+?)届全国人民代表大会第(.+?)次会议", row["title"])
    if m:
        return NPC_FIRST_YEAR[_cn_int(m.group(1))] + _cn_int(m.group(2)) - 1
    raise ValueError(f"无法确定年份 / no year for document {row['title']!r}")


def era(year: int) -> str:
    for lo, hi, name in ERAS:
        if lo <= year <= hi:
            return name
    return LAST_ERA


def sentence_spans(content: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of the raw text, terminator kept, blanks trimmed."""
    spans, start = [], 0
    for m in _SENT_END.finditer(content):
        end = m.end() if m.group() != "\n" else m.start()
        spans.append((start, end))
        start = m.end()
    spans.append((start, len(content)))
    out = []
    for s, e in spans:
        seg = content[s:e]
        lead = len(seg) - len(seg.lstrip(_TRIM))
        trail = len(seg) - len(seg.rstrip(_TRIM))
        if e - trail > s + lead:
            out.append((s + lead, e - trail))
    return out


def read_documents(cdir: Path) -> list[dict]:
    """All documents with corpus, title, year, era, content and their split."""
    docs = []
    for corpus in CORPORA:
        rows = read_corpus(cdir, corpus)
        # One split per year: a report and the resolution approving it (same year) stay
        # together, and alternating over years rather than documents keeps the parity from
        # drifting where a year has one document instead of two.
        years = sorted({doc_year(corpus, r) for r in rows})
        split_of = {y: "dev" if i % 2 == 0 else "test" for i, y in enumerate(years)}
        for r in sorted(rows, key=lambda r: (doc_year(corpus, r), r["title"])):
            year = doc_year(corpus, r)
            docs.append(
                {
                    "corpus": corpus,
                    "title": r["title"],
                    "year": year,
                    "era": era(year),
                    "split": split_of[year],
                    "content": r["content"],
                }
            )
    return docs


def candidates(docs: list[dict]) -> list[dict]:
    from opencc import OpenCC  # only to match keywords in traditional-character reports

    t2s = OpenCC("t2s")
    out = []
    for d in docs:
        for s, e in sentence_spans(d["content"]):
            if not MIN_LEN <= e - s <= MAX_LEN:
                continue
            text = d["content"][s:e]
            simp = t2s.convert(text)
            party = [t for t in PARTY_TERMS if t in simp]
            hard = [t for t in HARD_TERMS if t in simp]
            stratum = "party" if party else ("hardneg" if hard else "random")
            out.append(
                {
                    **{k: d[k] for k in ("corpus", "title", "year", "era", "split")},
                    "start": s,
                    "end": e,
                    "sha1_8": sha1_8(text),
                    "stratum": stratum,
                    "terms": "|".join(party if party else hard),
                    "text": text,
                }
            )
    return out


def _proportional(pool: list[dict], n: int, rng: random.Random) -> list[dict]:
    """n rows of pool, allocated to eras in proportion to their size (largest remainder)."""
    by_era: dict[str, list[dict]] = defaultdict(list)
    for row in pool:
        by_era[row["era"]].append(row)
    n = min(n, len(pool))
    exact = {k: n * len(v) / len(pool) for k, v in by_era.items()} if pool else {}
    take = {k: int(x) for k, x in exact.items()}
    for k in sorted(exact, key=lambda k: (take[k] - exact[k], k))[: n - sum(take.values())]:
        take[k] += 1
    chosen = []
    for k in sorted(by_era):
        chosen += rng.sample(by_era[k], take[k])
    return chosen


def sample(cands: list[dict], seed: int) -> list[dict]:
    rng = random.Random(seed)
    chosen: list[dict] = []
    for stratum, terms in (("party", PARTY_TERMS), ("hardneg", HARD_TERMS), ("random", ())):
        pool = [c for c in cands if c["stratum"] == stratum]
        picked: list[dict] = []
        taken: set[int] = set()
        # Rare terms first so that each term has a few sentences before the proportional fill.
        freq = {t: sum(t in c["terms"].split("|") for c in pool) for t in terms}
        for t in sorted(terms, key=lambda t: (freq[t], t)):
            having = [
                i for i, c in enumerate(pool) if t in c["terms"].split("|") and i not in taken
            ]
            for i in rng.sample(having, min(PER_TERM_MIN, len(having))):
                taken.add(i)
                picked.append(pool[i])
        rest = [c for i, c in enumerate(pool) if i not in taken]
        picked += _proportional(rest, QUOTA[stratum] - len(picked), rng)
        chosen += picked
    chosen.sort(key=lambda c: (c["corpus"], c["year"], c["title"], c["start"]))
    for i, c in enumerate(chosen, 1):
        c["unit_id"] = f"corpus{i:04d}"
    return chosen


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=20261126)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    docs = read_documents(corpora_dir())
    rows = sample(candidates(docs), args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    cols = ["unit_id", "corpus", "title", "year", "era", "start", "end", "sha1_8", "stratum"]
    cols += ["split", "terms", "text"]
    with args.out.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for r in rows:
        counts[(r["stratum"], r["split"])] += 1
    print(f"{len(rows)} 句 / sentences → {args.out}")
    for (stratum, split), n in sorted(counts.items()):
        print(f"  {stratum:8s} {split:4s} {n}")


if __name__ == "__main__":
    main()

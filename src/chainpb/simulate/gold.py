"""The gold sample: open answers and policy sentences with a reader's codes.

Codes come from reading: each bank phrase and each bank sentence was read against the category
descriptions of the domain brief when it was written (see ``phrases`` and ``policy_bank``). The
codes are those of ``resources/gold/README.md``: ``P`` problem stated, ``R`` remedy or achievement,
``D`` difficulty named only to deny it, ``0`` not about the category.

- An answer is ``P`` for every difficulty in the union of the readings of the phrases it is made
  of (answers state difficulties; they never propose remedies), ``D`` for a difficulty it only
  denies (``denied``, from the negation bank), else ``0``; "无"-type answers and fillers are all 0.
  Where the reading is wider than the generator's intended codes (a phrase that honestly shows two
  difficulties), the gold keeps the reading; the number of such answers is reported in
  ``truth.json`` under ``gold``. A difficulty both stated and denied is ``P``: it is stated.
- A policy sentence coded for a category is ``P`` when it comes from a ``problem_<axis>`` section
  of the bank and ``R`` otherwise (``policy_bank.section_code``); the section travels with the
  sentence from the document composer, so renumbered "一是/二是" openings do not matter.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from chainpb.simulate.phrases import DIFFICULTIES
from chainpb.simulate.policy_bank import section_code

GOLD_ANSWERS_PER_CITY = 60
GOLD_POLICY_CODED = 94
GOLD_POLICY_NEUTRAL = 48


def build_gold(
    answers: dict[str, Any], docs: dict[str, list[Any]], rng: np.random.Generator
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Return the gold table (unit_id, source, city_key, text, four P/R/D/0 codes) and notes.

    The random draws (which answers, which sentences) are those of the former 0/1 gold: only the
    code written for a chosen unit changed, so the sample itself is the same.
    """
    rows = []
    differs = 0
    for city_key, (texts, ans, truth, pii_rows) in answers.items():
        first_row = int(truth["raw_row"].iloc[0])
        eligible = [
            i for i in range(len(ans))
            if ans["answer_status"].iloc[i] != "missing" and (i + first_row) not in pii_rows
        ]  # fmt: skip
        picks = sorted(rng.choice(eligible, size=GOLD_ANSWERS_PER_CITY, replace=False))
        for k, i in enumerate(picks, start=1):
            reading, denied = ans["reading"].iloc[i], ans["denied"].iloc[i]
            codes = {c: "P" if c in reading else "D" if c in denied else "0" for c in DIFFICULTIES}
            intended = {c: int(truth[c].iloc[i]) for c in DIFFICULTIES}
            differs += {c: int(c in reading) for c in DIFFICULTIES} != intended
            rows.append({"unit_id": f"A-{city_key}-{k:03d}", "source": "answers", "city_key": city_key,
                         "text": texts.iloc[i], **codes})  # fmt: skip
    # sentence text → (city, categories, gold code of those categories); first occurrence wins
    sentences: dict[str, tuple[str, frozenset[str], str]] = {}
    for city_key, city_docs in docs.items():
        for doc in city_docs:
            for _heading, paragraph in doc.paragraphs:
                for s in paragraph:
                    sentences.setdefault(s.text, (city_key, s.codes, section_code(s.section)))
    keys = sorted(sentences)
    coded = [s for s in keys if sentences[s][1]]
    neutral = [s for s in keys if not sentences[s][1]]
    chosen = list(rng.choice(coded, size=min(GOLD_POLICY_CODED, len(coded)), replace=False))
    chosen += list(rng.choice(neutral, size=min(GOLD_POLICY_NEUTRAL, len(neutral)), replace=False))
    for k, s in enumerate(sorted(chosen, key=lambda s: (sentences[s][0], s)), start=1):
        city_key, codes, code = sentences[s]
        rows.append({"unit_id": f"P-{city_key}-{k:03d}", "source": "policies", "city_key": city_key,
                     "text": s, **{c: code if c in codes else "0" for c in DIFFICULTIES}})  # fmt: skip
    gold = pd.DataFrame(rows)
    notes = {
        "n_answers": int((gold["source"] == "answers").sum()),
        "n_policy_sentences": int((gold["source"] == "policies").sum()),
        "n_policy_none": int(
            ((gold["source"] == "policies") & (gold[list(DIFFICULTIES)] == "0").all(axis=1)).sum()
        ),
        "answers_reading_differs_from_generator": int(differs),
        "n_unique_policy_sentences": len(keys),
    }
    return gold, notes

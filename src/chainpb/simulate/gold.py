"""The gold sample: open answers and policy sentences with a reader's codes.

Codes come from reading: each bank phrase and each bank sentence was read against the category
descriptions of the domain brief when it was written (see ``phrases`` and ``policy_bank``), and an
answer's gold code is the union of the readings of the phrases it is made of — negated mentions,
"无"-type answers and fillers read as 0. Where that reading is wider than the generator's intended
codes (a phrase that honestly shows two difficulties), the gold keeps the reading; the number of
such answers is reported in ``truth.json`` under ``gold``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from chainpb.simulate.phrases import DIFFICULTIES

GOLD_ANSWERS_PER_CITY = 60
GOLD_POLICY_CODED = 94
GOLD_POLICY_NEUTRAL = 48


def build_gold(
    answers: dict[str, Any], docs: dict[str, list[Any]], rng: np.random.Generator
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Return the gold table (unit_id, source, city_key, text, four 0/1 codes) and notes."""
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
            reading = ans["reading"].iloc[i]
            codes = {c: int(c in reading) for c in DIFFICULTIES}
            intended = {c: int(truth[c].iloc[i]) for c in DIFFICULTIES}
            differs += codes != intended
            rows.append({"unit_id": f"A-{city_key}-{k:03d}", "source": "answers", "city_key": city_key,
                         "text": texts.iloc[i], **codes})  # fmt: skip
    sentences: dict[str, tuple[str, frozenset[str]]] = {}
    for city_key, city_docs in docs.items():
        for doc in city_docs:
            for heading, paragraph in doc.paragraphs:
                for sentence, codes in paragraph:
                    sentences.setdefault(sentence, (city_key, codes))
                del heading
    keys = sorted(sentences)
    coded = [s for s in keys if sentences[s][1]]
    neutral = [s for s in keys if not sentences[s][1]]
    chosen = list(rng.choice(coded, size=min(GOLD_POLICY_CODED, len(coded)), replace=False))
    chosen += list(rng.choice(neutral, size=min(GOLD_POLICY_NEUTRAL, len(neutral)), replace=False))
    for k, s in enumerate(sorted(chosen, key=lambda s: (sentences[s][0], s)), start=1):
        city_key, codes = sentences[s]
        rows.append({"unit_id": f"P-{city_key}-{k:03d}", "source": "policies", "city_key": city_key,
                     "text": s, **{c: int(c in codes) for c in DIFFICULTIES}})  # fmt: skip
    gold = pd.DataFrame(rows)
    notes = {
        "n_answers": int((gold["source"] == "answers").sum()),
        "n_policy_sentences": int((gold["source"] == "policies").sum()),
        "n_policy_none": int(
            ((gold["source"] == "policies") & (gold[list(DIFFICULTIES)].sum(axis=1) == 0)).sum()
        ),
        "answers_reading_differs_from_generator": int(differs),
        "n_unique_policy_sentences": len(keys),
    }
    return gold, notes

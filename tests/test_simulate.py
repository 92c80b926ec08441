"""Tests of the simulated example: regeneration, sizes, phrase bank, documents, gold, bad rows.

Expected numbers come from the brief of the example (>= 400 firms per city, >= 40 phrasings per
difficulty, >= 6 documents of >= 800 characters, >= 300 gold units, ~1 % planted bad rows) and, for
the planted effects, from ``truth.json`` itself (the coefficients the data-generating process uses).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chainpb.simulate import generate_example
from chainpb.simulate.phrases import NEGATED_BANK, PHRASE_BANK, phrase_reading

EXAMPLE = Path(__file__).resolve().parents[1] / "resources" / "example"
CITIES = ("suqian", "suzhou", "wuxi")


def _read_survey(root: Path, city: str) -> pd.DataFrame:
    if city == "suqian":
        return pd.read_excel(root / city / "survey.xlsx", dtype=str)
    if city == "suzhou":
        return pd.read_csv(
            root / city / "survey.csv", encoding="gb18030", dtype=str, keep_default_na=False
        )
    import pyreadstat

    df, _ = pyreadstat.read_sav(str(root / city / "survey.sav"), user_missing=True)
    return df


def _read_doc(path: Path) -> str:
    if path.suffix == ".docx":
        import docx

        d = docx.Document(str(path))
        cells = [c.text for t in d.tables for row in t.rows for c in row.cells]
        return "\n".join([p.text for p in d.paragraphs] + cells)
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("gbk")


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("example")
    generate_example(out)
    return out


def test_regeneration_equals_committed(regenerated: Path) -> None:
    for city in CITIES:
        pd.testing.assert_frame_equal(_read_survey(regenerated, city), _read_survey(EXAMPLE, city))
        for doc in sorted((EXAMPLE / city / "policies").iterdir()):
            assert _read_doc(regenerated / city / "policies" / doc.name) == _read_doc(doc), doc
    for rel in ("truth/truth.json", "truth/firms.csv", "truth/answer_codes.csv",
                "gold/gold_codes.csv", "column_maps.yaml", "README.md", "gold/README.md"):  # fmt: skip
        assert (regenerated / rel).read_text(encoding="utf-8") == (EXAMPLE / rel).read_text(
            encoding="utf-8"
        ), rel


def test_at_least_400_firms_per_city() -> None:
    for city in CITIES:
        assert len(_read_survey(EXAMPLE, city)) >= 400


def test_phrase_bank_has_40_phrasings_per_difficulty() -> None:
    for difficulty, bank in PHRASE_BANK.items():
        phrases = {p for p, _ in bank}
        assert len(phrases) >= 40, difficulty
        assert all(difficulty in r for _, r in bank)
    # negated phrases never read as a difficulty
    assert all(not phrase_reading(p) for ps in NEGATED_BANK.values() for p in ps)


def test_six_documents_of_800_chars_per_city() -> None:
    for city in CITIES:
        manifest = pd.read_csv(EXAMPLE / city / "policies" / "manifest.csv", encoding="utf-8-sig")
        assert list(manifest.columns) == ["file", "title", "issuer", "date"]
        assert len(manifest) >= 6
        assert manifest["issuer"].str.startswith("（模拟）").all()
        lengths = [len(_read_doc(EXAMPLE / city / "policies" / f)) for f in manifest["file"]]
        assert min(lengths) >= 800, lengths


def test_gold_sample() -> None:
    gold = pd.read_csv(EXAMPLE / "gold" / "gold_codes.csv", encoding="utf-8-sig")
    assert len(gold) >= 300
    assert set(gold["source"]) == {"answers", "policies"}
    policies = gold[gold["source"] == "policies"]
    none_share = (
        policies[["coverage", "ideology", "effectiveness", "resource"]].sum(axis=1) == 0
    ).mean()
    assert 0.25 <= none_share <= 0.40  # "roughly a third" of policy sentences code as none
    # A negated mention in an answer is coded 0: take one hand-checked gold row.
    denial = gold[gold["text"].str.startswith("不存在覆盖难的问题") & (gold["source"] == "answers")]
    assert (denial["coverage"] == 0).all()


def test_planted_bad_rows_present() -> None:
    truth = json.loads((EXAMPLE / "truth" / "truth.json").read_text(encoding="utf-8"))
    assert truth["simulated"] is True
    for city in CITIES:
        raw = _read_survey(EXAMPLE, city)
        bad = [b for b in truth["bad_rows"] if b["city_key"] == city]
        assert {b["reason_en"].split(" (")[0] for b in bad} == {
            "Likert answer out of range 1-5", "unknown ownership category",
            "negative number of employees", "founding year after the survey year",
            "duplicated enterprise id"}  # fmt: skip
        first = 1 if city == "wuxi" else 2
        for b in bad:
            cell = raw[b["column"]].iloc[b["raw_row"] - first]
            assert str(cell).removesuffix(".0") == b["value"], b
        id_col = next(h for h, v in truth["column_maps"][city].items() if v == "enterprise_id")
        ids = raw[id_col]
        assert ids.duplicated().sum() == 1


def test_pii_in_open_answers() -> None:
    truth = json.loads((EXAMPLE / "truth" / "truth.json").read_text(encoding="utf-8"))
    for city in CITIES:
        raw = _read_survey(EXAMPLE, city)
        col = next(h for h, v in truth["column_maps"][city].items() if v == "difficulty_text")
        first = 1 if city == "wuxi" else 2
        records = truth["pii_in_answers"][city]
        assert len(records) == 5
        for r in records:
            assert r["value"] in raw[col].iloc[r["raw_row"] - first]


def test_planted_rd_effect_is_recoverable() -> None:
    # OLS with city×chain dummies on the clean truth table; expected 0.80 from truth.json EFFECTS.
    firms = pd.read_csv(EXAMPLE / "truth" / "firms.csv", encoding="utf-8-sig")
    firms = firms[firms["bad_row"] == 0]
    dummies = pd.get_dummies(firms["city_key"] + "|" + firms["chain"], dtype=float)
    x = np.column_stack([firms[["alliance_member", "has_party_org", "chain_leader"]].to_numpy(float),
                         np.log(firms["employees"].to_numpy(float)), dummies.to_numpy()])  # fmt: skip
    beta, *_ = np.linalg.lstsq(x, firms["rd_intensity"].to_numpy(float), rcond=None)
    # with n ≈ 1 345 and noise sd 1.0 the standard error of the member effect is ≈ 0.06
    assert abs(beta[0] - 0.80) < 0.2
    assert abs(beta[3] - 0.25) < 0.1

"""Tests of the simulated example: regeneration, sizes, phrase bank, documents, gold, bad rows.

Expected numbers come from the brief of the example (>= 400 firms per city, >= 40 phrasings per
difficulty, >= 6 documents of >= 800 characters, >= 300 gold units, ~1 % planted bad rows) and, for
the planted effects, from ``truth.json`` itself (the coefficients the data-generating process uses).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chainpb.simulate import generate_example
from chainpb.simulate import gold as gold_module
from chainpb.simulate.documents import PolicyDoc, Sentence
from chainpb.simulate.phrases import DIFFICULTIES, NEGATED_BANK, PHRASE_BANK, phrase_reading
from chainpb.simulate.policy_bank import PARAGRAPHS

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


def _read_gold() -> pd.DataFrame:
    return pd.read_csv(
        EXAMPLE / "gold" / "gold_codes.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False
    )


def test_gold_sample() -> None:
    gold = _read_gold()
    assert len(gold) >= 300
    assert set(gold["source"]) == {"answers", "policies"}
    policies = gold[gold["source"] == "policies"]
    none_share = (policies[list(DIFFICULTIES)] == "0").all(axis=1).mean()
    assert 0.25 <= none_share <= 0.40  # "roughly a third" of policy sentences code as none
    # A negated mention in an answer is D, not P: one hand-checked gold row (it denies a coverage
    # difficulty and states nothing else).
    denial = gold.set_index("unit_id").loc["A-suqian-006"]
    assert denial["text"] == "党员组织关系都理顺了，不存在流动党员管理的问题，其他都还好。"
    assert denial[list(DIFFICULTIES)].tolist() == ["D", "0", "0", "0"]


def test_gold_code_alphabet() -> None:
    # resources/gold/README.md: P problem, R remedy, D denied, 0 not about the category. Answers
    # state difficulties (no R); no sentence of the policy bank denies a difficulty (no D).
    gold = _read_gold()
    answers = gold.loc[gold["source"] == "answers", list(DIFFICULTIES)]
    policies = gold.loc[gold["source"] == "policies", list(DIFFICULTIES)]
    assert set(answers.to_numpy().ravel()) == {"P", "D", "0"}
    assert set(policies.to_numpy().ravel()) == {"P", "R", "0"}


_ORDINAL = "[一二三四五六七八九十]是"


def _template_pattern(template: str) -> re.Pattern[str]:
    """A bank template as a regex: placeholders match any text, a leading 一是 any ordinal."""
    parts = re.split(r"\{[a-z_]+\}", template)
    body = ".+".join(re.escape(part) for part in parts)
    body = (
        re.sub("^" + re.escape(template[:2]), _ORDINAL, body)
        if re.match(_ORDINAL, template)
        else body
    )
    return re.compile(body + "$")


_BANK_PATTERNS = [
    (section, _template_pattern(s), codes)
    for section, paragraphs in PARAGRAPHS.items()
    for para in paragraphs
    for s, codes in para
]


def test_gold_policy_polarity_follows_bank_section() -> None:
    # Independent of the generator's bookkeeping: find each gold sentence's bank line by its text.
    gold = _read_gold()
    policies = gold[gold["source"] == "policies"]
    n_problem = 0
    for _, row in policies.iterrows():
        hits = {(sec, codes) for sec, pat, codes in _BANK_PATTERNS if pat.match(row["text"])}
        assert len(hits) == 1, (row["text"], hits)
        section, codes = hits.pop()
        expected = "P" if section.startswith("problem_") else "R"
        assert {c: row[c] for c in DIFFICULTIES} == {
            c: expected if c in codes else "0" for c in DIFFICULTIES
        }, row["text"]
        if section.startswith("problem_"):
            n_problem += 1
            assert row[section.removeprefix("problem_")] == "P", row["text"]
    # 21 gold sentences come from the problem sections; each was read by hand and states a
    # difficulty (e.g. “一是组织覆盖仍有空白，部分小微企业和新业态企业尚未建立党组织。”).
    assert n_problem == 21


def test_gold_code_counts() -> None:
    # Where the numbers come from: P+R (policies) and P (answers) per category equal the 1-counts
    # of the former 0/1 gold (commit 690d996: policies 29/23/24/24, answers 49/56/67/70), since
    # the same units were drawn; the split of policy 1s into P and R is the 21 problem-section
    # sentences read by hand (see the test above); answer D counts are checked here against the
    # negation phrases found in the text.
    gold = _read_gold()
    counts = {
        (src, c): gold.loc[gold["source"] == src, c].value_counts().to_dict()
        for src in ("answers", "policies")
        for c in DIFFICULTIES
    }
    assert counts == {
        ("answers", "coverage"): {"0": 128, "P": 49, "D": 3},
        ("answers", "ideology"): {"0": 118, "P": 56, "D": 6},
        ("answers", "effectiveness"): {"0": 108, "P": 67, "D": 5},
        ("answers", "resource"): {"0": 107, "P": 70, "D": 3},
        ("policies", "coverage"): {"0": 108, "R": 24, "P": 5},
        ("policies", "ideology"): {"0": 114, "R": 17, "P": 6},
        ("policies", "effectiveness"): {"0": 113, "R": 19, "P": 5},
        ("policies", "resource"): {"0": 113, "R": 19, "P": 5},
    }
    answers = gold[gold["source"] == "answers"]
    for c in DIFFICULTIES:
        denies = answers["text"].map(lambda t, c=c: any(p in t for p in NEGATED_BANK[c]))
        assert (denies == (answers[c] == "D")).all(), c


def test_build_gold_codes_from_carried_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    # Hand-built input: the codes must come from the carried reading/denials and bank section.
    monkeypatch.setattr(gold_module, "GOLD_ANSWERS_PER_CITY", 2)
    monkeypatch.setattr(gold_module, "GOLD_POLICY_CODED", 2)
    monkeypatch.setattr(gold_module, "GOLD_POLICY_NEUTRAL", 1)
    ans = pd.DataFrame({
        "answer_status": ["coded", "coded"],
        # second answer: coverage both stated and denied → P (it is stated); resource denied → D
        "reading": [frozenset({"ideology"}), frozenset({"coverage"})],
        "denied": [frozenset(), frozenset({"coverage", "resource"})],
    })  # fmt: skip
    truth = pd.DataFrame({"raw_row": [2, 3], "coverage": [0, 1], "ideology": [1, 0],
                          "effectiveness": [0, 0], "resource": [0, 0]})  # fmt: skip
    texts = pd.Series(["甲。", "乙。"])
    doc = PolicyDoc(stem="s", title="t", issuer="i", date="2024-01-01", fmt="txt-utf8")
    doc.paragraphs = [(None, [Sentence("二是问题。", frozenset({"coverage"}), "problem_coverage"),
                              Sentence("对策。", frozenset({"coverage", "resource"}), "coverage"),
                              Sentence("其他。", frozenset(), "closing")])]  # fmt: skip
    gold, notes = gold_module.build_gold(
        {"x": (texts, ans, truth, set())}, {"x": [doc]}, np.random.default_rng(0)
    )
    codes = gold.set_index("text")[list(DIFFICULTIES)].to_dict("index")
    assert codes["甲。"] == {
        "coverage": "0",
        "ideology": "P",
        "effectiveness": "0",
        "resource": "0",
    }
    assert codes["乙。"] == {
        "coverage": "P",
        "ideology": "0",
        "effectiveness": "0",
        "resource": "D",
    }
    assert codes["二是问题。"] == {
        "coverage": "P",
        "ideology": "0",
        "effectiveness": "0",
        "resource": "0",
    }
    assert codes["对策。"] == {
        "coverage": "R",
        "ideology": "0",
        "effectiveness": "0",
        "resource": "R",
    }
    assert codes["其他。"] == dict.fromkeys(DIFFICULTIES, "0")
    assert notes["n_policy_none"] == 1
    assert notes["answers_reading_differs_from_generator"] == 0


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


# --- issue 11: the paper's argument planted in the example ----------------------------------


def test_new_variables_leave_the_original_draws_alone() -> None:
    """The issue-11 variables come from a separate stream: with and without it every original
    column is the same, except alliance_type (one type per chain) and revenue_growth, which
    differs by exactly the planted shift (type effect of members + spillover + mechanisms)."""
    from chainpb.simulate import dgp

    city = dgp.CITIES[1]
    old = dgp.simulate_firms(city, np.random.default_rng([7, 1, 0]), 2025)
    new = dgp.simulate_firms(
        city, np.random.default_rng([7, 1, 0]), 2025, extra=np.random.default_rng([7, 1, 6])
    )
    same = [c for c in old.columns if c not in ("alliance_type", "revenue_growth")]
    pd.testing.assert_frame_equal(old[same], new[same])
    members = new["alliance_member"] == 1
    assert (new.loc[members].groupby("chain")["alliance_type"].nunique() == 1).all()
    assert new.loc[members, "alliance_type"].nunique() == 4  # a city's four chains, four types
    assert new.loc[~members, "alliance_type"].isna().all()
    assert (new.loc[new["chain_leader"] == 1, "leader_supplier"] == 0).all()
    type_effect = new["alliance_type"].map(dgp.TYPE_EFFECTS).fillna(0.0)
    shift = type_effect + dgp.SPILLOVER["effect_revenue_growth"] * new["leader_supplier"]
    for mech, b in dgp.MECHANISM_EFFECTS.items():
        shift = shift + b * new[mech]
    assert np.abs(new["revenue_growth"] - old["revenue_growth"] - shift).max() <= 0.1 + 1e-9


def test_new_questions_are_in_every_raw_file_and_column_map() -> None:
    maps = json.loads((EXAMPLE / "truth" / "truth.json").read_text(encoding="utf-8"))["column_maps"]
    new = {"leader_supplier", "mech_joint_meeting", "mech_consultation", "mech_shared_platform"}
    for city in CITIES:
        raw = _read_survey(EXAMPLE, city)
        headers = {h for h, v in maps[city].items() if v in new}
        assert len(headers) == 4 and headers <= set(raw.columns), city
    suqian = _read_survey(EXAMPLE, "suqian")
    assert set(suqian["37、贵企业是否参加了产业链党建联席会议？"]) == {"是", "否"}


def test_new_planted_effects_are_recoverable_from_the_truth_table() -> None:
    """OLS on the clean truth table with city × chain dummies (truth.json): 链主 spillover to
    supplier firms +1.2 and mechanism effects +0.8/+0.6/+1.0 on revenue growth; type effects
    among members (+1.5/+0.5/+1.0, chain-level: identified against city dummies only)."""
    truth = json.loads((EXAMPLE / "truth" / "truth.json").read_text(encoding="utf-8"))["effects"]
    firms = pd.read_csv(EXAMPLE / "truth" / "firms.csv", encoding="utf-8-sig")
    firms = firms[firms["bad_row"] == 0]
    mechs = list(truth["mechanisms"])
    cols = ["leader_supplier", *mechs, "alliance_member", "has_party_org", "chain_leader",
            "coop_projects"]  # fmt: skip
    dummies = pd.get_dummies(firms["city_key"] + "|" + firms["chain"], dtype=float)
    x = np.column_stack([firms[cols].to_numpy(float), np.log(firms["employees"].to_numpy(float)),
                         dummies.to_numpy()])  # fmt: skip
    beta, *_ = np.linalg.lstsq(x, firms["revenue_growth"].to_numpy(float), rcond=None)
    # noise sd 3.0, n ≈ 1 335: SEs ≈ 0.2 (spillover), ≈ 0.18 (mechanisms)
    assert abs(beta[0] - truth["spillover"]["effect"]) < 0.5
    for j, mech in enumerate(mechs, start=1):
        assert abs(beta[j] - truth["mechanisms"][mech]["b"]) < 0.5, mech
    # Type effects are chain-level (3 chains per type): against the realised chain effects of
    # revenue (truth.json chain_effects, sd 1.0) they are recovered once those are removed.
    full = json.loads((EXAMPLE / "truth" / "truth.json").read_text(encoding="utf-8"))
    chain_rev = {
        (c, k): v for c, d in full["chain_effects"].items() for k, v in d["revenue_growth"].items()
    }
    members = firms[firms["alliance_member"] == 1]
    y = members["revenue_growth"] - [
        chain_rev[k] for k in zip(members["city_key"], members["chain"], strict=True)
    ]
    effects = truth["alliance_type"]["effects"]
    types = pd.get_dummies(members["alliance_type"], dtype=float)[list(effects)]
    x = np.column_stack([np.ones(len(members)), types.to_numpy(),
                         pd.get_dummies(members["city_key"], dtype=float).to_numpy()[:, 1:],
                         members[["leader_supplier", *mechs, "coop_projects", "has_party_org",
                                  "chain_leader"]].to_numpy(float),
                         np.log(members["employees"].to_numpy(float))])  # fmt: skip
    beta, *_ = np.linalg.lstsq(x, y.to_numpy(float), rcond=None)
    # noise sd 3.0 among ≈ 730 members: SE of a type contrast ≈ 0.3
    for i, v in enumerate(effects.values(), start=1):
        assert abs(beta[i] - v) < 0.8, (i, beta[i], v)

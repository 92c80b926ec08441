"""Generate the bundled example: surveys, policy documents, truth, gold sample, README.

``python -m chainpb.simulate --out resources/example`` rebuilds everything from the seed; the
same seed gives the same parsed content (xlsx/docx container bytes may differ).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from chainpb.atomic import write_csv, write_json, write_text, write_with
from chainpb.simulate import dgp
from chainpb.simulate.documents import PolicyDoc, compose_documents, roughen
from chainpb.simulate.phrases import DIFFICULTIES
from chainpb.simulate.raw_formats import (
    ITEMS,
    SAV_MISSING,
    write_gb18030_csv,
    write_spss_sav,
    write_wjx_xlsx,
)

DEFAULT_SEED = 20251126
SURVEY_YEAR = 2025
SURVEY_FILES = {"suqian": "survey.xlsx", "suzhou": "survey.csv", "wuxi": "survey.sav"}
PII_VARS = ("enterprise_name", "respondent_name", "respondent_phone")

# (kind, canonical variable, value written per city, 中文原因, English reason)
BAD_ROWS = (
    ("likert", {"suqian": ("resilience", 7), "suzhou": ("coverage_2", 6), "wuxi": ("ideology_1", 7)},
     "量表取值超出 1–5", "Likert answer out of range 1-5"),
    ("ownership", {"suqian": ("ownership", "私企"), "suzhou": ("ownership", "个体"), "wuxi": ("ownership", 5)},
     "所有制类别不在已知类别中", "unknown ownership category"),
    ("employees", {"suqian": ("employees", -50), "suzhou": ("employees", -120), "wuxi": ("employees", -50)},
     "员工人数为负数", "negative number of employees"),
    ("founded", {"suqian": ("founded_year", 2031), "suzhou": ("founded_year", 2028), "wuxi": ("founded_year", 2030)},
     "成立年份晚于调查年份", "founding year after the survey year"),
    ("duplicate", {}, "企业编号重复", "duplicated enterprise id"),
)  # fmt: skip


def _rng(seed: int, city_index: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, city_index, stream])


def _city_frame(city: dgp.CitySpec, seed: int, ci: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    firms = dgp.simulate_firms(city, _rng(seed, ci, 0), SURVEY_YEAR, extra=_rng(seed, ci, 6))
    answers = dgp.simulate_answers(_rng(seed, ci, 1), firms)
    pii = _rng(seed, ci, 2)
    firms.insert(1, "enterprise_id", dgp.enterprise_ids(pii, city.region_code, city.n))
    firms.insert(2, "enterprise_name", [dgp.enterprise_name(pii, city, c) for c in firms["chain"]])
    firms.insert(3, "respondent_name", [dgp.chinese_name(pii) for _ in range(city.n)])
    firms.insert(4, "respondent_phone", [dgp.mobile_number(pii) for _ in range(city.n)])
    firms["difficulty_text"] = answers["difficulty_text"]
    return firms, answers


def _plant(city: dgp.CitySpec, raw: pd.DataFrame, answers: pd.DataFrame, seed: int, ci: int,
           file: str, header_of: dict[str, str], first_row: int) -> tuple[list[dict], list[dict]]:  # fmt: skip
    """Plant bad rows and PII in open answers; return their records for truth.json."""
    rng = _rng(seed, ci, 3)
    coded = np.flatnonzero(answers["answer_status"].to_numpy() == "coded")
    picks = rng.choice(coded, size=5 + len(BAD_ROWS), replace=False)
    pii_rows, bad_idx = sorted(picks[:5]), sorted(picks[5:])
    pii_records = []
    for j, i in enumerate(pii_rows):
        if j < 3:
            number = dgp.mobile_number(rng)
            extra = ["有问题请联系我", "联系电话", "具体情况可打我手机"][j] + number
        else:
            number = dgp.id_number(rng, city.region_code)
            extra = f"填表人身份证号{number}"
        raw.loc[raw.index[i], "difficulty_text"] = raw["difficulty_text"].iloc[i] + extra
        pii_records.append({"raw_row": int(i + first_row), "kind": "phone" if j < 3 else "id_number",
                            "value": number})  # fmt: skip
    bad = []
    for (kind, values, zh, en), i in zip(BAD_ROWS, bad_idx, strict=True):
        if kind == "duplicate":
            source = int(rng.choice([k for k in range(i) if k not in bad_idx] or [0]))
            var, value = "enterprise_id", raw["enterprise_id"].iloc[source]
            zh = f"{zh}（与第 {source + first_row} 行相同）"
            en = f"{en} (same as row {source + first_row})"
        else:
            var, value = values[city.key]
        raw[var] = raw[var].astype(object)
        raw.loc[raw.index[i], var] = value
        bad.append({"city_key": city.key, "file": f"{city.key}/{file}", "raw_row": int(i + first_row),
                    "column": header_of[var], "variable": var, "value": str(value),
                    "reason_zh": zh, "reason_en": en})  # fmt: skip
    return sorted(bad, key=lambda r: r["raw_row"]), pii_records


def _write_doc(path: Path, doc: PolicyDoc, rough: bool) -> None:
    text = doc.text()
    if rough:
        text = roughen(text)
    if doc.fmt == "txt-utf8":
        write_text(path, text)
    elif doc.fmt == "txt-gbk":
        write_text(path, text.replace("\n", "\r\n").replace("\r\r\n", "\r\n"), encoding="gbk")
    else:
        import docx

        d = docx.Document()
        d.core_properties.author = "chainpb.simulate"
        lines = text.rstrip("\n").split("\n")
        d.add_heading(lines[0], level=1)
        for line in lines[1:]:
            if line:
                d.add_paragraph(line)
        if doc.table:
            d.add_paragraph("附件：任务分工表")
            table = d.add_table(rows=len(doc.table), cols=len(doc.table[0]))
            for r, row in enumerate(doc.table):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = cell
        write_with(path, lambda tmp: d.save(str(tmp)))


def generate_example(out: str | Path, seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """Write the whole simulated example under ``out`` and return the truth dictionary."""
    from chainpb.simulate.gold import build_gold
    from chainpb.simulate.readme import write_readmes

    out = Path(out)
    truth: dict[str, Any] = {
        "simulated": True,
        "note": "模拟数据，非真实企业 / SIMULATED data, not real enterprises",
        "seed": seed, "survey_year": SURVEY_YEAR,
        "n_per_city": {c.key: c.n for c in dgp.CITIES},
        "effects": {k: dict(v) for k, v in dgp.EFFECTS.items()},
        "noise_sd": dict(dgp.NOISE_SD), "chain_sd": dict(dgp.CHAIN_SD), "city_shift": dgp.CITY_SHIFT,
        "treatment_model": dgp.TREATMENT_MODEL, "difficulty_model": dgp.DIFFICULTY_MODEL,
        "likert": dgp.LIKERT, "reverse_items": [f"{s}_{k}" for s, k in dgp.REVERSE_ITEMS.items()],
        "answers": dgp.ANSWERS,
        "bad_rows": [], "pii_columns": {}, "pii_in_answers": {}, "column_maps": {},
        "policy_emphasis": {c.key: c.policy_emphasis for c in dgp.CITIES},
        "chain_effects": {}, "truncated": {}, "policy_documents": {},
    }  # fmt: skip
    firm_truth, answer_truth, all_answers, all_docs = [], [], {}, {}
    a_total, mech_a, type_of_chain, type_shift = [], [], {}, []
    for ci, city in enumerate(dgp.CITIES):
        firms, answers = _city_frame(city, seed, ci)
        file = SURVEY_FILES[city.key]
        first_row = 1 if file.endswith(".sav") else 2
        raw = firms.copy()
        # Headers are known only after writing; a first dry mapping gives them for the records.
        header_of = _headers(city.key)
        bad, pii = _plant(city, raw, answers, seed, ci, file, header_of, first_row)
        writer = {"survey.xlsx": write_wjx_xlsx, "survey.csv": write_gb18030_csv,
                  "survey.sav": write_spss_sav}[file]  # fmt: skip
        column_map = writer(out / city.key / file, raw, _rng(seed, ci, 4))
        truth["bad_rows"] += bad
        truth["pii_columns"][city.key] = [h for h, v in column_map.items() if v in PII_VARS]
        truth["pii_in_answers"][city.key] = pii
        truth["column_maps"][city.key] = column_map
        truth["chain_effects"][city.key] = firms.attrs["chain_effects"]
        truth["truncated"][city.key] = firms.attrs["truncated"]
        a_total.append((firms.attrs["mediation_a_total"], city.n))
        mech_a.append((dgp.mechanism_a(firms), city.n))
        members = firms[firms["alliance_member"] == 1]
        type_shift.append(members["alliance_type"].map(dgp.TYPE_EFFECTS).fillna(0.0).to_numpy())
        type_of_chain[city.key] = dict(
            sorted(zip(members["chain"], members["alliance_type"], strict=True))
        )

        ft = firms.drop(columns=[*PII_VARS, "difficulty_text"]).copy()
        ft.insert(1, "raw_row", np.arange(city.n) + first_row)
        ft.insert(2, "bad_row", ft["raw_row"].isin([b["raw_row"] for b in bad]).astype(int))
        firm_truth.append(ft)
        at = pd.DataFrame({"city_key": city.key, "enterprise_id_raw": firms["enterprise_id"],
                           "raw_row": np.arange(city.n) + first_row})  # fmt: skip
        for c in DIFFICULTIES:
            at[c] = np.where(answers["answer_status"] == "missing", pd.NA,
                             np.where(answers["answer_status"] == "coded", firms[f"d_{c}"], 0))  # fmt: skip
            at[c] = at[c].astype("Int64")
        at["status"] = answers["answer_status"].to_numpy()
        at["negated_mention"] = answers["has_negation"].astype(int).to_numpy()
        answer_truth.append(at)
        all_answers[city.key] = (raw["difficulty_text"], answers, at, {p["raw_row"] for p in pii})

        docs = compose_documents(city, _rng(seed, ci, 5))
        manifest = []
        for k, doc in enumerate(docs):
            suffix = ".docx" if doc.fmt == "docx" else ".txt"
            name = doc.stem + suffix
            rough = city.key == "wuxi" and doc.stem.endswith("points")
            _write_doc(out / city.key / "policies" / name, doc, rough)
            manifest.append(
                {"file": name, "title": doc.title, "issuer": doc.issuer, "date": doc.date}
            )
            truth["policy_documents"].setdefault(city.key, []).append(
                {"file": name, "format": doc.fmt, "n_chars": len(doc.text()), "traditional_and_blanks": rough,
                 "table": doc.table is not None, "order": k})  # fmt: skip
        write_csv(out / city.key / "policies" / "manifest.csv", pd.DataFrame(manifest))
        all_docs[city.key] = docs

    b = dgp.EFFECTS["revenue_growth"]["coop_projects"]
    a_struct = dgp.EFFECTS["coop_projects"]["alliance_member"]
    a_avg = sum(a * n for a, n in a_total) / sum(n for _, n in a_total)
    truth["effects"]["mediation"] = {
        "treatment": "alliance_member", "mediator": "coop_projects", "outcome": "revenue_growth",
        "a_structural": a_struct, "a": round(a_avg, 4), "b": b, "indirect": round(a_avg * b, 4),
        "direct": dgp.EFFECTS["revenue_growth"]["alliance_member"],
        "note": "a = average total effect of membership on coop_projects (incl. fewer difficulties)",
    }  # fmt: skip
    truth["wuxi_missing_codes"] = SAV_MISSING
    n_all = sum(n for _, n in mech_a)
    mech_avg = {m: sum(a[m] * n for a, n in mech_a) / n_all for m in dgp.MECHANISMS}
    # The mediation's direct effect (controls for coop_projects only) also carries what the
    # issue-11 shifts add for members: their average type effect and Σ b_m · a_m of mechanisms.
    direct = (
        dgp.EFFECTS["revenue_growth"]["alliance_member"]
        + float(np.mean(np.concatenate(type_shift)))
        + sum(dgp.MECHANISM_EFFECTS[m] * a for m, a in mech_avg.items())
    )
    truth["effects"]["mediation"]["direct_structural"] = truth["effects"]["mediation"]["direct"]
    truth["effects"]["mediation"]["direct"] = round(direct, 4)
    truth["effects"]["alliance_type"] = {
        "outcome": "revenue_growth", "reference": dgp.ALLIANCE_TYPES[0], "sample": "alliance_member == 1",
        "effects": dict(dgp.TYPE_EFFECTS), "type_of_chain": type_of_chain,
        "note": "one type per chain (city × chain); effect on members' revenue growth vs the reference",
    }  # fmt: skip
    truth["effects"]["spillover"] = {
        "outcome": "revenue_growth", "regressor": "leader_supplier", "sample": "chain_leader == 0",
        "effect": dgp.SPILLOVER["effect_revenue_growth"], "link_model": dgp.SPILLOVER["link_model"],
        "note": "every chain of the example has a 链主; the spillover reaches its supplier firms",
    }  # fmt: skip
    truth["effects"]["mechanisms"] = {
        m: {"treatment": "alliance_member", "outcome": "revenue_growth",
            "a": round(mech_avg[m], 4),
            "b": dgp.MECHANISM_EFFECTS[m], "adoption_model": dgp.MECHANISM_MODEL[m]}
        for m in dgp.MECHANISMS
    }  # fmt: skip
    for e in truth["effects"]["mechanisms"].values():
        e["indirect"] = round(e["a"] * e["b"], 4)
    truth["effects"]["difficulty_determinants"] = {
        "model": "logit of the true difficulty d_<cat> (DIFFICULTY_MODEL; x_le = log employees − 4.3; "
                 "soe = 国有); chain_leader has no effect; the coded measure adds coding error",
        "ame": _difficulty_ames(firm_truth),
    }  # fmt: skip

    write_csv(out / "truth" / "firms.csv", pd.concat(firm_truth, ignore_index=True))
    write_csv(out / "truth" / "answer_codes.csv", pd.concat(answer_truth, ignore_index=True))
    gold, gold_notes = build_gold(all_answers, all_docs, _rng(seed, 99, 0))
    write_csv(out / "gold" / "gold_codes.csv", gold)
    truth["gold"] = gold_notes
    write_json(out / "truth" / "truth.json", truth)
    maps = {k: {"survey": f"resources/example/{k}/{SURVEY_FILES[k]}", "column_map": v}
            for k, v in truth["column_maps"].items()}  # fmt: skip
    maps["wuxi"]["missing_codes"] = {"skipped": -3, "refused": 99}
    maps["wuxi"]["note"] = "Q36 填表人职务 is not mapped; -3 = 跳过, 99 = 拒答 (SPSS user-missing)"
    write_text(out / "column_maps.yaml",
               "# 模拟数据的列映射 / column maps of the SIMULATED example (generated by chainpb.simulate)\n"
               + yaml.safe_dump(maps, allow_unicode=True, sort_keys=False, width=200))  # fmt: skip
    write_readmes(out, truth, gold)
    return truth


def _difficulty_ames(frames: list[pd.DataFrame]) -> dict[str, dict[str, float]]:
    """Average marginal effects of the true difficulty model, over the example's firms.

    Continuous log_employees: mean of p(1 − p)·β; binary regressors: mean of the discrete
    change p(x = 1) − p(x = 0) (the convention of chainpb.models.margins).
    """
    firms = pd.concat(frames, ignore_index=True)
    firms = firms[firms["bad_row"] == 0]
    le = np.log(firms["employees"].to_numpy(dtype=float))
    base = {
        "x_le": le - dgp.LOG_EMPLOYEES_MEAN,
        "soe": (firms["ownership"] == "国有").to_numpy(dtype=float),
        "has_party_org": firms["has_party_org"].to_numpy(dtype=float),
        "alliance_member": firms["alliance_member"].to_numpy(dtype=float),
    }
    out: dict[str, dict[str, float]] = {}
    for cat, eq in dgp.DIFFICULTY_MODEL.items():
        p = dgp._logistic(dgp._index(eq, base))
        ame = {"log_employees": float(np.mean(p * (1 - p)) * eq.get("x_le", 0.0))}
        for var in ("has_party_org", "alliance_member"):
            on = dgp._logistic(dgp._index(eq, {**base, var: np.ones(len(p))}))
            off = dgp._logistic(dgp._index(eq, {**base, var: np.zeros(len(p))}))
            ame[var] = float(np.mean(on - off))
        ame["chain_leader"] = 0.0
        out[f"diff_{cat}"] = {k: round(v, 4) for k, v in ame.items()}
    return out


def _headers(city_key: str) -> dict[str, str]:
    """canonical variable → raw header, the same the writer will use."""
    from chainpb.simulate import raw_formats as rf

    if city_key == "suqian":
        return {v: f"{i}、{rf._WJX_QUESTIONS[v]}" for i, v in enumerate(rf.WJX_ORDER, start=1)}
    if city_key == "suzhou":
        return dict(rf._CSV_HEADERS)
    order = [*rf.FIRM_VARS, *ITEMS, "difficulty_text", *rf.OUTCOMES, "position", *rf.NEW_ITEMS]
    return {v: f"Q{i}" for i, v in enumerate(order, start=1)}


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        description="生成模拟示例数据 / generate the simulated example"
    )
    parser.add_argument("--out", default="resources/example")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    generate_example(args.out, args.seed)
    return 0

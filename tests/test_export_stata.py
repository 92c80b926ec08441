"""Stata .dta / SPSS .sav export and the generated do-file (chainpb.export).

Stata is not available: the do-file is checked by parsing it and comparing every model's
command (dependent variable, regressors and controls, fixed effects, cluster, transformations)
with its entry of specs.json, and by evaluating each ``if`` condition on the .dta as read back
by pyreadstat, with Stata's listwise deletion over the command's variables: the rows must be
exactly the spec's sample keys. Labels are read back with pyreadstat and compared with the
config's.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
import yaml
from test_models_specs_reproduce import MODELS, simulate_table

from chainpb.export import (
    UntranslatableQuery,
    build_dofile,
    export_table,
    stata_condition,
    write_dta,
    write_sav,
)
from chainpb.export.dofile import model_variables
from chainpb.export.stata import stata_names
from chainpb.labels import labels_with_derived
from chainpb.models import fit_job, model_jobs, specs_json

LABELS = {
    "ownership": {"zh": "所有制", "en": "Ownership"},
    "alliance_member": {"zh": "产业链党建联盟成员", "en": "Chain alliance member"},
    "rd_intensity": {"zh": "研发强度(%)", "en": "R&D intensity (%)"},
    "city_key": {"zh": "城市", "en": "City"},
}
CITIES = {
    "wuxi": {"name": "无锡市", "name_en": "Wuxi"},
    "suqian": {"name": "宿迁市", "name_en": "Suqian"},
    "suzhou": {"name": "苏州市", "name_en": "Suzhou"},
}
CATEGORIES = {"ownership": ["国有", "民营", "外资", "混合所有制"]}


@pytest.fixture(scope="module")
def fitted() -> tuple[pd.DataFrame, dict]:
    data = simulate_table()
    results = [r for job in model_jobs(MODELS) for r in fit_job(data, job)]
    return data, json.loads(json.dumps(specs_json(results), ensure_ascii=False))


@pytest.fixture(scope="module")
def exported(fitted, tmp_path_factory) -> dict:
    data, specs = fitted
    table = export_table(
        data,
        labels=LABELS,
        cities=CITIES,
        categories=CATEGORIES,
        model_variables=model_variables(specs),
    )
    folder = tmp_path_factory.mktemp("export")
    write_dta(folder / "analysis.dta", table)
    write_sav(folder / "analysis.sav", table)
    dofile = build_dofile(specs, table)
    (folder / "models.do").write_text(dofile, encoding="utf-8")
    return {"folder": folder, "table": table, "dofile": dofile}


# ------------------------------------------------------------------------------------------
# .dta and .sav


@pytest.mark.parametrize("ext", ["dta", "sav"])
def test_labels_read_back(exported, fitted, ext) -> None:
    data, _ = fitted
    reader = pyreadstat.read_dta if ext == "dta" else pyreadstat.read_sav
    df, meta = reader(str(exported["folder"] / f"analysis.{ext}"))
    labels = meta.column_names_to_labels
    assert labels["ownership"] == "所有制"
    assert labels["rd_intensity"] == "研发强度(%)"
    assert labels["city_key"] == "城市"
    assert labels["firm_age"] is None  # no label in the config: none in the file
    values = {k: {int(c): v for c, v in m.items()} for k, m in meta.variable_value_labels.items()}
    # Cities in config order with their display names; categories in the declared order.
    assert values["city_key"] == {1: "无锡市", 2: "宿迁市", 3: "苏州市"}
    assert values["ownership"] == {1: "国有", 2: "民营", 3: "外资", 4: "混合所有制"}
    assert values["size_class"] == {1: "微型", 2: "小型", 3: "中型", 4: "大型"}
    # Identifiers stay text; decoding the codes gives the original text back.
    assert "enterprise_id" not in values
    assert list(df["enterprise_id"]) == list(data["enterprise_id"])
    for col in ("ownership", "city_key", "chain_id", "size_class"):
        decoded = df[col].map(lambda c, m=values[col]: m[int(c)])
        if col == "city_key":
            decoded = decoded.map({v["name"]: k for k, v in CITIES.items()})
        assert list(decoded) == list(data[col].astype(str)), col
    numeric = data["rd_intensity"].to_numpy(float)
    assert np.array_equal(df["rd_intensity"].to_numpy(float), numeric, equal_nan=True)
    if ext == "dta":
        # A second, independent reader of the format (pandas, not ReadStat) agrees.
        with pd.io.stata.StataReader(exported["folder"] / "analysis.dta") as reader_pd:
            other = reader_pd.read()
            assert reader_pd.variable_labels()["ownership"] == "所有制"
        assert list(other["ownership"].astype(str)) == list(data["ownership"])
        assert set(other["city_key"].astype(str)) == {"无锡市", "宿迁市", "苏州市"}


def test_files_are_byte_identical_when_rewritten(exported, tmp_path) -> None:
    table = exported["table"]
    for ext, writer in (("dta", write_dta), ("sav", write_sav)):
        writer(tmp_path / f"again.{ext}", table)
        first = (exported["folder"] / f"analysis.{ext}").read_bytes()
        assert (tmp_path / f"again.{ext}").read_bytes() == first
    assert b"01 Jan 2000 00:00" in (tmp_path / "again.dta").read_bytes()


def test_english_labels_follow_language() -> None:
    data = pd.DataFrame({"city_key": ["wuxi", "suqian"], "ownership": ["国有", "民营"]})
    table = export_table(
        data, labels=LABELS, cities=CITIES, model_variables=["ownership"], language="en"
    )
    assert table.column_labels == {"city_key": "City", "ownership": "Ownership"}
    assert table.value_labels["city_key"] == {1: "Wuxi", 2: "Suqian"}


def test_invalid_names_get_valid_stata_names() -> None:
    names = stata_names(["营收", "营业", "in", "_x", "a" * 40, "a" * 41, "ok_name"])
    assert names == {
        "营收": "v__",
        "营业": "v___2",
        "in": "v_in",
        "_x": "v_x",
        "a" * 40: "a" * 32,
        "a" * 41: "a" * 30 + "_2",
        "ok_name": "ok_name",
    }


# ------------------------------------------------------------------------------------------
# subset → Stata if


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ownership == '民营'", "ownership == 2"),
        ("ownership in ['国有', '混合所有制']", "inlist(ownership, 1, 4)"),
        ("ownership not in ['国有']", "!inlist(ownership, 1)"),
        ("'民营' != ownership", "ownership != 2"),
        (
            "firm_age > 5 and log_employees <= 4.5",
            "(firm_age > 5 & !missing(firm_age)) & log_employees <= 4.5",
        ),
        (
            "(alliance_member == 1) | ~(diff_resource == 0)",
            "alliance_member == 1 | !(diff_resource == 0)",
        ),
        ("3 < firm_age", "firm_age > 3 & !missing(firm_age)"),
        ("enterprise_id == 'a\"b'", 'enterprise_id == `"a"b"\''),
        ("rd_intensity.notna()", "!missing(rd_intensity)"),
        # A category absent from the data matches no row, as in pandas.
        ("ownership in ['民营', '集体']", "inlist(ownership, 2)"),
        ("ownership == '集体' or firm_age < 3", "0 | firm_age < 3"),
        ("ownership != '集体'", "1"),
    ],
)
def test_subset_translation(exported, query, expected) -> None:
    assert stata_condition(query, exported["table"]) == expected


@pytest.mark.parametrize(
    "query",
    [
        "ownership.str.contains('民')",
        "firm_age > @limit",
        "ownership > '国有'",
        "no_such_column == 1",
    ],
)
def test_untranslatable_subset_is_an_error(exported, query) -> None:
    with pytest.raises(UntranslatableQuery) as err:
        stata_condition(query, exported["table"])
    assert "Stata" in err.value.en and query in err.value.zh


def test_untranslatable_subset_comments_its_block_out(fitted, exported) -> None:
    _, specs = fitted
    spec = json.loads(json.dumps(specs["private__rd_intensity"]))
    spec["sample"]["subset"] = "ownership.str.contains('民')"
    text = build_dofile({"private__rd_intensity": spec}, exported["table"])
    block = text.split("* ==== [1/1]")[1]
    assert "* 未自动运行 not run: 无法把 subset" in block
    assert not re.search(r"^reghdfe ", block, re.M) and "* reghdfe rd_intensity" in block


# ------------------------------------------------------------------------------------------
# The do-file against specs.json


def split_top_comma(text: str) -> tuple[str, str]:
    """Command and options: split at the first comma outside parentheses."""
    depth = 0
    for i, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            return text[:i], text[i + 1 :]
    return text, ""


def parse_dofile(text: str) -> dict[str, dict]:
    """Each model block: its command (commented or not) and transformations."""
    blocks = re.split(r"^\* ==== \[\d+/\d+\] (\S+) ====$", text, flags=re.M)
    out: dict[str, dict] = {}
    for key, body in zip(blocks[1::2], blocks[2::2], strict=True):
        cmd_re = r"^(\* )?(regress|reghdfe|logit|probit|ologit|mixed) (.*)$"
        (hit,) = [m for m in re.finditer(cmd_re, body, re.M)]
        commented, command, rest = hit.group(1) is not None, hit.group(2), hit.group(3)
        varlist, options = split_top_comma(rest)
        if command == "mixed":
            varlist, _, group = varlist.partition(" || ")
            options = f"group({group.rstrip(':').strip()}) {options}"
        varlist, _, condition = varlist.partition(" if ")
        depvar, *terms = varlist.split()
        out[key] = {
            "command": command,
            "commented": commented,
            "depvar": depvar,
            "terms": terms,
            "condition": condition.strip(),
            "absorb": re.findall(r"absorb\(([^)]*)\)", options),
            "cluster": re.findall(r"vce\(cluster ([^)]*)\)", options),
            "robust": "vce(robust)" in options,
            "group": re.findall(r"group\(([^)]*)\)", options),
            "clip": re.findall(r"= min\(max\((\w+), ([^,]+)\), ([^)]+)\)", body),
            "centre": re.findall(r"generate double (\w+) = (\w+) - (\S+)", body),
            "body": body,
        }
    return out


def stata_eval(condition: str, frame: pd.DataFrame) -> pd.Series:
    """Evaluate the do-file's if condition (the subset of Stata it uses) on the .dta rows."""
    if not condition:
        return pd.Series(True, index=frame.index)
    expr = re.sub(r"!missing\((\w+)\)", r"\1.notna()", condition)
    expr = re.sub(r"inlist\((\w+), ([^)]*)\)", r"\1.isin([\2])", expr)
    expr = re.sub(r"(\w+) (==|!=|<=|>=|<|>) (-?[\w.]+|\"[^\"]*\")", r"(\1 \2 \3)", expr)
    expr = re.sub(r"!(?!=)", "~", expr)
    return eval(expr, {}, {c: frame[c] for c in frame.columns})


def stata_listwise(frame: pd.DataFrame, names: list[str]) -> pd.Series:
    """Stata drops a row when any variable of the command is missing ("" for text)."""
    keep = pd.Series(True, index=frame.index)
    for n in names:
        col = frame[n]
        if pd.api.types.is_string_dtype(col):
            keep &= col.notna() & (col.astype(str) != "")
        else:
            keep &= col.notna()
    return keep


def strip_factor(term: str) -> str:
    """``i.x``/``ib3.x``/``c.a#c.b`` → ``x`` / ``a:b`` (the spec's names)."""
    if "#" in term:
        return ":".join(strip_factor(p) for p in term.split("#"))
    return re.sub(r"^(i|ib\d+|c)\.", "", term)


def check_dofile_against_specs(dofile: str, specs: dict, dta: Path) -> None:
    frame, _ = pyreadstat.read_dta(str(dta))
    parsed = parse_dofile(dofile)
    assert list(parsed) == list(specs)
    for key, spec in specs.items():
        p = parsed[key]
        t = spec["transformations"] or {}
        assert p["depvar"] == spec["outcome"], key
        fe_dummies = [f"i.{f}" for f in spec["fixed_effects"]]
        if spec["estimator"] == "ols":
            assert p["command"] == (
                "reghdfe" if spec["fixed_effects"] or len(spec["cluster"]) > 1 else "regress"
            ), key
            assert p["absorb"] == (
                [" ".join(spec["fixed_effects"])] if spec["fixed_effects"] else []
            ), key
            terms = p["terms"]
        else:
            assert p["command"] == {"mixedlm": "mixed"}.get(spec["estimator"], spec["estimator"]), (
                key
            )
            assert p["terms"][len(p["terms"]) - len(fe_dummies) :] == fe_dummies, key
            terms = p["terms"][: len(p["terms"]) - len(fe_dummies)]
        expected = [*spec["regressors"], *spec["controls"]]
        expected += [f"{a}:{b}" for a, b in t.get("interactions", [])]
        assert [strip_factor(x) for x in terms] == expected, key
        for var in set(t.get("categorical", {})) & set(expected):
            assert any(re.fullmatch(rf"ib?\d*\.{var}", x) for x in terms), (key, var)
        if spec["estimator"] == "mixedlm":
            assert p["commented"] and p["group"] == [spec["group"]] and not p["cluster"]
        else:
            assert not p["commented"], key
            assert p["cluster"] == ([" ".join(spec["cluster"])] if spec["cluster"] else [])
            assert p["robust"] == (not spec["cluster"]), key
        # Transformations: the stored cut points and means, exactly.
        assert [(v, float(lo), float(hi)) for v, lo, hi in p["clip"]] == [
            (w["variable"], *w["bounds"]) for w in t.get("winsorize", [])
        ], key
        assert [(n, v, float(m)) for n, v, m in p["centre"]] == [
            (n, c["variable"], c["mean"]) for n, c in t.get("centring", {}).items()
        ], key
        # The sample: the if condition plus Stata's listwise deletion give the spec's rows.
        used = [
            spec["outcome"],
            *spec["regressors"],
            *spec["controls"],
            *spec["fixed_effects"],
            *spec["cluster"],
        ] + ([spec["group"]] if spec["group"] else [])
        rows = stata_eval(p["condition"], frame) & stata_listwise(frame, used)
        sample = spec["sample"]
        if sample["key"] == "row":
            keys = sorted(str(i) for i in np.flatnonzero(rows.to_numpy()))
        else:
            keys = sorted(frame.loc[rows, sample["key"]].astype(str))
        assert keys == sample["keys"], key
        if spec.get("mediation_path") == "b_path":
            assert "* sem (" in p["body"] and "nlcom" in p["body"], key


def test_dofile_follows_specs(fitted, exported) -> None:
    _, specs = fitted
    check_dofile_against_specs(exported["dofile"], specs, exported["folder"] / "analysis.dta")
    text = exported["dofile"]
    assert "capture which reghdfe" in text and "ssc install reghdfe" in text
    assert "keepsingletons" in text
    # The subset's codes are spelled out beside the condition.
    assert "* 编码 codes of ownership: 2 = 民营" in text
    assert "* 编码 codes of size_class: 1 = 微型, 2 = 小型" in text


def test_reference_level_that_is_not_the_lowest_code_is_named(fitted, exported) -> None:
    data, specs = fitted
    table = export_table(
        data,
        categories={"ownership": ["民营", "国有", "外资", "混合所有制"]},
        model_variables=model_variables(specs),
    )
    # The pipeline's reference is 国有 (first sorted); here 国有 has code 2.
    text = build_dofile({"base__rd_intensity": specs["base__rd_intensity"]}, table)
    assert " ib2.ownership" in text


# ------------------------------------------------------------------------------------------


@pytest.mark.e2e
def test_example_run_export(run_dir: Path) -> None:
    export = run_dir / "results/export"
    specs = json.loads((run_dir / "results/models/specs.json").read_text(encoding="utf-8"))
    dofile = (export / "models.do").read_text(encoding="utf-8")
    check_dofile_against_specs(dofile, specs, export / "analysis.dta")
    config = yaml.safe_load((run_dir / "config/config.yaml").read_text(encoding="utf-8"))
    labels = labels_with_derived(config["labels"], config["derive"])
    for reader, ext in ((pyreadstat.read_dta, "dta"), (pyreadstat.read_sav, "sav")):
        _, meta = reader(str(export / f"analysis.{ext}"), metadataonly=True)
        for var, label in labels.items():
            if var in meta.column_names_to_labels:
                assert meta.column_names_to_labels[var] == label["zh"][:80], (ext, var)
        cities = {int(k): v for k, v in meta.variable_value_labels["city_key"].items()}
        assert cities == {i + 1: c["name"] for i, c in enumerate(config["cities"].values())}
        own = {int(k): v for k, v in meta.variable_value_labels["ownership"].items()}
        declared = config["ingest"]["categories"]["ownership"]
        assert list(own.values())[: len(declared)] == declared

"""The `paper:` section: which tables exist and which models, outcomes and terms they show.

Library-level: fits are constructed here (values chosen by hand), so every expected cell is
known without running a model.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pandas as pd
import pytest

from chainpb.config import check_config, load_yaml
from chainpb.errors import ConfigError
from chainpb.models.result import TIDY_COLUMNS, FitResult
from chainpb.present.build import read_comparisons, table_groups, tables_for_paper
from chainpb.present.paper import declared_models, expand_models, resolve_paper, select_fits
from chainpb.present.tables import attach_hypothesis_tests

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = load_yaml(ROOT / "workflow/schemas/config.schema.yaml")
CITY = {
    "name": "甲市",
    "survey": "resources/example/suqian/survey.xlsx",
    "column_map": {"企业编号": "enterprise_id"},
}
LABELS = {
    "alliance_member": {"zh": "联盟成员", "en": "Alliance member"},
    "diff_coverage": {"zh": "组织覆盖难", "en": "Coverage difficulty"},
    "rd_intensity": {"zh": "研发强度", "en": "R&D intensity"},
    "coop_projects": {"zh": "合作项目数", "en": "Cooperation projects"},
    "city_key": {"zh": "城市", "en": "City"},
    "chain_id": {"zh": "产业链", "en": "Industrial chain"},
    "ownership": {"zh": "所有制", "en": "Ownership"},
}
COMMON = {
    "estimator": "ols",
    "regressors": ["alliance_member", "diff_coverage"],
    "controls": ["firm_age"],
    "fixed_effects": ["city_key"],
    "cluster": ["chain_id"],
}


def _models() -> dict:
    """`baseline` renamed to `main_effects`, two robustness variants, a subgroup pair with
    `compare:`, a logit no table names, a mediation model."""
    return {
        "main_effects": {
            **COMMON,
            "label": "主效应",
            "outcomes": ["rd_intensity", "coop_projects"],
            "robustness": {
                "zeta": {"label": "变体Z", "cluster": []},
                "alpha": {"label": "变体A", "winsorize": [0.01, 0.99]},
            },
        },
        "private_firms": {
            **COMMON,
            "label": "民营企业",
            "label_en": "Private firms",
            "outcomes": ["rd_intensity"],
            "regressors": ["alliance_member"],
            "subset": "ownership == '民营'",
            "compare": {"with": "state_firms", "terms": ["alliance_member"]},
        },
        "state_firms": {
            **COMMON,
            "label": "国有企业",
            "label_en": "State firms",
            "outcomes": ["rd_intensity"],
            "regressors": ["alliance_member"],
            "subset": "ownership == '国有'",
        },
        "who_coverage": {
            **COMMON,
            "label": "谁遇到组织覆盖难(logit)",
            "estimator": "logit",
            "outcomes": ["diff_coverage"],
            "regressors": ["alliance_member"],
        },
        "mechanism": {
            "type": "mediation",
            "label": "机制",
            "treatment": "alliance_member",
            "mediator": "coop_projects",
            "outcomes": ["rd_intensity"],
            "controls": ["firm_age"],
            "cluster": ["chain_id"],
        },
    }


def _config(paper: dict | None = None, models: dict | None = None) -> dict:
    cfg = {
        "cities": {"jia": CITY},
        "models": _models() if models is None else models,
        "labels": LABELS,
        "language": "zh",
    }
    if paper is not None:
        cfg["paper"] = paper
    return cfg


PAPER = {
    "tables": {
        "descriptives": {"kind": "descriptives", "title": "描述统计"},
        "correlations": {
            "kind": "correlations",
            "title": "相关系数",
            "variables": ["rd_intensity", "alliance_member"],
        },
        "reliability": {"kind": "reliability", "title": "信度"},
        "baseline_regression": {"title": "基准回归", "models": ["main_effects"]},
        "robustness": {
            "title": "稳健性",
            "models": ["main_effects", "main_effects__*"],
            "outcomes": ["rd_intensity"],
        },
        "heterogeneity": {
            "title": "异质性",
            "title_en": "Heterogeneity",
            "models": ["*_firms"],
            "headings": ["民营", {"zh": "国有", "en": "State"}],
        },
        "mechanism": {"title": "机制检验", "models": ["mechanism"]},
    }
}


def _fit(model: str, outcome: str, terms: dict, **kw) -> FitResult:
    """A fit whose coefficient table is ``terms`` = {term: (estimate, se, p)}."""
    coefs = pd.DataFrame(
        [(t, b, se, b / se, p, b - 2 * se, b + 2 * se) for t, (b, se, p) in terms.items()],
        columns=TIDY_COLUMNS,
    )
    base = {
        "model": model,
        "outcome": outcome,
        "estimator": "ols",
        "formula": f"{outcome} ~ ...",
        "coefs": coefs,
        "nobs": 300,
        "cov_type": "cluster(chain_id) CR1, t(G-1)",
        "n_clusters": 12,
        "df_inference": 11.0,
        "cluster": ("chain_id",),
        "fixed_effects": ("city_key",),
        "controls": ("firm_age",),
        "regressors": ("alliance_member", "diff_coverage"),
        "adj_r2": 0.2,
        "within_r2": 0.1,
        "label": model,
    }
    base.update(kw)
    return FitResult(**base)


def _fits() -> list[FitResult]:
    """Deliberately in alphabetical file order, as read_fits would give them."""
    two = {"alliance_member": (0.5, 0.2, 0.03), "diff_coverage": (-0.2, 0.1, 0.08)}
    one = {"alliance_member": (0.3, 0.1, 0.012)}
    mediation = [
        _fit(f"mechanism__{p}", o, one, regressors=("alliance_member",), label="机制")
        for p, o in (("c_path", "rd_intensity"), ("a_path", "coop_projects"))
    ] + [
        _fit(
            "mechanism__b_path",
            "rd_intensity",
            {**one, "coop_projects": (0.1, 0.05, 0.06)},
            regressors=("alliance_member", "coop_projects"),
            label="机制",
        )
    ]
    for i, path in enumerate(("c_path", "a_path", "b_path")):
        extra = {"mediation_path": path, "mediation_for_outcome": "rd_intensity"}
        if path == "b_path":
            extra["mediation"] = {
                "indirect": 0.03,
                "indirect_ci": [0.01, 0.05],
                "bootstrap_reps": 500,
                "verdict": "部分中介",
            }
        mediation[i] = FitResult(**{**mediation[i].__dict__, "extra": extra})
    return [
        _fit("main_effects", "coop_projects", two, label="主效应"),
        _fit("main_effects", "rd_intensity", two, label="主效应"),
        _fit("main_effects__alpha", "rd_intensity", two, label="变体A", variant="alpha"),
        _fit(
            "main_effects__zeta",
            "rd_intensity",
            two,
            label="变体Z",
            variant="zeta",
            cluster=(),
            n_clusters=None,
            df_inference=290.0,
        ),
        _fit("main_effects__alpha", "coop_projects", two, label="变体A", variant="alpha"),
        *mediation,
        _fit(
            "private_firms",
            "rd_intensity",
            one,
            regressors=("alliance_member",),
            subset="ownership == '民营'",
            label="民营企业",
        ),
        _fit(
            "state_firms",
            "rd_intensity",
            {"alliance_member": (0.9, 0.3, 0.014)},
            regressors=("alliance_member",),
            subset="ownership == '国有'",
            label="国有企业",
        ),
        _fit(
            "who_coverage",
            "diff_coverage",
            {"alliance_member": (-0.4, 0.15, 0.008)},
            estimator="logit",
            regressors=("alliance_member",),
            df_inference=None,
            pseudo_r2=0.05,
            within_r2=None,
            label="谁遇到组织覆盖难(logit)",
        ),
    ]


def _measures() -> dict[str, pd.DataFrame]:
    r = pd.DataFrame(
        {"variable": ["rd_intensity", "alliance_member", "firm_age"]}
        | {
            "rd_intensity": [1, 0.3, 0.1],
            "alliance_member": [0.3, 1, 0.2],
            "firm_age": [0.1, 0.2, 1],
        }
    )
    p = r.copy()
    p[["rd_intensity", "alliance_member", "firm_age"]] = 0.01
    return {
        "descriptives": pd.DataFrame(
            {
                "variable": ["rd_intensity", "alliance_member"],
                "n": [300, 300],
                "mean": [2.0, 0.5],
                "sd": [1.0, 0.5],
            }
        ),
        "correlations_r": r,
        "correlations_p": p,
        "reliability": pd.DataFrame({"scale": ["coverage"], "n_items": [4], "alpha": [0.8]}),
    }


# A comparisons.json as fit_comparisons writes it: the difference δ = β_state − β_private is
# the coefficient of alliance_member:in_state_firms. Hand-set: δ = 0.6 (= 0.9 − 0.3),
# SE 0.25, p = 0.0354 (two-sided t(11): 2·(1 − pt(2.4, 11)) = 0.03534 in R).
POOLED = {
    "model": "private_firms__vs__state_firms",
    "outcome": "rd_intensity",
    "estimator": "ols",
    "formula": "rd_intensity ~ (alliance_member + firm_age) * in_state_firms | city_key^in_state_firms",
    "coefs": [
        {
            "term": "alliance_member",
            "estimate": 0.3,
            "std_error": 0.1,
            "statistic": 3.0,
            "p_value": 0.012,
            "conf_low": 0.08,
            "conf_high": 0.52,
        },
        {
            "term": "alliance_member:in_state_firms",
            "estimate": 0.6,
            "std_error": 0.25,
            "statistic": 2.4,
            "p_value": 0.03534,
            "conf_low": 0.05,
            "conf_high": 1.15,
        },
    ],
    "nobs": 520,
    "cov_type": "cluster(chain_id) CR1, t(G-1)",
    "n_clusters": 12,
    "cluster": ["chain_id"],
    "fixed_effects": ["city_key"],
    "controls": ["firm_age"],
    "regressors": ["alliance_member", "alliance_member:in_state_firms"],
    "df_inference": 11.0,
    "extra": {
        "comparison": {
            "model": "private_firms",
            "with": "state_firms",
            "terms": ["alliance_member"],
            "indicator": "in_state_firms",
            "interaction_terms": {"alliance_member": "alliance_member:in_state_firms"},
            "labels": {
                "private_firms": ["民营企业", "Private firms"],
                "state_firms": ["国有企业", "State firms"],
            },
        }
    },
}


# ---------------------------------------------------------------- expansion and defaults


def test_glob_expansion_keeps_config_order_not_alphabetical() -> None:
    declared = declared_models(_models())
    # variants in the order written (zeta before alpha), right after their model
    assert declared == [
        "main_effects",
        "main_effects__zeta",
        "main_effects__alpha",
        "private_firms",
        "state_firms",
        "who_coverage",
        "mechanism",
    ]
    where = ("paper.tables.t", "paper.tables.t")
    assert expand_models(["main_effects__*"], declared, where=where) == [
        "main_effects__zeta",
        "main_effects__alpha",
    ]
    # pattern order first, config order within a pattern, no duplicates
    assert expand_models(["state_firms", "*_firms", "main_effects*"], declared, where=where) == [
        "state_firms",
        "private_firms",
        "main_effects",
        "main_effects__zeta",
        "main_effects__alpha",
    ]


def test_columns_follow_the_table_not_the_file_order() -> None:
    cfg = _config(PAPER)
    paper = resolve_paper(cfg)
    robust = select_fits(_fits(), paper.table("robustness"), cfg["models"])
    assert [f.model for f in robust] == [
        "main_effects",
        "main_effects__zeta",
        "main_effects__alpha",
    ]
    assert {f.outcome for f in robust} == {"rd_intensity"}
    base = select_fits(_fits(), paper.table("baseline_regression"), cfg["models"])
    assert [f.outcome for f in base] == ["rd_intensity", "coop_projects"]  # the model's order
    mech = select_fits(_fits(), paper.table("mechanism"), cfg["models"])
    assert [f.model for f in mech] == [
        "mechanism__c_path",
        "mechanism__a_path",
        "mechanism__b_path",
    ]


def test_every_declared_model_lands_in_a_table() -> None:
    cfg = _config(PAPER)
    paper = resolve_paper(cfg)
    auto = [t for t in paper.tables if t.automatic]
    # the logit nobody named gets its own table, keyed by its name and titled by its label
    assert [(t.key, t.models, t.title) for t in auto] == [
        ("who_coverage", ("who_coverage",), "谁遇到组织覆盖难(logit)")
    ]
    shown = {m for t in paper.tables for m in t.models}
    assert shown == set(declared_models(cfg["models"]))
    # no paper section at all: the three measure tables and one table per model
    default = resolve_paper(_config())
    assert default.table_keys == [
        "descriptives",
        "correlations",
        "reliability",
        "main_effects",
        "private_firms",
        "state_firms",
        "who_coverage",
        "mechanism",
    ]
    off = resolve_paper(_config({**PAPER, "auto_tables": False}))
    assert "who_coverage" not in off.table_keys


def test_auto_table_key_does_not_clash_and_variants_alone_get_a_robustness_title() -> None:
    paper = {
        "tables": {
            "main_effects": {
                "title": "x",
                "models": [
                    "private_firms",
                    "state_firms",
                    "who_coverage",
                    "mechanism",
                    "main_effects",
                ],
            }
        }
    }
    tables = resolve_paper(_config(paper)).tables
    auto = [t for t in tables if t.automatic]
    assert [(t.key, t.models, t.title) for t in auto] == [
        ("main_effects_models", ("main_effects__zeta", "main_effects__alpha"), "主效应：稳健性检验")
    ]


# ---------------------------------------------------------------- validation


def test_schema_accepts_the_project_config_paper_section() -> None:
    cfg = load_yaml(ROOT / "config/config.yaml")
    check_config(copy.deepcopy(cfg), SCHEMA, ROOT)
    paper = resolve_paper(cfg)
    for key in (
        "descriptives",
        "correlations",
        "reliability",
        "baseline_regression",
        "robustness",
        "heterogeneity",
        "moderation",
        "mechanism",
    ):
        assert key in paper.table_keys
    assert {m for t in paper.tables for m in t.models} == set(declared_models(cfg["models"]))


def test_a_table_naming_no_declared_model_is_rejected_naming_the_table() -> None:
    cfg = _config({"tables": {"main_table": {"title": "主表", "models": ["baseline"]}}})
    check_config(copy.deepcopy(cfg), SCHEMA, ROOT)  # structurally fine …
    with pytest.raises(ConfigError) as err:  # … but `baseline` was renamed
        resolve_paper(cfg)
    assert "paper.tables.main_table" in err.value.zh and "paper.tables.main_table" in err.value.en
    assert "「baseline」不匹配任何已声明的模型" in err.value.zh
    assert "matches no declared model" in err.value.en and "main_effects" in err.value.en


@pytest.mark.parametrize(
    ("table", "needle"),
    [
        ({"models": ["main_effects"]}, "title"),  # no title
        ({"title": "t"}, "models"),  # a regression table without models
        ({"title": "t", "kind": "descriptives", "models": ["main_effects"]}, "paper.tables.bad"),
        ({"title": "t", "models": ["main effects"]}, "paper.tables.bad.models"),  # not a name/glob
        ({"title": "t", "models": ["main_effects"], "colour": "red"}, "colour"),
    ],
)
def test_schema_rejects_malformed_tables(table: dict, needle: str) -> None:
    cfg = _config({"tables": {"bad": table}})
    check_config(_config(), SCHEMA, ROOT)  # the rest of the config is valid
    with pytest.raises(ConfigError) as err:
        check_config(cfg, SCHEMA, ROOT)
    assert needle in str(err.value)
    assert "paper.tables.bad" in err.value.zh and "paper.tables.bad" in err.value.en


def test_headings_must_match_the_columns_and_outcomes_must_leave_a_column() -> None:
    few = {"tables": {"h": {"title": "t", "models": ["main_effects"], "headings": ["只有一个"]}}}
    with pytest.raises(ConfigError, match=r"paper\.tables\.h"):
        resolve_paper(_config(few))
    none = {
        "tables": {"o": {"title": "t", "models": ["who_coverage"], "outcomes": ["rd_intensity"]}}
    }
    with pytest.raises(ConfigError, match=r"paper\.tables\.o"):
        resolve_paper(_config(none))


# ---------------------------------------------------------------- building the tables


def _comparisons(tmp_path: Path) -> list[FitResult]:
    path = tmp_path / "comparisons.json"
    path.write_text(json.dumps([POOLED], ensure_ascii=False), encoding="utf-8")
    return read_comparisons(path)


def test_renamed_baseline_and_an_added_logit_still_give_every_table(tmp_path: Path) -> None:
    cfg = _config(PAPER)
    tables = tables_for_paper(_fits(), _measures(), cfg, _comparisons(tmp_path))
    assert list(tables) == resolve_paper(cfg).table_keys
    assert list(tables) == [
        "descriptives",
        "correlations",
        "reliability",
        "baseline_regression",
        "robustness",
        "heterogeneity",
        "mechanism",
        "who_coverage",
    ]
    logit = tables["who_coverage"]
    body = {r[0]: r[1:] for r in logit.body if r[0]}
    assert body["联盟成员"] == ("-0.400***",)
    assert body["伪R²"] == ("0.050",)
    assert body["聚类数"] == ("12",)
    assert "正态分布（z 检验）" in logit.notes[0]
    robust = tables["robustness"]
    assert robust.header[1] == ("", "主效应", "变体Z", "变体A")
    rows = {r[0]: r[1:] for r in robust.body if r[0]}
    assert rows["聚类数"] == ("12", "", "12")  # variant Z is not clustered
    assert "第(2)列为异方差稳健标准误" in robust.notes[0]
    assert tables["correlations"].body[0][0] == "(1) 研发强度"  # the listed variables only
    assert len(tables["correlations"].body) == 2
    # the mediation equations are named by their path
    assert tables["mechanism"].header[1] == ("", "总效应", "a 路径（中介变量）", "b 路径与直接效应")
    groups = table_groups(_fits(), cfg)
    assert groups["mechanism"] == "mechanism" and groups["who_coverage"] == "regression"
    assert groups["descriptives"] == "data" and groups["reliability"] == "reliability"


def test_heterogeneity_table_shows_the_pair_side_by_side_with_the_difference_test(
    tmp_path: Path,
) -> None:
    cfg = _config(PAPER)
    tests = pd.DataFrame(
        [
            {
                "model": "private_firms__vs__state_firms",
                "outcome": "rd_intensity",
                "kind": "comparison",
                "test": "alliance_member: 民营企业 = 国有企业",
                "restriction": "alliance_member:in_state_firms = 0",
                "statistic": 5.76,
                "df1": 1,
                "df2": 11,
                "distribution": "F",
                "p_value": 0.03534,
                "note": "",
            }
        ]
    )
    fits = attach_hypothesis_tests(_fits(), tests)
    table = tables_for_paper(fits, _measures(), cfg, _comparisons(tmp_path))["heterogeneity"]
    assert table.header == (
        ("", "研发强度", "研发强度"),
        ("", "民营", "国有"),  # headings from the config
        ("变量", "(1)", "(2)"),
    )
    rows = [tuple(r) for r in table.body]
    i = rows.index(("组间系数差异：联盟成员", "", "0.600**"))  # δ = 0.9 − 0.3, p = 0.035
    assert rows[i + 1] == ("", "", "(0.250)")
    assert rows[i + 2] == ("组间差异检验p值", "", "0.035")
    assert ("样本", "所有制：民营", "所有制：国有") in rows  # the fits' own subsets, in words
    notes = " ".join(table.notes)
    assert "第(2)列减第(1)列（国有企业－民营企业）" in notes and "N = 520，12 个聚类" in notes
    # the difference is in the rows: the tests.csv comparison note is not repeated
    assert "组间系数相等检验" not in notes
    english = tables_for_paper(fits, _measures(), {**cfg, "language": "en"}, _comparisons(tmp_path))
    rows_en = [tuple(r) for r in english["heterogeneity"].body]
    assert ("Difference: Alliance member", "", "0.600**") in rows_en
    assert english["heterogeneity"].header[1] == ("", "民营", "State")
    assert (
        english["heterogeneity"]
        .notes[0]
        .startswith("Notes: Standard errors clustered by industrial chain in parentheses.")
    )
    # without comparisons.json the pair is still side by side and the test stays a note
    plain = tables_for_paper(fits, _measures(), cfg)["heterogeneity"]
    assert not any(r[0].startswith("组间系数差异") for r in plain.body)
    assert any("组间系数相等检验" in n for n in plain.notes)


def test_wild_bootstrap_p_values_are_shown_when_present_only() -> None:
    from chainpb.present.tables import regression_table

    fit = _fit("main_effects", "rd_intensity", {"alliance_member": (0.5, 0.2, 0.03)})
    plain = regression_table([fit], labels=LABELS)
    assert not any(c.startswith("[") for r in plain.body for c in r)
    boot = {
        "reps": 9999,
        "seed": 1,
        "weights": "webb",
        "terms": {"alliance_member": {"p_value": 0.0712, "conf_low": -0.01, "conf_high": 1.0}},
    }
    fit_b = FitResult(**{**fit.__dict__, "extra": {"wild_bootstrap": boot}})
    table = regression_table([fit_b], labels=LABELS)
    rows = [tuple(r) for r in table.body]
    i = rows.index(("联盟成员", "0.500**"))
    assert rows[i + 1 : i + 3] == [("", "(0.200)"), ("", "[0.071]")]
    notes = " ".join(table.notes)
    assert "方括号内为野聚类自助法" in notes and "Webb 权重，9999 次" in notes
    assert "应以方括号内的野聚类自助法 p 值为准" in notes
    # a bootstrap p of 0 (no replication as extreme) is shown as <0.001, not 0.000; a term the
    # bootstrap could not test (p None) and a fit without the key show nothing
    boot["terms"] = {"alliance_member": {"p_value": 0.0}, "Intercept": {"p_value": None}}
    fit_0 = FitResult(**{**fit.__dict__, "extra": {"wild_bootstrap": boot}})
    rows = [tuple(r) for r in regression_table([fit_0, fit], labels=LABELS).body]
    assert ("", "[<0.001]", "") in rows


def test_sample_row_describes_the_subset_in_words() -> None:
    from chainpb.present.table_builders import describe_subset

    labels = {**LABELS, "firm_age": {"zh": "企业年龄", "en": "Firm age"}}
    assert (
        describe_subset("ownership in ['国有', '混合所有制']", labels, "zh")
        == "所有制：国有、混合所有制"
    )
    assert describe_subset("ownership == '民营'", labels, "en") == "Ownership: 民营"
    assert (
        describe_subset("firm_age >= 5 and ownership != '外资'", labels, "zh")
        == "企业年龄 ≥ 5；所有制 ≠ 外资"
    )
    assert describe_subset("x.str.len() > 2", labels, "zh") == "x.str.len() > 2"  # as written


def test_coefficient_figure_takes_its_models_and_terms_from_the_paper_section() -> None:
    from chainpb.present.build import coefficient_fits, slope_captions

    cfg = _config(
        {
            **PAPER,
            "figures": {
                "coefficients_key_regressors": {
                    "models": ["who_coverage", "main_effects"],
                    "terms": ["alliance_member"],
                }
            },
        }
    )
    fits, terms = coefficient_fits(_fits(), resolve_paper(cfg), cfg["models"])
    assert [(f.model, f.outcome) for f in fits] == [
        ("who_coverage", "diff_coverage"),
        ("main_effects", "rd_intensity"),
        ("main_effects", "coop_projects"),
    ]
    assert terms == ["alliance_member"]
    # default: every main regression model (no variants, no mediation) with its regressors
    fits, terms = coefficient_fits(_fits(), resolve_paper(_config(PAPER)), cfg["models"])
    assert [f.model for f in fits] == [
        "main_effects",
        "main_effects",
        "private_firms",
        "state_firms",
        "who_coverage",
    ]
    assert terms == ["alliance_member", "diff_coverage"]
    models = _models()
    models["main_effects"]["interactions"] = [["alliance_member", "diff_coverage"]]
    caps = slope_captions({"models": models, "labels": LABELS})
    assert (
        caps["simple_slopes_main_effects__rd_intensity"]
        == "调节效应的简单斜率：主效应（被解释变量：研发强度）"
    )
    assert "simple_slopes_main_effects__zeta__coop_projects" in caps  # variants inherit


def test_difference_row_reproduces_the_example_runs_comparisons_json(tmp_path: Path) -> None:
    """Numbers of the bundled example (results/models/comparisons.json and the two subgroup
    fits of /tmp/example_run, 2026-12-02), checked by hand: the pooled interaction equals
    β_state − β_private = 0.8940235276 − 0.7365806604 = 0.1574428672 (the pooled regression
    reproduces both separate fits), and p = 2·P(t₁₁ > 0.15744287 / 0.18215832 = 0.86432)
    = 0.40587 (R: 2 * pt(0.8643188, 11, lower.tail = FALSE) = 0.4058663)."""
    from scipy import stats

    private, state = 0.7365806604263334, 0.8940235276132766
    pooled = copy.deepcopy(POOLED)
    pooled["nobs"] = 1178
    pooled["coefs"][1].update(
        estimate=0.15744286718694314,
        std_error=0.1821583181092544,
        statistic=0.8643188453931184,
        p_value=0.4058662527925903,
    )
    delta = pooled["coefs"][1]["estimate"]
    assert delta == pytest.approx(state - private, abs=1e-12)
    assert pooled["coefs"][1]["p_value"] == pytest.approx(
        2 * stats.t.sf(delta / 0.1821583181092544, 11)
    )
    path = tmp_path / "comparisons.json"
    path.write_text(json.dumps([pooled]), encoding="utf-8")
    one = {"regressors": ("alliance_member",), "label": "x"}
    fits = [
        _fit(
            "private_firms",
            "rd_intensity",
            {"alliance_member": (private, 0.06165518, 1e-7)},
            nobs=822,
            subset="ownership == '民营'",
            **one,
        ),
        _fit(
            "state_firms",
            "rd_intensity",
            {"alliance_member": (state, 0.15850892, 1e-4)},
            nobs=356,
            subset="ownership == '国有'",
            **one,
        ),
    ]
    models = {k: v for k, v in _models().items() if k.endswith("_firms")}
    cfg = _config(
        {"tables": {"het": {"title": "异质性", "models": ["private_firms", "state_firms"]}}}, models
    )
    table = tables_for_paper(fits, _measures(), cfg, read_comparisons(path))["het"]
    rows = [tuple(r) for r in table.body]
    i = rows.index(("组间系数差异：联盟成员", "", "0.157"))  # not significant: no stars
    assert rows[i + 1 : i + 3] == [("", "", "(0.182)"), ("组间差异检验p值", "", "0.406")]
    assert ("联盟成员", "0.737***", "0.894***") in rows
    assert "N = 1,178，12 个聚类" in " ".join(table.notes)


def test_a_table_variable_the_descriptives_lack_is_named_in_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A paper table may list only what config ``descriptive_variables`` made; one it lacks is
    not shown, and the log names it (never a silent drop)."""
    paper = {
        "auto_tables": False,
        "tables": {
            "desc": {"kind": "descriptives", "title": "描述统计", "variables": ["patents"]},
            "corr": {
                "kind": "correlations",
                "title": "相关",
                "variables": ["rd_intensity", "patents"],
            },
        },
    }
    with caplog.at_level("INFO", logger="chainpb.present.build"):
        tables = tables_for_paper(_fits(), _measures(), _config(paper), _comparisons(tmp_path))
    assert [r for r in tables["desc"].body if r[0]] == []
    assert caplog.text.count("patents") == 4  # both tables, in Chinese and in English
    assert "表 desc 列出的变量 patents 不在描述统计中" in caplog.text


def test_a_figure_variable_that_cannot_be_shown_is_named_in_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from chainpb.present.build import _log_left_out

    with caplog.at_level("INFO", logger="chainpb.present.build"):
        _log_left_out("outcomes_by_membership", [], "—")
        assert caplog.text == ""  # nothing left out, nothing said
        _log_left_out("outcomes_by_membership", ["patents_per_worker"], "分析总表中没有")
    assert "图 outcomes_by_membership 未显示" in caplog.text
    assert "patents_per_worker" in caplog.text

"""Figure functions: labels in Chinese/English, Wilson intervals, determinism."""

from __future__ import annotations

import io
import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from chainpb.errors import ChainpbError
from chainpb.models.result import TIDY_COLUMNS, FitResult
from chainpb.present import figures as F

CITIES = {
    "suqian": {"name": "宿迁市", "name_en": "Suqian"},
    "wuxi": {"name": "无锡市", "name_en": "Wuxi"},
}
LABELS = {
    "alliance_member": {"zh": "产业链党建联盟成员", "en": "Chain alliance member"},
    "rd_intensity": {"zh": "研发强度(%)", "en": "R&D intensity (%)"},
    "coop_projects": {"zh": "链上合作项目数", "en": "Cooperation projects"},
}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _texts(fig: Figure) -> set[str]:
    """Every piece of text drawn in the figure (titles, axis labels, ticks, legends)."""
    return {t.get_text() for t in fig.findobj(matplotlib.text.Text) if t.get_text()}


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=60, metadata={"Software": None})
    return buf.getvalue()


# ---------------------------------------------------------------- Wilson


def test_wilson_interval_matches_hand_and_r() -> None:
    # x = 20, n = 100, z = 1.959964: p = 0.2, denom = 1 + z²/n = 1.0384146,
    # centre = (0.2 + z²/200)/denom = 0.2110973, half = z·sqrt(0.2·0.8/100 + z²/40000)/denom
    # = 0.0777304 → [0.1333669, 0.2888292]; R: prop.test(20, 100, correct=FALSE)$conf.int
    # gives 0.1333669333 0.2888291656. (The brief's 0.2898 is a typo: both agree on 0.2888.)
    low, high = F.wilson_interval(20, 100)
    assert low == pytest.approx(0.1333669333, abs=1e-9)
    assert high == pytest.approx(0.2888291656, abs=1e-9)


def test_wilson_interval_edges() -> None:
    # R: prop.test(0, 10, correct=FALSE)$conf.int → 0.0000000000 0.2775327999 (= z²/(n+z²))
    assert F.wilson_interval(0, 10) == pytest.approx((0.0, 0.2775327999), abs=1e-9)
    # R: prop.test(7, 7, correct=FALSE)$conf.int → 0.6456695649 1.0000000000
    assert F.wilson_interval(7, 7) == pytest.approx((0.6456695649, 1.0), abs=1e-9)
    assert all(math.isnan(v) for v in F.wilson_interval(0, 0))
    with pytest.raises(ChainpbError):
        F.wilson_interval(5, 3)


def _firm_difficulty() -> pd.DataFrame:
    # suqian: coverage answers 1,1,0,NaN → 2 of 3 answered; wuxi: 0,0,1,1,1 → 3 of 5
    return pd.DataFrame(
        {
            "city_key": ["suqian"] * 4 + ["wuxi"] * 5,
            "diff_coverage": [1, 1, 0, np.nan, 0, 0, 1, 1, 1],
            "diff_ideology": [0, 0, 0, np.nan, 1, 0, 0, 0, 0],
            "diff_effectiveness": [1, 0, 0, np.nan, 1, 1, 1, 1, 1],
            "diff_resource": [1, 1, 1, np.nan, 0, 1, 0, 1, 0],
        }
    )


def test_difficulty_prevalence_leaves_blank_answers_out() -> None:
    prev = F.difficulty_prevalence(_firm_difficulty())
    row = prev[(prev.city_key == "suqian") & (prev.category == "coverage")].iloc[0]
    assert (row["n"], row["firms"]) == (3, 2)
    assert row["share"] == pytest.approx(2 / 3)
    assert (row["conf_low"], row["conf_high"]) == pytest.approx(F.wilson_interval(2, 3))
    wuxi = prev[(prev.city_key == "wuxi") & (prev.category == "ideology")].iloc[0]
    assert (wuxi["n"], wuxi["firms"]) == (5, 1)
    assert list(prev["category"][:4]) == list(F.CATEGORIES)


def test_prevalence_figure_labels() -> None:
    fig = F.plot_difficulty_prevalence(_firm_difficulty(), cities=CITIES)
    ax = fig.axes[0]
    assert ax.get_ylabel() == "报告该困难的企业比例"
    assert "Wilson" in ax.get_title() and "比例" in ax.get_title()
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "组织覆盖难",
        "思想引领难",
        "作用彰显难",
        "资源聚合难",
    ]
    assert {"宿迁市", "无锡市"} <= _texts(fig)
    en = F.plot_difficulty_prevalence(_firm_difficulty(), cities=CITIES, language="en")
    assert en.axes[0].get_ylabel() == "Share of firms"
    assert {"Suqian", "Wuxi"} <= _texts(en)


def test_prevalence_figure_is_deterministic() -> None:
    a = _png(F.plot_difficulty_prevalence(_firm_difficulty(), cities=CITIES))
    b = _png(F.plot_difficulty_prevalence(_firm_difficulty(), cities=CITIES))
    assert a == b


# ---------------------------------------------------------------- heatmaps


def test_policy_themes_heatmap_keeps_attention_and_difficulty_apart() -> None:
    pe = pd.DataFrame(
        {
            "city_key": ["wuxi", "suqian", "suqian", "suqian"],
            "measure": ["attention", "attention", "attention", "difficulty"],
            "category": ["coverage", "coverage", "resource", "resource"],
            "per_1000_tokens": [1.234, 5.0, 2.5, 0.75],
        }
    )
    fig = F.plot_policy_themes(pe, cities=CITIES)
    left, right = fig.axes[0], fig.axes[1]
    assert left.get_title() == "领域关注度（提及，含措施）"
    assert right.get_title() == "困难表述"
    assert fig.get_suptitle() == "政策文本：对四个领域的关注度与困难表述（每千词）"
    assert [t.get_text() for t in left.get_xticklabels()] == ["宿迁市", "无锡市"]
    # attention rows name the area (组织覆盖), never the difficulty (组织覆盖难)
    assert [t.get_text() for t in left.get_yticklabels()] == ["组织覆盖", "资源聚合"]
    assert [t.get_text() for t in right.get_yticklabels()] == ["资源聚合难"]
    assert {"5.00", "1.23", "2.50", "0.75"} <= _texts(fig)
    assert "每千词命中数" in _texts(fig)  # colour-bar label
    assert "无政策文本" not in _texts(fig)
    # A configured city without policy texts keeps its column, marked as such (issue 9).
    with_huaian = {**CITIES, "huaian": {"name": "淮安市", "name_en": "Huaian"}}
    fig = F.plot_policy_themes(pe, cities=with_huaian)
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["淮安市", "宿迁市", "无锡市"]
    assert "无政策文本" in _texts(fig)


def test_jaccard_by_hand() -> None:
    counts = pd.DataFrame(
        [[10, 4], [4, 6]], index=["coverage", "ideology"], columns=["coverage", "ideology"]
    )
    # J = 4 / (10 + 6 − 4) = 1/3; diagonal = c_ii / c_ii = 1
    j = F.jaccard_from_counts(counts)
    assert j.iloc[0, 1] == pytest.approx(1 / 3)
    assert j.iloc[0, 0] == pytest.approx(1.0)


def test_cooccurrence_figure() -> None:
    m = pd.DataFrame(
        np.array([[9, 2, 3, 4], [2, 8, 1, 0], [3, 1, 7, 5], [4, 0, 5, 6]]),
        index=[f"diff_{c}" for c in F.CATEGORIES],
        columns=[f"diff_{c}" for c in F.CATEGORIES],
    )
    # default: conditional shares P(column | row) = c_ij / c_ii, the diagonal masked
    fig = F.plot_difficulty_cooccurrence(m)
    assert fig.axes[0].get_title().startswith("四类困难的共现：报告某一困难（行）的企业中")
    texts = _texts(fig)
    # coverage row (9 firms): ideology 2/9 = 22%, effectiveness 3/9 = 33%, resource 4/9 = 44%;
    # resource row (6 firms): effectiveness 5/6 = 83%; ideology–resource 0/8 = 0%
    assert {"22%", "33%", "44%", "83%", "0%"} <= texts
    assert "100%" not in texts  # no diagonal cell
    assert "组织覆盖难\n(n = 9)" in texts and "资源聚合难" in texts
    mesh = fig.axes[0].collections[0]
    assert int(np.ma.count_masked(mesh.get_array())) == 4  # the four diagonal cells
    shares = F.conditional_shares(m)
    assert shares.iloc[0, 1] == pytest.approx(2 / 9) and shares.iloc[1, 0] == pytest.approx(2 / 8)
    assert np.isnan(np.diag(shares.to_numpy())).all()
    counts = F.plot_difficulty_cooccurrence(m, measure="count")
    assert counts.axes[0].get_title() == "四类困难的共现（同时报告的企业数）"
    assert "5" in _texts(counts) and "9" not in _texts(counts)  # the diagonal 9 is masked
    fig_j = F.plot_difficulty_cooccurrence(m, jaccard=True, language="en")
    assert "Jaccard" in fig_j.axes[0].get_title()
    # coverage–ideology: 2 / (9 + 8 − 2) = 0.133
    assert "0.13" in _texts(fig_j)


# ---------------------------------------------------------------- terms, reliability


def test_top_terms_sorted_and_summed_over_cities() -> None:
    tf = pd.DataFrame(
        {
            "city_key": ["suqian", "wuxi", "suqian", "suqian", "wuxi"],
            "category": ["coverage", "coverage", "coverage", "resource", "resource"],
            "term": ["流动党员", "流动党员", "小微企业", "抱团", "资源共享"],
            "count": [3, 4, 5, 2, 2],
        }
    )
    fig = F.plot_top_terms(tf, n_top=5)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in axes] == ["组织覆盖难", "资源聚合难"]
    # 流动党员 3 + 4 = 7 beats 小微企业 5; the tie 抱团/资源共享 (2, 2) is broken by the term
    assert [t.get_text() for t in axes[0].get_yticklabels()] == ["流动党员", "小微企业"]
    assert [t.get_text() for t in axes[1].get_yticklabels()] == ["抱团", "资源共享"]
    assert axes[0].get_xlabel() == "词频"


def test_reliability_figure_reference_lines() -> None:
    rel = pd.DataFrame(
        {
            "scale": ["scale_resource", "scale_coverage"],
            "alpha": [0.81, 0.75],
            "cr": [0.83, 0.77],
            "ave": [0.55, 0.46],
        }
    )
    fig = F.plot_reliability(rel)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["组织覆盖", "资源聚合"]
    hlines = sorted(round(line.get_ydata()[0], 2) for line in ax.get_lines())
    assert hlines == [0.5, 0.7]
    assert {"0.75", "0.81", "0.46"} <= _texts(fig)
    assert ax.get_title() == "量表信度与收敛效度"


def test_reliability_value_labels_do_not_run_together() -> None:
    """Four cities' panels (as the example's scale_reliability.png): the α and CR labels of
    neighbouring bars once printed as one string, 0.820.82 (0.6 px apart). No two value labels
    may come within 3 pt of each other, and none may leave its panel (checked on the drawn
    figure's text boxes)."""
    rows = []
    for city in ("pooled/合并", "suqian", "suzhou", "wuxi"):
        for scale in ("scale_coverage", "scale_ideology", "scale_effectiveness", "scale_resource"):
            rows.append(
                {"city": city, "scale": scale, "n_items": 4, "alpha": 0.82, "cr": 0.83, "ave": 0.53}
            )
    fig = F.plot_reliability(pd.DataFrame(rows))
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        labels = [t for t in ax.texts if t.get_text() in {"0.82", "0.83", "0.53"}]
        assert len(labels) == 12
        # at least 3 pt between two labels: at 0.6 px apart they read as one number
        pad = 1.5 * fig.dpi / 72
        boxes = [t.get_window_extent(renderer).padded(pad) for t in labels]
        panel = ax.get_window_extent(renderer)
        # all values positive: the axis starts at 0, and no tick is drawn above 1
        assert ax.get_ylim()[0] == 0 and max(ax.get_yticks()) == 1.0
        for i, box in enumerate(boxes):
            assert panel.x0 <= box.x0 and box.x1 <= panel.x1 and box.y1 <= panel.y1
            for other in boxes[i + 1 :]:
                assert not box.overlaps(other), (labels[i].get_text(), box, other)


# ---------------------------------------------------------------- outcomes, coefficients


def _analysis() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 60
    return pd.DataFrame(
        {
            "alliance_member": rng.integers(0, 2, n),
            "rd_intensity": rng.gamma(2.0, 1.0, n),
            "coop_projects": rng.poisson(2.0, n).astype(float),
        }
    )


def test_outcomes_by_membership_labels_and_seeded_jitter() -> None:
    data = _analysis()
    fig = F.plot_outcomes_by_membership(data, ["rd_intensity", "coop_projects"], labels=LABELS)
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert titles == ["研发强度(%)", "链上合作项目数"]
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["非成员", "联盟成员"]
    same = F.plot_outcomes_by_membership(data, ["rd_intensity", "coop_projects"], labels=LABELS)
    other = F.plot_outcomes_by_membership(
        data, ["rd_intensity", "coop_projects"], labels=LABELS, seed=1
    )
    assert _png(fig) == _png(same)
    assert _png(fig) != _png(other)


def test_coefficient_plot() -> None:
    est = pd.DataFrame(
        {
            "model": ["baseline", "baseline", "baseline__winsor", "baseline"],
            "outcome": ["rd_intensity", "rd_intensity", "rd_intensity", "coop_projects"],
            "term": ["alliance_member", "Intercept", "alliance_member", "alliance_member"],
            "estimate": [0.8, 2.0, 0.7, 0.3],
            "conf_low": [0.4, 1.0, 0.3, -0.1],
            "conf_high": [1.2, 3.0, 1.1, 0.7],
        }
    )
    fig = F.plot_coefficients(est, labels=LABELS, model_labels={"baseline": "基准回归"})
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in axes] == ["研发强度(%)", "链上合作项目数"]
    assert [t.get_text() for t in axes[0].get_yticklabels()] == ["产业链党建联盟成员"]
    assert axes[0].get_xlabel() == "估计系数"
    assert {"基准回归", "baseline__winsor", "模型"} <= _texts(fig)
    # the intercept is never plotted: two models in the first panel, one error bar each
    assert len(axes[0].containers) == 2


def test_coefficient_plot_keeps_estimator_families_apart_without_empty_rows() -> None:
    est = pd.DataFrame(
        {
            "model": ["baseline", "baseline", "resilience", "resilience"],
            "outcome": ["rd_intensity", "rd_intensity", "resilience", "resilience"],
            "term": ["alliance_member", "diff_resource", "alliance_member", "scale_resource"],
            "estimate": [0.8, -0.2, 0.5, 0.9],
            "conf_low": [0.4, -0.5, 0.1, 0.6],
            "conf_high": [1.2, 0.1, 0.9, 1.2],
            "estimator": ["ols", "ols", "ologit", "ologit"],
        }
    )
    labels = {**LABELS, "resilience": {"zh": "供应链韧性", "en": "Resilience"}}
    fig = F.plot_coefficients(
        est, terms=["alliance_member", "diff_resource", "scale_resource"], labels=labels
    )
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in axes] == ["研发强度(%)", "供应链韧性"]
    # each panel has its own scale and only its own rows
    assert axes[0].get_xlabel() == "估计系数（线性模型）"
    assert axes[1].get_xlabel() == "对数几率（logit/有序logit）"
    ticks = [[t.get_text() for t in ax.get_yticklabels()] for ax in axes]
    assert ticks[0] == ["产业链党建联盟成员", "资源聚合难"]
    assert len(ticks[1]) == 2 and "资源聚合难" not in ticks[1]
    assert len(axes[1].containers) == 1  # one model in the ordered-logit panel


def _fit(model: str, outcome: str, estimator: str, coefs: dict, **extra) -> FitResult:
    """A hand-made fit: ``coefs`` maps term → (estimate, conf_low, conf_high)."""
    rows = [
        {"term": t, "estimate": e, "std_error": (h - lo) / 3.92, "statistic": np.nan,
         "p_value": np.nan, "conf_low": lo, "conf_high": h}
        for t, (e, lo, h) in coefs.items()
    ]  # fmt: skip
    return FitResult(
        model=model,
        outcome=outcome,
        estimator=estimator,
        formula=f"{outcome} ~ {' + '.join(coefs)}",
        coefs=pd.DataFrame(rows, columns=TIDY_COLUMNS),
        nobs=200,
        cov_type="cluster(chain_id) CR1",
        regressors=tuple(t for t in coefs if t != "Intercept"),
        extra=extra,
    )


def _points(ax) -> tuple[list[float], list[float], list[list[float]]]:
    """x and y of the dots and the x ends of the interval bars of the panel's single model."""
    (bar,) = ax.containers
    dots = bar.lines[0]
    (segments,) = [c.get_segments() for c in bar.lines[2]]
    ends = [sorted([float(s[0][0]), float(s[1][0])]) for s in segments]
    return list(map(float, dots.get_xdata())), list(map(float, dots.get_ydata())), ends


def test_coefficient_plot_shows_average_marginal_effects_for_logit() -> None:
    from chainpb.present.build import coefficient_estimates

    ols = _fit(
        "baseline",
        "rd_intensity",
        "ols",
        {"Intercept": (2.0, 1.0, 3.0), "alliance_member": (0.8, 0.4, 1.2)},
    )
    # log-odds 1.2 and -0.9; the AMEs (probability) below are what the panel must show
    ame = {
        "alliance_member": {"estimate": 0.21, "std_error": 0.07, "statistic": 3.0,
                            "p_value": 0.003, "conf_low": 0.07, "conf_high": 0.35},
        "diff_resource": {"estimate": -0.15, "std_error": 0.065, "statistic": -2.3,
                          "p_value": 0.02, "conf_low": -0.28, "conf_high": -0.02},
    }  # fmt: skip
    logit = _fit(
        "has_rd_model",
        "has_rd",
        "logit",
        {
            "Intercept": (-0.5, -1.0, 0.0),
            "alliance_member": (1.2, 0.4, 2.0),
            "diff_resource": (-0.9, -1.6, -0.2),
        },
        ame=ame,
    )
    ologit = _fit("resilience", "resilience", "ologit", {"alliance_member": (0.5, 0.1, 0.9)})
    est = coefficient_estimates([ols, logit, ologit])
    assert list(est.loc[est["model"] == "has_rd_model", "quantity"]) == ["ame", "ame"]
    assert set(est.loc[est["model"] != "has_rd_model", "quantity"]) == {"coefficient"}
    labels = {
        **LABELS,
        "has_rd": {"zh": "是否研发", "en": "Any R&D"},
        "resilience": {"zh": "供应链韧性", "en": "Resilience"},
        "diff_resource": {"zh": "资源聚合难", "en": "Resource pooling"},
    }
    terms = ["alliance_member", "diff_resource"]
    fig = F.plot_coefficients(est, terms=terms, labels=labels)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    # linear, AME, log-odds: three panels on three axes
    assert [ax.get_title() for ax in axes] == ["研发强度(%)", "是否研发", "供应链韧性"]
    assert [ax.get_xlabel() for ax in axes] == [
        "估计系数（线性模型）",
        "平均边际效应\n（logit/probit，概率）",
        "对数几率（logit/有序logit）",
    ]
    # the logit panel plots the AMEs (0.21, -0.15) and their intervals, not 1.2 / -0.9
    x, y, ends = _points(axes[1])
    assert x == pytest.approx([0.21, -0.15])
    assert y == pytest.approx([0.0, 1.0])
    assert ends == [pytest.approx([0.07, 0.35]), pytest.approx([-0.28, -0.02])]
    assert [t.get_text() for t in axes[1].get_yticklabels()] == ["产业链党建联盟成员", "资源聚合难"]
    # OLS and ordered logit keep their coefficients (log-odds for ologit)
    assert _points(axes[0])[0] == pytest.approx([0.8])
    assert _points(axes[2])[0] == pytest.approx([0.5])
    assert _points(axes[2])[2] == [pytest.approx([0.1, 0.9])]
    assert fig.get_suptitle() == "核心解释变量的估计系数与平均边际效应（95% 置信区间）"
    en = F.plot_coefficients(est, terms=terms, labels=labels, language="en")
    assert [ax.get_xlabel() for ax in en.axes if ax.get_visible()][1] == (
        "Average marginal effect\n(logit / probit, probability)"
    )
    # a logit without AMEs (e.g. with interactions) stays on the log-odds axis
    bare = coefficient_estimates(
        [_fit("m", "has_rd", "logit", {"alliance_member": (1.2, 0.4, 2.0)})]
    )
    assert list(bare["quantity"]) == ["coefficient"]
    fig = F.plot_coefficients(bare, labels=labels)
    assert fig.axes[0].get_xlabel() == "对数几率（logit/有序logit）"
    assert _points(fig.axes[0])[0] == pytest.approx([1.2])
    assert fig.get_suptitle() == "核心解释变量的估计系数（95% 置信区间）"


def test_reliability_scales_follow_the_config_order() -> None:
    rel = pd.DataFrame(
        {"scale": ["scale_coverage", "scale_resource", "scale_ideology"], "alpha": [0.8, 0.7, 0.9]}
    )
    scales = {
        "resource": {"label": "资源聚合"},
        "ideology": {"label": "思想引领"},
        "coverage": {"label": "组织覆盖"},
    }
    assert F.scale_order(list(rel["scale"]), scales) == [
        "scale_resource",
        "scale_ideology",
        "scale_coverage",
    ]
    fig = F.plot_reliability(rel, scales=scales)
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == [
        "资源聚合",
        "思想引领",
        "组织覆盖",
    ]


# ---------------------------------------------------------------- simple slopes


def _moderation_fit(slopes: list[dict]) -> FitResult:
    return FitResult(
        model="moderation",
        outcome="coop_projects",
        estimator="ols",
        formula="coop_projects ~ alliance_member_c * diff_resource_c",
        coefs=pd.DataFrame(columns=TIDY_COLUMNS),
        nobs=100,
        cov_type="HC1",
        regressors=("alliance_member", "diff_resource"),
        extra={"simple_slopes": slopes},
    )


def test_simple_slopes_from_models_stage_shape() -> None:
    # The shape written by chainpb.models.ols.simple_slopes: estimate + at, no intercept.
    slopes = [
        {"focal": "alliance_member", "moderator": "diff_resource", "at": "1",
         "moderator_value": 1.0, "estimate": 0.2, "std_error": 0.3, "p_value": 0.5,
         "conf_low": -0.4, "conf_high": 0.8},
        {"focal": "alliance_member", "moderator": "diff_resource", "at": "0",
         "moderator_value": 0.0, "estimate": 1.1, "std_error": 0.3, "p_value": 0.001,
         "conf_low": 0.5, "conf_high": 1.7},
    ]  # fmt: skip
    fig = F.plot_simple_slopes(_moderation_fit(slopes), labels=LABELS)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    assert ax.get_title() == "产业链党建联盟成员 → 链上合作项目数"
    assert ax.get_ylabel() == "简单斜率（95% 置信区间）"
    assert ax.get_xlabel() == "调节变量取值：资源聚合难"
    # sorted by moderator value: 0 first
    assert [t.get_text() for t in ax.get_xticklabels()] == ["取值为0", "取值为1"]
    line = ax.get_lines()[0]
    assert list(line.get_ydata()) == [1.1, 0.2]


def test_simple_slopes_with_prediction_lines() -> None:
    slopes = [
        {"moderator_value": -1.0, "moderator_label": "低", "slope": 1.0, "std_error": 0.2,
         "conf_low": 0.6, "conf_high": 1.4, "intercept": 2.0},
        {"moderator_value": 1.0, "moderator_label": "高", "slope": 0.2, "std_error": 0.2,
         "conf_low": -0.2, "conf_high": 0.6, "intercept": 2.5},
    ]  # fmt: skip
    fig = F.plot_simple_slopes(_moderation_fit(slopes), labels=LABELS, language="en")
    assert len(fig.axes) == 2
    right = fig.axes[1]
    # predicted = intercept + slope·x at x = 0 and 1: (2.0, 3.0) and (2.5, 2.7)
    ys = [tuple(np.round(line.get_ydata(), 6)) for line in right.get_lines()]
    assert ys == [(2.0, 3.0), (2.5, 2.7)]
    assert right.get_xlabel() == "Chain alliance member"


def test_simple_slopes_missing_is_a_bilingual_error() -> None:
    with pytest.raises(ChainpbError, match="simple_slopes"):
        F.plot_simple_slopes(_moderation_fit([]))


# ---------------------------------------------------------------- agreement


def test_agreement_figure() -> None:
    rows = []
    for comparison in ("supervised_vs_gold", "codebook_vs_gold"):
        for cat in ("macro", *F.CATEGORIES):
            rows.append(
                {"comparison": comparison, "category": cat, "precision": 0.9, "recall": 0.8,
                 "f1": 0.85, "cohen_kappa": -0.1 if cat == "resource" else 0.7}
            )  # fmt: skip
    fig = F.plot_agreement(pd.DataFrame(rows))
    # fixed order: codebook comparison first; macro average after the four categories
    assert [ax.get_title() for ax in fig.axes] == ["词典编码 vs 人工编码", "监督学习 vs 人工编码"]
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks == ["组织覆盖难", "思想引领难", "作用彰显难", "资源聚合难", "宏平均"]
    assert {"精确率", "召回率", "F1", "Cohen's κ"} <= _texts(fig)
    assert fig.axes[0].get_ylim()[0] < -0.1  # a negative κ stays visible


def test_agreement_figure_shows_the_test_units_when_there_are_any() -> None:
    rows = []
    for split, f1 in (("all", 0.9), ("dev", 0.95), ("test", 0.7)):
        for source in ("all", "answers"):
            for cat in ("macro", *F.CATEGORIES):
                rows.append(
                    {"comparison": "hybrid_vs_gold", "split": split, "source": source,
                     "category": cat, "precision": f1, "recall": f1, "f1": f1,
                     "cohen_kappa": f1}
                )  # fmt: skip
    table = pd.DataFrame(rows)
    fig = F.plot_agreement(table)
    assert fig.get_suptitle().endswith("（测试集单元）")
    heights = {round(p.get_height(), 2) for p in fig.axes[0].patches}
    assert heights == {0.7}  # only the test rows (split=test, source=all) are drawn
    fig = F.plot_agreement(table[table["split"] != "test"], language="en")
    assert fig.get_suptitle().endswith(" (all hand-coded units)")
    assert {round(p.get_height(), 2) for p in fig.axes[0].patches} == {0.9}


def test_bad_language_is_rejected() -> None:
    with pytest.raises(ChainpbError, match="language"):
        F.plot_difficulty_prevalence(_firm_difficulty(), language="fr")  # type: ignore[arg-type]


def test_variable_label_rules() -> None:
    assert (
        F.variable_label("alliance_member_c:diff_resource_c", LABELS)
        == "产业链党建联盟成员 × 资源聚合难"
    )
    assert F.variable_label("diff_coverage", None, "en") == "Organisational coverage"
    assert F.variable_label("Intercept") == "常数项"
    assert F.variable_label("unknown_var") == "unknown_var"


def test_top_terms_count_only_difficulty_statements() -> None:
    from chainpb.present.build import term_counts

    kwic = pd.DataFrame(
        {
            "category": ["coverage"] * 5,
            "term": ["覆盖不到", "覆盖不到", "党组织全覆盖", "覆盖难", "全覆盖"],
            "status": ["problem", "problem", "remedy", "negated", "no_context"],
            "negated": [False, False, False, True, False],
            "excluded": [False, False, False, False, False],
        }
    )
    # by hand: only the two problem hits of 覆盖不到 are difficulty wording
    assert term_counts(kwic).to_dict("records") == [
        {"category": "coverage", "term": "覆盖不到", "count": 2}
    ]


def test_coefficient_panels_are_wide_enough_for_three_ticks() -> None:
    """The example's four panels (three linear outcomes, one ordered logit), with the example's
    estimates rounded: three panels a row left the R&D panel (−0.2 … 1.0) two x ticks."""
    rows = []
    linear = {
        "rd_intensity": [0.8, 0.0, -0.02, 0.1, 0.0],
        "coop_projects": [2.0, -0.85, -0.4, -0.6, -0.5],
        "revenue_growth": [3.8, -0.5, -0.6, -0.5, 0.1],
    }
    terms = ["alliance_member", "diff_coverage", "diff_ideology", "diff_effectiveness"]
    terms += ["diff_resource"]
    for outcome, values in linear.items():
        half = 0.12 if outcome == "rd_intensity" else 0.35
        for term, value in zip(terms, values, strict=True):
            rows.append(("baseline_difficulties", outcome, term, value, half, "ols"))
        rows.append(("baseline", outcome, "alliance_member", values[0] + 0.02, half, "ols"))
    for term, value in [("alliance_member", 0.9), ("scale_resource", 1.4)]:
        rows.append(("resilience", "resilience", term, value, 0.2, "ologit"))
    est = pd.DataFrame(rows, columns=["model", "outcome", "term", "estimate", "half", "estimator"])
    est["conf_low"] = est["estimate"] - est.pop("half")
    est["conf_high"] = est["estimate"] + (est["estimate"] - est["conf_low"])
    fig = F.plot_coefficients(est, labels=LABELS)
    fig.canvas.draw()
    for ax in (a for a in fig.axes if a.get_visible()):
        low, high = ax.get_xlim()
        shown = [t for t in ax.get_xticks() if low <= t <= high]
        assert len(shown) >= 3, (ax.get_title(), shown)

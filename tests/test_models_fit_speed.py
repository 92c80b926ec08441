"""The faster ``fit_job`` (issue 13 item 5) gives the numbers the code gave before it.

Two kinds of reference:

* ``REFERENCE``: estimates, standard errors, p-values, N, dropped terms, absorbed levels and the
  sample facts (key column, SHA-256 of the sorted keys, categorical levels) of five specs on the
  table of :func:`table`, written by the code *before* this change (commit e70965f, the
  ``chainpb.models`` design/fe/ols/fit modules of that commit run on this table with
  OPENBLAS_NUM_THREADS=1). On that machine the new code reproduces them bit for bit; here they are
  compared at a relative 1e-12 (estimates, SEs) and 1e-9 (p-values: a relative change ε of the
  t statistic moves p by about t²·ε, and t reaches 27 here), so that another BLAS passes;
* the replaced one-liners, written out in the tests (``pd.factorize(s.astype(str), sort=True)``,
  the string categorical of the dummies, ``np.sort(...).astype(str)`` of the row keys, the
  Gram–Schmidt pass, statsmodels' own constant detection): the new code must equal them exactly.

No timing here (benchmarks/fe_speed.py measures the speed).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chainpb.models import design, fe, fit_job, model_jobs
from chainpb.models.ols import robust_ols


def table(n: int = 3000) -> pd.DataFrame:
    """Firms in 5 cities and 40 chains (chains nested in cities, integer chain codes)."""
    rng = np.random.default_rng(20261202)
    chain = rng.integers(0, 40, n)
    city = chain % 5
    d = pd.DataFrame(
        {
            "enterprise_id": [f"e{v:07d}" for v in rng.permutation(n) * 7 + 3],
            "city_key": pd.Series(["宿迁", "苏州", "无锡", "南京", "常州"]).to_numpy()[city],
            "chain_id": chain + 1,  # integers: their levels sort as strings ("10" < "2")
            "x1": rng.normal(size=n),
            "x2": rng.integers(0, 2, n).astype(float),
            "size": rng.normal(3, 1, n),
            "ownership": pd.Series(["国有", "民营", "外资"]).to_numpy()[rng.integers(0, 3, n)],
            "grade": rng.integers(1, 4, n),
        }
    )
    d["twice_x2"] = 2 * d["x2"]
    d["y"] = 0.5 * d["x1"] - 0.2 * d["x2"] + 0.1 * d["size"] + 0.3 * chain / 40 + rng.normal(size=n)
    d.loc[rng.random(n) < 0.03, "size"] = np.nan
    return d


SPECS = {
    "two_fe": {
        "regressors": ["x1", "x2"],
        "controls": ["size", "ownership"],
        "fixed_effects": ["city_key", "chain_id"],
        "cluster": ["chain_id"],
    },
    "one_fe_hc1": {"regressors": ["x1", "x2"], "controls": ["size"], "fixed_effects": ["chain_id"]},
    "three_fe": {
        "regressors": ["x1", "x2"],
        "controls": ["size"],
        "fixed_effects": ["city_key", "chain_id", "grade"],
        "cluster": ["chain_id"],
    },
    "no_fe_collinear": {
        "regressors": ["x1", "x2"],
        "controls": ["size", "twice_x2", "ownership"],
        "cluster": ["chain_id"],
    },
    "moderated": {
        "regressors": ["x1", "x2"],
        "controls": ["size"],
        "interactions": [["x1", "size"]],
        "winsorize": [0.01, 0.99],
        "subset": "grade > 1",
        "fixed_effects": ["city_key", "chain_id"],
        "cluster": ["chain_id", "city_key"],
    },
}

SHA_ALL = "38560794f0f475cbe4ebaeb104903b5e4cb6e24befdf79ee7683420e04d8872c"
CITY_LEVELS = {"levels": ["南京", "宿迁", "常州", "无锡", "苏州"], "reference": "南京"}
OWNERSHIP_LEVELS = {"levels": ["国有", "外资", "民营"], "reference": "国有"}

# Written by the code of commit e70965f (see the module docstring).
REFERENCE = {
    "two_fe": {
        "terms": ["x1", "x2", "size", "C(ownership)[T.外资]", "C(ownership)[T.民营]"],
        "estimate": [
            0.5105539488177833,
            -0.20941523860799433,
            0.11472763931133922,
            0.00887876893317615,
            0.028989292585080484,
        ],
        "std_error": [
            0.015138301702364075,
            0.034668520324752275,
            0.016751609944197186,
            0.044053089598708246,
            0.04360582180839324,
        ],
        "p_value": [
            1.8206334124228826e-30,
            4.5495995546957176e-07,
            3.459093597127128e-08,
            0.8413184419329811,
            0.5100885666244176,
        ],
        "nobs": 2916,
        "dropped": [],
        "collinear_with": {},
        "k_fe": 40,
        "sha": SHA_ALL,
        "cat": {"ownership": OWNERSHIP_LEVELS, "city_key": CITY_LEVELS},
    },
    "one_fe_hc1": {
        "terms": ["x1", "x2", "size"],
        "estimate": [0.5108229829785877, -0.20988886265839335, 0.11459662981627425],
        "std_error": [0.01753804964935146, 0.036621741120459954, 0.018094289742731],
        "p_value": [1.2024564141286032e-163, 1.1003598402712337e-08, 2.7756911523532807e-10],
        "nobs": 2916,
        "dropped": [],
        "collinear_with": {},
        "k_fe": 40,
        "sha": SHA_ALL,
        "cat": None,
    },
    "three_fe": {
        "terms": ["x1", "x2", "size"],
        "estimate": [0.5110109052230762, -0.20976303861332135, 0.11427227745725779],
        "std_error": [0.01493231713012326, 0.03467881372024609, 0.016612212865099178],
        "p_value": [1.0493136240898715e-30, 4.431309995112417e-07, 3.1447853725256874e-08],
        "nobs": 2916,
        "dropped": [],
        "collinear_with": {},
        "k_fe": 42,
        "sha": SHA_ALL,
        "cat": {"city_key": CITY_LEVELS},
    },
    "no_fe_collinear": {
        "terms": ["Intercept", "x1", "x2", "size", "C(ownership)[T.外资]", "C(ownership)[T.民营]"],
        "estimate": [
            0.0837565177709344,
            0.5093430054022547,
            -0.2150308369912329,
            0.1127752777825481,
            0.014139638179399387,
            0.037406828524397875,
        ],
        "std_error": [
            0.05851846392621085,
            0.015310228578077503,
            0.03325160774786447,
            0.016417014315832777,
            0.043560926209237454,
            0.04296621308528359,
        ],
        "p_value": [
            0.16031413035783254,
            3.048821074010795e-30,
            1.165519457940499e-07,
            3.239826740280013e-08,
            0.7472226816041827,
            0.3892944749534787,
        ],
        "nobs": 2916,
        "dropped": ["twice_x2"],
        "collinear_with": {"twice_x2": ["x2"]},
        "k_fe": None,
        "sha": SHA_ALL,
        "cat": {"ownership": OWNERSHIP_LEVELS},
    },
    "moderated": {
        "terms": ["x1", "x2", "size", "x1_c:size_c"],
        "estimate": [
            0.5108225277579008,
            -0.23364663178226913,
            0.09939486173467002,
            0.018708018873290527,
        ],
        "std_error": [
            0.019709942095388153,
            0.038266489187369426,
            0.016900390366762805,
            0.01661474839362217,
        ],
        "p_value": [
            1.3167831739802595e-05,
            0.0036413152248190015,
            0.004177257074643168,
            0.32315402440449326,
        ],
        "nobs": 1955,
        "dropped": [],
        "collinear_with": {},
        "k_fe": 40,
        "sha": "e7d7b2f6df87dc609368a632a7b491fb10593103db120dd0fa650951cd0ddc78",
        "cat": {"city_key": CITY_LEVELS},
    },
}


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return table()


def _fit(data: pd.DataFrame, name: str):
    (job,) = model_jobs({name: {"outcomes": ["y"], **SPECS[name]}})
    (res,) = fit_job(data, job)
    return res


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("name", list(SPECS))
def test_fit_job_reproduces_the_previous_code(data, name):
    ref = REFERENCE[name]
    res = _fit(data, name)
    coefs = res.coefs
    assert list(coefs["term"]) == ref["terms"]
    np.testing.assert_allclose(coefs["estimate"], ref["estimate"], rtol=1e-12, atol=0)
    np.testing.assert_allclose(coefs["std_error"], ref["std_error"], rtol=1e-12, atol=0)
    np.testing.assert_allclose(coefs["p_value"], ref["p_value"], rtol=1e-9, atol=0)
    assert res.nobs == ref["nobs"]
    assert res.extra["dropped_collinear"] == ref["dropped"]
    assert res.extra["collinear_with"] == ref["collinear_with"]
    assert res.extra.get("absorbed_levels") == ref["k_fe"]
    sample = res.extra["sample"]
    assert sample["key"] == "enterprise_id"
    assert sample["n"] == len(sample["keys"]) == ref["nobs"]
    assert sample["keys"][:3] == ["e0000003", "e0000010", "e0000017"]
    assert sample["keys_sha256"] == ref["sha"]
    assert res.extra["transformations"].get("categorical") == ref["cat"]


@pytest.mark.filterwarnings("ignore")
def test_row_keys_without_an_id_column(data):
    """No enterprise_id: the keys are row positions (not index labels), sorted as numbers."""
    d = data.drop(columns="enterprise_id")
    d.index = d.index * 3 + 100
    sample = _fit(d, "two_fe").extra["sample"]
    assert sample["key"] == "row"
    assert sample["keys"][:12] == ["0", "1", "2", "3", "4", "5", "6", "7", "9", "10", "11", "12"]
    assert sample["keys_sha256"] == (
        "f158672f501e047859a57812530e893976b107a2f8cd0cc7b8af7b484a134b51"
    )
    # The replaced expression, exactly.
    est = design.estimation_sample(d, model_jobs({"m": {"outcomes": ["y"], **SPECS["two_fe"]}})[0])
    old = np.sort(d.index.get_indexer(est.index)).astype(str).tolist()
    assert design._sample_rows(d, est) == ("row", old)


COLUMNS = {
    "str": pd.Series(["b", "a", "苏州", "10", "2", "a"]),
    "pyarrow string": pd.Series(["b", "a", "苏州", "10", "2", "a"], dtype="string[pyarrow]"),
    "python string": pd.Series(["b", "a", "苏州", "10", "2", "a"], dtype="string[python]"),
    "object str": pd.Series(["b", "a", "苏州", "10", "2", "a"], dtype=object),
    "object mixed": pd.Series([1, "1", 2.0, "a", 1.0, True], dtype=object),
    "int64": pd.Series([10, 2, 1, 10, -3, 2]),
    "Int64": pd.Series([10, 2, 1, 10, -3, 2], dtype="Int64"),
    "bool": pd.Series([True, False, True]),
    "float": pd.Series([1.0, 2.5, -0.0, 0.0, 10.0, 2.5]),
    "categorical": pd.Series(pd.Categorical([3, 10, 3, 2], categories=[10, 3, 2, 7])),
    "str with missing": pd.Series(["b", None, "a", "b"]),
}


@pytest.mark.parametrize("name", list(COLUMNS))
def test_levels_and_codes_equal_the_string_factorisation(name):
    s = COLUMNS[name]
    codes, levels = design._str_levels(s)
    old_codes, old_levels = pd.factorize(s.astype(str), sort=True)
    np.testing.assert_array_equal(codes, old_codes)
    assert codes.dtype == np.asarray(old_codes).dtype
    assert levels == [str(v) for v in old_levels]
    if name != "str with missing":
        assert levels == sorted(s.astype(str).unique())
    frame = pd.DataFrame({"a": s, "b": s.iloc[::-1].to_numpy()})
    np.testing.assert_array_equal(
        design.group_codes(frame, ("a", "b")),
        np.column_stack([pd.factorize(frame[c].astype(str), sort=True)[0] for c in "ab"]),
    )


@pytest.mark.parametrize("name", ["str", "object str", "int64", "Int64", "bool", "categorical"])
def test_dummies_equal_the_string_categorical(name):
    s = COLUMNS[name]
    got = design._dummies(s, "v", drop_first=True)
    # The code before: a categorical of str(value) with sorted levels, one dummy per level.
    if isinstance(s.dtype, pd.CategoricalDtype):
        cat = s.cat.remove_unused_categories()
    else:
        cat = pd.Series(
            pd.Categorical(s.astype(str), categories=sorted(s.astype(str).unique())),
            index=s.index,
        )
    levels = list(cat.cat.categories)
    want = pd.DataFrame(
        {f"C(v)[T.{lv}]": (cat == lv).astype(float).to_numpy() for lv in levels[1:]},
        index=s.index,
    )
    pd.testing.assert_frame_equal(got, want)


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("name", list(SPECS))
@pytest.mark.parametrize("dummies", [False, True])
def test_design_equals_the_gram_schmidt_pass(data, name, dummies, monkeypatch):
    """Skipping drop_collinear when the Cholesky check says full rank changes nothing."""
    (job,) = model_jobs({name: {"outcomes": ["y"], **SPECS[name]}})
    intercept = not SPECS[name].get("fixed_effects")
    got = design.build_design(data, job, intercept=intercept, fe_as_dummies=dummies)
    # The code before: always the Gram-Schmidt pass.
    monkeypatch.setattr(design, "clearly_full_rank", lambda X: False)
    want = design.build_design(data, job, intercept=intercept, fe_as_dummies=dummies)
    pd.testing.assert_frame_equal(got.X, want.X)
    pd.testing.assert_series_equal(got.y, want.y)
    assert (got.dropped_collinear, got.collinear_with, got.fe_dummies) == (
        want.dropped_collinear,
        want.collinear_with,
        want.fe_dummies,
    )
    assert got.dropped_collinear == tuple(REFERENCE[name]["dropped"])


def test_estimation_samples_are_shared_but_copied(data):
    (job,) = model_jobs({"m": {"outcomes": ["y"], **SPECS["two_fe"]}})
    alone = design.estimation_sample(data, job)
    with design.reusing_samples():
        first = design.estimation_sample(data, job)
        first["y"] = 0.0  # a caller changing its copy does not change the next one
        second = design.estimation_sample(data, job)
    pd.testing.assert_frame_equal(second, alone)
    assert design._SAMPLES.get() is None


def test_robust_ols_without_constant_detection_is_identical():
    """hasconst=False (the absorbed fit) skips statsmodels' implicit-constant SVDs only."""
    rng = np.random.default_rng(7)
    X = rng.normal(size=(500, 4))
    X -= X.mean(axis=0)  # demeaned: no constant column
    y = X @ [1.0, -0.5, 0.2, 0.0] + rng.normal(size=500)
    groups = rng.integers(0, 25, 500)
    for clusters in (None, groups, np.column_stack([groups, groups % 7])):
        a = robust_ols(y, X, clusters, extra_df=30)
        b = robust_ols(y, X, clusters, extra_df=30, hasconst=False)
        for x, z in zip(a[:4], b[:4], strict=True):
            np.testing.assert_array_equal(x, z)


def _row_graph_components(codes: np.ndarray) -> int:
    """The code before: a graph with one edge per row."""
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components

    l1, l2 = (int(v) + 1 for v in codes.max(axis=0))
    graph = sparse.coo_matrix(
        (np.ones(len(codes)), (codes[:, 0], codes[:, 1] + l1)), shape=(l1 + l2, l1 + l2)
    )
    return int(connected_components(graph, directed=False)[0])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_components_equal_the_row_graph(seed):
    rng = np.random.default_rng(seed)
    # Few pairs (3 blocks of 4 × 9 levels): counted from the table of pairs.
    block = rng.integers(0, 3, 2000)
    small = np.column_stack(
        [block * 4 + rng.integers(0, 4, 2000), block * 9 + rng.integers(0, 9, 2000)]
    )
    # Many possible pairs (1,500 × 1,500 levels > 4·N + 10⁶): the row graph itself.
    n = 3000
    big = np.column_stack([np.arange(n) % 1500, (np.arange(n) + rng.integers(0, 2, n)) % 1500])
    for codes in (small, big):
        codes = np.column_stack([pd.factorize(c, sort=True)[0] for c in codes.T])
        assert fe._components(codes) == _row_graph_components(codes)
    assert fe._components(small) == 3

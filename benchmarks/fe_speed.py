"""Speed of the absorbed-FE OLS fit at provincial scale (run by hand, not in tests).

    python benchmarks/fe_speed.py [--firms 200000] [--runs 5] [--no-dummies]

Simulates ``--firms`` firms in 13 cities and ``--chains`` industrial chains (each chain in one
city, as in the bundled example), with the baseline model's regressors and controls, and times,
in one process on the same table, the median of ``--runs`` runs (1 and 3 alternating) of:

1. the project's routine: ``fit_job`` of an OLS spec with ``fixed_effects: [city_key, chain_id]``
   and ``cluster: [chain_id]`` (sample, design, absorption, rank, clustered covariance, and the
   sample facts written to the specs file); also ``fit_ols`` alone (the estimation);
2. statsmodels OLS with explicit dummies (``C(city_key) + C(chain_id)``, cluster-robust by
   chain) — the textbook reference (``--no-dummies`` skips it: it is slow and needs ~1 GB);
3. pyfixest ``feols("y ~ x | city_key + chain_id", vcov={"CRV1": "chain_id"},
   ssc=ssc(k_fixef="full"))`` (the project's degrees-of-freedom convention) if pyfixest is
   importable. pyfixest is **not** a project dependency; for this benchmark install it apart,
   e.g. ``pip install --target /tmp/pyfixest pyfixest==0.60.0`` and run with
   ``PYFIXEST_PATH=/tmp/pyfixest`` (appended to ``sys.path``, so the project's own numpy and
   pandas stay first).

Run it as a Snakemake job runs (``OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1``: Snakemake sets
the BLAS thread variables to the rule's ``threads``); on a busy 2-core machine multi-threaded
BLAS calls on tall matrices are several times slower, not faster.

Besides each routine's median and its ratio to the project's ``fit_job``, the table gives the
median over rounds of the ratio to pyfixest within a round (the routines run back to back in a
round, so that ratio is less exposed to other jobs' load than the ratio of the medians).

It also prints the largest relative difference of coefficients and standard errors between the
project's fit and the other two. statsmodels' cluster correction and pyfixest's
``k_fixef="full"`` count every dummy column in K (here K_columns = k_x + L_city + L_chain − 1),
the project counts the rank (k_x + L_city + L_chain − connected components, as R's
``lm`` + ``sandwich::vcovCL``); their SEs are rescaled by sqrt((N−K_columns)/(N−K_rank))
before the comparison.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np
import pandas as pd

from chainpb.models import fit_job, model_jobs
from chainpb.models.design import group_codes
from chainpb.models.fe import fe_rank

REGRESSORS = ["alliance_member", "diff_coverage", "diff_ideology", "diff_effectiveness"]
CONTROLS = ["has_party_org", "chain_leader", "log_employees", "firm_age", "ownership"]
TERMS = [*REGRESSORS, *CONTROLS[:-1]]


def simulate(n_firms: int, n_chains: int, n_cities: int = 13, seed: int = 1) -> pd.DataFrame:
    """Firms with city and chain effects; chains are nested in cities (like the example)."""
    rng = np.random.default_rng(seed)
    chain = rng.integers(0, n_chains, n_firms)
    city_of_chain = np.arange(n_chains) % n_cities
    city = city_of_chain[chain]
    chain_effect = rng.normal(0, 0.5, n_chains)
    city_effect = rng.normal(0, 0.5, n_cities)
    own = np.array(["国有", "民营", "外资", "混合所有制"])[rng.integers(0, 4, n_firms)]
    df = pd.DataFrame(
        {
            "city_key": pd.Series([f"city{c:02d}" for c in range(n_cities)]).to_numpy()[city],
            "chain_id": pd.Series([f"c{c:04d}" for c in range(n_chains)]).to_numpy()[chain],
            "alliance_member": (rng.random(n_firms) < 0.4 + 0.2 * (chain % 2)).astype(float),
            "diff_coverage": rng.integers(0, 2, n_firms).astype(float),
            "diff_ideology": rng.integers(0, 2, n_firms).astype(float),
            "diff_effectiveness": rng.integers(0, 2, n_firms).astype(float),
            "has_party_org": rng.integers(0, 2, n_firms).astype(float),
            "chain_leader": (rng.random(n_firms) < 0.05).astype(float),
            "log_employees": rng.normal(4, 1, n_firms),
            "firm_age": rng.integers(1, 40, n_firms).astype(float),
            "ownership": own,
        }
    )
    df["rd_intensity"] = (
        1
        + 0.8 * df["alliance_member"]
        - 0.3 * df["diff_coverage"]
        + 0.25 * df["log_employees"]
        + 0.01 * df["firm_age"]
        + chain_effect[chain]
        + city_effect[city]
        + rng.normal(0, 1, n_firms)
    )
    return df


def project_job(df: pd.DataFrame):
    spec = {
        "outcomes": ["rd_intensity"],
        "regressors": REGRESSORS,
        "controls": CONTROLS,
        "fixed_effects": ["city_key", "chain_id"],
        "cluster": ["chain_id"],
    }
    (job,) = model_jobs({"fe": spec})
    return job


def project_fit(df: pd.DataFrame) -> pd.DataFrame:
    (res,) = fit_job(df, project_job(df))
    return res.coefs.set_index("term")[["estimate", "std_error"]]


def project_estimation(df: pd.DataFrame) -> pd.DataFrame:
    """The estimator alone (``fit_ols``), without the sample facts ``fit_job`` adds."""
    from chainpb.models.ols import fit_ols

    res = fit_ols(df, project_job(df))
    return res.coefs.set_index("term")[["estimate", "std_error"]]


def dummies_fit(df: pd.DataFrame) -> pd.DataFrame:
    import statsmodels.formula.api as smf

    formula = (
        "rd_intensity ~ "
        + " + ".join(TERMS)
        + " + C(ownership, Treatment('国有')) + C(city_key) + C(chain_id)"
    )
    import warnings

    warnings.filterwarnings("ignore", "The design matrix is rank-deficient")
    fit = smf.ols(formula, df).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(df["chain_id"])[0]}
    )
    out = pd.DataFrame({"estimate": fit.params, "std_error": fit.bse})
    out.index = [i.replace(", Treatment('国有')", "") for i in out.index]
    return out


def pyfixest_fit(df: pd.DataFrame) -> pd.DataFrame:
    import pyfixest as pf

    d = df.copy()
    own = pd.get_dummies(d["ownership"], dtype=float)
    cols = ["外资", "民营", "混合所有制"]
    names = {c: f"own_{i}" for i, c in enumerate(cols)}
    for c in cols:
        d[names[c]] = own[c]
    formula = "rd_intensity ~ " + " + ".join([*TERMS, *names.values()]) + " | city_key + chain_id"
    # k_fixef="full": every absorbed level counts in K (as in the project; see the rescaling).
    fit = pf.feols(formula, data=d, vcov={"CRV1": "chain_id"}, ssc=pf.ssc(k_fixef="full"))
    out = pd.DataFrame({"estimate": fit.coef(), "std_error": fit.se()})
    back = {v: f"C(ownership)[T.{k}]" for k, v in names.items()}
    out.index = [back.get(i, i) for i in out.index]
    return out


def timed(fn, runs: int) -> tuple[float, list[float], object]:
    times, out = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times, out


def max_rel(a: pd.DataFrame, b: pd.DataFrame) -> float:
    common = [t for t in a.index if t in b.index]
    x = a.loc[common].to_numpy(float)
    y = b.loc[common].to_numpy(float)
    return float(np.max(np.abs(x - y) / np.maximum(np.abs(y), 1e-300)))


def machine() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines()
        model = next(ln.split(":", 1)[1].strip() for ln in out if ln.startswith("Model name"))
    except (OSError, StopIteration):
        model = platform.processor() or "unknown CPU"
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--firms", type=int, default=200_000)
    ap.add_argument("--chains", type=int, default=300)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--no-dummies", action="store_true")
    args = ap.parse_args()
    if os.environ.get("PYFIXEST_PATH"):
        sys.path.append(os.environ["PYFIXEST_PATH"])
    df = simulate(args.firms, args.chains)
    blas = os.environ.get("OPENBLAS_NUM_THREADS", "unset")
    print(f"机器 / machine: {machine()}; load average {os.getloadavg()[0]:.2f}")
    print(f"OPENBLAS_NUM_THREADS={blas} (Snakemake sets it to the rule's threads, 1 for fit_model)")
    print(
        f"数据 / data: {len(df):,} firms, {df['city_key'].nunique()} cities, "
        f"{df['chain_id'].nunique()} chains; {args.runs} runs each"
    )
    # The project's routine and pyfixest alternate run by run (a first, untimed call of each
    # warms imports and pyfixest's compiled code), so load from other jobs falls on both.
    variants = {
        "chainpb fit_job (absorbed FE)": lambda: project_fit(df),
        "chainpb fit_ols only (without fit_job's design_facts)": lambda: project_estimation(df),
    }
    try:
        import pyfixest

        variants[f"pyfixest {pyfixest.__version__} feols"] = lambda: pyfixest_fit(df)
    except ImportError:
        print("pyfixest 未安装，跳过 / pyfixest not importable, skipped")
    results = {name: fn() for name, fn in variants.items()}
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.runs):
        for name, fn in variants.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    rows = [(name, statistics.median(t), t) for name, t in times.items()]
    t_proj = rows[0][1]
    # Each round runs every routine once, back to back: the ratio within a round is less
    # exposed to other jobs' load than the ratio of the medians; its median is shown too.
    ref = next((t for name, t in times.items() if "pyfixest" in name), None)
    paired = {
        name: statistics.median(a / b for a, b in zip(t, ref, strict=True))
        for name, t in times.items()
        if ref is not None
    }
    ours = results["chainpb fit_job (absorbed FE)"]
    others = {("pyfixest" if "pyfixest" in k else k): v for k, v in list(results.items())[2:]}
    if not args.no_dummies:
        runs = min(args.runs, 2)
        t, all_t, others["dummies"] = timed(lambda: dummies_fit(df), runs)
        rows.append((f"statsmodels OLS with dummies ({runs} runs)", t, all_t))
    print()
    print("| routine | median s | runs (s) | × chainpb | × pyfixest (median of per-round ratios) |")
    print("| --- | ---: | --- | ---: | ---: |")
    for name, t, all_t in rows:
        runs_s = ", ".join(f"{x:.2f}" for x in all_t)
        ratio = f"{paired[name]:.2f}" if name in paired else "–"
        print(f"| {name} | {t:.3f} | {runs_s} | {t / t_proj:.2f} | {ratio} |")
    # statsmodels (cluster correction) and pyfixest (k_fixef="full") count K as
    # k_x + L_city + L_chain − 1; the project, like R's lm + vcovCL, counts the rank
    # k_x + L_city + L_chain − components. Their SEs are rescaled to the rank before comparing.
    codes = group_codes(df, ("city_key", "chain_id"))
    redundant = int(codes[:, 0].max() + codes[:, 1].max() + 1) - fe_rank(codes)
    n, k_rank = len(df), len(ours) + fe_rank(codes)
    factor = np.sqrt((n - k_rank - redundant) / (n - k_rank))
    for name, other in others.items():
        se = other[["std_error"]] * factor
        print(
            f"最大相对差 / max relative difference vs {name}: "
            f"coef {max_rel(ours[['estimate']], other[['estimate']]):.2e}, "
            f"SE {max_rel(ours[['std_error']], se):.2e} "
            f"(its SE × sqrt((N−K−{redundant})/(N−K)) for {redundant} redundant levels)"
        )


if __name__ == "__main__":
    main()

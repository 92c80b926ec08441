"""Descriptive statistics and correlation tables (描述性统计与相关分析).

Both tables carry the variable labels of config ``labels:`` (``{var: {zh: ..., en: ...}}``) in
the chosen language so that the presentation layer can print them as they are.

Star convention (the one Chinese economics and management journals use):
``*** p < 0.01``, ``** p < 0.05``, ``* p < 0.1``, two-sided.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from chainpb.errors import ChainpbError
from chainpb.labels import variable_label as _variable_label

Labels = Mapping[str, Mapping[str, str]]

STAR_LEVELS: tuple[tuple[float, str], ...] = ((0.01, "***"), (0.05, "**"), (0.1, "*"))
DESCRIBE_COLUMNS = ["variable", "label", "n", "mean", "sd", "min", "median", "max"]


def variable_label(variable: str, labels: Labels | None, language: str = "zh") -> str:
    """The label of ``variable`` in ``language`` (see :func:`chainpb.labels.variable_label`)."""
    if language not in {"zh", "en"}:
        raise ChainpbError(
            f"不支持的语言「{language}」，可选：zh、en。",
            f"unsupported language '{language}'; choose zh or en.",
        )
    return _variable_label(variable, labels, language)  # type: ignore[arg-type]


def _numeric(df: pd.DataFrame, variables: Sequence[str]) -> pd.DataFrame:
    missing = [v for v in variables if v not in df.columns]
    if missing:
        raise ChainpbError(
            f"分析数据中没有变量：{', '.join(missing)}；请检查 config 中的变量名。",
            f"the analysis data has no variables: {', '.join(missing)}; check the variable "
            "names in the config.",
        )
    out = pd.DataFrame(index=df.index)
    for v in variables:
        col = df[v]
        if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
            raise ChainpbError(
                f"变量「{v}」不是数值型（类型 {col.dtype}），不能计算均值或相关；分类变量请先转为虚拟变量。",
                f"variable '{v}' is not numeric (dtype {col.dtype}); means and correlations "
                "need numbers — turn categories into dummies first.",
            )
        out[v] = pd.to_numeric(col, errors="coerce").astype("float64")
    return out


def describe(
    df: pd.DataFrame, variables: Sequence[str], labels: Labels | None = None, language: str = "zh"
) -> pd.DataFrame:
    """N, mean, SD (ddof = 1), min, median, max per variable, each on its own non-missing values.

    Columns: ``variable, label, n, mean, sd, min, median, max``, rows in the order given.
    """
    data = _numeric(df, variables)
    rows = []
    for v in variables:
        x = data[v].dropna().to_numpy()
        n = len(x)
        rows.append(
            {
                "variable": v,
                "label": variable_label(v, labels, language),
                "n": n,
                "mean": float(x.mean()) if n else np.nan,
                "sd": float(x.std(ddof=1)) if n > 1 else np.nan,
                "min": float(x.min()) if n else np.nan,
                "median": float(np.median(x)) if n else np.nan,
                "max": float(x.max()) if n else np.nan,
            }
        )
    return pd.DataFrame(rows, columns=DESCRIBE_COLUMNS)


def significance_stars(p: float) -> str:
    """``***`` p < 0.01, ``**`` p < 0.05, ``*`` p < 0.1, else ``""`` (missing p → ``""``)."""
    if p is None or not np.isfinite(p):
        return ""
    for level, stars in STAR_LEVELS:
        if p < level:
            return stars
    return ""


def _pair_test(x: np.ndarray, y: np.ndarray, method: str) -> tuple[float, float, int]:
    # scipy.stats here, not at the top: the tables and the Word report import this module for
    # its labels and pay ~0.6 s for scipy.stats only when a correlation is tested.
    from scipy import stats

    ok = ~(np.isnan(x) | np.isnan(y))
    x, y = x[ok], y[ok]
    n = len(x)
    if n < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return np.nan, np.nan, n
    if method == "spearman":
        x, y = stats.rankdata(x), stats.rankdata(y)
    r = float(np.corrcoef(x, y)[0, 1])
    r = max(-1.0, min(1.0, r))
    # The t test with n - 2 df is what R's cor.test uses for Pearson, and for Spearman with
    # exact = FALSE; exact Spearman p-values would depend on ties and n.
    if abs(r) == 1.0:
        return r, 0.0, n
    t = r * np.sqrt((n - 2) / (1 - r**2))
    return r, float(2 * stats.t.sf(abs(t), n - 2)), n


def correlation_matrix(
    df: pd.DataFrame,
    variables: Sequence[str],
    labels: Labels | None = None,
    method: str = "pearson",
    language: str = "zh",
    digits: int = 3,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Correlations with pairwise complete observations.

    Returns ``(r, p, formatted)``: ``r`` and ``p`` are full symmetric matrices indexed by
    variable name (p on the diagonal is NaN). ``formatted`` is the journal table: rows and
    columns labelled in ``language``, the lower triangle as ``"0.472***"`` (``digits``
    decimals, stars per :func:`significance_stars`), the diagonal ``"1"``, the upper triangle
    empty. ``method`` is ``"pearson"`` or ``"spearman"``.
    """
    if method not in {"pearson", "spearman"}:
        raise ChainpbError(
            f"不支持的相关方法「{method}」，可选：pearson、spearman。",
            f"unsupported correlation method '{method}'; choose pearson or spearman.",
        )
    data = _numeric(df, variables)
    k = len(variables)
    r = np.eye(k)
    p = np.full((k, k), np.nan)
    for i in range(k):
        for j in range(i):
            rij, pij, _ = _pair_test(data.iloc[:, i].to_numpy(), data.iloc[:, j].to_numpy(), method)
            r[i, j] = r[j, i] = rij
            p[i, j] = p[j, i] = pij
    names = list(variables)
    r_df = pd.DataFrame(r, index=names, columns=names)
    p_df = pd.DataFrame(p, index=names, columns=names)
    shown = [variable_label(v, labels, language) for v in names]
    cells = [["" for _ in range(k)] for _ in range(k)]
    for i in range(k):
        cells[i][i] = "1"
        for j in range(i):
            if np.isnan(r[i, j]):
                cells[i][j] = ""
            else:
                cells[i][j] = f"{r[i, j]:.{digits}f}{significance_stars(p[i, j])}"
    formatted = pd.DataFrame(cells, index=shown, columns=shown)
    return r_df, p_df, formatted

"""Agreement between two coders of the four difficulties (P/R/F1, Cohen's κ, Krippendorff's α).

The first argument of every two-coder function is the *reference* (the gold hand codes, or
whichever coder the comparison treats as the standard); precision and recall are only
meaningful in that direction, κ and α are symmetric.

Undefined statistics are returned as ``NaN`` rather than 0 or 1, because a researcher must
see "cannot be computed on this sample" rather than a number that looks like a finding:

- precision is undefined when the coder never codes 1 (tp + fp = 0);
- recall is undefined when the reference never codes 1 (tp + fn = 0);
- F1 is undefined when neither codes 1 (tp + fp + fn = 0);
- Cohen's κ is undefined when chance agreement is 1, i.e. both coders put every unit in the
  same single class (the κ formula divides by 1 − p_e = 0);
- Krippendorff's α is undefined when all pairable values are one value (expected
  disagreement D_e = 0) or fewer than two pairable values exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from chainpb.errors import ChainpbError
from chainpb.labels import CATEGORIES

REPORT_COLUMNS: list[str] = [
    "category",
    "reference",
    "coder",
    "n",
    "prevalence_reference",
    "prevalence_coder",
    "tp",
    "fp",
    "fn",
    "tn",
    "precision",
    "recall",
    "f1",
    "cohen_kappa",
    "krippendorff_alpha",
]

DISAGREEMENT_COLUMNS: list[str] = ["unit_id", "source", "text", "category", "gold", "coded"]


@dataclass(frozen=True)
class ConfusionCounts:
    """2×2 table of a binary coder against a reference (positive class = 1)."""

    tp: int  # reference 1, coder 1
    fp: int  # reference 0, coder 1
    fn: int  # reference 1, coder 0
    tn: int  # reference 0, coder 0

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn


def _binary_array(values: Any, what: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float).ravel()
    bad = ~np.isin(arr, (0.0, 1.0))
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ChainpbError(
            f"{what} 的编码必须是 0 或 1，第 {first + 1} 个值为 {arr[first]!r}。",
            f"{what} codes must be 0 or 1; value number {first + 1} is {arr[first]!r}.",
        )
    return arr.astype(np.int64)


def _paired(reference: Any, coded: Any) -> tuple[np.ndarray, np.ndarray]:
    ref = np.asarray(reference, dtype=float).ravel()
    cod = np.asarray(coded, dtype=float).ravel()
    if ref.shape != cod.shape:
        raise ChainpbError(
            f"两组编码长度不同：参照 {ref.size} 个，编码者 {cod.size} 个。",
            f"The two codings differ in length: reference {ref.size}, coder {cod.size}.",
        )
    return ref, cod


def confusion_counts(reference: Any, coded: Any) -> ConfusionCounts:
    """Counts of the 2×2 table; both inputs are 0/1 vectors of equal length without missing."""
    ref, cod = _paired(reference, coded)
    ref_b = _binary_array(ref, "参照 / reference")
    cod_b = _binary_array(cod, "编码者 / coder")
    return ConfusionCounts(
        tp=int(np.sum((ref_b == 1) & (cod_b == 1))),
        fp=int(np.sum((ref_b == 0) & (cod_b == 1))),
        fn=int(np.sum((ref_b == 1) & (cod_b == 0))),
        tn=int(np.sum((ref_b == 0) & (cod_b == 0))),
    )


def precision_from_counts(c: ConfusionCounts) -> float:
    """tp / (tp + fp); NaN when the coder never codes 1."""
    return c.tp / (c.tp + c.fp) if c.tp + c.fp else float("nan")


def recall_from_counts(c: ConfusionCounts) -> float:
    """tp / (tp + fn); NaN when the reference never codes 1."""
    return c.tp / (c.tp + c.fn) if c.tp + c.fn else float("nan")


def f1_from_counts(c: ConfusionCounts) -> float:
    """2tp / (2tp + fp + fn), the harmonic mean of P and R; NaN when neither codes 1."""
    denom = 2 * c.tp + c.fp + c.fn
    return 2 * c.tp / denom if denom else float("nan")


def precision(reference: Any, coded: Any) -> float:
    """Share of the coder's 1s that the reference also codes 1."""
    return precision_from_counts(confusion_counts(reference, coded))


def recall(reference: Any, coded: Any) -> float:
    """Share of the reference's 1s that the coder finds."""
    return recall_from_counts(confusion_counts(reference, coded))


def f1_score(reference: Any, coded: Any) -> float:
    """F1 of the coder against the reference (positive class = 1)."""
    return f1_from_counts(confusion_counts(reference, coded))


def cohen_kappa(reference: Any, coded: Any) -> float:
    """Cohen's κ for two coders of nominal values (any hashable labels, no missing).

    κ = (p_o − p_e) / (1 − p_e) with p_e from each coder's own marginal distribution.
    Returns NaN when p_e = 1: both coders used one and the same class for every unit, so
    agreement cannot be told apart from chance (the ratio is 0/0). If the coders each used a
    *different* single class, p_o = p_e = 0 and κ = 0, which is defined.
    """
    ref = pd.Series(np.asarray(reference, dtype=object).ravel())
    cod = pd.Series(np.asarray(coded, dtype=object).ravel())
    if len(ref) != len(cod):
        raise ChainpbError(
            f"两组编码长度不同：参照 {len(ref)} 个，编码者 {len(cod)} 个。",
            f"The two codings differ in length: reference {len(ref)}, coder {len(cod)}.",
        )
    n = len(ref)
    if n == 0:
        return float("nan")
    p_o = float(np.mean(ref.to_numpy() == cod.to_numpy()))
    ref_share = ref.value_counts(normalize=True)
    cod_share = cod.value_counts(normalize=True)
    p_e = float(sum(ref_share[k] * cod_share.get(k, 0.0) for k in ref_share.index))
    if np.isclose(p_e, 1.0):
        return float("nan")
    return (p_o - p_e) / (1.0 - p_e)


def krippendorff_alpha_nominal(reliability_data: Any) -> float:
    """Krippendorff's α for nominal values, any number of coders, missing values allowed.

    ``reliability_data`` is a coders × units matrix (rows = coders, columns = units, as in
    Krippendorff's reliability-data tables); missing values are ``NaN``/``None``. Values may be
    numbers or strings; only equality matters (nominal metric).

    Coincidence-matrix form (Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability"):
    a unit with m_u ≥ 2 values adds every ordered pair of its values (c, k), weighted 1/(m_u − 1),
    to o_ck; units with fewer than two values are not pairable and are left out. With
    n_c = Σ_k o_ck and n = Σ_c n_c,
    α = 1 − (n − 1) · Σ_{c≠k} o_ck / Σ_{c≠k} n_c n_k.
    NaN when n < 2 or only one value occurs (no expected disagreement).
    """
    data = np.asarray(reliability_data, dtype=object)
    if data.ndim != 2:
        raise ChainpbError(
            "可靠性数据必须是二维表（编码者 × 单元）。",
            "Reliability data must be 2-D (coders × units).",
        )
    flat = data.ravel()
    missing = np.fromiter((pd.isna(v) for v in flat), dtype=bool, count=flat.size)
    values: list[Any] = sorted(set(flat[~missing]), key=lambda v: (str(type(v)), v))
    if len(values) < 2:
        return float("nan")
    index = {v: i for i, v in enumerate(values)}
    # counts[u, c]: how many coders gave unit u the value c (one pass, no loop over units)
    units = np.tile(np.arange(data.shape[1]), data.shape[0])[~missing]
    codes = np.fromiter((index[v] for v in flat[~missing]), dtype=np.int64, count=units.size)
    counts = np.zeros((data.shape[1], len(values)))
    np.add.at(counts, (units, codes), 1.0)
    m_u = counts.sum(axis=1)
    pairable = counts[m_u >= 2]
    weighted = pairable / (m_u[m_u >= 2] - 1)[:, None]
    # Σ_u (c_u c_uᵀ − diag c_u) / (m_u − 1): ordered pairs of *different* coders in each unit
    coincidence = weighted.T @ pairable - np.diag(weighted.sum(axis=0))
    n_c = coincidence.sum(axis=1)
    n = n_c.sum()
    if n < 2:
        return float("nan")
    observed = coincidence.sum() - np.trace(coincidence)
    expected = n_c.sum() ** 2 - np.sum(n_c**2)  # Σ_{c≠k} n_c n_k
    if expected == 0:
        return float("nan")
    return float(1.0 - (n - 1) * observed / expected)


def krippendorff_alpha_two_coders(reference: Any, coded: Any) -> float:
    """Krippendorff's α (nominal) for two coders who both coded every unit."""
    ref = np.asarray(reference, dtype=object).ravel()
    cod = np.asarray(coded, dtype=object).ravel()
    if ref.shape != cod.shape:
        raise ChainpbError(
            f"两组编码长度不同：参照 {ref.size} 个，编码者 {cod.size} 个。",
            f"The two codings differ in length: reference {ref.size}, coder {cod.size}.",
        )
    if any(pd.isna(v) for v in ref) or any(pd.isna(v) for v in cod):
        raise ChainpbError(
            "两编码者形式的 α 不允许缺失值；请使用 krippendorff_alpha_nominal。",
            "The two-coder α does not allow missing values; use krippendorff_alpha_nominal.",
        )
    return krippendorff_alpha_nominal(np.vstack([ref, cod]))


def _aligned_codes(
    reference: pd.DataFrame, coded: pd.DataFrame, categories: Sequence[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Align two code tables on ``unit_id`` when both have it, else by position."""
    for name, frame in (("reference", reference), ("coded", coded)):
        missing = [c for c in categories if c not in frame.columns]
        if missing:
            raise ChainpbError(
                f"编码表（{name}）缺少类别列：{', '.join(missing)}。",
                f"The code table ({name}) lacks category columns: {', '.join(missing)}.",
            )
    if "unit_id" in reference.columns and "unit_id" in coded.columns:
        ref = reference.set_index(reference["unit_id"].astype(str))
        cod = coded.set_index(coded["unit_id"].astype(str))
        only_ref = ref.index.difference(cod.index)
        only_cod = cod.index.difference(ref.index)
        if len(only_ref) or len(only_cod) or ref.index.has_duplicates or cod.index.has_duplicates:
            example = list(only_ref[:3]) + list(only_cod[:3])
            raise ChainpbError(
                f"两张编码表的 unit_id 不一致（重复或不匹配），例如：{example}。",
                f"The two code tables do not have the same unique unit_ids; e.g. {example}.",
            )
        cod = cod.loc[ref.index]
        return ref[list(categories)], cod[list(categories)]
    if len(reference) != len(coded):
        raise ChainpbError(
            f"两张编码表行数不同（{len(reference)} 与 {len(coded)}），且没有 unit_id 列可对齐。",
            f"The code tables differ in length ({len(reference)} vs {len(coded)}) and have no unit_id to align on.",
        )
    return (
        reference[list(categories)].reset_index(drop=True),
        coded[list(categories)].reset_index(drop=True),
    )


def agreement_report(
    reference: pd.DataFrame,
    coded: pd.DataFrame,
    categories: Sequence[str] = CATEGORIES,
    reference_name: str = "gold",
    coder_name: str = "codebook",
) -> pd.DataFrame:
    """One row per category, then a ``macro`` row: agreement of ``coded`` with ``reference``.

    Both tables hold 0/1 columns named after the categories; they are aligned on ``unit_id``
    when both have that column, else by row position. Units where either code is missing
    (e.g. a blank answer the codebook marks ``missing``) are left out of that category, and
    ``n`` says how many units were compared. The ``macro`` row is the unweighted mean of
    precision, recall and F1 over the categories where each is defined (NaNs skipped); its
    count, prevalence, κ and α cells are empty because a mean of those is not a statistic
    researchers report.
    """
    ref, cod = _aligned_codes(reference, coded, categories)
    rows: list[dict[str, Any]] = []
    for category in categories:
        r = pd.to_numeric(ref[category], errors="coerce").to_numpy(dtype=float)
        c = pd.to_numeric(cod[category], errors="coerce").to_numpy(dtype=float)
        keep = ~(np.isnan(r) | np.isnan(c))
        r, c = r[keep], c[keep]
        counts = confusion_counts(r, c)
        n = counts.n
        rows.append(
            {
                "category": category,
                "reference": reference_name,
                "coder": coder_name,
                "n": n,
                "prevalence_reference": (counts.tp + counts.fn) / n if n else float("nan"),
                "prevalence_coder": (counts.tp + counts.fp) / n if n else float("nan"),
                "tp": counts.tp,
                "fp": counts.fp,
                "fn": counts.fn,
                "tn": counts.tn,
                "precision": precision_from_counts(counts),
                "recall": recall_from_counts(counts),
                "f1": f1_from_counts(counts),
                "cohen_kappa": cohen_kappa(r.astype(int), c.astype(int)) if n else float("nan"),
                "krippendorff_alpha": krippendorff_alpha_two_coders(r.astype(int), c.astype(int))
                if n
                else float("nan"),
            }
        )
    table = pd.DataFrame(rows, columns=REPORT_COLUMNS)

    def _mean(column: str) -> float:
        vals = table[column].astype(float).dropna()
        return float(vals.mean()) if len(vals) else float("nan")

    macro: dict[str, Any] = {column: float("nan") for column in REPORT_COLUMNS}
    macro.update(
        {
            "category": "macro",
            "reference": reference_name,
            "coder": coder_name,
            "n": len(ref),
            "precision": _mean("precision"),
            "recall": _mean("recall"),
            "f1": _mean("f1"),
        }
    )
    table = pd.concat([table, pd.DataFrame([macro], columns=REPORT_COLUMNS)], ignore_index=True)
    for column in ("n", "tp", "fp", "fn", "tn"):
        table[column] = table[column].astype("Int64")
    for column in (
        "prevalence_reference",
        "prevalence_coder",
        "precision",
        "recall",
        "f1",
        "cohen_kappa",
        "krippendorff_alpha",
    ):
        table[column] = table[column].astype(float)
    return table


def disagreements(
    gold_with_text: pd.DataFrame,
    coded: pd.DataFrame,
    categories: Sequence[str] = CATEGORIES,
) -> pd.DataFrame:
    """Every (unit, category) where the coder's code differs from gold, for a researcher to read.

    ``gold_with_text`` has ``unit_id, source, text`` and the category columns; ``coded`` has
    ``unit_id`` and the category columns. A missing code on one side and a code on the other
    counts as a disagreement (the researcher should see units the coder could not code);
    both missing does not. Sorted by unit_id, then category in the order given.
    """
    for column in ("unit_id", "source", "text"):
        if column not in gold_with_text.columns:
            raise ChainpbError(
                f"金标准表缺少列「{column}」。", f"The gold table lacks the column '{column}'."
            )
    gold = gold_with_text.assign(unit_id=gold_with_text["unit_id"].astype(str))
    cod = coded.assign(unit_id=coded["unit_id"].astype(str))
    ref_codes, cod_codes = _aligned_codes(gold, cod, categories)
    info = gold.set_index("unit_id").loc[ref_codes.index, ["source", "text"]]
    rows: list[dict[str, Any]] = []
    order = {category: i for i, category in enumerate(categories)}
    for category in categories:
        g = pd.to_numeric(ref_codes[category], errors="coerce").astype("Int64")
        c = pd.to_numeric(cod_codes[category], errors="coerce").astype("Int64")
        differ = (g.isna() != c.isna()) | (g.notna() & c.notna() & (g != c)).fillna(False)
        for unit_id in ref_codes.index[differ.to_numpy(dtype=bool)]:
            rows.append(
                {
                    "unit_id": unit_id,
                    "source": info.at[unit_id, "source"],
                    "text": info.at[unit_id, "text"],
                    "category": category,
                    "gold": g.at[unit_id],
                    "coded": c.at[unit_id],
                }
            )
    out = pd.DataFrame(rows, columns=DISAGREEMENT_COLUMNS)
    if out.empty:
        return out.astype({"gold": "Int64", "coded": "Int64"})
    out["_order"] = out["category"].map(order)
    out = out.sort_values(["unit_id", "_order"], kind="mergesort").drop(columns="_order")
    out["gold"] = out["gold"].astype("Int64")
    out["coded"] = out["coded"].astype("Int64")
    return out.reset_index(drop=True)

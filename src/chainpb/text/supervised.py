"""A supervised second coder: TF-IDF on segmented tokens + logistic regression per difficulty.

The codebook coder is transparent but only finds the terms someone wrote down. This coder
learns from the hand-coded gold sample instead, so that the agreement of the two (and of each
with gold) tells a researcher how much the codebook misses.

Design choices (the *why*):

- Inputs are already segmented token lists (from the project's jieba segmenter), so this
  module does no Chinese segmentation of its own and can be tested alone. Features are token
  unigrams and bigrams (adjacent tokens joined by a space), weighted by TF-IDF with sublinear
  term frequency. The analyzer is a module-level function, so the fitted coder pickles.
- Multi-label as binary relevance ("one-vs-rest"): one independent logistic regression per
  category, ``class_weight="balanced"`` because difficulties are rare in open answers, solver
  ``liblinear`` with the seed as ``random_state`` so that a seed fixes the result.
- Cross-validation stratifies *per category*: each category's classifier is cross-validated
  with its own ``StratifiedKFold(shuffle=True, random_state=seed)`` on that category's label,
  so every fold holds positives of that category even when categories are rare and
  combinations are unique. If the rarer class has fewer units than ``n_splits``, the number of
  folds drops to that count (at least 2); with fewer than 2 units in the rarer class,
  stratification is impossible and an unstratified shuffled ``KFold`` is used. A training fold
  that holds one class only predicts that class with probability 1 (0 for the other).
- The TF-IDF vocabulary is fitted inside each training fold, so out-of-fold predictions never
  see the held-out units' words: agreement with gold is honest.
- TF-IDF keeps n-grams found in at least two training units (``min_df=2``) and the
  regression uses ``C=10``; see the constants below for why.
- A unit is coded 1 when its predicted probability is ≥ ``threshold`` (0.5).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import Pipeline

from chainpb.errors import ChainpbError
from chainpb.text.agreement import CATEGORIES

Tokens = Sequence[Sequence[str]]

DEFAULT_THRESHOLD = 0.5
# An n-gram seen in a single training unit cannot be learnt, only memorised; with IDF such
# rare bigrams get the largest weights and drown the terms that matter (on the synthetic
# check in tests/test_text_supervised.py, min_df=1 lost ~5 points of out-of-fold F1).
DEFAULT_MIN_DF = 2
# TF-IDF rows are L2-normalised, so one term's value is small and C=1 (sklearn's default)
# over-regularises on a gold sample of a few hundred units; C=10 is the usual text setting.
DEFAULT_C = 10.0


def _is_content(token: str) -> bool:
    # Punctuation and symbols carry no difficulty; as features they only add noise bigrams.
    return any(not unicodedata.category(ch).startswith(("P", "S", "Z", "C")) for ch in token)


def token_ngrams(tokens: Sequence[str]) -> list[str]:
    """Unigrams and bigrams of a token list.

    Blank, punctuation-only and symbol-only tokens are dropped before pairing, so "覆盖 难"
    is a bigram whether or not a comma stood between the words.
    """
    kept = [str(t) for t in tokens if _is_content(str(t))]
    return kept + [f"{a} {b}" for a, b in pairwise(kept)]


def probability_column(category: str) -> str:
    """Name of the predicted-probability column of a category, e.g. ``p_coverage``."""
    return f"p_{category}"


@dataclass(frozen=True)
class ConstantClassifier:
    """Stands in for a classifier when the training labels hold one class only."""

    label: int

    def predict_proba(self, documents: Sequence[Any]) -> np.ndarray:
        p1 = float(self.label)
        return np.tile([1.0 - p1, p1], (len(documents), 1))


def make_pipeline(seed: int, c: float = DEFAULT_C, min_df: int = DEFAULT_MIN_DF) -> Pipeline:
    """The TF-IDF + logistic regression pipeline fitted per category."""
    return Pipeline(
        [
            (
                "tfidf",
                TfidfVectorizer(
                    analyzer=token_ngrams, sublinear_tf=True, min_df=min_df, dtype=np.float64
                ),
            ),
            (
                "logit",
                LogisticRegression(
                    solver="liblinear",
                    class_weight="balanced",
                    C=c,
                    random_state=seed,
                    max_iter=1000,
                ),
            ),
        ]
    )


def _as_token_lists(tokens: Tokens) -> list[list[str]]:
    if isinstance(tokens, str):
        raise ChainpbError(
            "tokens 应为词语列表的列表，而不是一个字符串。",
            "tokens must be a list of token lists, not a string.",
        )
    out = []
    for i, doc in enumerate(tokens):
        if isinstance(doc, str):
            raise ChainpbError(
                f"第 {i + 1} 个单元的 tokens 是字符串；应为分词后的词语列表。",
                f"The tokens of unit {i + 1} are a string; expected a list of segmented tokens.",
            )
        out.append([str(t) for t in doc])
    return out


def _label_matrix(labels: pd.DataFrame, categories: Sequence[str], n_units: int) -> pd.DataFrame:
    missing = [c for c in categories if c not in labels.columns]
    if missing:
        raise ChainpbError(
            f"训练标签缺少类别列：{', '.join(missing)}。",
            f"The training labels lack category columns: {', '.join(missing)}.",
        )
    if len(labels) != n_units:
        raise ChainpbError(
            f"训练标签有 {len(labels)} 行，但 tokens 有 {n_units} 个单元；两者须一一对应。",
            f"The labels have {len(labels)} rows but there are {n_units} token lists; they must align.",
        )
    matrix = labels[list(categories)].apply(pd.to_numeric, errors="coerce")
    for category in categories:
        bad = ~matrix[category].isin([0, 1])
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise ChainpbError(
                f"训练标签「{category}」第 {row + 1} 个值不是 0 或 1：{labels[category].iloc[row]!r}。",
                f"Training label '{category}' value {row + 1} is not 0 or 1: {labels[category].iloc[row]!r}.",
            )
    return matrix.astype(np.int64).reset_index(drop=True)


def _fit_one(documents: list[list[str]], y: np.ndarray, seed: int, c: float) -> Any:
    if len(np.unique(y)) < 2:
        return ConstantClassifier(int(y[0]))
    try:
        return make_pipeline(seed, c).fit(documents, y)
    except ValueError:
        # A tiny training set may have no n-gram in two units ("empty vocabulary"):
        # fall back to every n-gram rather than refuse to code.
        return make_pipeline(seed, c, min_df=1).fit(documents, y)


def _positive_probability(model: Any, documents: list[list[str]]) -> np.ndarray:
    if not documents:
        return np.zeros(0)
    proba = model.predict_proba(documents)
    if isinstance(model, ConstantClassifier):
        return proba[:, 1]
    classes = list(model.classes_)
    return proba[:, classes.index(1)]


def _output_frame(
    probabilities: dict[str, np.ndarray],
    categories: Sequence[str],
    threshold: float,
    unit_ids: Sequence[Any] | None,
) -> pd.DataFrame:
    data: dict[str, Any] = {}
    if unit_ids is not None:
        data["unit_id"] = list(unit_ids)
    for category in categories:
        data[category] = (probabilities[category] >= threshold).astype(np.int64)
    for category in categories:
        data[probability_column(category)] = probabilities[category].astype(np.float64)
    return pd.DataFrame(data)


@dataclass(frozen=True)
class SupervisedCoder:
    """Per-category classifiers fitted on all gold units; codes new token lists."""

    categories: tuple[str, ...]
    models: dict[str, Any] = field(repr=False)
    seed: int
    threshold: float = DEFAULT_THRESHOLD

    def predict(self, tokens: Tokens, unit_ids: Sequence[Any] | None = None) -> pd.DataFrame:
        """0/1 code per category (columns named after the categories) and ``p_<category>``.

        Rows follow ``tokens``; with ``unit_ids`` a leading ``unit_id`` column is added.
        """
        documents = _as_token_lists(tokens)
        probabilities = {
            category: _positive_probability(self.models[category], documents)
            for category in self.categories
        }
        return _output_frame(probabilities, self.categories, self.threshold, unit_ids)

    def top_terms(self, category: str, n: int = 15) -> pd.DataFrame:
        """The n-grams with the largest positive weights for a category, for a researcher to audit.

        Columns ``category, term, weight``, sorted by weight (descending) then term, so that
        ties order the same way in every run. Empty for a constant classifier.
        """
        model = self.models[category]
        if isinstance(model, ConstantClassifier):
            return pd.DataFrame(columns=["category", "term", "weight"])
        terms = model.named_steps["tfidf"].get_feature_names_out()
        logit = model.named_steps["logit"]
        # liblinear stores the weights of classes_[1]; flip the sign if that is class 0.
        sign = 1.0 if list(logit.classes_).index(1) == 1 else -1.0
        weights = sign * logit.coef_.ravel()
        table = pd.DataFrame({"category": category, "term": terms, "weight": weights})
        table = table[table["weight"] > 0]
        table = table.sort_values(["weight", "term"], ascending=[False, True], kind="mergesort")
        return table.head(n).reset_index(drop=True)


def fit_supervised(
    tokens: Tokens,
    labels: pd.DataFrame,
    seed: int,
    categories: Sequence[str] = CATEGORIES,
    *,
    c: float = DEFAULT_C,
    threshold: float = DEFAULT_THRESHOLD,
) -> SupervisedCoder:
    """Fit one classifier per category on all gold units (rows of ``labels`` align with ``tokens``)."""
    documents = _as_token_lists(tokens)
    y = _label_matrix(labels, categories, len(documents))
    models = {
        category: _fit_one(documents, y[category].to_numpy(), seed, c) for category in categories
    }
    return SupervisedCoder(
        categories=tuple(categories), models=models, seed=seed, threshold=threshold
    )


def fold_splitter(y: np.ndarray, n_splits: int, seed: int) -> StratifiedKFold | KFold:
    """The cross-validation splitter for one category's labels (see the module docstring)."""
    n = len(y)
    if n < 2:
        raise ChainpbError(
            "交叉验证至少需要 2 个金标准单元。",
            "Cross-validation needs at least 2 gold units.",
        )
    minority = int(min(np.sum(y == 0), np.sum(y == 1)))
    if minority >= 2:
        return StratifiedKFold(n_splits=min(n_splits, minority), shuffle=True, random_state=seed)
    return KFold(n_splits=min(n_splits, n), shuffle=True, random_state=seed)


def cross_validated_predictions(
    tokens: Tokens,
    labels: pd.DataFrame,
    n_splits: int = 5,
    seed: int = 0,
    categories: Sequence[str] = CATEGORIES,
    *,
    c: float = DEFAULT_C,
    threshold: float = DEFAULT_THRESHOLD,
) -> pd.DataFrame:
    """Out-of-fold codes and probabilities for every gold unit.

    Each unit is predicted by a model that never saw it (per-category stratified k-fold; see
    the module docstring). Rows follow ``labels``; if ``labels`` has a ``unit_id`` column it
    leads the output. Columns: ``unit_id`` (when given), the categories (0/1), then
    ``p_<category>``.
    """
    if n_splits < 2:
        raise ChainpbError(
            f"n_splits 须至少为 2，现为 {n_splits}。",
            f"n_splits must be at least 2, got {n_splits}.",
        )
    documents = _as_token_lists(tokens)
    y = _label_matrix(labels, categories, len(documents))
    probabilities: dict[str, np.ndarray] = {}
    for category in categories:
        target = y[category].to_numpy()
        oof = np.full(len(documents), np.nan)
        splitter = fold_splitter(target, n_splits, seed)
        for train, test in splitter.split(np.zeros(len(target)), target):
            model = _fit_one([documents[i] for i in train], target[train], seed, c)
            oof[test] = _positive_probability(model, [documents[i] for i in test])
        probabilities[category] = oof
    unit_ids = list(labels["unit_id"]) if "unit_id" in labels.columns else None
    return _output_frame(probabilities, categories, threshold, unit_ids)

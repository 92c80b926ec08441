"""A supervised second coder of the four difficulties, and the hybrid of it with the codebook.

The codebook coder is transparent but only finds the terms someone wrote down. This coder
learns from the hand-coded gold units instead (their difficulty codes, ``P``), so that the
agreement of the two (and of each with gold) tells a researcher how much the codebook misses;
the hybrid (:func:`hybrid_codes`) adds to the codebook only what the coder is very sure of.

Design choices (the *why*):

- Features are the union of two TF-IDF blocks (sublinear term frequency, each row L2-normed):
  character n-grams (1–3) of the normalised text, and word n-grams (unigrams and bigrams) of the
  jieba tokens. Characters catch what the segmenter cuts differently from one text to the next
  (流动党员 vs 流动 党员, 两张皮 vs 两张 皮) and short difficulty words jieba does not know;
  word n-grams keep the meaning of whole words. Punctuation, symbols and spaces are kept out of
  both: a character n-gram never spans a punctuation mark (it would join two clauses), and
  tokens that are punctuation are dropped before word bigrams are formed. The analyzers are
  module-level functions, so a fitted coder pickles. A document is the pair (text, tokens).
- Multi-label as binary relevance: one independent logistic regression per category,
  ``class_weight="balanced"`` because difficulties are rare in open answers, solver
  ``liblinear`` with the seed as ``random_state``, so that a seed fixes the result.
- Probability calibration: balanced class weights inflate the probability of the rare class,
  so the raw scores are not probabilities. When each class has at least
  ``MIN_CALIBRATION_CLASS`` training units, the regression is wrapped in sklearn's
  ``CalibratedClassifierCV(method="sigmoid", cv=3)`` (Platt scaling on 3 seeded stratified
  inner folds; the three calibrated models are averaged). With fewer units of a class the
  calibration folds would hold one or no unit of it, so the *uncalibrated* model is used and
  its probabilities are only scores (``SupervisedCoder.calibrated`` says which).
- Decision threshold per category, chosen by cross-validation on the training data: the
  out-of-fold (calibrated) probabilities of the training units are compared with their labels
  at every threshold of ``THRESHOLD_GRID`` (0.05, 0.10, …, 0.95) and the threshold with the
  highest F1 wins; among tied thresholds the middle one (upper middle for an even count; see
  :func:`choose_threshold` for why not the highest). When
  the rarer class has fewer than 2 units no threshold can be cross-validated and
  ``DEFAULT_THRESHOLD`` (0.5) is kept.
- Cross-validation stratifies *per category*: each category's classifier is cross-validated
  with its own ``StratifiedKFold(shuffle=True, random_state=seed)`` on that category's label,
  so every fold holds positives of that category even when categories are rare. If the rarer
  class has fewer units than the number of folds, the folds drop to that count (at least 2);
  with fewer than 2 units in the rarer class an unstratified shuffled ``KFold`` is used. A
  training set that holds one class only predicts that class with probability 1 (0 for the
  other).
- Everything is fitted inside each training fold (vocabulary, IDF, calibration, threshold), so
  out-of-fold predictions never see the held-out units: agreement with gold is honest.
- TF-IDF keeps n-grams found in at least two training units (``min_df=2``) and the
  regression uses ``C=10``; see the constants below for why.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

# scikit-learn is imported inside the functions that use it: every text job imports this
# module through chainpb.text.stage, and only the supervised and validation rules need it.
if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.model_selection import KFold, StratifiedKFold
    from sklearn.pipeline import Pipeline

from chainpb.errors import ChainpbError
from chainpb.labels import CATEGORIES
from chainpb.text.normalize import normalize_text

Tokens = Sequence[Sequence[str]]
Document = tuple[str, tuple[str, ...]]

DEFAULT_THRESHOLD = 0.5
# The thresholds searched; a fixed grid (not the observed probabilities) so that the chosen
# value does not hinge on one unit's probability and reads as a round number.
THRESHOLD_GRID: tuple[float, ...] = tuple(round(0.05 * k, 2) for k in range(1, 20))
DEFAULT_CV_FOLDS = 5
CALIBRATION_FOLDS = 3
# Calibrate only when each of the 3 stratified calibration folds holds at least 2 units of
# the rarer class: Platt scaling on one positive per fold is a guess, not a calibration.
MIN_CALIBRATION_CLASS = 2 * CALIBRATION_FOLDS
DEFAULT_HYBRID_MIN_PROBABILITY = 0.9
# An n-gram seen in a single training unit cannot be learnt, only memorised; with IDF such
# rare n-grams get the largest weights and drown the terms that matter (on the synthetic
# check of tests/test_text_supervised.py the earlier word-only coder lost ~5 points of
# out-of-fold F1 with min_df=1).
DEFAULT_MIN_DF = 2
# TF-IDF rows are L2-normalised, so one term's value is small and C=1 (sklearn's default)
# over-regularises on a gold sample of a few hundred units; C=10 is the usual text setting.
# (Checked on 400 simulated open answers outside the gold, the development set of an earlier
# codebook script: C=3 lost 3 points of macro F1, C=30 gained half a point.)
DEFAULT_C = 10.0


def _is_content_char(ch: str) -> bool:
    # Punctuation, symbols, spaces and control characters carry no difficulty.
    return not unicodedata.category(ch).startswith(("P", "S", "Z", "C"))


def _is_content(token: str) -> bool:
    return any(_is_content_char(ch) for ch in token)


def token_ngrams(tokens: Sequence[str]) -> list[str]:
    """Unigrams and bigrams of a token list.

    Blank, punctuation-only and symbol-only tokens are dropped before pairing, so "覆盖 难"
    is a bigram whether or not a comma stood between the words.
    """
    kept = [str(t) for t in tokens if _is_content(str(t))]
    return kept + [f"{a} {b}" for a, b in pairwise(kept)]


def char_ngrams(text: str, n_max: int = 3) -> list[str]:
    """Character 1- to ``n_max``-grams of the runs of content characters of ``text``.

    Punctuation, symbols and spaces end a run and are not part of any n-gram, so "覆盖难，两张皮"
    gives 覆盖难 and 两张皮 but no "难两".
    """
    grams: list[str] = []
    run: list[str] = []

    def flush() -> None:
        for n in range(1, n_max + 1):
            grams.extend("".join(run[i : i + n]) for i in range(len(run) - n + 1))
        run.clear()

    for ch in text:
        if _is_content_char(ch):
            run.append(ch)
        else:
            flush()
    flush()
    return grams


def _char_analyzer(document: Document) -> list[str]:
    return char_ngrams(document[0])


def _word_analyzer(document: Document) -> list[str]:
    return token_ngrams(document[1])


def probability_column(category: str) -> str:
    """Name of the predicted-probability column of a category, e.g. ``p_coverage``."""
    return f"p_{category}"


def threshold_column(category: str) -> str:
    """Name of the column holding the decision threshold used for a category."""
    return f"threshold_{category}"


@dataclass(frozen=True)
class ConstantClassifier:
    """Stands in for a classifier when the training labels hold one class only."""

    label: int

    def predict_proba(self, documents: Sequence[Any]) -> np.ndarray:
        p1 = float(self.label)
        return np.tile([1.0 - p1, p1], (len(documents), 1))


def make_pipeline(seed: int, c: float = DEFAULT_C, min_df: int = DEFAULT_MIN_DF) -> Pipeline:
    """Character + word TF-IDF and logistic regression: the uncalibrated model of one category."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    def tfidf(analyzer: Any) -> TfidfVectorizer:
        return TfidfVectorizer(
            analyzer=analyzer, sublinear_tf=True, min_df=min_df, dtype=np.float64
        )

    return Pipeline(
        [
            (
                "features",
                FeatureUnion([("char", tfidf(_char_analyzer)), ("word", tfidf(_word_analyzer))]),
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


def documents_of(texts: Sequence[Any], tokens: Tokens) -> list[Document]:
    """(normalised text, tokens) pairs, the documents the coder reads; checks that both align."""
    if isinstance(texts, str):
        raise ChainpbError(
            "texts 应为文本列表，而不是一个字符串。", "texts must be a list of texts, not a string."
        )
    if isinstance(tokens, str):
        raise ChainpbError(
            "tokens 应为词语列表的列表，而不是一个字符串。",
            "tokens must be a list of token lists, not a string.",
        )
    text_list = ["" if not isinstance(t, str) and pd.isna(t) else str(t) for t in texts]
    token_lists = []
    for i, doc in enumerate(tokens):
        if isinstance(doc, str):
            raise ChainpbError(
                f"第 {i + 1} 个单元的 tokens 是字符串；应为分词后的词语列表。",
                f"The tokens of unit {i + 1} are a string; expected a list of segmented tokens.",
            )
        token_lists.append(tuple(str(t) for t in doc))
    if len(text_list) != len(token_lists):
        raise ChainpbError(
            f"文本有 {len(text_list)} 个，分词结果有 {len(token_lists)} 个；两者须一一对应。",
            f"There are {len(text_list)} texts but {len(token_lists)} token lists; they must align.",
        )
    # normalize_text is idempotent: texts from ingest or read_gold are unchanged, others are
    # brought to the form the codebook and the segmenter see (simplified, half-width).
    return [(normalize_text(t), doc) for t, doc in zip(text_list, token_lists, strict=True)]


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


def _minority(y: np.ndarray) -> int:
    return int(min(np.sum(y == 0), np.sum(y == 1)))


def _fit_classifier(
    documents: list[Document], y: np.ndarray, seed: int, c: float, calibrate: bool
) -> Any:
    """One category's probability model: constant, uncalibrated or calibrated (see module doc).

    ``calibrate`` is decided once per category from its whole training set, so that the
    threshold-selection models and the final model give probabilities on the same scale.
    """
    if len(np.unique(y)) < 2:
        return ConstantClassifier(int(y[0]))
    # Stratified calibration folds need a unit of each class per fold.
    calibrate = calibrate and _minority(y) >= CALIBRATION_FOLDS

    def build(min_df: int) -> Any:
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.model_selection import StratifiedKFold

        model = make_pipeline(seed, c, min_df)
        if not calibrate:
            return model
        inner = StratifiedKFold(n_splits=CALIBRATION_FOLDS, shuffle=True, random_state=seed)
        return CalibratedClassifierCV(model, method="sigmoid", cv=inner)

    try:
        return build(DEFAULT_MIN_DF).fit(documents, y)
    except ValueError:
        # A tiny training set may have no n-gram in two units ("empty vocabulary"):
        # fall back to every n-gram rather than refuse to code.
        return build(1).fit(documents, y)


def _positive_probability(model: Any, documents: list[Document]) -> np.ndarray:
    if not documents:
        return np.zeros(0)
    proba = model.predict_proba(documents)
    if isinstance(model, ConstantClassifier):
        return proba[:, 1]
    classes = list(model.classes_)
    return proba[:, classes.index(1)]


def fold_splitter(y: np.ndarray, n_splits: int, seed: int) -> StratifiedKFold | KFold:
    """The cross-validation splitter for one category's labels (see the module docstring)."""
    from sklearn.model_selection import KFold, StratifiedKFold

    n = len(y)
    if n < 2:
        raise ChainpbError(
            "交叉验证至少需要 2 个金标准单元。",
            "Cross-validation needs at least 2 gold units.",
        )
    minority = _minority(y)
    if minority >= 2:
        return StratifiedKFold(n_splits=min(n_splits, minority), shuffle=True, random_state=seed)
    return KFold(n_splits=min(n_splits, n), shuffle=True, random_state=seed)


def choose_threshold(y: Sequence[int], probabilities: Sequence[float]) -> tuple[float, float]:
    """(threshold, F1) maximising F1 of ``probabilities >= threshold`` over ``THRESHOLD_GRID``.

    F1 is compared exactly (as fractions of counts), so equal F1 is a true tie. Among tied
    thresholds the middle one is taken (the higher of the two middle ones for an even count).
    Why not the highest: when the training units are (nearly) separable, F1 is flat over a
    range of thresholds and its upper end sits just below the lowest positive's out-of-fold
    probability; a new unit's probability from the model fitted on all units scatters around
    that edge, so the highest tied threshold drops true positives (on the one-token synthetic
    set of tests/test_text_supervised.py, out-of-fold F1 0.43 instead of 1.0 for a category).
    Without any positive label F1 is 0 or undefined at every threshold,
    there is nothing to choose, and ``(DEFAULT_THRESHOLD, nan)`` is returned.
    """
    truth = np.asarray(y, dtype=np.int64)
    p = np.asarray(probabilities, dtype=np.float64)
    if not (truth == 1).any():
        return DEFAULT_THRESHOLD, float("nan")
    scores = []
    for threshold in THRESHOLD_GRID:
        coded = p >= threshold
        tp = int(np.sum(coded & (truth == 1)))
        fp = int(np.sum(coded & (truth == 0)))
        fn = int(np.sum(~coded & (truth == 1)))
        # The denominator is > 0 because there is a positive label.
        scores.append((Fraction(2 * tp, 2 * tp + fp + fn), threshold))
    best = max(f1 for f1, _ in scores)
    tied = [threshold for f1, threshold in scores if f1 == best]  # ascending
    return tied[len(tied) // 2], float(best)


def _out_of_fold(
    documents: list[Document], y: np.ndarray, seed: int, c: float, cv_folds: int, calibrate: bool
) -> np.ndarray:
    oof = np.full(len(documents), np.nan)
    for train, test in fold_splitter(y, cv_folds, seed).split(np.zeros(len(y)), y):
        model = _fit_classifier([documents[i] for i in train], y[train], seed, c, calibrate)
        oof[test] = _positive_probability(model, [documents[i] for i in test])
    return oof


@dataclass(frozen=True)
class CategoryFit:
    """The fitted model of one category, its decision threshold and how they were obtained."""

    model: Any = field(repr=False)
    threshold: float
    calibrated: bool
    cv_f1: float  # out-of-fold F1 on the training data at the chosen threshold (NaN if untuned)


def _fit_category(
    documents: list[Document], y: np.ndarray, seed: int, c: float, cv_folds: int
) -> CategoryFit:
    # With at least MIN_CALIBRATION_CLASS (6) units of the rarer class, every training part of
    # the threshold cross-validation keeps at least 3 of them (one per calibration fold).
    from sklearn.calibration import CalibratedClassifierCV

    calibrate = _minority(y) >= MIN_CALIBRATION_CLASS
    model = _fit_classifier(documents, y, seed, c, calibrate)
    threshold, cv_f1 = DEFAULT_THRESHOLD, float("nan")
    if not isinstance(model, ConstantClassifier) and _minority(y) >= 2:
        oof = _out_of_fold(documents, y, seed, c, cv_folds, calibrate)
        threshold, cv_f1 = choose_threshold(y, oof)
    return CategoryFit(
        model=model,
        threshold=threshold,
        calibrated=isinstance(model, CalibratedClassifierCV),
        cv_f1=cv_f1,
    )


def _output_frame(
    probabilities: dict[str, np.ndarray],
    thresholds: dict[str, np.ndarray],
    categories: Sequence[str],
    unit_ids: Sequence[Any] | None,
) -> pd.DataFrame:
    data: dict[str, Any] = {}
    if unit_ids is not None:
        data["unit_id"] = list(unit_ids)
    for category in categories:
        data[category] = (probabilities[category] >= thresholds[category]).astype(np.int64)
    for category in categories:
        data[probability_column(category)] = probabilities[category].astype(np.float64)
    for category in categories:
        data[threshold_column(category)] = thresholds[category].astype(np.float64)
    return pd.DataFrame(data)


def _model_weights(model: Any) -> pd.Series:
    """Term → weight of the positive class; averaged over the members of a calibrated model."""
    from sklearn.calibration import CalibratedClassifierCV

    members = (
        [cc.estimator for cc in model.calibrated_classifiers_]
        if isinstance(model, CalibratedClassifierCV)
        else [model]
    )
    series = []
    for pipeline in members:
        terms = pipeline.named_steps["features"].get_feature_names_out()
        logit = pipeline.named_steps["logit"]
        # liblinear stores the weights of classes_[1]; flip the sign if that is class 0.
        sign = 1.0 if list(logit.classes_).index(1) == 1 else -1.0
        series.append(pd.Series(sign * logit.coef_.ravel(), index=terms))
    # A term absent from one member's vocabulary has weight 0 there.
    return pd.concat(series, axis=1).fillna(0.0).mean(axis=1)


@dataclass(frozen=True)
class SupervisedCoder:
    """Per-category classifiers and thresholds fitted on the training gold units."""

    categories: tuple[str, ...]
    fits: dict[str, CategoryFit] = field(repr=False)
    seed: int
    # training_key() of the units, labels and settings it was fitted on: a stored coder is
    # reused only for the very training set it was fitted on (see gold_out_of_fold).
    training_key: str = ""

    @property
    def thresholds(self) -> dict[str, float]:
        return {c: self.fits[c].threshold for c in self.categories}

    @property
    def calibrated(self) -> dict[str, bool]:
        return {c: self.fits[c].calibrated for c in self.categories}

    def predict(
        self, texts: Sequence[Any], tokens: Tokens, unit_ids: Sequence[Any] | None = None
    ) -> pd.DataFrame:
        """0/1 code per category (columns named after the categories), ``p_<category>`` and
        ``threshold_<category>`` (the cut-off the code used).

        ``texts`` and ``tokens`` align row by row; with ``unit_ids`` a leading ``unit_id``
        column is added.
        """
        documents = documents_of(texts, tokens)
        probabilities = {
            c: _positive_probability(self.fits[c].model, documents) for c in self.categories
        }
        thresholds = {c: np.full(len(documents), self.fits[c].threshold) for c in self.categories}
        return _output_frame(probabilities, thresholds, self.categories, unit_ids)

    def summary(self) -> pd.DataFrame:
        """``category, threshold, calibrated, cv_f1`` — what a log or a methods note reports."""
        return pd.DataFrame(
            [
                {
                    "category": c,
                    "threshold": self.fits[c].threshold,
                    "calibrated": self.fits[c].calibrated,
                    "cv_f1": self.fits[c].cv_f1,
                }
                for c in self.categories
            ]
        )

    def vocabulary(self, category: str) -> frozenset[str]:
        """Every feature of a category's model(s), as ``char__<n-gram>`` / ``word__<n-gram>``."""
        model = self.fits[category].model
        if isinstance(model, ConstantClassifier):
            return frozenset()
        return frozenset(_model_weights(model).index)

    def top_terms(self, category: str, n: int = 15) -> pd.DataFrame:
        """The n-grams with the largest positive weights for a category, for a researcher to audit.

        Columns ``category, kind`` (``char`` or ``word``), ``term, weight``, sorted by weight
        (descending) then term, so that ties order the same way in every run. A calibrated
        model averages the weights of its three members. Empty for a constant classifier.
        """
        columns = ["category", "kind", "term", "weight"]
        model = self.fits[category].model
        if isinstance(model, ConstantClassifier):
            return pd.DataFrame(columns=columns)
        weights = _model_weights(model)
        kind, term = zip(*(name.split("__", 1) for name in weights.index), strict=True)
        table = pd.DataFrame(
            {"category": category, "kind": kind, "term": term, "weight": weights.to_numpy()}
        )
        table = table[table["weight"] > 0]
        table = table.sort_values(["weight", "term"], ascending=[False, True], kind="mergesort")
        return table.head(n).reset_index(drop=True)[columns]


def _check_folds(cv_folds: int) -> None:
    if cv_folds < 2:
        raise ChainpbError(
            f"交叉验证折数（text.supervised.cv_folds）须至少为 2，现为 {cv_folds}。",
            f"The number of cross-validation folds (text.supervised.cv_folds) must be at least 2, "
            f"got {cv_folds}.",
        )


def fit_supervised(
    texts: Sequence[Any],
    tokens: Tokens,
    labels: pd.DataFrame,
    seed: int,
    categories: Sequence[str] = CATEGORIES,
    *,
    cv_folds: int = DEFAULT_CV_FOLDS,
    c: float = DEFAULT_C,
) -> SupervisedCoder:
    """Fit one classifier and one threshold per category on the given units.

    Rows of ``labels`` (0/1 difficulty codes) align with ``texts`` and ``tokens``. The caller
    passes only units that may be trained on: never gold rows whose ``split`` is ``test``.
    """
    _check_folds(cv_folds)
    documents = documents_of(texts, tokens)
    y = _label_matrix(labels, categories, len(documents))
    fits = {
        category: _fit_category(documents, y[category].to_numpy(), seed, c, cv_folds)
        for category in categories
    }
    return SupervisedCoder(
        categories=tuple(categories),
        fits=fits,
        seed=seed,
        training_key=_training_key(documents, y, seed, cv_folds, c),
    )


def _training_key(
    documents: list[Document], y: pd.DataFrame, seed: int, cv_folds: int, c: float
) -> str:
    digest = hashlib.sha256()
    digest.update(repr((list(y.columns), int(seed), int(cv_folds), float(c))).encode("utf-8"))
    for (text, tokens), labels in zip(documents, y.itertuples(index=False), strict=True):
        digest.update(repr((text, tokens, tuple(int(v) for v in labels))).encode("utf-8"))
    return digest.hexdigest()


def training_key(
    texts: Sequence[Any],
    tokens: Tokens,
    labels: pd.DataFrame,
    seed: int,
    categories: Sequence[str] = CATEGORIES,
    *,
    cv_folds: int = DEFAULT_CV_FOLDS,
    c: float = DEFAULT_C,
) -> str:
    """SHA-256 of what :func:`fit_supervised` learns from (texts, tokens, labels, seed, folds, C).

    Equal to ``fit_supervised(...).training_key`` for the same arguments: a caller holding a
    stored coder checks with it that the coder was fitted on the units it means.
    """
    documents = documents_of(texts, tokens)
    return _training_key(
        documents, _label_matrix(labels, categories, len(documents)), seed, cv_folds, c
    )


# The stored coder is an internal file between two jobs of the workflow (fit once, predict per
# city), never a result: a pickle, loaded only from the workflow's own results folder. Protocol
# fixed, so that equal coders give equal bytes.
PICKLE_PROTOCOL = 5


def coder_bytes(coder: SupervisedCoder) -> bytes:
    """The pickle of a fitted coder (fixed protocol; equal coders give equal bytes)."""
    buffer = io.BytesIO()
    pickle.Pickler(buffer, protocol=PICKLE_PROTOCOL).dump(coder)
    return buffer.getvalue()


def save_coder(path: str | os.PathLike[str], coder: SupervisedCoder) -> None:
    """Write a fitted coder for the prediction jobs (atomically)."""
    from chainpb.atomic import write_bytes

    write_bytes(path, coder_bytes(coder))


def load_coder(path: str | os.PathLike[str]) -> SupervisedCoder:
    """Read a coder written by :func:`save_coder`; a file that is not one raises ChainpbError."""
    try:
        with open(path, "rb") as handle:
            coder = pickle.load(handle)  # the workflow's own intermediate file
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as err:
        raise ChainpbError(
            f"无法读取监督学习编码器文件 {path}：{err}。请删除该文件后重新运行（规则 supervised_coder）。",
            f"Cannot read the supervised coder file {path}: {err}. Delete it and re-run "
            "(rule supervised_coder).",
        ) from err
    if not isinstance(coder, SupervisedCoder):
        raise ChainpbError(
            f"文件 {path} 不是监督学习编码器（而是 {type(coder).__name__}）。",
            f"The file {path} is not a supervised coder (it holds a {type(coder).__name__}).",
        )
    return coder


def cross_validated_predictions(
    texts: Sequence[Any],
    tokens: Tokens,
    labels: pd.DataFrame,
    seed: int,
    categories: Sequence[str] = CATEGORIES,
    *,
    cv_folds: int = DEFAULT_CV_FOLDS,
    c: float = DEFAULT_C,
) -> pd.DataFrame:
    """Out-of-fold codes, probabilities and thresholds for every unit.

    Each unit is predicted by a model, calibration and threshold fitted without it: the outer
    folds (per-category stratified, ``cv_folds``) hold a unit out, and the threshold is chosen
    by a further cross-validation inside the training folds (also ``cv_folds``). Rows follow
    ``labels``; if ``labels`` has a ``unit_id`` column it leads the output. Columns:
    ``unit_id`` (when given), the categories (0/1), ``p_<category>``, ``threshold_<category>``.
    """
    _check_folds(cv_folds)
    documents = documents_of(texts, tokens)
    y = _label_matrix(labels, categories, len(documents))
    probabilities: dict[str, np.ndarray] = {}
    thresholds: dict[str, np.ndarray] = {}
    for category in categories:
        target = y[category].to_numpy()
        oof = np.full(len(documents), np.nan)
        cut = np.full(len(documents), np.nan)
        for train, test in fold_splitter(target, cv_folds, seed).split(
            np.zeros(len(target)), target
        ):
            fit = _fit_category([documents[i] for i in train], target[train], seed, c, cv_folds)
            oof[test] = _positive_probability(fit.model, [documents[i] for i in test])
            cut[test] = fit.threshold
        probabilities[category] = oof
        thresholds[category] = cut
    unit_ids = list(labels["unit_id"]) if "unit_id" in labels.columns else None
    return _output_frame(probabilities, thresholds, categories, unit_ids)


def hybrid_codes(
    codebook: pd.DataFrame,
    probabilities: pd.DataFrame,
    min_probability: float = DEFAULT_HYBRID_MIN_PROBABILITY,
    categories: Sequence[str] = CATEGORIES,
    denied: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The hybrid measure: codebook OR (supervised probability ≥ ``min_probability``).

    ``codebook`` holds the codebook's 0/1 codes in columns named after the categories;
    ``probabilities`` holds ``p_<category>``; rows align by position. Returns ``hy_<category>``
    (Int64) and ``hy_source_<category>``: ``codebook``, ``supervised`` or ``both`` for the
    coder(s) that made a positive call, ``''`` when the code is 0 or missing. The code is
    missing when either input is missing (a blank answer has neither).

    The supervised side uses ``min_probability``, not the coder's F1 threshold: the hybrid
    should add to the codebook only the units the coder is very sure of.

    ``denied`` (optional, ``denied_<category>`` 0/1, rows aligned) marks units where the
    codebook found the difficulty only denied (:func:`chainpb.text.coding.denied`): there the
    supervised call is not added — n-grams cannot tell "经费不足" from "不存在经费不足的问题",
    and a researcher reads a denial as the firm saying it has no such difficulty.
    """
    if not 0.0 < float(min_probability) <= 1.0:
        raise ChainpbError(
            f"text.supervised.hybrid_min_probability 须在 (0, 1] 之间，现为 {min_probability}。",
            f"text.supervised.hybrid_min_probability must lie in (0, 1], got {min_probability}.",
        )
    if len(codebook) != len(probabilities):
        raise ChainpbError(
            f"词典编码有 {len(codebook)} 行，机器编码概率有 {len(probabilities)} 行；两者须一一对应。",
            f"The codebook codes have {len(codebook)} rows and the probabilities "
            f"{len(probabilities)}; they must align.",
        )
    out: dict[str, Any] = {}
    sources: dict[str, Any] = {}
    for category in categories:
        cb = pd.to_numeric(codebook[category], errors="coerce").to_numpy(dtype=float)
        p = pd.to_numeric(probabilities[probability_column(category)], errors="coerce").to_numpy(
            dtype=float
        )
        bad = ~np.isnan(cb) & ~np.isin(cb, (0.0, 1.0))
        if bad.any():
            raise ChainpbError(
                f"词典编码「{category}」含非 0/1 的值：{cb[bad][0]!r}。",
                f"The codebook code '{category}' holds a value other than 0/1: {cb[bad][0]!r}.",
            )
        missing = np.isnan(cb) | np.isnan(p)
        by_codebook = (cb == 1.0) & ~missing
        by_supervised = (p >= float(min_probability)) & ~missing
        if denied is not None:
            vetoed = pd.to_numeric(denied[f"denied_{category}"], errors="coerce").to_numpy(
                dtype=float
            )
            by_supervised &= ~(vetoed == 1.0)
        values = pd.array((by_codebook | by_supervised).astype(int), dtype="Int64")
        values[missing] = pd.NA
        out[f"hy_{category}"] = values
        source = np.where(
            by_codebook & by_supervised,
            "both",
            np.where(by_codebook, "codebook", np.where(by_supervised, "supervised", "")),
        )
        sources[f"hy_source_{category}"] = pd.array(source.tolist(), dtype="string")
    return pd.DataFrame({**out, **sources}, index=range(len(codebook)))

"""Display labels of variables, difficulty categories, scales and cities (zh / en).

One place for every label the tables and figures print: the config ``labels:`` section first,
then the four difficulty categories and their scale / policy / count variants, then the name.
Derived variables (config ``derive:``) carry their own ``label``/``label_en``; the workflow merges
them into ``labels`` once, with :func:`labels_with_derived`, when it reads the config.
Free of matplotlib so that table-only code can use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from chainpb.errors import ChainpbError, ConfigError

Language = Literal["zh", "en"]
Labels = Mapping[str, Mapping[str, str]]

# The four difficulties, in the order every table and figure uses (one definition for the project).
CATEGORIES: tuple[str, ...] = ("coverage", "ideology", "effectiveness", "resource")

CATEGORY_LABELS: dict[str, dict[str, str]] = {
    "coverage": {"zh": "组织覆盖难", "en": "Organisational coverage"},
    "ideology": {"zh": "思想引领难", "en": "Ideological guidance"},
    "effectiveness": {"zh": "作用彰显难", "en": "Visible effectiveness"},
    "resource": {"zh": "资源聚合难", "en": "Resource pooling"},
    "macro": {"zh": "宏平均", "en": "Macro average"},
}

# The Likert scales measure the same four dimensions as experienced, not as difficulties.
SCALE_LABELS: dict[str, dict[str, str]] = {
    "coverage": {"zh": "组织覆盖", "en": "Organisational coverage"},
    "ideology": {"zh": "思想引领", "en": "Ideological guidance"},
    "effectiveness": {"zh": "作用彰显", "en": "Effectiveness"},
    "resource": {"zh": "资源聚合", "en": "Resource pooling"},
}

DEFAULT_LABELS: dict[str, dict[str, str]] = {
    "chain_id": {"zh": "产业链", "en": "chain"},
    "chain": {"zh": "产业链", "en": "chain"},
    "city_key": {"zh": "城市", "en": "city"},
    "city_name": {"zh": "城市", "en": "city"},
}


def _check_language(language: str) -> None:
    if language not in ("zh", "en"):
        raise ChainpbError(
            f"language 必须是 zh 或 en，实际为「{language}」。",
            f"language must be zh or en, got '{language}'.",
        )


# Variable prefixes that name one of the four categories (longest first, so that
# policy_difficulty_ is tried before a shorter prefix could match).
CATEGORY_PREFIXES: tuple[str, ...] = (
    "policy_difficulty_",
    "attention_",
    "theme_",
    "diff_",
    "scale_",
    "n_",
)


def category_key(name: str) -> str:
    """``diff_coverage``/``attention_coverage``/``scale_coverage``/``coverage`` → ``coverage``."""
    for prefix in CATEGORY_PREFIXES:
        if name.startswith(prefix) and name[len(prefix) :] in CATEGORIES:
            return name[len(prefix) :]
    return name


def category_label(category: str, language: Language = "zh") -> str:
    """Display name of a difficulty category (组织覆盖难 …); unknown names pass through."""
    key = category_key(category)
    return CATEGORY_LABELS[key][language] if key in CATEGORY_LABELS else category


def scale_label(
    scale: str, language: Language = "zh", scales: Mapping[str, Any] | None = None
) -> str:
    """Display name of a Likert scale: config ``scales.<dim>.label``/``label_en`` first."""
    key = category_key(scale)
    if scales and key in scales:
        entry = scales[key]
        name = entry.get("label" if language == "zh" else "label_en")
        if name:
            return str(name)
    return SCALE_LABELS[key][language] if key in SCALE_LABELS else scale


def variable_label(var: str, labels: Labels | None = None, language: Language = "zh") -> str:
    """Label of a variable from config ``labels:``; difficulty variables fall back to categories.

    Interaction terms ``a:b`` become ``label(a) × label(b)``; a centring suffix ``_c`` is dropped
    when only the uncentred variable has a label.
    """
    if ":" in var:
        # Interaction terms are built from centred variables (suffix _c); the table note says so.
        parts = [p[:-2] if p.endswith("_c") else p for p in var.split(":")]
        return " × ".join(variable_label(part, labels, language) for part in parts)
    if not (labels and var in labels) and var in DEFAULT_LABELS:
        return DEFAULT_LABELS[var][language]
    if labels and var in labels and language in labels[var]:
        return str(labels[var][language])
    if var.endswith("_c") and len(var) > 2:
        base = variable_label(var[:-2], labels, language)
        if base != var[:-2]:
            return base
    if var == "Intercept":
        return "常数项" if language == "zh" else "Constant"
    key = category_key(var)
    if key in CATEGORIES:
        base = CATEGORY_LABELS[key][language]
        if var.startswith(("attention_", "theme_")):
            # attention to an area, never a difficulty: the scale (area) name, not 组织覆盖难
            area = SCALE_LABELS[key][language]
            return f"政策关注度：{area}" if language == "zh" else f"Policy attention: {area}"
        if var.startswith("policy_difficulty_"):
            return (
                f"政策文本困难表述：{base}" if language == "zh" else f"Policy text states: {base}"
            )
        if var.startswith("scale_"):
            return SCALE_LABELS[key][language]
        return base
    if labels and var in labels and labels[var].get("zh"):
        # A Chinese label is more use to a reader than a bare variable name.
        return str(labels[var]["zh"])
    return var


def labels_with_derived(
    labels: Labels | None, derive: Mapping[str, Mapping[str, Any]] | None
) -> dict[str, dict[str, str]]:
    """The config ``labels:`` plus ``{zh: label, en: label_en}`` of each ``derive:`` entry.

    A derived variable's label lives in its ``derive:`` entry only: a ``labels:`` entry of the
    same name would be a second place to keep in step, so it is an error.
    """
    out = {str(k): dict(v) for k, v in (labels or {}).items()}
    twice = sorted(name for name in derive or {} if name in out)
    if twice:
        raise ConfigError(
            f"配置错误：派生变量 {', '.join(twice)} 同时出现在 labels 和 derive 中；派生变量的标签"
            "只写在 derive 的 label / label_en 里，请删去 labels 中的这些条目",
            f"Config error: derived variable(s) {', '.join(twice)} appear in both labels and "
            "derive; a derived variable's label belongs in its derive entry (label / label_en) "
            "only: remove these entries from labels",
        )
    for name, entry in (derive or {}).items():
        label = {
            language: str(entry[key])
            for language, key in (("zh", "label"), ("en", "label_en"))
            if entry.get(key)
        }
        if label:
            out[name] = label
    return out


def city_label(
    city_key: str, cities: Mapping[str, Any] | None = None, language: Language = "zh"
) -> str:
    """City display name from the config ``cities:`` table (``name``/``name_en``) or a plain map."""
    if not cities or city_key not in cities:
        return city_key
    entry = cities[city_key]
    if isinstance(entry, str):
        return entry
    name = entry.get("name" if language == "zh" else "name_en") or entry.get("name")
    return str(name) if name else city_key

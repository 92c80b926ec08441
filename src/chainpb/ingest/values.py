"""Parsing one raw cell into the typed value of its canonical variable.

Every parser returns a :class:`Parsed`: the value (``None`` when missing) or a bilingual
problem saying what was expected. Rules:

- Missing: an empty cell, a skip marker (``ingest.missing_markers``, e.g. "(跳过)"), or — for
  numeric variables only — a numeric missing code (``ingest.missing_codes``, e.g. 99) that lies
  outside the variable's valid range (99 employees is an answer; 99 on a 1–5 item is not).
- Numbers: full-width digits and signs (“１２”, “－３”) are read as half-width, thousands
  separators in the ``1,200`` pattern are removed, a trailing ``%`` is accepted for percent
  variables (“12.5%” → 12.5, already in percent), and a trailing unit is stripped only if it is
  listed for the variable in :mod:`.spec` (“35 人” → 35). Anything else (“约50”, “12,5”) is a problem.
- Likert: a number 1–5 (``4.0`` as SPSS and pandas write it is 4; ``4.5`` is a problem), a
  label of ``ingest.likert_labels`` (“非常同意” → 5), or both (“5 非常同意”, “5=非常同意”); a
  number and a label that disagree are a problem.
- Binary: a label of ``ingest.binary_labels`` (是/否, 有/没有, Y/N; case-insensitive) or 1/0.
- Categories: exactly one of ``ingest.categories[variable]`` after trimming spaces, or after
  normalising (traditional 民營 → 民营, as Big5 exports write it).
- Text: normalised (:func:`chainpb.text.normalize.normalize_text`) and PII-masked; chain names
  normalised too (集成電路 → 集成电路); enterprise ids NFKC-folded (Ａ００１ → A001) before hashing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from chainpb.ingest.options import IngestOptions
from chainpb.ingest.privacy import mask_pii
from chainpb.ingest.spec import VariableSpec
from chainpb.text.normalize import normalize_text

_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d+)?|\.\d+)$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_LEADING_INT = re.compile(r"^(\d+)\s*[=:：.、)）-]?\s*(.*)$")


@dataclass(frozen=True)
class Parsed:
    """A parsed cell: ``value`` (None if missing) or a problem (``reason_zh``, ``reason_en``)."""

    value: Any = None
    reason_zh: str | None = None
    reason_en: str | None = None

    @property
    def ok(self) -> bool:
        return self.reason_zh is None


MISSING = Parsed(None)


def _problem(zh: str, en: str) -> Parsed:
    return Parsed(None, zh, en)


def is_missing_marker(raw: Any, options: IngestOptions) -> bool:
    """Empty cell or one of the configured skip markers."""
    if raw is None:
        return True
    if isinstance(raw, float) and raw != raw:
        return True
    if not isinstance(raw, str):
        return False
    text = raw.strip()
    return (
        text == ""
        or text in options.missing_markers
        or unicodedata.normalize("NFKC", text)
        in {unicodedata.normalize("NFKC", m) for m in options.missing_markers}
    )


def parse_number(raw: Any, spec: VariableSpec) -> Parsed:
    """A number written the way Chinese spreadsheets write them (see module docstring)."""
    if isinstance(raw, bool):
        return Parsed(float(raw))
    if isinstance(raw, int | float):
        return Parsed(float(raw))
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    original = text
    if spec.percent and text.endswith("%"):
        text = text[:-1].strip()
    for unit in spec.units:
        if text.endswith(unit):
            text = text[: -len(unit)].strip()
            break
    text = text.replace(" ", "")
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    if not _NUMBER.match(text):
        units = "、".join(spec.units + (("%",) if spec.percent else ()))
        zh_units = f"（可带单位 {units}）" if units else ""
        en_units = (
            f" (optionally followed by {', '.join(spec.units + (('%',) if spec.percent else ()))})"
            if units
            else ""
        )
        return _problem(
            f"「{original}」不是数字；{spec.label_zh}应为数字{zh_units}。",
            f"'{original}' is not a number; {spec.label_en} must be a number{en_units}.",
        )
    return Parsed(float(text))


def _range_problem(value: float, spec: VariableSpec, maximum: float | None) -> Parsed | None:
    low, high = spec.minimum, maximum
    if (low is not None and value < low) or (high is not None and value > high):
        shown = _show(value)
        bounds_zh = f"{_show(low) if low is not None else '−∞'} 至 {_show(high) if high is not None else '+∞'}"
        bounds_en = f"{_show(low) if low is not None else '-inf'} to {_show(high) if high is not None else '+inf'}"
        return _problem(
            f"{shown} 超出{spec.label_zh}的有效范围（{bounds_zh}）。",
            f"{shown} is outside the valid range of {spec.label_en} ({bounds_en}).",
        )
    return None


def _show(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _is_missing_code(
    value: float, spec: VariableSpec, maximum: float | None, options: IngestOptions
) -> bool:
    if value not in options.missing_codes:
        return False
    low, high = spec.minimum, maximum
    return (low is not None and value < low) or (high is not None and value > high)


def _finish_number(
    value: float, spec: VariableSpec, maximum: float | None, options: IngestOptions
) -> Parsed:
    """Missing codes, integer check and range check shared by all numeric kinds."""
    if _is_missing_code(value, spec, maximum, options):
        return MISSING
    problem = _range_problem(value, spec, maximum)
    if problem is not None:
        return problem
    if spec.kind != "float":
        if not float(value).is_integer():
            return _problem(
                f"{_show(value)} 不是整数；{spec.label_zh}应为整数。",
                f"{_show(value)} is not a whole number; {spec.label_en} must be an integer.",
            )
        return Parsed(int(value))
    return Parsed(float(value))


def parse_likert(raw: Any, spec: VariableSpec, options: IngestOptions) -> Parsed:
    if isinstance(raw, str):
        text = unicodedata.normalize("NFKC", raw).strip()
        if text in options.likert_labels:
            return Parsed(int(options.likert_labels[text]))
        # "4.0" as SPSS and pandas export whole numbers: a number, not "4" + label ".0".
        match = None if _NUMBER.match(text) else _LEADING_INT.match(text)
        if match:
            number, rest = int(match.group(1)), match.group(2).strip()
            if rest and rest in options.likert_labels and options.likert_labels[rest] != number:
                return _problem(
                    f"「{raw}」中的数字 {number} 与文字「{rest}」（={options.likert_labels[rest]}）不一致。",
                    f"'{raw}': the number {number} contradicts the label '{rest}' "
                    f"(= {options.likert_labels[rest]}).",
                )
            if rest and rest not in options.likert_labels:
                return _likert_problem(raw, spec, options)
            return _finish_number(float(number), spec, spec.maximum, options)
    parsed = parse_number(raw, spec)
    if not parsed.ok:
        return _likert_problem(raw, spec, options)
    return _finish_number(parsed.value, spec, spec.maximum, options)


def _likert_problem(raw: Any, spec: VariableSpec, options: IngestOptions) -> Parsed:
    labels = "、".join(options.likert_labels)
    return _problem(
        f"「{raw}」不是有效的量表答案；{spec.label_zh}应为 1–5 的整数或以下文字之一：{labels}。",
        f"'{raw}' is not a valid scale answer; {spec.label_en} must be an integer 1–5 or one of: "
        f"{', '.join(options.likert_labels)}.",
    )


def parse_binary(raw: Any, spec: VariableSpec, options: IngestOptions) -> Parsed:
    if isinstance(raw, str):
        text = unicodedata.normalize("NFKC", raw).strip()
        if text in options.binary_labels:
            return Parsed(int(options.binary_labels[text]))
        folded = {k.casefold(): v for k, v in options.binary_labels.items()}
        if text.casefold() in folded:
            return Parsed(int(folded[text.casefold()]))
    parsed = parse_number(raw, spec)
    if parsed.ok and parsed.value in (0.0, 1.0):
        return Parsed(int(parsed.value))
    if parsed.ok and _is_missing_code(parsed.value, spec, spec.maximum, options):
        return MISSING
    labels = "、".join(options.binary_labels)
    return _problem(
        f"「{raw}」不是有效的是/否答案；{spec.label_zh}应为 1/0 或以下文字之一：{labels}。",
        f"'{raw}' is not a valid yes/no answer; {spec.label_en} must be 1/0 or one of: "
        f"{', '.join(options.binary_labels)}.",
    )


def parse_category(raw: Any, spec: VariableSpec, options: IngestOptions) -> Parsed:
    text = _plain_text(raw)
    # A city's own spelling (民营企业, 国企) maps onto the shared category first, so that the
    # pooled table has one group per category, not one per questionnaire.
    mapping = options.value_maps.get(spec.name) or {}
    text = mapping.get(text, mapping.get(normalize_text(text), text))
    allowed = options.categories.get(spec.name)
    if allowed is None or text in allowed:
        return Parsed(text)
    # A Big5 or traditional-character export writes 民營 for 民营: the same category.
    if normalize_text(text) in allowed:
        return Parsed(normalize_text(text))
    return _problem(
        f"「{text}」不是{spec.label_zh}的允许类别；应为：{'、'.join(allowed)}"
        f"（其他写法可在 ingest.value_maps.{spec.name} 中映射）。",
        f"'{text}' is not an allowed category of {spec.label_en}; expected one of: "
        f"{', '.join(allowed)} (map other spellings in ingest.value_maps.{spec.name}).",
    )


def _plain_text(raw: Any) -> str:
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return str(raw).strip()


def parse_value(raw: Any, spec: VariableSpec, options: IngestOptions) -> Parsed:
    """Parse one raw cell of variable ``spec`` (see module docstring)."""
    if is_missing_marker(raw, options):
        return MISSING
    kind = spec.kind
    if kind == "pii":
        return MISSING  # never parsed, never kept
    if kind == "id":
        # NFKC so that an id typed with full-width characters (Ａ００１) hashes like A001.
        return Parsed(unicodedata.normalize("NFKC", _plain_text(raw)).strip())
    if kind == "text":
        text = mask_pii(normalize_text(_plain_text(raw)))
        return Parsed(text or None)
    if kind == "str":
        return Parsed(normalize_text(_plain_text(raw)) or None)
    if kind == "category":
        return parse_category(raw, spec, options)
    if kind == "likert":
        return parse_likert(raw, spec, options)
    if kind == "binary":
        return parse_binary(raw, spec, options)
    maximum = float(options.survey_year) if spec.name == "founded_year" else spec.maximum
    parsed = parse_number(raw, spec)
    if not parsed.ok:
        return parsed
    return _finish_number(parsed.value, spec, maximum, options)

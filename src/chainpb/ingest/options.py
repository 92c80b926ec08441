"""Ingest options, built once from the validated config dict.

Expected YAML (keys under ``ingest``, ``scales`` and ``privacy`` of config/config.yaml)::

    survey_year: 2025
    privacy: {hash_key_env: CHAINPB_HASH_KEY, hash_key_file: ~/.config/chainpb/hash_key}
    ingest:
      likert_labels: {非常不同意: 1, ..., 非常同意: 5}
      binary_labels: {是: 1, 否: 0, ...}
      missing_markers: ["(跳过)", ...]
      missing_codes: [-3, -2, -1, 99, 999]
      categories: {ownership: [国有, 民营, 外资, 混合所有制], alliance_type: [...]}
      fill_merged_cells: false   # true: rows 2..n of a merged .xlsx cell take its value
      duplicates: keep_first     # or keep_last, reject_all (chainpb.ingest.duplicates)
    scales:
      coverage: {items: [...], reverse: [coverage_4]}
      ...

Defaults below equal the shipped config, so that tests and notebooks can build options without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from chainpb.errors import ConfigError
from chainpb.ingest.spec import LIKERT_MAX, LIKERT_MIN, VARIABLES

DEFAULT_LIKERT_LABELS: Mapping[str, int] = MappingProxyType(
    {
        "非常不同意": 1,
        "不同意": 2,
        "比较不同意": 2,
        "一般": 3,
        "说不清": 3,
        "比较同意": 4,
        "同意": 4,
        "非常同意": 5,
    }
)
DEFAULT_BINARY_LABELS: Mapping[str, int] = MappingProxyType(
    {"是": 1, "否": 0, "有": 1, "没有": 0, "无": 0, "Y": 1, "N": 0}
)
DEFAULT_MISSING_MARKERS: tuple[str, ...] = (
    "(跳过)",
    "（跳过）",
    "(空)",
    "-",
    "—",
    "N/A",
    "不适用",
    "拒答",
)
DEFAULT_MISSING_CODES: tuple[float, ...] = (-3, -2, -1, 99, 999)
DEFAULT_CATEGORIES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "ownership": ("国有", "民营", "外资", "混合所有制"),
        "alliance_type": ("职能部门牵引型", "龙头企业带动型", "属地党委整合型", "行业协会串联型"),
    }
)
DEFAULT_REVERSE_ITEMS: tuple[str, ...] = (
    "coverage_4",
    "ideology_3",
    "effectiveness_2",
    "resource_4",
)


@dataclass(frozen=True)
class IngestOptions:
    """Everything the survey ingest needs from the config besides the per-city entries."""

    survey_year: int
    likert_labels: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_LIKERT_LABELS))
    binary_labels: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_BINARY_LABELS))
    missing_markers: tuple[str, ...] = DEFAULT_MISSING_MARKERS
    missing_codes: tuple[float, ...] = DEFAULT_MISSING_CODES
    categories: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: dict(DEFAULT_CATEGORIES)
    )
    reverse_items: tuple[str, ...] = DEFAULT_REVERSE_ITEMS
    # variable → {raw spelling: canonical category}, applied before the category check
    value_maps: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # Off by default: a merge may span rows that did not mean to share the answer, so filling
    # is the researcher's decision, reported in the log when taken.
    fill_merged_cells: bool = False
    # Copies of one submission (same id, or same answers without an id column): keep_first,
    # keep_last or reject_all — see chainpb.ingest.duplicates.
    duplicates: str = "keep_first"
    hash_key_env: str = "CHAINPB_HASH_KEY"
    hash_key_file: str | None = "~/.config/chainpb/hash_key"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> IngestOptions:
        """Build from the validated config dict (shape in the module docstring)."""
        ingest = config.get("ingest") or {}
        privacy = config.get("privacy") or {}
        scales = config.get("scales") or {}
        try:
            survey_year = int(config["survey_year"])
        except (KeyError, TypeError, ValueError) as err:
            raise ConfigError(
                "配置缺少有效的 survey_year（调查年份，整数）。",
                "config lacks a valid survey_year (year of the survey, integer).",
            ) from err
        reverse: list[str] = []
        for dim in sorted(scales):
            for item in (scales[dim] or {}).get("reverse") or []:
                spec = VARIABLES.get(str(item))
                if spec is None or spec.kind != "likert":
                    raise ConfigError(
                        f"scales.{dim}.reverse 中的「{item}」不是李克特题项（如 coverage_4）。",
                        f"'{item}' in scales.{dim}.reverse is not a Likert item (e.g. coverage_4).",
                    )
                reverse.append(str(item))
        likert = {
            str(k).strip(): int(v)
            for k, v in (ingest.get("likert_labels") or DEFAULT_LIKERT_LABELS).items()
        }
        bad = {k: v for k, v in likert.items() if not LIKERT_MIN <= v <= LIKERT_MAX}
        if bad:
            raise ConfigError(
                f"ingest.likert_labels 的取值须在 {LIKERT_MIN}–{LIKERT_MAX} 之间：{bad}",
                f"ingest.likert_labels values must lie in {LIKERT_MIN}–{LIKERT_MAX}: {bad}",
            )
        binary = {
            str(k).strip(): int(v)
            for k, v in (ingest.get("binary_labels") or DEFAULT_BINARY_LABELS).items()
        }
        categories = {
            str(k): tuple(str(c).strip() for c in v)
            for k, v in (ingest.get("categories") or DEFAULT_CATEGORIES).items()
        }
        value_maps: dict[str, dict[str, str]] = {}
        for variable, mapping in (ingest.get("value_maps") or {}).items():
            allowed = categories.get(str(variable))
            if allowed is None:
                raise ConfigError(
                    f"ingest.value_maps.{variable}：「{variable}」不是分类变量；可映射的变量有："
                    f"{'、'.join(sorted(categories))}（李克特与是/否题用 likert_labels、binary_labels）。",
                    f"ingest.value_maps.{variable}: '{variable}' is not a categorical variable; "
                    f"mappable ones are {', '.join(sorted(categories))} (Likert and yes-no answers "
                    "use likert_labels and binary_labels).",
                )
            wrong = {k: v for k, v in mapping.items() if str(v).strip() not in allowed}
            if wrong:
                raw, target = next(iter(wrong.items()))
                raise ConfigError(
                    f"ingest.value_maps.{variable}：「{raw}」被映射到「{target}」，但它不在 "
                    f"ingest.categories.{variable}（{'、'.join(allowed)}）中。",
                    f"ingest.value_maps.{variable}: '{raw}' maps to '{target}', which is not in "
                    f"ingest.categories.{variable} ({', '.join(allowed)}).",
                )
            value_maps[str(variable)] = {str(k).strip(): str(v).strip() for k, v in mapping.items()}
        return cls(
            survey_year=survey_year,
            likert_labels=likert,
            binary_labels=binary,
            missing_markers=tuple(
                str(m).strip() for m in ingest.get("missing_markers", DEFAULT_MISSING_MARKERS)
            ),
            missing_codes=tuple(
                float(c) for c in ingest.get("missing_codes", DEFAULT_MISSING_CODES)
            ),
            categories=categories,
            value_maps=value_maps,
            reverse_items=tuple(sorted(set(reverse))) if scales else DEFAULT_REVERSE_ITEMS,
            fill_merged_cells=bool(ingest.get("fill_merged_cells", False)),
            duplicates=str(ingest.get("duplicates", "keep_first")),
            hash_key_env=str(privacy.get("hash_key_env") or "CHAINPB_HASH_KEY"),
            hash_key_file=privacy.get("hash_key_file"),
        )

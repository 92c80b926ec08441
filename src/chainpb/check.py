"""The pre-model check (数据核查): what each city brings, and what each model keeps of it.

A new city's questionnaire rarely matches the others: a control it never asked, a category it
spells its own way, a scale with fewer items. Listwise deletion then removes the city from a
model without a word. This module reports, per city, the rows read, accepted and rejected, the
mapped and unmapped columns, the values that matched no label or category, the items of each
scale, the policy texts; and per model, outcome and city, the rows the subset selects and the
rows the fit keeps, naming the variables a city lacks. A city that has rows for a model but
keeps none stops the run — before any model is fitted — unless the model says
``allow_missing_city: true``.

The check reads the ingest outputs and the analysis table, so the row counts are exactly the
fits' (same subset, same listwise deletion); ``snakemake check`` builds only what it needs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from chainpb.errors import ChainpbError
from chainpb.models.spec import ModelJob, apply_subset

SAMPLE_COLUMNS = [
    "model",
    "outcome",
    "city_key",
    "rows",
    "kept",
    "missing_variables",
    "allow_missing_city",
]
# Reasons of rejects.csv that say a value matched no label or category (values.py writes them).
_UNMATCHED = "不是有效的|允许类别"


def model_city_samples(
    analysis: pd.DataFrame, jobs: Sequence[ModelJob], cities: Sequence[str]
) -> pd.DataFrame:
    """Rows of each city the subset selects (``rows``) and the fit keeps (``kept``), per job.

    ``missing_variables`` lists the model variables with no value at all among the city's
    selected rows (what removed the city), else the variables missing in some rows, with counts.
    """
    records = []
    for job in jobs:
        try:
            selected = apply_subset(analysis, job)
        except ChainpbError:
            selected = analysis.iloc[0:0]  # a subset selecting no firm: every city has 0 rows
        variables = [v for v in job.variables if v in analysis.columns]
        absent = [v for v in job.variables if v not in analysis.columns]
        for city in cities:
            rows = selected[selected["city_key"] == city]
            present = rows[variables].notna()
            kept = int(present.all(axis=1).sum()) if not absent else 0
            empty = [v for v in variables if len(rows) and not present[v].any()]
            if absent or empty:
                missing = "、".join([*absent, *empty])
            else:
                counts = {v: int((~present[v]).sum()) for v in variables}
                missing = "、".join(f"{v}({n})" for v, n in counts.items() if n)
            records.append(
                {
                    "model": job.model,
                    "outcome": job.outcome,
                    "city_key": city,
                    "rows": len(rows),
                    "kept": kept,
                    "missing_variables": missing,
                    "allow_missing_city": False,  # filled from config by mark_allowed
                }
            )
    return pd.DataFrame(records, columns=SAMPLE_COLUMNS)


def mark_allowed(samples: pd.DataFrame, models_config: Mapping[str, Any]) -> pd.DataFrame:
    """Fill ``allow_missing_city`` from each base model's config (variants inherit it)."""
    allowed = {
        name: bool((spec or {}).get("allow_missing_city", False))
        for name, spec in models_config.items()
    }
    out = samples.copy()
    out["allow_missing_city"] = [
        allowed.get(str(m).split("__")[0], False) for m in out["model"].astype(str)
    ]
    return out


def dropped_cities(samples: pd.DataFrame) -> pd.DataFrame:
    """Jobs from which a city with selected rows drops out entirely (kept 0)."""
    return samples[(samples["rows"] > 0) & (samples["kept"] == 0)]


def stop_on_dropped_cities(samples: pd.DataFrame, city_names: Mapping[str, str]) -> None:
    """Stop when a city drops out of a model that does not allow it (bilingual, names all)."""
    lost = dropped_cities(samples)
    lost = lost[~lost["allow_missing_city"].astype(bool)]
    if lost.empty:
        return
    # One line per city and missing set, the models listed with their outcomes: a city that
    # never asked a common control would otherwise fill a screen with one line per job.
    lines_zh, lines_en = [], []
    for (city, missing), group in lost.groupby(["city_key", "missing_variables"], sort=True):
        name = city_names.get(city, city)
        models = {m: list(g["outcome"]) for m, g in group.groupby("model", sort=True)}
        zh_models = "、".join(f"「{m}」（{'、'.join(o)}）" for m, o in models.items())
        en_models = "; ".join(f"'{m}' ({', '.join(o)})" for m, o in models.items())
        lines_zh.append(
            f"  - {name}（{city}）在以下 {len(group)} 个模型任务中的行全部因缺失被删除："
            f"{zh_models}；缺：{missing}"
        )
        lines_en.append(
            f"  - {city} loses all its rows in {len(group)} model jobs to missing values: "
            f"{en_models}; lacking: {missing.replace('、', ', ')}"
        )
    raise ChainpbError(
        "以下城市会整体退出模型（列表删除）：\n"
        + "\n".join(lines_zh)
        + "\n请在该城市的问卷中补充这些变量、从模型的 controls 中去掉它们，或在模型中写 "
        "allow_missing_city: true 以允许该城市不进入模型。核查全文见 logs/check/check.log。",
        "These cities would drop out of a model entirely (listwise deletion):\n"
        + "\n".join(lines_en)
        + "\nAdd the variables to the city's survey, remove them from the model's controls, or "
        "set allow_missing_city: true on the model to let the city drop out. The full check "
        "is in logs/check/check.log.",
    )


def read_reports(paths: Sequence[str | Path]) -> list[dict[str, Any]]:
    """The per-city ingest reports (survey_report.json), in the order given."""
    return [json.loads(Path(p).read_text(encoding="utf-8")) for p in paths]


def stop_on_empty_cities(reports: Sequence[Mapping[str, Any]]) -> None:
    """Stop when a city's survey had rows and ingest accepted none of them."""
    empty = [r for r in reports if int(r["n_raw"]) > 0 and int(r["n_accepted"]) == 0]
    if not empty:
        return
    zh = "；".join(f"{r['city_key']}（{r['file']}）的 {r['n_raw']} 行全部被拒收" for r in empty)
    en = "; ".join(f"{r['city_key']} ({r['file']}): all {r['n_raw']} rows rejected" for r in empty)
    keys = ", ".join(r["city_key"] for r in empty)
    raise ChainpbError(
        f"{zh}。原因见 results/<城市>/ingest/rejects.csv（常见：类别写法不同，可在 "
        f"cities.<城市>.ingest.value_maps 中映射；李克特标签不同，可在 likert_labels 中补充）。",
        f"{en}. The reasons are in results/<city>/ingest/rejects.csv (often: categories spelled "
        f"differently — map them in cities.<city>.ingest.value_maps; other Likert labels — add "
        f"them to likert_labels). Cities: {keys}.",
    )


def city_overview(
    cities: Mapping[str, Mapping[str, Any]],
    reports: Mapping[str, Mapping[str, Any]],
    policies: Mapping[str, pd.DataFrame],
) -> pd.DataFrame:
    """One row per city: survey rows, accepted, rejected, policy documents, mapped columns.

    ``cities`` maps city key → {name, survey (or None), column_map, scales (effective)};
    ``reports`` are the ingest reports (survey_report.json: n_raw, n_accepted, n_rejected).
    """
    records = []
    for key, city in cities.items():
        report = reports[key]
        scales = city.get("scales") or {}
        records.append(
            {
                "city_key": key,
                "city_name": city["name"],
                "survey": city.get("survey") or "",
                "rows": int(report["n_raw"]),
                "accepted": int(report["n_accepted"]),
                "rejected": int(report["n_rejected"]),
                "policy_documents": len(policies[key]),
                "mapped_columns": len(city.get("column_map") or {}),
                "scale_items": "; ".join(
                    f"{dim}: {', '.join(spec.get('items', []))}"
                    + (f" (reverse {', '.join(spec['reverse'])})" if spec.get("reverse") else "")
                    for dim, spec in sorted(scales.items())
                ),
            }
        )
    return pd.DataFrame(records)


def unmatched_values(rejects: pd.DataFrame) -> pd.DataFrame:
    """Values that matched no label, category or number, with counts, per city and column."""
    columns = ["city_key", "column", "variable", "value", "count"]
    if rejects.empty:
        return pd.DataFrame(columns=columns)
    hit = rejects[rejects["reason_zh"].astype(str).str.contains(_UNMATCHED, regex=True)]
    if hit.empty:
        return pd.DataFrame(columns=columns)
    out = (
        hit.groupby(["city_key", "column", "variable", "value"], sort=True)
        .size()
        .rename("count")
        .reset_index()
    )
    return out.sort_values(
        ["city_key", "count", "column", "value"], ascending=[True, False, True, True]
    )[columns]


def report_markdown(
    overview: pd.DataFrame,
    unmatched: pd.DataFrame,
    samples: pd.DataFrame,
    unmapped: Mapping[str, Sequence[str]],
) -> str:
    """The check as a bilingual Markdown page (results/check/check.md)."""
    lines = ["# 数据核查 / Data check", ""]
    lines += ["## 各城市 / Cities", ""]
    lines += [
        "| 城市 city | 问卷 survey | 行 rows | 接受 accepted | 拒收 rejected | 政策文本 documents "
        "| 已映射的列 mapped columns |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in overview.itertuples(index=False):
        survey = r.survey or "无问卷 no survey"
        docs = r.policy_documents if r.policy_documents else "无政策文本 no policy texts"
        lines.append(
            f"| {r.city_name} ({r.city_key}) | {survey} | {r.rows} | {r.accepted} | "
            f"{r.rejected} | {docs} | {r.mapped_columns} |"
        )
    lines += ["", "## 量表题项 / Scale items", ""]
    for r in overview.itertuples(index=False):
        lines.append(f"- {r.city_name} ({r.city_key}): {r.scale_items or '—'}")
    lines += ["", "## 未映射的列 / Unmapped columns (not read)", ""]
    for key, headers in unmapped.items():
        shown = " | ".join(headers) if headers else "—"
        lines.append(f"- {key}: {shown}")
    lines += ["", "## 未能识别的取值 / Values matching no label or category", ""]
    if unmatched.empty:
        lines.append("无 / none")
    else:
        lines += ["| 城市 city | 列 column | 变量 variable | 取值 value | 次数 count |"]
        lines += ["| --- | --- | --- | --- | ---: |"]
        for r in unmatched.itertuples(index=False):
            lines.append(f"| {r.city_key} | {r.column} | {r.variable} | {r.value} | {r.count} |")
    lines += ["", "## 各模型保留的行 / Rows each model keeps, per city", ""]
    lines += [
        "| 模型 model | 被解释变量 outcome | 城市 city | 子样本 rows | 保留 kept | 缺失 missing |"
    ]
    lines += ["| --- | --- | --- | ---: | ---: | --- |"]
    for r in samples.itertuples(index=False):
        flag = " **⚠ 整体退出 drops out**" if r.rows > 0 and r.kept == 0 else ""
        if flag and r.allow_missing_city:
            flag += "（allow_missing_city）"
        lines.append(
            f"| {r.model} | {r.outcome} | {r.city_key} | {r.rows} | {r.kept}{flag} | "
            f"{r.missing_variables or '—'} |"
        )
    return "\n".join(lines) + "\n"

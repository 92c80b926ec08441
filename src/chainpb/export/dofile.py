"""A Stata do-file that refits every model of ``results/models/specs.json`` from analysis.dta.

One block per entry of specs.json, in its order, each between ``preserve`` and ``restore``:

* the sample: the spec's ``subset`` (a pandas query) translated to a Stata ``if`` condition
  (:func:`stata_condition`: text categories become their integer codes, ``in [...]`` becomes
  ``inlist()``, ``x > c`` gets ``& !missing(x)`` because Stata's missing sorts above every
  number), plus ``!missing(v)`` for every variable of the listwise deletion that is not in the
  equation (the mediation a path: the outcome of the other two paths, so that all three use the
  common sample);
* the transformations: the winsorised outcome clipped at the stored cut points, the centred
  interaction variables ``<v>_c = <v> − mean`` at the stored means;
* the command: OLS with fixed effects ``reghdfe y x controls, absorb(fe) vce(cluster c)
  keepsingletons`` (reghdfe is an SSC package; ``keepsingletons`` keeps the rows the pipeline
  keeps), OLS without fixed effects ``regress … , vce(cluster c)`` (``vce(robust)`` without
  clusters; two-way clusters through ``reghdfe …, noabsorb``); ``logit``/``probit``/``ologit``
  with the fixed effects as ``i.fe`` dummies; categorical controls as ``i.var`` (``ib#.var`` when
  the pipeline's reference level does not have the lowest code); the interaction as
  ``c.x_c#c.z_c`` beside the uncentred main effects — the same coefficients as ``c.x_c##c.z_c``
  except the constant;
* the check: ``e(N)`` against the pipeline's N.

Mixed models and the bootstrap of the indirect effect are written as commented blocks saying
what to run (``mixed``, ``sem``/``bootstrap``); a subset the translator cannot read makes its
block commented out with the reason. Nothing is left out silently.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from chainpb.errors import ChainpbError
from chainpb.export.stata import ExportTable, stata_names

COMMANDS = ("regress", "reghdfe", "logit", "probit", "ologit")
INLIST_MAX = {"num": 250, "str": 9}  # Stata allows 255 numbers / 10 strings per inlist()


class UntranslatableQuery(ChainpbError):
    """A ``subset`` query that :func:`stata_condition` cannot write in Stata."""


def _number(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    return repr(float(value))


def _stata_string(text: str) -> str:
    return f'`"{text}"\'' if '"' in text else f'"{text}"'


class _Translator:
    def __init__(self, table: ExportTable, query: str) -> None:
        self.table = table
        self.query = query
        self.codes_used: dict[str, dict[int, str]] = {}  # variable → code → text

    def fail(self, what: str) -> UntranslatableQuery:
        return UntranslatableQuery(
            f"无法把 subset「{self.query}」翻译为 Stata 的 if 条件：{what}",
            f"Cannot translate subset '{self.query}' into a Stata if condition: {what}",
        )

    def column(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Name):
            if node.id not in self.table.names:
                raise self.fail(f"变量 {node.id} 不在分析表中 / no column '{node.id}'")
            return node.id
        return None

    def constants(self, node: ast.AST) -> list[Any]:
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            return [self.constant(e) for e in node.elts]
        return [self.constant(node)]

    def constant(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float, bool)):
            return node.value
        if (
            isinstance(node, ast.UnaryOp)
            and isinstance(node.op, ast.USub)
            and isinstance(node.operand, ast.Constant)
            and isinstance(node.operand.value, (int, float))
        ):
            return -node.operand.value
        raise self.fail(f"只支持常量比较 / only comparisons with constants: {ast.unparse(node)}")

    def visit(self, node: ast.AST) -> str:
        if isinstance(node, ast.BoolOp):
            op = " & " if isinstance(node.op, ast.And) else " | "
            return "(" + op.join(self.visit(v) for v in node.values) + ")"
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitAnd, ast.BitOr)):
            op = " & " if isinstance(node.op, ast.BitAnd) else " | "
            return f"({self.visit(node.left)}{op}{self.visit(node.right)})"
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.Invert)):
            return f"!({self.visit(node.operand)})"
        if isinstance(node, ast.Compare):
            parts, left = [], node.left
            for op, right in zip(node.ops, node.comparators, strict=True):
                parts.append(self.compare(left, op, right))
                left = right
            return parts[0] if len(parts) == 1 else "(" + " & ".join(parts) + ")"
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and not node.args
            and node.func.attr in ("isna", "isnull", "notna", "notnull")
        ):
            col = self.column(node.func.value)
            if col is not None:
                name = self.table.names[col]
                return (
                    f"missing({name})"
                    if node.func.attr in ("isna", "isnull")
                    else (f"!missing({name})")
                )
        raise self.fail(f"不支持的写法 / unsupported expression: {ast.unparse(node)}")

    def compare(self, left: ast.AST, op: ast.cmpop, right: ast.AST) -> str:
        flip = {ast.Lt: ast.Gt, ast.LtE: ast.GtE, ast.Gt: ast.Lt, ast.GtE: ast.LtE}
        col = self.column(left)
        other = right
        if col is None:
            col = self.column(right)
            other = left
            if col is None or isinstance(op, (ast.In, ast.NotIn)):
                raise self.fail(
                    f"比较须有一侧是变量 / one side must be a variable: {ast.unparse(left)}"
                )
            op = flip.get(type(op), type(op))()
        name = self.table.names[col]
        values = self.constants(other)
        encoded = col in self.table.codes
        text = not encoded and pd.api.types.is_string_dtype(self.table.frame[name])
        if encoded:
            # A category the data never take matches no row (as in pandas): it has no code.
            known = [v for v in values if str(v) in self.table.codes[col]]
            if not known:
                negated = isinstance(op, (ast.NotIn, ast.NotEq))
                return "1" if negated else "0"
            values = known
            rendered = [str(self.table.code_of(col, v)) for v in values]
            used = self.codes_used.setdefault(name, {})
            used.update({self.table.code_of(col, v): str(v) for v in values})
        elif text:
            rendered = [_stata_string(str(v)) for v in values]
        else:
            if any(isinstance(v, str) for v in values):
                raise self.fail(f"数值变量 {col} 与文本比较 / numeric {col} compared with text")
            rendered = [_number(v) for v in values]
        if isinstance(op, (ast.In, ast.NotIn)):
            limit = INLIST_MAX["str" if text else "num"]
            chunks = [rendered[i : i + limit] for i in range(0, len(rendered), limit)] or [[]]
            if not rendered:
                raise self.fail("空列表 / empty list")
            cond = " | ".join(f"inlist({name}, {', '.join(c)})" for c in chunks)
            cond = f"({cond})" if len(chunks) > 1 else cond
            return f"!{cond}" if isinstance(op, ast.NotIn) else cond
        if len(values) != 1:
            raise self.fail(f"列表只能用于 in / a list needs 'in': {ast.unparse(other)}")
        symbol = {
            ast.Eq: "==",
            ast.NotEq: "!=",
            ast.Lt: "<",
            ast.LtE: "<=",
            ast.Gt: ">",
            ast.GtE: ">=",
        }.get(type(op))
        if symbol is None:
            raise self.fail(f"不支持的比较 / unsupported comparison: {type(op).__name__}")
        if encoded and symbol not in ("==", "!="):
            raise self.fail(
                f"类别变量 {col} 只能用 ==、!=、in 比较 / categorical {col}: only ==, !=, in"
            )
        cond = f"{name} {symbol} {rendered[0]}"
        if symbol in (">", ">=") and not text:
            # Stata's missing is larger than every number; pandas' NaN compares False.
            cond = f"({cond} & !missing({name}))"
        return cond


def stata_condition(query: str, table: ExportTable) -> str:
    """A pandas ``query`` string as a Stata expression over the variables of ``table``.

    Supported: ``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=`` against constants, ``in``/``not in``
    lists, ``and``/``or``/``not`` (and ``&``, ``|``, ``~``), parentheses, ``x.isna()`` /
    ``x.notna()``. Anything else raises :class:`UntranslatableQuery`.
    """
    return _translate(query, table)[0]


def _translate(query: str, table: ExportTable) -> tuple[str, dict[str, dict[int, str]]]:
    """The Stata condition and the codes of the text categories it uses."""
    try:
        tree = ast.parse(query.strip(), mode="eval")
    except SyntaxError as exc:
        raise UntranslatableQuery(
            f"无法把 subset「{query}」翻译为 Stata 的 if 条件：不是合法的表达式（{exc.msg}）",
            f"Cannot translate subset '{query}' into a Stata if condition: not a valid "
            f"expression ({exc.msg})",
        ) from exc
    translator = _Translator(table, query)
    out = translator.visit(tree.body)
    if out.startswith("(") and out.endswith(")") and _balanced(out[1:-1]):
        out = out[1:-1]
    return out, translator.codes_used


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0:
            return False
    return depth == 0


# ------------------------------------------------------------------------------------------


def _require(spec: Mapping[str, Any], key: str) -> None:
    for field in ("sample", "transformations", "regressors", "controls"):
        if spec.get(field) is None:
            raise ChainpbError(
                f"导出错误：results/models/specs.json 中模型「{key}」缺少「{field}」：它由旧版本的"
                "流水线写成。请删除 results/models/fits/ 后重新运行 snakemake --cores 2，以重新估计模型",
                f"Export error: model '{key}' in results/models/specs.json has no '{field}': it "
                "was written by an older pipeline. Refit the models: delete results/models/fits/ "
                "and run snakemake --cores 2 again",
            )


def _term(var: str, spec: Mapping[str, Any], table: ExportTable) -> str:
    """A regressor or control in Stata syntax (factor-variable prefix for categoricals)."""
    name = table.names[var]
    cat = (spec["transformations"] or {}).get("categorical", {}).get(var)
    if cat is None:
        return name
    if var not in table.codes:
        raise ChainpbError(
            f"导出错误：类别变量「{var}」在 .dta 中没有编码",
            f"Export error: categorical variable '{var}' is not encoded in the .dta",
        )
    codes = [table.code_of(var, level) for level in cat["levels"]]
    base = table.code_of(var, cat["reference"])
    return f"i.{name}" if base == min(codes) else f"ib{base}.{name}"


def _centred_names(spec: Mapping[str, Any], table: ExportTable) -> dict[str, str]:
    """Stata names of the centred variables (``alliance_member_c``), clear of the table's."""
    centring = (spec["transformations"] or {}).get("centring", {})
    taken = set(table.frame.columns)
    out: dict[str, str] = {}
    for name in centring:
        candidate = stata_names([name])[name]
        k = 1
        base = candidate
        while candidate in taken:
            k += 1
            candidate = f"{base[: 32 - len(str(k)) - 1]}_{k}"
        taken.add(candidate)
        out[name] = candidate
    return out


def model_equation(spec: Mapping[str, Any], table: ExportTable) -> dict[str, Any]:
    """The parts of one model's Stata command: depvar, terms, FE, cluster (Stata names)."""
    names = table.names
    centred = _centred_names(spec, table)
    terms = [_term(v, spec, table) for v in dict.fromkeys([*spec["regressors"], *spec["controls"]])]
    terms += [
        f"c.{centred[a]}#c.{centred[b]}"
        for a, b in (spec["transformations"] or {}).get("interactions", [])
    ]
    return {
        "depvar": names[spec["outcome"]],
        "terms": terms,
        "fixed_effects": [names[f] for f in spec["fixed_effects"]],
        "cluster": [names[c] for c in spec["cluster"]],
        "centred": centred,
    }


def _vce(cluster: Sequence[str]) -> str:
    return f"vce(cluster {' '.join(cluster)})" if cluster else "vce(robust)"


def model_block(
    key: str, spec: Mapping[str, Any], table: ExportTable, index: int, total: int
) -> list[str]:
    """The lines of one model (see the module docstring)."""
    _require(spec, key)
    eq = model_equation(spec, table)
    sample = spec["sample"]
    t = spec["transformations"] or {}
    est = spec["estimator"]
    lines = [
        "",
        f"* ==== [{index}/{total}] {key} ====",
        f"* 模型 model: {spec['model']}；被解释变量 outcome: {spec['outcome']}"
        + (f"；{spec['label']}" if spec.get("label") else ""),
        f"* 估计 estimator: {est}；标准误 SE: {spec.get('cov_type', '')}",
        f"* 流水线 pipeline: N = {spec['nobs']}，样本键的 SHA-256 / keys hash "
        f"{str(sample.get('keys_sha256', ''))[:16]}…（{sample.get('key', '')}）",
    ]
    problems: list[str] = []
    conds: list[str] = []
    if sample.get("subset"):
        lines.append(f"* subset（pandas）: {sample['subset']}")
        try:
            cond, used = _translate(sample["subset"], table)
            conds.append(cond)
            for var, codes in used.items():
                shown = ", ".join(f"{c} = {text}" for c, text in sorted(codes.items()))
                lines.append(f"* 编码 codes of {var}: {shown}")
        except UntranslatableQuery as exc:
            problems.append(f"{exc.zh} / {exc.en}")
    used = {spec["outcome"], *spec["regressors"], *spec["controls"], *spec["fixed_effects"]}
    used |= set(spec["cluster"])
    if spec.get("group"):
        used.add(spec["group"])
    extra = [v for v in sample.get("complete_on", []) if v not in used]
    if extra:
        if spec.get("mediation_path"):
            lines.append(
                "* 中介模型三条路径用同一个共同样本 / the three mediation paths share one "
                f"common sample: 另需 also requires !missing({', '.join(extra)})"
            )
        conds += [f"!missing({table.names[v]})" for v in extra]
    if len(conds) > 1 and sample.get("subset") and "|" in conds[0]:
        conds[0] = f"({conds[0]})"
    condition = f" if {' & '.join(conds)}" if conds else ""
    body: list[str] = []
    for w in t.get("winsorize", []):
        var = table.names[w["variable"]]
        lo, hi = (repr(float(b)) for b in w["bounds"])
        q_lo, q_hi = w["quantiles"]
        body += [
            f"* 缩尾 winsorise {w['variable']}：估计样本的 {q_lo:g}/{q_hi:g} 分位数（R type 7；Stata 的"
            " _pctile 定义不同，故直接写出切点）/ at the estimation-sample quantiles (R type 7;"
            " Stata's _pctile differs, so the cut points are written out)",
            f"quietly recast double {var}",
            f"quietly replace {var} = min(max({var}, {lo}), {hi}) if !missing({var})",
        ]
    for name, c in t.get("centring", {}).items():
        var = table.names[c["variable"]]
        new = eq["centred"][name]
        body += [
            f"* 中心化 centre {c['variable']} at its estimation-sample mean",
            f"capture drop {new}",
            f"generate double {new} = {var} - {float(c['mean'])!r}",
        ]
    rhs = " ".join(eq["terms"])
    fe, cl = eq["fixed_effects"], eq["cluster"]
    commented = False
    if est == "ols":
        if fe:
            cmd = f"reghdfe {eq['depvar']} {rhs}{condition}, absorb({' '.join(fe)}) {_vce(cl)} keepsingletons"
        elif len(cl) > 1:
            cmd = f"reghdfe {eq['depvar']} {rhs}{condition}, noabsorb {_vce(cl)}"
        else:
            cmd = f"regress {eq['depvar']} {rhs}{condition}, {_vce(cl)}"
    elif est in ("logit", "probit", "ologit"):
        dummies = " ".join(f"i.{f}" for f in fe)
        cmd = f"{est} {eq['depvar']} {rhs}{' ' + dummies if dummies else ''}{condition}, {_vce(cl)}"
        if len(cl) > 1:
            problems.append(
                f"Stata 的 {est} 不支持双向聚类；流水线用 Cameron-Gelbach-Miller 双向聚类 / "
                f"Stata's {est} has no two-way clustering (the pipeline uses CGM two-way)"
            )
    elif est == "mixedlm":
        dummies = " ".join(f"i.{f}" for f in fe)
        group = table.names[spec["group"]]
        cmd = (
            f"mixed {eq['depvar']} {rhs}{' ' + dummies if dummies else ''}{condition} || "
            f"{group}:, reml"
        )
        lines.append(
            "* 随机截距模型：流水线用 statsmodels MixedLM（REML，模型标准误）；在 Stata 中去掉下一行"
            "开头的 * 即可运行 / random-intercept model (REML, model-based SE): remove the * "
            "below to run it in Stata"
        )
        commented = True
    else:
        problems.append(f"没有 {est} 的 Stata 命令 / no Stata command for estimator {est}")
        cmd = f"{est} {eq['depvar']} {rhs}{condition}"
    if problems:
        lines += [f"* 未自动运行 not run: {p}" for p in problems]
        commented = True
    run: list[str] = []
    if body:
        run += ["preserve", *body]
    run.append(cmd)
    n = int(spec["nobs"])
    run += [
        f'display as text "N = " e(N) "（流水线 pipeline N = {n}）"',
        f'if e(N) != {n} display as error "样本量与流水线不同 / N differs from the pipeline"',
    ]
    if body:
        run.append("restore")
    lines += [f"* {r}" if commented and not r.startswith("*") else r for r in run]
    med = spec.get("mediation")
    if spec.get("mediation_path") == "b_path" and med:
        lines += _mediation_note(spec, med, table, condition)
    return lines


def _mediation_note(
    spec: Mapping[str, Any], med: Mapping[str, Any], table: ExportTable, condition: str
) -> list[str]:
    x, m, y = (table.names[med[k]] for k in ("treatment", "mediator", "outcome"))
    controls = " ".join(_term(v, spec, table) for v in spec["controls"])
    fe = " ".join(f"i.{table.names[f]}" for f in spec["fixed_effects"])
    rhs = " ".join(p for p in (controls, fe) if p)
    unit = med.get("bootstrap_unit", "row")
    cluster = f" cluster({table.names[unit]})" if unit in table.names else ""
    return [
        "* -- 间接效应 a×b 的 Bootstrap 置信区间 / bootstrap CI of the indirect effect a×b --",
        f"* 流水线 pipeline: {med.get('bootstrap_reps')} 次按 {unit} 整群重抽样，种子 "
        f"{med.get('bootstrap_seed')}，百分位区间 {med.get('ci_level')} / cluster bootstrap, "
        "percentile CI. Stata 的随机数不同，区间不会逐位相同 / Stata's draws differ, so the "
        "interval will not match digit for digit. 在 Stata 中可运行 / in Stata, run:",
        f"* sem ({m} <- {x} {rhs}) ({y} <- {m} {x} {rhs}){condition}, "
        + (f"vce(cluster {table.names[unit]})" if cluster else "vce(robust)"),
        f"* nlcom _b[{m}:{x}]*_b[{y}:{m}]",
        "* 或按聚类 Bootstrap / or a cluster bootstrap of the product of the two OLS "
        f"coefficients: bootstrap ab=r(ab), reps({med.get('bootstrap_reps')}) "
        f"seed({med.get('bootstrap_seed')}){cluster}: <程序 program returning r(ab)>",
    ]


def model_variables(specs: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Every analysis-table column a model of specs.json uses (text ones are encoded)."""
    out: dict[str, None] = {}
    for spec in specs.values():
        names = [spec["outcome"], spec.get("group") or ""]
        for key in ("regressors", "controls", "fixed_effects", "cluster"):
            names += list(spec.get(key) or [])
        names += list((spec.get("sample") or {}).get("complete_on", []))
        out.update(dict.fromkeys(n for n in names if n))
    return list(out)


def build_dofile(
    specs: Mapping[str, Mapping[str, Any]], table: ExportTable, *, dta: str = "analysis.dta"
) -> str:
    """The whole do-file (UTF-8 text, Stata 14 or newer)."""
    keys = list(specs)
    blocks: list[str] = []
    for i, key in enumerate(keys, start=1):
        blocks += model_block(key, specs[key], table, i, len(keys))
    needs_reghdfe = any(line.startswith("reghdfe ") for line in blocks)
    header = [
        "* models.do — 由 chainpb 自动生成，请勿手改 / generated by chainpb, do not edit",
        "* 从 analysis.dta 重新估计 results/models/specs.json 中的每个模型，以便在 Stata 中核对",
        "* 任一数字 / refits every model of results/models/specs.json from analysis.dta so that",
        "* any number can be checked in Stata.",
        "* 运行 / run: 在 Stata 14 或更新版本中 cd 到本文件所在的 results/export 文件夹，再",
        "* do models.do / in Stata 14+, cd to results/export (this folder), then do models.do",
        "* 需要 / needs: reghdfe（SSC 外部命令 / an SSC package）: ssc install ftools, "
        "ssc install reghdfe",
        "* 文字类别已编码为带值标签的整数（tab 变量名 可见标签）/ text categories are labelled",
        "* integers (tab shows the labels); if 条件中的数字是这些编码 / the numbers in the if",
        "* conditions are these codes.",
        "* 系数应与流水线一致；标准误的约定见每个模型的 SE 注释：reghdfe 不把嵌套于聚类变量的",
        "* 固定效应计入 K，Stata 的 logit/probit/ologit 的聚类标准误不乘 (N-1)/(N-K)，因此标准误",
        "* 可能有很小的差别 / coefficients match the pipeline; standard errors may differ",
        "* slightly (reghdfe does not count fixed effects nested in the clusters in K; Stata's",
        "* logit/probit/ologit clustered SEs omit (N-1)/(N-K)); see each model's SE line.",
    ]
    if table.renamed:
        header.append("* 为符合 Stata 命名规则而改名的变量 / variables renamed for Stata:")
        header += [f"*   {old} -> {new}" for old, new in sorted(table.renamed.items())]
    header += ["", "version 14", "clear all", "set more off"]
    if needs_reghdfe:
        header += [
            "capture which reghdfe",
            "if _rc {",
            '    display as error "需要 reghdfe / reghdfe is needed: ssc install ftools, then '
            'ssc install reghdfe"',
            "    exit 199",
            "}",
        ]
    header.append(f'use "{dta}", clear')
    return "\n".join([*header, *blocks, ""])


__all__ = [
    "COMMANDS",
    "UntranslatableQuery",
    "build_dofile",
    "model_block",
    "model_equation",
    "model_variables",
    "stata_condition",
]

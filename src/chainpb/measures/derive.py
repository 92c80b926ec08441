"""Derived variables written in config (``derive:``), evaluated on the pooled analysis table.

Each entry ``name: {expr: "...", label: 中文, label_en: English}`` adds the float64 column
``name`` to the analysis table, in config order, so a later entry may use an earlier one.
The expression is parsed with Python's ``ast`` (``mode="eval"``) and only the nodes below are
accepted; nothing is handed to ``eval``, so config text cannot run code.

Grammar (anything else is a :class:`~chainpb.errors.ConfigError` naming the key and expression):

- numbers (``3``, ``0.5``); names of analysis-table columns or of *earlier* derived variables;
- unary ``-x``, ``+x``; binary ``+ - * / **``;
- comparisons ``< <= > >= == !=`` (chains like ``1 <= x < 5`` too) → indicator 0/1;
- ``and``, ``or``, ``not`` on indicators (0/1) → indicator;
- quoted text only as a comparison operand with a text column (``ownership == '民营'``);
- calls of the functions in :data:`FUNCTIONS`.

Missing values: a missing operand makes the result missing (comparisons and ``and``/``or``
too: no three-valued logic), except where a function below says otherwise. Text columns
(ownership, size_class …) can only be compared with ``==``/``!=``.

Functions (x, a, b: expressions; "pooled" = over all non-missing rows of the analysis table):

- ``log(x)``, ``log1p(x)`` (= ln(1 + x)), ``exp(x)``, ``sqrt(x)``, ``abs(x)``;
- ``standardize(x)``: (x − mean) / sd over the pooled non-missing values, sd with ddof = 1
  (the sample SD of the descriptives table);
- ``mean(a, b, ..., min_valid=k)``: row mean of the non-missing arguments, missing when fewer
  than k are present; default k = number of arguments (all required);
- ``sum(a, b, ...)``, ``min(a, b, ...)``, ``max(a, b, ...)``: row sum / minimum / maximum,
  missing when any argument is missing;
- ``winsorize(x, low, high)``: x clipped to its pooled ``low``/``high`` quantiles (number
  literals, 0 ≤ low < high ≤ 1), computed by the same function as the models' winsorising
  (:func:`chainpb.models.design.winsorize`: numpy linear quantiles = R ``quantile(type = 7)``);
- ``ifelse(cond, a, b)``: a where the indicator cond is 1, b where it is 0, missing where cond
  is missing;
- ``isna(x)``: 1 where x is missing, else 0 (never missing).
- ``group_max(x, by=g)``, ``group_min(x, by=g)``, ``group_mean(x, by=g)``, ``group_sum(x, by=g)``:
  the maximum / minimum / mean / sum of x over the rows that share the value of the column g
  (e.g. ``group_max(chain_leader, by=chain_id)`` = 1 for every firm of a chain with a 链主),
  written on every row of the group; missing values of x are left out, a group without any
  present x and a row whose g is missing get a missing value. ``by`` must name a column of
  the analysis table (text or number).

Values outside a function's domain are errors, never silent missing values: ``log(x)`` with
x ≤ 0 (the message counts the rows, names example rows as ``city:raw-file row`` and suggests
``log1p``), ``log1p(x)`` with x ≤ −1, ``sqrt(x)`` with x < 0, division by zero, and any other
operation that turns present numbers into an infinite or undefined value (overflow,
negative number to a fractional power). An expression without any variable is refused.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from chainpb.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

EXAMPLE_ROWS = 5

Number = float | np.ndarray


@dataclass(frozen=True)
class FunctionSpec:
    """Arity and keyword arguments a derive function accepts."""

    min_args: int
    max_args: int | None  # None: any number
    keywords: tuple[str, ...] = ()
    zh: str = ""
    en: str = ""


FUNCTIONS: dict[str, FunctionSpec] = {
    "log": FunctionSpec(1, 1, zh="自然对数（x > 0）", en="natural log (x > 0)"),
    "log1p": FunctionSpec(1, 1, zh="ln(1 + x)（x > −1）", en="ln(1 + x) (x > -1)"),
    "exp": FunctionSpec(1, 1, zh="指数", en="exponential"),
    "sqrt": FunctionSpec(1, 1, zh="平方根（x ≥ 0）", en="square root (x >= 0)"),
    "abs": FunctionSpec(1, 1, zh="绝对值", en="absolute value"),
    "standardize": FunctionSpec(1, 1, zh="标准化（ddof=1）", en="z-score (ddof=1)"),
    "mean": FunctionSpec(1, None, ("min_valid",), zh="行均值", en="row mean"),
    "sum": FunctionSpec(1, None, zh="行和", en="row sum"),
    "min": FunctionSpec(1, None, zh="行最小值", en="row minimum"),
    "max": FunctionSpec(1, None, zh="行最大值", en="row maximum"),
    "winsorize": FunctionSpec(3, 3, zh="缩尾", en="winsorise"),
    "ifelse": FunctionSpec(3, 3, zh="条件取值", en="if-else"),
    "isna": FunctionSpec(1, 1, zh="是否缺失", en="is missing"),
    "group_max": FunctionSpec(1, 1, ("by",), zh="组内最大值", en="maximum within a group"),
    "group_min": FunctionSpec(1, 1, ("by",), zh="组内最小值", en="minimum within a group"),
    "group_mean": FunctionSpec(1, 1, ("by",), zh="组内均值", en="mean within a group"),
    "group_sum": FunctionSpec(1, 1, ("by",), zh="组内合计", en="sum within a group"),
}
GROUP_FUNCTIONS = ("group_max", "group_min", "group_mean", "group_sum")

_BINARY: dict[type, str] = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
    ast.Eq: np.equal,
    ast.NotEq: np.not_equal,
}
_TEXT_COMPARE = (ast.Eq, ast.NotEq)

# What a refused node is, for the message (zh, en), with a hint where there is an allowed form.
_REFUSED: dict[type, tuple[str, str]] = {
    ast.Attribute: ("属性访问（x.y）", "attribute access (x.y)"),
    ast.Subscript: ("下标（x[...]）", "subscript (x[...])"),
    ast.Lambda: ("lambda 函数", "a lambda"),
    ast.ListComp: ("推导式", "a comprehension"),
    ast.SetComp: ("推导式", "a comprehension"),
    ast.DictComp: ("推导式", "a comprehension"),
    ast.GeneratorExp: ("生成器表达式", "a generator expression"),
    ast.List: ("列表", "a list literal"),
    ast.Tuple: ("元组", "a tuple literal"),
    ast.Set: ("集合", "a set literal"),
    ast.Dict: ("字典", "a dict literal"),
    ast.IfExp: (
        "条件表达式 a if c else b（请用 ifelse(c, a, b)）",
        "a conditional 'a if c else b' (use ifelse(c, a, b))",
    ),
    ast.NamedExpr: ("赋值表达式（:=）", "an assignment expression (:=)"),
    ast.JoinedStr: ("f 字符串", "an f-string"),
    ast.Starred: ("星号参数（*x）", "a starred argument (*x)"),
    ast.Await: ("await", "await"),
    ast.Yield: ("yield", "yield"),
    ast.YieldFrom: ("yield", "yield"),
    ast.Slice: ("切片", "a slice"),
}
_REFUSED_OPS: dict[type, tuple[str, str]] = {
    ast.Mod: ("取余 %", "modulo %"),
    ast.FloorDiv: ("整除 //", "floor division //"),
    ast.BitAnd: ("按位与 &（请用 and）", "bitwise & (use 'and')"),
    ast.BitOr: ("按位或 |（请用 or）", "bitwise | (use 'or')"),
    ast.BitXor: ("按位异或 ^（乘方请用 **）", "bitwise ^ (use ** for powers)"),
    ast.LShift: ("移位 <<", "shift <<"),
    ast.RShift: ("移位 >>", "shift >>"),
    ast.MatMult: ("矩阵乘 @", "matrix product @"),
    ast.Invert: ("按位取反 ~（请用 not）", "bitwise ~ (use 'not')"),
    ast.In: (
        "in（请写成 x == 'a' or x == 'b'）",
        "'in' (write x == 'a' or x == 'b')",
    ),
    ast.NotIn: ("not in（请写成 x != 'a' and x != 'b'）", "'not in' (write x != 'a' and x != 'b')"),
    ast.Is: ("is（缺失请用 isna(x)）", "'is' (use isna(x) for missing)"),
    ast.IsNot: ("is not（缺失请用 isna(x)）", "'is not' (use isna(x) for missing)"),
}


@dataclass(frozen=True)
class DerivedVariable:
    """One ``derive:`` entry with its checked expression tree."""

    name: str
    expr: str
    label: str | None = None
    label_en: str | None = None
    tree: ast.Expression = field(repr=False, compare=False, default=None)  # type: ignore[assignment]

    def error(self, zh: str, en: str) -> ConfigError:
        sep = "" if en.startswith(":") else " "
        return ConfigError(
            f"配置错误：derive.{self.name} 的表达式「{self.expr}」{zh}",
            f"Config error: derive.{self.name}, expression '{self.expr}'{sep}{en}",
        )


@dataclass(frozen=True)
class _Text:
    """A text (or categorical) column: usable only in ``==`` / ``!=`` comparisons and isna."""

    column: str
    values: np.ndarray  # object
    missing: np.ndarray  # bool


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _segment(var: DerivedVariable, node: ast.AST) -> str:
    return ast.get_source_segment(var.expr, node) or type(node).__name__


def _at(var: DerivedVariable, node: ast.AST, zh: str, en: str) -> ConfigError:
    """The error, naming the part of the expression at fault when it is not the whole."""
    part = _segment(var, node)
    if part == var.expr:
        return var.error(f"：{zh}", f": {en}")
    return var.error(f"中「{part}」：{zh}", f"at '{part}': {en}")


class _Checker:
    """The grammar check of one expression (no data needed)."""

    def __init__(self, var: DerivedVariable, later: Sequence[str]):
        self.var = var
        self.later = list(later)

    def refuse(self, node: ast.AST, zh: str, en: str) -> ConfigError:
        return _at(self.var, node, zh, en)

    def check(self, node: ast.AST, text_ok: bool = False) -> None:
        if isinstance(node, ast.Constant):
            self._constant(node, text_ok)
        elif isinstance(node, ast.Name):
            self._name(node)
        elif isinstance(node, ast.UnaryOp):
            if type(node.op) not in (ast.USub, ast.UAdd, ast.Not):
                zh, en = _REFUSED_OPS.get(type(node.op), ("该运算符", "this operator"))
                raise self.refuse(node, f"不支持{zh}", f"{en} is not supported")
            self.check(node.operand)
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                zh, en = _REFUSED_OPS.get(type(node.op), ("该运算符", "this operator"))
                raise self.refuse(
                    node,
                    f"不支持{zh}；可用 + - * / **",
                    f"{en} is not supported; use + - * / **",
                )
            self.check(node.left)
            self.check(node.right)
        elif isinstance(node, ast.BoolOp):
            for value in node.values:
                self.check(value)
        elif isinstance(node, ast.Compare):
            for op in node.ops:
                if type(op) not in _COMPARE:
                    zh, en = _REFUSED_OPS.get(type(op), ("该比较", "this comparison"))
                    raise self.refuse(
                        node,
                        f"不支持{zh}；可用 < <= > >= == !=",
                        f"{en} is not supported; use < <= > >= == !=",
                    )
            for operand in [node.left, *node.comparators]:
                self.check(operand, text_ok=True)
        elif isinstance(node, ast.Call):
            self._call(node)
        else:
            zh, en = _REFUSED.get(type(node), (type(node).__name__, type(node).__name__))
            raise self.refuse(
                node,
                f"不允许使用{zh}；只能用数字、变量名、+ - * / **、比较、and/or/not 和函数 "
                f"{', '.join(FUNCTIONS)}",
                f"{en} is not allowed; only numbers, variable names, + - * / **, comparisons, "
                f"and/or/not and the functions {', '.join(FUNCTIONS)}",
            )

    def _constant(self, node: ast.Constant, text_ok: bool) -> None:
        if isinstance(node.value, str):
            if not text_ok:
                raise self.refuse(
                    node,
                    "带引号的文字只能作比较的一方，如 ownership == '民营'",
                    "quoted text may only be compared, e.g. ownership == '民营'",
                )
        elif not _is_number(node.value):
            raise self.refuse(
                node,
                f"不支持常量 {node.value!r}；只能用数字或带引号的文字",
                f"the constant {node.value!r} is not supported; use numbers or quoted text",
            )

    def _name(self, node: ast.Name) -> None:
        name = node.id
        if name == self.var.name:
            raise self.refuse(
                node, "派生变量不能引用自身", "a derived variable cannot refer to itself"
            )
        if name in self.later:
            raise self.refuse(
                node,
                f"引用的派生变量「{name}」定义在「{self.var.name}」之后；派生变量按 config 中的顺序"
                f"计算，请把 {name} 移到 {self.var.name} 前面",
                f"the derived variable '{name}' is defined after '{self.var.name}'; derived "
                f"variables are computed in config order, so move {name} above {self.var.name}",
            )

    def _call(self, node: ast.Call) -> None:
        if not isinstance(node.func, ast.Name):
            if type(node.func) in _REFUSED:  # x.f(), (lambda: 1)(): name what is not allowed
                self.check(node.func)
            raise self.refuse(
                node,
                f"只能直接调用函数 {', '.join(FUNCTIONS)}",
                f"only the functions {', '.join(FUNCTIONS)} can be called, by name",
            )
        fname = node.func.id
        spec = FUNCTIONS.get(fname)
        if spec is None:
            close = difflib.get_close_matches(fname, list(FUNCTIONS), n=3, cutoff=0.6)
            hint_zh = f"（是不是 {', '.join(close)}？）" if close else ""
            hint_en = f" (did you mean {', '.join(close)}?)" if close else ""
            raise self.refuse(
                node,
                f"未知函数「{fname}」{hint_zh}；可用函数：{', '.join(FUNCTIONS)}",
                f"unknown function '{fname}'{hint_en}; available: {', '.join(FUNCTIONS)}",
            )
        n = len(node.args)
        if n < spec.min_args or (spec.max_args is not None and n > spec.max_args):
            want = (
                f"{spec.min_args}"
                if spec.max_args == spec.min_args
                else f"≥ {spec.min_args}"
                if spec.max_args is None
                else f"{spec.min_args}–{spec.max_args}"
            )
            raise self.refuse(
                node,
                f"函数 {fname} 需要 {want} 个参数，实际 {n} 个",
                f"function {fname} takes {want} argument(s), got {n}",
            )
        for kw in node.keywords:
            if kw.arg is None or kw.arg not in spec.keywords:
                allowed = ", ".join(spec.keywords) or "无 none"
                raise self.refuse(
                    node,
                    f"函数 {fname} 不接受关键字参数「{kw.arg or '**'}」（可用：{allowed}）",
                    f"function {fname} takes no keyword '{kw.arg or '**'}' (allowed: {allowed})",
                )
            value = kw.value
            if kw.arg == "by":
                if not isinstance(value, ast.Name):
                    raise self.refuse(
                        node,
                        f"{fname} 的 by= 须为分析总表的列名（不加引号），如 by=chain_id",
                        f"{fname}'s by= must name a column of the analysis table (no quotes), "
                        "e.g. by=chain_id",
                    )
                continue
            whole = isinstance(value, ast.Constant) and type(value.value) is int
            if not (whole and 1 <= value.value <= n):  # type: ignore[attr-defined]
                raise self.refuse(
                    node,
                    f"min_valid 须为 1 到 {n}（参数个数）之间的整数",
                    f"min_valid must be a whole number from 1 to {n} (the number of arguments)",
                )
        if fname in GROUP_FUNCTIONS and not node.keywords:
            raise self.refuse(
                node,
                f"{fname} 需要 by= 指明分组列，如 {fname}(x, by=chain_id)",
                f"{fname} needs by= naming the group column, e.g. {fname}(x, by=chain_id)",
            )
        if fname == "winsorize":
            self._quantiles(node)
        for arg in node.args:
            self.check(arg)

    def _quantiles(self, node: ast.Call) -> None:
        bounds = [a.value if isinstance(a, ast.Constant) else None for a in node.args[1:]]
        ok = all(_is_number(b) for b in bounds) and 0 <= bounds[0] < bounds[1] <= 1  # type: ignore[operator]
        if not ok:
            raise self.refuse(
                node,
                "winsorize(x, 下分位数, 上分位数) 的分位数须为数字，0 ≤ 下 < 上 ≤ 1，如 "
                "winsorize(x, 0.01, 0.99)",
                "winsorize(x, low, high) needs number quantiles with 0 <= low < high <= 1, e.g. "
                "winsorize(x, 0.01, 0.99)",
            )


def parse_derive(derive: Mapping[str, Any] | None) -> tuple[DerivedVariable, ...]:
    """Every ``derive:`` entry, in config order, its expression checked against the grammar.

    Needs no data, so the workflow can call it when it reads the config; names of table
    columns are checked by :func:`apply_derive`.
    """
    if not derive:
        return ()
    names = list(derive)
    out: list[DerivedVariable] = []
    for i, name in enumerate(names):
        entry = derive[name]
        expr = entry.get("expr") if isinstance(entry, Mapping) else None
        if not isinstance(expr, str) or not expr.strip():
            raise ConfigError(
                f"配置错误：derive.{name} 须为 {{expr: 表达式, label: 中文标签, label_en: 英文标签}}，"
                f"实际为 {entry!r}",
                f"Config error: derive.{name} must be {{expr: expression, label: Chinese label, "
                f"label_en: English label}}, got {entry!r}",
            )
        var = DerivedVariable(name, expr, entry.get("label"), entry.get("label_en"))
        try:
            tree = ast.parse(expr.strip(), mode="eval")
        except SyntaxError as exc:
            where_zh = f"第 {exc.offset} 个字符：" if exc.offset else ""
            where_en = f"character {exc.offset}: " if exc.offset else ""
            raise var.error(
                f"不是合法的表达式（{where_zh}{exc.msg}）",
                f"is not a valid expression ({where_en}{exc.msg})",
            ) from None
        except (ValueError, RecursionError, MemoryError) as exc:
            raise var.error(f"无法解析：{exc}", f"cannot be parsed: {exc}") from None
        var = DerivedVariable(name, expr.strip(), var.label, var.label_en, tree)
        try:
            _Checker(var, names[i + 1 :]).check(tree.body)
        except RecursionError:
            raise var.error("嵌套过深", "is nested too deeply") from None
        out.append(var)
    return tuple(out)


def _row_ids(table: pd.DataFrame) -> np.ndarray:
    """How a researcher finds a row: ``city:raw-file row`` as in the model errors."""
    if {"city_key", "raw_row"} <= set(table.columns):
        return (table["city_key"].astype(str) + ":" + table["raw_row"].astype(str)).to_numpy()
    if {"city_key", "enterprise_id"} <= set(table.columns):
        return (table["city_key"].astype(str) + "/" + table["enterprise_id"].astype(str)).to_numpy()
    return np.array([str(i) for i in table.index], dtype=object)


def _column(table: pd.DataFrame, column: str) -> np.ndarray | _Text:
    import pandas as pd

    series = table[column]
    if pd.api.types.is_bool_dtype(series.dtype) or pd.api.types.is_numeric_dtype(series.dtype):
        return series.to_numpy(dtype="float64", na_value=np.nan)
    missing = series.isna().to_numpy()
    return _Text(column, series.astype(object).to_numpy(), missing)


class _Evaluator:
    """Evaluates one checked expression on the table; numbers are float64 with NaN = missing."""

    def __init__(
        self,
        var: DerivedVariable,
        table: pd.DataFrame,
        derived: Mapping[str, np.ndarray],
        row_ids: np.ndarray,
    ) -> None:
        self.var = var
        self.table = table
        self.derived = derived
        self.row_ids = row_ids
        self.uses_data = False

    # -- messages --------------------------------------------------------------------------
    def fail(self, node: ast.AST, zh: str, en: str) -> ConfigError:
        return _at(self.var, node, zh, en)

    def rows(self, bad: np.ndarray) -> tuple[int, str]:
        mask = np.broadcast_to(bad, (len(self.row_ids),))
        ids = self.row_ids[mask]
        more = " …" if len(ids) > EXAMPLE_ROWS else ""
        return int(mask.sum()), ", ".join(map(str, ids[:EXAMPLE_ROWS])) + more

    def domain(self, node: ast.AST, bad: np.ndarray, zh: str, en: str) -> None:
        if np.any(bad):
            count, rows = self.rows(bad)
            raise self.fail(
                node,
                f"{zh}，共 {count} 行（例如 城市:原始文件行号 {rows}）",
                f"{en} in {count} row(s) (e.g. city:raw-file row {rows})",
            )

    def finite(self, node: ast.AST, result: Number, *inputs: Number) -> Number:
        """Present inputs must give a finite result: inf and NaN from numbers are errors."""
        present = np.ones(np.shape(result), dtype=bool)
        for x in inputs:
            present = present & ~np.isnan(x)
        self.domain(
            node,
            present & ~np.isfinite(result),
            "由非缺失值算出无穷大或无定义的值（溢出、负数的分数次幂等）",
            "present values give an infinite or undefined result (overflow, a negative number "
            "to a fractional power …)",
        )
        return result

    # -- value kinds -----------------------------------------------------------------------
    def number(self, node: ast.AST) -> Number:
        value = self.eval(node)
        if isinstance(value, _Text):
            raise self.fail(
                node,
                f"「{value.column}」是文字（分类）变量，只能用 == 或 != 与带引号的文字比较，"
                f"如 {value.column} == '…'",
                f"'{value.column}' is a text (categorical) column; it can only be compared with "
                f"== or != to quoted text, e.g. {value.column} == '…'",
            )
        return value

    def indicator(self, node: ast.AST, what_zh: str, what_en: str) -> Number:
        value = self.number(node)
        bad = ~np.isnan(value) & (value != 0) & (value != 1)
        if np.any(bad):
            count, rows = self.rows(bad)
            raise self.fail(
                node,
                f"{what_zh}需要 0/1 指示变量（如一个比较），但有 {count} 行不是 0 或 1"
                f"（例如 {rows}）",
                f"{what_en} needs an indicator (0/1, e.g. a comparison), but {count} row(s) are "
                f"neither 0 nor 1 (e.g. {rows})",
            )
        return value

    # -- nodes -----------------------------------------------------------------------------
    def eval(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, str) else np.float64(node.value)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return 1.0 - self.indicator(node.operand, "not ", "'not'")
            x = self.number(node.operand)
            return -x if isinstance(node.op, ast.USub) else +x
        if isinstance(node, ast.BinOp):
            return self.binary(node)
        if isinstance(node, ast.BoolOp):
            word = "and" if isinstance(node.op, ast.And) else "or"
            values = [self.indicator(v, f"{word} ", f"'{word}'") for v in node.values]
            reduce = np.minimum if word == "and" else np.maximum
            out = values[0]
            for v in values[1:]:
                out = reduce(out, v)  # NaN propagates: a missing operand gives missing
            return out
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        raise self.fail(node, "内部错误：未检查的语法", "internal error: unchecked syntax")

    def name(self, node: ast.Name) -> np.ndarray | _Text:
        name = node.id
        self.uses_data = True
        if name in self.derived:
            return self.derived[name]
        if name in self.table.columns:
            return _column(self.table, name)
        known = [str(c) for c in self.table.columns] + list(self.derived)
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
        hint_zh = f"最接近的列：{', '.join(close)}" if close else "没有名字相近的列"
        hint_en = f"closest columns: {', '.join(close)}" if close else "no column has a close name"
        raise self.fail(
            node,
            f"「{name}」既不是分析总表（results/analysis/analysis.csv）的列，也不是前面定义的"
            f"派生变量；{hint_zh}",
            f"'{name}' is neither a column of the analysis table (results/analysis/analysis.csv) "
            f"nor an earlier derived variable; {hint_en}",
        )

    def binary(self, node: ast.BinOp) -> Number:
        a = self.number(node.left)
        b = self.number(node.right)
        with np.errstate(all="ignore"):
            if isinstance(node.op, ast.Div):
                self.domain(
                    node,
                    ~np.isnan(a) & (b == 0),
                    "除数为 0",
                    "division by zero",
                )
            result = {
                ast.Add: np.add,
                ast.Sub: np.subtract,
                ast.Mult: np.multiply,
                ast.Div: np.divide,
                ast.Pow: np.power,
            }[type(node.op)](a, b)
        return self.finite(node, result, a, b)

    def compare(self, node: ast.Compare) -> Number:
        operands = [self.eval(x) for x in [node.left, *node.comparators]]
        nodes = [node.left, *node.comparators]
        out: Number = np.float64(1.0)
        for i, op in enumerate(node.ops):
            a, b = operands[i], operands[i + 1]
            text = [isinstance(v, str | _Text) for v in (a, b)]
            if any(text):
                if not all(text):
                    raise self.fail(
                        node,
                        "文字只能与文字变量比较，不能与数字比较",
                        "text can only be compared with a text column, not with numbers",
                    )
                if type(op) not in _TEXT_COMPARE:
                    raise self.fail(
                        node, "文字只能用 == 或 != 比较", "text can only be compared with == or !="
                    )
                if isinstance(a, str) and isinstance(b, str):
                    raise self.fail(
                        nodes[i], "两边都是常量文字", "both sides are quoted text (constant)"
                    )
                va = a.values if isinstance(a, _Text) else a
                vb = b.values if isinstance(b, _Text) else b
                missing = np.zeros(len(self.table), dtype=bool)
                for v in (a, b):
                    if isinstance(v, _Text):
                        missing = missing | v.missing
                equal = np.array([x == y for x, y in np.broadcast(va, vb)], dtype=bool)
                hit = equal if isinstance(op, ast.Eq) else ~equal
                pair = np.where(missing, np.nan, hit.astype("float64"))
            else:
                pair = np.where(
                    np.isnan(a) | np.isnan(b), np.nan, _COMPARE[type(op)](a, b).astype("float64")
                )
            out = np.minimum(out, pair)  # a chain is the `and` of its pairs; NaN propagates
        return out

    def call(self, node: ast.Call) -> Number:
        import pandas as pd

        from chainpb.models.design import winsorize as _winsorize

        fname = node.func.id  # type: ignore[attr-defined]  # checked by _Checker
        args = node.args
        if fname == "isna":
            value = self.eval(args[0])
            if isinstance(value, str):
                raise self.fail(node, "isna 需要变量", "isna needs a variable")
            missing = value.missing if isinstance(value, _Text) else np.isnan(value)
            return np.asarray(missing, dtype="float64")
        if fname == "ifelse":
            cond = self.indicator(args[0], "ifelse 的条件", "the ifelse condition")
            a, b = self.number(args[1]), self.number(args[2])
            return np.where(np.isnan(cond), np.nan, np.where(cond == 1, a, b))
        if fname in ("mean", "sum", "min", "max"):
            return self.rowwise(node, fname, [self.number(a) for a in args])
        if fname in GROUP_FUNCTIONS:
            return self.grouped(node, fname, self.number(args[0]))
        x = self.number(args[0])
        with np.errstate(all="ignore"):
            if fname == "log":
                self.domain(
                    node,
                    ~np.isnan(x) & (x <= 0),
                    "log 的自变量 ≤ 0，对数无定义；含 0 的计数变量请用 log1p(x) = ln(1 + x)",
                    "log of a value <= 0 is undefined; for counts with zeros use "
                    "log1p(x) = ln(1 + x)",
                )
                return self.finite(node, np.log(x), x)
            if fname == "log1p":
                self.domain(
                    node,
                    ~np.isnan(x) & (x <= -1),
                    "log1p 的自变量 ≤ −1，无定义",
                    "log1p of a value <= -1 is undefined",
                )
                return self.finite(node, np.log1p(x), x)
            if fname == "sqrt":
                self.domain(
                    node,
                    ~np.isnan(x) & (x < 0),
                    "sqrt 的自变量 < 0",
                    "sqrt of a negative value",
                )
                return self.finite(node, np.sqrt(x), x)
            if fname == "exp":
                return self.finite(node, np.exp(x), x)
            if fname == "abs":
                return np.abs(x)
        column = np.broadcast_to(x, (len(self.table),)).astype("float64")
        valid = ~np.isnan(column)
        if fname == "standardize":
            n = int(valid.sum())
            sd = float(column[valid].std(ddof=1)) if n > 1 else 0.0
            if n < 2 or sd == 0:
                raise self.fail(
                    node,
                    f"standardize 需要至少 2 个非缺失且不全相等的值（现有 {n} 个非缺失值）",
                    f"standardize needs at least 2 present values that are not all equal "
                    f"({n} present)",
                )
            return (column - float(column[valid].mean())) / sd
        # winsorize: the models' own function, on the pooled non-missing values
        if not valid.any():
            raise self.fail(node, "没有非缺失值，无法缩尾", "no present values to winsorise")
        low, high = (float(a.value) for a in args[1:])  # type: ignore[attr-defined]
        clipped, _ = _winsorize(pd.Series(column[valid]), low, high)
        out = np.full(len(column), np.nan)
        out[valid] = clipped.to_numpy(dtype="float64")
        return out

    def grouped(self, node: ast.Call, fname: str, x: Number) -> Number:
        import pandas as pd

        by = node.keywords[0].value.id  # type: ignore[attr-defined]  # checked by _Checker
        if by not in self.table.columns:
            close = difflib.get_close_matches(by, [str(c) for c in self.table.columns], n=3)
            raise self.fail(
                node,
                f"by= 的分组列「{by}」不是分析总表的列"
                + (f"（最接近：{', '.join(close)}）" if close else ""),
                f"the group column by={by} is not a column of the analysis table"
                + (f" (closest: {', '.join(close)})" if close else ""),
            )
        self.uses_data = True
        column = pd.Series(np.broadcast_to(x, (len(self.table),)).astype("float64"))
        keys = self.table[by].reset_index(drop=True)
        how = {"group_max": "max", "group_min": "min", "group_mean": "mean", "group_sum": "sum"}
        present = column.notna().groupby(keys, dropna=True).transform("sum")
        out = column.groupby(keys, dropna=True).transform(how[fname])
        out = out.where(present > 0)  # a group without any present x: missing (sum too)
        return out.to_numpy(dtype="float64", na_value=np.nan)

    def rowwise(self, node: ast.Call, fname: str, values: list[Number]) -> Number:
        stacked = np.vstack([np.broadcast_to(v, (len(self.table),)) for v in values])
        with np.errstate(all="ignore"):
            if fname == "mean":
                needed = len(values)
                for kw in node.keywords:  # min_valid, checked by _Checker
                    needed = int(kw.value.value)  # type: ignore[attr-defined]
                present = (~np.isnan(stacked)).sum(axis=0)
                total = np.where(np.isnan(stacked), 0.0, stacked).sum(axis=0)
                result = np.where(present >= needed, total / np.maximum(present, 1), np.nan)
            elif fname == "sum":
                result = stacked.sum(axis=0)
            elif fname == "min":
                result = stacked.min(axis=0)  # NaN propagates: all arguments required
            else:
                result = stacked.max(axis=0)
        return self.finite(node, result, *values)


def apply_derive(table: pd.DataFrame, derive: Mapping[str, Any] | None) -> pd.DataFrame:
    """``table`` with one float64 column per ``derive:`` entry appended, in config order.

    A derived name that is already a column of ``table`` is an error, as is any name, function
    or value the expression cannot use (see the module docstring).
    """
    import pandas as pd

    variables = parse_derive(derive)
    clash = [v.name for v in variables if v.name in table.columns]
    if clash:
        raise ConfigError(
            f"配置错误：派生变量 {', '.join(clash)} 与分析总表已有的列重名；请在 derive 中换一个名字",
            f"Config error: derived variable(s) {', '.join(clash)} already exist as columns of "
            "the analysis table; choose another name in derive",
        )
    row_ids = _row_ids(table)
    derived: dict[str, np.ndarray] = {}
    for var in variables:
        evaluator = _Evaluator(var, table, derived, row_ids)
        value = evaluator.eval(var.tree.body)
        if isinstance(value, str | _Text):
            raise var.error(
                "的结果是文字；派生变量须为数值，文字变量请写成比较，如 ownership == '民营'",
                "gives text; derived variables are numbers — compare a text column instead, "
                "e.g. ownership == '民营'",
            )
        if not evaluator.uses_data:
            raise var.error(
                "没有用到任何变量，结果是常数",
                "uses no variable; the result would be a constant",
            )
        derived[var.name] = np.broadcast_to(value, (len(table),)).astype("float64")
    if not derived:
        return table
    added = pd.DataFrame(derived, index=table.index, dtype="float64")
    return pd.concat([table, added], axis=1)


def derive_summary(table: pd.DataFrame, derive: Mapping[str, Any] | None) -> pd.DataFrame:
    """Per derived variable: ``variable, n, missing, mean`` (for the log of the workflow)."""
    import pandas as pd

    rows = []
    for name in derive or {}:
        x = table[name].to_numpy(dtype="float64")
        n = int((~np.isnan(x)).sum())
        rows.append(
            {
                "variable": name,
                "n": n,
                "missing": len(x) - n,
                "mean": float(np.nanmean(x)) if n else float("nan"),
            }
        )
    return pd.DataFrame(rows, columns=["variable", "n", "missing", "mean"])

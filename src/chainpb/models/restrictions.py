"""Linear restrictions on regression coefficients, written as text in config ``tests:``.

Grammar (a small parser, no ``eval``)::

    restriction := side "=" side | side            (a bare side means "side = 0")
    side        := ["+" | "-"] term (("+" | "-") term)*
    term        := number ["*" name] | name ["*" number]
    restrictions:= restriction ("," restriction)*   (a comma joins restrictions into one test)

``name`` is a coefficient name as in estimates.csv: ``diff_coverage``, the centred product
``alliance_member_c:diff_resource_c``, a dummy ``C(ownership)[T.民营]``, ``Intercept``. When the
model's term names are known they are matched first, longest first (as patsy's constraint
parser does), so a name may hold ``:``, brackets or a ``-``; otherwise a name is a run of
characters other than blanks, ``+ - * = ,``. Parentheses around sums and division are not part
of the grammar (write ``2*a + 2*b = 0`` rather than ``2*(a + b) = 0``).

Each restriction becomes weights on names and a constant: ``Σ w_i · b_i = c``. A set of
restrictions must be linearly independent (``a = 0, a = 0`` is an error, as is ``a - a = 0``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

_NUMBER = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_GENERIC_NAME = re.compile(r"[^\s+\-*=,0-9.()/][^\s+\-*=,]*")
_NAME_CHAR = re.compile(r"[A-Za-z0-9_]")
_OPERATORS = "+-*=,"


class RestrictionError(Exception):
    """A restriction that cannot be read; ``zh``/``en`` say why (the caller names the model)."""

    def __init__(self, zh: str, en: str, unknown: tuple[str, ...] = ()) -> None:
        self.zh = zh
        self.en = en
        self.unknown = unknown
        super().__init__(f"{zh}\n{en}")


@dataclass(frozen=True)
class Restriction:
    """``Σ weight · coefficient = constant``; ``weights`` in order of first appearance."""

    weights: tuple[tuple[str, float], ...]
    constant: float

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(n for n, _ in self.weights)

    def render(self, label: Callable[[str], str] | None = None) -> str:
        """Canonical text, e.g. ``a + b - 2*c = 0``; ``label`` maps names for display."""
        show = label or (lambda n: n)
        parts: list[str] = []
        for name, w in self.weights:
            sign = "-" if w < 0 else "+"
            size = abs(w)
            text = show(name) if size == 1 else f"{_num(size)}*{show(name)}"
            if not parts:
                parts.append(text if sign == "+" else f"-{text}")
            else:
                parts.append(f"{sign} {text}")
        return f"{' '.join(parts)} = {_num(self.constant)}"


def _num(x: float) -> str:
    """Shortest exact-looking text of a weight or constant (0 for -0)."""
    if x == 0:
        return "0"
    return f"{x:.12g}"


@dataclass(frozen=True)
class _Token:
    kind: str  # "name" | "number" | one of _OPERATORS
    text: str
    known: bool = True  # for names: matched against the known names


def tokenize(text: str, names: Sequence[str] = ()) -> list[_Token]:
    """Tokens of ``text``; ``names`` are matched first, longest first."""
    ordered = sorted(set(names), key=len, reverse=True)
    tokens: list[_Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        match = next(
            (
                n
                for n in ordered
                if text.startswith(n, i)
                and not (
                    _NAME_CHAR.match(n[-1])
                    and i + len(n) < len(text)
                    and _NAME_CHAR.match(text[i + len(n)])
                )
            ),
            None,
        )
        if match is not None:
            tokens.append(_Token("name", match))
            i += len(match)
            continue
        if ch in _OPERATORS:
            tokens.append(_Token(ch, ch))
            i += 1
            continue
        m = _NUMBER.match(text, i)
        if m:
            tokens.append(_Token("number", m.group()))
            i = m.end()
            continue
        m = _GENERIC_NAME.match(text, i)
        if m:
            tokens.append(_Token("name", m.group(), known=not ordered))
            i = m.end()
            continue
        raise RestrictionError(
            f"无法识别第 {i + 1} 个字符「{ch}」（只支持 + - * = , 数字和系数名；不支持括号与除法）",
            f"cannot read character {i + 1} '{ch}' (only + - * = , numbers and coefficient "
            "names are allowed; no parentheses or division)",
        )
    return tokens


def _parse_side(tokens: list[_Token], text: str) -> tuple[dict[str, float], float]:
    weights: dict[str, float] = {}
    constant = 0.0
    i = 0
    expect_term = True
    sign = 1.0
    if not tokens:
        raise RestrictionError(
            f"「{text}」的等号一侧是空的", f"one side of the equation '{text}' is empty"
        )
    while i < len(tokens):
        tok = tokens[i]
        if tok.kind in "+-" and expect_term:
            if i > 0 and tokens[i - 1].kind in "+-":
                raise RestrictionError(
                    f"「{text}」中有连续的运算符", f"'{text}' has two operators in a row"
                )
            sign *= -1.0 if tok.kind == "-" else 1.0
            i += 1
            continue
        if not expect_term:
            if tok.kind not in "+-":
                raise RestrictionError(
                    f"「{text}」中「{tok.text}」前缺少 + 或 -",
                    f"'{text}': a + or - is missing before '{tok.text}'",
                )
            expect_term = True
            sign = -1.0 if tok.kind == "-" else 1.0
            i += 1
            continue
        # A term: number [* name] | name [* number].
        factor = 1.0
        name = None
        if tok.kind == "number":
            factor = float(tok.text)
            if i + 1 < len(tokens) and tokens[i + 1].kind == "*":
                if i + 2 >= len(tokens) or tokens[i + 2].kind != "name":
                    raise RestrictionError(
                        f"「{text}」中「{tok.text} *」后应为系数名",
                        f"'{text}': a coefficient name must follow '{tok.text} *'",
                    )
                name = tokens[i + 2].text
                i += 3
            else:
                i += 1
        elif tok.kind == "name":
            name = tok.text
            i += 1
            if i < len(tokens) and tokens[i].kind == "*":
                if i + 1 >= len(tokens) or tokens[i + 1].kind != "number":
                    raise RestrictionError(
                        f"「{text}」中「{name} *」后应为数字（只支持线性约束）",
                        f"'{text}': a number must follow '{name} *' (restrictions are linear)",
                    )
                factor = float(tokens[i + 1].text)
                i += 2
        else:
            raise RestrictionError(
                f"「{text}」中「{tok.text}」的位置不对", f"'{text}': unexpected '{tok.text}'"
            )
        if name is None:
            constant += sign * factor
        else:
            weights[name] = weights.get(name, 0.0) + sign * factor
        expect_term = False
        sign = 1.0
    if expect_term:
        raise RestrictionError(f"「{text}」以运算符结尾", f"'{text}' ends with an operator")
    return weights, constant


def _parse_one(tokens: list[_Token], text: str) -> Restriction:
    equals = [i for i, t in enumerate(tokens) if t.kind == "="]
    if len(equals) > 1:
        raise RestrictionError(f"「{text}」中有多个等号", f"'{text}' has more than one '='")
    if equals:
        lhs, rhs = tokens[: equals[0]], tokens[equals[0] + 1 :]
        wl, cl = _parse_side(lhs, text)
        wr, cr = _parse_side(rhs, text)
    else:
        (wl, cl), wr, cr = _parse_side(tokens, text), {}, 0.0
    weights = dict(wl)
    for name, w in wr.items():
        weights[name] = weights.get(name, 0.0) - w
    kept = tuple((n, w) for n, w in weights.items() if w != 0.0)
    if not kept:
        raise RestrictionError(
            f"「{text}」不含任何系数（或系数相互抵消）",
            f"'{text}' restricts no coefficient (or the coefficients cancel)",
        )
    return Restriction(weights=kept, constant=cr - cl)


def parse_restrictions(
    parts: str | Iterable[str], names: Sequence[str] = ()
) -> tuple[Restriction, ...]:
    """The restrictions of one test: a string (comma-separated restrictions) or a list of them.

    With ``names`` (the model's coefficient names) every name must be one of them, else a
    :class:`RestrictionError` whose ``unknown`` lists the others.
    """
    items = [parts] if isinstance(parts, str) else list(parts)
    out: list[Restriction] = []
    unknown: list[str] = []
    for item in items:
        tokens = tokenize(item, names)
        unknown += [t.text for t in tokens if t.kind == "name" and not t.known]
        current: list[_Token] = []
        for tok in [*tokens, _Token(",", ",")]:
            if tok.kind != ",":
                current.append(tok)
                continue
            if not current:
                raise RestrictionError(
                    f"「{item}」中有空的约束", f"'{item}' has an empty restriction"
                )
            out.append(_parse_one(current, item))
            current = []
    if unknown:
        shown = ", ".join(dict.fromkeys(unknown))
        raise RestrictionError(
            f"系数名「{shown}」不在模型中",
            f"coefficient(s) '{shown}' not in the model",
            unknown=tuple(dict.fromkeys(unknown)),
        )
    if not out:
        raise RestrictionError("检验是空的", "the test is empty")
    check_independent(out)
    return tuple(out)


def restriction_matrix(
    restrictions: Sequence[Restriction], names: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """``R`` (q × len(names)) and ``r`` (q) with ``R b = r``."""
    index = {n: j for j, n in enumerate(names)}
    R = np.zeros((len(restrictions), len(names)))
    r = np.zeros(len(restrictions))
    for i, res in enumerate(restrictions):
        for name, w in res.weights:
            R[i, index[name]] += w
        r[i] = res.constant
    return R, r


def check_independent(restrictions: Sequence[Restriction]) -> None:
    """Stop on restrictions that repeat or contradict each other (rank of [R | r] or R < q)."""
    names = list(dict.fromkeys(n for res in restrictions for n in res.names))
    R, _ = restriction_matrix(restrictions, names)
    if np.linalg.matrix_rank(R) < len(restrictions):
        text = "; ".join(res.render() for res in restrictions)
        raise RestrictionError(
            f"约束「{text}」线性相关（有重复或相互矛盾的约束），请删去多余的一条",
            f"the restrictions '{text}' are linearly dependent (repeated or contradictory); "
            "remove the redundant one",
        )


def render_all(
    restrictions: Sequence[Restriction], label: Callable[[str], str] | None = None
) -> str:
    """Several restrictions as one line, ``a = 0; b = 0``."""
    return "; ".join(res.render(label) for res in restrictions)

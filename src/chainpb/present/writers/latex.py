"""LaTeX writer: a :class:`Table` as a booktabs/threeparttable float."""

from __future__ import annotations

from chainpb.present.table_model import Table, header_spans

_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def latex_escape(text: str) -> str:
    """Escape LaTeX special characters; CJK text is left as is (compile with XeLaTeX + ctex)."""
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)


def table_to_latex(table: Table) -> str:
    r"""A ``table`` float with booktabs rules and threeparttable notes.

    Needs ``\usepackage{booktabs,threeparttable}`` and, for Chinese, ``\usepackage{ctex}`` with
    XeLaTeX. Merged header cells become ``\multicolumn`` with a ``\cmidrule`` beneath.
    """
    align = "".join(table.alignment())
    lines = [
        r"\begin{table}[htbp]",
        r"\centering",
        r"\begin{threeparttable}",
        rf"\caption{{{latex_escape(table.title)}}}",
    ]
    if table.label:
        lines.append(rf"\label{{tab:{table.label}}}")
    lines += [rf"\begin{{tabular}}{{{align}}}", r"\toprule"]
    n_header = len(table.header)
    for i, row in enumerate(table.header):
        spans = header_spans(row, merge=i < n_header - 1)
        cells = []
        rules = []
        for text, start, span in spans:
            if span > 1:
                cells.append(rf"\multicolumn{{{span}}}{{c}}{{{latex_escape(text)}}}")
                rules.append(rf"\cmidrule(lr){{{start + 1}-{start + span}}}")
            else:
                cells.append(latex_escape(text))
        lines.append(" & ".join(cells) + r" \\")
        if rules:
            lines.append(" ".join(rules))
    lines.append(r"\midrule")
    for row in table.body:
        lines.append(" & ".join(latex_escape(c) for c in row) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    if table.notes:
        lines += [r"\begin{tablenotes}[flushleft]", r"\footnotesize"]
        lines += [rf"\item {latex_escape(note)}" for note in table.notes]
        lines.append(r"\end{tablenotes}")
    lines += [r"\end{threeparttable}", r"\end{table}", ""]
    return "\n".join(lines)

"""HTML writer: a :class:`Table` as ``<table class="three-line">``."""

from __future__ import annotations

import html

from chainpb.present.table_model import Table, header_spans

HTML_STYLE = """table.three-line { border-collapse: collapse; margin: 1em auto; font-family: "Times New Roman", "SimSun", "宋体", serif; font-size: 10.5pt; }
table.three-line caption { caption-side: top; font-weight: bold; padding-bottom: 0.4em; }
table.three-line thead { border-top: 1.5pt solid #000; }
table.three-line thead tr:last-child th { border-bottom: 0.75pt solid #000; }
table.three-line th.span { border-bottom: 0.5pt solid #000; }
table.three-line tbody { border-bottom: 1.5pt solid #000; }
table.three-line th, table.three-line td { padding: 0.15em 0.8em; text-align: center; border-left: none; border-right: none; }
table.three-line .l { text-align: left; }
table.three-line .r { text-align: right; }
table.three-line tfoot td { text-align: left; font-size: 9pt; border: none; }
"""


def table_to_html(table: Table, *, standalone: bool = False) -> str:
    """A ``<table class="three-line">`` with caption, header, body and notes in ``<tfoot>``.

    With ``standalone=True`` a complete UTF-8 HTML page including the CSS is returned;
    otherwise the CSS is in a ``<style>`` element right before the table.
    """
    esc = html.escape
    align = table.alignment()
    id_attr = f' id="tab-{esc(table.label)}"' if table.label else ""
    out = [
        f'<table class="three-line"{id_attr}>',
        f"<caption>{esc(table.title)}</caption>",
        "<thead>",
    ]
    n_header = len(table.header)
    for i, row in enumerate(table.header):
        cells = []
        for text, start, span in header_spans(row, merge=i < n_header - 1):
            classes = ["l"] if start == 0 else []
            if span > 1 and text:
                classes.append("span")
            cls = f' class="{" ".join(classes)}"' if classes else ""
            colspan = f' colspan="{span}"' if span > 1 else ""
            cells.append(f"<th{cls}{colspan}>{esc(text)}</th>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out += ["</thead>", "<tbody>"]
    for row in table.body:
        cells = []
        for j, text in enumerate(row):
            cls = f' class="{align[j]}"' if align[j] != "c" else ""
            cells.append(f"<td{cls}>{esc(text)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody>")
    if table.notes:
        out.append("<tfoot>")
        for note in table.notes:
            out.append(f'<tr><td colspan="{table.n_cols}">{esc(note)}</td></tr>')
        out.append("</tfoot>")
    out.append("</table>")
    body = "\n".join(out)
    if not standalone:
        return f"<style>\n{HTML_STYLE}</style>\n{body}\n"
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{esc(table.title)}</title>\n<style>\n{HTML_STYLE}</style>\n</head>\n<body>\n"
        f"{body}\n</body>\n</html>\n"
    )

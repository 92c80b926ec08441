"""Interoperability: the analysis table as Stata .dta / SPSS .sav with Chinese labels, and a
generated Stata do-file that refits every model of specs.json (see :mod:`.stata`,
:mod:`.dofile`)."""

from chainpb.export.dofile import UntranslatableQuery, build_dofile, stata_condition
from chainpb.export.stata import ExportTable, export_table, write_dta, write_sav

__all__ = [
    "ExportTable",
    "UntranslatableQuery",
    "build_dofile",
    "export_table",
    "stata_condition",
    "write_dta",
    "write_sav",
]

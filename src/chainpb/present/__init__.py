"""Presentation: CJK font, seaborn figures, journal tables (Word/LaTeX/HTML) and the Word report.

Submodules are imported directly (``from chainpb.present import figures``) so that importing
the tables does not pull in matplotlib.
"""

"""Measures: scale scores, reliability and validity, descriptives, the pooled analysis table.

Modules: :mod:`chainpb.measures.scales`, :mod:`chainpb.measures.descriptives`,
:mod:`chainpb.measures.analysis`.
"""

"""chainpb — 产业链党建研究流水线 (industrial-chain Party-building research pipeline).

The library holds all logic; Snakemake scripts in ``scripts/`` only wire files to it.
"""

__version__ = "0.1.0"

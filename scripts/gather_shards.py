"""Snakemake script: join the shard files of the text stage into one table per output, in
shard order (the joined file is the same for any shard count)."""

from chainpb.runlog import script_logger
from chainpb.text.stream import gather

sm = snakemake  # noqa: F821 — injected by Snakemake
log = script_logger(sm.log[0])

for name, target in sm.output.items():
    parts = list(sm.input[name])
    rows = gather(parts, target)
    log.info("%s: %d 个分片 shards → %d 行 rows", target, len(parts), rows)

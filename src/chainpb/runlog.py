"""Logging for the thin Snakemake scripts: every rule writes its own log file.

The log gets timestamps-free, deterministic lines (no wall-clock time) except the final timing
line, so that logs of two runs can be compared by eye. Messages about personal data never
include the data itself.
"""

from __future__ import annotations

import logging
import sys
import warnings
from pathlib import Path

from chainpb.errors import ChainpbError


class _MessageOnly(logging.Formatter):
    """The terminal gets a ChainpbError's message without the traceback, which is for the
    rule's log; any other exception is a bug and keeps its traceback on the terminal too."""

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info and isinstance(record.exc_info[1], ChainpbError):
            record = logging.makeLogRecord(record.__dict__)
            record.exc_info, record.exc_text = None, None
        return super().format(record)


def script_logger(log_path: str | Path | None, name: str = "chainpb") -> logging.Logger:
    """A logger writing to the rule's log file (and to stderr), capturing Python warnings."""
    logger = logging.getLogger(name)
    logger.handlers.clear()
    logger.setLevel(logging.INFO)
    logger.propagate = False  # Snakemake configures the root logger too; avoid double lines
    fmt = logging.Formatter("%(levelname)s %(message)s")
    if log_path:
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
        fh = logging.FileHandler(log_path, mode="w", encoding="utf-8")
        fh.setFormatter(fmt)
        logger.addHandler(fh)
    sh = logging.StreamHandler(sys.stderr)
    sh.setFormatter(_MessageOnly("%(levelname)s %(message)s"))
    logger.addHandler(sh)
    logging.captureWarnings(True)
    warn_logger = logging.getLogger("py.warnings")
    warn_logger.handlers = list(logger.handlers)
    warnings.simplefilter("default")

    def log_uncaught(exc_type, exc, tb):  # type: ignore[no-untyped-def]
        # Snakemake points the researcher at the rule's log: the error must be there too.
        logger.error("%s", exc, exc_info=(exc_type, exc, tb))

    sys.excepthook = log_uncaught
    return logger

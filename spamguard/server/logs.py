"""One JSON line per log record: how the reference server writes its structured logs.

The engine logs every non-allow verdict to the ``spamguard`` logger with its structured
record in ``extra["spamguard"]`` (codes, reasons, tenant, interface, session; never the
text). This handler writes each record as one JSON object per line, so log pipelines can
count codes without parsing prose.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any, TextIO

__all__ = ["JsonLines", "log_json_lines"]


class JsonLines(logging.Formatter):
    """Formats a record as one JSON object: time, level, logger, message and its fields."""

    def format(self, record: logging.LogRecord) -> str:
        """See `logging.Formatter.format`."""
        line: dict[str, Any] = {
            "time": record.created,
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "spamguard", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        # ensure_ascii: a lone surrogate in a field can never break the line.
        return json.dumps(line, default=str)


def log_json_lines(stream: TextIO = sys.stderr, level: int = logging.INFO) -> None:
    """Send the ``spamguard`` loggers' records to `stream` as JSON lines."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines())
    logger = logging.getLogger("spamguard")
    logger.addHandler(handler)
    logger.setLevel(level)

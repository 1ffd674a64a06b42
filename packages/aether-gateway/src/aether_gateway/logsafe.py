"""Log and status hygiene for client-controlled text.

Anything a client sends can end up in a log line or in a gRPC status detail: an identity, a
request_id, a reason, an exception message. Unbounded, one frame makes a 1 MiB log line or a
status trailer over the client's metadata limit (the client then sees RESOURCE_EXHAUSTED instead
of the real answer); with newlines it forges log lines; with a traceback per frame an
unauthenticated client spams the log. So every record of the gateway logger becomes one escaped,
clipped line, at most one traceback is written per minute, and status details are clipped.
"""

from __future__ import annotations

import logging
import math
import time

MAX_LOG_CHARS = 1_000  # one gateway log message, after formatting its arguments
MAX_DETAIL_CHARS = 512  # one gRPC status detail (percent-encoded, under an 8 KiB trailer)
TRACEBACK_EVERY_S = 60.0


def clip(text: str, limit: int = MAX_DETAIL_CHARS) -> str:
    """`text` cut to about `limit` characters, keeping its head and tail (where reasons are)."""
    if len(text) <= limit:
        return text
    tail = min(64, limit // 4)
    head = max(limit - tail - 32, 0)
    return f"{text[:head]}...[{len(text) - head - tail} chars cut]...{text[len(text) - tail :]}"


def one_line(text: str, limit: int = MAX_LOG_CHARS) -> str:
    """`text` clipped, with line breaks escaped so that it cannot forge another log line."""
    escaped = clip(text, limit * 2).replace("\r", "\\r").replace("\n", "\\n")
    return clip(escaped, limit)


class OneLineFilter(logging.Filter):
    """Rewrites each record to one clipped line; keeps a traceback at most every `every_s`."""

    def __init__(self, max_chars: int = MAX_LOG_CHARS, every_s: float = TRACEBACK_EVERY_S) -> None:
        super().__init__()
        self.max_chars = max_chars
        self.every_s = every_s
        self._last_traceback = -math.inf

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not format is still written
            message = f"{record.msg!r} {record.args!r}"
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None:
            now = time.monotonic()
            if now - self._last_traceback >= self.every_s:
                self._last_traceback = now  # this one keeps its traceback, for diagnosis
            else:
                message += f" ({type(exc).__name__}: {exc})"
                record.exc_info = None
                record.exc_text = None
        record.msg = one_line(message, self.max_chars)
        record.args = None
        return True


ONE_LINE = OneLineFilter()


LOGGERS = ("aether_gateway", "aether_gateway.proxy")  # filters do not reach child loggers


def install() -> None:
    """Apply the one-line rule to every gateway logger (idempotent)."""
    for name in LOGGERS:
        logging.getLogger(name).addFilter(ONE_LINE)

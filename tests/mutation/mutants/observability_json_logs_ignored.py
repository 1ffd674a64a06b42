"""`--log-format json` is accepted and ignored: log shippers get key=value text they cannot
parse."""

from __future__ import annotations

FAULT = "JsonFormatter formats records as plain text"
CAUGHT_BY = [
    "tests/e2e/gateway/test_observability.py::test_metrics_count_the_traffic_sent_and_probes_answer",
]


def plant() -> None:
    import logging

    from aether_gateway.observability.logs import JsonFormatter

    def format(self: JsonFormatter, record: logging.LogRecord) -> str:
        return logging.Formatter.format(self, record)

    JsonFormatter.format = format  # type: ignore[method-assign]

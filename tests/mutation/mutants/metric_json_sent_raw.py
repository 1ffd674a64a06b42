"""The SDK sends send_metric's JSON form as raw bytes again: the gateway refuses it later with
ERR_METRIC_INVALID in on_error, and no metric reaches the bridge (issue 14, seed example 1)."""

from __future__ import annotations

FAULT = "encode_metric passes bytes through unchecked and unconverted (the pre-issue-14 SDK)"
CAUGHT_BY = [
    "tests/e2e/test_seed_metric_json.py::test_the_readme_json_metric_reaches_the_bridge_as_a_metric",
    "tests/e2e/test_seed_metric_json.py::test_a_metric_the_sdk_cannot_convert_raises_type_error_and_sends_nothing",
    "tests/e2e/reference_readme/test_messaging.py::test_13_sending_messages",
]


def plant() -> None:
    from scitrera_aether_client._generated import clients, clients_async
    from scitrera_aether_client.proto import aether_pb2

    def encode_metric(metric: object) -> bytes:
        if isinstance(metric, aether_pb2.Metric):
            return metric.SerializeToString()
        return bytes(metric)  # type: ignore[call-overload]

    # The generated clients call the name they imported, so that is the one to replace.
    clients.encode_metric = encode_metric  # type: ignore[attr-defined]
    clients_async.encode_metric = encode_metric  # type: ignore[attr-defined]

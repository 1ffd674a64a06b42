"""Where the examples connect: --target HOST:PORT, or an embedded gateway started for the run."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager


def parse(scenarios: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=scenarios)
    parser.add_argument("--target", help="gateway address; default: start an embedded gateway")
    return parser.parse_args()


@contextmanager
def gateway_target(target: str | None) -> Iterator[str]:
    if target:
        yield target
        return
    from aether_gateway import GatewayConfig, run_gateway

    with run_gateway(GatewayConfig(dev_mode=True)) as gateway:
        print(f"[embedded gateway on {gateway.target}]")
        yield gateway.target

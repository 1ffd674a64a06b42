"""aether_gateway: an embedded, single-process Aether gateway persisted in SQLite.

In tests: `async with EmbeddedGateway() as gw` or `with run_gateway() as gw`; both expose
`gw.target`. As a process: `aether-gateway serve --dev`.
"""

from aether_gateway.config import GatewayConfig
from aether_gateway.embedded import EmbeddedGateway, run_gateway

__all__ = ["EmbeddedGateway", "GatewayConfig", "run_gateway"]

"""The original path of `scitrera_aether_client.http.requests_adapter` (the requests adapter).

A re-export: the same objects, so existing imports keep working.
"""

from scitrera_aether_client.http.requests_adapter import HOP_BY_HOP as HOP_BY_HOP
from scitrera_aether_client.http.requests_adapter import SCHEME as SCHEME
from scitrera_aether_client.http.requests_adapter import (
    AetherRequestsAdapter as AetherRequestsAdapter,
)
from scitrera_aether_client.http.requests_adapter import Kind as Kind
from scitrera_aether_client.http.requests_adapter import __all__ as __all__
from scitrera_aether_client.http.requests_adapter import parse_aether_url as parse_aether_url

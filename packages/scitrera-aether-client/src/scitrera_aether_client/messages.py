"""Typed, immutable twins of the user-facing aether.v1 messages.

Callbacks receive the protobuf messages (as the reference client does); convert with
`KVResponse.from_pb(pb)` when a frozen, typed value is handier, and back with `.to_pb()`.
"""

from scitrera_aether_client._generated.messages import *  # noqa: F403
from scitrera_aether_client._generated.messages import __all__  # noqa: F401 (re-exported)

"""Revocation reaches live sessions (docs/security.md, "Revocation").

A key revoked or deleted through the admin API ends every session it authenticated at once. The
CLI revokes by writing the database from another process, so the gateway also re-checks, every
`GatewayConfig.credential_check_s`, that the keys and task tokens behind its live sessions still
exist unrevoked. An ended session gets FORCE_DISCONNECT (the SDK does not reconnect) and the RPC
ends UNAUTHENTICATED "credential revoked". Expiry only stops a key from being presented again.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections import defaultdict

from aether_gateway.hub import Hub, end
from aether_gateway.session import Outgoing, Session
from aether_gateway.store.tokens import TokenStore
from scitrera_aether_client.wire import aether_pb2

log = logging.getLogger("aether_gateway")
UNAUTHENTICATED = 16  # grpc.StatusCode.UNAUTHENTICATED
REASON = "credential revoked"
_TOKEN_KINDS = ("key:", "task:")  # credentials backed by a row of api_tokens


class Revocations:
    def __init__(self, hub: Hub, tokens: TokenStore) -> None:
        self.hub, self.tokens = hub, tokens

    def end_sessions(self, token_id: str) -> int:
        """End every live session `token_id` authenticated; how many there were."""
        doomed = {kind + token_id for kind in _TOKEN_KINDS}
        sessions = [s for s in self.hub.by_id.values() if s.caller.credential in doomed]
        for session in sessions:
            self._end(session)
        return len(sessions)

    def check_now(self) -> int:
        """End the sessions whose key or task token was revoked or deleted; how many."""
        by_token: dict[str, list[Session]] = defaultdict(list)
        for session in self.hub.by_id.values():
            kind, _, token_id = session.caller.credential.partition(":")
            if kind + ":" in _TOKEN_KINDS:
                by_token[token_id].append(session)
        if not by_token:
            return 0
        valid = self.tokens.valid_ids(by_token)
        ended = 0
        for token_id, sessions in by_token.items():
            if token_id not in valid:
                for session in sessions:
                    self._end(session)
                ended += len(sessions)
        return ended

    async def watch(self, interval_s: float) -> None:
        """check_now every `interval_s`, until cancelled."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                self.check_now()
            except sqlite3.Error as exc:  # e.g. busy past the timeout: the next round retries
                log.warning("credential check failed: %s", exc)

    @staticmethod
    def _end(session: Session) -> None:
        if session.ended.is_set():
            return
        log.info("ending %s: %s", session.caller.identity, REASON)
        signal = aether_pb2.Signal(type=aether_pb2.Signal.FORCE_DISCONNECT, reason=REASON)
        session.push(Outgoing(aether_pb2.DownstreamMessage(signal=signal)))
        end(session, UNAUTHENTICATED, REASON)

"""Keys and task tokens authenticate past their expiry."""

from __future__ import annotations

FAULT = "TokenStore.authenticate ignores expires_at"
CAUGHT_BY = ["tests/e2e/gateway/test_security_auth.py::test_an_expired_task_token_is_refused"]


def plant() -> None:
    from aether_gateway.store import tokens
    from aether_gateway.store.tokens import TokenRecord, TokenStore

    def authenticate(self: TokenStore, plaintext: str) -> TokenRecord | None:
        row = self._db.conn.execute(
            f"SELECT {tokens._COLUMNS} FROM api_tokens WHERE token_hash = ? AND revoked = 0",
            (tokens._digest(plaintext),),
        ).fetchone()
        return tokens._record(row) if row else None

    TokenStore.authenticate = authenticate  # type: ignore[method-assign]

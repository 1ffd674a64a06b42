"""API keys: TokenStore (hashing, authentication, binding) and handle_token_op."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from aether_gateway.context import Caller
from aether_gateway.handlers.tokens import handle_token_op
from aether_gateway.store import tokens as tokens_module
from aether_gateway.store.db import Database
from aether_gateway.store.tokens import TokenStore, bind_check
from scitrera_aether_client._generated.principals import PRINCIPALS
from scitrera_aether_client.proto import aether_pb2

Op = aether_pb2.TokenOperation


@pytest.fixture
def db() -> Database:
    return Database(":memory:")


@pytest.fixture
def store(db: Database) -> TokenStore:
    return TokenStore(db)


def admin() -> Caller:
    fields = {"workspace": "ws", "implementation": "adm", "specifier": "1"}
    return Caller("s1", PRINCIPALS["agent"], "ag::ws::adm::1", "ag::ws::adm::1", fields, "ws")


def run(store: TokenStore, op: aether_pb2.TokenOperation) -> aether_pb2.TokenResponse:
    frames = handle_token_op(store, admin(), op, True)
    assert len(frames) == 1
    assert frames[0].WhichOneof("payload") == "token"
    return frames[0].token


def create(store: TokenStore, **fields: object) -> aether_pb2.TokenResponse:
    request = aether_pb2.TokenCreateRequest(**{"name": "k", "principal_type": "Agent", **fields})  # type: ignore[arg-type]
    return run(store, Op(op=Op.CREATE, create_request=request, request_id="r-create"))


# ------------------------------------------------------------------------------------ store


def test_create_stores_only_a_digest_of_the_key(store: TokenStore, db: Database) -> None:
    record, plaintext = store.create("ci", "Agent")
    assert plaintext.startswith("ak_") and len(plaintext) > 40
    rows = db.conn.execute("SELECT * FROM api_tokens").fetchall()
    assert not any(plaintext in str(value) for row in rows for value in row)
    stored_hash = db.conn.execute("SELECT token_hash FROM api_tokens").fetchone()[0]
    assert stored_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert record.workspace_patterns == ("*",) and record.scopes == ("connect",)
    assert record.created_by == "admin" and record.expires_at == 0 and not record.revoked


def test_authenticate_accepts_the_key_and_records_use(
    store: TokenStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    record, plaintext = store.create("ci", "Agent", scopes=("connect", "admin"))
    monkeypatch.setattr(tokens_module, "now_s", lambda: record.created_at + 5)
    found = store.authenticate(plaintext)
    assert found is not None and found.id == record.id and found.is_admin
    stored = store.get(record.id)
    assert stored is not None and stored.last_used_at == record.created_at + 5


def test_authenticate_rejects_unknown_revoked_and_expired_keys(
    store: TokenStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert store.authenticate("ak_nope") is None
    revoked, revoked_key = store.create("a", "Agent")
    assert store.revoke(revoked.id)
    assert store.authenticate(revoked_key) is None
    expiring, expiring_key = store.create("b", "Agent", expires_in_hours=1)
    assert expiring.expires_at == expiring.created_at + 3600
    assert store.authenticate(expiring_key) is not None
    monkeypatch.setattr(tokens_module, "now_s", lambda: expiring.expires_at)
    assert store.authenticate(expiring_key) is None


def test_revoking_twice_keeps_the_first_time(
    store: TokenStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    record, _ = store.create("a", "Agent")
    monkeypatch.setattr(tokens_module, "now_s", lambda: 1000)
    store.revoke(record.id)
    monkeypatch.setattr(tokens_module, "now_s", lambda: 2000)
    assert store.revoke(record.id)
    again = store.get(record.id)
    assert again is not None and again.revoked_at == 1000 and again.updated_at == 2000
    assert not store.revoke("missing")


def test_keys_survive_a_reopen_of_the_database_file(tmp_path: Path) -> None:
    path = tmp_path / "gw.db"
    first = Database(path)
    record, plaintext = TokenStore(first).create("ci", "Service", workspace_patterns=("a-*",))
    first.close()
    reopened = TokenStore(Database(path))
    found = reopened.authenticate(plaintext)
    assert found is not None and found.id == record.id
    assert found.workspace_patterns == ("a-*",) and found.principal_type == "Service"


# ------------------------------------------------------------------------------ bind_check


def test_bind_check_accepts_a_matching_identity(store: TokenStore) -> None:
    record, _ = store.create("k", "Agent", workspace_patterns=("team-*", "shared"))
    assert bind_check(record, "Agent", "team-a", "") is None
    assert bind_check(record, "Agent", "shared", "") is None


def test_bind_check_refuses_another_principal_type(store: TokenStore) -> None:
    record, _ = store.create("k", "Agent")
    assert bind_check(record, "Task", "ws", "") == "API key is for principal type Agent, not Task"


def test_bind_check_refuses_another_user(store: TokenStore) -> None:
    record, _ = store.create("k", "User", created_by="alice")
    assert bind_check(record, "User", "", "alice") is None
    assert bind_check(record, "User", "", "") is None  # the id then comes from the key
    assert bind_check(record, "User", "", "bob") == "API key not authorized for user bob"


def test_bind_check_refuses_a_workspace_outside_the_patterns(store: TokenStore) -> None:
    record, _ = store.create("k", "Agent", workspace_patterns=("team-*",))
    assert bind_check(record, "Agent", "prod", "") == "API key not authorized for workspace prod"


# ---------------------------------------------------------------------------------- handler


def test_create_applies_defaults_and_returns_the_plaintext_once(store: TokenStore) -> None:
    response = create(store)
    assert response.success and response.request_id == "r-create"
    assert response.plaintext_token.startswith("ak_")
    assert response.token == response.created_token
    assert list(response.token.workspace_patterns) == ["*"]
    assert list(response.token.scopes) == ["connect"]
    assert response.token.created_by == "admin"
    fetched = run(store, Op(op=Op.GET, token_id=response.token.id, request_id="r2"))
    assert fetched.success and fetched.request_id == "r2" and not fetched.plaintext_token
    assert fetched.token == response.token


def test_create_honours_the_request(store: TokenStore) -> None:
    response = create(
        store,
        workspace_patterns=["a", "b-*"],
        scopes=["connect", "admin"],
        created_by="ops",
        expires_in_hours=2,
    )
    token = response.token
    assert list(token.workspace_patterns) == ["a", "b-*"] and list(token.scopes) == [
        "connect",
        "admin",
    ]
    assert token.created_by == "ops" and token.expires_at == token.created_at + 7200


@pytest.mark.parametrize(
    ("spelling", "stored"),
    [("agent", "Agent"), ("Agent", "Agent"), ("workflow_engine", "WorkflowEngine")],
)
def test_create_stores_the_canonical_principal_type(
    store: TokenStore, spelling: str, stored: str
) -> None:
    assert create(store, principal_type=spelling).token.principal_type == stored


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"name": ""}, "name and principal_type are required"),
        ({"principal_type": ""}, "name and principal_type are required"),
        ({"principal_type": "robot"}, "unknown principal_type: robot"),
        ({"principal_type": "User"}, "created_by (the user_id) is required for User tokens"),
    ],
)
def test_create_refuses_bad_requests(store: TokenStore, fields: dict[str, str], error: str) -> None:
    response = create(store, **fields)
    assert not response.success and response.error == error and response.request_id == "r-create"


def test_list_pages_and_hides_revoked_keys(store: TokenStore) -> None:
    ids = [create(store, name=f"k{i}").token.id for i in range(3)]
    run(store, Op(op=Op.REVOKE, token_id=ids[0]))
    listed = run(store, Op(op=Op.LIST, request_id="l"))
    assert listed.success and listed.request_id == "l"
    assert [t.id for t in listed.tokens] == ids[1:] and listed.total_count == 2
    everything = run(store, Op(op=Op.LIST, filter=aether_pb2.TokenFilter(include_revoked=True)))
    assert [t.id for t in everything.tokens] == ids and everything.tokens[0].revoked
    page = run(
        store,
        Op(op=Op.LIST, filter=aether_pb2.TokenFilter(limit=1, offset=1, include_revoked=True)),
    )
    assert [t.id for t in page.tokens] == [ids[1]] and page.total_count == 3


def test_revoke_and_delete(store: TokenStore) -> None:
    token_id = create(store).token.id
    revoked = run(store, Op(op=Op.REVOKE, token_id=token_id, request_id="rv"))
    assert revoked.success and revoked.message == "revoked" and revoked.request_id == "rv"
    deleted = run(store, Op(op=Op.DELETE, token_id=token_id, request_id="dl"))
    assert deleted.success and deleted.message == "deleted" and deleted.request_id == "dl"
    for op in (Op.GET, Op.REVOKE, Op.DELETE):
        missing = run(store, Op(op=op, token_id=token_id))
        assert not missing.success and missing.error == f"token not found: {token_id}"


def test_unknown_operation_is_not_implemented(store: TokenStore) -> None:
    response = run(store, Op(op=99, request_id="x"))  # type: ignore[arg-type]
    assert not response.success and response.error == "not implemented"


def test_refusal_is_an_error_response_carrying_the_request_id(store: TokenStore) -> None:
    frames = handle_token_op(store, admin(), Op(op=Op.LIST, request_id="r9"), False)
    assert len(frames) == 1 and frames[0].WhichOneof("payload") == "error"
    assert frames[0].error.code == "ERR_PERMISSION_DENIED"
    assert frames[0].error.request_id == "r9"
    assert "admin/tokens" in frames[0].error.message

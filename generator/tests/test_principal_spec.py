"""principals.yaml's gateway roles, ACL id and extension identities: validated with located,
readable errors, and rendered into the principal table the gateway reads."""

from __future__ import annotations

import json
import re

import pytest
from helpers import REPO, SCHEMA_JSON, model_from

from aether_codegen.errors import SpecError

SCHEMA = REPO / "schema"
SPEC = (SCHEMA / "principals.yaml").read_text()
FOO = """
  foo:
    class: Foo
    type_name: Foo
    acl_type: foo
    identity:
      params: [workspace, name]
    lock_key: agent
    subscriptions: []
    may_send_to: [ag]
    kv: false
    needs_credentials: false
    callbacks: []
    helpers: []
"""


def _with_foo(foo: str = FOO) -> str:
    return SPEC.replace("\nprincipals:\n", "\nprincipals:" + foo, 1)


def _problems(text: str) -> list[str]:
    with pytest.raises(SpecError) as info:
        model_from(SCHEMA, text)
    return [str(p) for p in info.value.problems]


def test_unknown_gateway_role_names_the_allowed_roles() -> None:
    text = SPEC.replace("gateway_roles: [orchestrates]", "gateway_roles: [orchestrate]", 1)
    (problem,) = _problems(text)
    line = text.splitlines().index("    gateway_roles: [orchestrate]") + 1
    assert f"principals.yaml:{line} at principals.orchestrator.gateway_roles[0]" in problem
    assert "'orchestrate' is not one of" in problem and "'orchestrates'" in problem


def test_acl_id_must_be_an_identity_field() -> None:
    (problem,) = _problems(SPEC.replace("acl_id: user_id", "acl_id: email", 1))
    assert "principals.user.acl_id" in problem
    assert "acl_id 'email' is not one of its identity fields" in problem


def test_key_owner_must_be_an_identity_field() -> None:
    text = SPEC.replace("    key_owner: user_id", "    key_owner: email", 1)
    (problem,) = _problems(text)
    assert "principals.user.key_owner" in problem
    assert "key_owner 'email' is not one of its identity fields" in problem


def test_only_users_bind_their_keys_to_an_identity_field() -> None:
    from scitrera_aether_client.wire import PRINCIPALS

    assert {k: p.key_owner for k, p in PRINCIPALS.items() if p.key_owner} == {"user": "user_id"}


def test_arm_and_message_come_together() -> None:
    text = SPEC.replace("      arm: bridge\n      message: BridgeIdentity\n", "      arm: bridge\n")
    (problem,) = _problems(text)
    assert "principals.bridge.identity" in problem and "'message'" in problem


def test_an_aether_v1_principal_needs_its_enum() -> None:
    (problem,) = _problems(SPEC.replace("    enum: PRINCIPAL_BRIDGE\n", "", 1))
    assert "principals.bridge.enum" in problem and "needs its PrincipalType value" in problem


def test_the_extension_arm_is_not_named_by_hand() -> None:
    foo = FOO.replace(
        "      params: [workspace, name]",
        "      arm: principal\n      message: PrincipalIdentity\n      params: [workspace, name]",
    )
    (problem,) = _problems(_with_foo(foo))
    assert "principals.foo.identity.arm" in problem and "omit arm and message" in problem


def test_an_extension_identity_carries_strings_only() -> None:
    foo = FOO.replace("[workspace, name]", "[workspace, {name: busy, type: bool, default: false}]")
    (problem,) = _problems(_with_foo(foo))
    assert "principals.foo.identity.params.1" in problem and "strings only" in problem


def test_a_principal_without_an_arm_uses_the_extension_arm() -> None:
    model = model_from(SCHEMA, _with_foo())
    foo = next(p for p in model.principals if p.key == "foo")
    assert (foo.identity_arm, foo.identity_message) == ("principal", "PrincipalIdentity")
    assert foo.extension_identity and foo.identity_fields == ("workspace", "name")
    assert (foo.enum, foo.enum_value) == ("", 0)


def test_every_declared_role_is_a_field_of_the_generated_table() -> None:
    schema = json.loads(SCHEMA_JSON.read_text())
    roles = set(schema["$defs"]["gateway_role"]["enum"])
    table = (
        REPO / "packages/scitrera-aether-client/src/scitrera_aether_client/_generated/principals.py"
    ).read_text()
    spec_class = table.split("class PrincipalSpec", 1)[1].split("\n\n\n", 1)[0]
    fields = set(re.findall(r"^    (\w+): bool", spec_class, re.M))
    assert roles <= fields, f"roles the table does not carry: {sorted(roles - fields)}"
    model = model_from(SCHEMA, SPEC)
    agent = next(p for p in model.principals if p.key == "agent")
    for role in roles:
        assert f"{role}={role in agent.gateway_roles}" in table.split('"agent": PrincipalSpec(')[1]

"""Credentials: the keys sent in InitConnection.credentials, validation and masking."""

from __future__ import annotations

import pytest

from scitrera_aether_client.credentials import Credentials
from scitrera_aether_client.exceptions import InvalidArgumentError


def test_class_constructors_use_the_gateway_keys() -> None:
    assert Credentials.api_key("k1") == {"x-api-key": "k1"}
    assert Credentials.task_token("t1") == {"token": "t1"}
    assert Credentials.bearer_token("b1") == {"authorization": "Bearer b1"}


def test_is_a_plain_str_dict() -> None:
    creds = Credentials.api_key("k1")
    assert isinstance(creds, dict)
    assert type(Credentials.task_token("t")) is Credentials
    assert dict(creds) == {"x-api-key": "k1"}
    assert Credentials({"custom": "v"}) == {"custom": "v"}


def test_builders_chain_and_return_the_same_object() -> None:
    creds = Credentials()
    same = creds.with_api_key("k").with_task_token("t").with_bearer_token("b").with_tenant("acme")
    assert same is creds
    assert creds == {
        "x-api-key": "k",
        "token": "t",
        "authorization": "Bearer b",
        "x-tenant-id": "acme",
    }


def test_builder_overwrites_previous_value() -> None:
    assert Credentials.api_key("old").with_api_key("new") == {"x-api-key": "new"}


def test_keyword_names_match_the_reference() -> None:
    assert Credentials.api_key(key="k") == {"x-api-key": "k"}
    assert Credentials.task_token(token="t") == {"token": "t"}
    assert Credentials.bearer_token(token="b") == {"authorization": "Bearer b"}
    assert Credentials().with_tenant(tenant_id="x") == {"x-tenant-id": "x"}


CLASS_BUILDERS = [("api_key", "key"), ("task_token", "token"), ("bearer_token", "token")]
INSTANCE_BUILDERS = [
    ("with_api_key", "key"),
    ("with_task_token", "token"),
    ("with_bearer_token", "token"),
    ("with_tenant", "tenant_id"),
]
BAD_VALUES = ["", None, 5, b"bytes"]


@pytest.mark.parametrize(("method", "argument"), CLASS_BUILDERS)
@pytest.mark.parametrize("bad", BAD_VALUES)
def test_constructors_reject_invalid_values(method: str, argument: str, bad: object) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        getattr(Credentials, method)(bad)
    assert info.value.argument == argument
    assert info.value.code == "INVALID_ARGUMENT"


@pytest.mark.parametrize(("method", "argument"), INSTANCE_BUILDERS)
@pytest.mark.parametrize("bad", BAD_VALUES)
def test_builders_reject_invalid_values_and_leave_the_map_alone(
    method: str, argument: str, bad: object
) -> None:
    creds = Credentials.api_key("keep")
    with pytest.raises(InvalidArgumentError) as info:
        getattr(creds, method)(bad)
    assert info.value.argument == argument
    assert creds == {"x-api-key": "keep"}


def test_repr_masks_secrets_but_not_the_tenant() -> None:
    creds = Credentials.api_key("sk-secret-1").with_bearer_token("tok-secret-2").with_tenant("acme")
    creds["token"] = "task-secret-3"
    creds["something-else"] = "other-secret-4"
    for text in (repr(creds), str(creds), f"{creds}", repr([creds])):
        assert "secret" not in text
        assert "acme" in text
        assert "Bearer ***" in text
        assert text.count("***") == 4


def test_repr_shape() -> None:
    assert repr(Credentials.api_key("abc")) == "Credentials({'x-api-key': '***'})"
    assert repr(Credentials()) == "Credentials({})"

"""The reference client's `_common` module: topic builders, InitConnection factories, constants.

Topic strings are the protocol's (`::` separator, aether-protocol.md §2.2). Two reference defects
are fixed: an empty task specifier addresses the pooled lane `tb::ws::impl` (the reference built
`ta::ws::impl::`, which nobody subscribes to), and every builder validates its identity fields.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import scitrera_aether_client as package
from scitrera_aether_client import _common
from scitrera_aether_client._generated import topics
from scitrera_aether_client._generated.principals import PRINCIPALS
from scitrera_aether_client.credentials import Credentials
from scitrera_aether_client.exceptions import NON_RECOVERABLE_CODES, InvalidArgumentError
from scitrera_aether_client.proto import aether_pb2

# Every argument distinct, so a builder that swaps or drops one produces a different string.
WS, IMPL, SPEC = "ws-1", "scitrera/echo-bot", "spec.3"
USER, WINDOW = "alice@example.com", "win_2"


@pytest.mark.parametrize(
    ("builder", "args", "topic"),
    [
        (_common.create_topic_agent, (WS, IMPL, SPEC), f"ag::{WS}::{IMPL}::{SPEC}"),
        (_common.create_topic_task, (WS, IMPL, SPEC), f"tu::{WS}::{IMPL}::{SPEC}"),
        (_common.create_topic_task_broadcast, (WS, IMPL), f"tb::{WS}::{IMPL}"),
        (_common.create_topic_user, (USER, WINDOW), f"us::{USER}::{WINDOW}"),
        (_common.create_topic_user_workspace, (USER, WS), f"uw::{USER}::{WS}"),
        (_common.create_topic_user_broadcast, (USER,), f"uu::{USER}"),
        (_common.create_topic_global_agents, (WS,), f"ga::{WS}"),
        (_common.create_topic_global_users, (WS,), f"gu::{WS}"),
        (_common.create_topic_service, ("memorylayer", "default"), "sv::memorylayer::default"),
        (
            _common.create_topic_service,
            ("memorylayer", _common.SERVICE_WILDCARD),
            "sv::memorylayer",
        ),
    ],
)
def test_topic_builders_produce_the_protocol_strings(
    builder: Callable[..., str], args: tuple[Any, ...], topic: str
) -> None:
    assert builder(*args) == topic


def test_empty_task_specifier_addresses_the_pooled_lane() -> None:
    topic = _common.create_topic_task(WS, IMPL, "")
    assert topic == f"tb::{WS}::{IMPL}"
    # It is the lane every non-unique task instance subscribes to (the reference's
    # `ta::ws::impl::` had no subscriber).
    lane = PRINCIPALS["task"].pooled_subscriptions[0]
    assert topic == lane.format(workspace=WS, implementation=IMPL)
    # Only the empty string means "pooled": a non-string specifier is still refused.
    with pytest.raises(InvalidArgumentError) as info:
        _common.create_topic_task(WS, IMPL, 7)  # type: ignore[arg-type]
    assert info.value.argument == "unique_specifier"


def test_service_wildcard_is_a_sentinel_not_a_string() -> None:
    assert repr(_common.SERVICE_WILDCARD) == "SERVICE_WILDCARD"
    assert _common.SERVICE_WILDCARD is package.SERVICE_WILDCARD
    # A literal "SERVICE_WILDCARD" string is a specifier like any other, not the wildcard.
    assert _common.create_topic_service("impl", "SERVICE_WILDCARD") == "sv::impl::SERVICE_WILDCARD"


# (builder, valid arguments, the argument names in order) for identity-validation checks.
BUILDERS: list[tuple[Callable[..., str], tuple[Any, ...], tuple[str, ...]]] = [
    (_common.create_topic_agent, (WS, IMPL, SPEC), ("workspace", "implementation", "specifier")),
    (
        _common.create_topic_task,
        (WS, IMPL, SPEC),
        ("workspace", "implementation", "unique_specifier"),
    ),
    (_common.create_topic_task_broadcast, (WS, IMPL), ("workspace", "implementation")),
    (_common.create_topic_user, (USER, WINDOW), ("user_id", "window_id")),
    (_common.create_topic_user_workspace, (USER, WS), ("user_id", "workspace")),
    (_common.create_topic_user_broadcast, (USER,), ("user_id",)),
    (_common.create_topic_global_agents, (WS,), ("workspace",)),
    (_common.create_topic_global_users, (WS,), ("workspace",)),
    (_common.create_topic_service, (IMPL, SPEC), ("implementation", "specifier")),
    (_common.create_topic_service, (IMPL, _common.SERVICE_WILDCARD), ("implementation",)),
]
CASES = [
    pytest.param(builder, args, i, name, id=f"{builder.__name__}-{name}")
    for builder, args, names in BUILDERS
    for i, name in enumerate(names)
]


@pytest.mark.parametrize("bad", ["a::b", "a:b", "a b", "a*", "x" * 129, "ünï"])
@pytest.mark.parametrize(("builder", "args", "index", "name"), CASES)
def test_builders_refuse_invalid_identity_fields(
    builder: Callable[..., str], args: tuple[Any, ...], index: int, name: str, bad: str
) -> None:
    broken = list(args)
    broken[index] = bad
    with pytest.raises(InvalidArgumentError) as info:
        builder(*broken)
    assert info.value.argument == name


# An empty task specifier is not an error but the pooled lane (tested above); CI fails on skips,
# so that case is left out here rather than skipped.
REQUIRED_CASES = [c for c in CASES if c.id != "create_topic_task-unique_specifier"]


@pytest.mark.parametrize(("builder", "args", "index", "name"), REQUIRED_CASES)
def test_builders_refuse_empty_and_non_string_fields(
    builder: Callable[..., str], args: tuple[Any, ...], index: int, name: str
) -> None:
    for bad in ("", 7):
        broken = list(args)
        broken[index] = bad
        with pytest.raises(InvalidArgumentError) as info:
            builder(*broken)
        assert info.value.argument == name


def test_empty_service_specifier_is_refused_not_a_three_segment_topic() -> None:
    # The reference returned "sv::impl::", an instance nobody can hold.
    with pytest.raises(InvalidArgumentError) as info:
        _common.create_topic_service("impl", "")
    assert info.value.argument == "specifier"


EXT = aether_pb2.ExtensionDeclaration(uri="urn:x", version="1", required=True)


def _common_fields(init: aether_pb2.InitConnection) -> tuple[dict[str, str], str, list[str]]:
    return dict(init.credentials), init.resume_session_id, [e.uri for e in init.extensions]


def test_agent_init() -> None:
    init = _common.create_agent_init(
        WS,
        IMPL,
        SPEC,
        credentials=Credentials.api_key("k1"),
        resume_session_id="s-1",
        extensions=[EXT],
    )
    assert init.WhichOneof("client_type") == "agent"
    assert (init.agent.workspace, init.agent.implementation, init.agent.specifier) == (
        WS,
        IMPL,
        SPEC,
    )
    assert _common_fields(init) == ({"x-api-key": "k1"}, "s-1", ["urn:x"])
    assert init.extensions[0] == EXT


def test_task_init_unique_and_pooled() -> None:
    init = _common.create_task_init(WS, IMPL, "u-9", credentials={"token": "t"})
    assert init.WhichOneof("client_type") == "task"
    assert (init.task.workspace, init.task.implementation, init.task.unique_specifier) == (
        WS,
        IMPL,
        "u-9",
    )
    assert _common_fields(init) == ({"token": "t"}, "", [])
    pooled = _common.create_task_init(WS, IMPL)
    assert pooled.WhichOneof("client_type") == "task" and pooled.task.unique_specifier == ""


def test_user_init() -> None:
    init = _common.create_user_init(USER, WINDOW, resume_session_id="r")
    assert init.WhichOneof("client_type") == "user"
    assert (init.user.user_id, init.user.window_id) == (USER, WINDOW)
    assert _common_fields(init) == ({}, "r", [])


def test_orchestrator_init() -> None:
    init = _common.create_orchestrator_init("orch", "o-1", ["gpu", "cpu"], credentials={"a": "b"})
    assert init.WhichOneof("client_type") == "orchestrator"
    assert (init.orchestrator.implementation, init.orchestrator.specifier) == ("orch", "o-1")
    assert list(init.orchestrator.supported_profiles) == ["gpu", "cpu"]
    assert _common_fields(init) == ({"a": "b"}, "", [])
    assert (
        list(_common.create_orchestrator_init("orch", "o-1").orchestrator.supported_profiles) == []
    )


@pytest.mark.parametrize(
    ("factory", "arm"),
    [
        (_common.create_workflow_engine_init, "workflow_engine"),
        (_common.create_metrics_bridge_init, "metrics_bridge"),
    ],
)
def test_singleton_inits_set_an_empty_identity_arm(
    factory: Callable[..., aether_pb2.InitConnection], arm: str
) -> None:
    init = factory(credentials={"x-api-key": "k"}, resume_session_id="s", extensions=[EXT])
    # The arm must be chosen even though its message is empty: the gateway reads the oneof.
    assert init.WhichOneof("client_type") == arm
    assert _common_fields(init) == ({"x-api-key": "k"}, "s", ["urn:x"])
    assert factory().WhichOneof("client_type") == arm


def test_service_init() -> None:
    init = _common.create_service_init("memorylayer", "default", credentials={"k": "v"})
    assert init.WhichOneof("client_type") == "service"
    assert (init.service.implementation, init.service.specifier) == ("memorylayer", "default")
    assert init.service.no_pool_consumer is False
    assert _common_fields(init) == ({"k": "v"}, "", [])
    opted_out = _common.create_service_init("memorylayer", "default", no_pool_consumer=True)
    assert opted_out.service.no_pool_consumer is True


def test_every_exported_name_resolves() -> None:
    missing = [name for name in _common.__all__ if not hasattr(_common, name)]
    assert missing == []


def test_shared_names_are_the_public_objects() -> None:
    shared = [name for name in _common.__all__ if hasattr(package, name)]
    # The constants, the wildcard, Credentials and PrincipalType are re-exported, not copied.
    assert {"CHAT", "IDENTITY_SEP", "SERVICE_WILDCARD", "Credentials", "PrincipalType"} <= set(
        shared
    )
    for name in shared:
        assert getattr(_common, name) is getattr(package, name), name
    assert _common.NON_RECOVERABLE_CODES is NON_RECOVERABLE_CODES


@pytest.mark.parametrize(
    "name",
    [
        "create_topic_agent",
        "create_topic_task_broadcast",
        "create_topic_user",
        "create_topic_user_workspace",
        "create_topic_user_broadcast",
        "create_topic_global_agents",
        "create_topic_global_users",
    ],
)
def test_unchanged_builders_are_the_generated_ones(name: str) -> None:
    assert getattr(_common, name) is getattr(topics, name)


def test_constant_values() -> None:
    assert _common.IDENTITY_SEP == "::"
    assert (
        _common.MESSAGE_TYPE_UNSPECIFIED,
        _common.CHAT,
        _common.CONTROL,
        _common.TOOL_CALL,
        _common.EVENT,
        _common.METRIC,
        _common.OPAQUE,
    ) == (0, 1, 2, 3, 4, 5, 6)
    assert (_common.SELF_ASSIGN, _common.TARGETED, _common.POOL) == (0, 1, 2)
    op = aether_pb2.KVOperation
    assert (_common.KV_GET, _common.KV_PUT, _common.KV_LIST, _common.KV_DELETE) == (
        op.GET,
        op.PUT,
        op.LIST,
        op.DELETE,
    )
    assert (
        _common.KV_SCOPE_GLOBAL,
        _common.KV_SCOPE_WORKSPACE,
        _common.KV_SCOPE_USER,
        _common.KV_SCOPE_USER_WORKSPACE,
        _common.KV_SCOPE_GLOBAL_EXCLUSIVE,
        _common.KV_SCOPE_WORKSPACE_EXCLUSIVE,
        _common.KV_SCOPE_USER_SHARED,
        _common.KV_SCOPE_USER_WORKSPACE_SHARED,
    ) == (
        "global",
        "workspace",
        "user",
        "user-workspace",
        "global-exclusive",
        "workspace-exclusive",
        "user-shared",
        "user-workspace-shared",
    )
    assert (
        (
            _common.TARGET_OFFLINE_UNSPECIFIED,
            _common.TARGET_OFFLINE_ORCHESTRATE,
            _common.TARGET_OFFLINE_QUEUE,
            _common.TARGET_OFFLINE_REJECT,
        )
        == (
            aether_pb2.TARGET_OFFLINE_POLICY_UNSPECIFIED,
            aether_pb2.TARGET_OFFLINE_POLICY_ORCHESTRATE,
            aether_pb2.TARGET_OFFLINE_POLICY_QUEUE,
            aether_pb2.TARGET_OFFLINE_POLICY_REJECT,
        )
        == (0, 1, 2, 3)
    )
    assert (_common.PrincipalType.AGENT, _common.PrincipalType.WORKFLOW_ENGINE) == (
        "Agent",
        "WorkflowEngine",
    )

"""Model tier: decisions made by build_model, checked on the fixture and the real schema."""

from __future__ import annotations

from helpers import FIXTURE, REPO, model_from


def _fixture():  # type: ignore[no-untyped-def]
    return model_from(FIXTURE, (FIXTURE / "principals.yaml").read_text())


def test_principal_override_changes_the_helper_default_message_type() -> None:
    model = _fixture()
    agent = next(p for p in model.principals if p.key == "agent")
    probe = next(p for p in model.principals if p.key == "probe")
    agent_helper = next(h for h in agent.helpers if h.name == "send_message_to_probe")
    probe_helper = next(h for h in probe.helpers if h.name == "send_message_to_probe")
    assert agent_helper.message_type == "OPAQUE"
    assert probe_helper.message_type == "CHAT"
    assert next(p for p in probe_helper.params if p.kind == "message_type").default == "CHAT"


def test_routes_follow_the_proto_oneof_and_request_ids() -> None:
    routes = {r.arm: r for r in _fixture().routes}
    assert set(routes) == {"msg", "error", "connection_ack"}
    assert routes["error"].correlated and not routes["msg"].correlated
    assert routes["connection_ack"].kind == "runtime"
    assert routes["error"].callbacks == ("on_error",)


def test_identity_fields_and_enum_values_come_from_the_proto() -> None:
    probe = next(p for p in _fixture().principals if p.key == "probe")
    assert probe.identity_fields == ("implementation", "specifier")
    assert probe.enum_value == 7  # PRINCIPAL_BRIDGE
    assert probe.topic is not None and probe.topic.placeholders == ("implementation", "specifier")


def test_dataclass_fields_map_proto_types() -> None:
    msg = next(m for m in _fixture().messages if m.name == "IncomingMessage")
    fields = {f.name: f for f in msg.fields}
    assert fields["payload"].py_type == "bytes"
    assert fields["message_type"].kind == "enum"
    assert fields["on_behalf_subject"].kind == "dataclass"  # PrincipalRef is in the list
    assert fields["on_behalf_subject"].py_type == "PrincipalRef | None"


def test_real_schema_builds_every_principal_and_routes_every_arm() -> None:
    root = REPO / "schema"
    model = model_from(root, (root / "principals.yaml").read_text())
    assert [p.key for p in model.principals] == [
        "agent",
        "task",
        "user",
        "orchestrator",
        "workflow_engine",
        "metrics_bridge",
        "service",
        "bridge",
    ]
    kinds = {r.arm: r.kind for r in model.routes}
    assert kinds["proxy_http_request"] == "runtime" and kinds["task_query"] == "response"
    task = next(p for p in model.principals if p.key == "task")
    helper = next(h for h in task.helpers if h.name == "send_message_to_task")
    assert helper.variants[0].topic.name == "task_broadcast"

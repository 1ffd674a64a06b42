"""Resolve an InitConnection to a principal, its identity string and topic."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from scitrera_aether_client.wire import (
    BY_ARM,
    EXTENSION_ARM,
    PrincipalSpec,
    aether_pb2,
    arm_key,
    identity_problem,
)


class IdentityError(ValueError):
    """The identity in InitConnection is missing or invalid (-> INVALID_ARGUMENT)."""


@dataclass(frozen=True, slots=True)
class ResolvedIdentity:
    principal: PrincipalSpec
    fields: Mapping[str, str]
    identity: str  # the lock key
    topic: str  # "" for principals without a topic
    pooled: bool  # a non-unique task: a fresh id per connection
    workspace: str


def resolve(
    init: aether_pb2.InitConnection, table: Mapping[str, PrincipalSpec] = BY_ARM
) -> ResolvedIdentity:
    arm = init.WhichOneof("client_type")
    if arm is None:
        raise IdentityError("InitConnection carries no identity")
    body = getattr(init, arm)
    # A principal type aether.v1 lacks names itself in the extension arm, fields by name.
    extension = arm == EXTENSION_ARM
    principal = table.get(arm_key(arm, body.principal_type if extension else ""))
    if principal is None:
        raise IdentityError(f"unsupported identity {arm!r}")
    fields: dict[str, str] = {}
    for name in principal.identity_fields:
        value = body.fields.get(name, "") if extension else getattr(body, name)
        if isinstance(value, str):
            if value and (problem := identity_problem(value)):
                raise IdentityError(f"invalid identity: {name} {value!r} {problem}")
            fields[name] = value
        elif isinstance(value, bool):
            fields[name] = "true" if value else "false"
    for name in _placeholders(principal.lock_key):
        if name not in fields:
            continue
        if not fields[name] and not _may_be_empty(principal, name):
            raise IdentityError(f"invalid identity: {name} must not be empty")
    pooled = bool(principal.pooled_topic) and not fields.get("unique_specifier")
    if pooled:
        fields["task_id"] = uuid.uuid4().hex
        topic = principal.pooled_topic.format(**fields)
        identity = topic
    else:
        for name in principal.generated_fields:
            fields[name] = fields.get(name) or uuid.uuid4().hex[:8]
        identity = principal.lock_key.format(**fields)
        topic = principal.topic.format(**fields) if principal.topic else ""
    return ResolvedIdentity(principal, fields, identity, topic, pooled, fields.get("workspace", ""))


def _may_be_empty(principal: PrincipalSpec, name: str) -> bool:
    return (
        name == "unique_specifier" and bool(principal.pooled_topic)
    ) or name in principal.generated_fields


def _placeholders(template: str) -> list[str]:
    import string

    return [f for _, f, _, _ in string.Formatter().parse(template) if f]


@dataclass(frozen=True, slots=True)
class TopicOwner:
    """The principal whose own topic starts with a prefix, and the identity field each part of
    such a topic after the prefix holds (ag::ws::bot::a1: workspace, implementation, specifier)."""

    principal: PrincipalSpec
    fields: tuple[str, ...]

    def claim(self, parts: list[str]) -> dict[str, str] | None:
        """The identity fields of topic `parts` (split on "::"), or None if it is not one."""
        if len(parts) != len(self.fields) + 1:
            return None
        return dict(zip(self.fields, parts[1:], strict=True))


def topic_owners(principals: Mapping[str, PrincipalSpec]) -> dict[str, TopicOwner]:
    """Topic prefix -> its owner, from the principal table: every principal whose own topic is
    made of its identity fields. A fixed topic (the workflow engine's "event::receiver0") or none
    (orchestrators) names no identity, so it has no owner."""
    owners: dict[str, TopicOwner] = {}
    for spec in principals.values():
        prefix, *rest = spec.topic.split("::")
        fields = tuple(part[1:-1] for part in rest if _placeholders(part) == [part[1:-1]])
        if rest and len(fields) == len(rest):  # every part after the prefix is one field
            owners[prefix] = TopicOwner(spec, fields)
    return owners

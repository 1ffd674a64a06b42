"""Workspace binding: which workspaces a session may reach outside dev mode.

A session is bound to the workspace of its own identity and to every workspace its credential's
patterns match (an API key's `workspace_patterns`; a task token admits one identity and so binds
only its workspace). Anything outside that binding needs an explicit ACL rule on
`workspace/<name>`: a fallback policy never opens a foreign workspace, because the seeded
`{agent,task,user}_workspace` fallbacks are meant for a principal's own workspace. Admin-scoped
sessions reach every workspace. In dev mode (no ACL store passed) everything is open.
"""

from __future__ import annotations

from aether_gateway.context import Caller
from aether_gateway.handlers.admin_policy import acl_subject
from aether_gateway.store.acl import ACLStore
from aether_gateway.store.tokens import glob_match

# Topic prefix -> index of the workspace part (`ag::{ws}::...`, `uw::{user}::{ws}`); other prefixes
# (us, uu, sv, br, event, metric) name no workspace.
_WORKSPACE_PART = {"ag": 1, "tu": 1, "ta": 1, "tb": 1, "ga": 1, "gu": 1, "tk": 1, "pg": 1, "uw": 2}


def topic_workspace(topic: str) -> str:
    """The workspace a topic addresses, or "" when it names none."""
    parts = topic.split("::")
    index = _WORKSPACE_PART.get(parts[0])
    if index is None or len(parts) <= index:
        return ""
    if parts[0] == "pg" and len(parts) > 2:
        return ""  # pg::us::{user_id}, a user's own progress lane; pg::{ws} has two parts
    return parts[index]


def bound_to(caller: Caller, workspace: str) -> bool:
    """Whether `workspace` is the caller's own or matches its credential's patterns."""
    home = caller.fields.get("workspace", "")
    if home and workspace == home:
        return True
    # The same globs (only `*` is special) that admitted the key at connect.
    return any(glob_match(workspace, pattern) for pattern in caller.workspace_patterns)


def may_reach(caller: Caller, acl: ACLStore | None, workspace: str, level: int) -> bool:
    """Whether `caller` may act in `workspace` needing `level`; `acl=None` means dev mode."""
    if acl is None or caller.is_admin or not workspace or bound_to(caller, workspace):
        return True
    access = acl.access(*acl_subject(caller), "workspace", workspace)
    return not access.fallback_applied and access.level >= level

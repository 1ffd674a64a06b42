"""The Python side of the interop test: an agent of the Python SDK driven over stdin/stdout.

Usage: py_peer.py TARGET WORKSPACE IMPLEMENTATION SPECIFIER

Reads one JSON command per line on stdin and answers each with one JSON line carrying the same
"id"; every message the agent receives is printed as {"event": "message", ...}. Bytes travel as
base64 so binary payloads cross unchanged.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
from typing import Any, TypeVar

from scitrera_aether_client import AsyncAgentClient

T = TypeVar("T")


def out(obj: dict[str, Any]) -> None:
    print(json.dumps(obj), flush=True)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def raw(text: str) -> bytes:
    return base64.b64decode(text)


def answered(response: T | None) -> T:
    """A call's response; None means it timed out, which the TS side must hear about."""
    if response is None:
        raise TimeoutError("the gateway did not answer")
    return response


async def main(target: str, workspace: str, implementation: str, specifier: str) -> None:
    agent = AsyncAgentClient(workspace, implementation, specifier, max_retries=1)

    def on_message(msg: Any) -> None:
        out(
            {
                "event": "message",
                "source": msg.source_topic,
                "type": int(msg.message_type),
                "payload": b64(msg.payload),
            }
        )

    agent.on_message = on_message
    await agent.connect(target)
    out({"event": "ready", "session": agent.session_id})
    while True:
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            break
        cmd = json.loads(line)
        op, reply = cmd["op"], {"id": cmd["id"]}
        scope = {"scope": cmd.get("scope", "global"), "workspace": cmd.get("workspace", "")}
        if op == "send":
            await agent.send_message_to_agent(
                cmd["workspace"],
                cmd["implementation"],
                cmd["specifier"],
                raw(cmd["payload"]),
                cmd["type"],
            )
        elif op == "kv_put":
            put = answered(await agent.kv_put(cmd["key"], raw(cmd["value"]), **scope))
            reply["success"] = put.success
        elif op == "kv_get":
            reply["value"] = b64(answered(await agent.kv_get(cmd["key"], **scope)).value)
        elif op == "kv_increment":
            counted = answered(await agent.kv_increment(cmd["key"], delta=cmd["delta"], **scope))
            reply["counter"] = counted.counter_value
        elif op == "checkpoint_save":
            saved = answered(await agent.checkpoint_save(raw(cmd["data"]), key=cmd["key"]))
            reply["success"] = saved.success
        elif op == "checkpoint_load":
            reply["data"] = b64(answered(await agent.checkpoint_load(key=cmd["key"])).data)
        elif op == "close":
            await agent.close()
            out(reply)
            return
        out(reply)
    await agent.close()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))

"""`aether send` and `aether subscribe`: messages to a topic, and the messages sent to the CLI's
own identity."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping
from contextlib import suppress
from typing import Any

import click

from scitrera_aether_client.cli.output import bytes_field, emit, fail, human_text
from scitrera_aether_client.cli.running import run_async
from scitrera_aether_client.cli.settings import settings
from scitrera_aether_client.client_async import BaseAsyncAetherClient
from scitrera_aether_client.proto import aether_pb2

MESSAGE_TYPES: Mapping[str, int] = {
    "opaque": aether_pb2.OPAQUE,
    "chat": aether_pb2.CHAT,
    "control": aether_pb2.CONTROL,
    "tool_call": aether_pb2.TOOL_CALL,
    "event": aether_pb2.EVENT,
    "metric": aether_pb2.METRIC,
}


@click.command()
@click.argument("topic")
@click.argument("payload", required=False)
@click.option(
    "--file",
    "payload_file",
    type=click.File("rb"),
    help="Read the payload from a file ('-' for stdin) instead of PAYLOAD.",
)
@click.option(
    "--type",
    "message_type",
    type=click.Choice(list(MESSAGE_TYPES)),
    default="opaque",
    show_default=True,
)
def send(topic: str, payload: str | None, payload_file: Any, message_type: str) -> None:
    """Send PAYLOAD (text) to TOPIC, e.g. ag::ws::bot::1 or us::alice::w1.

    With a gateway that confirms sends (the delivery extension), returns once the message is
    stored; a refusal exits 1.
    """
    if (payload is None) == (payload_file is None):
        raise click.UsageError("give PAYLOAD or --file, not both and not neither")
    data: bytes = payload.encode() if payload is not None else payload_file.read()

    async def work(client: BaseAsyncAetherClient) -> bool:
        committed = client.delivery_mode == "acknowledged"
        await client.send_message(
            topic, data, MESSAGE_TYPES[message_type], wait_for_commit=committed
        )
        return committed

    committed = run_async(work)
    how = "stored by the gateway" if committed else "written (the gateway confirms no sends)"
    emit(
        f"sent {len(data)} bytes to {topic}: {how}",
        {"topic": topic, "bytes": len(data), "committed": committed},
    )


@click.command()
@click.option(
    "--count", type=click.IntRange(min=1), help="Exit after this many messages (exit 1 if fewer)."
)
@click.option(
    "--timeout",
    "duration",
    type=click.FloatRange(min=0, min_open=True),
    help="Exit after this many seconds.",
)
def subscribe(count: int | None, duration: float | None) -> None:
    """Print the messages sent to the CLI's identity (see --as) as they arrive.

    Runs until --count messages arrived, --timeout seconds passed, or Ctrl-C. Messages that
    arrive after the last one counted are not acknowledged, so the gateway redelivers them.
    """
    s = settings()
    printed = 0

    async def work(client: BaseAsyncAetherClient) -> int:
        nonlocal printed
        enough = asyncio.Event()

        async def on_message(msg: aether_pb2.IncomingMessage) -> None:
            nonlocal printed
            if count is not None and printed >= count:
                await asyncio.Event().wait()  # never returns: unacknowledged, redelivered later
            printed += 1
            show_message(msg)
            if count is not None and printed >= count:
                enough.set()

        client.on_message = on_message
        click.echo(f"subscribed as {s.identity} on {s.target}", err=True)
        with suppress(TimeoutError):  # --timeout ran out: report what arrived
            await asyncio.wait_for(enough.wait(), duration)
        return printed

    try:
        run_async(work)
    except KeyboardInterrupt:
        sys.exit(130)
    if count is not None and printed < count:
        fail(f"timed out after {printed} of {count} messages")


def show_message(msg: aether_pb2.IncomingMessage) -> None:
    known = msg.message_type in MESSAGE_VALUES  # an open enum: a newer sender's type is a number
    kind = aether_pb2.MessageType.Name(msg.message_type) if known else str(msg.message_type)
    emit(
        f"{msg.source_topic} [{kind}] {human_text(msg.payload)}",
        {
            "source_topic": msg.source_topic,
            "message_type": kind,
            "message_id": msg.message_id,
            "redelivered": msg.redelivered,
            **bytes_field("payload", msg.payload),
        },
    )


MESSAGE_VALUES = frozenset(aether_pb2.MessageType.values())

"""A client in its own process, for delivery tests that freeze or kill it.

    python _peer.py receive TARGET SPEC OUTFILE [MS] record "<payload> <redelivered>" per message,
                                                     taking MS milliseconds over each
    python _peer.py send-committed TARGET SPEC TO N  send N messages with wait_for_commit=True,
                                                     printing "COMMITTED i" after each returned

Both connect as agent ("dlv", "peer", SPEC) and print READY once connected; both run until killed.
"""

from __future__ import annotations

import sys
import threading
import time

from scitrera_aether_client import AgentClient
from scitrera_aether_client.proto.aether_pb2 import IncomingMessage


def receive(target: str, spec: str, outfile: str, slow_ms: float = 0.0) -> None:
    out = open(outfile, "a", buffering=1)  # noqa: SIM115 (kept open until the process is killed)

    def record(msg: IncomingMessage) -> None:
        # Written through to the OS before the callback returns: after that the SDK acknowledges
        # the message, and a kill cannot lose what this line already holds.
        out.write(f"{msg.payload.decode()} {int(msg.redelivered)}\n")
        if slow_ms:
            time.sleep(slow_ms / 1000)  # a slow handler: received messages queue up behind it

    client = AgentClient("dlv", "peer", spec, max_retries=0, initial_backoff=0.05)
    client.on_message = record
    client.connect(target)
    print(f"READY {client.delivery_mode}", flush=True)
    threading.Event().wait()


def send_committed(target: str, spec: str, to: str, count: int) -> None:
    client = AgentClient("dlv", "peer", spec, max_retries=0, initial_backoff=0.05)
    client.connect(target)
    print(f"READY {client.delivery_mode}", flush=True)
    for i in range(count):
        client.send_message_to_agent("dlv", "peer", to, str(i).encode(), wait_for_commit=True)
        print(f"COMMITTED {i}", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "receive":
        receive(args[0], args[1], args[2], float(args[3]) if len(args) > 3 else 0.0)
    elif command == "send-committed":
        send_committed(args[0], args[1], args[2], int(args[3]))
    else:
        sys.exit(f"unknown command {command!r}")

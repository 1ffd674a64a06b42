"""Committed KV, checkpoint and queue writes survive the gateway process being killed (SIGKILL)."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from aether_gateway.store.checkpoints import CheckpointStore
from aether_gateway.store.db import Database
from aether_gateway.store.kv import KVStore
from aether_gateway.store.queue import MessageQueue

# Runs in a child interpreter: writes through a file database, then kills itself with no close,
# no atexit and no checkpointing of the WAL, as `kill -9` of a running gateway would.
WRITER = """
import os, signal, sys
from aether_gateway.store.checkpoints import CheckpointStore
from aether_gateway.store.db import Database
from aether_gateway.store.kv import KVStore
from aether_gateway.store.queue import MessageQueue

db = Database(sys.argv[1])
kv = KVStore(db)
kv.put("kv:global", "greeting", b"hello")
kv.increment("kv:ws:ws1", "counter", 41)
kv.increment("kv:ws:ws1", "counter", 1)
CheckpointStore(db).save("ag::ws1::impl::a1", "default", b"state")
queue = MessageQueue(db)
queue.enqueue("ag::ws1::impl::a1", b"first")
queue.enqueue_many([("ag::ws1::impl::a1", b"second"), ("ag::ws1::impl::a1", b"third")])
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_writes_survive_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "state" / "gateway.db"
    child = subprocess.run([sys.executable, "-c", WRITER, str(path)], check=False, timeout=60)
    assert child.returncode == -signal.SIGKILL

    db = Database(path)
    kv = KVStore(db)
    assert kv.get("kv:global", "greeting") == b"hello"
    assert kv.get("kv:ws:ws1", "counter") == b"42"
    loaded = CheckpointStore(db).load("ag::ws1::impl::a1", "default")
    assert loaded is not None
    assert loaded[0] == b"state"
    pending = MessageQueue(db).pending("ag::ws1::impl::a1")
    assert [frame for _, frame in pending] == [b"first", b"second", b"third"]

"""Synchronous examples: `python examples/example.py agent|orchestrator|workflow|metrics`.

Each scenario runs against `--target HOST:PORT`, or an embedded gateway started for the run.
"""

from __future__ import annotations

import queue
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _target import gateway_target, parse

from scitrera_aether_client import (
    CHAT,
    EVENT,
    AgentClient,
    MetricsBridgeClient,
    OrchestratorClient,
    WorkflowEngineClient,
    new_metric,
)
from scitrera_aether_client.proto import aether_pb2


def agent(target: str) -> None:
    """Two agents chat, then one uses KV, checkpoints and tasks."""
    inbox: queue.Queue[aether_pb2.IncomingMessage] = queue.Queue()
    with (
        AgentClient("default", "worker", "01") as worker,
        AgentClient("default", "peer", "01") as peer,
    ):
        peer.on_chat_message = inbox.put
        worker.connect(target)
        peer.connect(target)
        worker.send_message_to_agent("default", "peer", "01", b"hello from worker", CHAT)
        msg = inbox.get(timeout=5)
        print(f"peer got {msg.payload!r} from {msg.source_topic}")

        kv: queue.Queue[aether_pb2.KVResponse] = queue.Queue()
        worker.on_kv_response = kv.put
        worker.kv_put("config/greeting", b"hi", scope="global")  # fire-and-forget
        worker.kv_get("config/greeting", scope="global")  # answer arrives in on_kv_response
        print(f"kv put ok={kv.get(timeout=5).success}, get value={kv.get(timeout=5).value!r}")

        saved = worker.checkpoint_save_sync(b"state-1", key="progress", timeout=5)
        loaded = worker.checkpoint_load_sync(key="progress", timeout=5)
        print(f"checkpoint saved={saved and saved.success} loaded={loaded and loaded.data!r}")

        task = worker.create_task_sync("data-processing", "default", metadata={"priority": "high"})
        print(f"task {task and task.task_id} status={task and task.status!r}")


def orchestrator(target: str) -> None:
    """An orchestrator receives the startup order for an offline registered agent."""
    orders: queue.Queue[aether_pb2.TaskAssignment] = queue.Queue()
    with (
        OrchestratorClient("local-orchestrator", ["local"]) as orc,
        AgentClient("default", "dispatcher", "01") as dispatcher,
    ):
        orc.on_task_assignment = orders.put
        orc.connect(target)
        dispatcher.connect(target)
        register = aether_pb2.AgentOperation(
            op=aether_pb2.AgentOperation.REGISTER,
            agent=aether_pb2.AgentRegistrationInfo(
                implementation="sleeper", orchestrator_profile="local"
            ),
        )
        dispatcher.agent_op(register, timeout=5)
        created = dispatcher.create_task_sync(
            "summarise", "default", target_agent_id="ag::default::sleeper::01", timeout=5
        )
        print(f"targeted task status={created and created.status!r}")
        order = orders.get(timeout=5)
        who = f"{order.target_implementation}/{order.specifier}"
        print(f"orchestrator got {order.task_type} for {who}")


def workflow(target: str) -> None:
    """Agents send events; the workflow engine receives them and commands an agent."""
    events: queue.Queue[aether_pb2.IncomingMessage] = queue.Queue()
    commands: queue.Queue[aether_pb2.IncomingMessage] = queue.Queue()
    with WorkflowEngineClient() as engine, AgentClient("default", "emitter", "01") as emitter:
        engine.on_event = events.put
        emitter.on_control_message = commands.put
        engine.connect(target)
        emitter.connect(target)
        emitter.send_event(b'{"event": "completed"}')
        event = events.get(timeout=5)
        print(f"engine got event {event.payload!r} type={event.message_type == EVENT}")
        engine.send_command_to_agent("default", "emitter", "01", b"next-step")
        print(f"agent got command {commands.get(timeout=5).payload!r}")


def metrics(target: str) -> None:
    """An agent publishes a Metric; the metrics bridge receives it."""
    received: queue.Queue[aether_pb2.IncomingMessage] = queue.Queue()
    with MetricsBridgeClient() as bridge, AgentClient("default", "measured", "01") as agent_client:
        bridge.on_metric = received.put
        bridge.connect(target)
        agent_client.connect(target)
        metric = (
            new_metric().trace("t-1").add("latency_ms", "gauge", 42.0).tag("route", "a").build()
        )
        agent_client.send_metric(metric)
        got = aether_pb2.Metric.FromString(received.get(timeout=5).payload)
        print(f"bridge got {got.entries[0].name}={got.entries[0].qty} trace={got.trace_id}")


SCENARIOS = {"agent": agent, "orchestrator": orchestrator, "workflow": workflow, "metrics": metrics}

if __name__ == "__main__":
    args = parse(list(SCENARIOS))
    with gateway_target(args.target) as address:
        SCENARIOS[args.scenario](address)
    print("done")

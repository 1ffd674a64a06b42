/** All eight generated principal classes against the gateway: each connects with its identity,
 * its helpers address the right topics, and the permission table the spec declares holds. */

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { create } from "@bufbuild/protobuf";

import {
  AgentClient,
  BridgeClient,
  MessageType,
  MetricsBridgeClient,
  OrchestratorClient,
  PRINCIPALS,
  SERVICE_WILDCARD,
  ServiceClient,
  TaskClient,
  UserClient,
  WorkflowEngineClient,
  createTopicAgent,
  createTopicService,
  proto,
  type BaseClient,
  type CommonHandlers,
} from "../src/index.js";
import { Inbox, startGateway, str, text, unique, type Gateway, closeClientsAfterEachTest } from "./support/gateway.js";

closeClientsAfterEachTest();

let gateway: Gateway;
let engine: WorkflowEngineClient; // a singleton principal: one for the whole file
const events = new Inbox<proto.IncomingMessage>();
const opened: BaseClient<CommonHandlers>[] = [];

before(async () => {
  gateway = await startGateway();
  engine = await open(new WorkflowEngineClient({}, { handlers: { onEvent: events.push } }));
});

after(async () => {
  await Promise.all(opened.map((c) => c.close()));
  await gateway.dispose();
});

async function open<C extends BaseClient<CommonHandlers>>(client: C): Promise<C> {
  await client.connect(gateway.target);
  opened.push(client);
  return client;
}

test("one class per principal of the spec, named by it", () => {
  const classes = [AgentClient, TaskClient, UserClient, OrchestratorClient, WorkflowEngineClient, MetricsBridgeClient, ServiceClient, BridgeClient];
  assert.deepEqual(classes.map((c) => c.PRINCIPAL).sort(), Object.keys(PRINCIPALS).sort());
});

test("topic builders follow the templates and refuse separators", () => {
  assert.equal(createTopicAgent("ws", "impl", "spec"), "ag::ws::impl::spec");
  assert.equal(createTopicService("cache", "one"), "sv::cache::one");
  assert.throws(() => createTopicAgent("ws", "im:pl", "spec"), /implementation/);
});

test("an orchestrator's status reaches an agent as CONTROL; it may not address users", async () => {
  const ws = unique("ws");
  const control = new Inbox<proto.IncomingMessage>();
  await open(new AgentClient({ workspace: ws, implementation: "bot", specifier: "a" }, { handlers: { onControlMessage: control.push } }));
  const errors = new Inbox<proto.ErrorResponse>();
  const orc = await open(new OrchestratorClient({ implementation: "k8s", supportedProfiles: ["default"] }, { handlers: { onError: errors.push } }));
  assert.match(orc.specifier, /^[0-9a-f]{8}$/); // generated when not given
  await orc.sendStatusToAgent(ws, "bot", "a", text("starting"));
  const msg = await control.next("the status");
  assert.equal(str(msg.payload), "starting");
  assert.equal(msg.messageType, MessageType.CONTROL);
  assert.equal(PRINCIPALS.orchestrator?.maySendTo.has("us"), false);
  await orc.sendMessage("us::someone::w1", text("not allowed"));
  assert.equal((await errors.next("the permission refusal")).code, "ERR_PERMISSION_DENIED");
});

test("tasks: a unique task gets its messages, a pooled one an assigned id", async () => {
  const ws = unique("ws");
  const got = new Inbox<proto.IncomingMessage>();
  const task = await open(new TaskClient({ workspace: ws, implementation: "job", uniqueSpecifier: "t1" }, { handlers: { onMessage: got.push } }));
  const pooled = await open(new TaskClient({ workspace: ws, implementation: "job" }));
  assert.notEqual(pooled.assignedId, "");
  assert.equal(task.assignedId, "");
  const sender = await open(new AgentClient({ workspace: ws, implementation: "bot", specifier: "s" }));
  await sender.sendMessageToTask(ws, "job", text("for t1"), "t1");
  assert.equal(str((await got.next("the task message")).payload), "for t1");
});

test("a user switches workspace and receives that workspace's broadcasts from the engine", async () => {
  const ws = unique("ws");
  const userId = unique("u");
  const got = new Inbox<proto.IncomingMessage>();
  const user = await open(new UserClient({ userId, windowId: "w1" }, { handlers: { onMessage: got.push } }));
  user.switchWorkspace(ws);
  // SwitchWorkspace has no answer and gu:: is a live lane: probe until the subscription shows.
  const deadline = performance.now() + 10_000;
  for (;;) {
    await engine.sendBroadcastToUsers(ws, text("to the workspace"));
    const seen = await got.next("the broadcast", 250).catch(() => undefined);
    if (seen !== undefined) {
      assert.equal(str(seen.payload), "to the workspace");
      break;
    }
    assert.ok(performance.now() < deadline, "no broadcast reached the user");
  }
  await engine.sendMessageToUser(userId, "w1", text("direct"));
  for (;;) {
    const msg = await got.next("the direct message");
    if (str(msg.payload) === "direct") break;
  }
});

test("events reach the workflow engine, metrics the metrics bridge", async () => {
  const ws = unique("ws");
  const metrics = new Inbox<proto.IncomingMessage>();
  const bridge = await open(new MetricsBridgeClient({}, { handlers: { onMetric: metrics.push } }));
  const agent = await open(new AgentClient({ workspace: ws, implementation: "bot", specifier: "m" }));
  await agent.sendEvent(text("something happened"));
  const event = await events.next("the event");
  assert.equal(str(event.payload), "something happened");
  assert.equal(event.messageType, MessageType.EVENT);
  const metric = create(proto.MetricSchema, { traceId: "t", entries: [{ name: "latency", kind: "ms", qty: 42 }] });
  await agent.sendMetric(metric);
  const got = await metrics.next("the metric");
  assert.equal(got.messageType, MessageType.METRIC);
  const decoded = (await import("@bufbuild/protobuf")).fromBinary(proto.MetricSchema, got.payload);
  assert.equal(decoded.entries[0]?.qty, 42);
  await assert.rejects(agent.sendMetric(create(proto.MetricSchema, {})), /no entries/);
  const errors = new Inbox<proto.ErrorResponse>();
  bridge.handlers.onError = errors.push;
  await bridge.sendAcknowledgment(createTopicAgent(ws, "bot", "m"), text("ack"));
  assert.equal((await errors.next("the refusal of a metrics-bridge send")).code, "ERR_PERMISSION_DENIED");
});

test("a service is reached by its specifier or by SERVICE_WILDCARD; a bridge reaches an agent", async () => {
  const ws = unique("ws");
  const impl = unique("cache");
  const got = new Inbox<proto.IncomingMessage>();
  await open(new ServiceClient({ implementation: impl, specifier: "one" }, { handlers: { onMessage: got.push } }));
  const agent = await open(new AgentClient({ workspace: ws, implementation: "bot", specifier: "c" }));
  await agent.sendMessageToService(impl, "one", text("direct"));
  assert.equal(str((await got.next("the direct message")).payload), "direct");
  await agent.sendMessageToService(impl, SERVICE_WILDCARD, text("any"));
  assert.equal(str((await got.next("the wildcard message")).payload), "any");
  const toAgent = new Inbox<proto.IncomingMessage>();
  await open(new AgentClient({ workspace: ws, implementation: "bot", specifier: "d" }, { handlers: { onMessage: toAgent.push } }));
  const bridge = await open(new BridgeClient({ implementation: "slack", specifier: "b1" }));
  await bridge.sendMessageToAgent(ws, "bot", "d", text("from slack"));
  const msg = await toAgent.next("the bridged message");
  assert.equal(msg.sourceTopic, "br::slack::b1");
});

test("a service that does not consume pool tasks says so in its identity", () => {
  const service = new ServiceClient({ implementation: "cache", specifier: "x", consumesPoolTasks: false });
  assert.equal(service.consumesPoolTasks, false);
  assert.equal(new ServiceClient({ implementation: "cache", specifier: "y" }).consumesPoolTasks, true);
});

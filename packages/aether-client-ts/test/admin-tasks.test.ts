/** Admin basics (workspaces, sessions, health, the workflow relay) and tasks (creation, targeted
 * assignment, queries, operations) through the TypeScript client. The gateway runs --dev, where
 * admin is open to every principal. */

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { create } from "@bufbuild/protobuf";

import { AgentClient, UserClient, WorkflowEngineClient, proto } from "../src/index.js";
import { Inbox, startGateway, str, text, unique, type Gateway, closeClientsAfterEachTest } from "./support/gateway.js";

closeClientsAfterEachTest();

let gateway: Gateway;
let admin: AgentClient;

before(async () => {
  gateway = await startGateway();
  admin = new AgentClient({ workspace: "ops", implementation: "console", specifier: "admin" });
  await admin.connect(gateway.target);
});

after(async () => {
  await admin.close();
  await gateway.dispose();
});

test("workspaces: create, get, list, delete", async () => {
  const id = unique("proj");
  const created = await admin.createWorkspace(id, { displayName: "Project", metadata: { tier: "1" } });
  assert.equal(created.success, true, created.error);
  const duplicate = await admin.createWorkspace(id);
  assert.equal(duplicate.success, false);
  assert.match(duplicate.error, /already exists/);
  const got = await admin.getWorkspace(id);
  assert.equal(got.workspace?.displayName, "Project");
  assert.deepEqual(got.workspace?.metadata, { tier: "1" });
  assert.ok((await admin.listWorkspaces()).workspaces.some((w) => w.workspaceId === id));
  assert.equal((await admin.deleteWorkspace(id)).success, true);
  const gone = await admin.getWorkspace(id);
  assert.equal(gone.success, false);
  assert.match(gone.error, /not found/);
});

test("sessions: list and get; a forced disconnect signals and the client does not come back", async () => {
  const ws = unique("ws");
  const signals = new Inbox<proto.Signal>();
  let drops = 0;
  const victim = new AgentClient({ workspace: ws, implementation: "bot", specifier: "victim" }, {
    initialBackoffMs: 50, maxBackoffMs: 100, handlers: { onSignal: signals.push, onDisconnect: () => void (drops += 1) },
  });
  await victim.connect(gateway.target);
  const user = new UserClient({ userId: unique("kim"), windowId: "w1" });
  await user.connect(gateway.target);
  const agents = await admin.listSessions({ principalType: "agent", workspace: ws });
  assert.deepEqual(agents.connections.map((c) => c.identity), [`ag::${ws}::bot::victim`]);
  const users = await admin.listSessions({ principalType: "User" });
  assert.ok(users.connections.some((c) => c.sessionId === user.sessionId));
  const got = await admin.getSession(victim.sessionId);
  assert.equal(got.connection?.type, proto.PrincipalType.PRINCIPAL_AGENT);
  assert.equal(got.connection?.specifier, "victim");
  const done = await admin.disconnectSession(victim.sessionId, "maintenance");
  assert.equal(done.success, true, done.error);
  assert.equal((await signals.next("FORCE_DISCONNECT")).type, proto.Signal_SignalType.FORCE_DISCONNECT);
  await victim.waitUntilDisconnected();
  assert.equal(victim.isRunning, false);
  assert.equal(drops, 1);
  await user.close();
});

test("health answers with a status", async () => {
  const health = await admin.health();
  assert.equal(health.success, true, health.error);
  assert.equal(health.health?.status, proto.HealthStatus.HEALTHY);
});

test("a workflow operation is relayed to the engine's typed onWorkflowOp and answered", async () => {
  const forwarded = new Inbox<proto.WorkflowOperation>();
  const engine: WorkflowEngineClient = new WorkflowEngineClient({}, {
    handlers: {
      onWorkflowOp: (op) => {
        forwarded.push(op);
        const data = text(JSON.stringify([{ RuleName: "r1", Workspace: op.workspace }]));
        engine.sendWorkflowResponse(create(proto.WorkflowResponseSchema, { success: true, data, totalCount: 1, requestId: op.requestId }));
      },
    },
  });
  await engine.connect(gateway.target);
  try {
    const op = create(proto.WorkflowOperationSchema, { op: proto.WorkflowOperation_OpType.LIST_RULES, workspace: "proj" });
    const response = await admin.workflowOp(op);
    assert.equal(response.success, true, response.error);
    assert.deepEqual(JSON.parse(str(response.data)), [{ RuleName: "r1", Workspace: "proj" }]);
    assert.equal((await forwarded.next("the relayed op")).op, proto.WorkflowOperation_OpType.LIST_RULES);
  } finally {
    await engine.close();
  }
});

test("a targeted task is pushed to the worker's onTaskAssignment and its status moves", async () => {
  const ws = unique("ws");
  const impl = unique("worker");
  const registered = await admin.agentOp(
    create(proto.AgentOperationSchema, { op: proto.AgentOperation_OpType.REGISTER, agent: { implementation: impl } }),
  );
  assert.equal(registered.success, true, registered.error);
  const assignments = new Inbox<proto.TaskAssignment>();
  const worker = new AgentClient({ workspace: ws, implementation: impl, specifier: "w1" }, { handlers: { onTaskAssignment: assignments.push } });
  await worker.connect(gateway.target);
  const creator = new AgentClient({ workspace: ws, implementation: "boss", specifier: "one" });
  await creator.connect(gateway.target);
  try {
    const created = await creator.createTaskSync("translate", ws, {
      targetAgentId: `ag::${ws}::${impl}::w1`, payload: text("bonjour"), metadata: { lang: "fr" },
    });
    assert.equal(created.success, true, created.errorMessage);
    assert.equal(created.assignedTo, `ag::${ws}::${impl}::w1`);
    const assignment = await assignments.next("the assignment");
    assert.equal(assignment.taskId, created.taskId);
    assert.equal(str(assignment.payload), "bonjour");
    assert.equal((await worker.completeTask(created.taskId, "done")).success, true);
    const task = await creator.getTask(created.taskId);
    assert.equal(task.task?.status, proto.TaskStatus.COMPLETED);
    assert.deepEqual(task.task?.metadata, { lang: "fr" });
  } finally {
    await worker.close();
    await creator.close();
  }
});

test("tasks: queries by type and status, cancel, fail and retry", async () => {
  const ws = unique("ws");
  const agent = new AgentClient({ workspace: ws, implementation: "bot", specifier: "ops" });
  await agent.connect(gateway.target);
  try {
    const ids: string[] = [];
    for (const type of ["alpha", "beta", "alpha"]) ids.push((await agent.createTaskSync(type, ws)).taskId);
    const [first, second, third] = ids as [string, string, string];
    assert.equal((await agent.completeTask(first)).success, true);
    const alphas = await agent.queryTasks({ workspace: ws, taskType: "alpha" });
    assert.deepEqual(new Set(alphas.tasks.map((t) => t.taskId)), new Set([first, third]));
    const completed = await agent.queryTasks({ workspace: ws, status: "completed" });
    assert.deepEqual(completed.tasks.map((t) => t.taskId), [first]);
    assert.equal((await agent.cancelTask(second, "not needed")).success, true);
    assert.equal((await agent.getTask(second)).task?.status, proto.TaskStatus.CANCELLED);
    const failed = await agent.failTask(third, "disk full");
    assert.equal(failed.task?.error, "disk full");
    const retried = await agent.retryTask(third);
    assert.equal(retried.task?.attempt, 2);
    assert.equal((await agent.getTask(third)).task?.status, proto.TaskStatus.QUEUED);
    const missing = await agent.getTask("no-such-task");
    assert.equal(missing.success, false);
    assert.equal(missing.error, "task not found");
    // A fire-and-forget creation is on the stream before the next query: it shows up in it.
    agent.createTask("gamma", ws);
    const gammas = await agent.queryTasks({ workspace: ws, taskType: "gamma" });
    assert.equal(gammas.tasks.length, 1);
  } finally {
    await agent.close();
  }
});

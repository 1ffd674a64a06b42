import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { AgentClient, MessageType, type proto } from "../src/index.js";
import { Inbox, startGateway, str, text, unique, type Gateway, closeClientsAfterEachTest } from "./support/gateway.js";

closeClientsAfterEachTest();

let gateway: Gateway;

before(async () => {
  gateway = await startGateway();
});

after(async () => {
  await gateway.dispose();
});

test("an agent's CHAT message reaches another agent's onChatMessage and onMessage", async () => {
  const ws = unique("ws");
  const chats = new Inbox<proto.IncomingMessage>();
  const all = new Inbox<proto.IncomingMessage>();
  const one = new AgentClient({ workspace: ws, implementation: "echo", specifier: "one" });
  const two = new AgentClient(
    { workspace: ws, implementation: "echo", specifier: "two" },
    { handlers: { onChatMessage: chats.push, onMessage: all.push } },
  );
  await one.connect(gateway.target);
  await two.connect(gateway.target);
  await one.sendMessageToAgent(ws, "echo", "two", text("hello"), MessageType.CHAT);
  const msg = await chats.next("the CHAT message");
  assert.equal(str(msg.payload), "hello");
  assert.equal(msg.sourceTopic, `ag::${ws}::echo::one`);
  assert.equal(msg.messageType, MessageType.CHAT);
  assert.equal(str((await all.next("onMessage after the typed handler")).payload), "hello");
  await one.close();
  await two.close();
});

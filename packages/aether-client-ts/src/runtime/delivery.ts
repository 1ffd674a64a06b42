/**
 * The delivery extension's client side, free of I/O: ids, confirmations, duplicates, acks.
 *
 * aether.v1 has no delivery acknowledgement. When the gateway negotiates this extension (the
 * embedded gateway does; the Go gateway does not) the client:
 *
 * - gives every SendMessage an id that survives resends and keeps the frame until the gateway
 *   confirms it committed it (SendConfirm), resending the unconfirmed ones on the next stream;
 * - acknowledges each queued message it received (DeliveryAck of its delivery_tag) only after the
 *   application's handlers for it settled, so the gateway keeps and redelivers what the
 *   application never finished;
 * - drops messages whose id it saw recently, so resends and redeliveries reach handlers once.
 *
 * Without the extension the connection runs "best effort" (a resend window, see connection.ts).
 */

import { randomUUID } from "node:crypto";

import { create } from "@bufbuild/protobuf";

import {
  DeliveryAckSchema,
  ExtensionDeclarationSchema,
  UpstreamMessageSchema,
  type ConnectionAck,
  type ExtensionDeclaration,
  type UpstreamMessage,
} from "../proto/aether/v1/aether_pb.js";

export const DELIVERY_URI = "urn:scitrera-aether-sdk:delivery";
export const DELIVERY_VERSION = "1";
export const ACKNOWLEDGED = "acknowledged";
export const BEST_EFFORT = "best-effort";
export type DeliveryMode = typeof ACKNOWLEDGED | typeof BEST_EFFORT;
/** The duplicate filter remembers ids for this long, and at most this many. */
export const SEEN_WINDOW_MS = 600_000;
export const SEEN_WINDOW_IDS = 200_000;
/** Acks wait this long to be batched into one DeliveryAck (or until ACK_BATCH are pending): a
 * frame per message would double the frames the gateway handles, and a few ms only postpone a
 * deletion, never a delivery. */
export const ACK_DELAY_MS = 5;
export const ACK_BATCH = 1024;

export function declaration(): ExtensionDeclaration {
  return create(ExtensionDeclarationSchema, { uri: DELIVERY_URI, version: DELIVERY_VERSION, required: false });
}

export function negotiated(ack: ConnectionAck): boolean {
  return ack.negotiatedExtensions.some((n) => n.uri === DELIVERY_URI && n.supported);
}

/** Unique message ids, cheap to make: a random per-client prefix and a counter. */
export class MessageIds {
  private readonly prefix = randomUUID().replaceAll("-", "").slice(0, 20);
  private counter = 0;

  next(): string {
    this.counter += 1;
    return `${this.prefix}-${this.counter.toString(16)}`;
  }
}

/** Ids delivered to the application recently (bounded by age and by count). */
export class SeenWindow {
  private readonly seen = new Map<string, number>(); // insertion order = age order

  constructor(
    private readonly maxAgeMs = SEEN_WINDOW_MS,
    private readonly maxIds = SEEN_WINDOW_IDS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Record `messageId`; false when it was already seen within the window. */
  firstTime(messageId: string): boolean {
    const now = this.now();
    this.expire(now);
    if (this.seen.has(messageId)) {
      return false;
    }
    this.seen.set(messageId, now);
    if (this.seen.size > this.maxIds) {
      const oldest = this.seen.keys().next();
      if (!oldest.done) this.seen.delete(oldest.value);
    }
    return true;
  }

  get size(): number {
    return this.seen.size;
  }

  private expire(now: number): void {
    const horizon = now - this.maxAgeMs;
    for (const [id, at] of this.seen) {
      if (at >= horizon) return;
      this.seen.delete(id);
    }
  }
}

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

/** Sends written to a stream and not yet confirmed by the gateway, oldest first; and the callers
 * waiting for a commit (waitForCommit). */
export class Unconfirmed {
  readonly frames = new Map<string, UpstreamMessage>();
  readonly waiters = new Map<string, Waiter>();

  written(messageId: string, frame: UpstreamMessage): void {
    this.frames.set(messageId, frame);
  }

  confirm(ids: Iterable<string>): void {
    for (const id of ids) {
      this.frames.delete(id);
      const waiter = this.waiters.get(id);
      this.waiters.delete(id);
      waiter?.resolve();
    }
  }

  refuse(messageId: string, error: Error): void {
    this.frames.delete(messageId);
    const waiter = this.waiters.get(messageId);
    this.waiters.delete(messageId);
    waiter?.reject(error);
  }

  /** Everything unconfirmed, for resending on a new stream (in the original order). */
  takeAll(): UpstreamMessage[] {
    const frames = [...this.frames.values()];
    this.frames.clear();
    return frames;
  }

  failWaiters(error: Error): void {
    const waiters = [...this.waiters.values()];
    this.waiters.clear();
    for (const waiter of waiters) waiter.reject(error);
  }

  get size(): number {
    return this.frames.size;
  }
}

/** Collects delivery tags and sends them as one DeliveryAck per ACK_DELAY_MS (or ACK_BATCH tags).
 * A tag is the gateway's id of the stored message, the same on every session of the identity, so
 * tags collected before a reconnect are still worth sending after it. */
export class AckBatcher {
  private tags: bigint[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly send: (frame: UpstreamMessage) => void) {}

  add(tag: bigint): void {
    this.tags.push(tag);
    if (this.tags.length >= ACK_BATCH) {
      this.flush();
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), ACK_DELAY_MS);
    }
  }

  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const tags = this.tags;
    this.tags = [];
    for (let start = 0; start < tags.length; start += ACK_BATCH) {
      const ack = create(DeliveryAckSchema, { deliveryTags: tags.slice(start, start + ACK_BATCH) });
      try {
        this.send(create(UpstreamMessageSchema, { payload: { case: "deliveryAck", value: ack } }));
      } catch {
        return; // closed: the gateway keeps these messages and redelivers them, flagged
      }
    }
  }
}

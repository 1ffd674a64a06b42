/**
 * The outbound buffer between callers and the stream. Sends never touch the network directly:
 * they append here and the connection moves frames into the stream while it takes them.
 *
 * - stream up: a sender that finds more than `capacity` frames waiting is slowed down (its
 *   promise waits) until the stream catches up: backpressure, nothing refused;
 * - stream down (before connect, while reconnecting): frames wait up to `capacity`, and a send
 *   beyond that throws BufferFullError instead of growing without bound or dropping silently.
 */

import type { UpstreamMessage } from "../proto/aether/v1/aether_pb.js";
import { BufferFullError } from "./errors.js";

export class Outbox {
  private frames: UpstreamMessage[] = [];
  private head = 0;
  private streamUp = false;
  private waiters: (() => void)[] = [];

  constructor(readonly capacity: number) {}

  get length(): number {
    return this.frames.length - this.head;
  }

  /** More than `capacity` frames wait on a live stream: the sender should wait. */
  get crowded(): boolean {
    return this.streamUp && this.length > this.capacity;
  }

  setStreamUp(up: boolean): void {
    this.streamUp = up;
    this.releaseWaiters(true);
  }

  /** Queue one frame; refused only while the stream is down and the buffer full. */
  put(frame: UpstreamMessage): void {
    if (!this.streamUp && this.length >= this.capacity) {
      throw new BufferFullError(
        `outbound buffer full (${this.capacity} frames) while the stream is down`,
        "BUFFER_FULL",
      );
    }
    this.frames.push(frame);
  }

  shift(): UpstreamMessage | undefined {
    if (this.head >= this.frames.length) {
      return undefined;
    }
    const frame = this.frames[this.head];
    this.head += 1;
    if (this.head === this.frames.length) {
      this.frames = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.frames.length) {
      this.frames = this.frames.slice(this.head); // keep shift O(1) amortised
      this.head = 0;
    }
    return frame;
  }

  /** Put frames back at the head (resends after a reconnect); ignores the bound. */
  requeueFront(frames: readonly UpstreamMessage[]): void {
    if (frames.length === 0) return;
    this.frames = [...frames, ...this.frames.slice(this.head)];
    this.head = 0;
  }

  /** Resolves once the backlog is back under the bound (or the stream went down). */
  room(): Promise<void> {
    if (!this.crowded) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Wake waiting senders when there is room again (all of them with `always`). */
  releaseWaiters(always = false): void {
    if (this.waiters.length === 0 || (!always && this.crowded)) {
      return;
    }
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

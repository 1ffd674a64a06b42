/**
 * Reconnect policy: how long to wait before attempt n, and when to give up. No I/O, no clock.
 *
 * The same rule as the Python SDK: attempt 0 (the first try) never waits, attempt n >= 1 waits
 * `initial * multiplier ** (n - 1)` capped at `maximum`, then receives uniform jitter of
 * `±jitter` (a fraction of the capped value) so a fleet of clients cut off by one gateway restart
 * does not reconnect in lockstep.
 */

import { InvalidArgumentError } from "./errors.js";

function finite(argument: string, value: number, minimum: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < minimum) {
    throw new InvalidArgumentError(`${argument} must be finite and >= ${minimum}, got ${String(value)}`, argument);
  }
  return value;
}

export class Backoff {
  readonly initialMs: number;
  readonly maximumMs: number;
  readonly multiplier: number;
  readonly jitter: number;

  constructor(
    initialMs: number,
    maximumMs: number,
    multiplier = 2,
    jitter = 0.25,
    private readonly random: () => number = Math.random,
  ) {
    this.initialMs = finite("initialBackoffMs", initialMs, 0);
    this.maximumMs = finite("maxBackoffMs", maximumMs, 0);
    this.multiplier = finite("backoffMultiplier", multiplier, 1);
    this.jitter = finite("jitter", jitter, 0);
    if (this.maximumMs < this.initialMs) {
      throw new InvalidArgumentError(
        `maxBackoffMs (${maximumMs}) must not be smaller than initialBackoffMs (${initialMs})`,
        "maxBackoffMs",
      );
    }
    if (this.jitter > 1) {
      throw new InvalidArgumentError(`jitter must be at most 1, got ${jitter}`, "jitter");
    }
  }

  /** The capped delay before jitter: 0 for attempt 0, then initial * multiplier ** (n - 1). */
  baseDelay(attempt: number): number {
    if (!Number.isInteger(attempt) || attempt < 0) {
      throw new InvalidArgumentError(`attempt must be a non-negative integer, got ${attempt}`, "attempt");
    }
    if (attempt === 0) {
      return 0;
    }
    return Math.min(this.initialMs * this.multiplier ** (attempt - 1), this.maximumMs);
  }

  /** Milliseconds to wait before attempt `attempt` (0 = the first try: no wait). */
  delay(attempt: number): number {
    const base = this.baseDelay(attempt);
    if (base === 0 || this.jitter === 0) {
      return base;
    }
    const spread = base * this.jitter;
    return Math.max(0, base + (this.random() * 2 - 1) * spread);
  }
}

/** How many reconnect attempts may be made in a row; `maxRetries = 0` means no limit. */
export class RetryBudget {
  constructor(readonly maxRetries: number) {
    if (!Number.isInteger(maxRetries) || maxRetries < 0) {
      throw new InvalidArgumentError(`maxRetries must be a non-negative integer, got ${maxRetries}`, "maxRetries");
    }
  }

  get unlimited(): boolean {
    return this.maxRetries === 0;
  }

  /** True once `attempts` failed attempts have used the whole budget. */
  exhausted(attempts: number): boolean {
    return !this.unlimited && attempts >= this.maxRetries;
  }
}

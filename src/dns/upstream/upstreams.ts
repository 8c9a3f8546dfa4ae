// Upstream health: a server that times out or refuses is skipped for a backoff that doubles on
// each consecutive failure. When every server is down, one query at a time probes the server that
// comes back first; the others get SERVFAIL at once instead of piling up behind a dead server.
import type { UpstreamAddress } from "./resolv-conf";

export interface UpstreamHealth {
  address: string;
  port: number;
  up: boolean;
  failures: number;
  /** Milliseconds until it is tried again, 0 when up. */
  retryInMs: number;
  lastError?: string;
}

export class Upstream {
  failures = 0;
  downUntil = 0;
  probing = false;
  lastError?: string;

  constructor(readonly address: string, readonly port: number) {}

  get label(): string {
    return this.address.includes(":") ? `[${this.address}]:${this.port}` : `${this.address}:${this.port}`;
  }
}

export interface UpstreamSetOptions {
  now?: () => number;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
}

export class UpstreamSet {
  readonly list: readonly Upstream[];
  private readonly now: () => number;
  private readonly base: number;
  private readonly max: number;

  constructor(addresses: readonly UpstreamAddress[], opts: UpstreamSetOptions = {}) {
    this.list = addresses.map((a) => new Upstream(a.address, a.port));
    this.now = opts.now ?? Date.now;
    this.base = opts.baseBackoffMs ?? 1000;
    this.max = opts.maxBackoffMs ?? 30000;
  }

  /** Servers to try, in order. Empty means: fail now. */
  candidates(): Upstream[] {
    const now = this.now();
    const healthy = this.list.filter((u) => u.downUntil <= now);
    if (healthy.length) return healthy;
    const probe = this.list.filter((u) => !u.probing).sort((a, b) => a.downUntil - b.downUntil)[0];
    if (!probe) return [];
    probe.probing = true;
    return [probe];
  }

  markUp(u: Upstream): void {
    u.failures = 0;
    u.downUntil = 0;
    u.probing = false;
    u.lastError = undefined;
  }

  markDown(u: Upstream, why: string): void {
    u.failures++;
    u.probing = false;
    u.lastError = why;
    u.downUntil = this.now() + Math.min(this.max, this.base * 2 ** Math.min(u.failures - 1, 16));
  }

  health(): UpstreamHealth[] {
    const now = this.now();
    return this.list.map((u) => ({
      address: u.address,
      port: u.port,
      up: u.downUntil <= now,
      failures: u.failures,
      retryInMs: Math.max(0, u.downUntil - now),
      ...(u.lastError ? { lastError: u.lastError } : {}),
    }));
  }
}

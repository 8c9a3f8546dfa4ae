// Everything not local goes upstream: cache first, then join an identical query already in
// flight, then the healthy servers in order within one time budget. A truncated UDP answer is
// fetched again over TCP. Every path ends in an answer or a fast SERVFAIL; nothing queues
// without bound.
import * as dnsPacket from "dns-packet";
import type { AnswerCache } from "../resolve/answer-cache";
import type { UpstreamAddress } from "./resolv-conf";
import { tcpExchange, UdpUpstream } from "./upstream-transport";
import { type Upstream, UpstreamSet } from "./upstreams";
import { CD, type ClientEdns, DO, OUR_UDP_PAYLOAD, RD, TC } from "../wire/wire";

export interface ForwardRequest {
  /** As the client spelled it (case is kept upstream, for 0x20-checking resolvers). */
  question: dnsPacket.Question;
  cd: boolean;
  edns?: ClientEdns;
  /** The client came over TCP: so do we. */
  tcp: boolean;
}

export type ForwardResult =
  | { kind: "answer"; response: Buffer; source: "cache" | "upstream" | "joined"; upstream?: string }
  | { kind: "servfail"; reason: string };

export interface ForwarderOptions {
  upstreams: readonly UpstreamAddress[];
  cache: AnswerCache;
  /** Whole budget for one query across all servers. */
  timeoutMs: number;
  /** Budget for one server before the next is tried. */
  attemptTimeoutMs: number;
  /** Distinct upstream queries in flight; beyond it, SERVFAIL at once. */
  maxInflight: number;
  now?: () => number;
  baseBackoffMs?: number;
}

// Hop-by-hop EDNS options never travel past us: cookies (10) and padding (12).
const HOP_BY_HOP = new Set([10, 12]);

export class Forwarder {
  private upstreams: UpstreamSet;
  private udp = new Map<string, UdpUpstream>();
  private readonly inflight = new Map<string, Promise<ForwardResult>>();
  /** Ends TCP exchanges still running when the server closes. */
  private readonly stop = new AbortController();
  /** Queries actually sent to a server (UDP and TCP), for metrics. */
  sent = 0;

  constructor(private readonly opts: ForwarderOptions) {
    this.upstreams = this.makeSet(opts.upstreams);
  }

  setUpstreams(list: readonly UpstreamAddress[]): void {
    const keep = new Set(list.map((u) => `${u.address}#${u.port}`));
    for (const [k, c] of this.udp) {
      if (!keep.has(k)) {
        c.close();
        this.udp.delete(k);
      }
    }
    this.upstreams = this.makeSet(list);
  }

  get upstreamSet(): UpstreamSet {
    return this.upstreams;
  }

  get cache(): AnswerCache {
    return this.opts.cache;
  }

  static cacheKey(req: Pick<ForwardRequest, "question" | "cd" | "edns">): string {
    const q = req.question;
    const e = req.edns ? (req.edns.flags & DO ? "do" : "e") : "-";
    return `${q.name.toLowerCase()}|${q.type}|${q.class ?? "IN"}|${e}|${req.cd ? 1 : 0}`;
  }

  resolve(req: ForwardRequest): Promise<ForwardResult> {
    const key = Forwarder.cacheKey(req);
    const hit = this.opts.cache.get(key);
    if (hit) return Promise.resolve({ kind: "answer", response: hit.response, source: "cache" });
    const joined = this.inflight.get(key);
    if (joined) return joined.then((r) => (r.kind === "answer" ? { ...r, source: "joined" } : r));
    if (this.inflight.size >= this.opts.maxInflight) return Promise.resolve({ kind: "servfail", reason: "too many queries in flight" });
    const p = this.query(key, req).finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  close(): void {
    this.stop.abort();
    for (const c of this.udp.values()) c.close();
    this.udp.clear();
  }

  private async query(key: string, req: ForwardRequest): Promise<ForwardResult> {
    const msg = dnsPacket.encode({
      type: "query",
      id: 0,
      flags: RD | (req.cd ? CD : 0),
      questions: [req.question],
      additionals: req.edns ? [upstreamOpt(req.edns)] : [],
    });
    const deadline = Date.now() + this.opts.timeoutMs;
    const candidates = this.upstreams.candidates();
    if (candidates.length === 0) return { kind: "servfail", reason: this.upstreams.list.length ? "all upstreams down" : "no upstream configured" };
    let reason = "time budget exhausted";
    for (let i = 0; i < candidates.length; i++) {
      const u = candidates[i];
      const left = deadline - Date.now();
      if (left <= 0) {
        for (const rest of candidates.slice(i)) rest.probing = false;
        break;
      }
      try {
        const response = await this.exchange(u, msg, req.tcp, Math.min(this.opts.attemptTimeoutMs, left), deadline);
        this.upstreams.markUp(u);
        if (!(response.readUInt16BE(2) & TC)) this.opts.cache.store(key, response);
        return { kind: "answer", response, source: "upstream", upstream: u.label };
      } catch (err) {
        reason = `${u.label}: ${(err as Error).message}`;
        this.upstreams.markDown(u, (err as Error).message);
      }
    }
    return { kind: "servfail", reason };
  }

  private async exchange(u: Upstream, msg: Buffer, tcp: boolean, timeoutMs: number, deadline: number): Promise<Buffer> {
    this.sent++;
    if (tcp) return tcpExchange(u.address, u.port, msg, timeoutMs, this.stop.signal);
    const answer = await this.udpClient(u).exchange(msg, timeoutMs);
    if (!(answer.readUInt16BE(2) & TC)) return answer;
    // Truncated: the full answer needs TCP. If TCP fails, the TC answer still tells the client to retry.
    const left = deadline - Date.now();
    if (left <= 0) return answer;
    this.sent++;
    return tcpExchange(u.address, u.port, msg, Math.min(this.opts.attemptTimeoutMs, left), this.stop.signal).catch(() => answer);
  }

  private udpClient(u: Upstream): UdpUpstream {
    const k = `${u.address}#${u.port}`;
    let c = this.udp.get(k);
    if (!c) this.udp.set(k, (c = new UdpUpstream(u.address, u.port)));
    return c;
  }

  /** A new set keeps the health of servers that stay in the list. */
  private makeSet(list: readonly UpstreamAddress[]): UpstreamSet {
    const set = new UpstreamSet(list, { now: this.opts.now, baseBackoffMs: this.opts.baseBackoffMs });
    for (const u of set.list) {
      const old = this.upstreams?.list.find((o) => o.address === u.address && o.port === u.port);
      if (old) Object.assign(u, { failures: old.failures, downUntil: old.downUntil, lastError: old.lastError });
    }
    return set;
  }
}

/** The client's OPT, kept (DO bit, end-to-end options), with a payload size that avoids fragments. */
function upstreamOpt(edns: ClientEdns): dnsPacket.Answer {
  return {
    type: "OPT",
    name: ".",
    udpPayloadSize: Math.max(512, Math.min(edns.udpPayloadSize, OUR_UDP_PAYLOAD)),
    extendedRcode: 0,
    ednsVersion: 0,
    flags: edns.flags,
    flag_do: (edns.flags & DO) !== 0,
    options: edns.options.filter((o) => !HOP_BY_HOP.has(o.code)),
  };
}

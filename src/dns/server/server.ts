// The embedded DNS server: local views answered authoritatively, the rest forwarded. Local UDP
// answers are encoded once per (view, exact question bytes) and then served by copying the
// bytes and patching id, RD and CD: the hot path does no DNS decoding at all. By default that
// hot path runs in the native addon's listener threads and only the other queries enter JS.
import * as dnsPacket from "dns-packet";
import { AnswerCache } from "../resolve/answer-cache";
import { type ClientAcl, clientAcl } from "./client-acl";
import { compressMessage } from "../wire/compress";
import { type DnsCounters, zeroCounters } from "./counters";
import type { DnsPolicyHook } from "./dns-policy";
import { type ExplainResult, explainQuery } from "../resolve/explain";
import { Forwarder } from "../upstream/forwarder";
import { HotAnswers } from "../resolve/hot-answers";
import { type ListenAddress, type ListenOptions, Listener, type Reply } from "./listener";
import { type LocalAnswer, resolveLocal } from "../resolve/local-resolver";
import { encodeChased, externalCnameTarget } from "../resolve/cname-chase";
import { LocalZones } from "../resolve/local-zones";
import { RecordTable } from "../resolve/record-table";
import { type DnsRecord, normalizeName } from "../resolve/records";
import { type UpstreamAddress, wouldLoop } from "../upstream/resolv-conf";
import type { UdpOpener } from "./udp-endpoint";
import { nativeUdp } from "./udp-native";
import { openNodeUdp } from "./udp-node";
import type { UpstreamHealth } from "../upstream/upstreams";
import { AA, CD, type ClientEdns, RCODE, TC, ednsOf, encodeLocal, errorResponse, headerError, questionNameLength, udpLimit } from "../wire/wire";

export interface DnsServerOptions {
  /**
   * Maps a client address to its network's view id; undefined: the client sees no local names.
   * The native path remembers a client's view: when the answer for an address changes, call
   * clientsMoved with it (setView and deleteView forget every client's view).
   */
  viewOf: (clientAddress: string) => string | undefined;
  /**
   * "native" (default): UDP served by the native fast path; the constructor throws a
   * FastpathUnavailableError (code DNS_FASTPATH_UNAVAILABLE) when the addon is not built.
   * "node": Node's dgram, every query in JS (no addon needed).
   */
  udp?: "native" | "node";
  upstreams?: readonly UpstreamAddress[];
  /** Suffixes answered authoritatively (default ["cluster.local"]). */
  localZones?: readonly string[];
  /** Added to the local zones; a single-label NAME is also looked up as NAME.<searchDomain>. */
  searchDomain?: string;
  /** Further suffixes a single label is looked up under in one view, after searchDomain (e.g. its namespace's services). */
  viewSearch?: (viewId: string) => readonly string[];
  /** Upstreams of one view instead of the server's (a network's own DNS servers); undefined or empty: the server's. */
  viewUpstreams?: (viewId: string) => readonly UpstreamAddress[] | undefined;
  /** TTL and SOA minimum of local NXDOMAIN/NODATA answers, seconds (default 5: new names show up fast). */
  negativeTtl?: number;
  /** Forwarded answers kept (default 10,000). */
  cacheSize?: number;
  /** Encoded local answers kept per view (default 4,096). */
  localCacheSize?: number;
  /** Whole budget of a forwarded query before SERVFAIL, ms (default 1,500). */
  timeoutMs?: number;
  /** Budget per upstream server, ms (default 800). */
  attemptTimeoutMs?: number;
  /** First backoff of a failed upstream, doubled per failure up to 30 s (default 1,000 ms). */
  upstreamBackoffMs?: number;
  maxInflight?: number;
  /** TCP connections per listener (default 256) and per client address (default 16). */
  maxTcpConnections?: number;
  maxTcpPerClient?: number;
  /** A TCP connection idle this long is closed, ms (default 10,000). */
  tcpIdleMs?: number;
  /** Clock for the answer cache and upstream backoff, ms. */
  now?: () => number;
  /** Per-client name policy (rules.dns, toFQDNs); a watched client is always served from JS. */
  policy?: DnsPolicyHook;
}

const NO_VIEW = "\u0000no-view";

export class DnsServer {
  private readonly table = new RecordTable();
  private readonly zones: LocalZones;
  private readonly searchDomain?: string;
  private readonly negativeTtl: number;
  private readonly hot: HotAnswers;
  private readonly openUdp: UdpOpener;
  private readonly listeners = new Map<string, Listener>();
  private readonly forwarder: Forwarder;
  /** Forwarders of views with upstreams of their own, by upstream list: each has its own cache and health. */
  private readonly viewForwarders = new Map<string, { forwarder: Forwarder; upstreams: readonly UpstreamAddress[] }>();
  private upstreams: UpstreamAddress[];
  private readonly c = zeroCounters();
  private readonly viewOf: (clientAddress: string) => string | undefined;
  /** Client queries waiting on the forwarding path (joined ones included), bounded. */
  private waiting = 0;
  private readonly maxWaiting: number;
  private closed = false;

  constructor(private readonly opts: DnsServerOptions) {
    this.viewOf = opts.viewOf;
    this.searchDomain = opts.searchDomain ? normalizeName(opts.searchDomain) : undefined;
    this.zones = new LocalZones([...(opts.localZones ?? ["cluster.local"]), ...(this.searchDomain ? [this.searchDomain] : [])]);
    this.negativeTtl = opts.negativeTtl ?? 5;
    this.hot = new HotAnswers(opts.localCacheSize ?? 4096, opts.udp !== "node");
    const table = this.hot.nativeTable;
    this.openUdp = table ? nativeUdp(table) : openNodeUdp;
    this.upstreams = [...(opts.upstreams ?? [])];
    this.maxWaiting = 16 * (opts.maxInflight ?? 1024);
    this.forwarder = this.newForwarder();
    this.applyUpstreams();
    this.table.onChange((viewId, names) => (names ? this.hot.dropNames(viewId, names) : this.hot.dropView(viewId)));
  }

  // ---- records ----

  /** Replaces every record of one view; visible to the next query. Throws on an invalid record. */
  setView(viewId: string, records: readonly DnsRecord[]): void {
    this.table.setView(viewId, records);
  }

  /**
   * Replaces the records of some names of a view (an empty list removes a name), each list in the
   * order setView would keep; answers of the other names stay cached. Throws on an invalid record.
   */
  updateNames(viewId: string, changes: ReadonlyMap<string, readonly DnsRecord[]>): void {
    this.table.updateNames(viewId, changes);
  }

  deleteView(viewId: string): boolean {
    return this.table.deleteView(viewId);
  }

  /** viewOf now answers differently for these client addresses. */
  clientsMoved(addresses: Iterable<string>): void {
    for (const a of addresses) this.hot.unbindAddress(a);
  }

  viewIds(): string[] {
    return this.table.viewIds();
  }

  // ---- upstreams ----

  /** A different list also empties the answer cache: the new servers may see other names (a VPN's, say). */
  setUpstreams(list: readonly UpstreamAddress[]): void {
    const key = (l: readonly UpstreamAddress[]) => l.map((u) => `${u.address}#${u.port}`).join(",");
    if (key(list) !== key(this.upstreams)) this.forwarder.cache.clear();
    this.upstreams = [...list];
    this.applyUpstreams();
  }

  /** Configured upstreams minus those that would loop back to one of our listeners. */
  effectiveUpstreams(): UpstreamAddress[] {
    const self = this.addresses();
    return this.upstreams.filter((u) => !wouldLoop(u, self));
  }

  upstreamHealth(): UpstreamHealth[] {
    return this.forwarder.upstreamSet.health();
  }

  // ---- listeners ----

  /** Listens on every address; on failure, closes the ones this call opened and rejects. */
  async listen(addresses: readonly ListenAddress[]): Promise<void> {
    const opened: ListenAddress[] = [];
    try {
      for (const a of addresses) opened.push(await this.addListener(a));
    } catch (err) {
      for (const a of opened) await this.removeListener(a);
      throw err;
    }
  }

  /**
   * Starts UDP+TCP on one address; port 0 picks a free port. Returns the bound address.
   * `opts.clients`: the prefixes served (others are refused); `opts.sealed`: local names only.
   */
  async addListener(at: ListenAddress, opts: ListenOptions = {}): Promise<ListenAddress> {
    if (this.closed) throw new Error(`dns listen ${at.address}:${at.port}: server closed`);
    const acl = clientAcl(opts.clients);
    const sealed = opts.sealed === true;
    const l = await Listener.open(
      at,
      {
        udp: (msg, address, reply, peer) => this.onUdp(msg, address, reply, peer, acl, sealed),
        tcp: (msg, address, _port, reply) => this.onTcp(msg, address, reply, sealed),
      },
      {
        maxTcpConnections: this.opts.maxTcpConnections ?? 256,
        maxTcpPerClient: this.opts.maxTcpPerClient ?? 16,
        tcpIdleMs: this.opts.tcpIdleMs ?? 10000,
        maxTcpInflight: 32,
      },
      this.openUdp,
      opts.clients,
      acl,
    );
    this.listeners.set(l.label, l);
    this.applyUpstreams();
    return { address: l.address, port: l.port };
  }

  /** Stops one listener (or, without a port, every listener on that address). */
  async removeListener(at: { address: string; port?: number }): Promise<boolean> {
    const gone = [...this.listeners.values()].filter((l) => l.address === at.address && (at.port === undefined || l.port === at.port));
    for (const l of gone) {
      this.listeners.delete(l.label);
      await l.close();
    }
    this.applyUpstreams();
    return gone.length > 0;
  }

  addresses(): ListenAddress[] {
    return [...this.listeners.values()].map((l) => ({ address: l.address, port: l.port }));
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.listeners.values()];
    this.listeners.clear();
    await Promise.all(all.map((l) => l.close()));
    this.forwarder.close();
    for (const v of this.viewForwarders.values()) v.forwarder.close();
  }

  // ---- introspection ----

  /** Queries answered or shed by the native listener threads never reach JS: their counts are added here. */
  counters(): DnsCounters {
    const n = this.hot.nativeCounters();
    const c = this.c;
    return {
      ...c,
      queries: c.queries + n.hits + n.shed + n.formerr + n.notimp + n.refused + n.dropped,
      answeredLocally: c.answeredLocally + n.hits,
      answeredNatively: n.hits,
      nxdomain: c.nxdomain + n.nxdomain,
      formerr: c.formerr + n.formerr,
      notimp: c.notimp + n.notimp,
      refused: c.refused + n.refused,
      dropped: c.dropped + n.shed + n.dropped,
      upstreamQueries: [...this.viewForwarders.values()].reduce((n, v) => n + v.forwarder.sent, this.forwarder.sent),
    };
  }

  /** `sealed`: as a sealed listener would answer (the client's network is --internal). */
  explain(name: string, type: string, clientAddress: string, sealed = false): ExplainResult {
    return explainQuery(
      { table: this.table, zones: this.zones, search: (view) => this.searchOf(view), viewOf: this.viewOf, forwarder: (view) => this.forwarderOf(view) },
      name,
      type,
      clientAddress,
      sealed,
    );
  }

  // ---- packet handling ----

  /**
   * `peer` (native path only) lets the listener threads learn the client's view for next time.
   * The checks before the table lookup are mirrored by screen() in native/dns-fastpath/src/udp-loop.cc.
   */
  private onUdp(msg: Buffer, clientAddress: string, send: (response: Buffer) => void, peer: Buffer | undefined, acl: ClientAcl, sealed: boolean): void {
    const c = this.c;
    c.queries++;
    try {
      // Shorter than a header, or a response (QR set): never answer, or two servers could ping-pong.
      if (msg.length < 12 || msg[2] & 0x80) {
        c.dropped++;
        return;
      }
      // Not on a network this listener serves: never bound to a view, so never answered natively.
      if (!acl(clientAddress)) {
        c.refused++;
        this.sendUdp(send, errorResponse(msg.readUInt16BE(0), msg.readUInt16BE(2), RCODE.REFUSED));
        return;
      }
      const view = this.viewOf(clientAddress);
      // A policed client is never bound: the native threads keep handing its queries to JS.
      const watched = this.opts.policy?.watches(clientAddress) === true;
      if (peer && !watched) this.hot.bindClient(peer, view ?? NO_VIEW);
      // The key rule native/dns-fastpath/src/udp-loop.cc mirrors: change both or neither.
      const key = (msg[2] & 0x78) === 0 ? msg.toString("latin1", 4) : undefined;
      if (key !== undefined && !watched) {
        const tpl = this.hot.get(view ?? NO_VIEW, key);
        if (tpl) {
          const out = Buffer.allocUnsafe(tpl.length);
          tpl.copy(out);
          out[0] = msg[0];
          out[1] = msg[1];
          out[2] = (tpl[2] & 0xfe) | (msg[2] & 0x01); // RD
          out[3] = (tpl[3] & 0xef) | (msg[3] & 0x10); // CD
          c.answeredLocally++;
          if ((tpl[3] & 0x0f) === RCODE.NXDOMAIN) c.nxdomain++;
          this.sendUdp(send, out);
          return;
        }
      }
      this.handle(msg, false, view, sealed, (res) => res && this.sendUdp(send, res), key, watched ? clientAddress : undefined);
    } catch {
      c.errors++;
    }
  }

  private sendUdp(send: (response: Buffer) => void, res: Buffer): void {
    if (this.closed) return;
    try {
      send(res);
    } catch {
      this.c.errors++; // socket closed by removeListener while the answer was on its way
    }
  }

  /** Outsiders never get here: the listener closes their connections at accept. */
  private onTcp(msg: Buffer, clientAddress: string, reply: Reply, sealed: boolean): void {
    this.c.queries++;
    this.c.tcpQueries++;
    try {
      if (msg.length < 12 || msg[2] & 0x80) {
        this.c.dropped++;
        reply(undefined);
        return;
      }
      const watched = this.opts.policy?.watches(clientAddress) === true;
      this.handle(msg, true, this.viewOf(clientAddress), sealed, reply, undefined, watched ? clientAddress : undefined);
    } catch {
      this.c.errors++;
      reply(undefined);
    }
  }

  /** Where a single-label name is looked for in this view, in order. */
  private searchOf(view: string | undefined): readonly string[] {
    const more = view !== undefined && this.opts.viewSearch ? this.opts.viewSearch(view) : [];
    return this.searchDomain ? [this.searchDomain, ...more] : more;
  }

  /**
   * The full path: check the header, decode, answer locally or forward (never when `sealed`).
   * `fastKey` caches a local UDP answer; `watched`: the client a DNS policy polices.
   */
  private handle(msg: Buffer, tcp: boolean, view: string | undefined, sealed: boolean, reply: Reply, fastKey: string | undefined, watched?: string): void {
    const c = this.c;
    const id = msg.readUInt16BE(0);
    const flags = msg.readUInt16BE(2);
    // The counts decide the decoder's work: a 12-byte header may claim 65,535 records.
    const early = headerError(msg);
    if (early !== undefined) {
      if (early === RCODE.NOTIMP) c.notimp++;
      else c.formerr++;
      return reply(errorResponse(id, flags, early));
    }
    let query: dnsPacket.DecodedPacket;
    let edns: ClientEdns | undefined;
    try {
      query = dnsPacket.decode(msg);
      edns = ednsOf(query);
    } catch {
      c.formerr++;
      return reply(errorResponse(id, flags, RCODE.FORMERR));
    }
    const q = query.questions![0];
    // EDNS version we do not speak: BADVERS (extended rcode 16), RFC 6891 section 6.1.3.
    if (edns && edns.version > 0) return reply(errorResponse(id, flags, 16, q, edns));

    const qname = normalizeName(q.name);
    if (watched !== undefined) {
      const policy = this.opts.policy!;
      if (!policy.allows(watched, qname, q.type)) {
        c.refused++;
        c.policyRefused++;
        return reply(errorResponse(id, flags, RCODE.REFUSED, q, edns));
      }
      reply = this.afterPolicy(reply, policy, watched, qname, q.type, () => errorResponse(id, flags, RCODE.SERVFAIL, q, edns));
    }
    // The search list matters to single labels only: no list built for the others.
    const local = resolveLocal(this.table, this.zones, view, qname, q.type, q.class ?? "IN", qname.includes(".") ? [] : this.searchOf(view));
    if (local) {
      const target = externalCnameTarget(local, q.type, this.zones);
      if (target && !sealed) return this.chase(query, edns, local, target, tcp, reply, view);
      const res = compressMessage(encodeLocal(query, edns, local, this.negativeTtl), tcp ? MAX_MESSAGE : udpLimit(edns));
      if (res.readUInt16BE(2) & TC) c.truncated++;
      c.answeredLocally++;
      if (local.rcode === "NXDOMAIN") c.nxdomain++;
      if (local.rcode === "NOTIMP") c.notimp++;
      // A sealed listener's outside CNAME is not chased: clients of the same view on an open
      // listener (a workload on an internal and another network) must not get it from the hot table.
      if (fastKey !== undefined && !target) this.hot.remember(view ?? NO_VIEW, fastKey, res, local.consulted);
      return reply(res);
    }
    if (String(q.class).startsWith("UNKNOWN_")) {
      c.notimp++;
      return reply(errorResponse(id, flags, RCODE.NOTIMP, q, edns));
    }
    // A sealed network sees local names only: nothing forwarded, nothing from the shared cache.
    if (sealed) {
      c.refused++;
      return reply(errorResponse(id, flags, RCODE.REFUSED, q, edns));
    }

    c.forwarded++;
    // A flood for one slow name must not pile up waiters without bound.
    if (this.waiting >= this.maxWaiting) {
      c.servfail++;
      return reply(errorResponse(id, flags, RCODE.SERVFAIL, q, edns));
    }
    this.waiting++;
    this.forwarderOf(view)
      .resolve({ question: q, cd: (flags & CD) !== 0, edns, tcp })
      .finally(() => this.waiting--)
      .then((r) => {
        if (r.kind === "servfail") {
          c.servfail++;
          return reply(errorResponse(id, flags, RCODE.SERVFAIL, q, edns));
        }
        if (r.source === "cache") c.cacheHits++;
        if (r.source === "joined") c.deduplicated++;
        const out = Buffer.from(r.response);
        out.writeUInt16BE(id, 0);
        out[2] = (out[2] & 0xfe) | (msg[2] & 0x01);
        restoreSpelling(msg, out);
        if (!tcp && out.length > udpLimit(edns)) {
          c.truncated++;
          return reply(fitOrStub(out, udpLimit(edns), () => errorResponse(id, flags, out.readUInt16BE(2) & 0xf, q, edns, TC)));
        }
        reply(out);
      })
      .catch(() => {
        c.errors++;
        reply(undefined);
      });
  }

  /** Holds an answer to a policed client until the policy has seen it (toFQDNs: until the kernel allows its addresses). */
  private afterPolicy(reply: Reply, policy: DnsPolicyHook, client: string, name: string, type: string, servfail: () => Buffer): Reply {
    return (res) => {
      if (!res) return reply(res);
      let pending: Promise<void> | void;
      try {
        pending = policy.answered(client, name, type, res);
      } catch {
        this.c.servfail++;
        return reply(servfail());
      }
      if (!pending) return reply(res);
      pending.then(
        () => reply(res),
        () => {
          this.c.servfail++;
          reply(servfail());
        },
      );
    };
  }

  /** A local CNAME to an outside name: forward the target and answer with the whole chain (never cached here). */
  private chase(query: dnsPacket.DecodedPacket, edns: ClientEdns | undefined, local: LocalAnswer, target: string, tcp: boolean, reply: Reply, view: string | undefined): void {
    const c = this.c;
    const q = query.questions![0];
    c.answeredLocally++;
    c.forwarded++;
    this.forwarderOf(view)
      .resolve({ question: { ...q, name: target }, cd: false, edns, tcp })
      .then((r) => {
        const full = encodeChased(query, edns, local, r.kind === "answer" ? r.response : undefined, this.negativeTtl);
        const res = fitOrStub(full, tcp ? MAX_MESSAGE : udpLimit(edns), () => errorResponse(query.id ?? 0, query.flags ?? 0, RCODE.NOERROR, q, edns, AA | TC));
        if (res.readUInt16BE(2) & TC) c.truncated++;
        reply(res);
      })
      .catch(() => {
        c.errors++;
        reply(undefined);
      });
  }

  private applyUpstreams(): void {
    this.forwarder.setUpstreams(this.effectiveUpstreams());
    const self = this.addresses();
    for (const v of this.viewForwarders.values()) v.forwarder.setUpstreams(v.upstreams.filter((u) => !wouldLoop(u, self)));
  }

  private newForwarder(): Forwarder {
    const o = this.opts;
    return new Forwarder({
      upstreams: [],
      cache: new AnswerCache({ maxEntries: o.cacheSize ?? 10000, now: o.now }),
      timeoutMs: o.timeoutMs ?? 1500,
      attemptTimeoutMs: o.attemptTimeoutMs ?? 800,
      maxInflight: o.maxInflight ?? 1024,
      now: o.now,
      baseBackoffMs: o.upstreamBackoffMs,
    });
  }

  /** Where this view's forwarded queries go. */
  private forwarderOf(view: string | undefined): Forwarder {
    const list = view !== undefined ? this.opts.viewUpstreams?.(view) : undefined;
    if (!list?.length) return this.forwarder;
    const key = list.map((u) => `${u.address}#${u.port}`).join(",");
    const held = this.viewForwarders.get(key);
    if (held) return held.forwarder;
    const forwarder = this.newForwarder();
    const self = this.addresses();
    forwarder.setUpstreams(list.filter((u) => !wouldLoop(u, self)));
    this.viewForwarders.set(key, { forwarder, upstreams: [...list] });
    return forwarder;
  }

  /** Views' upstreams changed: forwarders no view uses any more are closed. */
  viewUpstreamsChanged(viewIds: Iterable<string>): void {
    const used = new Set<Forwarder>();
    for (const v of viewIds) used.add(this.forwarderOf(v));
    for (const [key, v] of this.viewForwarders) {
      if (used.has(v.forwarder)) continue;
      v.forwarder.close();
      this.viewForwarders.delete(key);
    }
  }
}

const MAX_MESSAGE = 0xffff;

/** The message compressed and cut to whole records within `limit` (TC set if cut); the stub if it cannot be parsed. */
function fitOrStub(msg: Buffer, limit: number, stub: () => Buffer): Buffer {
  try {
    return compressMessage(msg, limit);
  } catch {
    return stub();
  }
}

/** Copies the client's spelling of the question name over the upstream's (same name, same length). */
function restoreSpelling(query: Buffer, out: Buffer): void {
  const n = questionNameLength(query);
  const end = 12 + n;
  if (out.length < end) return;
  if (query.toString("latin1", 12, end).toLowerCase() === out.toString("latin1", 12, end).toLowerCase()) query.copy(out, 12, 12, end);
}

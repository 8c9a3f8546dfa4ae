// CiliumNetworkPolicy rules.dns and toFQDNs at Ponton's resolver. The DNS server asks this hook
// about every query of a client some policy watches: a name no rule allows is REFUSED; an
// allowed answer's addresses are written to the kernel's FQDN maps (timeout = TTL + grace)
// BEFORE the answer leaves, so the client's connect right after it is never dropped. The kernel
// expires the elements itself and keeps them while pontond is away: at start pontond reads them
// back (relearn) and carries them through every full table reload.
import * as dnsPacket from "dns-packet";
import { NFT_TABLE_REF } from "../../compile/names";
import type { NftOp } from "../../compile/nft-ops";
import type { DnsPolicyHook } from "../../dns";
import type { DnsFlow, FlowEndpoint, FlowRecord } from "../../flows";
import { canonicalClient, describeDecision, dnsMatchText, firstDnsMatch, dnsVerdict, fqdnElements, FQDN_MAP, type DnsPlan, type PolicyPlan, type RuleRef } from "../../policy";
import type { EngineContext } from "../context";
import { carryLines, fqdnSetRef, parseListedMap, timedElement } from "./fqdn-kernel";

export const DEFAULT_FQDN_GRACE_SECONDS = 5;

const RCODES: Record<number, string> = { 0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED" };

interface Learned {
  set: string;
  key: string;
  id: number;
  ref?: RuleRef;
  timeoutMs: number;
  expiresAt: number;
  /** Names whose answers opened it (empty when read back from the kernel after a restart). */
  names: Set<string>;
}

/** What an answer carries for the policy: rcode and A/AAAA addresses with their TTLs. */
function answerOf(response: Buffer): { rcode: string; answers: { address: string; ttl: number }[] } {
  const p = dnsPacket.decode(response);
  const answers = (p.answers ?? []).flatMap((a) => (a.type === "A" || a.type === "AAAA" ? [{ address: String(a.data), ttl: a.ttl ?? 0 }] : []));
  const code = response.readUInt16BE(2) & 0xf;
  return { rcode: RCODES[code] ?? `RCODE${code}`, answers };
}

export class EngineFqdn implements DnsPolicyHook {
  private plan: DnsPlan | undefined;
  private policy: PolicyPlan | undefined;
  private readonly learned = new Map<string, Learned>();
  /** Time from an answer being ready to the kernel allowing its addresses, ms (the newest 4,096 writes). */
  readonly writeMs: number[] = [];
  /** Sink for DNS flow records (the engine's flow ring). */
  record: ((r: Omit<FlowRecord, "seq">) => void) | undefined;
  endpoint: (ip: string) => FlowEndpoint = (ip) => ({ ip });

  constructor(
    private readonly ctx: EngineContext,
    private readonly graceSeconds = DEFAULT_FQDN_GRACE_SECONDS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The committed policy plan; returns client addresses watched now and not before (the server unbinds them). */
  setPlan(policy: PolicyPlan | undefined): string[] {
    if (policy === this.policy) return [];
    const before = new Set(Object.keys(this.plan?.subjects ?? {}));
    this.policy = policy;
    this.plan = policy?.dns;
    this.forgetGone();
    return Object.keys(this.plan?.subjects ?? {}).filter((a) => !before.has(a));
  }

  /**
   * A client no toFQDNs rule selects any more (its workload went, or the policy): its elements go,
   * so an address reused by a new workload does not inherit them. Best effort: what the kernel
   * refuses to delete (already expired, maps gone with the last policy) expires anyway.
   */
  private forgetGone(): void {
    const now = this.now();
    const bySet = new Map<string, string[]>();
    for (const [k, l] of this.learned) {
      const client = l.key.split(" . ")[0]!;
      if (this.plan?.subjects[client]?.fqdn.length) continue;
      this.learned.delete(k);
      if (l.expiresAt - now > 1000) (bySet.get(l.set) ?? bySet.set(l.set, []).get(l.set)!).push(l.key);
    }
    if (bySet.size === 0 || !this.policy?.sets.some((s) => s.name === FQDN_MAP.port4)) return;
    const ops: NftOp[] = [...bySet].map(([set, keys]) => ({ op: "deleteElements", set: fqdnSetRef(set), keys }));
    void this.ctx.kernel.nftOps(ops).catch(() => undefined);
  }

  watches(clientAddress: string): boolean {
    if (!this.plan) return false;
    const c = canonicalClient(clientAddress);
    return c !== undefined && this.plan.subjects[c] !== undefined;
  }

  allows(clientAddress: string, name: string, type: string): boolean {
    const client = canonicalClient(clientAddress)!;
    const v = dnsVerdict(this.plan, client, name);
    if (v.policed && !v.allowed) this.flow(client, { query: name, type, verdict: "REFUSED", rcode: "REFUSED" }, undefined);
    return !v.policed || v.allowed;
  }

  answered(clientAddress: string, name: string, type: string, response: Buffer): Promise<void> | void {
    const client = canonicalClient(clientAddress)!;
    const started = performance.now();
    const v = dnsVerdict(this.plan, client, name);
    const { rcode, answers } = answerOf(response);
    const elements = fqdnElements(this.plan, client, name, answers, this.graceSeconds);
    const info: DnsFlow = {
      query: name, type, verdict: "ALLOWED", rcode,
      ...(answers.length ? { addresses: answers.map((a) => a.address) } : {}),
      ...(elements.length ? { opened: [...new Set(elements.map((e) => e.address))] } : {}),
      ...(v.policed && v.allowed ? { match: dnsMatchText(v.match) } : {}),
    };
    const rule = v.policed && v.allowed ? v.ref : elements[0]?.ref;
    const ops: NftOp[] = [];
    const now = this.now();
    const adds = new Map<string, string[]>();
    const dels = new Map<string, string[]>();
    const updates: Learned[] = [];
    for (const e of elements) {
      const timeoutMs = e.ttl * 1000;
      const id = `${e.set} ${e.key}`;
      const held = this.learned.get(id);
      const live = held !== undefined && held.expiresAt > now;
      if (live && held.id === e.id && held.expiresAt >= now + timeoutMs) {
        held.names.add(name); // already allowed for longer
        continue;
      }
      // The kernel refuses an element whose data differs (EEXIST): a live one of another rule goes first.
      if (live && held.id !== e.id) (dels.get(e.set) ?? dels.set(e.set, []).get(e.set)!).push(e.key);
      (adds.get(e.set) ?? adds.set(e.set, []).get(e.set)!).push(timedElement(e.key, timeoutMs, e.id));
      updates.push({ set: e.set, key: e.key, id: e.id, ref: e.ref, timeoutMs, expiresAt: now + timeoutMs, names: new Set([...(live ? held.names : []), name]) });
    }
    for (const [set, keys] of dels) ops.push({ op: "deleteElements", set: fqdnSetRef(set), keys });
    for (const [set, elements] of adds) ops.push({ op: "addElements", set: fqdnSetRef(set), elements });
    if (ops.length === 0) {
      this.flow(client, info, rule);
      return;
    }
    // Known before the write is sent: a full reload computed meanwhile carries them too.
    const previous = updates.map((u) => [`${u.set} ${u.key}`, this.learned.get(`${u.set} ${u.key}`)] as const);
    for (const u of updates) this.learned.set(`${u.set} ${u.key}`, u);
    return this.ctx.kernel.nftOps(ops).then(
      () => {
        this.sample(performance.now() - started);
        this.flow(client, info, rule);
      },
      (err: unknown) => {
        for (const [k, old] of previous) {
          if (old) this.learned.set(k, old);
          else this.learned.delete(k);
        }
        throw err;
      },
    );
  }

  private sample(ms: number): void {
    if (this.writeMs.length >= 4096) this.writeMs.shift();
    this.writeMs.push(ms);
  }

  private flow(client: string, dns: DnsFlow, rule: RuleRef | undefined): void {
    if (!this.record) return;
    const source = this.endpoint(client);
    const refused = dns.verdict === "REFUSED";
    const what = rule ? `${rule.policy} ${rule.direction}[${rule.ruleIndex}]` : "";
    this.record({
      time: new Date(this.now()).toISOString(),
      verdict: refused ? "REJECTED" : "FORWARDED",
      ipVersion: client.includes(":") ? 6 : 4,
      protocol: "dns",
      source,
      destination: { ip: "resolver", port: 53, host: true },
      interfaces: {},
      direction: "egress",
      ...(refused ? { dropReason: "POLICY_DENIED" as const } : {}),
      summary: refused
        ? `DNS ${dns.type} ${dns.query} REFUSED: no rules.dns of ${this.plan?.subjects[client]?.dns?.map((r) => r.ref.policy).filter((p, i, a) => a.indexOf(p) === i).join(", ") ?? "its policies"} allows it`
        : `DNS ${dns.type} ${dns.query} ${dns.rcode ?? ""}${what ? ` allowed by ${what}` : ""}${dns.opened?.length ? `; opened ${dns.opened.join(", ")}` : ""}`,
      policies: rule ? [rule.policy] : [...new Set(this.plan?.subjects[client]?.dns?.map((r) => r.ref.policy) ?? [])],
      ...(rule ? { rule } : {}),
      dns,
    });
  }

  /** The learned element that lets this client reach this address and port now, if any. */
  lookup(client: string, address: string, protocol: number, port: number): (Learned & { expiresInMs: number }) | undefined {
    const c = canonicalClient(client);
    const a = canonicalClient(address);
    if (!c || !a) return undefined;
    const v6 = c.includes(":");
    const now = this.now();
    for (const [set, key] of [[v6 ? FQDN_MAP.port6 : FQDN_MAP.port4, `${c} . ${a} . ${protocol} . ${port}`], [v6 ? FQDN_MAP.any6 : FQDN_MAP.any4, `${c} . ${a}`]] as const) {
      const l = this.learned.get(`${set} ${key}`);
      if (!l || l.expiresAt <= now) continue;
      // Read back after a restart: the kernel keeps the id only; the plan names its rule.
      const entry = l.ref || !this.policy ? undefined : describeDecision(this.policy, l.id);
      const ref = l.ref ?? (entry?.kind === "allow" ? entry.rule : undefined);
      return { ...l, ...(ref ? { ref } : {}), expiresInMs: l.expiresAt - now };
    }
    return undefined;
  }

  /** `ponton policy explain --dns`: may the client resolve the name, by which rule, and what would it open. */
  explainName(client: string, name: string) {
    const c = canonicalClient(client);
    if (!c) return { policed: false as const };
    const v = dnsVerdict(this.plan, c, name);
    const fqdn = (this.plan?.subjects[c]?.fqdn ?? []).filter((r) => firstDnsMatch(r.selectors, name));
    return {
      ...v,
      ...(v.policed && v.allowed ? { match: dnsMatchText(v.match) } : {}),
      toFQDNs: fqdn.map((r) => ({ rule: r.ref, id: r.id, ports: r.ports === "any" ? "any" : r.ports.map(([p, n]) => `${n}/${p === 6 ? "tcp" : p === 17 ? "udp" : "sctp"}`) })),
    };
  }

  /** Learned elements still alive, as the kernel holds them. */
  private alive(): { set: string; key: string; id: number; timeoutMs: number; expiresMs: number }[] {
    const now = this.now();
    return [...this.learned.values()].filter((l) => l.expiresAt > now).map((l) => ({ set: l.set, key: l.key, id: l.id, timeoutMs: l.timeoutMs, expiresMs: Math.min(l.timeoutMs, l.expiresAt - now) }));
  }

  /** For a full reload that declares the FQDN maps: re-add what is alive, with the time it has left. */
  carry(declared: readonly string[]): string {
    const sets = new Set(declared);
    return carryLines(NFT_TABLE_REF, this.alive().filter((e) => sets.has(e.set)));
  }

  /** Start-up, before the first full reload: read back what the kernel kept while pontond was away. */
  async relearn(): Promise<number> {
    const now = this.now();
    let n = 0;
    for (const set of Object.values(FQDN_MAP)) {
      let stdout: string;
      try {
        ({ stdout } = await this.ctx.exec.run("nft", ["-j", "list", "map", ...NFT_TABLE_REF.split(" "), set]));
      } catch {
        continue; // no table or no such map: nothing was learned
      }
      for (const e of parseListedMap(stdout)) {
        if (e.expiresMs <= 0) continue;
        this.learned.set(`${e.set} ${e.key}`, { set: e.set, key: e.key, id: e.id, timeoutMs: e.timeoutMs, expiresAt: now + e.expiresMs, names: new Set() });
        n++;
      }
    }
    return n;
  }

  stats() {
    const sorted = [...this.writeMs].sort((a, b) => a - b);
    const q = (f: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(f * sorted.length))] : undefined);
    const ms = (x: number | undefined) => (x === undefined ? undefined : Math.round(x * 1000) / 1000);
    return { learned: this.alive().length, writes: sorted.length, answerToAllowedMs: { p50: ms(q(0.5)), p99: ms(q(0.99)) } };
  }
}

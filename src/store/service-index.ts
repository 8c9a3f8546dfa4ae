// The stored services, parsed once and kept in memory (the daemon is the only writer) and updated on
// write: the list in key order that every compile reads, what validation and VIP allocation look up
// (who holds a VIP, an external address and port, a host port) and the services the monitor watches.
// At 10,000 services a change must not parse, sort or scan them all.
import { formatIp, lastAddress, parseIp, type Cidr } from "../model/ip";
import { addrPortKey, hasVip, hostPortKey, serviceHoldings, serviceKey, serviceNamespace, serviceVips, type Service } from "../model/services/service";

/** Read-only lookups over the stored services (Store.serviceLookups). */
export interface ServiceLookups {
  vip(ip: string): Service | undefined;
  /** An external IP (or VIP) with a port: "ip/protocol/port". */
  addrPort(ip: string, protocol: string, port: number): Service | undefined;
  hostPort(protocol: string, port: number): Service | undefined;
  /** The lowest address of the range (after its network address) that no stored service holds as a VIP. */
  firstFreeVip(range: Cidr): bigint;
  /** Services with a health check, and those with a VIP scheduled by connection counts (lc/wlc):
   * what the services monitor observes every tick, without a pass over every service. */
  withHealth(): Iterable<Service>;
  countingConnections(): Iterable<Service>;
  /** type LoadBalancer services: LB IPAM assigns their addresses together. */
  loadBalanced(): Iterable<Service>;
}

const keyOf = (s: Service) => serviceKey(s.name, serviceNamespace(s));

export class ServiceIndex implements ServiceLookups {
  private readonly byId = new Map<string, Service>();
  /** In key order; changed in place, handed out as a copy made once per change. The copy is
   * readonly by type, not frozen: walking a frozen array is several times slower in V8, and the
   * compile walks it on every service change. */
  private readonly order: Service[] = [];
  private shared: readonly Service[] | undefined;
  private readonly vips = new Map<string, Service>();
  private readonly addrPorts = new Map<string, Service>();
  private readonly hostPorts = new Map<string, Service>();
  private readonly checked = new Map<string, Service>();
  private readonly counted = new Map<string, Service>();
  private readonly balanced = new Map<string, Service>();
  /** Per range (by its text): every address of the range before this one is a stored VIP. */
  private readonly vipFloors = new Map<string, { family: number; value: bigint }>();

  constructor(records: Iterable<Service>) {
    for (const s of records) this.put(s);
  }

  /** Shared: the same array until a service is written (the compile relies on it). */
  list(): readonly Service[] {
    return (this.shared ??= this.order.slice());
  }

  get(id: string): Service | undefined {
    return this.byId.get(id);
  }

  put(s: Service): void {
    const old = this.byId.get(s.id);
    if (old) this.drop(old);
    this.shared = undefined;
    this.byId.set(s.id, s);
    this.order.splice(this.position(keyOf(s)), 0, s);
    for (const v of serviceVips(s)) this.vips.set(v, s);
    const held = serviceHoldings(s);
    for (const k of held.addrPorts) this.addrPorts.set(k, s);
    for (const k of held.hostPorts) this.hostPorts.set(k, s);
    if (s.health) this.checked.set(s.id, s);
    if (hasVip(s) && (s.scheduler === "lc" || s.scheduler === "wlc")) this.counted.set(s.id, s);
    if (s.loadBalancer) this.balanced.set(s.id, s);
  }

  delete(id: string): void {
    const old = this.byId.get(id);
    if (old) this.drop(old);
  }

  vip(ip: string): Service | undefined {
    return this.vips.get(ip);
  }
  addrPort(ip: string, protocol: string, port: number): Service | undefined {
    return this.addrPorts.get(addrPortKey(ip, protocol, port));
  }
  hostPort(protocol: string, port: number): Service | undefined {
    return this.hostPorts.get(hostPortKey(protocol, port));
  }

  withHealth(): Iterable<Service> {
    return this.checked.values();
  }
  countingConnections(): Iterable<Service> {
    return this.counted.values();
  }
  loadBalanced(): Iterable<Service> {
    return this.balanced.values();
  }

  firstFreeVip(range: Cidr): bigint {
    const text = `${formatIp(range.family, range.network)}/${range.prefix}`;
    const floor = this.vipFloors.get(text)?.value ?? 0n;
    let v = floor > range.network ? floor : range.network + 1n;
    while (v <= lastAddress(range) && this.vips.has(formatIp(range.family, v))) v++;
    this.vipFloors.set(text, { family: range.family, value: v });
    return v;
  }

  /** Forget a record: its VIPs and ports are free again (only where it still holds them). */
  private drop(s: Service): void {
    this.byId.delete(s.id);
    this.checked.delete(s.id);
    this.counted.delete(s.id);
    this.balanced.delete(s.id);
    const at = this.position(keyOf(s));
    this.order.splice(this.order[at] === s ? at : this.order.indexOf(s), 1);
    this.shared = undefined;
    const release = (m: Map<string, Service>, key: string) => m.get(key) === s && m.delete(key);
    for (const v of serviceVips(s)) {
      if (!release(this.vips, v)) continue;
      const ip = parseIp(v);
      for (const floor of this.vipFloors.values()) if (ip && ip.family === floor.family && ip.value < floor.value) floor.value = ip.value;
    }
    const held = serviceHoldings(s);
    for (const k of held.addrPorts) release(this.addrPorts, k);
    for (const k of held.hostPorts) release(this.hostPorts, k);
  }

  /** Where a key is or would go in `order` (binary search). */
  private position(key: string): number {
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (keyOf(this.order[mid]!) < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

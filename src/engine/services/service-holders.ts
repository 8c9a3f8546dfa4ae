// Who holds what, as one service operation sees it: the stored services (the store's index) and the
// services the operation has built so far (a batch, an apply), which take precedence. Every check
// is a lookup: one change among 10,000 services must not scan them.
import { formatIp, type Cidr } from "../../model/ip";
import { addrPortKey, hostPortKey, serviceHoldings, serviceVips, type Service } from "../../model/services/service";
import type { ServiceLookups } from "../../store";
import type { VipSpace } from "./service-vips";

export class Holders implements VipSpace {
  private readonly vips = new Map<string, Service>();
  private readonly addrPorts = new Map<string, Service>();
  private readonly hostPorts = new Map<string, Service>();
  /** Per range: the operation has handed out every address before this one. */
  private readonly cursors = new Map<string, bigint>();

  constructor(private readonly stored: ServiceLookups) {}

  vip(ip: string): Service | undefined {
    return this.vips.get(ip) ?? this.stored.vip(ip);
  }
  addrPort(ip: string, protocol: string, port: number): Service | undefined {
    return this.addrPorts.get(addrPortKey(ip, protocol, port)) ?? this.stored.addrPort(ip, protocol, port);
  }
  hostPort(protocol: string, port: number): Service | undefined {
    return this.hostPorts.get(hostPortKey(protocol, port)) ?? this.stored.hostPort(protocol, port);
  }

  /** A service built by this operation: later ones of the same operation see what it holds. */
  add(s: Service): void {
    for (const v of serviceVips(s)) this.vips.set(v, s);
    const held = serviceHoldings(s);
    for (const k of held.addrPorts) this.addrPorts.set(k, s);
    for (const k of held.hostPorts) this.hostPorts.set(k, s);
  }

  taken(ip: string): boolean {
    return this.vip(ip) !== undefined;
  }
  start(range: Cidr): bigint {
    const stored = this.stored.firstFreeVip(range);
    const mine = this.cursors.get(rangeText(range)) ?? 0n;
    return stored > mine ? stored : mine;
  }
  took(range: Cidr, value: bigint): void {
    this.cursors.set(rangeText(range), value + 1n);
  }
}

const rangeText = (c: Cidr) => `${formatIp(c.family, c.network)}/${c.prefix}`;

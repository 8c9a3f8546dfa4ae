// Pure: pick an address in a subnet.
import { EngineError } from "../errors";
import { cidrContains, cidrSize, formatIp, lastAddress, mustParseIp, parseCidr } from "../model/ip";

export interface AddressRequest {
  subnet: string;
  gateway: string;
  /** Addresses already held on this network. */
  used: { has(ip: string): boolean; readonly size: number };
  /** Addresses remembered for other names: avoided while any other address is free (asked only of free ones). */
  reservedForOthers: { has(ip: string): boolean };
  /** A static address (--ip): must be inside, not the gateway, not in use. */
  requested?: string;
  /** The address this name held last time: reused when free. */
  sticky?: string;
  /** Where the scan starts (address-cursor.ts: every address below it is held); told where the next may start (undefined: where it did). */
  cursor?: { from: bigint; next: (from: bigint | undefined) => void };
}

export function allocateAddress(req: AddressRequest): string {
  const subnet = parseCidr(req.subnet);
  const gw = mustParseIp(req.gateway).value;
  const first = subnet.network + (subnet.family === 4 && subnet.prefix < 31 ? 1n : subnet.family === 6 ? 1n : 0n);
  const last = subnet.family === 4 && subnet.prefix < 31 ? lastAddress(subnet) - 1n : lastAddress(subnet);

  if (req.requested !== undefined) {
    const ip = mustParseIp(req.requested, "--ip address");
    const text = formatIp(ip.family, ip.value);
    if (!cidrContains(subnet, ip.family, ip.value) || ip.value < first || ip.value > last) {
      throw new EngineError("ADDRESS_OUT_OF_SUBNET", `address ${req.requested} is not a usable address of ${req.subnet}`);
    }
    if (ip.value === gw) throw new EngineError("ADDRESS_IN_USE", `address ${text} is the gateway of ${req.subnet}`);
    if (req.used.has(text)) throw new EngineError("ADDRESS_IN_USE", `address ${text} is already in use on ${req.subnet}`);
    req.cursor?.next(undefined);
    return text;
  }
  if (req.sticky !== undefined && !req.used.has(req.sticky)) {
    const ip = mustParseIp(req.sticky);
    if (cidrContains(subnet, ip.family, ip.value) && ip.value !== gw) {
      req.cursor?.next(undefined);
      return req.sticky;
    }
  }
  let fallback: string | undefined;
  let met: bigint | undefined;
  // Scanning stops after used+reserved+2 candidates at most: allocation is O(held addresses), and
  // from a cursor below which all are held, O(addresses reserved for others) (issue 20).
  const from = req.cursor && req.cursor.from > first && req.cursor.from <= last + 1n ? req.cursor.from : first;
  for (let v = from; v <= last; v++) {
    if (v === gw) continue;
    const text = formatIp(subnet.family, v);
    if (req.used.has(text)) continue;
    met ??= v;
    if (!req.reservedForOthers.has(text)) {
      // Below the first free address met all are held, and it is taken now if it is this one.
      req.cursor?.next(met === v ? v + 1n : met);
      return text;
    }
    fallback ??= text;
  }
  if (fallback !== undefined) {
    req.cursor?.next(met! + 1n);
    return fallback;
  }
  throw new EngineError("SUBNET_FULL", `no free address in ${req.subnet} (${cidrSize(subnet)} addresses, ${req.used.size} in use)`);
}

/** The conventional gateway: the first usable address. */
export function defaultGateway(subnet: string): string {
  const c = parseCidr(subnet);
  return formatIp(c.family, c.network + 1n);
}

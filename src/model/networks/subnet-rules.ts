// What a network's subnet, its gateway and a workload's static address may be: checked here, so a
// bad value is refused with its reason before the kernel sees it (which would say "Invalid argument").
import { EngineError } from "../../errors";
import { bits, cidrsOverlap, formatCidr, formatIp, lastAddress, mustParseIp, parseCidr, type Cidr, type Family } from "../ip";

/** Ranges no network may use, with the reason a user reads. */
const RESERVED: { cidr: string; why: string }[] = [
  { cidr: "0.0.0.0/8", why: "unspecified ('this network', RFC 1122)" },
  { cidr: "127.0.0.0/8", why: "loopback" },
  { cidr: "169.254.0.0/16", why: "link-local" },
  { cidr: "224.0.0.0/4", why: "multicast" },
  { cidr: "240.0.0.0/4", why: "reserved (and 255.255.255.255 is broadcast)" },
  { cidr: "::/128", why: "unspecified" },
  { cidr: "::1/128", why: "loopback" },
  { cidr: "::ffff:0:0/96", why: "IPv4-mapped" },
  { cidr: "fe80::/10", why: "link-local" },
  { cidr: "ff00::/8", why: "multicast" },
].map((r) => ({ ...r, parsed: parseCidr(r.cidr) })) as { cidr: string; why: string; parsed: Cidr }[];

/** The longest prefix that leaves a gateway and one workload address (IPv4 also keeps network and broadcast). */
const LONGEST: Record<Family, number> = { 4: 30, 6: 126 };

const reservedHit = (c: Cidr) => (RESERVED as { cidr: string; why: string; parsed: Cidr }[]).find((r) => cidrsOverlap(r.parsed, c));

/** A user-given subnet, canonical; refused when it is special or too small, with the reason. */
export function validateSubnet(text: string, family?: Family): string {
  const c = parseCidr(text);
  if (family !== undefined && c.family !== family) throw new EngineError("INVALID_CIDR", `subnet ${text} is not IPv${family}`);
  const hit = reservedHit(c);
  if (hit) {
    const hint = c.network === 0n ? "omit --subnet to have a free one picked from the default pool" : "use a private range such as 10.x, 172.16-31.x, 192.168.x or fd00::/8";
    throw new EngineError("INVALID_CIDR", `subnet ${text} overlaps ${hit.cidr}, which is ${hit.why}`, { hint });
  }
  if (c.prefix > LONGEST[c.family]) {
    throw new EngineError("INVALID_CIDR", `subnet ${text} is too small: a network needs room for a gateway and a workload (at most /${LONGEST[c.family]})`);
  }
  return formatCidr(c);
}

/** First and last host address of a subnet: IPv4 skips network and broadcast, IPv6 the subnet-router anycast. */
export function hostRange(c: Cidr): { first: bigint; last: bigint } {
  return { first: c.network + 1n, last: c.family === 4 ? lastAddress(c) - 1n : lastAddress(c) };
}

/** A gateway must be a host address inside its subnet: not the network address, not the broadcast. */
export function validateGateway(subnet: string, text: string): string {
  const c = parseCidr(subnet);
  const ip = mustParseIp(text, "gateway");
  const { first, last } = hostRange(c);
  if (ip.family !== c.family || ip.value < c.network || ip.value > lastAddress(c)) {
    throw new EngineError("ADDRESS_OUT_OF_SUBNET", `gateway ${text} is not inside ${subnet}`);
  }
  if (ip.value < first || ip.value > last) {
    const which = ip.value === c.network ? "the network address" : "the broadcast address";
    throw new EngineError("ADDRESS_OUT_OF_SUBNET", `gateway ${text} is ${which} of ${subnet}, not a host address`, { hint: `pick one of ${formatIp(c.family, first)}-${formatIp(c.family, last)}` });
  }
  return formatIp(ip.family, ip.value);
}

/**
 * A workload's static addresses (--ip takes either family, --ip6 IPv6 only), by family. A special
 * address (loopback, link-local, ...) is refused here; being inside a network's subnet is checked
 * when the network is known.
 */
export function requestedAddresses(ip: string | undefined, ip6: string | undefined): { 4?: string; 6?: string } {
  const out: { 4?: string; 6?: string } = {};
  for (const [text, flag] of [[ip, "--ip"], [ip6, "--ip6"]] as const) {
    if (text === undefined || text === "") continue;
    const a = mustParseIp(text, `${flag} address`);
    if (flag === "--ip6" && a.family !== 6) throw new EngineError("INVALID_ARGUMENT", `--ip6 ${text} is not an IPv6 address`);
    if (out[a.family] !== undefined) throw new EngineError("INVALID_ARGUMENT", `two IPv${a.family} addresses are asked for (${out[a.family]} and ${text})`);
    const hit = reservedHit({ family: a.family, network: a.value, prefix: bits(a.family) });
    if (hit) throw new EngineError("ADDRESS_OUT_OF_SUBNET", `${flag} ${text} is ${hit.why}: it cannot be a workload's address`);
    out[a.family] = formatIp(a.family, a.value);
  }
  return out;
}

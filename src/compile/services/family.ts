// The nft words that differ between a service's IPv4 and IPv6 halves: each family has its own
// dispatch maps and its own per-port chains, so every rule in a chain is of one family.
import type { IpFamily } from "../../model/services/service-families";

export interface NftFamily {
  family: IpFamily;
  /** Payload/NAT keyword: `ip daddr`, `dnat ip to`, `jhash ip saddr`. */
  ip: "ip" | "ip6";
  addrType: "ipv4_addr" | "ipv6_addr";
  /** Appended to the per-port chain name (empty for IPv4: chain names predate dual stack). */
  suffix: string;
  /** Dispatch sets: VIP/external IP, no-endpoint VIPs, host ports, no-endpoint host ports. */
  ips: string;
  noep: string;
  ports: string;
  noepPorts: string;
  /** The shared slot -> endpoint map svc_dnat reads (slots.ts). */
  eps: string;
}

export const NFT_FAMILIES: Record<IpFamily, NftFamily> = {
  IPv4: { family: "IPv4", ip: "ip", addrType: "ipv4_addr", suffix: "", ips: "svc_ips", noep: "svc_noep", ports: "svc_ports", noepPorts: "svc_noep_ports", eps: "svc_eps" },
  IPv6: { family: "IPv6", ip: "ip6", addrType: "ipv6_addr", suffix: "_v6", ips: "svc_ips6", noep: "svc_noep6", ports: "svc_ports6", noepPorts: "svc_noep_ports6", eps: "svc_eps6" },
};

/** An address and port as nft's `dnat … to` and conntrack listings write them: 10.0.0.2:80, [fd00::2]:80. */
export const addrPort = (ip: string, port: number) => (ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`);

/** The inverse of addrPort. */
export function splitAddrPort(text: string): { ip: string; port: number } {
  const colon = text.lastIndexOf(":");
  return { ip: text.slice(0, colon).replace(/^\[(.*)\]$/, "$1"), port: Number(text.slice(colon + 1)) };
}

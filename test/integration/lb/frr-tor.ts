// A "ToR" router for BGP tests and benches: FRR's zebra + bgpd in the outside namespace of a
// TestHost (files in its tmp dir, processes killed by PID at tearDown), peering with the host over
// the uplink, forwarding; and a client namespace behind it.
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { eventually, sh, UPLINK_HOST, UPLINK_HOST6, OUTSIDE_A, type Result, type TestHost } from "../harness";

export const FRR = "/usr/lib/frr";
export const TOR_ASN = 65000;
const CLIENT_NET = { tor: "203.0.113.1", client: "203.0.113.2" };

export interface Tor {
  dir: string;
  /** `show bgp ipv4 json` (ipv6 with `6`) routes by prefix. */
  routes(family?: 4 | 6): Promise<Record<string, { nexthops: { ip: string }[]; stale?: boolean }[]>>;
  inClient(cmd: string, args: string[], timeoutMs?: number): Promise<Result>;
}

/** `ipv6`: the ToR also peers with the host's IPv6 uplink address, for IPv6 unicast. */
export async function startTor(h: TestHost, hostAsn: number, opts: { ipv6?: boolean } = {}): Promise<Tor> {
  const dir = path.join(h.dir, "tor");
  mkdirSync(dir);
  chmodSync(h.dir, 0o755);
  chmodSync(dir, 0o777); // zebra and bgpd run as the frr user
  writeFileSync(path.join(dir, "zebra.conf"), "hostname tor\n");
  writeFileSync(path.join(dir, "bgpd.conf"), `hostname tor\nrouter bgp ${TOR_ASN}\n bgp router-id ${OUTSIDE_A}\n no bgp ebgp-requires-policy\n bgp graceful-restart\n neighbor ${UPLINK_HOST} remote-as ${hostAsn}\n${opts.ipv6 ? ` neighbor ${UPLINK_HOST6} remote-as ${hostAsn}\n address-family ipv6 unicast\n  neighbor ${UPLINK_HOST6} activate\n exit-address-family\n` : ""}`);
  const common = ["--vty_socket", dir, "-z", path.join(dir, "zserv.api"), "-P", "0"];
  h.spawnIn(h.outsideNs, `${FRR}/zebra`, ["-f", path.join(dir, "zebra.conf"), "-i", path.join(dir, "zebra.pid"), ...common]);
  if (!(await eventually(async () => existsSync(path.join(dir, "zserv.api"))))) throw new Error("the ToR's zebra did not start");
  h.spawnIn(h.outsideNs, `${FRR}/bgpd`, ["-f", path.join(dir, "bgpd.conf"), "-i", path.join(dir, "bgpd.pid"), ...common]);
  await h.inOutside("sysctl", ["-qw", "net.ipv4.ip_forward=1"]);
  // A client behind the ToR; the host answers it through its default route (the uplink).
  const clientNs = `${h.prefix}-CLI`;
  await sh("ip", ["netns", "add", clientNs]);
  await sh("ip", ["-n", h.outsideNs, "link", "add", "tor-cli", "type", "veth", "peer", "name", "eth0", "netns", clientNs]);
  await sh("ip", ["-n", h.outsideNs, "addr", "add", `${CLIENT_NET.tor}/24`, "dev", "tor-cli"]);
  await sh("ip", ["-n", clientNs, "addr", "add", `${CLIENT_NET.client}/24`, "dev", "eth0"]);
  for (const [ns, dev] of [[h.outsideNs, "tor-cli"], [clientNs, "eth0"], [clientNs, "lo"]] as const) await sh("ip", ["-n", ns, "link", "set", dev, "up"]);
  await sh("ip", ["-n", clientNs, "route", "add", "default", "via", CLIENT_NET.tor]);
  return {
    dir,
    async routes(family = 4) {
      const r = await h.inOutside("vtysh", ["--vty_socket", dir, "-c", `show bgp ipv${family} json`]);
      return r.code === 0 && r.stdout.trim() ? ((JSON.parse(r.stdout) as { routes?: Record<string, { nexthops: { ip: string }[] }[]> }).routes ?? {}) : {};
    },
    inClient: (c, a, t) => sh("ip", ["netns", "exec", clientNs, c, ...a], { timeoutMs: t ?? 10_000 }),
  };
}

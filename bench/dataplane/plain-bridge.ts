// The reference subjects of the data-plane benches: a hand-made bridge with two namespaces, bare
// or with br_netfilter and one conntrack rule (what every stateful bridge firewall pays).
import { defer } from "../lib/cleanup";
import { deleteNamespaces, startBackground } from "../lib/netns";
import { mustRun, run } from "../lib/proc";
import type { Runner } from "../lib/traffic";

export interface Subject {
  name: string;
  client: Runner;
  server: string;
  /** Run before each of this subject's measurements (e.g. loading its variant of a table). */
  prepare?: () => Promise<void>;
}

/** One conntrack rule in an inet forward chain: what turns conntrack on for forwarded packets. */
const CT_RULE = "table inet bench {\n  chain forward {\n    type filter hook forward priority 0;\n    ct state established,related accept\n  }\n}\n";

/** A masquerade rule for another subnet: matches nothing here, but the kernel's NAT hooks now see every packet. */
const OTHER_MASQUERADE = 'table ip benchnat {\n  chain post {\n    type nat hook postrouting priority srcnat;\n    ip saddr 192.0.2.0/24 oifname "up0" masquerade\n  }\n}\n';

/** Namespaces `bdp<pid>-<tag>-<name>`, made in one batch and removed at clean-up. */
export async function benchNamespaces(tag: string, names: string[]): Promise<string[]> {
  const full = names.map((n) => `bdp${process.pid}-${tag}-${n}`);
  defer(`netns del bdp${process.pid}-${tag}-*`, () => deleteNamespaces(full));
  await mustRun(["ip", "-batch", "-"], { input: full.map((n) => `netns add ${n}\n`).join("") });
  return full;
}

/** A subject's client: commands run in namespace `ns`. */
export const inNamespace = (ns: string): Runner => async (cmd, args, t) => {
  const r = await run(["ip", "netns", "exec", ns, cmd, ...args], t ? { timeoutMs: t } : {});
  return { ...r, code: r.code ?? -1 };
};

/**
 * A hand-made host namespace with one bridge and two workload namespaces; `brnf` turns on
 * br_netfilter's IPv4 hook and loads one `ct state` rule in an inet forward chain.
 */
export async function plain(tag: string, brnf: boolean): Promise<Subject> {
  const [host, a, b] = (await benchNamespaces(tag, ["h", "a", "b"])) as [string, string, string];
  await mustRun(["ip", "-n", host, "-batch", "-"], {
    input: [
      "link set lo up",
      "link add br0 type bridge",
      "link set br0 up",
      `link add va type veth peer name eth0 netns ${a}`,
      `link add vb type veth peer name eth0 netns ${b}`,
      "link set va master br0 up",
      "link set vb master br0 up",
    ].join("\n") + "\n",
  });
  for (const [ns, ip] of [[a, "10.77.0.2"], [b, "10.77.0.3"]] as const) {
    await mustRun(["ip", "-n", ns, "-batch", "-"], { input: `link set lo up\naddr add ${ip}/24 dev eth0\nlink set eth0 up\n` });
  }
  await mustRun(["ip", "netns", "exec", host, "sysctl", "-qw", `net.bridge.bridge-nf-call-iptables=${brnf ? 1 : 0}`, `net.bridge.bridge-nf-call-ip6tables=${brnf ? 1 : 0}`]);
  if (brnf) {
    await mustRun(["ip", "netns", "exec", host, "nft", "-f", "-"], { input: CT_RULE });
  }
  startBackground(["ip", "netns", "exec", b, "iperf3", "-s"]);
  return { name: brnf ? "bridge + br_netfilter + 1 ct rule" : "bare bridge", client: inNamespace(a), server: "10.77.0.3" };
}

/**
 * Two veths routed by the host (/32 routes, the gateway on lo, no nft rule): the routed driver's
 * floor; `ct` loads one `ct state` rule in an inet forward chain (conntrack on: its stateful floor),
 * `nat` also a masquerade rule this traffic never matches (the kernel's NAT hooks on, as any egress NAT has them).
 */
export async function plainRouted(ct = false, nat = false): Promise<Subject> {
  const [host, a, b] = (await benchNamespaces(`rt${ct ? "ct" : ""}${nat ? "nat" : ""}`, ["h", "a", "b"])) as [string, string, string];
  await mustRun(["ip", "-n", host, "-batch", "-"], {
    input: [
      "link set lo up",
      "addr add 10.76.0.1/32 dev lo",
      `link add va address 02:00:00:00:01:01 type veth peer name eth0 netns ${a}`,
      `link add vb address 02:00:00:00:01:01 type veth peer name eth0 netns ${b}`,
      "link set va up",
      "link set vb up",
      "route add 10.76.0.2/32 dev va src 10.76.0.1",
      "route add 10.76.0.3/32 dev vb src 10.76.0.1",
    ].join("\n") + "\n",
  });
  await mustRun(["ip", "netns", "exec", host, "sysctl", "-qw", "net.ipv4.ip_forward=1"]);
  if (ct) await mustRun(["ip", "netns", "exec", host, "nft", "-f", "-"], { input: CT_RULE });
  if (nat) await mustRun(["ip", "netns", "exec", host, "nft", "-f", "-"], { input: OTHER_MASQUERADE });
  for (const [ns, ip] of [[a, "10.76.0.2"], [b, "10.76.0.3"]] as const) {
    await mustRun(["ip", "-n", ns, "-batch", "-"], {
      input: `link set lo up\naddr add ${ip}/32 dev eth0\nlink set eth0 up\nneigh replace 10.76.0.1 lladdr 02:00:00:00:01:01 dev eth0 nud permanent\nroute add 10.76.0.1 dev eth0 scope link\nroute add default via 10.76.0.1 dev eth0\n`,
    });
  }
  startBackground(["ip", "netns", "exec", b, "iperf3", "-s"]);
  const name = nat ? "plain routing + 1 ct rule + 1 masquerade rule" : ct ? "plain routing + 1 ct rule" : "plain routing (2 veths, /32 routes, no rule)";
  return { name, client: inNamespace(a), server: "10.76.0.3" };
}

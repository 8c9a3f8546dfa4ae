// Reference subjects for traffic that leaves a network: a hand-made host routing between two
// bridges, and a host masquerading one bridge's traffic out of an uplink with a single nft rule —
// what Ponton's routing between networks and its egress NAT are compared against (issue 20).
import { startBackground } from "../lib/netns";
import { mustRun } from "../lib/proc";
import { benchNamespaces, inNamespace, type Subject } from "./plain-bridge";

async function workloadOn(host: string, ns: string, bridge: string, ip: string, gw: string, veth: string): Promise<void> {
  await mustRun(["ip", "-n", host, "-batch", "-"], { input: `link add ${veth} type veth peer name eth0 netns ${ns}\nlink set ${veth} master ${bridge} up\n` });
  await mustRun(["ip", "-n", ns, "-batch", "-"], { input: `link set lo up\naddr add ${ip}/24 dev eth0\nlink set eth0 up\nroute add default via ${gw}\n` });
}

/**
 * Two bridges on one host, a namespace on each, IP forwarding and no rule; `ct` adds one ct rule,
 * `brnf` turns br_netfilter's hooks on for the bridges (as a stateful bridge firewall needs).
 */
/** The host's side of the uplink to the "outside" namespace (203.0.113.0/24). */
export const uplinkLines = (out: string) => [`link add up0 type veth peer name eth0 netns ${out}`, "addr add 203.0.113.1/24 dev up0", "link set up0 up"];

/** The outside's end of the uplink, and its iperf3 server at 203.0.113.2. */
export async function outsideServer(out: string): Promise<void> {
  await mustRun(["ip", "-n", out, "-batch", "-"], { input: "link set lo up\naddr add 203.0.113.2/24 dev eth0\nlink set eth0 up\n" });
  startBackground(["ip", "netns", "exec", out, "iperf3", "-s"]);
}

/** One masquerade rule for what leaves through the uplink. */
export async function masqueradeOnUplink(host: string): Promise<void> {
  await mustRun(["ip", "netns", "exec", host, "nft", "-f", "-"], {
    input: 'table ip bench {\n  chain post {\n    type nat hook postrouting priority srcnat;\n    oifname "up0" masquerade\n  }\n}\n',
  });
}

export async function plainRoutingBetweenBridges(ct: boolean, brnf = false): Promise<Subject> {
  const [host, a, b] = await benchNamespaces(`rb${ct ? "ct" : ""}${brnf ? "nf" : ""}`, ["h", "a", "b"]);
  await mustRun(["ip", "-n", host!, "-batch", "-"], {
    input: "link set lo up\nlink add br1 type bridge\nlink add br2 type bridge\naddr add 10.74.1.1/24 dev br1\naddr add 10.74.2.1/24 dev br2\nlink set br1 up\nlink set br2 up\n",
  });
  await workloadOn(host!, a!, "br1", "10.74.1.2", "10.74.1.1", "va");
  await workloadOn(host!, b!, "br2", "10.74.2.2", "10.74.2.1", "vb");
  await mustRun(["ip", "netns", "exec", host!, "sysctl", "-qw", "net.ipv4.ip_forward=1", `net.bridge.bridge-nf-call-iptables=${brnf ? 1 : 0}`]);
  if (ct) {
    await mustRun(["ip", "netns", "exec", host!, "nft", "-f", "-"], {
      input: "table inet bench {\n  chain forward {\n    type filter hook forward priority 0;\n    ct state established,related accept\n  }\n}\n",
    });
  }
  startBackground(["ip", "netns", "exec", b!, "iperf3", "-s"]);
  return { name: `plain routing${ct ? " + 1 ct rule" : " between 2 bridges"}${brnf ? " + br_netfilter" : ""}`, client: inNamespace(a!), server: "10.74.2.2" };
}

/** A bridge whose traffic leaves through an uplink with one masquerade rule, to a server outside. */
export async function plainMasquerade(brnf = false): Promise<Subject> {
  const [host, a, out] = await benchNamespaces(brnf ? "natnf" : "nat", ["h", "a", "o"]);
  await mustRun(["ip", "-n", host!, "-batch", "-"], {
    input: [
      "link set lo up",
      "link add br0 type bridge",
      "addr add 10.73.0.1/24 dev br0",
      "link set br0 up",
      ...uplinkLines(out!),
    ].join("\n") + "\n",
  });
  await outsideServer(out!);
  await workloadOn(host!, a!, "br0", "10.73.0.2", "10.73.0.1", "va");
  await mustRun(["ip", "netns", "exec", host!, "sysctl", "-qw", "net.ipv4.ip_forward=1", `net.bridge.bridge-nf-call-iptables=${brnf ? 1 : 0}`]);
  await masqueradeOnUplink(host!);
  return { name: `plain masquerade (1 nft rule)${brnf ? " + br_netfilter" : ""}`, client: inNamespace(a!), server: "203.0.113.2" };
}

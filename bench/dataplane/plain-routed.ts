// Reference subject for a routed network's egress NAT (issue 20): a workload behind a host veth with
// a /32 route (the routed driver's layout, no bridge) whose traffic leaves through an uplink with
// one masquerade rule, to a server outside.
import { mustRun } from "../lib/proc";
import { benchNamespaces, inNamespace, type Subject } from "./plain-bridge";
import { masqueradeOnUplink, outsideServer, uplinkLines } from "./plain-routers";

export async function plainRoutedMasquerade(): Promise<Subject> {
  const [host, a, out] = (await benchNamespaces("rtnat", ["h", "a", "o"])) as [string, string, string];
  await mustRun(["ip", "-n", host, "-batch", "-"], {
    input: [
      "link set lo up",
      "addr add 10.75.0.1/32 dev lo",
      `link add va address 02:00:00:00:01:01 type veth peer name eth0 netns ${a}`,
      "link set va up",
      "route add 10.75.0.2/32 dev va src 10.75.0.1",
      ...uplinkLines(out),
    ].join("\n") + "\n",
  });
  await outsideServer(out);
  await mustRun(["ip", "-n", a, "-batch", "-"], {
    input: "link set lo up\naddr add 10.75.0.2/32 dev eth0\nlink set eth0 up\nneigh replace 10.75.0.1 lladdr 02:00:00:00:01:01 dev eth0 nud permanent\nroute add 10.75.0.1 dev eth0 scope link\nroute add default via 10.75.0.1 dev eth0\n",
  });
  await mustRun(["ip", "netns", "exec", host, "sysctl", "-qw", "net.ipv4.ip_forward=1"]);
  await masqueradeOnUplink(host);
  return { name: "plain masquerade from a routed veth (1 nft rule)", client: inNamespace(a), server: "203.0.113.2" };
}

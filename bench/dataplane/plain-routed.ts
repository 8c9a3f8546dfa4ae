// Reference subject for a routed network's egress NAT (issue 20): a workload behind a host veth with
// a /32 route (the routed driver's layout, no bridge) whose traffic leaves through an uplink with
// one masquerade rule, to a server outside.
import { startBackground } from "../lib/netns";
import { mustRun } from "../lib/proc";
import { benchNamespaces, inNamespace, type Subject } from "./plain-bridge";

export async function plainRoutedMasquerade(): Promise<Subject> {
  const [host, a, out] = (await benchNamespaces("rtnat", ["h", "a", "o"])) as [string, string, string];
  await mustRun(["ip", "-n", host, "-batch", "-"], {
    input: [
      "link set lo up",
      "addr add 10.75.0.1/32 dev lo",
      `link add va address 02:00:00:00:01:01 type veth peer name eth0 netns ${a}`,
      "link set va up",
      "route add 10.75.0.2/32 dev va src 10.75.0.1",
      `link add up0 type veth peer name eth0 netns ${out}`,
      "addr add 203.0.113.1/24 dev up0",
      "link set up0 up",
    ].join("\n") + "\n",
  });
  await mustRun(["ip", "-n", out, "-batch", "-"], { input: "link set lo up\naddr add 203.0.113.2/24 dev eth0\nlink set eth0 up\n" });
  await mustRun(["ip", "-n", a, "-batch", "-"], {
    input: "link set lo up\naddr add 10.75.0.2/32 dev eth0\nlink set eth0 up\nneigh replace 10.75.0.1 lladdr 02:00:00:00:01:01 dev eth0 nud permanent\nroute add 10.75.0.1 dev eth0 scope link\nroute add default via 10.75.0.1 dev eth0\n",
  });
  await mustRun(["ip", "netns", "exec", host, "sysctl", "-qw", "net.ipv4.ip_forward=1"]);
  await mustRun(["ip", "netns", "exec", host, "nft", "-f", "-"], {
    input: 'table ip bench {\n  chain post {\n    type nat hook postrouting priority srcnat;\n    oifname "up0" masquerade\n  }\n}\n',
  });
  startBackground(["ip", "netns", "exec", out, "iperf3", "-s"]);
  return { name: "plain masquerade from a routed veth (1 nft rule)", client: inNamespace(a), server: "203.0.113.2" };
}

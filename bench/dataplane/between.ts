// Traffic that leaves a network (issue 20): Ponton routing between two of its networks
// (`--route-to`) against a host routing between two bridges with no rule (and with one ct rule), and
// Ponton's egress NAT to a server outside against one masquerade rule; each also with br_netfilter's
// hooks on, the part of the cost any stateful bridge firewall pays. Interleaved rounds, paired
// ratios to the first subject of each comparison. The same two comparisons for routed networks
// (`--driver routed`): against plain routing (two veths, /32 routes), with and without one ct rule,
// and against a masquerade from a routed veth. `--part bridge` or `--part routed` runs one half.
// Usage: node dist/bench/dataplane/between.js [--rounds 3] [--seconds 5] [--part bridge|routed]
import { OUTSIDE_A, TestHost } from "../../test/integration/harness";
import { plainRouted, type Subject } from "./plain-bridge";
import { plainRoutedMasquerade } from "./plain-routed";
import { plainMasquerade, plainRoutingBetweenBridges } from "./plain-routers";
import { benchWithHost, interleavedRounds, numberArg, waitReachable } from "./rounds";

const ip4 = async (h: TestHost, name: string) => (JSON.parse(await h.pontonOk("inspect", name)) as { networks: { ip4: string }[] }[])[0]!.networks[0]!.ip4;

async function pontonBetween(h: TestHost): Promise<Subject> {
  await h.pontonOk("network", "create", "n1", "--subnet", "10.72.1.0/24");
  await h.pontonOk("network", "create", "n2", "--subnet", "10.72.2.0/24", "--route-to", "n1");
  await h.pontonOk("run", "--name", "srv", "--network", "n1");
  // Spawned as the plain subjects' servers are: a server run by pontond got less CPU on a busy
  // machine (iperf3's remote CPU 5-7% vs 10-21%) and lost more datagrams on the same path.
  h.spawnIn(h.ns("srv"), "iperf3", ["-s"]);
  await h.pontonOk("run", "--name", "cli", "--network", "n2");
  return { name: "Ponton, network n2 → n1 (--route-to)", client: (c, a, t) => h.inWorkload("cli", c, a, t), server: await ip4(h, "srv") };
}

async function pontonEgress(h: TestHost): Promise<Subject> {
  await h.pontonOk("network", "create", "egress", "--subnet", "10.72.3.0/24");
  await h.pontonOk("run", "--name", "out", "--network", "egress");
  h.spawnIn(h.outsideNs, "iperf3", ["-s"]);
  return { name: "Ponton egress NAT", client: (c, a, t) => h.inWorkload("out", c, a, t), server: OUTSIDE_A };
}

async function pontonRoutedBetween(h: TestHost): Promise<Subject> {
  await h.pontonOk("network", "create", "r1", "--driver", "routed", "--subnet", "10.72.11.0/24");
  await h.pontonOk("network", "create", "r2", "--driver", "routed", "--subnet", "10.72.12.0/24", "--route-to", "r1");
  await h.pontonOk("run", "--name", "rsrv", "--network", "r1");
  h.spawnIn(h.ns("rsrv"), "iperf3", ["-s"]);
  await h.pontonOk("run", "--name", "rcli", "--network", "r2");
  return { name: "Ponton, routed network r2 → r1 (--route-to)", client: (c, a, t) => h.inWorkload("rcli", c, a, t), server: await ip4(h, "rsrv") };
}

async function pontonRoutedEgress(h: TestHost): Promise<Subject> {
  await h.pontonOk("network", "create", "regress", "--driver", "routed", "--subnet", "10.72.13.0/24");
  await h.pontonOk("run", "--name", "rout", "--network", "regress");
  return { name: "Ponton egress NAT from a routed network", client: (c, a, t) => h.inWorkload("rout", c, a, t), server: OUTSIDE_A };
}

benchWithHost("bdb", async (h) => {
  const rounds = numberArg("rounds", 3);
  const seconds = numberArg("seconds", 5);
  const part = process.argv.includes("--part") ? process.argv[process.argv.indexOf("--part") + 1] : "all";
  const comparisons: Array<[string, Subject[]]> = [];
  // In both egress comparisons (made once: its namespaces have fixed names).
  const masquerade = await plainMasquerade();
  if (part !== "routed") {
    comparisons.push(["routing between two networks", [await plainRoutingBetweenBridges(false), await plainRoutingBetweenBridges(true), await plainRoutingBetweenBridges(true, true), await pontonBetween(h)]]);
    comparisons.push(["egress NAT", [masquerade, await plainMasquerade(true), await pontonEgress(h)]]);
  }
  if (part !== "bridge") {
    comparisons.push(["routing between two routed networks", [await plainRouted(), await plainRouted(true), await pontonRoutedBetween(h)]]);
    // The outside's server serves both egress subjects (pontonEgress starts it): one iperf3 -s is enough.
    if (part === "routed") h.spawnIn(h.outsideNs, "iperf3", ["-s"]);
    comparisons.push(["egress NAT from a routed network", [await plainRoutedMasquerade(), masquerade, await pontonRoutedEgress(h)]]);
  }
  await waitReachable(comparisons.flatMap(([, s]) => s));
  for (const [title, subjects] of comparisons) {
    console.log(`\n# ${title}`);
    await interleavedRounds(subjects, rounds, seconds);
  }
});

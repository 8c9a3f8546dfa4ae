// Per-packet cost between two workloads on one network (issue 20): 64-byte UDP packets/s and one
// TCP stream, for a bare Linux bridge, the same bridge with br_netfilter and one conntrack rule,
// plain routing between two veths (/32 routes, no rule: what a routed network is without Ponton),
// and Ponton's bridge and routed networks. Rounds are interleaved (each round measures every subject, in a rotated order) and each
// round's figures are divided by that round's bare bridge, so the machine's load hits all alike.
// Usage: node dist/bench/dataplane/pps.js [--rounds 3] [--seconds 5]
import { TestHost } from "../../test/integration/harness";
import { plain, plainRouted, type Subject } from "./plain-bridge";
import { benchWithHost, interleavedRounds, numberArg, waitReachable } from "./rounds";

async function pontonRouted(h: TestHost): Promise<Subject> {
  await h.pontonOk("network", "create", "dpr", "--driver", "routed", "--subnet", "10.79.0.0/24");
  await h.pontonOk("run", "--name", "rsrv", "--network", "dpr");
  // Spawned as the plain subjects' servers are: a server run by pontond got less CPU on a busy
  // machine (iperf3's remote CPU 5-7% vs 10-21%) and lost more datagrams on the same path.
  h.spawnIn(h.ns("rsrv"), "iperf3", ["-s"]);
  await h.pontonOk("run", "--name", "rcli", "--network", "dpr");
  const srv = JSON.parse(await h.pontonOk("inspect", "rsrv")) as { networks: { ip4: string }[] }[];
  return { name: "Ponton (routed network, empty)", client: (cmd, args, t) => h.inWorkload("rcli", cmd, args, t), server: srv[0]!.networks[0]!.ip4 };
}

async function ponton(h: TestHost): Promise<Subject> {
  await h.pontonOk("network", "create", "dp", "--subnet", "10.78.0.0/24");
  await h.pontonOk("run", "--name", "srv", "--network", "dp");
  // Spawned as the plain subjects' servers are: a server run by pontond got less CPU on a busy
  // machine (iperf3's remote CPU 5-7% vs 10-21%) and lost more datagrams on the same path.
  h.spawnIn(h.ns("srv"), "iperf3", ["-s"]);
  await h.pontonOk("run", "--name", "cli", "--network", "dp");
  const srv = JSON.parse(await h.pontonOk("inspect", "srv")) as { networks: { ip4: string }[] }[];
  return { name: "Ponton (bridge network, empty)", client: (cmd, args, t) => h.inWorkload("cli", cmd, args, t), server: srv[0]!.networks[0]!.ip4 };
}

benchWithHost("bdp", async (h) => {
  const subjects = [await plain("bare", false), await plain("brnf", true), await plainRouted(), await plainRouted(true), await ponton(h), await pontonRouted(h)];
  await waitReachable(subjects);
  await interleavedRounds(subjects, numberArg("rounds", 3), numberArg("seconds", 5));
});

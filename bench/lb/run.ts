// LoadBalancer addresses from outside, one host, FRR on both sides (the ToR of the BGP test):
// (1) from `service apply` (one API call) to the route at the ToR, and to the first successful
//     connection from a client behind it; N rounds, the service deleted and withdrawn in between;
// (2) new connections/s from the client through the LB address, the NodePort and the VIP (routed
//     through the ToR to the host too), alternated per round, medians: read the ratios.
// Run: npm run build && sudo node dist/bench/lb/run.js [--rounds 5]
import { performance } from "node:perf_hooks";
import { TestHost, eventually, UPLINK_HOST, OUTSIDE_A } from "../../test/integration/harness";
import { startTor } from "../../test/integration/lb/frr-tor";
import { median, reuseTimeWait, round2, serverScript, wrk } from "../lib/traffic";

const rounds = Number(process.argv[process.argv.indexOf("--rounds") + 1] || 5);
const LB = "192.0.2.0";
const manifest = `apiVersion: v1
kind: Service
metadata: {name: web, labels: {color: blue}}
spec:
  type: LoadBalancer
  selector: {app: srv}
  ports: [{port: 80, nodePort: 30080}]
`;

async function main(): Promise<void> {
  const h = new TestHost("blb");
  h.daemonArgs = ["--node-label", "bgp-policy=blue"];
  try {
    await h.setUp();
    const tor = await startTor(h, 65001);
    await h.pontonOk("network", "create", "web", "--subnet", "172.30.0.0/24");
    await h.pontonOk("run", "--name", "srv", "--network", "web", "--label", "app=srv", "--", "sh", "-c", serverScript(process.execPath));
    await h.client.request("POST", "/v1/lb-pools/apply", { yaml: "apiVersion: cilium.io/v2alpha1\nkind: CiliumLoadBalancerIPPool\nmetadata: {name: blue}\nspec: {blocks: [{cidr: 192.0.2.0/24}]}\n" });
    await h.client.request("POST", "/v1/bgp/policies/apply", {
      yaml: `apiVersion: cilium.io/v2alpha1\nkind: CiliumBGPPeeringPolicy\nmetadata: {name: tor}\nspec:\n  nodeSelector: {matchLabels: {bgp-policy: blue}}\n  virtualRouters: [{localASN: 65001, serviceSelector: {matchLabels: {color: blue}}, neighbors: [{peerAddress: ${OUTSIDE_A}, peerASN: 65000}]}]\n`,
    });
    if (!(await eventually(async () => (JSON.parse(await h.pontonOk("bgp", "status", "-o", "json")) as { peers: { ipv4Unicast?: { peers: Record<string, { state: string }> } } }).peers.ipv4Unicast?.peers[OUTSIDE_A]?.state === "Established", 60_000, 200))) throw new Error("no BGP session");
    await reuseTimeWait(tor.inClient);

    const toRoute: number[] = [];
    const toConnect: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const t0 = performance.now();
      await h.client.request("POST", "/v1/services/apply", { yaml: manifest });
      let routed = NaN;
      let connected = NaN;
      while (Number.isNaN(connected) && performance.now() - t0 < 60_000) {
        if (Number.isNaN(routed) && `${LB}/32` in (await tor.routes())) routed = performance.now() - t0;
        if (!Number.isNaN(routed) && (await tor.inClient("curl", ["-s", "-m", "1", `http://${LB}/`])).stdout.trim() === "ok") connected = performance.now() - t0;
      }
      toRoute.push(routed);
      toConnect.push(connected);
      if (i < rounds - 1) {
        await h.client.request("DELETE", "/v1/services/web");
        await eventually(async () => !(`${LB}/32` in (await tor.routes())), 60_000, 50);
      }
    }
    const svc = JSON.parse(await h.pontonOk("service", "inspect", "web")) as { vip: string }[];
    const vip = svc[0]!.vip;
    await h.inOutside("ip", ["route", "replace", `${vip}/32`, "via", UPLINK_HOST]);
    const targets = [["LB address", `http://${LB}/`], ["NodePort", `http://${UPLINK_HOST}:30080/`], ["VIP", `http://${vip}/`]] as const;
    const rates = new Map<string, number[]>(targets.map(([l]) => [l, []]));
    for (let r = 0; r < 4; r++) {
      for (const [label, url] of targets) {
        await h.inHost("conntrack", ["-F"]);
        rates.get(label)!.push(Math.round((await wrk(tor.inClient, url, 3)).rps));
      }
    }
    const lb = median(rates.get("LB address")!);
    const load = (await import("node:os")).loadavg()[0]!.toFixed(1);
    const out = {
      rounds,
      loadAverage1m: Number(load),
      applyToRouteAtTorMs: { p50: round2(median(toRoute)), all: toRoute.map(round2) },
      applyToFirstConnectionMs: { p50: round2(median(toConnect)), all: toConnect.map(round2) },
      connPerSecond: Object.fromEntries([...rates].map(([l, xs]) => [l, { median: median(xs), vsLb: round2(median(xs) / lb) }])),
    };
    console.log(JSON.stringify(out, null, 2));
  } finally {
    await h.tearDown();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

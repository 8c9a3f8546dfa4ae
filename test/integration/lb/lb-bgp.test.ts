// BGP with a real router: pontond runs FRR's bgpd from a CiliumBGPPeeringPolicy and peers with a
// "ToR" — a second FRR (zebra + bgpd, started by this test, killed by PID, files in its tmp dir) in
// the outside namespace. The ToR learns each LoadBalancer address with the host as next hop and
// installs it; a client behind the ToR reaches the service through it; a service without a ready
// endpoint, or deleted, is withdrawn; a killed speaker is a visible state and is started again.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { TestHost, eventually, UPLINK_HOST, OUTSIDE_A } from "../harness";
import { replies as names } from "../replies";
import { FRR, startTor, type Tor } from "./frr-tor";

const POLICY = `apiVersion: "cilium.io/v2alpha1"
kind: CiliumBGPPeeringPolicy
metadata:
  name: blue-peering-policy
spec:
  nodeSelector:
    matchLabels:
      bgp-policy: blue
  virtualRouters:
    - localASN: 65001
      exportPodCIDR: true
      serviceSelector:
        matchLabels: {color: blue}
      neighbors:
        - peerAddress: '${OUTSIDE_A}/32'
          peerASN: 65000
`;
const POOL = `apiVersion: cilium.io/v2alpha1
kind: CiliumLoadBalancerIPPool
metadata: {name: pool-blue}
spec:
  blocks: [{cidr: 192.0.2.0/24}]
  serviceSelector: {matchLabels: {color: blue}}
`;
const svc = (name: string, app: string) => `---
apiVersion: v1
kind: Service
metadata: {name: ${name}, labels: {color: blue}}
spec:
  type: LoadBalancer
  selector: {app: ${app}}
  ports: [{port: 80, targetPort: 8080}]
`;

interface Status { code: string; message: string; restarts: number; pid?: number; plan?: { prefixes: string[] }; peers: { ipv4Unicast?: { peers: Record<string, { state: string; pfxSnt: number }> } } }

describe("BGP to a ToR running FRR", { skip: !existsSync(`${FRR}/bgpd`) && "FRR is not installed (apt-get install frr)" }, () => {
  let h: TestHost;
  let tor: Tor;
  const inClient = (c: string, a: string[], t?: number) => tor.inClient(c, a, t);
  const torRoutes = () => tor.routes();
  const status = async () => JSON.parse(await h.pontonOk("bgp", "status", "-o", "json")) as Status;
  const file = (name: string, text: string) => {
    const p = path.join(h.dir, name);
    writeFileSync(p, text);
    return p;
  };

  before(async () => {
    h = new TestHost("bgp");
    h.daemonArgs = ["--node-label", "bgp-policy=blue"];
    await h.setUp();
    tor = await startTor(h, 65001);
    await h.pontonOk("network", "create", "front", "--subnet", "172.50.0.0/24");
    for (const n of ["b1", "b2"]) await h.pontonOk("run", "--name", n, "--network", "front", "--label", "app=web", "--", "socat", "TCP-LISTEN:8080,fork,reuseaddr", `SYSTEM:echo ${n}`);
  });
  after(() => h.tearDown());

  test("without a policy the speaker is off, and says so", async () => {
    const s = await status();
    assert.equal(s.code, "NO_POLICY");
  });

  test("the ToR learns the LoadBalancer address (/32) and the pod range with the host as next hop; a client behind it reaches the service", async () => {
    await h.pontonOk("lb-pool", "apply", "-f", file("pool.yaml", POOL));
    // One after the other: web, the older, gets the pool's first address.
    await h.pontonOk("service", "apply", "-f", file("web.yaml", svc("web", "web")));
    await h.pontonOk("service", "apply", "-f", file("idle.yaml", svc("idle", "nobody")));
    await h.pontonOk("bgp", "apply", "-f", file("bgp.yaml", POLICY));
    assert.ok(await eventually(async () => "192.0.2.0/32" in (await torRoutes()), 60_000, 500), `ToR: ${JSON.stringify(await torRoutes())}; speaker: ${JSON.stringify(await status())}`);
    const routes = await torRoutes();
    assert.equal(routes["192.0.2.0/32"]![0]!.nexthops[0]!.ip, UPLINK_HOST, "next hop: the host");
    assert.ok("172.50.0.0/24" in routes, "exportPodCIDR: the network's subnet");
    assert.ok(!("192.0.2.1/32" in routes), "a service without a ready endpoint is not announced");
    assert.match((await h.inOutside("ip", ["route", "show", "192.0.2.0"])).stdout, new RegExp(`via ${UPLINK_HOST.replace(/\./g, "\\.")} .*proto bgp`));
    assert.ok(await eventually(async () => (await names(inClient, "192.0.2.0", 80, 1))[0] !== "ERR", 20_000));
    assert.deepEqual((await names(inClient, "192.0.2.0", 80, 2)).sort(), ["b1", "b2"]);
    const s = await status();
    assert.equal(s.code, "RUNNING");
    const peer = s.peers.ipv4Unicast!.peers[OUTSIDE_A]!;
    assert.equal(peer.state, "Established");
    assert.equal(peer.pfxSnt, 2);
    assert.match(await h.pontonOk("bgp", "status"), new RegExp(`${OUTSIDE_A.replace(/\./g, "\\.")}\\s+ipv4Unicast\\s+65000\\s+Established`));
  });

  test("an endpoint appearing announces; the service deleted withdraws", async () => {
    await h.pontonOk("run", "--name", "n1", "--network", "front", "--label", "app=nobody", "--", "socat", "TCP-LISTEN:8080,fork,reuseaddr", "SYSTEM:echo n1");
    assert.ok(await eventually(async () => "192.0.2.1/32" in (await torRoutes()), 30_000, 500), "idle has a ready endpoint now");
    await h.pontonOk("service", "rm", "web");
    assert.ok(await eventually(async () => !("192.0.2.0/32" in (await torRoutes())), 30_000, 500), "withdrawn at the ToR");
    assert.ok("192.0.2.1/32" in (await torRoutes()), "the other stays");
  });

  test("a killed speaker is a visible state and comes back", async () => {
    const before = await status();
    assert.ok(before.pid);
    process.kill(before.pid!, "SIGKILL");
    assert.ok(await eventually(async () => {
      const s = await status();
      return s.code === "RUNNING" && s.restarts >= 1 && s.pid !== before.pid;
    }, 30_000, 200), JSON.stringify(await status()));
    assert.ok(await eventually(async () => "192.0.2.1/32" in (await torRoutes()), 60_000, 500), "announced again");
    await h.pontonOk("bgp", "rm", "blue-peering-policy");
    assert.equal((await status()).code, "NO_POLICY");
  });
});

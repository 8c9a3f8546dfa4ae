// BGP beyond the IPv4 basics, against a real FRR ToR: an IPv6 peer learns a dual-stack service's
// IPv6 LoadBalancer address as a /128 with the host as next hop and reaches the service through it;
// and graceful restart: pontond killed (-9) and started again, the ToR keeps the routes the whole time
// (stale while the session is down) and still holds them, fresh, once the new speaker is up.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { TestHost, eventually, sleep, UPLINK_HOST, UPLINK_HOST6, OUTSIDE_A, OUTSIDE_6 } from "../harness";
import { replies as names } from "../replies";
import { FRR, startTor, type Tor } from "./frr-tor";

const POLICY = `apiVersion: "cilium.io/v2alpha1"
kind: CiliumBGPPeeringPolicy
metadata: {name: dual}
spec:
  virtualRouters:
    - localASN: 65001
      serviceSelector: {matchLabels: {color: blue}}
      neighbors:
        - {peerAddress: '${OUTSIDE_A}/32', peerASN: 65000, gracefulRestart: {enabled: true, restartTimeSeconds: 60}}
        - {peerAddress: '${OUTSIDE_6}/128', peerASN: 65000, gracefulRestart: {enabled: true, restartTimeSeconds: 60}}
`;
const POOL = `apiVersion: cilium.io/v2alpha1
kind: CiliumLoadBalancerIPPool
metadata: {name: dual}
spec:
  blocks: [{cidr: 192.0.2.0/24}, {cidr: "2001:db8:77::/120"}]
`;
const SERVICE = `apiVersion: v1
kind: Service
metadata: {name: web, labels: {color: blue}}
spec:
  type: LoadBalancer
  ipFamilyPolicy: RequireDualStack
  ipFamilies: [IPv4, IPv6]
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`;
const V4 = "192.0.2.0/32";
const V6 = "2001:db8:77::/128";

interface Status { code: string; pid?: number; peers: Record<string, { peers?: Record<string, { state: string; pfxSnt: number }> }> }

describe("BGP: an IPv6 peer and graceful restart across a pontond restart", { skip: !existsSync(`${FRR}/bgpd`) && "FRR is not installed (apt-get install frr)" }, () => {
  let h: TestHost;
  let tor: Tor;
  const status = async () => JSON.parse(await h.pontonOk("bgp", "status", "-o", "json")) as Status;
  const file = (name: string, text: string) => {
    const p = path.join(h.dir, name);
    writeFileSync(p, text);
    return p;
  };
  const outside = (c: string, a: string[], t?: number) => h.inOutside(c, a, t);

  before(async () => {
    h = new TestHost("bgp6");
    await h.setUp();
    tor = await startTor(h, 65001, { ipv6: true });
    await h.pontonOk("network", "create", "front", "--subnet", "172.50.0.0/24", "--ipv6", "--subnet6", "fd00:50::/64");
    for (const n of ["b1", "b2"]) await h.pontonOk("run", "--name", n, "--network", "front", "--label", "app=web", "--", "socat", "TCP6-LISTEN:8080,fork,reuseaddr", `SYSTEM:echo ${n}`);
    await h.pontonOk("lb-pool", "apply", "-f", file("pool.yaml", POOL));
    await h.pontonOk("service", "apply", "-f", file("web.yaml", SERVICE));
    await h.pontonOk("bgp", "apply", "-f", file("bgp.yaml", POLICY));
  });
  after(() => h.tearDown());

  test("the IPv6 peer learns the /128 with the host as next hop, the IPv4 peer the /32; the service answers through the route", async () => {
    assert.ok(await eventually(async () => V6 in (await tor.routes(6)) && V4 in (await tor.routes(4)), 60_000, 500), `ToR: ${JSON.stringify(await tor.routes(6))}; speaker: ${JSON.stringify(await status())}`);
    const hops = (await tor.routes(6))[V6]![0]!.nexthops.map((n) => n.ip);
    assert.ok(hops.includes(UPLINK_HOST6), `next hops ${JSON.stringify(hops)}`);
    assert.equal((await tor.routes(4))[V4]![0]!.nexthops[0]!.ip, UPLINK_HOST);
    assert.ok(!(V6 in (await tor.routes(4))) && !("192.0.2.0/32" in (await tor.routes(6))), "each family to its own peers");
    assert.match((await h.inOutside("ip", ["-6", "route", "show", "2001:db8:77::"])).stdout, /proto bgp/);
    assert.ok(await eventually(async () => (await names(outside, "2001:db8:77::", 80, 1))[0] !== "ERR", 20_000));
    assert.deepEqual((await names(outside, "2001:db8:77::", 80, 2)).sort(), ["b1", "b2"]);
    const s = await status();
    assert.equal(s.peers.ipv6Unicast?.peers?.[OUTSIDE_6]?.state, "Established");
    assert.equal(s.peers.ipv6Unicast?.peers?.[OUTSIDE_6]?.pfxSnt, 1);
  });

  test("pontond killed (-9) and started again: the ToR never drops the routes, and holds them after", async () => {
    const before = await status();
    await h.stopDaemon("SIGKILL");
    // The old bgpd outlives its pontond (the session stays up); the new pontond replaces it: its
    // session drops then, and the ToR, a graceful-restart helper, keeps the routes as stale meanwhile.
    const restarted = h.startDaemon();
    let missing = "";
    let sawStale = false;
    let polls = 0;
    const deadline = Date.now() + 90_000;
    for (;;) {
      const [r4, r6] = [await tor.routes(4), await tor.routes(6)];
      polls++;
      if (!(V4 in r4)) missing ||= `${V4} gone at poll ${polls}`;
      if (!(V6 in r6)) missing ||= `${V6} gone at poll ${polls}`;
      sawStale ||= Boolean(r4[V4]?.[0]?.stale || r6[V6]?.[0]?.stale);
      await restarted;
      const s = await status().catch(() => undefined);
      const up = s?.code === "RUNNING" && s.pid !== before.pid && s.peers.ipv4Unicast?.peers?.[OUTSIDE_A]?.state === "Established" && s.peers.ipv6Unicast?.peers?.[OUTSIDE_6]?.state === "Established";
      if (up && !r4[V4]?.[0]?.stale && !r6[V6]?.[0]?.stale) break;
      if (Date.now() > deadline) assert.fail(`the new speaker did not settle: ${JSON.stringify(s)}`);
      await sleep(100);
    }
    assert.equal(missing, "", "the ToR kept the routes through the restart");
    const after4 = await tor.routes(4);
    assert.equal(after4[V4]![0]!.nexthops[0]!.ip, UPLINK_HOST);
    assert.ok(V6 in (await tor.routes(6)));
    assert.deepEqual((await names(outside, "192.0.2.0", 80, 2)).sort(), ["b1", "b2"]);
    console.log(`# graceful restart: ${polls} polls of the ToR, stale seen: ${sawStale}`);
  });
});

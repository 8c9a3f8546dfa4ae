// L2 announcements on the real kernel: the outside namespace sits on the host's uplink segment and
// the pool's addresses are in that segment's subnet, so it asks ARP/NDP for them. pontond answers
// (bin/ponton-l2) on the policy's interfaces only — a second segment ("side") hears nothing — and
// sends gratuitous ARP / unsolicited NA when it takes an address: the outside's stale entry moves to
// the host's MAC without it asking. Removing the service or the policy stops the answers.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { TestHost, eventually, sh, OUTSIDE_A } from "../harness";
import { replies as names } from "../replies";

const LB4 = "198.51.100.200";
const LB4B = "198.51.100.201";
const LB6 = "2001:db8:51::200";
const BOGUS_MAC = "02:00:00:00:be:ef";
const SIDE = { host: "192.168.77.1", peer: "192.168.77.2" };

const POOL = `apiVersion: cilium.io/v2alpha1
kind: CiliumLoadBalancerIPPool
metadata: {name: segment}
spec:
  blocks: [{cidr: 198.51.100.200/29}, {cidr: "2001:db8:51::200/125"}]
`;
const POLICY = `apiVersion: cilium.io/v2alpha1
kind: CiliumL2AnnouncementPolicy
metadata: {name: blue-l2}
spec:
  serviceSelector: {matchLabels: {color: blue}}
  nodeSelector: {matchLabels: {l2: "yes"}}
  interfaces: ["^uplink[0-9]+$"]
  loadBalancerIPs: true
`;
const svc = (name: string, dual: boolean) => `apiVersion: v1
kind: Service
metadata: {name: ${name}, labels: {color: blue}}
spec:
  type: LoadBalancer
  ${dual ? "ipFamilyPolicy: RequireDualStack\n  ipFamilies: [IPv4, IPv6]" : ""}
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`;

interface L2Status { code: string; message: string; interfaces: { name: string; addresses: string[] }[]; announcements: number }
interface Neigh { dst: string; lladdr?: string; state?: string[] }

describe("L2 announcements (CiliumL2AnnouncementPolicy)", () => {
  let h: TestHost;
  let hostMac = "";
  const sideNs = () => `${h.prefix}-SIDE`;
  const file = (name: string, text: string) => {
    const p = path.join(h.dir, name);
    writeFileSync(p, text);
    return p;
  };
  const status = async () => JSON.parse(await h.pontonOk("l2-policy", "status", "-o", "json")) as L2Status;
  const neigh = async (ns: string, ip: string): Promise<Neigh | undefined> => {
    const r = await sh("ip", ["-n", ns, "-j", "neigh", "show", ip]);
    return (JSON.parse(r.stdout || "[]") as Neigh[])[0];
  };
  /** Forget the entry, then ask: the MAC that answered, or undefined when nobody did. */
  const resolve = async (ns: string, ip: string): Promise<string | undefined> => {
    await sh("ip", ["-n", ns, "neigh", "flush", "to", ip]);
    await sh("ip", ["netns", "exec", ns, "ping", "-c", "1", "-W", "1", ip]);
    const n = await neigh(ns, ip);
    return n?.lladdr && !n.state?.includes("FAILED") && !n.state?.includes("INCOMPLETE") ? n.lladdr : undefined;
  };
  const outside = (c: string, a: string[], t?: number) => h.inOutside(c, a, t);

  before(async () => {
    h = new TestHost("l2");
    h.daemonArgs = ["--node-label", "l2=yes"];
    await h.setUp();
    hostMac = (JSON.parse((await h.inHost("ip", ["-j", "link", "show", "uplink0"])).stdout) as { address: string }[])[0]!.address;
    // A second segment: its peer treats the uplink's subnet as on-link too, so it would ask there.
    await sh("ip", ["netns", "add", sideNs()]);
    await sh("ip", ["-n", h.hostNs, "link", "add", "side0", "type", "veth", "peer", "name", "eth0", "netns", sideNs()]);
    await sh("ip", ["-n", h.hostNs, "addr", "add", `${SIDE.host}/24`, "dev", "side0"]);
    await sh("ip", ["-n", sideNs(), "addr", "add", `${SIDE.peer}/24`, "dev", "eth0"]);
    for (const [ns, dev] of [[h.hostNs, "side0"], [sideNs(), "eth0"], [sideNs(), "lo"]] as const) await sh("ip", ["-n", ns, "link", "set", dev, "up"]);
    await sh("ip", ["-n", sideNs(), "addr", "add", "fd00:77::2/64", "dev", "eth0", "nodad"]);
    await sh("ip", ["-n", sideNs(), "route", "add", "198.51.100.0/24", "dev", "eth0"]);
    await sh("ip", ["-n", sideNs(), "route", "add", "2001:db8:51::/64", "dev", "eth0"]);
    await h.pontonOk("network", "create", "front", "--subnet", "172.50.0.0/24", "--ipv6", "--subnet6", "fd00:50::/64");
    for (const n of ["b1", "b2"]) await h.pontonOk("run", "--name", n, "--network", "front", "--label", "app=web", "--", "socat", "TCP6-LISTEN:8080,fork,reuseaddr", `SYSTEM:echo ${n}`);
    await h.pontonOk("lb-pool", "apply", "-f", file("pool.yaml", POOL));
    await h.pontonOk("service", "apply", "-f", file("web.yaml", svc("web", true)));
    await h.pontonOk("service", "apply", "-f", file("web2.yaml", svc("web2", false)));
  });
  after(async () => {
    await sh("ip", ["netns", "del", sideNs()]);
    await h.tearDown();
  });

  test("without a policy nobody answers for the LoadBalancer address", async () => {
    assert.match(await h.pontonOk("service", "ls"), /web\s+\S+\s+LoadBalancer\s+198\.51\.100\.200/);
    assert.equal(await resolve(h.outsideNs, LB4), undefined);
    assert.equal((await status()).code, "IDLE");
  });

  test("a policy: gratuitous ARP and unsolicited NA move the segment's stale entries to the host without being asked", async () => {
    for (const ip of [LB4, LB6]) await h.inOutside("ip", ["neigh", "replace", ip, "lladdr", BOGUS_MAC, "dev", "eth0", "nud", "stale"]);
    assert.match(await h.pontonOk("l2-policy", "apply", "-f", file("l2.yaml", POLICY)), /l2-policy blue-l2 created/);
    for (const ip of [LB4, LB6]) {
      assert.ok(await eventually(async () => (await neigh(h.outsideNs, ip))?.lladdr === hostMac, 10_000, 100), `${ip}: ${JSON.stringify(await neigh(h.outsideNs, ip))}, host ${hostMac}`);
    }
    const s = await status();
    assert.equal(s.code, "ANNOUNCING");
    assert.deepEqual(s.interfaces, [{ name: "uplink0", addresses: [LB6, LB4, LB4B].sort() }]);
    assert.ok(s.announcements >= 3);
    assert.match(await h.pontonOk("l2-policy", "status"), /^responder: ANNOUNCING: answering ARP\/NDP for 3 addresses on uplink0\nINTERFACE\s+ADDRESSES\nuplink0\s+198\.51\.100\.200,198\.51\.100\.201,2001:db8:51::200\n/);
    assert.match(await h.pontonOk("l2-policy", "ls"), /blue-l2\s+color=blue\s+l2=yes\s+\^uplink\[0-9\]\+\$\s+loadBalancerIPs/);
  });

  test("ARP and NDP are answered with the host's MAC on the policy's interface; the service is reached through it", async () => {
    assert.equal(await resolve(h.outsideNs, LB4), hostMac);
    assert.equal(await resolve(h.outsideNs, LB6), hostMac);
    assert.equal(await resolve(h.outsideNs, "198.51.100.203"), undefined, "an address of the pool no service holds");
    assert.deepEqual((await names(outside, LB4, 80, 2)).sort(), ["b1", "b2"]);
    assert.deepEqual((await names(outside, LB6, 80, 2)).sort(), ["b1", "b2"]);
    assert.equal((await neigh(h.outsideNs, LB4))?.lladdr, hostMac);
  });

  test("another interface of the host does not answer", async () => {
    assert.equal(await resolve(sideNs(), LB4), undefined);
    assert.equal(await resolve(sideNs(), LB6), undefined);
  });

  test("the service removed: its address is no longer answered, the other still is", async () => {
    assert.equal(await resolve(h.outsideNs, LB4B), hostMac);
    await h.pontonOk("service", "rm", "web2");
    assert.equal(await resolve(h.outsideNs, LB4B), undefined);
    assert.equal(await resolve(h.outsideNs, LB4), hostMac);
  });

  test("externalTrafficPolicy Local: answered only while this host has a ready endpoint; the backend sees the client's own address", async () => {
    const manifest = `apiVersion: v1
kind: Service
metadata: {name: solo, labels: {color: blue}}
spec:
  type: LoadBalancer
  externalTrafficPolicy: Local
  selector: {app: solo}
  ports: [{port: 80, targetPort: 8080}]
`;
    await h.pontonOk("service", "apply", "-f", file("solo.yaml", manifest));
    const ip = (JSON.parse(await h.pontonOk("service", "inspect", "solo")) as { loadBalancer: { ips: string[] }; externalTrafficPolicy?: string }[])[0]!;
    assert.equal(ip.externalTrafficPolicy, "Local");
    const lb = ip.loadBalancer.ips[0]!;
    assert.equal(await resolve(h.outsideNs, lb), undefined, "no endpoint here: not announced");
    await h.pontonOk("run", "--name", "solo", "--network", "front", "--label", "app=solo", "--", "socat", "TCP-LISTEN:8080,fork,reuseaddr", "SYSTEM:echo $SOCAT_PEERADDR");
    assert.ok(await eventually(async () => (await resolve(h.outsideNs, lb)) === hostMac, 15_000, 200));
    assert.deepEqual(await names(outside, lb, 80, 1), [OUTSIDE_A], "source kept (no masquerade)");
    await h.pontonOk("rm", "solo", "-t", "0");
    assert.ok(await eventually(async () => (await resolve(h.outsideNs, lb)) === undefined, 15_000, 200), "its endpoint gone: withdrawn");
  });

  test("the policy removed: nothing is answered", async () => {
    await h.pontonOk("l2-policy", "rm", "blue-l2");
    assert.equal(await resolve(h.outsideNs, LB4), undefined);
    assert.equal(await resolve(h.outsideNs, LB6), undefined);
    assert.equal((await status()).code, "IDLE");
  });

  test("ponton up takes the policy beside a project, ponton down removes it; unsupported fields are refused naming them", async () => {
    const up = file("project.yaml", `name: l2p\n---\n${POLICY}`);
    await h.pontonOk("up", up);
    assert.ok(await eventually(async () => (await resolve(h.outsideNs, LB4)) === hostMac, 10_000, 200));
    await h.pontonOk("down", up);
    assert.equal(await resolve(h.outsideNs, LB4), undefined);
    const bad = await h.ponton("l2-policy", "apply", "-f", file("bad.yaml", POLICY.replace("loadBalancerIPs: true", "loadBalancerIPs: true\n  leaseDuration: 5s")));
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /spec\.leaseDuration: unknown field/);
    assert.equal((await h.pontonOk("l2-policy", "ls", "-o", "json")).trim(), "[]");
  });
});

// The L2 responder follows this host's links: an interface that matches the policy's regex only
// later — made after the policy, or renamed to a matching name — is answered on at once (pontond
// watches rtnetlink link events), with no service or policy change to trigger a re-plan; one that
// goes is dropped from the answers.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { TestHost, eventually, sh } from "../harness";
import { replies } from "../replies";

const LB = "198.51.100.200";
const POOL = `apiVersion: cilium.io/v2alpha1
kind: CiliumLoadBalancerIPPool
metadata: {name: segment}
spec: {blocks: [{cidr: 198.51.100.200/29}]}
`;
const POLICY = `apiVersion: cilium.io/v2alpha1
kind: CiliumL2AnnouncementPolicy
metadata: {name: late}
spec: {interfaces: ["^late[0-9]+$"], loadBalancerIPs: true}
`;
const SERVICE = `apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`;

interface L2Status { code: string; interfaces: { name: string; addresses: string[] }[] }

describe("L2 announcements follow links that appear or are renamed later", () => {
  let h: TestHost;
  const peers: string[] = [];
  const status = async () => JSON.parse(await h.pontonOk("l2-policy", "status", "-o", "json")) as L2Status;
  const answeredOn = async () => (await status()).interfaces.filter((i) => i.addresses.includes(LB)).map((i) => i.name);
  /** A segment: a veth named `ifname` in the host, its peer in a new namespace at 10.77.N.2 that sends the LB address out on-link. */
  const segment = async (ifname: string, n: number): Promise<string> => {
    const ns = `${h.prefix}-SEG${n}`;
    await sh("ip", ["netns", "add", ns]);
    peers.push(ns);
    await sh("ip", ["-n", h.hostNs, "link", "add", ifname, "type", "veth", "peer", "name", "eth0", "netns", ns]);
    await sh("ip", ["-n", h.hostNs, "addr", "add", `10.77.${n}.1/24`, "dev", ifname]);
    await sh("ip", ["-n", ns, "addr", "add", `10.77.${n}.2/24`, "dev", "eth0"]);
    for (const [where, dev] of [[h.hostNs, ifname], [ns, "eth0"], [ns, "lo"]] as const) await sh("ip", ["-n", where, "link", "set", dev, "up"]);
    await sh("ip", ["-n", ns, "route", "add", `${LB}/32`, "dev", "eth0"]);
    return ns;
  };
  const macOf = async (ifname: string) => (JSON.parse((await h.inHost("ip", ["-j", "link", "show", ifname])).stdout) as { address: string }[])[0]!.address;
  const reached = async (ns: string) => (await replies((c, a, t) => sh("ip", ["netns", "exec", ns, c, ...a], { timeoutMs: t ?? 10_000 }), LB, 80, 1))[0] === "b1";
  const neighMac = async (ns: string) => (JSON.parse((await sh("ip", ["-n", ns, "-j", "neigh", "show", LB])).stdout || "[]") as { lladdr?: string }[])[0]?.lladdr;

  before(async () => {
    h = new TestHost("l2ln");
    await h.setUp();
    await h.pontonOk("network", "create", "front", "--subnet", "172.50.0.0/24");
    await h.pontonOk("run", "--name", "b1", "--network", "front", "--label", "app=web", "--", "socat", "TCP-LISTEN:8080,fork,reuseaddr", "SYSTEM:echo b1");
    for (const [kind, name, text] of [["lb-pool", "pool", POOL], ["service", "web", SERVICE], ["l2-policy", "l2", POLICY]] as const) {
      const p = path.join(h.dir, `${name}.yaml`);
      writeFileSync(p, text);
      await h.pontonOk(kind, "apply", "-f", p);
    }
  });
  after(async () => {
    for (const ns of peers) await sh("ip", ["netns", "del", ns]);
    await h.tearDown();
  });

  test("no interface matches yet: nothing is answered", async () => {
    assert.deepEqual(await answeredOn(), []);
    assert.equal((await status()).code, "IDLE");
  });

  test("an interface made later is answered on at once: the client on it resolves the address to it and reaches the service", async () => {
    const ns = await segment("late0", 1);
    assert.ok(await eventually(async () => (await answeredOn()).includes("late0"), 10_000, 100), JSON.stringify(await status()));
    assert.ok(await eventually(() => reached(ns), 10_000, 200));
    assert.equal(await neighMac(ns), await macOf("late0"));
  });

  test("an interface renamed to a matching name is answered on too; one that goes is dropped", async () => {
    const ns = await segment("spare9", 2);
    assert.ok(!(await answeredOn()).includes("spare9"));
    await h.inHost("ip", ["link", "set", "spare9", "down"]);
    await h.inHost("ip", ["link", "set", "spare9", "name", "late1"]);
    await h.inHost("ip", ["link", "set", "late1", "up"]);
    assert.ok(await eventually(async () => (await answeredOn()).includes("late1"), 10_000, 100), JSON.stringify(await status()));
    assert.ok(await eventually(() => reached(ns), 10_000, 200));
    await h.inHost("ip", ["link", "del", "late0"]);
    assert.ok(await eventually(async () => JSON.stringify(await answeredOn()) === JSON.stringify(["late1"]), 10_000, 100), JSON.stringify(await status()));
  });
});

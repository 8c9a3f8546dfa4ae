// `--external-traffic-policy Local|Cluster` on `service create|update`, as the manifests' field: the
// CLI's Local LoadBalancer service is announced (L2) only while this host has a ready endpoint of its
// own, Cluster always; `service ls` shows it in EXT-TRAFFIC and `service inspect` in the record.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { TestHost, eventually } from "../harness";

const POOL = `apiVersion: cilium.io/v2alpha1
kind: CiliumLoadBalancerIPPool
metadata: {name: segment}
spec: {blocks: [{cidr: 198.51.100.200/29}]}
`;
const POLICY = `apiVersion: cilium.io/v2alpha1
kind: CiliumL2AnnouncementPolicy
metadata: {name: segment}
spec: {interfaces: ["^uplink0$"], loadBalancerIPs: true}
`;

interface L2Status { code: string; wanted?: string[]; interfaces: { name: string; addresses: string[] }[] }

describe("--external-traffic-policy on the service commands", () => {
  let h: TestHost;
  const status = async () => JSON.parse(await h.pontonOk("l2-policy", "status", "-o", "json")) as L2Status;
  const announced = async () => (await status()).interfaces.some((i) => i.addresses.includes("198.51.100.200"));
  const row = async (name: string) => (await h.pontonOk("service", "ls")).split("\n").find((l) => l.split(/\s+/)[1] === name) ?? "";

  before(async () => {
    h = new TestHost("etp");
    await h.setUp();
    await h.pontonOk("network", "create", "front", "--subnet", "172.50.0.0/24");
    for (const [kind, text] of [["lb-pool", POOL], ["l2-policy", POLICY]] as const) {
      const p = path.join(h.dir, `${kind}.yaml`);
      writeFileSync(p, text);
      await h.pontonOk(kind, "apply", "-f", p);
    }
  });
  after(() => h.tearDown());

  test("Local: recorded, shown, and the address announced only once a local endpoint is ready", async () => {
    await h.pontonOk("service", "create", "web", "--port", "80:8080/tcp", "--selector", "app=web", "--load-balancer", "--external-traffic-policy", "Local");
    const [s] = JSON.parse(await h.pontonOk("service", "inspect", "web")) as { externalTrafficPolicy?: string; loadBalancer: { ips: string[] } }[];
    assert.equal(s!.externalTrafficPolicy, "Local");
    assert.deepEqual(s!.loadBalancer.ips, ["198.51.100.200"]);
    assert.match(await h.pontonOk("service", "ls"), /EXT-TRAFFIC/);
    assert.match(await row("web"), /LoadBalancer\s+198\.51\.100\.200\s.*\s0\/0\s+Local$/);
    assert.equal(await announced(), false, "no local endpoint: not announced");
    await h.pontonOk("run", "--name", "b1", "--network", "front", "--label", "app=web", "--", "socat", "TCP-LISTEN:8080,fork,reuseaddr", "SYSTEM:echo b1");
    assert.ok(await eventually(announced, 15_000, 200), JSON.stringify(await status()));
  });

  test("update to Cluster: announced without a local endpoint; a ClusterIP service shows '-'", async () => {
    await h.pontonOk("rm", "b1", "-t", "0");
    assert.ok(await eventually(async () => !(await announced()), 15_000, 200), "Local, endpoint gone: withdrawn");
    await h.pontonOk("service", "update", "web", "--external-traffic-policy", "Cluster");
    const [s] = JSON.parse(await h.pontonOk("service", "inspect", "web")) as { externalTrafficPolicy?: string }[];
    assert.equal(s!.externalTrafficPolicy, undefined, "Cluster is the default and not recorded");
    assert.match(await row("web"), /\sCluster$/);
    assert.ok(await eventually(announced, 15_000, 200), "Cluster: announced with no endpoint of this host");
    await h.pontonOk("service", "create", "inner", "--port", "80/tcp", "--selector", "app=web");
    assert.match(await row("inner"), /ClusterIP\s.*\s-$/);
  });

  test("Local where nothing comes from outside, or an unknown policy, is refused and creates nothing", async () => {
    const r = await h.ponton("service", "create", "plain", "--port", "80/tcp", "--selector", "app=web", "--external-traffic-policy", "Local");
    assert.equal(r.code, 2);
    assert.match(r.stderr, /INVALID_ARGUMENT: service plain: externalTrafficPolicy Local needs a NodePort \(--publish\), a LoadBalancer address or an external IP/);
    const u = await h.ponton("service", "create", "odd", "--port", "80/tcp", "--selector", "app=web", "--publish", "8000:80", "--external-traffic-policy", "Nearest");
    assert.equal(u.code, 2);
    assert.match(u.stderr, /Cluster or Local, not 'Nearest'/);
    assert.equal(await row("plain"), "");
    assert.equal(await row("odd"), "");
    await h.pontonOk("service", "create", "np", "--port", "80/tcp", "--selector", "app=web", "--publish", "8000:80", "--external-traffic-policy", "Local");
    assert.match(await row("np"), /NodePort\s.*\sLocal$/);
  });
});

// LoadBalancer pools and project-declared namespaces are cluster-scope, on two nodes over one etcd
// (underlay namespaces, a pontond per node): a pool applied on one node is in etcd and serves the
// other's services; removed on the other node, every service it served loses its address on every
// node (pending, as Cilium's LB-IPAM), its reservations freed; applied again, they get one back.
// A namespace a project file declares (`ponton up`) is created in etcd as `namespace create` does.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { eventually, TestHost } from "../harness";
import { Underlay } from "../underlay";
import { startNodes } from "./cluster-world";

interface SvcView {
  name: string;
  loadBalancer?: { ips: string[]; pending?: string };
}

const POOL = `apiVersion: cilium.io/v2alpha1
kind: CiliumLoadBalancerIPPool
metadata: {name: ht-pool}
spec: {blocks: [{cidr: 198.18.210.0/29}]}
`;

describe("cluster pools and project namespaces", () => {
  const ul = new Underlay("htp");
  const nodes = ["n1", "n2"].map((n) => new TestHost(`htp${n}`));
  const pools = async (i: number) => (JSON.parse(await nodes[i]!.pontonOk("lb-pool", "ls", "-o", "json")) as { name: string }[]).map((p) => p.name);
  /** Each LoadBalancer service on node i: its addresses, or "pending". */
  const lbIps = async (i: number) =>
    Object.fromEntries((JSON.parse(await nodes[i]!.pontonOk("service", "ls", "-o", "json")) as SvcView[]).filter((x) => x.loadBalancer).map((x) => [x.name, x.loadBalancer!.ips.join() || "pending"]));
  const etcdKeys = async (prefix: string) => (await ul.etcdctl("get", "--prefix", prefix, "--keys-only")).stdout.split("\n").filter(Boolean);
  const namespaces = async (i: number) => JSON.parse(await nodes[i]!.pontonOk("namespace", "ls", "-o", "json")) as { name: string; labels: Record<string, string> }[];

  before(async () => {
    await ul.setUp();
    await ul.startEtcd(1);
    await startNodes(ul, nodes);
  });
  after(async () => {
    for (const h of nodes) await h.tearDown();
    await ul.tearDown();
  });

  test("a pool applied on n1 is in etcd and on n2; n2's LoadBalancer service takes its address from it, n1 shows the same", async () => {
    const file = path.join(ul.dir, "pool.yaml");
    writeFileSync(file, POOL);
    await nodes[0]!.pontonOk("lb-pool", "apply", "-f", file);
    assert.deepEqual(await etcdKeys("/ponton/lbpools/"), ["/ponton/lbpools/ht-pool"]);
    assert.ok(await eventually(async () => (await pools(1)).includes("ht-pool"), 10_000), "n2 has the pool");
    await nodes[1]!.pontonOk("service", "create", "lba", "--port", "80/tcp", "--selector", "app=web", "--load-balancer");
    await nodes[0]!.pontonOk("service", "create", "lbb", "--port", "80/tcp", "--selector", "app=web", "--load-balancer");
    const got = await lbIps(1);
    assert.match(got.lba!, /^198\.18\.210\.\d+$/);
    assert.ok(await eventually(async () => {
      const [a, b] = [await lbIps(0), await lbIps(1)];
      return JSON.stringify(a) === JSON.stringify(b) && /^198\.18\.210\.\d+$/.test(a.lbb ?? "") && a.lbb !== a.lba;
    }, 10_000), `n1 ${JSON.stringify(await lbIps(0))} n2 ${JSON.stringify(await lbIps(1))}`);
  });

  test("the pool removed on n2: every node's services lose its addresses (pending), the reservations are freed; applied again on n2, they have one", async () => {
    await nodes[1]!.pontonOk("lb-pool", "rm", "ht-pool");
    assert.deepEqual(await etcdKeys("/ponton/lbpools/"), []);
    assert.deepEqual(await etcdKeys("/ponton/lbips/"), [], "no address reserved");
    for (const i of [0, 1]) {
      assert.ok(await eventually(async () => JSON.stringify(await lbIps(i)) === JSON.stringify({ lba: "pending", lbb: "pending" }), 10_000), `n${i + 1}: ${JSON.stringify(await lbIps(i))}`);
      assert.ok(await eventually(async () => (await pools(i)).length === 0, 10_000), `n${i + 1} has no pool`);
    }
    assert.match(await nodes[0]!.pontonOk("service", "ls"), /lba\s.*<pending>/);
    const file = path.join(ul.dir, "pool.yaml");
    await nodes[1]!.pontonOk("lb-pool", "apply", "-f", file);
    for (const i of [0, 1]) {
      assert.ok(await eventually(async () => Object.values(await lbIps(i)).every((v) => /^198\.18\.210\.\d+$/.test(v)), 10_000), `n${i + 1}: ${JSON.stringify(await lbIps(i))}`);
    }
    assert.equal((await etcdKeys("/ponton/lbips/")).length, 2);
    for (const s of ["lba", "lbb"]) await nodes[0]!.pontonOk("service", "rm", s);
  });

  test("ponton up on n1 declares a namespace: in etcd, on n2 with its labels; created again on n2: NAME_IN_USE; a label changed in the file follows", async () => {
    const file = path.join(ul.dir, "project.yaml");
    writeFileSync(file, "name: htproj\nnamespaces:\n  shop: {labels: {team: a}}\n");
    await nodes[0]!.pontonOk("up", file);
    const rec = (await ul.etcdctl("get", "/ponton/namespaces/shop", "--print-value-only")).stdout.trim();
    assert.equal((JSON.parse(rec) as { labels: Record<string, string> }).labels.team, "a");
    assert.ok(await eventually(async () => (await namespaces(1)).find((n) => n.name === "shop")?.labels.team === "a", 10_000));
    const again = await nodes[1]!.ponton("namespace", "create", "shop");
    assert.equal(again.code, 3, again.stderr);
    assert.match(again.stderr, /NAME_IN_USE/);
    writeFileSync(file, "name: htproj\nnamespaces:\n  shop: {labels: {team: b}}\n");
    await nodes[0]!.pontonOk("up", file);
    assert.ok(await eventually(async () => (await namespaces(1)).find((n) => n.name === "shop")?.labels.team === "b", 10_000));
  });

  test("etcd gone: a pool apply and an up declaring a new namespace are refused with STORE_UNAVAILABLE; nothing changes", async () => {
    const before = [await pools(0), await namespaces(0)];
    for (const m of ul.members) process.kill(m.pid, "SIGKILL");
    const file = path.join(ul.dir, "pool2.yaml");
    writeFileSync(file, POOL.replace("ht-pool", "ht-pool2").replace("198.18.210.0/29", "198.18.211.0/29"));
    const r = await nodes[0]!.ponton("lb-pool", "apply", "-f", file);
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /STORE_UNAVAILABLE/);
    const proj = path.join(ul.dir, "project2.yaml");
    writeFileSync(proj, "name: htproj2\nnamespaces:\n  late: {labels: {team: c}}\n");
    const up = await nodes[0]!.ponton("up", proj);
    assert.equal(up.code, 6, up.stderr);
    assert.match(up.stderr, /STORE_UNAVAILABLE/);
    assert.deepEqual([await pools(0), await namespaces(0)], before);
  });
});

// Cluster-scope objects beyond services and policies, on two nodes over one etcd (underlay
// namespaces, a pontond per node): namespaces and their labels written on one node act on the
// other's NetworkPolicy verdicts; a namespace removal is refused while another node runs a workload
// in it; LoadBalancer addresses are reserved in etcd with the service record, so two nodes never
// hand one pool address to two services; `run --node` makes a workload on another node and `ls`
// lists every node's with its node; with etcd gone every namespace change is refused and
// nothing is half-applied.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { eventually, inspect, TestHost } from "../harness";
import { Underlay, UNDERLAY_PREFIX } from "../underlay";
import { podsWorld } from "./cluster-world";

interface NsView {
  name: string;
  labels: Record<string, string>;
}

interface SvcView {
  name: string;
  loadBalancer?: { ips: string[] };
}

const POOL = `apiVersion: cilium.io/v2alpha1
kind: CiliumLoadBalancerIPPool
metadata: {name: hc-pool}
spec: {blocks: [{cidr: 198.18.200.0/29}]}
`;

describe("cluster objects: namespaces, LoadBalancer addresses, placement", () => {
  const ul = new Underlay("hc");
  const nodes = ["n1", "n2"].map((n) => new TestHost(`hc${n}`));
  const ips: Record<string, string> = {};
  const namespaces = async (i: number) => JSON.parse(await nodes[i]!.pontonOk("namespace", "ls", "-o", "json")) as NsView[];
  const nsOn = async (i: number, name: string) => (await namespaces(i)).find((n) => n.name === name);
  const reaches = async (i: number, from: string, to: string) => (await nodes[i]!.inWorkload(from, "socat", ["-T", "2", "-u", `TCP:${ips[to]}:80,connect-timeout=2`, "-"], 8000)).stdout.trim() === to;

  podsWorld(ul, nodes);

  test("a namespace created with labels on n1 is on n2 with them; created again on n2 it is refused", async () => {
    await nodes[0]!.pontonOk("namespace", "create", "shop", "--label", "team=a");
    assert.ok(await eventually(async () => (await nsOn(1, "shop"))?.labels.team === "a", 10_000), JSON.stringify(await namespaces(1)));
    const again = await nodes[1]!.ponton("namespace", "create", "shop");
    assert.equal(again.code, 3, again.stderr);
    assert.match(again.stderr, /NAME_IN_USE/);
    const r = await ul.etcdctl("get", "/ponton/namespaces/shop", "--print-value-only");
    assert.equal((JSON.parse(r.stdout) as NsView).labels.team, "a");
  });

  test("two nodes creating one namespace at once: exactly one wins", async () => {
    const rs = await Promise.all(nodes.map((h, i) => h.ponton("namespace", "create", "race", "--label", `by=n${i + 1}`)));
    assert.equal(rs.filter((r) => r.code === 0).length, 1, rs.map((r) => `${r.code} ${r.stderr.trim()}`).join(" | "));
    const winner = `n${rs.findIndex((r) => r.code === 0) + 1}`;
    for (const i of [0, 1]) assert.ok(await eventually(async () => (await nsOn(i, "race"))?.labels.by === winner, 10_000));
    await nodes[0]!.pontonOk("namespace", "rm", "race");
    for (const i of [0, 1]) assert.ok(await eventually(async () => (await nsOn(i, "race")) === undefined, 10_000), `race gone on n${i + 1}`);
  });

  test("a label changed on n1 flips a namespaceSelector verdict on n2, for a local and a remote client", async () => {
    // Server on n2; clients in namespace shop on n2 (local) and n1 (remote); the policy admits team=b.
    await nodes[1]!.pontonOk("run", "-d", "--name", "srv", "--network", "pods", "--label", "app=web", "--", "socat", "TCP-LISTEN:80,fork,reuseaddr", "SYSTEM:echo srv");
    await nodes[1]!.pontonOk("run", "-d", "--name", "near", "--namespace", "shop", "--network", "pods", "--", "sleep", "3600");
    await nodes[0]!.pontonOk("run", "-d", "--name", "far", "--namespace", "shop", "--network", "pods", "--", "sleep", "3600");
    ips.srv = (await inspect(nodes[1]!, "srv")).networks.find((n) => n.network === "pods")!.ip4!;
    const file = path.join(ul.dir, "ns-policy.yaml");
    writeFileSync(
      file,
      `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: web-from-team-b, namespace: default }
spec:
  podSelector: { matchLabels: { app: web } }
  policyTypes: [Ingress]
  ingress:
    - from: [{ namespaceSelector: { matchLabels: { team: b } } }]
      ports: [{ port: 80, protocol: TCP }]
`,
    );
    await nodes[1]!.pontonOk("policy", "apply", "-f", file);
    const near = () => reaches(1, "near", "srv");
    const far = () => reaches(0, "far", "srv");
    assert.equal(await near(), false, "team=a: denied from n2's own client");
    assert.equal(await far(), false, "team=a: denied from n1's client");
    await nodes[0]!.pontonOk("namespace", "label", "shop", "team=b");
    assert.ok(await eventually(near, 10_000), "team=b set on n1: n2 admits its local client");
    assert.ok(await eventually(far, 10_000), "team=b set on n1: n2 admits n1's client");
    await nodes[1]!.pontonOk("namespace", "label", "shop", "team-");
    assert.ok(await eventually(async () => !(await near()), 10_000), "label removed on n2: denied again");
    assert.equal((await nsOn(0, "shop"))?.labels.team, undefined, "n1 sees the removal too");
  });

  test("a namespace with a workload on another node cannot be removed, even forced; emptied, it goes everywhere", async () => {
    const r = await nodes[1]!.ponton("namespace", "rm", "shop", "--force");
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /NAMESPACE_NOT_EMPTY.*far on node n1/);
    assert.ok(await nsOn(0, "shop"), "nothing removed");
    assert.ok((await nodes[1]!.pontonOk("ls")).includes("near"), "nothing removed on the node that refused");
    await nodes[0]!.pontonOk("rm", "-f", "shop/far");
    assert.ok(await eventually(async () => (await nodes[1]!.ponton("namespace", "rm", "shop", "--force")).code === 0, 10_000));
    assert.ok(await eventually(async () => (await nsOn(0, "shop")) === undefined, 10_000), "gone on n1");
  });

  const lbIps = async (i: number) => Object.fromEntries((JSON.parse(await nodes[i]!.pontonOk("service", "ls", "-o", "json")) as SvcView[]).filter((x) => x.loadBalancer).map((x) => [x.name, x.loadBalancer!.ips.join()]));

  test("a LoadBalancer address given on n1 is reserved in etcd with the service; n2 shows the same and gives its next service another", async () => {
    const file = path.join(ul.dir, "pool.yaml");
    writeFileSync(file, POOL);
    for (const h of nodes) await h.pontonOk("lb-pool", "apply", "-f", file);
    await nodes[0]!.pontonOk("service", "create", "lb1", "--port", "80/tcp", "--selector", "app=web", "--load-balancer");
    const x = (await lbIps(0)).lb1!;
    assert.match(x, /^198\.18\.200\.\d+$/);
    assert.equal((await ul.etcdctl("get", `/ponton/lbips/${x}`, "--print-value-only")).stdout.trim(), "lb1");
    assert.ok(await eventually(async () => (await lbIps(1)).lb1 === x, 10_000), "n2 has lb1 on the cluster's address");
    await nodes[1]!.pontonOk("service", "create", "lb2", "--port", "80/tcp", "--selector", "app=web", "--load-balancer");
    const y = (await lbIps(1)).lb2!;
    assert.ok(y && y !== x, `lb2 got ${y}`);
    for (const i of [0, 1]) assert.ok(await eventually(async () => JSON.stringify(await lbIps(i)) === JSON.stringify({ lb1: x, lb2: y }), 10_000), `n${i + 1}: ${JSON.stringify(await lbIps(i))}`);
  });

  test("an address another node reserved in etcd (its record not mirrored here yet) is refused: ADDRESS_IN_USE, nothing applied", async () => {
    // The next free pool address, as both nodes see it, reserved behind their back.
    const next = "198.18.200.2";
    await ul.etcdctl("put", `/ponton/lbips/${next}`, "elsewhere");
    const r = await nodes[0]!.ponton("service", "create", "lbx", "--port", "80/tcp", "--selector", "app=web", "--load-balancer");
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /ADDRESS_IN_USE.*LoadBalancer address 198\.18\.200\.2 is held by service elsewhere/);
    assert.equal((await lbIps(0)).lbx, undefined, "not applied on n1");
    assert.equal((await ul.etcdctl("get", "/ponton/services/default/lbx", "--keys-only")).stdout.trim(), "", "not in etcd");
    await ul.etcdctl("del", `/ponton/lbips/${next}`);
    await nodes[0]!.pontonOk("service", "create", "lbx", "--port", "80/tcp", "--selector", "app=web", "--load-balancer");
    assert.equal((await lbIps(0)).lbx, next);
  });

  test("two nodes asking for one pool address at once: exactly one service holds it, every node agrees which", async () => {
    const ip = "198.18.200.5";
    // Distinct VIPs: only the LoadBalancer address is contended. The other is refused (etcd) or pending (its node knew).
    const rs = await Promise.all(nodes.map((h, i) => h.ponton("service", "create", `lbrace${i}`, "--port", "80/tcp", "--selector", "app=web", "--vip", `10.96.0.7${i}`, "--lb-ip", ip)));
    for (const r of rs) if (r.code !== 0) assert.match(r.stderr, /ADDRESS_IN_USE.*LoadBalancer address/);
    const holder = (await ul.etcdctl("get", `/ponton/lbips/${ip}`, "--print-value-only")).stdout.trim();
    assert.match(holder, /^lbrace[01]$/);
    for (const i of [0, 1]) {
      assert.ok(await eventually(async () => JSON.stringify(Object.entries(await lbIps(i)).filter(([, v]) => v === ip).map(([k]) => k)) === JSON.stringify([holder]), 10_000), `n${i + 1}: ${JSON.stringify(await lbIps(i))} (etcd: ${holder})`);
    }
    const names = ["lb1", "lb2", "lbx", ...rs.flatMap((r, i) => (r.code === 0 ? [`lbrace${i}`] : []))];
    for (const n of names) await nodes[0]!.pontonOk("service", "rm", n);
    assert.equal((await ul.etcdctl("get", "--prefix", "/ponton/lbips/", "--keys-only")).stdout.trim(), "", "every reservation freed");
  });

  test("run --node n2 on n1: n2 makes the workload (its netns, its address block); ls on either node lists both nodes' with NODE", async () => {
    await nodes[0]!.pontonOk("run", "-d", "--name", "here", "--network", "pods", "--", "sleep", "3600");
    const out = await nodes[0]!.pontonOk("run", "-d", "--name", "placed", "--node", "n2", "--network", "pods", "--label", "app=placed", "--", "sleep", "3600");
    assert.equal(out.trim(), "placed");
    const w = await inspect(nodes[1]!, "placed");
    assert.equal(w.state, "running");
    assert.equal((await nodes[1]!.inWorkload("placed", "true", [])).code, 0, "its netns is n2's");
    assert.equal(((await inspect(nodes[0]!, "placed")) as { node?: string }).node, "n2", "not on n1: inspect there shows n2's");
    const block = (JSON.parse(await nodes[1]!.pontonOk("network", "ls", "-o", "json")) as { name: string; subnet4?: string }[]).find((n) => n.name === "pods")!.subnet4!;
    assert.equal(w.networks[0]!.ip4!.split(".").slice(0, 3).join("."), block.split(".").slice(0, 3).join("."), `an address of n2's block ${block}`);
    for (const i of [0, 1]) {
      const rows = JSON.parse(await nodes[i]!.pontonOk("ls", "-o", "json")) as { name: string; node: string }[];
      assert.ok(rows.some((r) => r.name === "placed" && r.node === "n2"), JSON.stringify(rows));
      assert.ok(rows.some((r) => r.name === "srv" && r.node === "n2") && rows.some((r) => r.name === "here" && r.node === "n1"), JSON.stringify(rows));
      const table = await nodes[i]!.pontonOk("ls");
      assert.match(table.split("\n")[0]!, /^NODE\s+NAME\s+STATE/);
      assert.match(table, /^n2\s+placed\s+running/m);
    }
    // Its errors come back with their code: the name is taken on n2.
    const again = await nodes[0]!.ponton("run", "--name", "placed", "--node", "n2", "--network", "pods");
    assert.equal(again.code, 3, again.stderr);
    assert.match(again.stderr, /NAME_IN_USE.*node n2/);
  });

  test("run --node: an unknown node is NODE_NOT_FOUND, a NotReady one NODE_NOT_READY; nothing is made", async () => {
    const unknown = await nodes[0]!.ponton("run", "--name", "nowhere", "--node", "n9", "--network", "pods");
    assert.equal(unknown.code, 4, unknown.stderr);
    assert.match(unknown.stderr, /NODE_NOT_FOUND/);
    // A node etcd knows but whose lease is gone (its info without its alive key).
    await ul.etcdctl("put", "/ponton/nodes/ghost/info", JSON.stringify({ name: "ghost", address: `${UNDERLAY_PREFIX}.99`, heartbeat: "2026-01-01T00:00:00.000Z", workloads: 0 }));
    const down = await nodes[0]!.ponton("run", "--name", "nowhere", "--node", "ghost", "--network", "pods");
    assert.equal(down.code, 3, down.stderr);
    assert.match(down.stderr, /NODE_NOT_READY/);
    const ls = await nodes[0]!.ponton("ls");
    assert.match(ls.stderr, /node ghost: its workloads are not listed \(NotReady\)/);
    await ul.etcdctl("del", "/ponton/nodes/ghost/info");
    for (const i of [0, 1]) assert.ok(!(await nodes[i]!.pontonOk("ls")).includes("nowhere"));
  });

  test("etcd gone: namespace create, label and rm are refused with STORE_UNAVAILABLE; nothing changes", async () => {
    await nodes[0]!.pontonOk("namespace", "create", "kept", "--label", "team=a");
    assert.ok(await eventually(async () => (await nsOn(1, "kept")) !== undefined, 10_000));
    for (const m of ul.members) process.kill(m.pid, "SIGKILL");
    const before = [await namespaces(0), await namespaces(1)];
    for (const args of [["create", "late"], ["label", "kept", "team=b"], ["label", "implicit", "x=y"], ["rm", "kept"]]) {
      const r = await nodes[1]!.ponton("namespace", ...args);
      assert.equal(r.code, 6, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, /STORE_UNAVAILABLE/);
    }
    assert.deepEqual([await namespaces(0), await namespaces(1)], before);
  });
});

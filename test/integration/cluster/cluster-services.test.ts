// Everything single-host across three nodes (pontonds on a 3-member etcd in underlay namespaces):
// the cluster-wide workload table, services over pods of every node (VIP and NodePort on every
// node), DNS of remote names, NetworkPolicy with the same verdict whichever node a pod is on, and
// the faults (a node dies: its endpoints go; etcd gone: changes refused, the data plane keeps going).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { eventually, inspect, sh, TestHost } from "../harness";
import { Underlay, UNDERLAY_PREFIX } from "../underlay";
import type { Run } from "../replies";

const TTL_S = 2;
const VIP = "10.96.0.50";
const NODE_PORT = 30080;

describe("cluster services, DNS and policy across nodes", () => {
  const ul = new Underlay("cs");
  const nodes = ["n1", "n2", "n3"].map((n) => new TestHost(`s${n}`));
  const addr = (i: number) => `${UNDERLAY_PREFIX}.${11 + i}`;
  const ips: Record<string, string> = {};
  const inPod = (i: number, w: string): Run => (c, a, t) => nodes[i]!.inWorkload(w, c, a, t);
  /** A client outside every node: the first etcd member's namespace, on the underlay. */
  const outside: Run = (c, a, t) => sh("nsenter", [`--net=/run/netns/${ul.members[0]!.netns}`, c, ...a], { timeoutMs: t ?? 10_000 });
  /** `n` new connections (2 s to connect: a dropped SYN must not wait for the kernel's 2 minutes); the distinct answers. */
  const answers = async (run: Run, ip: string, port: number, n: number) => {
    const script = `i=0; while [ $i -lt ${n} ]; do r=$(socat -T2 -u TCP:${ip}:${port},connect-timeout=2 - 2>/dev/null) || r=ERR; echo "\${r:-EMPTY}"; i=$((i+1)); done`;
    return (await run("sh", ["-c", script], 120_000)).stdout.split("\n").filter(Boolean);
  };
  const backendsSeen = async (run: Run, ip: string, port: number, n = 24) => [...new Set(await answers(run, ip, port, n))].sort().join();
  const dig = async (i: number, from: string, ...args: string[]) => (await nodes[i]!.inWorkload(from, "dig", ["+time=2", "+tries=1", "+short", ...args])).stdout.trim().split("\n").filter(Boolean).sort();

  before(async () => {
    await ul.setUp();
    await ul.startEtcd(3);
    await Promise.all(
      nodes.map((h, i) => {
        h.daemonArgs = ["--cluster", ul.endpoints.join(","), "--node-name", `n${i + 1}`, "--node-ip", addr(i), "--node-lease-ttl", String(TTL_S)];
        return h.setUp({ beforeDaemon: () => ul.plug(h.hostNs, "ul0", addr(i)).then(() => undefined) });
      }),
    );
    await nodes[0]!.pontonOk("network", "create", "pods", "--scope", "cluster", "--subnet", "10.42.0.0/16");
    for (const h of nodes) {
      assert.ok(await eventually(async () => (JSON.parse(await h.pontonOk("network", "ls", "-o", "json")) as { name: string }[]).some((n) => n.name === "pods"), 20_000));
    }
    for (const [i, h] of nodes.entries()) {
      await h.pontonOk("run", "-d", "--name", `w${i}`, "--network", "pods", "--label", "app=web", "--", "socat", "TCP-LISTEN:80,fork,reuseaddr", `SYSTEM:echo w${i}`);
      await h.pontonOk("run", "-d", "--name", `c${i}`, "--network", "pods", "--label", "role=client", "--", "sleep", "3600");
      await h.pontonOk("run", "-d", "--name", `x${i}`, "--network", "pods", "--label", "role=other", "--", "sleep", "3600");
      for (const w of [`w${i}`, `c${i}`, `x${i}`]) ips[w] = (await inspect(h, w)).networks.find((n) => n.network === "pods")!.ip4!;
    }
  });
  after(async () => {
    for (const h of nodes) await h.tearDown();
    await ul.tearDown();
  });

  test("each node publishes its pods under its lease; every node's table has all nine", async () => {
    const r = await ul.etcdctl("get", "--prefix", "/ponton/workloads/", "-w", "json");
    const kvs = (JSON.parse(r.stdout) as { kvs?: { key: string; value: string; lease?: number }[] }).kvs ?? [];
    const recs = kvs.map((kv) => ({ key: Buffer.from(kv.key, "base64").toString(), rec: JSON.parse(Buffer.from(kv.value, "base64").toString()) as { node: string; name: string; addresses: { ip4: string }[] }, lease: kv.lease }));
    assert.deepEqual(recs.map((x) => x.rec.name).sort(), ["c0", "c1", "c2", "w0", "w1", "w2", "x0", "x1", "x2"]);
    for (const x of recs) {
      assert.ok(x.key.startsWith(`/ponton/workloads/${x.rec.node}/`), x.key);
      assert.ok(x.lease, `${x.key} is under a lease`);
      assert.equal(x.rec.addresses[0]!.ip4, ips[x.rec.name]);
    }
  });

  test("a service created on n1 is on every node with its VIP; from a pod on each node the VIP reaches the pods of all three", async () => {
    await nodes[0]!.pontonOk("service", "create", "web", "--port", "80/tcp", "--selector", "app=web", "--vip", VIP, "--publish", `${NODE_PORT}:80`);
    for (const [i, h] of nodes.entries()) {
      assert.ok(await eventually(async () => (JSON.parse(await h.pontonOk("service", "ls", "-o", "json")) as { name: string; vip: string }[]).some((s) => s.name === "web" && s.vip === VIP), 10_000), `web on n${i + 1}`);
      const eps = (JSON.parse(await h.pontonOk("service", "inspect", "web")) as { endpoints: { workload: string; ip: string }[] }[])[0]!.endpoints;
      assert.deepEqual(eps.map((e) => e.ip).sort(), [ips.w0, ips.w1, ips.w2].sort(), `endpoints seen on n${i + 1}`);
    }
    for (const i of [0, 1, 2]) {
      assert.ok(await eventually(async () => (await backendsSeen(inPod(i, `c${i}`), VIP, 80)) === "w0,w1,w2", 15_000), `VIP from c${i}: ${await backendsSeen(inPod(i, `c${i}`), VIP, 80)}`);
    }
  });

  test("NodePort on every node reaches the pods of all three nodes from outside", async () => {
    for (const i of [0, 1, 2]) {
      assert.ok(await eventually(async () => (await backendsSeen(outside, addr(i), NODE_PORT)) === "w0,w1,w2", 15_000), `NodePort on n${i + 1}: ${await backendsSeen(outside, addr(i), NODE_PORT)}`);
    }
  });

  test("a second node cannot take the VIP or the NodePort another node's service holds", async () => {
    const vip = await nodes[1]!.ponton("service", "create", "other", "--port", "80/tcp", "--selector", "app=web", "--vip", VIP);
    assert.equal(vip.code, 3, vip.stderr);
    assert.match(vip.stderr, /ADDRESS_IN_USE/);
    const np = await nodes[2]!.ponton("service", "create", "other", "--port", "80/tcp", "--selector", "app=web", "--publish", `${NODE_PORT}:80`);
    assert.equal(np.code, 3, np.stderr);
    assert.match(np.stderr, /PORT_IN_USE/);
    for (const h of nodes) assert.ok(!(await h.pontonOk("service", "ls")).includes("other"));
  });

  test("three nodes asking for the same VIP at once: exactly one gets it (etcd transaction), every node agrees which", async () => {
    const rs = await Promise.all(nodes.map((h, i) => h.ponton("service", "create", `race${i}`, "--port", "80/tcp", "--selector", "app=none", "--vip", "10.96.0.60")));
    assert.equal(rs.filter((r) => r.code === 0).length, 1, rs.map((r) => `${r.code} ${r.stderr.trim()}`).join(" | "));
    const winner = `race${rs.findIndex((r) => r.code === 0)}`;
    for (const h of nodes) {
      assert.ok(await eventually(async () => (JSON.parse(await h.pontonOk("service", "ls", "-o", "json")) as { name: string; vip?: string }[]).filter((x) => x.vip === "10.96.0.60").map((x) => x.name).join() === winner, 10_000));
    }
    await nodes[0]!.pontonOk("service", "rm", winner);
  });

  test("DNS on every node answers cluster-wide names: services, headless endpoints on three nodes, remote pods", async () => {
    await nodes[1]!.pontonOk("service", "create", "webh", "--headless", "--port", "80/tcp", "--selector", "app=web");
    for (const i of [0, 1, 2]) {
      assert.deepEqual(await dig(i, `c${i}`, "web.default.svc.cluster.local"), [VIP]);
      assert.ok(await eventually(async () => JSON.stringify(await dig(i, `c${i}`, "webh.default.svc.cluster.local")) === JSON.stringify([ips.w0, ips.w1, ips.w2].sort()), 10_000), `headless on n${i + 1}`);
      const other = (i + 1) % 3;
      assert.deepEqual(await dig(i, `c${i}`, `w${other}.ponton.internal`), [ips[`w${other}`]], `remote pod w${other} by name from n${i + 1}`);
      assert.deepEqual(await dig(i, `c${i}`, `${ips[`w${other}`]!.replace(/\./g, "-")}.default.pod.cluster.local`), [ips[`w${other}`]]);
    }
  });

  test("NetworkPolicy applied on n2 is on every node; the verdict is the same whichever nodes the pods are on", async () => {
    const policy = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: web-from-clients, namespace: default }
spec:
  podSelector: { matchLabels: { app: web } }
  policyTypes: [Ingress]
  ingress:
    - from: [{ podSelector: { matchLabels: { role: client } } }]
      ports: [{ port: 80, protocol: TCP }]
`;
    const file = path.join(ul.dir, "policy.yaml");
    writeFileSync(file, policy);
    await nodes[1]!.pontonOk("policy", "apply", "-f", file);
    for (const h of nodes) assert.ok(await eventually(async () => (await h.pontonOk("policy", "ls")).includes("web-from-clients"), 10_000));
    // Direct to each pod's own address: 3 clients × 3 servers and 3 others × 3 servers, every node pair.
    const reaches = async (i: number, from: string, to: string) => (await nodes[i]!.inWorkload(from, "socat", ["-T", "2", "-u", `TCP:${ips[to]}:80,connect-timeout=2`, "-"], 8000)).stdout.trim() === to;
    const table: string[] = [];
    for (const i of [0, 1, 2]) {
      for (const j of [0, 1, 2]) {
        table.push(`c${i}->w${j} ${(await eventually(() => reaches(i, `c${i}`, `w${j}`), 5000)) ? "allow" : "deny"}`);
        table.push(`x${i}->w${j} ${(await reaches(i, `x${i}`, `w${j}`)) ? "allow" : "deny"}`);
      }
    }
    assert.deepEqual(table, [0, 1, 2].flatMap((i) => [0, 1, 2].flatMap((j) => [`c${i}->w${j} allow`, `x${i}->w${j} deny`])));
    // Through the VIP too: the client's pod is allowed on every node, the other is not.
    assert.equal(await backendsSeen(inPod(2, "c2"), VIP, 80, 12), "w0,w1,w2");
    assert.equal(await backendsSeen(inPod(0, "x0"), VIP, 80, 6), "ERR");
    await nodes[2]!.pontonOk("policy", "rm", "web-from-clients");
    for (const h of nodes) assert.ok(await eventually(async () => !(await h.pontonOk("policy", "ls")).includes("web-from-clients"), 10_000));
    assert.ok(await eventually(() => reaches(0, "x0", "w2"), 10_000), "removed on every node: x0 reaches w2 again");
  });

  test("observe --all-nodes merges every node's flow records by time, each with its node; peers answer only with the cluster's token", async () => {
    // The policy test above left drops on each node: x_i → w_j is dropped on x_i's own node.
    const rows = JSON.parse(await nodes[0]!.pontonOk("observe", "--all-nodes", "--verdict", "DROPPED", "--last", "0", "-o", "json")) as { node: string; time: string; source: { ip: string }; destination: { ip: string; workload?: string } }[];
    // A remote pod is named in a node's records: x0 (n1) → w1 (n2), recorded on n1.
    assert.ok(rows.some((r) => r.node === "n1" && r.source.ip === ips.x0 && r.destination.ip === ips.w1 && r.destination.workload === "w1"), "n1 names n2's pod");
    const byNode = new Map<string, Set<string>>();
    for (const r of rows) byNode.set(r.node, (byNode.get(r.node) ?? new Set()).add(r.source.ip));
    for (const i of [0, 1, 2]) assert.ok(byNode.get(`n${i + 1}`)?.has(ips[`x${i}`]!), `n${i + 1} reports x${i}'s drops: ${JSON.stringify([...byNode].map(([n, s]) => [n, [...s]]))}`);
    const times = rows.map((r) => r.time);
    assert.deepEqual(times, [...times].sort(), "merged by time");
    assert.match(await nodes[1]!.pontonOk("observe", "--all-nodes", "--verdict", "DROPPED", "--last", "5"), /^n[123] {2}/m);
    // The peer listener on the node address: nothing without the token.
    for (const auth of [[], ["-H", "Authorization: Bearer nope"]]) {
      const r = await outside("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", ...auth, `http://${addr(0)}:4244/v1/flows`]);
      assert.equal(r.stdout, "401");
    }
  });

  test("a new pod on one node joins the service on the others; a pod stopped leaves it", async () => {
    await nodes[2]!.pontonOk("run", "-d", "--name", "w9", "--network", "pods", "--label", "app=web", "--", "socat", "TCP-LISTEN:80,fork,reuseaddr", "SYSTEM:echo w9");
    assert.ok(await eventually(async () => (await backendsSeen(inPod(0, "c0"), VIP, 80, 30)).includes("w9"), 15_000), "n1 balances to n3's new pod");
    await nodes[2]!.pontonOk("rm", "-f", "w9");
    assert.ok(await eventually(async () => (await backendsSeen(inPod(0, "c0"), VIP, 80, 24)) === "w0,w1,w2", 15_000), "and stops when it goes");
  });

  test("a node dies: the others drop its endpoints within the lease TTL (+1 s)", async () => {
    const t0 = Date.now();
    await nodes[2]!.stopDaemon("SIGKILL");
    const epsOn = async (i: number) => (JSON.parse(await nodes[i]!.pontonOk("service", "inspect", "web")) as { endpoints: { workload: string }[] }[])[0]!.endpoints.map((e) => e.workload).sort().join();
    assert.ok(await eventually(async () => (await epsOn(0)) === "w0,w1" && (await epsOn(1)) === "w0,w1", 20_000, 50));
    console.log(`# node death → endpoints gone on n1 and n2 after ${Date.now() - t0} ms (lease TTL ${TTL_S} s)`);
    assert.equal(await backendsSeen(inPod(0, "c0"), VIP, 80), "w0,w1");
    assert.equal(await backendsSeen(outside, addr(1), NODE_PORT), "w0,w1");
  });

  test("the node comes back: it publishes its pods again under its new lease, and they rejoin the service everywhere", async () => {
    await nodes[2]!.startDaemon();
    const epsOn = async (i: number) => (JSON.parse(await nodes[i]!.pontonOk("service", "inspect", "web")) as { endpoints: { workload: string }[] }[])[0]!.endpoints.map((e) => e.workload).sort().join();
    assert.ok(await eventually(async () => (await epsOn(0)) === "w0,w1,w2", 20_000), await epsOn(0));
    // A lease TTL later they are still there: they live under the new lease.
    await new Promise((r) => setTimeout(r, (TTL_S + 1) * 1000));
    assert.equal(await epsOn(0), "w0,w1,w2");
    assert.ok(await eventually(async () => (await backendsSeen(inPod(0, "c0"), VIP, 80)) === "w0,w1,w2", 15_000));
  });

  test("etcd gone: service and policy changes are refused with STORE_UNAVAILABLE, nothing changes, the VIP keeps balancing", async () => {
    for (const m of ul.members) process.kill(m.pid, "SIGKILL");
    const before = await nodes[0]!.pontonOk("service", "ls", "-o", "json");
    const r = await nodes[0]!.ponton("service", "create", "late", "--port", "80/tcp", "--selector", "app=web");
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /STORE_UNAVAILABLE/);
    const rm = await nodes[1]!.ponton("service", "rm", "web");
    assert.equal(rm.code, 6, rm.stderr);
    const p = await nodes[0]!.ponton("policy", "apply", "-f", path.join(ul.dir, "policy.yaml"));
    assert.equal(p.code, 6, p.stderr);
    assert.match(p.stderr, /STORE_UNAVAILABLE/);
    const ls = await nodes[0]!.pontonOk("policy", "ls");
    assert.ok(!ls.includes("web-from-clients"), `the refused policy is not applied locally: ${ls}`);
    assert.equal(await nodes[0]!.pontonOk("service", "ls", "-o", "json"), before);
    assert.equal(await backendsSeen(inPod(0, "c0"), VIP, 80), "w0,w1,w2");
  });
});

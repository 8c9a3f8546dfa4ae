// Cluster on the real kernel: an underlay switch, etcd in its own namespace, three nodes (each a
// TestHost with its own pontond) plugged into the switch.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { eventually, inspect, ping, sleep, TestHost } from "../harness";
import { Underlay, UNDERLAY_PREFIX } from "../underlay";
import { launchIn } from "../browser";
import type { NodeRow } from "../../../src/cli/commands/node";

const TTL_S = 2;
const UI_LISTEN = "127.0.0.1:12000";


describe("cluster membership", () => {
  const ul = new Underlay("cm");
  const nodes = ["n1", "n2", "n3"].map((n) => new TestHost(`c${n}`));
  const addr = (i: number) => `${UNDERLAY_PREFIX}.${11 + i}`;

  before(async () => {
    await ul.setUp();
    await ul.startEtcd(3);
    await Promise.all(
      nodes.map((h, i) => {
        h.daemonArgs = ["--cluster", ul.endpoints.join(","), "--node-name", `n${i + 1}`, "--node-ip", addr(i), "--node-lease-ttl", String(TTL_S), ...(i === 0 ? ["--ui-listen", UI_LISTEN] : [])];
        return h.setUp({ beforeDaemon: () => ul.plug(h.hostNs, "ul0", addr(i)).then(() => undefined) });
      }),
    );
  });
  after(async () => {
    for (const h of nodes) await h.tearDown();
    await ul.tearDown();
  });

  const nodeLs = async (h: TestHost) => JSON.parse(await h.pontonOk("node", "ls", "-o", "json")) as NodeRow[];

  test("every node sees the three nodes Ready with their addresses", async () => {
    for (const h of nodes) {
      const ls = await nodeLs(h);
      assert.deepEqual(ls.map((n) => [n.name, n.address, n.status]), [
        ["n1", addr(0), "Ready"],
        ["n2", addr(1), "Ready"],
        ["n3", addr(2), "Ready"],
      ]);
    }
    const table = await nodes[0]!.pontonOk("node", "ls");
    assert.match(table, /^NAME\s+ADDRESS\s+POD RANGE\s+STATUS\s+HEARTBEAT\s+WORKLOADS/);
  });

  test("the record counts the node's workloads", async () => {
    await nodes[1]!.pontonOk("run", "-d", "--name", "w", "--network", "bridge", "--", "sleep", "600");
    assert.ok(await eventually(async () => (await nodeLs(nodes[0]!)).find((n) => n.name === "n2")!.workloads === 1, 15_000));
  });

  test("a node that neither holds nor wants an L2 address writes no heartbeat (no etcd write and watch message per node every 250 ms)", async () => {
    const beats = async () => (await ul.etcdctl("get", "--prefix", "/ponton-l2beat/", "-w", "json")).stdout.match(/"mod_revision":\d+/g)?.join() ?? "";
    // No key, or a key that stands still (a node beat once while it held an address): either way no writes.
    const before = await beats();
    await sleep(1500);
    assert.equal(await beats(), before);
  });

  test("a Ready node cannot be forgotten", async () => {
    const r = await nodes[0]!.ponton("node", "rm", "n2");
    assert.equal(r.code, 3);
    assert.match(r.stderr, /NODE_READY/);
    assert.equal((await nodes[0]!.ponton("node", "rm", "nope")).code, 4);
  });

  const netLs = async (h: TestHost) => JSON.parse(await h.pontonOk("network", "ls", "-o", "json")) as { name: string; subnet4?: string }[];
  const blockOf = async (h: TestHost) => (await netLs(h)).find((n) => n.name === "pods")?.subnet4;
  const ipOf = async (h: TestHost, w: string) => (await inspect(h, w)).networks.find((n) => n.network === "pods")!.ip4!;

  test("a cluster network gives each node its own block of the range", async () => {
    await nodes[0]!.pontonOk("network", "create", "pods", "--scope", "cluster", "--subnet", "10.42.0.0/16", "--node-mask", "24");
    const dup = await nodes[1]!.ponton("network", "create", "pods", "--scope", "cluster", "--subnet", "10.43.0.0/16");
    assert.equal(dup.code, 3, dup.stderr);
    const overlap = await nodes[1]!.ponton("network", "create", "other", "--scope", "cluster", "--subnet", "10.42.128.0/17");
    assert.match(overlap.stderr, /SUBNET_OVERLAP/);
    for (const h of nodes) assert.ok(await eventually(async () => (await blockOf(h)) !== undefined, 20_000), `no block on ${h.prefix}`);
    const blocks = await Promise.all(nodes.map(blockOf));
    assert.equal(new Set(blocks).size, 3, `blocks: ${blocks.join(" ")}`);
    for (const b of blocks) assert.match(b!, /^10\.42\.\d+\.0\/24$/);
    const ls = await nodeLs(nodes[0]!);
    assert.deepEqual(ls.map((n) => n.blocks), blocks.map((b) => [`pods=${b}`]));
  });

  test("the overlay device is a VXLAN without learning, underlay MTU − 50", async () => {
    const r = await nodes[0]!.inHost("ip", ["-d", "-j", "link", "show", "pvx0"]);
    const [link] = JSON.parse(r.stdout) as { mtu: number; linkinfo: { info_kind: string; info_data: { id: number; port: number; learning: boolean } } }[];
    assert.equal(link!.linkinfo.info_kind, "vxlan");
    assert.equal(link!.linkinfo.info_data.id, 1);
    assert.equal(link!.linkinfo.info_data.port, 8472);
    assert.equal(link!.linkinfo.info_data.learning, false);
    assert.equal(link!.mtu, 1450);
  });

  test("pods on three nodes reach each other with their own addresses (ping, TCP, no NAT)", async () => {
    for (const [i, h] of nodes.entries()) {
      // socat answers with the address it saw: the client pod's own if nothing rewrote it.
      await h.pontonOk("run", "-d", "--name", `p${i}`, "--network", "pods", "--", "socat", "TCP-LISTEN:7000,fork,reuseaddr", "SYSTEM:echo $SOCAT_PEERADDR");
    }
    const ips = await Promise.all(nodes.map((h, i) => ipOf(h, `p${i}`)));
    for (const [i, h] of nodes.entries()) assert.ok(ips[i]!.startsWith((await blockOf(h))!.replace(/0\/24$/, "")), `${ips[i]} in its node's block`);
    for (const [from, to] of [[0, 1], [1, 2], [2, 0]] as const) {
      assert.ok(await eventually(() => ping(nodes[from]!, `p${from}`, ips[to]!), 15_000), `ping p${from} → p${to}`);
      const r = await nodes[from]!.inWorkload(`p${from}`, "socat", ["-T", "3", "-", `TCP:${ips[to]}:7000`], 8000);
      assert.equal(r.stdout.trim(), ips[from], `p${to} saw ${r.stdout.trim()} (stderr ${r.stderr})`);
    }
    // Bigger than the overlay MTU: path MTU discovery through the VXLAN device works.
    const big = await nodes[0]!.inWorkload("p0", "ping", ["-c", "1", "-W", "2", "-M", "dont", "-s", "3000", ips[1]!]);
    assert.equal(big.code, 0, big.stdout + big.stderr);
    // Pods take the overlay's MTU (underlay 1500 − 50): a full-size packet with DF set crosses as is.
    const eth0 = JSON.parse((await nodes[0]!.inWorkload("p0", "ip", ["-j", "link", "show", "eth0"])).stdout) as { mtu: number }[];
    assert.equal(eth0[0]!.mtu, 1450);
    const full = await nodes[0]!.inWorkload("p0", "ping", ["-c", "1", "-W", "2", "-M", "do", "-s", String(1450 - 28), ips[1]!]);
    assert.equal(full.code, 0, full.stdout + full.stderr);
  });

  test("node tunnels lists each remote block with its node's address; the kernel holds the same", async () => {
    const blocks = await Promise.all(nodes.map(blockOf));
    const ts = JSON.parse(await nodes[0]!.pontonOk("node", "tunnels", "-o", "json")) as { block: string; address: string; node: string }[];
    assert.deepEqual(ts.map((t) => [t.block, t.address, t.node]).sort(), [
      [blocks[1], addr(1), "n2"],
      [blocks[2], addr(2), "n3"],
    ].sort());
    const routes = JSON.parse((await nodes[0]!.inHost("ip", ["-j", "route", "show", "dev", "pvx0"])).stdout) as { dst: string; flags: string[] }[];
    assert.deepEqual(routes.map((r) => r.dst).sort(), [blocks[1], blocks[2]].sort());
    assert.ok(routes.every((r) => r.flags.includes("onlink")));
    const fdb = (await nodes[0]!.inHost("bridge", ["fdb", "show", "dev", "pvx0"])).stdout;
    assert.match(fdb, new RegExp(`dst ${addr(1).replace(/\./g, "\\.")} self permanent`));
    assert.match(await nodes[0]!.pontonOk("node", "tunnels"), /^PREFIX\s+TUNNEL\s+NODE/);
  });

  test("the web UI's plumbing view shows this node and the others, each with the blocks tunnelled to it", async () => {
    const b = await launchIn(nodes[0]!.hostNs, nodes[0]!.dir, "cluster-plumbing");
    try {
      const page = await b.context.newPage();
      await page.goto(`http://${UI_LISTEN}/#/plumbing`);
      const plumbing = page.getByTestId("plumbing");
      const tunnels = JSON.parse(await nodes[0]!.pontonOk("node", "tunnels", "-o", "json")) as { node: string; block: string }[];
      for (const n of ["n2", "n3"]) {
        await plumbing.locator(`[data-node="${n}"]`).waitFor({ timeout: 10_000 });
        const text = (await plumbing.locator(`[data-node="${n}"]`).textContent()) ?? "";
        assert.match(text, new RegExp(`node ${n} · Ready`));
        assert.ok(text.includes(tunnels.find((t) => t.node === n)!.block), `${n}: ${text}`);
      }
      assert.match((await plumbing.textContent()) ?? "", /this node · n1/);
      await page.screenshot({ path: path.join(b.artefacts, "cluster-plumbing.png"), fullPage: true });
    } finally {
      await b.close();
    }
  });

  test("block claims race: nine claimants of a /21 cut in /24s get eight distinct blocks, the ninth is refused", async () => {
    const dist = path.resolve(__dirname, "..", "..", "..");
    const script = `
      const { connectEtcd } = require(${JSON.stringify(path.join(dist, "src/cluster/etcd.js"))});
      const { ClusterIpam } = require(${JSON.stringify(path.join(dist, "src/cluster/overlay/cluster-ipam.js"))});
      const etcd = connectEtcd(${JSON.stringify(ul.endpoints)});
      const ipam = new ClusterIpam(etcd);
      // Not stored as a network, so the nodes do not claim in it themselves.
      const n = { name: "race", subnet: "10.50.0.0/21", nodeMask: 24 };
      Promise.allSettled(Array.from({ length: 9 }, (_, i) => ipam.claim(n, "c" + i))).then((rs) => {
        console.log(JSON.stringify(rs.map((r) => (r.status === "fulfilled" ? r.value : r.reason.code))));
        etcd.close();
      });`;
    const r = await nodes[0]!.inHost(process.execPath, ["-e", script], 30_000);
    const got = JSON.parse(r.stdout) as string[];
    assert.equal(got.filter((g) => g === "POOL_EXHAUSTED").length, 1, r.stdout + r.stderr);
    assert.equal(new Set(got.filter((g) => g !== "POOL_EXHAUSTED")).size, 8, r.stdout);
    const held = (await ul.etcdctl("get", "--prefix", "/ponton/blocks/race/", "--keys-only")).stdout.split("\n").filter(Boolean);
    assert.equal(held.length, 8);
  });

  test("a killed pontond turns NotReady after the lease TTL and its tunnel leaves the others", async () => {
    const blocks = await Promise.all(nodes.map(blockOf));
    const ips = await Promise.all(nodes.map((h, i) => ipOf(h, `p${i}`)));
    await nodes[2]!.stopDaemon("SIGKILL");
    assert.ok(await eventually(async () => (await nodeLs(nodes[0]!)).find((n) => n.name === "n3")?.status === "NotReady", 20_000));
    for (const h of nodes.slice(0, 2)) {
      assert.ok(
        await eventually(async () => !(await h.inHost("ip", ["route", "show", "dev", "pvx0"])).stdout.includes(blocks[2]!), 10_000),
        "the dead node's route is gone",
      );
    }
    assert.deepEqual((JSON.parse(await nodes[0]!.pontonOk("node", "tunnels", "-o", "json")) as { node: string }[]).map((t) => t.node), ["n2"]);
    assert.ok(await ping(nodes[0]!, "p0", ips[1]!), "the living nodes still reach each other");
    assert.equal((await nodeLs(nodes[1]!)).find((n) => n.name === "n1")!.status, "Ready");
    assert.match(await nodes[0]!.pontonOk("node", "rm", "n3"), /^n3 \(1 pod block freed\)/);
    assert.deepEqual((await nodeLs(nodes[1]!)).map((n) => n.name), ["n1", "n2"]);
  });

  test("a pontond restarted with the same name is Ready again and keeps its block", async () => {
    const before = await blockOf(nodes[1]!);
    await nodes[1]!.stopDaemon("SIGKILL");
    await nodes[1]!.startDaemon();
    const n2 = (await nodeLs(nodes[0]!)).find((n) => n.name === "n2")!;
    assert.equal(n2.status, "Ready");
    assert.deepEqual(n2.blocks, [`pods=${before}`]);
  });

  test("a three-member etcd losing one member changes nothing: nodes stay Ready, pods keep talking, changes still apply", async () => {
    process.kill(ul.members[0]!.pid, "SIGKILL");
    await sleep(TTL_S * 2 * 1000); // longer than a lease: a lost keepalive would show as NotReady
    assert.ok(
      await eventually(async () => (await nodeLs(nodes[0]!)).every((n) => n.status === "Ready"), 15_000),
      JSON.stringify(await nodeLs(nodes[0]!).catch((e) => String(e))),
    );
    const ip1 = await ipOf(nodes[1]!, "p1");
    assert.ok(await ping(nodes[0]!, "p0", ip1));
    await nodes[1]!.pontonOk("network", "create", "pods2", "--scope", "cluster", "--subnet", "10.44.0.0/16");
    assert.ok(await eventually(async () => (await netLs(nodes[0]!)).some((n) => n.name === "pods2"), 15_000));
  });

  test("etcd gone: cluster changes are refused with STORE_UNAVAILABLE, and the data plane keeps forwarding", async () => {
    for (const m of ul.members.slice(1)) process.kill(m.pid, "SIGKILL");
    const r = await nodes[0]!.ponton("network", "create", "pods3", "--scope", "cluster", "--subnet", "10.45.0.0/16");
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /STORE_UNAVAILABLE: network create pods3/);
    assert.equal((await nodes[0]!.ponton("node", "ls")).code, 6);
    assert.ok(await ping(nodes[0]!, "p0", await ipOf(nodes[1]!, "p1")), "pods on two nodes still reach each other");
  });

  test("etcd back: nodes resync and take changes again without rebuilding their kernel state", async () => {
    // What a rebuild would change: the overlay device (ifindex), the table's rules (handles), the FDB.
    const kernel = async (h: TestHost) => {
      const link = JSON.parse((await h.inHost("ip", ["-j", "link", "show", "pvx0"])).stdout) as { ifindex: number }[];
      const table = JSON.parse((await h.inHost("nft", ["-a", "-j", "list", "table", "inet", "ponton"])).stdout) as { nftables: { rule?: { chain: string; handle: number } }[] };
      const rules = table.nftables.flatMap((o) => (o.rule ? [`${o.rule.chain}#${o.rule.handle}`] : [])).sort();
      const fdb = (await h.inHost("bridge", ["fdb", "show", "dev", "pvx0"])).stdout.split("\n").filter((l) => l.includes("dst")).sort();
      return { ifindex: link[0]!.ifindex, rules, fdb };
    };
    const before = await Promise.all(nodes.slice(0, 2).map(kernel));
    await ul.restartMembers(ul.members); // the first was lost in the test before last
    assert.ok(await eventually(async () => (await nodes[0]!.ponton("node", "ls")).code === 0, 20_000), "node ls answers again");
    assert.ok(await eventually(async () => (await nodeLs(nodes[0]!)).filter((n) => n.name !== "n3").every((n) => n.status === "Ready"), 20_000));
    await nodes[0]!.pontonOk("network", "create", "pods3", "--scope", "cluster", "--subnet", "10.45.0.0/16");
    assert.ok(await eventually(async () => (await netLs(nodes[1]!)).some((n) => n.name === "pods3"), 15_000), "the other node took the new network");
    assert.ok(await ping(nodes[0]!, "p0", await ipOf(nodes[1]!, "p1")));
    const after = await Promise.all(nodes.slice(0, 2).map(kernel));
    for (const i of [0, 1]) {
      assert.equal(after[i]!.ifindex, before[i]!.ifindex, "the overlay device was kept");
      assert.deepEqual(after[i]!.fdb.filter((l) => before[i]!.fdb.includes(l)), before[i]!.fdb, "every FDB entry was kept");
      const kept = before[i]!.rules.filter((r) => after[i]!.rules.includes(r));
      assert.deepEqual(kept, before[i]!.rules, "no rule of the table was replaced");
    }
  });
});

describe("cluster refusals", () => {
  test("a single-host pontond answers node commands with NOT_IN_CLUSTER; a cluster pontond without etcd does not start and makes nothing", async () => {
    const h = await new TestHost("cr").setUp();
    try {
      const r = await h.ponton("node", "ls");
      assert.equal(r.code, 2);
      assert.match(r.stderr, /NOT_IN_CLUSTER/);
      await h.stopDaemon();
      // Nobody listens there: the daemon gives up with the documented code.
      h.daemonArgs = ["--cluster", "http://198.51.100.2:2379", "--node-name", "lonely", "--node-ip", "198.51.100.1"];
      await assert.rejects(h.startDaemon(), /STORE_UNAVAILABLE/);
      assert.equal((await h.inHost("ip", ["link", "show", "pvx0"])).code !== 0, true, "no overlay device was made");
      h.daemonArgs = ["--cluster", "http://198.51.100.2:2379", "--node-name", "lonely", "--node-ip", "192.0.2.250"];
      await assert.rejects(h.startDaemon(), /INVALID_ARGUMENT: --node-ip 192.0.2.250 is not an address of this host/);
    } finally {
      await h.tearDown();
    }
  });
});

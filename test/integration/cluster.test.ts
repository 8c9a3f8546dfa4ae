// Cluster on the real kernel: an underlay switch, etcd in its own namespace, three nodes (each a
// TestHost with its own pontond) plugged into the switch.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { eventually, TestHost } from "./harness";
import { Underlay, UNDERLAY_PREFIX } from "./underlay";

const TTL_S = 2;

interface NodeRow {
  name: string;
  address: string;
  status: string;
  heartbeat: string;
  workloads: number;
  blocks: string[];
}

describe("cluster membership", () => {
  const ul = new Underlay("cm");
  const nodes = ["n1", "n2", "n3"].map((n) => new TestHost(`c${n}`));
  const addr = (i: number) => `${UNDERLAY_PREFIX}.${11 + i}`;

  before(async () => {
    await ul.setUp();
    await ul.startEtcd(1);
    await Promise.all(
      nodes.map((h, i) => {
        h.daemonArgs = ["--cluster", ul.endpoints.join(","), "--node-name", `n${i + 1}`, "--node-ip", addr(i), "--node-lease-ttl", String(TTL_S)];
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

  test("a Ready node cannot be forgotten", async () => {
    const r = await nodes[0]!.ponton("node", "rm", "n2");
    assert.equal(r.code, 3);
    assert.match(r.stderr, /NODE_READY/);
    assert.equal((await nodes[0]!.ponton("node", "rm", "nope")).code, 4);
  });

  test("a killed pontond turns NotReady after the lease TTL; then node rm forgets it", async () => {
    await nodes[2]!.stopDaemon("SIGKILL");
    assert.ok(await eventually(async () => (await nodeLs(nodes[0]!)).find((n) => n.name === "n3")?.status === "NotReady", 20_000));
    assert.equal((await nodeLs(nodes[1]!)).find((n) => n.name === "n1")!.status, "Ready");
    assert.match(await nodes[0]!.pontonOk("node", "rm", "n3"), /^n3 /);
    assert.deepEqual((await nodeLs(nodes[1]!)).map((n) => n.name), ["n1", "n2"]);
  });

  test("a pontond restarted with the same name is Ready again", async () => {
    await nodes[1]!.stopDaemon("SIGKILL");
    await nodes[1]!.startDaemon();
    assert.equal((await nodeLs(nodes[0]!)).find((n) => n.name === "n2")!.status, "Ready");
  });
});

describe("etcd helper", () => {
  test("a three-member etcd on the underlay keeps answering with one member killed", async () => {
    const ul = await new Underlay("e3").setUp();
    try {
      await ul.startEtcd(3);
      assert.equal((await ul.etcdctl("put", "/k", "v")).code, 0);
      process.kill(ul.members[2]!.pid, "SIGKILL");
      const r = await ul.etcdctl("--endpoints", ul.endpoints.slice(0, 2).join(","), "get", "/k", "--print-value-only");
      assert.equal(r.stdout.trim(), "v");
    } finally {
      await ul.tearDown();
    }
  });
});

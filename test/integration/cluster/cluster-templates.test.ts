// Templates are cluster-scope with an owner node, on two nodes over one etcd (underlay namespaces, a
// pontond per node): the record is in etcd with its owner, every node lists it, a scale or rm on
// any node is made by the owner (only the owner runs replicas), `run --replicas --node N` makes N
// the owner, two nodes creating one template: one wins; a NotReady owner refuses the whole change
// (NODE_NOT_READY, nothing half-applied); the owner's restart keeps its templates; with etcd gone a
// template is refused (STORE_UNAVAILABLE) and nothing is made.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { eventually, inspect, TestHost } from "../harness";
import { Underlay, UNDERLAY_PREFIX } from "../underlay";
import { podsWorld } from "./cluster-world";

interface TemplateRow {
  name: string;
  replicas: number;
  running?: number;
  node?: string;
}

interface Row {
  name: string;
  node: string;
  state: string;
}

describe("cluster templates: one owner node, seen and changed from every node", () => {
  const ul = new Underlay("ht");
  const nodes = ["n1", "n2"].map((n) => new TestHost(`ht${n}`));
  const templates = async (i: number) => JSON.parse(await nodes[i]!.pontonOk("template", "ls", "-o", "json")) as TemplateRow[];
  const rows = async (i: number) => JSON.parse(await nodes[i]!.pontonOk("ls", "-o", "json")) as Row[];
  /** The replicas of a template, as `ls` on node i lists them: "node:name" sorted. */
  const replicas = async (i: number, t: string) => (await rows(i)).filter((r) => r.name.startsWith(`${t}-`)).map((r) => `${r.node}:${r.name}`).sort();
  const record = async (name: string) => {
    const out = (await ul.etcdctl("get", `/ponton/templates/default/${name}`, "--print-value-only")).stdout.trim();
    return out ? (JSON.parse(out) as { owner: string; replicas: number }) : undefined;
  };
  /** The templates node i owns (its own store's, with their running count). */
  const own = async (i: number) => (await templates(i)).filter((t) => t.node === `n${i + 1}` && t.running !== undefined).map((t) => t.name);

  podsWorld(ul, nodes);

  test("run --replicas on n1: the record in etcd with owner n1; template ls and ls on n2 show it and its replicas on n1", async () => {
    await nodes[0]!.pontonOk("run", "-d", "--name", "web", "--replicas", "2", "--network", "pods", "--", "sleep", "3600");
    assert.deepEqual(await record("web").then((r) => r && [r.owner, r.replicas]), ["n1", 2]);
    for (const i of [0, 1]) {
      const t = (await templates(i)).find((x) => x.name === "web");
      assert.deepEqual(t && [t.node, t.running, t.replicas], ["n1", 2, 2], `n${i + 1}: ${JSON.stringify(await templates(i))}`);
      assert.deepEqual(await replicas(i, "web"), ["n1:web-1", "n1:web-2"]);
      assert.match(await nodes[i]!.pontonOk("template", "ls"), /^NODE\s+NAME\s+REPLICAS[\s\S]*^n1\s+web\s+2\/2/m);
    }
  });

  test("scale on n2 of n1's template: n1 makes the replica (n2 none); the count in etcd follows", async () => {
    assert.equal((await nodes[1]!.pontonOk("scale", "web=3")).trim(), "web: 3 (+web-3)");
    assert.equal((await nodes[0]!.ponton("inspect", "web-3")).code, 0, "web-3 is n1's");
    assert.equal(((await inspect(nodes[1]!, "web-3")) as { node?: string }).node, "n1", "n2 runs no replica: its inspect is n1's answer");
    assert.equal((await record("web"))?.replicas, 3);
    assert.deepEqual(await replicas(1, "web"), ["n1:web-1", "n1:web-2", "n1:web-3"]);
  });

  test("run --replicas --node n2 on n1: n2 owns the template and runs its replicas", async () => {
    const out = await nodes[0]!.pontonOk("run", "-d", "--name", "api", "--replicas", "1", "--node", "n2", "--network", "pods", "--", "sleep", "3600");
    assert.equal(out.trim(), "api-1");
    assert.equal((await record("api"))?.owner, "n2");
    assert.equal((await nodes[1]!.ponton("inspect", "api-1")).code, 0, "api-1 is n2's");
    assert.equal(((await inspect(nodes[0]!, "api-1")) as { node?: string }).node, "n2", "n1 runs no replica: its inspect is n2's answer");
    assert.deepEqual(await replicas(0, "api"), ["n2:api-1"]);
    const again = await nodes[1]!.ponton("run", "--name", "api", "--replicas", "1", "--network", "pods");
    assert.equal(again.code, 3, again.stderr);
    assert.match(again.stderr, /NAME_IN_USE/);
  });

  test("two nodes creating one template at once: exactly one owns it; the other made nothing", async () => {
    const rs = await Promise.all(nodes.map((h) => h.ponton("run", "-d", "--name", "race", "--replicas", "1", "--network", "pods", "--", "sleep", "3600")));
    assert.equal(rs.filter((r) => r.code === 0).length, 1, rs.map((r) => `${r.code} ${r.stderr.trim()}`).join(" | "));
    for (const r of rs) if (r.code !== 0) assert.match(r.stderr, /NAME_IN_USE/);
    const winner = rs.findIndex((r) => r.code === 0);
    assert.equal((await record("race"))?.owner, `n${winner + 1}`);
    assert.deepEqual(await replicas(1 - winner, "race"), [`n${winner + 1}:race-1`], "one replica, on the winner");
    await nodes[1 - winner]!.pontonOk("template", "rm", "race");
    assert.equal(await record("race"), undefined, "rm from the loser removed the winner's");
    assert.deepEqual(await replicas(winner, "race"), []);
  });

  test("a NotReady owner: scale and rm refused with NODE_NOT_READY; a scale that names it changes nothing else", async () => {
    await ul.etcdctl("put", "/ponton/nodes/ghost/info", JSON.stringify({ name: "ghost", address: `${UNDERLAY_PREFIX}.99`, heartbeat: "2026-01-01T00:00:00.000Z", workloads: 0 }));
    const rec = { name: "gt", owner: "ghost", replicas: 1, createdAt: "2026-01-01T00:00:00.000Z", spec: { name: "gt", networks: ["pods"] } };
    await ul.etcdctl("put", "/ponton/templates/default/gt", JSON.stringify(rec));
    try {
      const t = (await templates(0)).find((x) => x.name === "gt");
      assert.deepEqual(t && [t.node, t.running, t.replicas], ["ghost", undefined, 1], "listed from its record, running unknown");
      assert.match(await nodes[0]!.pontonOk("template", "ls"), /^ghost\s+gt\s+\?\/1/m);
      for (const args of [["scale", "web=1", "gt=2"], ["template", "rm", "gt"]]) {
        const r = await nodes[0]!.ponton(...args);
        assert.equal(r.code, 3, `${args.join(" ")}: ${r.stderr}`);
        assert.match(r.stderr, /NODE_NOT_READY.*owner node ghost is NotReady/);
      }
      assert.deepEqual(JSON.parse((await ul.etcdctl("get", "/ponton/templates/default/gt", "--print-value-only")).stdout), rec, "the record unchanged");
      assert.equal((await record("web"))?.replicas, 3, "web not scaled down");
      assert.deepEqual(await replicas(0, "web"), ["n1:web-1", "n1:web-2", "n1:web-3"]);
    } finally {
      await ul.etcdctl("del", "/ponton/templates/default/gt");
      await ul.etcdctl("del", "/ponton/nodes/ghost/info");
    }
  });

  test("the owner stopped: its template stays listed, a scale of it is NODE_NOT_READY; restarted, it keeps the template and scales it", async () => {
    await nodes[1]!.stopDaemon();
    try {
      const t = (await templates(0)).find((x) => x.name === "api");
      assert.deepEqual(t && [t.node, t.replicas], ["n2", 1]);
      const r = await nodes[0]!.ponton("scale", "api=2");
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /NODE_NOT_READY/);
      assert.equal((await record("api"))?.replicas, 1);
    } finally {
      await nodes[1]!.startDaemon();
    }
    assert.ok(await eventually(async () => (await nodes[0]!.ponton("scale", "api=2")).code === 0, 20_000), "scaled once n2 is back");
    assert.equal((await record("api"))?.replicas, 2);
    assert.deepEqual(await replicas(1, "api"), ["n2:api-1", "n2:api-2"]);
    assert.deepEqual(await own(1), ["api"]);
  });

  test("template rm on n2 of n1's template: n1 removes its replicas, the record goes, no node lists it", async () => {
    await nodes[1]!.pontonOk("template", "rm", "web");
    assert.equal(await record("web"), undefined);
    for (const i of [0, 1]) {
      assert.equal((await templates(i)).find((t) => t.name === "web"), undefined);
      assert.deepEqual(await replicas(i, "web"), []);
    }
    const missing = await nodes[1]!.ponton("template", "rm", "web");
    assert.equal(missing.code, 4, missing.stderr);
    assert.match(missing.stderr, /TEMPLATE_NOT_FOUND/);
  });

  test("etcd gone: run --replicas is refused with STORE_UNAVAILABLE and makes nothing", async () => {
    for (const m of ul.members) process.kill(m.pid, "SIGKILL");
    const r = await nodes[0]!.ponton("run", "-d", "--name", "late", "--replicas", "1", "--network", "pods", "--", "sleep", "3600");
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /STORE_UNAVAILABLE/);
    assert.notEqual((await nodes[0]!.ponton("inspect", "late-1")).code, 0, "no replica");
    const scale = await nodes[1]!.ponton("scale", "api=1");
    assert.equal(scale.code, 6, scale.stderr);
    assert.match(scale.stderr, /STORE_UNAVAILABLE/);
    assert.equal((await nodes[1]!.ponton("inspect", "api-2")).code, 0, "api not scaled down");
  });
});

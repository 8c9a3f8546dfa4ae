// Replicas on the real kernel: `run --replicas`, a service load-balancing over them with real
// connections, `scale` up and down (removed replicas leave the kernel), restart, `template rm`, bad input.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { TestHost, eventually, listWorkloads, type Result } from "../harness";
import { replies, tally } from "../replies";

interface TemplateJson {
  name: string;
  replicas: number;
  running: number;
  labels: Record<string, string>;
  networks: string[];
  workloads: { name: string; index: number; state: string }[];
}

describe("replicas", () => {
  let h: TestHost;
  let vip: string;
  const inCli = (c: string, a: string[], t?: number) => h.inWorkload("cli", c, a, t);

  /** `n` new TCP connections to the VIP in sequence; each answers its replica's name. */
  const names = (n: number) => replies(inCli, vip, 80, n);
  const templates = async () => JSON.parse(await h.pontonOk("template", "ls", "-o", "json")) as TemplateJson[];
  const replicaNames = async () => (await listWorkloads(h)).map((w) => w.name).filter((n) => n.startsWith("web-")).sort();
  const netnsOnMachine = () => new Set(readdirSync("/run/netns"));
  const hostLinks = async () => (await h.inHost("ip", ["-o", "link", "show"])).stdout;
  const errorOf = (r: Result) => ({ exit: r.code, code: /Error: ([A-Z_]+):/.exec(r.stderr)?.[1] });

  before(async () => {
    h = await new TestHost("rp").setUp();
    await h.pontonOk("network", "create", "web", "--subnet", "172.32.0.0/24");
    await h.pontonOk("run", "--name", "cli", "--network", "web");
    // One command for every replica: SYSTEM's shell expands the name each replica was given.
    const out = await h.pontonOk("run", "--name", "web", "--replicas", "3", "--network", "web", "--label", "app=web", "--", "socat", "TCP-LISTEN:80,fork,reuseaddr", "SYSTEM:echo $PONTON_REPLICA_NAME");
    assert.deepEqual(out.trim().split("\n"), ["web-1", "web-2", "web-3"]);
    const svc = JSON.parse(await h.pontonOk("service", "create", "web", "--port", "80/tcp", "--selector", "app=web", "--scheduler", "rr", "-o", "json")) as { vip: string };
    vip = svc.vip;
    assert.ok(
      await eventually(async () => {
        const first = await names(3);
        return new Set(first).size === 3 && !first.includes("ERR");
      }, 15_000),
    );
  });
  after(() => h.tearDown());

  test("3 replicas carry the template's labels and share 30 connections 10/10/10", async () => {
    const ws = (await listWorkloads(h)).filter((w) => w.name.startsWith("web-"));
    assert.deepEqual(ws.map((w) => [w.name, w.labels.app, w.networks[0]?.network]), [["web-1", "web", "web"], ["web-2", "web", "web"], ["web-3", "web", "web"]]);
    assert.deepEqual(tally(await names(30)), { "web-1": 10, "web-2": 10, "web-3": 10 });
    const [t] = await templates();
    assert.deepEqual([t!.name, t!.replicas, t!.running, t!.labels, t!.networks], ["web", 3, 3, { app: "web" }, ["web"]]);
    assert.match(await h.pontonOk("template", "ls"), /^web\s+3\/3\s+default\s+app=web\s+web\s+socat/m);
  });

  test("scale to 5: five endpoints answer", async () => {
    assert.match(await h.pontonOk("scale", "web=5"), /web: 5 \(\+web-4 \+web-5\)/);
    assert.ok(await eventually(async () => new Set(await names(5)).size === 5, 15_000));
    assert.deepEqual(tally(await names(50)), { "web-1": 10, "web-2": 10, "web-3": 10, "web-4": 10, "web-5": 10 });
  });

  test("scale to 1: only web-1 answers; the others' namespaces and veths are gone", async () => {
    const before = (await listWorkloads(h)).filter((w) => /^web-[2-5]$/.test(w.name));
    const veths = before.map((w) => w.networks[0]!.hostIfname);
    assert.equal(veths.length, 4);
    assert.match(await h.pontonOk("scale", "web=1"), /web: 1 \(-web-5 -web-4 -web-3 -web-2\)/);
    assert.deepEqual(await replicaNames(), ["web-1"]);
    assert.deepEqual(tally(await names(10)), { "web-1": 10 });
    const netns = netnsOnMachine();
    for (const i of [2, 3, 4, 5]) assert.ok(!netns.has(h.ns(`web-${i}`)), `netns of web-${i}`);
    const links = await hostLinks();
    for (const v of veths) assert.ok(!links.includes(v), `veth ${v}`);
    // Idempotent.
    assert.match(await h.pontonOk("scale", "web=1"), /web: 1 \(unchanged\)/);
  });

  test("bad input: a code, and nothing half-applied", async () => {
    assert.deepEqual(errorOf(await h.ponton("scale", "nosuch=2")), { exit: 4, code: "TEMPLATE_NOT_FOUND" });
    assert.deepEqual(errorOf(await h.ponton("scale", "web=-1")), { exit: 2, code: "INVALID_ARGUMENT" });
    assert.deepEqual(errorOf(await h.ponton("scale", "web=two")), { exit: 2, code: "INVALID_ARGUMENT" });
    assert.deepEqual(errorOf(await h.ponton("scale", "web")), { exit: 2, code: "INVALID_ARGUMENT" });
    // The daemon checks every pair before it changes any: web stays at 1.
    await assert.rejects(h.client.request("POST", "/v1/scale", { replicas: { web: 3, nosuch: 2 } }), { code: "TEMPLATE_NOT_FOUND" });
    await assert.rejects(h.client.request("POST", "/v1/scale", { replicas: { web: 3, cli: -1 } }), { code: "TEMPLATE_NOT_FOUND" });
    await assert.rejects(h.client.request("POST", "/v1/scale", { replicas: { web: -2 } }), { code: "INVALID_ARGUMENT" });
    assert.deepEqual(await replicaNames(), ["web-1"]);
    assert.equal((await templates())[0]!.replicas, 1);
    // Published ports cannot be held by several replicas; a template of one may publish, and not grow.
    assert.deepEqual(errorOf(await h.ponton("run", "--name", "pub", "--replicas", "2", "--network", "web", "-p", "8080:80")), { exit: 3, code: "PORT_IN_USE" });
    assert.deepEqual(errorOf(await h.ponton("run", "--name", "web", "--replicas", "1", "--network", "web")), { exit: 3, code: "NAME_IN_USE" });
    assert.deepEqual(errorOf(await h.ponton("run", "--name", "bad", "--replicas", "2", "--network", "nonet")), { exit: 4, code: "NETWORK_NOT_FOUND" });
    await h.pontonOk("run", "--name", "pub", "--replicas", "1", "--network", "web", "-p", "8080:80");
    assert.deepEqual(errorOf(await h.ponton("scale", "pub=2")), { exit: 3, code: "PORT_IN_USE" });
    await h.pontonOk("template", "rm", "pub");
    assert.deepEqual((await templates()).map((t) => t.name), ["web"]);
    assert.ok(!(await listWorkloads(h)).some((w) => w.name.startsWith("pub") || w.name.startsWith("bad")));
  });

  test("a run or grow that fails half way (subnet full) takes back what it made", async () => {
    // A /29 has 5 addresses for workloads.
    await h.pontonOk("network", "create", "tiny", "--subnet", "172.33.0.0/29");
    assert.deepEqual(errorOf(await h.ponton("run", "--name", "t", "--replicas", "8", "--network", "tiny")), { exit: 3, code: "SUBNET_FULL" });
    assert.ok(!(await templates()).some((t) => t.name === "t"));
    assert.ok(!(await listWorkloads(h)).some((w) => w.name.startsWith("t-")));
    await h.pontonOk("run", "--name", "t", "--replicas", "2", "--network", "tiny");
    assert.deepEqual(errorOf(await h.ponton("scale", "web=2", "t=8")), { exit: 3, code: "SUBNET_FULL" });
    assert.deepEqual((await templates()).map((t) => [t.name, t.replicas, t.workloads.length]), [["t", 2, 2], ["web", 1, 1]]);
    await h.pontonOk("template", "rm", "t");
    await h.pontonOk("network", "rm", "tiny");
  });

  test("daemon restart: templates and replicas persist; a replica removed by hand comes back, none twice", async () => {
    await h.pontonOk("scale", "web=3");
    await h.pontonOk("rm", "web-2", "--time", "0");
    assert.deepEqual(await replicaNames(), ["web-1", "web-3"]);
    assert.equal((await templates())[0]!.running, 2);
    await h.stopDaemon();
    await h.startDaemon();
    assert.deepEqual(await replicaNames(), ["web-1", "web-2", "web-3"]);
    await h.stopDaemon();
    await h.startDaemon();
    assert.deepEqual(await replicaNames(), ["web-1", "web-2", "web-3"]);
    assert.ok(await eventually(async () => Object.keys(tally(await names(6))).sort().join() === "web-1,web-2,web-3", 15_000));
  });

  test("pontond killed (SIGKILL) in the middle of a scale: after restart the count and the replicas agree, none twice, nothing leaked", async () => {
    const scaling = h.ponton("scale", "web=12");
    const made = async () => (await h.client.request<{ name: string }[]>("GET", "/v1/workloads")).filter((w) => w.name.startsWith("web-")).length;
    assert.ok(await eventually(async () => (await made()) >= 5, 10_000, 10));
    await h.stopDaemon("SIGKILL");
    assert.notEqual((await scaling).code, 0, "the kill landed before the scale finished");
    await h.startDaemon();
    const names = await replicaNames();
    assert.equal((await templates())[0]!.replicas, 12);
    assert.deepEqual(names, Array.from({ length: 12 }, (_, i) => `web-${i + 1}`).sort());
    const left = [...netnsOnMachine()].filter((n) => n.startsWith(h.ns("web-"))).sort();
    assert.deepEqual(left, names.map((n) => h.ns(n)).sort());
    await h.pontonOk("scale", "web=3");
  });

  test("scale to 0 keeps the template; template rm removes it and every replica", async () => {
    await h.pontonOk("scale", "web=0");
    assert.deepEqual(await replicaNames(), []);
    assert.deepEqual((await templates()).map((t) => [t.name, t.replicas]), [["web", 0]]);
    await h.pontonOk("scale", "web=2");
    assert.deepEqual(await replicaNames(), ["web-1", "web-2"]);
    assert.equal((await h.pontonOk("template", "rm", "web")).trim(), "web");
    assert.deepEqual(await replicaNames(), []);
    assert.deepEqual(await templates(), []);
    const netns = netnsOnMachine();
    for (const i of [1, 2, 3]) assert.ok(!netns.has(h.ns(`web-${i}`)));
    assert.deepEqual(errorOf(await h.ponton("template", "rm", "web")), { exit: 4, code: "TEMPLATE_NOT_FOUND" });
    await h.pontonOk("template", "rm", "-f", "web");
  });

  test("`replicas: N` in `ponton up`: made, scaled by a changed count, recreated by a changed spec, removed by down", async () => {
    const file = path.join(h.dir, "shop.yaml");
    const up = async (replicas: string, text: string) => {
      writeFileSync(file, `name: shop\nworkloads:\n  shop:\n    replicas: ${replicas}\n    networks: [web]\n    labels: { app: shop }\n    command: ["socat", "TCP-LISTEN:80,fork,reuseaddr", "SYSTEM:echo ${text} $PONTON_REPLICA_NAME"]\n`);
      return h.ponton("up", file, "-o", "json");
    };
    const report = async (replicas: string, text: string) => {
      const r = await up(replicas, text);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as Record<string, string[]>;
    };
    const shops = async () => (await listWorkloads(h)).filter((w) => w.name.startsWith("shop-")).map((w) => `${w.name}:${w.project}`);
    assert.deepEqual((await report("2", "v1")).created, ["template shop", "workload shop-1", "workload shop-2"]);
    assert.deepEqual(await shops(), ["shop-1:shop", "shop-2:shop"]);
    assert.deepEqual((await report("2", "v1")).unchanged, ["template shop"]);
    const grown = await report("3", "v1");
    assert.deepEqual([grown.created, grown.removed], [["workload shop-3"], []]);
    const recreated = await report("3", "v2");
    assert.deepEqual(recreated.recreated, ["template shop", "workload shop-1", "workload shop-2", "workload shop-3"]);
    assert.equal((await h.inWorkload("cli", "socat", ["-T2", "-u", `TCP:${(await listWorkloads(h)).find((w) => w.name === "shop-2")!.networks[0]!.ip4}:80`, "-"])).stdout.trim(), "v2 shop-2");
    // A bad count fails the file and changes nothing.
    assert.deepEqual(errorOf(await up("-3", "v2")), { exit: 2, code: "INVALID_YAML" });
    assert.equal((await shops()).length, 3);
    assert.deepEqual((await report("3", "v2")).unchanged, ["template shop"]);
    const down = await h.ponton("down", file, "-o", "json");
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(await shops(), []);
    assert.ok(!(await templates()).some((t) => t.name === "shop"));
    for (const i of [1, 2, 3]) assert.ok(!netnsOnMachine().has(h.ns(`shop-${i}`)));
  });
});

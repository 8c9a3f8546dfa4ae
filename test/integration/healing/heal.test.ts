// Damage of every kind heals by itself, from kernel events (no `ponton reconcile`, no polling):
// each chain of `inet ponton` flushed, one element of each map/set deleted, a veth deleted, set
// down or released from its bridge, a bridge deleted, a bridge address deleted, namespaces deleted.
// Each time the kernel state comes back and traffic flows again; a burst of pontond's own changes
// causes no repair at all.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { TestHost, curlFrom, docRoot, eventually, inspect, listWorkloads, ping, sh, UPLINK_HOST } from "../harness";

/** Generous bound for a repair (the 1 s goal is measured in bench/repair, not asserted). */
const REPAIR_MS = 5_000;

describe("the healer repairs every kind of damage from kernel events", () => {
  let h: TestHost;
  const published = () => curlFrom((c, a, t) => h.inOutside(c, a, t), `http://${UPLINK_HOST}:8091/`);
  /** The table as text, counters left out, lines sorted (element order is the kernel's). */
  const table = async () => {
    const r = await h.inHost("nft", ["-s", "list", "table", "inet", "ponton"]);
    return r.code === 0 ? r.stdout.split("\n").map((l) => l.trim()).filter(Boolean).sort().join("\n") : `missing: ${r.stderr}`;
  };
  const metrics = async () => (await sh("curl", ["-s", "--unix-socket", h.socket, "http://pontond/metrics"])).stdout;
  const metric = (text: string, name: string) => [...text.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? (\\d+)$`, "gm"))].reduce((s, m) => s + Number(m[2]), 0);
  const repairs = async () => metric(await metrics(), "ponton_repairs_total");
  const bridge = async () => (JSON.parse(await h.pontonOk("network", "inspect", "hn")) as { bridge: string }[])[0]!.bridge;
  const hostLink = async (name: string) => {
    const r = await h.inHost("ip", ["-j", "link", "show", name]);
    return r.code === 0 ? (JSON.parse(r.stdout) as { ifname: string; master?: string; flags: string[] }[])[0] : undefined;
  };

  before(async () => {
    h = await new TestHost("he").setUp();
    await h.pontonOk("network", "create", "hn", "--subnet", "10.58.0.0/24");
    await h.pontonOk("run", "--name", "web", "--network", "hn", "-p", "8091:80", "--label", "app=web", "--restart", "always", "--", "busybox", "httpd", "-f", "-p", "80", "-h", docRoot(h, "web", "web-ok"));
    await h.pontonOk("run", "--name", "peer", "--network", "hn");
    await h.pontonOk("run", "--name", "keep", "--network", "hn", "--restart", "always");
    await h.pontonOk("run", "--name", "solo", "--network", "hn");
    // A service and a user rule, so that their maps, sets and chains are in the table too.
    await h.pontonOk("service", "create", "websvc", "--port", "80/tcp", "--selector", "app=web");
    await h.pontonOk("firewall", "add", "tcp", "dport", "5999", "reject");
    assert.ok(await eventually(async () => (await published()) === "web-ok"));
  });
  after(() => h.tearDown());

  test("every chain flushed, one by one: the table and the published port come back", async () => {
    const baseline = await table();
    const r = await h.inHost("nft", ["-j", "list", "table", "inet", "ponton"]);
    const objects = (JSON.parse(r.stdout) as { nftables: { chain?: { name: string }; rule?: { chain: string } }[] }).nftables;
    const chains = objects.flatMap((o) => (o.chain ? [o.chain.name] : []));
    // A chain without rules: flushing it changes nothing, so there is nothing to repair.
    const withRules = chains.filter((c) => objects.some((o) => o.rule?.chain === c));
    assert.ok(withRules.length > 10, `chains with rules: ${withRules.join(" ")}`);
    const before = await repairs();
    for (const chain of withRules) {
      const f = await h.inHost("nft", ["flush", "chain", "inet", "ponton", chain]);
      assert.equal(f.code, 0, f.stderr);
      assert.ok(await eventually(async () => (await table()) === baseline, REPAIR_MS, 50), `table back after flushing ${chain}`);
      assert.equal(await published(), "web-ok", `published port works after flushing ${chain}`);
    }
    assert.ok((await repairs()) - before >= withRules.length, "each flush counted as a repair");
  });

  test("one element of each map and set deleted: put back", async () => {
    const baseline = await table();
    const r = await h.inHost("nft", ["-j", "list", "table", "inet", "ponton"]);
    const named = (JSON.parse(r.stdout) as { nftables: Record<string, { name: string; elem?: unknown[]; flags?: string[] }>[] }).nftables
      .flatMap((o) => [o.set, o.map].filter((s) => s?.elem?.length && !s.flags?.includes("dynamic")))
      .map((s) => s!.name);
    assert.ok(named.length >= 5, `sets with elements: ${named.join(" ")}`);
    for (const name of named) {
      const text = (await h.inHost("nft", ["list", "set", "inet", "ponton", name])).stdout + (await h.inHost("nft", ["list", "map", "inet", "ponton", name])).stdout;
      const elements = /elements = \{([^}]*)\}/.exec(text)![1]!;
      const first = elements.split(",")[0]!.split(" : ")[0]!.trim();
      const d = await h.inHost("nft", ["delete", "element", "inet", "ponton", name, `{ ${first} }`]);
      assert.equal(d.code, 0, `delete ${first} from ${name}: ${d.stderr}`);
      assert.ok(await eventually(async () => (await table()) === baseline, REPAIR_MS, 50), `element ${first} of ${name} back`);
    }
    assert.equal(await published(), "web-ok");
  });

  test("a veth deleted, set down, released; the bridge deleted; its address deleted: rebuilt, traffic back", async () => {
    const web = await inspect(h, "web");
    const peer = await inspect(h, "peer");
    const veth = web.networks[0]!.hostIfname;
    const br = await bridge();
    const webIp = web.networks[0]!.ip4!;
    const healthy = async () => {
      const [v, b] = [await hostLink(veth), await hostLink(br)];
      const addr = (await h.inHost("ip", ["-4", "-o", "addr", "show", "dev", br])).stdout;
      return v?.master === br && v.flags.includes("UP") && !!b?.flags.includes("UP") && addr.includes("10.58.0.1/24") && (await ping(h, "peer", webIp)) && (await published()) === "web-ok";
    };
    const damage: [string, string[]][] = [
      ["veth deleted", ["link", "del", veth]],
      ["veth down", ["link", "set", veth, "down"]],
      ["veth released", ["link", "set", veth, "nomaster"]],
      ["bridge down", ["link", "set", br, "down"]],
      ["bridge address deleted", ["addr", "del", "10.58.0.1/24", "dev", br]],
      ["bridge deleted", ["link", "del", br]],
    ];
    for (const [what, args] of damage) {
      const r = await h.inHost("ip", args);
      assert.equal(r.code, 0, `${what}: ${r.stderr}`);
      assert.ok(await eventually(healthy, REPAIR_MS, 50), `repaired: ${what}`);
    }
    assert.ok(await ping(h, "web", peer.networks[0]!.ip4!));
    const routes = (await h.inWorkload("web", "ip", ["route"])).stdout;
    assert.match(routes, /default via 10\.58\.0\.1 dev eth0/, "the rebuilt veth has its default route");
  });

  test("namespaces deleted: renamed when a process holds it, rebuilt with --restart always, else marked broken", async () => {
    const web = await inspect(h, "web");
    const keep = await inspect(h, "keep");
    const solo = await inspect(h, "solo");
    const present = (name: string) => readdirSync("/run/netns").includes(h.ns(name));

    // web's process holds its namespace: only the name goes, and comes back; same process, same port.
    assert.equal((await h.inHost("ip", ["netns", "del", h.ns("web")])).code, 0);
    assert.ok(await eventually(async () => present("web"), REPAIR_MS, 50), "web's name back");
    assert.equal((await inspect(h, "web")).pid, web.pid);
    assert.equal(await published(), "web-ok");

    // keep: nobody holds it, the kernel destroys it; --restart always rebuilds it at its address.
    assert.equal((await h.inHost("ip", ["netns", "del", h.ns("keep")])).code, 0);
    assert.ok(await eventually(async () => present("keep") && (await ping(h, "peer", keep.networks[0]!.ip4!)), REPAIR_MS, 50), "keep rebuilt and reachable");
    assert.equal((await inspect(h, "keep")).state, "running");

    // web again, process and namespace together: rebuilt and restarted (--restart always).
    const pids = (await sh("ip", ["netns", "pids", h.ns("web")])).stdout.split("\n").filter(Boolean);
    assert.ok(pids.length >= 1);
    for (const p of pids) process.kill(Number(p), "SIGKILL");
    assert.equal((await h.inHost("ip", ["netns", "del", h.ns("web")])).code, 0);
    assert.ok(await eventually(async () => (await published()) === "web-ok", REPAIR_MS, 100), "web serves again");
    const web2 = await inspect(h, "web");
    assert.equal(web2.state, "running");
    assert.notEqual(web2.pid, web.pid, "a new process");

    // solo: no restart policy: broken, in ls, inspect, /metrics and the log; `ponton start` brings it back.
    const brokenBefore = metric(await metrics(), "ponton_workloads_broken_total");
    assert.equal((await h.inHost("ip", ["netns", "del", h.ns("solo")])).code, 0);
    assert.ok(await eventually(async () => (await listWorkloads(h)).find((w) => w.name === "solo")?.state === "broken", REPAIR_MS, 50), "solo broken in ls");
    assert.equal((await inspect(h, "solo")).state, "broken");
    const m = await metrics();
    assert.equal(metric(m, "ponton_workloads_broken"), 1);
    assert.equal(metric(m, "ponton_workloads_broken_total"), brokenBefore + 1);
    assert.match(readFileSync(path.join(h.dir, "pontond.log"), "utf8"), /workload solo is broken: its network namespace vanished/);
    assert.equal(present("solo"), false, "not rebuilt without --restart always");
    assert.equal(await hostLink(solo.networks[0]!.hostIfname), undefined, "its leftover veth end is gone");
    await h.pontonOk("start", "solo");
    assert.equal((await inspect(h, "solo")).state, "running");
    assert.ok(await eventually(async () => ping(h, "peer", solo.networks[0]!.ip4!)), "solo reachable at its address again");
  });

  test("a burst of pontond's own changes causes no repair and is never taken for someone else's", async () => {
    const m0 = await metrics();
    for (let i = 0; i < 4; i++) await h.pontonOk("run", "--name", `burst${i}`, "--network", "hn", "-p", `${8100 + i}:80`, "--label", "app=web", "--", "busybox", "httpd", "-f", "-p", "80", "-h", docRoot(h, "burst", "burst-ok"));
    await h.pontonOk("network", "create", "hn2", "--subnet", "10.59.0.0/24");
    await h.pontonOk("network", "connect", "hn2", "burst0");
    await h.pontonOk("network", "disconnect", "hn2", "burst0");
    await h.pontonOk("service", "create", "burstsvc", "--port", "80/tcp", "--selector", "app=web", "--publish", "8200:80");
    await h.pontonOk("label", "burst1", "app-");
    await h.pontonOk("stop", "burst2");
    await h.pontonOk("start", "burst2");
    await h.pontonOk("firewall", "add", "tcp", "dport", "6000", "reject");
    await h.pontonOk("reconcile");
    await h.pontonOk("service", "rm", "burstsvc");
    for (let i = 0; i < 4; i++) await h.pontonOk("rm", "-f", `burst${i}`);
    await h.pontonOk("network", "rm", "hn2");
    await new Promise((r) => setTimeout(r, 1000));
    const m1 = await metrics();
    for (const name of ["ponton_repairs_total", "ponton_foreign_nft_commits_total", "ponton_workloads_broken_total", "ponton_kernel_events_lost_total"]) {
      assert.equal(metric(m1, name), metric(m0, name), `${name} unchanged by our own changes`);
    }
    assert.equal(await published(), "web-ok");
  });
});

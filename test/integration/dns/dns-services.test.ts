// DNS-only services and network aliases, from inside workloads with dig and getent: headless
// services (one A/AAAA and SRV per ready endpoint, following endpoints within a second),
// ExternalName services (CNAME, chased upstream), and aliases visible on their own network only.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { TestHost, eventually, OUTSIDE_A } from "../harness";

describe("DNS: headless and ExternalName services, aliases", () => {
  let h: TestHost;
  const ips: Record<string, { ip4: string; ip6?: string }> = {};
  const dig = async (from: string, ...args: string[]) => (await h.inWorkload(from, "dig", ["+time=2", "+tries=1", ...args])).stdout;
  const short = async (from: string, ...args: string[]) => (await dig(from, "+short", ...args)).trim().split("\n").filter(Boolean).sort();
  const addressOf = async (name: string) => {
    const [w] = JSON.parse(await h.pontonOk("inspect", name)) as { networks: { network: string; ip4: string; ip6?: string }[] }[];
    return w!.networks[0]!;
  };
  const db = (name: string, ...cmd: string[]) =>
    h.pontonOk("run", "--name", name, "--network", "front", "--label", "app=db", "--expose", "pg=5432/tcp", ...(cmd.length ? ["--", ...cmd] : []));

  before(async () => {
    h = await new TestHost("dh").setUp();
    h.spawnIn(h.outsideNs, process.execPath, [path.join(__dirname, "fake-upstream.js"), OUTSIDE_A, "53"]);
    await h.pontonOk("network", "create", "front", "--subnet", "172.46.0.0/24", "--ipv6", "--subnet6", "fd00:46::/64");
    await h.pontonOk("network", "create", "back", "--subnet", "172.47.0.0/24");
    await db("d1", "socat", "TCP-LISTEN:5432,fork,reuseaddr", "SYSTEM:echo d1");
    await db("d2", "sleep", "600");
    await h.pontonOk("run", "--name", "cl", "--network", "front");
    await h.pontonOk("run", "--name", "x1", "--network", "back");
    for (const n of ["d1", "d2"]) ips[n] = await addressOf(n);
  });
  after(() => h.tearDown());

  test("headless: one A and AAAA per ready endpoint, a name per endpoint, SRV per endpoint; no VIP, nothing in nft", async () => {
    const out = JSON.parse(await h.pontonOk("service", "create", "db", "--headless", "--port", "pg=5432/tcp", "--selector", "app=db", "-o", "json")) as { id: string; vip?: string; headless: boolean };
    assert.equal(out.vip, undefined);
    assert.equal(out.headless, true);
    assert.deepEqual(await short("cl", "db.default.svc.cluster.local"), [ips.d1!.ip4, ips.d2!.ip4].sort());
    assert.deepEqual(await short("cl", "AAAA", "db.default.svc.cluster.local"), [ips.d1!.ip6!, ips.d2!.ip6!].sort());
    assert.deepEqual(await short("cl", "d1.db.default.svc.cluster.local"), [ips.d1!.ip4]);
    assert.deepEqual(await short("cl", "SRV", "_pg._tcp.db.default.svc.cluster.local"), ["0 100 5432 d1.db.default.svc.cluster.local.", "0 100 5432 d2.db.default.svc.cluster.local."]);
    // From another network too (services are cluster-wide), and through the search list.
    assert.deepEqual(await short("x1", "+search", "db"), [ips.d1!.ip4, ips.d2!.ip4].sort());
    const table = (await h.inHost("nft", ["list", "table", "inet", "ponton"])).stdout;
    assert.doesNotMatch(table, new RegExp(`svc_${out.id}`));
  });

  test("headless answers follow endpoints within a second (stop, start, a new one)", async () => {
    const within = async (want: string[]) => {
      const t0 = Date.now();
      const ok = await eventually(async () => JSON.stringify(await short("cl", "db.default.svc.cluster.local")) === JSON.stringify([...want].sort()), 1000, 50);
      return { ok, ms: Date.now() - t0 };
    };
    await h.pontonOk("stop", "d2", "--time", "0");
    const gone = await within([ips.d1!.ip4]);
    assert.ok(gone.ok, "a stopped endpoint leaves within 1 s");
    await h.pontonOk("start", "d2");
    assert.ok((await within([ips.d1!.ip4, ips.d2!.ip4])).ok, "back within 1 s");
    await db("d3", "sleep", "600");
    const d3 = (await addressOf("d3")).ip4;
    assert.ok((await within([ips.d1!.ip4, ips.d2!.ip4, d3])).ok, "a new endpoint within 1 s");
    await h.pontonOk("rm", "d3", "--time", "0");
    assert.ok((await within([ips.d1!.ip4, ips.d2!.ip4])).ok, "a removed endpoint within 1 s");
    console.log(`# headless: stopped endpoint left DNS after ${gone.ms} ms (measured from the CLI's return)`);
  });

  test("headless with a health check answers only the endpoints that pass it", async () => {
    await h.pontonOk("service", "create", "dbh", "--headless", "--port", "5432/tcp", "--selector", "app=db", "--health", "tcp", "--health-interval", "0.2");
    assert.ok(await eventually(async () => JSON.stringify(await short("cl", "dbh.default.svc.cluster.local")) === JSON.stringify([ips.d1!.ip4]), 5000));
  });

  test("VIP options on a headless service are refused with a code, nothing applied", async () => {
    const r = await h.ponton("service", "create", "bad", "--headless", "--vip", "10.96.0.50", "--port", "80", "--selector", "app=db");
    assert.equal(r.code, 2);
    assert.match(r.stderr, /INVALID_ARGUMENT/);
    assert.match(r.stderr, /--vip/);
    assert.equal((await h.ponton("service", "inspect", "bad")).code, 4);
    const upd = await h.ponton("service", "update", "db", "--scheduler", "wrr");
    assert.equal(upd.code, 2);
  });

  test("ExternalName: a CNAME, chased upstream for A queries", async () => {
    await h.pontonOk("service", "create", "ext", "--external-name", "db.example.test");
    assert.deepEqual(await short("cl", "CNAME", "ext.default.svc.cluster.local"), ["db.example.test."]);
    assert.deepEqual(await short("cl", "ext.default.svc.cluster.local"), ["192.0.2.99", "db.example.test."]);
    assert.match((await h.inWorkload("cl", "getent", ["ahostsv4", "ext.default.svc.cluster.local"])).stdout, /^192\.0\.2\.99\s/);
    const bad = await h.ponton("service", "create", "ext2", "--external-name", "10.1.2.3");
    assert.equal(bad.code, 2);
    const sel = await h.ponton("service", "create", "ext3", "--external-name", "a.example.test", "--selector", "app=db");
    assert.equal(sel.code, 2);
  });

  test("aliases resolve like the name, on their network only", async () => {
    await h.pontonOk("run", "--name", "al", "--network", "front", "--alias", "primary", "--alias", "Cache");
    const al = await addressOf("al");
    assert.deepEqual(await short("cl", "primary.ponton.internal"), [al.ip4]);
    assert.deepEqual(await short("cl", "AAAA", "cache.ponton.internal"), [al.ip6!]);
    assert.match((await h.inWorkload("cl", "getent", ["ahostsv4", "primary"])).stdout, new RegExp(`^${al.ip4.replace(/\./g, "\\.")}\\s`));
    assert.match(await dig("x1", "primary.ponton.internal"), /status: NXDOMAIN/);
    await h.pontonOk("network", "connect", "back", "al", "--alias", "backdb");
    const [w] = JSON.parse(await h.pontonOk("inspect", "al")) as { networks: { network: string; ip4: string; aliases?: string[] }[] }[];
    const back = w!.networks.find((n) => n.network === "back")!;
    assert.deepEqual(back.aliases, ["backdb"]);
    assert.deepEqual(await short("x1", "backdb.ponton.internal"), [back.ip4]);
    assert.match(await dig("cl", "backdb.ponton.internal"), /status: NXDOMAIN/);
    assert.match(await dig("x1", "primary.ponton.internal"), /status: NXDOMAIN/, "front's aliases stay on front");
    await h.pontonOk("rm", "al", "--time", "0");
    assert.match(await dig("cl", "primary.ponton.internal"), /status: NXDOMAIN/);
  });

  test("a service added or removed among several: its names come and go at once, the others stay in the fast path", async () => {
    // No cookie: the same question is the same bytes, which the listener threads answer from their table.
    const ask = async (...args: string[]) => dig("cl", "+nocookie", ...args);
    const vipOf = async (name: string) => (await ask("+short", `${name}.default.svc.cluster.local`)).trim();
    const native = async () => (await h.client.request<{ dns: { counters: { answeredNatively: number } } }>("GET", "/v1/info")).dns.counters.answeredNatively;
    for (const name of ["s1", "s2", "s3"]) await h.pontonOk("service", "create", name, "--port", "80/tcp", "--selector", "app=none");
    const vips = Object.fromEntries(await Promise.all(["s1", "s2", "s3"].map(async (n) => [n, await vipOf(n)] as const)));
    for (const vip of Object.values(vips)) assert.match(vip, /^\d+\.\d+\.\d+\.\d+$/);
    // Both answers are now held by the listener threads: a name and a name that does not exist yet.
    assert.match(await ask("s4.default.svc.cluster.local"), /status: NXDOMAIN/);
    let n = await native();
    assert.equal(await vipOf("s2"), vips.s2);
    assert.match(await ask("s4.default.svc.cluster.local"), /status: NXDOMAIN/);
    assert.equal(await native(), n + 2, "answered by the fast path");

    await h.pontonOk("service", "create", "s4", "--port", "80/tcp", "--selector", "app=none");
    const s4 = await vipOf("s4");
    assert.match(s4, /^\d+\.\d+\.\d+\.\d+$/, "the new name, not the NXDOMAIN held before");
    assert.equal((await ask("+short", "-x", s4)).trim(), "s4.default.svc.cluster.local.");
    n = await native();
    assert.equal(await vipOf("s2"), vips.s2);
    assert.equal(await native(), n + 1, "another service's answer stayed in the fast path");

    await h.pontonOk("service", "rm", "s2");
    assert.match(await ask("s2.default.svc.cluster.local"), /status: NXDOMAIN/);
    for (const name of ["s1", "s3"]) assert.equal(await vipOf(name), vips[name]);
    assert.equal(await vipOf("s4"), s4);
  });
});

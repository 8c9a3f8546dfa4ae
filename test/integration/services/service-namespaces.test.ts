// Services in policy namespaces on the real kernel: a selector picks workloads of its own namespace
// only, names are unique per namespace, and DNS answers web / web.x / web.x.svc.cluster.local as a
// Kubernetes pod of each namespace sees them (per-namespace resolv.conf search list).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { TestHost, eventually } from "../harness";

describe("services in namespaces", () => {
  let h: TestHost;
  const vips: Record<string, string> = {};
  /** One TCP connection to HOST:80 (a name goes through the workload's resolver); the backend answers its name. */
  const get = async (from: string, host: string) => (await h.inWorkload(from, "socat", ["-T2", "-u", `TCP:${host}:80`, "-"])).stdout.trim();
  const dig = async (from: string, ...args: string[]) => (await h.inWorkload(from, "dig", ["+short", "+time=2", "+tries=1", ...args])).stdout.trim();
  const backend = (name: string, ns: string) =>
    h.pontonOk("run", "--name", name, "--network", "front", "--namespace", ns, "--label", "app=web", "--", "socat", "TCP-LISTEN:80,fork,reuseaddr", `SYSTEM:echo ${name}`);

  before(async () => {
    h = await new TestHost("sn").setUp();
    await h.pontonOk("network", "create", "front", "--subnet", "172.45.0.0/24");
    await backend("a", "default");
    await backend("b", "x");
    await h.pontonOk("run", "--name", "cld", "--network", "front");
    await h.pontonOk("run", "--name", "clx", "--network", "front", "--namespace", "x");
    for (const ns of ["default", "x"]) {
      const out = JSON.parse(await h.pontonOk("service", "create", "web", "--namespace", ns, "--port", "80/tcp", "--selector", "app=web", "-o", "json")) as { vip: string; namespace: string };
      assert.equal(out.namespace, ns);
      vips[ns] = out.vip;
    }
  });
  after(() => h.tearDown());

  test("a selector matches workloads of its own namespace only", async () => {
    assert.ok(await eventually(async () => (await get("cld", vips.default!)) === "a"));
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add(await get("cld", vips.default!));
    assert.deepEqual([...seen], ["a"]);
    seen.clear();
    for (let i = 0; i < 6; i++) seen.add(await get("cld", vips.x!));
    assert.deepEqual([...seen], ["b"]);
    const x = (JSON.parse(await h.pontonOk("service", "inspect", "web", "-n", "x")) as { endpoints: { workload: string }[] }[])[0]!;
    assert.deepEqual(x.endpoints.map((e) => e.workload), ["b"]);
  });

  test("names are unique per namespace; the API without a namespace means default", async () => {
    const again = await h.ponton("service", "create", "web", "--namespace", "x", "--port", "80", "--selector", "app=web");
    assert.equal(again.code, 3);
    assert.match(again.stderr, /NAME_IN_USE/);
    const plain = (JSON.parse(await h.pontonOk("service", "inspect", "web")) as { vip: string; namespace: string }[])[0]!;
    assert.deepEqual([plain.namespace, plain.vip], ["default", vips.default]);
    const ls = JSON.parse(await h.pontonOk("service", "ls", "-n", "x", "-o", "json")) as { name: string; namespace: string }[];
    assert.deepEqual(ls.map((s) => `${s.namespace}/${s.name}`), ["x/web"]);
    assert.equal((await h.ponton("service", "inspect", "web", "-n", "nowhere")).code, 4);
  });

  test("resolv.conf search list follows the workload's namespace", async () => {
    const x = (await h.inWorkload("clx", "cat", ["/etc/resolv.conf"])).stdout;
    assert.match(x, /^search ponton\.internal x\.svc\.cluster\.local svc\.cluster\.local cluster\.local$/m);
    const d = (await h.inWorkload("cld", "cat", ["/etc/resolv.conf"])).stdout;
    assert.match(d, /^search ponton\.internal default\.svc\.cluster\.local svc\.cluster\.local cluster\.local$/m);
  });

  test("DNS: short name is the caller's namespace, web.NS and the full form name either", async () => {
    assert.equal(await dig("clx", "+search", "web"), vips.x);
    assert.equal(await dig("cld", "+search", "web"), vips.default);
    assert.equal(await dig("cld", "web.x.svc.cluster.local"), vips.x);
    assert.equal(await dig("clx", "-x", vips.x!), "web.x.svc.cluster.local.");
    assert.match((await h.inWorkload("cld", "getent", ["hosts", "web.x"])).stdout, new RegExp(`^${vips.x!.replace(/\./g, "\\.")}\\s`));
    assert.match((await h.inWorkload("clx", "getent", ["hosts", "web.default"])).stdout, new RegExp(`^${vips.default!.replace(/\./g, "\\.")}\\s`));
    // End to end: the short name from each namespace reaches that namespace's backend.
    assert.equal(await get("clx", "web"), "b");
    assert.equal(await get("cld", "web"), "a");
  });

  test("removing one namespace's service leaves the other's", async () => {
    await h.pontonOk("service", "rm", "web", "-n", "x");
    assert.match((await h.inWorkload("cld", "dig", ["+time=2", "+tries=1", "web.x.svc.cluster.local"])).stdout, /status: NXDOMAIN/);
    assert.equal(await dig("cld", "web.default.svc.cluster.local"), vips.default);
    assert.equal(await get("cld", vips.default!), "a");
  });
});

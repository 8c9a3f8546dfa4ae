// The embedded DNS from inside workloads, with the tools people use: dig, getent (glibc).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { TestHost, eventually, sleep, OUTSIDE_A } from "../harness";

describe("embedded DNS", () => {
  let h: TestHost;
  let upstream: ReturnType<TestHost["spawnIn"]>;
  const dig = async (from: string, ...args: string[]) => (await h.inWorkload(from, "dig", ["+time=2", "+tries=1", ...args])).stdout;
  const short = async (from: string, ...args: string[]) => (await dig(from, "+short", ...args)).trim();

  before(async () => {
    h = await new TestHost("dn").setUp();
    upstream = h.spawnIn(h.outsideNs, process.execPath, [path.join(__dirname, "fake-upstream.js"), OUTSIDE_A, "53"]);
    await h.pontonOk("network", "create", "front", "--subnet", "172.40.0.0/24", "--ipv6", "--subnet6", "fd00:40::/64");
    await h.pontonOk("network", "create", "back", "--subnet", "172.41.0.0/24");
    await h.pontonOk("network", "create", "vault", "--subnet", "172.42.0.0/24", "--internal");
    await h.pontonOk("run", "--name", "a1", "--network", "front");
    await h.pontonOk("run", "--name", "b1", "--network", "front");
    await h.pontonOk("run", "--name", "x1", "--network", "back");
    await h.pontonOk("run", "--name", "v1", "--network", "vault");
    await h.pontonOk("run", "--name", "v2", "--network", "vault");
  });
  after(() => h.tearDown());

  test("resolv.conf points at the gateway with the search list and Kubernetes' ndots", async () => {
    const r = await h.inWorkload("a1", "cat", ["/etc/resolv.conf"]);
    assert.match(r.stdout, /nameserver 172\.40\.0\.1\n/);
    assert.match(r.stdout, /search ponton\.internal/);
    assert.match(r.stdout, /options ndots:5/);
  });

  test("workload names on the same network resolve: A, AAAA, short name via search, PTR", async () => {
    assert.equal(await short("a1", "b1.ponton.internal"), "172.40.0.3");
    assert.equal(await short("a1", "AAAA", "b1.ponton.internal"), "fd00:40::3");
    assert.equal(await short("a1", "+search", "b1"), "172.40.0.3");
    assert.equal(await short("a1", "-x", "172.40.0.3"), "b1.ponton.internal.");
    assert.equal(await short("a1", "172-40-0-3.default.pod.cluster.local"), "172.40.0.3");
    const getent = await h.inWorkload("a1", "getent", ["hosts", "b1"]);
    assert.match(getent.stdout, /^(172\.40\.0\.3|fd00:40::3)\s+b1\.ponton\.internal/);
  });

  test("parallel A and AAAA from one socket (glibc getent ahosts) both come back", async () => {
    const r = await h.inWorkload("a1", "getent", ["ahosts", "b1"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /172\.40\.0\.3/);
    assert.match(r.stdout, /fd00:40::3/);
  });

  test("a name on another network is not visible (NXDOMAIN, answered locally)", async () => {
    const out = await dig("x1", "a1.ponton.internal");
    assert.match(out, /status: NXDOMAIN/);
    assert.match(out, /flags: qr aa/);
    assert.equal(await short("a1", "x1.ponton.internal"), "");
  });

  test("other names are forwarded to the host's upstream, from the host side", async () => {
    assert.equal(await short("a1", "www.example.test"), "192.0.2.99");
    assert.equal(await short("x1", "+tcp", "api.example.test"), "192.0.2.99");
    assert.match(await dig("a1", "nothing.invalid.test"), /status: NXDOMAIN/);
    // The server's own counters are in /metrics (the UI's "DNS queries/s" reads the same total).
    const metrics = (await h.inHost("curl", ["-s", "--unix-socket", h.socket, "http://ponton/metrics"])).stdout;
    assert.match(metrics, /^ponton_dns_queries_total [1-9]\d*$/m);
    assert.match(metrics, /^ponton_dns_forwarded_total [1-9]\d*$/m);
  });

  test("internal networks still resolve their names", async () => {
    assert.equal(await short("v1", "v2.ponton.internal"), "172.42.0.3");
  });

  test("names appear and disappear with workloads", async () => {
    await h.pontonOk("run", "--name", "late", "--network", "front");
    assert.equal(await short("a1", "late.ponton.internal"), "172.40.0.4");
    await h.pontonOk("rm", "late");
    assert.ok(await eventually(async () => (await dig("a1", "late.ponton.internal")).includes("status: NXDOMAIN"), 3000));
  });

  test("ponton dns records / dns query explain the answers", async () => {
    const views = JSON.parse(await h.pontonOk("dns", "records", "--network", "front", "-o", "json")) as { network: string; records: { name: string; type: string }[] }[];
    assert.equal(views.length, 1);
    assert.ok(views[0]!.records.some((r) => r.name === "b1.ponton.internal" && r.type === "A"));
    assert.ok(!views[0]!.records.some((r) => r.name.startsWith("x1.")));
    const local = JSON.parse(await h.pontonOk("dns", "query", "b1", "--from", "a1", "-o", "json")) as { outcome: string; records: unknown[] };
    assert.equal(local.outcome, "local");
    assert.equal(local.records.length, 1);
    const fwd = JSON.parse(await h.pontonOk("dns", "query", "www.example.test", "--from", "a1", "-o", "json")) as { outcome: string; upstreams: string[] };
    assert.equal(fwd.outcome, "forward");
    assert.ok(fwd.upstreams.some((u) => u.startsWith(OUTSIDE_A)));
  });

  test("upstream gone: SERVFAIL, and local names are still answered", async () => {
    upstream.kill("SIGKILL");
    await sleep(200);
    assert.match(await dig("a1", "+time=5", "gone.example.org"), /status: SERVFAIL/);
    assert.equal(await short("a1", "b1.ponton.internal"), "172.40.0.3");
  });
});

describe("embedded DNS: services", () => {
  let h: TestHost;
  before(async () => {
    h = await new TestHost("ds").setUp();
    await h.pontonOk("network", "create", "front", "--subnet", "172.43.0.0/24");
    await h.pontonOk("network", "create", "other", "--subnet", "172.44.0.0/24");
    await h.pontonOk("run", "--name", "web1", "--network", "front", "--label", "app=web");
    await h.pontonOk("run", "--name", "cl", "--network", "other");
  });
  after(() => h.tearDown());

  test("a service name resolves from any network: full Kubernetes form, short form via the search list, PTR, SRV for named ports", async () => {
    await h.pontonOk("service", "create", "web", "--port", "80/tcp", "--selector", "app=web", "--vip", "10.96.0.10");
    const dig = async (...args: string[]) => (await h.inWorkload("cl", "dig", ["+short", "+time=2", "+tries=1", ...args])).stdout.trim();
    assert.equal(await dig("web.default.svc.cluster.local"), "10.96.0.10");
    assert.equal(await dig("+search", "web"), "10.96.0.10");
    assert.equal(await dig("-x", "10.96.0.10"), "web.default.svc.cluster.local.");
    const getent = await h.inWorkload("cl", "getent", ["hosts", "web.default"]);
    assert.match(getent.stdout, /^10\.96\.0\.10\s/);
    await h.pontonOk("service", "create", "api", "--port", "http=8080/tcp", "--port", "dns=53/udp", "--selector", "app=web", "--vip", "10.96.0.11");
    assert.equal(await dig("SRV", "_http._tcp.api.default.svc.cluster.local"), "0 100 8080 api.default.svc.cluster.local.");
    assert.equal(await dig("SRV", "_dns._udp.api.default.svc.cluster.local"), "0 100 53 api.default.svc.cluster.local.");
    await h.pontonOk("service", "rm", "api");
    await h.pontonOk("service", "rm", "web");
    assert.match((await h.inWorkload("cl", "dig", ["+time=2", "+tries=1", "web.default.svc.cluster.local"])).stdout, /status: NXDOMAIN/);
  });
});

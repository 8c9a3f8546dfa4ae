// DNS as containers and pods expect it, from inside workloads with dig: every network of the asker,
// Kubernetes names with the search list and ndots a pod has, bare names, pod and version records.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { readFileSync } from "node:fs";
import { TestHost, OUTSIDE_A } from "./harness";

describe("DNS semantics", () => {
  let h: TestHost;
  const dig = async (from: string, ...args: string[]) => (await h.inWorkload(from, "dig", ["+time=2", "+tries=1", ...args])).stdout;
  const short = async (from: string, ...args: string[]) => (await dig(from, "+short", ...args)).trim().split("\n").filter(Boolean).sort();
  const upstreamQueries = async () => (JSON.parse(await h.pontonOk("info")) as { dns: { counters: { forwarded: number } } }).dns.counters.forwarded;
  const resolvConf = async (w: string) => (await h.inWorkload(w, "cat", ["/etc/resolv.conf"])).stdout;

  before(async () => {
    h = await new TestHost("dk").setUp();
    h.spawnIn(h.outsideNs, process.execPath, [path.join(__dirname, "fake-upstream.js"), OUTSIDE_A, "53"]);
    await h.pontonOk("network", "create", "front", "--subnet", "172.48.0.0/24", "--ipv6", "--subnet6", "fd00:48::/64");
    await h.pontonOk("network", "create", "back", "--subnet", "172.49.0.0/24");
    await h.pontonOk("run", "--name", "a1", "--network", "front", "--alias", "alpha", "--label", "app=web");
    await h.pontonOk("run", "--name", "x1", "--network", "back");
    await h.pontonOk("run", "--name", "m", "--network", "front", "--network", "back");
    await h.pontonOk("run", "--name", "p1", "--network", "back", "--namespace", "team");
    await h.pontonOk("service", "create", "web", "--port", "http=80/tcp", "--selector", "app=web", "--vip", "10.96.0.20");
    await h.pontonOk("service", "create", "web", "--namespace", "team", "--port", "80/tcp", "--selector", "app=none", "--vip", "10.96.0.21");
  });
  after(() => h.tearDown());

  test("a workload on two networks resolves the names of both; its own name answers each of its addresses", async () => {
    assert.deepEqual(await short("m", "a1.ponton.internal"), ["172.48.0.2"]);
    assert.deepEqual(await short("m", "x1.ponton.internal"), ["172.49.0.2"]);
    assert.deepEqual(await short("m", "m.ponton.internal"), ["172.48.0.3", "172.49.0.3"]);
    assert.match(await resolvConf("m"), /nameserver 172\.48\.0\.1\n/);
    // The others still see only their own network's names.
    assert.deepEqual(await short("x1", "m.ponton.internal"), ["172.49.0.3"]);
    assert.match(await dig("x1", "a1.ponton.internal"), /status: NXDOMAIN/);
  });

  test("connecting a workload to a second network makes that network's names visible to it", async () => {
    await h.pontonOk("run", "--name", "late", "--network", "back");
    assert.match(await dig("late", "a1.ponton.internal"), /status: NXDOMAIN/);
    await h.pontonOk("network", "connect", "front", "late");
    assert.deepEqual(await short("late", "a1.ponton.internal"), ["172.48.0.2"]);
    assert.match((await h.inWorkload("late", "cat", ["/etc/hosts"])).stdout, /172\.48\.0\.\d+\tlate /);
    await h.pontonOk("network", "disconnect", "front", "late");
    assert.match(await dig("late", "a1.ponton.internal"), /status: NXDOMAIN/);
    assert.doesNotMatch((await h.inWorkload("late", "cat", ["/etc/hosts"])).stdout, /172\.48\./);
    await h.pontonOk("rm", "late");
  });

  test("Kubernetes names through the search list and ndots:5, never asked upstream", async () => {
    const conf = await resolvConf("x1");
    assert.match(conf, /search ponton\.internal default\.svc\.cluster\.local svc\.cluster\.local cluster\.local\n/);
    assert.match(conf, /options ndots:5\n/);
    const before = await upstreamQueries();
    assert.deepEqual(await short("x1", "+search", "web.default"), ["10.96.0.20"]);
    assert.deepEqual(await short("x1", "+search", "web.default.svc"), ["10.96.0.20"]);
    assert.deepEqual(await short("x1", "+search", "SRV", "_http._tcp.web.default.svc"), ["0 100 80 web.default.svc.cluster.local."]);
    assert.equal(await upstreamQueries(), before);
    assert.match(await resolvConf("p1"), /search ponton\.internal team\.svc\.cluster\.local /);
    assert.deepEqual(await short("p1", "+search", "web"), ["10.96.0.21"]);
  });

  test("bare names: local ones answered (workloads, aliases, services of the asker's namespace), others forwarded with the upstream's answer", async () => {
    assert.deepEqual(await short("x1", "m"), ["172.49.0.3"]);
    assert.deepEqual(await short("a1", "alpha"), ["172.48.0.2"]);
    assert.deepEqual(await short("x1", "web"), ["10.96.0.20"]);
    assert.deepEqual(await short("p1", "web"), ["10.96.0.21"]);
    assert.deepEqual(await short("x1", "upstream-only"), ["192.0.2.99"]);
    const nx = await dig("x1", "nosuchhost");
    assert.match(nx, /status: NXDOMAIN/);
    assert.doesNotMatch(nx, /flags: qr aa/, "the upstream's answer, not ours");
  });

  test("pod records for IPv4 and IPv6 from every network, the dns-version TXT, aliases in PTR", async () => {
    assert.deepEqual(await short("x1", "172-48-0-2.default.pod.cluster.local"), ["172.48.0.2"]);
    assert.deepEqual(await short("x1", "AAAA", "fd00-48--2.default.pod.cluster.local"), ["fd00:48::2"]);
    assert.deepEqual(await short("a1", "TXT", "dns-version.cluster.local"), ['"1.1.0"']);
    assert.deepEqual(await short("a1", "-x", "172.48.0.2"), ["a1.ponton.internal.", "alpha.ponton.internal."]);
  });

  test("a daemon restarted with other --dns-domain/--ndots rewrites existing workloads' resolv.conf", async () => {
    await h.stopDaemon();
    h.daemonArgs = ["--ndots", "3"];
    await h.startDaemon();
    assert.match(await resolvConf("x1"), /options ndots:3\n/);
    assert.match(readFileSync(path.join("/etc/netns", h.ns("x1"), "resolv.conf"), "utf8"), /ndots:3/);
  });
});

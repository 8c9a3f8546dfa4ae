// DNS as containers and pods expect it, from inside workloads with dig: every network of the asker,
// Kubernetes names with the search list and ndots a pod has, bare names, pod and version records.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { readFileSync, writeFileSync } from "node:fs";
import { TestHost, OUTSIDE_A, OUTSIDE_B, inspect } from "../harness";

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

  test("headless endpoints: PTR to the endpoint name from every network, one name per endpoint; service names are DNS labels", async () => {
    await h.pontonOk("run", "--name", "h.x", "--network", "front", "--label", "app=hl");
    await h.pontonOk("run", "--name", "h_x", "--network", "front", "--label", "app=hl");
    await h.pontonOk("run", "--name", "h-x", "--network", "front", "--label", "app=hl");
    await h.pontonOk("service", "create", "hl", "--headless", "--selector", "app=hl");
    const ips = await Promise.all(["h.x", "h_x", "h-x"].map(async (n) => (await inspect(h, n)).networks[0]!.ip4!));
    const names = await Promise.all(ips.map((ip) => short("x1", "-x", ip)));
    for (const n of names) assert.equal(n.length, 1, `one PTR from another network: ${n}`);
    const hosts = names.map((n) => n[0]!);
    assert.equal(new Set(hosts).size, 3, hosts.join(" "));
    assert.ok(hosts.includes("h-x.hl.default.svc.cluster.local."));
    for (const host of hosts) assert.equal((await short("x1", host)).length, 1, `${host} is one endpoint`);
    // From its own network the workload's own name comes too, first.
    assert.deepEqual(await short("a1", "-x", ips[2]!), ["h-x.hl.default.svc.cluster.local.", "h-x.ponton.internal."]);
    const upper = await h.ponton("service", "create", "WEB", "--port", "80/tcp", "--selector", "app=web");
    assert.notEqual(upper.code, 0);
    assert.match(upper.stderr, /INVALID_NAME.*WEB/);
  });

  test("a daemon restarted with other --dns-domain/--ndots rewrites existing workloads' resolv.conf", async () => {
    await h.stopDaemon();
    h.daemonArgs = ["--ndots", "3"];
    await h.startDaemon();
    assert.match(await resolvConf("x1"), /options ndots:3\n/);
    assert.match(readFileSync(path.join("/etc/netns", h.ns("x1"), "resolv.conf"), "utf8"), /ndots:3/);
  });
});

describe("per-workload DNS settings", () => {
  let h: TestHost;
  const cat = async (w: string, file: string) => (await h.inWorkload(w, "cat", [file])).stdout;

  before(async () => {
    h = await new TestHost("dw").setUp();
    h.spawnIn(h.outsideNs, process.execPath, [path.join(__dirname, "fake-upstream.js"), OUTSIDE_A, "53"]);
    h.spawnIn(h.outsideNs, process.execPath, [path.join(__dirname, "fake-upstream.js"), OUTSIDE_B, "53", "192.0.2.77"]);
    await h.pontonOk("network", "create", "front", "--subnet", "172.50.0.0/24");
    await h.pontonOk("network", "create", "back", "--subnet", "172.51.0.0/24");
  });
  after(() => h.tearDown());

  test("--hostname: the command runs with it, in a UTS namespace of its own", async () => {
    const out = path.join(h.dir, "hn.out");
    await h.pontonOk("run", "--name", "hn", "--network", "front", "--hostname", "box1.example", "--", "sh", "-c", `hostname > ${out}; sleep 600`);
    await h.pontonOk("run", "--name", "plain", "--network", "front", "--", "sh", "-c", `hostname > ${out}.2; sleep 600`);
    const read = async (f: string) => {
      for (let i = 0; i < 50; i++) {
        const t = (() => { try { return readFileSync(f, "utf8"); } catch { return ""; } })();
        if (t) return t.trim();
        await new Promise((r) => setTimeout(r, 100));
      }
      return "";
    };
    assert.equal(await read(out), "box1.example");
    assert.equal(await read(`${out}.2`), "plain");
    assert.notEqual((await h.inWorkload("hn", "hostname", [])).stdout.trim(), "box1.example", "the host's own UTS namespace is untouched");
  });

  test("--dns is the embedded DNS's upstream for that workload (Docker's); --dns-search, --dns-option, --dns-policy write its resolv.conf", async () => {
    await h.pontonOk("run", "--name", "d1", "--network", "front", "--dns", OUTSIDE_B, "--dns-search", "corp.example", "--dns-option", "ndots:2", "--dns-option", "edns0");
    await h.pontonOk("run", "--name", "d0", "--network", "front");
    const conf = await cat("d1", "/etc/resolv.conf");
    assert.match(conf, /search [^\n]*\nnameserver 172\.50\.0\.1\noptions/);
    const ask = async (w: string, name: string) => (await h.inWorkload(w, "dig", ["+short", "+time=2", "+tries=1", name])).stdout.trim();
    assert.equal(await ask("d1", "zero.example.test"), "192.0.2.77");
    assert.equal(await ask("d0", "zero.example.test"), "192.0.2.99");
    assert.equal(await ask("d1", "d0.ponton.internal"), (await inspect(h, "d0")).networks[0]!.ip4, "local names as before");
    assert.match(conf, /search ponton\.internal default\.svc\.cluster\.local svc\.cluster\.local cluster\.local corp\.example\n/);
    assert.match(conf, /options ndots:2 edns0\n/);
    await h.pontonOk("run", "--name", "d2", "--network", "front", "--dns-policy", "None", "--dns", "192.0.2.54");
    assert.equal((await cat("d2", "/etc/resolv.conf")).split("\n").filter((l) => !l.startsWith("#")).join("\n"), "nameserver 192.0.2.54\n");
    await h.pontonOk("run", "--name", "d3", "--network", "front", "--dns-policy", "Default");
    assert.match(await cat("d3", "/etc/resolv.conf"), new RegExp(`nameserver ${OUTSIDE_A.replace(/\./g, "\\.")}\n`));
    const bad = await h.ponton("run", "--name", "d4", "--network", "front", "--dns", "not-an-ip");
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /INVALID_ARGUMENT.*not-an-ip/);
    assert.equal((await h.ponton("inspect", "d4")).code === 0, false, "nothing made");
  });

  test("/etc/hosts: localhost, its own name on each address, --add-host; kept current on connect and disconnect", async () => {
    await h.pontonOk("run", "--name", "e1", "--network", "front", "--hostname", "edge", "--add-host", "db.local:10.9.9.9", "--add-host", "v6.local:fd00::9");
    const before = await cat("e1", "/etc/hosts");
    assert.match(before, /^127\.0\.0\.1\tlocalhost$/m);
    assert.match(before, /^172\.50\.0\.\d+\tedge e1\.ponton\.internal e1$/m);
    assert.match(before, /^10\.9\.9\.9\tdb\.local$/m);
    assert.match(before, /^fd00::9\tv6\.local$/m);
    const getent = await h.inWorkload("e1", "getent", ["hosts", "db.local"]);
    assert.match(getent.stdout, /^10\.9\.9\.9\s+db\.local/);
    await h.pontonOk("network", "connect", "back", "e1");
    assert.match(await cat("e1", "/etc/hosts"), /^172\.51\.0\.\d+\tedge /m);
    await h.pontonOk("network", "disconnect", "back", "e1");
    assert.doesNotMatch(await cat("e1", "/etc/hosts"), /172\.51\./);
  });

  test("ponton up: hostname, dnsPolicy/dnsConfig, hostAliases as in a pod spec", async () => {
    const file = path.join(h.dir, "p.yaml");
    writeFileSync(
      file,
      [
        "name: podlike",
        "workloads:",
        "  pod1:",
        "    networks: [front]",
        "    hostname: pod-one",
        "    dnsConfig:",
        "      nameservers: [192.0.2.55]",
        "      searches: [ns1.svc.example]",
        "      options: [{name: ndots, value: '2'}, {name: single-request-reopen}]",
        "    hostAliases: [{ip: 10.8.8.8, hostnames: [foo.local, bar.local]}]",
      ].join("\n") + "\n",
    );
    await h.pontonOk("up", file);
    const conf = await cat("pod1", "/etc/resolv.conf");
    assert.match(conf, /nameserver 172\.50\.0\.1\noptions/);
    assert.match(conf, / ns1\.svc\.example\n/);
    assert.match(conf, /options ndots:2 single-request-reopen\n/);
    assert.match(await cat("pod1", "/etc/hosts"), /^10\.8\.8\.8\tfoo\.local$/m);
    writeFileSync(file, "name: bad\nworkloads:\n  pod2:\n    networks: [front]\n    dnsPolicy: Sometimes\n");
    const bad = await h.ponton("up", file);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /workloads\.pod2.*Sometimes/);
  });

  test("a network's own DNS servers are its workloads' upstream, live", async () => {
    await h.pontonOk("network", "create", "corp", "--subnet", "172.52.0.0/24", "--dns", OUTSIDE_B);
    await h.pontonOk("run", "--name", "c1", "--network", "corp");
    await h.pontonOk("run", "--name", "f1", "--network", "front");
    const ask = async (w: string, name: string) => (await h.inWorkload(w, "dig", ["+short", "+time=2", "+tries=1", name])).stdout.trim();
    assert.equal(await ask("c1", "one.example.test"), "192.0.2.77");
    assert.equal(await ask("f1", "one.example.test"), "192.0.2.99");
    await h.pontonOk("network", "update", "front", "--dns", OUTSIDE_B);
    assert.equal(await ask("f1", "two.example.test"), "192.0.2.77");
    await h.pontonOk("network", "update", "front", "--no-dns");
    assert.equal(await ask("f1", "three.example.test"), "192.0.2.99");
    const bad = await h.ponton("network", "update", "front", "--dns", "nowhere");
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /INVALID_ARGUMENT.*nowhere/);
  });
});

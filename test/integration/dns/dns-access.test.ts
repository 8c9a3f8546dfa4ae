// The embedded DNS is no open resolver: only the networks it serves are answered, internal
// networks never reach upstream, a taken DNS port is reported when the network is created, and
// the host's resolv.conf is followed live.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { TestHost, eventually, sleep, OUTSIDE_A, OUTSIDE_B, UPLINK_HOST } from "../harness";

describe("embedded DNS: who is answered, and from where", () => {
  let h: TestHost;
  const dig = async (run: (cmd: string, args: string[]) => Promise<{ stdout: string }>, ...args: string[]) => (await run("dig", ["+time=2", "+tries=1", ...args])).stdout;
  const inW = (w: string) => (cmd: string, args: string[]) => h.inWorkload(w, cmd, args);

  before(async () => {
    h = await new TestHost("da").setUp();
    h.spawnIn(h.outsideNs, process.execPath, [path.join(__dirname, "fake-upstream.js"), OUTSIDE_A, "53", "192.0.2.99"]);
    h.spawnIn(h.outsideNs, process.execPath, [path.join(__dirname, "fake-upstream.js"), OUTSIDE_B, "53", "192.0.2.98"]);
    await h.pontonOk("network", "create", "front", "--subnet", "172.44.0.0/24");
    await h.pontonOk("network", "create", "vault", "--subnet", "172.45.0.0/24", "--internal");
    await h.pontonOk("run", "--name", "a1", "--network", "front");
    await h.pontonOk("run", "--name", "v1", "--network", "vault");
    await h.pontonOk("run", "--name", "v2", "--network", "vault");
    // The outside can route to the gateways (as a LAN neighbour of the host could).
    for (const subnet of ["172.44.0.0/24", "172.45.0.0/24"]) {
      const r = await h.inOutside("ip", ["route", "add", subnet, "via", UPLINK_HOST]);
      assert.equal(r.code, 0, r.stderr);
    }
  });
  after(() => h.tearDown());

  test("a namespace outside every network, routed to a gateway, gets REFUSED or nothing; the workload gets answers", async () => {
    assert.match(await dig(inW("a1"), "+short", "www.example.test"), /^192\.0\.2\.99$/m);
    for (const tcp of ["+notcp", "+tcp"]) {
      const out = await dig((c, a) => h.inOutside(c, a), tcp, "@172.44.0.1", "other.example.test");
      assert.doesNotMatch(out, /status: NOERROR/, out);
      assert.doesNotMatch(out, /192\.0\.2\.99/, out);
      assert.match(out, /status: REFUSED|timed out|no servers could be reached|connection refused|end of file/i, out);
    }
    const local = await dig((c, a) => h.inOutside(c, a), "@172.44.0.1", "a1.ponton.internal");
    assert.doesNotMatch(local, /172\.44\.0\.2/, "local names are not told to outsiders either");
  });

  test("an internal network answers its own names but forwards nothing, not even a name another network cached", async () => {
    assert.equal((await dig(inW("v1"), "+short", "v2.ponton.internal")).trim(), "172.45.0.3");
    assert.match(await dig(inW("a1"), "+short", "cached.example.test"), /192\.0\.2\.99/);
    for (const name of ["cached.example.test", "fresh.example.test"]) {
      const out = await dig(inW("v1"), name);
      assert.match(out, /status: REFUSED/, out);
      assert.doesNotMatch(out, /192\.0\.2\.9/);
    }
    const explained = JSON.parse(await h.pontonOk("dns", "query", "cached.example.test", "--from", "v1", "-o", "json")) as { outcome: string };
    assert.equal(explained.outcome, "refused", "ponton dns query says what the server does");
  });

  test("a rewrite of the host's resolv.conf (by rename, then in place) switches the upstream at once", async () => {
    const conf = path.join(h.dir, "resolv.conf");
    let n = 0;
    const answer = async () => (await dig(inW("a1"), "+short", `n${n++}.example.test`)).trim();
    assert.equal(await answer(), "192.0.2.99");
    writeFileSync(`${conf}.new`, `nameserver ${OUTSIDE_B}\n`);
    renameSync(`${conf}.new`, conf);
    assert.ok(await eventually(async () => (await answer()) === "192.0.2.98", 5000), "the renamed file's server is used");
    writeFileSync(conf, `# edited in place\nnameserver ${OUTSIDE_A}\n`);
    assert.ok(await eventually(async () => (await answer()) === "192.0.2.99", 5000), "the in-place edit is seen");
    const info = JSON.parse(await h.pontonOk("info")) as { dns: { upstreams: { address: string }[] } };
    assert.deepEqual(info.dns.upstreams.map((u) => u.address), [OUTSIDE_A]);
  });
});

describe("embedded DNS: a gateway whose port 53 is taken", () => {
  let h: TestHost;
  before(async () => {
    h = await new TestHost("dp").setUp();
  });
  after(() => h.tearDown());

  test("network create says so at once, naming the port and the process that holds it", async () => {
    const holder = h.spawnIn(h.hostNs, process.execPath, [path.join(__dirname, "fake-upstream.js"), "0.0.0.0", "53"]);
    assert.ok(await eventually(async () => (await h.inHost("ss", ["-Hlun", "sport", "=", ":53"])).stdout.includes(":53"), 5000));
    const r = await h.ponton("network", "create", "taken", "--subnet", "172.47.0.0/24");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning: DNS_PORT_IN_USE: dns on 172\.47\.0\.1:53: port 53 is taken by node \(pid (\d+)\)/);
    assert.equal(Number(/pid (\d+)/.exec(r.stderr)![1]), holder.pid);
    const json = JSON.parse(await h.pontonOk("network", "create", "taken2", "--subnet", "172.48.0.0/24", "-o", "json")) as { warnings?: { code: string }[] };
    assert.deepEqual(json.warnings?.map((w) => w.code), ["DNS_PORT_IN_USE"]);
    const info = JSON.parse(await h.pontonOk("info")) as { dns: { errors: Record<string, string> } };
    assert.match(info.dns.errors["172.47.0.1"] ?? "", /port 53 is taken/);
    // Freed: the next change opens the listener, and a later create has nothing to warn about.
    holder.kill("SIGKILL");
    await sleep(200);
    const ok = await h.ponton("network", "create", "free", "--subnet", "172.49.0.0/24");
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stderr, "");
    const after = JSON.parse(await h.pontonOk("info")) as { dns: { errors: Record<string, string>; listening: { address: string }[] } };
    assert.deepEqual(after.dns.errors, {});
    assert.ok(after.dns.listening.some((l) => l.address === "172.47.0.1"));
  });
});

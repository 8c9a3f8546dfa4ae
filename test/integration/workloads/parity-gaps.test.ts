// What Docker, Kubernetes and CNI users expect, the last gaps: the built-in kubernetes service,
// `dns:` on networks in `ponton up`, `--netns /run/netns/NAME` workloads' resolv.conf and hosts,
// dnsPolicy ClusterFirstWithHostNet, and Docker's `network create -o KEY=VALUE`.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { TestHost, OUTSIDE_A, OUTSIDE_B, sh } from "../harness";

describe("parity gaps", () => {
  let h: TestHost;
  const dig = async (from: string, ...args: string[]) => (await h.inWorkload(from, "dig", ["+time=2", "+tries=1", ...args])).stdout;
  const short = async (from: string, ...args: string[]) => (await dig(from, "+short", ...args)).trim();

  before(async () => {
    h = await new TestHost("pg").setUp();
    h.spawnIn(h.outsideNs, process.execPath, [path.join(__dirname, "..", "dns", "fake-upstream.js"), OUTSIDE_A, "53"]);
    h.spawnIn(h.outsideNs, process.execPath, [path.join(__dirname, "..", "dns", "fake-upstream.js"), OUTSIDE_B, "53", "192.0.2.77"]);
    await h.pontonOk("network", "create", "front", "--subnet", "172.61.0.0/24");
    await h.pontonOk("run", "--name", "a1", "--network", "front");
    await h.pontonOk("run", "--name", "t1", "--network", "front", "--namespace", "team");
  });
  after(() => h.tearDown());

  test("kubernetes.default.svc resolves to the first address of the service range; connecting is refused at once", async () => {
    assert.equal(await short("a1", "+search", "kubernetes.default.svc"), "10.96.0.1");
    assert.equal(await short("a1", "+search", "kubernetes.default"), "10.96.0.1");
    assert.equal(await short("a1", "+search", "kubernetes"), "10.96.0.1");
    assert.equal(await short("t1", "+search", "kubernetes.default"), "10.96.0.1");
    assert.equal(await short("a1", "SRV", "_https._tcp.kubernetes.default.svc.cluster.local"), "0 100 443 kubernetes.default.svc.cluster.local.");
    // No API server behind it: a TCP reset, not a hang (curl's exit 7: could not connect; a drop would be 28 after -m 5).
    const r = await h.inWorkload("a1", "curl", ["-sS", "-m", "5", "-k", "https://kubernetes.default.svc.cluster.local/"]);
    assert.equal(r.code, 7, r.stderr);
    assert.doesNotMatch(r.stderr, /timed out/i);
    const k = [JSON.parse(await h.pontonOk("service", "inspect", "kubernetes", "-o", "json")) as { vip: string; endpoints: unknown[] }].flat()[0]!;
    assert.equal(k.vip, "10.96.0.1");
    assert.deepEqual(k.endpoints, []);
  });

  test("the kubernetes service and its VIP are reserved: create, update, rm refused with RESERVED; the next VIP skips it", async () => {
    for (const args of [
      ["service", "create", "kubernetes", "--port", "443/tcp", "--selector", "app=x"],
      ["service", "create", "api", "--port", "443/tcp", "--selector", "app=x", "--vip", "10.96.0.1"],
      ["service", "update", "kubernetes", "--selector", "app=y"],
      ["service", "rm", "kubernetes"],
    ]) {
      const r = await h.ponton(...args);
      assert.equal(r.code, 3, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, /RESERVED/);
    }
    const s = JSON.parse(await h.pontonOk("service", "create", "first", "--port", "80/tcp", "--selector", "app=x", "-o", "json")) as { vip: string };
    assert.equal(s.vip, "10.96.0.2");
    // Another namespace may have its own `kubernetes`.
    await h.pontonOk("service", "create", "kubernetes", "--namespace", "team", "--port", "443/tcp", "--selector", "app=x");
    // Stable across a restart (computed from the range, never handed out).
    await h.stopDaemon();
    await h.startDaemon();
    assert.equal(await short("a1", "+search", "kubernetes.default.svc"), "10.96.0.1");
    await h.pontonOk("service", "rm", "first");
    await h.pontonOk("service", "rm", "kubernetes", "--namespace", "team");
  });

  test("ponton up: dns: servers on a network, changed in place on the next up", async () => {
    const file = path.join(h.dir, "dns-up.yaml");
    const doc = (dns: string) => `name: dnsup\nnetworks:\n  corp:\n    subnet: 172.62.0.0/24\n${dns}workloads:\n  c1:\n    networks: [corp]\n`;
    writeFileSync(file, doc(`    dns: [${OUTSIDE_B}]\n`));
    await h.pontonOk("up", file);
    assert.equal(await short("c1", "one.example.test"), "192.0.2.77");
    const made = (JSON.parse(await h.pontonOk("inspect", "c1")) as { createdAt: string }[])[0]!.createdAt;
    assert.ok(made);
    writeFileSync(file, doc(""));
    const out = await h.pontonOk("up", file);
    assert.match(out, /updated\s+network corp/);
    assert.equal(await short("c1", "two.example.test"), "192.0.2.99");
    assert.equal((JSON.parse(await h.pontonOk("inspect", "c1")) as { createdAt: string }[])[0]!.createdAt, made, "the workload was not recreated");
    writeFileSync(file, doc("    dns: [not-an-ip]\n"));
    const bad = await h.ponton("up", file);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /networks\.corp\.dns.*not-an-ip/);
    writeFileSync(file, doc(""));
    await h.pontonOk("down", file);
  });

  test("dnsPolicy ClusterFirstWithHostNet: ClusterFirst with a namespace of its own, refused with the reason on the host network", async () => {
    await h.pontonOk("run", "--name", "cf", "--network", "front", "--dns-policy", "ClusterFirstWithHostNet");
    assert.match(readFileSync(`/etc/netns/${h.ns("cf")}/resolv.conf`, "utf8"), /nameserver 172\.61\.0\.1\n/);
    assert.equal(await short("cf", "+search", "a1"), "172.61.0.2");
    const r = await h.ponton("run", "--name", "hn", "--network", "host", "--dns-policy", "ClusterFirstWithHostNet", "--", "sleep", "60");
    assert.equal(r.code, 2);
    assert.match(r.stderr, /UNSUPPORTED.*ClusterFirstWithHostNet.*host-network workload.*host's \/etc\/resolv\.conf/s);
    assert.equal((await h.ponton("inspect", "hn")).code, 4, "nothing was made");
    await h.pontonOk("rm", "cf");
  });

  test("--netns /run/netns/NAME: resolv.conf and hosts in /etc/netns/NAME, seen by the command; another path is left to its runtime", async () => {
    const given = `${h.prefix}-given`;
    await sh("ip", ["netns", "add", given]);
    try {
      await h.pontonOk("run", "--name", "g1", "--network", "front", "--netns", `/run/netns/${given}`, "--", "sh", "-c", "cat /etc/resolv.conf /etc/hosts > /tmp/ponton-parity-seen-$$; sleep 60");
      const etc = `/etc/netns/${given}`;
      assert.match(readFileSync(`${etc}/resolv.conf`, "utf8"), /nameserver 172\.61\.0\.1\n/);
      assert.match(readFileSync(`${etc}/hosts`, "utf8"), /172\.61\.0\.\d+\tg1 /);
      const view = (JSON.parse(await h.pontonOk("inspect", "g1")) as { etcFiles: string; pid: number }[])[0]!;
      assert.equal(view.etcFiles, etc);
      // The command saw them (ip netns exec bind-mounted them over /etc).
      let seen = "";
      for (let i = 0; i < 50 && !seen.includes("g1"); i++) {
        await new Promise((r) => setTimeout(r, 100));
        seen = existsSync(`/tmp/ponton-parity-seen-${view.pid}`) ? readFileSync(`/tmp/ponton-parity-seen-${view.pid}`, "utf8") : "";
      }
      await sh("rm", ["-f", `/tmp/ponton-parity-seen-${view.pid}`]);
      assert.match(seen, /nameserver 172\.61\.0\.1/);
      assert.match(seen, /\tg1 /);
      // The name resolves from inside, through those files.
      assert.equal((await sh("ip", ["netns", "exec", given, "dig", "+short", "+time=2", "+tries=1", "+search", "a1"])).stdout.trim(), "172.61.0.2");
      await h.pontonOk("rm", "g1");
      assert.equal(existsSync(etc), false, "the files we wrote went with the workload");
      // Files someone else wrote there stay theirs.
      await sh("mkdir", ["-p", etc]);
      writeFileSync(`${etc}/resolv.conf`, "nameserver 192.0.2.1\n");
      await h.pontonOk("run", "--name", "g2", "--network", "front", "--netns", `/run/netns/${given}`);
      assert.equal(readFileSync(`${etc}/resolv.conf`, "utf8"), "nameserver 192.0.2.1\n");
      await h.pontonOk("rm", "g2");
      assert.equal(readFileSync(`${etc}/resolv.conf`, "utf8"), "nameserver 192.0.2.1\n");
      await sh("rm", ["-rf", etc]);
      // A namespace by another path: /etc there belongs to whoever made it, and inspect says so.
      const bind = path.join(h.dir, "nsfile");
      writeFileSync(bind, "");
      await sh("mount", ["--bind", `/run/netns/${given}`, bind]);
      try {
        await h.pontonOk("run", "--name", "g4", "--network", "front", "--netns", bind);
        assert.match((JSON.parse(await h.pontonOk("inspect", "g4")) as { etcFiles: string }[])[0]!.etcFiles, /owned by the runtime/);
        assert.equal(existsSync(etc), false);
        await h.pontonOk("rm", "g4");
      } finally {
        await sh("umount", [bind]);
      }
    } finally {
      await sh("ip", ["netns", "del", given]);
      await sh("rm", ["-rf", `/etc/netns/${given}`]);
    }
  });

  test("network create -o KEY=VALUE: Docker's options take effect; an unknown key is refused naming it", async () => {
    const out = JSON.parse(await h.pontonOk("network", "create", "opts", "--subnet", "172.63.0.0/24", "-o", "com.docker.network.driver.mtu=1400", "-o", "com.docker.network.bridge.enable_icc=false", "-o", "json")) as { bridge: string; mtu: number; icc: boolean };
    assert.equal(out.mtu, 1400);
    assert.equal(out.icc, false);
    assert.match((await h.inHost("ip", ["link", "show", out.bridge])).stdout, /mtu 1400 /);
    await h.pontonOk("run", "--name", "o1", "--network", "opts");
    assert.match((await h.inWorkload("o1", "ip", ["link", "show", "eth0"])).stdout, /mtu 1400 /);
    const bad = await h.ponton("network", "create", "bad", "-o", "com.example.mystery=1");
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /UNSUPPORTED.*com\.example\.mystery/);
    assert.equal((await h.ponton("network", "inspect", "bad")).code, 4);
    await h.pontonOk("rm", "o1");
    await h.pontonOk("network", "rm", "opts");
  });
});

// Robustness on the real kernel: reconcile repairs drift and leaves foreign objects alone; the nft
// table heals itself; kill -9 in the middle of operations leaves no half-made state; bad input is
// refused with a clear code and changes nothing.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Client } from "../../../src/client/client";
import { TestHost, curlFrom, eventually, sleep, UPLINK_HOST, processAlive } from "../harness";

interface WorkloadJson {
  name: string;
  state: string;
  pid?: number;
  netnsName?: string;
  routes: { dst: string; via: string }[];
  networks: { network: string; ifname: string; hostIfname: string; ip4?: string }[];
}

const listWorkloads = async (h: TestHost) => JSON.parse(await h.pontonOk("ls", "-o", "json")) as WorkloadJson[];
const inspect = async (h: TestHost, name: string) => (JSON.parse(await h.pontonOk("inspect", name)) as WorkloadJson[])[0]!;
const ping = async (h: TestHost, from: string, ip: string) => (await h.inWorkload(from, "ping", ["-c", "1", "-W", "1", ip])).code === 0;
const published = (h: TestHost, port: number) => curlFrom((c, a, t) => h.inOutside(c, a, t), `http://${UPLINK_HOST}:${port}/`);

function docRoot(h: TestHost, name: string, text: string): string {
  const root = path.join(h.dir, `www-${name}`);
  mkdirSync(root, { recursive: true });
  writeFileSync(path.join(root, "index.html"), text + "\n");
  return root;
}

/** Our namespaces on the machine, apart from the harness's host and outside. */
function workloadNamespaces(h: TestHost): string[] {
  return readdirSync("/run/netns")
    .filter((n) => n.startsWith(`${h.prefix}-`) && n !== h.hostNs && n !== h.outsideNs)
    .sort();
}

async function hostLinks(h: TestHost): Promise<{ ifname: string; ifindex: number; master?: string; link_type?: string }[]> {
  return JSON.parse((await h.inHost("ip", ["-j", "link", "show"])).stdout);
}

/** Every set and map of our table with its elements, as comparable text. */
async function nftElements(h: TestHost): Promise<Record<string, string>> {
  const r = await h.inHost("nft", ["-j", "list", "table", "inet", "ponton"]);
  assert.equal(r.code, 0, r.stderr);
  const out: Record<string, string> = {};
  for (const o of (JSON.parse(r.stdout) as { nftables: Record<string, { name: string; elem?: unknown }>[] }).nftables) {
    const s = o.set ?? o.map;
    if (s) out[`${o.set ? "set" : "map"} ${s.name}`] = JSON.stringify(s.elem ?? []);
  }
  return out;
}

describe("reconcile repairs drift and removes only what it owns", () => {
  let h: TestHost;
  const adminTable = async () => (await h.inHost("nft", ["list", "table", "inet", "admin"])).stdout;
  before(async () => {
    h = await new TestHost("rc").setUp();
    // Somebody else's objects, made before ours.
    await h.inHost("nft", ["add", "table", "inet", "admin"]);
    await h.inHost("nft", ["add", "chain", "inet", "admin", "input", "{ type filter hook input priority 10; policy accept; }"]);
    await h.inHost("nft", ["add", "rule", "inet", "admin", "input", "ip", "saddr", "192.0.2.99", "tcp", "dport", "2222", "drop"]);
    // No dummy module on every kernel: a bridge with a veth port serves as "a link that is not ours".
    for (const args of [["link", "add", "admin0", "type", "bridge"], ["link", "add", "admv0", "type", "veth", "peer", "name", "admv1"], ["link", "set", "admv0", "master", "admin0"]]) {
      const r = await h.inHost("ip", args);
      assert.equal(r.code, 0, r.stderr);
    }
    await h.pontonOk("network", "create", "drift", "--subnet", "10.51.0.0/24");
    await h.pontonOk("run", "--name", "d1", "--network", "drift", "--route", "10.99.0.0/16=10.51.0.1");
    await h.pontonOk("run", "--name", "d2", "--network", "drift");
    await h.pontonOk("run", "--name", "d3", "--network", "drift", "--", "busybox", "httpd", "-f", "-p", "80", "-h", docRoot(h, "d3", "d3-ok"));
  });
  after(() => h.tearDown());

  test("a deleted host veth, a deleted namespace and a deleted bridge are rebuilt; foreign table and link are untouched", async () => {
    const admin = await adminTable();
    const foreign = (await hostLinks(h)).filter((l) => l.ifname.startsWith("adm"));
    assert.equal(foreign.length, 3);
    assert.match(admin, /ip saddr 192\.0\.2\.99 tcp dport 2222 drop/);
    const d1 = await inspect(h, "d1");
    const d2 = await inspect(h, "d2");
    const ip1 = d1.networks[0]!.ip4!;
    const ip2 = d2.networks[0]!.ip4!;
    assert.ok(await ping(h, "d2", ip1));

    // 1. d1's host veth (the pair goes with it).
    // pontond's healer (kernel events) usually repairs before `ponton reconcile` runs: both must end well
    // together (test/integration/healing/heal.test.ts shows the healer alone, with the break it repairs).
    assert.equal((await h.inHost("ip", ["link", "del", d1.networks[0]!.hostIfname])).code, 0);
    await h.pontonOk("reconcile");
    assert.ok(await ping(h, "d2", ip1), "veth rebuilt");
    assert.ok(await ping(h, "d1", ip2));
    const routes = (await h.inWorkload("d1", "ip", ["route"])).stdout;
    assert.match(routes, /default via 10\.51\.0\.1 dev eth0/);
    assert.match(routes, /10\.99\.0\.0\/16 via 10\.51\.0\.1 dev eth0/, "the static route is back too");

    // 2. d2's namespace: no process holds it, so the kernel tears it (and the veth) down; reconcile right away.
    assert.equal((await h.inHost("ip", ["netns", "del", h.ns("d2")])).code, 0);
    await h.pontonOk("reconcile");
    assert.ok(workloadNamespaces(h).includes(h.ns("d2")), "namespace rebuilt");
    assert.ok(await eventually(async () => ping(h, "d1", ip2), 5000), "d2 reachable at its address again");
    assert.match((await h.inWorkload("d2", "cat", ["/etc/resolv.conf"])).stdout, /nameserver/);

    // 2b. d3's namespace name, while d3's server process still lives in it: the same namespace is named again.
    const d3 = await inspect(h, "d3");
    const ip3 = d3.networks[0]!.ip4!;
    const fetch3 = () => curlFrom((c, a, t) => h.inWorkload("d1", c, a, t), `http://${ip3}/`);
    assert.ok(await eventually(async () => (await fetch3()) === "d3-ok"));
    assert.equal((await h.inHost("ip", ["netns", "del", h.ns("d3")])).code, 0);
    const rc = await h.ponton("reconcile");
    assert.equal(rc.code, 0, rc.stderr);
    assert.ok(workloadNamespaces(h).includes(h.ns("d3")));
    assert.equal(await fetch3(), "d3-ok", "d3's process serves at its address again");
    assert.equal((await inspect(h, "d3")).pid, d3.pid, "the process was kept");
    assert.match((await h.inWorkload("d3", "ip", ["-4", "-o", "addr", "show", "eth0"])).stdout, new RegExp(`inet ${ip3.replace(/\./g, "\\.")}/`));

    // 3. The bridge: its ports are released, not deleted.
    const [net] = JSON.parse(await h.pontonOk("network", "inspect", "drift")) as { bridge: string }[];
    assert.equal((await h.inHost("ip", ["link", "del", net!.bridge])).code, 0);
    await h.pontonOk("reconcile");
    assert.ok(await eventually(async () => (await hostLinks(h)).filter((l) => [d1, d2, d3].some((w) => w.networks[0]!.hostIfname === l.ifname && l.master === net!.bridge)).length === 3), "veths back on the bridge");
    const links = await hostLinks(h);
    assert.ok(links.some((l) => l.ifname === net!.bridge), "bridge rebuilt");
    for (const w of [d1, d2, d3]) assert.equal(links.find((l) => l.ifname === w.networks[0]!.hostIfname)?.master, net!.bridge, `${w.name}'s veth is back on the bridge`);
    assert.ok(await ping(h, "d1", ip2));
    assert.equal((await h.inHost("ping", ["-c", "1", "-W", "1", ip1])).code, 0, "the host reaches the gateway side again");

    // Foreign objects: byte-identical after reconciles and after a restart.
    assert.equal(await adminTable(), admin);
    await h.stopDaemon("SIGTERM");
    await h.startDaemon();
    assert.equal(await adminTable(), admin);
    const after = await hostLinks(h);
    assert.deepEqual(
      after.filter((l) => l.ifname.startsWith("adm")).map((l) => [l.ifname, l.ifindex, l.master]),
      foreign.map((l) => [l.ifname, l.ifindex, l.master]),
      "the foreign links are still there, same index, same master",
    );
    const ws = await listWorkloads(h);
    assert.deepEqual(ws.map((w) => [w.name, w.state]).sort(), [["d1", "running"], ["d2", "running"], ["d3", "running"]]);
    assert.equal(await fetch3(), "d3-ok");
  });

  test("a removal interrupted by kill -9 is finished at restart: process, namespace, veth and port elements go", async () => {
    const before = await nftElements(h);
    // A process that ignores SIGTERM keeps the removal waiting in its grace period: the crash lands there.
    await h.pontonOk("run", "--name", "half", "--network", "drift", "-p", "8090:80", "--", "sh", "-c", "trap '' TERM; while :; do sleep 1; done");
    const half = await inspect(h, "half");
    assert.ok(half.pid && processAlive(half.pid));
    assert.notDeepEqual(await nftElements(h), before, "the published port is in the maps");
    const removal = h.ponton("rm", "half", "-t", "60");
    assert.ok(await eventually(async () => (await h.client.request<WorkloadJson>("GET", "/v1/workloads/half")).state === "removing"), "removal under way");
    await h.stopDaemon("SIGKILL");
    assert.notEqual((await removal).code, 0, "the client saw the daemon die");
    assert.ok(processAlive(half.pid), "the crash left the process behind");
    assert.ok(workloadNamespaces(h).includes(h.ns("half")));

    await h.startDaemon();
    assert.equal(processAlive(half.pid), false, "the restarted daemon stopped the leftover process");
    assert.deepEqual((await listWorkloads(h)).map((w) => w.name).sort(), ["d1", "d2", "d3"]);
    assert.equal(workloadNamespaces(h).includes(h.ns("half")), false, "namespace removed");
    assert.ok(await eventually(async () => !(await hostLinks(h)).some((l) => l.ifname === half.networks[0]!.hostIfname)), "veth removed");
    assert.deepEqual(await nftElements(h), before, "port elements removed");
    assert.equal(readdirSync("/etc/netns").includes(h.ns("half")), false, "resolv.conf directory removed");
    // The name and the address are free again.
    await h.pontonOk("run", "--name", "half", "--network", "drift");
    assert.equal((await inspect(h, "half")).networks[0]!.ip4, half.networks[0]!.ip4);
    await h.pontonOk("rm", "-f", "half");
  });
});

describe("self-healing: our nft table comes back by itself", () => {
  let h: TestHost;
  const userChain = async () => (await h.inHost("nft", ["list", "chain", "inet", "ponton", "user"])).stdout;
  const healed = async (baseline: Record<string, string>) =>
    eventually(async () => {
      const r = await h.inHost("nft", ["-j", "list", "table", "inet", "ponton"]);
      return r.code === 0 && JSON.stringify(await nftElements(h)) === JSON.stringify(baseline) && /tcp dport 5678 reject/.test(await userChain());
    }, 15_000, 200);
  before(async () => {
    h = await new TestHost("hl").setUp();
    await h.pontonOk("network", "create", "heal", "--subnet", "10.52.0.0/24");
    await h.pontonOk("run", "--name", "web", "--network", "heal", "-p", "8082:80", "--", "busybox", "httpd", "-f", "-p", "80", "-h", docRoot(h, "web", "web-ok"));
    await h.pontonOk("run", "--name", "web2", "--network", "heal", "-p", "8083:5678", "--", "busybox", "httpd", "-f", "-p", "5678", "-h", docRoot(h, "web2", "web2-ok"));
    await h.pontonOk("firewall", "add", "tcp", "dport", "5678", "reject");
  });
  after(() => h.tearDown());

  test("delete, flush and flush ruleset: the table, its map elements and the user rule are rebuilt; traffic flows again", async () => {
    const baseline = await nftElements(h);
    assert.match(baseline["map pub4"]!, /8082/, "the published port is a map element");
    assert.match(await userChain(), /tcp dport 5678 reject/);
    assert.ok(await eventually(async () => (await published(h, 8082)) === "web-ok"));
    assert.equal(await published(h, 8083), "", "the user rule rejects forwarded traffic to 5678");

    const damage: [string, string[]][] = [
      ["delete table", ["delete", "table", "inet", "ponton"]],
      ["flush table", ["flush", "table", "inet", "ponton"]],
      ["flush ruleset", ["flush", "ruleset"]],
    ];
    for (const [what, args] of damage) {
      if (what === "flush ruleset") {
        await h.inHost("nft", ["add", "table", "inet", "admin"]);
        await h.inHost("nft", ["add", "chain", "inet", "admin", "input", "{ type filter hook input priority 10; policy accept; }"]);
      }
      const r = await h.inHost("nft", args);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(await healed(baseline), `healed after ${what}`);
      assert.ok(await eventually(async () => (await published(h, 8082)) === "web-ok"), `published port works after ${what}`);
      assert.equal(await published(h, 8083), "", `the user rule is enforced again after ${what}`);
    }
    assert.equal((await h.inHost("nft", ["list", "table", "inet", "admin"])).code, 1, "flush ruleset took the admin table: the user's doing, not restored by us");
    const info = JSON.parse(await h.pontonOk("info")) as { nftHeals: number };
    assert.ok(info.nftHeals >= 3, `heals counted: ${info.nftHeals}`);

    // The user rule also survives a daemon restart, and removing it lets the traffic through: it was the rule.
    await h.stopDaemon("SIGTERM");
    await h.startDaemon();
    assert.match(await userChain(), /tcp dport 5678 reject/);
    assert.equal(await published(h, 8083), "");
    const [rule] = JSON.parse(await h.pontonOk("firewall", "ls", "-o", "json")) as { id: number }[];
    await h.pontonOk("firewall", "rm", String(rule!.id));
    assert.ok(await eventually(async () => (await published(h, 8083)) === "web2-ok"));
  });
});

describe("kill -9 in the middle of operations", () => {
  let h: TestHost;
  let root: string;
  before(async () => {
    h = await new TestHost("k9").setUp();
    root = docRoot(h, "crash", "crash-ok");
    await h.pontonOk("network", "create", "crash", "--subnet", "10.53.0.0/24");
  });
  after(() => h.tearDown());

  const spec = (i: number) => ({ name: `crash${i}`, networks: [{ network: "crash" }], ports: [`${9100 + i}:80`], command: ["busybox", "httpd", "-f", "-p", "80", "-h", root] });

  /** Processes started for this test's workloads (their command line names the test's document root). */
  function workloadProcesses(): number[] {
    const pids: number[] = [];
    for (const p of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
      try {
        if (readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0").includes(root) && processAlive(Number(p))) pids.push(Number(p));
      } catch {
        // gone meanwhile
      }
    }
    return pids.sort();
  }

  async function assertInvariants(): Promise<WorkloadJson[]> {
    const ws = await listWorkloads(h);
    for (const w of ws) assert.equal(w.state, "running", `${w.name} is running, not ${w.state}`);
    assert.deepEqual(workloadNamespaces(h), ws.map((w) => w.netnsName!).sort(), "exactly the listed workloads have namespaces");
    const ips = ws.map((w) => w.networks[0]!.ip4!);
    assert.equal(new Set(ips).size, ips.length, `no address held twice: ${ips.join(" ")}`);
    for (const w of ws) {
      const addr = await h.inWorkload(w.name, "ip", ["-4", "-o", "addr", "show", "eth0"]);
      assert.match(addr.stdout, new RegExp(`inet ${w.networks[0]!.ip4!.replace(/\./g, "\\.")}/24`), `${w.name} has its address`);
      assert.ok(w.pid && processAlive(w.pid), `${w.name}'s process runs`);
    }
    assert.deepEqual(workloadProcesses(), ws.map((w) => w.pid!).sort(), "no process outside the listed workloads");
    const veths = (await hostLinks(h)).filter((l) => l.ifname.startsWith("pv-")).map((l) => l.ifname).sort();
    assert.deepEqual(veths, ws.map((w) => w.networks[0]!.hostIfname).sort(), "no stray veth");
    const pub = (await h.inHost("nft", ["list", "map", "inet", "ponton", "pub4"])).stdout;
    const elements = [...pub.matchAll(/tcp \. (\d+) : ([\d.]+) \. 80/g)].map((m) => `${m[1]}->${m[2]}`).sort();
    const expected = ws.map((w) => `${9100 + Number(w.name.slice(5))}->${w.networks[0]!.ip4}`).sort();
    assert.deepEqual(elements, expected, "the port map holds exactly the listed workloads");
    return ws;
  }

  test("runs and removals cut short by SIGKILL leave no half-made workload, address, name or process", async () => {
    const delays = [0, 5, 10, 15, 20, 25, 30, 40];
    for (let i = 0; i < delays.length; i++) {
      const client = new Client(h.socket);
      const ops = [client.request("POST", "/v1/workloads", spec(i)).catch((e: Error) => e)];
      // Every third round also removes an earlier workload, so removals get interrupted too.
      if (i % 3 === 2) ops.push(client.request("DELETE", `/v1/workloads/crash${i - 2}?force=1&time=0`).catch((e: Error) => e));
      await sleep(delays[i]!);
      await h.stopDaemon("SIGKILL");
      await Promise.all(ops);
      client.close();
      await h.startDaemon();
    }
    await assertInvariants();

    // Every name can be used again, and the ports lead to the new workloads.
    for (let i = 0; i < delays.length; i++) await h.pontonOk("rm", "-f", `crash${i}`, "-t", "0");
    assert.deepEqual(await assertInvariants(), []);
    for (let i = 0; i < delays.length; i++) await h.client.request("POST", "/v1/workloads", spec(i));
    const ws = await assertInvariants();
    assert.equal(ws.length, delays.length);
    for (let i = 0; i < delays.length; i++) {
      assert.ok(await eventually(async () => (await published(h, 9100 + i)) === "crash-ok"), `port ${9100 + i} answers`);
    }
  });
});

describe("bad input: a clear error and exit code, nothing applied", () => {
  let h: TestHost;
  before(async () => {
    h = await new TestHost("bi").setUp();
    await h.pontonOk("network", "create", "good", "--subnet", "10.54.0.0/24");
    await h.pontonOk("run", "--name", "first", "--network", "good", "-p", "8084:80", "--", "busybox", "httpd", "-f", "-p", "80", "-h", docRoot(h, "first", "first-ok"));
    const r = await h.inHost("ip", ["route", "add", "10.77.0.0/16", "dev", "lo"]);
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => h.tearDown());

  const snapshot = async () => ({
    workloads: await h.client.request("GET", "/v1/workloads"),
    networks: await h.client.request("GET", "/v1/networks"),
    rules: await h.client.request("GET", "/v1/firewall/rules"),
    nft: await nftElements(h),
    userChain: (await h.inHost("nft", ["list", "chain", "inet", "ponton", "user"])).stdout,
    namespaces: workloadNamespaces(h),
    links: (await hostLinks(h)).map((l) => l.ifname).sort(),
  });

  const cases: [string[], number, RegExp][] = [
    [["network", "create", "bad", "--subnet", "10.0.0.1/24"], 2, /INVALID_CIDR.*host bits/],
    [["network", "create", "bad", "--subnet", "banana"], 2, /INVALID_CIDR/],
    [["network", "create", "bad", "--subnet", "10.54.0.0/16"], 3, /SUBNET_OVERLAP.*network good/],
    [["network", "create", "bad", "--subnet", "10.77.1.0/24"], 3, /SUBNET_OVERLAP.*10\.77\.0\.0\/16/],
    [["network", "create", "good", "--subnet", "10.56.0.0/24"], 3, /NAME_IN_USE/],
    [["network", "create", "bad", "--subnet", "10.56.0.0/24", "--gateway", "10.57.0.1"], 2, /ADDRESS_OUT_OF_SUBNET/],
    [["network", "create", "bad", "--subnet", "10.56.0.0/24", "--route-to", "nowhere"], 4, /NETWORK_NOT_FOUND/],
    [["network", "create", "bad name!"], 2, /INVALID_NAME/],
    [["network", "rm", "host"], 2, /UNSUPPORTED/],
    [["network", "rm", "good"], 3, /NETWORK_IN_USE/],
    [["network", "rm", "nothing"], 4, /NETWORK_NOT_FOUND/],
    [["run", "--name", "x", "--network", "good", "--ip", "10.99.0.5"], 2, /ADDRESS_OUT_OF_SUBNET/],
    [["run", "--name", "x", "--ip", "10.99.0.5"], 2, /ADDRESS_OUT_OF_SUBNET/],
    [["run", "--name", "x", "--network", "nowhere"], 4, /NETWORK_NOT_FOUND/],
    [["run", "--name", "x", "--network", "good", "--network", "nowhere"], 4, /NETWORK_NOT_FOUND/],
    [["run", "--name", "first", "--network", "good"], 3, /NAME_IN_USE/],
    [["run", "--name", "x", "--network", "good", "-p", "8084:80"], 3, /PORT_IN_USE.*first/],
    [["run", "--name", "x", "-p", "8084:8080"], 3, /PORT_IN_USE/],
    [["run", "--name", "x", "--network", "good", "-p", "80:banana"], 2, /INVALID_PORT/],
    [["run", "--name", "x", "--network", "good", "-p", "127.0.0.1:8085"], 2, /INVALID_PORT/],
    [["run", "--name", "x", "--network", "good", "-p", "70000:80"], 2, /INVALID_PORT/],
    [["run", "--name", "x", "--network", "good", "-p", "8085:80/sctp"], 2, /INVALID_PORT/],
    [["run", "--name", "x", "--network", "good", "--restart", "sometimes"], 2, /INVALID_ARGUMENT.*restart policy/],
    [["run", "--name", "x", "--network", "good", "--route", "10.50.0.0/16=banana"], 2, /INVALID/],
    [["run", "--name", "bad name!", "--network", "good"], 2, /INVALID_NAME/],
    [["run", "--network", "good"], 2, /--name is required/],
    [["run", "--name", "x", "--network", "host"], 2, /needs a command/],
    [["run", "--name", "x", "--network", "none", "--network", "good"], 2, /cannot be combined/],
    [["run", "--name", "x", "--netns", "/run/netns/does-not-exist-here", "--network", "good"], 4, /NOT_FOUND/],
    [["rm", "nothing"], 4, /WORKLOAD_NOT_FOUND/],
    [["network", "connect", "good", "nothing"], 4, /WORKLOAD_NOT_FOUND/],
    [["network", "disconnect", "nowhere", "first"], 4, /NETWORK_NOT_FOUND/],
    [["firewall", "add", "tcp", "dport", "banana", "reject"], 2, /INVALID_ARGUMENT/],
    [["firewall", "add", "accept;", "flush", "ruleset"], 2, /INVALID_ARGUMENT/],
  ];

  test("each bad command fails with its code and leaves workloads, networks, nft and links unchanged", async () => {
    const before = await snapshot();
    for (const [args, code, message] of cases) {
      const r = await h.ponton(...args);
      assert.equal(r.code, code, `ponton ${args.join(" ")}: exit ${r.code}, ${r.stderr}`);
      assert.match(r.stderr, message, `ponton ${args.join(" ")}`);
      assert.match(r.stderr, /Error: [A-Z_]+: /, "the error names its code");
      assert.deepEqual(await snapshot(), before, `ponton ${args.join(" ")} changed nothing`);
    }
    assert.ok(await eventually(async () => (await published(h, 8084)) === "first-ok"), "the workload holding the port still works");
  });

  test("teardown of what is already gone succeeds", async () => {
    const before = await snapshot();
    assert.equal((await h.ponton("rm", "-f", "nothing")).code, 0);
    assert.equal((await h.ponton("network", "rm", "-f", "nothing")).code, 0);
    assert.deepEqual(await snapshot(), before);
  });
});

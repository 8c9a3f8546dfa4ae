// Workloads on another node, from any node (two nodes over one etcd, underlay namespaces, a pontond
// per node): `inspect`, `logs` (and `logs -f`, streamed), `stop`, `start`, `exec` (streamed both
// ways, run by the owner) and `rm` of n2's workload typed on n1 act on n2, and n2's errors come back
// with their code and `node n2:`; names are unique cluster-wide (reserved in etcd: a race of two
// nodes makes one workload); an owner that does not answer is NODE_NOT_READY, never "not found".
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { eventually, inspect, sleep, TestHost, type Result } from "../harness";
import { Underlay } from "../underlay";
import { podsWorld } from "./cluster-world";

const BIN = path.resolve(__dirname, "..", "..", "..", "..", "bin", "ponton");
const TTL_S = 2;

/** The CLI with its output as it comes (for streams): `stop()` ends it. */
function streaming(h: TestHost, args: string[], input?: string) {
  const child = spawn(process.execPath, [BIN, "--socket", h.socket, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  if (input !== undefined) child.stdin.end(input);
  const done = new Promise<Result>((resolve) => child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr })));
  return { out: () => stdout, done, stop: () => child.kill("SIGTERM") };
}

describe("workloads on another node: inspect, logs, stop, start, exec, rm from any node", () => {
  const ul = new Underlay("hr");
  const nodes = ["n1", "n2"].map((n) => new TestHost(`hr${n}`));
  const [n1, n2] = nodes as [TestHost, TestHost];
  const netLs = async (h: TestHost) => JSON.parse(await h.pontonOk("network", "ls", "-o", "json")) as { name: string; subnet4?: string }[];
  const routes = async (h: TestHost) => (await h.inHost("ip", ["-4", "route", "show"])).stdout;
  const ticks = (text: string) => [...text.matchAll(/tick (\d+)/g)].map((m) => Number(m[1]));

  podsWorld(ul, nodes, { ttlS: TTL_S }, async () => {
    await n2.pontonOk("run", "-d", "--name", "far", "--network", "pods", "--", "sh", "-c", "i=0; while :; do echo tick $i; i=$((i+1)); sleep 0.3; done");
  });

  test("inspect on n1 shows n2's workload with its node; logs reads n2's output; logs -f streams it as it is written", async () => {
    type View = Awaited<ReturnType<typeof inspect>> & { id: string; node?: string };
    const own = (await inspect(n2, "far")) as View;
    const seen = (await inspect(n1, "far")) as View;
    assert.equal(seen.node, "n2");
    assert.equal(seen.id, own.id);
    assert.equal(seen.networks[0]!.ip4, own.networks[0]!.ip4);
    assert.ok(await eventually(async () => ticks(await n1.pontonOk("logs", "far")).includes(1), 10_000));
    const atStart = Math.max(...ticks(await n1.pontonOk("logs", "far")));
    const f = streaming(n1, ["logs", "-f", "far"]);
    // Lines written after the follow began reach n1 while the command still runs.
    const streamed = await eventually(async () => ticks(f.out()).some((t) => t >= atStart + 3), 15_000);
    f.stop();
    const r = await f.done;
    assert.ok(streamed, `followed: ${r.stdout.slice(-200)} ${r.stderr}`);
  });

  test("stop and start on n1 act on n2 (a stopped workload is found by asking n2: it has no published record)", async () => {
    await n1.pontonOk("stop", "-t", "1", "far");
    assert.equal((await inspect(n2, "far")).state, "stopped");
    assert.equal((await inspect(n1, "far")).state, "stopped");
    await n1.pontonOk("start", "far");
    assert.equal((await inspect(n2, "far")).state, "running");
  });

  test("exec on n1 runs in n2's workload, by n2's daemon: stdin, stdout, stderr and the exit status streamed", async () => {
    const ip = (await inspect(n2, "far")).networks[0]!.ip4!;
    const script = "cat; echo to-stderr >&2; echo ppid=$PPID; ip -4 -o addr show; exit 3";
    const r = await streaming(n1, ["exec", "far", "--", "sh", "-c", script], "hello from n1\n").done;
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /^hello from n1$/m);
    assert.match(r.stderr, /to-stderr/);
    assert.match(r.stdout, new RegExp(`^ppid=${n2.daemonPid}$`, "m"), "run by n2's pontond");
    assert.ok(r.stdout.includes(` ${ip}/`), `in far's namespace: ${r.stdout}`);
  });

  test("n2's errors come back with their code and `node n2:`; a name no node runs is WORKLOAD_NOT_FOUND", async () => {
    const bad = await n1.ponton("stop", "-t", "soon", "far");
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /INVALID_ARGUMENT: node n2: time must be a whole number/);
    const none = await n1.ponton("inspect", "nosuch");
    assert.equal(none.code, 4, none.stderr);
    assert.match(none.stderr, /WORKLOAD_NOT_FOUND/);
    const elsewhere = await n1.ponton("exec", "nosuch", "--", "true");
    assert.match(elsewhere.stderr, /WORKLOAD_NOT_FOUND/);
  });

  test("names are unique cluster-wide: n2's name on n1 is NAME_IN_USE naming n2; of two nodes racing one name, one wins", async () => {
    const taken = await n1.ponton("run", "-d", "--name", "far", "--network", "pods", "--", "sleep", "60");
    assert.equal(taken.code, 3, taken.stderr);
    assert.match(taken.stderr, /NAME_IN_USE: workload far already exists on node n2/);
    assert.equal((await n1.ponton("inspect", "far")).code, 0);
    assert.ok(!(await n1.pontonOk("ls", "-o", "json")).includes('"node": "n1"'), "nothing made on n1");
    const rs = await Promise.all(nodes.map((h) => h.ponton("run", "-d", "--name", "twin", "--network", "pods", "--", "sleep", "600")));
    assert.equal(rs.filter((r) => r.code === 0).length, 1, rs.map((r) => `${r.code} ${r.stderr.trim()}`).join(" | "));
    const winner = rs.findIndex((r) => r.code === 0);
    assert.equal((await ul.etcdctl("get", "/ponton/names/twin", "--print-value-only")).stdout.trim(), `n${winner + 1}`);
  });

  test("rm on the other node removes it where it runs and frees its name: the loser of the race can take it", async () => {
    const holder = (await ul.etcdctl("get", "/ponton/names/twin", "--print-value-only")).stdout.trim();
    const [owner, other] = holder === "n1" ? [n1, n2] : [n2, n1];
    await other.pontonOk("rm", "-t", "1", "twin");
    assert.notEqual((await owner.ponton("inspect", "twin")).code, 0, "gone where it ran");
    assert.equal((await ul.etcdctl("get", "/ponton/names/twin")).stdout.trim(), "", "its name freed");
    await other.pontonOk("run", "-d", "--name", "twin", "--network", "pods", "--", "sleep", "600");
    await other.pontonOk("rm", "-t", "1", "twin");
  });

  test("network rm of a cluster network: refused while n2 has a workload on it, naming n2; emptied, it leaves etcd and every node", async () => {
    for (const [net, subnet] of [["pods2", "10.43.0.0/16"], ["pods3", "10.44.0.0/16"]] as const) await n1.pontonOk("network", "create", net, "--scope", "cluster", "--subnet", subnet);
    for (const h of nodes) assert.ok(await eventually(async () => ["pods2", "pods3"].every((x) => netLs(h).then((ns) => ns.some((n) => n.name === x))), 20_000));
    const block2 = (await netLs(n2)).find((n) => n.name === "pods2")!.subnet4!;
    assert.ok(await eventually(async () => (await routes(n1)).includes(block2), 10_000), "n1 routes to n2's block");
    await n2.pontonOk("run", "-d", "--name", "on2", "--network", "pods2", "--", "sleep", "600");
    const busy = await n1.ponton("network", "rm", "pods2");
    assert.equal(busy.code, 3, busy.stderr);
    assert.match(busy.stderr, /NETWORK_IN_USE: network rm pods2: node n2 has workloads on it: on2/);
    assert.notEqual((await ul.etcdctl("get", "/ponton/networks/pods2", "--print-value-only")).stdout.trim(), "", "still in etcd");
    assert.ok((await netLs(n1)).some((n) => n.name === "pods2"), "n1's piece kept");
    await n1.pontonOk("rm", "-t", "1", "on2");
    await n1.pontonOk("network", "rm", "pods2");
    assert.equal((await ul.etcdctl("get", "--prefix", "/ponton/networks/pods2", "--keys-only")).stdout.trim(), "");
    assert.equal((await ul.etcdctl("get", "--prefix", "/ponton/blocks/pods2/", "--keys-only")).stdout.trim(), "", "every block released");
    assert.ok(!(await netLs(n1)).some((n) => n.name === "pods2"), "n1's piece gone when rm returns");
    assert.ok(await eventually(async () => !(await netLs(n2)).some((n) => n.name === "pods2"), 10_000), "n2's piece gone");
    assert.ok(await eventually(async () => !(await routes(n1)).includes(block2), 10_000), "n1's route to n2's block gone");
    const vtep2 = block2.replace(/\/\d+$/, "");
    assert.ok(await eventually(async () => !(await n2.inHost("ip", ["-4", "-o", "addr", "show", "dev", "pvx0"])).stdout.includes(` ${vtep2}/`), 10_000), "n2's VTEP address gone");
    assert.ok((await netLs(n1)).some((n) => n.name === "pods3") && (await netLs(n2)).some((n) => n.name === "pods"), "the other networks stay");
    const again = await n1.ponton("network", "rm", "pods2");
    assert.equal(again.code, 4, again.stderr);
    assert.match(again.stderr, /NETWORK_NOT_FOUND/);
  });

  test("the owner's pontond gone: inspect, exec and rm are NODE_NOT_READY (before and after its lease ends), never not found", async () => {
    await n2.stopDaemon("SIGKILL");
    for (const wait of [0, (TTL_S + 1) * 1000]) {
      await sleep(wait);
      for (const args of [["inspect", "far"], ["exec", "far", "--", "true"], ["rm", "far"], ["inspect", "nosuch"]]) {
        const r = await n1.ponton(...args);
        assert.equal(r.code, 3, `${args.join(" ")} after ${wait} ms: ${r.stderr}`);
        assert.match(r.stderr, /NODE_NOT_READY.*n2/);
      }
    }
  });

  test("network rm while a node holding a block of it is NotReady: NODE_NOT_READY naming it; etcd gone: STORE_UNAVAILABLE; nothing changes", async () => {
    const down = await n1.ponton("network", "rm", "pods3");
    assert.equal(down.code, 3, down.stderr);
    assert.match(down.stderr, /NODE_NOT_READY: network rm pods3: node n2 holds its block/);
    for (const m of ul.members) process.kill(m.pid, "SIGKILL");
    const gone = await n1.ponton("network", "rm", "pods3");
    assert.equal(gone.code, 6, gone.stderr);
    assert.match(gone.stderr, /STORE_UNAVAILABLE: network rm pods3/);
    assert.ok((await netLs(n1)).some((n) => n.name === "pods3"), "n1's piece kept");
  });
});

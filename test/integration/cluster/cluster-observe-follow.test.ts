// `ponton observe --all-nodes --follow` on three nodes: one live stream merging every node's new
// records with the node's name; the past first, merged by time; a node killed leaves the stream
// (announced) while the others keep streaming, and joins it again when it comes back.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { eventually, inspect, TestHost } from "../harness";
import { Underlay, UNDERLAY_PREFIX } from "../underlay";

const TTL_S = 2;
const PONTON = path.join(__dirname, "..", "..", "..", "..", "bin", "ponton");

interface Line {
  node: string;
  event?: string;
  reason?: string;
  time?: string;
  source?: { ip: string };
  destination?: { ip: string; port?: number };
}

/** A follower: the CLI's stdout lines (JSON or text) and stderr, as they come. */
class Follower {
  readonly cli: ChildProcess;
  out = "";
  err = "";
  constructor(socket: string, args: string[]) {
    this.cli = spawn(process.execPath, [PONTON, "--socket", socket, "observe", "--all-nodes", "--follow", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    this.cli.stdout!.on("data", (d: Buffer) => (this.out += d.toString()));
    this.cli.stderr!.on("data", (d: Buffer) => (this.err += d.toString()));
  }
  json(): Line[] {
    return this.out.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Line);
  }
  stop(): void {
    this.cli.kill("SIGTERM");
  }
}

describe("observe --all-nodes --follow", () => {
  const ul = new Underlay("of");
  const nodes = ["n1", "n2", "n3"].map((n) => new TestHost(`hsf${n}`));
  const addr = (i: number) => `${UNDERLAY_PREFIX}.${31 + i}`;
  const ips: Record<string, string> = {};
  const followers: Follower[] = [];
  /** One new TCP connection from c_i to w_i (on node i): a FORWARDED record on that node. */
  const connect = async (i: number) => {
    const r = await nodes[i]!.inWorkload(`c${i}`, "sh", ["-c", `socat -T2 -u TCP:${ips[`w${i}`]}:80,connect-timeout=2 -`]);
    assert.equal(r.stdout.trim(), `w${i}`);
  };
  const from = (ls: Line[], node: string, ip: string) => ls.filter((l) => l.node === node && !l.event && l.source?.ip === ip && l.destination?.port === 80);

  before(async () => {
    await ul.setUp();
    await ul.startEtcd(1);
    await Promise.all(
      nodes.map((h, i) => {
        h.daemonArgs = ["--cluster", ul.endpoints.join(","), "--node-name", `n${i + 1}`, "--node-ip", addr(i), "--node-lease-ttl", String(TTL_S)];
        return h.setUp({ beforeDaemon: () => ul.plug(h.hostNs, "ul0", addr(i)).then(() => undefined) });
      }),
    );
    await nodes[0]!.pontonOk("network", "create", "pods", "--scope", "cluster", "--subnet", "10.44.0.0/16");
    for (const h of nodes) {
      assert.ok(await eventually(async () => (JSON.parse(await h.pontonOk("network", "ls", "-o", "json")) as { name: string }[]).some((n) => n.name === "pods"), 20_000));
    }
    for (const [i, h] of nodes.entries()) {
      await h.pontonOk("run", "-d", "--name", `w${i}`, "--network", "pods", "--", "socat", "TCP-LISTEN:80,fork,reuseaddr", `SYSTEM:echo w${i}`);
      await h.pontonOk("run", "-d", "--name", `c${i}`, "--network", "pods", "--", "sleep", "3600");
      for (const w of [`w${i}`, `c${i}`]) ips[w] = (await inspect(h, w)).networks.find((n) => n.network === "pods")!.ip4!;
    }
  });
  after(async () => {
    for (const f of followers) f.stop();
    for (const h of nodes) await h.tearDown();
    await ul.tearDown();
  });

  test("new records of every node arrive on one stream with the node's name; a later follower gets the past merged by time first", async () => {
    const live = new Follower(nodes[0]!.socket, ["--port", "80", "--protocol", "tcp", "--last", "0", "-o", "json"]);
    followers.push(live);
    // Connections are made until each node's record has reached the stream (the follower starts asynchronously).
    for (const i of [0, 1, 2]) {
      assert.ok(await eventually(async () => (await connect(i), from(live.json(), `n${i + 1}`, ips[`c${i}`]!).length > 0), 15_000, 500), `n${i + 1}'s record on n1's stream: ${live.out}${live.err}`);
    }
    const later = new Follower(nodes[1]!.socket, ["--port", "80", "--protocol", "tcp", "--since", "5m", "-o", "json"]);
    followers.push(later);
    assert.ok(await eventually(async () => [0, 1, 2].every((i) => from(later.json(), `n${i + 1}`, ips[`c${i}`]!).length > 0), 15_000), `past of all three on n2's stream: ${later.out}${later.err}`);
    // The past comes first and merged by time: its records (all written before `later` started) are in order.
    const past = later.json().filter((l) => !l.event);
    const times = past.map((l) => l.time!);
    const firstLive = times.findIndex((t, k) => k > 0 && t < times[k - 1]!);
    assert.equal(firstLive, -1, `in time order: ${times.join(" ")}`);
    later.stop();
  });

  test("a node killed leaves the stream, announced; the others keep streaming; it joins again when it is back", async () => {
    const text = new Follower(nodes[0]!.socket, ["--port", "80", "--protocol", "tcp", "--last", "0"]);
    followers.push(text);
    const live = followers[0]!;
    assert.ok(await eventually(async () => (await connect(2), /^n3 {2}.*FORWARDED/m.test(text.out)), 15_000, 500), `text follower streams n3: ${text.out}${text.err}`);
    await nodes[2]!.stopDaemon("SIGKILL");
    assert.ok(await eventually(async () => live.json().some((l) => l.event === "node-left" && l.node === "n3"), (TTL_S + 5) * 1000), `node-left n3: ${live.out.slice(-2000)}`);
    assert.ok(await eventually(async () => /ponton: node n3 left the stream/.test(text.err), 5000), `text follower's stderr: ${text.err}`);
    const before = live.json().length;
    assert.ok(await eventually(async () => (await connect(1), from(live.json().slice(before), "n2", ips.c1!).length > 0), 15_000, 500), "n2 still streams after n3 left");
    assert.ok(await eventually(async () => /^n2 {2}.*FORWARDED/m.test(text.out), 5000), `text follower: ${text.out}`);
    assert.equal(live.cli.exitCode, null, "the stream is still open");

    await nodes[2]!.startDaemon();
    assert.ok(await eventually(async () => live.json().some((l) => l.event === "node-joined" && l.node === "n3"), 20_000), `node-joined n3: ${live.out.slice(-2000)}`);
    const mark = live.json().length;
    assert.ok(await eventually(async () => (await connect(2), from(live.json().slice(mark), "n3", ips.c2!).length > 0), 15_000, 500), "n3 streams again");
  });
});

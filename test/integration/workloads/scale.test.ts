// Numbers on the real kernel: 50 concurrent runs get 50 distinct, reachable addresses; 200
// create/delete cycles with published ports leave nothing behind (veths, namespaces, nft elements,
// processes, /etc/netns entries).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { TestHost, eventually, processAlive } from "../harness";

interface WorkloadJson {
  name: string;
  state: string;
  pid?: number;
  networks: { network: string; hostIfname: string; ip4?: string }[];
}

/** Live processes whose command line holds `marker` as one argument. */
function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const p of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0").includes(marker) && processAlive(Number(p))) pids.push(Number(p));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

describe("scale", () => {
  let h: TestHost;
  before(async () => {
    h = await new TestHost("sc").setUp();
  });
  after(() => h.tearDown());

  const namespaces = () => readdirSync("/run/netns").filter((n) => n.startsWith(`${h.prefix}-`) && n !== h.hostNs && n !== h.outsideNs);
  const etcNetns = () => (existsSync("/etc/netns") ? readdirSync("/etc/netns").filter((n) => n.startsWith(`${h.prefix}-`)) : []);
  const veths = async () => (JSON.parse((await h.inHost("ip", ["-j", "link", "show"])).stdout) as { ifname: string }[]).map((l) => l.ifname).filter((n) => n.startsWith("pv-"));
  const nftText = async () => {
    const r = await h.inHost("nft", ["-j", "list", "table", "inet", "ponton"]);
    assert.equal(r.code, 0, r.stderr);
    const out: Record<string, unknown> = {};
    for (const o of (JSON.parse(r.stdout) as { nftables: Record<string, { name: string; elem?: unknown }>[] }).nftables) {
      const s = o.set ?? o.map;
      if (s) out[s.name] = s.elem ?? [];
    }
    return JSON.stringify(out);
  };

  test("50 concurrent `ponton run` on one network: 50 distinct addresses, each reachable", async () => {
    await h.pontonOk("network", "create", "conc", "--subnet", "10.60.0.0/24");
    const names = Array.from({ length: 50 }, (_, i) => `c${i}`);
    const results = await Promise.all(names.map((n) => h.ponton("run", "--name", n, "--network", "conc")));
    for (const [i, r] of results.entries()) assert.equal(r.code, 0, `run ${names[i]}: ${r.stderr}`);
    const ws = JSON.parse(await h.pontonOk("ls", "-o", "json")) as WorkloadJson[];
    assert.deepEqual(ws.map((w) => w.name).sort(), [...names].sort());
    const ips = ws.map((w) => w.networks[0]!.ip4!);
    assert.equal(new Set(ips).size, 50, "50 distinct addresses");
    for (const ip of ips) assert.match(ip, /^10\.60\.0\.\d+$/);
    assert.equal(new Set(ws.map((w) => w.networks[0]!.hostIfname)).size, 50);
    const unreachable: string[] = [];
    await inBatches(
      ws.filter((w) => w.name !== "c0"),
      10,
      async (w) => {
        const ip = w.networks[0]!.ip4!;
        const r = await h.inWorkload("c0", "ping", ["-c", "1", "-W", "2", ip]);
        if (r.code !== 0) unreachable.push(`${w.name} ${ip}`);
      },
    );
    assert.deepEqual(unreachable, [], "every workload answers c0");
    // And the other way round: each one has its own address on its eth0 (nothing was swapped).
    await inBatches(ws, 10, async (w) => {
      const r = await h.inWorkload(w.name, "ip", ["-4", "-o", "addr", "show", "eth0"]);
      assert.ok(r.stdout.includes(`inet ${w.networks[0]!.ip4}/24`), `${w.name} holds ${w.networks[0]!.ip4}`);
    });
    const removed = await Promise.all(names.map((n) => h.ponton("rm", "-f", n)));
    for (const r of removed) assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(await h.pontonOk("ls", "-o", "json")), []);
    await h.pontonOk("network", "rm", "conc");
  });

  test("200 create/delete cycles with a published port each leave nothing behind", async () => {
    await h.pontonOk("network", "create", "churn", "--subnet", "10.61.0.0/22");
    const root = path.join(h.dir, "www-churn");
    mkdirSync(root, { recursive: true });
    writeFileSync(path.join(root, "index.html"), "churn\n");
    const nftBefore = await nftText();
    const vethsBefore = await veths();
    assert.deepEqual(namespaces(), []);

    const lanes = 4;
    const perLane = 50;
    let peak = 0;
    await Promise.all(
      Array.from({ length: lanes }, async (_, lane) => {
        for (let j = 0; j < perLane; j++) {
          const i = lane * perLane + j;
          const name = `churn${i}`;
          const w = await h.client.request<WorkloadJson>("POST", "/v1/workloads", {
            name,
            networks: ["churn"],
            ports: [{ hostPort: 20000 + i, containerPort: 80, protocol: "tcp" }],
            command: ["busybox", "httpd", "-f", "-p", "80", "-h", root],
          });
          assert.equal(w.state, "running");
          peak = Math.max(peak, processesWith(root).length);
          await h.client.request("DELETE", `/v1/workloads/${name}?time=1`);
        }
      }),
    );
    assert.ok(peak >= 1, "the workloads' processes did run");

    assert.deepEqual(JSON.parse(await h.pontonOk("ls", "-o", "json")), []);
    assert.deepEqual(JSON.parse(await h.pontonOk("port", "ls", "-o", "json")), []);
    assert.ok(await eventually(async () => JSON.stringify(await veths()) === JSON.stringify(vethsBefore), 20_000), `no veth left: ${(await veths()).join(" ")}`);
    assert.deepEqual(namespaces(), [], "no namespace left");
    assert.equal(await nftText(), nftBefore, "every set and map is back to what it was");
    assert.ok(await eventually(async () => processesWith(root).length === 0, 10_000), `no process left: ${processesWith(root).join(" ")}`);
    assert.deepEqual(etcNetns(), [], "no /etc/netns entry left");
    const [n] = JSON.parse(await h.pontonOk("network", "inspect", "churn")) as { workloads: unknown[] }[];
    assert.deepEqual(n!.workloads, [], "no address still held on the network");
  });
});

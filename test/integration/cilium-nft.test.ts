import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { compilePolicies, createExplainer, denyDecisionId, parsePolicies, renderPolicyNft, ruleDecisionId, POLICY_JUMP_RULE } from "../../src/policy";
import { CILIUM_CASES } from "../../src/policy/cilium/cases";
import { NAMESPACES, PODS, WORKLOADS, ipv4Of, ipv6Of, truthWorld } from "../../src/policy/testing/world";

// CiliumNetworkPolicy on the real kernel: the same bridge and nine workloads as policy-nft.test.ts
// (setup copied from there), Cilium cases loaded, real TCP/UDP probes checked against explain(),
// and the ids the kernel records checked too: deny-rule ids for Cilium denies.
// Real kernel: a throwaway "host" namespace with a bridge, nine workload namespaces on it
// (the truth-table world), the compiled policy loaded into `table inet ponton` behind a
// minimal forward chain, and real TCP/UDP probes that must agree with explain(). Bridged
// traffic reaches the inet forward hook through br_netfilter (bridge-nf-call-iptables=1).

const PREFIX = `ptcnp-${process.pid}-`;
const HOST = `${PREFIX}h`;
const world = truthWorld();
const nsOf = (workload: string) => `${PREFIX}${workload.replace("/", "")}`;
const TIMEOUT_MS = 700;

function run(cmd: string, args: string[], input?: string): string {
  try {
    return execFileSync(cmd, args, { input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(" ")}: ${err.stderr || err.message}`);
  }
}
const ip = (...args: string[]) => run("ip", args);
const hostNft = (args: string[], input?: string) => run("ip", ["netns", "exec", HOST, "nft", ...args], input);

// Each workload runs one agent: TCP and UDP servers on 80 and 81 (dual stack), and a prober
// that takes {id, proto, ip, port} lines on stdin and answers {id, ok}.
const AGENT = `
const net = require("net"), dgram = require("dgram"), readline = require("readline");
let pending = 4;
const ready = () => { if (--pending === 0) process.stdout.write(JSON.stringify({ ready: true }) + "\\n"); };
for (const port of [80, 81]) {
  net.createServer((s) => { s.on("error", () => {}); s.end("ok"); }).listen({ port, host: "::", ipv6Only: false }, ready);
  const u = dgram.createSocket({ type: "udp6", ipv6Only: false });
  u.on("message", (m, r) => u.send("ok", r.port, r.address));
  u.bind({ port, address: "::" }, ready);
}
const answer = (id, ok) => process.stdout.write(JSON.stringify({ id, ok }) + "\\n");
readline.createInterface({ input: process.stdin }).on("line", (line) => {
  const q = JSON.parse(line);
  let done = false;
  const finish = (ok, close) => { if (done) return; done = true; clearTimeout(timer); close(); answer(q.id, ok); };
  let timer;
  if (q.proto === "TCP") {
    const s = net.connect({ host: q.ip, port: q.port });
    let data = "";
    s.on("data", (d) => { data += d; if (data === "ok") finish(true, () => s.destroy()); });
    s.on("error", () => finish(false, () => s.destroy()));
    timer = setTimeout(() => finish(false, () => s.destroy()), q.timeout);
  } else {
    const u = dgram.createSocket(q.ip.includes(":") ? "udp6" : "udp4");
    u.on("message", (m) => finish(String(m) === "ok", () => u.close()));
    u.on("error", () => finish(false, () => u.close()));
    u.send("ping", q.port, q.ip);
    timer = setTimeout(() => finish(false, () => u.close()), q.timeout);
  }
});
`;

interface Agent { child: ChildProcess; waiters: Map<number, (ok: boolean) => void> }
const agents = new Map<string, Agent>();
let tmp = "";
let probeId = 0;

function startAgent(workload: string, script: string): Promise<void> {
  const child = spawn("ip", ["netns", "exec", nsOf(workload), process.execPath, script], { stdio: ["pipe", "pipe", "inherit"] });
  const agent: Agent = { child, waiters: new Map() };
  agents.set(workload, agent);
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`agent ${workload} exited with ${code}`)));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const msg = JSON.parse(line) as { ready?: boolean; id?: number; ok?: boolean };
      if (msg.ready) return resolve();
      agent.waiters.get(msg.id!)?.(msg.ok!);
      agent.waiters.delete(msg.id!);
    });
  });
}

function probe(from: string, proto: "TCP" | "UDP", dstIp: string, port: number): Promise<boolean> {
  const agent = agents.get(from)!;
  const id = ++probeId;
  return new Promise((resolve) => {
    agent.waiters.set(id, resolve);
    agent.child.stdin!.write(JSON.stringify({ id, proto, ip: dstIp, port, timeout: TIMEOUT_MS }) + "\n");
  });
}

function cleanup(): void {
  for (const a of agents.values()) if (a.child.pid && a.child.exitCode === null) a.child.kill("SIGKILL");
  agents.clear();
  const names = ip("netns", "list").split("\n").map((l) => l.split(" ")[0]!).filter((n) => n.startsWith(PREFIX));
  for (const n of names) {
    try { ip("netns", "del", n); } catch { /* keep going: report leftovers below */ }
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}

before(async () => {
  cleanup();
  tmp = mkdtempSync(join(tmpdir(), PREFIX));
  const script = join(tmp, "agent.js");
  writeFileSync(script, AGENT);
  ip("netns", "add", HOST);
  ip("-n", HOST, "link", "add", "br0", "type", "bridge");
  ip("-n", HOST, "link", "set", "br0", "up");
  NAMESPACES.forEach((n, i) => PODS.forEach((p, j) => {
    const ns = nsOf(`${n}/${p}`);
    ip("netns", "add", ns);
    ip("-n", HOST, "link", "add", `v${n}${p}`, "type", "veth", "peer", "name", "eth0", "netns", ns);
    ip("-n", HOST, "link", "set", `v${n}${p}`, "master", "br0", "up");
    ip("-n", ns, "addr", "add", `${ipv4Of(i, j)}/24`, "dev", "eth0");
    ip("-n", ns, "addr", "add", `${ipv6Of(i, j)}/64`, "dev", "eth0", "nodad");
    ip("-n", ns, "link", "set", "eth0", "up");
    ip("-n", ns, "link", "set", "lo", "up");
  }));
  const callIptables = run("ip", ["netns", "exec", HOST, "cat", "/proc/sys/net/bridge/bridge-nf-call-iptables"]).trim();
  assert.equal(callIptables, "1", "br_netfilter must pass bridged IPv4 to the inet forward hook");
  await Promise.all(WORKLOADS.map((w) => startAgent(w, script)));
});

after(() => {
  cleanup();
  const left = ip("netns", "list").split("\n").filter((l) => l.startsWith(PREFIX));
  assert.deepEqual(left, [], "leftover namespaces");
});

/** Loads the plan with a minimal engine skeleton around it, replacing the previous one. */
function load(yaml: string) {
  const policies = parsePolicies(yaml);
  const plan = compilePolicies(world, policies);
  const skeleton = `table inet ponton {
\tset seen4 { type ipv4_addr . ipv4_addr . inet_proto . inet_service . mark; flags dynamic; size 65535; }
\tchain forward {
\t\ttype filter hook forward priority filter; policy accept;
\t\tct state established,related accept
\t\t${POLICY_JUMP_RULE}
\t\tct state new add @seen4 { ip saddr . ip daddr . meta l4proto . th dport . ct mark }
\t}
}
`;
  hostNft(["-f", "-"], `table inet ponton\ndelete table inet ponton\n${renderPolicyNft(plan)}${skeleton}`);
  // Flows of the previous case must not ride on conntrack into this one (a reused UDP source
  // port would be "established" and skip both the policy and the ct-mark record).
  try { run("ip", ["netns", "exec", HOST, "conntrack", "-F"]); } catch { /* nothing to flush */ }
  return { policies, plan, explainer: createExplainer(world, policies) };
}

/** Marks in a set keyed "src . dst . proto . port . mark": "src dst proto port" -> mark. */
function marksIn(set: string): Map<string, number> {
  const json = JSON.parse(hostNft(["-j", "list", "set", "inet", "ponton", set])) as { nftables: Record<string, { elem?: unknown[] }>[] };
  const out = new Map<string, number>();
  for (const item of json.nftables) {
    for (const el of item.set?.elem ?? []) {
      const concat = ((el as { elem?: { val: unknown } }).elem?.val ?? el) as { concat: (string | number)[] };
      const [s, d, proto, port, mark] = concat.concat;
      out.set(`${s} ${d} ${proto} ${port}`, Number(mark));
    }
  }
  return out;
}


function dropMark(plan: ReturnType<typeof compilePolicies>, e: ReturnType<ReturnType<typeof createExplainer>>): number {
  // Egress is checked first; in each direction deny rules come before allows.
  const [dir, d] = e.egress.allowed ? ["ingress", e.ingress] as const : ["egress", e.egress] as const;
  return d.deniedBy ? ruleDecisionId(plan, d.deniedBy[0]!)! : denyDecisionId(plan, dir, d.isolatedBy)!;
}

for (const c of CILIUM_CASES) {
  test(`kernel agrees with explain: ${c.name}`, async () => {
    const { plan, explainer } = load(c.yaml);
    const jobs: Promise<string | null>[] = [];
    const allowed: { key: string; mark: number; cell: string }[] = [];
    const denied: { key: string; mark: number; cell: string }[] = [];
    for (const from of WORKLOADS) for (const to of WORKLOADS) {
      if (from === to) continue; // a workload reaching itself stays on its loopback
      for (const port of [80, 81]) for (const proto of ["TCP", "UDP"] as const) {
        const e = explainer({ from, to, port, protocol: proto, family: 4 });
        const cell = `${from} -> ${to} ${port}/${proto}`;
        const key = `${e.from.ip} ${e.to.ip} ${proto.toLowerCase()} ${port}`;
        if (e.allowed) {
          const decider = e.ingress.isolated ? e.ingress.allowedBy[0] : e.egress.allowedBy[0];
          allowed.push({ key, mark: decider ? ruleDecisionId(plan, decider)! : 0, cell });
        } else denied.push({ key, mark: dropMark(plan, e), cell });
        jobs.push(probe(from, proto, e.to.ip, port).then((ok) => (ok === e.allowed ? null : `${cell}: kernel ${ok ? "allowed" : "dropped"}, explain ${e.allowed ? "allows" : "denies"}`)));
      }
    }
    assert.deepEqual((await Promise.all(jobs)).filter((x) => x !== null), []);
    const marks = marksIn("seen4");
    assert.deepEqual(allowed.filter((a) => marks.get(a.key) !== a.mark).map((a) => `${a.cell}: ct mark ${marks.get(a.key)}, want ${a.mark}`), []);
    const drops = marksIn("pol_drops_v4");
    assert.deepEqual(denied.filter((a) => drops.get(a.key) !== a.mark).map((a) => `${a.cell}: drop mark ${drops.get(a.key)}, want ${a.mark}`), []);
    assert.equal(drops.size, denied.length);
  });
}

test("IPv6: a deny rule wins over an allow on the real kernel", async () => {
  const c = CILIUM_CASES.find((x) => x.name === "deny wins over allow (two CNPs)")!;
  const { explainer } = load(c.yaml);
  for (const [port, want] of [[80, false], [81, true]] as const) {
    const e = explainer({ from: "x/b", to: "x/c", port, protocol: "TCP", family: 6 });
    assert.equal(e.allowed, want);
    assert.equal(await probe("x/b", "TCP", ipv6Of(0, 2), port), want, `x/b -> x/c [v6] ${port}/TCP`);
  }
});

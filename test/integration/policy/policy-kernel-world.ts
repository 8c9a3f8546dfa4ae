// The kernel side of the policy truth-table tests (policy-nft, cilium-nft): a throwaway "host"
// namespace with a bridge, nine workload namespaces on it (the truth-table world), a probe agent in
// each, and the compiled policy loaded into `table inet ponton` behind a minimal forward chain.
// Bridged traffic reaches the inet forward hook through br_netfilter (bridge-nf-call-iptables=1).
import { after, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { compilePolicies, createExplainer, parsePolicies, renderPolicyNft, POLICY_JUMP_RULE } from "../../../src/policy";
import { NAMESPACES, PODS, WORKLOADS, ipv4Of, ipv6Of, truthWorld } from "../../../src/policy/testing/world";

interface Agent { child: ChildProcess; waiters: Map<number, (ok: boolean) => void> }

/** Registers the world's before/after hooks in the calling test file; `tag` keeps its names apart. */
export function policyKernelWorld(tag: string) {
  const PREFIX = `pt${tag}-${process.pid}-`;
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

  return { PREFIX, HOST, world, nsOf, run, hostNft, probe, load, marksIn };
}

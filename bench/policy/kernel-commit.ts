// Issue 18: the kernel's part of one policy change, measured alone (no pontond). In a throwaway
// namespace: the bench world's policy maps (world.ts, 1,000 policies over 1,000 workloads, loaded
// once with `nft -f`), then one policy change's element diff (the changed policy's port
// alternating) sent as one netlink batch through bin/ponton-nftbatch, as pontond sends it, to the
// sharded allow maps (src/policy/plan/names.ts) and, alternated in the same run, to the same elements
// in one unsharded map per allow map (as before the shards); beside it, one element added and
// removed in maps of the same type holding 100 / 1,000 / 14,000 elements, and the same through `nft`
// (a process, its cache of the map). Prints p50/p95 per case.
// Run: sudo node dist/bench/policy/kernel-commit.js [--rounds N]
import { execFileSync } from "node:child_process";
import { loadavg } from "node:os";
import path from "node:path";
import type { NftOp } from "../../src/compile/nft-ops";
import { encodeOps, NftBatchWriter } from "../../src/kernel/nft-netlink";
import { compilePolicies, parsePolicy } from "../../src/policy";
import type { PolicyPlan } from "../../src/policy/plan/plan";
import { renderPolicyNft } from "../../src/policy/plan/render";
import { percentile } from "../lib/stats";
import { NAMESPACES, PER_NAMESPACE, policyFor, policyWorld } from "./world";

const rounds = Number(process.argv[process.argv.indexOf("--rounds") + 1] ?? 20) || 20;
const NS = `hpkc${process.pid}`;
const HELPER = path.join(__dirname, "..", "..", "..", "bin", "ponton-nftbatch");
const TYPE = "ipv4_addr . ipv4_addr . inet_proto . inet_service : mark";

const world = policyWorld();
const policies = Array.from({ length: NAMESPACES * PER_NAMESPACE }, (_, i) => parsePolicy(policyFor(Math.floor(i / PER_NAMESPACE), i % PER_NAMESPACE)));
const change = (port: number) =>
  parsePolicy({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "bench-change", namespace: "t05" }, spec: { podSelector: { matchLabels: { app: "svc7" } }, ingress: [{ from: [{ podSelector: { matchLabels: { tier: "web" } } }], ports: [{ port }] }] } });
const planFor = (port: number) => compilePolicies(world, [...policies, change(port)]);

/** The element operations between two policy plans (as policyDiff makes them). */
function elementDiff(from: PolicyPlan, to: PolicyPlan): NftOp[] {
  const ops: NftOp[] = [];
  to.sets.forEach((next, i) => {
    const prev = from.sets[i]!;
    if (next.flags?.includes("dynamic")) return;
    const before = new Set(prev.elements);
    const after = new Set(next.elements);
    const removed = prev.elements.filter((e) => !after.has(e)).map((e) => e.slice(0, e.indexOf(" : ")));
    const added = next.elements.filter((e) => !before.has(e));
    if (removed.length) ops.push({ op: "deleteElements", set: next, keys: removed });
    if (added.length) ops.push({ op: "addElements", set: next, elements: added });
  });
  return ops;
}

const nsRun = (argv: string[], input?: string) => execFileSync("ip", ["netns", "exec", NS, ...argv], { input, stdio: ["pipe", "pipe", "inherit"] });
const ms = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;
const sum = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, p50: Math.round(percentile(s, 50) * 100) / 100, p95: Math.round(percentile(s, 95) * 100) / 100 };
};

/** `n` disjoint elements of the policy maps' shape (subject . peer range . tcp . port range : mark). */
function synthetic(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `10.${i >> 8 & 255}.${i & 255}.1 . 10.100.${i % 250}.0/24 . 6 . ${1000 + (i % 50)}-${1100 + (i % 50)} : 0x${(i + 1).toString(16)}`);
}

async function main(): Promise<void> {
  const a = planFor(8081);
  const b = planFor(8082);
  const forward = elementDiff(a, b);
  const back = elementDiff(b, a);
  // The same elements and change in one map per allow map (`pol_in_allow_v4_s7` -> `pol_in_allow_v4`).
  const unsharded = (name: string) => name.replace(/_s\d+$/, "");
  const merged = new Map<string, string[]>();
  for (const s of a.sets) if (/_allow_v[46]_s\d+$/.test(s.name)) merged.set(unsharded(s.name), [...(merged.get(unsharded(s.name)) ?? []), ...s.elements]);
  const toMerged = (ops: NftOp[]): NftOp[] => ops.map((o) => (o.op === "addElements" || o.op === "deleteElements" ? { ...o, set: { ...o.set, name: unsharded(o.set.name) } } : o));
  const total = a.sets.reduce((n, s) => n + s.elements.length, 0);
  const touched = forward.map((o) => (o.op === "addElements" ? `add ${o.set.name} ${o.elements.length}` : o.op === "deleteElements" ? `delete ${o.set.name} ${o.keys.length}` : o.op));
  execFileSync("ip", ["netns", "add", NS]);
  const writer = new NftBatchWriter("ip", ["netns", "exec", NS, HELPER]);
  let seq = 1;
  const send = async (ops: NftOp[]) => {
    const t = process.hrtime.bigint();
    const e = encodeOps("ponton", ops, seq)!;
    const encodeMs = ms(t);
    const t2 = process.hrtime.bigint();
    await writer.send(e.bytes, seq);
    seq += e.messages + 2;
    return { encodeMs, sendMs: ms(t2), bytes: e.bytes.length };
  };
  const out: Record<string, unknown> = { rounds, load: loadavg().map((l) => l.toFixed(1)).join(" "), policyElements: total, change: touched };
  try {
    nsRun(["nft", "-f", "-"], renderPolicyNft(a));
    for (const [name, els] of merged) nsRun(["nft", "-f", "-"], `table inet ponton {\n map ${name} {\n type ${name.includes("_v6") ? TYPE.replace(/ipv4/g, "ipv6") : TYPE}\n flags interval\n${els.length ? ` elements = { ${els.join(", ")} }\n` : ""} }\n}\n`);
    const sizes = [100, 1000, 14000];
    for (const n of sizes) nsRun(["nft", "-f", "-"], `table inet ponton {\n map syn${n} { type ${TYPE}; flags interval; elements = { ${synthetic(n).join(", ")} } }\n}\n`);
    const one = { name: "", kind: "map" as const, type: TYPE, flags: ["interval"] };
    const elem = "10.255.255.1 . 10.101.0.0/24 . 6 . 7000-7010 : 0xbeef";
    const policySend: number[] = [];
    const unshardedSend: number[] = [];
    const policyEncode: number[] = [];
    const perSize: Record<number, number[]> = Object.fromEntries(sizes.map((n) => [n, []]));
    const nftCli: number[] = [];
    await send([]); // the helper's start is not a sample
    for (let r = 0; r < rounds; r++) {
      for (const ops of [forward, back]) {
        const s = await send(ops);
        policySend.push(s.sendMs);
        policyEncode.push(s.encodeMs);
        unshardedSend.push((await send(toMerged(ops))).sendMs);
      }
      for (const n of sizes) {
        const set = { ...one, name: `syn${n}` };
        perSize[n]!.push((await send([{ op: "addElements", set, elements: [elem] }])).sendMs);
        perSize[n]!.push((await send([{ op: "deleteElements", set, keys: [elem.slice(0, elem.indexOf(" : "))] }])).sendMs);
      }
      const t = process.hrtime.bigint();
      nsRun(["nft", "add", "element", "inet", "ponton", "syn14000", `{ ${elem} }`]);
      nftCli.push(ms(t));
      nsRun(["nft", "delete", "element", "inet", "ponton", "syn14000", `{ ${elem.slice(0, elem.indexOf(" : "))} }`]);
    }
    out.policyChangeBatch = { ...sum(policySend), encode: sum(policyEncode) };
    out.policyChangeBatchUnsharded = sum(unshardedSend);
    for (const n of sizes) out[`oneElement_${n}`] = sum(perSize[n]!);
    out.nftAddElement_14000 = sum(nftCli);
    out.loadEnd = loadavg().map((l) => l.toFixed(1)).join(" ");
    console.log(JSON.stringify(out, null, 1));
  } finally {
    writer.close();
    execFileSync("ip", ["netns", "del", NS]);
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});

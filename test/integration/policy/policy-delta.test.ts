import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { compileNft, diffOps, renderFull, renderOps, DEFAULT_COMPILE_OPTIONS, type NftOp } from "../../../src/compile";
import { NFTBATCH_HELPER } from "../../../src/kernel";
import { encodeOps, NftBatchError, NftBatchWriter } from "../../../src/kernel/nft-netlink";
import { parsePolicy } from "../../../src/policy";
import type { DesiredState, PolicyRecord } from "../../../src/model/types";
import { TestHost } from "../harness";

// Issue 18, "Faster policy changes": a policy change is compiled from what an earlier compile kept
// (src/policy/plan/cache.ts) and its interval elements go over netlink in one batch. The guard
// against incremental drift: after every step of a series of changes, the table the deltas built
// lists exactly as a table rebuilt whole from a compile without any cache.

const PREFIX = `pthp-${process.pid}-`;
const VIA_DELTA = `${PREFIX}d`;
const WHOLE = `${PREFIX}w`;
const run = (ns: string, args: string[], input?: string) => execFileSync("ip", ["netns", "exec", ns, ...args], { input, encoding: "utf8", maxBuffer: 64 << 20 });
/** `nft -j list table` normalised: handles and counters dropped, each set's elements sorted (listing order is the set backend's). */
function table(list: string): string {
  const { nftables } = JSON.parse(list) as { nftables: Record<string, { handle?: number; elem?: unknown[] }>[] };
  for (const item of nftables) {
    for (const o of Object.values(item)) {
      delete o.handle;
      o.elem?.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
    }
  }
  return JSON.stringify(nftables.filter((i) => !("metainfo" in i)), null, 1).replace(/"(packets|bytes)": \d+/g, '"$1": 0');
}
const listed = (ns: string) => table(run(ns, ["nft", "-j", "list", "table", "inet", "ponton"]));

const N = 24;
const net = { id: "n1", name: "web", driver: "bridge" as const, bridge: "pbr-n1", subnet4: "172.30.0.0/24", subnet6: "fd00:30::/64", gateway4: "172.30.0.1", gateway6: "fd00:30::1", internal: false, icc: true, masquerade: true, routesTo: [], labels: {}, createdAt: "" };
const TIERS = ["web", "api", "db"];
const nsOf = (i: number) => `t${i % 3}`;
const wl = (i: number, extra: Record<string, string> = {}) => ({ id: `w${i}`, name: `w${i}`, namespace: nsOf(i), labels: { app: `a${i % 4}`, tier: TIERS[Math.floor(i / 3) % 3]!, ...extra }, netnsMode: "owned" as const, netns: "x", command: [], env: {}, restart: "no" as const, routes: [], ports: [], state: "running" as const, createdAt: "" });
const att = (i: number) => ({ workloadId: `w${i}`, networkId: "n1", ifname: "eth0", hostIfname: `pv-${i}`, mac: "", ip4: `172.30.0.${i + 2}`, ip6: `fd00:30::${i + 2}`, index: 0 });
const namespaces = [0, 1, 2].map((n) => ({ name: `t${n}`, labels: { team: `t${n}`, ...(n === 0 ? { env: "prod" } : {}) }, createdAt: "" }));

/** Policies in the shapes the bench uses (tiers, other namespaces, ipBlock with except, port ranges, egress, Cilium deny). */
function policy(name: string, ns: string, spec: object, kind = "NetworkPolicy"): PolicyRecord {
  const apiVersion = kind === "NetworkPolicy" ? "networking.k8s.io/v1" : "cilium.io/v2";
  return { policy: parsePolicy({ apiVersion, kind, metadata: { name, namespace: ns }, spec }), createdAt: "" };
}
const fromTier = (name: string, ns: string, app: string, tier: string, port: number) =>
  policy(name, ns, { podSelector: { matchLabels: { app } }, ingress: [{ from: [{ podSelector: { matchLabels: { tier } } }], ports: [{ port }] }] });
const fromProd = (name: string, ns: string, app: string) =>
  policy(name, ns, { podSelector: { matchLabels: { app } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { env: "prod" } }, podSelector: { matchLabels: { tier: "web" } } }], ports: [{ port: 443 }, { port: 9000, endPort: 9100 }] }] });
const egress = (name: string, ns: string, app: string) =>
  policy(name, ns, {
    podSelector: { matchLabels: { app } }, policyTypes: ["Ingress", "Egress"],
    ingress: [{ from: [{ ipBlock: { cidr: "172.16.0.0/12", except: ["172.16.5.0/24"] } }], ports: [{ protocol: "UDP", port: 53 }] }],
    egress: [{ to: [{ podSelector: { matchLabels: { tier: "db" } } }], ports: [{ port: 5432 }] }, { to: [{ namespaceSelector: { matchLabels: { team: "t2" } } }] }],
  });
const deny = (name: string, ns: string) =>
  policy(name, ns, { endpointSelector: {}, ingressDeny: [{ fromEndpoints: [{ matchLabels: { tier: "api" } }], toPorts: [{ ports: [{ port: "8080", protocol: "TCP" }] }] }] }, "CiliumNetworkPolicy");

const state = (policies: PolicyRecord[], labels: (i: number) => Record<string, string> = () => ({})): DesiredState => ({
  networks: [net], workloads: [...Array(N).keys()].map((i) => wl(i, labels(i))), attachments: [...Array(N).keys()].map(att), userRules: [], services: [], namespaces, policies,
});

/** A series of changes: policies added, changed, removed, a deny tier appearing and going, a label flipped in between. */
function series(): DesiredState[] {
  const base = [fromTier("a0-web", "t0", "a0", "web", 8080), fromProd("a1-prod", "t1", "a1"), egress("a2-egress", "t2", "a2"), fromTier("a3-api", "t0", "a3", "api", 5432)];
  const steps: PolicyRecord[][] = [
    base,
    [...base, fromTier("change", "t1", "a2", "web", 8081)],
    [...base, fromTier("change", "t1", "a2", "web", 8082)],
    [...base, fromTier("change", "t1", "a2", "db", 8082), deny("no-api", "t2")],
    [...base.slice(1), fromTier("change", "t1", "a2", "db", 8082), deny("no-api", "t2")],
    [...base.slice(1), fromTier("change", "t1", "a2", "db", 8083)],
    [...base, fromTier("a0-web", "t1", "a0", "web", 8080)],
  ];
  const out = steps.map((p) => state(p));
  // The world changes too (a label), then the policies change again over the new world.
  out.splice(3, 0, state(steps[2]!, (i): Record<string, string> => (i === 5 ? { tier: "web" } : {})));
  return out;
}

const nss = [VIA_DELTA, WHOLE];
for (const n of nss) execFileSync("ip", ["netns", "add", n]);
after(() => {
  for (const n of nss) execFileSync("ip", ["netns", "del", n]);
});

async function send(ns: string, ops: NftOp[]): Promise<void> {
  const encoded = encodeOps("ponton", ops, 100);
  assert.ok(encoded, `every operation encodable over netlink:\n${renderOps(ops).slice(0, 2000)}`);
  const writer = new NftBatchWriter("ip", ["netns", "exec", ns, NFTBATCH_HELPER]);
  try {
    await writer.send(encoded.bytes, 100);
  } finally {
    writer.close();
  }
}

test("a series of policy deltas over netlink leaves the table exactly as a whole rebuild from an uncached compile", async () => {
  const steps = series();
  let from = compileNft(steps[0]!);
  for (const n of nss) run(n, ["nft", "-f", "-"], renderFull(from));
  let intervalOps = 0;
  for (const [i, s] of steps.slice(1).entries()) {
    const to = compileNft(s); // the cached compile pontond runs (policyDelta on)
    const whole = compileNft(s, undefined, { ...DEFAULT_COMPILE_OPTIONS, policyDelta: false });
    assert.deepEqual(to.policy, whole.policy, `step ${i + 1}: the cached compile equals the whole one`);
    const ops = diffOps(from, to);
    if (ops === undefined) run(VIA_DELTA, ["nft", "-f", "-"], renderFull(to)); // a skeleton change (the deny maps appear): a full reload, as NftSync does
    else {
      intervalOps += ops.filter((o) => (o.op === "addElements" || o.op === "deleteElements") && o.set.flags?.includes("interval")).length;
      await send(VIA_DELTA, ops);
    }
    run(WHOLE, ["nft", "-f", "-"], renderFull(whole));
    assert.equal(listed(VIA_DELTA), listed(WHOLE), `step ${i + 1}: the delta-built table lists as the whole rebuild`);
    from = to;
  }
  assert.ok(intervalOps >= 6, `interval elements went over netlink (${intervalOps} operations)`);
});

test("a refused delta changes nothing: policy elements added in the same batch are not left behind", async () => {
  const [a, b] = series();
  for (const n of nss) run(n, ["nft", "-f", "-"], renderFull(compileNft(a!)));
  const before = listed(VIA_DELTA);
  const ops = diffOps(compileNft(a!), compileNft(b!))!;
  assert.ok(ops.some((o) => o.op === "addElements" && o.set.flags?.includes("interval")), "the delta adds interval elements");
  // Last in the batch: the deletion of an element the map does not hold (the kernel answers ENOENT).
  const set = { name: "pol_in_allow_v4_s10", kind: "map" as const, type: "ipv4_addr . ipv4_addr . inet_proto . inet_service : mark", flags: ["interval"] };
  const bad: NftOp = { op: "deleteElements", set, keys: ["172.30.0.250 . 10.9.9.0/24 . 6 . 1-2"] };
  await assert.rejects(send(VIA_DELTA, [...ops, bad]), (e: unknown) => e instanceof NftBatchError);
  assert.equal(listed(VIA_DELTA), before, "nothing of the refused batch was applied");
  await send(VIA_DELTA, ops);
  assert.notEqual(listed(VIA_DELTA), before, "the same batch without the bad message applies");
});

test("pontond: policy changes go over netlink as deltas, and a restart's whole reload lists the same table", async () => {
  const h = await new TestHost("hpdelta").setUp();
  try {
    await h.pontonOk("network", "create", "pd", "--subnet", "10.210.0.0/24");
    for (const ns of ["t0", "t1"]) await h.client.request("POST", "/v1/namespaces", { name: ns, labels: { team: ns } });
    for (let i = 0; i < 6; i++) await h.client.request("POST", "/v1/workloads", { name: `w${i}`, networks: ["pd"], namespace: `t${i % 2}`, labels: { app: `a${i % 3}`, tier: TIERS[i % 3]! } });
    const yaml = (port: number, tier: string) =>
      `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: change, namespace: t1}\nspec:\n  podSelector: {matchLabels: {app: a1}}\n  ingress: [{from: [{namespaceSelector: {matchLabels: {team: t0}}, podSelector: {matchLabels: {tier: ${tier}}}}], ports: [{port: ${port}, endPort: ${port + 10}}]}]\n`;
    await h.client.request("POST", "/v1/policies", { yaml: yaml(8000, "web") });
    const info = () => h.client.request<{ nftCommits: { netlink: number; nft: number }; nftDiffFallbacks: number }>("GET", "/v1/info");
    const start = await info();
    for (const [port, tier] of [[8100, "web"], [8200, "api"], [8300, "db"], [8400, "web"]] as const) await h.client.request("POST", "/v1/policies", { yaml: yaml(port, tier) });
    const end = await info();
    assert.equal(end.nftCommits.nft, start.nftCommits.nft, "no policy change went through nft");
    assert.ok(end.nftCommits.netlink >= start.nftCommits.netlink + 4, "each change was one netlink batch");
    assert.equal(end.nftDiffFallbacks, 0);
    const list = async () => table((await h.inHost("nft", ["-j", "list", "table", "inet", "ponton"])).stdout);
    const delta = await list();
    assert.match(delta, /8400/, "the last change is in the kernel");
    await h.stopDaemon();
    // Reconcile replaces the whole table from a fresh compile. On a loaded machine the start can
    // outlast the harness's 10 s wait for the socket: then wait for the API itself.
    await h.startDaemon().catch(async () => {
      for (let i = 0; i < 300 && !(await h.client.request("GET", "/v1/info").then(() => true, () => false)); i++) await new Promise((r) => setTimeout(r, 200));
    });
    assert.equal(await list(), delta);
  } finally {
    await h.tearDown();
  }
});

import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { compileNft, diffOps, renderFull, renderOps, type NftOp } from "../../../src/compile";
import { NFTBATCH_HELPER } from "../../../src/kernel";
import { encodeOps, NftBatchError, NftBatchWriter } from "../../../src/kernel/nft-netlink";
import type { Service } from "../../../src/model/services/service";
import type { DesiredState } from "../../../src/model/types";

// The netlink writer against nft itself, on the real kernel: two throwaway namespaces get the same
// table from `nft -f`, then the same diff, one through `nft -f` and one through ponton-nftbatch.
// Both tables must then list the same, rule bytecode included (`nft --debug=netlink`).

const PREFIX = `ptnl-${process.pid}-`;
const VIA_NFT = `${PREFIX}a`;
const VIA_NETLINK = `${PREFIX}b`;
const run = (ns: string, args: string[], input?: string) => execFileSync("ip", ["netns", "exec", ns, ...args], { input, encoding: "utf8" });
/** The table as JSON, each set's elements sorted (a hash set lists in insertion-dependent order). */
function table(ns: string): string {
  const { nftables } = JSON.parse(run(ns, ["nft", "-j", "list", "table", "inet", "ponton"])) as { nftables: Record<string, { elem?: unknown[] }>[] };
  for (const item of nftables) for (const o of Object.values(item)) o.elem?.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  return JSON.stringify(nftables, null, 1);
}
/** Rule bytecode in order, element bytes sorted. */
function bytecode(ns: string): string {
  const lines = run(ns, ["nft", "--debug=netlink", "list", "table", "inet", "ponton"]).split("\n");
  const element = (l: string) => l.trimStart().startsWith("element ");
  return [...lines.filter((l) => !element(l)), ...lines.filter(element).sort()].join("\n");
}

const net = { id: "n1", name: "web", driver: "bridge" as const, bridge: "pbr-n1", subnet4: "172.30.0.0/24", subnet6: "fd00:30::/64", gateway4: "172.30.0.1", gateway6: "fd00:30::1", internal: false, icc: true, masquerade: true, routesTo: [], labels: {}, createdAt: "" };
const wl = (i: number, app: string) => ({ id: `w${i}`, name: `w${i}`, labels: { app }, netnsMode: "owned" as const, netns: "x", command: [], env: {}, restart: "no" as const, routes: [], ports: [], state: "running" as const, createdAt: "" });
const att = (i: number) => ({ workloadId: `w${i}`, networkId: "n1", ifname: "eth0", hostIfname: `pv-${i}`, mac: "", ip4: `172.30.0.${i + 2}`, ip6: `fd00:30::${i + 2}`, index: 0 });
const svc = (i: number, scheduler: Service["scheduler"], extra: Partial<Service> = {}): Service => ({
  id: `a1b2c3d4${(0x2000 + i).toString(16).padStart(8, "0")}`, name: `s${i}`, vip: `10.96.2.${i + 1}`,
  ports: [{ port: 80, targetPort: 8080, protocol: "tcp" }, { port: 53, targetPort: 5353, protocol: "udp", hostPort: 30053 + i }],
  selector: { app: "web" }, scheduler, weights: {}, externalIps: [], createdAt: "", ...extra,
});
const state = (services: Service[], n: number): DesiredState => ({
  networks: [net], workloads: [...Array(n).keys()].map((i) => wl(i, "web")), attachments: [...Array(n).keys()].map(att), userRules: [], services,
});
const dual = (i: number, scheduler: Service["scheduler"]) => svc(i, scheduler, { vip: `10.96.2.${i + 1}`, vips: [`10.96.2.${i + 1}`, `fd00:10:96::${i + 1}`] });
const everyScheduler = (n: number) => state([dual(0, "rr"), dual(1, "random"), dual(2, "sh"), dual(3, "dh"), dual(4, "maglev"), { ...dual(5, "wrr"), weights: { w0: 1, w1: 3 } }, svc(6, "rr", { selector: { app: "nobody" } }), svc(7, "lc")], n);

const ns = [VIA_NFT, VIA_NETLINK];
for (const n of ns) execFileSync("ip", ["netns", "add", n]);
after(() => {
  for (const n of ns) execFileSync("ip", ["netns", "del", n]);
});

async function applyBoth(ops: NftOp[]): Promise<void> {
  run(VIA_NFT, ["nft", "-f", "-"], renderOps(ops));
  const encoded = encodeOps("ponton", ops, 100);
  assert.ok(encoded, `every operation encodable:\n${renderOps(ops)}`);
  const writer = new NftBatchWriter("ip", ["netns", "exec", VIA_NETLINK, NFTBATCH_HELPER]);
  try {
    await writer.send(encoded.bytes, 100);
  } finally {
    writer.close();
  }
}

function assertSameTables(): void {
  assert.equal(table(VIA_NETLINK), table(VIA_NFT));
  assert.equal(bytecode(VIA_NETLINK), bytecode(VIA_NFT), "same bytecode");
}

test("services of every scheduler, both families, one endpoint or several: netlink writes what nft writes", async () => {
  const empty = compileNft(state([], 0));
  for (const n of ns) run(n, ["nft", "-f", "-"], renderFull(empty));
  // New services (chains, rules, dispatch and slot elements), then one endpoint more (rules rewritten),
  // then down to one endpoint (mod 1), then services removed (chains and elements deleted).
  const steps = [everyScheduler(2), everyScheduler(3), everyScheduler(1), state([dual(0, "rr")], 1)];
  let from = empty;
  for (const s of steps) {
    const to = compileNft(s);
    const ops = diffOps(from, to)!;
    assert.ok(ops.length > 0);
    await applyBoth(ops);
    assertSameTables();
    if (s === steps[0]) {
      // The netlink side holds every form: read back by nft itself.
      const listed = run(VIA_NETLINK, ["nft", "list", "table", "inet", "ponton"]);
      const forms = [
        /ct mark set numgen inc mod 2 offset 2147\d{6}/,
        /ct mark set numgen random mod 2 offset \d+/,
        /ct mark set jhash @nh,128,32 mod 2 seed 0xa1b2c3d4 offset \d+/,
        /ct mark set jhash @nh,64,128 \. th sport mod \d+ seed 0x[0-9a-f]+ offset \d+/,
        /ct mark set numgen inc mod 4 offset \d+/,
        /fd00:10:96::1 \. tcp \. 80 : jump svc_a1b2c3d400002000_tcp_80_v6/,
        /0x800[0-9a-f]{5} : fd00:30::2 \. 8080/,
      ];
      for (const form of forms) assert.match(listed, form);
    }
    from = to;
  }
  assert.match(run(VIA_NETLINK, ["nft", "list", "table", "inet", "ponton"]), /ct mark set numgen inc mod 1 offset \d+/);
});

test("a routed network's workload veths (ifname elements, alone and in a concatenation): netlink writes what nft writes", async () => {
  const routed = { ...net, id: "1a2b3c4d00000000", name: "flat", driver: "routed" as const, bridge: "", hostAccess: false, icc: false };
  const ratt = (i: number) => ({ ...att(i), networkId: routed.id, hostIfname: `pr-1a2b${String(i).padStart(8, "0")}` });
  const at = (n: number): DesiredState => ({ networks: [routed], workloads: [...Array(n).keys()].map((i) => wl(i, "web")), attachments: [...Array(n).keys()].map(ratt), userRules: [] });
  const base = compileNft(at(0));
  for (const n of ns) run(n, ["nft", "-f", "-"], renderFull(base));
  let from = base;
  for (const n of [3, 1]) {
    const to = compileNft(at(n));
    await applyBoth(diffOps(from, to)!);
    assertSameTables();
    from = to;
  }
  assert.match(run(VIA_NETLINK, ["nft", "list", "set", "inet", "ponton", "gw_dns4"]), /"pr-1a2b00000000" \. 172\.30\.0\.1 \. udp \. 53/);
});

test("a batch the kernel refuses applies nothing and names the refused message", async () => {
  const before = table(VIA_NETLINK);
  const set = { name: "svc_noep", kind: "set" as const, type: "ipv4_addr . inet_proto . inet_service" };
  const ops: NftOp[] = [
    { op: "addElements", set, elements: ["10.96.9.9 . tcp . 80"] },
    { op: "deleteChain", chain: "no_such_chain" },
  ];
  const encoded = encodeOps("ponton", ops, 500)!;
  const writer = new NftBatchWriter("ip", ["netns", "exec", VIA_NETLINK, NFTBATCH_HELPER]);
  try {
    await assert.rejects(writer.send(encoded.bytes, 500), (e: unknown) => e instanceof NftBatchError && e.errno === 2 && e.index === 1);
    // The writer survives a refusal: the next batch goes through.
    await writer.send(encodeOps("ponton", [], 600)!.bytes, 600);
  } finally {
    writer.close();
  }
  assert.equal(table(VIA_NETLINK), before, "nothing applied");
});

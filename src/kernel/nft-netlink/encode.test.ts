import { test } from "node:test";
import assert from "node:assert/strict";
import { compileNft } from "../../compile/nft-compile";
import type { NftOp } from "../../compile/nft-ops";
import type { Service } from "../../model/services/service";
import type { DesiredState } from "../../model/types";
import { elementAttr, setLayout } from "./elements";
import { encodeOps } from "./encode";
import { ruleExpressions } from "./rules";

const net = { id: "n1", name: "web", driver: "bridge" as const, bridge: "pbr-n1", subnet4: "172.30.0.0/24", subnet6: "fd00:30::/64", gateway4: "172.30.0.1", gateway6: "fd00:30::1", internal: false, icc: true, masquerade: true, routesTo: [], labels: {}, createdAt: "" };
const wl = (i: number) => ({ id: `w${i}`, name: `w${i}`, labels: { app: "web" }, netnsMode: "owned" as const, netns: "x", command: [], env: {}, restart: "no" as const, routes: [], ports: [], state: "running" as const, createdAt: "" });
const att = (i: number) => ({ workloadId: `w${i}`, networkId: "n1", ifname: "eth0", hostIfname: `pv-${i}`, mac: "", ip4: `172.30.0.${i + 2}`, ip6: `fd00:30::${i + 2}`, index: 0 });
const state = (services: Service[], n: number): DesiredState => ({ networks: [net], workloads: [...Array(n).keys()].map(wl), attachments: [...Array(n).keys()].map(att), userRules: [], services });
const svc = (i: number, scheduler: Service["scheduler"], extra: Partial<Service> = {}): Service => ({
  id: `c0ffee${String(i).padStart(10, "0")}`, name: `s${i}`, vip: `10.96.3.${i + 1}`, vips: [`10.96.3.${i + 1}`, `fd00:10:96::${i + 1}`],
  ports: [{ port: 80, targetPort: 8080, protocol: "tcp" }, { port: 53, targetPort: 53, protocol: "udp" }],
  selector: { app: "web" }, scheduler, weights: {}, externalIps: [], createdAt: "", ...extra,
});
const SCHEDULERS: Service["scheduler"][] = ["rr", "wrr", "random", "sh", "dh", "lc", "wlc", "maglev"];

test("every rule a service chain holds without affinity is encodable (else it would silently fall back to nft)", () => {
  for (const n of [1, 2, 5]) {
    const plan = compileNft(state(SCHEDULERS.map((s, i) => svc(i, s, s.startsWith("w") ? { weights: { w0: 2, w1: 3 } } : {})), n));
    const rules = plan.services!.flatMap((f) => f.chains.flatMap((c) => c.rules));
    assert.ok(rules.length >= SCHEDULERS.length * 4);
    for (const r of rules) assert.ok(ruleExpressions(r), `not encodable: ${r}`);
  }
});

test("affinity rules, user rules and unknown forms are left to nft", () => {
  const plan = compileNft(state([svc(0, "rr", { affinityTimeoutS: 60 })], 2));
  const rules = plan.services![0]!.chains.flatMap((c) => c.rules);
  assert.ok(rules.some((r) => ruleExpressions(r) === undefined));
  assert.equal(ruleExpressions("tcp dport 22 accept"), undefined);
  assert.equal(ruleExpressions("ct mark set jhash @nh,97,32 mod 2 seed 0x1 offset 0"), undefined, "not on a byte");
  assert.equal(ruleExpressions("ct mark set jhash ip saddr mod 2 seed 0x1 offset 0"), undefined, "nft would add a meta check");
  assert.equal(encodeOps("ponton", [{ op: "addSet", name: "x", decl: "type ipv4_addr;" }], 1), undefined);
  assert.equal(encodeOps("ponton", [{ op: "addRule", chain: "user", rule: "counter" }], 1), undefined);
});

test("set layouts: plain and typeof maps and interface names are encodable, intervals are not", () => {
  assert.deepEqual(setLayout({ name: "svc_ips", kind: "map", type: "ipv4_addr . inet_proto . inet_service : verdict" }), { key: ["ipv4_addr", "inet_proto", "inet_service"], data: ["verdict"] });
  assert.deepEqual(setLayout({ name: "svc_eps6", kind: "map", type: "mark : ipv6_addr . inet_service" }), { key: ["u32"], data: ["ipv6_addr", "inet_service"] });
  assert.deepEqual(setLayout({ name: "svc_eps_goto", kind: "map", type: "numgen inc mod 2 : verdict", typeof: true }), { key: ["u32"], data: ["verdict"] });
  assert.equal(setLayout({ name: "subnets4", kind: "set", type: "ipv4_addr", flags: ["interval"] }), undefined);
  assert.deepEqual(setLayout({ name: "bridges", kind: "set", type: "ifname" }), { key: ["ifname"] });
  assert.equal(setLayout({ name: "same_network_ifs", kind: "set", type: "ifname . ifname", flags: ["interval"] }), undefined);
});

test("interface names: 16 bytes zero-padded; a wildcard or an over-long name is not encodable", () => {
  const layout = setLayout({ name: "bridges", kind: "set", type: "ifname" })!;
  const bytes = elementAttr(layout, '"pr-1a2b01234567"', false)!;
  assert.ok(bytes.includes(Buffer.concat([Buffer.from("pr-1a2b01234567"), Buffer.alloc(1)])));
  assert.equal(elementAttr(layout, '"pr-1a2b*"', false), undefined);
  assert.equal(elementAttr(layout, '"pr-1a2b0123456789"', false), undefined);
  assert.equal(elementAttr(layout, "pr-1a2b", false), undefined);
});

test("element bytes: concatenated fields padded to 32 bits, mark keys in host order, ports big-endian", () => {
  const eps = setLayout({ name: "svc_eps", kind: "map", type: "mark : ipv4_addr . inet_service" })!;
  const bytes = elementAttr(eps, "2147549184 : 10.0.0.2 . 80", false)!;
  // LIST_ELEM{ KEY{ VALUE(4) }, DATA{ VALUE(8) } }
  assert.ok(bytes.includes(Buffer.from([0x00, 0x00, 0x01, 0x80])), "0x80010000 host order (little-endian)");
  assert.ok(bytes.includes(Buffer.from([10, 0, 0, 2, 0x00, 0x50, 0, 0])), "10.0.0.2 . 80, port padded");
  const ips = setLayout({ name: "svc_ips", kind: "map", type: "ipv4_addr . inet_proto . inet_service : verdict" })!;
  const goto = elementAttr(ips, "10.96.0.1 . udp . 53 : goto svc_x", false)!;
  assert.ok(goto.includes(Buffer.from([10, 96, 0, 1, 17, 0, 0, 0, 0, 53, 0, 0])));
  assert.ok(goto.includes(Buffer.from([0xff, 0xff, 0xff, 0xfc])), "NFT_GOTO");
  assert.ok(goto.includes(Buffer.from("svc_x\0")));
  assert.ok(elementAttr(ips, "10.96.0.1 . udp . 53 : jump svc_x", false)!.includes(Buffer.from([0xff, 0xff, 0xff, 0xfd])), "NFT_JUMP");
  assert.ok(elementAttr(ips, "10.96.0.1 . udp . 53", true), "deletion: key only");
  assert.equal(elementAttr(ips, "10.96.0.1 . udp", false), undefined, "wrong arity");
  assert.equal(elementAttr(ips, "fd00::1 . udp . 53 : goto x", false), undefined, "wrong family");
});

test("a batch frames its messages between BATCH_BEGIN and BATCH_END with consecutive sequence numbers", () => {
  const set = { name: "svc_noep", kind: "set" as const, type: "ipv4_addr . inet_proto . inet_service" };
  const elements = [...Array(600).keys()].map((i) => `10.96.${i >> 8}.${i & 255} . tcp . 80`);
  const ops: NftOp[] = [{ op: "addChain", chain: "c" }, { op: "addElements", set, elements }, { op: "flushChain", chain: "c" }];
  const { bytes, messages } = encodeOps("ponton", ops, 7)!;
  assert.equal(messages, 1 + 3 + 1, "600 elements in messages of 256");
  const headers: { type: number; seq: number }[] = [];
  for (let at = 0; at < bytes.length; ) {
    const len = bytes.readUInt32LE(at);
    headers.push({ type: bytes.readUInt16LE(at + 4), seq: bytes.readUInt32LE(at + 8) });
    at += len;
  }
  assert.deepEqual(headers.map((h) => h.seq), [6, 7, 8, 9, 10, 11, 12]);
  assert.equal(headers[0]!.type, 0x10);
  assert.equal(headers.at(-1)!.type, 0x11);
  assert.deepEqual(headers.slice(1, -1).map((h) => h.type & 0xff), [3, 12, 12, 12, 8]);
});

test("an element with a timeout (the FQDN maps) carries NFTA_SET_ELEM_TIMEOUT in ms; a deletion does not", () => {
  const layout = setLayout({ name: "pol_fqdn_port_v4", kind: "map", type: "ipv4_addr . ipv4_addr . inet_proto . inet_service : mark", flags: ["timeout"] })!;
  const plain = elementAttr(layout, "10.0.0.2 . 192.0.2.1 . 6 . 443 : 18", false)!;
  const timed = elementAttr(layout, "10.0.0.2 . 192.0.2.1 . 6 . 443 timeout 35000ms : 18", false)!;
  const ms = Buffer.alloc(8);
  ms.writeBigUInt64BE(35000n);
  assert.equal(timed.length, plain.length + 12, "one 8-byte attribute more");
  assert.ok(timed.includes(Buffer.concat([Buffer.from([12, 0, 4, 0]), ms])), "attr 4, u64 big-endian");
  assert.deepEqual(elementAttr(layout, "10.0.0.2 . 192.0.2.1 . 6 . 443 timeout 35000ms", true), elementAttr(layout, "10.0.0.2 . 192.0.2.1 . 6 . 443", true));
  assert.equal(elementAttr(layout, "10.0.0.2 . 192.0.2.1 . 6 . 443 timeout 35s : 18", false), undefined, "only ms is encoded");
});

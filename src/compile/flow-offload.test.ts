// Flowtable offload's plan (rendered nft text): built for kernels that have flowtables, so tested here.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Attachment, DesiredState, Network, Workload } from "../model/types";
import { compileNft, DEFAULT_COMPILE_OPTIONS } from "./nft-compile";
import { diffOps, renderDiff, renderFull } from "./nft-render";
import { macFor, routedVethName } from "./names";
import { OFFLOAD_PROBE, withPresentDevices } from "./flow-offload";

const ON = { ...DEFAULT_COMPILE_OPTIONS, flowOffload: true };
const net = (name: string, extra: Partial<Network> = {}): Network => ({
  id: `${name}0a0b0c0d0e0f`, name, driver: "bridge", bridge: `pbr-${name}`, subnet4: "172.30.0.0/24", gateway4: "172.30.0.1",
  internal: false, icc: true, masquerade: true, routesTo: [], labels: {}, createdAt: "", ...extra,
});
const flat = net("flat", { driver: "routed", bridge: "", subnet4: "10.1.0.0/24", gateway4: "10.1.0.1" });
const wl = (id: string): Workload => ({ id, name: id, labels: {}, netnsMode: "owned", netns: `p-${id}`, command: [], env: {}, restart: "no", routes: [], ports: [], state: "running", createdAt: "" });
const att = (w: string, n: Network, ip4: string, extra: Partial<Attachment> = {}): Attachment => ({ workloadId: w, networkId: n.id, ifname: "eth0", hostIfname: n.driver === "routed" ? routedVethName(w, n.id) : `pv-${w}`, mac: macFor(ip4, w), ip4, index: 0, ...extra });
const state = (workloads: string[], extra: Partial<DesiredState> = {}): DesiredState => ({
  networks: [net("a"), flat],
  workloads: workloads.map(wl),
  attachments: workloads.map((w, i) => (i % 2 ? att(w, net("a"), `172.30.0.${10 + i}`) : att(w, flat, `10.1.0.${10 + i}`))),
  userRules: [],
  services: [],
  namespaces: [],
  policies: [],
  ...extra,
});

test("off (the default, and on kernels without flowtables): no flowtable, no flow add, the table as before", () => {
  const s = state(["w0", "w1"]);
  const text = renderFull(compileNft(s));
  assert.doesNotMatch(text, /flowtable|flow add/);
  assert.equal(compileNft(s).offload, undefined);
  assert.equal(renderFull(compileNft(s, undefined, { ...DEFAULT_COMPILE_OPTIONS, flowOffload: false })), text);
});

test("on: one flowtable on the bridges and the routed veths (never a bridge port), and a late forward chain that offloads only established TCP/UDP between routed interfaces of ours", () => {
  const s = state(["w0", "w1", "w2"]);
  const text = renderFull(compileNft(s, undefined, ON));
  const r0 = routedVethName("w0", flat.id);
  const r2 = routedVethName("w2", flat.id);
  const devices = ['"pbr-a"', `"${r0}"`, `"${r2}"`].sort().join(", ");
  assert.ok(text.includes(`  flowtable ft { hook ingress priority filter; devices = { ${devices} }; }\n`), text);
  assert.doesNotMatch(text, /"pv-w1"/, "a bridge port's traffic is bridged: not a flowtable device");
  const chain = text.slice(text.indexOf("chain flow_offload"));
  assert.equal(
    chain.split("\n").slice(0, 6).join("\n"),
    [
      "chain flow_offload {",
      "    type filter hook forward priority filter + 20; policy accept;",
      "    iifname . oifname @same_bridge return",
      "    iifname != @owned_ifs oifname != @owned_ifs return",
      "    ct state established meta l4proto { tcp, udp } flow add @ft",
      "  }",
    ].join("\n"),
  );
  // Declared before any chain (rules name it); the chain after the skeleton, behind forward.
  assert.ok(text.indexOf("flowtable ft") < text.indexOf("chain "), "flowtable declared before the chains");
  assert.ok(text.indexOf("chain forward ") < text.indexOf("chain flow_offload"));
  // Every verdict stays where it was: forward still drops, polices new connections first.
  assert.match(text, /chain forward \{\n {4}type filter hook forward priority filter; policy accept;\n( {4}#[^\n]*\n)* {4}ct original ip daddr 127\.0\.0\.0\/8 [^\n]*\n {4}#[^\n]*\n {4}ct state new jump l7_forward\n {4}jump user\n {4}ct state established,related accept\n( {4}#[^\n]*\n)? {4}ct state new jump pol_forward/);
  // Flow records are written in forward (no user rule here), for new connections only, which are never offloaded.
  assert.match(text, /ct state new oifname @bridges iifname != @bridges jump flow_record\n {2}\}/);
  assert.doesNotMatch(text, /chain flow_log \{/);
});

test("a new workload on a routed network adds its veth to the live flowtable; one that goes is left to the kernel", () => {
  const before = compileNft(state(["w0", "w1"]), undefined, ON);
  const after = compileNft(state(["w0", "w1", "w2"]), undefined, ON);
  const r2 = routedVethName("w2", flat.id);
  const text = renderDiff(before, after)!;
  assert.ok(text.includes(`add flowtable inet ponton ft { hook ingress priority filter; devices = { "${r2}" }; }\n`), text);
  assert.equal(text.split("\n").filter((l) => l.startsWith("add flowtable")).length, 1, "only the new device");
  assert.ok(text.indexOf("add flowtable") < text.indexOf("add element"), "the device is hooked in the same transaction as its elements");
  // Removal: the kernel unhooks a deleted interface from every flowtable; no flowtable op.
  assert.ok(!diffOps(after, before)!.some((o) => o.op === "addFlowtableDevices"));
  // A bridge workload adds no device (its bridge already is one).
  const bridged = compileNft(state(["w0", "w1", "w2", "w3"]), undefined, ON);
  assert.ok(!diffOps(after, bridged)!.some((o) => o.op === "addFlowtableDevices"));
});

test("user rules see every forwarded packet: while any is stored there is no offload, and adding the first one reloads the table (its flows go back to the slow path)", () => {
  const plain = compileNft(state(["w0", "w1"]), undefined, ON);
  const ruled = compileNft(state(["w0", "w1"], { userRules: [{ id: 1, rule: "ip daddr 10.9.9.9 drop" }] }), undefined, ON);
  assert.equal(ruled.offload, undefined);
  assert.doesNotMatch(renderFull(ruled), /flowtable|flow add/);
  assert.equal(diffOps(plain, ruled), undefined, "a full reload: the table (and its flowtable) is replaced");
  assert.equal(diffOps(ruled, plain), undefined, "and back");
});

test("no device yet (no network): nothing declared; the first one is a reload, not an element", () => {
  const none = compileNft({ ...state([]), networks: [] }, undefined, ON);
  assert.deepEqual(none.offload, { devices: [] });
  assert.doesNotMatch(renderFull(none), /flowtable|flow add/);
  assert.equal(diffOps(none, compileNft(state([]), undefined, ON)), undefined);
});

test("only interfaces that exist are given to the flowtable (it refuses a missing one)", () => {
  const plan = compileNft(state(["w0", "w1", "w2"]), undefined, ON);
  const r0 = routedVethName("w0", flat.id);
  assert.deepEqual(withPresentDevices(plan, new Set(["pbr-a", r0])).offload, { devices: [r0, "pbr-a"].sort() });
  const off = compileNft(state(["w0"]));
  assert.equal(withPresentDevices(off, new Set()), off);
});

test("the start-up probe declares a flowtable and a flow add rule in a table of its own", () => {
  assert.match(OFFLOAD_PROBE, /^table inet ponton_offload_probe \{\n {2}flowtable ft \{ hook ingress priority filter; devices = \{ "lo" \}; \}/);
  assert.match(OFFLOAD_PROBE, /ct state established flow add @ft/);
  assert.doesNotMatch(OFFLOAD_PROBE, /table inet ponton \{/);
});

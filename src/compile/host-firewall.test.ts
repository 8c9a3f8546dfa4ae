// The table's answer to traffic that is not ours: foreign forwarding, host access, gateway DNS.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compileNft, DEFAULT_COMPILE_OPTIONS, hostAccessOf } from "./nft-compile";
import { diffOps, renderFull } from "./nft-render";
import type { DesiredState, Network } from "../model/types";

const net = (name: string, extra: Partial<Network> = {}): Network => ({
  id: name, name, driver: "bridge", bridge: `pbr-${name}`, subnet4: "172.30.0.0/24", gateway4: "172.30.0.1",
  internal: false, icc: true, masquerade: true, routesTo: [], labels: {}, createdAt: "", ...extra,
});
const state = (...networks: Network[]): DesiredState => ({ networks, workloads: [], attachments: [], userRules: [], services: [], namespaces: [], policies: [] });
const set = (s: DesiredState, name: string, options = DEFAULT_COMPILE_OPTIONS) => compileNft(s, undefined, options).sets.find((x) => x.name === name)!.elements;

test("every bridge is an owned interface; foreign forwarding goes to its drop chain unless --forward-others accept", () => {
  const s = state(net("a"), net("b", { subnet4: "172.30.1.0/24", gateway4: "172.30.1.1" }));
  assert.deepEqual(set(s, "owned_ifs"), ['"pbr-a"', '"pbr-b"']);
  assert.deepEqual(compileNft(s).forwardOthers, ["goto drop_foreign_forward"]);
  const accept = compileNft(s, undefined, { ...DEFAULT_COMPILE_OPTIONS, forwardOthers: "accept" });
  assert.deepEqual(accept.forwardOthers, []);
  // Switching is a refill of one chain, never a reload.
  assert.deepEqual(diffOps(compileNft(s), accept), [{ op: "flushChain", chain: "forward_others" }]);
});

test("host access: off for --no-host-access and by default for internal networks; explicit --host-access wins", () => {
  assert.equal(hostAccessOf(net("a")), true);
  assert.equal(hostAccessOf(net("a", { internal: true })), false);
  assert.equal(hostAccessOf(net("a", { internal: true, hostAccess: true })), true);
  assert.equal(hostAccessOf(net("a", { hostAccess: false })), false);
  const s = state(net("a", { hostAccess: false }), net("b", { internal: true, subnet4: "172.30.1.0/24", gateway4: "172.30.1.1" }), net("c", { subnet4: "172.30.2.0/24", gateway4: "172.30.2.1" }));
  assert.deepEqual(set(s, "no_host_access"), ['"pbr-a"', '"pbr-b"']);
});

test("DNS on each gateway stays open (the daemon's --dns-port), none when DNS is off", () => {
  const s = state(net("a", { subnet6: "fd00:1::/64", gateway6: "fd00:1::1" }));
  assert.deepEqual(set(s, "gw_dns4"), ['"pbr-a" . 172.30.0.1 . tcp . 53', '"pbr-a" . 172.30.0.1 . udp . 53']);
  assert.deepEqual(set(s, "gw_dns6"), ['"pbr-a" . fd00:1::1 . tcp . 53', '"pbr-a" . fd00:1::1 . udp . 53']);
  assert.deepEqual(set(s, "gw_dns4", { ...DEFAULT_COMPILE_OPTIONS, dnsPort: 5353 }), ['"pbr-a" . 172.30.0.1 . tcp . 5353', '"pbr-a" . 172.30.0.1 . udp . 5353']);
  assert.deepEqual(set(s, "gw_dns4", { ...DEFAULT_COMPILE_OPTIONS, dnsPort: 0 }), []);
});

test("the input chain accepts DNS before its host-access drop; invalid packets from workloads are dropped on both paths", () => {
  const full = renderFull(compileNft(state(net("a"))));
  const input = /chain input \{([^}]*)\}/.exec(full)![1]!.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  const dns = input.findIndex((l) => l.includes("@gw_dns4 accept"));
  assert.ok(dns > 0 && dns < input.findIndex((l) => l.includes("goto drop_host_access")));
  assert.ok(input.includes("ct state invalid goto drop_invalid"));
  assert.match(full, /ct state invalid iifname @bridges goto drop_invalid/);
  // Published ports are not translated for internal networks (they reach no other network).
  assert.match(/chain published \{([^}]*)\}/.exec(full)![1]!, /^\s*iifname @internal_bridges return$/m);
});

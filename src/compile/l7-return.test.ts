import { test } from "node:test";
import assert from "node:assert/strict";
import { l7ReturnNft } from "./l7-return";
import { macFor } from "./names";

test("answers from guarded workload ports go to the host: the bridge's MAC, packet type host, the mark", () => {
  const text = l7ReturnNft([{ ip: "10.0.0.2", port: 80, networkId: "n1" }, { ip: "10.0.0.2", port: 80, networkId: "n1" }]);
  assert.match(text, new RegExp(`elements = \\{ 10\\.0\\.0\\.2 \\. 80 : ${macFor(undefined, "n1")} \\}`));
  assert.match(text, /ether daddr set ip saddr \. tcp sport map @backends meta pkttype set host meta mark set 268435456/);
});

test("IPv6 backends have their own map and rule; a family without backends has neither", () => {
  const text = l7ReturnNft([{ ip: "fd00::2", port: 80, networkId: "n1" }]);
  assert.match(text, new RegExp(`map backends6 \\{ type ipv6_addr \\. inet_service : ether_addr; elements = \\{ fd00::2 \\. 80 : ${macFor(undefined, "n1")} \\} \\}`));
  assert.match(text, /ip6 saddr \. tcp sport @backends6 ether daddr set ip6 saddr \. tcp sport map @backends6 meta pkttype set host meta mark set 268435456/);
  assert.doesNotMatch(text, /map backends \{|ip saddr/);
});

test("routed backends: an inet table marks conntrack's replies from the guarded address and port before routing; no bridge MAC", () => {
  const text = l7ReturnNft([{ ip: "10.0.0.2", port: 80, networkId: "r1", routed: true }, { ip: "fd00::2", port: 8080, networkId: "r1", routed: true }]);
  assert.match(text, /table inet ponton_l7_return \{\n  set backends4 \{ type ipv4_addr \. inet_service; elements = \{ 10\.0\.0\.2 \. 80 \} \}\n  set backends6 \{ type ipv6_addr \. inet_service; elements = \{ fd00::2 \. 8080 \} \}/);
  assert.match(text, /type filter hook prerouting priority mangle;/);
  assert.match(text, /ct direction reply ip saddr \. tcp sport @backends4 meta mark set 268435456/);
  assert.match(text, /ct direction reply ip6 saddr \. tcp sport @backends6 meta mark set 268435456/);
  // The bridge table is emptied (no bridged backend), the routed one kept.
  assert.ok(text.startsWith("add table bridge ponton_l7\ndelete table bridge ponton_l7\nadd table inet ponton_l7_return\n"), text);
  assert.doesNotMatch(text, /ether daddr/);
});

test("no backend, no client: the three tables removed", () => {
  assert.equal(l7ReturnNft([]), "add table bridge ponton_l7\ndelete table bridge ponton_l7\nadd table inet ponton_l7_return\ndelete table inet ponton_l7_return\nadd table netdev ponton_l7_detour\ndelete table netdev ponton_l7_detour\n");
});

test("egress clients: their veths' connections on the port take the detour; answers to them (by destination and source port) come back by the bridge and by routing", () => {
  const text = l7ReturnNft([], [
    { ip: "10.0.0.3", port: 80, networkId: "n1", hostIfname: "pv-a" },
    { ip: "fd00::3", port: 80, networkId: "n1", hostIfname: "pv-a" },
    { ip: "10.1.0.4", port: 8080, networkId: "r1", routed: true, hostIfname: "pr-r1xxabcd" },
  ]);
  // The bridge: only the bridged client, keyed by its address as destination.
  assert.match(text, new RegExp(`map clients \\{ type ipv4_addr \\. inet_service : ether_addr; elements = \\{ 10\\.0\\.0\\.3 \\. 80 : ${macFor(undefined, "n1")} \\} \\}`));
  assert.match(text, /ip daddr \. tcp sport @clients ether daddr set ip daddr \. tcp sport map @clients meta pkttype set host meta mark set 268435456/);
  assert.match(text, /ip6 daddr \. tcp sport @clients6 ether daddr set/);
  assert.doesNotMatch(text, /10\.1\.0\.4 \. 8080 :/);
  // Routing: every client, conntrack's reply direction.
  assert.match(text, /set clients4 \{ type ipv4_addr \. inet_service; elements = \{ 10\.0\.0\.3 \. 80, 10\.1\.0\.4 \. 8080 \} \}/);
  assert.match(text, /ct direction reply ip daddr \. tcp sport @clients4 meta mark set 268435456/);
  assert.match(text, /ct direction reply ip6 daddr \. tcp sport @clients6 meta mark set 268435456/);
  // The detour: on both veths, before any bridge, to the detour link with its receiving end's MAC.
  assert.match(text, /table netdev ponton_l7_detour \{/);
  assert.match(text, /type filter hook ingress devices = \{ "pr-r1xxabcd", "pv-a" \} priority -500; policy accept;/);
  assert.match(text, /ip saddr \. tcp dport @clients4 ether daddr set 02:70:6e:37:00:01 fwd to "ponton-l7out"/);
  assert.match(text, /ip6 saddr \. tcp dport @clients6 ether daddr set 02:70:6e:37:00:01 fwd to "ponton-l7out"/);
});

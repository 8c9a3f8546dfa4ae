import { test } from "node:test";
import assert from "node:assert/strict";
import { l7ReturnNft } from "./l7-return";
import { macFor } from "./names";

test("answers from guarded workload ports go to the host: the bridge's MAC, packet type host, the mark", () => {
  const text = l7ReturnNft([{ ip: "10.0.0.2", port: 80, networkId: "n1" }, { ip: "10.0.0.2", port: 80, networkId: "n1" }]);
  assert.match(text, new RegExp(`elements = \\{ 10\\.0\\.0\\.2 \\. 80 : ${macFor(undefined, "n1")} \\}`));
  assert.match(text, /ether daddr set ip saddr \. tcp sport map @backends meta pkttype set host meta mark set 268435456/);
  assert.equal(l7ReturnNft([]), "add table bridge ponton_l7\ndelete table bridge ponton_l7\n");
});

test("IPv6 backends have their own map and rule; a family without backends has neither", () => {
  const text = l7ReturnNft([{ ip: "fd00::2", port: 80, networkId: "n1" }]);
  assert.match(text, new RegExp(`map backends6 \\{ type ipv6_addr \\. inet_service : ether_addr; elements = \\{ fd00::2 \\. 80 : ${macFor(undefined, "n1")} \\} \\}`));
  assert.match(text, /ip6 saddr \. tcp sport @backends6 ether daddr set ip6 saddr \. tcp sport map @backends6 meta pkttype set host meta mark set 268435456/);
  assert.doesNotMatch(text, /map backends \{|ip saddr/);
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { inputDropChains } from "./firewall-info";

test("other tables' input chains with policy drop are named; ours, accepting ones and other hooks are not", () => {
  const listed = JSON.stringify({
    nftables: [
      { metainfo: { version: "1.0.6" } },
      { chain: { family: "inet", table: "filter", name: "input", handle: 1, type: "filter", hook: "input", prio: 0, policy: "drop" } },
      { chain: { family: "ip", table: "fw", name: "in2", handle: 2, type: "filter", hook: "input", prio: -5, policy: "accept" } },
      { chain: { family: "inet", table: "filter", name: "fwd", handle: 3, type: "filter", hook: "forward", prio: 0, policy: "drop" } },
      { chain: { family: "inet", table: "ponton", name: "input", handle: 4, type: "filter", hook: "input", prio: -10, policy: "drop" } },
      { chain: { family: "inet", table: "filter", name: "user", handle: 5 } },
    ],
  });
  assert.deepEqual(inputDropChains(listed), [{ table: "inet filter", chain: "input", hook: "input", priority: 0 }]);
});

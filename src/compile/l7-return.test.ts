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

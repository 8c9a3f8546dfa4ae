import { test } from "node:test";
import assert from "node:assert/strict";
import { OverlayEvents } from "./overlay-events";

test("overlay events: heartbeats and workload records do not move the overlay; a new address or MAC, liveness, blocks and networks do", () => {
  const f = new OverlayEvents();
  const info = (address: string, vtepMac: string, heartbeat: string) => JSON.stringify({ name: "n2", address, vtepMac, heartbeat, workloads: 3 });
  assert.equal(f.moves("/ponton/nodes/n2/info", info("192.0.2.2", "02:00:00:00:00:02", "t1")), true, "first sight");
  assert.equal(f.moves("/ponton/nodes/n2/info", info("192.0.2.2", "02:00:00:00:00:02", "t2")), false, "a heartbeat");
  assert.equal(f.moves("/ponton/nodes/n2/info", info("192.0.2.2", "02:00:00:00:00:09", "t3")), true, "a new MAC");
  assert.equal(f.moves("/ponton/nodes/n2/info", info("192.0.2.9", "02:00:00:00:00:09", "t4")), true, "a new address");
  assert.equal(f.moves("/ponton/nodes/n2/alive", "192.0.2.9"), true);
  assert.equal(f.moves("/ponton/nodes/n2/alive", undefined), true);
  assert.equal(f.moves("/ponton/blocks/pods/10.42.1.0_24", "n2"), true);
  assert.equal(f.moves("/ponton/networks/pods", "{}"), true);
  assert.equal(f.moves("/ponton/config/routing", "vxlan"), true);
  for (const k of ["/ponton/workloads/n2/abc", "/ponton/services/default/web", "/ponton/policies/x", "/ponton/vips/10.96.0.1", "/ponton/l2/192.0.2.200", "/ponton/cluster/flow-token"]) {
    assert.equal(f.moves(k, "{}"), false, k);
  }
  assert.equal(f.moves("/ponton/nodes/n2/info", undefined), true, "a node forgotten");
  assert.equal(f.moves("/ponton/nodes/n2/info", info("192.0.2.9", "02:00:00:00:00:09", "t5")), true, "seen again after it was forgotten");
});

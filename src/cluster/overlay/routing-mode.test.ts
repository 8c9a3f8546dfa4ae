import { test } from "node:test";
import assert from "node:assert/strict";
import { parseRoutingMode } from "./routing-mode";

test("--cluster-routing: vxlan or native; absent means the cluster's own", () => {
  assert.equal(parseRoutingMode(undefined), undefined);
  assert.equal(parseRoutingMode("native"), "native");
  assert.equal(parseRoutingMode("vxlan"), "vxlan");
  assert.throws(() => parseRoutingMode("host-gw"), /vxlan or native, not 'host-gw'/);
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { monitoredLink, ownLink } from "./link-watch";

test("the link name of each kind of `ip -o monitor link` line; Ponton's own links are skipped", () => {
  assert.equal(monitoredLink("5: eth7: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN group default \\    link/ether 02:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff"), "eth7");
  assert.equal(monitoredLink("6: uplink1@if5: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP \\    link/ether 9a:1b:2c:3d:4e:5f brd ff:ff:ff:ff:ff:ff link-netns x"), "uplink1");
  assert.equal(monitoredLink("Deleted 6: uplink1@if5: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN"), "uplink1");
  assert.equal(monitoredLink("something else"), undefined);
  assert.equal(ownLink("pbr-3f2a"), true);
  assert.equal(ownLink("pv-3f2a01"), true);
  assert.equal(ownLink("ponton-vxlan"), true);
  assert.equal(ownLink("uplink1"), false);
});

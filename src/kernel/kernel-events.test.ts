import { test } from "node:test";
import assert from "node:assert/strict";
import { parseKernelEvent } from "./kernel-events";

test("each line of ponton-watch parses; unknown or malformed lines are ignored", () => {
  assert.deepEqual(parseKernelEvent("ready"), { kind: "ready" });
  assert.deepEqual(parseKernelEvent("nft 42 1234"), { kind: "nft", gen: 42, pid: 1234 });
  assert.deepEqual(parseKernelEvent("link del pv-0123456789 7 1"), { kind: "link", op: "del", name: "pv-0123456789", master: 7, up: true });
  assert.deepEqual(parseKernelEvent("link new pbr-x 0 0"), { kind: "link", op: "new", name: "pbr-x", master: 0, up: false });
  assert.deepEqual(parseKernelEvent("addr del pbr-x fd00::1/64"), { kind: "addr", op: "del", name: "pbr-x", addr: "fd00::1/64" });
  assert.deepEqual(parseKernelEvent("netns del ponton-web"), { kind: "netns", op: "del", name: "ponton-web" });
  assert.deepEqual(parseKernelEvent("lost route"), { kind: "lost", what: "route" });
  assert.deepEqual(parseKernelEvent("inlink p-web del eth0 0"), { kind: "inlink", ns: "p-web", op: "del", name: "eth0", up: false });
  assert.deepEqual(parseKernelEvent("inaddr p-web del fd00::5/64"), { kind: "inaddr", ns: "p-web", op: "del", addr: "fd00::5/64" });
  assert.deepEqual(parseKernelEvent("lost in p-web"), { kind: "lost", what: "in", ns: "p-web" });
  for (const bad of ["", "nft x 1", "nft 1", "link mod a 0 1", "link new a 0 2", "addr new a 10.0.0.1", "netns new a", "lost disk", "hello", "inlink p del eth0", "inaddr p del 10.0.0.1", "lost in"]) {
    assert.equal(parseKernelEvent(bad), undefined, bad);
  }
});

test("route deletions: a device or '-' for an unreachable route", () => {
  assert.deepEqual(parseKernelEvent("route del pr-1a2b01234567 10.1.0.5/32"), { kind: "route", op: "del", dev: "pr-1a2b01234567", dst: "10.1.0.5/32" });
  assert.deepEqual(parseKernelEvent("route del - fd00:1::/64"), { kind: "route", op: "del", dev: "-", dst: "fd00:1::/64" });
  assert.equal(parseKernelEvent("route new pr-x 10.1.0.5/32"), undefined);
  assert.equal(parseKernelEvent("route del pr-x"), undefined);
});
